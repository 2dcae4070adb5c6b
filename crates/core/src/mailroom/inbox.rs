//! The inbox side of a sync pass: download each mailbox item with `Range` (resuming where the
//! partial file ends), verify the whole parcel before keeping it, keep it sealed in the vault,
//! act on receipts and deletion requests, answer with signed receipts, and only then
//! acknowledge it on the relay — so an interruption anywhere means it is fetched again, never
//! lost, and a parcel seen twice is recognised by its id.

use std::fs::OpenOptions as FileOptions;
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use sealpost_format::relay::MailboxItem;
use time::OffsetDateTime;

use super::transfer::{Attempt, Session};
use super::{
    ListedFile, Mailroom, MailroomError, Person, Received, Rejected, SyncReport, audit, now_text,
    outbox, time_text,
};
use crate::parcel::{
    self, Compression, Destination, Key, Manifest, OpenOptions, ParcelKind, Purpose, SenderStatus,
};
use crate::progress::{Phase, Progress, Silent};
use crate::relay::RelayError;

/// The largest parcel accepted from the relay (it is not believed about sizes).
const MAX_PARCEL: u64 = 64 << 30;

/// Downloads and handles every item in the member's mailbox.
pub(crate) fn receive(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    report: &mut SyncReport,
    progress: &dyn Progress,
) -> Result<(), MailroomError> {
    let items = match session.run(|relay, token| relay.mailbox(token)) {
        Ok(items) => items,
        Err(e) => {
            report
                .problems
                .push(format!("the mailbox was not read: {e}"));
            return Ok(());
        }
    };
    for item in items {
        if let Err(e) = receive_one(mailroom, session, &item, report, progress) {
            match e {
                // The store or the disk failed: stop here rather than act half-way.
                MailroomError::Sql(_) | MailroomError::Io { .. } => return Err(e),
                other => report
                    .problems
                    .push(format!("parcel {} is not received yet: {other}", item.id)),
            }
        }
    }
    Ok(())
}

fn receive_one(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    item: &MailboxItem,
    report: &mut SyncReport,
    progress: &dyn Progress,
) -> Result<(), MailroomError> {
    let conn = &mailroom.conn;
    conn.execute(
        "INSERT OR IGNORE INTO downloads (blob_id, size, from_member, first_seen) \
         VALUES (?1, ?2, ?3, ?4)",
        params![item.id, item.size, item.from.to_string(), now_text()],
    )?;
    let rejected: Option<String> = conn.query_row(
        "SELECT rejected_at FROM downloads WHERE blob_id = ?1",
        [&item.id],
        |row| row.get(0),
    )?;
    if rejected.is_some() {
        // Refused earlier but the acknowledgement did not reach the relay.
        return acknowledge(mailroom, session, &item.id);
    }
    let partial = mailroom.incoming().join(format!("{}.partial", item.id));
    if item.size > MAX_PARCEL {
        return reject(
            mailroom,
            session,
            item,
            &partial,
            &format!("it is larger than {MAX_PARCEL} bytes"),
            report,
        );
    }
    download(mailroom, session, item, &partial, progress)?;
    let options = OpenOptions {
        expected_sender: None,
        roster: mailroom.roster()?,
        allow_untrusted_sender: false,
    };
    // Every byte is verified (signature, recipients, sender against the roster, every file's
    // hash) before the parcel is kept; nothing is written but the check.
    let verified = parcel::open_file(
        &partial,
        Key::Identities(&mailroom.keys),
        &options,
        Destination::VerifyOnly,
        &Silent,
    );
    let opened = match verified {
        Ok(opened) => opened,
        Err(e) => return reject(mailroom, session, item, &partial, &e.to_string(), report),
    };
    let m = opened.manifest;
    let parcel_id = m.parcel_id.to_string();
    let known: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM parcels WHERE parcel_id = ?1) \
         OR EXISTS (SELECT 1 FROM receipts WHERE receipt_id = ?1)",
        [&parcel_id],
        |row| row.get(0),
    )?;
    if known {
        // Seen before (an acknowledgement that did not reach the relay, or a replay).
        remove_file(&partial)?;
        conn.execute("DELETE FROM downloads WHERE blob_id = ?1", [&item.id])?;
        return acknowledge(mailroom, session, &item.id);
    }
    let sender = Person {
        member_id: m.sender.member_id.to_string(),
        name: m.sender.name.clone(),
        org: m.sender.org.clone(),
    };
    let summary = match m.kind {
        // A concern's status update is a receipt about the concern from one of those it was
        // reported to: the same checks, the same record, shown with the concern.
        // So is an answer to a rights request.
        ParcelKind::Receipt | ParcelKind::ConcernUpdate | ParcelKind::RequestUpdate => {
            accept_receipt(mailroom, &m, opened.sender_status)?
        }
        ParcelKind::DeletionRequest => {
            accept_deletion_request(mailroom, &m, opened.sender_status, report)?
        }
        ParcelKind::AccessRequest => accept_access_request(mailroom, &m, opened.sender_status)?,
        _ => accept_parcel(mailroom, &m, opened.sender_status, item, &partial, report)?,
    };
    if matches!(
        m.kind,
        ParcelKind::Receipt
            | ParcelKind::DeletionRequest
            | ParcelKind::ConcernUpdate
            | ParcelKind::AccessRequest
            | ParcelKind::RequestUpdate
    ) {
        remove_file(&partial)?;
    }
    conn.execute("DELETE FROM downloads WHERE blob_id = ?1", [&item.id])?;
    report.received.push(Received {
        parcel_id,
        kind: m.kind.as_str().into(),
        sender,
        summary,
    });
    acknowledge(mailroom, session, &item.id)
}

