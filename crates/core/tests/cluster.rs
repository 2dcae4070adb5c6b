//! The cluster lifecycle through sealpost-core's public API: enrolment, the roster rules a
//! member applies, removal, key changes, coordinator handover and key rotation, addressing
//! through the roster, sender checks on parcels, and safety numbers.
//!
//! Every refusal is checked twice: by its exact variant, and by the advice its message gives,
//! since that advice is what a person acts on. Time is always passed explicitly, so expiry is
//! tested by passing a later `now`, never by waiting.

mod support;

use std::fmt::Display;
use std::io::{self, Read};
use std::sync::Arc;

use data_encoding::BASE64URL_NOPAD;
use sealpost_core::coordinator::{
    CoordinatorError, Desk, INVITE_VALIDITY, ROSTER_VALIDITY, Request, RequestRef, create_cluster,
    request_key_change,
};
use sealpost_core::format::enrol::{
    CoordinatorPin, EnrolError, Invite, InviteSecret, JoinRequest, JoinRequestBody, KeyChange,
};
use sealpost_core::format::roster::{
    MemberStatus, Policy, PreviousKey, Role, Roster, RosterError, RosterMember, SignedRoster,
    VerifiedRoster, rfc3339,
};
use sealpost_core::format::{Fingerprint, Label, MemberId, SigningContext};
use sealpost_core::keystore::KeystoreError;
use sealpost_core::membership::{
    Imported, Membership, MembershipError, RosterChange, member_fingerprint, resolve_addressees,
    safety_number,
};
use sealpost_core::parcel::{
    Addressee, Addressees, Compression, Destination, FileSource, Key, OpenError, OpenOptions,
    OpenedParcel, SealRequest, SenderStatus, open, seal,
};
use sealpost_core::progress::Silent;
use sealpost_core::{Home, Identity, Passphrase, Protection};
use support::{CraftSender, temp_dir};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

// ---------------------------------------------------------------------------------------------
// Fixtures

const PASSPHRASE: &str = "correct horse battery staple";
const REPORT: &[u8] = b"district,households\nNorth,120\nSouth,85\n";

fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.into()).expect("a non-empty passphrase")
}

/// The real clock, in whole seconds: `Desk::receive` judges a request against the real clock
/// (it takes no `now`), so the tests' "now" must be the real one for its verdict to agree.
fn start() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero is valid")
}

/// A roster as it reaches someone else: exported to a file and read back.
fn carry(roster: &VerifiedRoster) -> SignedRoster {
    SignedRoster::from_json(&roster.signed().to_json()).expect("an exported roster reads back")
}

/// The coordinator signing a roster by hand, as a stolen or misused coordinator key could:
/// sealpost keeps signing keys private, so the key is read back from the identity document.
fn sign_by_hand(roster: &Roster, signer: &Identity) -> SignedRoster {
    SignedRoster::sign(roster, &CraftSender::from_identity(signer).signing)
        .expect("a structurally valid roster")
}

/// `roster` signed by `signer` and packed into an envelope by hand, without the structural
/// check [`SignedRoster::sign`] makes: what a forger who skips sealpost's own code could send.
fn envelope_by_hand(roster: &Roster, signer: &Identity) -> SignedRoster {
    let bytes = serde_json::to_vec(roster).expect("a roster serialises");
    let signature =
        SigningContext::Roster.sign(&CraftSender::from_identity(signer).signing, &bytes);
    let envelope = serde_json::json!({
        "v": 1,
        "roster": BASE64URL_NOPAD.encode(&bytes),
        "signer": signer.signing_public_key(),
        "signature": BASE64URL_NOPAD.encode(&signature),
    });
    SignedRoster::from_json(&serde_json::to_vec(&envelope).expect("JSON"))
        .expect("a hand-made envelope reads")
}

/// Writes `roster` into `person`'s data directory as the roster held, the way holding it
/// would, without any of the checks or steps that follow: the state a crash right after
/// holding it leaves behind.
fn hold_without_checks(person: &Person, roster: &SignedRoster) {
    let dir = person.home.dir().join("roster");
    let json = roster.to_json();
    let version = serde_json::from_slice::<Roster>(roster.bytes())
        .expect("a roster")
        .version;
    std::fs::write(dir.join(format!("v{version}.json")), &json).expect("written");
    std::fs::write(dir.join("current.json"), &json).expect("written");
}

/// `roster` as the next version after `after`, with nothing else changed.
fn next_version(after: &VerifiedRoster) -> Roster {
    let mut next = after.roster().clone();
    next.version += 1;
    next.prev_hash = Some(after.hash());
    next
}

#[track_caller]
fn assert_says(error: &impl Display, phrase: &str) {
    let message = error.to_string();
    assert!(
        message.contains(phrase),
        "the message should say {phrase:?}, but is: {message}"
    );
}

/// One person with a data directory of their own.
struct Person {
    home: Home,
    me: Identity,
}

impl Person {
    fn membership(&self) -> Membership {
        Membership::new(&self.home)
    }

    fn import(
        &self,
        roster: &VerifiedRoster,
        now: OffsetDateTime,
    ) -> Result<Imported, MembershipError> {
        self.membership().import(carry(roster), &self.me, None, now)
    }

    /// The roster held (whether or not it has expired).
    fn roster(&self) -> Roster {
        self.membership()
            .require()
            .expect("a roster is held")
            .roster()
            .clone()
    }

    fn held_version(&self) -> Option<u64> {
        self.membership()
            .held()
            .expect("the held roster reads")
            .map(|r| r.roster().version)
    }

    fn id(&self) -> MemberId {
        self.me.member_id()
    }
}

/// A cluster, its coordinator, and a folder for everyone's data directories.
struct Cluster {
    dir: TempDir,
    coordinator: Person,
    now: OffsetDateTime,
}

impl Cluster {
    fn new() -> Self {
        Self::found(None)
    }

    /// With the coordinator's identity stored in a passphrase-protected home, for the key
    /// changes that must store new keys.
    fn with_stored_coordinator(passphrase: &Passphrase) -> Self {
        Self::found(Some(passphrase))
    }

    fn found(stored: Option<&Passphrase>) -> Self {
        let dir = temp_dir();
        let now = start();
        let coordinator = person_in(&dir, "Carla Coordinator", "Protection Cluster");
        if let Some(passphrase) = stored {
            coordinator
                .home
                .store_identity(&coordinator.me, Protection::Passphrase(passphrase), false)
                .expect("the identity is stored");
        }
        let first = create_cluster(
            &coordinator.home,
            &coordinator.me,
            "Test Protection Cluster",
            Policy::default(),
            now,
        )
        .expect("the cluster is created");
        assert_eq!(first.roster().version, 1);
        Self {
            dir,
            coordinator,
            now,
        }
    }

    fn desk(&self) -> Desk<'_> {
        Desk::open(&self.coordinator.home, &self.coordinator.me).expect("the coordinator's desk")
    }

    fn person(&self, name: &str, org: &str) -> Person {
        person_in(&self.dir, name, org)
    }

    /// The roster the coordinator holds: the newest one.
    fn latest(&self) -> VerifiedRoster {
        self.coordinator
            .membership()
            .require()
            .expect("the coordinator holds a roster")
    }

    /// Invites `person`, who joins; the coordinator approves. Returns the roster that admits
    /// them, not yet imported by them.
    fn approve_join(&self, person: &Person, role: Role) -> VerifiedRoster {
        let desk = self.desk();
        let invite = desk
            .invite(role, None, INVITE_VALIDITY, None, self.now)
            .expect("an invite");
        let invite = Invite::from_code(&invite.to_code()).expect("the code reads back");
        let request = person
            .membership()
            .join(&invite, &person.me, self.now)
            .expect("the invite is accepted");
        let request = desk
            .load_request(RequestRef::Bytes(&request.to_json()))
            .expect("the request file reads");
        desk.approve(&request, self.now).expect("approved").roster
    }

    /// A new member, enrolled and holding the roster that admits them.
    fn enrol(&self, name: &str, org: &str, role: Role) -> Person {
        let person = self.person(name, org);
        let roster = self.approve_join(&person, role);
        person
            .import(&roster, self.now)
            .expect("the member imports");
        person
    }

    /// Imports, in order, every version `person` lacks, as a member catching up would.
    fn catch_up(&self, person: &Person) -> Vec<Imported> {
        let from = person.held_version().expect("joined already") + 1;
        let to = self.latest().roster().version;
        (from..=to)
            .map(|v| {
                let signed = self.coordinator.membership().version(v).expect("kept");
                person
                    .membership()
                    .import(signed, &person.me, None, self.now)
                    .expect("the next version is accepted")
            })
            .collect()
    }
}

fn person_in(dir: &TempDir, name: &str, org: &str) -> Person {
    let me = Identity::generate(name, org).expect("a valid name");
    let home = Home::new(dir.path().join(me.member_id().to_string()));
    Person { home, me }
}

