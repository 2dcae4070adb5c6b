//! The mailroom: a member's parcels on their own computer, and the sync engine that moves them
//! through the relay.
//!
//! - The **store** ([`store`]) is an SQLCipher database in the data directory, keyed from the
//!   member's keystore; the **vault** beside it (`vault/`) holds every parcel sealed, exactly as
//!   it travels. Nothing is decrypted until the member opens a parcel.
//! - **Sending** seals once into the vault and queues the parcel in the outbox; [`Mailroom::sync`]
//!   uploads it (tus), resuming from the relay's offset after any failure.
//! - **Receiving** downloads with `Range` (resuming after any failure), verifies the whole
//!   parcel, keeps it sealed, and answers with a signed `delivered` receipt.
//! - **Partners' rights**: receipts (delivered, opened, deleted) back to the sender, corrections
//!   (`supersedes`), deletion requests answered with an honest deletion receipt.
//! - The **audit log** ([`audit`]) records all of it, hash-chained and signed.
//!
//! The CLI and the desktop app call only this API.

mod audit;
mod inbox;
mod outbox;
mod rights;
pub mod sharing_log;
mod store;
mod transfer;

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sealpost_format::roster::{MemberStatus, Role, Roster};
use sealpost_format::{Label, MemberId, ParcelId, SigningPublicKey};
use serde::Serialize;
use time::OffsetDateTime;

pub use audit::{LogEntry, LogVerification};
pub use rights::{REQUEST_STATUSES, RequestEvent, RequestHandler, RightsRequest};
pub use transfer::SyncOptions;

use crate::identity::Identity;
use crate::keystore::{Home, KeystoreError};
use crate::membership::{Membership, MembershipError};
use crate::parcel::{
    self, Compression, Destination, FileSource, Key, LabelOverride, OpenError, OpenOptions,
    Purpose, SealError,
};
use crate::passphrase::Passphrase;
use crate::progress::Progress;
use crate::relay::{RelayClient, RelayError};

/// Why a mailroom operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailroomError {
    /// The store's key file is missing or cannot be opened with this member's keys.
    #[error("cannot unlock your local store ({path}): {reason}")]
    StoreKey {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The database does not open with its key: it was replaced or damaged.
    #[error(
        "{path} does not open with your store key: the file was replaced or is damaged; restore \
         the data directory from its backup"
    )]
    StoreLocked {
        /// The database.
        path: String,
    },
    /// The database was written by a newer Sealpost.
    #[error("{path} was written by a newer Sealpost (schema {version}); update Sealpost")]
    StoreTooNew {
        /// The database.
        path: String,
        /// Its schema version.
        version: u32,
    },
    /// The database failed.
    #[error("your local store failed: {0}")]
    Sql(String),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The identity could not be read.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The cluster roster refused the operation.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// The relay could not be reached or refused.
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Opening failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// No parcel with this id is in the mailroom.
    #[error("no parcel {id} here; `sealpost inbox` and `sealpost sent` list the parcels you hold")]
    NoSuchParcel {
        /// The id asked for.
        id: String,
    },
    /// The parcel cannot be used this way.
    #[error("{reason}")]
    NotAllowed {
        /// Why, and what to do instead.
        reason: String,
    },
    /// A recipient cannot be reached through the relay.
    #[error(
        "{recipient} is not a member in your roster, so the relay cannot deliver to them; send \
         to members by name or role (`sealpost members` lists them), or `sealpost seal` a file \
         for them"
    )]
    NotDeliverable {
        /// The recipient.
        recipient: String,
    },
    /// Another sync is running for this data directory.
    #[error(
        "another Sealpost sync is running for this data directory (for example `sealpost sync \
         --watch` or the desktop app); it will do the work"
    )]
    SyncRunning,
}

impl MailroomError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            MailroomError::StoreKey { .. } => "store-key",
            MailroomError::StoreLocked { .. } => "store-locked",
            MailroomError::StoreTooNew { .. } => "store-too-new",
            MailroomError::Sql(_) => "store-failed",
            MailroomError::Io { .. } => "io",
            MailroomError::Keystore(e) => e.code(),
            MailroomError::Membership(e) => e.code(),
            MailroomError::Relay(e) => e.code(),
            MailroomError::Seal(e) => e.code(),
            MailroomError::Open(e) => e.code(),
            MailroomError::NoSuchParcel { .. } => "no-such-parcel",
            MailroomError::NotAllowed { .. } => "not-allowed",
            MailroomError::NotDeliverable { .. } => "not-deliverable",
            MailroomError::SyncRunning => "sync-running",
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        MailroomError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn store(path: &Path, e: rusqlite::Error) -> Self {
        MailroomError::Sql(format!("{}: {e}", path.display()))
    }
}

impl From<rusqlite::Error> for MailroomError {
    fn from(e: rusqlite::Error) -> Self {
        MailroomError::Sql(e.to_string())
    }
}

/// Now, as the store writes times: UTC, RFC 3339, whole seconds.
pub fn now_text() -> String {
    time_text(OffsetDateTime::now_utc())
}

pub(crate) fn time_text(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .expect("zero nanoseconds is valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats")
}

/// A time written by [`time_text`], read back.
pub(crate) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Files to send, and to whom.
#[derive(Debug)]
pub struct Outgoing {
    /// The files.
    pub files: Vec<FileSource>,
    /// Recipients: member names or ids, or `role:imo`.
    pub to: Vec<String>,
    /// The label.
    pub label: Label,
    /// When the label is below the sensitivity scan's suggestion: the suggestion and why
    /// (recorded in the signed manifest).
    pub label_override: Option<LabelOverride>,
    /// A note for the recipients.
    pub note: Option<String>,
    /// Whether to compress.
    pub compression: Compression,
}

/// A parcel sealed into the outbox.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Queued {
    /// Its id.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// Its sealed size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Who it goes to (names).
    pub recipients: Vec<String>,
}

/// A member as the mailroom shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    /// Member id.
    pub member_id: String,
    /// Name.
    pub name: String,
    /// Organisation.
    pub org: String,
}