/// Fetches the rest of a blob into its partial file.
fn download(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    item: &MailboxItem,
    partial: &Path,
    progress: &dyn Progress,
) -> Result<(), MailroomError> {
    progress.start(Phase::Downloading, item.size);
    let mut shown = 0u64;
    let result = session.persist(|relay, token| {
        let mut file = FileOptions::new()
            .create(true)
            .append(true)
            .open(partial)
            .map_err(|e| local(partial, e))?;
        let have = file.metadata().map_err(|e| local(partial, e))?.len();
        progress.advance(have.saturating_sub(shown));
        shown = shown.max(have);
        if have >= item.size {
            return Ok(Attempt::Done);
        }
        let outcome = relay.download(token, &item.id, have, item.size, &mut file);
        // What arrived is kept, durably, whatever happened next: the resume starts after it.
        file.sync_data().map_err(|e| local(partial, e))?;
        mailroom
            .conn
            .execute(
                "UPDATE downloads SET attempts = attempts + 1 WHERE blob_id = ?1",
                [&item.id],
            )
            .map_err(|e| local(partial, std::io::Error::other(e.to_string())))?;
        match outcome {
            Ok(n) if have + n >= item.size => Ok(Attempt::Done),
            Ok(0) => Err(RelayError::Protocol {
                url: relay.url().into(),
                reason: format!("the blob ended at byte {have} of {}", item.size),
            }),
            Ok(_) | Err((1.., _)) => Ok(Attempt::Progressed),
            Err((0, e)) => Err(e),
        }
    });
    progress.finish();
    if let Err(e) = result {
        mailroom.conn.execute(
            "UPDATE downloads SET last_error = ?2 WHERE blob_id = ?1",
            params![item.id, e.to_string()],
        )?;
        return Err(e.into());
    }
    Ok(())
}

fn local(path: &Path, source: std::io::Error) -> RelayError {
    RelayError::Local {
        context: format!("cannot write {}", path.display()),
        source,
    }
}

/// Keeps a refused parcel out of the inbox: it is recorded with the reason, the audit log
/// says so, and the relay's copy is acknowledged (the sender's app still holds the parcel).
fn reject(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    item: &MailboxItem,
    partial: &Path,
    reason: &str,
    report: &mut SyncReport,
) -> Result<(), MailroomError> {
    remove_file(partial)?;
    let tx = mailroom.conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE downloads SET rejected_at = ?2, last_error = ?3 WHERE blob_id = ?1",
        params![item.id, now_text(), reason],
    )?;
    audit::append(
        &tx,
        "rejected",
        None,
        Some(&item.from.to_string()),
        Some(&format!("blob {}: {reason}", item.id)),
    )?;
    tx.commit()?;
    report.rejected.push(Rejected {
        blob_id: item.id.clone(),
        reason: reason.to_owned(),
    });
    acknowledge(mailroom, session, &item.id)
}

