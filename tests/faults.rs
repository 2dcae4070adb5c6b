//! The sync engine under network faults, end to end: the real `sealpost` binary and real
//! `sealpost-relay` processes, with a [`FaultProxy`] between them (a cut every megabyte both
//! ways, a client killed with SIGKILL mid-upload, a relay killed and restarted mid-upload) or an
//! emulated bad link between network namespaces (300 ms each way, 10 % loss, cut three times).
//! Each parcel must resume where it broke off, arrive exactly once and byte for byte; each test
//! prints what it measured (bytes re-sent, cuts, times) with [`measured`], which
//! `cargo test faults -- --nocapture` shows and `scripts/test` prints at the end of a run, and
//! checks the bound on bytes re-sent last, after the parcel's fate.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fault_proxy::FaultProxy;
use crate::mailroom::{Cluster, IMO, PARTNER};
use crate::netem::{Link, available_or_skip};
use crate::util::{Sandbox, sha256_hex, text};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

/// Prints a test's figures, and adds them to `faults-measured.txt` in the tests' scratch
/// directory (`target/tmp`), which `scripts/test` shows after the run: the test runner keeps a
/// passing test's output to itself.
fn measured(text: &str) {
    use std::io::Write;
    eprintln!("{text}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("faults-measured.txt");
    // One write per figure, appended: tests running side by side do not cut into each other.
    let line = format!("{}\n", text.replace('\n', " "));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("(not kept in {}: {e})", path.display());
    }
}

/// `len` random bytes in a sandbox file: incompressible, so the sealed parcel keeps the size.
fn random_file(sandbox: &Sandbox, name: &str, len: u64) -> PathBuf {
    let mut bytes = Vec::with_capacity(usize::try_from(len).expect("fits in memory"));
    std::fs::File::open("/dev/urandom")
        .and_then(|f| f.take(len).read_to_end(&mut bytes))
        .expect("read /dev/urandom");
    sandbox.write(name, bytes)
}

/// Points `member`'s app at `url` (the proxy in front of the relay).
fn route_through(cluster: &Cluster, member: &str, url: &str) {
    cluster
        .json(member, &["relay", "use", url])
        .succeeds()
        .json();
}

/// Seals `file` from the partner for the IMOs into the outbox, without sending it (`send
/// --no-sync`); returns the parcel id and its sealed size. Labelled `highly-confidential`: the
/// sensitivity scan cannot read random bytes, so it treats them as highly confidential and
/// refuses a lower label without an override reason (a higher one is always allowed).
fn queue(cluster: &Cluster, file: &Path) -> (String, u64) {
    let queued = cluster
        .json(
            PARTNER,
            &[
                "send",
                file.to_str().expect("a UTF-8 path"),
                "--to",
                "role:imo",
                "--label",
                "highly-confidential",
                "--no-sync",
            ],
        )
        .succeeds()
        .json();
    assert_eq!(queued["uploaded"], false, "{queued}");
    let size = queued["size"].as_u64().expect("a size");
    (text(&queued, "parcel_id").to_owned(), size)
}

/// The report's one `sent` entry for `parcel`, with nothing left waiting.
fn sent_once(report: &Value, parcel: &str) -> Value {
    let sent: Vec<&Value> = report["sent"]
        .as_array()
        .expect("sent")
        .iter()
        .filter(|s| s["parcel_id"] == parcel)
        .collect();
    assert_eq!(sent.len(), 1, "sent exactly once: {report}");
    assert_eq!(report["waiting"], json!([]), "{report}");
    sent[0].clone()
}

fn number(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is not a number in {value}"))
}

/// The partner's outbox is empty: nothing left to send, nothing sent twice later.
fn assert_outbox_empty(cluster: &Cluster) {
    let outbox = cluster.json(PARTNER, &["outbox"]).succeeds().json();
    assert_eq!(outbox["parcels"], json!([]), "{outbox}");
}

/// An IMO sync report that received `parcel` from the partner, and nothing else.
fn assert_received_only(report: &Value, parcel: &str) {
    let received = report["received"].as_array().expect("received");
    assert_eq!(received.len(), 1, "exactly one new parcel: {report}");
    assert_eq!(received[0]["parcel_id"], parcel, "{report}");
    assert_eq!(received[0]["kind"], "data", "{report}");
    assert_eq!(received[0]["sender"]["name"], PARTNER, "{report}");
}

