//! The cluster roster: the coordinator-signed list of members, their keys and roles, and the
//! cluster's handling policy; and the rules by which a client (or the relay) accepts a newer
//! version of it.
//!
//! A roster travels as a [`SignedRoster`]: the exact JSON bytes the coordinator signed, the
//! signing key and the signature. The bytes are verified before they are parsed and never
//! re-serialised, so what was signed is what is read.
//!
//! Acceptance ([`VerifiedRoster::successor`]): signed by the coordinator key named in the roster
//! already held (so a coordinator hands over by signing, with the old key, a roster that names
//! the new one); the next version exactly; `prev_hash` equal to the held roster's hash; not
//! expired; no member dropped; and no member's keys changed unless the new entry carries a key
//! change signed by the previous key.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use data_encoding::HEXLOWER;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::enrol::CoordinatorPin;
use crate::{ClusterId, Label, MemberId, SIGNATURE_LEN, SigningContext, SigningPublicKey};

/// Largest roster accepted, in bytes of signed JSON (a 500-member cluster needs about 250 KiB).
pub const MAX_ROSTER_BYTES: usize = 4 << 20;
/// Most members a roster may list, removed ones included.
pub const MAX_MEMBERS: usize = 10_000;
const MAX_TEXT_CHARS: usize = 200;

/// Why a roster is refused. Each message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// The bytes are not a Sealpost roster, or break its structural rules.
    #[error(
        "this is not a valid Sealpost roster ({0}); ask the coordinator to export it again \
         (`sealpost roster export`)"
    )]
    Malformed(String),
    /// The roster is larger than [`MAX_ROSTER_BYTES`].
    #[error(
        "the roster is {size} bytes, more than the {MAX_ROSTER_BYTES} a roster may have; it is \
         not a roster this version of Sealpost can read, so ask the coordinator what they sent"
    )]
    TooLarge {
        /// Its size in bytes.
        size: usize,
    },
    /// Signed by a key other than the coordinator key this client trusts.
    #[error(
        "this roster is signed by coordinator key {signer}, not by the coordinator key you trust \
         ({trusted}); it may be forged or belong to another cluster. Ask your coordinator by \
         phone which key they sign with (the first line of their `sealpost whoami`)"
    )]
    WrongSigner {
        /// Pin of the key that signed it.
        signer: CoordinatorPin,
        /// Pin of the key that should have.
        trusted: CoordinatorPin,
    },
    /// The signature does not match the bytes.
    #[error(
        "the roster's signature does not verify: it was changed after the coordinator signed it, \
         or forged. Do not use it; ask the coordinator for a fresh export"
    )]
    BadSignature,
    /// A roster of another cluster.
    #[error(
        "this roster is for cluster {got}, but you are a member of cluster {held}; check that \
         you were sent the right file (each data directory belongs to one cluster)"
    )]
    OtherCluster {
        /// The cluster of the roster held.
        held: ClusterId,
        /// The cluster of the roster offered.
        got: ClusterId,
    },
    /// The exact roster already held.
    #[error("you already hold roster version {version}; nothing changed")]
    Unchanged {
        /// Its version.
        version: u64,
    },
    /// An older version than the one held.
    #[error(
        "this is roster version {got}, older than version {held} which you already hold; an old \
         roster cannot replace a newer one (it could bring back removed members). Ask the \
         coordinator for the current roster"
    )]
    Rollback {
        /// Version held.
        held: u64,
        /// Version offered.
        got: u64,
    },
    /// The same version as the one held, with different contents.
    #[error(
        "this roster claims version {version}, which you already hold with different contents: \
         the coordinator key has signed two conflicting rosters, by mistake or because it was \
         stolen. Keep both files and tell the coordinator at once"
    )]
    Fork {
        /// The version number both claim.
        version: u64,
    },
    /// Versions are missing between the one held and the one offered.
    #[error(
        "this is roster version {got}, but you hold version {held}: import {} first (the \
         coordinator exports each with `sealpost roster export --roster-version N`), or all \
         of them at once, oldest first",
        missing_versions(*held, *got)
    )]
    Gap {
        /// Version held.
        held: u64,
        /// Version offered.
        got: u64,
    },
    /// `prev_hash` does not name the roster held.
    #[error(
        "roster version {version} does not follow from the roster you hold (its prev_hash \
         differs): it was issued from a different history. Keep the file and tell the coordinator"
    )]
    BrokenChain {
        /// The offered version.
        version: u64,
    },
    /// Past its `expires_at`.
    #[error(
        "roster version {version} expired on {expired_at}; ask the coordinator to renew it \
         (`sealpost cluster renew`) and send you the new one"
    )]
    Expired {
        /// Its version.
        version: u64,
        /// When it expired (RFC 3339).
        expired_at: String,
    },
    /// A member's keys changed without a key change signed by their previous key.
    #[error(
        "the keys of {name} ({member_id}) changed without a key change signed by their previous \
         key; this is what a substituted key looks like, so the roster is refused. Ask {name} by \
         phone whether they changed keys, and tell the coordinator"
    )]
    SilentKeyChange {
        /// The member.
        member_id: MemberId,
        /// Their name in the held roster.
        name: String,
    },
    /// A member vanished instead of being marked removed.
    #[error(
        "{name} ({member_id}) is missing from the new roster; members are marked removed, never \
         dropped, so the history stays verifiable. Tell the coordinator"
    )]
    MemberDropped {
        /// The member.
        member_id: MemberId,
        /// Their name in the held roster.
        name: String,
    },
}