fn acknowledge(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    blob: &str,
) -> Result<(), MailroomError> {
    // A failed acknowledgement only means the item is listed again next time.
    if session.run(|relay, token| relay.ack(token, blob)).is_ok() {
        mailroom
            .conn
            .execute("DELETE FROM downloads WHERE blob_id = ?1", [blob])?;
    }
    Ok(())
}

/// A receipt about a parcel this member sent, from one of its recipients.
fn accept_receipt(
    mailroom: &Mailroom,
    m: &Manifest,
    status: SenderStatus,
) -> Result<String, MailroomError> {
    let about = m.about.map(|p| p.to_string()).unwrap_or_default();
    let event = m.event.clone().unwrap_or_default();
    let from = m.sender.member_id.to_string();
    let conn = &mailroom.conn;
    // About a parcel this member sent to the signer; or, for a concern update, about a
    // concern this member received to handle, from another handler it was reported to.
    // An update is only about what it updates: a concern update about a concern, a request
    // update about a rights request this member made.
    let addressed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM parcels p JOIN recipients r USING (parcel_id) \
         WHERE p.parcel_id = ?1 AND r.member_id = ?2 AND (p.direction = 'out' \
         OR (?3 AND p.direction = 'in' AND p.kind = 'concern' AND p.sender_id <> ?2)) \
         AND (NOT ?3 OR p.kind = 'concern') \
         AND (NOT ?4 OR EXISTS (SELECT 1 FROM rights_requests q \
                                WHERE q.request_id = ?1 AND q.direction = 'out')))",
        params![
            about,
            from,
            m.kind == ParcelKind::ConcernUpdate,
            m.kind == ParcelKind::RequestUpdate
        ],
        |row| row.get(0),
    )?;
    if !addressed || status != SenderStatus::Verified {
        // A receipt from someone the parcel was not sent to proves nothing; it is logged and
        // dropped.
        audit::append(
            conn,
            "receipt-ignored",
            Some(&about),
            Some(&from),
            Some(
                "a receipt from someone who was not sent this parcel, an update about something \
                 it does not update, or an unverified sender",
            ),
        )?;
        return Ok(format!("ignored receipt about {about}"));
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT OR IGNORE INTO receipts (receipt_id, about, from_member, event, at, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            m.parcel_id.to_string(),
            about,
            from,
            event,
            time_text(m.created_at),
            m.note
        ],
    )?;
    audit::append(
        &tx,
        "receipt-received",
        Some(&about),
        Some(&from),
        Some(&event),
    )?;
    tx.commit()?;
    Ok(event)
}

/// A request from a parcel's sender to delete it: everything this app holds of it goes, and
/// the answer says what could not be reached.
fn accept_deletion_request(
    mailroom: &Mailroom,
    m: &Manifest,
    status: SenderStatus,
    report: &mut SyncReport,
) -> Result<String, MailroomError> {
    let about = m.about.map(|p| p.to_string()).unwrap_or_default();
    let from = m.sender.member_id.to_string();
    let conn = &mailroom.conn;
    if status != SenderStatus::Verified {
        audit::append(
            conn,
            "deletion-request-ignored",
            Some(&about),
            Some(&from),
            Some("the roster does not vouch for the sender"),
        )?;
        return Ok("ignored: unverified sender".into());
    }
    let held: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT status, vault_file FROM parcels WHERE parcel_id = ?1 AND direction = 'in' \
             AND sender_id = ?2",
            params![about, from],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let mut left_to_the_user = false;
    let detail = match held {
        Some((_, Some(_))) => {
            let erased = erase(mailroom, &about)?;
            conn.execute(
                "UPDATE parcels SET status = 'deleted' WHERE parcel_id = ?1",
                [&about],
            )?;
            report.erased.push(about.clone());
            left_to_the_user = erased.unreachable > 0;
            erased.summary()
        }
        Some((status, None)) => format!(
            "No copy was held any more (the parcel was already {status}); copies opened \
             earlier are as reported then."
        ),
        None => {
            conn.execute(
                "INSERT OR IGNORE INTO deletion_requests (about, from_member, request_id, \
                 received_at) VALUES (?1, ?2, ?3, ?4)",
                params![about, from, m.parcel_id.to_string(), now_text()],
            )?;
            "No copy is held here: the parcel never arrived. If it arrives later it will be \
             deleted unopened."
                .into()
        }
    };
    audit::append(
        conn,
        "deleted",
        Some(&about),
        Some(&from),
        Some(&format!("at the sender's request: {detail}")),
    )?;
    super::rights::record(conn, "in", m)?;
    let request = m.parcel_id.to_string();
    if left_to_the_user {
        // Copies outside Sealpost's folder wait for the user: the request stays open on both
        // sides, "in progress", until the user deletes them and marks it done.
        let queued = mailroom.update_request(
            &request,
            "in-progress",
            Some(format!(
                "The app deleted what it could reach. Copies saved outside Sealpost's folder \
                 are left for {} to delete by hand; this request will be marked done then.",
                mailroom.me().name()
            )),
            &Silent,
        );
        if let Err(e) = queued {
            audit::append(
                conn,
                "request-update-not-sent",
                Some(&request),
                Some(&from),
                Some(&e.to_string()),
            )?;
        }
    } else {
        super::rights::handled(conn, &request, "done", &detail)?;
    }
    queue_receipt_to(mailroom, &about, &from, "deleted", Some(detail))?;
    Ok("deletion request".into())
}

