//! Shared helpers for sealpost-core's integration tests: identities, generated data, plaintext
//! access with a member's key, checks that a refused open left nothing behind, and [`Craft`], a
//! hostile parcel builder.
//!
//! [`Craft`] is a second, independent implementation of parcel format v1, written from
//! DESIGN.md with the `tar`, `zstd`, `age`, `ed25519-dalek` and `sha2` crates and none of
//! sealpost-core's sealing code. Its defaults build a valid parcel; every part (manifest bytes,
//! signature, tar entries and their headers, compression, padding, encryption) can then be bent
//! to build the parcels a hostile or broken sender could send.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::iter;
use std::path::Path;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use ed25519_dalek::{Signer, SigningKey};
use sealpost_core::Identity;
use sealpost_core::format::SigningPublicKey;
use sealpost_core::parcel::{Destination, Key, OpenError, OpenOptions, open};
use sealpost_core::progress::Silent;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;

/// The signing context of a manifest signature, spelled out here rather than taken from
/// sealpost-format, so that a change to it breaks these tests.
pub const MANIFEST_CONTEXT: &[u8] = b"sealpost/v1/manifest\n";
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
pub const SKIPPABLE_MAGIC: [u8; 4] = [0x50, 0x2A, 0x4D, 0x18];
/// An age payload chunk on the wire: 64 KiB of plaintext and a 16-byte Poly1305 tag.
pub const AGE_CHUNK: usize = 64 * 1024 + 16;
const AGE_NONCE_LEN: usize = 16;

/// A fresh member identity.
pub fn identity(name: &str) -> Identity {
    Identity::generate(name, "Test NGO").expect("a valid test name")
}

/// A temporary folder under the build's `target/tmp`: tests touch nothing outside the project.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sealpost-test-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("target/tmp is writable")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// The Padmé size for `len` bytes (Nikitin et al., PETS 2019): only the top
/// ⌊log₂ ⌊log₂ len⌋⌋ + 1 bits may be non-zero.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let exponent = 63 - u64::from(len.leading_zeros());
    let kept_bits = 64 - u64::from(exponent.leading_zeros());
    let mask = (1u64 << (exponent - kept_bits)) - 1;
    (len + mask) & !mask
}

/// A member's age X25519 key, read from their exported identity document (which is a standard
/// age identity file): sealpost keeps the key object itself private.
pub fn age_key_of(identity: &Identity) -> age::x25519::Identity {
    let document = identity.to_document();
    let line = document
        .lines()
        .find(|line| line.starts_with("AGE-SECRET-KEY-1"))
        .expect("an identity document holds an age secret key");
    line.parse().expect("a valid age secret key")
}

/// The whole plaintext of an age file, decrypted with plain `age`.
pub fn decrypt(parcel: &[u8], key: &dyn age::Identity) -> Vec<u8> {
    let decryptor = age::Decryptor::new(parcel).expect("an age header");
    let mut reader = decryptor
        .decrypt(iter::once(key))
        .expect("sealed to this key");
    let mut plaintext = Vec::new();
    reader
        .read_to_end(&mut plaintext)
        .expect("authentic payload");
    plaintext
}

/// Where the age payload starts: after the header's MAC line and the 16-byte stream nonce.
pub fn age_payload_start(parcel: &[u8]) -> usize {
    let mac_line = parcel
        .windows(4)
        .position(|w| w == b"\n---")
        .expect("an age header ends with a MAC line")
        + 1;
    let line_end = mac_line
        + parcel[mac_line..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("the MAC line ends");
    line_end + 1 + AGE_NONCE_LEN
}

/// `len` pseudo-random bytes (xorshift64*): incompressible, but made 8 bytes at a time, so
/// meant for a few MiB at most in an unoptimised test build.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Pseudo-random bytes at memcpy speed, for streams far too large to make byte by byte in an
/// unoptimised test build: one pseudo-random 1 MiB block, repeated, with the block's index
/// written into its first 8 bytes so that no two blocks are equal. (zstd still finds the
/// repeats within its window: use [`random_bytes`] where data must not compress.)
#[derive(Debug, Clone)]
pub struct GeneratedStream {
    block: Vec<u8>,
    index: u64,
    pos: usize,
    remaining: u64,
}

const GENERATED_BLOCK: usize = 1024 * 1024;

pub fn generated_stream(seed: u64, len: u64) -> GeneratedStream {
    let mut block = random_bytes(seed, GENERATED_BLOCK);
    block[..8].copy_from_slice(&0u64.to_le_bytes());
    GeneratedStream {
        block,
        index: 0,
        pos: 0,
        remaining: len,
    }
}

/// `len` generated bytes in memory.
pub fn generated_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    generated_stream(seed, len as u64)
        .read_to_end(&mut bytes)
        .expect("memory");
    bytes
}

