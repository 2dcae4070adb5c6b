//! `send`, `sync`, `outbox`, `inbox`, `sent`, `correct`, `delete`, `log`, `open PARCEL_ID` and
//! `open --all`: the member's parcels through the relay. Every command is a thin layer over
//! `sealpost_core::mailroom`, which the desktop app calls too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use sealpost_core::mailroom::{
    InboxEntry, Mailroom, MailroomError, Outgoing, Queued, SentEntry, SyncOptions, SyncReport,
    sharing_log,
};
use sealpost_core::parcel::{Compression, FileSource};
use sealpost_format::Label;
use serde::Serialize;

use crate::Global;
use crate::commands::identity::unlock_keeping_passphrase;
use crate::commands::scan::{OverrideArg, review_label};
use crate::failure::Failure;
use crate::output::{Bar, print_json, size};
use crate::secrets;

impl From<MailroomError> for Failure {
    fn from(e: MailroomError) -> Self {
        Failure::new(e.code(), e)
    }
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The files to send
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Recipients: member names or ids from your roster, or `role:imo` (every IMO)
    #[arg(long = "to", value_name = "RECIPIENT", num_args = 1.., required = true)]
    to: Vec<String>,
    /// Confidentiality label: public, restricted, confidential or highly-confidential
    #[arg(long)]
    label: Label,
    /// A note for the recipients (sealed with the files)
    #[arg(long)]
    note: Option<String>,
    /// Do not compress (for files that are already compressed)
    #[arg(long)]
    no_compress: bool,
    #[command(flatten)]
    override_reason: OverrideArg,
    #[command(flatten)]
    after: AfterQueue,
}

/// What happens once a parcel is in the outbox.
#[derive(Debug, Args)]
struct AfterQueue {
    /// Only queue it; the next `sealpost sync` sends it
    #[arg(long)]
    no_sync: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Keep running: sync, wait, sync again (Ctrl-C to stop). With --json, one JSON line per
    /// pass
    #[arg(long)]
    watch: bool,
    /// Seconds between passes with --watch
    #[arg(long, default_value_t = 30, value_name = "SECONDS", requires = "watch")]
    interval: u64,
    /// Failed attempts in a row after which a transfer waits for the next pass
    #[arg(long, default_value_t = 6, value_name = "N")]
    patience: u32,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CorrectArgs {
    /// The parcel to correct (its id, from `sealpost sent`)
    parcel_id: String,
    /// The corrected files
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// A different label for the correction [default: the original's]
    #[arg(long)]
    label: Option<Label>,
    /// A note for the recipients
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    override_reason: OverrideArg,
    #[command(flatten)]
    after: AfterQueue,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The parcel to delete (its id, from `sealpost sent`)
    parcel_id: String,
    #[command(flatten)]
    after: AfterQueue,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Check the hash chain and the signed checkpoints; fails if anything was changed or
    /// removed
    #[arg(long)]
    verify: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

impl SendArgs {
    pub(crate) fn json(&self) -> bool {
        self.after.json
    }
}

impl CorrectArgs {
    pub(crate) fn json(&self) -> bool {
        self.after.json
    }
}

impl DeleteArgs {
    pub(crate) fn json(&self) -> bool {
        self.after.json
    }
}

/// `sealpost product …`: an IMO's information products.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ProductCommand {
    /// Publish a product (a report, a map, figures) made from received parcels: it goes to
    /// every member whose parcel is among the sources, and to no one else
    Publish(ProductPublishArgs),
}

impl ProductCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            ProductCommand::Publish(a) => a.after.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ProductPublishArgs {
    /// The product's files (a PDF, a spreadsheet, a note with a link)
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The received parcels it was made from (ids from `sealpost inbox`)
    #[arg(long, value_name = "PARCEL_ID", num_args = 1.., required = true)]
    sources: Vec<String>,
    /// Confidentiality label [default: what the sensitivity scan suggests for the files]
    #[arg(long)]
    label: Option<Label>,
    /// A note for the recipients
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    override_reason: OverrideArg,
    #[command(flatten)]
    after: AfterQueue,
}

/// `sealpost concern …`: reporting a concern, and handling one.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConcernCommand {
    /// Report a concern to the coordinator and the IMOs (and no one else)
    Report(ConcernReportArgs),
    /// The concerns you reported and those you handle, with their status
    List(crate::commands::relay::JsonArg),
    /// Tell the member who reported a concern what is being done
    Update(ConcernUpdateArgs),
}

impl ConcernCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            ConcernCommand::Report(a) => a.after.json,
            ConcernCommand::List(a) => a.json,
            ConcernCommand::Update(a) => a.after.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ConcernReportArgs {
    /// What happened, in your words
    #[arg(long)]
    note: String,
    /// Files that show it (optional)
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Confidentiality label
    #[arg(long, default_value = "confidential")]
    label: Label,
    #[command(flatten)]
    after: AfterQueue,
}

