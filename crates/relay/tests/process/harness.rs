//! The real relay binary as a child process, a small blocking client for its API, and a look at
//! what it leaves in its data directory.

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use data_encoding::{BASE64, HEXLOWER};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use rusqlite::{Connection, OpenFlags};
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse};
use sealpost_format::roster::{MemberStatus, Role, SignedRoster};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{first_roster, key, member, mid, pk};

/// The coordinator: signs the roster, and receives like the IMOs.
pub const COORD: u8 = 1;
/// Information-management officers: they receive what partners send.
pub const IMOS: [u8; 3] = [2, 3, 4];
/// Partners: they upload.
pub const PARTNERS: [u8; 3] = [5, 6, 7];

// ---------------------------------------------------------------------------------------------
// The process.
// ---------------------------------------------------------------------------------------------

/// A `sealpost-relay serve` child on a loopback port; killed when dropped. Its stderr goes to
/// `relay.log` beside the data directory (never inside it: on a full disk the log must still
/// be written, and must not take the space the test measures), and is printed if a test fails.
#[derive(Debug)]
pub struct RelayProcess {
    /// `None` between `kill_9` and `restart`.
    child: Option<Child>,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    extra: Vec<String>,
}

impl RelayProcess {
    /// Starts the relay on `data` (created if needed) with `extra` arguments, and waits until it
    /// accepts connections.
    pub fn start(data: &Path, extra: &[&str]) -> Self {
        // A free port: bound by the OS, released, then given to the relay (and kept for
        // restarts, so clients need not learn a new address).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut relay = Self {
            child: None,
            data: data.to_owned(),
            log: data.with_file_name("relay.log"),
            port,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        relay.spawn();
        relay
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The data directory.
    pub fn data(&self) -> &Path {
        &self.data
    }

    fn spawn(&mut self) {
        // Appended to, so the log of every run of the relay is kept.
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the log file opens");
        let child = Command::new(env!("CARGO_BIN_EXE_sealpost-relay"))
            .arg("serve")
            .arg("--data")
            .arg(&self.data)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--coordinator-key", &pk(COORD).to_string()])
            // These tests are about crashes and full disks, not rate limits: fifty uploads at
            // once from three partners are far past a person's allowance.
            .args(["--rate-per-second", "1000000", "--rate-burst", "1000000"])
            .args(&self.extra)
            .env("SEALPOST_RELAY_LOG", "info")
            // A log file, not a terminal: no colour codes in it.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the relay starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let child = self.child.as_mut().expect("just spawned");
            if let Some(status) = child.try_wait().expect("the child can be polled") {
                panic!(
                    "the relay exited ({status}) before listening:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the relay did not listen within 30 s:\n{}",
                self.log_tail()
            );
            sleep(Duration::from_millis(20));
        }
    }

    /// Kills the relay with SIGKILL (`Child::kill` on Unix): no handler runs, nothing is flushed
    /// or closed cleanly, exactly like a crash or the OOM killer.
    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("the relay is running");
        child.kill().expect("SIGKILL is sent");
        let status = child.wait().expect("the relay is reaped");
        // Had it died already (a panic, an exit), the test would be about something else.
        assert_eq!(
            status.signal(),
            Some(9),
            "the relay ended by itself ({status}) before it was killed:\n{}",
            self.log_tail()
        );
    }

    /// Starts the relay again on the same data directory and port (killing it first if it runs).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.kill_9();
        }
        self.spawn();
    }

    /// Everything the relay wrote to stderr, over every run.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "--- the relay's log ({}), last lines ---\n{}",
                self.log.display(),
                self.log_tail()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Test data.
// ---------------------------------------------------------------------------------------------

/// splitmix64: small, fast even in a debug build, and a different stream for every seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low)
    }
}

/// A random seed for this run, or `SEALPOST_TEST_SEED` to repeat one; printed, so a failure
/// says how to reproduce it.
pub fn run_seed(test: &str) -> u64 {
    let seed = std::env::var("SEALPOST_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            getrandom::getrandom(&mut bytes).expect("OS randomness");
            u64::from_le_bytes(bytes)
        });
    eprintln!("{test}: seed {seed} (SEALPOST_TEST_SEED={seed} repeats this run)");
    seed
}

