//! tus 1.0 uploads, mailboxes and blob downloads driven through the relay's router with no
//! socket, checked against what the relay leaves on disk (`blobs/`) and in its database.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header, request};
use axum::response::Response;
use data_encoding::BASE64;
use http_body_util::BodyExt;
use rusqlite::{Connection, params};
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse};
use sealpost_format::roster::{MemberStatus, Role, SignedRoster};
use sealpost_format::{MemberId, SigningPublicKey};
use sealpost_relay::tus::MAX_UPLOAD;
use sealpost_relay::{AppState, Store, app};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;
use tower::ServiceExt;

mod support;
use support::{key, member, mid};

// ---------------------------------------------------------------------------------------------
// Fixtures: a member's signing key, id and age recipient all derive from one seed.
// ---------------------------------------------------------------------------------------------

const COORD: u8 = 1;
const IMO_A: u8 = 2;
const IMO_B: u8 = 3;
/// The uploader in most tests: partners send data to the IMOs.
const PARTNER: u8 = 4;
/// A second partner, addressed by nothing unless a test says so.
const OTHER: u8 = 5;
/// Listed, but removed.
const GONE: u8 = 6;
/// In no roster.
const STRANGER: u8 = 9;
/// Not the relay's 30-day fallback, so the tests see that the roster's policy is what counts.
const RETENTION_DAYS: u32 = 7;

fn roster() -> SignedRoster {
    let mut roster = support::first_roster(
        "Upload Test Cluster",
        COORD,
        vec![
            member(COORD, "Coral", Role::Coordinator, MemberStatus::Active),
            member(IMO_A, "Ada", Role::Imo, MemberStatus::Active),
            member(IMO_B, "Ben", Role::Imo, MemberStatus::Active),
            member(PARTNER, "Pia", Role::Partner, MemberStatus::Active),
            member(OTHER, "Oto", Role::Partner, MemberStatus::Active),
            member(GONE, "Gus", Role::Partner, MemberStatus::Removed),
        ],
    );
    roster.policy.relay_retention_days = RETENTION_DAYS;
    SignedRoster::sign(&roster, &key(COORD)).expect("a well-formed roster signs")
}

/// A 32-hex id nobody created.
fn random_id() -> String {
    MemberId::random().to_string()
}

/// `n` bytes that differ from one position to the next.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

fn sha256_b64(bytes: &[u8]) -> String {
    BASE64.encode(&Sha256::digest(bytes))
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).expect("a valid timestamp")
}

fn rfc3339(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(
        value.as_str().expect("a timestamp string"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("an RFC 3339 timestamp")
}

/// RFC 7231 IMF-fixdate, the format of `Upload-Expires`.
fn http_date(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).expect("formats")
}

// ---------------------------------------------------------------------------------------------
// Responses.
// ---------------------------------------------------------------------------------------------

/// A response as the client sees it.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    async fn of(response: Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Self {
            status,
            headers,
            body: body.to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII"))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e})", self.status))
    }

    /// The refusal's code, after checking the body is exactly `{"error":{"code","message"}}`.
    fn error_code(&self) -> String {
        let body = self.json();
        assert_eq!(body.as_object().expect("an object").len(), 1, "{body}");
        let error = body["error"].as_object().expect("an error object");
        assert_eq!(error.len(), 2, "{body}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        error["code"].as_str().expect("a code").to_owned()
    }

    #[track_caller]
    fn assert_status(&self, status: StatusCode) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }

    /// Asserts a refusal with this status and code.
    #[track_caller]
    fn assert_refused(&self, status: StatusCode, code: &str) {
        self.assert_status(status);
        assert_eq!(self.error_code(), code);
    }
}

// ---------------------------------------------------------------------------------------------
// A relay with the roster published and its members logged in.
// ---------------------------------------------------------------------------------------------

/// A relay over a fresh data directory; the directory lives as long as the value.
struct Relay {
    app: Router,
    dir: TempDir,
    tokens: HashMap<u8, String>,
}

async fn relay() -> Relay {
    relay_with(|_| {}).await
}

/// A relay whose state `adjust` changed first (limits).
async fn relay_with(adjust: impl FnOnce(&mut AppState)) -> Relay {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("relay.sqlite")).expect("store opens");
    let coordinator = SigningPublicKey::from_signing_key(&key(COORD));
    let mut state = AppState::new(store, Some(coordinator));
    adjust(&mut state);
    let mut relay = Relay {
        app: app(state),
        dir,
        tokens: HashMap::new(),
    };
    let put = Request::put("/v1/roster")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(roster().to_json()))
        .unwrap();
    relay.send(put).await.assert_status(StatusCode::OK);
    for seed in [COORD, IMO_A, IMO_B, PARTNER, OTHER] {
        let token = relay.login(seed).await;
        relay.tokens.insert(seed, token);
    }
    relay
}

impl Relay {
    async fn send(&self, request: Request<Body>) -> Reply {
        Reply::of(self.app.clone().oneshot(request).await.expect("infallible")).await
    }

