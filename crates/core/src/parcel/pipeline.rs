//! Hashing on a helper thread, so that SHA-256 runs beside age's ChaCha20-Poly1305 instead of
//! after it. Sealing reads each file a second time through [`HashingReader`] (the hash proves
//! the file did not change since the manifest was written); opening writes each file through
//! [`HashingWriter`]. A fixed pool of buffers bounds memory whatever the file size.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::manifest::Sha256Digest;

const CHUNK: usize = 256 * 1024;
const POOL: usize = 4;

/// Bytes counted and hashed on their way through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) size: u64,
    pub(crate) sha256: Sha256Digest,
}

fn pool() -> (SyncSender<Vec<u8>>, Receiver<Vec<u8>>) {
    let (tx, rx) = sync_channel(POOL);
    for _ in 0..POOL {
        tx.send(Vec::with_capacity(CHUNK))
            .expect("room for the pool");
    }
    (tx, rx)
}

/// Reads a source on a helper thread that hashes each chunk before handing it over.
pub(crate) struct HashingReader {
    full: Receiver<Vec<u8>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    worker: Option<JoinHandle<io::Result<Tally>>>,
}

impl HashingReader {
    pub(crate) fn spawn(mut source: Box<dyn Read + Send>) -> Self {
        let (empty_tx, empty_rx) = pool();
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(POOL);
        let worker = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            // The consumer hung up (an error on its side): stop quietly, it reports its own.
            while let Ok(mut buf) = empty_rx.recv() {
                buf.resize(CHUNK, 0);
                let n = loop {
                    match source.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                hasher.update(&buf);
                size += n as u64;
                if full_tx.send(buf).is_err() {
                    break;
                }
            }
            Ok(Tally {
                size,
                sha256: Sha256Digest(hasher.finalize().into()),
            })
        });
        Self {
            full: full_rx,
            empty: empty_tx,
            current: Vec::new(),
            pos: 0,
            worker: Some(worker),
        }
    }

    /// Waits for the helper thread: the size and hash of everything read, or its read error.
    pub(crate) fn finish(mut self) -> io::Result<Tally> {
        // Drain what is left so the worker can finish reading the source.
        let mut sink = io::sink();
        io::copy(&mut self, &mut sink)?;
        self.worker
            .take()
            .expect("finish is called once")
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the hashing thread panicked")))
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            let used = std::mem::take(&mut self.current);
            if used.capacity() > 0 {
                let _ = self.empty.send(used);
            }
            self.pos = 0;
            match self.full.recv() {
                Ok(next) => self.current = next,
                // The worker ended: end of the source, or an error that `finish` returns.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes to a sink on a helper thread that hashes each chunk as it writes it.
pub(crate) struct HashingWriter<W> {
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    current: Vec<u8>,
    worker: Option<JoinHandle<io::Result<(W, Tally)>>>,
}

impl<W: Write + Send + 'static> HashingWriter<W> {
    pub(crate) fn spawn(mut sink: W) -> Self {
        let (empty_tx, empty_rx) = pool();
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(POOL);
        let current = empty_rx.recv().expect("the pool is full");
        let worker = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            for mut buf in full_rx {
                hasher.update(&buf);
                sink.write_all(&buf)?;
                size += buf.len() as u64;
                buf.clear();
                let _ = empty_tx.send(buf);
            }
            sink.flush()?;
            Ok((
                sink,
                Tally {
                    size,
                    sha256: Sha256Digest(hasher.finalize().into()),
                },
            ))
        });
        Self {
            full: Some(full_tx),
            empty: empty_rx,
            current,
            worker: Some(worker),
        }
    }

    fn send_current(&mut self) -> io::Result<()> {
        let Ok(next) = self.empty.recv() else {
            return Err(self.worker_error());
        };
        let buf = std::mem::replace(&mut self.current, next);
        let full = self.full.as_ref().expect("not finished");
        full.send(buf).map_err(|_| self.worker_error())
    }

    /// The worker stopped early: return its error.
    fn worker_error(&mut self) -> io::Error {
        self.full = None;
        match self.worker.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            _ => io::Error::other("the writing thread stopped"),
        }
    }

    /// Flushes everything and waits for the helper thread: the sink back, with the size and
    /// hash of everything written, or the sink's write error.
    pub(crate) fn finish(mut self) -> io::Result<(W, Tally)> {
        if !self.current.is_empty() {
            self.send_current()?;
        }
        self.full = None;
        self.worker
            .take()
            .ok_or_else(|| io::Error::other("the writing thread stopped"))?
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")))
    }
}

impl<W> Drop for HashingWriter<W> {
    /// Waits for the helper thread after an error, so the sink (an open file) is closed before
    /// the caller deletes it: Windows cannot delete an open file.
    fn drop(&mut self) {
        self.full = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl<W: Write + Send + 'static> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.current.len() == CHUNK {
            self.send_current()?;
        }
        let n = buf.len().min(CHUNK - self.current.len());
        self.current.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(data: &[u8]) -> Tally {
        Tally {
            size: data.len() as u64,
            sha256: Sha256Digest(Sha256::digest(data).into()),
        }
    }

    #[test]
    fn reader_passes_bytes_through_and_hashes_them() {
        for len in [0usize, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 17, 10 * CHUNK] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            let mut reader = HashingReader::spawn(Box::new(io::Cursor::new(data.clone())));
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
            assert_eq!(reader.finish().unwrap(), expected(&data));
        }
    }

    #[test]
    fn reader_reports_the_source_error() {
        struct Failing(u32);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                self.0 -= 1;
                buf.fill(1);
                Ok(buf.len())
            }
        }
        let reader = HashingReader::spawn(Box::new(Failing(3)));
        assert_eq!(reader.finish().unwrap_err().to_string(), "disk on fire");
    }

    #[test]
    fn writer_passes_bytes_through_and_hashes_them() {
        for len in [0usize, 5, CHUNK, 5 * CHUNK + 3] {
            let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let mut writer = HashingWriter::spawn(Vec::new());
            for piece in data.chunks(10_000) {
                writer.write_all(piece).unwrap();
            }
            let (sink, tally) = writer.finish().unwrap();
            assert_eq!(sink, data);
            assert_eq!(tally, expected(&data));
        }
    }

    #[test]
    fn writer_reports_the_sink_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut writer = HashingWriter::spawn(Full);
        let data = vec![0u8; 20 * CHUNK];
        let err = writer
            .write_all(&data)
            .err()
            .or_else(|| writer.finish().err())
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
