//! `GET /v1/roster` serves the newest signed roster as stored; `PUT /v1/roster` accepts a newer
//! one only under the succession rules every client applies (signed by the coordinator key the
//! current roster names, next version, chained, not expired), or — for the first roster — when
//! it is signed by the coordinator key the relay was started with.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sealpost_format::roster::{MAX_ROSTER_BYTES, RosterError, SignedRoster, VerifiedRoster};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::{AppError, AppState};

/// The roster the relay holds. It is verified again when first read from the database (which
/// is not trusted blindly either), then kept: only `PUT /v1/roster` replaces it.
pub async fn current(state: &AppState) -> Result<Option<Arc<VerifiedRoster>>, AppError> {
    if let Some(held) = state.roster_cache.read().await.clone() {
        return Ok(Some(held));
    }
    let Some(envelope) = state.store.latest_roster().await? else {
        return Ok(None);
    };
    let signed = SignedRoster::from_json(&envelope).map_err(AppError::internal)?;
    let signer = *signed.signer();
    let held = Arc::new(signed.verify(&signer).map_err(AppError::internal)?);
    *state.roster_cache.write().await = Some(Arc::clone(&held));
    Ok(Some(held))
}

/// `GET /v1/roster`.
pub async fn get(State(state): State<AppState>) -> Result<Response, AppError> {
    let envelope = state.store.latest_roster().await?.ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "no-roster",
            "this relay holds no roster yet; the coordinator publishes one with `sealpost \
             cluster publish`",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], envelope).into_response())
}

/// The largest roster envelope: base64 of the largest roster, and the rest of the envelope.
pub const MAX_BODY: usize = MAX_ROSTER_BYTES / 3 * 4 + 4096;

/// The roster that governs logins: the newest held, refused once expired (as clients refuse
/// it) so that a stale list of members cannot go on admitting anyone.
pub async fn governing(state: &AppState) -> Result<Arc<VerifiedRoster>, AppError> {
    let held = current(state).await?.ok_or_else(AppError::unauthorized)?;
    if held.roster().is_expired(OffsetDateTime::now_utc()) {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "roster-expired",
            "the relay's roster has expired; the coordinator must publish a renewed one \
             (`sealpost cluster renew`, then publish it)",
        ));
    }
    Ok(held)
}

/// `GET /v1/roster/{version}`: an earlier version, so a client that missed some can follow
/// the chain.
pub async fn get_version(
    State(state): State<AppState>,
    axum::extract::Path(version): axum::extract::Path<u64>,
) -> Result<Response, AppError> {
    let version = i64::try_from(version).map_err(|_| no_such_version())?;
    let envelope: Option<Vec<u8>> = state
        .store
        .call(move |conn| {
            use rusqlite::OptionalExtension;
            conn.query_row(
                "SELECT envelope FROM roster WHERE version = ?1",
                [version],
                |row| row.get(0),
            )
            .optional()
        })
        .await?;
    let envelope = envelope.ok_or_else(no_such_version)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], envelope).into_response())
}

fn no_such_version() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "no-such-version",
        "the relay does not hold that roster version",
    )
}

/// `PUT /v1/roster`.
pub async fn put(State(state): State<AppState>, body: Body) -> Result<Response, AppError> {
    // Read here, bounded, so that an oversized body gets this JSON refusal too.
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "roster-too-large",
            "that is larger than any roster can be",
        )
    })?;
    let signed = SignedRoster::from_json(&body)?;
    let now = OffsetDateTime::now_utc();
    // One update at a time, each checked against the newest stored version.
    let _guard = state.roster_lock.lock().await;
    let next = match current(&state).await? {
        Some(held) => match held.successor(signed, now) {
            Ok(next) => next,
            // Publishing the same roster again is not an error: nothing to do.
            Err(RosterError::Unchanged { version }) => {
                return Ok(axum::Json(serde_json::json!({
                    "version": version,
                    "hash": held.hash().to_string(),
                    "unchanged": true,
                }))
                .into_response());
            }
            Err(e) => return Err(e.into()),
        },
        None => {
            let key = state.coordinator_key.ok_or_else(|| {
                AppError::new(
                    StatusCode::CONFLICT,
                    "no-coordinator-key",
                    "this relay was started without a coordinator key or roster, so it cannot \
                     tell which roster to trust; restart it with --coordinator-key",
                )
            })?;
            let first = signed.verify(&key)?;
            if first.roster().is_expired(now) {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    "roster-expired",
                    "this roster has expired; the coordinator renews it with `sealpost cluster renew`",
                ));
            }
            first
        }
    };
    let version = next.roster().version;
    let stored = state
        .store
        .add_roster(version, next.signed().to_json(), now.unix_timestamp())
        .await?;
    if !stored {
        // Another writer (another relay process on the same database) stored this version
        // first: ours was not accepted.
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "roster-conflict",
            "another roster of the same version was stored at the same moment; fetch the \
             roster (GET /v1/roster) and try again",
        ));
    }
    // Tokens of removed members are deleted, so that re-admitting someone later never
    // revives a token issued before their removal.
    let removed: Vec<String> = next
        .roster()
        .members
        .iter()
        .filter(|m| m.status == sealpost_format::roster::MemberStatus::Removed)
        .map(|m| m.member_id.to_string())
        .collect();
    state
        .store
        .call(move |conn| {
            let tx = conn.transaction()?;
            for id in &removed {
                tx.execute("DELETE FROM tokens WHERE member_id = ?1", [id])?;
            }
            tx.commit()
        })
        .await?;
    let hash = next.hash();
    *state.roster_cache.write().await = Some(Arc::new(next));
    tracing::info!(version, "roster accepted");
    Ok((
        StatusCode::OK,
        axum::Json(serde_json::json!({"version": version, "hash": hash.to_string()})),
    )
        .into_response())
}