/// A member this one can send to, as a recipient picker lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Contact {
    /// Who.
    #[serde(flatten)]
    pub person: Person,
    /// Their roles in the cluster (`coordinator`, `imo`, `partner`).
    pub roles: Vec<String>,
    /// Whether a new parcel goes to them unless the sender chooses otherwise: the cluster's
    /// IMOs, who receive partners' data under the policy.
    pub default_recipient: bool,
}

/// A file in a parcel, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListedFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// A manifest's files as the store keeps them (JSON `[{name, size}]`).
pub(crate) fn files_column_text(m: &parcel::Manifest) -> String {
    let files: Vec<ListedFile> = m
        .files
        .iter()
        .map(|f| ListedFile {
            name: f.name.clone(),
            size: f.size,
        })
        .collect();
    serde_json::to_string(&files).expect("file names serialise")
}

/// A received parcel, as `sealpost inbox` lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxEntry {
    /// Its id.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// Its label.
    pub label: Label,
    /// Who sealed it, and whether the roster vouches for them (`verified`).
    pub sender: Person,
    /// The sender's standing: `verified` or `unknown`.
    pub sender_status: String,
    /// Its files.
    pub files: Vec<ListedFile>,
    /// When it arrived here.
    pub received_at: String,
    /// When it was sealed.
    pub created_at: String,
    /// `new`, `opened`, `superseded`, `deleted` or `expired`.
    pub status: String,
    /// The sender's note.
    pub note: Option<String>,
    /// The parcel this one corrects.
    pub supersedes: Option<String>,
    /// The parcel that corrects this one.
    pub superseded_by: Option<String>,
    /// The day this app deletes it under the cluster's retention for its label.
    pub keep_until: Option<String>,
}

/// A receipt about a sent parcel.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceiptInfo {
    /// `delivered`, `opened` or `deleted`.
    pub event: String,
    /// When the recipient's app signed it.
    pub at: String,
    /// What the recipient's app said (for a deletion: what it could and could not reach).
    pub detail: Option<String>,
}

/// One recipient of a sent parcel, with their receipts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharedWith {
    /// Who.
    #[serde(flatten)]
    pub person: Person,
    /// Their receipts, oldest first.
    pub receipts: Vec<ReceiptInfo>,
}

/// A sent parcel and everyone it was shared with: the partner's right to know.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentEntry {
    /// Its id.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// Its label.
    pub label: Label,
    /// Its files.
    pub files: Vec<ListedFile>,
    /// When it was sealed.
    pub created_at: String,
    /// `queued`, `sent`, `superseded`, `deletion-requested` or `cancelled`.
    pub status: String,
    /// The parcel this one corrects.
    pub supersedes: Option<String>,
    /// The correction that replaced it.
    pub superseded_by: Option<String>,
    /// Each recipient and their receipts.
    pub recipients: Vec<SharedWith>,
    /// The information products received that name this parcel among their sources.
    pub products: Vec<ProductInfo>,
}

/// The statuses a concern moves through, as its updates say them.
pub const CONCERN_STATUSES: [&str; 4] = ["acknowledged", "investigating", "resolved", "closed"];

/// A concern this member reported, or received to handle.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConcernEntry {
    /// The concern parcel.
    pub parcel_id: String,
    /// `reported` (by this member) or `received` (to handle).
    pub direction: String,
    /// Who reported it (this member, for a reported one).
    pub reporter: Person,
    /// What the reporter wrote.
    pub note: Option<String>,
    /// Its label.
    pub label: Label,
    /// Files that came with it.
    pub files: Vec<ListedFile>,
    /// When it was reported (sealed).
    pub created_at: String,
    /// `open` until someone handling it sent an update; then that update's status.
    pub status: String,
    /// The updates, oldest first: from those handling it (for a reported concern), or the
    /// ones this member sent (for a received one).
    pub updates: Vec<ConcernUpdate>,
}

/// One status update on a concern.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConcernUpdate {
    /// Its status: one of [`CONCERN_STATUSES`].
    pub status: String,
    /// When it was sent.
    pub at: String,
    /// Who sent it.
    pub by: String,
    /// What they wrote.
    pub note: Option<String>,
}

/// An information product made (in part) from a parcel this member sent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProductInfo {
    /// The product parcel (open it from the inbox).
    pub parcel_id: String,
    /// Who published it.
    pub publisher: Person,
    /// Its label.
    pub label: Label,
    /// Its files.
    pub files: Vec<ListedFile>,
    /// When it arrived here.
    pub received_at: String,
    /// What the publisher wrote with it (where to find a dashboard, what changed since the
    /// last edition).
    pub note: Option<String>,
}

/// A parcel waiting in the outbox.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxEntry {
    /// Its id.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// The parcel it is about (receipts, deletion requests).
    pub about: Option<String>,
    /// Its sealed size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Bytes the relay has confirmed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub confirmed: u64,
    /// Transfer attempts so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attempts: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub queued_at: String,
    /// Who it goes to.
    pub recipients: Vec<String>,
}

/// What opening a parcel from the mailroom did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Opened {
    /// The parcel.
    pub parcel_id: String,
    /// Where its files are.
    pub dir: String,
    /// Whether that folder is Sealpost's own (a deletion request can then reach the files).
    pub managed: bool,
    /// The files written.
    pub files: Vec<ListedFile>,
    /// Its label.
    pub label: Label,
    /// Whether an `opened` receipt was queued for the sender.
    pub receipt_queued: bool,
}

/// What [`Mailroom::delete`] did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeletionRequested {
    /// The parcel.
    pub parcel_id: String,
    /// The `deletion-request` parcel queued for the recipients (none when the parcel had not
    /// finished uploading: nobody can have it, and the upload was cancelled).
    pub request_id: Option<String>,
    /// Who is asked to delete it.
    pub recipients: Vec<String>,
}