/// `len` pseudo-random bytes, distinct for every seed (so a blob served under the wrong id, or
/// spliced from two uploads, cannot hash right).
pub fn blob(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// SHA-256 in hex, for readable assertion messages.
pub fn sha256(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// Polls `done` until it holds; panics with `what` after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(2));
    }
}

// ---------------------------------------------------------------------------------------------
// The client.
// ---------------------------------------------------------------------------------------------

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    fn of(response: reqwest::blocking::Response) -> reqwest::Result<Self> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes()?.to_vec();
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    /// A header, if present and ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Upload-Offset`, which must be there.
    #[track_caller]
    pub fn offset(&self) -> u64 {
        self.header("Upload-Offset")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Upload-Offset in {self:?}"))
    }

    /// Asserts the status.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// Asserts a refusal: this status, and a body that is exactly
    /// `{"error":{"code":code,"message":"…"}}`.
    #[track_caller]
    pub fn assert_refused(&self, status: StatusCode, code: &str) {
        self.assert_status(status);
        let body: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{status}: the body is not JSON ({e})"));
        let error = &body["error"];
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        assert_eq!(error.as_object().map(|o| o.len()), Some(2), "{body}");
        assert_eq!(error["code"], code, "{body}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

/// One relay, seen by its members: their bearer tokens and a blocking HTTP client.
#[derive(Debug)]
pub struct Api {
    http: Client,
    url: String,
    tokens: HashMap<u8, String>,
}

impl Api {
    /// Publishes the first roster (signed by the coordinator) to the relay at `url` and logs
    /// every member in. Tokens live in the relay's database, so they survive its restarts.
    pub fn setup(url: &str) -> Self {
        let http = Client::builder()
            // A hung relay fails the test instead of hanging it.
            .timeout(Duration::from_secs(60))
            // No pooled connections: after a kill -9 every one of them would be dead, and the
            // next request on it would fail for a reason that has nothing to do with the relay.
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        let mut api = Self {
            http,
            url: url.to_owned(),
            tokens: HashMap::new(),
        };
        let reply = Reply::of(
            api.http
                .put(format!("{url}/v1/roster"))
                .header("Content-Type", "application/json")
                .body(roster().to_json())
                .send()
                .expect("the relay answers"),
        )
        .expect("a body");
        reply.assert_status(StatusCode::OK);
        for seed in [COORD].into_iter().chain(IMOS).chain(PARTNERS) {
            let token = api.login(seed);
            api.tokens.insert(seed, token);
        }
        api
    }

    /// Every bearer token the members hold.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.values().map(String::as_str)
    }

    /// Logs `seed` in (challenge, signature) and returns a fresh bearer token.
    pub fn login(&self, seed: u8) -> String {
        let reply = self.send(self.http.get(self.at("/v1/login/challenge")));
        reply.assert_status(StatusCode::OK);
        let challenge: Challenge = serde_json::from_slice(&reply.body).expect("a challenge");
        let answer = LoginRequest::sign(mid(seed), challenge.nonce, &key(seed));
        let reply = self.send(self.http.post(self.at("/v1/login")).json(&answer));
        reply.assert_status(StatusCode::OK);
        let response: LoginResponse = serde_json::from_slice(&reply.body).expect("a token");
        response.token
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A request by `who`, with their token and `Tus-Resumable`.
    fn request(&self, method: Method, path: &str, who: u8) -> RequestBuilder {
        self.http
            .request(method, self.at(path))
            .bearer_auth(&self.tokens[&who])
            .header("Tus-Resumable", "1.0.0")
    }

    fn send(&self, request: RequestBuilder) -> Reply {
        request
            .send()
            .and_then(Reply::of)
            .unwrap_or_else(|e| panic!("the relay does not answer: {e}"))
    }

    /// `GET path`, by `who` or anonymously.
    pub fn get(&self, who: Option<u8>, path: &str) -> Reply {
        match who {
            Some(who) => self.send(self.request(Method::GET, path, who)),
            None => self.send(self.http.get(self.at(path))),
        }
    }

    /// `DELETE path` by `who`.
    pub fn delete(&self, who: u8, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path, who))
    }

    /// tus creation: `Upload-Length` and `Upload-Metadata: to <base64 of member ids>`.
    pub fn create(&self, who: u8, length: u64, to: &[u8]) -> Reply {
        let ids: Vec<String> = to.iter().map(|&seed| mid(seed).to_string()).collect();
        let metadata = format!("to {}", BASE64.encode(ids.join(",").as_bytes()));
        self.send(
            self.request(Method::POST, "/v1/uploads", who)
                .header("Upload-Length", length.to_string())
                .header("Upload-Metadata", metadata),
        )
    }

    /// A creation that must succeed; the upload's id (from `Location`).
    #[track_caller]
    pub fn create_ok(&self, who: u8, length: u64, to: &[u8]) -> String {
        let reply = self.create(who, length, to);
        reply.assert_status(StatusCode::CREATED);
        let location = reply.header("Location").expect("a Location");
        location
            .strip_prefix("/v1/uploads/")
            .unwrap_or_else(|| panic!("Location {location}"))
            .to_owned()
    }

    /// `HEAD`: the upload's offset as the relay records it.
    #[track_caller]
    pub fn offset(&self, who: u8, id: &str) -> u64 {
        let reply = self.send(self.request(Method::HEAD, &format!("/v1/uploads/{id}"), who));
        reply.assert_status(StatusCode::OK);
        reply.offset()
    }

    /// `PATCH` of `chunk` at `offset`, with its SHA-256 in `Upload-Checksum` so the relay counts
    /// only bytes that arrived intact. A transport error is returned, not a panic: in the crash
    /// tests it is how the client learns that the relay died.
    pub fn patch(&self, who: u8, id: &str, offset: u64, chunk: &[u8]) -> reqwest::Result<Reply> {
        self.request(Method::PATCH, &format!("/v1/uploads/{id}"), who)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .header(
                "Upload-Checksum",
                format!("sha256 {}", BASE64.encode(&Sha256::digest(chunk))),
            )
            .body(chunk.to_vec())
            .send()
            .and_then(Reply::of)
    }

    /// Sends `data[from..to]` in `chunk`-byte PATCHes; each must be accepted.
    #[track_caller]
    pub fn upload_range(&self, who: u8, id: &str, data: &[u8], from: u64, to: u64, chunk: u64) {
        let mut offset = from;
        while offset < to {
            let end = (offset + chunk).min(to);
            let reply = self
                .patch(who, id, offset, &data[offset as usize..end as usize])
                .expect("the relay answers");
            reply.assert_status(StatusCode::NO_CONTENT);
            assert_eq!(reply.offset(), end, "upload {id}");
            offset = end;
        }
    }

    /// `GET /v1/mailbox`: the ids listed, in order, duplicates kept (so a test can see them).
    pub fn mailbox(&self, who: u8) -> Vec<String> {
        let reply = self.get(Some(who), "/v1/mailbox");
        reply.assert_status(StatusCode::OK);
        let body: Value = serde_json::from_slice(&reply.body).expect("JSON");
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["id"].as_str().expect("an id").to_owned())
            .collect()
    }

    /// `GET /v1/blobs/{id}` by `who`: the blob, whole.
    #[track_caller]
    pub fn download(&self, who: u8, id: &str) -> Vec<u8> {
        let reply = self.get(Some(who), &format!("/v1/blobs/{id}"));
        reply.assert_status(StatusCode::OK);
        reply.body
    }
}

