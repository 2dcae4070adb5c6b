//! Mailboxes and blob downloads: `GET /v1/mailbox` lists what was sent to the caller;
//! `GET /v1/blobs/{id}` serves a blob (with `Range`, for resumable downloads) only to an
//! addressee or its uploader; `POST /v1/mailbox/{id}/ack` removes an item, and a blob nobody's
//! mailbox refers to any more is deleted; `DELETE /v1/blobs/{id}` (uploader only) removes it
//! from every mailbox at once. Anything the caller may not see is "not found", exactly like
//! something that does not exist.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{OptionalExtension, params};
use sealpost_format::relay::{Mailbox, MailboxItem};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::auth::Member;
use crate::{AppError, AppState};

/// Bytes read from a blob file at a time while streaming a download.
const DOWNLOAD_CHUNK: usize = 256 * 1024;

fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such blob in your mailbox",
    )
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `GET /v1/mailbox`.
pub async fn list(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<Mailbox>, AppError> {
    let me = member.member_id.to_string();
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    let rows: Vec<(String, i64, String, i64, i64)> = state
        .store
        .call(move |conn| {
            let mut statement = conn.prepare(
                "SELECT u.id, u.length, u.uploader, m.received_at, u.expires_at \
                 FROM mailbox m JOIN uploads u ON u.id = m.blob_id \
                 WHERE m.member_id = ?1 AND u.completed_at IS NOT NULL AND u.expires_at > ?2 \
                 ORDER BY m.received_at, u.id",
            )?;
            let rows = statement
                .query_map(params![me, now_s], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    let time = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(AppError::internal);
    let items = rows
        .into_iter()
        .map(|(id, size, from, received, expires)| {
            Ok(MailboxItem {
                id,
                size: size as u64,
                from: from.parse().map_err(AppError::internal)?,
                received_at: time(received)?,
                expires_at: time(expires)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Json(Mailbox { items }))
}

/// The size of blob `id` if `member` may read it (an addressee or the uploader).
async fn readable(state: &AppState, member: Member, id: &str) -> Result<u64, AppError> {
    if !valid_id(id) {
        return Err(not_found());
    }
    let (id, me) = (id.to_owned(), member.member_id.to_string());
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    let size: Option<i64> = state
        .store
        .call(move |conn| {
            conn.query_row(
                "SELECT u.length FROM uploads u WHERE u.id = ?1 \
                 AND u.completed_at IS NOT NULL AND u.expires_at > ?3 \
                 AND (u.uploader = ?2 OR EXISTS \
                     (SELECT 1 FROM mailbox m WHERE m.blob_id = u.id AND m.member_id = ?2))",
                params![id, me, now_s],
                |row| row.get(0),
            )
            .optional()
        })
        .await?;
    size.map(|s| s as u64).ok_or_else(not_found)
}

/// `bytes=N-` or `bytes=N-M` → the inclusive range within `size`.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => size.checked_sub(1)?,
        end => end.parse::<u64>().ok()?.min(size.checked_sub(1)?),
    };
    (start <= end).then_some((start, end))
}

/// `GET /v1/blobs/{id}`.
pub async fn download(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let size = readable(&state, member, &id).await?;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(value) => Some(parse_range(value, size).ok_or_else(|| {
            AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "bad-range",
                format!("the blob has {size} bytes; ask for bytes=N- with N below that"),
            )
        })?),
    };
    let mut file = tokio::fs::File::open(state.store.blob_dir().join(&id))
        .await
        .map_err(AppError::internal)?;
    let (status, start, len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, size),
    };
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(AppError::internal)?;
    // Read in large pieces: each read of a tokio file is a trip to the blocking pool, and the
    // default 4 KiB would make sixteen thousand of them for a 64 MiB blob.
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(len), DOWNLOAD_CHUNK));
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some((start, end)) = range
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// `POST /v1/mailbox/{id}/ack`.
pub async fn ack(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    if !valid_id(&id) {
        return Err(not_found());
    }
    let (blob, me) = (id.clone(), member.member_id.to_string());
    let unreferenced = state
        .store
        .call(move |conn| {
            let tx = conn.transaction()?;
            let removed = tx.execute(
                "DELETE FROM mailbox WHERE blob_id = ?1 AND member_id = ?2",
                params![blob, me],
            )?;
            let left: i64 = tx.query_row(
                "SELECT COUNT(*) FROM mailbox WHERE blob_id = ?1",
                params![blob],
                |row| row.get(0),
            )?;
            // Nobody's mailbox refers to it any more: the row goes now, the file just after.
            if removed == 1 && left == 0 {
                tx.execute("DELETE FROM uploads WHERE id = ?1", params![blob])?;
            }
            tx.commit()?;
            Ok((removed == 1).then_some(left == 0))
        })
        .await?
        .ok_or_else(not_found)?;
    if unreferenced {
        crate::tus::remove_blob_files(&state, &id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