/// What one sync pass did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// The relay.
    pub relay: String,
    /// Whether the relay answered in its own protocol: an app's online indicator. When it
    /// refused this member's login (not yet approved, removed), `problems` says why.
    pub reached_relay: bool,
    /// The roster version held after the pass.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub roster_version: Option<u64>,
    /// Parcels whose upload completed, with the bytes sent (and re-sent after failures).
    pub sent: Vec<Transferred>,
    /// Parcels still in the outbox, and why.
    pub waiting: Vec<Waiting>,
    /// Parcels received and verified.
    pub received: Vec<Received>,
    /// Parcels refused (they stay out of the inbox), and why.
    pub rejected: Vec<Rejected>,
    /// Parcels erased at their sender's request.
    pub erased: Vec<String>,
    /// Parcels erased because the cluster's retention for their label ran out.
    pub expired: Vec<String>,
    /// Problems that stopped part of the pass (it resumes at the next one).
    pub problems: Vec<String>,
}

/// A completed upload.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transferred {
    /// The parcel.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// Its size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Bytes handed to the network for it, over every attempt.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sent_bytes: u64,
    /// Bytes sent more than once (`sent_bytes - size`).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub resent_bytes: u64,
}

/// A parcel that stays in the outbox for now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Waiting {
    /// The parcel.
    pub parcel_id: String,
    /// Bytes confirmed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub confirmed: u64,
    /// Its size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Why it is waiting.
    pub reason: String,
}

/// A parcel received in this pass.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Received {
    /// The parcel.
    pub parcel_id: String,
    /// Its kind.
    pub kind: String,
    /// Who sealed it.
    pub sender: Person,
    /// For a receipt: the event; for a data parcel: its label.
    pub summary: String,
}

/// A parcel refused in this pass.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rejected {
    /// The relay's blob id (the parcel could not be trusted enough to read its id).
    pub blob_id: String,
    /// Why.
    pub reason: String,
}

/// A member's parcels on this computer.
pub struct Mailroom {
    home: Home,
    /// The current identity first, then earlier keys (parcels sealed to them still open).
    keys: Vec<Identity>,
    conn: Connection,
}

impl std::fmt::Debug for Mailroom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailroom")
            .field("home", &self.home.dir())
            .finish_non_exhaustive()
    }
}

