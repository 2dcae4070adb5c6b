//! Test harness for a bad network: a program run in its own network namespace reaches the root
//! namespace (where the test and e.g. a relay run) only over an emulated link with netem-style
//! delay, jitter, loss and rate, which a test can change or cut for a while.
//!
//! The link is a pair of TUN devices, one in each namespace, joined by a small userspace "wire"
//! (Python, stdlib only) that holds each packet for its delay, drops lost ones and paces them to
//! the rate. Not veth + `tc qdisc ... netem`: the kernel our machines and CI run (a minimal VM
//! kernel without modules) has no netem qdisc at all ("Specified qdisc kind is unknown"), only
//! fifo, HTB and TBF. The wire applies the spec to each direction separately, as netem on the
//! egress of both ends would: "delay 300ms" makes a 600 ms round trip.
//!
//! The wire is its own file, `tests/netem-wire.py` (compiled in with `include_str!` and run with
//! `python3 -c`), so that scripts outside the tests, such as a benchmark, can build the same link
//! with the same program; its header says how to drive it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Every link's addresses come from this /16, a /30 each; the root namespace routes what is left
/// of it into a blackhole, so nothing meant for a link that is gone leaves the machine.
const RANGE: &str = "10.203.0.0/16";

/// Namespaces are named `PREFIX-PID-N`, so that a later run can remove those a killed test
/// process left behind.
const NS_PREFIX: &str = "sealpost-netem";

/// The wire between the two TUN devices, `tests/netem-wire.py`: reads packets from either,
/// delivers each on the other when its time comes. Commands on stdin, one a line, each answered
/// "ok": `set DELAY JITTER LOSS RATE LIMIT` (seconds, seconds, fraction, bits/s with 0 for
/// unlimited, packets) and `cut` (drop everything until the next `set`). It exits when stdin
/// closes, and its devices with it: a test process that dies leaves no device behind.
const WIRE: &str = include_str!("netem-wire.py");

/// The part of netem's syntax the wire understands: `delay TIME [JITTER]`, `loss PERCENT%`,
/// `rate RATE` (tc units: bit, kbit, mbit, gbit, bps, kbps, mbps) and `limit PACKETS`.
#[derive(Debug, Clone, PartialEq)]
struct Netem {
    delay: Duration,
    jitter: Duration,
    /// The share of packets lost, 0 to 1.
    loss: f64,
    /// Bits per second; 0 for no limit.
    rate: u64,
    /// Packets on their way in one direction beyond which more are dropped (netem's default).
    limit: u32,
}

impl Netem {
    fn parse<'a>(spec: &'a str) -> Result<Netem, String> {
        let mut netem = Netem {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            rate: 0,
            limit: 1000,
        };
        let mut words = spec.split_whitespace().peekable();
        while let Some(word) = words.next() {
            let need =
                |value: Option<&'a str>| value.ok_or(format!("{word} needs a value in {spec:?}"));
            match word {
                "delay" => {
                    netem.delay = parse_time(need(words.next())?)?;
                    if let Some(jitter) = words.peek().and_then(|w| parse_time(w).ok()) {
                        netem.jitter = jitter;
                        words.next();
                    }
                }
                "loss" => {
                    let text = need(words.next())?;
                    let percent: f64 = text
                        .trim_end_matches('%')
                        .parse()
                        .map_err(|_| format!("bad loss {text:?} in {spec:?}"))?;
                    if !(0.0..=100.0).contains(&percent) {
                        return Err(format!("loss {text:?} is not 0-100% in {spec:?}"));
                    }
                    netem.loss = percent / 100.0;
                }
                "rate" => netem.rate = parse_rate(need(words.next())?)?,
                "limit" => {
                    let text = need(words.next())?;
                    netem.limit = text
                        .parse()
                        .map_err(|_| format!("bad limit {text:?} in {spec:?}"))?;
                }
                other => return Err(format!("unsupported netem option {other:?} in {spec:?}")),
            }
        }
        Ok(netem)
    }

    /// The wire's `set` command for this spec.
    fn command(&self) -> String {
        format!(
            "set {} {} {} {} {}",
            self.delay.as_secs_f64(),
            self.jitter.as_secs_f64(),
            self.loss,
            self.rate,
            self.limit
        )
    }
}