/// A partner asks what this IMO holds of its data: recorded as a rights request to answer,
/// and acknowledged with a signed `delivered` receipt so the partner sees it arrived.
fn accept_access_request(
    mailroom: &Mailroom,
    m: &Manifest,
    status: SenderStatus,
) -> Result<String, MailroomError> {
    let request = m.parcel_id.to_string();
    let from = m.sender.member_id.to_string();
    let conn = &mailroom.conn;
    if status != SenderStatus::Verified {
        audit::append(
            conn,
            "access-request-ignored",
            Some(&request),
            Some(&from),
            Some("the roster does not vouch for the sender"),
        )?;
        return Ok("ignored: unverified sender".into());
    }
    let tx = conn.unchecked_transaction()?;
    super::rights::record(&tx, "in", m)?;
    audit::append(&tx, "access-requested", Some(&request), Some(&from), None)?;
    tx.commit()?;
    queue_receipt_to(mailroom, &request, &from, "delivered", None)?;
    Ok("access request".into())
}

/// A data parcel (or any other kind that stays in the inbox).
fn accept_parcel(
    mailroom: &Mailroom,
    m: &Manifest,
    status: SenderStatus,
    item: &MailboxItem,
    partial: &Path,
    report: &mut SyncReport,
) -> Result<String, MailroomError> {
    let conn = &mailroom.conn;
    let parcel_id = m.parcel_id.to_string();
    let from = m.sender.member_id.to_string();
    let roster = mailroom.roster()?;
    let keep_until = roster.as_ref().and_then(|r| {
        r.policy
            .labels
            .get(m.label)
            .local_retention_days
            .map(|days| {
                time_text(OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)))
            })
    });
    let vault_file = format!("{parcel_id}.parcel");
    let target = mailroom.vault().join(&vault_file);
    std::fs::rename(partial, &target)
        .map_err(|e| MailroomError::io("cannot move the parcel into the vault", e))?;
    crate::fsutil::sync_dir(&mailroom.vault())
        .map_err(|e| MailroomError::io("cannot sync the vault", e))?;
    let files = super::files_column_text(m);
    let superseded_by: Option<String> = conn
        .query_row(
            "SELECT parcel_id FROM parcels WHERE supersedes = ?1 AND sender_id = ?2",
            params![parcel_id, from],
            |row| row.get(0),
        )
        .optional()?;
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO parcels (parcel_id, direction, kind, label, sender_id, sender_name, \
         sender_org, sender_status, created_at, received_at, note, files, sealed_size, \
         supersedes, about, manifest, vault_file, status, superseded_by, relay_blob, keep_until) \
         VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, ?14, ?15, \
         ?16, ?17, ?18, ?19)",
        params![
            parcel_id,
            m.kind.as_str(),
            m.label.as_str(),
            from,
            m.sender.name,
            m.sender.org,
            status.as_str(),
            time_text(m.created_at),
            now_text(),
            m.note,
            files,
            item.size,
            m.supersedes.map(|p| p.to_string()),
            serde_json::to_string(m).expect("a manifest serialises"),
            vault_file,
            if superseded_by.is_some() {
                "superseded"
            } else {
                "new"
            },
            superseded_by,
            item.id,
            keep_until,
        ],
    )?;
    // A correction is a rights request too: the IMO replaces the old data where it used it.
    super::rights::record(&tx, "in", m)?;
    for r in &m.recipients {
        let Some(id) = r.member_id else { continue };
        let person = roster
            .as_ref()
            .and_then(|roster| super::member_in(roster, &id.to_string()))
            .unwrap_or(Person {
                member_id: id.to_string(),
                name: id.to_string(),
                org: String::new(),
            });
        tx.execute(
            "INSERT OR IGNORE INTO recipients (parcel_id, member_id, name, org) \
             VALUES (?1, ?2, ?3, ?4)",
            params![parcel_id, person.member_id, person.name, person.org],
        )?;
    }
    if let Some(old) = m.supersedes.map(|p| p.to_string()) {
        let changed = tx.execute(
            "UPDATE parcels SET status = 'superseded', superseded_by = ?2 \
             WHERE parcel_id = ?1 AND direction = 'in' AND sender_id = ?3",
            params![old, parcel_id, from],
        )?;
        if changed > 0 {
            audit::append(
                &tx,
                "superseded",
                Some(&old),
                Some(&from),
                Some(&format!("corrected by {parcel_id}")),
            )?;
        }
    }
    audit::append(
        &tx,
        "received",
        Some(&parcel_id),
        Some(&from),
        Some(&format!(
            "{} parcel, label {}, sender {}",
            m.kind,
            m.label,
            status.as_str()
        )),
    )?;
    tx.commit()?;
    // A deletion request that arrived first: delete it now, unopened, and say so.
    let requested: Option<String> = conn
        .query_row(
            "SELECT request_id FROM deletion_requests WHERE about = ?1 AND from_member = ?2",
            params![parcel_id, from],
            |row| row.get(0),
        )
        .optional()?;
    if requested.is_some() {
        let erased = erase(mailroom, &parcel_id)?;
        conn.execute(
            "UPDATE parcels SET status = 'deleted' WHERE parcel_id = ?1",
            [&parcel_id],
        )?;
        let detail = format!(
            "It arrived after the deletion request and was deleted on arrival, unopened. {}",
            erased.summary()
        );
        audit::append(
            conn,
            "deleted",
            Some(&parcel_id),
            Some(&from),
            Some(&detail),
        )?;
        report.erased.push(parcel_id.clone());
        queue_receipt_to(mailroom, &parcel_id, &from, "deleted", Some(detail))?;
        return Ok(format!("{} (deleted on arrival)", m.label));
    }
    if status == SenderStatus::Verified {
        queue_receipt_to(mailroom, &parcel_id, &from, "delivered", None)?;
    }
    Ok(m.label.as_str().into())
}