/// The IMO holds `parcel` once (its inbox holds nothing else), a further sync brings nothing
/// new, and the parcel opens into exactly the bytes of `original`.
fn assert_held_once_and_intact(cluster: &Cluster, parcel: &str, original: &Path) {
    let again = cluster.json(IMO, &["sync"]).succeeds().json();
    assert_eq!(again["received"], json!([]), "nothing more: {again}");
    let inbox = cluster.json(IMO, &["inbox"]).succeeds().json();
    let parcels = inbox["parcels"].as_array().expect("parcels");
    assert_eq!(parcels.len(), 1, "one inbox entry, no duplicate: {inbox}");
    assert_eq!(parcels[0]["parcel_id"], parcel, "{inbox}");
    let out = cluster.sandbox.path(&format!("opened-{parcel}"));
    let opened = cluster
        .json(
            IMO,
            &["open", parcel, "--yes", "-o", out.to_str().expect("UTF-8")],
        )
        .succeeds()
        .json();
    let name = original.file_name().expect("a file name");
    assert_eq!(
        opened["files"].as_array().map(Vec::len),
        Some(1),
        "{opened}"
    );
    assert_eq!(
        opened["files"][0]["name"],
        name.to_str().expect("UTF-8"),
        "{opened}"
    );
    let got = std::fs::read(PathBuf::from(text(&opened, "dir")).join(name)).expect("opened");
    let sent = std::fs::read(original).expect("the original");
    assert_eq!(got.len(), sent.len(), "the opened file's size");
    assert_eq!(
        sha256_hex(&got),
        sha256_hex(&sent),
        "the opened file's bytes"
    );
}

