//! Load generator for `bench/relay-load`: N concurrent tus 1.0 clients upload, download and
//! delete blobs on the Sealpost relay or on a reference tus server, and print one JSON line.
//!
//! The same tus code (POST creation with `Upload-Length` and `Upload-Metadata`, then PATCH in
//! fixed chunks) runs against both servers; only the login and the download differ:
//!
//! - `--target sealpost --url http://127.0.0.1:P`: publishes a first roster of N partners (plus
//!   a coordinator and an IMO, every key derived from a fixed seed) and logs each client in as
//!   its own member, before the clock starts. Each client addresses its uploads to itself, then
//!   lists its mailbox (`GET /v1/mailbox`), downloads the blob (`GET /v1/blobs/{id}`) and
//!   deletes it (`DELETE /v1/blobs/{id}`). `relay-load coordinator-key` prints the key to
//!   start the relay with.
//! - `--target tus --url http://127.0.0.1:P/files`: no login; the download is a `GET` of the
//!   upload URL (which `@tus/server` serves) and the deletion a tus termination of it.
//!
//! During the untimed setup an HTTP 429 is waited out (`Retry-After`) and retried. During the
//! measured phase every non-success status, 429 included, is an error and is never retried.
//! Every client uploads the same buffer (allocated once, never copied), and every download is
//! streamed and checked against its length and SHA-256, so the generator's memory stays small
//! whatever the blob size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use data_encoding::BASE64;
use ed25519_dalek::SigningKey;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode, Url, header};
use sealpost_format::relay::{Challenge, LoginRequest, LoginResponse};
use sealpost_format::roster::{
    CoordinatorKey, MemberStatus, Policy, Role, Roster, RosterMember, SignedRoster,
};
use sealpost_format::{ClusterId, MemberId, SigningPublicKey};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How many error messages the report carries (the count covers all of them).
const ERROR_SAMPLES: usize = 5;
/// Logins in flight at once during setup: the relay limits requests without a token per
/// address, and every client comes from 127.0.0.1.
const SETUP_CONCURRENCY: usize = 4;
/// How long setup keeps retrying a rate-limited request.
const SETUP_PATIENCE: Duration = Duration::from_secs(300);
/// The shortest wait after a 429: `Retry-After` counts whole seconds, so "0" means "in under
/// a second", not "now".
const MIN_RETRY_WAIT: Duration = Duration::from_millis(200);

/// Setup requests answered 429 (and retried), for the report.
static SETUP_RATE_LIMITED: AtomicU64 = AtomicU64::new(0);

/// N concurrent tus clients against the Sealpost relay or a reference tus server.
#[derive(Debug, Parser)]
#[command(name = "relay-load", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the coordinator's signing key, for `sealpost-relay serve --coordinator-key`
    CoordinatorKey,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Which server `--url` is
    #[arg(long, value_enum)]
    target: Option<Target>,
    /// The relay's base URL (sealpost) or the tus creation URL, e.g. http://127.0.0.1:1080/files
    #[arg(long)]
    url: Option<Url>,
    /// Concurrent clients (each its own member on the relay)
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Blob size in bytes
    #[arg(long, default_value_t = 1 << 20)]
    size: usize,
    /// Upload-download-delete rounds per client
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Bytes per PATCH (the last one may be shorter)
    #[arg(long, default_value_t = 8 << 20)]
    chunk: usize,
    /// Seconds before one request is abandoned (counted as an error)
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// sealpost-relay: login, mailbox, /v1/blobs
    Sealpost,
    /// A plain tus server (@tus/server): GET and DELETE on the upload URL
    Tus,
}

// ---------------------------------------------------------------------------------------------
// The cluster: every key and id derives from a fixed label, so runs are repeatable.
// ---------------------------------------------------------------------------------------------

fn derive(what: &str) -> [u8; 32] {
    Sha256::digest(format!("sealpost relay-load v1 {what}").as_bytes()).into()
}

fn signing_key(who: &str) -> SigningKey {
    SigningKey::from_bytes(&derive(&format!("key {who}")))
}