/// Queues a signed receipt about a received parcel for its sender.
pub(crate) fn queue_receipt(
    mailroom: &Mailroom,
    about: &str,
    event: &str,
    detail: Option<String>,
) -> Result<(), MailroomError> {
    let sender: String = mailroom.conn.query_row(
        "SELECT sender_id FROM parcels WHERE parcel_id = ?1",
        [about],
        |row| row.get(0),
    )?;
    queue_receipt_to(mailroom, about, &sender, event, detail)
}

fn queue_receipt_to(
    mailroom: &Mailroom,
    about: &str,
    sender: &str,
    event: &str,
    detail: Option<String>,
) -> Result<(), MailroomError> {
    let label = match mailroom.label_of(about) {
        Ok(label) => label,
        // About a parcel never held (a deletion request that came first): the least label.
        Err(MailroomError::NoSuchParcel { .. }) => sealpost_format::Label::Restricted,
        Err(e) => return Err(e),
    };
    let Some(roster) = mailroom.roster()? else {
        return Ok(());
    };
    let Some(person) = super::member_in(&roster, sender) else {
        return Ok(());
    };
    let roster = mailroom.membership().current(OffsetDateTime::now_utc());
    let queued = roster.map_err(MailroomError::from).and_then(|roster| {
        outbox::queue(
            mailroom,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::Receipt {
                    about: about
                        .parse()
                        .map_err(|_| MailroomError::NoSuchParcel { id: about.into() })?,
                    event: event.into(),
                },
                files: Vec::new(),
                to: outbox::To::Members(vec![person]),
                label,
                label_override: None,
                note: detail,
                compression: Compression::None,
            },
            &Silent,
        )
    });
    let outcome = match &queued {
        Ok(q) => format!("{event} receipt {} queued", q.parcel_id),
        // A removed sender, or an expired roster: no receipt can be sealed to them. Logged;
        // the parcel itself is handled all the same.
        Err(e) => format!("no {event} receipt could be sealed: {e}"),
    };
    audit::append(
        &mailroom.conn,
        "receipt-sent",
        Some(about),
        Some(sender),
        Some(&outcome),
    )?;
    Ok(())
}

