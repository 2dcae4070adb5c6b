//! The data directory ([`Home`]) and where a member's secret keys live.
//!
//! `HOME/profile.json` holds the public half of the identity and says where the secret half
//! is: in the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager) or in
//! `HOME/identity.age`, the identity document encrypted with a passphrase (age scrypt). Commands
//! that only need public facts (`whoami`) read the profile and never touch a secret.
//!
//! Writes are ordered so that a crash never loses the identity: the secret is stored first,
//! then the profile that points at it is replaced atomically, and only then is an older secret
//! removed.

use std::io::{Read, Write};
use std::iter;
use std::path::{Path, PathBuf};

use sealpost_format::{MemberId, SigningPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::fsutil::{create_private_dir, write_atomically};
use crate::identity::{Identity, IdentityError, MemberCard};
use crate::passphrase::Passphrase;

const PROFILE_FILE: &str = "profile.json";
const IDENTITY_FILE: &str = "identity.age";
const KEYRING_SERVICE: &str = "sealpost";
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// An identity document is a few hundred bytes; refuse to load anything absurdly larger.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Why a keystore operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// No data directory was given and the system has no per-user one.
    #[error(
        "this system has no per-user data directory; set SEALPOST_HOME to a folder for \
         Sealpost's data (the CLI also takes --home DIR)"
    )]
    NoDataDirectory,
    /// The data directory holds no identity yet.
    #[error(
        "no Sealpost identity in {dir}: run `sealpost init --name NAME --org ORG` first, \
         or point --home / SEALPOST_HOME at your data directory"
    )]
    NotInitialised {
        /// The data directory.
        dir: String,
    },
    /// The data directory already holds an identity.
    #[error(
        "{dir} already holds the identity of {name} ({member_id}); for a second identity use \
         another --home; to replace this one, back it up first, then use \
         `sealpost identity import --force BACKUP`"
    )]
    AlreadyInitialised {
        /// The data directory.
        dir: String,
        /// Who is there.
        name: String,
        /// Their member id.
        member_id: MemberId,
    },
    /// No usable OS keyring on this machine or in this session.
    #[error("no OS keyring is available here ({reason})")]
    KeyringUnavailable {
        /// What the keyring layer said.
        reason: String,
    },
    /// The keyring answered, but the identity's entry could not be read.
    #[error(
        "cannot read your identity from the OS keyring ({reason}); unlock the keyring (log in \
         to your desktop session) and retry, or restore your backup with \
         `sealpost identity import --force BACKUP`"
    )]
    KeyringRead {
        /// What the keyring layer said.
        reason: String,
    },
    /// The identity is protected by a passphrase and none was given.
    #[error(
        "your identity is protected by a passphrase: give --passphrase-file FILE or set \
         SEALPOST_PASSPHRASE_FILE (or run in a terminal to be asked)"
    )]
    PassphraseRequired,
    /// The passphrase does not decrypt the identity file or backup.
    #[error("wrong passphrase for {file}")]
    WrongPassphrase {
        /// The file it was tried on.
        file: String,
    },
    /// The stored secret keys are not the keys the profile names.
    #[error(
        "the secret keys stored for this identity do not match {dir}/profile.json; restore \
         your backup with `sealpost identity import --force FILE`"
    )]
    KeysDoNotMatchProfile {
        /// The data directory.
        dir: String,
    },
    /// A backup would overwrite an existing file.
    #[error("{path} already exists; choose another name or remove it first")]
    OutputExists {
        /// The file that exists.
        path: String,
    },
    /// A file in the data directory cannot be understood.
    #[error("{file} is damaged: {reason}")]
    Damaged {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The identity document inside is invalid.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl KeystoreError {
    /// A stable machine-readable code for this error (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            KeystoreError::NoDataDirectory => "no-data-directory",
            KeystoreError::NotInitialised { .. } => "not-initialised",
            KeystoreError::AlreadyInitialised { .. } => "already-initialised",
            KeystoreError::KeyringUnavailable { .. } => "keyring-unavailable",
            KeystoreError::KeyringRead { .. } => "keyring-read-failed",
            KeystoreError::PassphraseRequired => "passphrase-required",
            KeystoreError::WrongPassphrase { .. } => "wrong-passphrase",
            KeystoreError::KeysDoNotMatchProfile { .. } => "keys-do-not-match-profile",
            KeystoreError::OutputExists { .. } => "output-exists",
            KeystoreError::Damaged { .. } => "damaged-file",
            KeystoreError::Identity(_) => "invalid-identity",
            KeystoreError::Io { .. } => "io",
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> KeystoreError {
    let context = context.into();
    move |source| KeystoreError::Io { context, source }
}

/// Where an identity's secret keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeystoreKind {
    /// The operating system's keyring.
    OsKeyring,
    /// `identity.age` in the data directory, encrypted with a passphrase.
    PassphraseFile,
}

/// Where the secret is, as recorded in `profile.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum SecretLocation {
    OsKeyring { service: String, account: String },
    PassphraseFile { file: String },
}

