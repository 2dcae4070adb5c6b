//! Fixtures shared by the relay's test binaries: a member's signing key, id and age recipient
//! all derive from one seed, so tests name members by a number.

use ed25519_dalek::SigningKey;
use sealpost_format::roster::{CoordinatorKey, MemberStatus, Policy, Role, Roster, RosterMember};
use sealpost_format::{ClusterId, MemberId, SigningPublicKey};
use time::{Duration, OffsetDateTime};

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

/// A first roster (version 1, issued an hour ago, valid 90 days, default policy) of `members`,
/// whose coordinator is the member with seed `coordinator`.
pub fn first_roster(name: &str, coordinator: u8, members: Vec<RosterMember>) -> Roster {
    let now = OffsetDateTime::now_utc();
    Roster {
        v: 1,
        cluster_id: ClusterId::from_bytes([0xc1; 16]),
        name: name.into(),
        version: 1,
        prev_hash: None,
        issued_at: now - Duration::hours(1),
        expires_at: now + Duration::days(90),
        coordinator: CoordinatorKey {
            member_id: mid(coordinator),
            sig_pk: pk(coordinator),
        },
        policy: Policy::default(),
        members,
    }
}
