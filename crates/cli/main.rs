//! `sealpost`: the command-line client. Each command parses its arguments, asks for secrets
//! when needed, calls `sealpost-core`, and reports in words or in JSON (`--json`). Nothing here
//! re-implements what the core does: the desktop app calls the same functions.

#![forbid(unsafe_code)]

mod commands;
mod failure;
mod output;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sealpost_core::Home;

use crate::failure::Failure;

/// Seal files for your cluster's information managers, and open parcels sent to you.
#[derive(Debug, Parser)]
#[command(name = "sealpost", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
struct Global {
    /// Data directory holding your identity [default: the platform data directory]
    #[arg(long, global = true, env = "SEALPOST_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    /// File holding the passphrase of a passphrase-protected identity (never the passphrase
    /// itself on the command line); also read from SEALPOST_PASSPHRASE_FILE
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create your identity: an encryption key and a signing key, kept in the OS keyring
    Init(commands::identity::InitArgs),
    /// Show your member id, public keys and fingerprint
    Whoami(commands::identity::WhoamiArgs),
    /// Back up, export or restore your identity
    #[command(subcommand)]
    Identity(commands::identity::IdentityCommand),
    /// Check files for personal data and other sensitive content; suggests a label with reasons
    Scan(commands::scan::ScanArgs),
    /// Make a copy that is safer to share: keyed pseudonyms, masked or dropped columns, P-codes
    /// cut to a coarser admin level, a k-anonymity check, and the scan of the copy
    Pseudonymize(commands::pseudonymize::PseudonymizeArgs),
    /// Seal files into a parcel and send it through the relay (it waits in the outbox while
    /// offline)
    Send(commands::mailroom::SendArgs),
    /// Send what is in the outbox and fetch new parcels; --watch keeps doing it
    Sync(commands::mailroom::SyncArgs),
    /// Parcels waiting to be uploaded, with how far each got
    Outbox(commands::relay::JsonArg),
    /// Parcels received, newest first
    Inbox(commands::relay::JsonArg),
    /// Parcels you sent, with every recipient and their receipts (delivered, opened, deleted);
    /// --export writes this sharing log to a CSV or printable HTML file
    Sent(commands::mailroom::SentArgs),
    /// Send corrected files that replace a parcel you sent
    Correct(commands::mailroom::CorrectArgs),
    /// Ask the recipients of a parcel you sent to delete it (and delete it on the relay)
    Delete(commands::mailroom::DeleteArgs),
    /// An IMO's information products, sent to the partners whose data they were made from
    #[command(subcommand)]
    Product(commands::mailroom::ProductCommand),
    /// Report a concern to the coordinator and IMOs; list and update concerns
    #[command(subcommand)]
    Concern(commands::mailroom::ConcernCommand),
    /// Rights requests: ask the IMOs what they hold of your data; list requests made and
    /// received with their status and due dates; answer one
    #[command(subcommand)]
    Rights(commands::mailroom::RightsCommand),
    /// The audit log of everything done with parcels here; --verify checks it was not altered
    Log(commands::mailroom::LogArgs),
    /// Seal files into an encrypted, signed parcel file (to share without the relay)
    Seal(commands::parcel::SealArgs),
    /// Open a parcel: a received one by its id, or a parcel file; verified completely first
    Open(commands::parcel::OpenArgs),
    /// Show a parcel's signed manifest without opening its files
    Inspect(commands::parcel::InspectArgs),
    /// Join a cluster with an invite code: writes a join request for the coordinator
    Join(commands::cluster::JoinArgs),
    /// Import or export the coordinator-signed cluster roster
    #[command(subcommand)]
    Roster(commands::cluster::RosterCommand),
    /// List the members of your cluster, with their fingerprints
    Members(commands::cluster::MembersArgs),
    /// Show the safety number to compare with another member by phone
    Verify(commands::cluster::VerifyArgs),
    /// Coordinator's commands: create the cluster, invite, approve, remove, hand over; and a
    /// member's key change
    #[command(subcommand)]
    Cluster(commands::cluster::ClusterCommand),
    /// The cluster's relay: choose it, check it
    #[command(subcommand)]
    Relay(commands::relay::RelayCommand),
    /// Print a bearer token for the relay on the last line (for curl or a tus client)
    RelayToken(commands::relay::JsonArg),
}

