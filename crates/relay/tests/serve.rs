//! `sealpost-relay serve` as an operator runs it: HTTPS with a certificate, the refusal of plain
//! HTTP off loopback, clear errors for unusable certificate files, and a bound on request heads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const RELAY: &str = env!("CARGO_BIN_EXE_sealpost-relay");

/// Any valid key: these tests never publish a roster.
fn coordinator_key() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    sealpost_format::SigningPublicKey::from_signing_key(&key).to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A relay process, killed when dropped.
struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(RELAY);
    command
        .args(["serve", "--data"])
        .arg(data)
        .args(["--coordinator-key", &coordinator_key()])
        // Quiet: stderr is piped and read only if the relay exits early.
        .env("SEALPOST_RELAY_LOG", "warn")
        .args(args)
        .stdin(Stdio::null());
    command
}

fn start(data: &Path, port: u16, args: &[&str]) -> Relay {
    let listen = format!("127.0.0.1:{port}");
    let child = serve(data, &[&["--listen", &listen], args].concat())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the relay starts");
    let mut relay = Relay(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = relay.0.try_wait().expect("the relay can be waited on") {
            let mut message = String::new();
            if let Some(mut stderr) = relay.0.stderr.take() {
                let _ = stderr.read_to_string(&mut message);
            }
            panic!("the relay exited ({status}): {message}");
        }
        assert!(
            Instant::now() < deadline,
            "the relay did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    relay
}

/// Runs `serve` to its end (it must refuse to start).
fn refused(data: &Path, args: &[&str]) -> Output {
    let output = serve(data, args).output().expect("the relay runs");
    assert!(!output.status.success(), "it must refuse to start");
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("a self-signed certificate");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let port = free_port();
    let _relay = start(
        &dir.path().join("data"),
        port,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );

    // A client trusting exactly this certificate gets the relay's JSON over TLS.
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/v1/roster"))
        .send()
        .expect("an HTTPS answer");
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().expect("a JSON body");
    assert_eq!(body["error"]["code"], "no-roster", "{body}");

    // A client that does not trust it is refused by TLS, not answered.
    let untrusting = reqwest::blocking::Client::builder()
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("https://localhost:{port}/v1/roster"))
            .send()
            .is_err()
    );
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::blocking::get(format!("http://127.0.0.1:{port}/v1/roster"));
    assert!(
        plain
            .as_ref()
            .map_or(true, |r| !r.status().is_success() && r.status() != 404),
        "{plain:?}"
    );
}

#[test]
fn refuses_plain_http_off_loopback_and_unusable_certificates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let off_loopback = refused(&data, &["--listen", "0.0.0.0:0"]);
    assert_eq!(off_loopback.status.code(), Some(2));
    let message = stderr(&off_loopback);
    assert!(message.contains("--tls-cert"), "{message}");
    assert!(message.contains("--allow-http"), "{message}");

    // A certificate without its key is a usage error.
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    let alone = refused(&data, &["--tls-cert", cert.to_str().unwrap()]);
    assert!(stderr(&alone).contains("--tls-key"), "{}", stderr(&alone));

    // Files that are not PEM: named in the error, with what to give instead.
    let key = dir.path().join("key.pem");
    std::fs::write(&key, "not a key").unwrap();
    let port = free_port().to_string();
    let bad = refused(
        &data,
        &[
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let message = stderr(&bad);
    assert!(message.contains("cert.pem"), "{message}");
    assert!(message.contains("PEM"), "{message}");
}

#[test]
fn request_heads_are_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _relay = start(&dir.path().join("data"), port, &[]);
    // 200 KiB of headers: far past the 64 KiB bound.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let filler = "x".repeat(8 * 1024);
    let mut request = String::from("GET /v1/roster HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..25 {
        request.push_str(&format!("X-Filler-{i}: {filler}\r\n"));
    }
    request.push_str("\r\n");
    // The relay may close the connection before reading it all: a failed write is fine.
    let _ = stream.write_all(request.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "an oversized head is refused: {answer}"
    );
    // And the relay still serves everyone else.
    let ok = reqwest::blocking::get(format!("http://127.0.0.1:{port}/v1/roster")).unwrap();
    assert_eq!(ok.status(), 404);
}