/// The roster every test publishes: the coordinator, three IMOs, three partners, all active.
fn roster() -> SignedRoster {
    let mut members = vec![member(
        COORD,
        "Coral",
        Role::Coordinator,
        MemberStatus::Active,
    )];
    for (seed, name) in IMOS.into_iter().zip(["Ada", "Ben", "Cem"]) {
        members.push(member(seed, name, Role::Imo, MemberStatus::Active));
    }
    for (seed, name) in PARTNERS.into_iter().zip(["Pia", "Pao", "Pim"]) {
        members.push(member(seed, name, Role::Partner, MemberStatus::Active));
    }
    let roster = first_roster("Process Test Cluster", COORD, members);
    SignedRoster::sign(&roster, &key(COORD)).expect("a well-formed roster signs")
}

// ---------------------------------------------------------------------------------------------
// The data directory.
// ---------------------------------------------------------------------------------------------

/// One upload as the relay's database records it.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// `Upload-Length`.
    pub length: u64,
    /// The recorded offset.
    pub offset: u64,
    /// Marked complete (and so in its recipients' mailboxes).
    pub completed: bool,
}

/// What the data directory holds: upload rows and `blobs/` files with their sizes.
#[derive(Debug)]
pub struct StoreView {
    /// Upload rows by id.
    pub uploads: BTreeMap<String, Row>,
    /// Files in `blobs/` by name.
    pub files: BTreeMap<String, u64>,
}