/// A tc time: a number with `us`, `ms` or `s`.
fn parse_time(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_unit(text);
    let scale = match unit {
        "us" | "usec" => 1e-6,
        "ms" | "msec" => 1e-3,
        "s" | "sec" => 1.0,
        _ => return Err(format!("bad time {text:?} (use us, ms or s)")),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| *n >= 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or(format!("bad time {text:?}"))
}

/// A tc rate in bits per second: `bit`, `kbit`, `mbit`, `gbit` or bytes with `bps`, `kbps`,
/// `mbps` (powers of 1000, as tc has them).
fn parse_rate(text: &str) -> Result<u64, String> {
    let (number, unit) = split_unit(text);
    let scale = match unit.to_ascii_lowercase().as_str() {
        "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        _ => {
            return Err(format!(
                "bad rate {text:?} (use bit, kbit, mbit, gbit or bps)"
            ));
        }
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| *n > 0.0)
        .map(|n| (n * scale) as u64)
        .ok_or(format!("bad rate {text:?}"))
}

fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text.split_at(at)
}

/// Runs `program args`; its stdout, or what went wrong with its stderr.
fn run<I, S>(program: &str, args: I) -> Result<String, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    let output = command
        .output()
        .map_err(|e| format!("cannot run {program}: {e} (install iproute2)"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `ip ARGS`, which must succeed.
fn ip(args: &[&str]) {
    if let Err(e) = run("ip", args) {
        panic!("{e}");
    }
}

/// The running wire process.
#[derive(Debug)]
struct Wire {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Wire {
    /// Starts the wire, which creates the TUN devices `host_dev` and `far_dev` (both in the
    /// root namespace; the caller moves one) and carries nothing until the first `set`.
    fn start(host_dev: &str, far_dev: &str) -> Result<Wire, String> {
        let mut child = Command::new("python3")
            .args(["-c", WIRE, host_dev, far_dev])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let mut wire = Wire {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("piped stdout")),
            child,
        };
        match wire.answer() {
            Ok(line) if line == "ready" => Ok(wire),
            other => {
                // Its stderr says why (e.g. no /dev/net/tun); it has exited, or exits now.
                wire.stdin = None;
                let _ = wire.child.kill();
                let mut stderr = String::new();
                if let Some(mut pipe) = wire.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                let _ = wire.child.wait();
                Err(format!(
                    "the link's wire did not start ({other:?}): {}",
                    stderr.trim()
                ))
            }
        }
    }

    fn answer(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the wire exited".to_owned()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends one command and waits until the wire has applied it.
    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("the wire is running");
        writeln!(stdin, "{command}").expect("the wire takes commands");
        stdin.flush().expect("the wire takes commands");
        assert_eq!(
            self.answer().as_deref(),
            Ok("ok"),
            "the wire did not take {command:?}"
        );
    }

    fn stop(&mut self) {
        // End of input makes it exit, which removes both devices; kill in case it is stuck.
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ok when this process can build links: root, `ip netns`, `ss` and a wire with its TUN
/// devices all work (checked once by doing it); Err with the reason otherwise.
pub(crate) fn available() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT.get_or_init(probe).clone()
}

fn probe() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let effective_uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1));
    if effective_uid != Some("0") {
        return Err("not root (network namespaces and TUN devices need root)".to_owned());
    }
    let pid = std::process::id();
    let namespace = format!("{NS_PREFIX}-probe-{pid}");
    run("ip", ["netns", "add", &namespace])?;
    run("ip", ["netns", "del", &namespace])?;
    run("ss", ["-V"])?;
    Wire::start(&format!("spp{pid}a"), &format!("spp{pid}b"))?.stop();
    Ok(())
}

/// True when a test can use [`Link`]. When it cannot: with `CI=true` the test fails (CI must
/// exercise the harness); elsewhere it says loudly that `test` is skipped, and returns false.
pub(crate) fn available_or_skip(test: &str) -> bool {
    let Err(reason) = available() else {
        return true;
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI=true but the network emulation harness is unavailable: {reason}"
    );
    // Straight to stderr, not through eprintln!, which the test harness captures and hides.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** {test} skipped: {reason}.\n*** It needs root, iproute2 and python3 \
         (scripts/setup installs them).\n"
    );
    false
}