fn missing_versions(held: u64, got: u64) -> String {
    if got == held + 2 {
        format!("version {}", held + 1)
    } else {
        format!("versions {} to {}", held + 1, got - 1)
    }
}

impl RosterError {
    /// A stable machine-readable code for this refusal (for scripts, the app and the relay).
    pub fn code(&self) -> &'static str {
        match self {
            RosterError::Malformed(_) => "roster-malformed",
            RosterError::TooLarge { .. } => "roster-too-large",
            RosterError::WrongSigner { .. } => "roster-wrong-signer",
            RosterError::BadSignature => "roster-bad-signature",
            RosterError::OtherCluster { .. } => "roster-other-cluster",
            RosterError::Unchanged { .. } => "roster-unchanged",
            RosterError::Rollback { .. } => "roster-rollback",
            RosterError::Fork { .. } => "roster-fork",
            RosterError::Gap { .. } => "roster-gap",
            RosterError::BrokenChain { .. } => "roster-broken-chain",
            RosterError::Expired { .. } => "roster-expired",
            RosterError::SilentKeyChange { .. } => "roster-silent-key-change",
            RosterError::MemberDropped { .. } => "roster-member-dropped",
        }
    }
}

/// What a member may do in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Enrols and removes members; receives concerns. One coordinator signs the roster.
    Coordinator,
    /// An information-management officer: receives partners' data, publishes products.
    Imo,
    /// A partner organisation's staff member: sends data to the IMOs.
    Partner,
}

impl Role {
    /// The role's name as written in rosters and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Imo => "imo",
            Role::Partner => "partner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "coordinator" => Ok(Role::Coordinator),
            "imo" => Ok(Role::Imo),
            "partner" => Ok(Role::Partner),
            _ => Err(format!(
                "unknown role {s:?}: use one of imo, partner, coordinator"
            )),
        }
    }
}

/// Whether a member is in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    /// A current member.
    Active,
    /// Removed: may no longer send or receive; kept so that old parcels still say who sent them.
    Removed,
}

/// The roster's SHA-256 over its signed bytes, written `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RosterHash([u8; 32]);

impl RosterHash {
    /// The hash of a roster's signed bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::new().chain_update(bytes).finalize().into())
    }
}

impl fmt::Display for RosterHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for RosterHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RosterHash({self})")
    }
}

impl Serialize for RosterHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RosterHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("a roster hash is `sha256:` and 64 hex digits");
        let hex = text.strip_prefix("sha256:").ok_or_else(bad)?;
        let bytes = HEXLOWER.decode(hex.as_bytes()).map_err(|_| bad())?;
        Ok(Self(bytes.try_into().map_err(|_| bad())?))
    }
}