fn member_id(who: &str) -> MemberId {
    let digest = derive(&format!("id {who}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    MemberId::from_bytes(bytes)
}

fn client_name(index: usize) -> String {
    format!("partner-{index}")
}

const COORDINATOR: &str = "coordinator";

fn roster_member(who: &str, role: Role) -> RosterMember {
    RosterMember {
        member_id: member_id(who),
        name: who.to_owned(),
        org: "Load Test Org".into(),
        roles: vec![role],
        sig_pk: SigningPublicKey::from_signing_key(&signing_key(who)),
        // The relay never uses it; it only has to look like a recipient.
        age_recipient: format!("age1loadtest{}", who.replace('-', "")),
        status: MemberStatus::Active,
        previous_keys: Vec::new(),
    }
}

fn first_roster(clients: usize) -> Result<SignedRoster, String> {
    let now = time::OffsetDateTime::now_utc();
    let mut members = vec![
        roster_member(COORDINATOR, Role::Coordinator),
        roster_member("imo", Role::Imo),
    ];
    members.extend((0..clients).map(|i| roster_member(&client_name(i), Role::Partner)));
    let roster = Roster {
        v: 1,
        cluster_id: ClusterId::from_bytes([0x10; 16]),
        name: "Relay Load Test".into(),
        version: 1,
        prev_hash: None,
        issued_at: now - time::Duration::hours(1),
        expires_at: now + time::Duration::days(30),
        coordinator: CoordinatorKey {
            member_id: member_id(COORDINATOR),
            sig_pk: SigningPublicKey::from_signing_key(&signing_key(COORDINATOR)),
        },
        policy: Policy::default(),
        members,
    };
    SignedRoster::sign(&roster, &signing_key(COORDINATOR)).map_err(|e| format!("roster: {e}"))
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.
// ---------------------------------------------------------------------------------------------

/// "STATUS: first 200 characters of the body", for an unexpected answer.
async fn refusal(what: &str, response: Response) -> String {
    let status = response.status();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(|v| format!(" (Retry-After {v})"))
        .unwrap_or_default();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    format!("{what}: {status}{retry}: {}", body.trim())
}

fn header_str<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// How long to wait after a 429: what `Retry-After` (or `x-ratelimit-after`) asks, at least
/// [`MIN_RETRY_WAIT`], plus a jitter that keeps concurrent clients from coming back together.
fn retry_after(response: &Response, seed: usize, attempt: u32) -> Duration {
    let asked = ["retry-after", "x-ratelimit-after"]
        .iter()
        .find_map(|name| header_str(response, name)?.trim().parse::<f64>().ok())
        .map_or(Duration::ZERO, |s| {
            Duration::from_secs_f64(s.clamp(0.0, 60.0))
        });
    let jitter = (seed * 7919 + attempt as usize * 104_729) % 200;
    asked.max(MIN_RETRY_WAIT) + Duration::from_millis(jitter as u64)
}

/// Sends a setup request, waiting out rate limits (setup is not measured); `seed` spreads the
/// retries of concurrent clients.
async fn send_setup(
    what: &str,
    seed: usize,
    make: impl Fn() -> RequestBuilder,
) -> Result<Response, String> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let response = make().send().await.map_err(|e| format!("{what}: {e}"))?;
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            return Ok(response);
        }
        SETUP_RATE_LIMITED.fetch_add(1, Ordering::Relaxed);
        if started.elapsed() > SETUP_PATIENCE {
            return Err(format!(
                "{what}: still rate-limited after {} s ({attempt} retries)",
                SETUP_PATIENCE.as_secs()
            ));
        }
        attempt += 1;
        tokio::time::sleep(retry_after(&response, seed, attempt)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// One client.
// ---------------------------------------------------------------------------------------------

/// What every client shares.
#[derive(Debug)]
struct Shared {
    http: Client,
    target: Target,
    /// The relay's base URL, or the tus creation URL.
    url: Url,
    /// The blob every client uploads: allocated once, lent to every PATCH without a copy.
    blob: &'static [u8],
    sha256: [u8; 32],
    chunk: usize,
    rounds: usize,
}

/// One client: its member (on the relay) and bearer token.
#[derive(Debug)]
struct Session {
    member: MemberId,
    token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Upload,
    Mailbox,
    Download,
    Delete,
}

impl Op {
    const ALL: [Self; 4] = [Self::Upload, Self::Mailbox, Self::Download, Self::Delete];

    fn name(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Mailbox => "mailbox",
            Self::Download => "download",
            Self::Delete => "delete",
        }
    }
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    /// (operation, milliseconds) of every successful operation.
    latencies: Vec<(Op, f64)>,
    /// Bytes uploaded or downloaded (and checked) successfully.
    bytes: u64,
    errors: Vec<String>,
}

impl Tally {
    /// Runs `op`, timing it when it succeeds and recording the error when not.
    async fn time<T>(
        &mut self,
        op: Op,
        work: impl Future<Output = Result<T, String>>,
    ) -> Option<T> {
        let started = Instant::now();
        match work.await {
            Ok(value) => {
                self.latencies
                    .push((op, started.elapsed().as_secs_f64() * 1e3));
                Some(value)
            }
            Err(e) => {
                self.errors.push(format!("{}: {e}", op.name()));
                None
            }
        }
    }
}

impl Session {
    fn request(&self, shared: &Shared, method: Method, url: Url) -> RequestBuilder {
        let request = shared.http.request(method, url);
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// tus creation, then PATCHes of `chunk` bytes; returns the upload URL (when it was
    /// created: a failed PATCH still leaves something to delete) and the outcome.
    async fn upload(&self, shared: &Shared) -> (Option<Url>, Result<(), String>) {
        let create_url = match shared.target {
            Target::Sealpost => shared.url.join("/v1/uploads").expect("a valid path"),
            Target::Tus => shared.url.clone(),
        };
        let metadata = format!("to {}", BASE64.encode(self.member.to_string().as_bytes()));
        let created = self
            .request(shared, Method::POST, create_url.clone())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", shared.blob.len())
            .header("Upload-Metadata", metadata)
            .send()
            .await;
        let response = match created {
            Ok(r) if r.status() == StatusCode::CREATED => r,
            Ok(r) => return (None, Err(refusal("POST", r).await)),
            Err(e) => return (None, Err(format!("POST: {e}"))),
        };
        let Some(location) = header_str(&response, "Location") else {
            return (None, Err("POST: 201 without a Location".into()));
        };
        let url = match create_url.join(location) {
            Ok(url) => url,
            Err(e) => return (None, Err(format!("POST: Location {location:?}: {e}"))),
        };
        let blob: &'static [u8] = shared.blob;
        let mut offset = 0;
        while offset < blob.len() {
            let end = (offset + shared.chunk).min(blob.len());
            let sent = self
                .request(shared, Method::PATCH, url.clone())
                .header("Tus-Resumable", "1.0.0")
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .header("Upload-Offset", offset)
                .body(&blob[offset..end])
                .send()
                .await;
            let response = match sent {
                Ok(r) if r.status() == StatusCode::NO_CONTENT => r,
                Ok(r) => return (Some(url), Err(refusal("PATCH", r).await)),
                Err(e) => return (Some(url), Err(format!("PATCH: {e}"))),
            };
            let reported = header_str(&response, "Upload-Offset").and_then(|v| v.parse().ok());
            if reported != Some(end) {
                return (
                    Some(url),
                    Err(format!("PATCH: Upload-Offset {reported:?}, expected {end}")),
                );
            }
            offset = end;
        }
        (Some(url), Ok(()))
    }

    /// The relay: the blob's URL, after checking the mailbox lists it with the right size.
    async fn find_in_mailbox(&self, shared: &Shared, id: &str) -> Result<Url, String> {
        let url = shared.url.join("/v1/mailbox").expect("a valid path");
        let response = self
            .request(shared, Method::GET, url)
            .send()
            .await
            .map_err(|e| format!("GET /v1/mailbox: {e}"))?;
        if response.status() != StatusCode::OK {
            return Err(refusal("GET /v1/mailbox", response).await);
        }
        let listing: serde_json::Value = response
            .json()
            .await
            .map_err(|e| format!("GET /v1/mailbox: {e}"))?;
        let listed = listing["items"].as_array().is_some_and(|items| {
            items.iter().any(|item| {
                item["id"].as_str() == Some(id)
                    && item["size"].as_u64() == Some(shared.blob.len() as u64)
            })
        });
        if !listed {
            return Err(format!("the mailbox does not list {id}: {listing}"));
        }
        Ok(shared
            .url
            .join(&format!("/v1/blobs/{id}"))
            .expect("a valid path"))
    }

    /// Streams the blob at `url`, checking its length and SHA-256; returns the bytes read.
    async fn download(&self, shared: &Shared, url: Url) -> Result<u64, String> {
        let mut response = self
            .request(shared, Method::GET, url)
            .send()
            .await
            .map_err(|e| format!("GET: {e}"))?;
        if response.status() != StatusCode::OK {
            return Err(refusal("GET", response).await);
        }
        let mut hasher = Sha256::new();
        let mut read = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET after {read} bytes: {e}"))?
        {
            read += chunk.len() as u64;
            hasher.update(&chunk);
        }
        if read != shared.blob.len() as u64 {
            return Err(format!("GET: {read} bytes, expected {}", shared.blob.len()));
        }
        if hasher.finalize().as_slice() != shared.sha256 {
            return Err("GET: the blob's SHA-256 differs from what was uploaded".into());
        }
        Ok(read)
    }

    async fn delete(&self, shared: &Shared, url: Url) -> Result<(), String> {
        let response = self
            .request(shared, Method::DELETE, url)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .map_err(|e| format!("DELETE: {e}"))?;
        if response.status() != StatusCode::NO_CONTENT {
            return Err(refusal("DELETE", response).await);
        }
        Ok(())
    }

    /// The measured work of one client: `rounds` times upload, download, delete.
    async fn run(self, shared: &Shared) -> Tally {
        let mut tally = Tally::default();
        for _ in 0..shared.rounds {
            let started = Instant::now();
            let (url, uploaded) = self.upload(shared).await;
            let uploaded = match uploaded {
                Ok(()) => {
                    tally
                        .latencies
                        .push((Op::Upload, started.elapsed().as_secs_f64() * 1e3));
                    tally.bytes += shared.blob.len() as u64;
                    true
                }
                Err(e) => {
                    tally.errors.push(format!("upload: {e}"));
                    false
                }
            };
            let Some(url) = url else { continue };
            // The relay serves a blob at /v1/blobs/{id}, the id of its upload.
            let id = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or_default()
                .to_owned();
            let blob_url = match shared.target {
                Target::Tus => url.clone(),
                Target::Sealpost => shared
                    .url
                    .join(&format!("/v1/blobs/{id}"))
                    .expect("a valid path"),
            };
            if uploaded {
                let download_url = match shared.target {
                    Target::Tus => Some(url.clone()),
                    Target::Sealpost => {
                        tally
                            .time(Op::Mailbox, self.find_in_mailbox(shared, &id))
                            .await
                    }
                };
                if let Some(download_url) = download_url
                    && let Some(read) = tally
                        .time(Op::Download, self.download(shared, download_url))
                        .await
                {
                    tally.bytes += read;
                }
            }
            // Deleted whatever happened, so the disk does not fill up.
            tally.time(Op::Delete, self.delete(shared, blob_url)).await;
        }
        tally
    }
}

// ---------------------------------------------------------------------------------------------
// Setup.
// ---------------------------------------------------------------------------------------------

/// Publishes the first roster (the same roster again is fine: "unchanged").
async fn publish_roster(http: &Client, base: &Url, clients: usize) -> Result<(), String> {
    let roster = first_roster(clients)?.to_json();
    let url = base.join("/v1/roster").expect("a valid path");
    let response = send_setup("PUT /v1/roster", 0, || {
        http.put(url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(roster.clone())
    })
    .await?;
    if response.status() != StatusCode::OK {
        return Err(refusal("PUT /v1/roster", response).await);
    }
    Ok(())
}

/// Logs member `who` in: challenge, signed answer, token.
async fn login(http: Client, base: Url, index: usize) -> Result<String, String> {
    let who = client_name(index);
    let challenge_url = base.join("/v1/login/challenge").expect("a valid path");
    let response = send_setup("GET /v1/login/challenge", index, || {
        http.get(challenge_url.clone())
    })
    .await?;
    if response.status() != StatusCode::OK {
        return Err(refusal("GET /v1/login/challenge", response).await);
    }
    let challenge: Challenge = response
        .json()
        .await
        .map_err(|e| format!("challenge: {e}"))?;
    let answer = serde_json::to_vec(&LoginRequest::sign(
        member_id(&who),
        challenge.nonce,
        &signing_key(&who),
    ))
    .map_err(|e| e.to_string())?;
    let login_url = base.join("/v1/login").expect("a valid path");
    // A nonce is good for one answer: a rate-limited answer was never read, so it is still
    // good for the retry.
    let response = send_setup("POST /v1/login", index, || {
        http.post(login_url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(answer.clone())
    })
    .await?;
    if response.status() != StatusCode::OK {
        return Err(refusal("POST /v1/login", response).await);
    }
    let token: LoginResponse = response.json().await.map_err(|e| format!("login: {e}"))?;
    Ok(token.token)
}

/// One session per client; on the relay, each logged in as its own member.
async fn sessions(shared: &Shared, clients: usize) -> Result<Vec<Session>, String> {
    if shared.target == Target::Tus {
        return Ok((0..clients)
            .map(|i| Session {
                member: member_id(&client_name(i)),
                token: None,
            })
            .collect());
    }
    publish_roster(&shared.http, &shared.url, clients).await?;
    let gate = std::sync::Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut logins = JoinSet::new();
    for i in 0..clients {
        let (http, base, gate) = (shared.http.clone(), shared.url.clone(), gate.clone());
        logins.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("never closed");
            (i, login(http, base, i).await)
        });
    }
    let mut tokens = vec![None; clients];
    while let Some(joined) = logins.join_next().await {
        let (i, token) = joined.map_err(|e| format!("login task: {e}"))?;
        tokens[i] = Some(token.map_err(|e| format!("{}: {e}", client_name(i)))?);
    }
    Ok(tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| Session {
            member: member_id(&client_name(i)),
            token,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The run and its report.
// ---------------------------------------------------------------------------------------------

/// The `p`th percentile (nearest rank) of sorted `values`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A blob of `size` bytes that differ from one position to the next (xorshift), so no layer
/// can compress it or deduplicate pages.
fn pattern(size: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut blob = Vec::with_capacity(size + 8);
    while blob.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        blob.extend_from_slice(&state.to_le_bytes());
    }
    blob.truncate(size);
    blob
}

async fn run(args: RunArgs) -> Result<serde_json::Value, String> {
    let (Some(target), Some(url)) = (args.target, args.url) else {
        return Err("--target and --url are required (or the coordinator-key subcommand)".into());
    };
    if args.clients == 0 || args.size == 0 || args.rounds == 0 || args.chunk == 0 {
        return Err("--clients, --size, --rounds and --chunk must be positive".into());
    }
    let http = Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    // Leaked on purpose: one buffer for the whole process, lent to every request as a
    // `&'static [u8]` body, which reqwest sends without copying.
    let blob: &'static [u8] = pattern(args.size).leak();
    let shared = std::sync::Arc::new(Shared {
        http,
        target,
        url,
        blob,
        sha256: Sha256::digest(blob).into(),
        chunk: args.chunk,
        rounds: args.rounds,
    });
    let setup_started = Instant::now();
    let sessions = sessions(&shared, args.clients).await?;
    let setup_s = setup_started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut clients = JoinSet::new();
    for session in sessions {
        let shared = shared.clone();
        clients.spawn(async move { session.run(&shared).await });
    }
    let mut total = Tally::default();
    let mut error_count = 0usize;
    while let Some(joined) = clients.join_next().await {
        let tally = joined.map_err(|e| format!("client task: {e}"))?;
        total.latencies.extend(tally.latencies);
        total.bytes += tally.bytes;
        error_count += tally.errors.len();
        let room = ERROR_SAMPLES.saturating_sub(total.errors.len());
        total.errors.extend(tally.errors.into_iter().take(room));
    }
    let wall_s = started.elapsed().as_secs_f64();

    let mut ops = serde_json::Map::new();
    for op in Op::ALL {
        let mut ms: Vec<f64> = total
            .latencies
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|(_, ms)| *ms)
            .collect();
        if ms.is_empty() {
            continue;
        }
        ms.sort_by(f64::total_cmp);
        ops.insert(
            op.name().into(),
            serde_json::json!({
                "count": ms.len(),
                "p50_ms": round3(percentile(&ms, 50.0)),
                "p99_ms": round3(percentile(&ms, 99.0)),
                "max_ms": round3(percentile(&ms, 100.0)),
            }),
        );
    }
    Ok(serde_json::json!({
        "target": match target { Target::Sealpost => "sealpost", Target::Tus => "tus" },
        "clients": args.clients,
        "size": args.size,
        "rounds": args.rounds,
        "chunk": args.chunk,
        "setup_s": round3(setup_s),
        "setup_rate_limited": SETUP_RATE_LIMITED.load(Ordering::Relaxed),
        "bytes_moved": total.bytes,
        "wall_s": round3(wall_s),
        "throughput_mib_s": round3(total.bytes as f64 / wall_s / f64::from(1 << 20)),
        "ops": ops,
        "errors": error_count,
        "error_samples": total.errors,
    }))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::CoordinatorKey) = cli.command {
        println!(
            "{}",
            SigningPublicKey::from_signing_key(&signing_key(COORDINATOR))
        );
        return std::process::ExitCode::SUCCESS;
    }
    match run(cli.run).await {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("relay-load: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
