//! A standard tus client against a real relay: tus-js-client under Node
//! (`tests/tus-client/upload.mjs`, installed by `scripts/setup`) uploads with nothing but the
//! bearer token from `sealpost relay-token`, in chunks, aborts and resumes from another
//! process, and terminates; the recipient then finds the blob in their mailbox and downloads
//! exactly the bytes sent.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::relay::start_relay;
use crate::util::{Sandbox, sha256_hex, text};

/// The tus client's folder: its script and, once `scripts/setup` ran, its `node_modules`.
fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tus-client")
}

/// Whether Node and tus-js-client are installed. Missing under `CI` fails the test (the test
/// command installs them); elsewhere the test says why it is skipped.
fn node_ready() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let missing = match node {
        None => "`node` is not on PATH",
        Some(_) if !client_dir().join("node_modules/tus-js-client").is_dir() => {
            "tests/tus-client/node_modules is missing (npm ci has not run)"
        }
        Some(_) => return true,
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "{missing}: run scripts/setup, which installs Node and tus-js-client"
    );
    eprintln!("SKIPPED tus_client: {missing}; run scripts/setup to install them");
    false
}

/// One run of `node upload.mjs ARGS` with `token`, stopped if it takes longer than 30 s.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    shown: String,
}

impl Run {
    /// The one JSON line a successful run prints.
    fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "expected success:\n{self:?}");
        let line = self.stdout.strip_suffix('\n').unwrap_or(&self.stdout);
        assert!(!line.contains('\n'), "one line expected:\n{self:?}");
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}):\n{self:?}"))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nexit code: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.shown, self.code, self.stdout, self.stderr
        )
    }
}

fn tus(sandbox: &Sandbox, token: &str, args: &[&str]) -> Run {
    // Output goes to files: nothing can block on a full pipe while we wait with a deadline.
    let (out, err) = (sandbox.path("node.stdout"), sandbox.path("node.stderr"));
    let mut child = Command::new("node")
        .arg(client_dir().join("upload.mjs"))
        .args(args)
        // The token in the environment, as a careful user would pass it (not on a command line).
        .env("SEALPOST_RELAY_TOKEN", token)
        .current_dir(sandbox.path(""))
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("create the stdout file"))
        .stderr(File::create(&err).expect("create the stderr file"))
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("node upload.mjs {args:?} did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(out).expect("read stdout"),
        stderr: std::fs::read_to_string(err).expect("read stderr"),
        shown: format!("node upload.mjs {}", args.join(" ")),
    }
}

/// `size` bytes that differ from every other file made with another `seed`.
fn payload(seed: u64, size: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            // xorshift64: cheap, and nothing a relay could compress or dedupe by accident.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The relay as a member with `token` sees it, over plain HTTP.
struct Api<'a> {
    client: &'a Client,
    relay: &'a str,
    token: &'a str,
}

impl Api<'_> {
    /// The ids in the caller's mailbox, with the sender and size of each.
    fn mailbox(&self) -> Vec<(String, String, u64)> {
        let response = self
            .client
            .get(format!("{}/v1/mailbox", self.relay))
            .bearer_auth(self.token)
            .send()
            .expect("GET /v1/mailbox");
        assert_eq!(response.status(), StatusCode::OK, "GET /v1/mailbox");
        let body: Value = response.json().expect("a JSON mailbox");
        body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items in {body}"))
            .iter()
            .map(|item| {
                (
                    text(item, "id").to_owned(),
                    text(item, "from").to_owned(),
                    item["size"].as_u64().expect("a size"),
                )
            })
            .collect()
    }

    /// `GET /v1/blobs/{id}`: the status and the body.
    fn download(&self, id: &str) -> (StatusCode, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}/v1/blobs/{id}", self.relay))
            .bearer_auth(self.token)
            .send()
            .expect("GET /v1/blobs/{id}");
        let status = response.status();
        (status, response.bytes().expect("the body").to_vec())
    }

    /// `HEAD` on a tus upload URL: the status and `Upload-Offset`, if any.
    fn head(&self, url: &str) -> (StatusCode, Option<u64>) {
        let response = self
            .client
            .head(url)
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .expect("HEAD an upload");
        let offset = response
            .headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (response.status(), offset)
    }
}

