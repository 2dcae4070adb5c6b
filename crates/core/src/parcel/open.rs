//! Opening: verify a parcel completely, then release its files all at once.
//!
//! Order of checks: age decrypts the header (is this parcel for us?); the manifest and its
//! signature are read, bounded to [`MAX_MANIFEST_BYTES`]; the signature is verified, against
//! the expected sender's key when one is given, **before** the manifest is interpreted; the
//! reader must be among the signed recipients. Only then are files streamed, each into a
//! temporary file in the destination while it is hashed on a helper thread. The parcel is read
//! to its very end, so age authenticates the last chunk and the padding, and only when every
//! size and hash matches are the files renamed into place. Any failure removes everything.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::iter;
use std::path::{Path, PathBuf};

use sealpost_format::roster::{MemberStatus, Roster};
use sealpost_format::{MemberId, SigningContext, SigningPublicKey};
use serde::Serialize;
use tempfile::TempPath;

use super::OpenError;
use super::manifest::{
    Compression, Encryption, FILES_PREFIX, MANIFEST_ENTRY, MAX_MANIFEST_BYTES, Manifest,
    SIGNATURE_ENTRY, Sha256Digest,
};
use super::pipeline::HashingWriter;
use super::tarball::{TarError, TarReader};
use crate::fsutil::{SyncingFile, sync_dir};
use crate::identity::Identity;
use crate::passphrase::Passphrase;
use crate::progress::{Phase, Progress};
use crate::recovery::RecoveryKey;

const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const ZSTD_MAGIC: [u8; 4] = 0xFD2F_B528u32.to_le_bytes();
/// Largest zstd window accepted (8 MiB); level 3 uses 2 MiB. Bounds a hostile frame's memory.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;
const COPY_BUFFER: usize = 256 * 1024;

/// The key that opens a parcel.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// The reader's identity (X25519).
    Identity(&'a Identity),
    /// The reader's current identity first, then the keys they used before a key change, so
    /// parcels sealed to an old key still open.
    Identities(&'a [Identity]),
    /// The parcel's password (age scrypt).
    Password(&'a Passphrase),
    /// The cluster's recovery key, for a parcel sealed to it by the cluster's policy.
    Recovery(&'a RecoveryKey),
}

/// Checks beyond the parcel's own consistency.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The signing key the sender must have; anything else is refused.
    pub expected_sender: Option<SigningPublicKey>,
    /// The verified roster the sender is checked against.
    pub roster: Option<Roster>,
    /// Release files even when the roster says the sender was removed or signs with a key
    /// that is not theirs (after checking with the sender by phone).
    pub allow_untrusted_sender: bool,
}

/// Where opened files go.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Into this folder (created if needed); existing files are never overwritten.
    Directory(&'a Path),
    /// Nowhere: verify everything and write nothing.
    VerifyOnly,
}

/// How far the sender's identity is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SenderStatus {
    /// Signed by the key the reader expected, or by the key the roster holds for the sender
    /// (current or a previous key they handed over from).
    Verified,
    /// Validly signed by the key it names, but no roster (or expected key) vouches for it: the
    /// sender is not a member of the roster held, or no roster is held.
    Unknown,
    /// The roster lists the sender as removed from the cluster.
    Removed,
    /// The roster holds different keys for the member the manifest names (or the key belongs
    /// to a different member): a forgery, or a key change the roster does not know yet.
    KeyMismatch,
}

impl SenderStatus {
    /// Its name, as `open --json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SenderStatus::Verified => "verified",
            SenderStatus::Unknown => "unknown",
            SenderStatus::Removed => "removed",
            SenderStatus::KeyMismatch => "key-mismatch",
        }
    }

    /// The sender's standing in `roster`, for a manifest naming `member_id` and signed by
    /// `signer`.
    pub fn in_roster(roster: &Roster, member_id: MemberId, signer: &SigningPublicKey) -> Self {
        match roster.member(member_id) {
            Some(m) if m.sig_pk == *signer || m.had_key(signer) => match m.status {
                MemberStatus::Active => SenderStatus::Verified,
                MemberStatus::Removed => SenderStatus::Removed,
            },
            Some(_) => SenderStatus::KeyMismatch,
            // A member's key under someone else's member id is an impersonation attempt.
            None if roster
                .members
                .iter()
                .any(|m| m.sig_pk == *signer || m.had_key(signer)) =>
            {
                SenderStatus::KeyMismatch
            }
            None => SenderStatus::Unknown,
        }
    }
}

