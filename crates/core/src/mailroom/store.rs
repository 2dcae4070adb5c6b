//! The member's local store: one SQLite database encrypted at rest with SQLCipher, keyed by a
//! random 256-bit key that is itself sealed (age) to the member's own X25519 key. Whoever can
//! unlock the identity (OS keyring or passphrase) can open the store; a copy of the data
//! directory alone reveals nothing. The database holds metadata only (manifests, receipts,
//! the audit log); parcels stay sealed in the vault beside it.

use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroizing;

use super::MailroomError;
use crate::identity::Identity;
use crate::keystore::{open_secret, read_bounded, seal_secret};

/// The database file, in the data directory.
pub(crate) const DB_FILE: &str = "mailroom.db";
/// The database key, sealed to the member's own key.
pub(crate) const KEY_FILE: &str = "mailroom.key";

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran. Never edit
/// a released step: add the next one.
const MIGRATIONS: &[&str] = &[
    // 1: parcels sent and received, the outbox, downloads in progress, receipts, opened
    //    copies, deletion requests, and the hash-chained audit log.
    r#"
    CREATE TABLE parcels (
        parcel_id     TEXT PRIMARY KEY,
        direction     TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        kind          TEXT NOT NULL,
        label         TEXT NOT NULL,
        sender_id     TEXT NOT NULL,
        sender_name   TEXT NOT NULL,
        sender_org    TEXT NOT NULL,
        sender_status TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        received_at   TEXT NOT NULL,
        note          TEXT,
        files         TEXT NOT NULL,
        sealed_size   INTEGER NOT NULL,
        supersedes    TEXT,
        about         TEXT,
        manifest      TEXT NOT NULL,
        vault_file    TEXT,
        status        TEXT NOT NULL,
        superseded_by TEXT,
        relay_blob    TEXT,
        keep_until    TEXT
    );
    CREATE INDEX parcels_by_time ON parcels (direction, received_at);
    CREATE TABLE recipients (
        parcel_id TEXT NOT NULL REFERENCES parcels ON DELETE CASCADE,
        member_id TEXT NOT NULL,
        name      TEXT NOT NULL,
        org       TEXT NOT NULL,
        PRIMARY KEY (parcel_id, member_id)
    );
    CREATE TABLE outbox (
        parcel_id       TEXT PRIMARY KEY REFERENCES parcels ON DELETE CASCADE,
        upload_id       TEXT,
        length          INTEGER NOT NULL,
        confirmed       INTEGER NOT NULL DEFAULT 0,
        sent_bytes      INTEGER NOT NULL DEFAULT 0,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error      TEXT,
        queued_at       TEXT NOT NULL
    );
    CREATE TABLE downloads (
        blob_id     TEXT PRIMARY KEY,
        size        INTEGER NOT NULL,
        from_member TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        rejected_at TEXT,
        first_seen  TEXT NOT NULL
    );
    CREATE TABLE receipts (
        receipt_id  TEXT PRIMARY KEY,
        about       TEXT NOT NULL,
        from_member TEXT NOT NULL,
        event       TEXT NOT NULL,
        at          TEXT NOT NULL,
        detail      TEXT
    );
    CREATE INDEX receipts_about ON receipts (about);
    CREATE TABLE opened_copies (
        parcel_id  TEXT NOT NULL,
        dir        TEXT NOT NULL,
        managed    INTEGER NOT NULL,
        files      TEXT NOT NULL,
        opened_at  TEXT NOT NULL,
        removed_at TEXT
    );
    CREATE TABLE deletion_requests (
        about       TEXT PRIMARY KEY,
        from_member TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE relay_deletions (
        blob_id   TEXT PRIMARY KEY,
        parcel_id TEXT NOT NULL
    );
    CREATE TABLE log (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        event     TEXT NOT NULL,
        parcel_id TEXT,
        peer      TEXT,
        detail    TEXT,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    );
    CREATE TABLE log_checkpoints (
        seq       INTEGER PRIMARY KEY,
        hash      TEXT NOT NULL,
        signed_by TEXT NOT NULL,
        signature TEXT NOT NULL,
        at        TEXT NOT NULL
    );
    -- Append-only: the app never changes or removes an entry. (Whoever holds the key can
    -- drop these triggers; the hash chain and the signed checkpoints are what detect that.)
    CREATE TRIGGER log_no_update BEFORE UPDATE ON log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER log_no_delete BEFORE DELETE ON log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 2: partners' rights requests (access, correction, deletion), on both sides, so that
    //    each can see them with their status and dates. What the handler's app did on its
    //    own (a deletion) is kept with the request; the updates travel as receipts.
    //    Requests already made are carried over from the parcels (received deletion
    //    requests were not kept before, so the handler's list starts with this version).
    r#"
    CREATE TABLE rights_requests (
        request_id     TEXT PRIMARY KEY,
        direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        kind           TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'deletion')),
        about          TEXT,
        requester_id   TEXT NOT NULL,
        requester_name TEXT NOT NULL,
        requester_org  TEXT NOT NULL,
        requested_at   TEXT NOT NULL,
        received_at    TEXT NOT NULL,
        note           TEXT,
        handled_status TEXT,
        handled_at     TEXT,
        handled_detail TEXT
    );
    INSERT OR IGNORE INTO rights_requests (request_id, direction, kind, about, requester_id,
        requester_name, requester_org, requested_at, received_at, note)
        SELECT parcel_id, 'out', 'deletion', about, sender_id, sender_name, sender_org,
            created_at, received_at, note
        FROM parcels WHERE direction = 'out' AND kind = 'deletion-request';
    INSERT OR IGNORE INTO rights_requests (request_id, direction, kind, about, requester_id,
        requester_name, requester_org, requested_at, received_at, note)
        SELECT parcel_id, direction, 'correction', supersedes, sender_id, sender_name,
            sender_org, created_at, received_at, note
        FROM parcels WHERE supersedes IS NOT NULL;
    "#,
];

