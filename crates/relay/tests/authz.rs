//! The authorization matrix: every endpoint that needs a bearer token refuses every bad credential
//! with the one 401 `unauthorized`, byte for byte the same whether the id it names exists or not;
//! another member's valid token gets the same answer for someone else's object as for a missing
//! one; login refusals look alike; only the coordinator signs the next roster; and, as the
//! control, the right member's token is not refused.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, Request, StatusCode, request};
use data_encoding::{BASE64, BASE64URL_NOPAD};
use http_body_util::BodyExt;
use rusqlite::{Connection, params};
use sealpost_format::enrol::{InviteSecret, JoinRequest, JoinRequestBody};
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse, SECRET_LEN};
use sealpost_format::roster::{MemberStatus, Role, Roster, SignedRoster};
use sealpost_format::{MemberId, SigningContext};
use sealpost_relay::limits::RateLimit;
use sealpost_relay::{AppState, Store, app};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use time::OffsetDateTime;
use tower::ServiceExt;

mod support;
use support::{key, member, mid, pk};

// ---------------------------------------------------------------------------------------------
// Who is who: a member's signing key, id and age recipient derive from a seed.
// ---------------------------------------------------------------------------------------------

const COORD: u8 = 1;
const IMO: u8 = 2;
/// Sends data to the IMO: owns the upload and the blobs the matrix points at.
const PARTNER_A: u8 = 3;
/// Related to nothing: "another member" for every object.
const PARTNER_B: u8 = 4;
/// Active in version 1, removed in version 2.
const LEAVER: u8 = 5;
/// Not a member: posts a join request.
const JOINER: u8 = 8;
/// In no roster.
const STRANGER: u8 = 9;

/// The upload in progress: `UPLOAD_LENGTH` bytes, of which the first `UPLOADED` have arrived.
const UPLOAD_LENGTH: u64 = 32;
const UPLOADED: u64 = 8;
/// What a PATCH sends next.
const CHUNK: &[u8; 8] = b"chunk #2";
/// A completed blob's content.
const BLOB: &[u8] = b"sealed parcel bytes";

fn first_roster() -> Roster {
    support::first_roster(
        "Authz Test Cluster",
        COORD,
        vec![
            member(COORD, "Coral", Role::Coordinator, MemberStatus::Active),
            member(IMO, "Ida", Role::Imo, MemberStatus::Active),
            member(PARTNER_A, "Ana", Role::Partner, MemberStatus::Active),
            member(PARTNER_B, "Bea", Role::Partner, MemberStatus::Active),
            member(LEAVER, "Lee", Role::Partner, MemberStatus::Active),
        ],
    )
}

fn sign(roster: &Roster, signer: u8) -> SignedRoster {
    SignedRoster::sign(roster, &key(signer)).expect("a well-formed roster signs")
}

/// The version after `prev`, chained to it, with `edit` applied, signed by `signer`.
fn next(prev: &SignedRoster, signer: u8, edit: impl FnOnce(&mut Roster)) -> SignedRoster {
    let held = prev.clone().verify(prev.signer()).expect("verifies");
    let mut roster = held.roster().clone();
    roster.version += 1;
    roster.prev_hash = Some(held.hash());
    edit(&mut roster);
    sign(&roster, signer)
}

/// Version 2: the leaver removed.
fn v2(v1: &SignedRoster) -> SignedRoster {
    next(v1, COORD, |r| {
        let leaver = r.members.iter_mut().find(|m| m.member_id == mid(LEAVER));
        leaver.expect("listed").status = MemberStatus::Removed;
    })
}

fn random_token() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    getrandom::getrandom(&mut bytes).expect("the OS random number generator works");
    BASE64URL_NOPAD.encode(&bytes)
}

fn token_hash(token: &str) -> Vec<u8> {
    let raw = BASE64URL_NOPAD
        .decode(token.as_bytes())
        .expect("a token is base64url");
    Sha256::digest(raw).to_vec()
}

fn now_s() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

// ---------------------------------------------------------------------------------------------
// Replies, compared whole: status, every header, every byte of the body.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    /// The refusal's code, if the body is exactly `{"error":{"code","message"}}` with a message.
    fn error_code(&self) -> Option<String> {
        let body: Value = serde_json::from_slice(&self.body).ok()?;
        let outer = body.as_object().filter(|o| o.len() == 1)?;
        let error = outer.get("error")?.as_object().filter(|e| e.len() == 2)?;
        error["message"].as_str().filter(|m| !m.is_empty())?;
        error["code"].as_str().map(str::to_owned)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e})", self.show()))
    }

    fn show(&self) -> String {
        format!(
            "{} {:?} {:?}",
            self.status.as_u16(),
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }

    #[track_caller]
    fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.show());
    }

    #[track_caller]
    fn assert_refused(&self, status: StatusCode, code: &str) {
        self.assert_status(status);
        assert_eq!(self.error_code().as_deref(), Some(code), "{}", self.show());
    }
}

