//! Parcels, format v1: sealing files for a set of recipients and opening them again.
//!
//! A parcel is an age file (X25519 recipients, or one scrypt password). Its plaintext is a pax
//! tar stream, optionally inside one zstd frame, holding `SEALPOST-MANIFEST.json`,
//! `SEALPOST-MANIFEST.sig` and `files/<name>` entries, then Padmé padding. See
//! `docs/parcel-format.md` for the byte-level description.
//!
//! - [`seal`] / [`seal_to_file`] write a parcel; [`SealError`] says why they could not.
//! - [`open`] verifies and extracts one; [`inspect`] reads only its manifest; [`OpenError`]
//!   says why a parcel was refused. An opened parcel never leaves partial files behind.

use sealpost_format::Label;

mod manifest;
mod names;
mod open;
mod padding;
mod pipeline;
mod seal;
mod tarball;

/// An `age1…` X25519 public key that parcels are sealed to (parse it with `str::parse`).
pub use age::x25519::Recipient as AgeRecipient;
pub use manifest::{
    Compression, Encryption, FILES_PREFIX, FileEntry, LabelOverride, MANIFEST_ENTRY,
    MAX_MANIFEST_BYTES, MAX_NOTE_CHARS, MAX_OVERRIDE_REASON_CHARS, MIN_OVERRIDE_REASON_CHARS,
    Manifest, ParcelKind, Recipient, SIGNATURE_ENTRY, Sender, Sha256Digest,
};
pub use names::MAX_NAME_BYTES;
pub use open::{
    Destination, Inspected, Key, OpenOptions, OpenedFile, OpenedParcel, SenderStatus, inspect,
    open, open_file,
};
pub use seal::{
    Addressee, Addressees, FileSource, Purpose, RosterContext, SealRequest, SealedParcel, seal,
    seal_to_file,
};

/// Why a parcel could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// A file's name would be refused by recipients.
    #[error("cannot seal {name:?}: {reason}; rename the file and try again")]
    UnsafeFileName {
        /// The file name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two files have the same name (ignoring case).
    #[error("two files are named {name:?} (ignoring case); rename one of them")]
    DuplicateFileName {
        /// The repeated name.
        name: String,
    },
    /// A path names something other than a regular file.
    #[error("{path} is not a regular file (folders and devices cannot be sealed)")]
    NotAFile {
        /// The path given.
        path: String,
    },
    /// A file could not be read.
    #[error("cannot read {name}: {source}")]
    Read {
        /// The file.
        name: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file changed between the hashing pass and the sealing pass.
    #[error("{name} changed while it was being sealed; wait until it is saved and try again")]
    FileChanged {
        /// The file.
        name: String,
    },
    /// The note is too long or holds control characters.
    #[error("the note {reason}")]
    InvalidNote {
        /// What is wrong with it.
        reason: String,
    },
    /// There is nobody to seal to.
    #[error("no recipients: give at least one --to RECIPIENT or a --password-file")]
    NoRecipients,
    /// The manifest would exceed the size limit (too many files).
    #[error(
        "the manifest would be {size} bytes, over the {MAX_MANIFEST_BYTES}-byte limit; split \
         the files over several parcels"
    )]
    ManifestTooLarge {
        /// Its size.
        size: usize,
    },
    /// The label chosen is below what the sensitivity scan found, and no reason was given.
    #[error(
        "the files look {suggested} to the sensitivity scan, and {chosen} is lower: use --label \
         {suggested}, or if you are sure, say why with --override-reason TEXT (recorded in the \
         parcel for the recipients)."
    )]
    LabelBelowSuggestion {
        /// The label chosen.
        chosen: Label,
        /// The scan's suggestion.
        suggested: Label,
    },
    /// The purpose's fields break the manifest rules (e.g. an event that is not a short word).
    #[error("cannot seal this parcel: {reason}")]
    InvalidPurpose {
        /// What is wrong.
        reason: String,
    },
    /// age refused the recipients.
    #[error("cannot encrypt to these recipients: {0}")]
    Encrypt(String),
    /// The output exists already.
    #[error("{path} already exists; choose another output name or remove it")]
    OutputExists {
        /// The output path.
        path: String,
    },
    /// Writing the parcel failed.
    #[error("cannot write the parcel to {path}: {source}")]
    Write {
        /// The output.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl SealError {
    /// A stable machine-readable code for this error (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            SealError::UnsafeFileName { .. } => "unsafe-file-name",
            SealError::DuplicateFileName { .. } => "duplicate-file-name",
            SealError::NotAFile { .. } => "not-a-file",
            SealError::Read { .. } => "read-failed",
            SealError::FileChanged { .. } => "file-changed",
            SealError::InvalidNote { .. } => "invalid-note",
            SealError::NoRecipients => "no-recipients",
            SealError::ManifestTooLarge { .. } => "manifest-too-large",
            SealError::InvalidPurpose { .. } => "invalid-purpose",
            SealError::LabelBelowSuggestion { .. } => "label-below-suggestion",
            SealError::Encrypt(_) => "encrypt-failed",
            SealError::OutputExists { .. } => "output-exists",
            SealError::Write { .. } => "write-failed",
        }
    }
}

