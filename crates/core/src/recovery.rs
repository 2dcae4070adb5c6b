//! The cluster's recovery key: an age key pair made by the coordinator and kept offline
//! (printed, or on a USB stick in a safe), whose public half the roster's policy names. Every
//! parcel sealed while the policy names it is also sealed to it, listed in the signed
//! manifest as an addressee without a member id, so recipients can see it is there.
//!
//! When a member loses their key with no backup, their parcels stay sealed to a key nobody
//! has. With the recovery key, the coordinator opens the parcels from that member's vault (or
//! copies kept by their senders) — verified against the roster like any parcel — and hands the
//! files back to the member, sealed to their new key. Parcels sealed before the policy named a
//! recovery key, or while it named none, cannot be recovered by anyone: their senders must send
//! them again.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use sealpost_format::roster::Roster;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::keystore::{KeystoreError, decrypt_with_passphrase, encrypt_with_passphrase};
use crate::parcel::{self, Destination, Key, OpenError, OpenOptions};
use crate::passphrase::Passphrase;
use crate::progress::Silent;

/// Why the recovery key could not be made, read or used. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The key file could not be written or read (exists already, wrong passphrase, damaged).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The file decrypted, but holds no age secret key.
    #[error(
        "{path} is not a Sealpost recovery key (no AGE-SECRET-KEY line in it); give the file \
         `sealpost cluster recovery-key create` wrote"
    )]
    NotARecoveryKey {
        /// The file.
        path: String,
    },
    /// A recipient given for the policy is not an age X25519 public key.
    #[error("{text:?} is not an age public key (age1…); copy it from the recovery key file")]
    BadRecipient {
        /// What was given.
        text: String,
    },
    /// The folder of parcels could not be read or the output folder written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl RecoveryError {
    /// A stable code for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            RecoveryError::Keystore(e) => e.code(),
            RecoveryError::NotARecoveryKey { .. } => "not-a-recovery-key",
            RecoveryError::BadRecipient { .. } => "bad-recipient",
            RecoveryError::Io { .. } => "io",
        }
    }
}

/// The cluster's recovery key (its secret half), in memory only while it is used.
pub struct RecoveryKey {
    identity: age::x25519::Identity,
}

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryKey")
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

impl RecoveryKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self {
            identity: age::x25519::Identity::generate(),
        }
    }

    /// Its public half (`age1…`), for the roster's policy.
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }

    pub(crate) fn age_identity(&self) -> &age::x25519::Identity {
        &self.identity
    }

    /// Writes it to `path` under `passphrase` (age scrypt), never over an existing file. The
    /// file is a passphrase-protected standard age identity: `age -d FILE > key.txt` then
    /// `age -d -i key.txt parcel` opens a parcel without Sealpost.
    pub fn write(
        &self,
        path: &Path,
        cluster: &str,
        passphrase: &Passphrase,
    ) -> Result<(), RecoveryError> {
        let secret = self.identity.to_string();
        let document = Zeroizing::new(format!(
            "# Sealpost cluster recovery key of {cluster:?}: SECRET.\n\
             # It opens every parcel sealed while the cluster's policy named it. Keep it \
             offline.\n\
             # public key: {}\n{}\n",
            self.recipient(),
            secret.expose_secret()
        ));
        let sealed = encrypt_with_passphrase(document.as_bytes(), passphrase);
        crate::fsutil::write_atomically(path, &sealed, false).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeystoreError::OutputExists {
                path: path.display().to_string(),
            }
            .into(),
            _ => RecoveryError::Io {
                context: format!("cannot write {}", path.display()),
                source: e,
            },
        })
    }

    /// Reads a key written by [`RecoveryKey::write`].
    pub fn read(path: &Path, passphrase: &Passphrase) -> Result<Self, RecoveryError> {
        let sealed = crate::keystore::read_bounded(path)?;
        let document = decrypt_with_passphrase(&sealed, passphrase, path)?;
        let text = std::str::from_utf8(&document).unwrap_or("");
        let identity = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .and_then(|l| age::x25519::Identity::from_str(l).ok())
            .ok_or_else(|| RecoveryError::NotARecoveryKey {
                path: path.display().to_string(),
            })?;
        Ok(Self { identity })
    }
}

