//! A member's identity: who they are (member id, name, organisation) and their two secret keys,
//! an age X25519 identity that opens parcels and an Ed25519 key that signs.
//!
//! Secret keys are stored as an **identity document**, one text format for every place a
//! secret lives (OS keyring entry, passphrase-protected file, backup, plain export):
//!
//! ```text
//! # Sealpost identity: SECRET KEYS of Aye Aye (Example NGO).
//! # ... warning lines ...
//! # public key: age1...
//! # sealpost-identity: {"v":1,"member_id":"...","name":"...","org":"...","signing_secret":"..."}
//! AGE-SECRET-KEY-1...
//! ```
//!
//! age ignores `#` lines, so the same document is a standard age identity file: anyone holding
//! it can recover parcels with `age -d -i FILE`, without Sealpost.

use std::fmt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::SigningKey;
use sealpost_format::{Fingerprint, MemberId, SigningPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Longest accepted name or organisation, in characters.
pub const MAX_NAME_CHARS: usize = 100;

const DOCUMENT_TAG: &str = "# sealpost-identity: ";

/// Why an identity could not be created or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A name or organisation is empty, too long, or contains control characters.
    #[error("the {field} {reason}")]
    InvalidName {
        /// `name` or `organisation`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The text holds an age key but no Sealpost signing key.
    #[error(
        "this is a plain age identity without a Sealpost signing key; only files written by \
         `sealpost identity export` can be imported"
    )]
    PlainAgeIdentity,
    /// The text is not an identity document at all.
    #[error("this is not a Sealpost identity file")]
    NotAnIdentity,
    /// The text looks like an identity document but a part of it is damaged.
    #[error("the Sealpost identity file is damaged: {0}")]
    Damaged(String),
}

/// A member's identity with its secret keys. Keys are zeroed in memory when dropped.
pub struct Identity {
    member_id: MemberId,
    name: String,
    org: String,
    age: age::x25519::Identity,
    signing: SigningKey,
}

/// What others may know about a member: ids, names and public keys. Serialised as the JSON of
/// `sealpost whoami --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberCard {
    /// The member's random id.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub member_id: MemberId,
    /// The member's name.
    pub name: String,
    /// The member's organisation.
    pub org: String,
    /// The `age1…` recipient that parcels are sealed to.
    pub age_recipient: String,
    /// The Ed25519 key that verifies the member's signatures.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub signing_key: SigningPublicKey,
    /// Digits to compare when checking the keys by phone.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub fingerprint: Fingerprint,
}

impl MemberCard {
    /// A card from its parts, with the fingerprint computed from the keys.
    pub fn new(
        member_id: MemberId,
        name: String,
        org: String,
        age_recipient: String,
        signing_key: SigningPublicKey,
    ) -> Self {
        let fingerprint = Fingerprint::of_member(&signing_key, &age_recipient);
        Self {
            member_id,
            name,
            org,
            age_recipient,
            signing_key,
            fingerprint,
        }
    }
}

/// The JSON carried on the document's `# sealpost-identity:` line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentMeta {
    v: u32,
    member_id: MemberId,
    name: String,
    org: String,
    signing_secret: Zeroizing<String>,
}