/// Once per process: removes namespaces left by test processes that no longer run, and routes
/// [`RANGE`] into a blackhole in the root namespace. Each link's own /32 routes are more
/// specific and win while it exists; after it is gone, a root-side socket still sending to its
/// far address (e.g. a relay's retransmissions) hits the blackhole instead of the default route,
/// so no test traffic for these private addresses ever leaves the machine.
fn prepare_host() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        ip(&["route", "replace", "blackhole", RANGE]);
        let listing = run("ip", ["netns", "list"]).unwrap_or_default();
        for name in listing.lines().filter_map(|l| l.split_whitespace().next()) {
            let Some(rest) = name.strip_prefix(&format!("{NS_PREFIX}-")) else {
                continue;
            };
            let pid = rest.trim_start_matches("probe-").split('-').next();
            if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = run("ip", ["netns", "del", name]);
            }
        }
    });
}

/// Links made by this process, for unique names and addresses.
static LINKS: AtomicU32 = AtomicU32::new(0);

/// A network namespace joined to the root namespace by an emulated link. Dropping it removes
/// the namespace and the devices (also when the test panics); programs still running inside
/// lose their network.
#[derive(Debug)]
pub(crate) struct Link {
    namespace: String,
    host: Ipv4Addr,
    far: Ipv4Addr,
    netem: Mutex<Netem>,
    wire: Mutex<Wire>,
}

impl Link {
    /// A new namespace and link whose two directions each behave like netem with `netem`
    /// (e.g. "delay 300ms loss 10%", "delay 100ms 20ms rate 1mbit"; "" for a clean link).
    /// Panics when the spec has anything else, or the link cannot be made.
    pub(crate) fn new(netem: &str) -> Link {
        let netem = Netem::parse(netem).unwrap_or_else(|e| panic!("{e}"));
        prepare_host();
        let pid = std::process::id();
        let n = LINKS.fetch_add(1, Ordering::Relaxed);
        // Device names have at most 15 bytes: "spn" + pid (at most 7 digits) + h/f + n.
        let (host_dev, far_dev) = (format!("spn{pid}h{n}"), format!("spn{pid}f{n}"));
        assert!(host_dev.len() <= 15, "device name {host_dev} is too long");
        let wire = Wire::start(&host_dev, &far_dev).unwrap_or_else(|e| panic!("{e}"));
        let (host, far) = free_pair(pid, n);
        let namespace = format!("{NS_PREFIX}-{pid}-{n}");
        ip(&["netns", "add", &namespace]);
        // From here on, a panic drops the link, which cleans up.
        let link = Link {
            namespace,
            host,
            far,
            netem: Mutex::new(netem.clone()),
            wire: Mutex::new(wire),
        };
        let ns = link.namespace.as_str();
        ip(&["link", "set", &far_dev, "netns", ns]);
        // No IPv6 link-local addresses: nothing but the test's own traffic on the link.
        ip(&["link", "set", &host_dev, "addrgenmode", "none"]);
        ip(&["-n", ns, "link", "set", &far_dev, "addrgenmode", "none"]);
        let (host, far) = (host.to_string(), far.to_string());
        ip(&["addr", "add", &host, "peer", &far, "dev", &host_dev]);
        ip(&[
            "-n", ns, "addr", "add", &far, "peer", &host, "dev", &far_dev,
        ]);
        ip(&["link", "set", &host_dev, "up"]);
        ip(&["-n", ns, "link", "set", &far_dev, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
        link.wire().send(&netem.command());
        link
    }

    /// The root side's address: where a server in the root namespace must listen (this address
    /// or 0.0.0.0, not 127.0.0.1) for programs in the namespace to reach it.
    pub(crate) fn host_addr(&self) -> IpAddr {
        IpAddr::V4(self.host)
    }

    /// The address of the namespace's end of the link.
    pub(crate) fn far_addr(&self) -> IpAddr {
        IpAddr::V4(self.far)
    }

    /// `ip netns exec NAMESPACE program`: runs `program` (with the arguments the caller adds)
    /// inside the namespace, where the only way out is the link to [`Link::host_addr`].
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.namespace, program]);
        command
    }

    /// Breaks the link for `duration`, then restores it as it was. Every TCP connection over
    /// the link dies at once at both ends, as after a NAT or mobile network drop: the wire drops
    /// all packets, and `ss -K` destroys the sockets on either side (the reset each side sends
    /// is lost on the dead wire, so each side gets its own error right away: ECONNABORTED, or
    /// ECONNRESET from a reset queued before the cut). New connections get no answer until the
    /// link is back. Blocks for `duration`: call it from another thread to cut a transfer.
    pub(crate) fn cut(&self, duration: Duration) {
        self.down_for(duration, || {
            let far_side = kill_connections(Some(&self.namespace), self.host);
            if let Err(e) = kill_connections(None, self.far).and(far_side) {
                panic!("{e}");
            }
        });
    }

    /// Takes the link down for `duration`, then restores it as it was, leaving the connections
    /// over it alone, as a radio out of reach or a cable pulled and put back does: the wire
    /// drops every packet (those on their way too), and TCP on either side retransmits until
    /// the link is back. Blocks for `duration`.
    pub(crate) fn outage(&self, duration: Duration) {
        self.down_for(duration, || ());
    }

    /// The wire drops everything, `meanwhile` runs, and after `duration` the wire carries again.
    fn down_for(&self, duration: Duration, meanwhile: impl FnOnce()) {
        let mut wire = self.wire();
        wire.send("cut");
        meanwhile();
        std::thread::sleep(duration);
        let netem = self.netem.lock().unwrap_or_else(PoisonError::into_inner);
        wire.send(&netem.command());
    }

    /// Changes how the link behaves from now on, in both directions (same syntax as
    /// [`Link::new`]).
    pub(crate) fn set_netem(&self, netem: &str) {
        let netem = Netem::parse(netem).unwrap_or_else(|e| panic!("{e}"));
        let mut wire = self.wire();
        wire.send(&netem.command());
        *self.netem.lock().unwrap_or_else(PoisonError::into_inner) = netem;
    }

    fn wire(&self) -> MutexGuard<'_, Wire> {
        self.wire.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Root-side connections to the namespace die now rather than retransmit into the void.
        let _ = kill_connections(None, self.far);
        self.wire
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
        let _ = run("ip", ["netns", "del", &self.namespace]);
    }
}