    async fn login(&self, seed: u8) -> String {
        let reply = self
            .send(
                Request::get("/v1/login/challenge")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        reply.assert_status(StatusCode::OK);
        let challenge: Challenge = serde_json::from_slice(&reply.body).expect("a challenge");
        let answer = LoginRequest::sign(mid(seed), challenge.nonce, &key(seed));
        let reply = self
            .send(
                Request::post("/v1/login")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                    .unwrap(),
            )
            .await;
        reply.assert_status(StatusCode::OK);
        let response: LoginResponse = serde_json::from_slice(&reply.body).expect("a token");
        response.token
    }

    /// A request, with `who`'s bearer token if any.
    fn request(&self, method: Method, uri: &str, who: Option<u8>) -> request::Builder {
        let builder = Request::builder().method(method).uri(uri);
        match who {
            Some(seed) => builder.header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[&seed]),
            ),
            None => builder,
        }
    }

    /// `POST /v1/uploads` with well-formed tus headers.
    async fn create(&self, who: u8, length: u64, to: &[u8]) -> Reply {
        let ids = to
            .iter()
            .map(|&seed| mid(seed).to_string())
            .collect::<Vec<_>>()
            .join(",");
        let request = self
            .request(Method::POST, "/v1/uploads", Some(who))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header(
                "Upload-Metadata",
                format!("to {}", BASE64.encode(ids.as_bytes())),
            )
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// Creates an upload that must be accepted; returns its id.
    async fn create_ok(&self, who: u8, length: u64, to: &[u8]) -> String {
        let reply = self.create(who, length, to).await;
        reply.assert_status(StatusCode::CREATED);
        assert_eq!(reply.header("Tus-Resumable"), Some("1.0.0"));
        let location = reply.header("Location").expect("a Location");
        let id = location
            .strip_prefix("/v1/uploads/")
            .unwrap_or_else(|| panic!("Location {location:?}"));
        assert_eq!(id.len(), 32, "{location}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{location}"
        );
        id.to_owned()
    }

    /// A well-formed PATCH request, ready for more headers and a body.
    fn patch_request(&self, who: u8, id: &str, offset: u64) -> request::Builder {
        self.request(Method::PATCH, &format!("/v1/uploads/{id}"), Some(who))
            .header("Tus-Resumable", "1.0.0")
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
    }

    async fn patch(&self, who: u8, id: &str, offset: u64, chunk: &[u8]) -> Reply {
        let request = self
            .patch_request(who, id, offset)
            .body(Body::from(chunk.to_vec()))
            .unwrap();
        self.send(request).await
    }

    /// A PATCH that must be accepted; checks the new offset it reports.
    async fn patch_ok(&self, who: u8, id: &str, offset: u64, chunk: &[u8]) {
        let reply = self.patch(who, id, offset, chunk).await;
        reply.assert_status(StatusCode::NO_CONTENT);
        assert_eq!(reply.header("Tus-Resumable"), Some("1.0.0"));
        let expected = (offset + chunk.len() as u64).to_string();
        assert_eq!(reply.header("Upload-Offset"), Some(expected.as_str()));
    }

    /// A PATCH whose body is still arriving, as over a slow connection.
    fn start_patch(&self, who: u8, id: &str, offset: u64) -> Streaming {
        let (writer, reader) = tokio::io::duplex(64);
        let request = self
            .patch_request(who, id, offset)
            .body(Body::from_stream(ReaderStream::new(reader)))
            .unwrap();
        let app = self.app.clone();
        Streaming {
            writer,
            response: tokio::spawn(async move { app.oneshot(request).await.expect("infallible") }),
        }
    }

    async fn head(&self, who: u8, id: &str) -> Reply {
        let request = self
            .request(Method::HEAD, &format!("/v1/uploads/{id}"), Some(who))
            .header("Tus-Resumable", "1.0.0")
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// The offset HEAD reports, which must succeed.
    async fn offset(&self, who: u8, id: &str) -> u64 {
        let reply = self.head(who, id).await;
        reply.assert_status(StatusCode::OK);
        assert_eq!(reply.header("Tus-Resumable"), Some("1.0.0"));
        reply
            .header("Upload-Offset")
            .expect("an Upload-Offset")
            .parse()
            .expect("a number")
    }

    /// `who`'s mailbox items.
    async fn mailbox(&self, who: u8) -> Vec<Value> {
        let reply = self
            .send(
                self.request(Method::GET, "/v1/mailbox", Some(who))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        reply.assert_status(StatusCode::OK);
        let body = reply.json();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        body["items"].as_array().expect("items").clone()
    }

    async fn mailbox_ids(&self, who: u8) -> Vec<String> {
        self.mailbox(who)
            .await
            .iter()
            .map(|item| item["id"].as_str().expect("an id").to_owned())
            .collect()
    }

    async fn download(&self, who: u8, id: &str, range: Option<&str>) -> Reply {
        let mut request = self.request(Method::GET, &format!("/v1/blobs/{id}"), Some(who));
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn delete(&self, who: u8, uri: &str) -> Reply {
        let request = self
            .request(Method::DELETE, uri, Some(who))
            .header("Tus-Resumable", "1.0.0")
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn ack(&self, who: u8, id: &str) -> Reply {
        let request = self
            .request(Method::POST, &format!("/v1/mailbox/{id}/ack"), Some(who))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// A complete upload of `bytes` from `who` to `to`, in one PATCH; returns its id.
    async fn upload(&self, who: u8, to: &[u8], bytes: &[u8]) -> String {
        let id = self.create_ok(who, bytes.len() as u64, to).await;
        self.patch_ok(who, &id, 0, bytes).await;
        id
    }

    fn blob(&self, id: &str) -> PathBuf {
        self.dir.path().join("blobs").join(id)
    }

    fn partial(&self, id: &str) -> PathBuf {
        self.dir.path().join("blobs").join(format!("{id}.partial"))
    }

    /// The names in the blob directory.
    fn blob_files(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.dir.path().join("blobs"))
            .expect("the blob directory exists")
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect()
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join("relay.sqlite")).expect("the database opens")
    }

    /// Rows in `table` whose `column` is `id`.
    fn rows(&self, table: &str, column: &str, id: &str) -> i64 {
        self.db()
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?1"),
                params![id],
                |row| row.get(0),
            )
            .unwrap()
    }
}

/// A PATCH in progress: its body so far, and its answer to come.
#[derive(Debug)]
struct Streaming {
    writer: DuplexStream,
    response: JoinHandle<Response>,
}

impl Streaming {
    /// Sends `bytes` and waits until the relay has written them to `partial`, which must then
    /// hold `total` bytes: each piece reaches the handler as a frame of its own.
    async fn send(&mut self, bytes: &[u8], partial: &Path, total: u64) {
        self.writer.write_all(bytes).await.unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(10);
        while file_len(partial) < total {
            assert!(Instant::now() < deadline, "the PATCH never wrote its body");
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
    }

    /// Sends `bytes`, ends the body and returns the answer.
    async fn finish(mut self, bytes: &[u8]) -> Reply {
        // The relay may have answered already (and dropped the body's reading end).
        let _ = self.writer.write_all(bytes).await;
        drop(self.writer);
        Reply::of(self.response.await.unwrap()).await
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len()
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn options_announce_what_the_relay_speaks() {
    let relay = relay().await;
    // No token: discovery is public.
    let reply = relay
        .send(
            relay
                .request(Method::OPTIONS, "/v1/uploads", None)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    reply.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(reply.header("Tus-Resumable"), Some("1.0.0"));
    let versions: Vec<&str> = reply
        .header("Tus-Version")
        .expect("Tus-Version")
        .split(',')
        .map(str::trim)
        .collect();
    assert!(versions.contains(&"1.0.0"), "{versions:?}");
    let extensions: BTreeSet<&str> = reply
        .header("Tus-Extension")
        .expect("Tus-Extension")
        .split(',')
        .map(str::trim)
        .collect();
    for wanted in ["creation", "termination", "expiration", "checksum"] {
        assert!(extensions.contains(wanted), "{extensions:?} lacks {wanted}");
    }
    let max: u64 = reply
        .header("Tus-Max-Size")
        .expect("Tus-Max-Size")
        .parse()
        .unwrap();
    assert_eq!(max, MAX_UPLOAD);
    assert_eq!(reply.header("Tus-Checksum-Algorithm"), Some("sha256"));
}

#[tokio::test]
async fn a_chunked_upload_lands_in_every_recipients_mailbox_and_nowhere_else() {
    let relay = relay().await;
    let bytes = pattern(30);
    let before = OffsetDateTime::now_utc().unix_timestamp();
    let reply = relay.create(PARTNER, 30, &[IMO_A, IMO_B]).await;
    reply.assert_status(StatusCode::CREATED);
    let id = reply
        .header("Location")
        .and_then(|l| l.strip_prefix("/v1/uploads/"))
        .expect("a Location")
        .to_owned();
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );

    // The expiry is the roster's retention from creation, and Upload-Expires says so.
    let (created, expires): (i64, i64) = relay
        .db()
        .query_row(
            "SELECT created_at, expires_at FROM uploads WHERE id = ?1",
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert!(created >= before && created <= OffsetDateTime::now_utc().unix_timestamp());
    assert_eq!(expires - created, i64::from(RETENTION_DAYS) * 86_400);
    assert_eq!(
        reply.header("Upload-Expires"),
        Some(http_date(unix(expires)).as_str())
    );
    assert_eq!(
        relay.blob_files(),
        BTreeSet::from([format!("{id}.partial")])
    );

    let head = relay.head(PARTNER, &id).await;
    head.assert_status(StatusCode::OK);
    assert_eq!(head.header("Upload-Offset"), Some("0"));
    assert_eq!(head.header("Upload-Length"), Some("30"));
    assert_eq!(head.header("Cache-Control"), Some("no-store"));

    relay.patch_ok(PARTNER, &id, 0, &bytes[..10]).await;
    relay.patch_ok(PARTNER, &id, 10, &bytes[10..25]).await;
    assert_eq!(relay.offset(PARTNER, &id).await, 25);
    assert_eq!(file_len(&relay.partial(&id)), 25);
    // Incomplete: in nobody's mailbox and downloadable by nobody, not even the uploader.
    for seed in [IMO_A, IMO_B, PARTNER] {
        assert!(relay.mailbox(seed).await.is_empty());
        relay
            .download(seed, &id, None)
            .await
            .assert_refused(StatusCode::NOT_FOUND, "not-found");
    }

    let before_completion = OffsetDateTime::now_utc().unix_timestamp();
    relay.patch_ok(PARTNER, &id, 25, &bytes[25..]).await;
    let after_completion = OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(relay.blob_files(), BTreeSet::from([id.clone()]));
    assert_eq!(std::fs::read(relay.blob(&id)).unwrap(), bytes);
    assert_eq!(relay.offset(PARTNER, &id).await, 30);

    for seed in [IMO_A, IMO_B] {
        let items = relay.mailbox(seed).await;
        assert_eq!(items.len(), 1, "{items:?}");
        let item = &items[0];
        assert_eq!(item.as_object().unwrap().len(), 5, "{item}");
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["size"], 30);
        assert_eq!(item["from"], mid(PARTNER).to_string());
        let received = rfc3339(&item["received_at"]).unix_timestamp();
        assert!(
            (before_completion..=after_completion).contains(&received),
            "{item}"
        );
        assert_eq!(rfc3339(&item["expires_at"]), unix(expires));
        assert_eq!(
            rfc3339(&item["expires_at"]) - unix(created),
            Duration::days(RETENTION_DAYS.into())
        );
    }
    // Neither the uploader nor anyone else not addressed gets it in a mailbox.
    for seed in [OTHER, PARTNER, COORD] {
        assert!(relay.mailbox(seed).await.is_empty(), "member {seed}");
    }

    for seed in [IMO_A, IMO_B, PARTNER] {
        let reply = relay.download(seed, &id, None).await;
        reply.assert_status(StatusCode::OK);
        assert_eq!(reply.body, bytes, "member {seed}");
        assert_eq!(reply.header("Content-Length"), Some("30"));
        assert_eq!(reply.header("Accept-Ranges"), Some("bytes"));
        assert_eq!(reply.header("Content-Range"), None);
    }

    // A member not addressed learns nothing: the same answer as for an id nobody created.
    let denied = relay.download(OTHER, &id, None).await;
    denied.assert_refused(StatusCode::NOT_FOUND, "not-found");
    let missing = relay.download(OTHER, &random_id(), None).await;
    assert_eq!(denied.status, missing.status);
    assert_eq!(denied.body, missing.body);
    assert_eq!(
        denied.header("Content-Type"),
        missing.header("Content-Type")
    );
}

#[tokio::test]
async fn ranged_downloads_serve_exactly_the_asked_bytes() {
    let relay = relay().await;
    let bytes = pattern(30);
    let id = relay.upload(PARTNER, &[IMO_A], &bytes).await;

    let tail = relay.download(IMO_A, &id, Some("bytes=10-")).await;
    tail.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.header("Content-Range"), Some("bytes 10-29/30"));
    assert_eq!(tail.header("Content-Length"), Some("20"));
    assert_eq!(tail.body, bytes[10..]);

    let middle = relay.download(IMO_A, &id, Some("bytes=5-9")).await;
    middle.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(middle.header("Content-Range"), Some("bytes 5-9/30"));
    assert_eq!(middle.body, bytes[5..10]);
    assert_eq!(middle.body.len(), 5);

    // The last byte alone, and an end past the blob cut back to its end.
    let last = relay.download(IMO_A, &id, Some("bytes=29-29")).await;
    last.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(last.body, bytes[29..]);
    let clamped = relay.download(IMO_A, &id, Some("bytes=20-999")).await;
    clamped.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(clamped.header("Content-Range"), Some("bytes 20-29/30"));
    assert_eq!(clamped.body, bytes[20..]);

    for unsatisfiable in ["bytes=999999-", "bytes=30-", "bytes=9-5", "bytes=abc"] {
        relay
            .download(IMO_A, &id, Some(unsatisfiable))
            .await
            .assert_refused(StatusCode::RANGE_NOT_SATISFIABLE, "bad-range");
    }
}

#[tokio::test]
async fn a_wrong_offset_or_checksum_changes_nothing() {
    let relay = relay().await;
    let bytes = pattern(20);
    let id = relay.create_ok(PARTNER, 20, &[IMO_A]).await;
    relay.patch_ok(PARTNER, &id, 0, &bytes[..8]).await;

    // Behind, ahead, and from the start again: all refused, nothing written.
    for wrong in [0, 7, 9, 20] {
        relay
            .patch(PARTNER, &id, wrong, &bytes[wrong as usize..])
            .await
            .assert_refused(StatusCode::CONFLICT, "offset-mismatch");
        assert_eq!(relay.offset(PARTNER, &id).await, 8);
        assert_eq!(file_len(&relay.partial(&id)), 8);
    }

    // A digest of other bytes: 460, and the partial file is cut back to where it was.
    let chunk = &bytes[8..14];
    let wrong_digest = relay
        .send(
            relay
                .patch_request(PARTNER, &id, 8)
                .header(
                    "Upload-Checksum",
                    format!("sha256 {}", sha256_b64(b"other")),
                )
                .body(Body::from(chunk.to_vec()))
                .unwrap(),
        )
        .await;
    assert_eq!(wrong_digest.status.as_u16(), 460);
    assert_eq!(wrong_digest.error_code(), "checksum-mismatch");
    assert_eq!(relay.offset(PARTNER, &id).await, 8);
    assert_eq!(file_len(&relay.partial(&id)), 8);

    // Another algorithm is refused outright.
    relay
        .send(
            relay
                .patch_request(PARTNER, &id, 8)
                .header(
                    "Upload-Checksum",
                    format!("md5 {}", BASE64.encode(&[0; 16])),
                )
                .body(Body::from(chunk.to_vec()))
                .unwrap(),
        )
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "checksum-algorithm");
    assert_eq!(relay.offset(PARTNER, &id).await, 8);

    // The right digest is accepted.
    let right = relay
        .send(
            relay
                .patch_request(PARTNER, &id, 8)
                .header("Upload-Checksum", format!("sha256 {}", sha256_b64(chunk)))
                .body(Body::from(chunk.to_vec()))
                .unwrap(),
        )
        .await;
    right.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(right.header("Upload-Offset"), Some("14"));
    assert_eq!(relay.offset(PARTNER, &id).await, 14);

    relay.patch_ok(PARTNER, &id, 14, &bytes[14..]).await;
    assert_eq!(std::fs::read(relay.blob(&id)).unwrap(), bytes);
    // Complete: no offset is right any more.
    relay
        .patch(PARTNER, &id, 20, b"")
        .await
        .assert_refused(StatusCode::CONFLICT, "offset-mismatch");
}

#[tokio::test]
async fn malformed_requests_are_refused_without_a_trace() {
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;

    // A body past Upload-Length, from the start and from part-way.
    relay
        .patch(PARTNER, &id, 0, &pattern(11))
        .await
        .assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "past-length");
    assert_eq!(relay.offset(PARTNER, &id).await, 0);
    assert_eq!(file_len(&relay.partial(&id)), 0);
    relay.patch_ok(PARTNER, &id, 0, &pattern(4)).await;
    relay
        .patch(PARTNER, &id, 4, &pattern(7))
        .await
        .assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "past-length");
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    assert_eq!(file_len(&relay.partial(&id)), 4);
    // Past the length in a later piece of the body: what the earlier pieces wrote goes too.
    let mut streaming = relay.start_patch(PARTNER, &id, 4);
    streaming.send(&pattern(3), &relay.partial(&id), 7).await;
    streaming
        .finish(&pattern(5))
        .await
        .assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "past-length");
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    assert_eq!(file_len(&relay.partial(&id)), 4);

    // PATCH without Tus-Resumable, or with another version.
    for version in [None, Some("0.2.2")] {
        let mut request = relay
            .request(Method::PATCH, &format!("/v1/uploads/{id}"), Some(PARTNER))
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .header("Upload-Offset", "4");
        if let Some(version) = version {
            request = request.header("Tus-Resumable", version);
        }
        relay
            .send(request.body(Body::from(pattern(2))).unwrap())
            .await
            .assert_refused(StatusCode::PRECONDITION_FAILED, "tus-version");
    }
    // PATCH with another Content-Type, or none.
    for content_type in [Some("application/octet-stream"), None] {
        let mut request = relay
            .request(Method::PATCH, &format!("/v1/uploads/{id}"), Some(PARTNER))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "4");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        relay
            .send(request.body(Body::from(pattern(2))).unwrap())
            .await
            .assert_refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content-type");
    }
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    assert_eq!(file_len(&relay.partial(&id)), 4);

    // Creation refusals: each leaves no row and no file.
    let to = BASE64.encode(mid(IMO_A).to_string().as_bytes());
    let create = |headers: Vec<(&'static str, String)>| {
        let mut request = relay.request(Method::POST, "/v1/uploads", Some(PARTNER));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(Body::empty()).unwrap()
    };
    let tus = || ("Tus-Resumable", "1.0.0".to_owned());
    let length = |n: u64| ("Upload-Length", n.to_string());
    let metadata = |value: String| ("Upload-Metadata", value);
    let cases = [
        (
            vec![length(10), metadata(format!("to {to}"))],
            StatusCode::PRECONDITION_FAILED,
            "tus-version",
        ),
        (
            vec![tus(), length(MAX_UPLOAD + 1), metadata(format!("to {to}"))],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            vec![tus(), metadata(format!("to {to}"))],
            StatusCode::BAD_REQUEST,
            "bad-length",
        ),
        (
            vec![tus(), length(10)],
            StatusCode::BAD_REQUEST,
            "bad-metadata",
        ),
        (
            vec![
                tus(),
                length(10),
                metadata(format!(
                    "to {to},filename {}",
                    BASE64.encode(b"report.xlsx")
                )),
            ],
            StatusCode::BAD_REQUEST,
            "bad-metadata",
        ),
        (
            vec![
                tus(),
                length(10),
                metadata(format!("filename {}", BASE64.encode(b"report.xlsx"))),
            ],
            StatusCode::BAD_REQUEST,
            "bad-metadata",
        ),
        (
            vec![tus(), length(10), metadata("to not-base64!".into())],
            StatusCode::BAD_REQUEST,
            "bad-metadata",
        ),
        (
            vec![
                tus(),
                length(10),
                metadata(format!("to {}", BASE64.encode(b"alice,bob"))),
            ],
            StatusCode::BAD_REQUEST,
            "bad-metadata",
        ),
    ];
    let files = relay.blob_files();
    for (headers, status, code) in cases {
        let shown = format!("{headers:?}");
        let reply = relay.send(create(headers)).await;
        assert_eq!(reply.status, status, "{shown}");
        assert_eq!(reply.error_code(), code, "{shown}");
    }
    // A recipient who is removed, or in no roster at all, alone or beside a good one.
    for to in [&[GONE][..], &[STRANGER], &[IMO_A, GONE], &[STRANGER, IMO_B]] {
        relay
            .create(PARTNER, 10, to)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "bad-recipient");
    }
    assert_eq!(relay.blob_files(), files);
    let uploads: i64 = relay
        .db()
        .query_row("SELECT COUNT(*) FROM uploads", [], |row| row.get(0))
        .unwrap();
    assert_eq!(uploads, 1);

    // The boundary: exactly the largest size is accepted.
    relay.create_ok(PARTNER, MAX_UPLOAD, &[IMO_A]).await;
}

