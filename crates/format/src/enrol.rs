//! Enrolment objects: the coordinator's invite code, the joining member's join request
//! (authenticated with an HMAC under the invite's one-time secret, so a relay in the middle
//! cannot swap the member's keys), and a member's key-change request.

use std::fmt;
use std::str::FromStr;

use data_encoding::{BASE32_NOPAD, HEXLOWER};
use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::roster::key_change_statement;
use crate::{ClusterId, MemberId, SIGNATURE_LEN, SigningContext, SigningPublicKey};

/// Largest join or key-change request accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const MAX_RELAY_URL: usize = 200;
const INVITE_FORMAT: u8 = 1;
const CODE_PREFIX: &str = "SP";

/// Why an invite code, join request or key-change request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolError {
    /// The text is not an invite code at all.
    #[error("this is not a Sealpost invite code ({0}); copy the whole code, from `SP-` to the end")]
    NotAnInvite(String),
    /// The code's checksum fails: a character was mistyped or misread.
    #[error(
        "the invite code has a typo (its checksum does not match); compare it character by \
         character with the coordinator's, or ask them to send it by chat"
    )]
    InviteTypo,
    /// The request file is damaged or of the wrong kind.
    #[error("this is not a valid {what} ({reason}); ask the member to create it again")]
    Malformed {
        /// What was expected.
        what: &'static str,
        /// Why it is not.
        reason: String,
    },
    /// The HMAC does not match under the invite's secret.
    #[error(
        "this join request was not made with the invite code it names (its HMAC does not \
         match): it was altered on the way, or made from a different code. Do not approve it; \
         ask the member to join again with the code you gave them"
    )]
    WrongSecret,
    /// A signature inside the request does not verify.
    #[error("the {what} is not signed by the key it presents; it was altered. Do not approve it")]
    BadSignature {
        /// Which request.
        what: &'static str,
    },
}

/// A short commitment to the coordinator's signing key, carried by invite codes: the first 16
/// bytes of a SHA-256 over the key, written as 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoordinatorPin([u8; 16]);

impl CoordinatorPin {
    /// The pin of a coordinator key.
    pub fn of(key: &SigningPublicKey) -> Self {
        let digest = Sha256::new()
            .chain_update(b"sealpost/v1/coordinator-pin\n")
            .chain_update(key.as_bytes())
            .finalize();
        Self(digest[..16].try_into().expect("16 of 32 bytes"))
    }
}

impl fmt::Display for CoordinatorPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for CoordinatorPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CoordinatorPin({self})")
    }
}

impl FromStr for CoordinatorPin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bytes = HEXLOWER
            .decode(s.as_bytes())
            .map_err(|_| format!("{s:?} is not a coordinator pin (32 hex digits)"))?;
        Ok(Self(bytes.try_into().map_err(|_| {
            format!("{s:?} is not a coordinator pin (32 hex digits)")
        })?))
    }
}

impl Serialize for CoordinatorPin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CoordinatorPin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The public name of an invite, derived from its secret: lets the coordinator find the invite
/// a request answers without the secret ever travelling.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InviteId([u8; 8]);

impl fmt::Display for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteId({self})")
    }
}

impl FromStr for InviteId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an invite id (16 hex digits)");
        let bytes = HEXLOWER.decode(s.as_bytes()).map_err(|_| bad())?;
        Ok(Self(bytes.try_into().map_err(|_| bad())?))
    }
}

impl Serialize for InviteId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InviteId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An invite's one-time secret (128 bits): the key of the join request's HMAC.
#[derive(Clone)]
pub struct InviteSecret(Zeroizing<[u8; 16]>);

impl fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteSecret({})", self.id())
    }
}

