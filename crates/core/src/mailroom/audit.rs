//! The audit log: an append-only, hash-chained record of everything this member's app did with
//! parcels (sealed, sent, received, opened, receipts, deletions, corrections, expiry), with
//! checkpoints signed by the member's key.
//!
//! Each entry's hash covers the previous entry's hash, so editing an entry breaks every hash
//! after it, and removing one breaks the chain (and the sequence numbers). A checkpoint signs
//! the newest entry's sequence number and hash; one is written after every command that logs
//! anything, so cutting entries off the end is caught by the checkpoint that covered them.
//! What it cannot catch: someone holding the member's keys who rewrites the log and re-signs
//! it — the log is evidence of what this app did, not a witness against its owner.

use rusqlite::{Connection, OptionalExtension, params};
use sealpost_format::{SigningContext, SigningPublicKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{MailroomError, now_text};
use crate::identity::Identity;

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Its position, from 1, without gaps.
    pub seq: u64,
    /// When it was written (UTC, RFC 3339).
    pub at: String,
    /// What happened: `sealed`, `sent`, `received`, `opened`, `receipt-sent`,
    /// `receipt-received`, `deletion-requested`, `deleted`, `superseded`, `expired`,
    /// `rejected`, `cancelled`.
    pub event: String,
    /// The parcel it concerns.
    pub parcel_id: Option<String>,
    /// The other member involved (member id).
    pub peer: Option<String>,
    /// Details in words (never file contents).
    pub detail: Option<String>,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogVerification {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints whose signature verified.
    pub checkpoints: u64,
    /// The newest entry a valid checkpoint covers.
    pub signed_through: u64,
    /// Every problem found; empty when the log is intact.
    pub problems: Vec<String>,
}

impl LogVerification {
    /// Whether the log is intact and fully signed.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The bytes an entry's hash covers: the previous hash, then the entry as JSON.
fn entry_hash(prev: &str, entry: &LogEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sealpost/v1/log\n");
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(entry).expect("a log entry serialises"));
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

fn checkpoint_message(seq: u64, hash: &str) -> Vec<u8> {
    format!("{seq}:{hash}").into_bytes()
}

/// Appends an entry (inside the caller's transaction, so the entry and the change it records
/// commit together).
pub(crate) fn append(
    conn: &Connection,
    event: &str,
    parcel_id: Option<&str>,
    peer: Option<&str>,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    let last: Option<(u64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
    let entry = LogEntry {
        seq,
        at: now_text(),
        event: event.to_owned(),
        parcel_id: parcel_id.map(str::to_owned),
        peer: peer.map(str::to_owned),
        detail: detail.map(str::to_owned),
    };
    let hash = entry_hash(&prev, &entry);
    conn.execute(
        "INSERT INTO log (seq, at, event, parcel_id, peer, detail, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            entry.seq,
            entry.at,
            entry.event,
            entry.parcel_id,
            entry.peer,
            entry.detail,
            prev,
            hash
        ],
    )?;
    Ok(())
}

/// Signs the newest entry, unless a checkpoint covers it already.
pub(crate) fn checkpoint(conn: &Connection, me: &Identity) -> Result<(), MailroomError> {
    let run = || -> rusqlite::Result<()> {
        let newest: Option<(u64, String)> = conn
            .query_row(
                "SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((seq, hash)) = newest else {
            return Ok(());
        };
        let signature =
            SigningContext::LogCheckpoint.sign(me.signing_key(), &checkpoint_message(seq, &hash));
        conn.execute(
            "INSERT OR IGNORE INTO log_checkpoints (seq, hash, signed_by, signature, at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                seq,
                hash,
                me.signing_public_key().to_string(),
                data_encoding::BASE64URL_NOPAD.encode(&signature),
                OffsetDateTime::now_utc().unix_timestamp().to_string()
            ],
        )?;
        Ok(())
    };
    run().map_err(|e| MailroomError::Sql(e.to_string()))
}

/// Every entry, oldest first.
pub(crate) fn entries(conn: &Connection) -> rusqlite::Result<Vec<LogEntry>> {
    let mut statement =
        conn.prepare("SELECT seq, at, event, parcel_id, peer, detail FROM log ORDER BY seq")?;
    let rows = statement.query_map([], |row| {
        Ok(LogEntry {
            seq: row.get(0)?,
            at: row.get(1)?,
            event: row.get(2)?,
            parcel_id: row.get(3)?,
            peer: row.get(4)?,
            detail: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// Recomputes the chain and checks every checkpoint against `keys` (the member's signing keys,
/// current and earlier).
pub(crate) fn verify(
    conn: &Connection,
    keys: &[SigningPublicKey],
) -> rusqlite::Result<LogVerification> {
    let mut problems = Vec::new();
    let mut statement = conn.prepare(
        "SELECT seq, at, event, parcel_id, peer, detail, prev_hash, hash FROM log ORDER BY seq",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            LogEntry {
                seq: row.get(0)?,
                at: row.get(1)?,
                event: row.get(2)?,
                parcel_id: row.get(3)?,
                peer: row.get(4)?,
                detail: row.get(5)?,
            },
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
        ))
    })?;
    let mut hashes = std::collections::HashMap::new();
    let mut expected_seq = 1u64;
    let mut prev = GENESIS.to_owned();
    let mut entries = 0u64;
    for row in rows {
        let (entry, stored_prev, stored_hash) = row?;
        entries += 1;
        if entry.seq != expected_seq {
            problems.push(format!(
                "entries {expected_seq} to {} are missing",
                entry.seq - 1
            ));
        }
        if stored_prev != prev {
            problems.push(format!(
                "entry {} does not follow the entry before it (one was removed or changed)",
                entry.seq
            ));
        }
        let computed = entry_hash(&stored_prev, &entry);
        if computed != stored_hash {
            problems.push(format!(
                "entry {} was changed after it was written",
                entry.seq
            ));
        }
        hashes.insert(entry.seq, stored_hash.clone());
        prev = stored_hash;
        expected_seq = entry.seq + 1;
    }
    let newest = expected_seq - 1;
    let mut checkpoints = 0u64;
    let mut signed_through = 0u64;
    let mut statement =
        conn.prepare("SELECT seq, hash, signed_by, signature FROM log_checkpoints ORDER BY seq")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, u64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (seq, hash, signed_by, signature) = row?;
        let signer = signed_by.parse::<SigningPublicKey>().ok();
        let signature = data_encoding::BASE64URL_NOPAD
            .decode(signature.as_bytes())
            .unwrap_or_default();
        let valid = signer.is_some_and(|k| {
            keys.contains(&k)
                && SigningContext::LogCheckpoint
                    .verify(&k, &checkpoint_message(seq, &hash), &signature)
                    .is_ok()
        });
        if !valid {
            problems.push(format!(
                "the checkpoint at entry {seq} is not signed by your key"
            ));
            continue;
        }
        match hashes.get(&seq) {
            None => problems.push(format!(
                "the checkpoint at entry {seq} covers an entry that is gone (entries were \
                 removed from the end of the log)"
            )),
            Some(h) if *h != hash => problems.push(format!(
                "entry {seq} differs from what its signed checkpoint recorded"
            )),
            Some(_) => {
                checkpoints += 1;
                signed_through = signed_through.max(seq);
            }
        }
    }
    if signed_through < newest {
        problems.push(format!(
            "entries {} to {newest} are not covered by a signed checkpoint",
            signed_through + 1
        ));
    }
    Ok(LogVerification {
        entries,
        checkpoints,
        signed_through,
        problems,
    })
}
