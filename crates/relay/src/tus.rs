//! Uploads, by the tus 1.0 protocol (core, creation, termination, expiration, checksum with
//! sha256), so any standard tus client works with a bearer token.
//!
//! A blob is written to `blobs/<id>.partial`; each PATCH first cuts the file back to the
//! offset the database holds (so bytes written before a crash, but never acknowledged, are
//! dropped), appends the body, fsyncs, and only then records the new offset. When the last byte
//! arrives the file is renamed to `blobs/<id>` and, in the same database transaction that marks
//! the upload complete, the blob lands in every recipient's mailbox. `Upload-Metadata` may carry
//! only `to` (recipients' member ids): never a name, a label or an expiry of the client's.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::{BASE64, HEXLOWER};
use http_body_util::BodyExt;
use rusqlite::{OptionalExtension, params};
use sealpost_format::MemberId;
use sealpost_format::roster::MemberStatus;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::auth::Member;
use crate::{AppError, AppState, roster};

/// The tus protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// The largest blob accepted, in bytes.
pub const MAX_UPLOAD: u64 = 4 << 30;
/// How long a blob is kept when the roster says nothing (it normally does: its policy).
const DEFAULT_RETENTION_DAYS: i64 = 30;
/// Most recipients one upload may name.
const MAX_RECIPIENTS: usize = 500;

fn tus_headers(status: StatusCode) -> Response {
    let mut response = status.into_response();
    response
        .headers_mut()
        .insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

fn set(response: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

fn http_date(t: OffsetDateTime) -> String {
    // RFC 7231 IMF-fixdate, as tus's Upload-Expires wants.
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).unwrap_or_default()
}

fn check_resumable(headers: &HeaderMap) -> Result<(), AppError> {
    match headers.get("Tus-Resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(AppError::new(
            StatusCode::PRECONDITION_FAILED,
            "tus-version",
            "send Tus-Resumable: 1.0.0",
        )),
    }
}

/// A write failure: a full disk is the client's to retry later (507), anything else internal.
fn storage_error(e: std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return AppError::disk_full();
    }
    AppError::internal(e)
}

fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "no-such-upload", "no such upload")
}

/// `OPTIONS /v1/uploads`: what this server supports.
pub async fn options() -> Response {
    let mut response = tus_headers(StatusCode::NO_CONTENT);
    set(&mut response, "Tus-Version", TUS_VERSION);
    set(
        &mut response,
        "Tus-Extension",
        "creation,termination,expiration,checksum",
    );
    set(&mut response, "Tus-Max-Size", MAX_UPLOAD);
    set(&mut response, "Tus-Checksum-Algorithm", "sha256");
    response
}

/// The recipients from `Upload-Metadata: to <base64 of "id,id">`; any other key is refused.
fn recipients(headers: &HeaderMap) -> Result<Vec<MemberId>, AppError> {
    let bad = |why: &str| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "bad-metadata",
            format!("Upload-Metadata must be `to <base64 of comma-separated member ids>`: {why}"),
        )
    };
    let text = headers
        .get("Upload-Metadata")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| bad("missing"))?;
    let mut to = None;
    for pair in text.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        match (parts.next(), parts.next()) {
            (Some("to"), Some(value)) if to.is_none() => {
                let decoded = BASE64
                    .decode(value.trim().as_bytes())
                    .map_err(|_| bad("the value is not base64"))?;
                to = Some(String::from_utf8(decoded).map_err(|_| bad("not text"))?);
            }
            _ => return Err(bad("only the key `to` is accepted")),
        }
    }
    let ids: Vec<MemberId> = to
        .ok_or_else(|| bad("no `to`"))?
        .split(',')
        .map(|id| id.trim().parse().map_err(|_| bad("not member ids")))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() || ids.len() > MAX_RECIPIENTS {
        return Err(bad("between 1 and 500 recipients"));
    }
    Ok(ids)
}