/// Checks that `text` is an age X25519 public key, as the policy needs.
pub fn check_recipient(text: &str) -> Result<(), RecoveryError> {
    age::x25519::Recipient::from_str(text)
        .map(|_| ())
        .map_err(|_| RecoveryError::BadRecipient { text: text.into() })
}

/// What became of one parcel file in a recovery.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveredParcel {
    /// The parcel file.
    pub file: String,
    /// `recovered`, `skipped` (a receipt or request: no files), `not-sealed-to-recovery-key`
    /// (nobody can open it: ask its sender to send it again) or `failed` (damaged, or its
    /// sender not vouched for by the roster).
    pub outcome: String,
    /// Its id, when the manifest could be read.
    pub parcel_id: Option<String>,
    /// Its kind.
    pub kind: Option<String>,
    /// Who sealed it.
    pub sender: Option<String>,
    /// Its label.
    pub label: Option<String>,
    /// Where its files were written.
    pub dir: Option<String>,
    /// How many files.
    pub files: usize,
    /// Why it was not recovered (a stable code).
    pub error_code: Option<String>,
    /// Why, in words.
    pub message: Option<String>,
}

/// Opens every `*.parcel` file in `vault` with the recovery key, each verified against
/// `roster` (a sender the roster does not vouch for is refused), into `out/<parcel id>/`. One
/// parcel failing stops nothing. Parcels already recovered into `out` are refused, not
/// overwritten.
pub fn recover(
    key: &RecoveryKey,
    roster: &Roster,
    vault: &Path,
    out: &Path,
) -> Result<Vec<RecoveredParcel>, RecoveryError> {
    let io = |context: String| move |source| RecoveryError::Io { context, source };
    let mut files: Vec<PathBuf> = std::fs::read_dir(vault)
        .map_err(io(format!("cannot read the folder {}", vault.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parcel" || e == "age"))
        .collect();
    files.sort();
    std::fs::create_dir_all(out).map_err(io(format!("cannot create {}", out.display())))?;
    let options = OpenOptions {
        roster: Some(roster.clone()),
        ..OpenOptions::default()
    };
    let mut report = Vec::with_capacity(files.len());
    for file in files {
        let mut entry = RecoveredParcel {
            file: file.display().to_string(),
            outcome: "failed".into(),
            parcel_id: None,
            kind: None,
            sender: None,
            label: None,
            dir: None,
            files: 0,
            error_code: None,
            message: None,
        };
        // The manifest first (verified, nothing written), for the folder name and the report.
        let inspected = std::fs::File::open(&file)
            .map_err(|source| OpenError::Io {
                context: format!("cannot open {}", file.display()),
                source,
            })
            .and_then(|f| parcel::inspect(f, Key::Recovery(key), &options));
        let manifest = match inspected {
            Ok(inspected) => inspected.manifest,
            Err(e) => {
                if matches!(e, OpenError::NotForYou | OpenError::NotARecipient) {
                    entry.outcome = "not-sealed-to-recovery-key".into();
                }
                entry.error_code = Some(e.code().into());
                entry.message = Some(e.to_string());
                report.push(entry);
                continue;
            }
        };
        entry.parcel_id = Some(manifest.parcel_id.to_string());
        entry.kind = Some(manifest.kind.as_str().into());
        entry.sender = Some(format!(
            "{} ({})",
            manifest.sender.name, manifest.sender.org
        ));
        entry.label = Some(manifest.label.as_str().into());
        if manifest.files.is_empty() {
            // Receipts, requests and updates carry no files: nothing to give back.
            entry.outcome = "skipped".into();
            report.push(entry);
            continue;
        }
        let dir = out.join(manifest.parcel_id.to_string());
        match parcel::open_file(
            &file,
            Key::Recovery(key),
            &options,
            Destination::Directory(&dir),
            &Silent,
        ) {
            Ok(opened) => {
                entry.outcome = "recovered".into();
                entry.files = opened.files.len();
                entry.dir = Some(dir.display().to_string());
            }
            Err(e) => {
                entry.error_code = Some(e.code().into());
                entry.message = Some(e.to_string());
            }
        }
        report.push(entry);
    }
    Ok(report)
}