/// The key that signs the roster, and the member who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorKey {
    /// The coordinating member.
    pub member_id: MemberId,
    /// Their signing key, which signs the next roster.
    pub sig_pk: SigningPublicKey,
}

/// How members' apps handle parcels of one label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelHandling {
    /// Days a received parcel is kept in the app before it is deleted; `None` keeps it.
    pub local_retention_days: Option<u32>,
    /// Whether the app offers pseudonymisation before sending.
    pub pseudonymise_prompt: bool,
    /// Whether a recipient may forward the parcel's contents to others.
    pub forwarding_allowed: bool,
}

/// Per-label handling, one entry for each label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelPolicies {
    /// `public` parcels.
    pub public: LabelHandling,
    /// `restricted` parcels.
    pub restricted: LabelHandling,
    /// `confidential` parcels.
    pub confidential: LabelHandling,
    /// `highly-confidential` parcels.
    #[serde(rename = "highly-confidential")]
    pub highly_confidential: LabelHandling,
}

impl LabelPolicies {
    /// The handling of one label.
    pub fn get(&self, label: Label) -> &LabelHandling {
        match label {
            Label::Public => &self.public,
            Label::Restricted => &self.restricted,
            Label::Confidential => &self.confidential,
            Label::HighlyConfidential => &self.highly_confidential,
        }
    }
}

/// The cluster's handling policy, signed with the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Days the relay keeps a blob: one value for every label, so that no expiry time can
    /// reveal a parcel's label to the relay.
    pub relay_retention_days: u32,
    /// Handling in members' apps, per label.
    pub labels: LabelPolicies,
    /// Days an IMO has to answer a partner's rights request (access, correction, deletion)
    /// before the apps call it overdue.
    #[serde(default = "default_rights_response_days")]
    pub rights_response_days: u32,
    /// The cluster's recovery key (`age1…`), held offline by the coordinator: when set, every
    /// parcel is also sealed to it, so that the coordinator can restore a member's access to
    /// parcels sealed to a key that was lost. Absent: nobody but the addressees can open them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_recipient: Option<String>,
}

/// The days [`Policy::rights_response_days`] gives when a roster does not say.
pub const DEFAULT_RIGHTS_RESPONSE_DAYS: u32 = 30;

fn default_rights_response_days() -> u32 {
    DEFAULT_RIGHTS_RESPONSE_DAYS
}

impl Default for Policy {
    /// The policy a new cluster starts with, following the cluster data policy: the more
    /// sensitive the label, the shorter it is kept and the less it travels.
    fn default() -> Self {
        let handling = |days, prompt, forward| LabelHandling {
            local_retention_days: days,
            pseudonymise_prompt: prompt,
            forwarding_allowed: forward,
        };
        Self {
            relay_retention_days: 30,
            labels: LabelPolicies {
                public: handling(None, false, true),
                restricted: handling(Some(365), false, true),
                confidential: handling(Some(180), true, false),
                highly_confidential: handling(Some(90), true, false),
            },
            rights_response_days: DEFAULT_RIGHTS_RESPONSE_DAYS,
            recovery_recipient: None,
        }
    }
}

/// A key a member used before, with the proof that it handed over to the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousKey {
    /// The previous signing key.
    pub sig_pk: SigningPublicKey,
    /// The previous `age1…` recipient.
    pub age_recipient: String,
    /// The previous signing key's signature over the [`key_change_statement`] from these keys
    /// to the member's next ones.
    #[serde(with = "crate::b64::array")]
    pub change_signature: [u8; SIGNATURE_LEN],
}

/// One member of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterMember {
    /// Their member id.
    pub member_id: MemberId,
    /// Their name, as the coordinator approved it.
    pub name: String,
    /// Their organisation.
    pub org: String,
    /// What they may do.
    pub roles: Vec<Role>,
    /// Their current signing key.
    pub sig_pk: SigningPublicKey,
    /// Their current `age1…` recipient.
    pub age_recipient: String,
    /// Whether they are still a member.
    pub status: MemberStatus,
    /// Keys they used before, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_keys: Vec<PreviousKey>,
}

