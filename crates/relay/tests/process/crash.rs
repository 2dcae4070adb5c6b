//! Crash safety: the relay is killed with SIGKILL while uploads stream in, and while uploads
//! complete, then restarted on the same data directory. Whatever the client saw acknowledged
//! must be there; everything else must resume from an offset the relay really holds; in the end
//! every blob hashes right and sits in each recipient's mailbox exactly once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::harness::{
    Api, COORD, IMOS, PARTNERS, RelayProcess, Rng, blob, check_store, run_seed, sha256, wait_for,
};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
/// The PATCH size, as a tus client would use.
const CHUNK: u64 = 256 * KIB;
/// Who can receive: the coordinator and the IMOs. Each upload goes to three of them.
const RECEIVERS: [u8; 4] = [COORD, IMOS[0], IMOS[1], IMOS[2]];
const RECIPIENTS_PER_UPLOAD: usize = 3;

/// One upload: who sends it, to whom, and its bytes.
#[derive(Debug)]
struct Upload {
    id: String,
    from: u8,
    to: Vec<u8>,
    data: Vec<u8>,
}

impl Upload {
    /// Upload number `n` of `len` random bytes, created on the relay: from a partner, to all
    /// receivers but one (which one varies), so mailboxes differ.
    fn create(api: &Api, n: usize, seed: u64, len: u64) -> Self {
        let from = PARTNERS[n % PARTNERS.len()];
        let to: Vec<u8> = RECEIVERS
            .into_iter()
            .filter(|&r| r != RECEIVERS[n % RECEIVERS.len()])
            .collect();
        let data = blob(seed ^ ((n as u64) << 32), len as usize);
        let id = api.create_ok(from, len, &to);
        Self { id, from, to, data }
    }

    fn len(&self) -> u64 {
        self.data.len() as u64
    }
}

/// What the client knows about an upload when the relay died: the last offset the relay
/// acknowledged, and the end of the PATCH it was sending (if any).
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    acked: u64,
    sent: u64,
}

/// Every receiver's mailbox listing.
fn mailboxes(api: &Api) -> HashMap<u8, Vec<String>> {
    RECEIVERS.into_iter().map(|r| (r, api.mailbox(r))).collect()
}

/// `upload` is listed exactly once in each of its recipients' mailboxes, and in nobody else's.
#[track_caller]
fn assert_delivered_once(upload: &Upload, mailboxes: &HashMap<u8, Vec<String>>) {
    for (receiver, ids) in mailboxes {
        let listed = ids.iter().filter(|id| **id == upload.id).count();
        let expected = usize::from(upload.to.contains(receiver));
        assert_eq!(
            listed, expected,
            "upload {} in the mailbox of member {receiver}",
            upload.id
        );
    }
}

/// After a restart, an upload the client did not see complete: HEAD must report an offset no
/// lower than the last one acknowledged (acknowledged bytes survive a crash) and no higher than
/// what was sent; the client resumes from there. The final hash check (by the caller) then
/// shows the bytes the relay kept below that offset were a prefix of the upload.
#[track_caller]
fn resume(api: &Api, upload: &Upload, progress: Progress) {
    let offset = api.offset(upload.from, &upload.id);
    assert!(
        progress.acked <= offset && offset <= progress.sent.max(progress.acked),
        "upload {}: the relay holds offset {offset}; the client had {progress:?}",
        upload.id
    );
    api.upload_range(
        upload.from,
        &upload.id,
        &upload.data,
        offset,
        upload.len(),
        CHUNK,
    );
}

/// Every upload downloads whole, with the right hash. One recipient downloads each (which one
/// varies): they all read the same file, and a debug build's relay serves it slowly.
#[track_caller]
fn assert_downloads(api: &Api, uploads: &[Upload]) {
    for (n, upload) in uploads.iter().enumerate() {
        let receiver = upload.to[n % upload.to.len()];
        assert_eq!(
            sha256(&api.download(receiver, &upload.id)),
            sha256(&upload.data),
            "upload {} downloaded by member {receiver}",
            upload.id
        );
    }
}