impl Read for GeneratedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.pos == GENERATED_BLOCK {
            self.index += 1;
            self.block[..8].copy_from_slice(&self.index.to_le_bytes());
            self.pos = 0;
        }
        let n = buf
            .len()
            .min(GENERATED_BLOCK - self.pos)
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Counts the bytes read through it.
#[derive(Debug)]
pub struct CountingReader<R> {
    pub inner: R,
    pub consumed: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

/// Every entry (recursively) of a folder, sorted: what a refused open must leave unchanged.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        found.push(entry.strip_prefix(dir).unwrap().display().to_string());
    }
    found.sort();
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// Opens a parcel that must be refused, three ways: into a folder that does not exist yet
/// (two levels deep, so folders created on the way count too), into an existing empty folder,
/// and verify-only. All three must fail with the same error, and no folder may gain anything.
pub fn open_must_fail(parcel: &[u8], key: Key<'_>, options: &OpenOptions) -> OpenError {
    let scratch = temp_dir();
    let absent_parent = scratch.path().join("new");
    let absent = absent_parent.join("inbox");
    let existing = scratch.path().join("existing");
    std::fs::create_dir(&existing).unwrap();

    let attempt = |destination| {
        open(parcel, key, options, destination, &Silent).expect_err("the parcel must be refused")
    };
    let into_absent = attempt(Destination::Directory(&absent));
    assert!(
        !absent_parent.exists(),
        "{into_absent}: a refused open left {} behind: {:?}",
        absent_parent.display(),
        listing(scratch.path())
    );
    let into_existing = attempt(Destination::Directory(&existing));
    assert_eq!(
        listing(&existing),
        Vec::<String>::new(),
        "{into_existing}: a refused open left files behind"
    );
    let verify_only = attempt(Destination::VerifyOnly);
    for other in [&into_existing, &verify_only] {
        assert_eq!(other.code(), into_absent.code(), "{other} vs {into_absent}");
    }
    into_absent
}

/// A sender for crafted parcels. Sealpost keeps an identity's signing key private, so the keys
/// are read back from the identity's exported document, a documented format.
pub struct CraftSender {
    pub signing: SigningKey,
    pub member_id: String,
    pub name: String,
    pub org: String,
    pub age: age::x25519::Identity,
}

impl CraftSender {
    pub fn from_identity(identity: &Identity) -> Self {
        let document = identity.to_document();
        let meta: Value = document
            .lines()
            .find_map(|line| line.strip_prefix("# sealpost-identity: "))
            .map(|json| serde_json::from_str(json).expect("the identity line is JSON"))
            .expect("an identity document has a sealpost-identity line");
        let text = |field: &str| meta[field].as_str().expect("a text field").to_owned();
        let seed: [u8; 32] = BASE64URL_NOPAD
            .decode(text("signing_secret").as_bytes())
            .expect("base64url")
            .try_into()
            .expect("a 32-byte seed");
        Self {
            signing: SigningKey::from_bytes(&seed),
            member_id: text("member_id"),
            name: text("name"),
            org: text("org"),
            age: age_key_of(identity),
        }
    }

    /// The `ed25519:<base64url>` text that manifests carry.
    pub fn sig_pk(&self) -> String {
        format!(
            "ed25519:{}",
            BASE64URL_NOPAD.encode(self.signing.verifying_key().as_bytes())
        )
    }

    /// The same key as sealpost's type, for [`OpenOptions::expected_sender`].
    pub fn signing_public_key(&self) -> SigningPublicKey {
        self.sig_pk().parse().expect("a valid key")
    }

    pub fn recipient(&self) -> age::x25519::Recipient {
        self.age.to_public()
    }
}

/// The Ed25519 signature sealpost expects over `manifest`.
pub fn sign_manifest(key: &SigningKey, manifest: &[u8]) -> Vec<u8> {
    key.sign(&[MANIFEST_CONTEXT, manifest].concat())
        .to_bytes()
        .to_vec()
}

/// What a tar entry holds.
#[derive(Debug, Clone)]
pub enum Body {
    /// The manifest bytes the parcel is built with.
    Manifest,
    /// The signature the parcel is built with.
    Signature,
    Bytes(Vec<u8>),
}