fn in_memory(name: &str, content: &[u8]) -> FileSource {
    let content: Arc<[u8]> = content.into();
    FileSource::from_stream(name, move || {
        Ok(Box::new(io::Cursor::new(Arc::clone(&content))) as Box<dyn Read + Send>)
    })
}

/// A one-file parcel from `sender`, addressed through `roster` when given.
fn seal_parcel(sender: &Identity, to: Vec<Addressee>, roster: Option<&Roster>) -> Vec<u8> {
    let request = SealRequest {
        purpose: Default::default(),
        label_override: None,
        label: Label::Restricted,
        note: None,
        files: vec![in_memory("report.csv", REPORT)],
        to: Addressees::Recipients(to),
        compression: Compression::None,
        roster: roster.map(Membership::context),
    };
    seal(sender, request, Vec::new(), &Silent)
        .expect("the parcel seals")
        .1
}

/// Opens (verify only) with the sender checked against `roster`.
fn open_parcel(
    parcel: &[u8],
    key: Key<'_>,
    roster: Option<&Roster>,
    allow_untrusted_sender: bool,
) -> Result<OpenedParcel, OpenError> {
    let options = OpenOptions {
        expected_sender: None,
        roster: roster.cloned(),
        allow_untrusted_sender,
    };
    open(parcel, key, &options, Destination::VerifyOnly, &Silent)
}

fn specs(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Enrolment

#[test]
fn enrolment_round_trip_admits_the_member_with_the_invites_role() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let v1 = cluster.latest();
    let desk = cluster.desk();

    let relay = "https://relay.example.org";
    let invite = desk
        .invite(
            Role::Imo,
            Some(" UNHCR ".into()),
            INVITE_VALIDITY,
            Some(relay.into()),
            now,
        )
        .expect("an invite");
    // The code is what travels (read out or pasted, case and dashes mangled): decode that.
    let code = invite.to_code().to_lowercase().replace('-', " ");
    let received = Invite::from_code(&code).expect("the code reads back");
    assert_eq!(received.cluster_id, v1.roster().cluster_id);
    assert_eq!(
        received.coordinator,
        CoordinatorPin::of(&cluster.coordinator.me.signing_public_key())
    );
    assert_eq!(received.secret.id(), invite.secret.id());
    assert_eq!(received.expires_at, now + INVITE_VALIDITY);
    assert_eq!(received.relay.as_deref(), Some(relay));

    let imo = cluster.person("Ina Imo", "Field NGO");
    let request = imo
        .membership()
        .join(&received, &imo.me, now)
        .expect("joins");
    // Joined, not yet approved: the member is told to wait for the roster, not to join.
    let err = imo.membership().require().unwrap_err();
    assert!(
        matches!(err, MembershipError::NoRoster { cluster_id } if cluster_id == v1.roster().cluster_id),
        "{err:?}"
    );
    assert_says(&err, "import the roster they send you");
    let pin = imo.membership().pin().unwrap().expect("pinned on join");
    assert_eq!(pin.coordinator, received.coordinator);
    assert_eq!(pin.relay.as_deref(), Some(relay));
    assert_eq!(pin.invite_id, Some(invite.secret.id()));

    // The coordinator sees who asks, with the fingerprint to compare by phone.
    let pending = desk.receive(&request.to_json(), now).expect("received");
    assert_eq!(pending.kind, "join");
    assert_eq!(pending.member_id, Some(imo.id()));
    assert_eq!(pending.name.as_deref(), Some("Ina Imo"));
    assert_eq!(
        pending.org.as_deref(),
        Some("UNHCR"),
        "the invite fixed the org"
    );
    assert_eq!(pending.role, Some(Role::Imo));
    assert_eq!(pending.fingerprint, Some(imo.me.card().fingerprint));
    assert_eq!(pending.problem, None);
    let listed = desk.requests(now).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, pending.id);
    assert_eq!(listed[0].problem, None);

    let request = desk.load_request(RequestRef::Id(&pending.id)).unwrap();
    assert!(matches!(request, Request::Join(_)));
    let approved = desk.approve(&request, now).expect("approved");
    assert_eq!(approved.what, "joined");
    assert_eq!(approved.name, "Ina Imo");
    let v2 = approved.roster.roster();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.prev_hash, Some(v1.hash()));
    let entry = v2.member(imo.id()).expect("listed");
    assert_eq!(entry.roles, vec![Role::Imo]);
    assert_eq!(entry.status, MemberStatus::Active);
    assert_eq!(entry.org, "UNHCR");
    assert!(imo.me.same_keys(&entry.sig_pk, &entry.age_recipient));
    assert!(desk.requests(now).unwrap().is_empty(), "approval clears it");
    let record = &desk.invites().unwrap()[0];
    assert_eq!(record.used_by, Some(imo.id()));
    assert_eq!(record.used_at, Some(now));

    let imported = imo.import(&approved.roster, now).expect("imported");
    assert_eq!(imported.roster.roster().version, 2);
    assert!(imported.changes.is_empty(), "{:?}", imported.changes);
    assert!(!imported.key_change_completed);
    let held = imo.membership().current(now).expect("a current roster");
    assert_eq!(held.hash(), approved.roster.hash());
    assert_eq!(
        imo.membership().version(2).unwrap(),
        *approved.roster.signed()
    );
}

#[test]
fn an_invite_admits_one_member_only() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Partner, None, INVITE_VALIDITY, None, now)
        .unwrap();
    // The code was passed on: two people answer the same invite.
    let first = cluster.person("Pat Partner", "NGO A");
    let second = cluster.person("Sam Copier", "NGO B");
    let by_first = first.membership().join(&invite, &first.me, now).unwrap();
    let by_second = second.membership().join(&invite, &second.me, now).unwrap();
    desk.approve(&Request::Join(by_first), now)
        .expect("the first is admitted");

    let err = desk
        .approve(&Request::Join(by_second.clone()), now)
        .unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::InviteUsed { invite_id, used_by, used_at }
            if *invite_id == invite.secret.id() && used_by == "Pat Partner" && *used_at == rfc3339(now)),
        "{err:?}"
    );
    assert_eq!(err.code(), "invite-used");
    assert_says(&err, "send them their own invite");
    assert_says(&err, "treat it as an incident");
    assert!(cluster.latest().roster().member(second.id()).is_none());
    assert_eq!(cluster.latest().roster().version, 2);

    // The desk's list gives the same reason before anyone tries to approve.
    let pending = desk.receive(&by_second.to_json(), now).unwrap();
    assert!(
        pending
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("already used by Pat Partner")),
        "{pending:?}"
    );
}

#[test]
fn an_expired_invite_is_refused_by_the_joining_member_and_by_the_desk() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Partner, None, Duration::days(1), None, now)
        .unwrap();
    assert_eq!(invite.expires_at, now + Duration::days(1));
    let late = cluster.person("Lee Late", "NGO");

    // The member's side: at the expiry instant the code is refused, and nothing is pinned.
    let err = late
        .membership()
        .join(&invite, &late.me, invite.expires_at)
        .unwrap_err();
    assert!(
        matches!(&err, MembershipError::InviteExpired { expired_at } if *expired_at == rfc3339(invite.expires_at)),
        "{err:?}"
    );
    assert_eq!(err.code(), "invite-expired");
    assert_says(&err, "ask the coordinator for a new invite code");
    assert!(late.membership().pin().unwrap().is_none());

    // The desk's side: joined in time, approved too late.
    let request = late.membership().join(&invite, &late.me, now).unwrap();
    desk.receive(&request.to_json(), now).unwrap();
    let too_late = invite.expires_at + Duration::seconds(1);
    let err = desk
        .approve(&Request::Join(request.clone()), too_late)
        .unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::InviteExpired { invite_id, expired_at }
            if *invite_id == invite.secret.id() && *expired_at == rfc3339(invite.expires_at)),
        "{err:?}"
    );
    assert_eq!(err.code(), "invite-expired");
    assert_says(&err, "send the member a new invite");
    let listed = desk.requests(too_late).unwrap();
    assert!(
        listed[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("new invite")),
        "{listed:?}"
    );
    assert_eq!(cluster.latest().roster().version, 1);

    // One second before the expiry the same request is still accepted.
    let approved = desk
        .approve(
            &Request::Join(request),
            invite.expires_at - Duration::seconds(1),
        )
        .expect("still valid");
    assert!(approved.roster.roster().member(late.id()).is_some());
}