/// `POST /v1/uploads`: creates an upload of `Upload-Length` bytes for the recipients.
pub async fn create(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    check_resumable(&headers)?;
    let length: u64 = headers
        .get("Upload-Length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                "bad-length",
                "send Upload-Length: the blob's size in bytes",
            )
        })?;
    if length > MAX_UPLOAD {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("a blob may be at most {MAX_UPLOAD} bytes"),
        ));
    }
    let to = recipients(&headers)?;
    let (uploader, now_s) = (
        member.member_id.to_string(),
        OffsetDateTime::now_utc().unix_timestamp(),
    );
    let held: i64 = state
        .store
        .call(move |conn| {
            conn.query_row(
                "SELECT COALESCE(SUM(length), 0) FROM uploads \
                 WHERE uploader = ?1 AND expires_at > ?2",
                params![uploader, now_s],
                |row| row.get(0),
            )
        })
        .await?;
    let held = held.max(0) as u64;
    if held.saturating_add(length) > state.quota_bytes {
        return Err(AppError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "quota-exceeded",
            format!(
                "you keep {held} bytes on the relay and may keep {}; wait until recipients \
                 collect your parcels, or delete ones you no longer need",
                state.quota_bytes
            ),
        ));
    }
    let roster = roster::governing(&state).await?;
    let roster = roster.roster();
    for id in &to {
        if !roster
            .member(*id)
            .is_some_and(|m| m.status == MemberStatus::Active)
        {
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                "bad-recipient",
                format!("{id} is not an active member of the cluster"),
            ));
        }
    }
    // One retention for every blob, from the signed policy: no expiry can reveal a label.
    let days = match roster.policy.relay_retention_days {
        0 => DEFAULT_RETENTION_DAYS,
        days => i64::from(days),
    };
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero is valid");
    let expires_at = now + Duration::days(days);
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).expect("the OS random number generator failed");
    let id = HEXLOWER.encode(&raw);
    tokio::fs::File::create(partial_path(&state, &id))
        .await
        .map_err(storage_error)?;
    let list = to
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let (row_id, uploader) = (id.clone(), member.member_id.to_string());
    let length_i = i64::try_from(length).map_err(AppError::internal)?;
    let (now_s, expires_s) = (now.unix_timestamp(), expires_at.unix_timestamp());
    let inserted = state
        .store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO uploads (id, uploader, length, recipients, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![row_id, uploader, length_i, list, now_s, expires_s],
            )
        })
        .await;
    if let Err(e) = inserted {
        // No row, no file: a refused creation (SQLite out of room) leaves nothing behind that
        // no sweep would ever delete.
        let _ = tokio::fs::remove_file(partial_path(&state, &id)).await;
        return Err(e);
    }
    tracing::info!(upload = %id, length, recipients = to.len(), "upload created");
    let mut response = tus_headers(StatusCode::CREATED);
    set(&mut response, "Location", format!("/v1/uploads/{id}"));
    set(&mut response, "Upload-Expires", http_date(expires_at));
    if length == 0 {
        complete(&state, &id).await?;
    }
    Ok(response)
}

fn partial_path(state: &AppState, id: &str) -> std::path::PathBuf {
    state.store.blob_dir().join(format!("{id}.partial"))
}

fn blob_path(state: &AppState, id: &str) -> std::path::PathBuf {
    state.store.blob_dir().join(id)
}

/// An upload as the database holds it.
struct Upload {
    length: u64,
    offset: u64,
    expires_at: i64,
    completed: bool,
}

/// The caller's own upload `id`; anyone else's, or none, is "not found" alike.
async fn own_upload(state: &AppState, member: Member, id: &str) -> Result<Upload, AppError> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let (row_id, uploader) = (id.to_owned(), member.member_id.to_string());
    let row = state
        .store
        .call(move |conn| {
            conn.query_row(
                "SELECT length, offset, expires_at, completed_at IS NOT NULL FROM uploads \
                 WHERE id = ?1 AND uploader = ?2",
                params![row_id, uploader],
                |row| {
                    Ok(Upload {
                        length: row.get::<_, i64>(0)? as u64,
                        offset: row.get::<_, i64>(1)? as u64,
                        expires_at: row.get(2)?,
                        completed: row.get(3)?,
                    })
                },
            )
            .optional()
        })
        .await?;
    let upload = row.ok_or_else(not_found)?;
    if upload.expires_at <= OffsetDateTime::now_utc().unix_timestamp() {
        return Err(AppError::new(
            StatusCode::GONE,
            "expired",
            "this upload has expired",
        ));
    }
    // Every byte arrived but the relay stopped before completing it: complete it now, so a
    // client that resumes (HEAD) finds it done and recipients get it.
    if !upload.completed && upload.offset == upload.length {
        complete(state, id).await?;
        return Ok(Upload {
            completed: true,
            ..upload
        });
    }
    Ok(upload)
}