/// A child process of the test, killed (SIGKILL) and reaped if the test ends before it does.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How a background `sealpost` ended.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Reaped {
    fn running(&mut self) -> bool {
        self.0.try_wait().expect("check the child").is_none()
    }

    /// Waits up to `limit` for the process to end by itself (fails the test otherwise); its
    /// exit code and output, which must be small (the pipes are read only at the end).
    fn finish(&mut self, limit: Duration) -> Finished {
        let deadline = Instant::now() + limit;
        while self.running() {
            if Instant::now() > deadline {
                let _ = self.0.kill();
                let _ = self.0.wait();
                let (stdout, stderr) = self.output();
                panic!(
                    "still running after {limit:?}, killed.\n--- stdout ---\n{stdout}\n--- \
                     stderr ---\n{stderr}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let code = self.0.wait().expect("reap the child").code();
        let (stdout, stderr) = self.output();
        Finished {
            code,
            stdout,
            stderr,
        }
    }

    fn output(&mut self) -> (String, String) {
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.0.stdout.take() {
            let _ = pipe.read_to_string(&mut stdout);
        }
        if let Some(mut pipe) = self.0.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (stdout, stderr)
    }
}

/// Polls `done` every 10 ms until it holds; fails with `what` after `limit`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many bytes of its one upload the relay holds so far: the size of its partial blob file
/// (the relay appends what arrives, and cuts back only bytes it never recorded).
fn relay_partial_bytes(cluster: &Cluster) -> u64 {
    std::fs::read_dir(cluster.sandbox.path("relay-data/blobs"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

fn percent(part: u64, whole: u64) -> f64 {
    part as f64 * 100.0 / whole as f64
}

#[test]
fn an_upload_and_a_download_cut_every_megabyte_resume_and_arrive_once_intact() {
    let cluster = Cluster::new();
    let proxy = FaultProxy::start(cluster.relay.addr);
    for member in [PARTNER, IMO] {
        route_through(&cluster, member, &proxy.url());
    }
    let file = random_file(&cluster.sandbox, "water-points-photos.bin", 8 * MIB);
    let (parcel, size) = queue(&cluster, &file);

    // Upload: a cut after every 1 000 000 bytes towards the relay, and a little latency.
    proxy.cut_every(1_000_000);
    proxy.set_delay(Duration::from_millis(1));
    let (up_before, cuts_before) = (proxy.upstream_bytes(), proxy.cuts());
    let started = Instant::now();
    let report = cluster
        .json(PARTNER, &["sync", "--patience", "30"])
        .succeeds()
        .json();
    let elapsed = started.elapsed();
    let upload_cuts = proxy.cuts() - cuts_before;
    let upstream = proxy.upstream_bytes() - up_before;
    let sent = sent_once(&report, &parcel);
    let resent = number(&sent, "resent_bytes");
    measured(&format!(
        "upload through the cutting proxy: {size} bytes in {elapsed:.1?}, {upload_cuts} cuts; \
         re-sent {resent} bytes ({:.2} %); the proxy forwarded {upstream} bytes to the relay ({} \
         more than the parcel)",
        percent(resent, size),
        upstream.saturating_sub(size)
    ));
    assert_eq!(number(&sent, "size"), size, "{sent}");
    assert_eq!(number(&sent, "sent_bytes"), size + resent, "{sent}");
    assert!(
        upload_cuts >= 5,
        "only {upload_cuts} cuts: the faults did not bite"
    );
    // The relay keeps what arrived before each cut: the proxy carried the parcel once, plus
    // requests' headers (a few hundred bytes each).
    assert!(upstream >= size, "{upstream} < {size}");
    assert!(
        upstream <= size + (upload_cuts + 1) * 32 * KIB,
        "the proxy forwarded {upstream} bytes for a parcel of {size}: the relay dropped bytes it \
         had received"
    );
    assert_outbox_empty(&cluster);

    // Download: the proxy counts only client→relay bytes towards `cut_every`, and a download
    // sends almost none; so a watcher cuts every connection each time another 1 000 000 bytes
    // went to the IMO.
    proxy.clear();
    proxy.set_delay(Duration::from_millis(1));
    let (down_before, cuts_before) = (proxy.downstream_bytes(), proxy.cuts());
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let report = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut next = down_before + 1_000_000;
            while !stop.load(Ordering::SeqCst) {
                if proxy.downstream_bytes() >= next {
                    proxy.cut_all_now();
                    next += 1_000_000;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let outcome = cluster.json(IMO, &["sync", "--patience", "30"]).run();
        stop.store(true, Ordering::SeqCst);
        outcome
    });
    let elapsed = started.elapsed();
    let download_cuts = proxy.cuts() - cuts_before;
    let downstream = proxy.downstream_bytes() - down_before;
    measured(&format!(
        "download through the cutting proxy: {size} bytes in {elapsed:.1?}, {download_cuts} cuts; \
         the proxy forwarded {downstream} bytes to the IMO ({} more than the parcel)",
        downstream.saturating_sub(size)
    ));
    assert_eq!(report.code, Some(0), "{report}");
    let report = report.json();
    assert_received_only(&report, &parcel);
    assert!(
        download_cuts >= 5,
        "only {download_cuts} cuts during the download"
    );
    // Each resume asks only for the bytes after those kept (Range).
    assert!(downstream >= size, "{downstream} < {size}");
    assert!(
        downstream <= size + download_cuts * MIB,
        "the proxy forwarded {downstream} bytes for a parcel of {size}: downloads restarted"
    );
    proxy.clear();
    assert_held_once_and_intact(&cluster, &parcel, &file);

    // Last, as they are figures rather than the parcel's fate. A cut loses only what was in
    // flight: what the client had handed to its socket but the relay did not get. First what
    // this machine allows (its send buffer, plus a megabyte for the proxy's own buffers): more
    // would mean confirmed bytes sent again.
    let buffered = socket_send_buffer_limit();
    assert!(
        resent <= upload_cuts * (buffered + MIB),
        "re-sent {resent} bytes over {upload_cuts} cuts: more than the {buffered}-byte send \
         buffer and a megabyte per cut, so bytes the relay had confirmed went again"
    );
}

/// The most a TCP socket's send buffer may grow to here (the last field of tcp_wmem): bytes a
/// client has handed to its socket that may still wait there, unsent, when a cut kills it.
fn socket_send_buffer_limit() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|w| w.split_whitespace().nth(2).and_then(|max| max.parse().ok()))
        .unwrap_or(4 * MIB)
}

#[test]
fn a_client_killed_mid_upload_resumes_where_the_relay_stopped_and_delivers_once() {
    let cluster = Cluster::new();
    let proxy = FaultProxy::start(cluster.relay.addr);
    route_through(&cluster, PARTNER, &proxy.url());
    let file = random_file(&cluster.sandbox, "registration-export.bin", 30 * MIB);
    let (parcel, size) = queue(&cluster, &file);

    // Slowed down (a pause per 16 KiB chunk) so that the upload takes several seconds.
    proxy.set_delay(Duration::from_millis(3));
    let before = proxy.upstream_bytes();
    let started = Instant::now();
    let mut sync = Reaped(cluster.json(PARTNER, &["sync"]).spawn());
    wait_until(
        Duration::from_secs(60),
        "a third of the parcel through the proxy",
        || proxy.upstream_bytes() - before >= size / 3 || !sync.running(),
    );
    assert!(
        sync.running(),
        "the sync ended before it was killed: {}",
        sync.finish(Duration::ZERO)
    );
    sync.0.kill().expect("SIGKILL the sync");
    sync.0.wait().expect("reap the killed sync");
    let at_kill = proxy.upstream_bytes() - before;
    let killed_after = started.elapsed();

    // The parcel is still in the outbox, sealed: nothing is lost and nothing is re-sealed.
    let outbox = cluster.json(PARTNER, &["outbox"]).succeeds().json();
    let entry = outbox["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .find(|p| p["parcel_id"] == parcel.as_str())
        .unwrap_or_else(|| panic!("{parcel} left the outbox: {outbox}"))
        .clone();
    assert_eq!(number(&entry, "size"), size, "{entry}");

    proxy.set_delay(Duration::ZERO);
    let started = Instant::now();
    let report = cluster.json(PARTNER, &["sync"]).succeeds().json();
    let resumed_in = started.elapsed();
    let sent = sent_once(&report, &parcel);
    let resent = number(&sent, "resent_bytes");
    let upstream = proxy.upstream_bytes() - before;
    measured(&format!(
        "kill -9 mid-upload: killed after {killed_after:.1?} with {at_kill} of {size} bytes \
         through the proxy; the outbox said {} confirmed, {} attempts; the resumed sync took \
         {resumed_in:.1?} and reported {resent} bytes re-sent; the proxy forwarded {upstream} \
         bytes to the relay in all ({} more than the parcel, {:.2} %)",
        number(&entry, "confirmed"),
        number(&entry, "attempts"),
        upstream.saturating_sub(size),
        percent(upstream.saturating_sub(size), size)
    ));
    // The resumed sync sent only what the relay lacked: the killed process's bytes that reached
    // the relay were kept, not sent again.
    assert!(
        upstream <= size + size / 20 + 64 * KIB,
        "the proxy forwarded {upstream} bytes for a parcel of {size}"
    );
    assert_outbox_empty(&cluster);

    let report = cluster.json(IMO, &["sync"]).succeeds().json();
    assert_received_only(&report, &parcel);
    assert_held_once_and_intact(&cluster, &parcel, &file);
}

#[test]
fn a_relay_killed_and_restarted_mid_upload_gets_the_parcel_from_an_unattended_sync() {
    let mut cluster = Cluster::new();
    let proxy = FaultProxy::start(cluster.relay.addr);
    route_through(&cluster, PARTNER, &proxy.url());
    let file = random_file(&cluster.sandbox, "distribution-plan.bin", 30 * MIB);
    let (parcel, size) = queue(&cluster, &file);

    proxy.set_delay(Duration::from_millis(3));
    let before = proxy.upstream_bytes();
    let started = Instant::now();
    let mut sync = Reaped(cluster.json(PARTNER, &["sync", "--patience", "30"]).spawn());
    wait_until(
        Duration::from_secs(60),
        "a third of the parcel on the relay",
        || relay_partial_bytes(&cluster) >= size / 3 || !sync.running(),
    );
    assert!(
        sync.running(),
        "the sync ended before the relay was killed: {}",
        sync.finish(Duration::ZERO)
    );
    let on_relay = relay_partial_bytes(&cluster);
    cluster.relay.kill();
    let at_kill = proxy.upstream_bytes() - before;
    std::thread::sleep(Duration::from_secs(2));
    cluster.relay.restart();
    let down_for = started.elapsed();

    // Nobody touches the sync: it must notice, wait for the relay and finish by itself.
    let finished = sync.finish(Duration::from_secs(120));
    let elapsed = started.elapsed();
    assert_eq!(finished.code, Some(0), "{finished}");
    let report: Value = serde_json::from_str(&finished.stdout).expect("a JSON report");
    let sent = sent_once(&report, &parcel);
    let resent = number(&sent, "resent_bytes");
    let upstream = proxy.upstream_bytes() - before;
    measured(&format!(
        "relay killed mid-upload with {on_relay} of {size} bytes in its partial file ({at_kill} \
         through the proxy), back after 2 s ({down_for:.1?} in); the unattended sync finished \
         after {elapsed:.1?}, re-sent {resent} bytes ({:.2} %); the proxy forwarded {upstream} \
         bytes to the relay in all",
        percent(resent, size)
    ));
    // A killed relay keeps only the offset it recorded; at worst everything sent before the
    // kill goes again (what the proxy had forwarded, and what still waited in the client's send
    // buffer or the proxy's), never more.
    assert!(
        resent <= at_kill + socket_send_buffer_limit() + MIB,
        "re-sent {resent} bytes, but only {at_kill} had gone before the relay died"
    );
    assert_outbox_empty(&cluster);

    let report = cluster.json(IMO, &["sync"]).succeeds().json();
    assert_received_only(&report, &parcel);
    assert_held_once_and_intact(&cluster, &parcel, &file);
}

/// The emulated field link, as netem would have it on both ends: 300 ms each way (a 600 ms
/// round trip), 10 % of packets lost each way, 20 Mbit/s. The rate is kept although the test
/// takes longer than hoped (100 to 160 s for the transfer): it is not what limits. Every cut
/// makes the upload start a new TCP connection, and on this link a new connection needs most
/// of a minute to speed up (measured: about 1 Mbit/s after 10 s, 4 to 10 after 40 s), as the
/// relay's receive window grows slowly under 10 % loss and BBR, once out of its startup,
/// probes only 25 % higher every 8 round trips (4.8 s). A lower rate would only make it
/// slower, a higher one would not make it faster.
const FIELD_LINK: &str = "delay 300ms loss 10% rate 20mbit";

/// How long the unattended watch may take to send the parcel before the test fails.
///
/// Alone on a 2-core machine the transfer takes 130 to 150 s (3 CPU-bound processes beside it
/// changed nothing); in CI, among the other tests, one run was still 0.9 MB short after 240 s,
/// so the bound is generous: the test is about arriving unattended, not about speed.
const FIELD_DEADLINE: Duration = Duration::from_secs(420);

/// One cut of the link: when, how much the relay held, and the sending socket just before.
#[derive(Debug)]
struct Cut {
    at: Duration,
    on_relay: u64,
    sender: Sender,
}

/// The upload's TCP socket as `ss -tin` shows it in the namespace.
#[derive(Debug, Default)]
struct Sender {
    /// Bytes the relay acknowledged on this connection.
    acked: u64,
    /// Bytes sent but not acknowledged: on the wire, queued in it, or arrived and not yet
    /// acknowledged.
    in_flight: u64,
    /// Bytes handed to the socket and not sent yet.
    unsent: u64,
    /// BBR's estimate of the bandwidth, in bits per second (0 if not shown).
    bandwidth: u64,
}

impl std::fmt::Display for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} acked, {} in flight, {} unsent, {:.1} Mbit/s",
            self.acked,
            self.in_flight,
            self.unsent,
            self.bandwidth as f64 / 1e6
        )
    }
}