#[test]
fn a_join_request_not_made_with_the_invites_secret_or_for_an_unknown_invite_is_refused() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Imo, None, INVITE_VALIDITY, None, now)
        .unwrap();

    // Someone who saw only the invite id (never the code) names it, with their own keys; the
    // HMAC under the real secret cannot match.
    let mallory = cluster.person("Mallory", "Nowhere");
    let body = JoinRequestBody {
        v: 1,
        cluster_id: cluster.latest().roster().cluster_id,
        invite_id: invite.secret.id(),
        member_id: mallory.id(),
        name: "Mallory".into(),
        org: "Nowhere".into(),
        sig_pk: mallory.me.signing_public_key(),
        age_recipient: mallory.me.age_recipient().to_string(),
        requested_at: now,
    };
    let forged = JoinRequest::create(
        &body,
        &InviteSecret::random(),
        &CraftSender::from_identity(&mallory.me).signing,
    );
    assert_eq!(forged.invite_id(), invite.secret.id());
    let err = desk
        .approve(&Request::Join(forged.clone()), now)
        .unwrap_err();
    assert!(
        matches!(err, CoordinatorError::Enrol(EnrolError::WrongSecret)),
        "{err:?}"
    );
    assert_eq!(err.code(), "wrong-invite-secret");
    assert_says(&err, "Do not approve it");
    assert_says(&err, "join again with the code you gave them");
    // Listed with the problem, and nothing from the unauthenticated body is shown as fact.
    let pending = desk.receive(&forged.to_json(), now).unwrap();
    assert!(pending.problem.is_some());
    assert_eq!(pending.name, None);
    assert_eq!(pending.fingerprint, None);
    assert_eq!(cluster.latest().roster().version, 1);

    // A code from another cluster's coordinator: this desk never issued it.
    let elsewhere = Cluster::new();
    let foreign = elsewhere
        .desk()
        .invite(Role::Imo, None, INVITE_VALIDITY, None, now)
        .unwrap();
    let confused = cluster.person("Connie Confused", "NGO");
    let request = confused
        .membership()
        .join(&foreign, &confused.me, now)
        .unwrap();
    let err = desk.approve(&Request::Join(request), now).unwrap_err();
    assert!(
        matches!(err, CoordinatorError::UnknownInvite { invite_id } if invite_id == foreign.secret.id()),
        "{err:?}"
    );
    assert_eq!(err.code(), "unknown-invite");
    assert_says(&err, "send them a new invite");

    // Neither refusal used the invite up.
    let real = cluster.person("Rae Real", "NGO");
    let request = real.membership().join(&invite, &real.me, now).unwrap();
    desk.approve(&Request::Join(request), now)
        .expect("the invite is still good");
}

#[test]
fn a_join_request_from_a_member_or_with_a_members_keys_is_refused() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let ada = cluster.enrol("Ada Member", "NGO", Role::Partner);
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Partner, None, INVITE_VALIDITY, None, now)
        .unwrap();

    // Ada's own data directory belongs to the cluster already.
    let err = ada.membership().join(&invite, &ada.me, now).unwrap_err();
    assert!(
        matches!(err, MembershipError::AlreadyInCluster { .. }),
        "{err:?}"
    );
    assert_says(&err, "use another --home");

    // From a fresh data directory (a reinstalled laptop) the request reaches the desk.
    let fresh = Home::new(cluster.dir.path().join("reinstalled"));
    let again = Membership::new(&fresh).join(&invite, &ada.me, now).unwrap();
    let err = desk.approve(&Request::Join(again), now).unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::AlreadyMember { name, member_id }
            if name == "Ada Member" && *member_id == ada.id()),
        "{err:?}"
    );
    assert_eq!(err.code(), "already-member");
    assert_says(&err, "already a member");

    // A new member id presenting Ada's keys (both, or only her age key).
    let eve = cluster.person("Eve Impostor", "NGO");
    let ada_signing = CraftSender::from_identity(&ada.me).signing;
    let eve_signing = CraftSender::from_identity(&eve.me).signing;
    let body = |sig_pk, age_recipient| JoinRequestBody {
        v: 1,
        cluster_id: invite.cluster_id,
        invite_id: invite.secret.id(),
        member_id: eve.id(),
        name: "Eve Impostor".into(),
        org: "NGO".into(),
        sig_pk,
        age_recipient,
        requested_at: now,
    };
    let ada_age = ada.me.age_recipient().to_string();
    let both = JoinRequest::create(
        &body(ada.me.signing_public_key(), ada_age.clone()),
        &invite.secret,
        &ada_signing,
    );
    let age_only = JoinRequest::create(
        &body(eve.me.signing_public_key(), ada_age),
        &invite.secret,
        &eve_signing,
    );
    for request in [both, age_only] {
        let err = desk.approve(&Request::Join(request), now).unwrap_err();
        assert!(
            matches!(&err, CoordinatorError::KeysInUse { name } if name == "Ada Member"),
            "{err:?}"
        );
        assert_eq!(err.code(), "keys-in-use");
        assert_says(&err, "already belong to Ada Member");
    }

    // None of the refusals used the invite up: Eve with her own keys is admitted.
    let request = eve.membership().join(&invite, &eve.me, now).unwrap();
    let approved = desk.approve(&Request::Join(request), now).unwrap();
    assert_eq!(approved.roster.roster().version, 3);
}

#[test]
fn an_invite_issued_before_the_coordinator_changed_keys_still_admits_the_member() {
    let pass = passphrase();
    let cluster = Cluster::with_stored_coordinator(&pass);
    let now = cluster.now;
    let old = &cluster.coordinator;
    let old_pin = CoordinatorPin::of(&old.me.signing_public_key());

    // The code is handed out, then the coordinator changes keys before the member joins.
    let invite = cluster
        .desk()
        .invite(Role::Partner, None, INVITE_VALIDITY, None, now)
        .unwrap();
    assert_eq!(invite.coordinator, old_pin);
    let (new_me, v2) = cluster.desk().rotate_own_key(Some(&pass), now).unwrap();
    assert_eq!(v2.roster().version, 2);

    let nell = cluster.person("Nell Newcomer", "NGO");
    let request = nell
        .membership()
        .join(&invite, &nell.me, now)
        .expect("the code still reads as valid");
    assert_eq!(
        nell.membership().pin().unwrap().unwrap().coordinator,
        old_pin
    );

    // The desk opened with the new keys finds the invite: it lives in the same data directory.
    let desk = Desk::open(&old.home, &new_me).unwrap();
    assert_eq!(desk.invites().unwrap()[0].invite_id, invite.secret.id());
    let v3 = desk.approve(&Request::Join(request), now).unwrap().roster;
    assert_eq!(v3.roster().version, 3);
    assert_eq!(*v3.signed().signer(), new_me.signing_public_key());

    // A forger cannot borrow that path: a roster signed by some other key whose coordinator
    // entry copies the real key history (the old key's signed change, to the real new key)
    // is not a roster the format allows, and is not signed that way by sealpost.
    let mallory = Identity::generate("Mallory", "Nowhere").unwrap();
    let mut forged = v3.roster().clone();
    forged.coordinator.sig_pk = mallory.signing_public_key();
    let entry = forged
        .members
        .iter_mut()
        .find(|m| m.member_id == old.id())
        .unwrap();
    assert_eq!(entry.previous_keys[0].sig_pk, old.me.signing_public_key());
    entry.sig_pk = mallory.signing_public_key();
    entry.age_recipient = mallory.age_recipient().to_string();
    let mallory_key = CraftSender::from_identity(&mallory).signing;
    let err = SignedRoster::sign(&forged, &mallory_key).unwrap_err();
    assert!(matches!(err, RosterError::Malformed(_)), "{err:?}");
    assert_says(&err, "not signed by their previous key");
    // The same with a made-up change signature.
    let mut made_up = forged.clone();
    for m in made_up
        .members
        .iter_mut()
        .filter(|m| m.member_id == old.id())
    {
        m.previous_keys = vec![PreviousKey {
            sig_pk: old.me.signing_public_key(),
            age_recipient: old.me.age_recipient().to_string(),
            change_signature: [7; 64],
        }];
    }
    let err = SignedRoster::sign(&made_up, &mallory_key).unwrap_err();
    assert!(matches!(err, RosterError::Malformed(_)), "{err:?}");

    // Packed by hand, the joining member refuses both. (The hand-made envelope of the real
    // roster is the real roster, byte for byte, so it is the content that is refused.)
    assert_eq!(envelope_by_hand(v3.roster(), &new_me), *v3.signed());
    for roster in [&forged, &made_up] {
        let err = nell
            .membership()
            .import(envelope_by_hand(roster, &mallory), &nell.me, None, now)
            .unwrap_err();
        assert!(
            matches!(err, MembershipError::Roster(RosterError::Malformed(_))),
            "{err:?}"
        );
        assert_eq!(err.code(), "roster-malformed");
    }
    assert_eq!(nell.held_version(), None, "nothing refused was kept");

    // The real roster verifies through the coordinator's signed key history.
    let imported = nell
        .import(&v3, now)
        .expect("reached through previous_keys");
    assert_eq!(imported.roster.roster().version, 3);
    assert_eq!(nell.held_version(), Some(3));
    // And the next one, signed by the new key, follows as usual.
    let v4 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    nell.import(&v4, now).unwrap();
}