/// The public half of the identity in a data directory, and where its secret half is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    v: u32,
    member_id: MemberId,
    name: String,
    org: String,
    age_recipient: String,
    signing_key: SigningPublicKey,
    secret: SecretLocation,
}

impl Profile {
    /// The member's public card.
    pub fn card(&self) -> MemberCard {
        MemberCard::new(
            self.member_id,
            self.name.clone(),
            self.org.clone(),
            self.age_recipient.clone(),
            self.signing_key,
        )
    }

    /// Where the secret keys are kept.
    pub fn keystore(&self) -> KeystoreKind {
        match self.secret {
            SecretLocation::OsKeyring { .. } => KeystoreKind::OsKeyring,
            SecretLocation::PassphraseFile { .. } => KeystoreKind::PassphraseFile,
        }
    }
}

/// How to protect a newly stored identity.
#[derive(Debug, Clone, Copy)]
pub enum Protection<'a> {
    /// In the OS keyring; fails with [`KeystoreError::KeyringUnavailable`] where there is none.
    OsKeyring,
    /// In `identity.age`, encrypted with this passphrase.
    Passphrase(&'a Passphrase),
}

/// A Sealpost data directory.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// The data directory at `dir` (which need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The platform's per-user data directory, e.g. `~/.local/share/sealpost` on Linux.
    pub fn platform_default() -> Option<Self> {
        dirs::data_dir().map(|dir| Self::new(dir.join("sealpost")))
    }

    /// The data directory the user chose (`--home`, `SEALPOST_HOME`), else the platform's.
    /// An empty choice counts as none.
    pub fn chosen(dir: Option<PathBuf>) -> Result<Self, KeystoreError> {
        match dir.filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => Ok(Self::new(dir)),
            None => Self::platform_default().ok_or(KeystoreError::NoDataDirectory),
        }
    }

    /// The data directory `SEALPOST_HOME` names, else the platform's (what the desktop app
    /// uses; the CLI reads the same variable through its `--home` option).
    pub fn from_environment() -> Result<Self, KeystoreError> {
        Self::chosen(std::env::var_os("SEALPOST_HOME").map(PathBuf::from))
    }

    /// The directory's path.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn display(&self) -> String {
        self.dir.display().to_string()
    }

    /// The profile, or [`KeystoreError::NotInitialised`].
    pub fn profile(&self) -> Result<Profile, KeystoreError> {
        let path = self.file(PROFILE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::NotInitialised {
                    dir: self.display(),
                });
            }
            Err(e) => return Err(io_err(format!("cannot read {}", path.display()))(e)),
        };
        let profile: Profile =
            serde_json::from_slice(&bytes).map_err(|e| KeystoreError::Damaged {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
        if profile.v != 1 {
            return Err(KeystoreError::Damaged {
                file: path.display().to_string(),
                reason: format!("profile version {} is not supported", profile.v),
            });
        }
        Ok(profile)
    }

    /// Fails with [`KeystoreError::AlreadyInitialised`] when an identity is already here.
    pub fn ensure_empty(&self) -> Result<(), KeystoreError> {
        match self.profile() {
            Err(KeystoreError::NotInitialised { .. }) => Ok(()),
            Ok(profile) => Err(KeystoreError::AlreadyInitialised {
                dir: self.display(),
                name: profile.name,
                member_id: profile.member_id,
            }),
            Err(other) => Err(other),
        }
    }

    /// Stores `identity` here, protected as asked. With `replace`, an identity already here is
    /// replaced (its old secret is deleted only once the new one is in place); without, an
    /// existing identity is an error.
    pub fn store_identity(
        &self,
        identity: &Identity,
        protection: Protection<'_>,
        replace: bool,
    ) -> Result<Profile, KeystoreError> {
        let old = match self.profile() {
            Ok(old) if !replace => {
                return Err(KeystoreError::AlreadyInitialised {
                    dir: self.display(),
                    name: old.name,
                    member_id: old.member_id,
                });
            }
            Ok(old) => Some(old),
            Err(KeystoreError::NotInitialised { .. }) => None,
            // A damaged profile may be replaced, but never silently ignored otherwise.
            Err(e) if !replace => return Err(e),
            Err(_) => None,
        };
        create_private_dir(&self.dir).map_err(io_err(format!(
            "cannot create the data directory {}",
            self.display()
        )))?;

        let document = identity.to_document();
        let secret = match protection {
            Protection::OsKeyring => {
                // A fresh account name per store, so a replaced identity's entry is only
                // deleted after the new one is safely written.
                let mut suffix = [0u8; 4];
                getrandom::getrandom(&mut suffix).expect("the OS random number generator failed");
                let account = format!(
                    "{}.{}",
                    identity.member_id(),
                    data_encoding::HEXLOWER.encode(&suffix)
                );
                keyring_store(&account, &document)?;
                SecretLocation::OsKeyring {
                    service: KEYRING_SERVICE.into(),
                    account,
                }
            }
            Protection::Passphrase(passphrase) => {
                let sealed = encrypt_with_passphrase(document.as_bytes(), passphrase);
                let path = self.file(IDENTITY_FILE);
                write_atomically(&path, &sealed, true)
                    .map_err(io_err(format!("cannot write {}", path.display())))?;
                SecretLocation::PassphraseFile {
                    file: IDENTITY_FILE.into(),
                }
            }
        };
        let card = identity.card();
        let profile = Profile {
            v: 1,
            member_id: card.member_id,
            name: card.name,
            org: card.org,
            age_recipient: card.age_recipient,
            signing_key: card.signing_key,
            secret,
        };
        let json = serde_json::to_vec_pretty(&profile).expect("plain JSON");
        let path = self.file(PROFILE_FILE);
        if let Err(e) = write_atomically(&path, &json, true) {
            // Do not leave an orphaned keyring entry behind a profile that was never written.
            if let SecretLocation::OsKeyring { account, .. } = &profile.secret {
                let _ = keyring_delete(account);
            }
            return Err(io_err(format!("cannot write {}", path.display()))(e));
        }
        if let Some(SecretLocation::OsKeyring { account, .. }) = old.map(|o| o.secret) {
            // Best effort: the new identity is in place; a stale entry only wastes space.
            let _ = keyring_delete(&account);
        }
        if matches!(profile.secret, SecretLocation::OsKeyring { .. }) {
            // An identity moved from a passphrase file into the keyring leaves no file behind.
            let _ = std::fs::remove_file(self.file(IDENTITY_FILE));
        }
        Ok(profile)
    }

    /// Loads the identity with its secret keys. `passphrase` is needed only when the profile
    /// says the keys are in a passphrase-protected file.
    pub fn unlock(&self, passphrase: Option<&Passphrase>) -> Result<Identity, KeystoreError> {
        let profile = self.profile()?;
        let identity = match &profile.secret {
            SecretLocation::OsKeyring { service, account } => {
                let document = keyring_load(service, account)?;
                Identity::from_document(&document)?
            }
            SecretLocation::PassphraseFile { file } => {
                let passphrase = passphrase.ok_or(KeystoreError::PassphraseRequired)?;
                let path = self.file(file);
                let sealed = read_bounded(&path)?;
                let document = decrypt_with_passphrase(&sealed, passphrase, &path)?;
                let text = std::str::from_utf8(&document).map_err(|_| KeystoreError::Damaged {
                    file: path.display().to_string(),
                    reason: "not UTF-8 text".into(),
                })?;
                Identity::from_document(text)?
            }
        };
        if identity.card() != profile.card() {
            return Err(KeystoreError::KeysDoNotMatchProfile {
                dir: self.display(),
            });
        }
        Ok(identity)
    }
}

