//! The background sync: a thread with its own mailroom that runs a core sync pass every
//! [`INTERVAL`], and at once when poked (after a send, after opening parcels, on "Sync now").
//! It reports to the UI through the `sync-status` event: a pass starting, transfer progress
//! (a few times a second at most) and what the pass did.

use std::cell::Cell;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sealpost_core::keystore::Home;
use sealpost_core::mailroom::{SyncOptions, SyncReport, now_text};
use sealpost_core::progress::{Phase, Progress};
use sealpost_core::{Mailroom, Passphrase};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::{AppError, lock};

/// Time between two passes when nothing pokes the sync: what a field office's laptop costs
/// the relay while idle, and the longest a new parcel waits to be noticed.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// The name of the event that carries a [`SyncStatus`].
pub const EVENT: &str = "sync-status";

/// The least time between two progress events: enough for a smooth bar, not a flood.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What the background sync is doing and what its last pass did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncStatus {
    /// Whether a pass is running now.
    pub running: bool,
    /// Whether the last pass reached the relay; `null` before the first pass ends.
    pub online: Option<bool>,
    /// When the last pass ended (RFC 3339, UTC).
    pub last_pass_at: Option<String>,
    /// Why the last pass could not run at all (no relay set, another sync running, …).
    pub error: Option<AppError>,
    /// What the last pass did.
    pub report: Option<SyncReport>,
    /// The transfer in progress during a pass.
    pub transfer: Option<Transfer>,
}

/// A transfer in progress.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Transfer {
    /// `uploading`, `downloading`, `opening`, …
    pub phase: String,
    /// Bytes done.
    #[ts(type = "number")]
    pub done: u64,
    /// Bytes in all.
    #[ts(type = "number")]
    pub total: u64,
}

/// The handle the app keeps: poke it, read its status. Dropping it ends the thread after its
/// current pass.
#[derive(Debug)]
pub struct Syncer {
    poke: mpsc::Sender<()>,
    status: Arc<Mutex<SyncStatus>>,
}

impl Syncer {
    /// Starts the thread. It unlocks its own copy of the identity, so that a pass never holds
    /// up the screens' mailroom.
    pub fn start(app: AppHandle, home: Home, passphrase: Option<Passphrase>) -> Self {
        let (poke, poked) = mpsc::channel();
        let status = Arc::new(Mutex::new(SyncStatus::default()));
        let reporter = Reporter {
            app,
            status: Arc::clone(&status),
        };
        std::thread::Builder::new()
            .name("sealpost-sync".into())
            .spawn(move || run(&reporter, &home, passphrase.as_ref(), &poked))
            .expect("the OS can start a thread");
        Self { poke, status }
    }

    /// Asks for a pass now (several pokes during a pass make one more pass).
    pub fn poke(&self) {
        // A closed channel means the thread ended on an error it has already reported.
        let _ = self.poke.send(());
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        lock(&self.status).clone()
    }
}

fn run(
    reporter: &Reporter,
    home: &Home,
    passphrase: Option<&Passphrase>,
    poked: &mpsc::Receiver<()>,
) {
    let mailroom = match home
        .unlock(passphrase)
        .map_err(AppError::from)
        .and_then(|me| Ok(Mailroom::open(home, me)?))
    {
        Ok(mailroom) => mailroom,
        Err(e) => {
            reporter.update(|s| s.error = Some(e));
            return;
        }
    };
    let options = SyncOptions::default();
    loop {
        reporter.update(|s| {
            s.running = true;
            s.transfer = None;
        });
        let progress = BarEvents::new(reporter);
        let outcome = mailroom.sync(&options, passphrase, &progress);
        reporter.update(|s| {
            s.running = false;
            s.transfer = None;
            s.last_pass_at = Some(now_text());
            match outcome {
                Ok(report) => {
                    s.online = Some(report.reached_relay);
                    s.error = None;
                    s.report = Some(report);
                }
                Err(e) => {
                    s.online = Some(false);
                    s.error = Some(e.into());
                }
            }
        });
        match poked.recv_timeout(INTERVAL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => while poked.try_recv().is_ok() {},
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Keeps the shared status and tells the UI each time it changes.
struct Reporter {
    app: AppHandle,
    status: Arc<Mutex<SyncStatus>>,
}

impl Reporter {
    fn update(&self, change: impl FnOnce(&mut SyncStatus)) {
        let snapshot = {
            let mut status = lock(&self.status);
            change(&mut status);
            status.clone()
        };
        // No window listening (closing, or not loaded yet) is not an error: the UI reads
        // `sync_status` when it starts.
        let _ = self.app.emit(EVENT, snapshot);
    }
}

/// Core's progress hooks turned into throttled `sync-status` events.
struct BarEvents<'a> {
    reporter: &'a Reporter,
    phase: Cell<Option<Phase>>,
    total: Cell<u64>,
    done: Cell<u64>,
    last: Cell<Option<Instant>>,
}

impl<'a> BarEvents<'a> {
    fn new(reporter: &'a Reporter) -> Self {
        Self {
            reporter,
            phase: Cell::new(None),
            total: Cell::new(0),
            done: Cell::new(0),
            last: Cell::new(None),
        }
    }

    fn emit(&self, force: bool) {
        let now = Instant::now();
        if !force
            && self
                .last
                .get()
                .is_some_and(|last| now - last < PROGRESS_EVERY)
        {
            return;
        }
        self.last.set(Some(now));
        let transfer = self.phase.get().map(|phase| Transfer {
            phase: phase_name(phase).into(),
            done: self.done.get(),
            total: self.total.get(),
        });
        self.reporter.update(|s| s.transfer = transfer);
    }
}

impl Progress for BarEvents<'_> {
    fn start(&self, phase: Phase, total_bytes: u64) {
        self.phase.set(Some(phase));
        self.total.set(total_bytes);
        self.done.set(0);
        self.emit(true);
    }

    fn advance(&self, bytes: u64) {
        self.done.set(self.done.get().saturating_add(bytes));
        self.emit(false);
    }

    fn finish(&self) {
        self.done.set(self.total.get());
        self.emit(true);
        self.phase.set(None);
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Hashing => "hashing",
        Phase::Sealing => "sealing",
        Phase::Opening => "opening",
        Phase::Uploading => "uploading",
        Phase::Downloading => "downloading",
        _ => "working",
    }
}