#[test]
fn joining_again_is_allowed_until_a_roster_is_held() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let elsewhere = Cluster::new();
    let joe = cluster.person("Joe Joiner", "NGO");

    // A first invite, which expires before the coordinator approves.
    let first = cluster
        .desk()
        .invite(Role::Partner, None, Duration::days(1), None, now)
        .unwrap();
    joe.membership().join(&first, &joe.me, now).unwrap();
    let later = now + Duration::days(2);

    // An invite from another cluster (another coordinator key) replaces the pin.
    let foreign = elsewhere
        .desk()
        .invite(Role::Imo, None, INVITE_VALIDITY, None, later)
        .unwrap();
    joe.membership()
        .join(&foreign, &joe.me, later)
        .expect("no roster is held yet");
    let pin = joe.membership().pin().unwrap().unwrap();
    assert_eq!(pin.cluster_id, elsewhere.latest().roster().cluster_id);
    assert_eq!(pin.coordinator, foreign.coordinator);
    assert_eq!(pin.invite_id, Some(foreign.secret.id()));

    // And a fresh invite from the first coordinator replaces it again.
    let second = cluster
        .desk()
        .invite(Role::Partner, None, INVITE_VALIDITY, None, later)
        .unwrap();
    let request = joe
        .membership()
        .join(&second, &joe.me, later)
        .expect("no roster is held yet");
    let pin = joe.membership().pin().unwrap().unwrap();
    assert_eq!(pin.cluster_id, cluster.latest().roster().cluster_id);
    assert_eq!(pin.coordinator, second.coordinator);
    assert_eq!(pin.invite_id, Some(second.secret.id()));
    let v2 = cluster
        .desk()
        .approve(&Request::Join(request), later)
        .unwrap()
        .roster;
    joe.import(&v2, later).unwrap();

    // Once a roster is held, the data directory belongs to that cluster.
    let third = cluster
        .desk()
        .invite(Role::Partner, None, INVITE_VALIDITY, None, later)
        .unwrap();
    for invite in [&third, &foreign] {
        let err = joe.membership().join(invite, &joe.me, later).unwrap_err();
        assert!(
            matches!(&err, MembershipError::AlreadyInCluster { cluster_id }
                if *cluster_id == v2.roster().cluster_id),
            "{err:?}"
        );
        assert_eq!(err.code(), "already-in-cluster");
    }
    assert_eq!(
        joe.membership().pin().unwrap().unwrap().invite_id,
        Some(second.secret.id()),
        "the refused joins left the pin alone"
    );
    assert_eq!(joe.held_version(), Some(2));
}

#[test]
fn approving_the_same_join_request_twice_says_already_a_member() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Imo, None, INVITE_VALIDITY, None, now)
        .unwrap();
    let ina = cluster.person("Ina Imo", "UNHCR");
    let request = ina.membership().join(&invite, &ina.me, now).unwrap();
    desk.approve(&Request::Join(request.clone()), now)
        .expect("admitted");

    // The same file again (sent twice, or approved again after a crash).
    let err = desk
        .approve(&Request::Join(request.clone()), now)
        .unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::AlreadyMember { name, member_id }
            if name == "Ina Imo" && *member_id == ina.id()),
        "{err:?}"
    );
    assert_eq!(err.code(), "already-member");
    assert_says(&err, "nothing to approve");
    assert_eq!(cluster.latest().roster().version, 2);
    let pending = desk.receive(&request.to_json(), now).unwrap();
    assert!(
        pending
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("already a member")),
        "{pending:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// What a member accepts

#[test]
fn the_first_roster_must_list_my_own_keys_and_come_from_the_pinned_coordinator() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let invite = desk
        .invite(Role::Partner, None, INVITE_VALIDITY, None, now)
        .unwrap();
    let nora = cluster.person("Nora New", "NGO");
    let request = nora.membership().join(&invite, &nora.me, now).unwrap();

    // The founding roster does not list her yet.
    let v1 = cluster.latest();
    let err = nora.import(&v1, now).unwrap_err();
    assert!(
        matches!(err, MembershipError::NotListed { version: 1 }),
        "{err:?}"
    );
    assert_eq!(err.code(), "not-listed");
    assert_says(&err, "Ask them for the roster that includes you");

    // Signed with the real coordinator key, but listing someone else's keys for her.
    let substitute = Identity::generate("Nora New", "NGO").unwrap();
    let mut swapped = next_version(&v1);
    swapped.members.push(RosterMember {
        member_id: nora.id(),
        name: "Nora New".into(),
        org: "NGO".into(),
        roles: vec![Role::Partner],
        sig_pk: substitute.signing_public_key(),
        age_recipient: substitute.age_recipient().to_string(),
        status: MemberStatus::Active,
        previous_keys: Vec::new(),
    });
    let swapped = sign_by_hand(&swapped, &cluster.coordinator.me);
    let err = nora
        .membership()
        .import(swapped, &nora.me, None, now)
        .unwrap_err();
    assert!(matches!(err, MembershipError::OwnKeysDiffer), "{err:?}");
    assert_eq!(err.code(), "own-keys-differ");
    assert_says(&err, "compare your fingerprint");

    // Another cluster's roster: not signed by the key the invite pinned.
    let elsewhere = Cluster::new();
    let err = nora.import(&elsewhere.latest(), now).unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::WrongSigner { signer, trusted })
            if *trusted == invite.coordinator
                && *signer == CoordinatorPin::of(&elsewhere.coordinator.me.signing_public_key())),
        "{err:?}"
    );
    assert_says(&err, "Ask your coordinator by phone");
    assert_eq!(nora.held_version(), None, "nothing refused was kept");

    // The coordinator's real approval is accepted.
    let approved = desk.approve(&Request::Join(request), now).unwrap();
    nora.import(&approved.roster, now).expect("accepted");
    assert_eq!(nora.held_version(), Some(2));
}

#[test]
fn an_expired_roster_is_refused_and_an_expired_held_roster_stops_addressing() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let member = cluster.person("Exa Expiry", "NGO");
    let v2 = cluster.approve_join(&member, Role::Partner);
    let expiry = v2.roster().expires_at;
    assert_eq!(expiry, now + ROSTER_VALIDITY);

    let err = member.import(&v2, expiry).unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::Expired { version: 2, expired_at })
            if *expired_at == rfc3339(expiry)),
        "{err:?}"
    );
    assert_eq!(err.code(), "roster-expired");
    assert_says(&err, "ask the coordinator to renew it");
    member
        .import(&v2, expiry - Duration::seconds(1))
        .expect("valid until its expiry");

    // Held, it serves until it expires, and then no longer.
    member
        .membership()
        .current(expiry - Duration::seconds(1))
        .unwrap();
    let err = member.membership().current(expiry).unwrap_err();
    assert!(
        matches!(err, MembershipError::RosterExpired { version: 2, .. }),
        "{err:?}"
    );
    assert_says(&err, "ask the coordinator for the current one");

    // A renewal is accepted even though the held roster has expired.
    let later = expiry + Duration::days(1);
    let v3 = cluster.desk().renew(ROSTER_VALIDITY, later).unwrap();
    member.import(&v3, later).expect("renewal accepted");
    member.membership().current(later).expect("current again");

    // A successor that has itself expired is refused like a first roster.
    let v4 = cluster.desk().renew(Duration::days(1), later).unwrap();
    let err = member.import(&v4, later + Duration::days(1)).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Expired { version: 4, .. })
        ),
        "{err:?}"
    );
    assert_eq!(member.held_version(), Some(3));
}

