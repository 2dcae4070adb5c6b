//! A full disk: the relay's data directory is a small tmpfs. When it fills, the relay answers
//! 507 `disk-full` (never a 500, whether the blob write or SQLite ran out of room), stays up,
//! counts nothing it could not write, and once space is freed the interrupted upload resumes
//! and new ones succeed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use reqwest::StatusCode;

use crate::harness::{
    Api, COORD, IMOS, PARTNERS, RelayProcess, blob, check_store, run_seed, sha256,
};

const MIB: u64 = 1 << 20;
const PARTNER: u8 = PARTNERS[0];
const TO: [u8; 2] = [IMOS[0], IMOS[1]];
const FULL: StatusCode = StatusCode::INSUFFICIENT_STORAGE;

/// A tmpfs mounted on a directory, unmounted when dropped (a failing test included).
#[derive(Debug)]
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB on `path` for `test`. Mounting needs root: without it the
    /// test is skipped (`None`, said on stderr) — except under CI (`CI` set), where it must run,
    /// so it fails instead.
    fn mount(test: &str, path: &Path, mib: u64) -> Option<Self> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
        if !root {
            assert!(
                std::env::var_os("CI").is_none(),
                "the disk-full tests need root to mount a tmpfs, and under CI they must run"
            );
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped: needs root to mount a tmpfs"
            );
            return None;
        }
        std::fs::create_dir_all(path).expect("the mount point is created");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mount -t tmpfs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(Self {
            path: path.to_owned(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Something still holds a file there: detach it anyway, never leave a mount behind.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// Writes `path` until the disk refuses, so that not one free page is left for anybody.
fn fill(path: &Path) {
    let mut file = File::create(path).expect("the filler is created");
    let block = vec![0x5a; MIB as usize];
    loop {
        match file.write(&block) {
            Ok(n) => assert!(n > 0, "a write of nothing"),
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return,
            Err(e) => panic!("writing the filler: {e}"),
        }
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len()
}

/// A full disk never shows as an internal error.
#[track_caller]
fn assert_no_internal_error(relay: &RelayProcess) {
    let log = relay.log();
    assert!(
        !log.contains("internal error"),
        "the relay failed internally:\n{log}"
    );
}

/// The disk fills under an upload; SQLite runs out of room too; space is freed; the upload
/// resumes and completes, and a new one succeeds.
#[test]
fn a_full_disk_is_a_clean_507_and_uploads_resume_once_space_is_freed() {
    // More than the disk holds, so that the disk is what runs out.
    const QUOTA: u64 = 100 * MIB;
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let Some(_disk) = Tmpfs::mount("disk_full", &data, 48) else {
        return;
    };
    let relay = RelayProcess::start(&data, &["--quota-bytes", &QUOTA.to_string()]);
    let api = Api::setup(&relay.url());
    let seed = run_seed("disk_full");

    // Three earlier parcels take half the disk; two are deleted later to make room.
    let earlier: Vec<(String, Vec<u8>)> = (0..3)
        .map(|n| {
            let bytes = blob(seed + n, 8 * MIB as usize);
            let id = api.create_ok(PARTNER, 8 * MIB, &TO);
            api.upload_range(PARTNER, &id, &bytes, 0, 8 * MIB, MIB);
            (id, bytes)
        })
        .collect();

    // The victim is bigger than what is left. Its chunks of a MiB and 100 bytes leave the
    // recorded offset off a page boundary, which matters below.
    const CHUNK: u64 = MIB + 100;
    let victim = blob(seed + 3, 32 * MIB as usize);
    let len = victim.len() as u64;
    let id = api.create_ok(PARTNER, len, &TO);
    let partial = data.join("blobs").join(format!("{id}.partial"));
    // Past the member's quota (24 + 32 + 45 > 100 MiB) is quota-exceeded: the member's limit,
    // answered before the disk is even looked at.
    api.create(PARTNER, 45 * MIB, &TO)
        .assert_refused(FULL, "quota-exceeded");

    // 1. Upload until the disk is full.
    let mut acked = 0;
    let refusal = loop {
        let end = (acked + CHUNK).min(len);
        let reply = api
            .patch(PARTNER, &id, acked, &victim[acked as usize..end as usize])
            .expect("the relay answers");
        if reply.status != StatusCode::NO_CONTENT {
            break reply;
        }
        assert_eq!(reply.offset(), end);
        acked = end;
        assert!(acked < len, "32 MiB fit beside 24 MiB on a 48 MiB disk");
    };
    refusal.assert_refused(FULL, "disk-full");
    assert!(
        acked >= 8 * MIB,
        "refused at {acked}, before the disk was full"
    );
    // The refused PATCH was cut back: HEAD and the file agree on the last recorded offset.
    assert_eq!(api.offset(PARTNER, &id), acked);
    assert_eq!(file_len(&partial), acked);
    // The relay is up, and its database whole.
    api.get(Some(PARTNER), "/v1/whoami")
        .assert_status(StatusCode::OK);
    check_store(&data);

    // 2. Take the last free page, so SQLite has none either: a young relay's WAL grows with
    //    every commit.
    let filler = data.join("filler");
    fill(&filler);
    // A database write on a full disk is a 507 too, not a 500.
    api.get(None, "/v1/login/challenge")
        .assert_refused(FULL, "disk-full");
    let files = check_store(&data).files;
    api.create(PARTNER, MIB, &TO)
        .assert_refused(FULL, "disk-full");
    assert_eq!(
        check_store(&data).files,
        files,
        "a refused creation leaves no file behind"
    );
    // A PATCH that fits in the last page of the partial file: the bytes are written, but
    // recording the offset is not possible. Then one that needs a new page: the blob write
    // itself fails. Each is cut back at once, and counts for nothing.
    let room = 4096 - acked % 4096;
    assert!(room < 4096, "the offset {acked} is off a page boundary");
    for size in [room.min(64), 8192] {
        let chunk = &victim[acked as usize..(acked + size) as usize];
        api.patch(PARTNER, &id, acked, chunk)
            .expect("the relay answers")
            .assert_refused(FULL, "disk-full");
        assert_eq!(file_len(&partial), acked, "{size} unrecorded bytes kept");
        assert_eq!(
            api.offset(PARTNER, &id),
            acked,
            "{size} unrecorded bytes counted"
        );
    }
    // Reading still works.
    let mut listed = api.mailbox(IMOS[0]);
    listed.sort();
    let mut expected: Vec<String> = earlier.iter().map(|(id, _)| id.clone()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    check_store(&data);

    // 3. Make room: the filler goes, and the uploader deletes two earlier parcels (by both
    //    paths of tus termination).
    std::fs::remove_file(&filler).expect("the filler is removed");
    for path in [
        format!("/v1/blobs/{}", earlier[0].0),
        format!("/v1/uploads/{}", earlier[1].0),
    ] {
        api.delete(PARTNER, &path)
            .assert_status(StatusCode::NO_CONTENT);
    }
    assert_eq!(api.mailbox(IMOS[0]), [earlier[2].0.clone()]);
    // The interrupted upload resumes where the relay says, and completes whole.
    assert_eq!(api.offset(PARTNER, &id), acked);
    api.upload_range(PARTNER, &id, &victim, acked, len, CHUNK);
    assert_eq!(sha256(&api.download(IMOS[1], &id)), sha256(&victim));
    // A new upload succeeds; the earlier parcel kept is intact.
    let fresh = blob(seed + 4, 3 * MIB as usize);
    let fresh_id = api.create_ok(PARTNER, 3 * MIB, &TO);
    api.upload_range(PARTNER, &fresh_id, &fresh, 0, 3 * MIB, MIB);
    assert_eq!(sha256(&api.download(IMOS[0], &fresh_id)), sha256(&fresh));
    assert_eq!(
        sha256(&api.download(IMOS[1], &earlier[2].0)),
        sha256(&earlier[2].1)
    );
    let store = check_store(&data);
    assert_eq!(store.uploads.len(), 3);
    assert!(store.uploads.values().all(|row| row.completed));
    assert_no_internal_error(&relay);
    eprintln!("disk_full: {:.1?}", started.elapsed());
}

/// The checkpoint sequence number in the WAL header (bytes 12..16): SQLite bumps it each time
/// it starts writing the WAL from the top again.
fn wal_generation(wal: &Path) -> u32 {
    let bytes = std::fs::read(wal).unwrap_or_default();
    bytes
        .get(12..16)
        .map_or(0, |b| u32::from_be_bytes(b.try_into().expect("four bytes")))
}

/// A relay that has run a while reuses its WAL, so SQLite records offsets on a full disk: only
/// the blob write can tell that the bytes did not fit, and that failure must reach the client.
#[test]
fn a_blob_write_the_full_disk_refused_is_never_counted() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let Some(_disk) = Tmpfs::mount("disk_full_reused_wal", &data, 32) else {
        return;
    };
    let relay = RelayProcess::start(&data, &[]);
    let api = Api::setup(&relay.url());
    let seed = run_seed("disk_full_reused_wal");
    let bytes = blob(seed, 4 * MIB as usize);
    let len = bytes.len() as u64;
    let id = api.create_ok(PARTNER, len, &TO);
    // One MiB in: on a page boundary, so the next byte needs a new page.
    api.upload_range(PARTNER, &id, &bytes, 0, MIB, MIB);

    // Age the relay: log in until SQLite has checkpointed its WAL and writes it from the top
    // again, into space it already holds.
    let wal = data.join("relay.sqlite-wal");
    let generation = wal_generation(&wal);
    let mut logins = 0;
    while wal_generation(&wal) == generation {
        api.login(COORD);
        logins += 1;
        assert!(logins < 2000, "the WAL was never checkpointed and reused");
    }
    fill(&data.join("filler"));
    // Precondition: on this full disk SQLite still commits.
    api.get(None, "/v1/login/challenge")
        .assert_status(StatusCode::OK);

    let reply = api
        .patch(PARTNER, &id, MIB, &bytes[MIB as usize..MIB as usize + 1000])
        .expect("the relay answers");
    reply.assert_refused(FULL, "disk-full");
    assert_eq!(api.offset(PARTNER, &id), MIB, "nothing unwritten counts");
    assert_eq!(
        file_len(&data.join("blobs").join(format!("{id}.partial"))),
        MIB
    );

    std::fs::remove_file(data.join("filler")).expect("the filler is removed");
    api.upload_range(PARTNER, &id, &bytes, MIB, len, MIB);
    assert_eq!(sha256(&api.download(TO[0], &id)), sha256(&bytes));
    let store = check_store(&data);
    assert!(store.uploads[&id].completed);
    assert_no_internal_error(&relay);
}
