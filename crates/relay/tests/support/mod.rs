//! Fixtures shared by the relay's test binaries: a member's signing key, id and age recipient
//! all derive from one seed, so tests name members by a number.

use ed25519_dalek::SigningKey;
use sealpost_format::roster::{MemberStatus, Role, RosterMember};
use sealpost_format::{MemberId, SigningPublicKey};

/// The member's signing key.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Its public half.
pub fn pk(seed: u8) -> SigningPublicKey {
    SigningPublicKey::from_signing_key(&key(seed))
}

/// The member's id.
pub fn mid(seed: u8) -> MemberId {
    MemberId::from_bytes([seed; 16])
}

/// A roster entry for the member (the age recipient has the right shape, not a real key: the
/// relay never uses it).
pub fn member(seed: u8, name: &str, role: Role, status: MemberStatus) -> RosterMember {
    RosterMember {
        member_id: mid(seed),
        name: name.into(),
        org: "Example NGO".into(),
        roles: vec![role],
        sig_pk: pk(seed),
        age_recipient: format!("age1member{seed}"),
        status,
        previous_keys: Vec::new(),
    }
}
