//! A TCP proxy that injects network faults between a client and an upstream server (cuts after a
//! byte count, delays, refused connections), so that end-to-end tests can check how `sealpost`
//! recovers from a relay connection that breaks mid-transfer.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The largest chunk read and forwarded at once: a cut lands within the chunk that crosses
/// the budget, and is exact because only the budget's remainder of that chunk is forwarded.
const CHUNK: usize = 16 * 1024;

/// How long to wait for the upstream to accept a connection before giving up on it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A proxy on `127.0.0.1` forwarding every connection to one upstream address, with faults
/// that can be changed while it runs. Dropping it closes the listener and every connection.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the proxy's threads share: the faults, the live connections and the counters.
#[derive(Debug, Default)]
struct Shared {
    faults: Mutex<Faults>,
    live: Mutex<HashMap<u64, Live>>,
    stop: AtomicBool,
    upstream_bytes: AtomicU64,
    downstream_bytes: AtomicU64,
    cuts: AtomicU64,
    connections: AtomicU64,
}

/// The faults in force; the default is none.
#[derive(Debug, Default)]
struct Faults {
    cut: Option<CutBudget>,
    delay: Duration,
    refuse: bool,
}

/// Client→upstream bytes still to forward before the next cut.
#[derive(Debug)]
struct CutBudget {
    remaining: u64,
    /// `Some(bytes)` re-arms the budget with `bytes` after each cut (`cut_every`).
    every: Option<u64>,
}

/// A connection in flight: handles on its sockets so that a cut can shut them down from any
/// thread, and a flag so that its pumps treat the EOF that follows as a cut, not a close.
#[derive(Debug)]
struct Live {
    cut: Arc<AtomicBool>,
    sockets: Vec<TcpStream>,
}

/// Which way a pump copies: only client→upstream bytes count towards a cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// A panicking test thread must not turn every later lock into a second panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards every accepted connection to `upstream`.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let addr = listener.local_addr().expect("the fault proxy's address");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("fault-proxy-accept".to_owned())
                .spawn(move || accept_loop(&listener, &shared, upstream))
                .expect("start the fault proxy's listener thread")
        };
        FaultProxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The proxy's address as a base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One cut, once `bytes` more client→upstream bytes have passed (counted across
    /// connections from now): every live connection is then shut down and the fault disarms.
    pub fn cut_after(&self, bytes: u64) {
        lock(&self.shared.faults).cut = Some(CutBudget {
            remaining: bytes,
            every: None,
        });
    }

    /// A cut each time another `bytes` (more than zero) client→upstream bytes have passed,
    /// counted across connections, until [`FaultProxy::clear`].
    pub fn cut_every(&self, bytes: u64) {
        assert!(
            bytes > 0,
            "cut_every(0) would cut before forwarding anything"
        );
        lock(&self.shared.faults).cut = Some(CutBudget {
            remaining: bytes,
            every: Some(bytes),
        });
    }

    /// A pause before each forwarded chunk, in both directions (zero for none).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.shared.faults).delay = delay;
    }

    /// Shuts down every live connection now; counts as one cut if any was live.
    pub fn cut_all_now(&self) {
        if self.shared.cut_live() {
            self.shared.cuts.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// While `true`, new connections are accepted and closed at once, as if the upstream were
    /// unreachable; connections already forwarded are left alone.
    pub fn refuse(&self, refuse: bool) {
        lock(&self.shared.faults).refuse = refuse;
    }

    /// Removes every fault: no cut armed, no delay, no refusal. Counters are kept.
    pub fn clear(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }

    /// Client→upstream bytes forwarded so far (counted as each chunk is handed on: never less
    /// than the upstream has received).
    pub fn upstream_bytes(&self) -> u64 {
        self.shared.upstream_bytes.load(Ordering::SeqCst)
    }

    /// Upstream→client bytes forwarded so far (never less than the client has received).
    pub fn downstream_bytes(&self) -> u64 {
        self.shared.downstream_bytes.load(Ordering::SeqCst)
    }

    /// Cuts performed so far: one per exhausted budget and per effective `cut_all_now`.
    pub fn cuts(&self) -> u64 {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    /// Connections accepted so far, refused ones included.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // `accept` has no timeout: a connection of our own wakes it up to see the flag. Joined
        // only if that worked, so a drop can never hang; the listener closes with the thread.
        let woke = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT).is_ok();
        if let Some(acceptor) = self.acceptor.take()
            && woke
        {
            let _ = acceptor.join();
        }
        // After the listener thread: every connection it accepted is registered by now.
        self.shared.cut_live();
    }
}

