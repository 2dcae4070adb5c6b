//! Sealing: files in, one parcel out.
//!
//! The manifest, which records every file's size and SHA-256, comes before the file contents
//! in the tar stream, so each file is read twice: once to hash it, once to stream it into the
//! parcel. The second read is hashed again on a helper thread and compared, so a file that
//! changes while it is being sealed is refused instead of producing a parcel that its
//! recipients would reject.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::iter;
use std::path::{Path, PathBuf};

use sealpost_format::{ClusterId, Label, MemberId, ParcelId, SigningContext};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SealError;
use super::manifest::{
    Compression, Encryption, FILES_PREFIX, FileEntry, LabelOverride, MANIFEST_ENTRY,
    MAX_MANIFEST_BYTES, MAX_NOTE_CHARS, Manifest, ParcelKind, Recipient, SIGNATURE_ENTRY, Sender,
    Sha256Digest,
};
use super::names::{check_file_name, find_duplicate};
use super::padding::{write_skippable_padding, write_zero_padding};
use super::pipeline::HashingReader;
use super::tarball::TarWriter;
use crate::fsutil::AtomicFile;
use crate::identity::Identity;
use crate::passphrase::Passphrase;
use crate::progress::{Phase, Progress};

/// zstd level 3: the zstd default, a good ratio on CSV and text at several hundred MB/s.
const ZSTD_LEVEL: i32 = 3;
const COPY_BUFFER: usize = 256 * 1024;

type OpenFn = dyn Fn() -> io::Result<Box<dyn Read + Send>> + Send + Sync;

/// One file to seal: its name in the parcel and where its bytes come from. The source is
/// opened twice (hashing, then sealing), so it must give the same bytes each time.
pub struct FileSource {
    name: String,
    origin: Origin,
}

enum Origin {
    /// A file, with the size it had when it was chosen (for the progress bar only; the hashing
    /// pass measures the real size).
    Path(PathBuf, u64),
    Stream(Box<OpenFn>),
}

impl FileSource {
    /// A file on disk, named in the parcel by its file name.
    pub fn from_path(path: &Path) -> Result<Self, SealError> {
        let shown = path.display().to_string();
        let metadata = std::fs::metadata(path).map_err(|source| SealError::Read {
            name: shown.clone(),
            source,
        })?;
        if !metadata.is_file() {
            return Err(SealError::NotAFile { path: shown });
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| SealError::UnsafeFileName {
                name: shown.clone(),
                reason: "the name is not valid Unicode".into(),
            })?
            .to_owned();
        Ok(Self {
            name,
            origin: Origin::Path(path.to_owned(), metadata.len()),
        })
    }

    /// Bytes from a generator, e.g. data produced in memory. `open` is called once per pass
    /// and must produce the same bytes each time.
    pub fn from_stream(
        name: impl Into<String>,
        open: impl Fn() -> io::Result<Box<dyn Read + Send>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            origin: Origin::Stream(Box::new(open)),
        }
    }

    /// The file's name in the parcel.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn open(&self) -> Result<Box<dyn Read + Send>, SealError> {
        let opened = match &self.origin {
            Origin::Path(path, _) => std::fs::File::open(path).map(|f| Box::new(f) as _),
            Origin::Stream(open) => open(),
        };
        opened.map_err(|source| self.read_error(source))
    }

    fn size_hint(&self) -> u64 {
        match &self.origin {
            Origin::Path(_, len) => *len,
            Origin::Stream(_) => 0,
        }
    }

    fn read_error(&self, source: io::Error) -> SealError {
        SealError::Read {
            name: self.name.clone(),
            source,
        }
    }
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One recipient's key, and their member id when the roster knows them.
#[derive(Debug, Clone)]
pub struct Addressee {
    /// Their `age1…` key.
    pub recipient: age::x25519::Recipient,
    /// Their member id, recorded in the signed manifest.
    pub member_id: Option<MemberId>,
}

impl From<age::x25519::Recipient> for Addressee {
    fn from(recipient: age::x25519::Recipient) -> Self {
        Self {
            recipient,
            member_id: None,
        }
    }
}

/// The cluster and roster version a parcel was addressed under, recorded in its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterContext {
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The roster version the recipients were resolved with.
    pub roster_version: u64,
}

/// Who can open the parcel.
#[derive(Debug)]
pub enum Addressees {
    /// These members' keys. The sender is always added.
    Recipients(Vec<Addressee>),
    /// Whoever knows this password (age scrypt); nobody else, not even the sender's key.
    Password(Passphrase),
}

