//! The outbox: parcels are sealed once into the vault, then uploaded with tus. The relay's
//! offset is the truth about what arrived: every attempt starts by asking it (HEAD), so a
//! dropped connection, a killed client or a reboot costs the bytes that were in flight (and those
//! still in this computer's socket buffers); a relay that crashes mid-PATCH also loses what it
//! received since its last commit (at most 4 MiB). Confirmed bytes are never sent again, and
//! nothing is ever re-sealed.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::params;
use sealpost_format::roster::Roster;
use sealpost_format::{Label, MemberId};

use super::transfer::{Attempt, Session};
use super::{
    Mailroom, MailroomError, Person, Queued, SyncReport, Transferred, Waiting, audit, now_text,
};
use crate::membership::{Membership, check_sender, resolve_addressees};
use crate::parcel::{
    self, Addressee, Addressees, Compression, FileSource, LabelOverride, Purpose, SealRequest,
};
use crate::progress::Progress;
use crate::relay::RelayError;

/// The most sent in one PATCH. The relay keeps whatever part of a PATCH arrived, so this only
/// bounds how long the outbox goes without a confirmed offset to show.
const MAX_PATCH: u64 = 64 << 20;

/// Who a parcel goes to.
pub(crate) enum To {
    /// As the user typed them: names, member ids, `role:imo`.
    Specs(Vec<String>),
    /// Members already known (the recipients of an earlier parcel).
    Members(Vec<Person>),
}

/// What to seal into the outbox.
pub(crate) struct Sealing {
    pub(crate) purpose: Purpose,
    pub(crate) files: Vec<FileSource>,
    pub(crate) to: To,
    pub(crate) label: Label,
    pub(crate) label_override: Option<LabelOverride>,
    pub(crate) note: Option<String>,
    pub(crate) compression: Compression,
}