/// `HEAD /v1/uploads/{id}`: how far the upload got.
pub async fn head(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let upload = own_upload(&state, member, &id).await?;
    let mut response = tus_headers(StatusCode::OK);
    set(&mut response, "Upload-Offset", upload.offset);
    set(&mut response, "Upload-Length", upload.length);
    set(&mut response, "Cache-Control", "no-store");
    if let Ok(t) = OffsetDateTime::from_unix_timestamp(upload.expires_at) {
        set(&mut response, "Upload-Expires", http_date(t));
    }
    Ok(response)
}

/// `PATCH /v1/uploads/{id}`: appends the body at `Upload-Offset`.
pub async fn patch(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    check_resumable(&headers)?;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "send Content-Type: application/offset+octet-stream",
        ));
    }
    let claimed: u64 = headers
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::new(StatusCode::BAD_REQUEST, "bad-offset", "send Upload-Offset")
        })?;
    let expected_sha256 = match headers.get("Upload-Checksum").and_then(|v| v.to_str().ok()) {
        None => None,
        Some(value) => {
            let digest = value
                .strip_prefix("sha256 ")
                .and_then(|b| BASE64.decode(b.trim().as_bytes()).ok())
                .ok_or_else(|| {
                    AppError::new(
                        StatusCode::BAD_REQUEST,
                        "checksum-algorithm",
                        "only `Upload-Checksum: sha256 <base64>` is supported",
                    )
                })?;
            Some(digest)
        }
    };
    // Whose upload it is comes first: someone else's is "not found", never "busy".
    own_upload(&state, member, &id).await?;
    let _busy = Busy::claim(&state, &id)?;
    // Read again under the claim: another PATCH may have moved the offset meanwhile.
    let upload = own_upload(&state, member, &id).await?;
    if upload.completed || claimed != upload.offset {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "offset-mismatch",
            format!(
                "the upload is at offset {}; HEAD it and resume from there",
                upload.offset
            ),
        ));
    }
    let path = partial_path(&state, &id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .await
        .map_err(AppError::internal)?;
    // Bytes past the recorded offset were never acknowledged (a crash mid-PATCH): drop them.
    file.set_len(upload.offset)
        .await
        .map_err(AppError::internal)?;
    file.seek(std::io::SeekFrom::Start(upload.offset))
        .await
        .map_err(AppError::internal)?;
    let room = upload.length - upload.offset;
    let mut written = 0u64;
    // What of this body is already durable and recorded.
    let mut committed = 0u64;
    let mut hasher = Sha256::new();
    let mut body = body;
    // Why the body ended, for the debug log: the operator's view of a struggling link.
    let mut ended = "complete";
    // The longest wait for the next piece of the body, for the same log: how long TCP took to
    // come back after the link went down (and how close that came to BODY_IDLE).
    let mut longest_pause = std::time::Duration::ZERO;
    let mut last_piece = tokio::time::Instant::now();
    let outcome: Result<(), AppError> = async {
        loop {
            // A cut connection ends the body early; what arrived is kept (below). So does a
            // body that stops arriving: when a link dies without a reset, the connection looks
            // alive until TCP gives up, minutes later, and meanwhile this PATCH would hold the
            // upload busy (423) against the client's resumed PATCH on a new connection.
            let frame = match tokio::time::timeout(BODY_IDLE, body.frame()).await {
                Ok(Some(Ok(frame))) => frame,
                Ok(None) => break,
                Ok(Some(Err(_))) => {
                    ended = "connection lost";
                    break;
                }
                Err(_) => {
                    ended = "idle";
                    break;
                }
            };
            longest_pause = longest_pause.max(last_piece.elapsed());
            last_piece = tokio::time::Instant::now();
            let Ok(data) = frame.into_data() else {
                continue;
            };
            written += data.len() as u64;
            if written > room {
                return Err(AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "past-length",
                    "the body goes past Upload-Length",
                ));
            }
            hasher.update(&data);
            file.write_all(&data).await.map_err(storage_error)?;
            // A long body is made durable and recorded as it goes, so a relay that crashes
            // mid-PATCH keeps all but the last few MiB (clients send bodies of many MiB over
            // slow links). Not with a checksum: that covers the whole body, which must then
            // count all or nothing.
            if expected_sha256.is_none() && written - committed >= COMMIT_EVERY {
                file.flush().await.map_err(storage_error)?;
                file.sync_data().await.map_err(storage_error)?;
                record_offset(&state, &id, upload.offset + written).await?;
                committed = written;
            }
        }
        // tokio's File writes in the background: the error of the last write (a full disk)
        // would surface only at a next write, and `sync_all` below drops it. `flush` reports
        // it, so bytes that never reached the file are never counted.
        file.flush().await.map_err(storage_error)?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        // Back to what is recorded: the start, or the last commit within this body.
        let _ = file.set_len(upload.offset + committed).await;
        return Err(e);
    }
    if let Some(expected) = expected_sha256
        && hasher.finalize().as_slice() != expected.as_slice()
    {
        file.set_len(upload.offset)
            .await
            .map_err(AppError::internal)?;
        return Err(AppError::new(
            StatusCode::from_u16(460).expect("460 is a valid status"),
            "checksum-mismatch",
            "the body does not match Upload-Checksum; send it again",
        ));
    }
    if let Err(e) = file.sync_all().await {
        let _ = file.set_len(upload.offset + committed).await;
        return Err(storage_error(e));
    }
    let new_offset = upload.offset + written;
    if let Err(e) = record_offset(&state, &id, new_offset).await {
        // SQLite had no room, so the new offset is not recorded: cut the bytes back now, giving
        // the full disk its space back (the next PATCH would cut them anyway). On any other
        // failure the outcome is unknown, so the file is left for the next PATCH to cut to
        // whatever offset the database holds.
        if e.status() == StatusCode::INSUFFICIENT_STORAGE {
            let _ = file.set_len(upload.offset + committed).await;
        }
        return Err(e);
    }
    drop(file);
    tracing::debug!(
        upload = %id,
        from = upload.offset,
        received = written,
        ended,
        longest_pause_ms = longest_pause.as_millis(),
        "upload body received"
    );
    if new_offset == upload.length {
        complete(&state, &id).await?;
    }
    let mut response = tus_headers(StatusCode::NO_CONTENT);
    set(&mut response, "Upload-Offset", new_offset);
    Ok(response)
}

