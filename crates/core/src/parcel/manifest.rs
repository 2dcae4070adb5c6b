//! The parcel manifest: the signed description of a parcel (who, to whom, what, which label).
//!
//! The bytes that were signed are kept and never re-serialised. Parsing is strict: unknown
//! fields are refused (a v1 reader must not silently ignore a field whose meaning it does not
//! know), and [`Manifest::check`] enforces the rules serde cannot express.

use std::fmt;
use std::str::FromStr;

use sealpost_format::{ClusterId, Label, MemberId, ParcelId, SigningPublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use super::names::{check_file_name, find_duplicate};

/// Tar entry holding the manifest, first in every parcel.
pub const MANIFEST_ENTRY: &str = "SEALPOST-MANIFEST.json";
/// Tar entry holding the manifest's Ed25519 signature, second in every parcel.
pub const SIGNATURE_ENTRY: &str = "SEALPOST-MANIFEST.sig";
/// Directory prefix of the file entries.
pub const FILES_PREFIX: &str = "files/";
/// Largest accepted manifest, in bytes.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// Longest accepted note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// What a parcel is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParcelKind {
    /// Files from a partner.
    Data,
    /// A signed receipt (delivered, opened, deleted) about another parcel.
    Receipt,
    /// The sender asks recipients to delete an earlier parcel.
    DeletionRequest,
    /// Files that replace an earlier parcel's (with `supersedes`).
    Correction,
    /// An IMO's information product, naming the parcels it was made from.
    Product,
    /// A report of a data incident or concern.
    Concern,
    /// A status update on a concern.
    ConcernUpdate,
    /// A partner asks the IMOs what they hold of its data (the right of access).
    AccessRequest,
    /// What an IMO did about a rights request (access, correction or deletion), sent back to
    /// the member who asked.
    RequestUpdate,
    /// A cluster secret shared by the coordinator (e.g. a pseudonymisation key).
    ClusterSecret,
}

impl ParcelKind {
    /// The kind's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            ParcelKind::Data => "data",
            ParcelKind::Receipt => "receipt",
            ParcelKind::DeletionRequest => "deletion-request",
            ParcelKind::Correction => "correction",
            ParcelKind::Product => "product",
            ParcelKind::Concern => "concern",
            ParcelKind::ConcernUpdate => "concern-update",
            ParcelKind::AccessRequest => "access-request",
            ParcelKind::RequestUpdate => "request-update",
            ParcelKind::ClusterSecret => "cluster-secret",
        }
    }
}

impl fmt::Display for ParcelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the parcel's file key is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// To the X25519 recipients listed in the manifest.
    X25519,
    /// With a password (age scrypt); the manifest lists no recipients.
    Scrypt,
}

/// Whether the tar stream is inside a zstd frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    /// One zstd frame, followed by skippable-frame padding.
    Zstd,
    /// A plain tar stream, followed by zero padding.
    None,
}

/// The member who sealed the parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// Their member id.
    pub member_id: MemberId,
    /// Their name, as they gave it.
    pub name: String,
    /// Their organisation, as they gave it.
    pub org: String,
    /// The key that signed the manifest.
    pub sig_pk: SigningPublicKey,
}

/// One addressee of the parcel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The `age1…` key the parcel is sealed to.
    pub age_recipient: String,
    /// Their member id, when known (always for the sender; from the roster for others).
    pub member_id: Option<MemberId>,
}

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl FromStr for Sha256Digest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bytes = data_encoding::HEXLOWER
            .decode(s.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| format!("a sha256 is 64 lowercase hex digits, got {s:?}"))?;
        Ok(Self(bytes))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One file in the parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The file's name (no directories).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content.
    pub sha256: Sha256Digest,
    /// Its media type, guessed from the name when sealed.
    pub media_type: String,
}