#[test]
fn member_import_enforces_roster_succession() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let member = cluster.enrol("Sue Successor", "NGO", Role::Partner);
    let desk = cluster.desk();
    let v2 = cluster.latest();

    let err = member.import(&v2, now).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Unchanged { version: 2 })
        ),
        "{err:?}"
    );
    assert_says(&err, "nothing changed");

    let v3 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    let v4 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    let err = member.import(&v4, now).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Gap { held: 2, got: 4 })
        ),
        "{err:?}"
    );
    assert_says(&err, "--roster-version");
    for next in [&v3, &v4] {
        let imported = member.import(next, now).expect("in order, accepted");
        assert!(imported.changes.is_empty(), "a renewal changes nobody");
    }

    let err = member.import(&v3, now).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Rollback { held: 4, got: 3 })
        ),
        "{err:?}"
    );
    assert_says(&err, "Ask the coordinator for the current roster");

    // The coordinator key signs a second, different version 4.
    let coordinator = &cluster.coordinator.me;
    let mut fork = next_version(&v3);
    fork.expires_at += Duration::days(1);
    let err = member
        .membership()
        .import(sign_by_hand(&fork, coordinator), &member.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Fork { version: 4 })
        ),
        "{err:?}"
    );
    assert_says(&err, "tell the coordinator at once");

    // Version 5, but following version 3 rather than the version 4 held.
    let mut broken = next_version(&v4);
    broken.prev_hash = Some(v3.hash());
    let err = member
        .membership()
        .import(sign_by_hand(&broken, coordinator), &member.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::BrokenChain { version: 5 })
        ),
        "{err:?}"
    );
    assert_says(&err, "tell the coordinator");

    // Version 5 that changes Sue's keys without a key change signed by her old key.
    let mut silent = next_version(&v4);
    let substitute = Identity::generate("Sue Successor", "NGO").unwrap();
    let entry = silent
        .members
        .iter_mut()
        .find(|m| m.member_id == member.id())
        .unwrap();
    entry.sig_pk = substitute.signing_public_key();
    entry.age_recipient = substitute.age_recipient().to_string();
    let err = member
        .membership()
        .import(sign_by_hand(&silent, coordinator), &member.me, None, now)
        .unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::SilentKeyChange { member_id, .. })
            if *member_id == member.id()),
        "{err:?}"
    );
    assert_says(&err, "Ask Sue Successor by phone");

    // Version 5 that drops her instead of marking her removed.
    let mut dropped = next_version(&v4);
    dropped.members.retain(|m| m.member_id != member.id());
    let err = member
        .membership()
        .import(sign_by_hand(&dropped, coordinator), &member.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::MemberDropped { .. })
        ),
        "{err:?}"
    );

    // Version 5 from another cluster's coordinator.
    let elsewhere = Cluster::new();
    let mut foreign = elsewhere.latest();
    for _ in 0..4 {
        foreign = elsewhere.desk().renew(ROSTER_VALIDITY, now).unwrap();
    }
    assert_eq!(foreign.roster().version, 5);
    let err = member.import(&foreign, now).unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::WrongSigner { trusted, .. })
            if *trusted == CoordinatorPin::of(&coordinator.signing_public_key())),
        "{err:?}"
    );
    assert_eq!(err.code(), "roster-wrong-signer");
    assert_says(&err, "Ask your coordinator by phone");

    // None of it was kept; the coordinator's real next version is accepted.
    assert_eq!(member.held_version(), Some(4));
    let v5 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    member.import(&v5, now).expect("the real version 5");
}

#[test]
fn a_member_approved_before_a_handover_follows_it_with_a_chain_import_all_or_none() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let ina = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    // Nell answers an invite pinning the old coordinator key, who approves her at version 3
    // and then hands over to Ina at version 4; Ina signs version 5.
    let nell = cluster.person("Nell Newcomer", "NGO");
    let v3 = cluster.approve_join(&nell, Role::Partner);
    let v4 = cluster.desk().handover("Ina Imo", now).unwrap().roster;
    cluster.catch_up(&ina);
    let v5 = Desk::open(&ina.home, &ina.me)
        .unwrap()
        .renew(ROSTER_VALIDITY, now)
        .unwrap();
    let kept = |v| cluster.coordinator.membership().version(v).unwrap();
    let old_pin = CoordinatorPin::of(&cluster.coordinator.me.signing_public_key());

    // Version 5 alone is signed by a key Nell's invite never named.
    let err = nell.import(&v5, now).unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::WrongSigner { signer, trusted })
            if *trusted == old_pin && *signer == CoordinatorPin::of(&ina.me.signing_public_key())),
        "{err:?}"
    );

    // A chain that ends before she is listed: refused, nothing held.
    let err = nell
        .membership()
        .import_chain(vec![kept(1), kept(2)], &nell.me, None, now)
        .map_err(unchain)
        .unwrap_err();
    assert!(
        matches!(err, MembershipError::NotListed { version: 2 }),
        "{err:?}"
    );
    assert_eq!(nell.held_version(), None);

    // A chain with a bad link after a good one: refused, and the good one is not held either.
    let err = nell
        .membership()
        .import_chain(vec![carry(&v3), carry(&v5)], &nell.me, None, now)
        .map_err(unchain)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Gap { held: 3, got: 5 })
        ),
        "{err:?}"
    );
    assert_says(&err, "import version 4 first");
    let mut forged = next_version(&v4);
    forged.expires_at += Duration::days(1);
    let forged = sign_by_hand(&forged, &cluster.coordinator.me);
    let err = nell
        .membership()
        .import_chain(vec![carry(&v3), carry(&v4), forged], &nell.me, None, now)
        .map_err(unchain)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::WrongSigner { .. })
        ),
        "{err:?}"
    );
    assert_eq!(nell.held_version(), None, "all or none");
    assert!(nell.membership().version(3).is_err());

    // The versions from her approval on, oldest first: each accepted, the last held.
    let imported = nell
        .membership()
        .import_chain(vec![carry(&v3), carry(&v4)], &nell.me, None, now)
        .expect("accepted");
    let versions: Vec<u64> = imported.iter().map(|i| i.roster.roster().version).collect();
    assert_eq!(versions, vec![3, 4]);
    assert!(imported[0].changes.is_empty());
    assert_eq!(
        imported[1].changes,
        vec![
            RosterChange::RolesChanged {
                name: "Ina Imo".into(),
                roles: vec![Role::Coordinator, Role::Imo],
            },
            RosterChange::CoordinatorChanged {
                name: "Ina Imo".into()
            },
        ]
    );
    assert_eq!(nell.held_version(), Some(4));
    assert_eq!(nell.membership().version(3).unwrap(), *v3.signed());
    nell.import(&v5, now).expect("Ina's roster follows");
    assert_eq!(nell.held_version(), Some(5));
}

#[test]
fn reimporting_the_held_roster_is_unchanged_and_a_chain_skips_versions_already_held() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let sue = cluster.enrol("Sue Successor", "NGO", Role::Partner);
    let desk = cluster.desk();
    let v2 = cluster.latest();

    let err = sue.import(&v2, now).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Unchanged { version: 2 })
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "roster-unchanged");

    let v3 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    let v4 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    sue.import(&v3, now).unwrap();

    // Another version 3 (same number, other bytes) is not skipped: it is a fork.
    let mut fork = next_version(&v2);
    fork.expires_at += Duration::days(1);
    let fork = sign_by_hand(&fork, &cluster.coordinator.me);
    let err = sue
        .membership()
        .import_chain(vec![fork, carry(&v4)], &sue.me, None, now)
        .map_err(unchain)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Fork { version: 3 })
        ),
        "{err:?}"
    );
    assert_eq!(sue.held_version(), Some(3));

    // Versions held already, byte for byte, are skipped; the new one is accepted.
    let imported = sue
        .membership()
        .import_chain(vec![carry(&v2), carry(&v3), carry(&v4)], &sue.me, None, now)
        .expect("accepted");
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].roster.hash(), v4.hash());
    assert_eq!(sue.held_version(), Some(4));

    // A chain ending with the roster held has nothing new.
    let err = sue
        .membership()
        .import_chain(vec![carry(&v3), carry(&v4)], &sue.me, None, now)
        .map_err(unchain)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Unchanged { version: 4 })
        ),
        "{err:?}"
    );
    assert_eq!(sue.held_version(), Some(4));
}

// ---------------------------------------------------------------------------------------------
// Removal, addressing and sender checks

#[test]
fn a_removed_member_cannot_be_addressed_and_their_parcels_are_held_back() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let imo = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let partner = cluster.enrol("Pat Partner", "Local NGO", Role::Partner);
    cluster.catch_up(&imo);
    let before = imo.roster();

    // Sent while Pat was a member, addressed through her roster.
    let pat_roster = partner.roster();
    let to = resolve_addressees(Some(&pat_roster), &specs(&["role:imo"])).unwrap();
    assert_eq!(to.len(), 1);
    assert_eq!(to[0].member_id, Some(imo.id()));
    let parcel = seal_parcel(&partner.me, to, Some(&pat_roster));
    let opened = open_parcel(&parcel, Key::Identity(&imo.me), Some(&before), false).unwrap();
    assert_eq!(opened.sender_status, SenderStatus::Verified);

    let desk = cluster.desk();
    let removal = desk.remove("pat partner", now).expect("removed");
    assert_eq!(removal.what, "removed");
    assert_eq!(removal.name, "Pat Partner");
    let after = removal.roster.roster().clone();
    assert_eq!(
        after.member(partner.id()).unwrap().status,
        MemberStatus::Removed
    );
    let imported = imo.import(&removal.roster, now).unwrap();
    assert_eq!(
        imported.changes,
        vec![RosterChange::Removed {
            name: "Pat Partner".into()
        }]
    );
    // Pat accepts the roster that removes her too, so that she learns it.
    partner.import(&removal.roster, now).expect("told");

    // By name, by member id and by key.
    let pat_id = partner.id().to_string();
    let pat_key = partner.me.age_recipient().to_string();
    for spec in ["Pat Partner", pat_id.as_str(), pat_key.as_str()] {
        let err = resolve_addressees(Some(&after), &specs(&[spec])).unwrap_err();
        assert!(
            matches!(&err, MembershipError::Removed { name, org }
                if name == "Pat Partner" && org == "Local NGO"),
            "{spec}: {err:?}"
        );
        assert_eq!(err.code(), "member-removed");
        assert_says(&err, "ask the coordinator if that is a mistake");
    }
    let err = resolve_addressees(Some(&after), &specs(&["role:partner"])).unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::NobodyWithRole {
                role: Role::Partner
            }
        ),
        "{err:?}"
    );

    // Her earlier parcel is held back, and released only on request.
    let err = open_parcel(&parcel, Key::Identity(&imo.me), Some(&after), false).unwrap_err();
    assert!(
        matches!(&err, OpenError::UntrustedSender { status: SenderStatus::Removed, name, org }
            if name == "Pat Partner" && org == "Local NGO"),
        "{err:?}"
    );
    assert_eq!(err.code(), "sender-removed");
    assert_says(&err, "--allow-untrusted-sender");
    let opened = open_parcel(&parcel, Key::Identity(&imo.me), Some(&after), true).unwrap();
    assert_eq!(opened.sender_status, SenderStatus::Removed);
    assert_eq!(opened.files[0].size, REPORT.len() as u64);

    // A stranger's parcel: nobody vouches for the sender, but nothing says it is forged.
    let stranger = Identity::generate("Stan Stranger", "Elsewhere").unwrap();
    let parcel = seal_parcel(&stranger, vec![imo.me.age_recipient().into()], None);
    let opened = open_parcel(&parcel, Key::Identity(&imo.me), Some(&after), false).unwrap();
    assert_eq!(opened.sender_status, SenderStatus::Unknown);

    // Removing twice, or removing oneself, is refused.
    let err = desk.remove("Pat Partner", now).unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::NotActive { name } if name == "Pat Partner"),
        "{err:?}"
    );
    let err = desk.remove("Carla Coordinator", now).unwrap_err();
    assert!(matches!(err, CoordinatorError::RemoveSelf), "{err:?}");
    assert_says(&err, "hand over first");
    assert_eq!(cluster.latest().roster().version, 4);
}

