//! How the relay refuses: a status and a `{"error": {"code", "message"}}` body that never
//! carries internals (paths, SQL, which ids exist).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sealpost_format::relay::{ErrorBody, ErrorDetail};
use sealpost_format::roster::RosterError;

/// A refusal or failure, as the client sees it.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl AppError {
    /// A refusal with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The one answer to every authentication failure, whatever the reason, so that nobody
    /// learns whether a member id or token exists.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "log in again: GET /v1/login/challenge, then POST /v1/login",
        )
    }

    /// The disk under the data directory is full (a blob write, or SQLite, ran out of room).
    /// Nothing unrecorded is counted, so the client keeps its data and retries later.
    pub fn disk_full() -> Self {
        tracing::warn!("the data directory's disk is full");
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "disk-full",
            "the relay's disk is full; nothing was lost, try again later",
        )
    }

    /// A failure of the relay itself; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the relay failed; try again later",
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<RosterError> for AppError {
    fn from(e: RosterError) -> Self {
        let status = match e {
            RosterError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RosterError::Malformed(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::CONFLICT,
        };
        // The roster is public to members; its refusal messages reveal nothing secret.
        Self::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
