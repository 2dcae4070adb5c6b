//! How a failure crosses to the UI: `{code, message}`. The UI decides what to show by `code`,
//! never by matching the message; the message is already written for the person using the app.

use serde::Serialize;
use ts_rs::TS;

/// A command's failure, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// A stable, kebab-case code (the same codes the CLI's `--json` errors carry).
    pub code: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
}

impl AppError {
    /// An error with its code and message.
    pub fn new(code: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_string(),
        }
    }
}

/// Core errors carry their own codes.
macro_rules! app_error_from {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::new(e.code(), &e)
            }
        }
    )*};
}

app_error_from!(
    sealpost_core::keystore::KeystoreError,
    sealpost_core::MailroomError,
    sealpost_core::PassphraseError,
    sealpost_core::parcel::SealError,
    sealpost_core::membership::MembershipError,
    sealpost_core::coordinator::CoordinatorError,
    sealpost_core::relay::RelayError,
    sealpost_core::qr::QrError,
    sealpost_core::recovery::RecoveryError,
    sealpost_scan::PseudonymError,
);

/// A name or organisation that cannot be used reads as the keystore's error, as in the CLI.
impl From<sealpost_core::IdentityError> for AppError {
    fn from(e: sealpost_core::IdentityError) -> Self {
        sealpost_core::KeystoreError::from(e).into()
    }
}