/// The blob id of a tus upload URL (`…/v1/uploads/{id}`), checked to be on `relay`.
fn blob_id<'a>(relay: &str, url: &'a str) -> &'a str {
    url.strip_prefix(&format!("{relay}/v1/uploads/"))
        .unwrap_or_else(|| panic!("{url} is not an upload URL on {relay}"))
}

/// Logs `member` in and returns the bearer token `sealpost relay-token` prints last.
fn token(sandbox: &Sandbox, member: &str) -> String {
    let outcome = sandbox
        .sealpost(member)
        .arg("relay-token")
        .unlocked()
        .succeeds();
    outcome
        .stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no token line:\n{outcome}"))
        .to_owned()
}

#[test]
fn a_standard_tus_client_uploads_resumes_and_terminates_with_a_bearer_token() {
    if !node_ready() {
        return;
    }
    let sandbox = Sandbox::new();
    let coordinator = sandbox.member("Aye Aye");
    let partner = sandbox.member("Ko Ko");
    let imo = sandbox.member("Hla Hla");
    let (partner_id, imo_id) = (text(&partner, "member_id"), text(&imo, "member_id"));
    let run =
        |member: &str, args: &[&str]| sandbox.sealpost(member).args(args).arg("--json").unlocked();
    run(
        "Aye Aye",
        &["cluster", "create", "--name", "Tus Client Cluster"],
    )
    .succeeds();
    let relay = start_relay(&sandbox, text(&coordinator, "signing_key"));
    run("Aye Aye", &["relay", "use", &relay.url]).succeeds();
    run("Aye Aye", &["cluster", "publish"]).succeeds();
    for (member, role) in [("Ko Ko", "partner"), ("Hla Hla", "imo")] {
        let invited = run(
            "Aye Aye",
            &["cluster", "invite", "--role", role, "--relay", &relay.url],
        )
        .succeeds()
        .json();
        let request = sandbox.path(&format!("{member}-join.json"));
        let request = request.to_str().expect("a UTF-8 path");
        run(member, &["join", text(&invited, "code"), "--out", request]).succeeds();
        run("Aye Aye", &["cluster", "approve", request]).succeeds();
        // Each version reaches the relay before the next is made: it takes only the successor
        // of the one it holds, and `cluster publish` sends only the newest (`approve` publishes
        // by itself when it can; this makes sure, and is a no-op then).
        run("Aye Aye", &["cluster", "publish"]).succeeds();
    }
    // No `roster pull` needed: the relay checks the member against its own roster at login.
    let (partner_token, imo_token) = (token(&sandbox, "Ko Ko"), token(&sandbox, "Hla Hla"));
    let client = Client::new();
    let as_imo = Api {
        client: &client,
        relay: &relay.url,
        token: &imo_token,
    };
    let as_partner = Api {
        token: &partner_token,
        ..as_imo
    };
    let upload = |mode: &str, file: &Path, chunk: usize| {
        let file = file.to_str().expect("a UTF-8 path");
        let chunk = chunk.to_string();
        let args = [
            "--mode",
            mode,
            "--relay",
            &relay.url,
            "--file",
            file,
            "--to",
            imo_id,
            "--chunk-size",
            &chunk,
        ];
        tus(&sandbox, &partner_token, &args)
    };

    // (a) A whole upload in 512 KiB chunks (the last one short): the IMO finds it in their
    // mailbox, from the partner, and downloads exactly the bytes sent.
    let whole = payload(1, 3 * 1024 * 1024 + 12_345);
    let whole_file = sandbox.write("whole.bin", &whole);
    let done = upload("upload", &whole_file, 512 * 1024).json();
    assert_eq!(
        done["chunks"], 7,
        "3 MiB + 12 345 bytes in 512 KiB chunks: {done}"
    );
    let whole_id = blob_id(&relay.url, text(&done, "url")).to_owned();
    let mailbox = as_imo.mailbox();
    assert_eq!(
        mailbox,
        [(whole_id.clone(), partner_id.to_owned(), whole.len() as u64)]
    );
    let (status, body) = as_imo.download(&whole_id);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sha256_hex(&body), sha256_hex(&whole), "the IMO's download");

    // (b) Cut off after the first 1 MiB chunk: the relay holds that much, and the recipient
    // sees nothing yet. A second process resumes from the URL alone, from that offset.
    let resumed = payload(2, 3 * 1024 * 1024 + 1);
    let resumed_file = sandbox.write("resumed.bin", &resumed);
    let cut = upload("abort-first", &resumed_file, 1024 * 1024).json();
    let url = text(&cut, "url").to_owned();
    assert_eq!(cut["offset"], 1024 * 1024, "{cut}");
    assert_eq!(cut["size"], resumed.len(), "{cut}");
    assert_eq!(
        as_partner.head(&url),
        (StatusCode::OK, Some(1024 * 1024)),
        "the relay's offset after the abort"
    );
    assert_eq!(
        as_imo.mailbox().len(),
        1,
        "an unfinished upload is in no mailbox"
    );
    let resumed_file = resumed_file.to_str().expect("a UTF-8 path");
    let chunk = (1024 * 1024).to_string();
    let args = [
        "--mode",
        "resume",
        "--upload-url",
        &url,
        "--file",
        resumed_file,
        "--chunk-size",
        &chunk,
    ];
    let done = tus(&sandbox, &partner_token, &args).json();
    assert_eq!(done["resumed_from"], 1024 * 1024, "{done}");
    assert_eq!(
        done["url"],
        url.as_str(),
        "the same upload, not a new one: {done}"
    );
    assert_eq!(
        done["chunks"], 3,
        "2 MiB + 1 byte left in 1 MiB chunks: {done}"
    );
    let resumed_id = blob_id(&relay.url, &url);
    assert!(
        as_imo.mailbox().iter().any(|(id, ..)| id == resumed_id),
        "the resumed upload reached the IMO"
    );
    let (status, body) = as_imo.download(resumed_id);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sha256_hex(&body),
        sha256_hex(&resumed),
        "the IMO's download"
    );

    // (c) Termination: an unfinished upload is gone (HEAD is 404 or 410); a delivered blob
    // leaves the IMO's mailbox with it.
    let abandoned_file = sandbox.write("abandoned.bin", payload(3, 2 * 1024 * 1024));
    let cut = upload("abort-first", &abandoned_file, 1024 * 1024).json();
    let abandoned = text(&cut, "url").to_owned();
    for url in [abandoned.as_str(), text(&done, "url")] {
        let terminated = tus(
            &sandbox,
            &partner_token,
            &["--mode", "terminate", "--upload-url", url],
        )
        .json();
        assert_eq!(terminated["url"], url, "{terminated}");
        let (status, _) = as_partner.head(url);
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE),
            "HEAD {url} after termination: {status}"
        );
    }
    assert_eq!(
        as_imo.download(resumed_id).0,
        StatusCode::NOT_FOUND,
        "a terminated blob cannot be downloaded"
    );
    assert_eq!(
        as_imo.mailbox(),
        [(whole_id.clone(), partner_id.to_owned(), whole.len() as u64)],
        "only the blob of (a) is left"
    );

    // (d) A token the relay never issued: refused with 401, and tus-js-client says so.
    let wrong = "A".repeat(partner_token.len());
    let file = whole_file.to_str().expect("a UTF-8 path");
    let refused = tus(
        &sandbox,
        &wrong,
        &["--relay", &relay.url, "--file", file, "--to", imo_id],
    );
    assert_eq!(
        refused.code,
        Some(1),
        "a wrong token must fail:\n{refused:?}"
    );
    assert!(
        refused.stdout.is_empty(),
        "no result on failure:\n{refused:?}"
    );
    assert!(
        refused.stderr.contains("401"),
        "the error must mention 401:\n{refused:?}"
    );
    assert_eq!(
        as_imo.mailbox().len(),
        1,
        "nothing arrived with the wrong token"
    );
}