/// A parcel manifest, format version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version: 1.
    pub v: u32,
    /// The parcel's random id.
    pub parcel_id: ParcelId,
    /// What the parcel is for.
    pub kind: ParcelKind,
    /// When it was sealed (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The cluster it belongs to, once clusters exist for the sender.
    pub cluster_id: Option<ClusterId>,
    /// The roster version the sender addressed it with.
    pub roster_version: Option<u64>,
    /// Who sealed it.
    pub sender: Sender,
    /// How the file key is wrapped.
    pub encryption: Encryption,
    /// Every addressee, the sender included, sorted; empty for password-protected parcels.
    pub recipients: Vec<Recipient>,
    /// The confidentiality label.
    pub label: Label,
    /// A free-text note from the sender.
    pub note: Option<String>,
    /// The files, in the order of their tar entries.
    pub files: Vec<FileEntry>,
    /// Whether the tar stream is compressed.
    pub compression: Compression,
    /// The parcel this one corrects (`data`, `correction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<ParcelId>,
    /// The parcel this one is about (`receipt`, `deletion-request`, `concern-update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<ParcelId>,
    /// What happened (`receipt`: delivered, opened, deleted; `concern-update`: a status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The parcels a product was made from (`product`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ParcelId>>,
    /// The sender chose a lower label than the sensitivity scan suggested, and said why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_override: Option<LabelOverride>,
}

/// A label chosen below the scanner's suggestion, with the sender's reason: recorded in the
/// signed manifest so recipients see it and it stays accountable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelOverride {
    /// The label the scan suggested.
    pub suggested: Label,
    /// Why the sender chose a lower one, in their words.
    pub reason: String,
}

/// Longest accepted override reason, in characters.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 1000;

/// The shortest reason a sender may give for a lower label (characters, after trimming): "." or
/// "ok" says nothing to the recipients. Checked when a parcel is sealed, not when one is read,
/// so parcels sealed before this rule still verify. The desktop app's form mirrors it
/// (`ui/src/labels.ts`).
pub const MIN_OVERRIDE_REASON_CHARS: usize = 5;

impl LabelOverride {
    /// Whether `chosen` may be sealed when the sensitivity scan suggested `suggested`: the same
    /// or a higher label is always fine; a lower one only with a reason, which is then recorded
    /// in the manifest. The one place this rule lives, for the CLI and the desktop app alike.
    pub fn for_choice(
        chosen: Label,
        suggested: Label,
        reason: Option<&str>,
    ) -> Result<Option<Self>, super::SealError> {
        if chosen >= suggested {
            return Ok(None);
        }
        let Some(reason) = reason else {
            return Err(super::SealError::LabelBelowSuggestion { chosen, suggested });
        };
        if reason.trim().chars().count() < MIN_OVERRIDE_REASON_CHARS {
            return Err(super::SealError::InvalidPurpose {
                reason: format!(
                    "the reason for a lower label is too short: say in at least \
                     {MIN_OVERRIDE_REASON_CHARS} characters why the data is less sensitive than \
                     the scan found"
                ),
            });
        }
        let chosen_override = Self {
            suggested,
            reason: reason.trim().to_owned(),
        };
        chosen_override
            .check(chosen)
            .map_err(|reason| super::SealError::InvalidPurpose { reason })?;
        Ok(Some(chosen_override))
    }

    /// The rules an override follows: a real reason, for a label below the suggestion.
    pub(crate) fn check(&self, label: Label) -> Result<(), String> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err("the reason for a lower label is empty".into());
        }
        if self.reason.chars().count() > MAX_OVERRIDE_REASON_CHARS {
            return Err(format!(
                "the reason for a lower label is longer than {MAX_OVERRIDE_REASON_CHARS} characters"
            ));
        }
        if self.reason.chars().any(char::is_control) {
            return Err("the reason for a lower label holds control characters".into());
        }
        if self.suggested <= label {
            return Err(format!(
                "an override records a label below the suggestion, but {label} is not below {}",
                self.suggested
            ));
        }
        Ok(())
    }
}

/// Only the sender's key: what must be read from an untrusted manifest to check its signature.
#[derive(Deserialize)]
struct ClaimedSender {
    sender: ClaimedKey,
}

#[derive(Deserialize)]
struct ClaimedKey {
    sig_pk: SigningPublicKey,
}

impl Manifest {
    /// The signing key a manifest claims, read without interpreting anything else.
    pub(crate) fn claimed_signer(bytes: &[u8]) -> Result<SigningPublicKey, String> {
        serde_json::from_slice::<ClaimedSender>(bytes)
            .map(|claimed| claimed.sender.sig_pk)
            .map_err(|e| format!("cannot find the sender's key: {e}"))
    }