/// What erasing a parcel reached.
#[derive(Debug, Default)]
pub(crate) struct Erased {
    sealed_removed: bool,
    files_removed: usize,
    /// Opened copies in folders the user chose, which Sealpost does not delete.
    unreachable: usize,
}

impl Erased {
    /// In words, for the deletion receipt and the audit log. Says plainly what was not reached.
    pub(crate) fn summary(&self) -> String {
        let mut parts = vec![if self.sealed_removed {
            "Deleted the sealed copy held by the app.".to_owned()
        } else {
            "The app held no sealed copy.".to_owned()
        }];
        if self.files_removed > 0 {
            parts.push(format!(
                "Deleted {} opened file(s) in Sealpost's own folder.",
                self.files_removed
            ));
        }
        if self.unreachable > 0 {
            parts.push(format!(
                "Could not reach {} opened cop{} saved in a folder of the recipient's own \
                 choosing: Sealpost does not delete files outside its folder, so the recipient \
                 has been asked to delete {} by hand.",
                self.unreachable,
                if self.unreachable == 1 { "y" } else { "ies" },
                if self.unreachable == 1 { "it" } else { "them" }
            ));
        } else {
            parts.push("No opened copy is known outside Sealpost's folder.".into());
        }
        parts.join(" ")
    }
}

/// Deletes everything of a parcel this app can reach: the sealed copy in the vault and the
/// files it opened into its own folder. Copies opened elsewhere are counted, not touched.
pub(crate) fn erase(mailroom: &Mailroom, parcel_id: &str) -> Result<Erased, MailroomError> {
    let conn = &mailroom.conn;
    let mut erased = Erased::default();
    let vault_file: Option<String> = conn.query_row(
        "SELECT vault_file FROM parcels WHERE parcel_id = ?1",
        [parcel_id],
        |row| row.get(0),
    )?;
    if let Some(file) = vault_file {
        remove_file(&mailroom.vault().join(file))?;
        erased.sealed_removed = true;
    }
    let copies: Vec<(i64, String, bool, String)> = conn
        .prepare(
            "SELECT rowid, dir, managed, files FROM opened_copies \
             WHERE parcel_id = ?1 AND removed_at IS NULL",
        )?
        .query_map([parcel_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (rowid, dir, managed, files) in copies {
        if !managed {
            erased.unreachable += 1;
            continue;
        }
        let dir = Path::new(&dir);
        let files: Vec<ListedFile> = serde_json::from_str(&files).unwrap_or_default();
        for file in files {
            // Names were sanitised when the parcel was opened: no separators, no `..`.
            let path = dir.join(&file.name);
            if path.exists() {
                remove_file(&path)?;
                erased.files_removed += 1;
            }
        }
        let _ = std::fs::remove_dir(dir);
        conn.execute(
            "UPDATE opened_copies SET removed_at = ?2 WHERE rowid = ?1",
            params![rowid, now_text()],
        )?;
    }
    conn.execute(
        "UPDATE parcels SET vault_file = NULL WHERE parcel_id = ?1",
        [parcel_id],
    )?;
    Ok(erased)
}

fn remove_file(path: &Path) -> Result<(), MailroomError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(MailroomError::io(
            format!("cannot delete {}", path.display()),
            e,
        )),
    }
}