/// Sets the flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The busiest TCP socket in the namespace (the upload's), from `ss -tin`; all zero if there is
/// none. What a cut loses is at most its bytes in flight and unsent.
fn sender_socket(link: &Link) -> Sender {
    let Ok(output) = link
        .command("ss")
        .args(["-tin", "state", "established"])
        .output()
    else {
        return Sender::default();
    };
    busiest_sender(&String::from_utf8_lossy(&output.stdout))
}

/// The socket with the most bytes sent in an `ss -tin` listing.
fn busiest_sender(listing: &str) -> Sender {
    // `name:NUMBER` (or `name:NUMBERbps`) among the socket's details.
    let field = |line: &str, name: &str| -> u64 {
        line.split(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .find_map(|word| word.strip_prefix(name))
            .and_then(|v| v.trim_end_matches("bps").parse().ok())
            .unwrap_or(0)
    };
    listing
        .lines()
        .filter(|l| l.contains("bytes_sent:"))
        .max_by_key(|l| field(l, "bytes_sent:"))
        .map(|info| Sender {
            acked: field(info, "bytes_acked:"),
            in_flight: field(info, "unacked:") * field(info, "mss:"),
            unsent: field(info, "notsent:"),
            bandwidth: field(info, "bw:"),
        })
        .unwrap_or_default()
}

/// `ip netns exec NAMESPACE`: what runs a program inside the link's namespace.
fn inside(link: &Link) -> Vec<OsString> {
    let command = link.command("sealpost");
    let mut prefix = vec![command.get_program().to_owned()];
    prefix.extend(command.get_args().map(OsStr::to_owned));
    // The last argument is the program itself.
    prefix.pop();
    prefix
}

/// The TCP congestion control of the namespace (senders inside it use it), or why not known.
fn congestion_control(link: &Link) -> String {
    link.command("cat")
        .arg("/proc/sys/net/ipv4/tcp_congestion_control")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// How the field link is interrupted, three times, during a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interruption {
    /// The link is down for 3 s and comes back; the connections over it live on (a radio out of
    /// reach, a cable pulled and put back): [`Link::outage`].
    Outage,
    /// The link is down for 3 s and every connection over it dies (a NAT or mobile network
    /// drop, a new address): [`Link::cut`].
    Drop,
}

/// What one transfer over the field link measured.
struct FieldRun {
    /// The parcel's size on the wire.
    size: u64,
    /// What the client counted as re-sent (`resent_bytes`): bytes handed to the network twice.
    resent: u64,
    /// The three interruptions, with the sending socket as it was just before each.
    cuts: Vec<Cut>,
    /// Every 5 s: how far the upload got, and the sending socket.
    timeline: Vec<String>,
    /// The relay's account of each upload body it received (ids and offsets only).
    relay_log: String,
}

/// A 50 MiB parcel sent by an unattended `sync --watch` from inside the namespace over
/// [`FIELD_LINK`], interrupted when the relay holds a quarter, a half and three quarters of it;
/// then received once and intact by the IMO in the root namespace. `None` when the machine
/// cannot make the link (the test is skipped, and says so).
fn across_the_field_link(test: &str, interruption: Interruption) -> Option<FieldRun> {
    if !available_or_skip(test) {
        return None;
    }
    let link = Link::new(FIELD_LINK);
    // The partner's app sends from inside the namespace. TCP there uses the namespace's own
    // congestion control (new namespaces start with the root namespace's, bbr on our machines):
    // with 10 % loss and a 600 ms round trip, a loss-based one such as cubic would crawl at
    // tens of kilobytes per second, and this test would time out.
    let congestion = congestion_control(&link);
    let cluster = Cluster::with_relay_on(link.host_addr(), &["--allow-http"]);
    let file = random_file(&cluster.sandbox, "field-survey.bin", 50 * MIB);
    // Sealing needs no network: from the root namespace, into the partner's outbox.
    let (parcel, size) = queue(&cluster, &file);

    let prefix = inside(&link);
    let prefix: Vec<&OsStr> = prefix.iter().map(OsString::as_os_str).collect();
    let started = Instant::now();
    let mut watch = Reaped(
        cluster
            .json(PARTNER, &["sync", "--watch", "--interval", "2"])
            .via(&prefix)
            .spawn(),
    );
    let (lines, passes) = mpsc::channel::<String>();
    let stdout = watch.0.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });

    let done = AtomicBool::new(false);
    let (sent, (cuts, timeline), reports) = std::thread::scope(|scope| {
        // However the reading below ends (a panic included), the cutter stops waiting.
        let _stop = StopOnDrop(&done);
        // Three interruptions of 3 s, when the relay holds a quarter, a half, three quarters.
        // Every 5 s it also notes how far the upload got and the sending socket: if the parcel
        // is late, the failure shows where the time went.
        let cutter = scope.spawn(|| {
            let mut cuts = Vec::new();
            let mut timeline = Vec::new();
            let mut next_sample = Duration::ZERO;
            while !done.load(Ordering::SeqCst) {
                if started.elapsed() >= next_sample {
                    next_sample += Duration::from_secs(5);
                    timeline.push(format!(
                        "{:>5.1?}: {} on the relay; sender: {}",
                        started.elapsed(),
                        relay_partial_bytes(&cluster),
                        sender_socket(&link)
                    ));
                }
                let quarter = cuts.len() as u64 + 1;
                if quarter <= 3 && relay_partial_bytes(&cluster) >= size * quarter / 4 {
                    cuts.push(Cut {
                        at: started.elapsed(),
                        on_relay: relay_partial_bytes(&cluster),
                        sender: sender_socket(&link),
                    });
                    match interruption {
                        Interruption::Outage => link.outage(Duration::from_secs(3)),
                        Interruption::Drop => link.cut(Duration::from_secs(3)),
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (cuts, timeline)
        });
        let deadline = started + FIELD_DEADLINE;
        let mut reports = Vec::new();
        let sent = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = passes.recv_timeout(left) else {
                break None;
            };
            let report: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("a pass printed something else than JSON ({e}): {line}")
            });
            reports.push(report.clone());
            if let Some(sent) = report["sent"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["parcel_id"] == parcel.as_str()))
            {
                break Some(sent.clone());
            }
        };
        done.store(true, Ordering::SeqCst);
        (sent, cutter.join().expect("the cutter"), reports)
    });
    let elapsed = started.elapsed();
    let _ = watch.0.kill();
    let _ = watch.0.wait();
    let passes_summary: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "sent {} waiting {} problems {}",
                r["sent"], r["waiting"], r["problems"]
            )
        })
        .collect();
    let Some(sent) = sent else {
        let (_, stderr) = watch.output();
        // The relay's account of the upload: each body received, from which offset, how much,
        // and whether it ended complete, cut or idle (ids and offsets only).
        let relay_log = upload_log(&cluster);
        let relay_log: Vec<&str> = relay_log.lines().collect();
        panic!(
            "the parcel was not sent within {elapsed:.1?} (congestion control in the namespace: \
             {congestion}; cuts: {cuts:?}); the relay holds {} of {size} bytes.\npasses:\n{}\n\
             stderr:\n{stderr}\ntimeline:\n{}\nthe relay on the upload:\n{}",
            relay_partial_bytes(&cluster),
            passes_summary.join("\n"),
            timeline.join("\n"),
            relay_log[relay_log.len().saturating_sub(30)..].join("\n")
        );
    };
    let resent = number(&sent, "resent_bytes");
    let cut_log: Vec<String> = cuts
        .iter()
        .map(|cut| {
            format!(
                "at {:.1?} with {} bytes on the relay (sender: {})",
                cut.at, cut.on_relay, cut.sender
            )
        })
        .collect();
    measured(&format!(
        "bad link ({FIELD_LINK}; congestion control in the namespace: {congestion}): {size} \
         bytes sent in {elapsed:.1?} by an unattended `sync --watch` ({} pass(es)); {interruption:?} \
         of 3 s {}; re-sent {resent} of {size} bytes ({:.2} %)",
        reports.len(),
        cut_log.join(", "),
        percent(resent, size)
    ));
    assert_eq!(cuts.len(), 3, "three cuts: {cuts:?}");
    assert_eq!(number(&sent, "size"), size, "{sent}");

    // The IMO, in the root namespace, receives it once and intact.
    let report = cluster.json(IMO, &["sync"]).succeeds().json();
    assert_received_only(&report, &parcel);
    assert_held_once_and_intact(&cluster, &parcel, &file);

    let relay_log = upload_log(&cluster);
    eprintln!("the relay on the upload ({interruption:?}):\n{relay_log}");
    Some(FieldRun {
        size,
        resent,
        cuts,
        timeline,
        relay_log,
    })
}