#[derive(Debug, Args)]
pub(crate) struct ConcernUpdateArgs {
    /// The concern (its id, from `sealpost concern list`)
    concern_id: String,
    /// Its status now: acknowledged, investigating, resolved or closed
    #[arg(long)]
    status: String,
    /// What you tell the reporter
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    after: AfterQueue,
}

pub(crate) fn concern(global: &Global, command: &ConcernCommand) -> Result<(), Failure> {
    let (mailroom, passphrase) = mailroom(global)?;
    let (queued, after, what) = match command {
        ConcernCommand::List(args) => return list_concerns(&mailroom, args.json),
        ConcernCommand::Report(args) => (
            mailroom.report_concern(
                args.note.clone(),
                files(&args.files)?,
                args.label,
                &Bar::new(),
            )?,
            &args.after,
            "Sealed concern",
        ),
        ConcernCommand::Update(args) => (
            mailroom.update_concern(
                &args.concern_id,
                &args.status,
                args.note.clone(),
                &Bar::new(),
            )?,
            &args.after,
            "Sealed concern update",
        ),
    };
    after_queue(&mailroom, passphrase.as_ref(), &queued, after, what)
}

fn list_concerns(mailroom: &Mailroom, json: bool) -> Result<(), Failure> {
    let concerns = mailroom.concerns()?;
    if json {
        print_json(&serde_json::json!({ "concerns": concerns }));
        return Ok(());
    }
    if concerns.is_empty() {
        println!("No concerns reported by you or to you.");
    }
    for c in &concerns {
        println!(
            "{}  [{}]  {}  {} by {} ({})",
            c.parcel_id, c.status, c.created_at, c.direction, c.reporter.name, c.reporter.org
        );
        if let Some(note) = &c.note {
            println!("    {note}");
        }
        for u in &c.updates {
            println!(
                "    {}  {} by {}{}",
                u.at,
                u.status,
                u.by,
                u.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// `sealpost rights …`: partners' rights requests (access, correction, deletion).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum RightsCommand {
    /// Ask the cluster's IMOs what they hold of your data and how it is used
    Access(RightsAccessArgs),
    /// Requests you made and requests you handle, with status, due date and overdue ones
    List(RightsListArgs),
    /// Answer a request you received: acknowledged, in-progress, done or declined
    Update(RightsUpdateArgs),
}

impl RightsCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            RightsCommand::Access(a) => a.after.json,
            RightsCommand::List(a) => a.json,
            RightsCommand::Update(a) => a.after.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RightsAccessArgs {
    /// What you ask for, in your words
    #[arg(long)]
    note: String,
    /// One parcel you sent that the request is about (else: everything you sent)
    #[arg(long, value_name = "PARCEL_ID")]
    about: Option<String>,
    #[command(flatten)]
    after: AfterQueue,
}

#[derive(Debug, Args)]
pub(crate) struct RightsListArgs {
    /// Only requests still open (not every handler answered done or declined)
    #[arg(long)]
    open: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RightsUpdateArgs {
    /// The request (its id, from `sealpost rights list`)
    request_id: String,
    /// Its status now: acknowledged, in-progress, done or declined
    #[arg(long)]
    status: String,
    /// What you tell the partner (required when declining)
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    after: AfterQueue,
}

pub(crate) fn rights(global: &Global, command: &RightsCommand) -> Result<(), Failure> {
    let (mailroom, passphrase) = mailroom(global)?;
    let (queued, after, what) = match command {
        RightsCommand::List(args) => return list_rights(&mailroom, args),
        RightsCommand::Access(args) => (
            mailroom.request_access(args.about.as_deref(), args.note.clone(), &Bar::new())?,
            &args.after,
            "Sealed access request",
        ),
        RightsCommand::Update(args) => (
            mailroom.update_request(
                &args.request_id,
                &args.status,
                args.note.clone(),
                &Bar::new(),
            )?,
            &args.after,
            "Sealed request update",
        ),
    };
    after_queue(&mailroom, passphrase.as_ref(), &queued, after, what)
}

fn list_rights(mailroom: &Mailroom, args: &RightsListArgs) -> Result<(), Failure> {
    let mut requests = mailroom.rights_requests()?;
    if args.open {
        requests.retain(|r| r.open);
    }
    if args.json {
        print_json(&serde_json::json!({ "requests": requests }));
        return Ok(());
    }
    if requests.is_empty() {
        println!(
            "{}",
            if args.open {
                "No open rights requests."
            } else {
                "No rights requests made by you or to you."
            }
        );
        return Ok(());
    }
    let overdue = requests.iter().filter(|r| r.overdue).count();
    if overdue > 0 {
        println!("{overdue} request(s) OVERDUE: answer them first.");
    }
    for r in &requests {
        let about = r
            .about
            .as_deref()
            .map_or_else(|| "everything sent".to_owned(), |id| format!("parcel {id}"));
        println!(
            "{}  {} request {} by {} ({}), about {}",
            r.request_id, r.right, r.direction, r.requester.name, r.requester.org, about
        );
        println!(
            "    made {}; due {}; {}{}",
            r.requested_at,
            r.due_at,
            if r.open { "open, " } else { "closed, " },
            if r.overdue {
                format!("{} — OVERDUE", r.status)
            } else {
                r.status.clone()
            }
        );
        if let Some(note) = &r.note {
            println!("    \"{note}\"");
        }
        for h in &r.handlers {
            println!("    {} ({}): {}", h.person.name, h.person.org, h.status);
            for e in &h.events {
                println!(
                    "      {}  {}{}",
                    e.at,
                    e.status,
                    e.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub(crate) fn product(global: &Global, command: &ProductCommand) -> Result<(), Failure> {
    let ProductCommand::Publish(args) = command;
    let files = files(&args.files)?;
    // Without --label, the scan's suggestion: a product is often aggregated enough to be
    // shared widely, and the scan says so when it is.
    let label = match args.label {
        Some(label) => label,
        None => {
            let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
            sealpost_core::review::Review::of(&paths).suggested
        }
    };
    let label_override = review_label(&args.files, label, &args.override_reason)?;
    let (mailroom, passphrase) = mailroom(global)?;
    let queued = mailroom.publish_product(
        files,
        &args.sources,
        label,
        label_override,
        args.note.clone(),
        &Bar::new(),
    )?;
    after_queue(
        &mailroom,
        passphrase.as_ref(),
        &queued,
        &args.after,
        "Sealed product",
    )
}

/// The member's mailroom, with the passphrase that unlocked it (a sync may import a roster
/// that completes a key change, which stores keys the same way).
fn mailroom(global: &Global) -> Result<(Mailroom, Option<sealpost_core::Passphrase>), Failure> {
    let home = global.home()?;
    let (me, passphrase) = unlock_keeping_passphrase(global)?;
    Ok((Mailroom::open(&home, me)?, passphrase))
}

fn files(paths: &[PathBuf]) -> Result<Vec<FileSource>, Failure> {
    Ok(paths
        .iter()
        .map(|p| FileSource::from_path(p))
        .collect::<Result<_, _>>()?)
}

#[derive(Serialize)]
struct QueuedReport<'a> {
    #[serde(flatten)]
    queued: &'a Queued,
    /// Whether the relay has it now (else it waits in the outbox).
    uploaded: bool,
    sync: Option<SyncReport>,
    sync_error: Option<String>,
}

/// The sync pass a command runs right after queueing something: one retry, so that an offline
/// laptop hears "waiting in the outbox" within seconds rather than after a minute of back-off.
fn quick() -> SyncOptions {
    SyncOptions {
        patience: 2,
        ..SyncOptions::default()
    }
}

/// Tries to send what was just queued, and says where it is.
fn after_queue(
    mailroom: &Mailroom,
    passphrase: Option<&sealpost_core::Passphrase>,
    queued: &Queued,
    after: &AfterQueue,
    what: &str,
) -> Result<(), Failure> {
    let (sync, sync_error) = if after.no_sync {
        (None, None)
    } else {
        match mailroom.sync(&quick(), passphrase, &Bar::new()) {
            Ok(report) => (Some(report), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let uploaded = sync
        .as_ref()
        .is_some_and(|r| r.sent.iter().any(|s| s.parcel_id == queued.parcel_id));
    if after.json {
        print_json(&QueuedReport {
            queued,
            uploaded,
            sync,
            sync_error,
        });
        return Ok(());
    }
    println!(
        "{what} {} ({}) for {}.",
        queued.parcel_id,
        size(queued.size),
        queued.recipients.join(", ")
    );
    if uploaded {
        println!("  Uploaded to the relay: the recipients get it at their next sync.");
    } else if after.no_sync {
        println!("  Waiting in the outbox; `sealpost sync` sends it.");
    } else {
        let why = sync_error
            .or_else(|| {
                sync.as_ref().and_then(|r| {
                    r.waiting
                        .iter()
                        .find(|w| w.parcel_id == queued.parcel_id)
                        .map(|w| w.reason.clone())
                        .or_else(|| r.problems.first().cloned())
                })
            })
            .unwrap_or_else(|| "not sent yet".into());
        println!("  Waiting in the outbox: {why}");
        println!("  It is sealed and safe; `sealpost sync` (or --watch) sends it when it can.");
    }
    Ok(())
}

pub(crate) fn send(global: &Global, args: &SendArgs) -> Result<(), Failure> {
    let files = files(&args.files)?;
    let label_override = review_label(&args.files, args.label, &args.override_reason)?;
    let (mailroom, passphrase) = mailroom(global)?;
    let queued = mailroom.send(
        Outgoing {
            files,
            to: args.to.clone(),
            label: args.label,
            label_override,
            note: args.note.clone(),
            compression: if args.no_compress {
                Compression::None
            } else {
                Compression::Zstd
            },
        },
        &Bar::new(),
    )?;
    after_queue(
        &mailroom,
        passphrase.as_ref(),
        &queued,
        &args.after,
        "Sealed parcel",
    )
}

pub(crate) fn correct(global: &Global, args: &CorrectArgs) -> Result<(), Failure> {
    let files = files(&args.files)?;
    let (mailroom, passphrase) = mailroom(global)?;
    // The correction keeps the original's label unless told otherwise; either way it is
    // checked against what the corrected files hold.
    let label = match args.label {
        Some(label) => label,
        None => mailroom.label_of(&args.parcel_id)?,
    };
    let label_override = review_label(&args.files, label, &args.override_reason)?;
    let queued = mailroom.correct(
        &args.parcel_id,
        files,
        Some(label),
        label_override,
        args.note.clone(),
        &Bar::new(),
    )?;
    after_queue(
        &mailroom,
        passphrase.as_ref(),
        &queued,
        &args.after,
        &format!("Correction of {}: parcel", args.parcel_id),
    )
}

pub(crate) fn delete(global: &Global, args: &DeleteArgs) -> Result<(), Failure> {
    let (mailroom, passphrase) = mailroom(global)?;
    let requested = mailroom.delete(&args.parcel_id)?;
    let sync = if args.after.no_sync {
        None
    } else {
        Some(mailroom.sync(&quick(), passphrase.as_ref(), &Bar::new()))
    };
    let (sync, sync_error) = match sync {
        Some(Ok(report)) => (Some(report), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    if args.after.json {
        #[derive(Serialize)]
        struct Report<'a> {
            #[serde(flatten)]
            requested: &'a sealpost_core::mailroom::DeletionRequested,
            sync: Option<SyncReport>,
            sync_error: Option<String>,
        }
        print_json(&Report {
            requested: &requested,
            sync,
            sync_error,
        });
        return Ok(());
    }
    match &requested.request_id {
        None => println!(
            "Parcel {} had not finished uploading: cancelled, and its partial upload is deleted \
             on the relay. Nobody received it.",
            requested.parcel_id
        ),
        Some(request) => {
            println!(
                "Asked {} to delete parcel {} (request {request}).",
                requested.recipients.join(", "),
                requested.parcel_id
            );
            println!(
                "  Their apps delete the sealed copy and the files opened into Sealpost's \
                 folder, and answer with a signed deletion receipt saying what they could not \
                 reach (files someone saved elsewhere). `sealpost sent` shows the receipts."
            );
        }
    }
    if let Some(e) = sync_error {
        println!("  Not sent yet ({e}); `sealpost sync` sends the request later.");
    }
    Ok(())
}

pub(crate) fn sync(global: &Global, args: &SyncArgs) -> Result<(), Failure> {
    let (mailroom, passphrase) = mailroom(global)?;
    let options = SyncOptions {
        patience: args.patience.max(1),
        ..SyncOptions::default()
    };
    loop {
        let report = mailroom.sync(&options, passphrase.as_ref(), &Bar::new());
        let report = match report {
            Ok(report) => report,
            // Another process is syncing: with --watch, wait for it; else say so.
            Err(MailroomError::SyncRunning) if args.watch => {
                std::thread::sleep(Duration::from_secs(args.interval));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if args.json {
            if args.watch {
                // One line per pass, so a program can follow along.
                println!(
                    "{}",
                    serde_json::to_string(&report).expect("reports serialise")
                );
                let _ = std::io::stdout().flush();
            } else {
                print_json(&report);
            }
        } else {
            print_sync(&report, args.watch);
        }
        if !args.watch {
            if report.waiting.is_empty() && report.problems.is_empty() {
                return Ok(());
            }
            let mut why = report.problems.clone();
            why.extend(report.waiting.iter().map(|w| w.reason.clone()));
            why.dedup();
            return Err(Failure::new(
                "sync-incomplete",
                format!(
                    "the sync did not finish: {}. {} parcel(s) wait in the outbox, sealed; the \
                     next sync sends them",
                    why.join("; "),
                    report.waiting.len()
                ),
            )
            .already_shown(args.json));
        }
        // Something still waiting after a failure: come back sooner than the interval.
        let wait = if report.waiting.is_empty() {
            args.interval
        } else {
            args.interval.min(10)
        };
        std::thread::sleep(Duration::from_secs(wait));
    }
}

fn print_sync(report: &SyncReport, quiet_when_idle: bool) {
    let idle = report.sent.is_empty()
        && report.received.is_empty()
        && report.rejected.is_empty()
        && report.erased.is_empty()
        && report.expired.is_empty()
        && report.waiting.is_empty()
        && report.problems.is_empty();
    if idle {
        if !quiet_when_idle {
            println!(
                "Up to date with {}: nothing to send or receive.",
                report.relay
            );
        }
        return;
    }
    for r in &report.received {
        match r.kind.as_str() {
            "receipt" => println!(
                "Receipt from {} ({}): {}.",
                r.sender.name, r.sender.org, r.summary
            ),
            "deletion-request" => println!(
                "{} ({}) asked to delete one of their parcels: done, and a deletion receipt \
                 was sent.",
                r.sender.name, r.sender.org
            ),
            kind => println!(
                "Received {kind} {} from {} ({}), label {}.",
                r.parcel_id, r.sender.name, r.sender.org, r.summary
            ),
        }
    }
    for id in &report.erased {
        println!(
            "Deleted parcel {id} at its sender's request. If you saved its files anywhere \
             outside Sealpost's folder, delete them too."
        );
    }
    for id in &report.expired {
        println!("Deleted parcel {id}: the cluster's retention for its label ran out.");
    }
    let receipts = report.sent.iter().filter(|s| s.kind == "receipt").count();
    for s in report.sent.iter().filter(|s| s.kind != "receipt") {
        print!("Sent {} {} ({})", s.kind, s.parcel_id, size(s.size));
        if s.resent_bytes > 0 {
            print!(", {} re-sent after interruptions", size(s.resent_bytes));
        }
        println!(".");
    }
    if receipts > 0 {
        println!(
            "Sent {receipts} signed receipt{} to senders.",
            if receipts == 1 { "" } else { "s" }
        );
    }
    for r in &report.rejected {
        println!("Refused a parcel (relay id {}): {}", r.blob_id, r.reason);
    }
    for w in &report.waiting {
        println!(
            "Waiting: {} ({} of {} on the relay): {}",
            w.parcel_id,
            size(w.confirmed),
            size(w.size),
            w.reason
        );
    }
    for p in &report.problems {
        println!("Problem: {p}");
    }
}

/// Prints a list of parcels: `{"parcels": [...]}` with `--json`, else each entry, or a line
/// saying the list is empty.
fn print_parcels<T: Serialize>(json: bool, parcels: &[T], empty: &str, print: impl Fn(&T)) {
    if json {
        print_json(&serde_json::json!({ "parcels": parcels }));
    } else if parcels.is_empty() {
        println!("{empty}");
    } else {
        parcels.iter().for_each(print);
    }
}

pub(crate) fn outbox(global: &Global, json: bool) -> Result<(), Failure> {
    let (mailroom, _) = mailroom(global)?;
    let entries = mailroom.outbox()?;
    print_parcels(
        json,
        &entries,
        "The outbox is empty: everything was sent.",
        |e| {
            println!(
                "{} {} to {}: {} of {} on the relay{}",
                e.kind,
                e.parcel_id,
                e.recipients.join(", "),
                size(e.confirmed),
                size(e.size),
                e.last_error
                    .as_ref()
                    .map(|err| format!(" (last attempt: {err})"))
                    .unwrap_or_default()
            );
        },
    );
    Ok(())
}

pub(crate) fn inbox(global: &Global, json: bool) -> Result<(), Failure> {
    let (mailroom, _) = mailroom(global)?;
    let parcels = mailroom.inbox()?;
    print_parcels(
        json,
        &parcels,
        "No parcels received yet. `sealpost sync` fetches new ones.",
        print_inbox_entry,
    );
    Ok(())
}

fn print_inbox_entry(p: &InboxEntry) {
    let sender = match p.sender_status.as_str() {
        "verified" => "verified",
        _ => "NOT verified by the roster",
    };
    println!(
        "{}  [{}]  {} ({}, {sender})  {}  {}",
        p.parcel_id, p.label, p.sender.name, p.sender.org, p.received_at, p.status
    );
    for f in &p.files {
        println!("    {}  {}", f.name, size(f.size));
    }
    if let Some(note) = &p.note {
        println!("    note: {note}");
    }
    if let Some(newer) = &p.superseded_by {
        println!("    superseded by the correction {newer}");
    }
}

#[derive(Debug, Args)]
pub(crate) struct SentArgs {
    /// Write the sharing log to FILE instead: FILE.csv (one row per parcel and recipient) or
    /// FILE.html (a page to read or print to PDF). Never replaces a file
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn sent(global: &Global, args: &SentArgs) -> Result<(), Failure> {
    if let Some(path) = &args.export {
        return export_sharing_log(global, path, args.json);
    }
    let (mailroom, _) = mailroom(global)?;
    let parcels = mailroom.sent()?;
    print_parcels(
        args.json,
        &parcels,
        "You have not sent a parcel through the relay yet.",
        print_sent_entry,
    );
    Ok(())
}

/// `sealpost sent --export FILE`: the sharing log as a file the partner keeps or hands on.
fn export_sharing_log(global: &Global, path: &Path, json: bool) -> Result<(), Failure> {
    let Some(format) = sharing_log::Format::of_file(path) else {
        return Err(Failure::new(
            "usage",
            format!(
                "--export {}: name the file FILE.csv (a spreadsheet) or FILE.html (to read or \
                 print to PDF)",
                path.display()
            ),
        ));
    };
    let (mailroom, _) = mailroom(global)?;
    let parcels = mailroom.sent()?.len();
    let bytes = mailroom.sharing_log(format)?;
    sealpost_core::write_new_file(path, &bytes).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it already exists: choose another name"
        } else {
            "check the folder exists and can be written"
        };
        Failure::new(
            "io",
            format!("cannot write {}: {e}; {hint}", path.display()),
        )
    })?;
    if json {
        print_json(&serde_json::json!({"path": path.display().to_string(), "parcels": parcels}));
    } else {
        println!(
            "Wrote the sharing log of {parcels} parcel(s) to {}.",
            path.display()
        );
    }
    Ok(())
}

fn print_sent_entry(p: &SentEntry) {
    let names: Vec<&str> = p.files.iter().map(|f| f.name.as_str()).collect();
    println!(
        "{}  [{}]  {}  {}  {}",
        p.parcel_id,
        p.label,
        p.created_at,
        p.status,
        names.join(", ")
    );
    if let Some(newer) = &p.superseded_by {
        println!("    superseded by your correction {newer}");
    }
    for r in &p.recipients {
        println!("    shared with {} ({})", r.person.name, r.person.org);
        if r.receipts.is_empty() {
            println!("        no receipt yet");
        }
        for receipt in &r.receipts {
            println!("        {}  {}", receipt.at, receipt.event);
            if let Some(detail) = &receipt.detail {
                println!("            {detail}");
            }
        }
    }
    for product in &p.products {
        let names: Vec<&str> = product.files.iter().map(|f| f.name.as_str()).collect();
        println!(
            "    product made from it: {} by {} ({}), {} [{}]",
            names.join(", "),
            product.publisher.name,
            product.publisher.org,
            product.received_at,
            product.parcel_id
        );
        if let Some(note) = &product.note {
            println!("        {note}");
        }
    }
}

pub(crate) fn log(global: &Global, args: &LogArgs) -> Result<(), Failure> {
    let (mailroom, _) = mailroom(global)?;
    if args.verify {
        let verification = mailroom.verify_log()?;
        if args.json {
            print_json(&verification);
        } else if verification.intact() {
            println!(
                "The audit log is intact: {} entries, signed through entry {} ({} checkpoints).",
                verification.entries, verification.signed_through, verification.checkpoints
            );
        } else {
            println!("The audit log was tampered with:");
            for p in &verification.problems {
                println!("  {p}");
            }
        }
        if !verification.intact() {
            return Err(Failure::new(
                "log-tampered",
                "the audit log does not verify: entries were changed or removed",
            )
            .already_shown(args.json));
        }
        return Ok(());
    }
    let entries = mailroom.log()?;
    if args.json {
        print_json(&serde_json::json!({ "entries": entries }));
        return Ok(());
    }
    for e in &entries {
        println!(
            "{:>5}  {}  {:<20} {}{}{}",
            e.seq,
            e.at,
            e.event,
            e.parcel_id.as_deref().unwrap_or("-"),
            e.peer
                .as_deref()
                .map(|p| format!("  member {p}"))
                .unwrap_or_default(),
            e.detail
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Asks at the terminal before highly confidential files are written in clear; without a
/// terminal, fails with `confirmation-required` (a script must say `--yes`).
fn confirm_writing(warning: &str) -> Result<(), Failure> {
    if !secrets::interactive() {
        return Err(Failure::new(
            "confirmation-required",
            format!("{warning}. Add --yes to confirm."),
        ));
    }
    eprint!("Warning: {warning}.\nWrite the files? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::new("prompt-failed", e))?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        return Err(Failure::new("cancelled", "nothing was written"));
    }
    Ok(())
}

/// `sealpost open PARCEL_ID [-o DIR]`: a parcel held in the mailroom. A `highly-confidential`
/// parcel is written only after the user confirms (or gives `--yes`).
pub(crate) fn open_held(
    global: &Global,
    parcel_id: &str,
    dir: Option<&Path>,
    yes: bool,
    allow_untrusted_sender: bool,
    json: bool,
) -> Result<(), Failure> {
    let (mailroom, passphrase) = mailroom(global)?;
    let label = mailroom.label_of(parcel_id)?;
    if label == Label::HighlyConfidential && !yes {
        let target = dir.map_or_else(
            || {
                mailroom
                    .managed_root()
                    .join(parcel_id)
                    .display()
                    .to_string()
            },
            |d| d.display().to_string(),
        );
        let warning = format!(
            "parcel {parcel_id} is HIGHLY CONFIDENTIAL ({}): it holds personal data of people at \
             risk. Its files will be written in clear to {target}; open it only on this \
             organisation's computer, never on a shared one, and do not copy it elsewhere",
            label.tlp()
        );
        confirm_writing(&warning)?;
    }
    let opened = mailroom.open_parcel(parcel_id, dir, allow_untrusted_sender, &Bar::new())?;
    // The opened receipt goes now if the relay can be reached; else at the next sync.
    let receipt_sent = opened.receipt_queued
        && mailroom
            .sync(
                &quick(),
                passphrase.as_ref(),
                &sealpost_core::progress::Silent,
            )
            .is_ok_and(|r| r.waiting.is_empty());
    if json {
        #[derive(Serialize)]
        struct Report<'a> {
            #[serde(flatten)]
            opened: &'a sealpost_core::mailroom::Opened,
            receipt_sent: bool,
        }
        print_json(&Report {
            opened: &opened,
            receipt_sent,
        });
        return Ok(());
    }
    println!(
        "Verified and wrote {} file(s) of parcel {} to {}:",
        opened.files.len(),
        opened.parcel_id,
        opened.dir
    );
    for f in &opened.files {
        println!("  {}  {}", f.name, size(f.size));
    }
    if !opened.managed {
        println!(
            "  This folder is yours, not Sealpost's: if the sender asks for deletion, Sealpost \
             cannot delete these files; you will be asked to."
        );
    }
    if opened.receipt_queued {
        println!(
            "  The sender {} told that you opened it.",
            if receipt_sent { "was" } else { "will be" }
        );
    }
    Ok(())
}

/// What `sealpost open --all` was asked.
pub(crate) struct OpenAll<'a> {
    /// Only parcels received on or after this day or time.
    pub(crate) since: Option<&'a str>,
    /// Where each parcel's folder goes (Sealpost's own folder when `None`).
    pub(crate) dir: Option<&'a Path>,
    /// Whether highly confidential parcels may be written without asking.
    pub(crate) yes: bool,
    /// Where to write the report too (`.csv` or `.json`).
    pub(crate) report: Option<&'a Path>,
    /// Print the report as JSON.
    pub(crate) json: bool,
}

/// One parcel's line in the bulk-open report.
#[derive(Serialize)]
struct OpenLine {
    parcel_id: String,
    received_at: String,
    sender: String,
    sender_org: String,
    sender_status: String,
    label: Label,
    /// `opened` or `failed`.
    outcome: &'static str,
    /// The folder its files are in, when it opened.
    dir: Option<String>,
    files: usize,
    error_code: Option<&'static str>,
    error: Option<String>,
}

/// The columns of the CSV report, in the order of [`OpenLine`]'s fields.
const OPEN_REPORT_COLUMNS: [&str; 11] = [
    "parcel_id",
    "received_at",
    "sender",
    "sender_org",
    "sender_status",
    "label",
    "outcome",
    "dir",
    "files",
    "error_code",
    "error",
];

#[derive(Serialize)]
struct OpenAllReport<'a> {
    parcels: &'a [OpenLine],
    opened: usize,
    failed: usize,
    /// Whether the `opened` receipts reached the relay now (else they go at the next sync).
    receipts_sent: bool,
}

/// `sealpost open --all [--since DATE] [-o DIR]`: every received parcel not opened yet, each
/// into its own folder, with a report of every parcel; one failing never stops the others.
pub(crate) fn open_all(global: &Global, ask: &OpenAll) -> Result<(), Failure> {
    let since = ask.since.map(parse_since).transpose()?;
    let report_format = ask.report.map(ReportFormat::of).transpose()?;
    if let Some(path) = ask.report
        && path.exists()
    {
        // Checked before anything is opened, so that the report is never the thing lost.
        return Err(Failure::new(
            "file-exists",
            format!(
                "{} already exists: choose another name for the report",
                path.display()
            ),
        ));
    }
    let (mailroom, passphrase) = mailroom(global)?;
    let chosen: Vec<InboxEntry> = mailroom
        .inbox()?
        .into_iter()
        .filter(|e| e.status == "new")
        .filter(|e| since.is_none_or(|since| received_on_or_after(e, since)))
        .rev() // oldest first: the order they came in
        .collect();
    if chosen.is_empty() {
        if ask.json {
            print_json(&OpenAllReport {
                parcels: &[],
                opened: 0,
                failed: 0,
                receipts_sent: false,
            });
        } else {
            println!(
                "No parcels to open: every received parcel{} is already opened (see `sealpost inbox`).",
                ask.since.map(|s| format!(" since {s}")).unwrap_or_default()
            );
        }
        return Ok(());
    }
    let highly = chosen
        .iter()
        .filter(|e| e.label == Label::HighlyConfidential)
        .count();
    if highly > 0 && !ask.yes {
        let target = ask
            .dir
            .map_or_else(|| mailroom.managed_root(), Path::to_path_buf);
        let warning = format!(
            "{highly} of the {} parcels are HIGHLY CONFIDENTIAL (TLP:RED): they hold personal \
             data of people at risk. Their files will be written in clear under {}; open them \
             only on this organisation's computer, never on a shared one, and do not copy them \
             elsewhere",
            chosen.len(),
            target.display()
        );
        confirm_writing(&warning)?;
    }
    let ids: Vec<String> = chosen.iter().map(|e| e.parcel_id.clone()).collect();
    let outcomes = mailroom.open_many(&ids, ask.dir, &Bar::new());
    let lines: Vec<OpenLine> = chosen
        .iter()
        .zip(outcomes)
        .map(|(entry, (_, outcome))| OpenLine {
            parcel_id: entry.parcel_id.clone(),
            received_at: entry.received_at.clone(),
            sender: entry.sender.name.clone(),
            sender_org: entry.sender.org.clone(),
            sender_status: entry.sender_status.clone(),
            label: entry.label,
            outcome: if outcome.is_ok() { "opened" } else { "failed" },
            dir: outcome.as_ref().ok().map(|o| o.dir.clone()),
            files: outcome.as_ref().map_or(0, |o| o.files.len()),
            error_code: outcome.as_ref().err().map(MailroomError::code),
            error: outcome.as_ref().err().map(ToString::to_string),
        })
        .collect();
    let failed = lines.iter().filter(|l| l.outcome == "failed").count();
    let opened = lines.len() - failed;
    // The `opened` receipts go now if the relay can be reached; else at the next sync.
    let receipts_sent = opened > 0
        && mailroom
            .sync(
                &quick(),
                passphrase.as_ref(),
                &sealpost_core::progress::Silent,
            )
            .is_ok_and(|r| r.waiting.is_empty());
    let report = OpenAllReport {
        parcels: &lines,
        opened,
        failed,
        receipts_sent,
    };
    if let (Some(path), Some(format)) = (ask.report, report_format) {
        let bytes = match format {
            ReportFormat::Json => {
                serde_json::to_vec_pretty(&report).expect("our output types serialise")
            }
            ReportFormat::Csv => open_report_csv(&lines),
        };
        sealpost_core::write_new_file(path, &bytes).map_err(|e| {
            Failure::new(
                "io",
                format!(
                    "the parcels were opened, but the report could not be written to {}: {e}",
                    path.display()
                ),
            )
        })?;
    }
    if ask.json {
        print_json(&report);
    } else {
        for line in &lines {
            match (&line.dir, &line.error) {
                (Some(dir), _) => println!(
                    "opened  {}  {} ({})  {}  {} file(s) → {dir}",
                    line.parcel_id, line.sender, line.sender_org, line.label, line.files
                ),
                (None, error) => println!(
                    "FAILED  {}  {} ({})  {}  {}",
                    line.parcel_id,
                    line.sender,
                    line.sender_org,
                    line.label,
                    error.as_deref().unwrap_or_default()
                ),
            }
        }
        println!(
            "{opened} opened, {failed} failed.{}",
            if receipts_sent {
                " The senders were told."
            } else {
                " The senders will be told at the next sync."
            }
        );
        if let Some(path) = ask.report {
            println!("Report written to {}.", path.display());
        }
    }
    if failed > 0 {
        return Err(Failure::new(
            "some-parcels-failed",
            format!(
                "{failed} of {} parcels could not be opened (the others were); each reason is \
                 in the report. A parcel that fails again may be damaged: ask its sender to \
                 send it again",
                lines.len()
            ),
        )
        .already_shown(ask.json));
    }
    Ok(())
}

/// The format of `--report FILE`, from its extension.
#[derive(Clone, Copy)]
enum ReportFormat {
    Csv,
    Json,
}

impl ReportFormat {
    fn of(path: &Path) -> Result<Self, Failure> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Ok(Self::Csv),
            Some(e) if e.eq_ignore_ascii_case("json") => Ok(Self::Json),
            _ => Err(Failure::new(
                "usage",
                format!(
                    "--report {}: name the report FILE.csv or FILE.json",
                    path.display()
                ),
            )),
        }
    }
}

/// The report as CSV, one row per parcel (formula-like cells defused: an IMO opens this file
/// in a spreadsheet).
fn open_report_csv(lines: &[OpenLine]) -> Vec<u8> {
    let mut out = Vec::new();
    let header: Vec<String> = OPEN_REPORT_COLUMNS.iter().map(|c| c.to_string()).collect();
    sealpost_scan::write_report_row(&mut out, &header).expect("writing to memory");
    for l in lines {
        let row = [
            l.parcel_id.clone(),
            l.received_at.clone(),
            l.sender.clone(),
            l.sender_org.clone(),
            l.sender_status.clone(),
            l.label.to_string(),
            l.outcome.to_owned(),
            l.dir.clone().unwrap_or_default(),
            l.files.to_string(),
            l.error_code.unwrap_or_default().to_owned(),
            l.error.clone().unwrap_or_default(),
        ];
        sealpost_scan::write_report_row(&mut out, &row).expect("writing to memory");
    }
    out
}

/// `--since`: a day (`2026-12-01`, from midnight UTC) or an RFC 3339 time.
fn parse_since(text: &str) -> Result<time::OffsetDateTime, Failure> {
    use time::format_description::well_known::Rfc3339;
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, &day) {
        return Ok(date.midnight().assume_utc());
    }
    time::OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        Failure::new(
            "usage",
            format!(
                "--since {text}: give a day as YYYY-MM-DD (for example 2026-12-01) or a time \
                 as 2026-12-01T08:00:00Z"
            ),
        )
    })
}

fn received_on_or_after(entry: &InboxEntry, since: time::OffsetDateTime) -> bool {
    use time::format_description::well_known::Rfc3339;
    // A time this app wrote; one it cannot read is kept rather than silently skipped.
    time::OffsetDateTime::parse(&entry.received_at, &Rfc3339).map_or(true, |t| t >= since)
}
