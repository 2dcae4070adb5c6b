//! Retrying relay calls over a bad link: which failures are worth another try, how long to wait
//! (exponential back-off with jitter, so a field office's laptops do not all come back at the
//! same second), when to log in again, and when to stop for this pass. Stopping is never
//! silent: the caller records why, and the next pass starts where this one ended.

use std::time::Duration;

use crate::identity::Identity;
use crate::relay::{RelayClient, RelayError};

/// How hard one sync pass tries.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Failed attempts in a row (without a byte of progress) after which a transfer waits for
    /// the next pass.
    pub patience: u32,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for SyncOptions {
    /// About a minute of retrying per transfer: enough to ride out a dropped connection or a
    /// relay restart, short enough that `sealpost sync` returns and says what is waiting.
    fn default() -> Self {
        Self {
            patience: 6,
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What one attempt of a multi-step transfer achieved.
pub(crate) enum Attempt {
    /// All done.
    Done,
    /// Some progress; keep going (patience is restored).
    Progressed,
}

/// A logged-in conversation with the relay for one sync pass.
pub(crate) struct Session<'a> {
    relay: RelayClient,
    me: &'a Identity,
    options: &'a SyncOptions,
    token: Option<String>,
}

impl<'a> Session<'a> {
    pub(crate) fn new(relay: RelayClient, me: &'a Identity, options: &'a SyncOptions) -> Self {
        Self {
            relay,
            me,
            options,
            token: None,
        }
    }

    /// Logs in, retrying while the relay cannot be reached.
    pub(crate) fn login(&mut self) -> Result<(), RelayError> {
        let mut failures = 0;
        loop {
            match self.relay.login(self.me) {
                Ok(login) => {
                    self.token = Some(login.token);
                    return Ok(());
                }
                Err(e) if transient(&e) && failures + 1 < self.options.patience => {
                    failures += 1;
                    std::thread::sleep(backoff(failures, self.options.max_backoff));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs one relay call, retrying transient failures and logging in again when the token
    /// expired.
    pub(crate) fn run<T>(
        &mut self,
        mut call: impl FnMut(&RelayClient, &str) -> Result<T, RelayError>,
    ) -> Result<T, RelayError> {
        let mut value = None;
        self.persist(|relay, token| {
            value = Some(call(relay, token)?);
            Ok(Attempt::Done)
        })?;
        Ok(value.expect("set before Done"))
    }

    /// Repeats `step` until it says [`Attempt::Done`]. Failures back off; progress resets the
    /// count of failures; `patience` failures in a row end the pass for this transfer.
    pub(crate) fn persist(
        &mut self,
        mut step: impl FnMut(&RelayClient, &str) -> Result<Attempt, RelayError>,
    ) -> Result<(), RelayError> {
        let mut failures = 0u32;
        let mut relogged = false;
        loop {
            if self.token.is_none() {
                self.login()?;
            }
            let token = self.token.clone().expect("logged in");
            match step(&self.relay, &token) {
                Ok(Attempt::Done) => return Ok(()),
                Ok(Attempt::Progressed) => {
                    failures = 0;
                    relogged = false;
                }
                // Tokens last an hour; a long transfer outlives one.
                Err(RelayError::Refused { status: 401, .. }) if !relogged => {
                    relogged = true;
                    self.token = None;
                }
                Err(e) if transient(&e) => {
                    failures += 1;
                    if failures >= self.options.patience {
                        return Err(e);
                    }
                    std::thread::sleep(backoff(failures, self.options.max_backoff));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Failures that another try may cure: the network, a busy or restarting relay, a full disk
/// there, an offset that moved under us (HEAD again).
fn transient(e: &RelayError) -> bool {
    match e {
        RelayError::Unreachable { .. } => true,
        RelayError::Refused { status, code, .. } => {
            matches!(status, 409 | 423 | 429 | 500 | 502 | 503 | 504)
                || (*status == 507 && code == "disk-full")
        }
        _ => false,
    }
}

/// The wait before attempt `n + 1`: 0.5 s doubling up to `max`, times a random factor in
/// [0.5, 1.5).
fn backoff(failures: u32, max: Duration) -> Duration {
    let base = Duration::from_millis(500)
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(max);
    let mut byte = [0u8; 1];
    getrandom::getrandom(&mut byte).expect("the OS random number generator works");
    base.mul_f64(0.5 + f64::from(byte[0]) / 256.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let max = Duration::from_secs(30);
        for failures in 1..20 {
            let wait = backoff(failures, max);
            let base = Duration::from_millis(500 << (failures - 1).min(16)).min(max);
            assert!(
                wait >= base / 2 && wait < base.mul_f64(1.5),
                "{failures}: {wait:?}"
            );
        }
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff(3, max)).collect();
        assert!(waits.len() > 10, "jitter varies the waits: {waits:?}");
    }

    #[test]
    fn only_curable_failures_are_retried() {
        let refused = |status, code: &str| RelayError::Refused {
            status,
            code: code.into(),
            message: String::new(),
        };
        assert!(transient(&refused(503, "roster-expired")));
        assert!(transient(&refused(423, "busy")));
        assert!(transient(&refused(507, "disk-full")));
        assert!(!transient(&refused(507, "quota-exceeded")));
        assert!(!transient(&refused(403, "forbidden")));
        assert!(!transient(&refused(401, "unauthorized")));
    }
}