/// One tar entry, header fields free to disagree with its content.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub body: Body,
    /// The size written into the header; the body's length when `None`.
    pub declared_size: Option<u64>,
    pub kind: tar::EntryType,
    pub link_name: Option<String>,
    /// Pax records written in an extended header before this entry.
    pub pax: Vec<(String, Vec<u8>)>,
}

impl Entry {
    /// A regular entry; paths over the 100 bytes of a ustar name get a pax `path` record.
    pub fn new(path: &str, body: Body) -> Self {
        let pax = if path.len() > 100 {
            vec![("path".to_owned(), path.as_bytes().to_vec())]
        } else {
            Vec::new()
        };
        Self {
            path: path.to_owned(),
            body,
            declared_size: None,
            kind: tar::EntryType::Regular,
            link_name: None,
            pax,
        }
    }

    /// The `files/<name>` entry of a file.
    pub fn file(name: &str, content: &[u8]) -> Self {
        Self::new(&format!("files/{name}"), Body::Bytes(content.to_vec()))
    }
}

/// The padding after the tar stream (or after the zstd frame).
#[derive(Debug, Clone)]
pub enum Padding {
    /// To the Padmé size: zeros, or one zstd skippable frame when compressed.
    Padme,
    None,
    /// These bytes instead of padding.
    Junk(Vec<u8>),
}

/// Who can decrypt the crafted parcel.
#[derive(Debug, Clone)]
pub enum Lock {
    Recipients(Vec<age::x25519::Recipient>),
    Password(String),
}

/// A parcel under construction; see the module documentation.
#[derive(Debug)]
pub struct Craft {
    /// The manifest, serialised at build time (unless `manifest_bytes` is set).
    pub manifest: Value,
    /// Exact manifest bytes, instead of `manifest`.
    pub manifest_bytes: Option<Vec<u8>>,
    pub signer: SigningKey,
    /// Exact signature bytes, instead of signing with `signer`.
    pub signature: Option<Vec<u8>>,
    pub entries: Vec<Entry>,
    /// Whether the tar stream goes inside one zstd frame (the manifest's claim is separate).
    pub zstd: bool,
    pub padding: Padding,
    pub lock: Lock,
}

/// A manifest `files` item describing `content` truthfully.
pub fn manifest_file(name: &str, content: &[u8]) -> Value {
    json!({
        "name": name,
        "size": content.len(),
        "sha256": sha256_hex(content),
        "media_type": "application/octet-stream",
    })
}

fn random_hex_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("OS randomness");
    HEXLOWER.encode(&bytes)
}

impl Craft {
    /// A valid, uncompressed parcel from `sender` to `readers` holding `files`; like sealpost,
    /// it is also sealed to the sender and lists the sender among the recipients.
    pub fn new(
        sender: &CraftSender,
        readers: &[age::x25519::Recipient],
        files: &[(&str, &[u8])],
    ) -> Self {
        let mut recipients: Vec<(String, Option<String>)> = readers
            .iter()
            .map(|r| (r.to_string(), None))
            .filter(|(r, _)| *r != sender.recipient().to_string())
            .collect();
        recipients.push((
            sender.recipient().to_string(),
            Some(sender.member_id.clone()),
        ));
        recipients.sort();
        recipients.dedup();
        let listed: Vec<Value> = recipients
            .iter()
            .map(|(age_recipient, member_id)| {
                json!({"age_recipient": age_recipient, "member_id": member_id})
            })
            .collect();
        let mut lock: Vec<age::x25519::Recipient> = readers.to_vec();
        lock.push(sender.recipient());
        let manifest = json!({
            "v": 1,
            "parcel_id": random_hex_id(),
            "kind": "data",
            "created_at": "2026-11-24T10:00:00Z",
            "cluster_id": null,
            "roster_version": null,
            "sender": {
                "member_id": sender.member_id,
                "name": sender.name,
                "org": sender.org,
                "sig_pk": sender.sig_pk(),
            },
            "encryption": "x25519",
            "recipients": listed,
            "label": "confidential",
            "note": "crafted by the test suite",
            "files": files.iter().map(|(name, content)| manifest_file(name, content)).collect::<Vec<_>>(),
            "compression": "none",
        });
        let mut entries = vec![
            Entry::new("SEALPOST-MANIFEST.json", Body::Manifest),
            Entry::new("SEALPOST-MANIFEST.sig", Body::Signature),
        ];
        entries.extend(
            files
                .iter()
                .map(|(name, content)| Entry::file(name, content)),
        );
        Self {
            manifest,
            manifest_bytes: None,
            signer: sender.signing.clone(),
            signature: None,
            entries,
            zstd: false,
            padding: Padding::Padme,
            lock: Lock::Recipients(lock),
        }
    }