impl InviteSecret {
    /// A fresh secret from the OS random number generator.
    ///
    /// # Panics
    /// If the OS has no usable random source.
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 16]);
        getrandom::getrandom(bytes.as_mut()).expect("the OS random number generator failed");
        Self(bytes)
    }

    /// The invite's public id.
    pub fn id(&self) -> InviteId {
        let digest = Sha256::new()
            .chain_update(b"sealpost/v1/invite-id\n")
            .chain_update(self.0.as_ref())
            .finalize();
        InviteId(digest[..8].try_into().expect("8 of 32 bytes"))
    }

    fn mac(&self) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes any key length");
        mac.update(b"sealpost/v1/join-request\n");
        mac
    }

    /// The secret as hex, for the coordinator's own records.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(HEXLOWER.encode(self.0.as_ref()))
    }

    /// A secret from its hex form.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(HEXLOWER.decode(text.as_bytes()).ok()?);
        let array: [u8; 16] = bytes.as_slice().try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }
}

/// What an invite code carries.
#[derive(Debug, Clone)]
pub struct Invite {
    /// The cluster being joined.
    pub cluster_id: ClusterId,
    /// The pin of the coordinator key that will sign the member's roster.
    pub coordinator: CoordinatorPin,
    /// The one-time secret.
    pub secret: InviteSecret,
    /// When the invite stops being accepted (whole seconds).
    pub expires_at: OffsetDateTime,
    /// The relay the cluster uses, if any.
    pub relay: Option<String>,
}

impl Invite {
    /// The code to give the joining member: `SP-` and groups of five base32 characters, with a
    /// checksum so that a misread character is caught at once. About 90 characters without a
    /// relay URL: short enough to read over the phone.
    ///
    /// The relay URL must pass [`is_relay_url`]; the coordinator's desk checks it when it
    /// issues the invite, since a code that its reader refuses would be useless.
    pub fn to_code(&self) -> String {
        debug_assert!(self.relay.as_deref().is_none_or(is_relay_url));
        let mut bytes = vec![INVITE_FORMAT];
        bytes.extend_from_slice(self.cluster_id.as_bytes());
        bytes.extend_from_slice(&self.coordinator.0);
        bytes.extend_from_slice(self.secret.0.as_ref());
        // Before 1970 becomes 0 (long expired), never "after 2106" (never expiring).
        let expires = u32::try_from(self.expires_at.unix_timestamp().max(0)).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&expires.to_be_bytes());
        if let Some(relay) = &self.relay {
            bytes.extend_from_slice(relay.as_bytes());
        }
        let check = Sha256::digest(&bytes);
        bytes.extend_from_slice(&check[..2]);
        let text = BASE32_NOPAD.encode(&bytes);
        let groups: Vec<&str> = text
            .as_bytes()
            .chunks(5)
            .map(|c| std::str::from_utf8(c).expect("base32 is ASCII"))
            .collect();
        format!("{CODE_PREFIX}-{}", groups.join("-"))
    }

    /// Reads a code as typed or pasted: any case, with or without dashes and spaces.
    pub fn from_code(code: &str) -> Result<Self, EnrolError> {
        let cleaned: String = code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let body = cleaned
            .strip_prefix(CODE_PREFIX)
            .ok_or_else(|| EnrolError::NotAnInvite("it does not start with SP-".into()))?;
        let bytes = BASE32_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| EnrolError::InviteTypo)?;
        const FIXED: usize = 1 + 16 + 16 + 16 + 4;
        if bytes.len() < FIXED + 2 {
            return Err(EnrolError::NotAnInvite("it is too short".into()));
        }
        let (data, check) = bytes.split_at(bytes.len() - 2);
        if Sha256::digest(data)[..2] != *check {
            return Err(EnrolError::InviteTypo);
        }
        if data[0] != INVITE_FORMAT {
            return Err(EnrolError::NotAnInvite(format!(
                "invite format {} is not supported; update Sealpost",
                data[0]
            )));
        }
        let field = |from: usize| -> [u8; 16] { data[from..from + 16].try_into().expect("16") };
        let expires = u32::from_be_bytes(data[49..53].try_into().expect("4"));
        let relay = match &data[FIXED..] {
            [] => None,
            url => Some(
                std::str::from_utf8(url)
                    .ok()
                    .filter(|u| u.len() <= MAX_RELAY_URL && is_relay_url(u))
                    .ok_or_else(|| EnrolError::NotAnInvite("its relay URL is not valid".into()))?
                    .to_owned(),
            ),
        };
        Ok(Self {
            cluster_id: ClusterId::from_bytes(field(1)),
            coordinator: CoordinatorPin(field(17)),
            secret: InviteSecret(Zeroizing::new(field(33))),
            expires_at: OffsetDateTime::from_unix_timestamp(i64::from(expires))
                .expect("a u32 timestamp is in range"),
            relay,
        })
    }
}

