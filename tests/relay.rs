//! The CLI against a real `sealpost-relay` process on loopback: the coordinator points the
//! cluster at the relay and publishes the roster; a member joins with an invite carrying the
//! relay's address, pulls the roster from it (checked, not trusted) and gets a login token;
//! once removed, the relay refuses them.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Sandbox, text, workspace_binary};

/// A relay process serving a data directory inside the sandbox; killed when dropped. Its log
/// (at `debug`, the most it ever says) goes to `relay.log` in the sandbox, so tests can check
/// what a relay operator would see.
pub(crate) struct RelayProcess {
    child: Child,
    pub(crate) url: String,
    pub(crate) addr: SocketAddr,
    command: Vec<std::ffi::OsString>,
    log: PathBuf,
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl RelayProcess {
    fn spawn(command: &[std::ffi::OsString], log: &Path) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the relay log");
        Command::new(&command[0])
            .args(&command[1..])
            .env("SEALPOST_RELAY_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .expect("the relay starts")
    }

    /// Stops the relay at once (SIGKILL: no graceful shutdown, like a crash or power loss).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the relay again on the same address and data directory.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.child = Self::spawn(&self.command, &self.log);
        wait_listening(self.addr);
    }

    /// What the relay logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn wait_listening(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the relay did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn start_relay(sandbox: &Sandbox, coordinator_key: &str) -> RelayProcess {
    start_relay_at(sandbox, coordinator_key, IpAddr::from([127, 0, 0, 1]), &[])
}

/// A relay listening on `ip` (a free port), with `extra` arguments (say `--allow-http` for an
/// address that is not loopback).
pub(crate) fn start_relay_at(
    sandbox: &Sandbox,
    coordinator_key: &str,
    ip: IpAddr,
    extra: &[&str],
) -> RelayProcess {
    let port = TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = SocketAddr::new(ip, port);
    let mut command: Vec<std::ffi::OsString> = vec![workspace_binary("sealpost-relay").into()];
    command.extend(["serve".into(), "--data".into()]);
    command.push(sandbox.path("relay-data").into());
    command.extend(["--listen".into(), addr.to_string().into()]);
    command.extend(["--coordinator-key".into(), coordinator_key.into()]);
    command.extend(extra.iter().map(Into::into));
    let log = sandbox.path("relay.log");
    let child = RelayProcess::spawn(&command, &log);
    wait_listening(addr);
    RelayProcess {
        child,
        url: format!("http://{addr}"),
        addr,
        command,
        log,
    }
}

