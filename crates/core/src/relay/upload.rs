//! The tus `PATCH` that carries a parcel's bytes up, given up when it stops making progress.
//!
//! Why the application watches this connection rather than TCP (`TCP_USER_TIMEOUT`, as the other
//! transfers do): Linux measures that timeout from the first retransmission of the loss episode
//! under way, and on a lossy field link (10 % loss) that episode never ends while bytes flow. So
//! the first retransmission timeout after a short outage, minutes into an upload, killed
//! connections that were about to recover (tests/faults.rs: two of three 3-second outages), and
//! each such connection cost what it had in flight and a slow new start. Here the measure is
//! progress: the connection taking more of the body, which it does only as the relay
//! acknowledges what it got.

use std::io::Read;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use reqwest::StatusCode;

/// How much of the body is read from the file at a time.
const CHUNK: usize = 64 << 10;

/// One `PATCH` to send.
pub(super) struct Patch {
    /// The upload's URL.
    pub url: String,
    /// The bearer token.
    pub token: String,
    /// Where the body goes in the upload.
    pub offset: u64,
    /// The body: exactly `len` bytes are read from it.
    pub body: Box<dyn Read + Send>,
    /// The body's length.
    pub len: u64,
}

/// The relay's answer to a `PATCH`.
pub(super) struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its `Upload-Offset`, if it sent a number.
    pub offset: Option<u64>,
    /// Its body, at most `max_answer + 1` bytes (the caller says what is too long).
    pub body: Vec<u8>,
}

/// Why a `PATCH` got no answer.
pub(super) enum Failure {
    /// The connection or the request failed.
    Http(reqwest::Error),
    /// The connection took nothing more of the body, or the answer did not come, for this long.
    Stalled(Duration),
    /// No runtime for the request could be started here (out of threads or file descriptors).
    Local(std::io::Error),
}

impl Patch {
    /// Sends the request on a connection of its own, from a thread of its own (callers may be
    /// on an async runtime's thread, as the desktop app's are), and waits for the answer. The
    /// request is given up once nothing moved for `stall_limit`: no more of the body taken by
    /// the connection, or, once all of it was, no answer.
    pub(super) fn send(self, stall_limit: Duration, max_answer: u64) -> Result<Answer, Failure> {
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(Failure::Local)?;
                    runtime.block_on(self.run(stall_limit, max_answer))
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    async fn run(self, stall_limit: Duration, max_answer: u64) -> Result<Answer, Failure> {
        // A client per request: its connection belongs to this request's runtime, which ends
        // with it. reqwest sets TCP_USER_TIMEOUT (30 s) and keep-alive by default: both off,
        // the progress watch below does their work.
        let mut client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .tcp_keepalive(None);
        #[cfg(target_os = "linux")]
        {
            client = client.tcp_user_timeout(None);
        }
        let client = client.build().map_err(Failure::Http)?;
        let progress = Progress::new();
        let body = Streamed {
            reader: Mutex::new(self.body),
            left: self.len,
            progress: progress.clone(),
        };
        let request = client
            .patch(&self.url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header("Tus-Resumable", "1.0.0")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/offset+octet-stream",
            )
            .header("Upload-Offset", self.offset)
            // Content-Length comes from the body's exact size.
            .body(reqwest::Body::wrap(body))
            .send();
        let mut response = watched(request, &progress, stall_limit)
            .await?
            .map_err(Failure::Http)?;
        let offset = super::offset_header(response.headers());
        let status = response.status();
        let mut body = Vec::new();
        progress.mark();
        while (body.len() as u64) <= max_answer {
            match watched(response.chunk(), &progress, stall_limit).await? {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    progress.mark();
                }
                Ok(None) => break,
                Err(e) => return Err(Failure::Http(e)),
            }
        }
        Ok(Answer {
            status,
            offset,
            body,
        })
    }
}

