//! Per-member rate limits. Every request is counted against one key: the member its bearer
//! token belongs to (so logging in again does not buy a fresh allowance), otherwise the peer's
//! IP address (logins, join requests, anything without a valid token). The address lives only
//! in the limiter's memory: it is never logged or stored.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use sealpost_format::MemberId;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::AppError;
use crate::auth::Member;

/// How many requests a member (or an address without a token) may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once, above the sustained rate.
    pub burst: u32,
}

impl Default for RateLimit {
    /// Generous for a person's app (a sync pass makes a handful of requests; a tus upload one
    /// PATCH per chunk), tight enough that one member cannot starve the rest.
    fn default() -> Self {
        Self {
            per_second: 20,
            burst: 100,
        }
    }
}

/// What a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// A member, by the token they presented.
    Member(MemberId),
    /// A peer without a valid token.
    Peer(IpAddr),
    /// Neither (a request handed to the router in-process, as in tests).
    Local,
}

/// Reads the key: the member [`crate::auth::identify`] found, else the peer address.
#[derive(Debug, Clone, Copy)]
pub struct RateKeyExtractor;

impl KeyExtractor for RateKeyExtractor {
    type Key = RateKey;

    fn extract<T>(&self, request: &Request<T>) -> Result<RateKey, GovernorError> {
        let extensions = request.extensions();
        if let Some(member) = extensions.get::<Member>() {
            return Ok(RateKey::Member(member.member_id));
        }
        Ok(extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(RateKey::Local, |ConnectInfo(addr)| RateKey::Peer(addr.ip())))
    }
}

/// The limiter shared by every request.
pub type Limiter = Arc<GovernorConfig<RateKeyExtractor, NoOpMiddleware>>;

/// A limiter allowing `limit`.
pub fn limiter(limit: RateLimit) -> Limiter {
    // Replenish one request every 1/per_second seconds; at least a nanosecond.
    let period = Duration::from_secs(1) / limit.per_second.max(1);
    Arc::new(
        GovernorConfigBuilder::default()
            .period(period.max(Duration::from_nanos(1)))
            .burst_size(limit.burst.max(1))
            .key_extractor(RateKeyExtractor)
            .finish()
            .expect("a non-zero period and burst make a valid limiter"),
    )
}

/// Forgets keys that have been quiet long enough to be back at full allowance, so the
/// limiter's memory does not grow with every address ever seen.
pub fn forget_quiet_keys(limiter: &Limiter) {
    limiter.limiter().retain_recent();
}

/// The refusal: 429 with the `Retry-After` the limiter computed and the usual JSON body.
pub fn refusal(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            // The limiter truncates the wait to whole seconds, so "0" would mean "under a
            // second" and a well-behaved client would retry at once into another 429. One more
            // second is always enough.
            let wait = wait_time + 1;
            let mut response = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("too many requests; wait {wait} s and try again"),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
        other => AppError::internal(other).into_response(),
    }
}