/// Reads the database (read-only, beside the running relay: WAL lets a reader in) and `blobs/`,
/// and asserts what must hold whatever happened — a crash at any instant, a full disk:
/// `PRAGMA integrity_check` is ok; every file belongs to an upload row; every row has exactly
/// one file (a complete upload its final one, of its length, and no `.partial`; an incomplete one
/// a `.partial` holding at least the recorded bytes, or its final file if the relay stopped
/// between the rename and the transaction); and only complete uploads are in mailboxes, once per
/// recipient.
#[track_caller]
pub fn check_store(data: &Path) -> StoreView {
    let conn = Connection::open_with_flags(
        data.join("relay.sqlite"),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("the database opens read-only");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check runs");
    assert_eq!(integrity, "ok", "PRAGMA integrity_check");
    let mut uploads = BTreeMap::new();
    let mut recipients = BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT id, length, offset, completed_at IS NOT NULL, recipients FROM uploads")
        .expect("prepares");
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Row {
                    length: row.get::<_, i64>(1)? as u64,
                    offset: row.get::<_, i64>(2)? as u64,
                    completed: row.get(3)?,
                },
                row.get::<_, String>(4)?.split(',').count(),
            ))
        })
        .expect("queries");
    for row in rows {
        let (id, row, to) = row.expect("a row");
        recipients.insert(id.clone(), to);
        uploads.insert(id, row);
    }
    let mut statement = conn
        .prepare("SELECT blob_id, COUNT(*) FROM mailbox GROUP BY blob_id")
        .expect("prepares");
    let mailbox: BTreeMap<String, usize> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as usize)))
        .expect("queries")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let files: BTreeMap<String, u64> = std::fs::read_dir(data.join("blobs"))
        .expect("blobs/ is readable")
        .map(|entry| {
            let entry = entry.expect("an entry");
            let name = entry.file_name().into_string().expect("a UTF-8 name");
            (name, entry.metadata().expect("metadata").len())
        })
        .collect();

    for name in files.keys() {
        let id = name.strip_suffix(".partial").unwrap_or(name);
        assert!(
            uploads.contains_key(id),
            "blobs/{name} has no upload row: nothing will ever delete it"
        );
    }
    for (id, row) in &uploads {
        let partial = files.get(&format!("{id}.partial")).copied();
        let whole = files.get(id).copied();
        match (row.completed, partial, whole) {
            (true, None, Some(size)) => assert_eq!(size, row.length, "blobs/{id}"),
            (false, Some(size), None) => assert!(
                size >= row.offset,
                "blobs/{id}.partial has {size} bytes, fewer than the {} recorded",
                row.offset
            ),
            (false, None, Some(size)) => assert!(
                row.offset == row.length && size == row.length,
                "blobs/{id} ({size} bytes) has its final name but {row:?}"
            ),
            files => panic!("upload {id} {row:?} has (partial, final) files {files:?}"),
        }
        let expected = if row.completed { recipients[id] } else { 0 };
        assert_eq!(
            mailbox.get(id).copied().unwrap_or(0),
            expected,
            "mailbox entries of {id} ({row:?})"
        );
    }
    for id in mailbox.keys() {
        assert!(uploads.contains_key(id), "mailbox entry for no upload {id}");
    }
    StoreView { uploads, files }
}