impl Mailroom {
    /// Opens this member's mailroom (creating the store on first use).
    pub fn open(home: &Home, me: Identity) -> Result<Self, MailroomError> {
        let keys = home.all_identities(me)?;
        let conn = store::open(home.dir(), &keys)?;
        let mailroom = Self {
            home: home.clone(),
            keys,
            conn,
        };
        for dir in [
            mailroom.vault(),
            mailroom.incoming(),
            mailroom.managed_root(),
        ] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| MailroomError::io(format!("cannot create {}", dir.display()), e))?;
        }
        Ok(mailroom)
    }

    /// The member's current identity (for the coordinator's desk, joining a cluster, a
    /// backup): the mailroom holds it unlocked while it is open.
    pub fn identity(&self) -> &Identity {
        &self.keys[0]
    }

    fn me(&self) -> &Identity {
        self.identity()
    }

    fn my_id(&self) -> String {
        self.me().member_id().to_string()
    }

    fn vault(&self) -> PathBuf {
        self.home.dir().join("vault")
    }

    fn incoming(&self) -> PathBuf {
        self.vault().join("incoming")
    }

    /// Where parcels are opened by default: Sealpost's own folder, which deletion requests
    /// reach.
    pub fn managed_root(&self) -> PathBuf {
        self.home.dir().join("opened")
    }

    fn membership(&self) -> Membership {
        Membership::new(&self.home)
    }

    /// The roster held (even an expired one is the best knowledge of who is who).
    fn roster(&self) -> Result<Option<Roster>, MailroomError> {
        Ok(self.membership().held()?.map(|h| h.roster().clone()))
    }

    /// Everyone this member can send to: the roster's active members other than themself,
    /// IMOs first, then by name. Empty before the first roster arrives.
    pub fn contacts(&self) -> Result<Vec<Contact>, MailroomError> {
        let Some(roster) = self.roster()? else {
            return Ok(Vec::new());
        };
        let me = self.me().member_id();
        let mut contacts: Vec<Contact> = roster
            .members
            .iter()
            .filter(|m| m.member_id != me && m.status == MemberStatus::Active)
            .map(|m| Contact {
                person: Person {
                    member_id: m.member_id.to_string(),
                    name: m.name.clone(),
                    org: m.org.clone(),
                },
                roles: m.roles.iter().map(|r| r.as_str().to_owned()).collect(),
                default_recipient: m.roles.contains(&Role::Imo),
            })
            .collect();
        contacts.sort_by(|a, b| {
            (!a.default_recipient, &a.person.name).cmp(&(!b.default_recipient, &b.person.name))
        });
        Ok(contacts)
    }

    /// The label of a parcel held here, so an app can warn before opening a
    /// `highly-confidential` one.
    pub fn label_of(&self, parcel_id: &str) -> Result<Label, MailroomError> {
        let label: Option<String> = self
            .conn
            .query_row(
                "SELECT label FROM parcels WHERE parcel_id = ?1",
                [parcel_id],
                |row| row.get(0),
            )
            .optional()?;
        let label = label.ok_or_else(|| MailroomError::NoSuchParcel {
            id: parcel_id.into(),
        })?;
        label
            .parse()
            .map_err(|_| MailroomError::Sql(format!("unknown label {label:?} in the store")))
    }

    /// Seals `outgoing` into the outbox. Nothing is sent yet: [`Mailroom::sync`] does that, now
    /// or whenever the relay can next be reached.
    pub fn send(
        &self,
        outgoing: Outgoing,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::Data,
                files: outgoing.files,
                to: outbox::To::Specs(outgoing.to),
                label: outgoing.label,
                label_override: outgoing.label_override,
                note: outgoing.note,
                compression: outgoing.compression,
            },
            progress,
        )
    }

    /// Publishes an information product (a report, a map, figures) made from received
    /// parcels: a `product` parcel naming them in `sources`, sent to every member whose
    /// parcel is among them, and to no one else. The partners' right to the products made
    /// from their data, kept by the app rather than by memory.
    ///
    /// Each source must be a parcel received here; one its sender asked to delete is refused
    /// (a product must not be built on data the partner withdrew).
    pub fn publish_product(
        &self,
        files: Vec<FileSource>,
        sources: &[String],
        label: Label,
        label_override: Option<LabelOverride>,
        note: Option<String>,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        if sources.is_empty() {
            return Err(MailroomError::NotAllowed {
                reason: "a product names the received parcels it was made from (--sources)".into(),
            });
        }
        let mut ids: Vec<ParcelId> = Vec::new();
        let mut partners: Vec<Person> = Vec::new();
        for source in sources {
            let id = parse_id(source)?;
            if ids.contains(&id) {
                continue;
            }
            let row: Option<(String, String, String, Person)> = self
                .conn
                .query_row(
                    "SELECT direction, kind, status, sender_id, sender_name, sender_org \
                     FROM parcels WHERE parcel_id = ?1",
                    [source],
                    |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            person_columns(row, 3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((direction, kind, status, sender)) = row else {
                return Err(MailroomError::NoSuchParcel { id: source.clone() });
            };
            if direction != "in" || !matches!(kind.as_str(), "data" | "correction") {
                return Err(MailroomError::NotAllowed {
                    reason: format!(
                        "parcel {source} is not a data parcel received here: a product's \
                         sources are the partners' parcels it was made from"
                    ),
                });
            }
            if status == "deleted" {
                return Err(MailroomError::NotAllowed {
                    reason: format!(
                        "parcel {source} was deleted at its sender's request: a product must \
                         not be made from it"
                    ),
                });
            }
            ids.push(id);
            if sender.member_id != self.my_id()
                && !partners.iter().any(|p| p.member_id == sender.member_id)
            {
                partners.push(sender);
            }
        }
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::Product { sources: ids },
                files,
                to: outbox::To::Members(partners),
                label,
                label_override,
                note,
                compression: Compression::Zstd,
            },
            progress,
        )
    }

    /// Reports a concern (an incident, a breach, a worry about how data is handled) to the
    /// cluster's coordinator and IMOs, and to no one else: other partners never see it, nor
    /// who sent it. The relay sees only that a parcel went from this member to them.
    pub fn report_concern(
        &self,
        note: String,
        files: Vec<FileSource>,
        label: Label,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        if note.trim().is_empty() {
            return Err(MailroomError::NotAllowed {
                reason: "say what the concern is (--note): the coordinator reads it first".into(),
            });
        }
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::Concern,
                files,
                to: outbox::To::Specs(vec!["role:coordinator".into(), "role:imo".into()]),
                label,
                label_override: None,
                note: Some(note),
                compression: Compression::Zstd,
            },
            progress,
        )
    }

    /// Tells the member who reported a concern what is being done: a `concern-update` with
    /// `status` (one of [`CONCERN_STATUSES`]) and an optional note, to the reporter and the
    /// others handling the concern (never to anyone it was not reported to).
    pub fn update_concern(
        &self,
        concern_id: &str,
        status: &str,
        note: Option<String>,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        if !CONCERN_STATUSES.contains(&status) {
            return Err(MailroomError::NotAllowed {
                reason: format!(
                    "{status:?} is not a concern status: use one of {}",
                    CONCERN_STATUSES.join(", ")
                ),
            });
        }
        let about = parse_id(concern_id)?;
        let reporter: Option<(Person, Label)> = self
            .conn
            .query_row(
                "SELECT sender_id, sender_name, sender_org, label FROM parcels \
                 WHERE parcel_id = ?1 AND direction = 'in' AND kind = 'concern'",
                [concern_id],
                |row| Ok((person_columns(row, 0)?, label_column(row, 3)?)),
            )
            .optional()?;
        let Some((reporter, label)) = reporter else {
            return Err(MailroomError::NoSuchParcel {
                id: concern_id.into(),
            });
        };
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        // The reporter, and the others handling the concern (those it was sent to who are
        // still active members), so that every handler sees what the others said.
        let mut to = vec![reporter.clone()];
        for person in self.recipients_of(concern_id)? {
            if person.member_id != reporter.member_id
                && member_in(roster.roster(), &person.member_id).is_some()
            {
                to.push(person);
            }
        }
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::ConcernUpdate {
                    about,
                    status: status.into(),
                },
                files: Vec::new(),
                to: outbox::To::Members(to),
                label,
                label_override: None,
                note,
                compression: Compression::Zstd,
            },
            progress,
        )
    }

    /// The concerns this member reported and those it received to handle, newest first, each
    /// with its status and updates. For the coordinator, the open ones are the work list.
    pub fn concerns(&self) -> Result<Vec<ConcernEntry>, MailroomError> {
        let mut statement = self.conn.prepare(
            "SELECT parcel_id, direction, sender_id, sender_name, sender_org, note, label, \
             files, created_at FROM parcels WHERE kind = 'concern' \
             ORDER BY created_at DESC, rowid DESC",
        )?;
        let rows = statement.query_map([], |row| {
            let direction: String = row.get(1)?;
            Ok(ConcernEntry {
                parcel_id: row.get(0)?,
                direction: if direction == "out" {
                    "reported".into()
                } else {
                    "received".into()
                },
                reporter: person_columns(row, 2)?,
                note: row.get(5)?,
                label: label_column(row, 6)?,
                files: files_column(row, 7)?,
                created_at: row.get(8)?,
                status: "open".into(),
                updates: Vec::new(),
            })
        })?;
        let mut concerns: Vec<ConcernEntry> = rows.collect::<rusqlite::Result<_>>()?;
        // Updates from others (those handling a concern this member reported, or the other
        // handlers of one it received) are kept as receipts; updates this member sent are its
        // own concern-update parcels (a reporter sends none).
        let mut received = self.conn.prepare(
            "SELECT r.event, r.at, COALESCE(p.name, r.from_member), r.detail FROM receipts r \
             LEFT JOIN recipients p ON p.parcel_id = r.about AND p.member_id = r.from_member \
             WHERE r.about = ?1 ORDER BY r.at, r.rowid",
        )?;
        let mut sent = self.conn.prepare(
            "SELECT manifest, created_at, note FROM parcels \
             WHERE direction = 'out' AND kind = 'concern-update' AND about = ?1 \
             ORDER BY created_at, rowid",
        )?;
        let name = self.me().name().to_owned();
        for concern in &mut concerns {
            let mut updates: Vec<ConcernUpdate> = received
                .query_map([&concern.parcel_id], |row| {
                    Ok(ConcernUpdate {
                        status: row.get(0)?,
                        at: row.get(1)?,
                        by: row.get(2)?,
                        note: row.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter(|u| CONCERN_STATUSES.contains(&u.status.as_str()))
                .collect();
            for update in sent.query_map([&concern.parcel_id], |row| {
                Ok(ConcernUpdate {
                    status: event_column(row, 0)?,
                    at: row.get(1)?,
                    by: name.clone(),
                    note: row.get(2)?,
                })
            })? {
                updates.push(update?);
            }
            updates.sort_by(|a, b| a.at.cmp(&b.at));
            concern.updates = updates;
            if let Some(last) = concern.updates.last() {
                concern.status = last.status.clone();
            }
        }
        Ok(concerns)
    }

    /// Asks the cluster's IMOs what they hold of this member's data and how it is used (the
    /// right of access): an `access-request` parcel to every IMO, about one parcel this member
    /// sent or, without `about`, everything it sent. The IMOs answer with request updates.
    pub fn request_access(
        &self,
        about: Option<&str>,
        note: String,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        if note.trim().is_empty() {
            return Err(MailroomError::NotAllowed {
                reason: "say what you ask for (--note): e.g. \"every copy you hold of our \
                         October 4W and the products made from it\""
                    .into(),
            });
        }
        let (about, label) = match about {
            Some(id) => {
                let original = self.own_sent(id)?;
                (Some(parse_id(id)?), original.label)
            }
            None => (None, Label::Confidential),
        };
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::AccessRequest { about },
                files: Vec::new(),
                to: outbox::To::Specs(vec!["role:imo".into()]),
                label,
                label_override: None,
                note: Some(note),
                compression: Compression::None,
            },
            progress,
        )
    }

    /// Answers a rights request this member received (access, correction or deletion): a
    /// `request-update` with `status` (one of [`REQUEST_STATUSES`]) and an optional note, to
    /// the requester only.
    pub fn update_request(
        &self,
        request_id: &str,
        status: &str,
        note: Option<String>,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        if !REQUEST_STATUSES.contains(&status) {
            return Err(MailroomError::NotAllowed {
                reason: format!(
                    "{status:?} is not a request status: use one of {}",
                    REQUEST_STATUSES.join(", ")
                ),
            });
        }
        if status == "declined" && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(MailroomError::NotAllowed {
                reason: "say why the request is declined (--note): the partner has a right to \
                         know"
                    .into(),
            });
        }
        let about = parse_id(request_id)?;
        let Some(requester) = rights::received_from(&self.conn, request_id)? else {
            return Err(MailroomError::NoSuchParcel {
                id: request_id.into(),
            });
        };
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::RequestUpdate {
                    about,
                    status: status.into(),
                },
                files: Vec::new(),
                to: outbox::To::Members(vec![requester]),
                label: Label::Confidential,
                label_override: None,
                note,
                compression: Compression::None,
            },
            progress,
        )
    }

    /// The rights requests this member made and those it received to handle, newest first,
    /// each with its handlers' statuses, its due date and whether it is overdue.
    pub fn rights_requests(&self) -> Result<Vec<RightsRequest>, MailroomError> {
        self.rights_requests_at(OffsetDateTime::now_utc())
    }

    /// [`Mailroom::rights_requests`] as of `now` (what "overdue" is measured against).
    pub fn rights_requests_at(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<RightsRequest>, MailroomError> {
        let days = self
            .roster()?
            .map_or(sealpost_format::roster::DEFAULT_RIGHTS_RESPONSE_DAYS, |r| {
                r.policy.rights_response_days
            });
        let me = Person {
            member_id: self.my_id(),
            name: self.me().name().to_owned(),
            org: self.me().org().to_owned(),
        };
        rights::list(&self.conn, &me, days, now)
    }

    /// Sends new files that replace a parcel this member sent: a `data` parcel naming it in
    /// `supersedes`, to the same recipients, with the same label unless another is given.
    pub fn correct(
        &self,
        parcel_id: &str,
        files: Vec<FileSource>,
        label: Option<Label>,
        label_override: Option<LabelOverride>,
        note: Option<String>,
        progress: &dyn Progress,
    ) -> Result<Queued, MailroomError> {
        let original = self.own_sent(parcel_id)?;
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        let supersedes: ParcelId = parse_id(parcel_id)?;
        let queued = outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::Correction { supersedes },
                files,
                to: outbox::To::Members(self.recipients_of(parcel_id)?),
                label: label.unwrap_or(original.label),
                label_override,
                note,
                compression: Compression::Zstd,
            },
            progress,
        )?;
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE parcels SET status = 'superseded', superseded_by = ?2 WHERE parcel_id = ?1",
            params![parcel_id, queued.parcel_id],
        )?;
        audit::append(
            &tx,
            "superseded",
            Some(parcel_id),
            None,
            Some(&format!("corrected by {}", queued.parcel_id)),
        )?;
        tx.commit()?;
        self.checkpoint()?;
        Ok(queued)
    }

    /// Asks every recipient of a parcel this member sent to delete it: the blob is deleted on
    /// the relay and a `deletion-request` parcel is queued for them (both at the next sync).
    /// A parcel still uploading is simply cancelled: nobody can have it yet.
    pub fn delete(&self, parcel_id: &str) -> Result<DeletionRequested, MailroomError> {
        let original = self.own_sent(parcel_id)?;
        if matches!(original.status.as_str(), "deletion-requested" | "cancelled") {
            return Err(MailroomError::NotAllowed {
                reason: format!(
                    "parcel {parcel_id} is already {}; `sealpost sent` shows the deletion \
                     receipts as they come back",
                    original.status.replace('-', " ")
                ),
            });
        }
        let upload: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT upload_id FROM outbox WHERE parcel_id = ?1",
                [parcel_id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(upload_id) = upload {
            let tx = self.conn.unchecked_transaction()?;
            if let Some(upload_id) = upload_id {
                tx.execute(
                    "INSERT OR IGNORE INTO relay_deletions (blob_id, parcel_id) VALUES (?1, ?2)",
                    params![upload_id, parcel_id],
                )?;
            }
            tx.execute("DELETE FROM outbox WHERE parcel_id = ?1", [parcel_id])?;
            tx.execute(
                "UPDATE parcels SET status = 'cancelled' WHERE parcel_id = ?1",
                [parcel_id],
            )?;
            audit::append(
                &tx,
                "cancelled",
                Some(parcel_id),
                None,
                Some("deleted before its upload finished; nobody received it"),
            )?;
            tx.commit()?;
            self.checkpoint()?;
            return Ok(DeletionRequested {
                parcel_id: parcel_id.into(),
                request_id: None,
                recipients: Vec::new(),
            });
        }
        let recipients = self.recipients_of(parcel_id)?;
        let roster = self.membership().current(OffsetDateTime::now_utc())?;
        let queued = outbox::queue(
            self,
            roster.roster(),
            outbox::Sealing {
                purpose: Purpose::DeletionRequest {
                    about: parse_id(parcel_id)?,
                },
                files: Vec::new(),
                to: outbox::To::Members(recipients),
                label: original.label,
                label_override: None,
                note: Some(format!(
                    "Please delete parcel {parcel_id} and every copy of its files."
                )),
                compression: Compression::None,
            },
            &crate::progress::Silent,
        )?;
        let tx = self.conn.unchecked_transaction()?;
        if let Some(blob) = &original.relay_blob {
            tx.execute(
                "INSERT OR IGNORE INTO relay_deletions (blob_id, parcel_id) VALUES (?1, ?2)",
                params![blob, parcel_id],
            )?;
        }
        tx.execute(
            "UPDATE parcels SET status = 'deletion-requested' WHERE parcel_id = ?1",
            [parcel_id],
        )?;
        audit::append(
            &tx,
            "deletion-requested",
            Some(parcel_id),
            None,
            Some(&format!("request {}", queued.parcel_id)),
        )?;
        tx.commit()?;
        self.checkpoint()?;
        Ok(DeletionRequested {
            parcel_id: parcel_id.into(),
            request_id: Some(queued.parcel_id),
            recipients: queued.recipients,
        })
    }

    /// Verifies a parcel held in the vault and writes its files to `dir`, or to Sealpost's own
    /// folder (`opened/<parcel id>` in the data directory) when `dir` is `None`. Opening a
    /// parcel received from someone else queues an `opened` receipt for them the first time.
    pub fn open_parcel(
        &self,
        parcel_id: &str,
        dir: Option<&Path>,
        allow_untrusted_sender: bool,
        progress: &dyn Progress,
    ) -> Result<Opened, MailroomError> {
        let row: Option<(String, Option<String>, String, String)> = self
            .conn
            .query_row(
                "SELECT direction, vault_file, status, sender_id FROM parcels WHERE parcel_id = ?1",
                [parcel_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let (direction, vault_file, status, sender_id) =
            row.ok_or_else(|| MailroomError::NoSuchParcel {
                id: parcel_id.into(),
            })?;
        let Some(vault_file) = vault_file else {
            return Err(MailroomError::NotAllowed {
                reason: format!(
                    "parcel {parcel_id} is no longer held here ({status}); nothing to open"
                ),
            });
        };
        let managed = dir.is_none();
        let target = match dir {
            Some(dir) => dir.to_owned(),
            None => self.managed_root().join(parcel_id),
        };
        let options = OpenOptions {
            expected_sender: None,
            roster: self.roster()?,
            allow_untrusted_sender,
        };
        let opened = parcel::open_file(
            &self.vault().join(&vault_file),
            Key::Identities(&self.keys),
            &options,
            Destination::Directory(&target),
            progress,
        )?;
        let files: Vec<ListedFile> = opened
            .files
            .iter()
            .map(|f| ListedFile {
                name: f.name.clone(),
                size: f.size,
            })
            .collect();
        let from_someone_else = direction == "in" && sender_id != self.my_id();
        let first_open: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM opened_copies WHERE parcel_id = ?1)",
            [parcel_id],
            |row| row.get(0),
        )?;
        let receipt_queued = from_someone_else && first_open;
        if receipt_queued {
            inbox::queue_receipt(self, parcel_id, "opened", None)?;
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO opened_copies (parcel_id, dir, managed, files, opened_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                parcel_id,
                target.display().to_string(),
                managed,
                serde_json::to_string(&files).expect("file names serialise"),
                now_text()
            ],
        )?;
        if status == "new" {
            tx.execute(
                "UPDATE parcels SET status = 'opened' WHERE parcel_id = ?1",
                [parcel_id],
            )?;
        }
        audit::append(
            &tx,
            "opened",
            Some(parcel_id),
            None,
            Some(&format!(
                "{} file(s) into {}",
                files.len(),
                if managed {
                    "Sealpost's folder"
                } else {
                    "a folder of the user's choice"
                }
            )),
        )?;
        tx.commit()?;
        self.checkpoint()?;
        Ok(Opened {
            parcel_id: parcel_id.into(),
            dir: target.display().to_string(),
            managed,
            files,
            label: opened.manifest.label,
            receipt_queued,
        })
    }

    /// The sharing log of every parcel this member sent (see [`sharing_log`]), as a file's
    /// bytes: CSV, or an HTML page to print to PDF.
    pub fn sharing_log(&self, format: sharing_log::Format) -> Result<Vec<u8>, MailroomError> {
        let entries = self.sent()?;
        let card = self.identity().card();
        let me = Person {
            member_id: card.member_id.to_string(),
            name: card.name.clone(),
            org: card.org.clone(),
        };
        Ok(match format {
            sharing_log::Format::Csv => sharing_log::csv(&entries),
            sharing_log::Format::Html => sharing_log::html(&entries, &me, &now_text()).into_bytes(),
        })
    }

    /// Opens several parcels, each into its own folder: `dir/<parcel id>`, or Sealpost's own
    /// folder when `dir` is `None`. One parcel failing (corrupted in the vault, a sender the
    /// roster no longer vouches for, a full disk) never stops the others: every parcel gets
    /// its own outcome, in the order given. What an IMO with 200 parcels needs from a bulk open.
    pub fn open_many(
        &self,
        parcel_ids: &[String],
        dir: Option<&Path>,
        progress: &dyn Progress,
    ) -> Vec<(String, Result<Opened, MailroomError>)> {
        parcel_ids
            .iter()
            .map(|parcel_id| {
                let target = dir.map(|d| d.join(parcel_id));
                let outcome = self.open_parcel(parcel_id, target.as_deref(), false, progress);
                (parcel_id.clone(), outcome)
            })
            .collect()
    }

    /// Received parcels, newest first (receipts and deletion requests are not listed: they
    /// act on the parcels they are about).
    pub fn inbox(&self) -> Result<Vec<InboxEntry>, MailroomError> {
        let mut statement = self.conn.prepare(
            "SELECT parcel_id, kind, label, sender_id, sender_name, sender_org, sender_status, \
             files, received_at, created_at, status, note, supersedes, superseded_by, keep_until \
             FROM parcels WHERE direction = 'in' AND kind NOT IN (\
             'receipt', 'deletion-request', 'concern-update', 'access-request', 'request-update') \
             ORDER BY received_at DESC, rowid DESC",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(InboxEntry {
                parcel_id: row.get(0)?,
                kind: row.get(1)?,
                label: label_column(row, 2)?,
                sender: person_columns(row, 3)?,
                sender_status: row.get(6)?,
                files: files_column(row, 7)?,
                received_at: row.get(8)?,
                created_at: row.get(9)?,
                status: row.get(10)?,
                note: row.get(11)?,
                supersedes: row.get(12)?,
                superseded_by: row.get(13)?,
                keep_until: row.get(14)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Parcels this member sent (data parcels and corrections), newest first, each with every
    /// recipient and the receipts they sent back: with whom the data is shared.
    pub fn sent(&self) -> Result<Vec<SentEntry>, MailroomError> {
        let mut statement = self.conn.prepare(
            "SELECT parcel_id, kind, label, files, created_at, status, supersedes, superseded_by \
             FROM parcels WHERE direction = 'out' AND kind NOT IN (\
             'receipt', 'deletion-request', 'concern-update', 'access-request', 'request-update') \
             ORDER BY received_at DESC, rowid DESC",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(SentEntry {
                parcel_id: row.get(0)?,
                kind: row.get(1)?,
                label: label_column(row, 2)?,
                files: files_column(row, 3)?,
                created_at: row.get(4)?,
                status: row.get(5)?,
                supersedes: row.get(6)?,
                superseded_by: row.get(7)?,
                recipients: Vec::new(),
                products: Vec::new(),
            })
        })?;
        let mut sent: Vec<SentEntry> = rows.collect::<rusqlite::Result<_>>()?;
        let mut products = self.products_by_source()?;
        let mut receipts = self.conn.prepare(
            "SELECT event, at, detail FROM receipts WHERE about = ?1 AND from_member = ?2 \
             ORDER BY at, rowid",
        )?;
        for entry in &mut sent {
            for person in self.recipients_of(&entry.parcel_id)? {
                let got = receipts
                    .query_map(params![entry.parcel_id, person.member_id], |row| {
                        Ok(ReceiptInfo {
                            event: row.get(0)?,
                            at: row.get(1)?,
                            detail: row.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                entry.recipients.push(SharedWith {
                    person,
                    receipts: got,
                });
            }
            entry.products = products.remove(&entry.parcel_id).unwrap_or_default();
        }
        Ok(sent)
    }

    /// The products received, by each parcel they name as a source. The sources are read from
    /// the signed manifest kept with each parcel (verified when it arrived).
    fn products_by_source(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<ProductInfo>>, MailroomError> {
        let mut statement = self.conn.prepare(
            "SELECT parcel_id, sender_id, sender_name, sender_org, label, files, received_at, \
             manifest, note FROM parcels WHERE direction = 'in' AND kind = 'product' \
             ORDER BY received_at, rowid",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                ProductInfo {
                    parcel_id: row.get(0)?,
                    publisher: person_columns(row, 1)?,
                    label: label_column(row, 4)?,
                    files: files_column(row, 5)?,
                    received_at: row.get(6)?,
                    note: row.get(8)?,
                },
                sources_column(row, 7)?,
            ))
        })?;
        let mut by_source: std::collections::HashMap<String, Vec<ProductInfo>> =
            std::collections::HashMap::new();
        for row in rows {
            let (product, sources) = row?;
            for source in sources {
                by_source.entry(source).or_default().push(product.clone());
            }
        }
        Ok(by_source)
    }

    /// Parcels waiting to be uploaded, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, MailroomError> {
        let mut statement = self.conn.prepare(
            "SELECT o.parcel_id, p.kind, p.about, o.length, o.confirmed, o.attempts, \
             o.last_error, o.queued_at FROM outbox o JOIN parcels p USING (parcel_id) \
             ORDER BY o.queued_at, o.rowid",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(OutboxEntry {
                parcel_id: row.get(0)?,
                kind: row.get(1)?,
                about: row.get(2)?,
                size: row.get(3)?,
                confirmed: row.get(4)?,
                attempts: row.get(5)?,
                last_error: row.get(6)?,
                queued_at: row.get(7)?,
                recipients: Vec::new(),
            })
        })?;
        let mut entries: Vec<OutboxEntry> = rows.collect::<rusqlite::Result<_>>()?;
        for entry in &mut entries {
            entry.recipients = self
                .recipients_of(&entry.parcel_id)?
                .into_iter()
                .map(|p| p.name)
                .collect();
        }
        Ok(entries)
    }

    /// The audit log, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, MailroomError> {
        Ok(audit::entries(&self.conn)?)
    }

    /// Checks the audit log's hash chain and signed checkpoints.
    pub fn verify_log(&self) -> Result<LogVerification, MailroomError> {
        let keys: Vec<SigningPublicKey> =
            self.keys.iter().map(Identity::signing_public_key).collect();
        Ok(audit::verify(&self.conn, &keys)?)
    }

    /// Runs one sync pass: deletions on the relay, the mailbox (download, verify, store,
    /// receipts, deletion requests), the outbox (resumable uploads), local retention.
    /// Unreachable relays and failed transfers are recorded and retried at the next pass;
    /// they are reported, never dropped.
    pub fn sync(
        &self,
        options: &SyncOptions,
        passphrase: Option<&Passphrase>,
        progress: &dyn Progress,
    ) -> Result<SyncReport, MailroomError> {
        let lock_path = self.home.dir().join("sync.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| MailroomError::io(format!("cannot open {}", lock_path.display()), e))?;
        if lock.try_lock().is_err() {
            return Err(MailroomError::SyncRunning);
        }
        let relay = RelayClient::configured(&self.membership())?;
        let mut report = SyncReport {
            relay: relay.url().to_owned(),
            ..SyncReport::default()
        };
        // A newer roster first: removals and key changes apply to this very pass.
        if let Err(e) = relay.pull(&self.membership(), self.me(), passphrase) {
            report.problems.push(format!("roster not updated: {e}"));
        }
        report.roster_version = self.roster()?.map(|r| r.version);
        let mut session = transfer::Session::new(relay, self.me(), options);
        if let Err(e) = session.login() {
            // A relay that answered but refused the login (a newcomer not yet approved, a
            // removed member) is online all the same: the app then says why, not "offline".
            report.reached_relay = matches!(e, RelayError::Refused { .. });
            report
                .problems
                .push(format!("nothing was sent or received: {e}"));
            report.waiting = outbox::waiting(self, &e.to_string())?;
            self.expire(&mut report)?;
            self.checkpoint()?;
            return Ok(report);
        }
        report.reached_relay = true;
        outbox::delete_on_relay(self, &mut session, &mut report)?;
        inbox::receive(self, &mut session, &mut report, progress)?;
        outbox::upload(self, &mut session, &mut report, progress)?;
        self.expire(&mut report)?;
        self.checkpoint()?;
        drop(lock);
        Ok(report)
    }

    /// Erases received parcels whose label's local retention (from the roster policy) ran out.
    fn expire(&self, report: &mut SyncReport) -> Result<(), MailroomError> {
        let now = now_text();
        let due: Vec<String> = self
            .conn
            .prepare(
                "SELECT parcel_id FROM parcels WHERE direction = 'in' AND vault_file IS NOT NULL \
                 AND keep_until IS NOT NULL AND keep_until <= ?1",
            )?
            .query_map([&now], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for parcel_id in due {
            let erased = inbox::erase(self, &parcel_id)?;
            let tx = self.conn.unchecked_transaction()?;
            tx.execute(
                "UPDATE parcels SET status = 'expired' WHERE parcel_id = ?1",
                [&parcel_id],
            )?;
            audit::append(
                &tx,
                "expired",
                Some(&parcel_id),
                None,
                Some(&erased.summary()),
            )?;
            tx.commit()?;
            report.expired.push(parcel_id);
        }
        Ok(())
    }

    fn checkpoint(&self) -> Result<(), MailroomError> {
        audit::checkpoint(&self.conn, self.me())
    }

    /// A data parcel this member sent, or why it cannot be corrected or deleted.
    fn own_sent(&self, parcel_id: &str) -> Result<SentRow, MailroomError> {
        let row: Option<(String, String, String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT direction, kind, label, status, relay_blob FROM parcels \
                 WHERE parcel_id = ?1",
                [parcel_id],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .optional()?;
        let (direction, kind, label, status, relay_blob) =
            row.ok_or_else(|| MailroomError::NoSuchParcel {
                id: parcel_id.into(),
            })?;
        if direction != "out" || kind != "data" {
            return Err(MailroomError::NotAllowed {
                reason: format!(
                    "parcel {parcel_id} is not one you sent: only its sender can correct or \
                     delete it (ask them)"
                ),
            });
        }
        Ok(SentRow {
            label: label
                .parse()
                .map_err(|_| MailroomError::Sql(format!("unknown label {label:?}")))?,
            status,
            relay_blob,
        })
    }

    /// The recipients of a parcel, without this member.
    fn recipients_of(&self, parcel_id: &str) -> Result<Vec<Person>, MailroomError> {
        let me = self.my_id();
        let mut statement = self.conn.prepare(
            "SELECT member_id, name, org FROM recipients WHERE parcel_id = ?1 AND member_id != ?2 \
             ORDER BY name, member_id",
        )?;
        let rows = statement.query_map(params![parcel_id, me], |row| person_columns(row, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs SQL on the store directly. Only for tests that play an attacker who holds the
    /// member's keys (editing the audit log, say): the app never does this.
    #[doc(hidden)]
    pub fn tamper_for_tests(&self, sql: &str) -> Result<(), MailroomError> {
        Ok(self.conn.execute_batch(sql)?)
    }
}

struct SentRow {
    label: Label,
    status: String,
    relay_blob: Option<String>,
}

fn parse_id(id: &str) -> Result<ParcelId, MailroomError> {
    id.parse()
        .map_err(|_| MailroomError::NoSuchParcel { id: id.into() })
}

fn label_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Label> {
    let text: String = row.get(index)?;
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown label {text:?}").into(),
        )
    })
}

fn files_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Vec<ListedFile>> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    })
}

/// A member from three columns in a row: member id, name, organisation.
fn person_columns(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Person> {
    Ok(Person {
        member_id: row.get(first)?,
        name: row.get(first + 1)?,
        org: row.get(first + 2)?,
    })
}

/// The `event` of a stored manifest (a receipt's or a concern update's).
fn event_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    #[derive(serde::Deserialize)]
    struct Event {
        #[serde(default)]
        event: String,
    }
    let text: String = row.get(index)?;
    serde_json::from_str::<Event>(&text)
        .map(|m| m.event)
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
        })
}

/// The `sources` of a stored manifest (a product's), as parcel id texts.
fn sources_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Sources {
        #[serde(default)]
        sources: Vec<String>,
    }
    let text: String = row.get(index)?;
    serde_json::from_str::<Sources>(&text)
        .map(|m| m.sources)
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
        })
}

/// Whether `member` is in `roster` and active.
pub(crate) fn member_in(roster: &Roster, member: &str) -> Option<Person> {
    let id: MemberId = member.parse().ok()?;
    roster.member(id).map(|m| Person {
        member_id: m.member_id.to_string(),
        name: m.name.clone(),
        org: m.org.clone(),
    })
}