/// Awaits `work`, unless `progress` shows nothing moved for `limit` first.
async fn watched<T>(
    work: impl Future<Output = T>,
    progress: &Progress,
    limit: Duration,
) -> Result<T, Failure> {
    let mut work = std::pin::pin!(work);
    loop {
        let quiet = progress.since();
        if quiet >= limit {
            return Err(Failure::Stalled(quiet));
        }
        if let Ok(done) = tokio::time::timeout(limit - quiet, &mut work).await {
            return Ok(done);
        }
    }
}

/// When the request last moved.
#[derive(Clone)]
struct Progress(Arc<Mutex<Instant>>);

impl Progress {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn mark(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn since(&self) -> Duration {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }
}

/// A body read from a file as the connection asks for it; each ask is progress (it comes only
/// when the socket had room, that is, when the relay acknowledged bytes).
struct Streamed {
    /// Behind a lock only so that the body may be shared between threads, as reqwest asks.
    reader: Mutex<Box<dyn Read + Send>>,
    left: u64,
    progress: Progress,
}

impl http_body::Body for Streamed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        // The end of the body too: from here the wait is for the relay's answer.
        this.progress.mark();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.left).map_or(CHUNK, |left| left.min(CHUNK));
        let mut chunk = vec![0; want];
        let reader = this
            .reader
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        // A local file: reading it blocks this request's own thread only, and briefly.
        let read = loop {
            match reader.read(&mut chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        Poll::Ready(Some(match read {
            Ok(0) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the parcel ended {} bytes early", this.left),
            )),
            Ok(n) => {
                chunk.truncate(n);
                this.left -= n as u64;
                Ok(Frame::data(Bytes::from(chunk)))
            }
            Err(e) => Err(e),
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;

    fn patch(addr: std::net::SocketAddr, len: u64) -> Patch {
        Patch {
            url: format!("http://{addr}/v1/uploads/00000000000000000000000000000000"),
            token: "token".into(),
            offset: 0,
            body: Box::new(std::io::repeat(7).take(len)),
            len,
        }
    }

    #[test]
    fn a_relay_that_stops_reading_is_given_up_after_the_stall_limit() {
        // A real socket whose far end accepts and then never reads: once the buffers on both
        // sides are full, the body stops moving, as behind a link that died without a reset.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = std::thread::spawn(move || listener.accept().map(|(socket, _)| socket));
        let started = Instant::now();
        let outcome = patch(addr, 1 << 30).send(Duration::from_secs(2), 1024);
        let waited = started.elapsed();
        let Err(Failure::Stalled(quiet)) = outcome else {
            panic!("the PATCH was not given up as stalled");
        };
        assert!(quiet >= Duration::from_secs(2), "quiet for {quiet:?}");
        // Given up soon after the limit, not when some other timer fires (1 GiB did not fit
        // into the socket buffers).
        assert!(
            waited < Duration::from_secs(20),
            "given up after {waited:?}"
        );
        drop(silent.join());
    }

    #[test]
    fn a_patch_sends_its_length_and_reads_the_relay_s_offset() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // A minimal relay: reads the head and the announced body, answers with the offset.
        let relay = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(socket.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_ascii_lowercase());
            }
            let length: u64 = head
                .iter()
                .find_map(|h| h.strip_prefix("content-length: "))
                .expect("a Content-Length")
                .parse()
                .unwrap();
            let mut body = Vec::new();
            reader.take(length).read_to_end(&mut body).unwrap();
            let mut socket = socket;
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\nUpload-Offset: 300000\r\n\r\n")
                .unwrap();
            (head, body)
        });
        let Ok(answer) = patch(addr, 300_000).send(Duration::from_secs(10), 1024) else {
            panic!("the PATCH failed");
        };
        let (head, body) = relay.join().unwrap();
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
        assert_eq!(answer.offset, Some(300_000));
        assert!(answer.body.is_empty());
        assert_eq!(body.len(), 300_000);
        assert!(body.iter().all(|&b| b == 7));
        assert!(head[0].starts_with("patch /v1/uploads/"), "{head:?}");
        for header in [
            "upload-offset: 0",
            "tus-resumable: 1.0.0",
            "authorization: bearer token",
        ] {
            assert!(head.iter().any(|h| h == header), "{header} in {head:?}");
        }
    }
}
