//! Sealpost relay: carries sealed parcels between cluster members and never sees plaintext,
//! file names or labels. It links `sealpost-format` and nothing else of ours.
//!
//! - [`app`] builds the HTTP API (`/v1/…`) over an [`AppState`], so tests need no socket.
//! - [`store`]: the SQLite (WAL) database under the data directory.
//! - [`roster`]: `GET/PUT /v1/roster`, checked with the same succession rules as every client.
//! - [`auth`]: login by Ed25519 challenge and short-lived bearer tokens, stored hashed.
//! - [`tus`]: resumable uploads (tus 1.0) that land in recipients' mailboxes on completion.
//! - [`mailbox`]: listing, ranged downloads, acknowledgement and deletion of blobs.
//! - [`join`]: join requests posted by invitees, read by the coordinator.
//! - [`limits`]: per-member rate limits.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod error;
pub mod join;
pub mod limits;
pub mod mailbox;
pub mod roster;
pub mod store;
pub mod tus;

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use sealpost_format::SigningPublicKey;
use sealpost_format::roster::VerifiedRoster;
use tokio::sync::Mutex;
use tower_governor::GovernorLayer;

pub use error::AppError;
pub use store::{Store, StoreError};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The coordinator key that must sign the first roster, when the relay starts without one.
    pub coordinator_key: Option<SigningPublicKey>,
    /// Serialises roster updates: each is checked against the newest held one.
    pub(crate) roster_lock: Arc<Mutex<()>>,
    /// The newest roster, verified once when loaded or accepted, rather than read and
    /// verified again on every authenticated request.
    pub(crate) roster_cache: Arc<tokio::sync::RwLock<Option<Arc<VerifiedRoster>>>>,
    /// Uploads with a PATCH in progress: a second concurrent PATCH is refused.
    pub(crate) busy_uploads: Arc<std::sync::Mutex<HashSet<String>>>,
    /// Bytes one member may keep on the relay (uploads not yet expired or deleted).
    pub quota_bytes: u64,
    /// Requests per member (or per address, without a token).
    pub limiter: limits::Limiter,
}

/// Bytes each member may keep on the relay unless the operator says otherwise.
pub const DEFAULT_QUOTA_BYTES: u64 = 20 << 30;

impl AppState {
    /// State over `store`; `coordinator_key` admits the first roster.
    pub fn new(store: Store, coordinator_key: Option<SigningPublicKey>) -> Self {
        Self {
            store,
            coordinator_key,
            roster_lock: Arc::new(Mutex::new(())),
            roster_cache: Arc::default(),
            busy_uploads: Arc::default(),
            quota_bytes: DEFAULT_QUOTA_BYTES,
            limiter: limits::limiter(limits::RateLimit::default()),
        }
    }

    /// The same state with another rate limit.
    pub fn with_rate_limit(mut self, limit: limits::RateLimit) -> Self {
        self.limiter = limits::limiter(limit);
        self
    }
}

/// The relay's HTTP API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/v1/roster", get(roster::get).put(roster::put))
        .route("/v1/roster/{version}", get(roster::get_version))
        .route("/v1/login/challenge", get(auth::challenge))
        .route("/v1/login", axum::routing::post(auth::login))
        .route("/v1/whoami", get(auth::whoami))
        .route(
            "/v1/uploads",
            axum::routing::options(tus::options).post(tus::create),
        )
        .route(
            "/v1/uploads/{id}",
            axum::routing::head(tus::head)
                .patch(tus::patch)
                .delete(tus::terminate),
        )
        .route("/v1/join-requests", get(join::list).post(join::submit))
        .route(
            "/v1/join-requests/{id}",
            get(join::fetch).delete(join::delete),
        )
        .route("/v1/mailbox", get(mailbox::list))
        .route("/v1/mailbox/{id}/ack", axum::routing::post(mailbox::ack))
        // Deleting a blob is the uploader's termination of it: one function for both paths.
        .route(
            "/v1/blobs/{id}",
            get(mailbox::download).delete(tus::terminate),
        )
        // Roster envelopes are the largest JSON bodies; PATCH bodies stream and are bounded
        // by Upload-Length instead.
        .layer(DefaultBodyLimit::max(roster::MAX_BODY))
        .fallback(|| async {
            AppError::new(StatusCode::NOT_FOUND, "not-found", "no such endpoint")
        })
        .method_not_allowed_fallback(|| async {
            AppError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this endpoint does not take that method",
            )
        })
        // Outermost first: identify the member, then count the request against them.
        .layer(GovernorLayer::new(Arc::clone(&state.limiter)).error_handler(limits::refusal))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        .with_state(state)
}