/// Why a parcel was refused or could not be opened. Whatever the reason, nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The input is not an age file at all.
    #[error("this is not a Sealpost parcel: it does not start with an age header")]
    NotAParcel,
    /// None of the reader's keys unwraps the file key.
    #[error(
        "none of your keys opens this parcel: it was not sealed to you, or its header is damaged"
    )]
    NotForYou,
    /// The password does not unwrap the file key.
    #[error("wrong password for this parcel")]
    WrongPassword,
    /// A password-protected parcel was opened with an identity.
    #[error("this parcel is password-protected: open it with --password-file FILE")]
    PasswordProtected,
    /// An identity parcel was opened with a password.
    #[error(
        "this parcel is sealed to members' keys, not a password: open it without --password-file"
    )]
    NotPasswordProtected,
    /// The parcel ends early.
    #[error("the parcel is incomplete ({detail}); download or copy it again")]
    Truncated {
        /// Where it ended.
        detail: String,
    },
    /// Authenticated decryption failed: the bytes were cut or changed after sealing (age
    /// cannot tell a download cut inside a chunk from a changed chunk).
    #[error(
        "the parcel is damaged, incomplete or was modified after sealing ({detail}); download \
         or copy it again, and if that does not help, ask the sender to send it again"
    )]
    Damaged {
        /// What failed.
        detail: String,
    },
    /// The decrypted content does not have the parcel layout.
    #[error("the parcel is malformed: {detail}")]
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// The manifest exceeds the size limit.
    #[error("the parcel's manifest is {size} bytes, over the {MAX_MANIFEST_BYTES}-byte limit")]
    ManifestTooLarge {
        /// Its declared size.
        size: u64,
    },
    /// The manifest's signature does not verify.
    #[error("the manifest signature is invalid: this parcel was not sealed by the sender it names")]
    BadSignature,
    /// The manifest is validly signed, but not by the sender the reader expected.
    #[error("the parcel was signed by {actual}, not by the expected sender {expected}")]
    SenderMismatch {
        /// The key the reader expected.
        expected: String,
        /// The key that signed.
        actual: String,
    },
    /// The roster says the sender was removed, or that the signing key is not theirs.
    #[error(
        "{}", untrusted_sender_message(*status, name, org)
    )]
    UntrustedSender {
        /// [`SenderStatus::Removed`] or [`SenderStatus::KeyMismatch`].
        status: SenderStatus,
        /// The name the manifest gives.
        name: String,
        /// The organisation the manifest gives.
        org: String,
    },
    /// The manifest is signed but invalid.
    #[error("the parcel's manifest is invalid: {detail}")]
    InvalidManifest {
        /// What is wrong.
        detail: String,
    },
    /// The signed recipient list does not include the reader: someone re-sealed it to them.
    #[error(
        "you are not among the recipients the sender signed: this parcel was re-sealed or \
         forwarded to you by someone else, so it is refused"
    )]
    NotARecipient,
    /// The file's encryption differs from what the signed manifest says.
    #[error("the parcel's encryption does not match its signed manifest")]
    EncryptionMismatch,
    /// A file entry does not match the manifest.
    #[error("{name}: {detail}")]
    FileMismatch {
        /// The file.
        name: String,
        /// How it differs.
        detail: String,
    },
    /// Opening would overwrite an existing file.
    #[error("{path} already exists; open into an empty folder or move that file away")]
    WouldOverwrite {
        /// The existing file.
        path: String,
    },
    /// Reading the input or writing the output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl OpenError {
    /// A stable machine-readable code for this error (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::NotAParcel => "not-a-parcel",
            OpenError::NotForYou => "not-for-you",
            OpenError::WrongPassword => "wrong-password",
            OpenError::PasswordProtected => "password-protected",
            OpenError::NotPasswordProtected => "not-password-protected",
            OpenError::Truncated { .. } => "truncated",
            OpenError::Damaged { .. } => "damaged",
            OpenError::Malformed { .. } => "malformed",
            OpenError::ManifestTooLarge { .. } => "manifest-too-large",
            OpenError::BadSignature => "bad-signature",
            OpenError::SenderMismatch { .. } => "sender-mismatch",
            OpenError::UntrustedSender {
                status: SenderStatus::Removed,
                ..
            } => "sender-removed",
            OpenError::UntrustedSender { .. } => "sender-key-mismatch",
            OpenError::InvalidManifest { .. } => "invalid-manifest",
            OpenError::NotARecipient => "not-a-recipient",
            OpenError::EncryptionMismatch => "encryption-mismatch",
            OpenError::FileMismatch { .. } => "file-mismatch",
            OpenError::WouldOverwrite { .. } => "would-overwrite",
            OpenError::Io { .. } => "io",
        }
    }
}

fn untrusted_sender_message(status: SenderStatus, name: &str, org: &str) -> String {
    match status {
        SenderStatus::Removed => format!(
            "the sender {name} ({org}) has been removed from the cluster, so nothing was opened; \
             if you know the parcel was sent before the removal, open it with \
             --allow-untrusted-sender"
        ),
        _ => format!(
            "this parcel claims to come from {name} ({org}) but is signed with a key the roster \
             does not hold for them, so nothing was opened: it may be forged. Call {name} and \
             compare safety numbers (`sealpost verify`); if they changed keys recently, import \
             the newer roster first. Only then, open it with --allow-untrusted-sender"
        ),
    }
}
