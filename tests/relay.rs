//! The CLI against a real `sealpost-relay` process on loopback: the coordinator points the
//! cluster at the relay and publishes the roster; a member joins with an invite carrying the
//! relay's address, pulls the roster from it (checked, not trusted) and gets a login token;
//! once removed, the relay refuses them.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Sandbox, text};

/// A relay process serving a data directory inside the sandbox; killed when dropped.
struct RelayProcess {
    child: Child,
    url: String,
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay binary, built beside `sealpost` (cargo builds it for the relay crate's own tests;
/// built here when this test runs alone).
fn relay_binary() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_sealpost"))
        .parent()
        .expect("the binary has a folder")
        .to_owned();
    let binary = dir.join("sealpost-relay");
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "sealpost-relay"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building sealpost-relay failed");
    }
    binary
}

fn start_relay(sandbox: &Sandbox, coordinator_key: &str) -> RelayProcess {
    // A free port: bound by the OS, released, then given to the relay.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(relay_binary())
        .args(["serve", "--data"])
        .arg(sandbox.path("relay-data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--coordinator-key", coordinator_key])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the relay starts");
    let relay = RelayProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the relay did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    relay
}

#[test]
fn members_enrol_pull_the_roster_and_log_in_through_a_real_relay() {
    let sandbox = Sandbox::new();
    let coordinator = sandbox.member("Aye Aye");
    sandbox.member("Ko Ko");
    let run =
        |member: &str, args: &[&str]| sandbox.sealpost(member).args(args).arg("--json").unlocked();
    run(
        "Aye Aye",
        &["cluster", "create", "--name", "Relay Test Cluster"],
    )
    .succeeds()
    .json();
    let relay = start_relay(&sandbox, text(&coordinator, "signing_key"));

    // Before the coordinator names a relay, members are told how to get one.
    run("Aye Aye", &["cluster", "publish"])
        .run()
        .assert_json_error("no-relay", "sealpost relay use");
    run("Aye Aye", &["relay", "use", &relay.url])
        .succeeds()
        .json();
    let published = run("Aye Aye", &["cluster", "publish"]).succeeds().json();
    assert_eq!(published["version"], 1, "{published}");
    assert_eq!(published["unchanged"], false, "{published}");

    // The invite carries the relay's address; the member pins it with the coordinator key.
    let invited = run(
        "Aye Aye",
        &["cluster", "invite", "--role", "imo", "--relay", &relay.url],
    )
    .succeeds()
    .json();
    let request = sandbox.path("ko-ko-join.json");
    let joined = run(
        "Ko Ko",
        &[
            "join",
            text(&invited, "code"),
            "--out",
            request.to_str().unwrap(),
        ],
    )
    .succeeds()
    .json();
    assert_eq!(joined["relay"], relay.url.as_str(), "{joined}");
    run(
        "Aye Aye",
        &["cluster", "approve", request.to_str().unwrap()],
    )
    .succeeds()
    .json();

    // Not published yet: the relay's roster does not list Ko Ko, so pulling it is refused.
    run("Ko Ko", &["roster", "pull"])
        .run()
        .assert_json_error("not-listed", "does not list you");
    run("Aye Aye", &["cluster", "publish"]).succeeds().json();
    let pulled = run("Ko Ko", &["roster", "pull"]).succeeds().json();
    assert_eq!(pulled["version"], 2, "{pulled}");
    let again = run("Ko Ko", &["roster", "pull"]).succeeds().json();
    assert_eq!(again["imported"], serde_json::json!([]), "{again}");
    let status = run("Ko Ko", &["relay", "status"]).succeeds().json();
    assert_eq!(status["relay_roster_version"], 2, "{status}");
    assert_eq!(status["held_roster_version"], 2, "{status}");

    // A login token, on the last line of the plain output.
    let token = sandbox
        .sealpost("Ko Ko")
        .arg("relay-token")
        .unlocked()
        .succeeds();
    let last = token.stdout.lines().last().expect("a token line");
    assert_eq!(last.len(), 43, "a 32-byte token in base64url: {last:?}");

    // Removed and published: the relay refuses Ko Ko's keys at once.
    run("Aye Aye", &["cluster", "remove", "Ko Ko"])
        .succeeds()
        .json();
    run("Aye Aye", &["cluster", "publish"]).succeeds().json();
    run("Ko Ko", &["relay-token"])
        .run()
        .assert_json_error("relay-refused", "not in its current roster");
}