impl Shared {
    /// Shuts down both sockets of every live connection; whether there was any.
    fn cut_live(&self) -> bool {
        let live = lock(&self.live);
        for connection in live.values() {
            connection.cut.store(true, Ordering::SeqCst);
            for socket in &connection.sockets {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
        !live.is_empty()
    }

    /// How much of an `n`-byte chunk may go upstream, and whether a cut follows it. Taken
    /// under the lock so that concurrent connections share one budget.
    fn take_budget(&self, n: usize) -> (usize, bool) {
        let mut faults = lock(&self.faults);
        let Some(cut) = faults.cut.as_mut() else {
            return (n, false);
        };
        let allowed = usize::try_from(cut.remaining).map_or(n, |remaining| n.min(remaining));
        cut.remaining -= allowed as u64;
        if cut.remaining > 0 {
            return (allowed, false);
        }
        match cut.every {
            Some(every) => cut.remaining = every,
            None => faults.cut = None,
        }
        (allowed, true)
    }

    /// Drops the proxy's handles on a finished connection, closing its sockets.
    fn forget(&self, id: u64) {
        lock(&self.live).remove(&id);
    }

    /// Shuts down and forgets one connection that could not be set up.
    fn abandon(&self, id: u64) {
        if let Some(connection) = lock(&self.live).remove(&id) {
            for socket in &connection.sockets {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, upstream: SocketAddr) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(client) = client else {
            // E.g. out of file descriptors: back off rather than spin.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let id = shared.connections.fetch_add(1, Ordering::SeqCst);
        if lock(&shared.faults).refuse {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        // Registered before the upstream connect, so that a cut meanwhile reaches it too.
        let cut = Arc::new(AtomicBool::new(false));
        let Ok(handle) = client.try_clone() else {
            continue;
        };
        lock(&shared.live).insert(
            id,
            Live {
                cut: Arc::clone(&cut),
                sockets: vec![handle],
            },
        );
        let spawned = {
            let shared = Arc::clone(shared);
            thread::Builder::new()
                .name(format!("fault-proxy-{id}"))
                .spawn(move || serve(&shared, id, &cut, client, upstream))
        };
        if spawned.is_err() {
            shared.abandon(id);
        }
    }
}

/// One connection: connects upstream, then pumps client→upstream on a second thread and
/// upstream→client on this one, and forgets the connection when both are done.
fn serve(shared: &Arc<Shared>, id: u64, cut: &Arc<AtomicBool>, client: TcpStream, to: SocketAddr) {
    let Some((server, client_in, server_out)) = connect_upstream(shared, id, cut, &client, to)
    else {
        let _ = client.shutdown(Shutdown::Both);
        shared.abandon(id);
        return;
    };
    let pump_up = {
        let shared = Arc::clone(shared);
        let cut = Arc::clone(cut);
        thread::Builder::new()
            .name(format!("fault-proxy-{id}-up"))
            .spawn(move || pump(&shared, &cut, client_in, server_out, Direction::Up))
    };
    let Ok(pump_up) = pump_up else {
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        shared.abandon(id);
        return;
    };
    pump(shared, cut, server, client, Direction::Down);
    let _ = pump_up.join();
    shared.forget(id);
}

/// The upstream socket, registered with the connection unless a cut came first, and the two
/// handles (client, upstream) the client→upstream pump needs.
fn connect_upstream(
    shared: &Shared,
    id: u64,
    cut: &AtomicBool,
    client: &TcpStream,
    to: SocketAddr,
) -> Option<(TcpStream, TcpStream, TcpStream)> {
    let server = TcpStream::connect_timeout(&to, CONNECT_TIMEOUT).ok()?;
    // Chunks go out as they come: delays and cuts should not wait on Nagle's algorithm.
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let client_in = client.try_clone().ok()?;
    let server_out = server.try_clone().ok()?;
    let handle = server.try_clone().ok()?;
    let mut live = lock(&shared.live);
    // Checked under the lock a cut takes, so a cut either sees this socket or is seen here.
    if cut.load(Ordering::SeqCst) {
        let _ = server.shutdown(Shutdown::Both);
        return None;
    }
    live.get_mut(&id)?.sockets.push(handle);
    Some((server, client_in, server_out))
}

/// Copies `from` to `to` chunk by chunk, applying the delay and (upstream) the cut budget. A
/// clean EOF is passed on as a half close; an error or a cut shuts down both sockets.
fn pump(shared: &Shared, cut: &AtomicBool, mut from: TcpStream, mut to: TcpStream, way: Direction) {
    let abort = |from: &TcpStream, to: &TcpStream| {
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    };
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return abort(&from, &to),
        };
        // A cut shows up here as an EOF or an error: it must not pass for a half close.
        if cut.load(Ordering::SeqCst) {
            return abort(&from, &to);
        }
        if n == 0 {
            let _ = to.shutdown(Shutdown::Write);
            return;
        }
        let delay = lock(&shared.faults).delay;
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        let (allowed, fire) = match way {
            Direction::Up => shared.take_budget(n),
            Direction::Down => (n, false),
        };
        // Counted before the write, so that a peer never sees bytes the counter does not.
        let counter = match way {
            Direction::Up => &shared.upstream_bytes,
            Direction::Down => &shared.downstream_bytes,
        };
        counter.fetch_add(allowed as u64, Ordering::SeqCst);
        if to.write_all(&buf[..allowed]).is_err() {
            return abort(&from, &to);
        }
        if fire {
            // Counted before the sockets go down, so a client that sees the cut sees it counted.
            shared.cuts.fetch_add(1, Ordering::SeqCst);
            shared.cut_live();
            return abort(&from, &to);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{self, Receiver};
    use std::time::Instant;

    use super::*;

    /// How long a test waits for anything before calling it a failure.
    const PATIENCE: Duration = Duration::from_secs(5);

    /// A small upstream server on loopback: reports each connection's bytes, once the client
    /// half closes it, on `received`; the echo variant also sends every byte back.
    struct Upstream {
        addr: SocketAddr,
        received: Receiver<Vec<u8>>,
    }

    impl Upstream {
        fn echo() -> Self {
            Self::start(true)
        }

        fn sink() -> Self {
            Self::start(false)
        }

        fn start(echo: bool) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind the upstream");
            let addr = listener.local_addr().expect("the upstream's address");
            let (report, received) = mpsc::channel();
            // Detached: blocked in accept until the test process exits, which it does not delay.
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let report = report.clone();
                    thread::spawn(move || {
                        let mut seen = Vec::new();
                        let mut buf = vec![0; 64 * 1024];
                        loop {
                            match stream.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    seen.extend_from_slice(&buf[..n]);
                                    if echo && stream.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = stream.shutdown(Shutdown::Write);
                        let _ = report.send(seen);
                    });
                }
            });
            Self { addr, received }
        }

        /// The bytes of the next connection to finish.
        fn next(&self) -> Vec<u8> {
            self.received
                .recv_timeout(PATIENCE)
                .expect("the upstream reports a finished connection")
        }

        /// That no (further) connection reached the upstream.
        fn assert_idle(&self) {
            let reported = self.received.recv_timeout(Duration::from_millis(200));
            assert!(reported.is_err(), "a connection reached the upstream");
        }
    }

    /// Bytes whose position can be told from their value (251 is prime, so the pattern never
    /// lines up with a chunk boundary): a dropped, doubled or reordered chunk shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i % 251) ^ (i >> 12)) as u8).collect()
    }

    fn connect(proxy: &FaultProxy) -> TcpStream {
        let stream = TcpStream::connect(proxy.addr()).expect("connect to the proxy");
        // A missing fault must fail the test, not hang it.
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(PATIENCE))
            .expect("write timeout");
        stream
    }

