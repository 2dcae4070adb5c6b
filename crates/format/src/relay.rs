//! The relay's HTTP API bodies, shared by the relay and its clients: login (challenge, signed
//! answer, bearer token) and the JSON error body every refusal carries.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{MemberId, SIGNATURE_LEN, SigningContext, SigningPublicKey};

/// Bytes in a login nonce and in a bearer token.
pub const SECRET_LEN: usize = 32;

/// `GET /v1/login/challenge`: a fresh nonce to sign, usable once, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The nonce, base64url.
    #[serde(with = "crate::b64::array")]
    pub nonce: [u8; SECRET_LEN],
    /// When the relay stops accepting an answer to it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /v1/login`: the member's signature over the nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Who logs in.
    pub member_id: MemberId,
    /// The nonce from the challenge.
    #[serde(with = "crate::b64::array")]
    pub nonce: [u8; SECRET_LEN],
    /// Their signature over the nonce, in the login context.
    #[serde(with = "crate::b64::array")]
    pub signature: [u8; SIGNATURE_LEN],
}

impl LoginRequest {
    /// Answers a challenge with the member's signing key.
    pub fn sign(
        member_id: MemberId,
        nonce: [u8; SECRET_LEN],
        key: &ed25519_dalek::SigningKey,
    ) -> Self {
        Self {
            member_id,
            nonce,
            signature: SigningContext::Login.sign(key, &nonce),
        }
    }

    /// Whether the signature is `key`'s over the nonce.
    pub fn is_signed_by(&self, key: &SigningPublicKey) -> bool {
        SigningContext::Login
            .verify(key, &self.nonce, &self.signature)
            .is_ok()
    }
}

/// The answer to a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginResponse {
    /// The bearer token (`Authorization: Bearer <token>`), base64url.
    pub token: String,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// One parcel waiting in a member's mailbox (`GET /v1/mailbox`). The relay knows only the
/// opaque blob, its size, who uploaded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxItem {
    /// The blob's id (32 lowercase hex digits), for `GET /v1/blobs/{id}` and the ack.
    pub id: String,
    /// Its size in bytes.
    pub size: u64,
    /// The uploader's member id (unchecked: the parcel's signature says who sealed it).
    pub from: MemberId,
    /// When it reached the mailbox.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// When the relay will delete it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `GET /v1/mailbox`: the caller's waiting parcels, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    /// The items.
    pub items: Vec<MailboxItem>,
}

/// Every refusal's body: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// A stable, machine-readable code.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}
