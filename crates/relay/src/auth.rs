//! Login: `GET /v1/login/challenge` hands out a random nonce (usable once, for two minutes);
//! `POST /v1/login` takes the member's Ed25519 signature over it and returns a bearer token
//! valid for one hour. Tokens are stored as SHA-256 hashes, so a copy of the database logs no
//! one in. Every request with a token is checked against the current roster, so a removed
//! member's token stops working at once. All failures look the same to the client.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use data_encoding::BASE64URL_NOPAD;
use rusqlite::{OptionalExtension, params};
use sealpost_format::MemberId;
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse, SECRET_LEN};
use sealpost_format::roster::{MemberStatus, Roster};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{AppError, AppState, roster};

/// How long a challenge can be answered.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(2);
/// How long a token works.
pub const TOKEN_LIFETIME: Duration = Duration::hours(1);

fn random_secret() -> [u8; SECRET_LEN] {
    let mut bytes = [0u8; SECRET_LEN];
    getrandom::getrandom(&mut bytes).expect("the OS random number generator failed");
    bytes
}

fn token_hash(token: &[u8]) -> Vec<u8> {
    Sha256::digest(token).to_vec()
}

/// `GET /v1/login/challenge`.
pub async fn challenge(State(state): State<AppState>) -> Result<Json<Challenge>, AppError> {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero is valid");
    let nonce = random_secret();
    let expires_at = now + CHALLENGE_LIFETIME;
    let stored = nonce.to_vec();
    let (now_s, expires_s) = (now.unix_timestamp(), expires_at.unix_timestamp());
    state
        .store
        .call(move |conn| {
            // Expired challenges are swept as new ones are made, so the table stays small.
            conn.execute(
                "DELETE FROM challenges WHERE expires_at <= ?1",
                params![now_s],
            )?;
            conn.execute(
                "INSERT INTO challenges (nonce, expires_at) VALUES (?1, ?2)",
                params![stored, expires_s],
            )
        })
        .await?;
    Ok(Json(Challenge { nonce, expires_at }))
}

/// `POST /v1/login`.
pub async fn login(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<LoginResponse>, AppError> {
    let request: LoginRequest =
        serde_json::from_slice(&body).map_err(|_| AppError::unauthorized())?;
    let now = OffsetDateTime::now_utc();
    // The nonce is consumed whatever happens next: a challenge is answered once.
    let nonce = request.nonce.to_vec();
    let now_s = now.unix_timestamp();
    let fresh = state
        .store
        .call(move |conn| {
            let expires: Option<i64> = conn
                .query_row(
                    "DELETE FROM challenges WHERE nonce = ?1 RETURNING expires_at",
                    params![nonce],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(expires.is_some_and(|e| e > now_s))
        })
        .await?;
    if !fresh {
        return Err(AppError::unauthorized());
    }
    let roster = roster::governing(&state).await?;
    let member = active_member(roster.roster(), request.member_id);
    // The signature is checked whether or not the member exists (against a fixed key when
    // not), so the time taken does not tell which member ids exist.
    let key = member.map_or(roster.roster().coordinator.sig_pk, |m| m.sig_pk);
    let signed = request.is_signed_by(&key);
    if member.is_none() || !signed {
        return Err(AppError::unauthorized());
    }
    let token = random_secret();
    let expires_at = now.replace_nanosecond(0).expect("zero is valid") + TOKEN_LIFETIME;
    let (hash, member_id, expires_s) = (
        token_hash(&token),
        request.member_id.to_string(),
        expires_at.unix_timestamp(),
    );
    state
        .store
        .call(move |conn| {
            conn.execute("DELETE FROM tokens WHERE expires_at <= ?1", params![now_s])?;
            conn.execute(
                "INSERT INTO tokens (token_hash, member_id, expires_at) VALUES (?1, ?2, ?3)",
                params![hash, member_id, expires_s],
            )
        })
        .await?;
    Ok(Json(LoginResponse {
        token: BASE64URL_NOPAD.encode(&token),
        expires_at,
    }))
}

fn active_member(roster: &Roster, id: MemberId) -> Option<&sealpost_format::roster::RosterMember> {
    roster
        .member(id)
        .filter(|m| m.status == MemberStatus::Active)
}

/// A request made with a valid bearer token by a member active in the current roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Who.
    pub member_id: MemberId,
}

impl Member {
    /// The member whose bearer token `headers` carry, checked against the tokens held and the
    /// current roster.
    async fn of(headers: &HeaderMap, state: &AppState) -> Result<Self, AppError> {
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                // The scheme name is case-insensitive (RFC 9110).
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .and_then(|t| BASE64URL_NOPAD.decode(t.trim().as_bytes()).ok())
            .filter(|t| t.len() == SECRET_LEN)
            .ok_or_else(AppError::unauthorized)?;
        // Looked up by hash: the comparison is an index lookup on a SHA-256, which reveals
        // nothing usable about the token through timing.
        let hash = token_hash(&token);
        let now_s = OffsetDateTime::now_utc().unix_timestamp();
        let member_id: Option<String> = state
            .store
            .call(move |conn| {
                conn.query_row(
                    "SELECT member_id FROM tokens WHERE token_hash = ?1 AND expires_at > ?2",
                    params![hash, now_s],
                    |row| row.get(0),
                )
                .optional()
            })
            .await?;
        let member_id: MemberId = member_id
            .and_then(|id| id.parse().ok())
            .ok_or_else(AppError::unauthorized)?;
        // Removal takes effect at once: the token is only as good as the current roster.
        let roster = roster::governing(state).await?;
        active_member(roster.roster(), member_id).ok_or_else(AppError::unauthorized)?;
        Ok(Member { member_id })
    }
}

/// Middleware run before everything else (rate limits included): when the request carries a
/// valid token, records the [`Member`] in its extensions, so the limiter counts the member
/// and handlers need not look the token up again. An invalid token is not refused here: the
/// handler refuses it if it needs a member, and the limiter counts the peer instead.
pub async fn identify(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: Next,
) -> Response {
    if request.headers().contains_key(AUTHORIZATION)
        && let Ok(member) = Member::of(request.headers(), &state).await
    {
        request.extensions_mut().insert(member);
    }
    next.run(request).await
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(member) = parts.extensions.get::<Member>() {
            return Ok(*member);
        }
        // Not identified by the middleware: look again, for the precise refusal (401, or 503
        // while the relay holds no valid roster).
        Member::of(&parts.headers, state).await
    }
}

/// `GET /v1/whoami`: the member a token belongs to (for clients checking their login).
pub async fn whoami(member: Member) -> Json<serde_json::Value> {
    Json(serde_json::json!({"member_id": member.member_id.to_string()}))
}