impl Identity {
    /// Creates a new member identity with fresh keys.
    pub fn generate(name: &str, org: &str) -> Result<Self, IdentityError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut()).expect("the OS random number generator failed");
        Ok(Self {
            member_id: MemberId::random(),
            name: check_name("name", name)?,
            org: check_name("organisation", org)?,
            age: age::x25519::Identity::generate(),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// Fresh keys for the same member (same id, name and organisation): a key change.
    pub fn successor(&self) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut()).expect("the OS random number generator failed");
        Self {
            member_id: self.member_id,
            name: self.name.clone(),
            org: self.org.clone(),
            age: age::x25519::Identity::generate(),
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Whether the two identities hold the same keys.
    pub fn same_keys(&self, sig_pk: &SigningPublicKey, age_recipient: &str) -> bool {
        self.signing_public_key() == *sig_pk && self.age_recipient().to_string() == age_recipient
    }

    /// The member's id.
    pub fn member_id(&self) -> MemberId {
        self.member_id
    }

    /// The member's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member's organisation.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The public key that parcels to this member are sealed to.
    pub fn age_recipient(&self) -> age::x25519::Recipient {
        self.age.to_public()
    }

    /// The public key that verifies this member's signatures.
    pub fn signing_public_key(&self) -> SigningPublicKey {
        SigningPublicKey::from_signing_key(&self.signing)
    }

    /// The member's public card.
    pub fn card(&self) -> MemberCard {
        MemberCard::new(
            self.member_id,
            self.name.clone(),
            self.org.clone(),
            self.age_recipient().to_string(),
            self.signing_public_key(),
        )
    }

    pub(crate) fn age_identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The identity document: secret text, zeroed when dropped.
    pub fn to_document(&self) -> Zeroizing<String> {
        let meta = DocumentMeta {
            v: 1,
            member_id: self.member_id,
            name: self.name.clone(),
            org: self.org.clone(),
            signing_secret: Zeroizing::new(BASE64URL_NOPAD.encode(self.signing.as_bytes())),
        };
        let meta = Zeroizing::new(serde_json::to_string(&meta).expect("plain JSON"));
        let age_secret = self.age.to_string();
        Zeroizing::new(format!(
            "# Sealpost identity: SECRET KEYS of {name} ({org}).\n\
             # Anyone holding this file can read parcels sent to this member and sign as them.\n\
             # Keep it offline. Restore it with `sealpost identity import FILE`.\n\
             # It is also a standard age identity file: `age -d -i FILE parcel.age`.\n\
             # public key: {recipient}\n\
             {DOCUMENT_TAG}{meta}\n\
             {secret}\n",
            name = self.name,
            org = self.org,
            recipient = self.age_recipient(),
            meta = *meta,
            secret = age_secret.expose_secret(),
        ))
    }

    /// Reads an identity document.
    pub fn from_document(text: &str) -> Result<Self, IdentityError> {
        let mut meta_line = None;
        let mut key_lines = Vec::new();
        let mut other_lines = 0;
        for line in text.lines().map(str::trim) {
            if let Some(json) = line.strip_prefix(DOCUMENT_TAG.trim_end()) {
                if meta_line.replace(json.trim()).is_some() {
                    return Err(IdentityError::Damaged("two sealpost-identity lines".into()));
                }
            } else if line.starts_with("AGE-SECRET-KEY-1") {
                key_lines.push(line);
            } else if !line.is_empty() && !line.starts_with('#') {
                other_lines += 1;
            }
        }
        // Other text (a CSV, a profile.json) is not an identity, however many lines it has.
        let age_line = match key_lines[..] {
            [] => return Err(IdentityError::NotAnIdentity),
            [line] if other_lines == 0 => line,
            [_] => {
                return Err(IdentityError::Damaged(
                    "unexpected text beside the key".into(),
                ));
            }
            _ => {
                return Err(IdentityError::Damaged(
                    "more than one secret key line".into(),
                ));
            }
        };
        let meta_line = meta_line.ok_or(IdentityError::PlainAgeIdentity)?;
        let meta: DocumentMeta = serde_json::from_str(meta_line)
            .map_err(|e| IdentityError::Damaged(format!("sealpost-identity line: {e}")))?;
        if meta.v != 1 {
            return Err(IdentityError::Damaged(format!(
                "format version {} is newer than this Sealpost understands",
                meta.v
            )));
        }
        let seed = Zeroizing::new(
            BASE64URL_NOPAD
                .decode(meta.signing_secret.as_bytes())
                .map_err(|_| IdentityError::Damaged("signing key is not base64url".into()))?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| IdentityError::Damaged("signing key is not 32 bytes".into()))?;
        let age = age::x25519::Identity::from_str(age_line)
            .map_err(|e| IdentityError::Damaged(format!("age secret key: {e}")))?;
        Ok(Self {
            member_id: meta.member_id,
            name: check_name("name", &meta.name)?,
            org: check_name("organisation", &meta.org)?,
            age,
            signing: SigningKey::from_bytes(seed),
        })
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("member_id", &self.member_id)
            .field("name", &self.name)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// Trims a name or organisation and checks it: not empty, not too long, one line of text.
fn check_name(field: &'static str, value: &str) -> Result<String, IdentityError> {
    let invalid = |reason: String| IdentityError::InvalidName { field, reason };
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("is empty".into()));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(
            "contains control characters (such as a line break)".into(),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_round_trips_and_is_an_age_identity_file() {
        let id = Identity::generate("Daw Aye Aye", "မြန်မာ NGO").unwrap();
        let doc = id.to_document();
        let back = Identity::from_document(&doc).unwrap();
        assert_eq!(back.card(), id.card());
        assert_eq!(back.signing_key().as_bytes(), id.signing_key().as_bytes());
        // age itself reads the document as an identity file.
        let parsed = age::IdentityFile::from_buffer(doc.as_bytes()).unwrap();
        assert_eq!(parsed.into_identities().unwrap().len(), 1);
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        let id = Identity::generate("  Ko Min  ", "Org").unwrap();
        assert_eq!(id.name(), "Ko Min");
        for (name, expect) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("a\nb", "control characters"),
            (&"x".repeat(101), "longer than 100"),
        ] {
            let err = Identity::generate(name, "Org").unwrap_err().to_string();
            assert!(err.contains(expect), "{name:?}: {err}");
        }
    }

    #[test]
    fn plain_age_identity_and_other_text_are_told_apart() {
        let plain = age::x25519::Identity::generate().to_string();
        assert!(matches!(
            Identity::from_document(plain.expose_secret()),
            Err(IdentityError::PlainAgeIdentity)
        ));
        for text in ["hello\n", "a,b\n1,2\n3,4\n", "{\n  \"v\": 1\n}\n"] {
            assert!(
                matches!(
                    Identity::from_document(text),
                    Err(IdentityError::NotAnIdentity)
                ),
                "{text:?}"
            );
        }
        let id = Identity::generate("A", "B").unwrap();
        let doc = id.to_document().replace("\"v\":1", "\"v\":2");
        assert!(matches!(
            Identity::from_document(&doc),
            Err(IdentityError::Damaged(_))
        ));
    }
}