/// Opens (creating on first use) the member's store in `dir`, keyed from `keys` (the current
/// identity first). Migrates the schema to the newest version.
pub(crate) fn open(dir: &Path, keys: &[Identity]) -> Result<Connection, MailroomError> {
    let db_path = dir.join(DB_FILE);
    let key = store_key(dir, keys, db_path.exists())?;
    let conn = Connection::open(&db_path).map_err(|e| MailroomError::store(&db_path, e))?;
    restrict_permissions(&db_path);
    // SQLCipher prints a wrong key to stderr on its own; the error below says it better.
    let _ = conn.pragma_update(None, "cipher_log_level", "NONE");
    let hex = Zeroizing::new(data_encoding::HEXLOWER.encode(key.as_slice()));
    let pragma = Zeroizing::new(format!("x'{}'", hex.as_str()));
    conn.pragma_update(None, "key", pragma.as_str())
        .map_err(|e| MailroomError::store(&db_path, e))?;
    // The first read fails with "not a database" under a wrong key.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(|_| MailroomError::StoreLocked {
            path: db_path.display().to_string(),
        })?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .and_then(|()| conn.pragma_update(None, "journal_mode", "WAL"))
        .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
        .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
        .map_err(|e| MailroomError::store(&db_path, e))?;
    migrate(&conn).map_err(|e| match e {
        Migration::Newer(version) => MailroomError::StoreTooNew {
            path: db_path.display().to_string(),
            version,
        },
        Migration::Sql(e) => MailroomError::store(&db_path, e),
    })?;
    Ok(conn)
}

enum Migration {
    Newer(u32),
    Sql(rusqlite::Error),
}

fn migrate(conn: &Connection) -> Result<(), Migration> {
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(Migration::Sql)?;
    if version as usize > MIGRATIONS.len() {
        return Err(Migration::Newer(version));
    }
    for (index, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let apply = || -> rusqlite::Result<()> {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", index as u32 + 1)?;
            tx.commit()
        };
        apply().map_err(Migration::Sql)?;
    }
    Ok(())
}

