//! Join requests through the relay: someone holding an invite code posts their request
//! (`POST /v1/join-requests`, no login: they are not a member yet); the coordinator lists,
//! fetches and deletes them. The relay cannot check a request's invite MAC (the secret never
//! leaves the coordinator's laptop), so it only bounds what it keeps; the coordinator's app
//! checks every request before it can be approved.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::HEXLOWER;
use rusqlite::{OptionalExtension, params};
use sealpost_format::enrol::{JoinRequest, MAX_REQUEST_BYTES};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::auth::Member;
use crate::{AppError, AppState, roster};

/// How long the relay keeps a request nobody fetched: longer than an invite is valid (7 days),
/// so a request made on an invite's last day still reaches a coordinator back from leave.
pub const REQUEST_LIFETIME: Duration = Duration::days(14);
/// Most requests kept for one invite id (an invite is for one person; a few retries are fine).
pub const MAX_PER_INVITE: i64 = 20;
/// Most requests kept in all: anyone can post, so the table is bounded.
pub const MAX_PENDING: i64 = 2000;

/// One pending request, as the coordinator's list shows it.
#[derive(Debug, Serialize)]
pub struct JoinRequestItem {
    /// The relay's id for it: the first 16 bytes of the SHA-256 of the posted bytes, in hex.
    pub id: String,
    /// The invite it claims to answer (unchecked: the relay cannot check it).
    pub invite_id: String,
    /// Its size in bytes.
    pub size: usize,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// `GET /v1/join-requests`'s answer.
#[derive(Debug, Serialize)]
pub struct JoinRequestList {
    /// Oldest first.
    pub items: Vec<JoinRequestItem>,
}

fn relay_id(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes)[..16])
}

/// `POST /v1/join-requests`: stores a request for the coordinator. Posting the same bytes
/// again is harmless (same id, kept once).
pub async fn submit(State(state): State<AppState>, body: Body) -> Result<Response, AppError> {
    // Only a cluster with a roster takes requests: it has a coordinator to read them.
    if roster::current(&state).await?.is_none() {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no-roster",
            "this relay serves no cluster yet; ask your coordinator to publish the roster \
             (`sealpost cluster publish`), or send them your request file",
        ));
    }
    let body = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .map_err(|_| {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!(
                    "a join request is at most {MAX_REQUEST_BYTES} bytes; post the file \
                     `sealpost join` wrote"
                ),
            )
        })?;
    let request = JoinRequest::from_json(&body).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            format!("{e}; post the file `sealpost join` wrote"),
        )
    })?;
    let id = relay_id(&body);
    let invite_id = request.invite_id().to_string();
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero is valid");
    let expires_at = now + REQUEST_LIFETIME;
    let (stored_id, envelope) = (id.clone(), body.to_vec());
    let (now_s, expires_s) = (now.unix_timestamp(), expires_at.unix_timestamp());
    let outcome = state
        .store
        .call(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM join_requests WHERE expires_at <= ?1",
                params![now_s],
            )?;
            let known: bool = tx
                .query_row(
                    "SELECT 1 FROM join_requests WHERE id = ?1",
                    params![stored_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if known {
                return Ok(Some(false));
            }
            let (for_invite, total): (i64, i64) = tx.query_row(
                "SELECT COUNT(*) FILTER (WHERE invite_id = ?1), COUNT(*) FROM join_requests",
                params![invite_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if for_invite >= MAX_PER_INVITE || total >= MAX_PENDING {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO join_requests (id, invite_id, envelope, received_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![stored_id, invite_id, envelope, now_s, expires_s],
            )?;
            tx.commit()?;
            Ok(Some(true))
        })
        .await?;
    let Some(new) = outcome else {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            "the relay holds too many join requests for this invite; ask your coordinator to \
             fetch them (`sealpost cluster requests`), or send them your request file instead",
        ));
    };
    if new {
        tracing::info!(request = %id, "join request received");
    }
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = serde_json::json!({
        "id": id,
        "expires_at": sealpost_format::roster::rfc3339(expires_at),
    });
    Ok((status, Json(answer)).into_response())
}

/// Only the coordinator named by the current roster reads requests; everyone else gets the same
/// refusal whatever the id, so nobody learns which requests exist.
async fn coordinator(state: &AppState, member: Member) -> Result<(), AppError> {
    let roster = roster::governing(state).await?;
    if roster.roster().coordinator.member_id != member.member_id {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "not-coordinator",
            "only the cluster's coordinator reads join requests",
        ));
    }
    Ok(())
}

fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such join request (fetched and deleted already, or expired)",
    )
}

/// `GET /v1/join-requests`: the pending requests, oldest first.
pub async fn list(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<JoinRequestList>, AppError> {
    coordinator(&state, member).await?;
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    let rows = state
        .store
        .call(move |conn| {
            let mut statement = conn.prepare(
                "SELECT id, invite_id, length(envelope), received_at FROM join_requests \
                 WHERE expires_at > ?1 ORDER BY received_at, id",
            )?;
            let rows = statement
                .query_map(params![now_s], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|(id, invite_id, size, received)| JoinRequestItem {
            id,
            invite_id,
            size: usize::try_from(size).unwrap_or(0),
            received_at: OffsetDateTime::from_unix_timestamp(received)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
        .collect();
    Ok(Json(JoinRequestList { items }))
}

/// `GET /v1/join-requests/{id}`: the request exactly as posted.
pub async fn fetch(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    coordinator(&state, member).await?;
    let now_s = OffsetDateTime::now_utc().unix_timestamp();
    let envelope: Option<Vec<u8>> = state
        .store
        .call(move |conn| {
            conn.query_row(
                "SELECT envelope FROM join_requests WHERE id = ?1 AND expires_at > ?2",
                params![id, now_s],
                |row| row.get(0),
            )
            .optional()
        })
        .await?;
    let envelope = envelope.ok_or_else(not_found)?;
    let mut response = envelope.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// `DELETE /v1/join-requests/{id}`: the coordinator has it (or has decided it).
pub async fn delete(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    coordinator(&state, member).await?;
    let deleted = state
        .store
        .call(move |conn| conn.execute("DELETE FROM join_requests WHERE id = ?1", params![id]))
        .await?;
    if deleted == 0 {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