/// The final state: every upload complete, its one file whole, no `.partial` left anywhere,
/// and every receiver's mailbox exactly the uploads addressed to them, none twice.
#[track_caller]
fn assert_all_complete(api: &Api, relay: &RelayProcess, uploads: &[Upload]) {
    let store = check_store(relay.data());
    assert_eq!(store.uploads.len(), uploads.len());
    for upload in uploads {
        let row = store.uploads[&upload.id];
        assert!(row.completed && row.offset == upload.len(), "{row:?}");
    }
    assert_eq!(store.files.len(), uploads.len(), "{:?}", store.files);
    let boxes = mailboxes(api);
    for receiver in RECEIVERS {
        let listed = &boxes[&receiver];
        let distinct: BTreeSet<&String> = listed.iter().collect();
        assert_eq!(distinct.len(), listed.len(), "a duplicate in {listed:?}");
        let expected: BTreeSet<&String> = uploads
            .iter()
            .filter(|u| u.to.contains(&receiver))
            .map(|u| &u.id)
            .collect();
        assert_eq!(distinct, expected, "the mailbox of member {receiver}");
    }
    let items: usize = boxes.values().map(Vec::len).sum();
    assert_eq!(items, uploads.len() * RECIPIENTS_PER_UPLOAD);
}

/// 50 uploads stream in at once; once 20 have completed, the relay is killed with SIGKILL while
/// the rest are mid-PATCH, and restarted.
#[test]
fn kill_9_mid_upload_loses_nothing_and_duplicates_nothing() {
    const UPLOADS: usize = 50;
    const KILL_AFTER: usize = 20;
    let started = Instant::now();
    let seed = run_seed("kill_9_mid_upload");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut relay = RelayProcess::start(&dir.path().join("data"), &[]);
    let api = Api::setup(&relay.url());
    // All are created first: this test is about bytes in flight, not a half-made creation.
    let uploads: Vec<Upload> = (0..UPLOADS)
        .map(|n| Upload::create(&api, n, seed, rng.range(2 * MIB, 4 * MIB)))
        .collect();

    let chunks_in = AtomicUsize::new(0);
    let completed = AtomicUsize::new(0);
    let killing = AtomicBool::new(false);
    let failed = AtomicBool::new(false);
    let outcomes: Vec<Result<Progress, String>> = thread::scope(|s| {
        let workers: Vec<_> = uploads
            .iter()
            .enumerate()
            .map(|(n, upload)| {
                let (api, chunks_in, completed, killing, failed) =
                    (&api, &chunks_in, &completed, &killing, &failed);
                s.spawn(move || {
                    // Staggered by progress, not by time: upload n starts once 3n chunks of
                    // others are in, so the first ones finish while later ones are mid-way
                    // when the relay dies.
                    wait_for("the stagger", Duration::from_secs(120), || {
                        chunks_in.load(SeqCst) >= 3 * n || killing.load(SeqCst)
                    });
                    let mut progress = Progress::default();
                    while progress.acked < upload.len() && !killing.load(SeqCst) {
                        let end = (progress.acked + CHUNK).min(upload.len());
                        progress.sent = end;
                        let chunk = &upload.data[progress.acked as usize..end as usize];
                        match api.patch(upload.from, &upload.id, progress.acked, chunk) {
                            Ok(reply)
                                if reply.status == StatusCode::NO_CONTENT
                                    && reply.offset() == end =>
                            {
                                progress.acked = end;
                                chunks_in.fetch_add(1, SeqCst);
                            }
                            // The relay died under this PATCH: what the client knows is kept.
                            Err(_) if killing.load(SeqCst) => return Ok(progress),
                            other => {
                                failed.store(true, SeqCst);
                                return Err(format!("upload {}: {other:?}", upload.id));
                            }
                        }
                    }
                    if progress.acked == upload.len() {
                        completed.fetch_add(1, SeqCst);
                    }
                    Ok(progress)
                })
            })
            .collect();
        wait_for("20 completed uploads", Duration::from_secs(120), || {
            completed.load(SeqCst) >= KILL_AFTER || failed.load(SeqCst)
        });
        // Set before the kill, so a worker that sees its connection die knows why.
        killing.store(true, SeqCst);
        relay.kill_9();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker does not panic"))
            .collect()
    });
    let progress: Vec<Progress> = outcomes
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every PATCH before the kill is accepted");
    let done = |p: &Progress, u: &Upload| p.acked == u.len();
    let seen_complete = uploads
        .iter()
        .zip(&progress)
        .filter(|(u, p)| done(p, u))
        .count();
    let midway = uploads
        .iter()
        .zip(&progress)
        .filter(|(u, p)| p.acked > 0 && !done(p, u))
        .count();
    eprintln!(
        "at the kill ({:.1?} in): {seen_complete} complete, {midway} mid-way, {} not started",
        started.elapsed(),
        UPLOADS - seen_complete - midway
    );
    // Otherwise the kill landed somewhere that tests nothing.
    assert!(seen_complete >= KILL_AFTER, "{seen_complete} complete");
    assert!(
        midway >= 10,
        "only {midway} uploads were mid-way at the kill"
    );

    relay.restart();
    // What the crash left is consistent before anyone touches it.
    let store = check_store(relay.data());
    assert_eq!(store.uploads.len(), UPLOADS);
    // Acknowledged completions are delivered already, once, before any HEAD.
    let boxes = mailboxes(&api);
    for (upload, p) in uploads.iter().zip(&progress) {
        if done(p, upload) {
            assert_delivered_once(upload, &boxes);
        }
    }
    for (upload, p) in uploads.iter().zip(&progress) {
        if !done(p, upload) {
            resume(&api, upload, *p);
        }
    }
    let boxes = mailboxes(&api);
    for upload in &uploads {
        assert_delivered_once(upload, &boxes);
    }
    assert_downloads(&api, &uploads);
    assert_all_complete(&api, &relay, &uploads);
    // After all that traffic, the log (at info) names no peer address and no token: the only
    // address in it is the one the relay listens on.
    let log = relay.log();
    assert!(
        log.contains("upload created"),
        "the log is the relay's: {log}"
    );
    for line in log.lines().filter(|l| !l.contains("relay listening")) {
        assert!(!line.contains("127.0.0.1"), "an address in the log: {line}");
        for token in api.tokens() {
            assert!(!line.contains(token), "a token in the log: {line}");
        }
    }
    eprintln!("kill_9_mid_upload: {:.1?}", started.elapsed());
}