const PENDING_KEY_FILE: &str = "keys/pending.age";
const RETIRED_PREFIX: &str = "retired-";

/// Key changes. The new keys wait in `keys/pending.age`, sealed to the current key, until the
/// coordinator's roster lists them; then they become the current identity and the old ones are
/// kept in `keys/retired-NNNN.age`, sealed to the keys that replaced them, so parcels sealed to
/// an old key still open.
impl Home {
    fn keys_dir(&self) -> PathBuf {
        self.file("keys")
    }

    /// The keys of a key change in progress, if any.
    pub fn pending_key(&self, current: &Identity) -> Result<Option<Identity>, KeystoreError> {
        let path = self.file(PENDING_KEY_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let sealed = read_bounded(&path)?;
        open_sealed_document(&sealed, std::slice::from_ref(current), &path).map(Some)
    }

    /// Starts a key change: fresh keys for the same member, kept until the roster confirms
    /// them. Starting again while one is pending returns the same pending keys.
    pub fn begin_key_change(&self, current: &Identity) -> Result<Identity, KeystoreError> {
        if let Some(pending) = self.pending_key(current)? {
            return Ok(pending);
        }
        let next = current.successor();
        create_private_dir(&self.keys_dir()).map_err(io_err("cannot create the keys folder"))?;
        let path = self.file(PENDING_KEY_FILE);
        let sealed = seal_document(&next, &current.age_recipient());
        write_atomically(&path, &sealed, false)
            .map_err(io_err(format!("cannot write {}", path.display())))?;
        Ok(next)
    }

    /// Makes the pending keys current (once the roster lists them). The old keys are kept,
    /// sealed to the new ones. `passphrase` is needed when the identity lives in a
    /// passphrase-protected file; the new keys are protected the same way.
    pub fn finish_key_change(
        &self,
        current: &Identity,
        passphrase: Option<&Passphrase>,
    ) -> Result<Identity, KeystoreError> {
        let next = self
            .pending_key(current)?
            .ok_or_else(|| KeystoreError::Damaged {
                file: self.file(PENDING_KEY_FILE).display().to_string(),
                reason: "no key change is pending".into(),
            })?;
        let protection = match self.profile()?.keystore() {
            KeystoreKind::OsKeyring => Protection::OsKeyring,
            KeystoreKind::PassphraseFile => {
                let passphrase = passphrase.ok_or(KeystoreError::PassphraseRequired)?;
                // The new keys are stored under this passphrase: a mistyped one would lock the
                // member out, so it must be the one that protects the current keys.
                self.unlock(Some(passphrase))?;
                Protection::Passphrase(passphrase)
            }
        };
        // Order matters for a crash at any point: the old keys are saved (sealed to the new
        // ones) before the new ones replace them, and the pending file goes last.
        let retired = self.retired_files()?;
        let path = self
            .keys_dir()
            .join(format!("{RETIRED_PREFIX}{:04}.age", retired.len() + 1));
        write_atomically(&path, &seal_document(current, &next.age_recipient()), false)
            .map_err(io_err(format!("cannot write {}", path.display())))?;
        self.store_identity(&next, protection, true)?;
        let pending = self.file(PENDING_KEY_FILE);
        std::fs::remove_file(&pending)
            .map_err(io_err(format!("cannot remove {}", pending.display())))?;
        Ok(next)
    }

    /// Every identity this member has held: the current one first, then pending keys, then
    /// retired ones, newest first. Opening tries them all.
    pub fn all_identities(&self, current: Identity) -> Result<Vec<Identity>, KeystoreError> {
        let mut all = Vec::new();
        let pending = self.pending_key(&current)?;
        all.push(current);
        all.extend(pending);
        for path in self.retired_files()?.into_iter().rev() {
            let sealed = read_bounded(&path)?;
            let old = open_sealed_document(&sealed, &all, &path)?;
            all.push(old);
        }
        Ok(all)
    }

    fn retired_files(&self) -> Result<Vec<PathBuf>, KeystoreError> {
        let dir = self.keys_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(format!("cannot read {}", dir.display()))(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(format!("cannot read {}", dir.display())))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(RETIRED_PREFIX) && name.ends_with(".age") {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }
}

/// An identity document sealed to one age recipient.
fn seal_document(identity: &Identity, to: &age::x25519::Recipient) -> Vec<u8> {
    seal_secret(identity.to_document().as_bytes(), to)
}

/// Encrypts a small secret to one X25519 recipient (an age file).
pub(crate) fn seal_secret(secret: &[u8], to: &age::x25519::Recipient) -> Vec<u8> {
    let encryptor = age::Encryptor::with_recipients(iter::once(to as &dyn age::Recipient))
        .expect("one recipient");
    let mut out = Vec::with_capacity(secret.len() + 256);
    let mut writer = encryptor.wrap_output(&mut out).expect("writing to memory");
    writer.write_all(secret).expect("writing to memory");
    writer.finish().expect("writing to memory");
    out
}

/// Decrypts a secret sealed by [`seal_secret`] with any of `keys`; the error says why not.
pub(crate) fn open_secret(sealed: &[u8], keys: &[Identity]) -> Result<Zeroizing<Vec<u8>>, String> {
    let decryptor = age::Decryptor::new(sealed).map_err(|e| e.to_string())?;
    let mut reader = decryptor
        .decrypt(keys.iter().map(|k| k.age_identity() as &dyn age::Identity))
        .map_err(|e| format!("none of your keys opens it ({e})"))?;
    let mut secret = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut secret).map_err(|e| e.to_string())?;
    Ok(secret)
}

fn open_sealed_document(
    sealed: &[u8],
    keys: &[Identity],
    path: &Path,
) -> Result<Identity, KeystoreError> {
    let damaged = |reason: String| KeystoreError::Damaged {
        file: path.display().to_string(),
        reason,
    };
    let document = open_secret(sealed, keys).map_err(damaged)?;
    let text = std::str::from_utf8(&document).map_err(|_| damaged("not UTF-8 text".into()))?;
    Ok(Identity::from_document(text)?)
}

/// Writes an identity backup: passphrase-protected when a passphrase is given, else the plain
/// identity document (a standard age identity file). Never overwrites an existing file.
pub fn write_backup(
    identity: &Identity,
    path: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<(), KeystoreError> {
    let document = identity.to_document();
    let bytes = match passphrase {
        Some(passphrase) => encrypt_with_passphrase(document.as_bytes(), passphrase),
        None => document.as_bytes().to_vec(),
    };
    let bytes = Zeroizing::new(bytes);
    write_atomically(path, &bytes, false).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeystoreError::OutputExists {
            path: path.display().to_string(),
        },
        _ => io_err(format!("cannot write {}", path.display()))(e),
    })
}