    /// Parses verified manifest bytes strictly and checks them.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The manifest's JSON bytes, as they will be signed.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest always serialises")
    }

    /// The rules a well-formed v1 manifest follows beyond its JSON shape.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.v != 1 {
            return Err(format!("manifest version {} is not supported", self.v));
        }
        for file in &self.files {
            check_file_name(&file.name)
                .map_err(|reason| format!("file name {:?} is refused: {reason}", file.name))?;
        }
        if let Some(dup) = find_duplicate(self.files.iter().map(|f| f.name.as_str())) {
            return Err(format!("file name {dup:?} appears twice"));
        }
        self.files
            .iter()
            .try_fold(0u64, |sum, f| sum.checked_add(f.size))
            .ok_or("the file sizes add up to more than 2^64 bytes")?;
        if let Some(note) = &self.note
            && note.chars().count() > MAX_NOTE_CHARS
        {
            return Err(format!(
                "the note is longer than {MAX_NOTE_CHARS} characters"
            ));
        }
        match self.encryption {
            Encryption::X25519 => {
                if !self.recipients.windows(2).all(|w| w[0] < w[1]) {
                    return Err("the recipients are not sorted or repeat".into());
                }
                if !self
                    .recipients
                    .iter()
                    .any(|r| r.member_id == Some(self.sender.member_id))
                {
                    return Err("the sender is not among the recipients".into());
                }
            }
            Encryption::Scrypt if !self.recipients.is_empty() => {
                return Err("a password-protected parcel lists recipients".into());
            }
            Encryption::Scrypt => {}
        }
        if let Some(o) = &self.label_override {
            o.check(self.label)?;
        }
        self.check_kind_fields()
    }

    fn check_kind_fields(&self) -> Result<(), String> {
        use ParcelKind::*;
        let allowed = |field: &str, present: bool, kinds: &[ParcelKind]| {
            if present && !kinds.contains(&self.kind) {
                Err(format!("a {} parcel cannot have `{field}`", self.kind))
            } else {
                Ok(())
            }
        };
        allowed("supersedes", self.supersedes.is_some(), &[Data, Correction])?;
        allowed(
            "about",
            self.about.is_some(),
            &[
                Receipt,
                DeletionRequest,
                ConcernUpdate,
                AccessRequest,
                RequestUpdate,
            ],
        )?;
        allowed(
            "event",
            self.event.is_some(),
            &[Receipt, ConcernUpdate, RequestUpdate],
        )?;
        if matches!(self.kind, RequestUpdate) && (self.about.is_none() || self.event.is_none()) {
            return Err(
                "a request-update parcel must name the request (`about`) and its \
                        status (`event`)"
                    .into(),
            );
        }
        allowed("sources", self.sources.is_some(), &[Product])?;
        if self.kind == Product && self.sources.as_ref().is_none_or(Vec::is_empty) {
            return Err(
                "a product parcel must name the parcels it was made from in `sources`".into(),
            );
        }
        if self.kind == Correction && self.supersedes.is_none() {
            return Err("a correction parcel must name the parcel it `supersedes`".into());
        }
        if let Some(event) = &self.event
            && (event.is_empty()
                || event.len() > 32
                || !event.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        {
            return Err(format!("event {event:?} is not a short lowercase word"));
        }
        Ok(())
    }

    /// Total size of the files, in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        let sender_id = MemberId::from_bytes([1; 16]);
        Manifest {
            v: 1,
            parcel_id: ParcelId::from_bytes([2; 16]),
            kind: ParcelKind::Data,
            created_at: time::macros::datetime!(2026-11-24 10:00:00 UTC),
            cluster_id: None,
            roster_version: None,
            sender: Sender {
                member_id: sender_id,
                name: "Aye".into(),
                org: "NGO".into(),
                sig_pk: SigningPublicKey::from_signing_key(&ed25519_dalek::SigningKey::from_bytes(
                    &[3; 32],
                )),
            },
            encryption: Encryption::X25519,
            recipients: vec![Recipient {
                age_recipient: "age1sender".into(),
                member_id: Some(sender_id),
            }],
            label: Label::Confidential,
            note: Some("Q3".into()),
            files: vec![FileEntry {
                name: "a.csv".into(),
                size: 3,
                sha256: Sha256Digest([0; 32]),
                media_type: "text/csv".into(),
            }],
            compression: Compression::Zstd,
            supersedes: None,
            about: None,
            event: None,
            sources: None,
            label_override: None,
        }
    }

    #[test]
    fn round_trips_and_keeps_field_names() {
        let m = sample();
        let bytes = m.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        for key in [
            "\"v\":1",
            "\"parcel_id\"",
            "\"kind\":\"data\"",
            "\"created_at\":\"2026-11-24T10:00:00Z\"",
            "\"cluster_id\":null",
            "\"roster_version\":null",
            "\"sig_pk\":\"ed25519:",
            "\"recipients\"",
            "\"label\":\"confidential\"",
            "\"files\"",
            "\"media_type\"",
            "\"compression\":\"zstd\"",
        ] {
            assert!(text.contains(key), "{key} missing in {text}");
        }
        assert!(!text.contains("supersedes"));
        assert_eq!(Manifest::parse(&bytes).unwrap(), m);
        assert_eq!(Manifest::claimed_signer(&bytes).unwrap(), m.sender.sig_pk);
    }

    #[test]
    fn strict_rules_refuse_bad_manifests() {
        type Mutation = Box<dyn Fn(&mut Manifest)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("version", Box::new(|m| m.v = 2)),
            ("refused", Box::new(|m| m.files[0].name = "../x".into())),
            (
                "twice",
                Box::new(|m| {
                    let mut f = m.files[0].clone();
                    f.name = "A.CSV".into();
                    m.files.push(f);
                }),
            ),
            ("note", Box::new(|m| m.note = Some("x".repeat(4001)))),
            (
                "sender is not",
                Box::new(|m| m.recipients[0].member_id = None),
            ),
            (
                "sorted",
                Box::new(|m| {
                    let r = m.recipients[0].clone();
                    m.recipients.push(r);
                }),
            ),
            (
                "lists recipients",
                Box::new(|m| m.encryption = Encryption::Scrypt),
            ),
            (
                "cannot have `sources`",
                Box::new(|m| m.sources = Some(vec![])),
            ),
            ("must name", Box::new(|m| m.kind = ParcelKind::Correction)),
            (
                "lowercase word",
                Box::new(|m| {
                    m.kind = ParcelKind::Receipt;
                    m.event = Some("Opened!".into());
                }),
            ),
            (
                "2^64",
                Box::new(|m| {
                    let mut f = m.files[0].clone();
                    f.name = "b.csv".into();
                    f.size = u64::MAX;
                    m.files.push(f);
                }),
            ),
        ];
        for (expect, mutate) in cases {
            let mut m = sample();
            mutate(&mut m);
            let err = Manifest::parse(&m.to_bytes()).unwrap_err();
            assert!(err.contains(expect), "{expect}: {err}");
        }
    }

    #[test]
    fn a_lower_label_needs_a_reason_that_is_recorded_and_checked() {
        use super::super::SealError;
        // Raising is free; the same label needs nothing.
        assert_eq!(
            LabelOverride::for_choice(Label::HighlyConfidential, Label::Confidential, None)
                .unwrap(),
            None
        );
        assert_eq!(
            LabelOverride::for_choice(Label::Confidential, Label::Confidential, Some("x")).unwrap(),
            None
        );
        // Lowering without a reason is refused, naming both labels.
        let refused =
            LabelOverride::for_choice(Label::Public, Label::HighlyConfidential, None).unwrap_err();
        assert!(matches!(refused, SealError::LabelBelowSuggestion { .. }));
        assert_eq!(refused.code(), "label-below-suggestion");
        assert!(
            refused.to_string().contains("--override-reason"),
            "{refused}"
        );
        // Blank or control-character reasons are not reasons.
        for bad in ["   ", "ok\u{7}", " ok. ", "ok, sure\u{7}"] {
            assert!(
                LabelOverride::for_choice(Label::Public, Label::Restricted, Some(bad)).is_err()
            );
        }
        // A reason is trimmed, recorded, signed and read back.
        let chosen = LabelOverride::for_choice(
            Label::Restricted,
            Label::HighlyConfidential,
            Some("  names are of public officials  "),
        )
        .unwrap()
        .unwrap();
        assert_eq!(chosen.reason, "names are of public officials");
        let mut m = sample();
        m.label = Label::Restricted;
        m.label_override = Some(chosen.clone());
        let bytes = m.to_bytes();
        assert!(
            std::str::from_utf8(&bytes)
                .unwrap()
                .contains("\"label_override\"")
        );
        assert_eq!(
            Manifest::parse(&bytes).unwrap().label_override,
            Some(chosen)
        );
        // A manifest whose "override" is not below the suggestion is refused.
        m.label = Label::HighlyConfidential;
        assert!(
            Manifest::parse(&m.to_bytes())
                .unwrap_err()
                .contains("not below")
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = String::from_utf8(sample().to_bytes()).unwrap();
        let extra = text.replacen("{", "{\"surprise\":1,", 1);
        assert!(
            Manifest::parse(extra.as_bytes())
                .unwrap_err()
                .contains("surprise")
        );
    }
}
