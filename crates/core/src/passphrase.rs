//! Secrets that people type: the passphrase protecting an identity file or backup, and the
//! password of a password-protected parcel. Both become age scrypt keys.

use std::fmt;
use std::path::Path;

use age::secrecy::{ExposeSecret, SecretString};

/// The fewest characters accepted when a passphrase is chosen. Anyone who intercepts a
/// password-protected parcel can guess offline; scrypt slows each guess to about a second, and
/// twelve characters keeps even simple guessing out of reach.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// scrypt work factor (log2 N) used when sealing with a passphrase: 2^18, as the reference age
/// implementation uses, about 256 MiB of memory and well under a second here.
pub const SCRYPT_LOG_N: u8 = 18;
/// Largest scrypt work factor accepted when opening: 2^20, about 1 GiB of memory. A hostile
/// password-protected parcel cannot make an IMO's laptop allocate more before it is checked.
pub const MAX_SCRYPT_LOG_N: u8 = 20;

/// Why a passphrase cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// The passphrase file could not be read.
    #[error("cannot read the passphrase file {path}: {source}")]
    Read {
        /// The file that was named.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file or the prompt gave an empty passphrase.
    #[error("the passphrase is empty{}", from.as_ref().map(|p| format!(" (in {p})")).unwrap_or_default())]
    Empty {
        /// The file it came from, if any.
        from: Option<String>,
    },
    /// A new passphrase is too short to resist guessing.
    #[error(
        "the passphrase or password is too short ({chars} characters); choose at least \
         {MIN_PASSPHRASE_CHARS} (a few random words work well)"
    )]
    TooShort {
        /// How many characters it had.
        chars: usize,
    },
}

impl PassphraseError {
    /// A stable machine-readable code for this error (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            PassphraseError::Read { .. } => "passphrase-file-unreadable",
            PassphraseError::Empty { .. } => "passphrase-empty",
            PassphraseError::TooShort { .. } => "passphrase-too-short",
        }
    }
}

/// A secret typed by a person. Never printed: `Debug` shows a placeholder, and the memory is
/// zeroed when dropped.
pub struct Passphrase(SecretString);

impl Passphrase {
    /// Wraps a passphrase, refusing an empty one.
    pub fn new(text: String) -> Result<Self, PassphraseError> {
        if text.is_empty() {
            return Err(PassphraseError::Empty { from: None });
        }
        Ok(Self(SecretString::from(text)))
    }

    /// Reads a passphrase from a file: its whole content, minus one trailing line ending, so
    /// that `echo secret > file` and editors that add a final newline both work.
    pub fn read_file(path: &Path) -> Result<Self, PassphraseError> {
        let read_err = |source| PassphraseError::Read {
            path: path.display().to_string(),
            source,
        };
        let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(read_err)?);
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not UTF-8 text",
            ))
        })?;
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        Self::new(text.to_owned()).map_err(|_| PassphraseError::Empty {
            from: Some(path.display().to_string()),
        })
    }

    /// Checks that a newly chosen passphrase is long enough.
    pub fn check_strength(&self) -> Result<(), PassphraseError> {
        let chars = self.0.expose_secret().chars().count();
        if chars < MIN_PASSPHRASE_CHARS {
            return Err(PassphraseError::TooShort { chars });
        }
        Ok(())
    }

    /// Whether two passphrases are equal, compared in constant time.
    pub fn same_as(&self, other: &Passphrase) -> bool {
        use subtle::ConstantTimeEq;
        let (a, b) = (
            self.0.expose_secret().as_bytes(),
            other.0.expose_secret().as_bytes(),
        );
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }

    fn to_secret(&self) -> SecretString {
        SecretString::from(self.0.expose_secret().to_owned())
    }

    /// An age encryptor to this passphrase, with Sealpost's fixed scrypt work factor.
    pub(crate) fn encryptor(&self) -> age::Encryptor {
        let mut recipient = age::scrypt::Recipient::new(self.to_secret());
        recipient.set_work_factor(SCRYPT_LOG_N);
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("a single scrypt recipient is always valid")
    }

    /// An age identity for this passphrase, refusing work factors above [`MAX_SCRYPT_LOG_N`].
    pub(crate) fn identity(&self) -> age::scrypt::Identity {
        let mut identity = age::scrypt::Identity::new(self.to_secret());
        identity.set_max_work_factor(MAX_SCRYPT_LOG_N);
        identity
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_loses_one_trailing_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        std::fs::write(&path, "correct horse battery\n").unwrap();
        let p = Passphrase::read_file(&path).unwrap();
        assert_eq!(p.to_secret().expose_secret(), "correct horse battery");
        std::fs::write(&path, "two  \r\n").unwrap();
        let p = Passphrase::read_file(&path).unwrap();
        assert_eq!(p.to_secret().expose_secret(), "two  ");
        std::fs::write(&path, "\n").unwrap();
        let err = Passphrase::read_file(&path).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn excessive_scrypt_work_is_refused_before_doing_it() {
        use std::io::{Read, Write};
        let passphrase = Passphrase::new("correct horse battery".into()).unwrap();
        let mut sealed = Vec::new();
        let mut w = passphrase.encryptor().wrap_output(&mut sealed).unwrap();
        w.write_all(b"secret").unwrap();
        w.finish().unwrap();
        // The stanza line is `-> scrypt <salt> 18`: claim 2^21 instead (2 GiB of memory).
        let text = String::from_utf8_lossy(&sealed).into_owned();
        let line = text.lines().find(|l| l.starts_with("-> scrypt ")).unwrap();
        assert!(line.ends_with(&format!(" {SCRYPT_LOG_N}")), "{line}");
        let hostile = line.replacen(&format!(" {SCRYPT_LOG_N}"), " 21", 1);
        let tampered = String::from_utf8_lossy(&sealed).replacen(line, &hostile, 1);
        let decrypt = |bytes: &[u8]| {
            let identity = passphrase.identity();
            age::Decryptor::new(bytes)
                .unwrap()
                .decrypt(std::iter::once(&identity as &dyn age::Identity))
                .map(|mut r| {
                    let mut out = Vec::new();
                    r.read_to_end(&mut out).unwrap();
                    out
                })
        };
        assert_eq!(decrypt(&sealed).unwrap(), b"secret");
        let started = std::time::Instant::now();
        let err = decrypt(tampered.as_bytes()).unwrap_err();
        assert!(
            matches!(err, age::DecryptError::ExcessiveWork { required: 21, .. }),
            "{err:?}"
        );
        // Refused up front: 2^21 scrypt would take seconds.
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
    }

    #[test]
    fn strength_counts_characters_not_bytes() {
        // Twelve Burmese characters are more than twelve bytes; they count as twelve.
        let burmese = "ကခဂဃငစဆဇဈညဋဌ".to_owned();
        assert_eq!(burmese.chars().count(), 12);
        Passphrase::new(burmese).unwrap().check_strength().unwrap();
        let short = Passphrase::new("short".into()).unwrap();
        assert!(matches!(
            short.check_strength(),
            Err(PassphraseError::TooShort { chars: 5 })
        ));
        assert_eq!(format!("{short:?}"), "Passphrase(<hidden>)");
    }
}