#[test]
fn members_enrol_pull_the_roster_and_log_in_through_a_real_relay() {
    let sandbox = Sandbox::new();
    let coordinator = sandbox.member("Aye Aye");
    sandbox.member("Ko Ko");
    sandbox.member("Thida");
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
    // Joining posts the request to the relay as well as writing the file.
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
    assert_eq!(joined["sent_to_relay"], true, "{joined}");
    assert!(request.is_file(), "the file is the fallback");

    // The coordinator's list fetches it from the relay (no file changed hands) and checks it
    // against the invite; the relay's copy is then deleted.
    let listed = run("Aye Aye", &["cluster", "requests"]).succeeds().json();
    assert_eq!(listed["relay"]["fetched"], 1, "{listed}");
    let requests = listed["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "{listed}");
    assert_eq!(requests[0]["id"], joined["request_id"], "{listed}");
    assert_eq!(requests[0]["problem"], serde_json::Value::Null, "{listed}");
    let again = run("Aye Aye", &["cluster", "requests"]).succeeds().json();
    assert_eq!(again["relay"]["fetched"], 0, "fetched once: {again}");
    assert_eq!(
        again["requests"].as_array().map(Vec::len),
        Some(1),
        "{again}"
    );

    // Approving publishes the new roster to the relay at once.
    let approved = run("Aye Aye", &["cluster", "approve", text(&requests[0], "id")])
        .succeeds()
        .json();
    assert_eq!(approved["relay"]["published"], true, "{approved}");
    let pulled = run("Ko Ko", &["roster", "pull"]).succeeds().json();
    assert_eq!(pulled["version"], 2, "{pulled}");
    let pulled_again = run("Ko Ko", &["roster", "pull"]).succeeds().json();
    assert_eq!(
        pulled_again["imported"],
        serde_json::json!([]),
        "{pulled_again}"
    );
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

    // Removed (and so published): the relay refuses Ko Ko's keys at once.
    let removed = run("Aye Aye", &["cluster", "remove", "Ko Ko"])
        .succeeds()
        .json();
    assert_eq!(removed["relay"]["published"], true, "{removed}");
    run("Ko Ko", &["relay-token"])
        .run()
        .assert_json_error("relay-refused", "not in its current roster");

    // Approving by id a request still on the relay fetches it first: no `cluster requests`
    // needed in between.
    let invited = run(
        "Aye Aye",
        &[
            "cluster", "invite", "--role", "partner", "--relay", &relay.url,
        ],
    )
    .succeeds()
    .json();
    let request = sandbox.path("thida-join.json");
    let joined = run(
        "Thida",
        &[
            "join",
            text(&invited, "code"),
            "--out",
            request.to_str().unwrap(),
        ],
    )
    .succeeds()
    .json();
    assert_eq!(joined["sent_to_relay"], true, "{joined}");
    let approved = run(
        "Aye Aye",
        &["cluster", "approve", text(&joined, "request_id")],
    )
    .succeeds()
    .json();
    assert_eq!(approved["change"], "joined", "{approved}");
    assert_eq!(approved["relay"]["published"], true, "{approved}");
}

#[test]
fn joining_and_approving_work_while_the_relay_is_out_of_reach() {
    let sandbox = Sandbox::new();
    let coordinator = sandbox.member("Aye Aye");
    sandbox.member("Mya Mya");
    let run =
        |member: &str, args: &[&str]| sandbox.sealpost(member).args(args).arg("--json").unlocked();
    run(
        "Aye Aye",
        &["cluster", "create", "--name", "Offline Cluster"],
    )
    .succeeds()
    .json();
    // The relay holds version 1; then the field office goes offline.
    let mut relay = start_relay(&sandbox, text(&coordinator, "signing_key"));
    let dead = relay.url.clone();
    run("Aye Aye", &["relay", "use", &dead]).succeeds().json();
    run("Aye Aye", &["cluster", "publish"]).succeeds().json();
    relay.kill();
    let invited = run(
        "Aye Aye",
        &["cluster", "invite", "--role", "partner", "--relay", &dead],
    )
    .succeeds()
    .json();

    // The join still succeeds: the file is written, and the member is told it was not sent.
    let request = sandbox.path("mya-join.json");
    let joined = run(
        "Mya Mya",
        &[
            "join",
            text(&invited, "code"),
            "--out",
            request.to_str().unwrap(),
        ],
    )
    .succeeds()
    .json();
    assert_eq!(joined["sent_to_relay"], false, "{joined}");
    assert_eq!(
        joined["relay_error"]["code"], "relay-unreachable",
        "{joined}"
    );
    run(
        "Mya Mya",
        &["relay", "send-request", request.to_str().unwrap()],
    )
    .run()
    .assert_json_error("relay-unreachable", "try again");

    // The coordinator adds the file by hand and approves: the roster is signed and kept, and
    // the answer says it could not be published, and how to publish it later.
    let listed = run(
        "Aye Aye",
        &["cluster", "requests", "--add", request.to_str().unwrap()],
    )
    .succeeds()
    .json();
    assert_eq!(
        listed["relay"]["error"]["code"], "relay-unreachable",
        "{listed}"
    );
    let approved = run(
        "Aye Aye",
        &["cluster", "approve", request.to_str().unwrap()],
    )
    .succeeds()
    .json();
    assert_eq!(approved["roster"]["version"], 2, "{approved}");
    assert_eq!(approved["relay"]["published"], false, "{approved}");
    assert_eq!(
        approved["relay"]["error"]["code"], "relay-unreachable",
        "{approved}"
    );

    // A second change while still offline: version 3.
    let renewed = run("Aye Aye", &["cluster", "renew"]).succeeds().json();
    assert_eq!(renewed["version"], 3, "{renewed}");
    assert_eq!(renewed["relay"]["published"], false, "{renewed}");

    // Back online (same data, same address): one publish sends versions 2 and 3 in order —
    // the relay accepts only the version after its own — and the member pulls the chain.
    relay.restart();
    let published = run("Aye Aye", &["cluster", "publish"]).succeeds().json();
    assert_eq!(published["version"], 3, "{published}");
    let pulled = run("Mya Mya", &["roster", "pull"]).succeeds().json();
    assert_eq!(pulled["version"], 3, "{pulled}");
}
