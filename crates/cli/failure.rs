//! How a command fails: a stable code and a one-line message saying what to do.

use std::fmt::Display;

use sealpost_core::coordinator::CoordinatorError;
use sealpost_core::membership::MembershipError;
use sealpost_core::parcel::{OpenError, SealError};
use sealpost_core::recovery::RecoveryError;
use sealpost_core::{IdentityError, KeystoreError, PassphraseError};

/// A failed command.
#[derive(Debug)]
pub(crate) struct Failure {
    code: &'static str,
    message: String,
    /// The command already printed its JSON result (which says what went wrong): only the
    /// line on stderr and the exit code remain.
    json_shown: bool,
}

impl Failure {
    pub(crate) fn new(code: &'static str, message: impl Display) -> Self {
        Self {
            code,
            message: message.to_string(),
            json_shown: false,
        }
    }

    /// Adds a sentence to the message.
    pub(crate) fn with_detail(mut self, detail: impl Display) -> Self {
        self.message = format!("{} {detail}", self.message);
        self
    }

    /// Marks the JSON output as already printed (when `json` is set).
    pub(crate) fn already_shown(mut self, json: bool) -> Self {
        self.json_shown = json;
        self
    }

    /// Prints the reason on one line of stderr; with `--json`, also `{"error":{code,message}}`
    /// on stdout, so scripts can branch on the code.
    pub(crate) fn report(&self, json: bool) {
        let one_line = self.message.replace(['\n', '\r'], " ");
        eprintln!("sealpost: error: {one_line}");
        if json && !self.json_shown {
            let body = serde_json::json!({"error": {"code": self.code, "message": one_line}});
            println!("{body}");
        }
    }
}

macro_rules! failure_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(e: $error) -> Self {
                Failure::new(e.code(), e)
            }
        }
    )*};
}

failure_from!(
    KeystoreError,
    PassphraseError,
    SealError,
    OpenError,
    MembershipError,
    CoordinatorError,
    RecoveryError
);

impl From<IdentityError> for Failure {
    fn from(e: IdentityError) -> Self {
        Failure::from(KeystoreError::from(e))
    }
}