/// A parcel's verified manifest, read without its files.
#[derive(Debug)]
pub struct Inspected {
    /// The manifest (signature verified).
    pub manifest: Manifest,
    /// How far the sender is established.
    pub sender_status: SenderStatus,
}

/// One file released from a parcel.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, as checked against the manifest.
    pub sha256: Sha256Digest,
    /// Where it was written (`None` when only verified).
    pub path: Option<PathBuf>,
}

/// A fully verified and opened parcel.
#[derive(Debug)]
pub struct OpenedParcel {
    /// The manifest.
    pub manifest: Manifest,
    /// How far the sender is established.
    pub sender_status: SenderStatus,
    /// The files, in manifest order.
    pub files: Vec<OpenedFile>,
}

/// Reads a parcel's manifest and verifies its signature and addressing, reading no further
/// into the parcel than the manifest needs. File contents are **not** verified.
pub fn inspect<R: Read>(
    input: R,
    key: Key<'_>,
    options: &OpenOptions,
) -> Result<Inspected, OpenError> {
    let unsealed = unseal(input, key, options)?;
    Ok(Inspected {
        manifest: unsealed.manifest,
        sender_status: unsealed.sender_status,
    })
}

/// Opens a parcel file. See [`open`].
pub fn open_file(
    path: &Path,
    key: Key<'_>,
    options: &OpenOptions,
    destination: Destination<'_>,
    progress: &dyn Progress,
) -> Result<OpenedParcel, OpenError> {
    let file = File::open(path).map_err(|source| OpenError::Io {
        context: format!("cannot open {}", path.display()),
        source,
    })?;
    open(file, key, options, destination, progress)
}

/// Verifies a whole parcel and writes its files to `destination`, all or nothing.
pub fn open<R: Read>(
    input: R,
    key: Key<'_>,
    options: &OpenOptions,
    destination: Destination<'_>,
    progress: &dyn Progress,
) -> Result<OpenedParcel, OpenError> {
    let Unsealed {
        manifest,
        sender_status,
        mut tar,
    } = unseal(input, key, options)?;
    let mut staging = Staging::new(destination, &manifest)?;
    progress.start(Phase::Opening, manifest.total_size());
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut files = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let header = tar.next_entry().map_err(tar_error)?.ok_or_else(|| {
            malformed(format!("the parcel ends before the file {:?}", entry.name))
        })?;
        if header.path != format!("{FILES_PREFIX}{}", entry.name) {
            return Err(malformed(format!(
                "found the entry {:?} where the manifest lists {:?}",
                header.path, entry.name
            )));
        }
        if header.size != entry.size {
            return Err(OpenError::FileMismatch {
                name: entry.name.clone(),
                detail: format!(
                    "the signed manifest says {} bytes, the parcel holds {}",
                    entry.size, header.size
                ),
            });
        }
        let write_err = |source| OpenError::Io {
            context: format!("cannot write {}", entry.name),
            source,
        };
        let mut writer = HashingWriter::spawn(staging.create_file()?);
        loop {
            let n = tar.read(&mut buf).map_err(read_error)?;
            if n == 0 {
                break;
            }
            writer.write_all(&buf[..n]).map_err(write_err)?;
            progress.advance(n as u64);
        }
        let (sink, tally) = writer.finish().map_err(write_err)?;
        if tally.sha256 != entry.sha256 {
            return Err(OpenError::FileMismatch {
                name: entry.name.clone(),
                detail: "its content does not match the SHA-256 in the signed manifest".into(),
            });
        }
        sink.sync().map_err(write_err)?;
        files.push(OpenedFile {
            name: entry.name.clone(),
            size: tally.size,
            sha256: tally.sha256,
            path: None,
        });
    }
    if let Some(extra) = tar.next_entry().map_err(tar_error)? {
        return Err(malformed(format!(
            "unexpected entry {:?} after the last file",
            extra.path
        )));
    }
    check_padding(tar.into_inner())?;
    let paths = staging.commit(&manifest)?;
    for (file, path) in iter::zip(&mut files, paths) {
        file.path = path;
    }
    progress.finish();
    Ok(OpenedParcel {
        manifest,
        sender_status,
        files,
    })
}

