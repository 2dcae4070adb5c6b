//! Public signing keys, domain-separated Ed25519 signatures, and key fingerprints.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Length in bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

const KEY_PREFIX: &str = "ed25519:";

/// Why a string is not a public signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text does not have the `ed25519:<base64url>` form of a 32-byte key.
    #[error("a signing key looks like `ed25519:` followed by 43 base64url characters, got {0:?}")]
    Malformed(String),
    /// The 32 bytes are not a valid Ed25519 point, or a weak one.
    #[error("{0:?} is not a valid Ed25519 public key")]
    Invalid(String),
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature is not exactly 64 bytes long.
    #[error("a signature is {SIGNATURE_LEN} bytes, got {0}")]
    Length(usize),
    /// The signature does not match the key and the signed bytes.
    #[error("the signature does not match the signed bytes and the key")]
    Mismatch,
}

/// A member's Ed25519 public key: verifies their manifests, rosters and relay logins.
///
/// Written as `ed25519:` followed by the 32-byte key in unpadded base64url.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigningPublicKey(VerifyingKey);

impl SigningPublicKey {
    /// The public half of a signing key.
    pub fn from_signing_key(key: &SigningKey) -> Self {
        Self(key.verifying_key())
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// A public key from its 32 bytes, refusing invalid and weak (small-order) points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let invalid =
            || KeyError::Invalid(format!("{KEY_PREFIX}{}", BASE64URL_NOPAD.encode(bytes)));
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| invalid())?;
        if key.is_weak() {
            return Err(invalid());
        }
        Ok(Self(key))
    }
}

impl fmt::Display for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{KEY_PREFIX}{}",
            BASE64URL_NOPAD.encode(self.0.as_bytes())
        )
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({self})")
    }
}

impl FromStr for SigningPublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed(s.to_owned());
        let encoded = s.strip_prefix(KEY_PREFIX).ok_or_else(malformed)?;
        let bytes = BASE64URL_NOPAD
            .decode(encoded.as_bytes())
            .map_err(|_| malformed())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| malformed())?;
        Self::from_bytes(&bytes)
    }
}

impl Serialize for SigningPublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SigningPublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a signature is about. Each context prefixes the signed bytes with its own string, so a
/// signature made for one kind of object can never be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningContext {
    /// A parcel manifest (`SEALPOST-MANIFEST.sig`).
    Manifest,
    /// A cluster roster, signed by the coordinator.
    Roster,
    /// A join request, signed by the joining member's new key (proof that they hold it).
    JoinRequest,
    /// A member's key change, signed by both the old and the new key.
    KeyChange,
    /// A member's answer to a relay's login challenge.
    Login,
    /// A checkpoint of a member's audit log (the hash of its newest entry), signed by them.
    LogCheckpoint,
}

impl SigningContext {
    /// The bytes prepended to the message before signing.
    pub fn prefix(self) -> &'static [u8] {
        match self {
            SigningContext::Manifest => b"sealpost/v1/manifest\n",
            SigningContext::Roster => b"sealpost/v1/roster\n",
            SigningContext::JoinRequest => b"sealpost/v1/join-request\n",
            SigningContext::KeyChange => b"sealpost/v1/key-change\n",
            SigningContext::Login => b"sealpost/v1/login\n",
            SigningContext::LogCheckpoint => b"sealpost/v1/log-checkpoint\n",
        }
    }

    fn message(self, bytes: &[u8]) -> Vec<u8> {
        [self.prefix(), bytes].concat()
    }

    /// Signs `bytes` in this context.
    pub fn sign(self, key: &SigningKey, bytes: &[u8]) -> [u8; SIGNATURE_LEN] {
        key.sign(&self.message(bytes)).to_bytes()
    }

    /// Checks a signature over `bytes` in this context, with Ed25519's strict rules (no
    /// malleable signatures, no weak keys).
    pub fn verify(
        self,
        key: &SigningPublicKey,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let signature: [u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| SignatureError::Length(signature.len()))?;
        key.0
            .verify_strict(&self.message(bytes), &Signature::from_bytes(&signature))
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// A short, human-comparable digest of a member's two public keys (signing and encryption):
/// eight groups of five digits, easy to read aloud in any language.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u32; 8]);

impl Fingerprint {
    /// The fingerprint of a member's signing key and `age1…` encryption recipient.
    pub fn of_member(signing_key: &SigningPublicKey, age_recipient: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"sealpost/v1/fingerprint\n")
            .chain_update(signing_key.as_bytes())
            .chain_update(age_recipient.as_bytes())
            .finalize();
        // Each group is 4 digest bytes modulo 100000 (about 16.6 bits; 133 bits in all). The
        // modulo bias of 2^32 mod 10^5 is under 0.003 %, irrelevant for comparison by people.
        let mut groups = [0u32; 8];
        for (group, chunk) in groups.iter_mut().zip(digest.chunks_exact(4)) {
            let word = u32::from_be_bytes(chunk.try_into().expect("chunks of 4"));
            *group = word % 100_000;
        }
        Self(groups)
    }
}

