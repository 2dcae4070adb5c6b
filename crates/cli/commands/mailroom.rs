//! `send`, `sync`, `outbox`, `inbox`, `sent`, `correct`, `delete`, `log`, and `open PARCEL_ID`:
//! the member's parcels through the relay. Every command is a thin layer over
//! `sealpost_core::mailroom`, which the desktop app calls too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use sealpost_core::mailroom::{
    InboxEntry, Mailroom, MailroomError, Outgoing, Queued, SentEntry, SyncOptions, SyncReport,
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

pub(crate) fn sent(global: &Global, json: bool) -> Result<(), Failure> {
    let (mailroom, _) = mailroom(global)?;
    let parcels = mailroom.sent()?;
    print_parcels(
        json,
        &parcels,
        "You have not sent a parcel through the relay yet.",
        print_sent_entry,
    );
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
