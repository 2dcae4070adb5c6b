//! One file of 8 GiB + 1 MiB, sealed on one thread and opened on another through a pipe: sizes
//! beyond the ustar limit, and memory that stays flat whatever the size. It is the only test in
//! its binary, so the process's peak memory is its own.

mod support;

use std::io::{self, Read};
use std::thread;
use std::time::Instant;

use sealpost_core::format::Label;
use sealpost_core::parcel::{
    Addressees, Compression, Destination, FileSource, Key, OpenOptions, SealRequest, SenderStatus,
    open, seal,
};
use sealpost_core::progress::Silent;
use sha2::{Digest, Sha256};
use support::{GIB, MIB, age_key_of, generated_stream, identity};

/// One byte more than 8 GiB − 1, the most a ustar size field holds, would do; 1 MiB more also
/// makes the last block a whole one.
const SIZE: u64 = 8 * GIB + MIB;
const SEED: u64 = 8;
const PEAK_MEMORY_LIMIT: u64 = 64 * MIB;

/// Keeps a copy of the first bytes read through it.
struct FirstBytes<R> {
    inner: R,
    kept: Vec<u8>,
    limit: usize,
}

impl<R: Read> Read for FirstBytes<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = self.limit - self.kept.len();
        self.kept.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

fn sha256_of(mut stream: impl Read) -> String {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = stream.read(&mut buf).expect("generated data");
        if n == 0 {
            return data_encoding::HEXLOWER.encode(&hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

/// The process's peak resident memory, from `VmHWM` in /proc/self/status.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse().ok())
        .expect("a VmHWM line in kB");
    kib * 1024
}

#[test]
fn a_file_over_eight_gib_seals_and_opens_through_a_pipe_in_flat_memory() {
    let started = Instant::now();
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let (from_sealer, to_opener) = io::pipe().unwrap();

    let (expected_sha, sealed, opened, first_bytes) = thread::scope(|scope| {
        // Runs beside sealpost's own hashing pass, which keeps only one core busy.
        let expected = scope.spawn(|| sha256_of(generated_stream(SEED, SIZE)));
        let sealing = scope.spawn(|| {
            let file = FileSource::from_stream("survey-raw.bin", || {
                Ok(Box::new(generated_stream(SEED, SIZE)) as Box<dyn Read + Send>)
            });
            let request = SealRequest {
                purpose: Default::default(),
                label_override: None,
                label: Label::Confidential,
                note: None,
                files: vec![file],
                to: Addressees::Recipients(vec![reader.age_recipient().into()]),
                compression: Compression::None,
                roster: None,
            };
            // The pipe's write end is dropped on return, which ends the opener's input.
            seal(&sender, request, to_opener, &Silent).map(|(manifest, _pipe)| manifest)
        });
        let mut input = FirstBytes {
            inner: from_sealer,
            kept: Vec::new(),
            limit: 256 * 1024,
        };
        let options = OpenOptions {
            expected_sender: Some(sender.signing_public_key()),
            ..OpenOptions::default()
        };
        let opened = open(
            &mut input,
            Key::Identity(&reader),
            &options,
            Destination::VerifyOnly,
            &Silent,
        );
        // Closing the read end unblocks the sealer should opening have stopped early.
        let first_bytes = std::mem::take(&mut input.kept);
        drop(input);
        let sealed = sealing.join().expect("the sealing thread");
        (expected.join().unwrap(), sealed, opened, first_bytes)
    });
    let elapsed = started.elapsed();
    let peak = peak_memory();
    println!(
        "sealed and opened {SIZE} bytes in {:.1} s ({:.0} MiB/s); peak memory (VmHWM) {:.1} MiB",
        elapsed.as_secs_f64(),
        SIZE as f64 / MIB as f64 / elapsed.as_secs_f64(),
        peak as f64 / MIB as f64
    );

    // Either side failing makes the other fail too (broken pipe, early end): show both.
    let (Ok(sealed), Ok(opened)) = (&sealed, &opened) else {
        panic!("sealing: {sealed:?}\nopening: {opened:?}");
    };
    assert_eq!(sealed.files[0].size, SIZE);
    assert_eq!(sealed.files[0].sha256.to_string(), expected_sha);
    assert_eq!(opened.sender_status, SenderStatus::Verified);
    assert_eq!(opened.files.len(), 1);
    assert_eq!(opened.files[0].size, SIZE);
    assert_eq!(opened.files[0].sha256.to_string(), expected_sha);
    assert_eq!(opened.files[0].path, None);

    // The file's size went into a pax record: the ustar field cannot hold it.
    let decryptor = age::Decryptor::new(&first_bytes[..]).unwrap();
    let age_key = age_key_of(&reader);
    let mut plaintext = decryptor
        .decrypt(std::iter::once(&age_key as &dyn age::Identity))
        .unwrap();
    let mut head = vec![0u8; 8 * 1024];
    plaintext.read_exact(&mut head).unwrap();
    let mut archive = tar::Archive::new(&head[..]);
    let mut entries = archive.entries().unwrap().raw(true);
    let mut pax = None;
    for entry in entries.by_ref().take(3) {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() == tar::EntryType::XHeader {
            let mut records = String::new();
            entry.read_to_string(&mut records).unwrap();
            pax = Some(records);
        }
    }
    let pax = pax.expect("a pax header before the file entry");
    assert!(pax.contains(&format!(" size={SIZE}\n")), "{pax:?}");

    assert!(
        peak < PEAK_MEMORY_LIMIT,
        "peak memory {peak} bytes: sealing or opening buffers what it should stream"
    );
}
