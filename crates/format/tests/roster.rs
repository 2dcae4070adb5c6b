//! The cluster roster's acceptance rules and the enrolment objects, tested from outside the
//! crate: every way a roster, invite code, join request or key change can be refused, and that
//! each refusal names the right cause and tells the person what to do.

use std::fmt::Display;

use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::SigningKey;
use sealpost_format::enrol::{
    CoordinatorPin, EnrolError, Invite, InviteSecret, JoinRequest, JoinRequestBody, KeyChange,
};
use sealpost_format::roster::{
    CoordinatorKey, MemberStatus, Policy, PreviousKey, Role, Roster, RosterError, RosterHash,
    RosterMember, SignedRoster, VerifiedRoster, key_change_statement,
};
use sealpost_format::{
    ClusterId, Fingerprint, MemberId, SafetyNumber, SigningContext, SigningPublicKey,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

// ---------------------------------------------------------------------------------------------
// Fixtures: a three-member cluster with deterministic keys.
// ---------------------------------------------------------------------------------------------

/// Seeds of the founding members; a member's signing key, id and age recipient derive from it.
const COORD: u8 = 1;
const ALICE: u8 = 2;
const BOB: u8 = 3;
/// Seeds that appear only later (new members, new keys, strangers).
const CAROL: u8 = 4;
const DEPUTY: u8 = 5;
const STRANGER: u8 = 9;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn pk(seed: u8) -> SigningPublicKey {
    SigningPublicKey::from_signing_key(&key(seed))
}

fn pin(seed: u8) -> CoordinatorPin {
    CoordinatorPin::of(&pk(seed))
}

fn mid(seed: u8) -> MemberId {
    MemberId::from_bytes([seed; 16])
}

fn age(seed: u8) -> String {
    format!("age1member{seed}")
}

fn cluster() -> ClusterId {
    ClusterId::from_bytes([0xc1; 16])
}

fn other_cluster() -> ClusterId {
    ClusterId::from_bytes([0xc2; 16])
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn member(seed: u8, name: &str, roles: &[Role]) -> RosterMember {
    RosterMember {
        member_id: mid(seed),
        name: name.into(),
        org: "Example NGO".into(),
        roles: roles.to_vec(),
        sig_pk: pk(seed),
        age_recipient: age(seed),
        status: MemberStatus::Active,
        previous_keys: Vec::new(),
    }
}

/// Version 1: the coordinator, Alice (IMO) and Bob (partner).
fn first_roster() -> Roster {
    let t = now();
    Roster {
        v: 1,
        cluster_id: cluster(),
        name: "Test Protection Cluster".into(),
        version: 1,
        prev_hash: None,
        issued_at: t - Duration::hours(1),
        expires_at: t + Duration::days(90),
        coordinator: CoordinatorKey {
            member_id: mid(COORD),
            sig_pk: pk(COORD),
        },
        policy: Policy::default(),
        members: vec![
            member(COORD, "Coral Coordinator", &[Role::Coordinator]),
            member(ALICE, "Alice", &[Role::Imo]),
            member(BOB, "Bob", &[Role::Partner]),
        ],
    }
}

fn sign(roster: &Roster, signer: u8) -> SignedRoster {
    SignedRoster::sign(roster, &key(signer)).expect("a well-formed roster signs")
}

/// Signs a roster without `SignedRoster::sign`'s structural check, as a careless or hostile
/// coordinator tool could, so that the receiving side's own check is what is tested.
fn sign_unchecked(roster: &Roster, signer: u8) -> SignedRoster {
    let bytes = serde_json::to_vec(roster).unwrap();
    let signature = SigningContext::Roster.sign(&key(signer), &bytes);
    let envelope = serde_json::json!({
        "v": 1,
        "roster": BASE64URL_NOPAD.encode(&bytes),
        "signer": pk(signer).to_string(),
        "signature": BASE64URL_NOPAD.encode(&signature),
    });
    SignedRoster::from_json(&serde_json::to_vec(&envelope).unwrap()).unwrap()
}

/// Version 1 as a client holds it after trusting the coordinator key.
fn v1() -> VerifiedRoster {
    sign(&first_roster(), COORD)
        .verify(&pk(COORD))
        .expect("version 1 verifies")
}

/// The version after `prev`, chained to it, with `edit` applied last (so it can break the
/// chaining on purpose).
fn next(prev: &VerifiedRoster, edit: impl FnOnce(&mut Roster)) -> Roster {
    let mut roster = prev.roster().clone();
    roster.version += 1;
    roster.prev_hash = Some(prev.hash());
    roster.issued_at = now() - Duration::minutes(1);
    roster.expires_at = now() + Duration::days(90);
    edit(&mut roster);
    roster
}

fn accept(held: &VerifiedRoster, offered: &Roster, signer: u8) -> VerifiedRoster {
    held.successor(sign(offered, signer), now())
        .unwrap_or_else(|e| panic!("version {} should be accepted: {e}", offered.version))
}

fn refuse(held: &VerifiedRoster, offered: SignedRoster) -> RosterError {
    match held.successor(offered, now()) {
        Ok(v) => panic!("version {} should be refused", v.roster().version),
        Err(e) => e,
    }
}

fn member_mut(roster: &mut Roster, seed: u8) -> &mut RosterMember {
    roster
        .members
        .iter_mut()
        .find(|m| m.member_id == mid(seed))
        .expect("member is listed")
}

/// Asserts that an error's message contains `phrase`: the part that tells the person what to do.
#[track_caller]
fn assert_says(err: &dyn Display, phrase: &str) {
    let text = err.to_string();
    assert!(text.contains(phrase), "{text:?} should contain {phrase:?}");
}

/// Decodes the base64url field `field` of a JSON object, lets `edit` change the bytes, and
/// writes them back: how an attacker on the wire alters signed contents.
fn edit_b64_field(json: &[u8], field: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(json).unwrap();
    let text = value[field].as_str().expect("a base64url string field");
    let mut bytes = BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
    edit(&mut bytes);
    value[field] = Value::String(BASE64URL_NOPAD.encode(&bytes));
    serde_json::to_vec(&value).unwrap()
}

/// Replaces the first occurrence of `from` by `to` (same length, so JSON stays well-formed and
/// only the signature or MAC can notice).
fn replace_once(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("text to replace is present");
    bytes[at..at + to.len()].copy_from_slice(to);
}

// ---------------------------------------------------------------------------------------------
// 1. The happy chain.
// ---------------------------------------------------------------------------------------------

#[test]
fn chain_of_versions_is_accepted() {
    let v1 = v1();
    assert_eq!(v1.roster(), &first_roster_without_times(&v1));
    assert_eq!(v1.hash(), RosterHash::of(v1.signed().bytes()));

    let r2 = next(&v1, |r| {
        r.members
            .push(member(CAROL, "Carol", &[Role::Partner, Role::Imo]));
    });
    let v2 = accept(&v1, &r2, COORD);
    assert_eq!(v2.roster(), &r2);
    assert!(v2.roster().member(mid(CAROL)).is_some());

    let r3 = next(&v2, |r| member_mut(r, BOB).status = MemberStatus::Removed);
    let v3 = accept(&v2, &r3, COORD);
    let bob = v3.roster().member(mid(BOB)).unwrap();
    assert_eq!(bob.status, MemberStatus::Removed);
    assert!(!bob.is_active_with(Role::Partner));
    assert_eq!(v3.roster().prev_hash, Some(v2.hash()));

    // The stored form reads back to the same signed bytes and verifies the same.
    let stored = v3.signed().to_json();
    let reread = SignedRoster::from_json(&stored).unwrap();
    assert_eq!(&reread, v3.signed());
    assert_eq!(reread.verify(&pk(COORD)).unwrap().hash(), v3.hash());
}

/// Version 1 as signed, compared field by field apart from the times `first_roster` reads from
/// the clock.
fn first_roster_without_times(v1: &VerifiedRoster) -> Roster {
    let mut expected = first_roster();
    expected.issued_at = v1.roster().issued_at;
    expected.expires_at = v1.roster().expires_at;
    expected
}

// ---------------------------------------------------------------------------------------------
// 2. Forged signatures.
// ---------------------------------------------------------------------------------------------

#[test]
fn roster_altered_after_signing_has_a_bad_signature() {
    let signed = sign(&first_roster(), COORD);
    let forged = edit_b64_field(&signed.to_json(), "roster", |bytes| {
        replace_once(bytes, b"\"Alice\"", b"\"Alicf\"");
    });
    let err = SignedRoster::from_json(&forged)
        .unwrap()
        .verify(&pk(COORD))
        .unwrap_err();
    assert!(matches!(err, RosterError::BadSignature), "{err:?}");
    assert_says(&err, "ask the coordinator for a fresh export");

    // The same for a successor: the edit is caught before any succession rule.
    let v1 = v1();
    let r2 = next(&v1, |r| {
        r.members.push(member(CAROL, "Carol", &[Role::Imo]));
    });
    let forged = edit_b64_field(&sign(&r2, COORD).to_json(), "roster", |bytes| {
        replace_once(bytes, b"\"Carol\"", b"\"Carom\"");
    });
    let err = refuse(&v1, SignedRoster::from_json(&forged).unwrap());
    assert!(matches!(err, RosterError::BadSignature), "{err:?}");
}

#[test]
fn signature_by_another_key_claiming_the_coordinator_is_bad() {
    let by_stranger = sign(&first_roster(), STRANGER);
    // Rewrite the envelope's signer to claim the trusted key; the signature stays the stranger's.
    let mut envelope: Value = serde_json::from_slice(&by_stranger.to_json()).unwrap();
    envelope["signer"] = Value::String(pk(COORD).to_string());
    let claimed = SignedRoster::from_json(&serde_json::to_vec(&envelope).unwrap()).unwrap();
    assert_eq!(claimed.signer(), &pk(COORD));

    let err = claimed.clone().verify(&pk(COORD)).unwrap_err();
    assert!(matches!(err, RosterError::BadSignature), "{err:?}");
    assert_says(&err, "Do not use it");

    // A joining member pinning the coordinator is not fooled either.
    let err = claimed
        .verify_pinned(&pin(COORD), cluster(), now())
        .unwrap_err();
    assert!(matches!(err, RosterError::BadSignature), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// 3. Signed by a key other than the trusted one.
// ---------------------------------------------------------------------------------------------

#[test]
fn roster_signed_by_another_coordinator_key_is_wrong_signer() {
    let v1 = v1();
    let r2 = next(&v1, |r| {
        r.members.push(member(CAROL, "Carol", &[Role::Imo]));
    });
    // Structurally valid (the roster still names COORD as coordinator) but signed by a stranger.
    let err = refuse(&v1, sign(&r2, STRANGER));
    assert!(
        matches!(&err, RosterError::WrongSigner { signer, trusted }
            if *signer == pin(STRANGER) && *trusted == pin(COORD)),
        "{err:?}"
    );
    assert_says(&err, "Ask your coordinator by phone");
    assert_says(&err, &pin(COORD).to_string());
}

#[test]
fn first_roster_must_be_signed_by_the_key_the_invite_pins() {
    let invite = Invite::from_code(&invite(None).to_code()).unwrap();
    assert_eq!(invite.coordinator, pin(COORD));

    let good = sign(&first_roster(), COORD)
        .verify_pinned(&invite.coordinator, invite.cluster_id, now())
        .unwrap();
    assert_eq!(good.roster().version, 1);

    // A rogue relay hands out its own cluster roster with the right cluster id.
    let mut rogue = first_roster();
    rogue.coordinator.sig_pk = pk(STRANGER);
    member_mut(&mut rogue, COORD).sig_pk = pk(STRANGER);
    let err = sign(&rogue, STRANGER)
        .verify_pinned(&invite.coordinator, invite.cluster_id, now())
        .unwrap_err();
    assert!(
        matches!(&err, RosterError::WrongSigner { signer, trusted }
            if *signer == pin(STRANGER) && *trusted == pin(COORD)),
        "{err:?}"
    );
    assert_says(&err, "Ask your coordinator by phone");
}

// ---------------------------------------------------------------------------------------------
// 4–7. Versions: rollback, unchanged, fork, gap, broken chain.
// ---------------------------------------------------------------------------------------------

/// v1 → v2 (adds Carol) → v3 (removes Bob), each accepted as the successor of the one before.
fn three_versions() -> (VerifiedRoster, VerifiedRoster, VerifiedRoster) {
    let v1 = v1();
    let v2 = accept(
        &v1,
        &next(&v1, |r| {
            r.members.push(member(CAROL, "Carol", &[Role::Imo]));
        }),
        COORD,
    );
    let v3 = accept(
        &v2,
        &next(&v2, |r| member_mut(r, BOB).status = MemberStatus::Removed),
        COORD,
    );
    (v1, v2, v3)
}

#[test]
fn older_version_is_rollback_and_same_version_is_unchanged() {
    let (v1, v2, v3) = three_versions();

    let err = refuse(&v3, v2.signed().clone());
    assert!(
        matches!(err, RosterError::Rollback { held: 3, got: 2 }),
        "{err:?}"
    );
    assert_says(&err, "Ask the coordinator for the current roster");
    let err = refuse(&v3, v1.signed().clone());
    assert!(
        matches!(err, RosterError::Rollback { held: 3, got: 1 }),
        "{err:?}"
    );

    // The very same file again, and the same file re-read from its JSON.
    let err = refuse(&v3, v3.signed().clone());
    assert!(
        matches!(err, RosterError::Unchanged { version: 3 }),
        "{err:?}"
    );
    assert_says(&err, "nothing changed");
    let reread = SignedRoster::from_json(&v3.signed().to_json()).unwrap();
    let err = refuse(&v3, reread);
    assert!(
        matches!(err, RosterError::Unchanged { version: 3 }),
        "{err:?}"
    );
}

#[test]
fn two_different_rosters_of_one_version_are_a_fork() {
    let v1 = v1();
    let with_carol = next(&v1, |r| {
        r.members.push(member(CAROL, "Carol", &[Role::Imo]));
    });
    let without_bob = next(&v1, |r| member_mut(r, BOB).status = MemberStatus::Removed);
    // Each one alone is a valid successor of v1.
    let v2 = accept(&v1, &with_carol, COORD);
    accept(&v1, &without_bob, COORD);

    let err = refuse(&v2, sign(&without_bob, COORD));
    assert!(matches!(err, RosterError::Fork { version: 2 }), "{err:?}");
    assert_says(&err, "tell the coordinator at once");
}

#[test]
fn skipped_version_is_a_gap_naming_the_missing_ones() {
    let (v1, _, v3) = three_versions();
    let err = refuse(&v1, v3.signed().clone());
    assert!(
        matches!(err, RosterError::Gap { held: 1, got: 3 }),
        "{err:?}"
    );
    assert_says(&err, "import version 2 first");

    // A wider gap names the whole range.
    let v4 = accept(
        &v3,
        &next(&v3, |r| r.name = "Renamed Cluster".into()),
        COORD,
    );
    let err = refuse(&v1, v4.signed().clone());
    assert!(
        matches!(err, RosterError::Gap { held: 1, got: 4 }),
        "{err:?}"
    );
    assert_says(&err, "import versions 2 to 3 first");
}

#[test]
fn successor_with_another_prev_hash_is_a_broken_chain() {
    let v1 = v1();
    let r2 = next(&v1, |r| r.prev_hash = Some(RosterHash::of(b"other")));
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(err, RosterError::BrokenChain { version: 2 }),
        "{err:?}"
    );
    assert_says(&err, "tell the coordinator");

    // A v3 chained to one v2 does not follow another v2 either.
    let v2a = accept(&v1, &next(&v1, |r| r.name = "Name A".into()), COORD);
    let v2b = accept(&v1, &next(&v1, |r| r.name = "Name B".into()), COORD);
    let r3_after_a = next(&v2a, |_| {});
    let err = refuse(&v2b, sign(&r3_after_a, COORD));
    assert!(
        matches!(err, RosterError::BrokenChain { version: 3 }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 8–9. Expiry and cluster.
// ---------------------------------------------------------------------------------------------

#[test]
fn expired_roster_is_refused_as_successor_and_as_first_roster() {
    let v1 = v1();
    let r2 = next(&v1, |r| {
        r.issued_at = now() - Duration::days(100);
        r.expires_at = now() - Duration::days(10);
    });
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(&err, RosterError::Expired { version: 2, .. }),
        "{err:?}"
    );
    assert_says(&err, "ask the coordinator to renew it");

    let mut old = first_roster();
    old.issued_at = now() - Duration::days(100);
    old.expires_at = now() - Duration::seconds(1);
    let err = sign(&old, COORD)
        .verify_pinned(&pin(COORD), cluster(), now())
        .unwrap_err();
    assert!(
        matches!(&err, RosterError::Expired { version: 1, expired_at }
            if *expired_at == sealpost_format::roster::rfc3339(old.expires_at)),
        "{err:?}"
    );
    assert_says(&err, "ask the coordinator to renew it");
}

#[test]
fn roster_of_another_cluster_is_refused() {
    let mut theirs = first_roster();
    theirs.cluster_id = other_cluster();
    let err = sign(&theirs, COORD)
        .verify_pinned(&pin(COORD), cluster(), now())
        .unwrap_err();
    assert!(
        matches!(err, RosterError::OtherCluster { held, got }
            if held == cluster() && got == other_cluster()),
        "{err:?}"
    );
    // The message says what happened; unlike the others it gives no advice on what to do.
    assert_says(&err, &other_cluster().to_string());
    assert_says(&err, "you are a member of cluster");

    // The same coordinator key running two clusters cannot move members from one to the other.
    let v1 = v1();
    let r2 = next(&v1, |r| r.cluster_id = other_cluster());
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(err, RosterError::OtherCluster { held, got }
            if held == cluster() && got == other_cluster()),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 10–11. Member keys: silent substitution versus a signed key change.
// ---------------------------------------------------------------------------------------------

#[test]
fn changed_signing_key_without_key_change_is_refused() {
    let v1 = v1();
    let r2 = next(&v1, |r| member_mut(r, ALICE).sig_pk = pk(STRANGER));
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(&err, RosterError::SilentKeyChange { member_id, name }
            if *member_id == mid(ALICE) && name == "Alice"),
        "{err:?}"
    );
    assert_says(&err, "Ask Alice by phone");
    assert_says(&err, "tell the coordinator");
}

#[test]
fn changed_age_recipient_alone_is_refused() {
    // Substituting only the encryption key is the quieter attack: signatures still check out,
    // but parcels to Alice become readable by someone else.
    let v1 = v1();
    let r2 = next(&v1, |r| {
        member_mut(r, ALICE).age_recipient = "age1attacker".into();
    });
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(&err, RosterError::SilentKeyChange { member_id, .. } if *member_id == mid(ALICE)),
        "{err:?}"
    );
    assert_says(&err, "Ask Alice by phone");
}

#[test]
fn key_history_made_up_with_another_old_key_is_refused() {
    // The new entry carries a perfectly signed key change, but from keys Alice never had: the
    // roster is well formed, yet it does not hand over from the keys the client holds.
    let v1 = v1();
    let fake_old = (pk(STRANGER), age(STRANGER));
    let statement = key_change_statement(
        cluster(),
        mid(ALICE),
        (&fake_old.0, &fake_old.1),
        (&pk(22), "age1alicenew"),
    );
    let r2 = next(&v1, |r| {
        let alice = member_mut(r, ALICE);
        alice.sig_pk = pk(22);
        alice.age_recipient = "age1alicenew".into();
        alice.previous_keys = vec![PreviousKey {
            sig_pk: fake_old.0,
            age_recipient: fake_old.1.clone(),
            change_signature: SigningContext::KeyChange.sign(&key(STRANGER), &statement),
        }];
    });
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(&err, RosterError::SilentKeyChange { member_id, .. } if *member_id == mid(ALICE)),
        "{err:?}"
    );
}

/// The roster entry for Alice after the key change `kc`.
fn apply_key_change(r: &mut Roster, kc: &KeyChange) {
    let alice = member_mut(r, ALICE);
    alice.previous_keys.push(PreviousKey {
        sig_pk: kc.old_sig_pk,
        age_recipient: kc.old_age_recipient.clone(),
        change_signature: kc.old_signature,
    });
    alice.sig_pk = kc.new_sig_pk;
    alice.age_recipient = kc.new_age_recipient.clone();
}

#[test]
fn key_change_signed_by_the_previous_key_is_accepted() {
    let v1 = v1();
    let kc = KeyChange::create(
        cluster(),
        mid(ALICE),
        (&key(ALICE), &age(ALICE)),
        (&key(22), "age1alicenew"),
        now(),
    );
    // The request travels as a file; the coordinator reads it back before applying it.
    let kc = KeyChange::from_json(&kc.to_json()).unwrap();
    let v2 = accept(&v1, &next(&v1, |r| apply_key_change(r, &kc)), COORD);
    let alice = v2.roster().member(mid(ALICE)).unwrap();
    assert_eq!(alice.sig_pk, pk(22));
    assert!(alice.had_key(&pk(ALICE)));

    // Later versions keep the history as it is...
    let v3 = accept(&v2, &next(&v2, |r| r.name = "Renamed".into()), COORD);
    // ...and may not rewrite it, even with Alice's current keys unchanged.
    let r4 = next(&v3, |r| member_mut(r, ALICE).previous_keys.clear());
    let err = refuse(&v3, sign(&r4, COORD));
    assert!(
        matches!(&err, RosterError::SilentKeyChange { member_id, .. } if *member_id == mid(ALICE)),
        "{err:?}"
    );

    // A second change appends to the history, each step signed by the key before it.
    let kc2 = KeyChange::create(
        cluster(),
        mid(ALICE),
        (&key(22), "age1alicenew"),
        (&key(23), "age1alicenewer"),
        now(),
    );
    let v4 = accept(&v3, &next(&v3, |r| apply_key_change(r, &kc2)), COORD);
    let alice = v4.roster().member(mid(ALICE)).unwrap();
    assert_eq!(alice.previous_keys.len(), 2);
    assert!(alice.had_key(&pk(ALICE)) && alice.had_key(&pk(22)));
}

#[test]
fn key_history_not_signed_by_the_previous_key_is_malformed() {
    let v1 = v1();
    let kc = KeyChange::create(
        cluster(),
        mid(ALICE),
        (&key(ALICE), &age(ALICE)),
        (&key(22), "age1alicenew"),
        now(),
    );
    // The likely slip: copying the new key's signature instead of the old key's.
    let r2 = next(&v1, |r| {
        apply_key_change(r, &kc);
        member_mut(r, ALICE).previous_keys[0].change_signature = kc.new_signature;
    });
    let err = SignedRoster::sign(&r2, &key(COORD)).unwrap_err();
    assert!(matches!(&err, RosterError::Malformed(_)), "{err:?}");
    assert_says(&err, "not signed by their previous key");
    assert_says(&err, "ask the coordinator to export it again");

    // A receiver checks it too, whatever tool produced the signed file.
    let err = refuse(&v1, sign_unchecked(&r2, COORD));
    assert!(matches!(&err, RosterError::Malformed(_)), "{err:?}");
    assert_says(&err, "not signed by their previous key");
}

// ---------------------------------------------------------------------------------------------
// 12. Members are marked removed, never dropped.
// ---------------------------------------------------------------------------------------------

#[test]
fn dropped_member_is_refused() {
    let v1 = v1();
    let r2 = next(&v1, |r| r.members.retain(|m| m.member_id != mid(BOB)));
    let err = refuse(&v1, sign(&r2, COORD));
    assert!(
        matches!(&err, RosterError::MemberDropped { member_id, name }
            if *member_id == mid(BOB) && name == "Bob"),
        "{err:?}"
    );
    assert_says(&err, "Tell the coordinator");
}

// ---------------------------------------------------------------------------------------------
// 13. Coordinator handover and coordinator key change.
// ---------------------------------------------------------------------------------------------

/// v1, then v2 signed by the old coordinator key naming Deputy as coordinator.
fn handed_over() -> (VerifiedRoster, VerifiedRoster) {
    let v1 = v1();
    let r2 = next(&v1, |r| {
        r.members.push(member(
            DEPUTY,
            "Dana Deputy",
            &[Role::Coordinator, Role::Imo],
        ));
        r.coordinator = CoordinatorKey {
            member_id: mid(DEPUTY),
            sig_pk: pk(DEPUTY),
        };
        member_mut(r, COORD).roles = vec![Role::Imo];
    });
    let v2 = accept(&v1, &r2, COORD);
    (v1, v2)
}

#[test]
fn coordinator_hands_over_by_signing_with_the_old_key() {
    let (_, v2) = handed_over();
    assert_eq!(v2.roster().coordinator.sig_pk, pk(DEPUTY));
    assert_eq!(v2.signed().signer(), &pk(COORD));

    // From now on the old key is just a member's key: it can no longer sign the roster.
    let r3 = next(&v2, |r| {
        r.members.push(member(CAROL, "Carol", &[Role::Imo]));
    });
    let err = refuse(&v2, sign(&r3, COORD));
    assert!(
        matches!(&err, RosterError::WrongSigner { signer, trusted }
            if *signer == pin(COORD) && *trusted == pin(DEPUTY)),
        "{err:?}"
    );
    assert_says(&err, "Ask your coordinator by phone");

    let v3 = accept(&v2, &r3, DEPUTY);
    assert!(v3.roster().member(mid(CAROL)).is_some());
}

#[test]
fn coordinator_changes_own_key_by_signing_with_the_old_key() {
    let v1 = v1();
    let kc = KeyChange::create(
        cluster(),
        mid(COORD),
        (&key(COORD), &age(COORD)),
        (&key(21), "age1coordnew"),
        now(),
    );
    let r2 = next(&v1, |r| {
        let c = member_mut(r, COORD);
        c.previous_keys.push(PreviousKey {
            sig_pk: kc.old_sig_pk,
            age_recipient: kc.old_age_recipient.clone(),
            change_signature: kc.old_signature,
        });
        c.sig_pk = kc.new_sig_pk;
        c.age_recipient = kc.new_age_recipient.clone();
        r.coordinator.sig_pk = kc.new_sig_pk;
    });
    let v2 = accept(&v1, &r2, COORD);
    let r3 = next(&v2, |r| r.name = "Renamed".into());
    let err = refuse(&v2, sign(&r3, COORD));
    assert!(matches!(err, RosterError::WrongSigner { .. }), "{err:?}");
    accept(&v2, &r3, 21);
}

// ---------------------------------------------------------------------------------------------
// 14. Structural rules, checked when signing and again when verifying.
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_malformed(roster: &Roster, phrase: &str) {
    let err = SignedRoster::sign(roster, &key(COORD)).unwrap_err();
    assert!(matches!(&err, RosterError::Malformed(_)), "{err:?}");
    assert_says(&err, phrase);
    assert_says(&err, "ask the coordinator to export it again");
    let err = sign_unchecked(roster, COORD)
        .verify(&pk(COORD))
        .unwrap_err();
    assert!(matches!(&err, RosterError::Malformed(_)), "{err:?}");
    assert_says(&err, phrase);
}

#[test]
fn coordinator_without_the_coordinator_role_is_malformed() {
    let mut roster = first_roster();
    member_mut(&mut roster, COORD).roles = vec![Role::Imo];
    assert_malformed(&roster, "coordinator role");

    let mut roster = first_roster();
    member_mut(&mut roster, COORD).status = MemberStatus::Removed;
    assert_malformed(&roster, "coordinator role");

    // Naming a key that is not the coordinator member's own.
    let mut roster = first_roster();
    roster.coordinator.sig_pk = pk(STRANGER);
    assert_malformed(&roster, "coordinator role");
}

#[test]
fn duplicate_member_id_is_malformed() {
    let mut roster = first_roster();
    let mut twin = member(CAROL, "Carol", &[Role::Imo]);
    twin.member_id = mid(BOB);
    roster.members.push(twin);
    assert_malformed(&roster, "listed twice");
}

#[test]
fn signing_key_shared_by_two_members_is_malformed() {
    let mut roster = first_roster();
    let mut copycat = member(CAROL, "Carol", &[Role::Imo]);
    copycat.sig_pk = pk(ALICE);
    roster.members.push(copycat);
    assert_malformed(&roster, "appears twice");
}

// ---------------------------------------------------------------------------------------------
// 15. Invite codes.
// ---------------------------------------------------------------------------------------------

const SECRET_HEX: &str = "00112233445566778899aabbccddeeff";

fn invite(relay: Option<&str>) -> Invite {
    Invite {
        cluster_id: cluster(),
        coordinator: pin(COORD),
        secret: InviteSecret::from_hex(SECRET_HEX).unwrap(),
        // Codes carry whole seconds. Fixed, so that every code in these tests is the same one
        // (the typo test relies on it: a 16-bit checksum misses one typo in 65 536).
        expires_at: time::macros::datetime!(2030-01-01 00:00 UTC),
        relay: relay.map(str::to_owned),
    }
}

#[track_caller]
fn assert_same_invite(a: &Invite, b: &Invite) {
    assert_eq!(a.cluster_id, b.cluster_id);
    assert_eq!(a.coordinator, b.coordinator);
    assert_eq!(a.secret.id(), b.secret.id());
    assert_eq!(*a.secret.to_hex(), *b.secret.to_hex());
    assert_eq!(a.expires_at, b.expires_at);
    assert_eq!(a.relay, b.relay);
}

#[test]
fn invite_code_round_trips_with_and_without_relay() {
    for relay in [None, Some("https://relay.example.org/sealpost")] {
        let original = invite(relay);
        let code = original.to_code();
        assert!(code.starts_with("SP-"), "{code}");
        assert_same_invite(&original, &Invite::from_code(&code).unwrap());
    }
}

#[test]
fn invite_code_is_read_in_any_case_with_or_without_separators() {
    let original = invite(None);
    let code = original.to_code();
    let lower = code.to_lowercase();
    let bare: String = code.chars().filter(|c| *c != '-').collect();
    let spaced = code.replace('-', " ");
    let messy = format!("  {}\n", lower.replace('-', " - "));
    for variant in [lower, bare, spaced, messy] {
        let read = Invite::from_code(&variant).unwrap_or_else(|e| panic!("{variant:?}: {e}"));
        assert_same_invite(&original, &read);
    }
}

#[test]
fn invite_code_without_relay_is_short_enough_to_read_aloud() {
    let code = invite(None).to_code();
    let significant = code.chars().filter(char::is_ascii_alphanumeric).count();
    // What is read aloud: "SP" and the base32 characters.
    assert!(significant <= 100, "{significant} characters in {code}");
    // As written, dashes included, the code is 108 characters (90 significant ones in 18
    // groups), so "about 90 characters" in enrol.rs counts only what is read aloud. This bound
    // keeps the written form from growing unnoticed.
    assert!(code.len() <= 110, "{} characters: {code}", code.len());
}

#[test]
fn every_single_character_typo_in_an_invite_code_is_caught() {
    const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let code = invite(None).to_code();
    // The code is fixed, so this is a deterministic check of one typo at each position; the
    // prefix `SP-` is skipped since changing it is "not an invite", not a typo.
    let mut tried = 0;
    for (i, c) in code.char_indices().skip(3) {
        if c == '-' {
            continue;
        }
        let replacement = BASE32.chars().find(|&b| b != c).unwrap();
        let mut typo = code.clone();
        typo.replace_range(i..=i, &replacement.to_string());
        let err = Invite::from_code(&typo).unwrap_err();
        assert!(matches!(err, EnrolError::InviteTypo), "{typo}: {err:?}");
        assert_says(&err, "compare it character by character");
        tried += 1;
    }
    assert!(tried > 80);
}

#[test]
fn text_that_is_not_an_invite_says_so() {
    for text in ["hello", "", "SP-", "SP-AAAAA"] {
        let err = Invite::from_code(text).unwrap_err();
        assert!(
            matches!(err, EnrolError::NotAnInvite(_)),
            "{text:?}: {err:?}"
        );
        assert_says(&err, "copy the whole code");
    }
}

// ---------------------------------------------------------------------------------------------
// 16. Join requests.
// ---------------------------------------------------------------------------------------------

const JOINER: u8 = 30;

fn secret() -> InviteSecret {
    InviteSecret::from_hex(SECRET_HEX).unwrap()
}

fn other_secret() -> InviteSecret {
    InviteSecret::from_hex("ffeeddccbbaa99887766554433221100").unwrap()
}

fn join_body(invite_secret: &InviteSecret) -> JoinRequestBody {
    JoinRequestBody {
        v: 1,
        cluster_id: cluster(),
        invite_id: invite_secret.id(),
        member_id: mid(JOINER),
        name: "Joanna Joiner".into(),
        org: "Partner Org".into(),
        sig_pk: pk(JOINER),
        age_recipient: age(JOINER),
        requested_at: now(),
    }
}

#[test]
fn join_request_verifies_under_its_invite_secret() {
    let body = join_body(&secret());
    let request = JoinRequest::create(&body, &secret(), &key(JOINER));
    assert_eq!(request.invite_id(), secret().id());
    assert_eq!(request.verify(&secret()).unwrap(), body);

    // The file form reads back identically and keeps its id.
    let reread = JoinRequest::from_json(&request.to_json()).unwrap();
    assert_eq!(reread, request);
    assert_eq!(reread.id(), request.id());
    assert_eq!(reread.verify(&secret()).unwrap(), body);
    assert_eq!(request.id().len(), 16);
    assert!(request.id().bytes().all(|b| b.is_ascii_hexdigit()));

    // Another request has another id.
    let mut other_body = body.clone();
    other_body.name = "Someone Else".into();
    let other = JoinRequest::create(&other_body, &secret(), &key(JOINER));
    assert_ne!(other.id(), request.id());
}

#[test]
fn join_request_under_another_secret_is_wrong_secret() {
    let request = JoinRequest::create(&join_body(&secret()), &secret(), &key(JOINER));
    let err = request.verify(&other_secret()).unwrap_err();
    assert!(matches!(err, EnrolError::WrongSecret), "{err:?}");
    assert_says(&err, "ask the member to join again");
}

#[test]
fn join_request_altered_on_the_way_is_wrong_secret() {
    // A relay in the middle swaps in its own keys: the HMAC no longer matches.
    let request = JoinRequest::create(&join_body(&secret()), &secret(), &key(JOINER));
    let swapped = edit_b64_field(&request.to_json(), "request", |bytes| {
        let theirs = pk(JOINER).to_string();
        let mine = pk(STRANGER).to_string();
        replace_once(bytes, theirs.as_bytes(), mine.as_bytes());
    });
    let err = JoinRequest::from_json(&swapped)
        .unwrap()
        .verify(&secret())
        .unwrap_err();
    assert!(matches!(err, EnrolError::WrongSecret), "{err:?}");
    assert_says(&err, "Do not approve it");

    let renamed = edit_b64_field(&request.to_json(), "request", |bytes| {
        replace_once(bytes, b"Joanna", b"Joanne");
    });
    let err = JoinRequest::from_json(&renamed)
        .unwrap()
        .verify(&secret())
        .unwrap_err();
    assert!(matches!(err, EnrolError::WrongSecret), "{err:?}");
}

#[test]
fn join_request_naming_another_invite_is_malformed() {
    // MAC'd with the right secret, but the body names another invite.
    let body = join_body(&other_secret());
    let request = JoinRequest::create(&body, &secret(), &key(JOINER));
    let err = request.verify(&secret()).unwrap_err();
    assert!(
        matches!(
            &err,
            EnrolError::Malformed {
                what: "join request",
                ..
            }
        ),
        "{err:?}"
    );
    assert_says(&err, "ask the member to create it again");

    // The envelope's invite id, outside the MAC, disagreeing with the body.
    let request = JoinRequest::create(&join_body(&secret()), &secret(), &key(JOINER));
    let mut envelope: Value = serde_json::from_slice(&request.to_json()).unwrap();
    envelope["invite_id"] = Value::String(other_secret().id().to_string());
    let relabelled = JoinRequest::from_json(&serde_json::to_vec(&envelope).unwrap()).unwrap();
    assert_eq!(relabelled.invite_id(), other_secret().id());
    let err = relabelled.verify(&secret()).unwrap_err();
    assert!(matches!(&err, EnrolError::Malformed { .. }), "{err:?}");
}

#[test]
fn join_request_signed_by_another_key_is_bad_signature() {
    // Whoever made it knows the secret but not the key the body presents.
    let request = JoinRequest::create(&join_body(&secret()), &secret(), &key(STRANGER));
    let err = request.verify(&secret()).unwrap_err();
    assert!(
        matches!(
            err,
            EnrolError::BadSignature {
                what: "join request"
            }
        ),
        "{err:?}"
    );
    assert_says(&err, "Do not approve it");
}

// ---------------------------------------------------------------------------------------------
// 17. Key-change requests.
// ---------------------------------------------------------------------------------------------

fn key_change() -> KeyChange {
    KeyChange::create(
        cluster(),
        mid(ALICE),
        (&key(ALICE), &age(ALICE)),
        (&key(22), "age1alicenew"),
        now(),
    )
}

#[test]
fn key_change_round_trips_through_json() {
    let kc = key_change();
    let reread = KeyChange::from_json(&kc.to_json()).unwrap();
    assert_eq!(reread, kc);
    assert_eq!(reread.id(), kc.id());
    assert_eq!(
        kc.statement(),
        key_change_statement(
            cluster(),
            mid(ALICE),
            (&pk(ALICE), &age(ALICE)),
            (&pk(22), "age1alicenew")
        )
    );
}

#[test]
fn key_change_with_an_edited_field_is_bad_signature() {
    let json = key_change().to_json();
    let edits: [(&str, Value); 3] = [
        ("new_age_recipient", "age1attacker".into()),
        ("new_sig_pk", pk(STRANGER).to_string().into()),
        ("member_id", mid(BOB).to_string().into()),
    ];
    for (field, replacement) in edits {
        let mut value: Value = serde_json::from_slice(&json).unwrap();
        value[field] = replacement;
        let err = KeyChange::from_json(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                EnrolError::BadSignature {
                    what: "key change request"
                }
            ),
            "{field}: {err:?}"
        );
        assert_says(&err, "Do not approve it");
    }
}

#[test]
fn key_change_needs_both_the_old_and_the_new_keys_signature() {
    // Each signature alone is not enough: the old key's says the member asked, the new key's
    // that they hold the key they ask for. Editing a field breaks both at once, so each is
    // replaced here with a signature over the right statement by the wrong key.
    let kc = key_change();
    let by_stranger = SigningContext::KeyChange.sign(&key(STRANGER), &kc.statement());
    let without_old = KeyChange {
        old_signature: by_stranger,
        ..kc.clone()
    };
    let without_new = KeyChange {
        new_signature: by_stranger,
        ..kc
    };
    for forged in [without_old, without_new] {
        let err = KeyChange::from_json(&forged.to_json()).unwrap_err();
        assert!(
            matches!(
                err,
                EnrolError::BadSignature {
                    what: "key change request"
                }
            ),
            "{err:?}"
        );
        assert_says(&err, "Do not approve it");
    }
}

// ---------------------------------------------------------------------------------------------
// 18. Safety numbers.
// ---------------------------------------------------------------------------------------------

#[test]
fn safety_number_is_symmetric_and_specific_to_the_pair() {
    let fp = |seed: u8| Fingerprint::of_member(&pk(seed), &age(seed));
    let (a, b, c) = (fp(ALICE), fp(BOB), fp(CAROL));
    let ab = SafetyNumber::for_pair(&a, &b);
    assert_eq!(ab, SafetyNumber::for_pair(&b, &a));
    for (x, y) in [(&a, &c), (&c, &b), (&b, &c), (&a, &a)] {
        assert_ne!(ab, SafetyNumber::for_pair(x, y));
    }
    // Bob's encryption key alone substituted changes the number Alice compares.
    let b_swapped = Fingerprint::of_member(&pk(BOB), "age1attacker");
    assert_ne!(ab, SafetyNumber::for_pair(&a, &b_swapped));
}

// ---------------------------------------------------------------------------------------------
// Known bugs: each test states the behaviour the modules document or plainly intend; they fail
// today and are ignored so the suite stays green. Remove the `ignore` when the bug is fixed.
// ---------------------------------------------------------------------------------------------

#[test]
fn handover_roster_offered_again_is_unchanged() {
    // A client holding the handover roster (signed by the old key, naming the new one) fetches
    // the same file again, as it does on every sync until v3 exists.
    let (_, v2) = handed_over();
    let err = refuse(&v2, v2.signed().clone());
    assert!(
        matches!(err, RosterError::Unchanged { version: 2 }),
        "got {err:?}: \"may be forged\" for the roster the client already holds"
    );
}

#[test]
fn roster_from_before_a_handover_is_rollback() {
    let (v1, v2) = handed_over();
    let v3 = accept(&v2, &next(&v2, |r| r.name = "Renamed".into()), DEPUTY);
    let err = refuse(&v3, v1.signed().clone());
    assert!(
        matches!(err, RosterError::Rollback { held: 3, got: 1 }),
        "got {err:?}"
    );
}

#[test]
fn missed_handover_is_a_gap() {
    let (v1, v2) = handed_over();
    let v3 = accept(&v2, &next(&v2, |r| r.name = "Renamed".into()), DEPUTY);
    let err = refuse(&v1, v3.signed().clone());
    assert!(
        matches!(err, RosterError::Gap { held: 1, got: 3 }),
        "got {err:?}: the client should be told to import version 2"
    );
}

#[test]
fn invite_expiry_before_the_epoch_does_not_become_never() {
    let mut old = invite(None);
    old.expires_at = OffsetDateTime::UNIX_EPOCH - Duration::days(1);
    let read = Invite::from_code(&old.to_code()).unwrap();
    assert!(
        read.expires_at <= OffsetDateTime::UNIX_EPOCH,
        "{}",
        read.expires_at
    );
}
