//! The relay's HTTP API driven through the router with no socket: roster publication under the
//! succession rules, login by signed challenge, bearer tokens, and the uniform refusals.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use data_encoding::BASE64URL_NOPAD;
use http_body_util::BodyExt;
use sealpost_format::enrol::{InviteSecret, JoinRequest, JoinRequestBody, MAX_REQUEST_BYTES};
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse, SECRET_LEN};
use sealpost_format::roster::{MemberStatus, Role, Roster, SignedRoster, VerifiedRoster};
use sealpost_format::{SigningContext, SigningPublicKey};
use sealpost_relay::limits::RateLimit;
use sealpost_relay::{AppState, Store, app};
use serde_json::Value;
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};
use tower::ServiceExt;

mod support;
use support::{key, member, mid, pk};

// ---------------------------------------------------------------------------------------------
// Fixtures: deterministic keys; a member's signing key, id and age recipient derive from a seed.
// ---------------------------------------------------------------------------------------------

const COORD: u8 = 1;
const ALICE: u8 = 2;
const BOB: u8 = 3;
/// Listed in version 1 already removed.
const GONE: u8 = 4;
/// In no roster.
const STRANGER: u8 = 9;

/// Version 1: the coordinator, Alice, Bob, and Gone (removed).
fn first_roster() -> Roster {
    support::first_roster(
        "Test Protection Cluster",
        COORD,
        vec![
            member(
                COORD,
                "Coral Coordinator",
                Role::Coordinator,
                MemberStatus::Active,
            ),
            member(ALICE, "Alice", Role::Imo, MemberStatus::Active),
            member(BOB, "Bob", Role::Partner, MemberStatus::Active),
            member(GONE, "Gone", Role::Partner, MemberStatus::Removed),
        ],
    )
}

fn sign(roster: &Roster, signer: u8) -> SignedRoster {
    SignedRoster::sign(roster, &key(signer)).expect("a well-formed roster signs")
}

fn verified(signed: &SignedRoster) -> VerifiedRoster {
    signed.clone().verify(signed.signer()).expect("verifies")
}

/// The version after `prev`, chained to it, with `edit` applied last.
fn next(prev: &SignedRoster, edit: impl FnOnce(&mut Roster)) -> SignedRoster {
    let prev = verified(prev);
    let mut roster = prev.roster().clone();
    roster.version += 1;
    roster.prev_hash = Some(prev.hash());
    edit(&mut roster);
    sign(&roster, COORD)
}

fn v1() -> SignedRoster {
    sign(&first_roster(), COORD)
}

// ---------------------------------------------------------------------------------------------
// Driving the router.
// ---------------------------------------------------------------------------------------------

/// A relay over a fresh database; the directory lives as long as the value.
struct Relay {
    app: Router,
    _dir: TempDir,
}

fn relay(coordinator: Option<SigningPublicKey>) -> Relay {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("relay.sqlite")).expect("store opens");
    Relay {
        app: app(AppState::new(store, coordinator)),
        _dir: dir,
    }
}

/// A response as the client sees it.
#[derive(Debug, PartialEq)]
struct Reply {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e})", self.status))
    }

    /// The refusal's code, after checking the body is exactly `{"error":{"code","message"}}`.
    fn error_code(&self) -> String {
        let body = self.json();
        let error = body["error"].as_object().expect("an error object");
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        assert_eq!(error.len(), 2, "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        error["code"].as_str().expect("a code").to_owned()
    }

    /// Asserts a refusal with this status and code.
    #[track_caller]
    fn assert_refused(&self, status: StatusCode, code: &str) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.error_code(), code);
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: body.to_vec(),
    }
}

