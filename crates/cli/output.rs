//! What a command shows: JSON for scripts, words for people, and progress bars on a terminal.

use std::cell::RefCell;
use std::io::IsTerminal;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sealpost_core::progress::{Phase, Progress};
use serde::Serialize;

/// Prints a JSON document on stdout.
pub(crate) fn print_json(value: &impl Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("our output types serialise")
    );
}

/// A size for people: `12.3 KiB`.
pub(crate) fn size(bytes: u64) -> String {
    HumanBytes(bytes).to_string()
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
#[derive(Debug)]
pub(crate) struct Bar {
    current: RefCell<Option<ProgressBar>>,
    visible: bool,
}

impl Bar {
    pub(crate) fn new() -> Self {
        Self {
            current: RefCell::new(None),
            visible: std::io::stderr().is_terminal(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, phase: Phase, total_bytes: u64) {
        if !self.visible {
            return;
        }
        let label = match phase {
            Phase::Hashing => "Checking",
            Phase::Sealing => "Sealing",
            Phase::Opening => "Opening",
            _ => "Working",
        };
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>9} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label);
        *self.current.borrow_mut() = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &*self.current.borrow() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}