/// A relay over a fresh data directory holding roster version 1; the directory lives as long as
/// the value.
struct Relay {
    app: Router,
    dir: TempDir,
    v1: SignedRoster,
}

impl Relay {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("relay.sqlite")).expect("store opens");
        // Generous: the matrix sends hundreds of requests, and limits are not what it tests.
        let state = AppState::new(store, Some(pk(COORD))).with_rate_limit(RateLimit {
            per_second: 1_000_000,
            burst: 1_000_000,
        });
        let relay = Self {
            app: app(state),
            dir,
            v1: sign(&first_roster(), COORD),
        };
        relay
            .put_roster(relay.v1.to_json())
            .await
            .assert_status(StatusCode::OK);
        relay
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: body.to_vec(),
        }
    }

    /// A second connection to the relay's database, to age rows.
    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join("relay.sqlite")).expect("the database opens")
    }

    fn token_rows(&self) -> i64 {
        self.db()
            .query_row("SELECT COUNT(*) FROM tokens", [], |row| row.get(0))
            .unwrap()
    }

    async fn put_roster(&self, envelope: Vec<u8>) -> Reply {
        let request = Request::put("/v1/roster")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(envelope))
            .unwrap();
        self.send(request).await
    }

    async fn challenge(&self) -> [u8; SECRET_LEN] {
        let request = Request::get("/v1/login/challenge")
            .body(Body::empty())
            .unwrap();
        let reply = self.send(request).await;
        reply.assert_status(StatusCode::OK);
        let challenge: Challenge = serde_json::from_slice(&reply.body).expect("a challenge");
        challenge.nonce
    }

    async fn post_login(&self, body: Vec<u8>) -> Reply {
        let request = Request::post("/v1/login")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn answer(&self, answer: &LoginRequest) -> Reply {
        self.post_login(serde_json::to_vec(answer).unwrap()).await
    }

    /// A login that must succeed; returns the token.
    async fn login(&self, seed: u8) -> String {
        let nonce = self.challenge().await;
        let reply = self
            .answer(&LoginRequest::sign(mid(seed), nonce, &key(seed)))
            .await;
        reply.assert_status(StatusCode::OK);
        let response: LoginResponse = serde_json::from_slice(&reply.body).expect("a token");
        response.token
    }

    async fn whoami(&self, token: &str) -> Reply {
        let request = Request::get("/v1/whoami")
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn assert_whoami(&self, token: &str, seed: u8) {
        let reply = self.whoami(token).await;
        reply.assert_status(StatusCode::OK);
        assert_eq!(reply.json()["member_id"], mid(seed).to_string());
    }

    /// The one answer to every authentication failure, as `GET /v1/whoami` without a token
    /// gets it.
    async fn unauthorized(&self) -> Reply {
        let reply = self
            .send(Request::get("/v1/whoami").body(Body::empty()).unwrap())
            .await;
        reply.assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
        reply
    }
}

// ---------------------------------------------------------------------------------------------
// The endpoint table: every route that needs a token, each with well-formed headers and body
// for its method, so that a refusal is about authorization and nothing else.
// ---------------------------------------------------------------------------------------------

/// What an id in a path points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    /// A's upload to the IMO, 8 of 32 bytes in.
    Upload,
    /// A completed blob A sent to the IMO: in the IMO's mailbox.
    Blob,
    /// A second such blob, for the control's acknowledgement.
    Spare,
    /// A join request, for the coordinator.
    Join,
    /// A well-formed id nothing has.
    Missing,
    /// Not an id at all.
    Malformed,
}

use Target::{Blob, Join, Malformed, Missing, Spare, Upload};

/// Every target the matrix points id-taking endpoints at.
const ALL: &[Target] = &[Upload, Blob, Join, Missing, Malformed];

struct Endpoint {
    method: Method,
    /// With `{id}` where the path takes one.
    path: &'static str,
    /// Adds the headers and body a well-formed request of this kind carries.
    dress: fn(request::Builder) -> Request<Body>,
    /// The control: who may call it, on what, and what they get.
    allowed: (u8, Option<Target>, StatusCode),
    /// What a member not entitled gets (status, code), the same for every id.
    refused: Option<(StatusCode, &'static str)>,
    /// Members with a valid token who are not entitled, and the targets they try: the answers
    /// must not tell an existing object of someone else's from a missing one.
    outsiders: &'static [(u8, &'static [Target])],
}