/// The relay's account of the uploads: each body received, from which offset, how much, and
/// whether it ended complete, cut or idle.
fn upload_log(cluster: &Cluster) -> String {
    let log = cluster.relay.log();
    let uploads: Vec<&str> = log.lines().filter(|l| l.contains("upload")).collect();
    uploads.join("\n")
}

/// The field test: three outages of 3 s during a 50 MB transfer over the lossy, slow
/// link. TCP carries each connection across an outage, so nothing needs sending twice but what
/// the link itself loses, which TCP retransmits below us, provided neither end gives up on a
/// connection while TCP recovers (bodies silent for 32 s were seen; with TCP_USER_TIMEOUT and
/// a 20-second relay, most outages ended the connection and 14 % went again).
#[test]
fn a_fifty_megabyte_parcel_crosses_a_lossy_slow_link_down_three_times() {
    let Some(run) = across_the_field_link(
        "faults::a_fifty_megabyte_parcel_crosses_a_lossy_slow_link_down_three_times",
        Interruption::Outage,
    ) else {
        return;
    };
    assert!(
        run.resent * 20 <= run.size,
        "re-sent {} of {} bytes ({:.2} %), more than 5 %: {:?}\ntimeline:\n{}\nthe relay on the \
         upload:\n{}",
        run.resent,
        run.size,
        percent(run.resent, run.size),
        run.cuts,
        run.timeline.join("\n"),
        run.relay_log
    );
}