/// The decrypted, verified start of a parcel, positioned at its first file entry.
struct Unsealed<R: Read> {
    manifest: Manifest,
    sender_status: SenderStatus,
    tar: TarReader<Plaintext<R>>,
}

fn unseal<R: Read>(
    input: R,
    key: Key<'_>,
    options: &OpenOptions,
) -> Result<Unsealed<R>, OpenError> {
    let plaintext = decrypt(input, key)?;
    let compressed = matches!(plaintext, Plaintext::Zstd(_));
    let mut tar = TarReader::new(plaintext);

    let mut entry = |name: &str, max: u64| -> Result<Vec<u8>, OpenError> {
        let header = tar
            .next_entry()
            .map_err(tar_error)?
            .ok_or_else(|| malformed(format!("the parcel has no {name}")))?;
        if header.path != name {
            return Err(malformed(format!(
                "found {:?} where {name} belongs",
                header.path
            )));
        }
        if header.size > max {
            return Err(if name == MANIFEST_ENTRY {
                OpenError::ManifestTooLarge { size: header.size }
            } else {
                malformed(format!("{name} has {} bytes", header.size))
            });
        }
        let mut bytes = vec![0u8; header.size as usize];
        tar.read_exact(&mut bytes).map_err(read_error)?;
        Ok(bytes)
    };
    let manifest_bytes = entry(MANIFEST_ENTRY, MAX_MANIFEST_BYTES)?;
    let signature = entry(SIGNATURE_ENTRY, sealpost_format::SIGNATURE_LEN as u64)?;

    let (signer, expected) = verify_signature(
        &manifest_bytes,
        &signature,
        options.expected_sender.as_ref(),
    )?;
    let manifest =
        Manifest::parse(&manifest_bytes).map_err(|detail| OpenError::InvalidManifest { detail })?;
    if manifest.sender.sig_pk != signer {
        return Err(OpenError::InvalidManifest {
            detail: "it names a different signing key than the one that signed it".into(),
        });
    }
    let sender_status = match (&options.roster, expected) {
        (_, true) => SenderStatus::Verified,
        (Some(roster), false) => {
            SenderStatus::in_roster(roster, manifest.sender.member_id, &signer)
        }
        (None, false) => SenderStatus::Unknown,
    };
    if matches!(
        sender_status,
        SenderStatus::Removed | SenderStatus::KeyMismatch
    ) && !options.allow_untrusted_sender
    {
        return Err(OpenError::UntrustedSender {
            status: sender_status,
            name: manifest.sender.name.clone(),
            org: manifest.sender.org.clone(),
        });
    }
    if let Some(identities) = identities(key) {
        if manifest.encryption != Encryption::X25519 {
            return Err(OpenError::EncryptionMismatch);
        }
        let mine: Vec<String> = identities
            .iter()
            .map(|i| i.age_recipient().to_string())
            .collect();
        if !manifest
            .recipients
            .iter()
            .any(|r| mine.contains(&r.age_recipient))
        {
            return Err(OpenError::NotARecipient);
        }
    }
    match key {
        Key::Identity(_) | Key::Identities(_) => {}
        Key::Password(_) if manifest.encryption != Encryption::Scrypt => {
            return Err(OpenError::EncryptionMismatch);
        }
        Key::Password(_) => {}
        // The recovery key is listed as an addressee without a member id: the signed
        // manifest must say the sender meant it to open the parcel.
        Key::Recovery(recovery) => {
            let listed = recovery.recipient();
            if !manifest
                .recipients
                .iter()
                .any(|r| r.member_id.is_none() && r.age_recipient == listed)
            {
                return Err(OpenError::NotARecipient);
            }
        }
    }
    if (manifest.compression == Compression::Zstd) != compressed {
        return Err(malformed(
            "the signed manifest and the parcel disagree about compression",
        ));
    }
    Ok(Unsealed {
        manifest,
        sender_status,
        tar,
    })
}

