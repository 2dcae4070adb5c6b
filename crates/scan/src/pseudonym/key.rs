//! The cluster pseudonymisation key and the pseudonyms it makes.
//!
//! A pseudonym is `PSN-` and the first 10 characters of the lowercase, unpadded base32 of
//! HMAC-SHA256(key, normalised value): the same value gets the same pseudonym in every column
//! and every file made with the same key, and nobody without the key can compute one.

use std::fmt;
use std::io::Write;
use std::path::Path;

use data_encoding::{BASE32_NOPAD, BASE64};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::PseudonymError;
use crate::detect::digits::normalise_digits;
use crate::detect::phone::{self, Strength};

/// The first word of a key file.
pub(crate) const KEY_PREFIX: &str = "sealpost-pseudonym-key-1";

/// What every pseudonym starts with.
pub(crate) const PSEUDONYM_PREFIX: &str = "PSN-";

/// Characters of base32 after the prefix (50 bits).
const PSEUDONYM_CHARS: usize = 10;

/// A key file is one short line; anything longer is not one.
const MAX_KEY_FILE: u64 = 4096;

/// The cluster's pseudonymisation key: 32 secret bytes, wiped from memory when dropped. Anyone
/// holding it can test a guess ("is PSN-… Daw Aye Aye?"), so it is as sensitive as the data.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PseudonymKey([u8; 32]);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PseudonymKey(id {})", self.id())
    }
}

type HmacSha256 = Hmac<Sha256>;

impl PseudonymKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(bytes)
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, PseudonymError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| PseudonymError::Random(e.to_string()))?;
        let key = PseudonymKey(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// Reads a key file (`sealpost-pseudonym-key-1 <base64 of 32 bytes>`).
    pub fn read_file(path: &Path) -> Result<Self, PseudonymError> {
        let invalid = |problem: String| PseudonymError::KeyInvalid {
            path: path.to_path_buf(),
            problem,
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PseudonymError::KeyMissing {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(PseudonymError::io("read", path, e)),
        };
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_KEY_FILE + 1), &mut bytes)
            .map_err(|e| PseudonymError::io("read", path, e))?;
        if bytes.len() as u64 > MAX_KEY_FILE {
            return Err(invalid(format!(
                "the file is longer than {MAX_KEY_FILE} bytes, a key file is one short line"
            )));
        }
        let text =
            std::str::from_utf8(&bytes).map_err(|_| invalid("the file is not text".to_string()))?;
        Self::parse(text).map_err(invalid)
    }

    /// Parses the text of a key file; the error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err("the file is empty".to_string());
        }
        let mut words = text.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first != KEY_PREFIX {
            return Err(format!(
                "it does not start with `{KEY_PREFIX}` (is this the right file?)"
            ));
        }
        let encoded = words
            .next()
            .ok_or_else(|| format!("the key itself is missing after `{KEY_PREFIX}`"))?;
        if words.next().is_some() {
            return Err("there is more than the key on its line".to_string());
        }
        let decoded = Zeroizing::new(
            BASE64
                .decode(encoded.as_bytes())
                .map_err(|_| "the key is not valid base64 (it may have been cut or retyped)")?,
        );
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            format!(
                "the key is {} bytes long, a pseudonymisation key is 32",
                decoded.len()
            )
        })?;
        Ok(PseudonymKey(bytes))
    }

    /// The text of a key file for this key (one line, with its newline).
    pub(crate) fn file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{KEY_PREFIX} {}\n", BASE64.encode(&self.0)))
    }

    /// Creates a new random key in a new file at `path` (never overwriting one): written to a
    /// temporary file beside it (mode 0600 on unix), flushed to disk, then renamed.
    pub fn create_file(path: &Path) -> Result<Self, PseudonymError> {
        if path.exists() {
            return Err(PseudonymError::KeyExists {
                path: path.to_path_buf(),
            });
        }
        let key = Self::generate()?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| PseudonymError::io("created", path, e))?;
        // tempfile creates its files readable by their owner only (0600 on unix).
        let mut temp = tempfile::Builder::new()
            .prefix(".sealpost-key-")
            .tempfile_in(dir)
            .map_err(|e| PseudonymError::io("created", path, e))?;
        temp.write_all(key.file_text().as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| PseudonymError::io("written", path, e))?;
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                PseudonymError::KeyExists {
                    path: path.to_path_buf(),
                }
            } else {
                PseudonymError::io("written", path, e.error)
            }
        })?;
        super::sync_dir(dir);
        Ok(key)
    }

    /// A short public name for the key (not secret): members compare it to check they hold the
    /// same key as the coordinator.
    pub fn id(&self) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"sealpost pseudonym key id");
        let digest = mac.finalize().into_bytes();
        BASE32_NOPAD.encode(&digest)[..8].to_ascii_lowercase()
    }

    /// The pseudonym of `value`, or `None` for an empty (or blank) value.
    pub fn pseudonym(&self, value: &str) -> Option<String> {
        let normalised = normalise(value)?;
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(normalised.as_bytes());
        let digest = mac.finalize().into_bytes();
        let encoded = BASE32_NOPAD.encode(&digest);
        Some(format!(
            "{PSEUDONYM_PREFIX}{}",
            encoded[..PSEUDONYM_CHARS].to_ascii_lowercase()
        ))
    }
}

