//! Sealpost client core: the one API surface that the CLI, the desktop app and the end-to-end
//! tests call.
//!
//! - [`identity`]: a member's keys (age X25519 for decryption, Ed25519 for signing) and the
//!   identity document that stores them.
//! - [`keystore`]: the data directory ([`Home`]) and where the secret keys live: the OS keyring,
//!   or a passphrase-protected identity file.
//! - [`membership`]: this member's cluster: the pinned coordinator key, the roster held, the
//!   rules for accepting a newer one, and addressing members through it.
//! - [`coordinator`]: the coordinator's desk: invites, join and key-change requests, and each
//!   change that produces the next roster version.
//! - [`relay`]: the relay client: the roster, logging in, uploads, the mailbox, downloads.
//! - [`mailroom`]: the member's parcels on this computer (an encrypted store and a vault of
//!   sealed parcels) and the sync engine: outbox, inbox, receipts, corrections, deletions, and
//!   the audit log.
//! - [`parcel`]: sealing files into a parcel and opening one, per parcel format v1.
//! - [`review`]: the sensitivity scan of files before sealing, and the label rule it enforces.
//! - [`passphrase`]: secrets typed by people (identity passphrases, parcel passwords).
//! - [`progress`]: how long-running work reports progress to a user interface.
//! - [`qr`]: invite codes as QR codes, drawn and read back from a picture.
//! - [`recovery`]: the cluster's offline recovery key, and opening parcels with it when a
//!   member lost their key.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod coordinator;
mod fsutil;
pub mod identity;
pub mod keystore;
pub mod mailroom;
pub mod membership;
pub mod parcel;
pub mod passphrase;
pub mod progress;
pub mod qr;
pub mod recovery;
pub mod relay;
pub mod review;

pub use identity::{Identity, IdentityError, MemberCard};
pub use keystore::{Backup, Home, KeystoreError, KeystoreKind, Profile, Protection};
pub use mailroom::{Mailroom, MailroomError};
pub use passphrase::{Passphrase, PassphraseError};
pub use sealpost_format as format;

/// Writes a new file atomically (temporary file, fsync, rename); fails with `AlreadyExists`
/// rather than replace one. For exports and requests that people pass on.
pub fn write_new_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    fsutil::write_atomically(path, bytes, false)
}
