//! `cluster …` (the coordinator's commands and a member's key change), `join`, `roster …`,
//! `members` and `verify`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use sealpost_core::coordinator::{
    self, Approved, CoordinatorError, Desk, INVITE_VALIDITY, PendingRequest, ROSTER_VALIDITY,
    RequestRef,
};
use sealpost_core::format::enrol::Invite;
use sealpost_core::format::roster::{
    MemberStatus, Policy, Role, Roster, RosterError, SignedRoster, VerifiedRoster, rfc3339,
};
use sealpost_core::membership::{self, Imported, Membership, MembershipError, RosterChange};
use sealpost_core::recovery::RecoveryKey;
use sealpost_core::relay::{Fetched, RelayClient, Shared};
use sealpost_core::{Home, KeystoreError};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::Global;
use crate::commands::identity::{unlock, unlock_keeping_passphrase};
use crate::failure::Failure;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Create a cluster with you as its coordinator (roster version 1)
    Create(CreateArgs),
    /// Invite one member: prints an invite code on the last line
    Invite(InviteArgs),
    /// List pending join and key-change requests (add request files with --add)
    Requests(RequestsArgs),
    /// Approve a join or key-change request (by id or file): the next roster version
    Approve(DecideArgs),
    /// Drop a pending request without approving it
    Reject(DecideArgs),
    /// Remove a member from the cluster: the next roster version
    Remove(MemberArgs),
    /// Change your keys: members get a request for the coordinator; the coordinator signs the
    /// next roster with the old key
    RotateKey(RotateKeyArgs),
    /// Hand the coordinator key over to another member
    Handover(MemberArgs),
    /// Issue the same roster again with a later expiry
    Renew(RenewArgs),
    /// Upload the roster you hold to the cluster's relay
    Publish(crate::commands::relay::JsonArg),
    /// The cluster's offline recovery key: create it (every parcel is then also sealed to
    /// it) or stop using it
    #[command(subcommand)]
    RecoveryKey(RecoveryKeyCommand),
    /// Open the parcels of a member who lost their key, with the recovery key
    Recover(RecoverArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RecoveryKeyCommand {
    /// Make a recovery key, write it under a passphrase, and name it in the next roster
    Create(RecoveryKeyCreateArgs),
    /// Stop sealing new parcels to the recovery key (the next roster names none)
    Remove(crate::commands::relay::JsonArg),
}

#[derive(Debug, Args)]
pub(crate) struct RecoveryKeyCreateArgs {
    /// Where to write the recovery key (never overwritten); keep it offline
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// A file holding the passphrase that protects the key file (else asked for)
    #[arg(long, value_name = "FILE")]
    key_passphrase_file: Option<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RecoverArgs {
    /// The recovery key file
    #[arg(long, value_name = "FILE")]
    recovery_key: PathBuf,
    /// A file holding the recovery key's passphrase (else asked for)
    #[arg(long, value_name = "FILE")]
    key_passphrase_file: Option<PathBuf>,
    /// The folder of parcels: the member's `vault` folder, or parcel files gathered from
    /// their senders
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Where to write each parcel's files (one folder per parcel)
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

impl ClusterCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            ClusterCommand::Create(a) => a.json,
            ClusterCommand::Invite(a) => a.json,
            ClusterCommand::Requests(a) => a.json,
            ClusterCommand::Approve(a) | ClusterCommand::Reject(a) => a.json,
            ClusterCommand::Remove(a) | ClusterCommand::Handover(a) => a.json,
            ClusterCommand::RotateKey(a) => a.json,
            ClusterCommand::Renew(a) => a.json,
            ClusterCommand::RecoveryKey(RecoveryKeyCommand::Create(a)) => a.json,
            ClusterCommand::RecoveryKey(RecoveryKeyCommand::Remove(a)) => a.json,
            ClusterCommand::Recover(a) => a.json,
            ClusterCommand::Publish(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The cluster's name, e.g. "Myanmar Protection Cluster"
    #[arg(long)]
    name: String,
    /// Days the relay keeps every blob (one value for all labels)
    #[arg(long, value_name = "DAYS", default_value_t = Policy::default().relay_retention_days)]
    relay_retention_days: u32,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InviteArgs {
    /// The role the new member gets: imo, partner or coordinator
    #[arg(long)]
    role: Role,
    /// The member's organisation (fixed by you; otherwise the one they give)
    #[arg(long)]
    org: Option<String>,
    /// How long the invite stays valid: e.g. 7d, 48h, 2w
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    expires: Option<Duration>,
    /// The relay the cluster uses (https://…), carried in the code
    #[arg(long, value_name = "URL")]
    relay: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RequestsArgs {
    /// Request files received from members (by chat, email or USB) to add to the list
    #[arg(long, value_name = "FILE", num_args = 1..)]
    add: Vec<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DecideArgs {
    /// A pending request's id (from `sealpost cluster requests`), or a request file
    request: String,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MemberArgs {
    /// The member's name or member id
    member: String,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateKeyArgs {
    /// Where to write the key-change request for the coordinator (members only)
    #[arg(long, value_name = "FILE", default_value = "sealpost-key-change.json")]
    out: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RenewArgs {
    /// How long the renewed roster stays valid: e.g. 90d
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    valid_for: Option<Duration>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JoinArgs {
    /// The invite code from your coordinator (SP-…)
    invite: String,
    /// Where to write the join request for the coordinator
    #[arg(
        long,
        value_name = "REQUEST",
        default_value = "sealpost-join-request.json"
    )]
    out: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RosterCommand {
    /// Accept a roster from your coordinator (several files: oldest first)
    Import(RosterImportArgs),
    /// Write the roster you hold (or an earlier version) to a file, to pass on
    Export(RosterExportArgs),
    /// Fetch the roster from the cluster's relay and accept it under the roster rules
    Pull(crate::commands::relay::JsonArg),
}

impl RosterCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            RosterCommand::Import(a) => a.json,
            RosterCommand::Export(a) => a.json,
            RosterCommand::Pull(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RosterImportArgs {
    /// Roster files, oldest version first
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RosterExportArgs {
    /// Where to write it (never overwritten)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// An earlier version instead of the current one
    #[arg(long, value_name = "N")]
    roster_version: Option<u64>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MembersArgs {
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The member's name or member id
    member: String,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

/// `7d`, `48h`, `30m`, `2w`: how long something stays valid.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration: write a number and a unit, e.g. 7d, 48h, 2w");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let duration = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => return Err(bad()),
    };
    Ok(duration)
}

fn date(t: OffsetDateTime) -> String {
    rfc3339(t)
}

fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What commands that produce a roster version report in JSON.
#[derive(Serialize)]
struct RosterReport<'a> {
    cluster_id: String,
    cluster_name: &'a str,
    version: u64,
    hash: String,
    issued_at: String,
    expires_at: String,
}

impl<'a> RosterReport<'a> {
    fn of(v: &'a VerifiedRoster) -> Self {
        let r = v.roster();
        Self {
            cluster_id: r.cluster_id.to_string(),
            cluster_name: &r.name,
            version: r.version,
            hash: v.hash().to_string(),
            issued_at: date(r.issued_at),
            expires_at: date(r.expires_at),
        }
    }
}

/// How a roster's publication reads in JSON.
trait SharedJson {
    fn json(&self) -> serde_json::Value;
}

impl SharedJson for Shared {
    fn json(&self) -> serde_json::Value {
        match self {
            Shared::NoRelay => serde_json::Value::Null,
            Shared::Published { url } => serde_json::json!({"url": url, "published": true}),
            Shared::Failed { url, error } => serde_json::json!({
                "url": url,
                "published": false,
                "error": crate::commands::relay::error_json(error),
            }),
        }
    }
}

/// The lines after a roster change on the coordinator's side: where it went, what to do.
fn print_next_roster(v: &VerifiedRoster, shared: &Shared) {
    let r = v.roster();
    println!(
        "Roster version {} signed; valid until {}.",
        r.version,
        date(r.expires_at)
    );
    match shared {
        Shared::NoRelay => println!(
            "Send it to every member: sealpost roster export -o roster-v{}.json",
            r.version
        ),
        Shared::Published { url } => println!(
            "Published it to the relay at {url}; members get it with `sealpost roster pull`."
        ),
        Shared::Failed { url, error } => {
            println!("Could not publish it to the relay at {url}: {error}");
            println!(
                "It is kept here: run `sealpost cluster publish` when the relay can be reached, \
                 or send it as a file: sealpost roster export -o roster-v{}.json",
                r.version
            );
        }
    }
}

pub(crate) fn cluster(global: &Global, command: &ClusterCommand) -> Result<(), Failure> {
    let home = global.home()?;
    let now = OffsetDateTime::now_utc();
    match command {
        ClusterCommand::Create(args) => create(global, &home, args, now),
        ClusterCommand::Invite(args) => invite(global, &home, args, now),
        ClusterCommand::Requests(args) => requests(global, &home, args, now),
        ClusterCommand::Approve(args) => approve(global, &home, args, now),
        ClusterCommand::Reject(args) => {
            let me = unlock(global)?;
            Desk::open(&home, &me)?.reject(&args.request)?;
            if args.json {
                print_json(&serde_json::json!({"rejected": args.request}));
            } else {
                println!("Dropped request {}; the roster is unchanged.", args.request);
            }
            Ok(())
        }
        ClusterCommand::Remove(args) => {
            let me = unlock(global)?;
            let done = Desk::open(&home, &me)?.remove(&args.member, now)?;
            report_change(&home, &done, args.json, || {
                println!(
                    "Removed {}: nothing new can be sealed to them, and parcels from them are \
                     flagged as from a removed member.",
                    done.name
                );
                println!(
                    "What they already received stays readable to them; the relay will refuse \
                     them once it holds this roster."
                );
            });
            Ok(())
        }
        ClusterCommand::Handover(args) => {
            let me = unlock(global)?;
            let done = Desk::open(&home, &me)?.handover(&args.member, now)?;
            report_change(&home, &done, args.json, || {
                println!(
                    "Handed the coordinator key over to {}: from now on only their key can sign \
                     the roster.",
                    done.name
                );
                println!(
                    "Send them this roster first; once they import it, they are the coordinator."
                );
            });
            Ok(())
        }
        ClusterCommand::Renew(args) => {
            let me = unlock(global)?;
            let roster =
                Desk::open(&home, &me)?.renew(args.valid_for.unwrap_or(ROSTER_VALIDITY), now)?;
            let shared = Shared::of(&home, &roster);
            if args.json {
                let mut report =
                    serde_json::to_value(RosterReport::of(&roster)).expect("a report serialises");
                report["relay"] = shared.json();
                print_json(&report);
            } else {
                print_next_roster(&roster, &shared);
            }
            Ok(())
        }
        ClusterCommand::RotateKey(args) => rotate_key(global, &home, args, now),
        ClusterCommand::Publish(args) => crate::commands::relay::publish(global, args.json),
        ClusterCommand::RecoveryKey(command) => recovery_key(global, &home, command, now),
        ClusterCommand::Recover(args) => recover(&home, args),
    }
}

fn recovery_key(
    global: &Global,
    home: &Home,
    command: &RecoveryKeyCommand,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let me = unlock(global)?;
    let desk = Desk::open(home, &me)?;
    let (roster, recipient, json) = match command {
        RecoveryKeyCommand::Create(args) => {
            // Checked before a key is made: the file must not exist and a roster must be held.
            if args.output.exists() {
                return Err(KeystoreError::OutputExists {
                    path: args.output.display().to_string(),
                }
                .into());
            }
            let passphrase = crate::secrets::new(
                args.key_passphrase_file.as_deref(),
                "the recovery key",
                "give --key-passphrase-file FILE",
            )?;
            let key = RecoveryKey::generate();
            let cluster = Membership::new(home).require()?.roster().name.clone();
            key.write(&args.output, &cluster, &passphrase)?;
            let roster = desk.set_recovery_recipient(Some(key.recipient()), now)?;
            (roster, Some(key.recipient()), args.json)
        }
        RecoveryKeyCommand::Remove(args) => {
            (desk.set_recovery_recipient(None, now)?, None, args.json)
        }
    };
    let shared = Shared::of(home, &roster);
    if json {
        let mut report =
            serde_json::to_value(RosterReport::of(&roster)).expect("a report serialises");
        report["recovery_recipient"] = serde_json::json!(recipient);
        report["relay"] = shared.json();
        print_json(&report);
        return Ok(());
    }
    match (&recipient, command) {
        (Some(recipient), RecoveryKeyCommand::Create(args)) => {
            println!(
                "Wrote the recovery key to {} under the passphrase you gave.",
                args.output.display()
            );
            println!(
                "Keep it offline (a USB stick in a safe, or printed) and the passphrase apart \
                 from it: whoever has both can open every parcel sealed from now on."
            );
            println!("Its public key, named in the roster's policy: {recipient}");
            println!(
                "Parcels sealed before this roster reaches a member's app are not sealed to it."
            );
        }
        _ => println!(
            "The next roster names no recovery key: new parcels are sealed to their addressees \
             only. Parcels sealed before stay recoverable with the old key."
        ),
    }
    print_next_roster(&roster, &shared);
    Ok(())
}

fn recover(home: &Home, args: &RecoverArgs) -> Result<(), Failure> {
    let passphrase = crate::secrets::existing(
        args.key_passphrase_file.as_deref(),
        "the recovery key",
    )?
    .ok_or_else(|| {
        Failure::new(
            "passphrase-required",
            "the recovery key is protected by a passphrase; give --key-passphrase-file FILE",
        )
    })?;
    let key = RecoveryKey::read(&args.recovery_key, &passphrase)?;
    let roster = Membership::new(home).require()?;
    let report = sealpost_core::recovery::recover(&key, roster.roster(), &args.from, &args.output)?;
    let count = |outcome: &str| report.iter().filter(|p| p.outcome == outcome).count();
    let (recovered, skipped) = (count("recovered"), count("skipped"));
    let lost = report.len() - recovered - skipped;
    if args.json {
        print_json(&serde_json::json!({
            "parcels": report,
            "recovered": recovered,
            "skipped": skipped,
            "not_recovered": lost,
        }));
    } else {
        for p in &report {
            match p.outcome.as_str() {
                "recovered" => println!(
                    "recovered  {}  {} file(s) from {} [{}] -> {}",
                    p.parcel_id.as_deref().unwrap_or("?"),
                    p.files,
                    p.sender.as_deref().unwrap_or("?"),
                    p.label.as_deref().unwrap_or("?"),
                    p.dir.as_deref().unwrap_or("?")
                ),
                "skipped" => {}
                "not-sealed-to-recovery-key" => println!(
                    "not sealed to the recovery key  {}: nobody can open it now; ask its sender \
                     to send it again",
                    p.file
                ),
                _ => println!(
                    "failed  {}: {}",
                    p.file,
                    p.message.as_deref().unwrap_or("?")
                ),
            }
        }
        println!(
            "{recovered} parcel(s) with files recovered into {} ({skipped} receipt(s) and \
             request(s) without files skipped). Hand the files back to the member sealed to \
             their new key (`sealpost send FILE… --to MEMBER`), then delete that folder.",
            args.output.display()
        );
    }
    if lost > 0 {
        return Err(Failure::new(
            "some-parcels-not-recovered",
            format!("{lost} parcel(s) could not be recovered (listed above)"),
        )
        .already_shown(args.json));
    }
    Ok(())
}

fn report_change(home: &Home, done: &Approved, json: bool, words: impl FnOnce()) {
    let shared = Shared::of(home, &done.roster);
    if json {
        print_json(&serde_json::json!({
            "member": done.name,
            "change": done.what,
            "roster": RosterReport::of(&done.roster),
            "relay": shared.json(),
        }));
    } else {
        words();
        print_next_roster(&done.roster, &shared);
    }
}

fn create(
    global: &Global,
    home: &Home,
    args: &CreateArgs,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let me = unlock(global)?;
    let policy = Policy {
        relay_retention_days: args.relay_retention_days,
        ..Policy::default()
    };
    if !(1..=3650).contains(&policy.relay_retention_days) {
        return Err(Failure::new(
            "invalid-argument",
            "--relay-retention-days must be between 1 and 3650",
        ));
    }
    let first = coordinator::create_cluster(home, &me, &args.name, policy, now)?;
    let r = first.roster();
    if args.json {
        print_json(&RosterReport::of(&first));
        return Ok(());
    }
    println!(
        "Created the cluster {:?} ({}); you are its coordinator.",
        r.name, r.cluster_id
    );
    println!(
        "Roster version 1 is signed with your key and valid until {}.",
        date(r.expires_at)
    );
    println!(
        "Policy: the relay keeps every parcel {} days, whatever its label. In members' apps:",
        r.policy.relay_retention_days
    );
    for label in sealpost_core::format::Label::ALL {
        let h = r.policy.labels.get(label);
        println!(
            "  {:<20} kept {}; pseudonymisation {}; forwarding {}",
            label.as_str(),
            h.local_retention_days
                .map_or_else(|| "until deleted".to_owned(), |d| format!("{d} days")),
            if h.pseudonymise_prompt {
                "offered"
            } else {
                "not prompted"
            },
            if h.forwarding_allowed {
                "allowed"
            } else {
                "not allowed"
            },
        );
    }
    println!("Next: invite members, e.g. sealpost cluster invite --role imo");
    Ok(())
}

fn invite(
    global: &Global,
    home: &Home,
    args: &InviteArgs,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let me = unlock(global)?;
    let desk = Desk::open(home, &me)?;
    let invite = desk.invite(
        args.role,
        args.org.clone(),
        args.expires.unwrap_or(INVITE_VALIDITY),
        args.relay.clone(),
        now,
    )?;
    let code = invite.to_code();
    if args.json {
        print_json(&serde_json::json!({
            "invite_id": invite.secret.id().to_string(),
            "role": args.role,
            "org": args.org,
            "expires_at": date(invite.expires_at),
            "relay": invite.relay,
            "code": code,
        }));
        return Ok(());
    }
    println!(
        "Invite {} for one {}{}, valid until {}.",
        invite.secret.id(),
        args.role,
        args.org
            .as_deref()
            .map_or_else(String::new, |o| format!(" of {o}")),
        date(invite.expires_at)
    );
    let then = if invite.relay.is_some() {
        "their request reaches you through the relay (`sealpost cluster requests`)"
    } else {
        "they send you the request file it writes"
    };
    println!(
        "Give the code to that person only (read it by phone, or send it by chat); they run \
         `sealpost join CODE` and {then}."
    );
    println!("{code}");
    Ok(())
}

#[derive(Serialize)]
struct RequestsReport<'a> {
    requests: &'a [PendingRequest],
    relay: serde_json::Value,
}

/// How fetching join requests reads in JSON and for people.
trait FetchedReport {
    fn json(&self) -> serde_json::Value;
    fn tell(&self, to_stderr: bool);
}

impl FetchedReport for Fetched {
    fn json(&self) -> serde_json::Value {
        match self {
            Fetched::NoRelay => serde_json::Value::Null,
            Fetched::Collected { url, collected } => serde_json::json!({
                "url": url,
                "fetched": collected.received.len(),
                "discarded": collected.discarded,
            }),
            Fetched::Failed { url, error } => serde_json::json!({
                "url": url,
                "error": crate::commands::relay::error_json(error),
            }),
        }
    }

    /// A line or two for people; on stderr when stdout carries JSON.
    fn tell(&self, to_stderr: bool) {
        let say = |line: String| {
            if to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        };
        match self {
            Fetched::NoRelay => {}
            Fetched::Collected { url, collected } => {
                if !collected.received.is_empty() {
                    say(format!(
                        "Fetched {} join request(s) from the relay at {url}.",
                        collected.received.len()
                    ));
                }
                for why in &collected.discarded {
                    say(format!("Discarded {why}"));
                }
            }
            Fetched::Failed { url, error } => say(format!(
                "Could not fetch join requests from the relay at {url}: {error}. Showing the \
                 requests already here."
            )),
        }
    }
}

fn requests(
    global: &Global,
    home: &Home,
    args: &RequestsArgs,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let me = unlock(global)?;
    let desk = Desk::open(home, &me)?;
    for file in &args.add {
        let bytes = read_request(file)?;
        desk.receive(&bytes, now)?;
    }
    let fetched = Fetched::from_relay(home, &desk, &me, now);
    let list = desk.requests(now)?;
    if args.json {
        fetched.tell(true);
        print_json(&RequestsReport {
            requests: &list,
            relay: fetched.json(),
        });
        return Ok(());
    }
    fetched.tell(false);
    if list.is_empty() {
        match fetched {
            Fetched::NoRelay => println!("No pending requests. Add request files with --add FILE."),
            _ => println!(
                "No pending requests: none on the relay, none added from files (--add FILE)."
            ),
        }
        return Ok(());
    }
    println!("{} pending request(s):", list.len());
    for r in &list {
        let who = format!(
            "{} ({})",
            r.name.as_deref().unwrap_or("?"),
            r.org.as_deref().unwrap_or("?")
        );
        let role = r
            .role
            .map_or_else(String::new, |role| format!(" as {role}"));
        println!("  {}  {}  {who}{role}", r.id, r.kind);
        if let Some(fp) = &r.fingerprint {
            println!("      fingerprint {fp}  (compare with their `sealpost whoami` by phone)");
        }
        match &r.problem {
            None => println!("      can be approved: sealpost cluster approve {}", r.id),
            Some(problem) => println!("      cannot be approved: {problem}"),
        }
    }
    Ok(())
}

pub(crate) fn read_request(path: &Path) -> Result<Vec<u8>, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::new("io", format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > sealpost_core::format::enrol::MAX_REQUEST_BYTES as u64 {
        return Err(Failure::new(
            "invalid-request",
            format!(
                "{} is {} bytes: too large to be a Sealpost request file",
                path.display(),
                meta.len()
            ),
        ));
    }
    std::fs::read(path)
        .map_err(|e| Failure::new("io", format!("cannot read {}: {e}", path.display())))
}

fn approve(
    global: &Global,
    home: &Home,
    args: &DecideArgs,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let me = unlock(global)?;
    let desk = Desk::open(home, &me)?;
    let path = Path::new(&args.request);
    let bytes;
    let request = if path.is_file() {
        bytes = read_request(path)?;
        desk.load_request(RequestRef::Bytes(&bytes))?
    } else {
        let id = RequestRef::Id(&args.request);
        match desk.load_request(id) {
            Ok(request) => request,
            // Not on the desk yet: it may still be waiting on the relay. (One already here is
            // approved without asking the relay, which may be out of reach.)
            Err(_) => {
                Fetched::from_relay(home, &desk, &me, now).tell(true);
                desk.load_request(id)?
            }
        }
    };
    let done = desk.approve(&request, now)?;
    report_change(home, &done, args.json, || match done.what {
        "joined" => {
            let m = done
                .roster
                .roster()
                .members
                .iter()
                .find(|m| m.name == done.name);
            println!(
                "Approved: {} joined{}.",
                done.name,
                m.map_or_else(String::new, |m| format!(
                    " as {} of {}",
                    roles(&m.roles),
                    m.org
                ))
            );
        }
        _ => println!("Approved the key change of {}.", done.name),
    });
    Ok(())
}

fn rotate_key(
    global: &Global,
    home: &Home,
    args: &RotateKeyArgs,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let (me, passphrase) = unlock_keeping_passphrase(global)?;
    // The coordinator approves their own change at once: the roster naming the new key is
    // signed with the old one.
    let desk = match Desk::open(home, &me) {
        Ok(desk) => Some(desk),
        Err(CoordinatorError::NotCoordinator { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(desk) = desk {
        let (new, roster) = desk.rotate_own_key(passphrase.as_ref(), now)?;
        let shared = Shared::of(home, &roster);
        if args.json {
            print_json(&serde_json::json!({
                "change": "keys-changed",
                "fingerprint": new.card().fingerprint,
                "roster": RosterReport::of(&roster),
                "relay": shared.json(),
            }));
        } else {
            println!(
                "Your keys changed; your new fingerprint is {}.",
                new.card().fingerprint
            );
            println!("The new roster names your new coordinator key, signed with the old one.");
            print_next_roster(&roster, &shared);
        }
        return Ok(());
    }
    let change = coordinator::request_key_change(home, &me, now)?;
    write_new_file(&args.out, &change.to_json())?;
    if args.json {
        print_json(&serde_json::json!({
            "request_id": change.id(),
            "out": args.out.display().to_string(),
        }));
        return Ok(());
    }
    println!(
        "Wrote your key-change request to {} (public keys only, signed with your old and new \
         keys).",
        args.out.display()
    );
    println!(
        "Send it to your coordinator. You keep using your current keys until you import the \
         roster that lists the new ones; then the new keys take over, and parcels sealed to the \
         old ones still open."
    );
    Ok(())
}

/// Writes a file that must not exist yet, atomically.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    sealpost_core::write_new_file(path, bytes).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Failure::new(
            "output-exists",
            format!(
                "{} already exists; choose another name or move it away",
                path.display()
            ),
        ),
        _ => Failure::new("io", format!("cannot write {}: {e}", path.display())),
    })
}

pub(crate) fn join(global: &Global, args: &JoinArgs) -> Result<(), Failure> {
    let home = global.home()?;
    let invite = Invite::from_code(&args.invite).map_err(|e| Failure::new("invalid-invite", e))?;
    if args.out.exists() {
        return Err(Failure::new(
            "output-exists",
            format!(
                "{} already exists; choose another name with --out, or move it away",
                args.out.display()
            ),
        ));
    }
    let me = unlock(global)?;
    let request = Membership::new(&home).join(&invite, &me, OffsetDateTime::now_utc())?;
    // The file first: it is the fallback if the relay cannot be reached.
    write_new_file(&args.out, &request.to_json())?;
    let sent = invite
        .relay
        .as_deref()
        .map(|url| RelayClient::new(url).submit_join_request(&request));
    if args.json {
        print_json(&serde_json::json!({
            "cluster_id": invite.cluster_id.to_string(),
            "coordinator_pin": invite.coordinator.to_string(),
            "relay": invite.relay,
            "request_id": request.id(),
            "out": args.out.display().to_string(),
            "sent_to_relay": sent.as_ref().is_some_and(Result::is_ok),
            "relay_error": match &sent {
                Some(Err(e)) => crate::commands::relay::error_json(e),
                _ => serde_json::Value::Null,
            },
        }));
        return Ok(());
    }
    println!(
        "Joining cluster {}; pinned the coordinator key {}.",
        invite.cluster_id, invite.coordinator
    );
    if let Some(relay) = &invite.relay {
        println!("The cluster's relay: {relay}");
    }
    println!(
        "Wrote your join request to {} (public keys only, sealed with the invite code).",
        args.out.display()
    );
    match &sent {
        Some(Ok(_)) => println!(
            "Sent it to the relay too: your coordinator sees it with `sealpost cluster requests`."
        ),
        Some(Err(e)) => println!(
            "Could not send it to the relay ({e}). Send the file to your coordinator instead, or \
             run `sealpost relay send-request {}` when you are back online.",
            args.out.display()
        ),
        None => println!("Send the file to your coordinator (by chat, email or USB)."),
    }
    println!("Your fingerprint: {}", me.card().fingerprint);
    println!(
        "Read your fingerprint to your coordinator by phone. Once they approve, run `sealpost \
         roster pull` (or `sealpost roster import FILE` with the roster they send you)."
    );
    Ok(())
}

#[derive(Serialize)]
struct ImportReport<'a> {
    #[serde(flatten)]
    roster: RosterReport<'a>,
    unchanged: bool,
    changes: &'a [RosterChange],
    key_change_completed: bool,
}

pub(crate) fn roster(global: &Global, command: &RosterCommand) -> Result<(), Failure> {
    let home = global.home()?;
    match command {
        RosterCommand::Import(args) => import(global, &home, args),
        RosterCommand::Pull(args) => crate::commands::relay::pull(global, args.json),
        RosterCommand::Export(args) => {
            let membership = Membership::new(&home);
            let (signed, version) = match args.roster_version {
                Some(n) => (membership.version(n)?, n),
                None => {
                    let held = membership.require()?;
                    (held.signed().clone(), held.roster().version)
                }
            };
            write_new_file(&args.output, &signed.to_json())?;
            if args.json {
                print_json(&serde_json::json!({
                    "version": version,
                    "hash": signed.hash().to_string(),
                    "output": args.output.display().to_string(),
                }));
            } else {
                println!(
                    "Wrote roster version {version} to {}. It is signed; members check it \
                     with `sealpost roster import`.",
                    args.output.display()
                );
            }
            Ok(())
        }
    }
}

fn import(global: &Global, home: &Home, args: &RosterImportArgs) -> Result<(), Failure> {
    let membership = Membership::new(home);
    let (mut me, passphrase) = unlock_keeping_passphrase(global)?;
    let mut rosters = Vec::new();
    for file in &args.files {
        let json = std::fs::read(file)
            .map_err(|e| Failure::new("io", format!("cannot read {}: {e}", file.display())))?;
        let signed = SignedRoster::from_json(&json).map_err(|e| {
            let e = MembershipError::from(e);
            Failure::new(e.code(), format!("{}: {e}", file.display()))
        })?;
        rosters.push(signed);
    }
    let now = OffsetDateTime::now_utc();
    // All files are checked as one chain before any is held: all or none.
    let reports: Vec<Option<Imported>> =
        match membership.import_chain(rosters, &me, passphrase.as_ref(), now) {
            Ok(list) => list.into_iter().map(Some).collect(),
            Err(MembershipError::Roster(RosterError::Unchanged { .. })) => vec![None],
            Err(MembershipError::InChain { position, source }) => {
                let file = args.files[position].display();
                return Err(Failure::new(
                    source.code(),
                    format!("{file}: {source} (nothing was imported)"),
                ));
            }
            Err(e @ MembershipError::Roster(_)) => {
                return Err(Failure::new(
                    e.code(),
                    format!("{}: {e}", args.files[0].display()),
                ));
            }
            Err(e) => return Err(e.into()),
        };
    if reports.iter().flatten().any(|i| i.key_change_completed) {
        me = home.unlock(passphrase.as_ref())?;
    }
    let held = membership.require()?;
    if args.json {
        let list: Vec<ImportReport<'_>> = reports
            .iter()
            .map(|imported| match imported {
                Some(i) => ImportReport {
                    roster: RosterReport::of(&i.roster),
                    unchanged: false,
                    changes: &i.changes,
                    key_change_completed: i.key_change_completed,
                },
                None => ImportReport {
                    roster: RosterReport::of(&held),
                    unchanged: true,
                    changes: &[],
                    key_change_completed: false,
                },
            })
            .collect();
        print_json(&serde_json::json!({ "imported": list }));
        return Ok(());
    }
    for imported in &reports {
        let Some(i) = imported else {
            println!(
                "You already hold this roster (version {}); nothing changed.",
                held.roster().version
            );
            continue;
        };
        let r = i.roster.roster();
        println!(
            "Accepted roster version {} of {:?}, signed by the coordinator; valid until {}.",
            r.version,
            r.name,
            date(r.expires_at)
        );
        for change in &i.changes {
            println!("  {}", describe(change));
        }
        if i.key_change_completed {
            println!(
                "  Your new keys are now in use (fingerprint {}); your old keys are kept to open \
                 parcels sealed to them.",
                me.card().fingerprint
            );
        }
    }
    let mine = held.roster().member(me.member_id());
    if mine.is_some_and(|m| m.status == MemberStatus::Removed) {
        println!(
            "You have been removed from this cluster: you can no longer send to its members. \
             Ask the coordinator if this is a mistake."
        );
    }
    Ok(())
}

fn describe(change: &RosterChange) -> String {
    match change {
        RosterChange::Added {
            name,
            org,
            roles: r,
        } => {
            format!("joined: {name} ({org}) as {}", roles(r))
        }
        RosterChange::Removed { name } => format!("removed: {name}"),
        RosterChange::Restored { name } => format!("active again: {name}"),
        RosterChange::KeysChanged { name } => {
            format!("new keys (signed by their old key): {name}; compare safety numbers again")
        }
        RosterChange::RolesChanged { name, roles: r } => format!("roles of {name}: {}", roles(r)),
        RosterChange::CoordinatorChanged { name } => {
            format!("the coordinator key is now held by {name}")
        }
        RosterChange::PolicyChanged => "the handling policy changed".into(),
        _ => "another change".into(),
    }
}

pub(crate) fn members(global: &Global, args: &MembersArgs) -> Result<(), Failure> {
    let home = global.home()?;
    let held = Membership::new(&home).require()?;
    let r = held.roster();
    let list = membership::member_entries(r, &home.profile()?.card());
    let expired = r.is_expired(OffsetDateTime::now_utc());
    if args.json {
        print_json(&serde_json::json!({
            "roster": RosterReport::of(&held),
            "expired": expired,
            "members": list,
        }));
        return Ok(());
    }
    print_roster_header(r, expired);
    for m in &list {
        let mut tags = vec![
            m.roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join("+"),
        ];
        if m.status == MemberStatus::Removed {
            tags.push("REMOVED".into());
        }
        if m.coordinator_key {
            tags.push("signs the roster".into());
        }
        if m.you {
            tags.push("you".into());
        }
        println!("  {} ({})  [{}]", m.name, m.org, tags.join(", "));
        println!("      {}  fingerprint {}", m.member_id, m.fingerprint);
    }
    Ok(())
}

fn print_roster_header(r: &Roster, expired: bool) {
    println!(
        "Cluster {:?}, roster version {}, valid until {}{}",
        r.name,
        r.version,
        date(r.expires_at),
        if expired {
            " (EXPIRED: ask the coordinator for the current roster)"
        } else {
            ""
        }
    );
}

/// A name as it would be typed in a shell: quoted when it has spaces or quotes.
fn shell_word(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || "-_.".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

pub(crate) fn verify(global: &Global, args: &VerifyArgs) -> Result<(), Failure> {
    let home = global.home()?;
    let held = Membership::new(&home).require()?;
    let member = membership::find_member(held.roster(), &args.member)?;
    // Public keys only: nothing is unlocked, no passphrase is asked for.
    let me = home.profile()?.card();
    let number = membership::safety_number(&me, member);
    if args.json {
        print_json(&serde_json::json!({
            "member_id": member.member_id.to_string(),
            "name": member.name,
            "org": member.org,
            "status": member.status,
            "safety_number": number,
        }));
        return Ok(());
    }
    println!(
        "Safety number between you and {} ({}). Read it to each other by phone or compare in \
         person; they run `sealpost verify {}` and must see the same digits. If they differ, \
         stop and tell the coordinator.",
        member.name,
        member.org,
        shell_word(&me.name)
    );
    if member.status == MemberStatus::Removed {
        println!("Note: {} has been removed from the cluster.", member.name);
    }
    println!("{number}");
    Ok(())
}