/// What a parcel is for: its kind, and the fields that kind carries in the signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Purpose {
    /// Files from a member (`data`).
    #[default]
    Data,
    /// Files that replace an earlier parcel's: a `data` parcel naming the one it `supersedes`.
    Correction {
        /// The parcel it replaces.
        supersedes: ParcelId,
    },
    /// A signed receipt about another parcel (`receipt`).
    Receipt {
        /// The parcel it is about.
        about: ParcelId,
        /// What happened: a short lowercase word (`delivered`, `opened`, `deleted`).
        event: String,
    },
    /// A request to delete an earlier parcel (`deletion-request`).
    DeletionRequest {
        /// The parcel to delete.
        about: ParcelId,
    },
    /// An IMO's information product (`product`): a report, a map, a dashboard's figures,
    /// naming the parcels it was made from, so that each partner whose data was used gets it.
    Product {
        /// The parcels it was made from.
        sources: Vec<ParcelId>,
    },
    /// A concern reported to the coordinator and the IMOs (`concern`): an incident, a breach,
    /// a worry about how data is handled.
    Concern,
    /// What the coordinator or an IMO did about a concern (`concern-update`), sent back to
    /// the member who reported it.
    ConcernUpdate {
        /// The concern.
        about: ParcelId,
        /// Its status now: a short lowercase word (`acknowledged`, `investigating`, …).
        status: String,
    },
    /// A partner asks the IMOs what they hold of its data (`access-request`), about one
    /// parcel or (without `about`) everything it sent.
    AccessRequest {
        /// The parcel it is about, if one.
        about: Option<ParcelId>,
    },
    /// What an IMO did about a rights request (`request-update`), sent to the requester.
    RequestUpdate {
        /// The request: an `access-request`, a `deletion-request` or a correction parcel.
        about: ParcelId,
        /// Its status now: one of `acknowledged`, `in-progress`, `done`, `declined`.
        status: String,
    },
}

impl Purpose {
    /// The manifest's kind-specific fields for this purpose.
    fn fields(self) -> PurposeFields {
        let mut fields = PurposeFields {
            kind: ParcelKind::Data,
            supersedes: None,
            about: None,
            event: None,
            sources: None,
        };
        match self {
            Purpose::Data => {}
            Purpose::Correction { supersedes } => fields.supersedes = Some(supersedes),
            Purpose::Receipt { about, event } => {
                fields.kind = ParcelKind::Receipt;
                fields.about = Some(about);
                fields.event = Some(event);
            }
            Purpose::DeletionRequest { about } => {
                fields.kind = ParcelKind::DeletionRequest;
                fields.about = Some(about);
            }
            Purpose::Product { sources } => {
                fields.kind = ParcelKind::Product;
                fields.sources = Some(sources);
            }
            Purpose::Concern => fields.kind = ParcelKind::Concern,
            Purpose::ConcernUpdate { about, status } => {
                fields.kind = ParcelKind::ConcernUpdate;
                fields.about = Some(about);
                fields.event = Some(status);
            }
            Purpose::AccessRequest { about } => {
                fields.kind = ParcelKind::AccessRequest;
                fields.about = about;
            }
            Purpose::RequestUpdate { about, status } => {
                fields.kind = ParcelKind::RequestUpdate;
                fields.about = Some(about);
                fields.event = Some(status);
            }
        }
        fields
    }
}

/// The manifest fields a [`Purpose`] sets.
struct PurposeFields {
    kind: ParcelKind,
    supersedes: Option<ParcelId>,
    about: Option<ParcelId>,
    event: Option<String>,
    sources: Option<Vec<ParcelId>>,
}

/// What to seal.
#[derive(Debug)]
pub struct SealRequest {
    /// What the parcel is for (a `data` parcel unless said otherwise).
    pub purpose: Purpose,
    /// The confidentiality label.
    pub label: Label,
    /// When the label is below the sensitivity scan's suggestion: the suggestion and why.
    pub label_override: Option<LabelOverride>,
    /// An optional note to the recipients.
    pub note: Option<String>,
    /// The files, in order.
    pub files: Vec<FileSource>,
    /// Who can open it.
    pub to: Addressees,
    /// Whether to compress with zstd.
    pub compression: Compression,
    /// The roster the recipients were resolved with, if any.
    pub roster: Option<RosterContext>,
}

/// A parcel written to a file.
#[derive(Debug)]
pub struct SealedParcel {
    /// Its manifest.
    pub manifest: Manifest,
    /// Its size on disk, in bytes.
    pub size: u64,
}

