//! How the roster scales: the size of a signed roster, and the time to sign it, verify it and
//! accept it as a successor, for clusters of 100 to 10 000 members (the limit). Run by
//! `bench/roster`; prints one JSON line per size, with the median of several runs.

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use sealpost_format::roster::{
    CoordinatorKey, MemberStatus, Policy, Role, Roster, RosterMember, SignedRoster,
};
use sealpost_format::{ClusterId, MemberId, SigningPublicKey};
use time::OffsetDateTime;

fn key(i: u32) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    SigningKey::from_bytes(&seed)
}

fn roster(members: u32, now: OffsetDateTime) -> (Roster, SigningKey) {
    let coordinator = key(0);
    let list = (0..members)
        .map(|i| RosterMember {
            member_id: MemberId::random(),
            name: format!("Member number {i}"),
            org: format!("Organisation {}", i % 120),
            roles: vec![if i == 0 {
                Role::Coordinator
            } else {
                Role::Partner
            }],
            sig_pk: SigningPublicKey::from_signing_key(&key(i)),
            // A real recipient is 62 characters; this one has the same length.
            age_recipient: format!("age1{i:058}"),
            status: MemberStatus::Active,
            previous_keys: Vec::new(),
        })
        .collect::<Vec<_>>();
    let roster = Roster {
        v: 1,
        cluster_id: ClusterId::random(),
        name: "Scale test cluster".into(),
        version: 1,
        prev_hash: None,
        issued_at: now,
        expires_at: now + time::Duration::days(90),
        coordinator: CoordinatorKey {
            member_id: list[0].member_id,
            sig_pk: SigningPublicKey::from_signing_key(&coordinator),
        },
        policy: Policy::default(),
        members: list,
    };
    (roster, coordinator)
}

fn median(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs[runs.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    for members in [100u32, 1_000, 10_000] {
        let (first, coordinator) = roster(members, now);
        let coordinator_pk = SigningPublicKey::from_signing_key(&coordinator);
        let (mut sign, mut verify, mut successor) = (Vec::new(), Vec::new(), Vec::new());
        let mut parse = Vec::new();
        let mut size = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let signed = SignedRoster::sign(&first, &coordinator).unwrap();
            sign.push(t.elapsed());
            let json = signed.to_json();
            size = json.len();

            // The reference: reading the same JSON with no checks at all.
            let t = Instant::now();
            let _: serde_json::Value = serde_json::from_slice(signed.bytes()).unwrap();
            parse.push(t.elapsed());

            let t = Instant::now();
            let held = SignedRoster::from_json(&json)
                .unwrap()
                .verify(&coordinator_pk)
                .unwrap();
            verify.push(t.elapsed());

            let mut next = first.clone();
            next.version = 2;
            next.prev_hash = Some(held.hash());
            next.members[1].status = MemberStatus::Removed;
            let next_json = SignedRoster::sign(&next, &coordinator).unwrap().to_json();
            let t = Instant::now();
            held.successor(SignedRoster::from_json(&next_json).unwrap(), now)
                .unwrap();
            successor.push(t.elapsed());
        }
        let parse = median(parse);
        let (verify, successor) = (median(verify), median(successor));
        println!(
            "{{\"members\": {members}, \"file_bytes\": {size}, \"sign_ms\": {:.2}, \
             \"parse_only_ms\": {parse:.2}, \"verify_ms\": {verify:.2}, \
             \"successor_ms\": {successor:.2}, \"verify_vs_parse\": {:.1}, \
             \"successor_vs_parse\": {:.1}}}",
            median(sign),
            verify / parse,
            successor / parse
        );
    }
}