impl RosterMember {
    /// Whether the member is active and has `role`.
    pub fn is_active_with(&self, role: Role) -> bool {
        self.status == MemberStatus::Active && self.roles.contains(&role)
    }

    /// Whether `sig_pk` is one of this member's previous signing keys.
    pub fn had_key(&self, sig_pk: &SigningPublicKey) -> bool {
        self.previous_keys.iter().any(|k| &k.sig_pk == sig_pk)
    }
}

/// The text a member's old key signs (and the new key too, in a key-change request) to hand
/// over to new keys. Fixed text, not JSON, so each side rebuilds exactly the same bytes.
pub fn key_change_statement(
    cluster_id: ClusterId,
    member_id: MemberId,
    old: (&SigningPublicKey, &str),
    new: (&SigningPublicKey, &str),
) -> Vec<u8> {
    format!(
        "cluster {cluster_id}\nmember {member_id}\nold {} {}\nnew {} {}\n",
        old.0, old.1, new.0, new.1
    )
    .into_bytes()
}

/// A roster's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Format version: 1.
    pub v: u32,
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The cluster's name, e.g. "Myanmar Protection Cluster".
    pub name: String,
    /// 1 for the first roster, then one more for each change.
    pub version: u64,
    /// The hash of the previous version's signed bytes; `None` for version 1.
    pub prev_hash: Option<RosterHash>,
    /// When it was signed.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When clients stop accepting it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Who signs the next version.
    pub coordinator: CoordinatorKey,
    /// How labels are handled.
    pub policy: Policy,
    /// Every member, removed ones included.
    pub members: Vec<RosterMember>,
}

impl Roster {
    /// The member with this id, whatever their status.
    pub fn member(&self, id: MemberId) -> Option<&RosterMember> {
        self.members.iter().find(|m| m.member_id == id)
    }

    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// Checks the structural rules every roster must meet, whoever signed it.
    pub fn check(&self) -> Result<(), RosterError> {
        let bad = |reason: String| Err(RosterError::Malformed(reason));
        if self.v != 1 {
            return bad(format!("roster format {} is not supported", self.v));
        }
        check_text("the cluster name", &self.name)?;
        if self.version == 0 {
            return bad("versions start at 1".into());
        }
        if (self.version == 1) != self.prev_hash.is_none() {
            return bad("version 1, and only version 1, has no prev_hash".into());
        }
        if self.expires_at <= self.issued_at {
            return bad("it expires before it was issued".into());
        }
        if self.members.len() > MAX_MEMBERS {
            return bad(format!("more than {MAX_MEMBERS} members"));
        }
        let mut ids = HashSet::new();
        let mut keys = HashSet::new();
        for m in &self.members {
            if !ids.insert(m.member_id) {
                return bad(format!("member {} is listed twice", m.member_id));
            }
            check_text("a member name", &m.name)?;
            check_text("an organisation", &m.org)?;
            let unique_roles: HashSet<_> = m.roles.iter().collect();
            if m.roles.is_empty() || unique_roles.len() != m.roles.len() {
                return bad(format!("{} needs one or more distinct roles", m.name));
            }
            // A key shared by two members would make "who signed this" ambiguous.
            for key in std::iter::once(&m.sig_pk).chain(m.previous_keys.iter().map(|k| &k.sig_pk)) {
                if !keys.insert(*key) {
                    return bad(format!("signing key {key} appears twice"));
                }
            }
            for recipient in std::iter::once(&m.age_recipient)
                .chain(m.previous_keys.iter().map(|k| &k.age_recipient))
            {
                check_age_recipient(recipient)?;
            }
            self.check_key_history(m)?;
        }
        match self.member(self.coordinator.member_id) {
            Some(c)
                if c.is_active_with(Role::Coordinator) && c.sig_pk == self.coordinator.sig_pk =>
            {
                Ok(())
            }
            _ => bad(
                "the coordinator key must belong to an active member with the coordinator role"
                    .into(),
            ),
        }
    }

