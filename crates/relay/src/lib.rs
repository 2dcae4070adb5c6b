//! Sealpost relay: carries sealed parcels between cluster members and never sees plaintext,
//! file names or labels. It links `sealpost-format` and nothing else of ours.
//!
//! - [`app`] builds the HTTP API (`/v1/…`) over an [`AppState`], so tests need no socket.
//! - [`store`]: the SQLite (WAL) database under the data directory.
//! - [`roster`]: `GET/PUT /v1/roster`, checked with the same succession rules as every client.
//! - [`auth`]: login by Ed25519 challenge and short-lived bearer tokens, stored hashed.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod error;
pub mod roster;
pub mod store;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use sealpost_format::SigningPublicKey;
use tokio::sync::Mutex;

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
}

impl AppState {
    /// State over `store`; `coordinator_key` admits the first roster.
    pub fn new(store: Store, coordinator_key: Option<SigningPublicKey>) -> Self {
        Self {
            store,
            coordinator_key,
            roster_lock: Arc::new(Mutex::new(())),
        }
    }
}

/// The relay's HTTP API.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/v1/roster", get(roster::get).put(roster::put))
        .route("/v1/login/challenge", get(auth::challenge))
        .route("/v1/login", axum::routing::post(auth::login))
        .route("/v1/whoami", get(auth::whoami))
        .with_state(state)
}