/// The harsher field test: the same link and transfer, but each of the three interruptions
/// kills the connections, so the upload resumes on a new one from the relay's offset.
#[test]
fn a_fifty_megabyte_parcel_crosses_a_lossy_slow_link_whose_connections_die_three_times() {
    let Some(FieldRun {
        size, resent, cuts, ..
    }) = across_the_field_link(
        "faults::a_fifty_megabyte_parcel_crosses_a_lossy_slow_link_whose_connections_die_three_times",
        Interruption::Drop,
    )
    else {
        return;
    };
    // Each cut loses at most what was in flight and what still waited to be sent, plus, for
    // each cut, a megabyte for what the socket took between the look and the cut (and what
    // the relay had acknowledged but not yet read when the connection died): more would mean
    // bytes the relay had confirmed went again. (One megabyte for all three cuts was too
    // tight: a full run failed at 10.27 MB re-sent against 8.93 MB at risk plus 1 MiB.)
    let at_risk: u64 = cuts
        .iter()
        .map(|cut| cut.sender.in_flight + cut.sender.unsent + MIB)
        .sum();
    assert!(
        resent <= at_risk,
        "re-sent {resent} bytes, but only {at_risk} were in flight or unsent at the cuts (a \
         megabyte per cut included): {cuts:?}"
    );
    // Not asserted: the 5 % the issue asks for holds for outages (the test above), not here.
    // Each drop loses what the dead connection had in flight, which is all of it: with 10 %
    // loss the relay's TCP nearly always waits for a retransmission and holds the rest out of
    // order, and dies with it. To keep the link full TCP keeps one to two round trips' worth in
    // flight (20 Mbit/s x 600 ms = 1.5 MB, BBR up to twice that), so three drops cost 4.5 MB or
    // more, 9 % of 50 MB, at any speed worth having. On top of that comes what still waited in
    // this computer's socket buffer: counted as re-sent, but it never crossed the link.
    let unsent: u64 = cuts.iter().map(|cut| cut.sender.unsent).sum();
    measured(&format!(
        "bad link, connections dropped: re-sent {:.2} % of the parcel ({:.2} % without the {unsent} \
         bytes that still waited in the socket buffer at the drops)",
        percent(resent, size),
        percent(resent.saturating_sub(unsent), size)
    ));
}

#[test]
fn the_upload_socket_is_read_from_ss() {
    let listing = "\
Recv-Q Send-Q  Local Address:Port  Peer Address:Port Process
0      0         10.203.83.2:34060  10.203.83.1:37109
\t cubic wscale:10,10 rto:1160 mss:1448 advmss:1448 cwnd:18 bytes_sent:1598 bytes_acked:1030 \
unacked:1 notsent:7
0      2008376   10.203.83.2:46284  10.203.83.1:37109
\t bbr wscale:10,10 rto:804 rtt:603.672/2.554 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 \
cwnd:330 bytes_sent:15283640 bytes_retrans:1517504 bytes_acked:13266577 \
bbr:(bw:2979328bps,mrtt:600.812,pacing_gain:1,cwnd_gain:2) send 6332445bps \
delivery_rate 2961040bps unacked:345 retrans:21/1048 notsent:1508816 minrtt:600\n";
    let sender = busiest_sender(listing);
    assert_eq!(sender.acked, 13_266_577);
    assert_eq!(sender.in_flight, 345 * 1448);
    assert_eq!(sender.unsent, 1_508_816);
    assert_eq!(sender.bandwidth, 2_979_328);
    assert_eq!(busiest_sender("").in_flight, 0);
}