    /// Each previous key signed the change to the keys that followed it.
    fn check_key_history(&self, m: &RosterMember) -> Result<(), RosterError> {
        let nexts = m
            .previous_keys
            .iter()
            .skip(1)
            .map(|k| (&k.sig_pk, k.age_recipient.as_str()))
            .chain(std::iter::once((&m.sig_pk, m.age_recipient.as_str())));
        for (old, new) in m.previous_keys.iter().zip(nexts) {
            let statement = key_change_statement(
                self.cluster_id,
                m.member_id,
                (&old.sig_pk, &old.age_recipient),
                new,
            );
            SigningContext::KeyChange
                .verify(&old.sig_pk, &statement, &old.change_signature)
                .map_err(|_| {
                    RosterError::Malformed(format!(
                        "the key change of {} is not signed by their previous key",
                        m.name
                    ))
                })?;
        }
        Ok(())
    }
}

fn check_text(what: &str, text: &str) -> Result<(), RosterError> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_TEXT_CHARS || text.chars().any(char::is_control) {
        return Err(RosterError::Malformed(format!(
            "{what} must be 1 to {MAX_TEXT_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

fn check_age_recipient(text: &str) -> Result<(), RosterError> {
    // The full Bech32 check needs `age`, which this crate must not link; the client parses
    // every recipient it seals to, so this only keeps nonsense out of the roster.
    let ok = text.starts_with("age1")
        && text.len() < 100
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(RosterError::Malformed(format!(
            "{text:?} is not an age1… recipient"
        )))
    }
}

/// A roster as it travels: the exact signed bytes, the key that signed them and the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRoster {
    bytes: Vec<u8>,
    signer: SigningPublicKey,
    signature: [u8; SIGNATURE_LEN],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    v: u32,
    #[serde(with = "crate::b64::bytes")]
    roster: Vec<u8>,
    signer: SigningPublicKey,
    #[serde(with = "crate::b64::array")]
    signature: [u8; SIGNATURE_LEN],
}

impl fmt::Debug for SignedRoster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRoster")
            .field("hash", &self.hash())
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl SignedRoster {
    /// Signs `roster` with the coordinator key `key`, after checking its structure.
    pub fn sign(roster: &Roster, key: &SigningKey) -> Result<Self, RosterError> {
        roster.check()?;
        let bytes = serde_json::to_vec(roster).expect("a roster serialises");
        if bytes.len() > MAX_ROSTER_BYTES {
            return Err(RosterError::TooLarge { size: bytes.len() });
        }
        let signature = SigningContext::Roster.sign(key, &bytes);
        Ok(Self {
            bytes,
            signer: SigningPublicKey::from_signing_key(key),
            signature,
        })
    }

    /// The envelope as JSON, the form rosters are stored, exported and served in.
    pub fn to_json(&self) -> Vec<u8> {
        let envelope = Envelope {
            v: 1,
            roster: self.bytes.clone(),
            signer: self.signer,
            signature: self.signature,
        };
        let mut json = serde_json::to_vec_pretty(&envelope).expect("an envelope serialises");
        json.push(b'\n');
        json
    }

    /// Reads an envelope; nothing inside it is trusted yet.
    pub fn from_json(json: &[u8]) -> Result<Self, RosterError> {
        // Base64 takes 4 characters per 3 bytes; allow for the rest of the envelope.
        if json.len() > MAX_ROSTER_BYTES / 3 * 4 + 4096 {
            return Err(RosterError::TooLarge { size: json.len() });
        }
        let envelope: Envelope = serde_json::from_slice(json)
            .map_err(|e| RosterError::Malformed(format!("not a signed roster file: {e}")))?;
        if envelope.v != 1 {
            return Err(RosterError::Malformed(format!(
                "envelope version {} is not supported",
                envelope.v
            )));
        }
        if envelope.roster.len() > MAX_ROSTER_BYTES {
            return Err(RosterError::TooLarge {
                size: envelope.roster.len(),
            });
        }
        Ok(Self {
            bytes: envelope.roster,
            signer: envelope.signer,
            signature: envelope.signature,
        })
    }

    /// The signed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key that claims to have signed it.
    pub fn signer(&self) -> &SigningPublicKey {
        &self.signer
    }

    /// The cluster and version the roster claims, **unverified**; `None` if unreadable.
    pub fn claim(&self) -> Option<RosterClaim> {
        serde_json::from_slice(&self.bytes).ok()
    }

    /// The hash later versions name as `prev_hash`.
    pub fn hash(&self) -> RosterHash {
        RosterHash::of(&self.bytes)
    }

    /// Verifies the signature by `trusted`, then parses and checks the roster. Expiry and
    /// succession are the caller's rules ([`VerifiedRoster::successor`],
    /// [`SignedRoster::verify_pinned`]).
    pub fn verify(self, trusted: &SigningPublicKey) -> Result<VerifiedRoster, RosterError> {
        if &self.signer != trusted {
            return Err(RosterError::WrongSigner {
                signer: CoordinatorPin::of(&self.signer),
                trusted: CoordinatorPin::of(trusted),
            });
        }
        SigningContext::Roster
            .verify(trusted, &self.bytes, &self.signature)
            .map_err(|_| RosterError::BadSignature)?;
        let roster: Roster = serde_json::from_slice(&self.bytes)
            .map_err(|e| RosterError::Malformed(e.to_string()))?;
        roster.check()?;
        Ok(VerifiedRoster {
            hash: self.hash(),
            signed: self,
            roster,
        })
    }

    /// The first roster a joining member accepts: signed by the key whose pin the invite
    /// carried — or by the coordinator's current key when the pinned key is one of the
    /// coordinator's previous keys, which signed the change to the next (so an invite issued
    /// before the coordinator changed keys still works) — for the invite's cluster, and not
    /// expired.
    pub fn verify_pinned(
        self,
        pin: &CoordinatorPin,
        cluster_id: ClusterId,
        now: OffsetDateTime,
    ) -> Result<VerifiedRoster, RosterError> {
        let wrong_signer = RosterError::WrongSigner {
            signer: CoordinatorPin::of(&self.signer),
            trusted: *pin,
        };
        let pinned_directly = &CoordinatorPin::of(&self.signer) == pin;
        let signer = self.signer;
        // The signature is checked by the key the envelope names before anything is parsed;
        // that key is then trusted only if it is the pinned one, or the pinned key handed over
        // to it through the coordinator's signed key history.
        let verified = self.verify(&signer)?;
        let roster = verified.roster();
        if !pinned_directly {
            let handed_over = roster.coordinator.sig_pk == signer
                && roster
                    .member(roster.coordinator.member_id)
                    .is_some_and(|c| {
                        c.previous_keys
                            .iter()
                            .any(|k| &CoordinatorPin::of(&k.sig_pk) == pin)
                    });
            if !handed_over {
                return Err(wrong_signer);
            }
        }
        if roster.cluster_id != cluster_id {
            return Err(RosterError::OtherCluster {
                held: cluster_id,
                got: roster.cluster_id,
            });
        }
        check_not_expired(roster, now)?;
        Ok(verified)
    }
}

/// Refuses a version older than the one held, or one that skips versions.
fn check_step(held: u64, got: u64) -> Result<(), RosterError> {
    if got < held {
        return Err(RosterError::Rollback { held, got });
    }
    if got > held + 1 {
        return Err(RosterError::Gap { held, got });
    }
    Ok(())
}

fn check_not_expired(roster: &Roster, now: OffsetDateTime) -> Result<(), RosterError> {
    if roster.is_expired(now) {
        return Err(RosterError::Expired {
            version: roster.version,
            expired_at: rfc3339(roster.expires_at),
        });
    }
    Ok(())
}

/// An RFC 3339 UTC time, as rosters write them.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats")
}

/// What a roster claims to be, read before its signature is checked: only ever used to
/// classify a refusal or to skip a roster, never to trust one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RosterClaim {
    /// The cluster it claims to be for.
    pub cluster_id: ClusterId,
    /// The version it claims to be.
    pub version: u64,
}