/// A backup file read into memory, not yet decrypted.
#[derive(Debug)]
pub struct Backup {
    path: PathBuf,
    bytes: Zeroizing<Vec<u8>>,
}

impl Backup {
    /// Reads a backup file (plain or passphrase-protected).
    pub fn read(path: &Path) -> Result<Self, KeystoreError> {
        Ok(Self {
            path: path.to_owned(),
            bytes: Zeroizing::new(read_bounded(path)?),
        })
    }

    /// Whether a passphrase is needed to read it.
    pub fn is_protected(&self) -> bool {
        self.bytes.starts_with(AGE_MAGIC)
    }

    /// The identity in the backup.
    pub fn identity(&self, passphrase: Option<&Passphrase>) -> Result<Identity, KeystoreError> {
        let document = if self.is_protected() {
            let passphrase = passphrase.ok_or(KeystoreError::PassphraseRequired)?;
            decrypt_with_passphrase(&self.bytes, passphrase, &self.path)?
        } else {
            self.bytes.clone()
        };
        let text = std::str::from_utf8(&document).map_err(|_| IdentityError::NotAnIdentity)?;
        Ok(Identity::from_document(text)?)
    }
}

pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, KeystoreError> {
    let file =
        std::fs::File::open(path).map_err(io_err(format!("cannot open {}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(format!("cannot read {}", path.display())))?;
    if bytes.len() as u64 > MAX_SECRET_FILE {
        return Err(KeystoreError::Damaged {
            file: path.display().to_string(),
            reason: "far too large to be an identity file".into(),
        });
    }
    Ok(bytes)
}

pub(crate) fn encrypt_with_passphrase(plaintext: &[u8], passphrase: &Passphrase) -> Vec<u8> {
    let encryptor = passphrase.encryptor();
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let mut writer = encryptor.wrap_output(&mut out).expect("writing to memory");
    writer.write_all(plaintext).expect("writing to memory");
    writer.finish().expect("writing to memory");
    out
}

pub(crate) fn decrypt_with_passphrase(
    sealed: &[u8],
    passphrase: &Passphrase,
    path: &Path,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let damaged = |reason: String| KeystoreError::Damaged {
        file: path.display().to_string(),
        reason,
    };
    let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| damaged(e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(damaged("it is not protected by a passphrase".into()));
    }
    let identity = passphrase.identity();
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                KeystoreError::WrongPassphrase {
                    file: path.display().to_string(),
                }
            }
            other => damaged(other.to_string()),
        })?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|e| damaged(e.to_string()))?;
    Ok(plaintext)
}