/// Destroys the TCP sockets of the root namespace (`None`) or of `namespace` that are connected
/// to `peer`, with `ss -K` (the kernel's sock_diag destroy: the application's next or pending
/// call fails with ECONNABORTED, and a reset goes to the peer). "connected" is every state but
/// listening and closed, so a server's listening socket survives.
fn kill_connections(namespace: Option<&str>, peer: Ipv4Addr) -> Result<String, String> {
    let peer = peer.to_string();
    let ss = ["ss", "-K", "-t", "state", "connected", "dst", &peer];
    match namespace {
        None => run("ss", &ss[1..]),
        Some(namespace) => run("ip", ["netns", "exec", namespace].iter().chain(&ss)),
    }
}

/// A /30 of [`RANGE`] for link `n` of process `pid` that no device in the root namespace uses:
/// its .1 for the host side, .2 for the far side. Starting from the pid keeps parallel test
/// processes apart; skipping used addresses covers the rare clash.
fn free_pair(pid: u32, n: u32) -> (Ipv4Addr, Ipv4Addr) {
    let used = run("ip", ["-4", "-o", "addr", "show"]).unwrap_or_default();
    for attempt in 0..16384 {
        let slot = (pid.wrapping_mul(64).wrapping_add(n).wrapping_add(attempt)) % 16384;
        let base = u32::from(Ipv4Addr::new(10, 203, 0, 0)) + slot * 4;
        let (host, far) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
        if !used.contains(&format!(" {host} ")) && !used.contains(&format!(" {far} ")) {
            return (host, far);
        }
    }
    panic!("no free /30 left in {RANGE}");
}

/// Kills a child process when a test fails half-way, so that it does not outlive the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection accepted within `limit`, in blocking mode again.
fn accept_within(listener: &TcpListener, limit: Duration) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + limit;
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("no connection over the link within {limit:?}: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream
}

/// Connects to ADDRESS PORT, sends back the 5 bytes it is sent, and exits.
const ECHO_CLIENT: &str = r#"
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
data = b""
while len(data) < 5:
    data += c.recv(5 - len(data))
c.sendall(data)
"#;

/// Connects to ADDRESS PORT and reads until the end; prints "receiving" after the first 64 KiB,
/// then exits 1 with the error that stops the reading (3 on a clean end of stream).
const SINK_CLIENT: &str = r#"
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
total = 0
try:
    while True:
        data = c.recv(65536)
        if not data:
            sys.exit(3)
        if total < 65536 <= total + len(data):
            print("receiving", flush=True)
        total += len(data)