#[test]
fn roles_names_and_keys_resolve_through_the_roster() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let desk = cluster.desk();
    let coordinator = &cluster.coordinator.me;

    // Before any IMO has joined.
    let v1 = cluster.latest().roster().clone();
    let err = resolve_addressees(Some(&v1), &specs(&["role:imo"])).unwrap_err();
    assert!(
        matches!(err, MembershipError::NobodyWithRole { role: Role::Imo }),
        "{err:?}"
    );
    assert_eq!(err.code(), "nobody-with-role");

    // Without a roster only keys can be used.
    let err = resolve_addressees(None, &specs(&["Carla Coordinator"])).unwrap_err();
    assert!(matches!(err, MembershipError::BadRecipient(_)), "{err:?}");
    assert_says(&err, "join your cluster first");
    let key = coordinator.age_recipient().to_string();
    let to = resolve_addressees(None, &specs(&[key.as_str()])).unwrap();
    assert_eq!(to[0].member_id, None);
    // With one, the key is recognised as the member's.
    let to = resolve_addressees(Some(&v1), &specs(&[key.as_str()])).unwrap();
    assert_eq!(to[0].member_id, Some(coordinator.member_id()));

    let ina = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let sam_imo = cluster.enrol("Sam Lee", "IOM", Role::Imo);
    let sam_partner = cluster.enrol("Sam Lee", "WFP", Role::Partner);
    let roster = cluster.latest().roster().clone();

    let to = resolve_addressees(Some(&roster), &specs(&["role:imo"])).unwrap();
    let mut got: Vec<_> = to.iter().map(|a| a.member_id).collect();
    got.sort();
    let mut want = vec![Some(ina.id()), Some(sam_imo.id())];
    want.sort();
    assert_eq!(got, want);
    for a in &to {
        let m = roster.member(a.member_id.unwrap()).unwrap();
        assert_eq!(a.recipient.to_string(), m.age_recipient);
    }
    let to = resolve_addressees(Some(&roster), &specs(&["role:coordinator"])).unwrap();
    assert_eq!(to.len(), 1);
    assert_eq!(to[0].member_id, Some(coordinator.member_id()));

    // Two members share a name: both are listed, and their ids tell them apart.
    let err = resolve_addressees(Some(&roster), &specs(&["sam lee"])).unwrap_err();
    match &err {
        MembershipError::Ambiguous { query, candidates } => {
            assert_eq!(query, "sam lee");
            assert!(
                candidates.contains(&sam_imo.id().to_string()),
                "{candidates}"
            );
            assert!(
                candidates.contains(&sam_partner.id().to_string()),
                "{candidates}"
            );
            assert!(
                candidates.contains("IOM") && candidates.contains("WFP"),
                "{candidates}"
            );
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    assert_eq!(err.code(), "ambiguous-member");
    assert_says(&err, "use the member id instead");
    let by_id = sam_partner.id().to_string();
    let to = resolve_addressees(Some(&roster), &specs(&[by_id.as_str()])).unwrap();
    assert_eq!(to[0].member_id, Some(sam_partner.id()));

    let err = resolve_addressees(Some(&roster), &specs(&["role:nobody"])).unwrap_err();
    assert!(matches!(err, MembershipError::BadRecipient(_)), "{err:?}");
    assert_says(&err, "use one of imo, partner, coordinator");
    let err = resolve_addressees(Some(&roster), &specs(&["Nobody Known"])).unwrap_err();
    assert!(
        matches!(&err, MembershipError::NoSuchMember { query, version: 4 } if query == "Nobody Known"),
        "{err:?}"
    );
    assert_says(&err, "`sealpost members`");

    // One IMO removed: the role now means the other one only.
    desk.remove(&sam_imo.id().to_string(), now).unwrap();
    let roster = cluster.latest().roster().clone();
    let to = resolve_addressees(Some(&roster), &specs(&["role:imo"])).unwrap();
    assert_eq!(
        to.iter().map(|a| a.member_id).collect::<Vec<_>>(),
        vec![Some(ina.id())]
    );

    // Ina changes keys: her old key is refused, her name and the role give the new one.
    let old_key = ina.me.age_recipient().to_string();
    let change = request_key_change(&ina.home, &ina.me, now).unwrap();
    desk.approve(&Request::KeyChange(Box::new(change.clone())), now)
        .unwrap();
    let roster = cluster.latest().roster().clone();
    let err = resolve_addressees(Some(&roster), &specs(&[old_key.as_str()])).unwrap_err();
    assert!(
        matches!(&err, MembershipError::OldKey { key, name } if *key == old_key && name == "Ina Imo"),
        "{err:?}"
    );
    assert_eq!(err.code(), "old-key");
    assert_says(&err, "address them by name or member id instead");
    for spec in ["Ina Imo", "role:imo", change.new_age_recipient.as_str()] {
        let to = resolve_addressees(Some(&roster), &specs(&[spec])).unwrap();
        assert_eq!(to.len(), 1, "{spec}");
        assert_eq!(to[0].member_id, Some(ina.id()), "{spec}");
        assert_eq!(
            to[0].recipient.to_string(),
            change.new_age_recipient,
            "{spec}"
        );
    }
}

#[test]
fn an_upper_case_age_key_names_the_same_member() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let ina = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let roster = cluster.latest().roster().clone();
    let key = ina.me.age_recipient().to_string();
    let upper = key.to_uppercase();
    assert!(upper.starts_with("AGE1"));

    let to = resolve_addressees(Some(&roster), &specs(&[upper.as_str()])).unwrap();
    assert_eq!(to.len(), 1);
    assert_eq!(to[0].member_id, Some(ina.id()));
    assert_eq!(to[0].recipient.to_string(), key);
    let padded = format!("  {upper} ");
    let to = resolve_addressees(None, &specs(&[padded.as_str()])).unwrap();
    assert_eq!(to[0].member_id, None);
    assert_eq!(to[0].recipient.to_string(), key);

    // Upper case is no way around the old-key refusal either.
    let change = request_key_change(&ina.home, &ina.me, now).unwrap();
    cluster
        .desk()
        .approve(&Request::KeyChange(Box::new(change)), now)
        .unwrap();
    let roster = cluster.latest().roster().clone();
    let err = resolve_addressees(Some(&roster), &specs(&[upper.as_str()])).unwrap_err();
    assert!(
        matches!(&err, MembershipError::OldKey { key: given, name }
            if *given == key && name == "Ina Imo"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Key changes, handover, rotation

#[test]
fn a_members_key_change_end_to_end() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let imo = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    // Kim's identity is stored with a passphrase, so the new keys can replace it.
    let pass = passphrase();
    let kim = cluster.person("Kim Keys", "NGO");
    kim.home
        .store_identity(&kim.me, Protection::Passphrase(&pass), false)
        .unwrap();
    let v3 = cluster.approve_join(&kim, Role::Partner);
    kim.import(&v3, now).unwrap();
    cluster.catch_up(&imo);
    let imo_before = imo.roster();
    let kim_roster = kim.roster();

    // Before the change: a parcel to Kim's current key, and one Kim signs with it.
    let to_kim = resolve_addressees(Some(&imo_before), &specs(&["Kim Keys"])).unwrap();
    let to_old_key = seal_parcel(&imo.me, to_kim, Some(&imo_before));
    let to_imos = resolve_addressees(Some(&kim_roster), &specs(&["role:imo"])).unwrap();
    let signed_with_old_key = seal_parcel(&kim.me, to_imos.clone(), Some(&kim_roster));

    // Asking twice gives the same new keys: a lost request file costs nothing.
    let change = request_key_change(&kim.home, &kim.me, now).unwrap();
    let again = request_key_change(&kim.home, &kim.me, now + Duration::minutes(5)).unwrap();
    assert_eq!(again.new_sig_pk, change.new_sig_pk);
    assert_eq!(again.new_age_recipient, change.new_age_recipient);
    assert_eq!(again.id(), change.id());
    assert!(
        kim.me
            .same_keys(&change.old_sig_pk, &change.old_age_recipient)
    );
    let next = kim.home.pending_key(&kim.me).unwrap().expect("pending");
    assert_eq!(next.member_id(), kim.id());
    assert!(next.same_keys(&change.new_sig_pk, &change.new_age_recipient));

    // Signed with the new key before the roster lists it: the roster holds other keys for
    // Kim, which is what a forgery looks like.
    let early = seal_parcel(&next, to_imos, Some(&kim_roster));
    let err = open_parcel(&early, Key::Identity(&imo.me), Some(&imo_before), false).unwrap_err();
    assert!(
        matches!(&err, OpenError::UntrustedSender { status: SenderStatus::KeyMismatch, name, .. }
            if name == "Kim Keys"),
        "{err:?}"
    );
    assert_eq!(err.code(), "sender-key-mismatch");
    assert_says(&err, "import the newer roster first");
    let opened = open_parcel(&early, Key::Identity(&imo.me), Some(&imo_before), true).unwrap();
    assert_eq!(opened.sender_status, SenderStatus::KeyMismatch);

    // The coordinator sees the new keys' fingerprint, and approves.
    let desk = cluster.desk();
    let pending = desk.receive(&change.to_json(), now).unwrap();
    assert_eq!(pending.kind, "key-change");
    assert_eq!(pending.member_id, Some(kim.id()));
    assert_eq!(pending.name.as_deref(), Some("Kim Keys"));
    assert_eq!(
        pending.fingerprint,
        Some(Fingerprint::of_member(
            &change.new_sig_pk,
            &change.new_age_recipient
        ))
    );
    assert_eq!(pending.problem, None);
    let request = desk.load_request(RequestRef::Id(&pending.id)).unwrap();
    assert!(matches!(request, Request::KeyChange(_)));
    let approved = desk.approve(&request, now).unwrap();
    assert_eq!(approved.what, "keys-changed");
    let v4 = approved.roster;
    let entry = v4.roster().member(kim.id()).unwrap();
    assert!(next.same_keys(&entry.sig_pk, &entry.age_recipient));
    assert_eq!(entry.previous_keys.len(), 1);
    assert_eq!(entry.previous_keys[0].sig_pk, kim.me.signing_public_key());

    // The same request again starts from keys the roster no longer holds.
    let stale = Request::from_json(&change.to_json()).unwrap();
    let err = desk.approve(&stale, now).unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::StaleKeyChange { name } if name == "Kim Keys"),
        "{err:?}"
    );
    assert_says(
        &err,
        "ask Kim Keys to run `sealpost cluster rotate-key` again",
    );

    // Completing the change stores the new keys, which needs the passphrase; without it
    // nothing is accepted.
    let err = kim
        .membership()
        .import(carry(&v4), &kim.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Keystore(KeystoreError::PassphraseRequired)
        ),
        "{err:?}"
    );
    assert_eq!(kim.held_version(), Some(3));
    let imported = kim
        .membership()
        .import(carry(&v4), &kim.me, Some(&pass), now)
        .unwrap();
    assert!(imported.key_change_completed);
    assert_eq!(
        imported.changes,
        vec![RosterChange::KeysChanged {
            name: "Kim Keys".into()
        }]
    );

    let current = kim.home.unlock(Some(&pass)).unwrap();
    assert!(next.same_keys(
        &current.signing_public_key(),
        &current.age_recipient().to_string()
    ));
    assert!(kim.home.pending_key(&current).unwrap().is_none());
    let all = kim.home.all_identities(current).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[1].same_keys(
        &kim.me.signing_public_key(),
        &kim.me.age_recipient().to_string()
    ));

    // A parcel sealed to the old key opens with the kept keys, not with the new key alone.
    let kim_now = kim.roster();
    let opened = open_parcel(&to_old_key, Key::Identities(&all), Some(&kim_now), false).unwrap();
    assert_eq!(opened.sender_status, SenderStatus::Verified);
    let err = open_parcel(&to_old_key, Key::Identity(&all[0]), Some(&kim_now), false).unwrap_err();
    assert!(matches!(err, OpenError::NotForYou), "{err:?}");
    assert_eq!(err.code(), "not-for-you");

    // With the new roster, both Kim's keys verify: the old one as a key she handed over from.
    imo.import(&v4, now).unwrap();
    let imo_after = imo.roster();
    for parcel in [&signed_with_old_key, &early] {
        let opened = open_parcel(parcel, Key::Identity(&imo.me), Some(&imo_after), false).unwrap();
        assert_eq!(opened.sender_status, SenderStatus::Verified);
    }
}