/// Seals a `data` parcel from `sender` into `output`; returns its manifest and the output.
/// On error, whatever was written to `output` must be discarded ([`seal_to_file`] does).
pub fn seal<W: Write>(
    sender: &Identity,
    request: SealRequest,
    output: W,
    progress: &dyn Progress,
) -> Result<(Manifest, W), SealError> {
    let SealRequest {
        purpose,
        label,
        label_override,
        note,
        files,
        to,
        compression,
        roster,
    } = request;
    let note = check_note(note)?;
    let PurposeFields {
        kind,
        supersedes,
        about,
        event,
        sources,
    } = purpose.fields();
    for file in &files {
        check_file_name(&file.name).map_err(|reason| SealError::UnsafeFileName {
            name: file.name.clone(),
            reason,
        })?;
    }
    if let Some(name) = find_duplicate(files.iter().map(|f| f.name.as_str())) {
        return Err(SealError::DuplicateFileName { name: name.into() });
    }
    let (encryption, recipients, encryptor) = addressing(sender, to)?;

    let entries = hash_files(&files, progress)?;
    let created_at = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero nanoseconds is valid");
    let manifest = Manifest {
        v: 1,
        parcel_id: ParcelId::random(),
        kind,
        created_at,
        cluster_id: roster.map(|r| r.cluster_id),
        roster_version: roster.map(|r| r.roster_version),
        sender: Sender {
            member_id: sender.member_id(),
            name: sender.name().to_owned(),
            org: sender.org().to_owned(),
            sig_pk: sender.signing_public_key(),
        },
        encryption,
        recipients,
        label,
        note,
        files: entries,
        compression,
        supersedes,
        about,
        event,
        sources,
        label_override,
    };
    manifest
        .check()
        .map_err(|reason| SealError::InvalidPurpose { reason })?;
    let manifest_bytes = manifest.to_bytes();
    if manifest_bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(SealError::ManifestTooLarge {
            size: manifest_bytes.len(),
        });
    }
    let signature = SigningContext::Manifest.sign(sender.signing_key(), &manifest_bytes);

    let write_err = |source| SealError::Write {
        path: "the output".into(),
        source,
    };
    let mtime = u64::try_from(created_at.unix_timestamp()).unwrap_or(0);
    let plaintext = Counting {
        inner: encryptor.wrap_output(output).map_err(write_err)?,
        count: 0,
    };
    let write_tar = |out: &mut dyn Write| {
        write_entries(
            out,
            mtime,
            &manifest,
            &manifest_bytes,
            &signature,
            &files,
            progress,
        )
    };
    let mut plaintext = match compression {
        Compression::Zstd => {
            let mut zstd = zstd::Encoder::new(plaintext, ZSTD_LEVEL).map_err(write_err)?;
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
            if workers > 1 {
                zstd.multithread(workers as u32).map_err(write_err)?;
            }
            write_tar(&mut zstd)?;
            let mut plaintext = zstd.finish().map_err(write_err)?;
            let len = plaintext.count;
            write_skippable_padding(&mut plaintext, len).map_err(write_err)?;
            plaintext
        }
        Compression::None => {
            let mut plaintext = plaintext;
            write_tar(&mut plaintext)?;
            let len = plaintext.count;
            write_zero_padding(&mut plaintext, len).map_err(write_err)?;
            plaintext
        }
    };
    plaintext.flush().map_err(write_err)?;
    let output = plaintext.inner.finish().map_err(write_err)?;
    Ok((manifest, output))
}

/// Seals into a new file at `path`, atomically: the file appears complete or not at all.
pub fn seal_to_file(
    sender: &Identity,
    request: SealRequest,
    path: &Path,
    progress: &dyn Progress,
) -> Result<SealedParcel, SealError> {
    let shown = path.display().to_string();
    let write_err = |source| SealError::Write {
        path: shown.clone(),
        source,
    };
    // Checked first so the user does not wait for the files to be hashed to learn it.
    if path.symlink_metadata().is_ok() {
        return Err(SealError::OutputExists { path: shown });
    }
    let mut out = AtomicFile::create(path).map_err(write_err)?;
    let buffered = BufWriter::with_capacity(COPY_BUFFER, out.file());
    let (manifest, buffered) = seal(sender, request, buffered, progress).map_err(|e| match e {
        SealError::Write { source, .. } => write_err(source),
        other => other,
    })?;
    buffered
        .into_inner()
        .map_err(|e| write_err(e.into_error()))?;
    let size = out.file().metadata().map_err(write_err)?.len();
    out.commit(false).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => SealError::OutputExists {
            path: shown.clone(),
        },
        _ => write_err(e),
    })?;
    Ok(SealedParcel { manifest, size })
}