except OSError as e:
    print(f"failed after {total} bytes: {e}", flush=True)
    sys.exit(1)
"#;

/// The time the root side waits from sending 5 bytes to a client in the namespace to getting
/// them back: one round trip over the link.
fn round_trip(link: &Link, listener: &TcpListener) -> Duration {
    let port = listener.local_addr().unwrap().port().to_string();
    let client = link
        .command("python3")
        .args(["-c", ECHO_CLIENT, &link.host_addr().to_string(), &port])
        .stdin(Stdio::null())
        .spawn()
        .expect("python3 runs in the namespace");
    let mut client = Reaped(client);
    let mut stream = accept_within(listener, Duration::from_secs(10));
    // It came over the link, not some other way.
    assert_eq!(stream.peer_addr().unwrap().ip(), link.far_addr());
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = Instant::now();
    stream.write_all(b"ping\n").unwrap();
    let mut echoed = [0; 5];
    stream.read_exact(&mut echoed).expect("the echo comes back");
    let elapsed = start.elapsed();
    assert_eq!(&echoed, b"ping\n");
    assert!(client.0.wait().unwrap().success(), "the echo client failed");
    elapsed
}

#[test]
fn netem_spec_parses() {
    let netem = Netem::parse("delay 300ms 20ms loss 10% rate 2mbit limit 50").unwrap();
    assert_eq!(
        netem,
        Netem {
            delay: Duration::from_millis(300),
            jitter: Duration::from_millis(20),
            loss: 0.1,
            rate: 2_000_000,
            limit: 50,
        }
    );
    assert_eq!(Netem::parse("rate 100kbps").unwrap().rate, 800_000);
    assert_eq!(Netem::parse("").unwrap().delay, Duration::ZERO);
    for bad in ["delay", "delay 3", "loss 120%", "rate fast", "duplicate 1%"] {
        assert!(Netem::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn netem_link_delays_and_cuts() {
    if !available_or_skip("netem_link_delays_and_cuts") {
        return;
    }
    let link = Link::new("delay 300ms");
    let listener = TcpListener::bind((link.host_addr(), 0)).expect("listen on the host side");

    // 300 ms each way: no round trip can be faster than 600 ms.
    let rtt = round_trip(&link, &listener);
    assert!(rtt >= Duration::from_millis(600), "round trip took {rtt:?}");

    // An endless download into the namespace, cut while it runs: both ends must fail, quickly,
    // instead of waiting for a link that will come back.
    let port = listener.local_addr().unwrap().port().to_string();
    let mut client = link
        .command("python3")
        .args(["-c", SINK_CLIENT, &link.host_addr().to_string(), &port])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs in the namespace");
    let mut progress = BufReader::new(client.stdout.take().unwrap());
    let mut client = Reaped(client);
    let mut stream = accept_within(&listener, Duration::from_secs(10));
    let (sent, server_error) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let chunk = vec![7u8; 64 * 1024];
        let error = loop {
            if let Err(e) = stream.write_all(&chunk) {
                break e;
            }
        };
        let _ = sent.send(error);
    });
    let mut line = String::new();
    progress.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "receiving", "the download did not start");

    std::thread::scope(|scope| {
        let cutting = scope.spawn(|| link.cut(Duration::from_secs(2)));
        let cut_at = Instant::now();
        // Both ends notice within a second, long before the link is back.
        let error = server_error
            .recv_timeout(Duration::from_secs(1))
            .expect("the server's writes fail soon after the cut");
        assert!(
            matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
            ),
            "unexpected server error: {error}"
        );
        let status = loop {
            if let Some(status) = client.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                cut_at.elapsed() < Duration::from_secs(1),
                "the client still waits for data a second after the cut"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        line.clear();
        progress.read_line(&mut line).unwrap();
        assert_eq!(status.code(), Some(1), "client: {line}");
        assert!(line.starts_with("failed after"), "client: {line}");
        cutting.join().unwrap();
    });
    server.join().unwrap();

    // Back as it was, delay included; and set_netem changes it.
    let rtt = round_trip(&link, &listener);
    assert!(rtt >= Duration::from_millis(600), "after the cut: {rtt:?}");
    link.set_netem("delay 500ms");
    let rtt = round_trip(&link, &listener);
    assert!(rtt >= Duration::from_millis(1000), "with 500 ms: {rtt:?}");
}