/// Whether `url` looks like a relay address: `https://` or `http://`, printable, no spaces.
pub fn is_relay_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= MAX_RELAY_URL
        && url.bytes().all(|b| b.is_ascii_graphic())
}

/// What a joining member asks the coordinator to add to the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequestBody {
    /// Format version: 1.
    pub v: u32,
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The invite answered.
    pub invite_id: InviteId,
    /// The member's id.
    pub member_id: MemberId,
    /// Their name.
    pub name: String,
    /// Their organisation.
    pub org: String,
    /// Their signing key.
    pub sig_pk: SigningPublicKey,
    /// Their `age1…` recipient.
    pub age_recipient: String,
    /// When they made the request.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

/// A join request as it travels: the body's exact bytes, an HMAC under the invite secret and a
/// signature by the member's new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    v: u32,
    invite_id: InviteId,
    #[serde(with = "crate::b64::bytes")]
    request: Vec<u8>,
    #[serde(with = "crate::b64::array")]
    mac: [u8; 32],
    #[serde(with = "crate::b64::array")]
    signature: [u8; SIGNATURE_LEN],
}

/// A join request's id: the first 8 bytes of its body's SHA-256, as 16 hex digits.
pub type RequestId = String;

impl JoinRequest {
    /// Makes a request answering the invite with `secret`, signed with the member's `key`.
    pub fn create(body: &JoinRequestBody, secret: &InviteSecret, key: &SigningKey) -> Self {
        let request = serde_json::to_vec(body).expect("a request serialises");
        let mut mac = secret.mac();
        mac.update(&request);
        Self {
            v: 1,
            invite_id: body.invite_id,
            signature: SigningContext::JoinRequest.sign(key, &request),
            mac: mac.finalize().into_bytes().into(),
            request,
        }
    }

    /// The request as a JSON file.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a request serialises");
        json.push(b'\n');
        json
    }

    /// Reads a request file; nothing in it is trusted until [`JoinRequest::verify`].
    pub fn from_json(json: &[u8]) -> Result<Self, EnrolError> {
        let malformed = |reason: String| EnrolError::Malformed {
            what: "join request",
            reason,
        };
        if json.len() > MAX_REQUEST_BYTES {
            return Err(malformed(format!("{} bytes is too large", json.len())));
        }
        let request: Self = serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))?;
        if request.v != 1 {
            return Err(malformed(format!("version {} is not supported", request.v)));
        }
        Ok(request)
    }

    /// The invite it claims to answer (unverified until [`JoinRequest::verify`]).
    pub fn invite_id(&self) -> InviteId {
        self.invite_id
    }

    /// The request's id, stable across copies of the same file.
    pub fn id(&self) -> RequestId {
        HEXLOWER.encode(&Sha256::digest(&self.request)[..8])
    }

    /// Checks the HMAC under the invite's `secret` (in constant time), then parses the body and
    /// checks it names the same invite and is signed by the key it presents.
    pub fn verify(&self, secret: &InviteSecret) -> Result<JoinRequestBody, EnrolError> {
        let mut mac = secret.mac();
        mac.update(&self.request);
        mac.verify_slice(&self.mac)
            .map_err(|_| EnrolError::WrongSecret)?;
        let malformed = |reason: String| EnrolError::Malformed {
            what: "join request",
            reason,
        };
        let body: JoinRequestBody =
            serde_json::from_slice(&self.request).map_err(|e| malformed(e.to_string()))?;
        if body.v != 1 {
            return Err(malformed(format!("version {} is not supported", body.v)));
        }
        if body.invite_id != self.invite_id || body.invite_id != secret.id() {
            return Err(malformed("it names another invite".into()));
        }
        SigningContext::JoinRequest
            .verify(&body.sig_pk, &self.request, &self.signature)
            .map_err(|_| EnrolError::BadSignature {
                what: "join request",
            })?;
        Ok(body)
    }
}