    /// A valid password-protected parcel: scrypt, and no recipients in the manifest.
    pub fn with_password(sender: &CraftSender, password: &str, files: &[(&str, &[u8])]) -> Self {
        let mut craft = Self::new(sender, &[], files);
        craft.manifest["encryption"] = json!("scrypt");
        craft.manifest["recipients"] = json!([]);
        craft.lock = Lock::Password(password.to_owned());
        craft
    }

    /// Compressed with zstd, and the manifest says so.
    pub fn compressed(mut self) -> Self {
        self.zstd = true;
        self.manifest["compression"] = json!("zstd");
        self
    }

    pub fn manifest_bytes(&self) -> Vec<u8> {
        self.manifest_bytes
            .clone()
            .unwrap_or_else(|| serde_json::to_vec(&self.manifest).expect("JSON"))
    }

    /// The `files/<name>` entry of the file called `name`.
    pub fn entry_mut(&mut self, name: &str) -> &mut Entry {
        let path = format!("files/{name}");
        self.entries
            .iter_mut()
            .find(|e| e.path == path)
            .expect("an entry of that name")
    }

    /// The decrypted parcel: tar stream, compression and padding.
    pub fn plaintext(&self) -> Vec<u8> {
        let manifest = self.manifest_bytes();
        let signature = self
            .signature
            .clone()
            .unwrap_or_else(|| sign_manifest(&self.signer, &manifest));
        let mut tar = tar::Builder::new(Vec::new());
        for entry in &self.entries {
            let body: &[u8] = match &entry.body {
                Body::Manifest => &manifest,
                Body::Signature => &signature,
                Body::Bytes(bytes) => bytes,
            };
            if !entry.pax.is_empty() {
                tar.append_pax_extensions(entry.pax.iter().map(|(k, v)| (k.as_str(), &v[..])))
                    .expect("memory");
            }
            let mut header = tar::Header::new_ustar();
            // Written byte by byte: `set_path` refuses the `..` and absolute names that
            // hostile parcels need.
            let name = &entry.path.as_bytes()[..entry.path.len().min(100)];
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_mode(0o644);
            header.set_mtime(1_700_000_000);
            header.set_entry_type(entry.kind);
            header.set_size(entry.declared_size.unwrap_or(body.len() as u64));
            if let Some(link) = &entry.link_name {
                header.set_link_name_literal(link).expect("short link");
            }
            header.set_cksum();
            tar.append(&header, body).expect("memory");
        }
        let tar = tar.into_inner().expect("memory");
        let mut plaintext = if self.zstd {
            zstd::encode_all(&tar[..], 3).expect("memory")
        } else {
            tar
        };
        match &self.padding {
            Padding::Padme if self.zstd => {
                let frame_len = padme(plaintext.len() as u64 + 8) - plaintext.len() as u64 - 8;
                plaintext.extend(SKIPPABLE_MAGIC);
                plaintext.extend(u32::try_from(frame_len).expect("small").to_le_bytes());
                plaintext.resize(plaintext.len() + frame_len as usize, 0);
            }
            Padding::Padme => plaintext.resize(padme(plaintext.len() as u64) as usize, 0),
            Padding::None => {}
            Padding::Junk(junk) => plaintext.extend_from_slice(junk),
        }
        plaintext
    }

    /// The parcel: the plaintext in an age file.
    pub fn build(&self) -> Vec<u8> {
        encrypt(&self.plaintext(), &self.lock)
    }
}

/// An age file holding `plaintext`, for `lock`.
pub fn encrypt(plaintext: &[u8], lock: &Lock) -> Vec<u8> {
    let encryptor = match lock {
        Lock::Recipients(list) => {
            age::Encryptor::with_recipients(list.iter().map(|r| r as &dyn age::Recipient))
                .expect("valid recipients")
        }
        Lock::Password(password) => {
            let mut recipient =
                age::scrypt::Recipient::new(age::secrecy::SecretString::from(password.clone()));
            // age's default work factor takes about a second; crafted parcels need no strength.
            recipient.set_work_factor(10);
            age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
                .expect("one scrypt recipient")
        }
    };
    let mut parcel = Vec::new();
    let mut writer = encryptor.wrap_output(&mut parcel).expect("memory");
    writer.write_all(plaintext).expect("memory");
    writer.finish().expect("memory");
    parcel
}