/// The identities a key holds, or `None` for a password.
fn identities<'a>(key: Key<'a>) -> Option<&'a [Identity]> {
    match key {
        Key::Identity(identity) => Some(std::slice::from_ref(identity)),
        Key::Identities(identities) => Some(identities),
        Key::Password(_) | Key::Recovery(_) => None,
    }
}

/// Checks the manifest signature; returns the signer and whether it is the expected one. With
/// an expected sender, the signature is checked against that key before a single byte of the
/// manifest is interpreted; without one, only the claimed key is read from the manifest (it is
/// then trusted only as far as the roster vouches for it).
fn verify_signature(
    manifest: &[u8],
    signature: &[u8],
    expected: Option<&SigningPublicKey>,
) -> Result<(SigningPublicKey, bool), OpenError> {
    let verifies = |key: &SigningPublicKey| {
        SigningContext::Manifest
            .verify(key, manifest, signature)
            .is_ok()
    };
    if let Some(expected) = expected {
        if verifies(expected) {
            return Ok((*expected, true));
        }
        return Err(match Manifest::claimed_signer(manifest) {
            Ok(actual) if verifies(&actual) => OpenError::SenderMismatch {
                expected: expected.to_string(),
                actual: actual.to_string(),
            },
            _ => OpenError::BadSignature,
        });
    }
    let claimed = Manifest::claimed_signer(manifest)
        .map_err(|detail| OpenError::InvalidManifest { detail })?;
    if !verifies(&claimed) {
        return Err(OpenError::BadSignature);
    }
    Ok((claimed, false))
}

/// The input with its age magic already read (and put back in front).
type AgeInput<R> = io::Chain<io::Cursor<[u8; AGE_MAGIC.len()]>, R>;
/// The decrypted payload with its first four bytes already read (and put back in front).
type Decrypted<R> = io::Chain<io::Cursor<[u8; 4]>, Authenticated<AgeInput<R>>>;

/// The parcel's plaintext: the tar stream, directly or through zstd.
enum Plaintext<R: Read> {
    Plain(Decrypted<R>),
    Zstd(zstd::stream::read::Decoder<'static, BufReader<Decrypted<R>>>),
}

impl<R: Read> Read for Plaintext<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Plaintext::Plain(r) => r.read(buf),
            Plaintext::Zstd(r) => r.read(buf),
        }
    }
}