/// A member's request to replace their keys, signed by the old key (so only the member can
/// ask) and by the new one (so they prove they hold it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChange {
    /// Format version: 1.
    pub v: u32,
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The member.
    pub member_id: MemberId,
    /// Their signing key until now.
    pub old_sig_pk: SigningPublicKey,
    /// Their `age1…` recipient until now.
    pub old_age_recipient: String,
    /// Their new signing key.
    pub new_sig_pk: SigningPublicKey,
    /// Their new `age1…` recipient.
    pub new_age_recipient: String,
    /// When they asked.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// The old key's signature over the [`key_change_statement`].
    #[serde(with = "crate::b64::array")]
    pub old_signature: [u8; SIGNATURE_LEN],
    /// The new key's signature over the same statement.
    #[serde(with = "crate::b64::array")]
    pub new_signature: [u8; SIGNATURE_LEN],
}

impl KeyChange {
    /// A key change from `old` to `new` keys, signed by both.
    pub fn create(
        cluster_id: ClusterId,
        member_id: MemberId,
        old: (&SigningKey, &str),
        new: (&SigningKey, &str),
        requested_at: OffsetDateTime,
    ) -> Self {
        let old_sig_pk = SigningPublicKey::from_signing_key(old.0);
        let new_sig_pk = SigningPublicKey::from_signing_key(new.0);
        let statement = key_change_statement(
            cluster_id,
            member_id,
            (&old_sig_pk, old.1),
            (&new_sig_pk, new.1),
        );
        Self {
            v: 1,
            cluster_id,
            member_id,
            old_sig_pk,
            old_age_recipient: old.1.to_owned(),
            new_sig_pk,
            new_age_recipient: new.1.to_owned(),
            requested_at,
            old_signature: SigningContext::KeyChange.sign(old.0, &statement),
            new_signature: SigningContext::KeyChange.sign(new.0, &statement),
        }
    }

    /// The request as a JSON file.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a key change serialises");
        json.push(b'\n');
        json
    }

    /// Reads a key-change file and checks both signatures. Whether the old key is the one the
    /// roster holds for this member is the coordinator's check.
    pub fn from_json(json: &[u8]) -> Result<Self, EnrolError> {
        let malformed = |reason: String| EnrolError::Malformed {
            what: "key change request",
            reason,
        };
        if json.len() > MAX_REQUEST_BYTES {
            return Err(malformed(format!("{} bytes is too large", json.len())));
        }
        let change: Self = serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))?;
        if change.v != 1 {
            return Err(malformed(format!("version {} is not supported", change.v)));
        }
        // The statement is fixed text rebuilt from the fields: an edit to any key or id breaks
        // the signatures, so parsing first is safe here. `requested_at` is not signed: it only
        // orders the coordinator's list.
        let statement = change.statement();
        let bad = EnrolError::BadSignature {
            what: "key change request",
        };
        SigningContext::KeyChange
            .verify(&change.old_sig_pk, &statement, &change.old_signature)
            .map_err(|_| bad.clone())?;
        SigningContext::KeyChange
            .verify(&change.new_sig_pk, &statement, &change.new_signature)
            .map_err(|_| bad)?;
        Ok(change)
    }

    /// The request's id: the first 8 bytes of the statement's SHA-256, as 16 hex digits.
    pub fn id(&self) -> RequestId {
        HEXLOWER.encode(&Sha256::digest(self.statement())[..8])
    }

    /// The statement both keys signed.
    pub fn statement(&self) -> Vec<u8> {
        key_change_statement(
            self.cluster_id,
            self.member_id,
            (&self.old_sig_pk, &self.old_age_recipient),
            (&self.new_sig_pk, &self.new_age_recipient),
        )
    }
}