/// Rounds of 20 uploads whose last PATCH is sent at once; the relay is killed a random way into
/// that burst (after a random number of them are acknowledged), as it writes, records, renames
/// and completes the others, and restarted.
#[test]
fn kill_9_during_completion_leaves_each_upload_complete_or_resumable() {
    const ROUNDS: usize = 4;
    const PER_ROUND: usize = 20;
    let started = Instant::now();
    let seed = run_seed("kill_9_during_completion");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut relay = RelayProcess::start(&dir.path().join("data"), &[]);
    let api = Api::setup(&relay.url());
    let mut all: Vec<Upload> = Vec::new();
    // Final PATCHes acknowledged, unacknowledged with every byte recorded, resumed: all rounds.
    let (mut acked, mut whole, mut resumed) = (0, 0, 0);
    for round in 0..ROUNDS {
        let uploads: Vec<Upload> = (0..PER_ROUND)
            .map(|i| {
                let len = rng.range(768 * KIB, 1280 * KIB);
                Upload::create(&api, round * PER_ROUND + i, seed, len)
            })
            .collect();
        // Everything but the last 256–512 KiB, which the burst sends.
        let tails: Vec<u64> = uploads
            .iter()
            .map(|u| {
                let tail = rng.range(256 * KIB, 512 * KIB);
                api.upload_range(u.from, &u.id, &u.data, 0, u.len() - tail, CHUNK);
                u.len() - tail
            })
            .collect();
        // The kill comes once this many final PATCHes are acknowledged: the rest are then
        // somewhere between sending, writing, recording, renaming and completing.
        let kill_at = rng.range(1, PER_ROUND as u64) as usize;
        let ready = Barrier::new(PER_ROUND + 1);
        let (done, killing) = (AtomicUsize::new(0), AtomicBool::new(false));
        let outcomes: Vec<Result<bool, String>> = thread::scope(|s| {
            let workers: Vec<_> = uploads
                .iter()
                .zip(&tails)
                .map(|(upload, &from)| {
                    let (api, ready, done, killing) = (&api, &ready, &done, &killing);
                    s.spawn(move || {
                        ready.wait();
                        let last = &upload.data[from as usize..];
                        match api.patch(upload.from, &upload.id, from, last) {
                            Ok(reply)
                                if reply.status == StatusCode::NO_CONTENT
                                    && reply.offset() == upload.len() =>
                            {
                                done.fetch_add(1, SeqCst);
                                Ok(true)
                            }
                            Err(_) if killing.load(SeqCst) => Ok(false),
                            other => {
                                // Counted, so the kill below does not wait for it in vain.
                                done.fetch_add(PER_ROUND, SeqCst);
                                Err(format!("upload {}: {other:?}", upload.id))
                            }
                        }
                    })
                })
                .collect();
            ready.wait();
            wait_for("final PATCHes", Duration::from_secs(60), || {
                done.load(SeqCst) >= kill_at
            });
            killing.store(true, SeqCst);
            relay.kill_9();
            workers
                .into_iter()
                .map(|w| w.join().expect("a worker does not panic"))
                .collect()
        });
        let seen: Vec<bool> = outcomes
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("every final PATCH before the kill is accepted");
        relay.restart();

        let store = check_store(relay.data());
        let boxes = mailboxes(&api);
        // How far each unacknowledged upload got, as the crash left it.
        let (mut delivered, mut renamed, mut recorded, mut resumed_now) = (0, 0, 0, 0);
        for ((upload, &from), &seen) in uploads.iter().zip(&tails).zip(&seen) {
            let row = store.uploads[&upload.id];
            if seen {
                // Acknowledged: complete and delivered, before any HEAD.
                assert!(row.completed, "upload {}", upload.id);
                assert_delivered_once(upload, &boxes);
                continue;
            }
            match (row.completed, store.files.contains_key(&upload.id)) {
                (true, _) => delivered += 1,
                (false, true) => renamed += 1,
                (false, false) if row.offset == row.length => recorded += 1,
                (false, false) => resumed_now += 1,
            }
            let offset = api.offset(upload.from, &upload.id);
            assert_eq!(offset, row.offset, "HEAD tells what the database holds");
            if offset == upload.len() {
                // Every byte was recorded before the kill: complete now (the HEAD finished an
                // interrupted completion), and delivered once.
                assert_delivered_once(upload, &mailboxes(&api));
            } else {
                resume(
                    &api,
                    upload,
                    Progress {
                        acked: from,
                        sent: upload.len(),
                    },
                );
            }
        }
        let acked_now = seen.iter().filter(|&&s| s).count();
        eprintln!(
            "round {round}: killed after {kill_at} acknowledged; {acked_now} acknowledged; of \
             the others {delivered} complete (the reply lost), {renamed} renamed but not \
             complete, {recorded} recorded but not renamed, {resumed_now} resumed"
        );
        acked += acked_now;
        whole += delivered + renamed + recorded;
        resumed += resumed_now;
        let boxes = mailboxes(&api);
        for upload in &uploads {
            assert_delivered_once(upload, &boxes);
        }
        assert_downloads(&api, &uploads);
        all.extend(uploads);
    }
    eprintln!(
        "kill_9_during_completion: {acked} acknowledged, {whole} unacknowledged but whole, \
         {resumed} resumed; {:.1?}",
        started.elapsed()
    );
    // Otherwise every kill came after the burst, and the completion path was never cut.
    assert!(
        whole + resumed > 0,
        "no final PATCH was interrupted in {ROUNDS} rounds"
    );
    assert_all_complete(&api, &relay, &all);
}