/// A roster whose signature and structure have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedRoster {
    signed: SignedRoster,
    roster: Roster,
    hash: RosterHash,
}

impl VerifiedRoster {
    /// Its contents.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The signed form, to store or pass on.
    pub fn signed(&self) -> &SignedRoster {
        &self.signed
    }

    /// Its hash.
    pub fn hash(&self) -> RosterHash {
        self.hash
    }

    /// Accepts `next` as the version after this one, under every succession rule; see the
    /// module documentation. The same roster again is [`RosterError::Unchanged`].
    pub fn successor(
        &self,
        next: SignedRoster,
        now: OffsetDateTime,
    ) -> Result<VerifiedRoster, RosterError> {
        let held = &self.roster;
        // Versions are compared before the signer is: a roster signed before a coordinator
        // handover is then refused as old (or as a gap) rather than as "signed by another key",
        // which would send people hunting for a forgery. Peeking at the unverified version is
        // safe because it can only lead to a refusal.
        if next.bytes == self.signed.bytes {
            return Err(RosterError::Unchanged {
                version: held.version,
            });
        }
        // Only for a roster claiming this cluster: another cluster's roster is reported as not
        // signed by our coordinator, whatever its version number.
        if let Some(peeked) = next.claim()
            && peeked.cluster_id == held.cluster_id
        {
            check_step(held.version, peeked.version)?;
        }
        // Same version, other bytes: a fork only if the key that signed the held version also
        // signed this one; otherwise it is simply not the coordinator's.
        let signer = if next.signer == self.signed.signer {
            self.signed.signer
        } else {
            held.coordinator.sig_pk
        };
        let next = next.verify(&signer)?;
        let new = &next.roster;
        if new.cluster_id != held.cluster_id {
            return Err(RosterError::OtherCluster {
                held: held.cluster_id,
                got: new.cluster_id,
            });
        }
        if new.version == held.version {
            return Err(RosterError::Fork {
                version: held.version,
            });
        }
        // A roster signed by the held version's own signer, rather than by the coordinator it
        // names, is acceptable only as a fork report above, never as a successor.
        if next.signed.signer != held.coordinator.sig_pk {
            return Err(RosterError::WrongSigner {
                signer: CoordinatorPin::of(&next.signed.signer),
                trusted: CoordinatorPin::of(&held.coordinator.sig_pk),
            });
        }
        check_step(held.version, new.version)?;
        if new.prev_hash != Some(self.hash) {
            return Err(RosterError::BrokenChain {
                version: new.version,
            });
        }
        check_not_expired(new, now)?;
        let by_id: std::collections::HashMap<MemberId, &RosterMember> =
            new.members.iter().map(|m| (m.member_id, m)).collect();
        for old in &held.members {
            let Some(&now_entry) = by_id.get(&old.member_id) else {
                return Err(RosterError::MemberDropped {
                    member_id: old.member_id,
                    name: old.name.clone(),
                });
            };
            let same_keys =
                now_entry.sig_pk == old.sig_pk && now_entry.age_recipient == old.age_recipient;
            // Unchanged keys keep their history; changed keys add exactly the held keys to it
            // (their signature over the change was checked with the roster's structure).
            let history_ok = if same_keys {
                now_entry.previous_keys == old.previous_keys
            } else {
                now_entry.previous_keys.len() == old.previous_keys.len() + 1
                    && now_entry.previous_keys[..old.previous_keys.len()] == old.previous_keys[..]
                    && now_entry.previous_keys.last().is_some_and(|k| {
                        k.sig_pk == old.sig_pk && k.age_recipient == old.age_recipient
                    })
            };
            if !history_ok {
                return Err(RosterError::SilentKeyChange {
                    member_id: old.member_id,
                    name: old.name.clone(),
                });
            }
        }
        Ok(next)
    }
}