/// How much of a PATCH body is written between two commits of the offset.
const COMMIT_EVERY: u64 = 4 << 20;

/// Records an upload's offset (after the bytes up to it were made durable).
async fn record_offset(state: &AppState, id: &str, offset: u64) -> Result<(), AppError> {
    let (row_id, offset_i) = (id.to_owned(), offset as i64);
    state
        .store
        .call(move |conn| {
            conn.execute(
                "UPDATE uploads SET offset = ?1 WHERE id = ?2",
                params![offset_i, row_id],
            )
        })
        .await
        .map(|_| ())
}

/// How long a PATCH body may stay silent before it is treated as cut (keeping what arrived).
///
/// Long enough for TCP to come back by itself after a field link was down for a few seconds:
/// with a 600 ms round trip and 10 % loss, the retransmission timer has backed off to several
/// seconds by then, and recovering the lost window takes several round trips (bodies silent for
/// up to 32 s came back in tests/faults.rs; at 20 s, two of three 3-second outages ended the
/// body). A body ended here is resumed by the client on a new connection, which loses what the
/// old one had in flight and starts again slowly; meanwhile a stale body holds its upload (423)
/// at most this long against a resumed one. The client's own limit is longer (its signal of
/// progress lags), so on a live link the relay's answer is what ends a longer silence.
const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// One PATCH at a time per upload: two writers at one offset would interleave bytes.
struct Busy {
    state: AppState,
    id: String,
}

impl Busy {
    fn claim(state: &AppState, id: &str) -> Result<Self, AppError> {
        let mut busy = state
            .busy_uploads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !busy.insert(id.to_owned()) {
            return Err(AppError::new(
                StatusCode::LOCKED,
                "upload-busy",
                "another request is writing this upload; wait for it, then HEAD and resume",
            ));
        }
        Ok(Self {
            state: state.clone(),
            id: id.to_owned(),
        })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.state
            .busy_uploads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.id);
    }
}

