//! `relay use`, `relay status`, `relay-token`, `cluster publish` and `roster pull`: the
//! cluster's relay, seen from a member's laptop.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sealpost_core::format::enrol::JoinRequest;
use sealpost_core::membership::Membership;
use sealpost_core::relay::{Published, RelayClient, RelayError};

use crate::Global;
use crate::commands::identity::{unlock, unlock_keeping_passphrase};
use crate::failure::Failure;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub(crate) enum RelayCommand {
    /// Use the relay at URL for this cluster (the coordinator; members get it from the invite)
    Use(UseArgs),
    /// Check the relay: reachable, and which roster version it holds
    Status(JsonArg),
    /// Send a join request file to the relay again (when `sealpost join` was offline)
    SendRequest(SendRequestArgs),
}

impl RelayCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            RelayCommand::Use(a) => a.json,
            RelayCommand::Status(a) => a.json,
            RelayCommand::SendRequest(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct UseArgs {
    /// The relay's address, e.g. https://relay.example.org
    url: String,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SendRequestArgs {
    /// The request file `sealpost join` wrote
    #[arg(value_name = "FILE", default_value = "sealpost-join-request.json")]
    file: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JsonArg {
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

fn client(global: &Global) -> Result<(Membership, RelayClient), Failure> {
    let membership = Membership::new(&global.home()?);
    let client = RelayClient::configured(&membership)?;
    Ok((membership, client))
}

pub(crate) fn relay(global: &Global, command: &RelayCommand) -> Result<(), Failure> {
    match command {
        RelayCommand::Use(args) => {
            let url = args.url.trim();
            Membership::new(&global.home()?).set_relay(url)?;
            if args.json {
                print_json(&serde_json::json!({"relay": url}));
            } else {
                println!("This cluster now uses the relay at {url}.");
                println!("Publish the roster there: sealpost cluster publish");
            }
            Ok(())
        }
        RelayCommand::SendRequest(args) => {
            let (_, client) = client(global)?;
            let bytes = crate::commands::cluster::read_request(&args.file)?;
            let request = JoinRequest::from_json(&bytes).map_err(|e| {
                Failure::new(
                    "invalid-request",
                    format!(
                        "{} is not a join request ({e}); give the file `sealpost join` wrote",
                        args.file.display()
                    ),
                )
            })?;
            let id = client.submit_join_request(&request)?;
            if args.json {
                print_json(&serde_json::json!({"relay": client.url(), "id": id}));
            } else {
                println!(
                    "Sent your join request to the relay at {}; your coordinator sees it with \
                     `sealpost cluster requests`.",
                    client.url()
                );
            }
            Ok(())
        }
        RelayCommand::Status(args) => {
            let (membership, client) = client(global)?;
            let relay_version = client
                .roster(None)?
                .and_then(|r| r.claim())
                .map(|c| c.version);
            let held = membership.held()?.map(|h| h.roster().version);
            if args.json {
                print_json(&serde_json::json!({
                    "relay": client.url(),
                    "reachable": true,
                    "relay_roster_version": relay_version,
                    "held_roster_version": held,
                }));
                return Ok(());
            }
            println!("Relay {}: reachable.", client.url());
            match (relay_version, held) {
                (None, _) => println!(
                    "It holds no roster yet; the coordinator publishes it with `sealpost cluster \
                     publish`."
                ),
                (Some(r), Some(h)) if r > h => println!(
                    "It holds roster version {r}; you hold {h}: run `sealpost roster pull`."
                ),
                (Some(r), Some(h)) if r < h => println!(
                    "It holds roster version {r}, older than yours ({h}): the coordinator should \
                     run `sealpost cluster publish`."
                ),
                (Some(r), _) => println!("It holds roster version {r}."),
            }
            Ok(())
        }
    }
}

/// `sealpost cluster publish`: uploads the roster held to the relay.
pub(crate) fn publish(global: &Global, json: bool) -> Result<(), Failure> {
    let (membership, client) = client(global)?;
    let held = membership.require()?;
    let outcome = client.publish_held(&membership, &held)?;
    let (version, already) = match outcome {
        Published::Accepted(v) => (v, false),
        Published::AlreadyHeld(v) => (v, true),
    };
    if json {
        print_json(
            &serde_json::json!({"relay": client.url(), "version": version, "unchanged": already}),
        );
    } else if already {
        println!(
            "The relay at {} already holds roster version {version}.",
            client.url()
        );
    } else {
        println!(
            "Published roster version {version} to {}; members get it with `sealpost roster pull`.",
            client.url()
        );
    }
    Ok(())
}

/// `sealpost roster pull`: fetches the relay's roster and accepts it under the roster rules.
pub(crate) fn pull(global: &Global, json: bool) -> Result<(), Failure> {
    let (membership, client) = client(global)?;
    let (me, passphrase) = unlock_keeping_passphrase(global)?;
    let imported = client.pull(&membership, &me, passphrase.as_ref())?;
    let held = membership.require()?;
    if json {
        print_json(&serde_json::json!({
            "relay": client.url(),
            "imported": imported.iter().map(|i| i.roster.roster().version).collect::<Vec<_>>(),
            "version": held.roster().version,
        }));
        return Ok(());
    }
    if imported.is_empty() {
        println!(
            "Your roster (version {}) is the relay's newest; nothing to do.",
            held.roster().version
        );
    }
    for i in &imported {
        println!(
            "Accepted roster version {} from the relay (signed by the coordinator; checked here, \
             not trusted because the relay sent it).",
            i.roster.roster().version
        );
    }
    Ok(())
}

/// `sealpost relay-token`: logs in and prints a bearer token on the last line.
pub(crate) fn token(global: &Global, json: bool) -> Result<(), Failure> {
    let (_, client) = client(global)?;
    let me = unlock(global)?;
    let login = client.login(&me)?;
    if json {
        print_json(&login);
        return Ok(());
    }
    println!(
        "A bearer token for {} at {}, valid until {} (use it as `Authorization: Bearer TOKEN`; \
         keep it private):",
        me.name(),
        client.url(),
        sealpost_core::format::roster::rfc3339(login.expires_at)
    );
    println!("{}", login.token);
    Ok(())
}

/// A relay error inside a successful command's JSON answer (the relay was out of reach, but
/// what the command did here stands): `{code, message}`, as in every error.
pub(crate) fn error_json(e: &RelayError) -> serde_json::Value {
    serde_json::json!({"code": e.code(), "message": e.to_string()})
}

impl From<RelayError> for Failure {
    fn from(e: RelayError) -> Self {
        Failure::new(e.code(), e)
    }
}