/// No headers or body beyond the credential.
fn bare(builder: request::Builder) -> Request<Body> {
    builder.body(Body::empty()).unwrap()
}

/// tus HEAD and termination.
fn tus(builder: request::Builder) -> Request<Body> {
    builder
        .header("Tus-Resumable", "1.0.0")
        .body(Body::empty())
        .unwrap()
}

/// tus creation: 32 bytes for the IMO.
fn tus_create(builder: request::Builder) -> Request<Body> {
    let to = BASE64.encode(mid(IMO).to_string().as_bytes());
    builder
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", UPLOAD_LENGTH.to_string())
        .header("Upload-Metadata", format!("to {to}"))
        .body(Body::empty())
        .unwrap()
}

/// tus PATCH: the next chunk of A's upload at the offset it reached, with its checksum.
fn tus_patch(builder: request::Builder) -> Request<Body> {
    builder
        .header("Tus-Resumable", "1.0.0")
        .header(CONTENT_TYPE, "application/offset+octet-stream")
        .header("Upload-Offset", UPLOADED.to_string())
        .header(
            "Upload-Checksum",
            format!("sha256 {}", BASE64.encode(&Sha256::digest(CHUNK))),
        )
        .body(Body::from(CHUNK.to_vec()))
        .unwrap()
}

/// In the order the control calls them: each destructive call comes after the reads of its
/// object.
fn endpoints() -> Vec<Endpoint> {
    let no_such_upload = Some((StatusCode::NOT_FOUND, "no-such-upload"));
    let not_coordinator = Some((StatusCode::FORBIDDEN, "not-coordinator"));
    let upload_outsiders: &[(u8, &[Target])] = &[
        (PARTNER_B, ALL),
        (IMO, &[Upload, Blob, Missing]),
        (COORD, &[Upload, Blob, Missing]),
    ];
    let join_outsiders: &[(u8, &[Target])] = &[(PARTNER_B, ALL), (PARTNER_A, ALL), (IMO, ALL)];
    vec![
        Endpoint {
            method: Method::GET,
            path: "/v1/whoami",
            dress: bare,
            allowed: (PARTNER_A, None, StatusCode::OK),
            refused: None,
            outsiders: &[],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/uploads",
            dress: tus_create,
            allowed: (PARTNER_A, None, StatusCode::CREATED),
            refused: None,
            outsiders: &[],
        },
        Endpoint {
            method: Method::HEAD,
            path: "/v1/uploads/{id}",
            dress: tus,
            allowed: (PARTNER_A, Some(Upload), StatusCode::OK),
            refused: no_such_upload,
            outsiders: upload_outsiders,
        },
        Endpoint {
            method: Method::PATCH,
            path: "/v1/uploads/{id}",
            dress: tus_patch,
            allowed: (PARTNER_A, Some(Upload), StatusCode::NO_CONTENT),
            refused: no_such_upload,
            outsiders: upload_outsiders,
        },
        Endpoint {
            method: Method::DELETE,
            path: "/v1/uploads/{id}",
            dress: tus,
            allowed: (PARTNER_A, Some(Upload), StatusCode::NO_CONTENT),
            refused: no_such_upload,
            outsiders: upload_outsiders,
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/mailbox",
            dress: bare,
            allowed: (IMO, None, StatusCode::OK),
            refused: None,
            outsiders: &[],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/mailbox/{id}/ack",
            dress: bare,
            allowed: (IMO, Some(Spare), StatusCode::NO_CONTENT),
            refused: Some((StatusCode::NOT_FOUND, "not-found")),
            // A is the blob's uploader, not an addressee.
            outsiders: &[
                (PARTNER_B, ALL),
                (PARTNER_A, &[Blob, Upload, Missing]),
                (COORD, &[Blob, Missing]),
            ],
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/blobs/{id}",
            dress: bare,
            allowed: (IMO, Some(Blob), StatusCode::OK),
            refused: Some((StatusCode::NOT_FOUND, "not-found")),
            // The IMO is an addressee of the upload still in progress: not readable yet.
            outsiders: &[
                (PARTNER_B, ALL),
                (COORD, &[Blob, Upload, Missing]),
                (IMO, &[Upload, Missing]),
            ],
        },
        Endpoint {
            method: Method::DELETE,
            path: "/v1/blobs/{id}",
            dress: tus,
            allowed: (PARTNER_A, Some(Blob), StatusCode::NO_CONTENT),
            refused: no_such_upload,
            // The IMO may read the blob, not delete it.
            outsiders: &[
                (PARTNER_B, ALL),
                (IMO, &[Blob, Upload, Missing]),
                (COORD, &[Blob, Missing]),
            ],
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/join-requests",
            dress: bare,
            allowed: (COORD, None, StatusCode::OK),
            refused: not_coordinator,
            outsiders: &[(PARTNER_B, &[]), (PARTNER_A, &[]), (IMO, &[])],
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/join-requests/{id}",
            dress: bare,
            allowed: (COORD, Some(Join), StatusCode::OK),
            refused: not_coordinator,
            outsiders: join_outsiders,
        },
        Endpoint {
            method: Method::DELETE,
            path: "/v1/join-requests/{id}",
            dress: bare,
            allowed: (COORD, Some(Join), StatusCode::NO_CONTENT),
            refused: not_coordinator,
            outsiders: join_outsiders,
        },
    ]
}