/// The last byte arrived: the file takes its final name, then one transaction marks the
/// upload complete and puts the blob in every recipient's mailbox.
async fn complete(state: &AppState, id: &str) -> Result<(), AppError> {
    let (from, to) = (partial_path(state, id), blob_path(state, id));
    // Idempotent: after a crash between the rename and the transaction, the file already has
    // its final name.
    match tokio::fs::rename(&from, &to).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && to.exists() => {}
        Err(e) => return Err(AppError::internal(e)),
    }
    let dir = state.store.blob_dir().to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let id = id.to_owned();
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    state
        .store
        .call(move |conn| {
            let tx = conn.transaction()?;
            let recipients: String = tx.query_row(
                "SELECT recipients FROM uploads WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )?;
            tx.execute(
                "UPDATE uploads SET completed_at = ?1 WHERE id = ?2",
                params![now_s, id],
            )?;
            for member in recipients.split(',') {
                tx.execute(
                    "INSERT OR IGNORE INTO mailbox (blob_id, member_id, received_at) \
                     VALUES (?1, ?2, ?3)",
                    params![id, member, now_s],
                )?;
            }
            tx.commit()
        })
        .await?;
    tracing::info!("upload completed");
    Ok(())
}

/// `DELETE /v1/uploads/{id}` (tus termination): the uploader abandons or deletes the blob;
/// it leaves every mailbox with it.
pub async fn terminate(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    own_upload(&state, member, &id).await?;
    let row_id = id.clone();
    state
        .store
        .call(move |conn| conn.execute("DELETE FROM uploads WHERE id = ?1", params![row_id]))
        .await?;
    remove_blob_files(&state, &id).await?;
    Ok(tus_headers(StatusCode::NO_CONTENT))
}

/// Deletes every upload and blob past its expiry (rows, mailbox entries and files); returns how
/// many went. The relay runs it at start and then periodically.
pub async fn sweep_expired(state: &AppState) -> Result<usize, AppError> {
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    let ids: Vec<String> = state
        .store
        .call(move |conn| {
            let tx = conn.transaction()?;
            let ids = {
                let mut statement = tx.prepare("SELECT id FROM uploads WHERE expires_at <= ?1")?;
                statement
                    .query_map(params![now_s], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?
            };
            // Mailbox rows go with them (ON DELETE CASCADE).
            tx.execute("DELETE FROM uploads WHERE expires_at <= ?1", params![now_s])?;
            tx.commit()?;
            Ok(ids)
        })
        .await?;
    // Rows first, files second: a crash in between leaves orphan files, never rows that point
    // at missing files.
    for id in &ids {
        remove_blob_files(state, id).await?;
    }
    if !ids.is_empty() {
        tracing::info!(count = ids.len(), "expired blobs swept");
    }
    let orphans = sweep_orphans(state).await?;
    if orphans > 0 {
        tracing::info!(count = orphans, "orphan blob files swept");
    }
    Ok(ids.len())
}

/// How long a blob file with no row is left alone: a creation writes its file, then its row.
const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes files in `blobs/` that no upload row names — left by a crash between a sweep's
/// rows and its files (above), or between a creation's file and its row — once untouched for
/// [`ORPHAN_AGE`], so that a creation in progress is never raced.
async fn sweep_orphans(state: &AppState) -> Result<usize, AppError> {
    let known: std::collections::HashSet<String> = state
        .store
        .call(|conn| {
            let mut statement = conn.prepare("SELECT id FROM uploads")?;
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .await?;
    let cutoff = std::time::SystemTime::now() - ORPHAN_AGE;
    let mut entries = tokio::fs::read_dir(state.store.blob_dir())
        .await
        .map_err(AppError::internal)?;
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await.map_err(AppError::internal)? {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if known.contains(name.strip_suffix(".partial").unwrap_or(name)) {
            continue;
        }
        let untouched = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < cutoff);
        if untouched {
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AppError::internal(e)),
            }
        }
    }
    Ok(removed)
}

/// Deletes a blob's files (partial or complete), whichever exist.
pub(crate) async fn remove_blob_files(state: &AppState, id: &str) -> Result<(), AppError> {
    for path in [partial_path(state, id), blob_path(state, id)] {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(AppError::internal(e)),
        }
    }
    Ok(())
}