#[test]
fn coordinator_handover_moves_the_desk_and_the_signing_key() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let ina = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let pat = cluster.enrol("Pat Partner", "Local NGO", Role::Partner);
    cluster.catch_up(&ina);
    let old = &cluster.coordinator;

    let handed = cluster.desk().handover("Ina Imo", now).unwrap();
    assert_eq!(handed.what, "handed-over");
    let v4 = handed.roster;
    assert_eq!(v4.roster().coordinator.member_id, ina.id());
    assert_eq!(v4.roster().coordinator.sig_pk, ina.me.signing_public_key());
    // Signed with the old key, which members trust, naming the new one.
    assert_eq!(*v4.signed().signer(), old.me.signing_public_key());
    assert_eq!(
        v4.roster().member(ina.id()).unwrap().roles,
        vec![Role::Coordinator, Role::Imo]
    );

    let imported = ina.import(&v4, now).unwrap();
    assert!(
        imported
            .changes
            .contains(&RosterChange::CoordinatorChanged {
                name: "Ina Imo".into()
            }),
        "{:?}",
        imported.changes
    );
    pat.import(&v4, now).unwrap();

    let err = Desk::open(&old.home, &old.me).unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::NotCoordinator { coordinator } if coordinator == "Ina Imo"),
        "{err:?}"
    );
    assert_eq!(err.code(), "not-coordinator");
    assert_says(&err, "names Ina Imo as coordinator");

    // The old key can no longer sign the roster.
    let stale = sign_by_hand(&next_version(&v4), &old.me);
    let err = pat
        .membership()
        .import(stale, &pat.me, None, now)
        .unwrap_err();
    assert!(
        matches!(&err, MembershipError::Roster(RosterError::WrongSigner { trusted, .. })
            if *trusted == CoordinatorPin::of(&ina.me.signing_public_key())),
        "{err:?}"
    );

    // Ina's desk works, and members (the old coordinator among them) accept her rosters.
    let desk = Desk::open(&ina.home, &ina.me).expect("Ina is the coordinator now");
    let v5 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    assert_eq!(v5.roster().version, 5);
    assert_eq!(*v5.signed().signer(), ina.me.signing_public_key());
    pat.import(&v5, now).expect("Pat follows");
    old.import(&v5, now).expect("the old coordinator follows");

    // Her invites pin her key, and a newcomer's first roster verifies against it.
    let invite = desk
        .invite(Role::Partner, None, INVITE_VALIDITY, None, now)
        .unwrap();
    assert_eq!(
        invite.coordinator,
        CoordinatorPin::of(&ina.me.signing_public_key())
    );
    let newcomer = cluster.person("Nell Newcomer", "NGO");
    let request = newcomer
        .membership()
        .join(&invite, &newcomer.me, now)
        .unwrap();
    let v6 = desk.approve(&Request::Join(request), now).unwrap().roster;
    newcomer.import(&v6, now).expect("pinned to Ina's key");
    pat.import(&v6, now).unwrap();
}