/// Unwraps the file key with `key` and starts decrypting the payload.
fn decrypt<R: Read>(mut input: R, key: Key<'_>) -> Result<Plaintext<R>, OpenError> {
    // Read the magic ourselves: a file that is not age at all deserves a different message
    // from an age header that is damaged.
    let mut magic = [0u8; AGE_MAGIC.len()];
    let got = read_up_to(&mut input, &mut magic).map_err(|source| OpenError::Io {
        context: "cannot read the parcel".into(),
        source,
    })?;
    if got < AGE_MAGIC.len() && got > 0 && AGE_MAGIC.starts_with(&magic[..got]) {
        return Err(OpenError::Truncated {
            detail: format!("it is only {got} bytes long"),
        });
    }
    if &magic[..got] != AGE_MAGIC {
        return Err(OpenError::NotAParcel);
    }
    let decryptor =
        age::Decryptor::new(io::Cursor::new(magic).chain(input)).map_err(header_error)?;
    let stream = match key {
        Key::Identity(_) | Key::Identities(_) => {
            if decryptor.is_scrypt() {
                return Err(OpenError::PasswordProtected);
            }
            let identities = identities(key).expect("an identity key");
            decryptor
                .decrypt(
                    identities
                        .iter()
                        .map(|i| i.age_identity() as &dyn age::Identity),
                )
                .map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => OpenError::NotForYou,
                    other => header_error(other),
                })?
        }
        Key::Recovery(recovery) => {
            if decryptor.is_scrypt() {
                return Err(OpenError::PasswordProtected);
            }
            decryptor
                .decrypt(iter::once(recovery.age_identity() as &dyn age::Identity))
                .map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => OpenError::NotForYou,
                    other => header_error(other),
                })?
        }
        Key::Password(password) => {
            if !decryptor.is_scrypt() {
                return Err(OpenError::NotPasswordProtected);
            }
            let identity = password.identity();
            decryptor
                .decrypt(iter::once(&identity as &dyn age::Identity))
                .map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                        OpenError::WrongPassword
                    }
                    other => header_error(other),
                })?
        }
    };
    let mut stream = Authenticated(stream);
    let mut first = [0u8; 4];
    stream.read_exact(&mut first).map_err(read_error)?;
    let stream = io::Cursor::new(first).chain(stream);
    if first != ZSTD_MAGIC {
        return Ok(Plaintext::Plain(stream));
    }
    let mut decoder = zstd::stream::read::Decoder::new(stream)
        .map_err(|e| malformed(format!("cannot start decompression: {e}")))?;
    decoder
        .window_log_max(ZSTD_WINDOW_LOG_MAX)
        .map_err(|e| malformed(format!("cannot bound decompression: {e}")))?;
    Ok(Plaintext::Zstd(decoder))
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// age's payload reader, with its errors tagged so they can be told apart from errors in the
/// (authenticated) content: only age's errors mean the bytes were cut or changed in transit.
struct Authenticated<R: Read>(age::stream::StreamReader<R>);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct AgeStreamError(String);

impl<R: Read> Read for Authenticated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), AgeStreamError(e.to_string())))
    }
}

fn header_error(e: age::DecryptError) -> OpenError {
    match e {
        age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            OpenError::Truncated {
                detail: "it ends inside the age header".into(),
            }
        }
        age::DecryptError::ExcessiveWork { required, .. } => OpenError::Damaged {
            detail: format!(
                "its password protection demands scrypt work 2^{required}, more than the 2^{} \
                 Sealpost accepts",
                crate::passphrase::MAX_SCRYPT_LOG_N
            ),
        },
        age::DecryptError::Io(source) => OpenError::Io {
            context: "cannot read the parcel".into(),
            source,
        },
        other => OpenError::Damaged {
            detail: format!("age header: {other}"),
        },
    }
}

fn read_error(e: io::Error) -> OpenError {
    let from_age = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<AgeStreamError>().is_some());
    match (from_age, e.kind()) {
        (true, io::ErrorKind::UnexpectedEof) => OpenError::Truncated {
            detail: e.to_string(),
        },
        (true, _) => OpenError::Damaged {
            detail: e.to_string(),
        },
        // The bytes were authenticated by age, so the sender's own software wrote them.
        (false, _) => malformed(format!("its content cannot be read: {e}")),
    }
}

fn tar_error(e: TarError) -> OpenError {
    match e {
        TarError::Io(e) => read_error(e),
        TarError::Malformed(detail) => malformed(detail),
    }
}

fn malformed(detail: impl Into<String>) -> OpenError {
    OpenError::Malformed {
        detail: detail.into(),
    }
}

/// Reads the rest of the plaintext: it must be padding only. Reading to the end also makes age
/// authenticate the final chunk, so a changed or cut last chunk is caught here.
fn check_padding(mut rest: impl Read) -> Result<(), OpenError> {
    let mut buf = vec![0u8; COPY_BUFFER];
    loop {
        let n = rest.read(&mut buf).map_err(read_error)?;
        if n == 0 {
            return Ok(());
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Err(malformed("unexpected data after the end of the archive"));
        }
    }
}