/// Seals a parcel into the vault and queues it: the sealed file, its row, its recipients, the
/// outbox entry and the audit entry appear together or not at all.
pub(crate) fn queue(
    mailroom: &Mailroom,
    roster: &Roster,
    sealing: Sealing,
    progress: &dyn Progress,
) -> Result<Queued, MailroomError> {
    let me = mailroom.me();
    check_sender(roster, me.member_id())?;
    let addressees: Vec<Addressee> = match &sealing.to {
        To::Specs(specs) => resolve_addressees(Some(roster), specs)?,
        // Current keys from the roster: a recipient who changed keys since gets the new one,
        // and a removed one is refused by the resolver.
        To::Members(people) => resolve_addressees(
            Some(roster),
            &people
                .iter()
                .map(|p| p.member_id.clone())
                .collect::<Vec<_>>(),
        )?,
    };
    let mut members: Vec<MemberId> = Vec::new();
    for addressee in &addressees {
        match addressee.member_id {
            Some(id) if id == me.member_id() => {}
            Some(id) => members.push(id),
            None => {
                return Err(MailroomError::NotDeliverable {
                    recipient: addressee.recipient.to_string(),
                });
            }
        }
    }
    members.sort();
    members.dedup();
    if members.is_empty() {
        return Err(MailroomError::NotAllowed {
            reason: "nobody to send to but yourself; name at least one member with --to".into(),
        });
    }
    let mut addressees = addressees;
    // The cluster's recovery key, when the policy names one: listed in the signed manifest
    // without a member id, so every recipient can see the parcel is recoverable.
    if let Some(text) = &roster.policy.recovery_recipient {
        let recipient =
            text.parse::<age::x25519::Recipient>()
                .map_err(|_| MailroomError::NotAllowed {
                    reason: format!(
                        "the roster's recovery key {text:?} is not an age public key; ask the \
                     coordinator to set it again (`sealpost cluster recovery-key`)"
                    ),
                })?;
        addressees.push(Addressee {
            recipient,
            member_id: None,
        });
    }
    let vault = mailroom.vault();
    // Sealed under a temporary name (the parcel id is chosen while sealing), then renamed.
    let temp = vault.join(format!(".sealing-{}.parcel", random_hex()));
    let sealed = parcel::seal_to_file(
        me,
        SealRequest {
            purpose: sealing.purpose,
            label: sealing.label,
            label_override: sealing.label_override,
            note: sealing.note,
            files: sealing.files,
            to: Addressees::Recipients(addressees),
            compression: sealing.compression,
            roster: Some(Membership::context(roster)),
        },
        &temp,
        progress,
    )?;
    let m = &sealed.manifest;
    let parcel_id = m.parcel_id.to_string();
    let vault_file = format!("{parcel_id}.parcel");
    std::fs::rename(&temp, vault.join(&vault_file))
        .map_err(|e| MailroomError::io("cannot move the sealed parcel into the vault", e))?;
    let people: Vec<Person> = members
        .iter()
        .filter_map(|id| super::member_in(roster, &id.to_string()))
        .collect();
    let files = super::files_column_text(m);
    let now = now_text();
    let tx = mailroom.conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO parcels (parcel_id, direction, kind, label, sender_id, sender_name, \
         sender_org, sender_status, created_at, received_at, note, files, sealed_size, \
         supersedes, about, manifest, vault_file, status) \
         VALUES (?1, 'out', ?2, ?3, ?4, ?5, ?6, 'verified', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
         ?15, 'queued')",
        params![
            parcel_id,
            m.kind.as_str(),
            m.label.as_str(),
            me.member_id().to_string(),
            me.name(),
            me.org(),
            super::time_text(m.created_at),
            now,
            m.note,
            files,
            sealed.size,
            m.supersedes.map(|p| p.to_string()),
            m.about.map(|p| p.to_string()),
            serde_json::to_string(m).expect("a manifest serialises"),
            vault_file,
        ],
    )?;
    for person in &people {
        tx.execute(
            "INSERT INTO recipients (parcel_id, member_id, name, org) VALUES (?1, ?2, ?3, ?4)",
            params![parcel_id, person.member_id, person.name, person.org],
        )?;
    }
    super::rights::record(&tx, "out", m)?;
    tx.execute(
        "INSERT INTO outbox (parcel_id, length, queued_at) VALUES (?1, ?2, ?3)",
        params![parcel_id, sealed.size, now],
    )?;
    audit::append(
        &tx,
        "sealed",
        Some(&parcel_id),
        None,
        Some(&format!(
            "{} parcel, {} file(s), label {}, to {}",
            m.kind,
            m.files.len(),
            m.label,
            people
                .iter()
                .map(|p| p.member_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    )?;
    tx.commit()?;
    mailroom.checkpoint()?;
    Ok(Queued {
        parcel_id,
        kind: m.kind.as_str().into(),
        size: sealed.size,
        recipients: people.into_iter().map(|p| p.name).collect(),
    })
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).expect("the OS random number generator works");
    data_encoding::HEXLOWER.encode(&bytes)
}

/// Everything in the outbox, as waiting for `reason`.
pub(crate) fn waiting(mailroom: &Mailroom, reason: &str) -> Result<Vec<Waiting>, MailroomError> {
    Ok(mailroom
        .outbox()?
        .into_iter()
        .map(|e| Waiting {
            parcel_id: e.parcel_id,
            confirmed: e.confirmed,
            size: e.size,
            reason: reason.to_owned(),
        })
        .collect())
}

/// Deletes on the relay the blobs of parcels the member deleted or cancelled.
pub(crate) fn delete_on_relay(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    report: &mut SyncReport,
) -> Result<(), MailroomError> {
    let pending: Vec<(String, String)> = mailroom
        .conn
        .prepare("SELECT blob_id, parcel_id FROM relay_deletions")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (blob, parcel_id) in pending {
        match session.run(|relay, token| relay.delete_blob(token, &blob).map(|_| ())) {
            Ok(()) => {
                let tx = mailroom.conn.unchecked_transaction()?;
                tx.execute("DELETE FROM relay_deletions WHERE blob_id = ?1", [&blob])?;
                audit::append(
                    &tx,
                    "deleted-on-relay",
                    Some(&parcel_id),
                    None,
                    Some("its copy on the relay was deleted"),
                )?;
                tx.commit()?;
            }
            Err(e) => report.problems.push(format!(
                "parcel {parcel_id} is not yet deleted on the relay ({e}); retried at the next sync"
            )),
        }
    }
    Ok(())
}

struct Pending {
    parcel_id: String,
    kind: String,
    upload_id: Option<String>,
    length: u64,
    vault_file: String,
    to: Vec<MemberId>,
}

/// Uploads every parcel in the outbox, oldest first.
pub(crate) fn upload(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    report: &mut SyncReport,
    progress: &dyn Progress,
) -> Result<(), MailroomError> {
    let me = mailroom.my_id();
    let rows: Vec<(String, String, Option<String>, u64, String)> = mailroom
        .conn
        .prepare(
            "SELECT o.parcel_id, p.kind, o.upload_id, o.length, p.vault_file \
             FROM outbox o JOIN parcels p USING (parcel_id) ORDER BY o.queued_at, o.rowid",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (parcel_id, kind, upload_id, length, vault_file) in rows {
        let to = mailroom
            .conn
            .prepare("SELECT member_id FROM recipients WHERE parcel_id = ?1 AND member_id != ?2")?
            .query_map(params![parcel_id, me], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        let pending = Pending {
            parcel_id,
            kind,
            upload_id,
            length,
            vault_file,
            to,
        };
        match upload_one(mailroom, session, &pending, progress) {
            Ok(done) => report.sent.push(done),
            Err(e) => {
                let confirmed: u64 = mailroom.conn.query_row(
                    "SELECT confirmed FROM outbox WHERE parcel_id = ?1",
                    [&pending.parcel_id],
                    |row| row.get(0),
                )?;
                mailroom.conn.execute(
                    "UPDATE outbox SET last_error = ?2 WHERE parcel_id = ?1",
                    params![pending.parcel_id, e.to_string()],
                )?;
                report.waiting.push(Waiting {
                    parcel_id: pending.parcel_id.clone(),
                    confirmed,
                    size: pending.length,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Moves one parcel's bytes until the relay holds all of them, or the session runs out of
/// patience. Each step is recorded, so the next pass (or process) starts where this one ended.
fn upload_one(
    mailroom: &Mailroom,
    session: &mut Session<'_>,
    pending: &Pending,
    progress: &dyn Progress,
) -> Result<Transferred, MailroomError> {
    let conn = &mailroom.conn;
    let path = mailroom.vault().join(&pending.vault_file);
    let mut upload_id = pending.upload_id.clone();
    progress.start(crate::progress::Phase::Uploading, pending.length);
    let mut shown = 0u64;
    // The relay's offset after the last PATCH that failed: a failure after which the offset
    // moved on was progress (the relay kept part of the body), so patience is restored.
    let mut failed_at: Option<u64> = None;
    let result = session.persist(|relay, token| {
        // A new upload is at offset 0: no need to ask (one round trip less, 600 ms on a
        // satellite link). An existing one is asked, since only the relay knows what arrived.
        let (id, known_offset) = match &upload_id {
            Some(id) => (id.clone(), None),
            None => {
                let id = relay.create_upload(token, pending.length, &pending.to)?;
                conn.execute(
                    "UPDATE outbox SET upload_id = ?2 WHERE parcel_id = ?1",
                    params![pending.parcel_id, id],
                )
                .map_err(local)?;
                upload_id = Some(id.clone());
                (id, Some(0))
            }
        };
        let offset = match known_offset {
            Some(offset) => Some(offset),
            None => relay.upload_offset(token, &id)?,
        };
        let Some(offset) = offset else {
            // The relay no longer has it (expired before it was finished): start over. The
            // parcel itself is unchanged; only its bytes travel again.
            conn.execute(
                "UPDATE outbox SET upload_id = NULL, confirmed = 0 WHERE parcel_id = ?1",
                [&pending.parcel_id],
            )
            .map_err(local)?;
            upload_id = None;
            return Ok(Attempt::Progressed);
        };
        conn.execute(
            "UPDATE outbox SET confirmed = ?2, attempts = attempts + 1 WHERE parcel_id = ?1",
            params![pending.parcel_id, offset],
        )
        .map_err(local)?;
        progress.advance(offset.saturating_sub(shown));
        shown = shown.max(offset);
        if offset >= pending.length {
            return Ok(Attempt::Done);
        }
        if failed_at.take().is_some_and(|before| offset > before) {
            return Ok(Attempt::Progressed);
        }
        let len = (pending.length - offset).min(MAX_PATCH);
        let mut file = std::fs::File::open(&path).map_err(|e| RelayError::Local {
            context: format!("cannot read {}", path.display()),
            source: e,
        })?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| RelayError::Local {
                context: format!("cannot read {}", path.display()),
                source: e,
            })?;
        let counter = Arc::new(AtomicU64::new(0));
        let body = Counted {
            inner: file.take(len),
            count: Arc::clone(&counter),
        };
        let result = relay.patch_upload(token, &id, offset, body, len);
        // Counted whatever happened: these bytes went to the network (or at least to its
        // buffers), and the re-sent figure must not hide a failed attempt's share.
        conn.execute(
            "UPDATE outbox SET sent_bytes = sent_bytes + ?2 WHERE parcel_id = ?1",
            params![pending.parcel_id, counter.load(Ordering::Relaxed)],
        )
        .map_err(local)?;
        if result.is_err() {
            failed_at = Some(offset);
        }
        let new_offset = result?;
        conn.execute(
            "UPDATE outbox SET confirmed = ?2 WHERE parcel_id = ?1",
            params![pending.parcel_id, new_offset],
        )
        .map_err(local)?;
        progress.advance(new_offset.saturating_sub(shown));
        shown = shown.max(new_offset);
        Ok(if new_offset >= pending.length {
            Attempt::Done
        } else {
            Attempt::Progressed
        })
    });
    progress.finish();
    if let Err(e) = result {
        return Err(e.into());
    }
    let sent_bytes: u64 = conn.query_row(
        "SELECT sent_bytes FROM outbox WHERE parcel_id = ?1",
        [&pending.parcel_id],
        |row| row.get(0),
    )?;
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE parcels SET status = CASE status WHEN 'queued' THEN 'sent' ELSE status END, \
         relay_blob = ?2 WHERE parcel_id = ?1",
        params![pending.parcel_id, upload_id],
    )?;
    tx.execute(
        "DELETE FROM outbox WHERE parcel_id = ?1",
        [&pending.parcel_id],
    )?;
    let resent = sent_bytes.saturating_sub(pending.length);
    audit::append(
        &tx,
        "sent",
        Some(&pending.parcel_id),
        None,
        Some(&format!(
            "{} bytes uploaded, {resent} of them re-sent after interruptions",
            pending.length
        )),
    )?;
    tx.commit()?;
    Ok(Transferred {
        parcel_id: pending.parcel_id.clone(),
        kind: pending.kind.clone(),
        size: pending.length,
        sent_bytes,
        resent_bytes: resent,
    })
}

fn local(e: rusqlite::Error) -> RelayError {
    RelayError::Local {
        context: "your local store failed".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// A reader that counts what the HTTP client took from it.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