impl Global {
    fn home(&self) -> Result<Home, Failure> {
        Ok(Home::chosen(self.home.clone())?)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let json = cli.command.wants_json();
    let result = match &cli.command {
        Command::Init(args) => commands::identity::init(&cli.global, args),
        Command::Whoami(args) => commands::identity::whoami(&cli.global, args),
        Command::Identity(cmd) => commands::identity::identity(&cli.global, cmd),
        Command::Scan(args) => commands::scan::scan(&cli.global, args),
        Command::Pseudonymize(args) => commands::pseudonymize::pseudonymize(&cli.global, args),
        Command::Send(args) => commands::mailroom::send(&cli.global, args),
        Command::Sync(args) => commands::mailroom::sync(&cli.global, args),
        Command::Outbox(args) => commands::mailroom::outbox(&cli.global, args.json),
        Command::Inbox(args) => commands::mailroom::inbox(&cli.global, args.json),
        Command::Sent(args) => commands::mailroom::sent(&cli.global, args),
        Command::Correct(args) => commands::mailroom::correct(&cli.global, args),
        Command::Delete(args) => commands::mailroom::delete(&cli.global, args),
        Command::Product(cmd) => commands::mailroom::product(&cli.global, cmd),
        Command::Concern(cmd) => commands::mailroom::concern(&cli.global, cmd),
        Command::Rights(cmd) => commands::mailroom::rights(&cli.global, cmd),
        Command::Log(args) => commands::mailroom::log(&cli.global, args),
        Command::Seal(args) => commands::parcel::seal(&cli.global, args),
        Command::Open(args) => commands::parcel::open(&cli.global, args),
        Command::Inspect(args) => commands::parcel::inspect(&cli.global, args),
        Command::Join(args) => commands::cluster::join(&cli.global, args),
        Command::Roster(cmd) => commands::cluster::roster(&cli.global, cmd),
        Command::Members(args) => commands::cluster::members(&cli.global, args),
        Command::Verify(args) => commands::cluster::verify(&cli.global, args),
        Command::Cluster(cmd) => commands::cluster::cluster(&cli.global, cmd),
        Command::Relay(cmd) => commands::relay::relay(&cli.global, cmd),
        Command::RelayToken(args) => commands::relay::token(&cli.global, args.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(json);
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout as clap prints them; a usage mistake becomes one line on
/// stderr (and the JSON error on stdout with `--json`), with exit code 2 as clap would give.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(2);
    }
    // The first paragraph is the reason (a missing argument is named on the next lines); the
    // usage and "try --help" paragraphs follow.
    let rendered = e.render().to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = paragraph.join(" ");
    let reason = joined.strip_prefix("error: ").unwrap_or(&joined);
    let json = std::env::args().any(|a| a == "--json");
    Failure::new("usage", format!("{reason} (see `sealpost --help`)")).report(json);
    ExitCode::from(2)
}

impl Command {
    fn wants_json(&self) -> bool {
        match self {
            Command::Init(a) => a.json,
            Command::Whoami(a) => a.json,
            Command::Identity(c) => c.wants_json(),
            Command::Scan(a) => a.json,
            Command::Pseudonymize(a) => a.json,
            Command::Send(a) => a.json(),
            Command::Sync(a) => a.json,
            Command::Outbox(a) | Command::Inbox(a) => a.json,
            Command::Sent(a) => a.json,
            Command::Correct(a) => a.json(),
            Command::Delete(a) => a.json(),
            Command::Product(c) => c.wants_json(),
            Command::Concern(c) => c.wants_json(),
            Command::Rights(c) => c.wants_json(),
            Command::Log(a) => a.json,
            Command::Seal(a) => a.json,
            Command::Open(a) => a.json,
            Command::Inspect(a) => a.json,
            Command::Join(a) => a.json,
            Command::Roster(c) => c.wants_json(),
            Command::Members(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Cluster(c) => c.wants_json(),
            Command::Relay(c) => c.wants_json(),
            Command::RelayToken(a) => a.json,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap checks its definitions (unique names, valid defaults) only when a command is
    /// parsed; this checks every subcommand at once.
    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