/// Whether `cell` is a pseudonym this module makes (`PSN-` and 10 lowercase base32
/// characters): the scanner counts such cells as neither text nor names.
pub(crate) fn is_pseudonym(cell: &str) -> bool {
    cell.len() == PSEUDONYM_PREFIX.len() + PSEUDONYM_CHARS
        && cell.starts_with(PSEUDONYM_PREFIX)
        && cell.as_bytes()[PSEUDONYM_PREFIX.len()..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(b))
}

/// The form of a value that is hashed: Myanmar digits as ASCII digits; a phone number in its
/// national form (`+95 9 761 234 567` and `09761234567` are the same person); anything else
/// trimmed, inner whitespace collapsed to one space, and lowercased. `None` when blank.
pub(crate) fn normalise(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let digits = normalise_digits(value);
    if let Some(found) = phone::classify_cell(&digits)
        && found.strength >= Strength::Medium
    {
        return Some(found.national().to_string());
    }
    Some(
        digits
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalise("Daw Aye Aye"), normalise(" daw  aye\taye "));
        assert_eq!(normalise("Daw Aye Aye").as_deref(), Some("daw aye aye"));
        assert_eq!(normalise("ÉCOLE"), Some("école".to_string()));
        assert_eq!(normalise("   "), None);
        assert_eq!(normalise(""), None);
        // Phones in any written form are one number.
        assert_eq!(normalise("+95 9 761 234 567"), normalise("09761234567"));
        assert_eq!(normalise("၀၉၇၆၁၂၃၄၅၆၇"), normalise("09761234567"));
        // Other values are not merged.
        assert_ne!(normalise("Hope Relief"), normalise("Hope-Relief"));
    }

    #[test]
    fn same_value_same_pseudonym_other_key_other_pseudonym() {
        let key = PseudonymKey::from_bytes([7; 32]);
        let other = PseudonymKey::from_bytes([8; 32]);
        let a = key.pseudonym("Daw Aye Aye").unwrap();
        assert_eq!(Some(a.clone()), key.pseudonym("  daw AYE   aye"));
        assert_ne!(Some(a.clone()), other.pseudonym("Daw Aye Aye"));
        assert_ne!(Some(a.clone()), key.pseudonym("Daw Aye Aye Mon"));
        assert!(a.starts_with("PSN-"), "{a}");
        assert_eq!(a.len(), 4 + 10);
        assert!(
            a[4..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c))
        );
        assert_eq!(key.pseudonym(" "), None);
        assert!(is_pseudonym(&a));
        assert!(!is_pseudonym("PSN-ABCDEFGHIJ"));
        assert!(!is_pseudonym("PSN-abc"));
    }

    #[test]
    fn pseudonyms_are_hmac_sha256_in_base32() {
        // Recomputed by hand: anyone with the key can reproduce a pseudonym with standard
        // tools (and so check a guess, which is why the key is highly confidential).
        let key = PseudonymKey::from_bytes([0; 32]);
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&[0; 32]).unwrap();
        mac.update(b"hope relief");
        let expected = BASE32_NOPAD.encode(&mac.finalize().into_bytes())[..10].to_ascii_lowercase();
        assert_eq!(
            key.pseudonym("Hope Relief").unwrap(),
            format!("PSN-{expected}")
        );
    }

    #[test]
    fn key_files_round_trip_and_bad_ones_say_why() {
        let key = PseudonymKey::generate().unwrap();
        let parsed = PseudonymKey::parse(&key.file_text()).unwrap();
        assert_eq!(parsed.pseudonym("x"), key.pseudonym("x"));
        assert_eq!(parsed.id(), key.id());

        let cases = [
            ("", "empty"),
            ("age-secret-key-1 AAAA", "does not start with"),
            (KEY_PREFIX, "missing"),
            (&format!("{KEY_PREFIX} not*base64"), "not valid base64"),
            (
                &format!("{KEY_PREFIX} {}", BASE64.encode(&[1; 16])),
                "16 bytes",
            ),
            (
                &format!("{KEY_PREFIX} {} extra", BASE64.encode(&[1; 32])),
                "more than",
            ),
        ];
        for (text, problem) in cases {
            let error = PseudonymKey::parse(text).unwrap_err();
            assert!(error.contains(problem), "{text:?}: {error}");
        }
    }

    #[test]
    fn key_files_are_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.key");
        let key = PseudonymKey::create_file(&path).unwrap();
        let read = PseudonymKey::read_file(&path).unwrap();
        assert_eq!(read.pseudonym("a"), key.pseudonym("a"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            PseudonymKey::create_file(&path),
            Err(PseudonymError::KeyExists { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before, "never overwritten");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        assert!(matches!(
            PseudonymKey::read_file(&dir.path().join("missing.key")),
            Err(PseudonymError::KeyMissing { .. })
        ));
        let debug = format!("{key:?}");
        assert!(!debug.contains(&BASE64.encode(&key.0)), "{debug}");
    }
}