    fn is_timeout(error: &std::io::Error) -> bool {
        matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
    }

    /// Sends `data` and half closes; expects a clean EOF back from a sink upstream.
    fn send_fully(proxy: &FaultProxy, data: &[u8]) {
        let mut client = connect(proxy);
        client.write_all(data).expect("send through the proxy");
        client.shutdown(Shutdown::Write).expect("half close");
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).expect("a clean close");
        assert!(rest.is_empty(), "a sink sends nothing back");
    }

    /// Sends `data` on a new connection, which the proxy must cut: the client sees an error or
    /// EOF, never a timeout.
    fn send_and_get_cut(proxy: &FaultProxy, data: &[u8]) {
        let mut client = connect(proxy);
        // The sockets' buffers may take all of it before the cut, or the write may fail.
        if let Err(e) = client.write_all(data) {
            assert!(!is_timeout(&e), "the proxy did not cut the connection");
        }
        assert_closed(&mut client);
    }

    /// Reads until EOF or an error (e.g. a reset), discarding data; a timeout fails.
    fn assert_closed(stream: &mut TcpStream) {
        let mut buf = vec![0; CHUNK];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    assert!(!is_timeout(&e), "the connection is still open");
                    return;
                }
            }
        }
    }

    /// One request/response exchange through an echo upstream.
    fn round_trip(stream: &mut TcpStream, message: &[u8]) {
        stream.write_all(message).expect("send");
        let mut echoed = vec![0; message.len()];
        stream.read_exact(&mut echoed).expect("read the echo");
        assert_eq!(echoed, message);
    }

    #[test]
    fn bytes_pass_unchanged_both_ways() {
        let upstream = Upstream::echo();
        let proxy = FaultProxy::start(upstream.addr);
        assert_eq!(
            proxy.url(),
            format!("http://127.0.0.1:{}", proxy.addr().port())
        );
        let data = pattern(1 << 20);
        let mut client = connect(&proxy);
        let mut writer = client.try_clone().expect("clone the client");
        // Written from another thread: the echo comes back while we still send.
        let echoed = thread::scope(|scope| {
            scope.spawn(|| {
                writer.write_all(&data).expect("send 1 MiB");
                writer.shutdown(Shutdown::Write).expect("half close");
            });
            let mut echoed = Vec::new();
            client.read_to_end(&mut echoed).expect("read the echo");
            echoed
        });
        let received = upstream.next();
        assert!(received == data, "the upstream received other bytes");
        assert!(echoed == data, "the client got other bytes back");
        assert_eq!(proxy.upstream_bytes(), 1 << 20);
        assert_eq!(proxy.downstream_bytes(), 1 << 20);
        assert_eq!(proxy.connections(), 1);
        assert_eq!(proxy.cuts(), 0);
    }

    #[test]
    fn cut_after_cuts_one_connection_at_the_byte_count_then_disarms() {
        let upstream = Upstream::sink();
        let proxy = FaultProxy::start(upstream.addr);
        proxy.cut_after(100_000);
        let data = pattern(1 << 20);
        send_and_get_cut(&proxy, &data);
        // Exactly the budget: the chunk that crosses it is forwarded only up to the count.
        let received = upstream.next();
        assert_eq!(received.len(), 100_000);
        assert!(
            received == data[..100_000],
            "the upstream received other bytes"
        );
        assert_eq!(proxy.upstream_bytes(), 100_000);
        assert_eq!(proxy.cuts(), 1);

        // One-shot: the next connection carries more than the old budget, uncut.
        send_fully(&proxy, &data[..300_000]);
        assert_eq!(upstream.next().len(), 300_000);
        assert_eq!(proxy.cuts(), 1);
        assert_eq!(proxy.upstream_bytes(), 400_000);
        assert_eq!(proxy.connections(), 2);
    }

    #[test]
    fn cut_every_counts_across_connections_and_re_arms_until_cleared() {
        let upstream = Upstream::sink();
        let proxy = FaultProxy::start(upstream.addr);
        proxy.cut_every(50_000);
        let data = pattern(1 << 20);

        // 30 000 bytes fit in the budget; the next connection gets the 20 000 left.
        send_fully(&proxy, &data[..30_000]);
        assert_eq!(upstream.next().len(), 30_000);
        assert_eq!(proxy.cuts(), 0);
        send_and_get_cut(&proxy, &data);
        assert_eq!(upstream.next().len(), 20_000);
        assert_eq!(proxy.cuts(), 1);
        for cuts in 2..=3 {
            send_and_get_cut(&proxy, &data);
            assert_eq!(upstream.next().len(), 50_000);
            assert_eq!(proxy.cuts(), cuts);
        }

        proxy.clear();
        send_fully(&proxy, &data[..300_000]);
        assert_eq!(upstream.next().len(), 300_000);
        assert_eq!(proxy.cuts(), 3);
        assert_eq!(proxy.upstream_bytes(), 450_000);
    }

    #[test]
    fn cut_all_now_closes_live_connections_only() {
        let upstream = Upstream::echo();
        let proxy = FaultProxy::start(upstream.addr);
        let mut first = connect(&proxy);
        let mut second = connect(&proxy);
        round_trip(&mut first, b"hello");
        round_trip(&mut second, b"hello");
        proxy.cut_all_now();
        assert_closed(&mut first);
        assert_closed(&mut second);
        assert_eq!(proxy.cuts(), 1);

        let mut third = connect(&proxy);
        round_trip(&mut third, b"still here");
        assert_eq!(proxy.connections(), 3);
    }

    #[test]
    fn set_delay_slows_each_chunk_down_both_ways() {
        let upstream = Upstream::echo();
        let proxy = FaultProxy::start(upstream.addr);
        let mut client = connect(&proxy);
        round_trip(&mut client, b"warm up");

        // Changed on a live connection: one delay up, one down.
        let delay = Duration::from_millis(150);
        proxy.set_delay(delay);
        let started = Instant::now();
        round_trip(&mut client, b"ping");
        let elapsed = started.elapsed();
        assert!(
            elapsed >= 2 * delay,
            "a delayed round trip took {elapsed:?}"
        );
        assert_eq!(proxy.downstream_bytes(), 11);
    }

    #[test]
    fn refuse_closes_new_connections_at_once_until_lifted() {
        let upstream = Upstream::echo();
        let proxy = FaultProxy::start(upstream.addr);
        proxy.refuse(true);
        let mut refused = connect(&proxy);
        assert_closed(&mut refused);
        assert_eq!(proxy.connections(), 1);
        upstream.assert_idle();

        proxy.refuse(false);
        let mut client = connect(&proxy);
        round_trip(&mut client, b"back again");
        client.shutdown(Shutdown::Write).expect("half close");
        assert_eq!(upstream.next(), b"back again");
        assert_eq!(proxy.connections(), 2);
    }

    #[test]
    fn dropping_the_proxy_closes_its_connections_and_listener() {
        let upstream = Upstream::echo();
        let proxy = FaultProxy::start(upstream.addr);
        let addr = proxy.addr();
        let mut client = connect(&proxy);
        round_trip(&mut client, b"hello");
        drop(proxy);
        assert_closed(&mut client);
        assert!(
            TcpStream::connect(addr).is_err(),
            "the listener outlived the proxy"
        );
    }
}