fn keyring_entry(service: &str, account: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(service, account).map_err(|e| match e {
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(status) => status.to_string(),
            Ok(()) => e.to_string(),
        },
        other => other.to_string(),
    })
}

/// Stores the document and reads it back: a keyring that accepts a write but cannot return it
/// (locked, or a stub service) must not become the only copy of someone's keys.
fn keyring_store(account: &str, document: &str) -> Result<(), KeystoreError> {
    let unavailable = |reason: String| KeystoreError::KeyringUnavailable { reason };
    let entry = keyring_entry(KEYRING_SERVICE, account).map_err(unavailable)?;
    entry
        .set_password(document)
        .map_err(|e| unavailable(e.to_string()))?;
    let back = entry
        .get_password()
        .map(Zeroizing::new)
        .map_err(|e| unavailable(format!("stored, but could not read back: {e}")));
    match back {
        Ok(back) if back.as_str() == document => Ok(()),
        Ok(_) => {
            let _ = entry.delete_credential();
            Err(unavailable("the keyring returned different bytes".into()))
        }
        Err(e) => {
            let _ = entry.delete_credential();
            Err(e)
        }
    }
}

fn keyring_load(service: &str, account: &str) -> Result<Zeroizing<String>, KeystoreError> {
    let read_err = |reason: String| KeystoreError::KeyringRead { reason };
    let entry = keyring_entry(service, account).map_err(read_err)?;
    entry
        .get_password()
        .map(Zeroizing::new)
        .map_err(|e| match e {
            keyring::Error::NoEntry => {
                read_err("the keyring has no entry for this identity".into())
            }
            other => read_err(other.to_string()),
        })
}

fn keyring_delete(account: &str) -> Result<(), String> {
    keyring_entry(KEYRING_SERVICE, account)?
        .delete_credential()
        .map_err(|e| e.to_string())
}