/// Where files go while they are checked.
enum Sink {
    File(SyncingFile),
    Discard,
}

impl Sink {
    fn sync(&self) -> io::Result<()> {
        match self {
            Sink::File(file) => file.sync_all(),
            Sink::Discard => Ok(()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(file) => file.write(buf),
            Sink::Discard => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(file) => file.flush(),
            Sink::Discard => Ok(()),
        }
    }
}

/// The files of one open, held under temporary names in the destination until all are
/// verified. Dropped without [`Staging::commit`], it removes every temporary file, and the
/// folders this open created (the destination and any missing parents).
struct Staging {
    dir: Option<PathBuf>,
    /// Folders this open created, deepest first.
    created_dirs: Vec<PathBuf>,
    temps: Vec<TempPath>,
}

impl Staging {
    fn new(destination: Destination<'_>, manifest: &Manifest) -> Result<Self, OpenError> {
        let Destination::Directory(dir) = destination else {
            return Ok(Self {
                dir: None,
                created_dirs: Vec::new(),
                temps: Vec::new(),
            });
        };
        let io_err = |source| OpenError::Io {
            context: format!("cannot create the folder {}", dir.display()),
            source,
        };
        let created_dirs = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        // Built first, so that folders created before a failure are removed again.
        let staging = Self {
            dir: Some(dir.to_owned()),
            created_dirs,
            temps: Vec::new(),
        };
        std::fs::create_dir_all(dir).map_err(io_err)?;
        // Refuse before decrypting gigabytes, not after.
        for file in &manifest.files {
            let target = dir.join(&file.name);
            if target.symlink_metadata().is_ok() {
                return Err(OpenError::WouldOverwrite {
                    path: target.display().to_string(),
                });
            }
        }
        Ok(staging)
    }

    fn create_file(&mut self) -> Result<Sink, OpenError> {
        let Some(dir) = &self.dir else {
            return Ok(Sink::Discard);
        };
        let temp = tempfile::Builder::new()
            .prefix(".sealpost-opening-")
            .tempfile_in(dir)
            .map_err(|source| OpenError::Io {
                context: format!("cannot create a file in {}", dir.display()),
                source,
            })?;
        let (file, path) = temp.into_parts();
        self.temps.push(path);
        Ok(Sink::File(SyncingFile::new(file)))
    }

    /// Moves every file to its final name, never replacing an existing file; on any failure
    /// the files already moved are removed again.
    fn commit(mut self, manifest: &Manifest) -> Result<Vec<Option<PathBuf>>, OpenError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(vec![None; manifest.files.len()]);
        };
        let mut placed: Vec<PathBuf> = Vec::new();
        let temps = std::mem::take(&mut self.temps);
        let mut temps = temps.into_iter();
        for (file, temp) in iter::zip(&manifest.files, temps.by_ref()) {
            let target = dir.join(&file.name);
            if let Err(e) = temp.persist_noclobber(&target) {
                for done in &placed {
                    let _ = std::fs::remove_file(done);
                }
                // Whatever is left in `self.temps`-land drops (and deletes) with `e` and `temps`.
                return Err(if e.error.kind() == io::ErrorKind::AlreadyExists {
                    OpenError::WouldOverwrite {
                        path: target.display().to_string(),
                    }
                } else {
                    OpenError::Io {
                        context: format!("cannot move {} into place", file.name),
                        source: e.error,
                    }
                });
            }
            placed.push(target);
        }
        if let Err(source) = sync_dir(&dir) {
            // The files are in place but not durably: take them back, as for any failure.
            for done in &placed {
                let _ = std::fs::remove_file(done);
            }
            return Err(OpenError::Io {
                context: format!("cannot sync the folder {}", dir.display()),
                source,
            });
        }
        self.created_dirs.clear();
        Ok(placed.into_iter().map(Some).collect())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Temporary files first, so that a folder this open created is empty again.
        self.temps.clear();
        // `remove_dir` removes only empty folders: anything someone else put there stays.
        for dir in &self.created_dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}