impl Endpoint {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn takes_id(&self) -> bool {
        self.path.contains("{id}")
    }

    /// `targets` for an id-taking endpoint; one request without an id otherwise.
    fn targets(&self, targets: &[Target]) -> Vec<Option<Target>> {
        if self.takes_id() {
            targets.iter().copied().map(Some).collect()
        } else {
            vec![None]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture: a relay, its members logged in, real objects to point at, and the credentials.
// ---------------------------------------------------------------------------------------------

struct Credential {
    /// A column heading in the summary.
    short: &'static str,
    what: &'static str,
    /// The `Authorization` header, if any.
    authorization: Option<String>,
}

struct Fixture {
    relay: Relay,
    tokens: HashMap<u8, String>,
    ids: HashMap<Target, String>,
    credentials: Vec<Credential>,
    /// The aged token's row, still in the table: it is refused for its age, not its absence.
    expired_hash: Vec<u8>,
    /// The removed member's restored token row: refused by the roster check alone.
    restored_hash: Vec<u8>,
}

impl Fixture {
    fn id(&self, target: Option<Target>) -> &str {
        target.map_or("", |t| &self.ids[&t])
    }

    fn request(
        &self,
        endpoint: &Endpoint,
        target: Option<Target>,
        authorization: Option<&str>,
    ) -> Request<Body> {
        let uri = endpoint.path.replace("{id}", self.id(target));
        let mut builder = Request::builder().method(endpoint.method.clone()).uri(uri);
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        (endpoint.dress)(builder)
    }

    fn bearer(&self, seed: u8) -> String {
        format!("Bearer {}", self.tokens[&seed])
    }

    /// Creates an upload of `length` bytes from A to the IMO and sends `first` of it.
    async fn upload(&self, length: u64, first: &[u8]) -> String {
        let to = BASE64.encode(mid(IMO).to_string().as_bytes());
        let create = Request::post("/v1/uploads")
            .header(AUTHORIZATION, self.bearer(PARTNER_A))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", format!("to {to}"))
            .body(Body::empty())
            .unwrap();
        let reply = self.relay.send(create).await;
        reply.assert_status(StatusCode::CREATED);
        let location = reply.headers["Location"].to_str().unwrap();
        let id = location.strip_prefix("/v1/uploads/").expect("a Location");
        let patch = Request::patch(location)
            .header(AUTHORIZATION, self.bearer(PARTNER_A))
            .header("Tus-Resumable", "1.0.0")
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .header("Upload-Offset", "0")
            .body(Body::from(first.to_vec()))
            .unwrap();
        self.relay
            .send(patch)
            .await
            .assert_status(StatusCode::NO_CONTENT);
        id.to_owned()
    }
}

async fn fixture() -> Fixture {
    let relay = Relay::new().await;
    let mut f = Fixture {
        relay,
        tokens: HashMap::new(),
        ids: HashMap::new(),
        credentials: Vec::new(),
        expired_hash: Vec::new(),
        restored_hash: Vec::new(),
    };
    for seed in [COORD, IMO, PARTNER_A, PARTNER_B, LEAVER] {
        let token = f.relay.login(seed).await;
        f.relay.assert_whoami(&token, seed).await;
        f.tokens.insert(seed, token);
    }

    // Real objects.
    let upload = f.upload(UPLOAD_LENGTH, b"chunk #1").await;
    let blob = f.upload(BLOB.len() as u64, BLOB).await;
    let spare = f.upload(BLOB.len() as u64, BLOB).await;
    let secret = InviteSecret::random();
    let body = JoinRequestBody {
        v: 1,
        cluster_id: first_roster().cluster_id,
        invite_id: secret.id(),
        member_id: mid(JOINER),
        name: "Jo Joiner".into(),
        org: "Example NGO".into(),
        sig_pk: pk(JOINER),
        age_recipient: format!("age1member{JOINER}"),
        requested_at: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("zero is valid"),
    };
    let posted = JoinRequest::create(&body, &secret, &key(JOINER)).to_json();
    let reply = f
        .relay
        .send(
            Request::post("/v1/join-requests")
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(posted))
                .unwrap(),
        )
        .await;
    reply.assert_status(StatusCode::CREATED);
    let join = reply.json()["id"].as_str().expect("an id").to_owned();
    let missing = MemberId::random().to_string();
    assert_eq!(
        missing.len(),
        join.len(),
        "a missing id looks like a real one"
    );
    f.ids = HashMap::from([
        (Upload, upload),
        (Blob, blob),
        (Spare, spare),
        (Join, join),
        (Missing, missing),
        (Malformed, "not-an-id".to_owned()),
    ]);

    // A real token of A's, to be aged once every successful login is done (a login sweeps
    // expired rows, and the row should stay so that its age is what refuses it).
    let expiring = f.relay.login(PARTNER_A).await;
    f.relay.assert_whoami(&expiring, PARTNER_A).await;

    // A replayed challenge: the first answer logs in, the second gets no token.
    let nonce = f.relay.challenge().await;
    let answer = LoginRequest::sign(mid(PARTNER_A), nonce, &key(PARTNER_A));
    f.relay.answer(&answer).await.assert_status(StatusCode::OK);
    let tokens_before = f.relay.token_rows();
    f.relay
        .answer(&answer)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        f.relay.token_rows(),
        tokens_before,
        "a replay issued a token"
    );

    // A wrong signature: A's id, a stranger's key. No token either.
    let nonce = f.relay.challenge().await;
    f.relay
        .answer(&LoginRequest::sign(mid(PARTNER_A), nonce, &key(STRANGER)))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        f.relay.token_rows(),
        tokens_before,
        "a wrong signature issued a token"
    );