#[test]
fn coordinator_key_rotation_is_followed_by_members() {
    let pass = passphrase();
    let cluster = Cluster::with_stored_coordinator(&pass);
    let now = cluster.now;
    let member = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let old = &cluster.coordinator;
    let old_key = old.me.signing_public_key();

    let (new_me, v3) = cluster.desk().rotate_own_key(Some(&pass), now).unwrap();
    assert_eq!(new_me.member_id(), old.id());
    assert_ne!(new_me.signing_public_key(), old_key);
    assert_eq!(v3.roster().coordinator.sig_pk, new_me.signing_public_key());
    assert_eq!(
        *v3.signed().signer(),
        old_key,
        "signed with the trusted key"
    );
    let entry = v3.roster().member(old.id()).unwrap();
    assert_eq!(entry.previous_keys.len(), 1);
    assert_eq!(entry.previous_keys[0].sig_pk, old_key);
    assert_eq!(
        old.home.profile().unwrap().card(),
        new_me.card(),
        "the new keys are stored"
    );

    let imported = member
        .import(&v3, now)
        .expect("members accept the rotation");
    assert_eq!(
        imported.changes,
        vec![RosterChange::KeysChanged {
            name: "Carla Coordinator".into()
        }]
    );

    let err = Desk::open(&old.home, &old.me).unwrap_err();
    assert!(
        matches!(err, CoordinatorError::NotCoordinator { .. }),
        "{err:?}"
    );
    // The retired key cannot sign the next roster.
    let stale = sign_by_hand(&next_version(&v3), &old.me);
    let err = member
        .membership()
        .import(stale, &member.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::WrongSigner { .. })
        ),
        "{err:?}"
    );

    let desk = Desk::open(&old.home, &new_me).expect("the desk opens with the new keys");
    let v4 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    assert_eq!(*v4.signed().signer(), new_me.signing_public_key());
    member.import(&v4, now).expect("signed with the new key");
    assert_eq!(member.held_version(), Some(4));
}

#[test]
fn a_coordinator_key_rotation_without_the_passphrase_changes_nothing() {
    let pass = passphrase();
    let cluster = Cluster::with_stored_coordinator(&pass);
    let now = cluster.now;
    let member = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let me = &cluster.coordinator;

    let err = cluster.desk().rotate_own_key(None, now).unwrap_err();
    assert!(
        matches!(
            err,
            CoordinatorError::Membership(MembershipError::Keystore(
                KeystoreError::PassphraseRequired
            ))
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "passphrase-required");
    assert_says(&err, "--passphrase-file");

    // No roster naming new keys, no pending keys, and the desk still opens with the old ones.
    assert_eq!(me.held_version(), Some(2));
    assert_eq!(
        cluster.latest().hash(),
        member.membership().require().unwrap().hash()
    );
    assert!(me.home.pending_key(&me.me).unwrap().is_none());
    assert_eq!(me.home.profile().unwrap().card(), me.me.card());
    let desk = Desk::open(&me.home, &me.me).expect("not locked out");
    let v3 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    member.import(&v3, now).unwrap();

    // With the passphrase it goes through.
    let (new_me, v4) = desk.rotate_own_key(Some(&pass), now).unwrap();
    assert_eq!(v4.roster().coordinator.sig_pk, new_me.signing_public_key());
    member.import(&v4, now).unwrap();
}

#[test]
fn the_coordinator_cannot_request_a_key_change_like_a_member() {
    let cluster = Cluster::new();
    let now = cluster.now;
    let me = &cluster.coordinator;

    let err = request_key_change(&me.home, &me.me, now).unwrap_err();
    assert!(
        matches!(&err, CoordinatorError::Invalid(message) if message.contains("coordinator key")),
        "{err:?}"
    );
    assert_eq!(err.code(), "invalid-argument");
    assert_says(&err, "sealpost cluster rotate-key");
    assert!(
        me.home.pending_key(&me.me).unwrap().is_none(),
        "no keys were generated"
    );
    assert_eq!(me.held_version(), Some(1));
    Desk::open(&me.home, &me.me).expect("still the coordinator");
}

#[test]
fn an_interrupted_coordinator_key_rotation_is_finished_by_importing_the_roster_again() {
    let pass = passphrase();
    let cluster = Cluster::with_stored_coordinator(&pass);
    let now = cluster.now;
    let member = cluster.enrol("Ina Imo", "UNHCR", Role::Imo);
    let carla = &cluster.coordinator;
    let v2 = cluster.latest();

    // What rotate-key does up to the crash: new keys pending, and the roster naming them
    // signed with the old key and held; the new keys never became current.
    let next = carla.home.begin_key_change(&carla.me).unwrap();
    let change = KeyChange::create(
        v2.roster().cluster_id,
        carla.id(),
        (
            &CraftSender::from_identity(&carla.me).signing,
            &carla.me.age_recipient().to_string(),
        ),
        (
            &CraftSender::from_identity(&next).signing,
            &next.age_recipient().to_string(),
        ),
        now,
    );
    let mut rotated = next_version(&v2);
    rotated.coordinator.sig_pk = change.new_sig_pk;
    for m in rotated
        .members
        .iter_mut()
        .filter(|m| m.member_id == carla.id())
    {
        m.previous_keys.push(PreviousKey {
            sig_pk: m.sig_pk,
            age_recipient: m.age_recipient.clone(),
            change_signature: change.old_signature,
        });
        m.sig_pk = change.new_sig_pk;
        m.age_recipient = change.new_age_recipient.clone();
    }
    let v3 = sign_by_hand(&rotated, &carla.me);
    hold_without_checks(carla, &v3);
    assert_eq!(carla.held_version(), Some(3));

    // The desk says what happened instead of "you are not the coordinator".
    let err = Desk::open(&carla.home, &carla.me).unwrap_err();
    assert!(
        matches!(err, CoordinatorError::KeyChangeUnfinished),
        "{err:?}"
    );
    assert_eq!(err.code(), "key-change-unfinished");
    assert_says(&err, "sealpost roster import");

    // Importing the held roster again finishes the change, given the passphrase.
    let err = carla
        .membership()
        .import(v3.clone(), &carla.me, None, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Keystore(KeystoreError::PassphraseRequired)
        ),
        "{err:?}"
    );
    assert!(carla.home.pending_key(&carla.me).unwrap().is_some());
    let imported = carla
        .membership()
        .import(v3.clone(), &carla.me, Some(&pass), now)
        .expect("the change is finished");
    assert!(imported.key_change_completed);
    assert!(imported.changes.is_empty());
    assert_eq!(imported.roster.hash(), v3.hash());
    assert_eq!(carla.held_version(), Some(3));

    let new_me = carla.home.unlock(Some(&pass)).unwrap();
    assert!(new_me.same_keys(&change.new_sig_pk, &change.new_age_recipient));
    assert!(carla.home.pending_key(&new_me).unwrap().is_none());
    // Done once, the same import again is simply unchanged.
    let err = carla
        .membership()
        .import(v3.clone(), &new_me, Some(&pass), now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MembershipError::Roster(RosterError::Unchanged { version: 3 })
        ),
        "{err:?}"
    );

    let desk = Desk::open(&carla.home, &new_me).expect("the desk opens with the new keys");
    let v4 = desk.renew(ROSTER_VALIDITY, now).unwrap();
    member
        .membership()
        .import(v3, &member.me, None, now)
        .unwrap();
    member.import(&v4, now).expect("signed with the new key");
    let err = Desk::open(&carla.home, &carla.me).unwrap_err();
    assert!(
        matches!(err, CoordinatorError::NotCoordinator { .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Safety numbers

#[test]
fn safety_numbers_agree_on_both_sides_and_are_pair_specific() {
    let cluster = Cluster::new();
    let ana = cluster.enrol("Ana", "NGO A", Role::Imo);
    let ben = cluster.enrol("Ben", "NGO B", Role::Partner);
    let cai = cluster.enrol("Cai", "NGO C", Role::Partner);
    cluster.catch_up(&ana);
    cluster.catch_up(&ben);
    // Each side computes from their own keys and their own copy of the roster.
    let ana_roster = ana.roster();
    let ben_roster = ben.roster();
    let ben_in_anas = ana_roster.member(ben.id()).unwrap();
    let ana_in_bens = ben_roster.member(ana.id()).unwrap();
    assert_eq!(member_fingerprint(ben_in_anas), ben.me.card().fingerprint);

    let ana_sees = safety_number(&ana.me.card(), ben_in_anas);
    let ben_sees = safety_number(&ben.me.card(), ana_in_bens);
    assert_eq!(ana_sees, ben_sees);
    assert_eq!(ana_sees.to_string(), ben_sees.to_string());

    let with_cai = safety_number(&ana.me.card(), ana_roster.member(cai.id()).unwrap());
    assert_ne!(ana_sees, with_cai);

    // A roster that held substituted keys for Ben would show Ana another number.
    let substitute = Identity::generate("Ben", "NGO B").unwrap();
    let mut forged = ben_in_anas.clone();
    forged.sig_pk = substitute.signing_public_key();
    forged.age_recipient = substitute.age_recipient().to_string();
    assert_ne!(safety_number(&ana.me.card(), &forged), ben_sees);
}

/// The reason inside a refusal of one roster in a list ([`MembershipError::InChain`] says
/// which one; these tests check the reason).
fn unchain(e: MembershipError) -> MembershipError {
    match e {
        MembershipError::InChain { source, .. } => *source,
        other => other,
    }
}
