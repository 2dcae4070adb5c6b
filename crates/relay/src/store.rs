//! The relay's store: one SQLite database (WAL) under the data directory. It holds the signed
//! roster versions, login challenges, hashed bearer tokens, uploads, mailboxes and pending join
//! requests; never a plaintext, a file name or a label (the relay never has them). Schema
//! versions are migrated in order at open.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;

/// Each migration brings the schema from version `i` to `i + 1` (SQLite's `user_version`).
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE roster (
        version    INTEGER PRIMARY KEY,
        envelope   BLOB NOT NULL,
        stored_at  INTEGER NOT NULL
    );
    CREATE TABLE challenges (
        nonce      BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        token_hash BLOB PRIMARY KEY,
        member_id  TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX tokens_by_member ON tokens (member_id);
",
    "
    CREATE TABLE uploads (
        id           TEXT PRIMARY KEY,
        uploader     TEXT NOT NULL,
        length       INTEGER NOT NULL,
        offset       INTEGER NOT NULL DEFAULT 0,
        recipients   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        completed_at INTEGER
    );
    CREATE TABLE mailbox (
        blob_id     TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
        member_id   TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (blob_id, member_id)
    );
    CREATE INDEX mailbox_by_member ON mailbox (member_id);
",
    "
    CREATE TABLE join_requests (
        id          TEXT PRIMARY KEY,
        invite_id   TEXT NOT NULL,
        envelope    BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    );
    CREATE INDEX join_requests_by_invite ON join_requests (invite_id);
",
];

/// The database, shared by request handlers. SQLite work is short; it runs on the blocking
/// thread pool so it never stalls the async workers.
#[derive(Debug, Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    blobs: PathBuf,
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused.
    #[error("the relay database {path} cannot be used: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The blob directory cannot be created.
    #[error("cannot create the blob directory {path}: {source}")]
    Blobs {
        /// The directory.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The database is from a newer relay.
    #[error(
        "the relay database {path} has schema version {found}, newer than this relay knows \
         ({known}); run the newer relay, or restore a backup"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// Its schema version.
        found: usize,
        /// The newest this relay knows.
        known: usize,
    },
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let sqlite = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        // WAL: readers never block the writer; FULL sync: a committed row survives power loss.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        let found = usize::try_from(found).unwrap_or(usize::MAX);
        if found > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: shown,
                found,
                known: MIGRATIONS.len(),
            });
        }
        for (version, sql) in MIGRATIONS.iter().enumerate().skip(found) {
            let tx = conn.transaction().map_err(sqlite)?;
            tx.execute_batch(sql).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", version as i64 + 1)
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        // Blobs live beside the database: `<id>.partial` while uploading, `<id>` when complete.
        let blobs = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("blobs");
        std::fs::create_dir_all(&blobs).map_err(|e| StoreError::Blobs {
            path: blobs.display().to_string(),
            source: e,
        })?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            blobs,
        })
    }

    /// The directory holding blob files.
    pub fn blob_dir(&self) -> &Path {
        &self.blobs
    }

    /// Runs `work` with the connection on the blocking pool.
    pub async fn call<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|e| {
            // SQLITE_FULL: the statement was not committed; the client retries later.
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
                AppError::disk_full()
            } else {
                AppError::internal(e)
            }
        })
    }

    /// The newest roster envelope, if any.
    pub async fn latest_roster(&self) -> Result<Option<Vec<u8>>, AppError> {
        self.call(|conn| {
            conn.query_row(
                "SELECT envelope FROM roster ORDER BY version DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
        })
        .await
    }

    /// Stores a roster version (already checked by the caller). Fails if the version exists:
    /// two concurrent PUTs of the same version cannot both win.
    pub async fn add_roster(
        &self,
        version: u64,
        envelope: Vec<u8>,
        now: i64,
    ) -> Result<bool, AppError> {
        let version = i64::try_from(version).map_err(AppError::internal)?;
        self.call(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO roster (version, envelope, stored_at) VALUES (?1, ?2, ?3)",
                params![version, envelope, now],
            )
            .map(|n| n == 1)
        })
        .await
    }
}