    // The leaver is removed in version 2; their tokens worked until then, and the relay deletes
    // them then. A second one's row is put back, as a restored backup would, so that the
    // roster check alone must refuse it.
    let restored = f.relay.login(LEAVER).await;
    f.relay.assert_whoami(&restored, LEAVER).await;
    let restored_row: (Vec<u8>, String, i64) = f
        .relay
        .db()
        .query_row(
            "SELECT token_hash, member_id, expires_at FROM tokens WHERE token_hash = ?1",
            params![token_hash(&restored)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    f.relay
        .put_roster(v2(&f.relay.v1).to_json())
        .await
        .assert_status(StatusCode::OK);
    let leaver_rows: i64 = f
        .relay
        .db()
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE member_id = ?1",
            params![mid(LEAVER).to_string()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leaver_rows, 0, "the removal deleted the leaver's tokens");
    f.relay
        .db()
        .execute(
            "INSERT INTO tokens (token_hash, member_id, expires_at) VALUES (?1, ?2, ?3)",
            params![restored_row.0, restored_row.1, restored_row.2],
        )
        .unwrap();
    f.restored_hash = restored_row.0;

    // Age A's extra token.
    f.expired_hash = token_hash(&expiring);
    let aged = f
        .relay
        .db()
        .execute(
            "UPDATE tokens SET expires_at = ?1 WHERE token_hash = ?2",
            params![now_s() - 60, f.expired_hash],
        )
        .unwrap();
    assert_eq!(aged, 1, "the token's row exists");

    let a_token = f.tokens[&PARTNER_A].clone();
    let credential = |short, what, authorization: Option<String>| Credential {
        short,
        what,
        authorization,
    };
    f.credentials = vec![
        credential("none", "no Authorization header", None),
        credential(
            "empty",
            "an empty Authorization header",
            Some(String::new()),
        ),
        credential("bearer", "`Bearer ` and no token", Some("Bearer ".into())),
        credential("!!!", "`Bearer !!!`", Some("Bearer !!!".into())),
        credential(
            "basic-tok",
            "A's valid token under the Basic scheme",
            Some(format!("Basic {a_token}")),
        ),
        credential(
            "basic-pw",
            "Basic user:password",
            Some(format!("Basic {}", BASE64.encode(b"ana:hunter2"))),
        ),
        credential(
            "31B",
            "a token of 31 bytes",
            Some(format!(
                "Bearer {}",
                BASE64URL_NOPAD.encode(&[0x42; SECRET_LEN - 1])
            )),
        ),
        credential(
            "33B",
            "a token of 33 bytes",
            Some(format!(
                "Bearer {}",
                BASE64URL_NOPAD.encode(&[0x42; SECRET_LEN + 1])
            )),
        ),
        credential(
            "cut",
            "A's valid token cut short",
            Some(format!("Bearer {}", &a_token[..a_token.len() - 2])),
        ),
        credential(
            "expired",
            "A's real token, aged past its expiry",
            Some(format!("Bearer {expiring}")),
        ),
        credential(
            "removed",
            "the token of a member removed in roster version 2",
            Some(f.bearer(LEAVER)),
        ),
        credential(
            "rm+row",
            "a removed member's token whose row was put back",
            Some(format!("Bearer {restored}")),
        ),
        credential(
            "replay",
            "no token from a replayed challenge: a random well-formed one",
            Some(format!("Bearer {}", random_token())),
        ),
        credential(
            "badsig",
            "no token from a wrong signature: a random well-formed one",
            Some(format!("Bearer {}", random_token())),
        ),
    ];
    f
}

// ---------------------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------------------

/// Failures are collected, so one run reports every cell that fails, not just the first.
#[derive(Default)]
struct Checks {
    requests: usize,
    failures: Vec<String>,
}

impl Checks {
    fn expect(&mut self, ok: bool, failure: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(failure());
        }
    }

    #[track_caller]
    fn finish(&self) {
        assert!(
            self.failures.is_empty(),
            "{} check(s) failed:\n  {}",
            self.failures.len(),
            self.failures.join("\n  ")
        );
    }
}

#[tokio::test]
async fn every_endpoint_refuses_every_bad_credential_alike() {
    let started = Instant::now();
    let f = fixture().await;
    let endpoints = endpoints();
    let mut checks = Checks::default();

    // The one 401, and its HEAD form (no body: HEAD answers carry none).
    let unauthorized = f.relay.unauthorized().await;
    let head = endpoints.iter().find(|e| e.method == Method::HEAD).unwrap();
    let head_unauthorized = f.relay.send(f.request(head, Some(Missing), None)).await;
    head_unauthorized.assert_status(StatusCode::UNAUTHORIZED);
    assert!(head_unauthorized.body.is_empty());

    // 1. Every endpoint × every bad credential × every target: the same 401, byte for byte.
    let mut grid = vec![vec![true; f.credentials.len()]; endpoints.len()];
    for (e, endpoint) in endpoints.iter().enumerate() {
        let expected = if endpoint.method == Method::HEAD {
            &head_unauthorized
        } else {
            &unauthorized
        };
        for (c, credential) in f.credentials.iter().enumerate() {
            let mut first: Option<(Option<Target>, Reply)> = None;
            for target in endpoint.targets(ALL) {
                let request = f.request(endpoint, target, credential.authorization.as_deref());
                let reply = f.relay.send(request).await;
                checks.requests += 1;
                let ok = &reply == expected;
                grid[e][c] &= ok;
                checks.expect(ok, || {
                    format!(
                        "{} with {} on {target:?}: expected the one 401, got {}",
                        endpoint.name(),
                        credential.what,
                        reply.show()
                    )
                });
                match &first {
                    None => first = Some((target, reply)),
                    Some((seen, answer)) => checks.expect(answer == &reply, || {
                        format!(
                            "LEAK: {} with {} answers {} for {seen:?} but {} for {target:?}",
                            endpoint.name(),
                            credential.what,
                            answer.show(),
                            reply.show()
                        )
                    }),
                }
            }
        }
    }
    let matrix_requests = checks.requests;

    // The aged token was refused for its age: its row is still there.
    let aged_rows: i64 = f
        .relay
        .db()
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE token_hash = ?1 AND expires_at <= ?2",
            params![f.expired_hash, now_s()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(aged_rows, 1, "the expired token's row was swept meanwhile");
    let restored_rows: i64 = f
        .relay
        .db()
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE token_hash = ?1 AND expires_at > ?2",
            params![f.restored_hash, now_s()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        restored_rows, 1,
        "the restored token's row is there and unexpired"
    );

    // 2. Another member's valid token: an existing object of someone else's answers exactly
    // like a missing one.
    let mut outsider_rows = 0;
    for endpoint in &endpoints {
        let Some((status, code)) = endpoint.refused else {
            continue;
        };
        for &(who, targets) in endpoint.outsiders {
            outsider_rows += 1;
            let mut first: Option<(Option<Target>, Reply)> = None;
            for target in endpoint.targets(targets) {
                let request = f.request(endpoint, target, Some(&f.bearer(who)));
                let reply = f.relay.send(request).await;
                checks.requests += 1;
                // HEAD answers have no body to carry a code.
                let code_ok =
                    endpoint.method == Method::HEAD || reply.error_code().as_deref() == Some(code);
                checks.expect(reply.status == status && code_ok, || {
                    format!(
                        "{} with member {who}'s token on {target:?}: expected {} {code}, got {}",
                        endpoint.name(),
                        status.as_u16(),
                        reply.show()
                    )
                });
                match &first {
                    None => first = Some((target, reply)),
                    Some((seen, answer)) => checks.expect(answer == &reply, || {
                        format!(
                            "LEAK: {} with member {who}'s valid token answers {} for {seen:?} \
                             but {} for {target:?}",
                            endpoint.name(),
                            answer.show(),
                            reply.show()
                        )
                    }),
                }
            }
        }
    }
    let outsider_requests = checks.requests - matrix_requests;

    // 3. The control: the right member's token is not refused, and the matrix changed nothing
    // (every object is still there to be read, written and deleted).
    let mut controls = Vec::new();
    for endpoint in &endpoints {
        let (who, target, status) = endpoint.allowed;
        let reply = f
            .relay
            .send(f.request(endpoint, target, Some(&f.bearer(who))))
            .await;
        checks.requests += 1;
        checks.expect(reply.status == status, || {
            format!(
                "control: {} by member {who} on {target:?}: expected {}, got {}",
                endpoint.name(),
                status.as_u16(),
                reply.show()
            )
        });
        controls.push((endpoint.name(), reply));
    }
    let control = |name: &str| &controls.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(
        control("GET /v1/whoami").json()["member_id"],
        mid(PARTNER_A).to_string()
    );
    let mailbox = control("GET /v1/mailbox").json();
    for target in [Blob, Spare] {
        assert!(
            mailbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|item| item["id"] == f.ids[&target]),
            "{target:?} is in the IMO's mailbox: {mailbox}"
        );
    }
    assert_eq!(
        control("PATCH /v1/uploads/{id}").headers["Upload-Offset"],
        (UPLOADED + CHUNK.len() as u64).to_string().as_str()
    );
    assert_eq!(control("GET /v1/blobs/{id}").body, BLOB);
    let join_list = control("GET /v1/join-requests").json();
    assert_eq!(join_list["items"][0]["id"], f.ids[&Join], "{join_list}");

    // The summary.
    let mut summary = String::new();
    let width = endpoints.iter().map(|e| e.name().len()).max().unwrap_or(0);
    writeln!(
        summary,
        "authorization matrix: {} endpoints × {} bad credentials = {} cells, {matrix_requests} \
         requests ({} targets per id-taking endpoint: {ALL:?})",
        endpoints.len(),
        f.credentials.len(),
        endpoints.len() * f.credentials.len(),
        ALL.len(),
    )
    .unwrap();
    let headings: Vec<String> = f
        .credentials
        .iter()
        .map(|c| format!("{:>10}", c.short))
        .collect();
    writeln!(summary, "  {:width$} {}", "", headings.concat()).unwrap();
    for (e, endpoint) in endpoints.iter().enumerate() {
        let cells: String = grid[e]
            .iter()
            .map(|&ok| format!("{:>10}", if ok { "401 ok" } else { "FAIL" }))
            .collect();
        writeln!(summary, "  {:width$} {cells}", endpoint.name()).unwrap();
    }
    writeln!(
        summary,
        "another member's valid token: {outsider_rows} (endpoint, member) rows, \
         {outsider_requests} requests, each row one answer for existing and missing ids"
    )
    .unwrap();
    writeln!(
        summary,
        "control: {} endpoints answered the entitled member as expected; {} requests, {} \
         failed checks, {:.2?}",
        controls.len(),
        checks.requests,
        checks.failures.len(),
        started.elapsed()
    )
    .unwrap();
    println!("{summary}");
    checks.finish();
}

#[tokio::test]
async fn login_refusals_look_alike() {
    let relay = Relay::new().await;
    relay
        .put_roster(v2(&relay.v1).to_json())
        .await
        .assert_status(StatusCode::OK);
    let unauthorized = relay.unauthorized().await;
    let tokens_before = relay.token_rows();

    let mut refusals: Vec<(&str, Reply)> = Vec::new();

    let nonce = relay.challenge().await;
    let answer = LoginRequest::sign(mid(PARTNER_A), nonce, &key(PARTNER_A));
    relay.answer(&answer).await.assert_status(StatusCode::OK);
    let tokens_before = tokens_before + 1;
    refusals.push(("replayed challenge", relay.answer(&answer).await));

    let nonce = relay.challenge().await;
    refusals.push((
        "wrong signature (a stranger's key)",
        relay
            .answer(&LoginRequest::sign(mid(PARTNER_A), nonce, &key(STRANGER)))
            .await,
    ));

    let nonce = relay.challenge().await;
    refusals.push((
        "wrong signature (another member's key)",
        relay
            .answer(&LoginRequest::sign(mid(PARTNER_A), nonce, &key(PARTNER_B)))
            .await,
    ));

    let nonce = relay.challenge().await;
    refusals.push((
        "signature in the roster context",
        relay
            .answer(&LoginRequest {
                member_id: mid(PARTNER_A),
                nonce,
                signature: SigningContext::Roster.sign(&key(PARTNER_A), &nonce),
            })
            .await,
    ));

    let nonce = relay.challenge().await;
    refusals.push((
        "unknown member id",
        relay
            .answer(&LoginRequest::sign(mid(STRANGER), nonce, &key(STRANGER)))
            .await,
    ));

    let nonce = relay.challenge().await;
    refusals.push((
        "removed member, own key",
        relay
            .answer(&LoginRequest::sign(mid(LEAVER), nonce, &key(LEAVER)))
            .await,
    ));

    // Aged in the database, then answered at once (a new challenge would sweep it).
    let nonce = relay.challenge().await;
    let aged = relay
        .db()
        .execute(
            "UPDATE challenges SET expires_at = ?1 WHERE nonce = ?2",
            params![now_s() - 1, nonce.to_vec()],
        )
        .unwrap();
    assert_eq!(aged, 1, "the challenge's row exists");
    refusals.push((
        "expired challenge",
        relay
            .answer(&LoginRequest::sign(mid(PARTNER_A), nonce, &key(PARTNER_A)))
            .await,
    ));
    let left: i64 = relay
        .db()
        .query_row(
            "SELECT COUNT(*) FROM challenges WHERE nonce = ?1",
            params![nonce.to_vec()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "an expired challenge is consumed too");

    refusals.push((
        "nonce never issued",
        relay
            .answer(&LoginRequest::sign(
                mid(PARTNER_A),
                [7; SECRET_LEN],
                &key(PARTNER_A),
            ))
            .await,
    ));
    refusals.push((
        "not a login request",
        relay.post_login(b"{\"member_id\":1}".to_vec()).await,
    ));

    for (what, reply) in &refusals {
        assert_eq!(
            reply,
            &unauthorized,
            "{what}: {} differs from the one 401 {}",
            reply.show(),
            unauthorized.show()
        );
    }
    assert_eq!(
        relay.token_rows(),
        tokens_before,
        "a refusal issued a token"
    );
    // The refusals broke nothing: A still logs in.
    let token = relay.login(PARTNER_A).await;
    relay.assert_whoami(&token, PARTNER_A).await;
    println!(
        "login refusals: {} kinds, all the same 401 byte for byte, no token issued",
        refusals.len()
    );
}

#[tokio::test]
async fn only_the_coordinator_signs_the_next_roster() {
    let relay = Relay::new().await;
    let v2 = v2(&relay.v1);
    relay
        .put_roster(v2.to_json())
        .await
        .assert_status(StatusCode::OK);
    let rename = |r: &mut Roster| r.name = "Taken Over".into();

    // A member's key, a member naming themselves coordinator, a key in no roster.
    let by_b = next(&v2, PARTNER_B, rename);
    let coup = next(&v2, PARTNER_B, |r| {
        r.coordinator.member_id = mid(PARTNER_B);
        r.coordinator.sig_pk = pk(PARTNER_B);
        for m in &mut r.members {
            m.roles = match m.member_id {
                id if id == mid(PARTNER_B) => vec![Role::Coordinator],
                id if id == mid(COORD) => vec![Role::Partner],
                _ => m.roles.clone(),
            };
        }
    });
    let by_stranger = next(&v2, STRANGER, rename);
    // Signed by the IMO, but the envelope claims the coordinator's key.
    let mut forged: Value = serde_json::from_slice(&next(&v2, IMO, rename).to_json()).unwrap();
    forged["signer"] = serde_json::to_value(pk(COORD)).unwrap();

    let attempts = [
        ("signed by partner B", by_b.to_json(), "roster-wrong-signer"),
        (
            "B names themselves coordinator",
            coup.to_json(),
            "roster-wrong-signer",
        ),
        (
            "signed by a stranger",
            by_stranger.to_json(),
            "roster-wrong-signer",
        ),
        (
            "signed by the IMO, claiming the coordinator's key",
            serde_json::to_vec(&forged).unwrap(),
            "roster-bad-signature",
        ),
    ];
    for (what, envelope, code) in &attempts {
        let reply = relay.put_roster(envelope.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{what}: {}",
            reply.show()
        );
        assert_eq!(reply.error_code().as_deref(), Some(*code), "{what}");
    }
    let held = relay
        .send(Request::get("/v1/roster").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        held.body,
        v2.to_json(),
        "a refused roster replaced the held one"
    );
    // The control: the coordinator's own version 3 is accepted.
    relay
        .put_roster(next(&v2, COORD, rename).to_json())
        .await
        .assert_status(StatusCode::OK);
    println!(
        "roster PUT: {} non-coordinator signatures refused, the coordinator's accepted",
        attempts.len()
    );
}