async fn get(app: &Router, uri: &str, authorization: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

async fn put_roster(app: &Router, body: Vec<u8>) -> Reply {
    let request = Request::put("/v1/roster")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

/// PUTs a roster that must be accepted as new; returns the answer's body.
async fn publish(app: &Router, signed: &SignedRoster) -> Value {
    let reply = put_roster(app, signed.to_json()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    assert_eq!(body["unchanged"], Value::Null, "{body}");
    assert_eq!(body["hash"], signed.hash().to_string());
    body
}

async fn challenge(app: &Router) -> [u8; SECRET_LEN] {
    let reply = get(app, "/v1/login/challenge", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let challenge: Challenge = serde_json::from_slice(&reply.body).expect("a challenge");
    assert!(challenge.expires_at > OffsetDateTime::now_utc());
    challenge.nonce
}

async fn post_login(app: &Router, request: &LoginRequest) -> Reply {
    let request = Request::post("/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(request).unwrap()))
        .unwrap();
    send(app, request).await
}

/// A full login that must succeed; returns the bearer token.
async fn login(app: &Router, seed: u8) -> String {
    let nonce = challenge(app).await;
    let reply = post_login(app, &LoginRequest::sign(mid(seed), nonce, &key(seed))).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let response: LoginResponse = serde_json::from_slice(&reply.body).expect("a login response");
    assert!(response.expires_at > OffsetDateTime::now_utc());
    response.token
}

async fn whoami(app: &Router, token: &str) -> Reply {
    get(app, "/v1/whoami", Some(&format!("Bearer {token}"))).await
}

#[track_caller]
fn assert_whoami(reply: &Reply, seed: u8) {
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["member_id"], mid(seed).to_string());
}

// ---------------------------------------------------------------------------------------------
// Roster publication.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn first_roster_is_stored_and_served_as_signed() {
    let relay = relay(Some(pk(COORD)));
    get(&relay.app, "/v1/roster", None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-roster");

    let v1 = v1();
    assert_eq!(publish(&relay.app, &v1).await["version"], 1);

    // Served verbatim: the same envelope bytes, hence the same signed bytes and hash.
    let reply = get(&relay.app, "/v1/roster", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.body, v1.to_json());
    let served = SignedRoster::from_json(&reply.body).expect("an envelope");
    assert_eq!(served.hash(), v1.hash());
    assert_eq!(
        served.verify(&pk(COORD)).unwrap().roster(),
        verified(&v1).roster()
    );
}

#[tokio::test]
async fn first_roster_must_be_signed_by_the_configured_coordinator() {
    // Signed by a key other than the one the relay trusts.
    let trusting = relay(Some(pk(COORD)));
    put_roster(&trusting.app, sign(&first_roster(), STRANGER).to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-wrong-signer");
    get(&trusting.app, "/v1/roster", None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-roster");
    // The control: the coordinator's own signature is accepted.
    publish(&trusting.app, &v1()).await;

    // A relay that trusts no key accepts no first roster, however well signed.
    let keyless = relay(None);
    put_roster(&keyless.app, v1().to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "no-coordinator-key");
    get(&keyless.app, "/v1/roster", None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-roster");
}

#[tokio::test]
async fn later_rosters_follow_the_succession_rules() {
    let relay = relay(Some(pk(COORD)));
    let v1 = v1();
    publish(&relay.app, &v1).await;
    let v2 = next(&v1, |r| r.name = "Renamed Cluster".into());
    assert_eq!(publish(&relay.app, &v2).await["version"], 2);

    // An older version, however validly signed.
    put_roster(&relay.app, v1.to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-rollback");

    // The held version again: nothing to do, not an error.
    let reply = put_roster(&relay.app, v2.to_json()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["unchanged"], true);
    assert_eq!(body["version"], 2);
    assert_eq!(body["hash"], v2.hash().to_string());

    // Another version 2 signed by the same coordinator.
    let fork = next(&v1, |r| r.name = "Forked Cluster".into());
    put_roster(&relay.app, fork.to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-fork");

    // Version 4 while 2 is held.
    let v3 = next(&v2, |_| {});
    let v4 = next(&v3, |_| {});
    put_roster(&relay.app, v4.to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-gap");

    // Version 3 with one signed byte changed (a letter's case in the cluster name, so the
    // roster still parses and only the signature can catch it).
    put_roster(&relay.app, tampered(&v3))
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-bad-signature");

    put_roster(&relay.app, b"this is not a roster".to_vec())
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "roster-malformed");

    // None of the refusals changed what is held; the untampered version 3 is still next.
    assert_eq!(get(&relay.app, "/v1/roster", None).await.body, v2.to_json());
    assert_eq!(publish(&relay.app, &v3).await["version"], 3);
    assert_eq!(get(&relay.app, "/v1/roster", None).await.body, v3.to_json());
}

/// `signed`'s envelope with one byte of the signed roster altered.
fn tampered(signed: &SignedRoster) -> Vec<u8> {
    let mut envelope: Value = serde_json::from_slice(&signed.to_json()).unwrap();
    let mut bytes = BASE64URL_NOPAD
        .decode(envelope["roster"].as_str().unwrap().as_bytes())
        .unwrap();
    let at = bytes
        .windows(b"Cluster".len())
        .position(|w| w == b"Cluster")
        .expect("the cluster name is in the roster");
    bytes[at] ^= 0x20; // 'C' -> 'c'
    envelope["roster"] = BASE64URL_NOPAD.encode(&bytes).into();
    let out = serde_json::to_vec(&envelope).unwrap();
    assert_eq!(
        SignedRoster::from_json(&out).unwrap().bytes().len(),
        signed.bytes().len()
    );
    out
}

#[tokio::test]
async fn an_expired_first_roster_is_refused() {
    let relay = relay(Some(pk(COORD)));
    let mut roster = first_roster();
    let now = OffsetDateTime::now_utc();
    roster.issued_at = now - Duration::days(100);
    roster.expires_at = now - Duration::days(1);
    put_roster(&relay.app, sign(&roster, COORD).to_json())
        .await
        .assert_refused(StatusCode::CONFLICT, "roster-expired");
    get(&relay.app, "/v1/roster", None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-roster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_puts_of_the_same_roster_store_it_once() {
    let relay = relay(Some(pk(COORD)));
    let v1 = v1();
    publish(&relay.app, &v1).await;
    let v2 = next(&v1, |r| r.name = "Renamed Cluster".into());

    // All twenty start together, so their checks overlap as much as they can.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, body, start) = (relay.app.clone(), v2.to_json(), start.clone());
        tasks.spawn(async move {
            start.wait().await;
            put_roster(&app, body).await
        });
    }
    let (mut fresh, mut unchanged) = (0, 0);
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.expect("task finished");
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let body = reply.json();
        assert_eq!(body["version"], 2);
        assert_eq!(body["hash"], v2.hash().to_string());
        if body["unchanged"] == true {
            unchanged += 1;
        } else {
            fresh += 1;
        }
    }
    // Updates are serialised: one PUT stores it, every other one finds it held.
    assert_eq!((fresh, unchanged), (1, 19));
    assert_eq!(get(&relay.app, "/v1/roster", None).await.body, v2.to_json());
}

// ---------------------------------------------------------------------------------------------
// Login and tokens.
// ---------------------------------------------------------------------------------------------

/// A relay holding version 1.
async fn relay_with_v1() -> Relay {
    let relay = relay(Some(pk(COORD)));
    publish(&relay.app, &v1()).await;
    relay
}

#[tokio::test]
async fn a_member_logs_in_and_the_token_names_them() {
    let relay = relay_with_v1().await;
    let token = login(&relay.app, ALICE).await;
    assert_eq!(
        BASE64URL_NOPAD.decode(token.as_bytes()).unwrap().len(),
        SECRET_LEN
    );
    assert_whoami(&whoami(&relay.app, &token).await, ALICE);
    // Each login gets its own token, and both work.
    let again = login(&relay.app, ALICE).await;
    assert_ne!(again, token);
    assert_whoami(&whoami(&relay.app, &again).await, ALICE);
    assert_whoami(
        &whoami(&relay.app, &login(&relay.app, BOB).await).await,
        BOB,
    );
}

#[tokio::test]
async fn whoami_refuses_every_bad_authorization_alike() {
    let relay = relay_with_v1().await;
    let token = login(&relay.app, ALICE).await;
    // The control: the genuine token works.
    assert_whoami(&whoami(&relay.app, &token).await, ALICE);

    let never_issued = BASE64URL_NOPAD.encode(&[0x42; SECRET_LEN]);
    let cases = [
        None,
        Some("Bearer ".to_owned()),
        Some("Bearer not-a-token!".to_owned()),
        Some(format!("Bearer {never_issued}")),
        // A real token, shortened or under another scheme.
        Some(format!("Bearer {}", &token[..token.len() - 2])),
        Some(format!("Basic {token}")),
        Some(format!("Basic {}", BASE64URL_NOPAD.encode(b"alice:secret"))),
    ];
    let mut replies = Vec::new();
    for case in &cases {
        let reply = get(&relay.app, "/v1/whoami", case.as_deref()).await;
        reply.assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
        replies.push(reply);
    }
    // Nothing in the answer tells one failure from another.
    for (case, reply) in cases.iter().zip(&replies) {
        assert_eq!(reply, &replies[0], "{case:?}");
    }
}

#[tokio::test]
async fn login_refusals_look_alike() {
    let relay = relay_with_v1().await;
    let app = &relay.app;

    // A challenge answered once works, then never again, even with a valid signature.
    let nonce = challenge(app).await;
    let answer = LoginRequest::sign(mid(ALICE), nonce, &key(ALICE));
    assert_eq!(post_login(app, &answer).await.status, StatusCode::OK);
    let replayed = post_login(app, &answer).await;

    // A nonce the relay never issued.
    let never_issued = post_login(
        app,
        &LoginRequest::sign(mid(ALICE), [7; SECRET_LEN], &key(ALICE)),
    )
    .await;

    // Alice's id, someone else's signature.
    let nonce = challenge(app).await;
    let wrong_signature =
        post_login(app, &LoginRequest::sign(mid(ALICE), nonce, &key(STRANGER))).await;

    // An id no roster lists, signed with that stranger's own key.
    let nonce = challenge(app).await;
    let unknown_member = post_login(
        app,
        &LoginRequest::sign(mid(STRANGER), nonce, &key(STRANGER)),
    )
    .await;

    // A removed member with their own valid key.
    let nonce = challenge(app).await;
    let removed = post_login(app, &LoginRequest::sign(mid(GONE), nonce, &key(GONE))).await;

    // Alice's key over the nonce, but in the roster-signing context.
    let nonce = challenge(app).await;
    let other_context = post_login(
        app,
        &LoginRequest {
            member_id: mid(ALICE),
            nonce,
            signature: SigningContext::Roster.sign(&key(ALICE), &nonce),
        },
    )
    .await;

    let refusals = [
        ("replayed challenge", &replayed),
        ("nonce never issued", &never_issued),
        ("wrong signature", &wrong_signature),
        ("unknown member", &unknown_member),
        ("removed member", &removed),
        ("signature in another context", &other_context),
    ];
    for (what, reply) in refusals {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(reply.error_code(), "unauthorized", "{what}");
        assert_eq!(reply.json(), wrong_signature.json(), "{what}");
    }
    // Which member ids exist does not show: byte-identical answers.
    assert_eq!(unknown_member, wrong_signature);

    // The refusals spent their challenges but broke nothing: Alice still logs in.
    assert_whoami(&whoami(app, &login(app, ALICE).await).await, ALICE);
}

#[tokio::test]
async fn removal_ends_a_members_token_at_once() {
    let relay = relay(Some(pk(COORD)));
    let v1 = v1();
    publish(&relay.app, &v1).await;
    let alice = login(&relay.app, ALICE).await;
    let bob = login(&relay.app, BOB).await;
    assert_whoami(&whoami(&relay.app, &alice).await, ALICE);

    let v2 = next(&v1, |r| {
        let entry = r.members.iter_mut().find(|m| m.member_id == mid(ALICE));
        entry.expect("Alice is listed").status = MemberStatus::Removed;
    });
    publish(&relay.app, &v2).await;

    // Alice's unexpired token and any new login are refused; Bob is unaffected.
    whoami(&relay.app, &alice)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
    let nonce = challenge(&relay.app).await;
    post_login(
        &relay.app,
        &LoginRequest::sign(mid(ALICE), nonce, &key(ALICE)),
    )
    .await
    .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_whoami(&whoami(&relay.app, &bob).await, BOB);
}

#[tokio::test]
async fn readmitting_a_member_does_not_revive_an_old_token() {
    let relay = relay(Some(pk(COORD)));
    let v1 = v1();
    publish(&relay.app, &v1).await;
    let old_token = login(&relay.app, ALICE).await;
    let set_alice = |status| {
        move |r: &mut Roster| {
            let entry = r.members.iter_mut().find(|m| m.member_id == mid(ALICE));
            entry.expect("Alice is listed").status = status;
        }
    };
    let v2 = next(&v1, set_alice(MemberStatus::Removed));
    publish(&relay.app, &v2).await;
    let v3 = next(&v2, set_alice(MemberStatus::Active));
    publish(&relay.app, &v3).await;

    // Back in the cluster, Alice must log in again: the token from before her removal is gone.
    whoami(&relay.app, &old_token)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_whoami(
        &whoami(&relay.app, &login(&relay.app, ALICE).await).await,
        ALICE,
    );
}

#[tokio::test]
async fn an_expired_roster_admits_nobody() {
    let relay = relay(Some(pk(COORD)));
    let mut short = first_roster();
    short.expires_at = OffsetDateTime::now_utc() + Duration::seconds(2);
    publish(&relay.app, &sign(&short, COORD)).await;
    let token = login(&relay.app, ALICE).await;
    assert_whoami(&whoami(&relay.app, &token).await, ALICE);

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // Clients refuse an expired roster; so does the relay, for tokens and for new logins.
    whoami(&relay.app, &token)
        .await
        .assert_refused(StatusCode::SERVICE_UNAVAILABLE, "roster-expired");
    let nonce = challenge(&relay.app).await;
    post_login(
        &relay.app,
        &LoginRequest::sign(mid(ALICE), nonce, &key(ALICE)),
    )
    .await
    .assert_refused(StatusCode::SERVICE_UNAVAILABLE, "roster-expired");
}

#[tokio::test]
async fn unknown_paths_methods_and_oversized_bodies_get_json_errors() {
    let relay = relay(Some(pk(COORD)));
    get(&relay.app, "/v1/nowhere", None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    let request = Request::builder()
        .method("DELETE")
        .uri("/v1/roster")
        .body(Body::empty())
        .unwrap();
    send(&relay.app, request)
        .await
        .assert_refused(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    // 3 MiB is more than axum's default limit but within a roster's: the roster handler
    // answers (the body is not a roster), not the framework's plain-text 413.
    put_roster(&relay.app, vec![b'x'; 3 << 20])
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "roster-malformed");
    put_roster(&relay.app, vec![b'x'; 6 << 20])
        .await
        .assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "roster-too-large");
}

// ---------------------------------------------------------------------------------------------
// Join requests through the relay.
// ---------------------------------------------------------------------------------------------

/// A genuine join request by the member with `seed`, answering a fresh invite.
fn join_request(seed: u8) -> JoinRequest {
    join_request_for(seed, &InviteSecret::random())
}

/// A genuine join request by the member with `seed`, answering the invite with `secret`.
fn join_request_for(seed: u8, secret: &InviteSecret) -> JoinRequest {
    let body = JoinRequestBody {
        v: 1,
        cluster_id: first_roster().cluster_id,
        invite_id: secret.id(),
        member_id: mid(seed),
        name: format!("Joiner {seed}"),
        org: "Example NGO".into(),
        sig_pk: pk(seed),
        age_recipient: format!("age1joiner{seed}"),
        requested_at: OffsetDateTime::now_utc(),
    };
    JoinRequest::create(&body, secret, &key(seed))
}

async fn post_join(app: &Router, body: Vec<u8>) -> Reply {
    let request = Request::post("/v1/join-requests")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

async fn delete(app: &Router, uri: &str, token: &str) -> Reply {
    let request = Request::delete(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(app, request).await
}

#[tokio::test]
async fn join_requests_wait_on_the_relay_for_the_coordinator_only() {
    let relay = relay_with_v1().await;
    let app = &relay.app;
    let request = join_request(20).to_json();

    let first = post_join(app, request.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json());
    let id = first.json()["id"].as_str().expect("an id").to_owned();
    // Posting again (a retry on a bad link) keeps one copy under the same id.
    let again = post_join(app, request.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["id"], id.as_str());

    let coordinator = login(app, COORD).await;
    let auth = format!("Bearer {coordinator}");
    let list = get(app, "/v1/join-requests", Some(&auth)).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], id.as_str());
    let claimed = JoinRequest::from_json(&request).unwrap().invite_id();
    assert_eq!(items[0]["invite_id"], claimed.to_string());
    assert_eq!(items[0]["size"], request.len());
    let fetched = get(app, &format!("/v1/join-requests/{id}"), Some(&auth)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, request, "served exactly as posted");

    // A member who is not the coordinator learns nothing, whatever the id.
    let bob = format!("Bearer {}", login(app, BOB).await);
    let missing = "00112233445566778899aabbccddeeff";
    let refusals = [
        get(app, "/v1/join-requests", Some(&bob)).await,
        get(app, &format!("/v1/join-requests/{id}"), Some(&bob)).await,
        get(app, &format!("/v1/join-requests/{missing}"), Some(&bob)).await,
        delete(app, &format!("/v1/join-requests/{id}"), &bob[7..]).await,
        delete(app, &format!("/v1/join-requests/{missing}"), &bob[7..]).await,
    ];
    for refusal in &refusals {
        refusal.assert_refused(StatusCode::FORBIDDEN, "not-coordinator");
        assert_eq!(refusal.body, refusals[0].body);
    }
    // Without a token: the usual refusal.
    get(app, "/v1/join-requests", None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");

    let deleted = delete(app, &format!("/v1/join-requests/{id}"), &coordinator).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    get(app, &format!("/v1/join-requests/{id}"), Some(&auth))
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    delete(app, &format!("/v1/join-requests/{id}"), &coordinator)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    let list = get(app, "/v1/join-requests", Some(&auth)).await;
    assert_eq!(list.json()["items"], serde_json::json!([]));
}

#[tokio::test]
async fn join_request_posts_are_bounded() {
    // No roster yet: no coordinator to read requests.
    let empty = relay(Some(pk(COORD)));
    post_join(&empty.app, join_request(20).to_json())
        .await
        .assert_refused(StatusCode::SERVICE_UNAVAILABLE, "no-roster");

    let relay = relay_with_v1().await;
    let app = &relay.app;
    post_join(app, b"{\"not\": \"a request\"}".to_vec())
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "invalid-request");
    post_join(app, vec![b' '; MAX_REQUEST_BYTES + 1])
        .await
        .assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "too-large");

    // One invite is for one person: a flood of requests naming it stops at the cap, and
    // requests for other invites still get through.
    let secret = InviteSecret::random();
    let mut accepted = 0;
    let mut refused = None;
    for seed in 30..30 + 25u8 {
        let reply = post_join(app, join_request_for(seed, &secret).to_json()).await;
        if reply.status == StatusCode::CREATED {
            accepted += 1;
        } else {
            refused = Some(reply);
            break;
        }
    }
    assert_eq!(accepted, sealpost_relay::join::MAX_PER_INVITE);
    refused
        .expect("the flood was stopped")
        .assert_refused(StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    assert_eq!(
        post_join(app, join_request(60).to_json()).await.status,
        StatusCode::CREATED
    );
}

// ---------------------------------------------------------------------------------------------
// Rate limits.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn each_member_has_their_own_rate_limit_with_a_json_429() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("relay.sqlite")).expect("store opens");
    // One request a minute after a burst of 6 (the tests must not race the refill).
    let state = AppState::new(store, Some(pk(COORD))).with_rate_limit(RateLimit {
        per_second: 1,
        burst: 6,
    });
    // A roster and logins go through a generous limiter on the same store first.
    let setup = app(AppState::new(state.store.clone(), Some(pk(COORD))));
    publish(&setup, &v1()).await;
    let alice = login(&setup, ALICE).await;
    let bob = login(&setup, BOB).await;

    let limited = app(state);
    for _ in 0..6 {
        assert_whoami(&whoami(&limited, &alice).await, ALICE);
    }
    let response = limited
        .clone()
        .oneshot(
            Request::get("/v1/whoami")
                .header(header::AUTHORIZATION, format!("Bearer {alice}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    // Never "0": the limiter's wait is under a second here, announced as one whole second.
    assert!(
        (1..=2).contains(&retry_after),
        "one request a second: {retry_after}"
    );
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"]["code"], "rate-limited", "{body}");

    // Bob is not held back by Alice's burst: the limit is per member, not per relay.
    assert_whoami(&whoami(&limited, &bob).await, BOB);
    // Logging in again buys Alice nothing: she is counted as a member, not by token.
    let alice_again = login(&setup, ALICE).await;
    assert_eq!(
        whoami(&limited, &alice_again).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