/// A Signal-style safety number for a pair of members: twelve groups of five digits that both
/// of them see identically, so they can compare it by phone. It is made of the first six
/// groups of each member's [`Fingerprint`], the lower half first, so the order in which the
/// pair is given does not matter; any other key on either side changes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SafetyNumber([u32; 12]);

impl SafetyNumber {
    /// The safety number between two members, given each one's fingerprint.
    pub fn for_pair(a: &Fingerprint, b: &Fingerprint) -> Self {
        let (low, high) = if a.0[..6] <= b.0[..6] { (a, b) } else { (b, a) };
        let mut groups = [0u32; 12];
        groups[..6].copy_from_slice(&low.0[..6]);
        groups[6..].copy_from_slice(&high.0[..6]);
        Self(groups)
    }
}

impl fmt::Display for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_groups(f, &self.0)
    }
}

impl fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafetyNumber({self})")
    }
}

impl Serialize for SafetyNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn write_groups(f: &mut fmt::Formatter<'_>, groups: &[u32]) -> fmt::Result {
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{group:05}")?;
    }
    Ok(())
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_groups(f, &self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn public_key_text_round_trips() {
        let public = SigningPublicKey::from_signing_key(&key(7));
        let text = public.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.len(), "ed25519:".len() + 43);
        assert_eq!(text.parse::<SigningPublicKey>().unwrap(), public);
    }

    #[test]
    fn malformed_keys_are_refused_with_the_expected_form() {
        for bad in [
            "",
            "ed25519:",
            "age1qqqq",
            "ed25519:AAAA",
            "ed25519:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        ] {
            let err = bad.parse::<SigningPublicKey>().unwrap_err();
            assert!(err.to_string().contains("ed25519:"), "{err}");
        }
        // The identity point is a weak (small-order) key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let text = format!("ed25519:{}", BASE64URL_NOPAD.encode(&identity));
        assert!(matches!(
            text.parse::<SigningPublicKey>(),
            Err(KeyError::Invalid(_))
        ));
    }

    #[test]
    fn signatures_are_bound_to_their_context() {
        let signer = key(1);
        let public = SigningPublicKey::from_signing_key(&signer);
        let sig = SigningContext::Manifest.sign(&signer, b"bytes");
        SigningContext::Manifest
            .verify(&public, b"bytes", &sig)
            .unwrap();
        assert_eq!(
            SigningContext::Roster.verify(&public, b"bytes", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            SigningContext::Manifest.verify(&public, b"bytez", &sig),
            Err(SignatureError::Mismatch)
        );
        let other = SigningPublicKey::from_signing_key(&key(2));
        assert_eq!(
            SigningContext::Manifest.verify(&other, b"bytes", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            SigningContext::Manifest.verify(&public, b"bytes", &sig[..63]),
            Err(SignatureError::Length(63))
        );
    }

    #[test]
    fn safety_number_is_symmetric_stable_and_pair_specific() {
        let fp = |seed: u8| {
            Fingerprint::of_member(
                &SigningPublicKey::from_signing_key(&key(seed)),
                &format!("age1{seed}"),
            )
        };
        let (a, b, c) = (fp(1), fp(2), fp(3));
        let ab = SafetyNumber::for_pair(&a, &b);
        assert_eq!(ab, SafetyNumber::for_pair(&b, &a));
        assert_eq!(
            ab.to_string(),
            SafetyNumber::for_pair(&fp(1), &fp(2)).to_string()
        );
        assert_ne!(ab, SafetyNumber::for_pair(&a, &c));
        assert_ne!(ab, SafetyNumber::for_pair(&c, &b));
        let text = ab.to_string();
        assert_eq!(text.split(' ').count(), 12);
        assert!(text.split(' ').all(|g| g.len() == 5));
        // Each half is the start of one member's own fingerprint, so each side can see its
        // own part in the number.
        let a_half: String = a
            .to_string()
            .split(' ')
            .take(6)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&a_half));
    }

    #[test]
    fn fingerprint_is_forty_digits_and_depends_on_both_keys() {
        let a = SigningPublicKey::from_signing_key(&key(1));
        let b = SigningPublicKey::from_signing_key(&key(2));
        let fp = Fingerprint::of_member(&a, "age1x").to_string();
        assert_eq!(fp.len(), 8 * 5 + 7);
        assert!(
            fp.split(' ')
                .all(|g| g.len() == 5 && g.bytes().all(|c| c.is_ascii_digit()))
        );
        assert_eq!(fp, Fingerprint::of_member(&a, "age1x").to_string());
        assert_ne!(fp, Fingerprint::of_member(&b, "age1x").to_string());
        assert_ne!(fp, Fingerprint::of_member(&a, "age1y").to_string());
    }
}