/// The database key: read from [`KEY_FILE`] and unsealed with any of the member's keys (and
/// re-sealed to the current key after a key change), or made on first use.
fn store_key(
    dir: &Path,
    keys: &[Identity],
    db_exists: bool,
) -> Result<Zeroizing<Vec<u8>>, MailroomError> {
    let path = dir.join(KEY_FILE);
    let current = keys.first().expect("at least the current identity");
    if path.exists() {
        let sealed = read_bounded(&path)?;
        let key = open_secret(&sealed, keys).map_err(|reason| MailroomError::StoreKey {
            path: path.display().to_string(),
            reason,
        })?;
        if key.len() != 32 {
            return Err(MailroomError::StoreKey {
                path: path.display().to_string(),
                reason: format!("it holds {} bytes, not a 32-byte key", key.len()),
            });
        }
        // Re-sealed when only an earlier key opened it, so retiring old keys later keeps the
        // store open. The current key always opens it first when it can.
        if open_secret(&sealed, std::slice::from_ref(current)).is_err() {
            let resealed = seal_secret(&key, &current.age_recipient());
            crate::fsutil::write_atomically(&path, &resealed, true)
                .map_err(|e| MailroomError::io(format!("cannot write {}", path.display()), e))?;
        }
        return Ok(key);
    }
    if db_exists {
        return Err(MailroomError::StoreKey {
            path: path.display().to_string(),
            reason: "the file is missing, so the database beside it cannot be opened; restore \
                     it from the backup of this data directory"
                .into(),
        });
    }
    let mut key = Zeroizing::new(vec![0u8; 32]);
    getrandom::getrandom(&mut key).expect("the OS random number generator works");
    let sealed = seal_secret(&key, &current.age_recipient());
    std::fs::create_dir_all(dir)
        .map_err(|e| MailroomError::io(format!("cannot create {}", dir.display()), e))?;
    crate::fsutil::write_atomically(&path, &sealed, false)
        .map_err(|e| MailroomError::io(format!("cannot write {}", path.display()), e))?;
    Ok(key)
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // Encrypted anyway; 0600 keeps even its size and times to the member.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store made by version 1 keeps its corrections and deletion requests as rights
    /// requests after the upgrade, on the side that made or received them.
    #[test]
    fn version_2_carries_the_rights_requests_already_made_over() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let parcel = |id: &str,
                      direction: &str,
                      kind: &str,
                      supersedes: Option<&str>,
                      about: Option<&str>| {
            conn.execute(
                "INSERT INTO parcels (parcel_id, direction, kind, label, sender_id, sender_name, \
                 sender_org, sender_status, created_at, received_at, note, files, sealed_size, \
                 supersedes, about, manifest, status) VALUES (?1, ?2, ?3, 'confidential', 'm1', \
                 'Daw Aye', 'NGO', 'verified', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', \
                 NULL, '[]', 1, ?4, ?5, '{}', 'sent')",
                rusqlite::params![id, direction, kind, supersedes, about],
            )
            .unwrap();
        };
        parcel("a", "out", "data", None, None);
        parcel("b", "out", "data", Some("a"), None);
        parcel("c", "out", "deletion-request", None, Some("b"));
        parcel("d", "in", "data", Some("x"), None);
        parcel("e", "out", "receipt", None, Some("d"));
        migrate(&conn).map_err(|_| "migration failed").unwrap();
        let mut rows: Vec<(String, String, String, Option<String>)> = conn
            .prepare("SELECT request_id, direction, kind, about FROM rights_requests ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        rows.sort();
        let expected = [
            ("b", "out", "correction", Some("a")),
            ("c", "out", "deletion", Some("b")),
            ("d", "in", "correction", Some("x")),
        ]
        .map(|(a, b, c, d)| {
            (
                a.to_owned(),
                b.to_owned(),
                c.to_owned(),
                d.map(str::to_owned),
            )
        });
        assert_eq!(rows, expected);
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
    }
}