#[tokio::test]
async fn someone_elses_upload_is_not_found_and_no_token_is_unauthorized() {
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    relay.patch_ok(PARTNER, &id, 0, &pattern(4)).await;
    let nobody = random_id();

    // HEAD answers have no body: the status is all there is, and it is the same.
    for seed in [IMO_A, OTHER, COORD] {
        relay
            .head(seed, &id)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    relay
        .head(OTHER, &nobody)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // PATCH and DELETE: the same refusal, byte for byte, as for an id nobody created.
    for seed in [IMO_A, OTHER] {
        let foreign = relay.patch(seed, &id, 4, &pattern(2)).await;
        let missing = relay.patch(seed, &nobody, 4, &pattern(2)).await;
        foreign.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(foreign.error_code(), missing.error_code());
        assert_eq!(foreign.body, missing.body);
        assert_eq!(foreign.status, missing.status);

        for uri in [format!("/v1/uploads/{id}"), format!("/v1/blobs/{id}")] {
            let foreign = relay.delete(seed, &uri).await;
            let missing = relay.delete(seed, &uri.replace(&id, &nobody)).await;
            foreign.assert_status(StatusCode::NOT_FOUND);
            assert_eq!(foreign.body, missing.body, "{uri}");
        }
    }
    // Nothing they did touched it.
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    assert_eq!(file_len(&relay.partial(&id)), 4);
    assert_eq!(relay.rows("uploads", "id", &id), 1);

    // Without a token (or with a made-up one) every upload and mailbox route refuses alike.
    let blob = relay.upload(PARTNER, &[IMO_A], &pattern(3)).await;
    let routes = [
        (Method::POST, "/v1/uploads".to_owned()),
        (Method::HEAD, format!("/v1/uploads/{id}")),
        (Method::PATCH, format!("/v1/uploads/{id}")),
        (Method::DELETE, format!("/v1/uploads/{id}")),
        (Method::GET, "/v1/mailbox".to_owned()),
        (Method::GET, format!("/v1/blobs/{blob}")),
        (Method::DELETE, format!("/v1/blobs/{blob}")),
        (Method::POST, format!("/v1/mailbox/{blob}/ack")),
    ];
    for (method, uri) in routes {
        for authorization in [
            None,
            Some("Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ] {
            let mut request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header("Tus-Resumable", "1.0.0")
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .header("Upload-Offset", "4")
                .header("Upload-Length", "10")
                .header(
                    "Upload-Metadata",
                    format!("to {}", BASE64.encode(mid(IMO_A).to_string().as_bytes())),
                );
            if let Some(value) = authorization {
                request = request.header(header::AUTHORIZATION, value);
            }
            let reply = relay
                .send(request.body(Body::from(pattern(2))).unwrap())
                .await;
            if method == Method::HEAD {
                reply.assert_status(StatusCode::UNAUTHORIZED);
            } else {
                reply.assert_refused(StatusCode::UNAUTHORIZED, "unauthorized");
            }
        }
    }
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    assert_eq!(relay.mailbox_ids(IMO_A).await, [blob.as_str()]);
    assert!(relay.blob(&blob).exists());
}

#[tokio::test]
async fn the_uploader_terminates_uploads_and_deletes_blobs() {
    let relay = relay().await;

    // An unfinished upload.
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    relay.patch_ok(PARTNER, &id, 0, &pattern(4)).await;
    assert!(relay.partial(&id).exists());
    let reply = relay.delete(PARTNER, &format!("/v1/uploads/{id}")).await;
    reply.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(reply.header("Tus-Resumable"), Some("1.0.0"));
    assert!(!relay.partial(&id).exists());
    assert!(relay.blob_files().is_empty());
    assert_eq!(relay.rows("uploads", "id", &id), 0);
    relay
        .head(PARTNER, &id)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    relay
        .patch(PARTNER, &id, 4, &pattern(2))
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-such-upload");
    relay
        .delete(PARTNER, &format!("/v1/uploads/{id}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // A complete blob with two recipients: a recipient cannot delete it.
    let bytes = pattern(12);
    let blob = relay.upload(PARTNER, &[IMO_A, IMO_B], &bytes).await;
    relay
        .delete(IMO_A, &format!("/v1/blobs/{blob}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert!(relay.blob(&blob).exists());
    assert_eq!(relay.mailbox_ids(IMO_A).await, [blob.as_str()]);
    assert_eq!(relay.mailbox_ids(IMO_B).await, [blob.as_str()]);

    // The uploader can: the file goes, and so does every mailbox entry.
    relay
        .delete(PARTNER, &format!("/v1/blobs/{blob}"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(!relay.blob(&blob).exists());
    assert!(relay.blob_files().is_empty());
    for seed in [IMO_A, IMO_B] {
        assert!(relay.mailbox(seed).await.is_empty());
        relay
            .download(seed, &blob, None)
            .await
            .assert_refused(StatusCode::NOT_FOUND, "not-found");
        relay
            .ack(seed, &blob)
            .await
            .assert_refused(StatusCode::NOT_FOUND, "not-found");
    }
    relay
        .download(PARTNER, &blob, None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(relay.rows("uploads", "id", &blob), 0);
    assert_eq!(relay.rows("mailbox", "blob_id", &blob), 0);
}

#[tokio::test]
async fn a_blob_goes_when_its_last_recipient_acknowledges_it() {
    let relay = relay().await;
    let bytes = pattern(16);
    let id = relay.upload(PARTNER, &[IMO_A, IMO_B], &bytes).await;
    // Another blob to IMO A, which no acknowledgement here may touch.
    let kept = relay.upload(OTHER, &[IMO_A], &pattern(5)).await;

    // Only an addressee can acknowledge: not the uploader, not a bystander.
    for seed in [PARTNER, OTHER, COORD] {
        relay
            .ack(seed, &id)
            .await
            .assert_refused(StatusCode::NOT_FOUND, "not-found");
    }
    relay
        .ack(IMO_A, "not-an-id")
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(relay.rows("mailbox", "blob_id", &id), 2);

    relay
        .ack(IMO_A, &id)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(relay.mailbox_ids(IMO_A).await, [kept.as_str()]);
    relay
        .download(IMO_A, &id, None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    relay
        .ack(IMO_A, &id)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    // The other recipient still has it, whole.
    assert_eq!(relay.mailbox_ids(IMO_B).await, [id.as_str()]);
    assert_eq!(relay.download(IMO_B, &id, None).await.body, bytes);
    assert!(relay.blob(&id).exists());
    assert_eq!(relay.rows("uploads", "id", &id), 1);

    relay
        .ack(IMO_B, &id)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(relay.mailbox(IMO_B).await.is_empty());
    assert!(!relay.blob(&id).exists());
    assert_eq!(relay.rows("uploads", "id", &id), 0);
    assert_eq!(relay.rows("mailbox", "blob_id", &id), 0);
    relay
        .ack(IMO_B, &id)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");
    relay
        .download(PARTNER, &id, None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, "not-found");

    // The other blob is untouched.
    assert_eq!(relay.blob_files(), BTreeSet::from([kept.clone()]));
    assert_eq!(relay.mailbox_ids(IMO_A).await, [kept.as_str()]);
}

#[tokio::test]
async fn a_zero_length_upload_completes_at_creation() {
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 0, &[IMO_A, IMO_B]).await;
    assert_eq!(relay.blob_files(), BTreeSet::from([id.clone()]));
    assert_eq!(file_len(&relay.blob(&id)), 0);
    let head = relay.head(PARTNER, &id).await;
    head.assert_status(StatusCode::OK);
    assert_eq!(head.header("Upload-Offset"), Some("0"));
    assert_eq!(head.header("Upload-Length"), Some("0"));

    for seed in [IMO_A, IMO_B] {
        let items = relay.mailbox(seed).await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["id"], id.as_str());
        assert_eq!(items[0]["size"], 0);
        assert_eq!(items[0]["from"], mid(PARTNER).to_string());
        let reply = relay.download(seed, &id, None).await;
        reply.assert_status(StatusCode::OK);
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("Content-Length"), Some("0"));
        // No byte of an empty blob can be asked for.
        relay
            .download(seed, &id, Some("bytes=0-"))
            .await
            .assert_refused(StatusCode::RANGE_NOT_SATISFIABLE, "bad-range");
    }
    assert!(relay.mailbox(OTHER).await.is_empty());
    // Already complete: a PATCH at offset 0 is refused.
    relay
        .patch(PARTNER, &id, 0, b"")
        .await
        .assert_refused(StatusCode::CONFLICT, "offset-mismatch");
}

#[tokio::test]
async fn bytes_written_past_the_recorded_offset_are_dropped() {
    let relay = relay().await;
    let intended = b"hello, world".to_vec();
    let id = relay.create_ok(PARTNER, 12, &[IMO_A]).await;
    relay.patch_ok(PARTNER, &id, 0, &intended[..5]).await;

    // A PATCH that crashed after writing but before recording its offset.
    let mut partial = std::fs::OpenOptions::new()
        .append(true)
        .open(relay.partial(&id))
        .unwrap();
    std::io::Write::write_all(&mut partial, b"STALE BYTES NEVER ACKNOWLEDGED").unwrap();
    drop(partial);
    assert_eq!(file_len(&relay.partial(&id)), 35);
    // The database, not the file, says how far the upload got.
    assert_eq!(relay.offset(PARTNER, &id).await, 5);

    // Resuming from the recorded offset in two steps: the stale tail is cut at the first.
    relay.patch_ok(PARTNER, &id, 5, &intended[5..8]).await;
    assert_eq!(
        std::fs::read(relay.partial(&id)).unwrap(),
        intended[..8].to_vec()
    );
    relay.patch_ok(PARTNER, &id, 8, &intended[8..]).await;
    assert_eq!(std::fs::read(relay.blob(&id)).unwrap(), intended);
    assert_eq!(relay.download(IMO_A, &id, None).await.body, intended);
    assert_eq!(relay.blob_files(), BTreeSet::from([id]));
}

#[tokio::test]
async fn a_second_patch_waits_for_the_first() {
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;

    // A PATCH whose body is still arriving.
    let mut first = relay.start_patch(PARTNER, &id, 0);
    first.send(b"abc", &relay.partial(&id), 3).await;

    relay
        .patch(PARTNER, &id, 0, b"xyz")
        .await
        .assert_refused(StatusCode::LOCKED, "upload-busy");
    relay
        .patch(PARTNER, &id, 3, b"xyz")
        .await
        .assert_refused(StatusCode::LOCKED, "upload-busy");

    let reply = first.finish(b"de").await;
    reply.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(reply.header("Upload-Offset"), Some("5"));
    assert_eq!(relay.offset(PARTNER, &id).await, 5);

    // Released: the upload continues and completes.
    relay.patch_ok(PARTNER, &id, 5, b"fghij").await;
    assert_eq!(std::fs::read(relay.blob(&id)).unwrap(), b"abcdefghij");
    assert_eq!(relay.mailbox_ids(IMO_A).await, [id.as_str()]);
}

#[tokio::test]
async fn a_patch_whose_body_goes_silent_ends_and_keeps_what_arrived() {
    // A link that dies without a reset: the body neither ends nor errors. Without a bound the
    // PATCH would hold the upload busy until TCP gave up, minutes later, against the client's
    // resumed PATCH on a new connection.
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    let mut stalled = relay.start_patch(PARTNER, &id, 0);
    stalled.send(b"abcd", &relay.partial(&id), 4).await;
    // From here the clock runs only when every task waits: the relay's 60-second silence
    // passes at once.
    tokio::time::pause();
    let answer = tokio::time::timeout(StdDuration::from_secs(120), stalled.response)
        .await
        .expect("a silent body ends the PATCH within two minutes");
    let reply = Reply::of(answer.unwrap()).await;
    reply.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(reply.header("Upload-Offset"), Some("4"));
    drop(stalled.writer);
    // The upload is free again and resumes from what arrived.
    tokio::time::resume();
    assert_eq!(relay.offset(PARTNER, &id).await, 4);
    relay.patch_ok(PARTNER, &id, 4, b"efghij").await;
    assert_eq!(std::fs::read(relay.blob(&id)).unwrap(), b"abcdefghij");
}

#[tokio::test]
async fn a_long_patch_records_its_progress_so_a_crash_keeps_most_of_it() {
    let relay = relay().await;
    let total: usize = 6 << 20;
    let bytes = pattern(total);
    let id = relay.create_ok(PARTNER, total as u64, &[IMO_A]).await;
    let mut long = relay.start_patch(PARTNER, &id, 0);
    long.send(&bytes[..5 << 20], &relay.partial(&id), 5 << 20)
        .await;
    // While the body is still arriving, the relay has recorded the first 4 MiB and more.
    let recorded = relay.offset(PARTNER, &id).await;
    assert!(
        ((4 << 20)..(5 << 20)).contains(&recorded),
        "recorded {recorded} of the 5 MiB received so far"
    );
    // The relay stops mid-body (its handler is gone, as in a crash): what was recorded stays,
    // and the upload resumes from there.
    long.response.abort();
    drop(long.writer);
    let resumed = relay.offset(PARTNER, &id).await;
    assert_eq!(resumed, recorded);
    relay
        .patch_ok(PARTNER, &id, resumed, &bytes[resumed as usize..])
        .await;
    assert!(std::fs::read(relay.blob(&id)).unwrap() == bytes);
}

#[tokio::test]
async fn a_chunk_larger_than_any_json_body_streams_through() {
    // The router's body limit (sized for roster envelopes) must not apply to PATCH bodies.
    let relay = relay().await;
    let bytes = pattern(sealpost_relay::roster::MAX_BODY + (1 << 20));
    let id = relay.upload(PARTNER, &[IMO_A], &bytes).await;
    assert_eq!(file_len(&relay.blob(&id)), bytes.len() as u64);
    let reply = relay.download(IMO_A, &id, None).await;
    reply.assert_status(StatusCode::OK);
    assert!(reply.body == bytes, "the blob came back different");
}

/// Sets what the database records for an upload, as a relay that stopped at that point left it.
fn record(relay: &Relay, id: &str, column: &str, value: i64) {
    relay
        .db()
        .execute(
            &format!("UPDATE uploads SET {column} = ?1 WHERE id = ?2"),
            params![value, id],
        )
        .unwrap();
}

#[tokio::test]
async fn an_upload_whose_relay_stopped_before_completing_is_completed_on_resume() {
    let relay = relay().await;
    let bytes = b"hello, world".to_vec();

    // Stopped after recording the last offset, before completing: the file is still partial.
    let id = relay.create_ok(PARTNER, 12, &[IMO_A]).await;
    relay.patch_ok(PARTNER, &id, 0, &bytes[..5]).await;
    let mut partial = std::fs::OpenOptions::new()
        .append(true)
        .open(relay.partial(&id))
        .unwrap();
    std::io::Write::write_all(&mut partial, &bytes[5..]).unwrap();
    drop(partial);
    record(&relay, &id, "offset", 12);
    assert!(relay.mailbox_ids(IMO_A).await.is_empty());
    // The client's HEAD finds it complete, and the recipient has it.
    assert_eq!(relay.offset(PARTNER, &id).await, 12);
    assert_eq!(relay.mailbox_ids(IMO_A).await, [id.as_str()]);
    assert_eq!(relay.download(IMO_A, &id, None).await.body, bytes);

    // Stopped after the rename, before the transaction: the file has its final name already.
    let id = relay.create_ok(PARTNER, 12, &[IMO_B]).await;
    std::fs::write(relay.partial(&id), &bytes).unwrap();
    record(&relay, &id, "offset", 12);
    std::fs::rename(relay.partial(&id), relay.blob(&id)).unwrap();
    assert_eq!(relay.offset(PARTNER, &id).await, 12);
    assert_eq!(relay.mailbox_ids(IMO_B).await, [id.as_str()]);
    assert_eq!(relay.download(IMO_B, &id, None).await.body, bytes);
}

#[tokio::test]
async fn expired_blobs_are_swept_with_their_rows_and_files() {
    let relay = relay().await;
    let kept = relay.upload(PARTNER, &[IMO_A], b"still valid").await;
    let expired = relay
        .upload(PARTNER, &[IMO_A, IMO_B], b"past its time")
        .await;
    let unfinished = relay.create_ok(PARTNER, 100, &[IMO_A]).await;
    let past = OffsetDateTime::now_utc().unix_timestamp() - 1;
    record(&relay, &expired, "expires_at", past);
    record(&relay, &unfinished, "expires_at", past);

    // The sweep the relay runs periodically, over the same data directory.
    let store = Store::open(&relay.dir.path().join("relay.sqlite")).unwrap();
    let swept = sealpost_relay::tus::sweep_expired(&AppState::new(store, None))
        .await
        .unwrap();
    assert_eq!(swept, 2);
    for id in [&expired, &unfinished] {
        assert_eq!(relay.rows("uploads", "id", id), 0);
        assert_eq!(relay.rows("mailbox", "blob_id", id), 0);
    }
    assert_eq!(relay.blob_files(), BTreeSet::from([kept.clone()]));
    assert_eq!(relay.mailbox_ids(IMO_A).await, [kept.as_str()]);
}

#[tokio::test]
async fn the_sweep_deletes_old_files_no_upload_names_and_nothing_else() {
    let relay = relay().await;
    let kept = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    relay
        .patch(PARTNER, &kept, 0, b"0123456789")
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let unfinished = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    let blobs = relay.dir.path().join("blobs");
    // Files a crash left without rows: one old enough to sweep, one that may belong to a
    // creation in progress (its row not written yet).
    let two_hours_ago = std::time::SystemTime::now() - StdDuration::from_secs(7200);
    for name in [format!("{}.partial", random_id()), random_id()] {
        let file = std::fs::File::create(blobs.join(&name)).unwrap();
        file.set_modified(two_hours_ago).unwrap();
    }
    let fresh = format!("{}.partial", random_id());
    std::fs::File::create(blobs.join(&fresh)).unwrap();
    // The uploads' own files are old too: age never removes a file that has a row.
    for name in [kept.clone(), format!("{unfinished}.partial")] {
        let file = std::fs::File::options()
            .write(true)
            .open(blobs.join(&name))
            .unwrap();
        file.set_modified(two_hours_ago).unwrap();
    }

    let store = Store::open(&relay.dir.path().join("relay.sqlite")).unwrap();
    let swept = sealpost_relay::tus::sweep_expired(&AppState::new(store, None))
        .await
        .unwrap();
    assert_eq!(swept, 0, "nothing expired");
    assert_eq!(
        relay.blob_files(),
        BTreeSet::from([kept.clone(), format!("{unfinished}.partial"), fresh])
    );
}

#[tokio::test]
async fn a_busy_upload_is_still_not_found_for_someone_else() {
    let relay = relay().await;
    let id = relay.create_ok(PARTNER, 10, &[IMO_A]).await;
    let mut first = relay.start_patch(PARTNER, &id, 0);
    first.send(b"abc", &relay.partial(&id), 3).await;
    // While the uploader writes, another member learns nothing more than "not found".
    relay
        .patch(OTHER, &id, 0, b"xyz")
        .await
        .assert_refused(StatusCode::NOT_FOUND, "no-such-upload");
    first
        .finish(b"de")
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_member_over_quota_gets_507_until_space_is_freed() {
    let relay = relay_with(|state| state.quota_bytes = 100).await;
    let first = relay.upload(PARTNER, &[IMO_A], &pattern(60)).await;
    relay.create_ok(PARTNER, 40, &[IMO_A]).await;
    // 60 + 40 held: one more byte is over the quota, for this member only.
    relay
        .create(PARTNER, 1, &[IMO_A])
        .await
        .assert_refused(StatusCode::INSUFFICIENT_STORAGE, "quota-exceeded");
    relay.create_ok(OTHER, 100, &[IMO_A]).await;
    // Once the recipient has collected the first blob, there is room again.
    relay
        .ack(IMO_A, &first)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    relay.create_ok(PARTNER, 60, &[IMO_A]).await;
}