fn check_note(note: Option<String>) -> Result<Option<String>, SealError> {
    let Some(note) = note else { return Ok(None) };
    let invalid = |reason: &str| SealError::InvalidNote {
        reason: reason.into(),
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(&format!(
            "is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid("contains control characters"));
    }
    Ok((!note.trim().is_empty()).then_some(note))
}

/// The manifest's encryption and recipients, and the age encryptor for them.
fn addressing(
    sender: &Identity,
    to: Addressees,
) -> Result<(Encryption, Vec<Recipient>, age::Encryptor), SealError> {
    match to {
        Addressees::Password(password) => {
            Ok((Encryption::Scrypt, Vec::new(), password.encryptor()))
        }
        Addressees::Recipients(list) => {
            if list.is_empty() {
                return Err(SealError::NoRecipients);
            }
            // Keyed by the recipient text: sorted, without repeats, and the sender's entry
            // keeps its member id even when the sender also listed their own key.
            let own = sender.age_recipient();
            let mut keys: BTreeMap<String, (age::x25519::Recipient, Option<MemberId>)> =
                BTreeMap::new();
            for Addressee {
                recipient,
                member_id,
            } in list
            {
                let entry = keys
                    .entry(recipient.to_string())
                    .or_insert((recipient, None));
                entry.1 = entry.1.or(member_id);
            }
            keys.insert(own.to_string(), (own, Some(sender.member_id())));
            let encryptor = age::Encryptor::with_recipients(
                keys.values().map(|(r, _)| r as &dyn age::Recipient),
            )
            .map_err(|e| SealError::Encrypt(e.to_string()))?;
            let recipients = keys
                .into_iter()
                .map(|(age_recipient, (_, member_id))| Recipient {
                    age_recipient,
                    member_id,
                })
                .collect();
            Ok((Encryption::X25519, recipients, encryptor))
        }
    }
}

/// First pass: each file's size and SHA-256, for the manifest.
fn hash_files(files: &[FileSource], progress: &dyn Progress) -> Result<Vec<FileEntry>, SealError> {
    progress.start(
        Phase::Hashing,
        files.iter().map(FileSource::size_hint).sum(),
    );
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut entries = Vec::with_capacity(files.len());
    for file in files {
        let mut source = file.open()?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(file.read_error(e)),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
            progress.advance(n as u64);
        }
        entries.push(FileEntry {
            name: file.name.clone(),
            size,
            sha256: Sha256Digest(hasher.finalize().into()),
            media_type: mime_guess::from_path(&file.name)
                .first_or_octet_stream()
                .essence_str()
                .to_owned(),
        });
    }
    progress.finish();
    Ok(entries)
}

/// Second pass: the tar stream into `out`: the manifest, its signature, then every file,
/// checked against the manifest, then the end marker.
fn write_entries(
    out: &mut dyn Write,
    mtime: u64,
    manifest: &Manifest,
    manifest_bytes: &[u8],
    signature: &[u8],
    files: &[FileSource],
    progress: &dyn Progress,
) -> Result<(), SealError> {
    let mut tar = TarWriter::new(out, mtime);
    let write_err = |source| SealError::Write {
        path: "the output".into(),
        source,
    };
    tar.append_bytes(MANIFEST_ENTRY, manifest_bytes)
        .and_then(|()| tar.append_bytes(SIGNATURE_ENTRY, signature))
        .map_err(write_err)?;
    progress.start(Phase::Sealing, manifest.total_size());
    let mut buf = vec![0u8; COPY_BUFFER];
    for (file, entry) in iter::zip(files, &manifest.files) {
        tar.begin_entry(&format!("{FILES_PREFIX}{}", entry.name), entry.size)
            .map_err(write_err)?;
        let mut reader = HashingReader::spawn(file.open()?);
        let mut left = entry.size;
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            // The helper thread reports read errors from `finish`; here they look like EOF.
            let n = reader
                .read(&mut buf[..want])
                .map_err(|e| file.read_error(e))?;
            if n == 0 {
                break;
            }
            tar.data().write_all(&buf[..n]).map_err(write_err)?;
            left -= n as u64;
            progress.advance(n as u64);
        }
        let tally = reader.finish().map_err(|e| file.read_error(e))?;
        if left != 0 || tally.size != entry.size || tally.sha256 != entry.sha256 {
            return Err(SealError::FileChanged {
                name: entry.name.clone(),
            });
        }
        tar.end_entry(entry.size).map_err(write_err)?;
    }
    progress.finish();
    tar.finish().map_err(write_err)?;
    Ok(())
}

/// Counts the plaintext bytes written into age, to size the padding.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
