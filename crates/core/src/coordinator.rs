//! The coordinator's desk: creating the cluster, issuing invites, receiving join and
//! key-change requests, and every change that produces the next roster version (approve,
//! remove, renew, hand over), each signed with the coordinator key and checked by the same
//! succession rules every member applies.
//!
//! Files, under the data directory's `cluster/` folder (owner-only):
//! - `invites.json`: invites issued, with their one-time secrets, and whom each admitted;
//! - `requests/<id>.json`: requests waiting for a decision, exactly as received.

use std::path::PathBuf;

use sealpost_format::enrol::{
    EnrolError, Invite, InviteId, InviteSecret, JoinRequest, KeyChange, is_relay_url,
};
use sealpost_format::roster::{
    CoordinatorKey, MemberStatus, Policy, PreviousKey, Role, Roster, RosterMember, SignedRoster,
    VerifiedRoster, rfc3339,
};
use sealpost_format::{ClusterId, Fingerprint, MemberId};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::fsutil::{create_private_dir, write_atomically};
use crate::identity::Identity;
use crate::keystore::{Home, KeystoreError, KeystoreKind};
use crate::membership::{Membership, MembershipError, find_member};
use crate::passphrase::Passphrase;

/// How long a roster stays valid when the coordinator issues it.
pub const ROSTER_VALIDITY: Duration = Duration::days(90);
/// How long an invite stays valid unless the coordinator says otherwise.
pub const INVITE_VALIDITY: Duration = Duration::days(7);
/// The longest validity allowed for an invite or a roster.
pub const MAX_VALIDITY: Duration = Duration::days(400);

/// Why a coordinator operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinatorError {
    /// This member does not hold the coordinator key of the roster.
    #[error(
        "only the coordinator can do this, and the roster names {coordinator} as coordinator; \
         if you are taking over, ask them to hand over to you (`sealpost cluster handover \
         YOUR-NAME`) and import the roster they send"
    )]
    NotCoordinator {
        /// The coordinator's name in the roster.
        coordinator: String,
    },
    /// A request names an invite this desk never issued.
    #[error(
        "this request answers invite {invite_id}, which was not issued from this computer; ask \
         the member which code they used, or send them a new invite"
    )]
    UnknownInvite {
        /// The invite named.
        invite_id: InviteId,
    },
    /// The invite has expired.
    #[error(
        "the invite {invite_id} expired on {expired_at}; send the member a new invite \
         (`sealpost cluster invite`), and ask them to join again with it"
    )]
    InviteExpired {
        /// The invite.
        invite_id: InviteId,
        /// When it expired (RFC 3339).
        expired_at: String,
    },
    /// The invite was used already.
    #[error(
        "the invite {invite_id} was already used by {used_by} on {used_at}: each invite admits \
         one member. If this is someone else, send them their own invite; if someone copied \
         the code, treat it as an incident"
    )]
    InviteUsed {
        /// The invite.
        invite_id: InviteId,
        /// Who it admitted.
        used_by: String,
        /// When (RFC 3339).
        used_at: String,
    },
    /// The request is for another cluster.
    #[error("this request is for cluster {got}, not this cluster ({ours})")]
    OtherCluster {
        /// This cluster.
        ours: ClusterId,
        /// The request's.
        got: ClusterId,
    },
    /// The joining member is already in the roster.
    #[error("{name} ({member_id}) is already a member; nothing to approve")]
    AlreadyMember {
        /// Their name.
        name: String,
        /// Their id.
        member_id: MemberId,
    },
    /// The request's keys are already someone's.
    #[error(
        "the keys in this request already belong to {name}; a request that reuses someone's \
         keys is refused"
    )]
    KeysInUse {
        /// Whose they are.
        name: String,
    },
    /// The key change does not start from the keys the roster holds.
    #[error(
        "this key change starts from keys the roster does not hold for {name} (an old request, \
         or a forged one); ask {name} to run `sealpost cluster rotate-key` again"
    )]
    StaleKeyChange {
        /// The member.
        name: String,
    },
    /// The member is not in the roster, or removed.
    #[error("{name} is not an active member of the cluster (removed, or never listed)")]
    NotActive {
        /// The member (or id).
        name: String,
    },
    /// No pending request has that id.
    #[error(
        "no pending request has the id {id}; `sealpost cluster requests` lists them, or pass \
         the request file itself"
    )]
    UnknownRequest {
        /// The id given.
        id: String,
    },
    /// The roster names this member's pending new key as coordinator key, but the key change
    /// did not finish (a crash in between).
    #[error(
        "your key change did not finish: the roster already names your new key. Finish it by \
         importing the current roster again: `sealpost roster export -o roster.json` then \
         `sealpost roster import roster.json`"
    )]
    KeyChangeUnfinished,
    /// The coordinator tried to remove themselves.
    #[error(
        "you cannot remove yourself while you hold the coordinator key; hand over first \
         (`sealpost cluster handover MEMBER`)"
    )]
    RemoveSelf,
    /// Something given on the command line is out of range.
    #[error("{0}")]
    Invalid(String),
    /// A request file is not valid.
    #[error(transparent)]
    Enrol(#[from] EnrolError),
    /// The cluster state failed.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// A file of the desk is damaged.
    #[error("{file} is damaged ({reason}); restore it from a backup")]
    Damaged {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl CoordinatorError {
    /// A stable machine-readable code (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            CoordinatorError::NotCoordinator { .. } => "not-coordinator",
            CoordinatorError::UnknownInvite { .. } => "unknown-invite",
            CoordinatorError::InviteExpired { .. } => "invite-expired",
            CoordinatorError::InviteUsed { .. } => "invite-used",
            CoordinatorError::OtherCluster { .. } => "other-cluster",
            CoordinatorError::AlreadyMember { .. } => "already-member",
            CoordinatorError::KeysInUse { .. } => "keys-in-use",
            CoordinatorError::StaleKeyChange { .. } => "stale-key-change",
            CoordinatorError::NotActive { .. } => "not-active",
            CoordinatorError::UnknownRequest { .. } => "unknown-request",
            CoordinatorError::RemoveSelf => "remove-self",
            CoordinatorError::KeyChangeUnfinished => "key-change-unfinished",
            CoordinatorError::Invalid(_) => "invalid-argument",
            CoordinatorError::Enrol(EnrolError::WrongSecret) => "wrong-invite-secret",
            CoordinatorError::Enrol(EnrolError::InviteTypo) => "invite-typo",
            CoordinatorError::Enrol(EnrolError::BadSignature { .. }) => "bad-signature",
            CoordinatorError::Enrol(_) => "invalid-request",
            CoordinatorError::Membership(e) => e.code(),
            CoordinatorError::Damaged { .. } => "damaged-file",
            CoordinatorError::Io { .. } => "io",
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CoordinatorError {
    let context = context.into();
    move |source| CoordinatorError::Io { context, source }
}

/// An invite issued by this desk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRecord {
    /// Its public id.
    pub invite_id: InviteId,
    /// Its secret, hex (the desk's files are owner-only).
    secret: String,
    /// The role it grants.
    pub role: Role,
    /// The organisation it is for, when the coordinator fixed one.
    pub org: Option<String>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops being accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The member it admitted.
    pub used_by: Option<MemberId>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub used_at: Option<OffsetDateTime>,
}

/// A request the coordinator decides on.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new member asks to join.
    Join(JoinRequest),
    /// A member asks to replace their keys.
    KeyChange(Box<KeyChange>),
}

impl Request {
    /// Reads a request file of either kind.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CoordinatorError> {
        // A join request has `invite_id`; a key change has `old_sig_pk`. Looking at the keys
        // first gives the right error for a damaged file of either kind.
        let is_key_change = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .is_some_and(|v| v.get("old_sig_pk").is_some());
        Ok(if is_key_change {
            Request::KeyChange(Box::new(KeyChange::from_json(bytes)?))
        } else {
            Request::Join(JoinRequest::from_json(bytes)?)
        })
    }

    /// Its id.
    pub fn id(&self) -> String {
        match self {
            Request::Join(r) => r.id(),
            Request::KeyChange(k) => k.id(),
        }
    }

    fn to_json(&self) -> Vec<u8> {
        match self {
            Request::Join(r) => r.to_json(),
            Request::KeyChange(k) => k.to_json(),
        }
    }
}

/// A pending request as the coordinator sees it, checked as far as possible.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingRequest {
    /// The id to approve it with.
    pub id: String,
    /// `join` or `key-change`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub kind: &'static str,
    /// The member.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub member_id: Option<MemberId>,
    /// Their name, as they gave it.
    pub name: Option<String>,
    /// Their organisation.
    pub org: Option<String>,
    /// The role they would get (join requests).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub role: Option<Role>,
    /// The fingerprint of the keys they ask to have; compare it with theirs by phone.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub fingerprint: Option<Fingerprint>,
    /// When they asked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub requested_at: Option<OffsetDateTime>,
    /// `None` when it can be approved; otherwise why not.
    pub problem: Option<String>,
}

/// The result of an approval.
#[derive(Debug)]
pub struct Approved {
    /// The new roster.
    pub roster: VerifiedRoster,
    /// Whom it concerned.
    pub name: String,
    /// What happened: `joined` or `keys-changed`.
    pub what: &'static str,
}

/// The coordinator's desk in a data directory, for the member holding the coordinator key.
#[derive(Debug)]
pub struct Desk<'a> {
    home: Home,
    membership: Membership,
    me: &'a Identity,
}

/// Creates a cluster with `me` as its coordinator (and first member) and returns roster v1.
pub fn create_cluster(
    home: &Home,
    me: &Identity,
    name: &str,
    policy: Policy,
    now: OffsetDateTime,
) -> Result<VerifiedRoster, CoordinatorError> {
    let membership = Membership::new(home);
    if let Some(pin) = membership.pin()? {
        return Err(MembershipError::AlreadyInCluster {
            cluster_id: pin.cluster_id,
        }
        .into());
    }
    let now = whole_seconds(now);
    let roster = Roster {
        v: 1,
        cluster_id: ClusterId::random(),
        name: name.trim().to_owned(),
        version: 1,
        prev_hash: None,
        issued_at: now,
        expires_at: now + ROSTER_VALIDITY,
        coordinator: CoordinatorKey {
            member_id: me.member_id(),
            sig_pk: me.signing_public_key(),
        },
        policy,
        members: vec![RosterMember {
            member_id: me.member_id(),
            name: me.name().to_owned(),
            org: me.org().to_owned(),
            roles: vec![Role::Coordinator],
            sig_pk: me.signing_public_key(),
            age_recipient: me.age_recipient().to_string(),
            status: MemberStatus::Active,
            previous_keys: Vec::new(),
        }],
    };
    let signed = SignedRoster::sign(&roster, me.signing_key()).map_err(MembershipError::from)?;
    let first = signed
        .verify(&me.signing_public_key())
        .map_err(MembershipError::from)?;
    membership.found(&first)?;
    Ok(first)
}

fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).expect("zero is valid")
}

/// Checks a validity the coordinator asked for.
pub fn check_validity(what: &str, validity: Duration) -> Result<Duration, CoordinatorError> {
    if validity <= Duration::ZERO || validity > MAX_VALIDITY {
        return Err(CoordinatorError::Invalid(format!(
            "{what} must be valid for more than zero and at most {} days",
            MAX_VALIDITY.whole_days()
        )));
    }
    Ok(validity)
}

impl<'a> Desk<'a> {
    /// The desk, if `me` holds the coordinator key of the roster held here.
    pub fn open(home: &Home, me: &'a Identity) -> Result<Self, CoordinatorError> {
        let membership = Membership::new(home);
        let held = membership.require()?;
        let c = &held.roster().coordinator;
        if c.member_id == me.member_id() && c.sig_pk != me.signing_public_key() {
            let pending = home.pending_key(me).map_err(MembershipError::from)?;
            if pending.is_some_and(|p| p.signing_public_key() == c.sig_pk) {
                return Err(CoordinatorError::KeyChangeUnfinished);
            }
        }
        if c.member_id != me.member_id() || c.sig_pk != me.signing_public_key() {
            let coordinator = held
                .roster()
                .member(c.member_id)
                .map_or_else(|| c.member_id.to_string(), |m| m.name.clone());
            return Err(CoordinatorError::NotCoordinator { coordinator });
        }
        Ok(Self {
            home: home.clone(),
            membership,
            me,
        })
    }

    fn dir(&self) -> PathBuf {
        self.home.dir().join("cluster")
    }

    fn invites_path(&self) -> PathBuf {
        self.dir().join("invites.json")
    }

    fn requests_dir(&self) -> PathBuf {
        self.dir().join("requests")
    }

    /// Every invite issued here, newest last.
    pub fn invites(&self) -> Result<Vec<InviteRecord>, CoordinatorError> {
        let path = self.invites_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| CoordinatorError::Damaged {
                file: path.display().to_string(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_err(format!("cannot read {}", path.display()))(e)),
        }
    }

    fn save_invites(&self, invites: &[InviteRecord]) -> Result<(), CoordinatorError> {
        create_private_dir(&self.dir()).map_err(io_err("cannot create the cluster folder"))?;
        let path = self.invites_path();
        let json = serde_json::to_vec_pretty(invites).expect("invites serialise");
        write_atomically(&path, &json, true)
            .map_err(io_err(format!("cannot write {}", path.display())))
    }

    /// Issues an invite for one member with `role` (and, if given, `org`).
    pub fn invite(
        &self,
        role: Role,
        org: Option<String>,
        validity: Duration,
        relay: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Invite, CoordinatorError> {
        let validity = check_validity("an invite", validity)?;
        if let Some(url) = relay.as_ref().filter(|url| !is_relay_url(url)) {
            return Err(CoordinatorError::Invalid(format!(
                "{url:?} is not a relay URL: give https://host[:port] (at most 200 characters)"
            )));
        }
        let org = org.map(|o| o.trim().to_owned()).filter(|o| !o.is_empty());
        let roster = self.membership.require()?;
        let now = whole_seconds(now);
        let secret = InviteSecret::random();
        let invite = Invite {
            cluster_id: roster.roster().cluster_id,
            coordinator: sealpost_format::enrol::CoordinatorPin::of(&self.me.signing_public_key()),
            secret: secret.clone(),
            expires_at: now + validity,
            relay,
        };
        let mut invites = self.invites()?;
        invites.push(InviteRecord {
            invite_id: secret.id(),
            secret: secret.to_hex().to_string(),
            role,
            org,
            created_at: now,
            expires_at: invite.expires_at,
            used_by: None,
            used_at: None,
        });
        self.save_invites(&invites)?;
        Ok(invite)
    }

    /// Adds a request file to the pending list (as received from the member or the relay).
    pub fn receive(
        &self,
        bytes: &[u8],
        now: OffsetDateTime,
    ) -> Result<PendingRequest, CoordinatorError> {
        let request = Request::from_json(bytes)?;
        let dir = self.requests_dir();
        create_private_dir(&dir).map_err(io_err("cannot create the requests folder"))?;
        let path = dir.join(format!("{}.json", request.id()));
        // A request already pending is kept: a tampered copy of a genuine request has the same
        // id (the id covers the body, not the MAC) and must not push it out. The one exception
        // is the other way round: a pending copy that fails its invite check gives way to one
        // that passes (the relay is untrusted and could deliver a forgery first).
        match write_atomically(&path, &request.to_json(), false) {
            Ok(()) => self.describe(&request, now),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes = std::fs::read(&path)
                    .map_err(io_err(format!("cannot read {}", path.display())))?;
                let pending = Request::from_json(&bytes)?;
                if !self.authentic(&pending)? && self.authentic(&request)? {
                    write_atomically(&path, &request.to_json(), true)
                        .map_err(io_err(format!("cannot write {}", path.display())))?;
                    return self.describe(&request, now);
                }
                self.describe(&pending, now)
            }
            Err(e) => Err(io_err(format!("cannot write {}", path.display()))(e)),
        }
    }

    /// Whether a join request carries the MAC of an invite this desk issued and its member's
    /// signature. Key changes have no invite; their signatures are checked on approval.
    fn authentic(&self, request: &Request) -> Result<bool, CoordinatorError> {
        let Request::Join(join) = request else {
            return Ok(true);
        };
        Ok(self
            .invites()?
            .iter()
            .find(|i| i.invite_id == join.invite_id())
            .and_then(|i| InviteSecret::from_hex(&i.secret))
            .is_some_and(|secret| join.verify(&secret).is_ok()))
    }

    /// Pending requests, each checked as far as possible (`problem` says why one cannot be
    /// approved).
    pub fn requests(&self, now: OffsetDateTime) -> Result<Vec<PendingRequest>, CoordinatorError> {
        let dir = self.requests_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(format!("cannot read {}", dir.display()))(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(io_err(format!("cannot read {}", dir.display())))?
                .path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes =
                std::fs::read(&path).map_err(io_err(format!("cannot read {}", path.display())))?;
            let described = match Request::from_json(&bytes) {
                Ok(request) => self.describe(&request, now)?,
                Err(e) => PendingRequest {
                    id: path
                        .file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
                    kind: "unreadable",
                    member_id: None,
                    name: None,
                    org: None,
                    role: None,
                    fingerprint: None,
                    requested_at: None,
                    problem: Some(e.to_string()),
                },
            };
            out.push(described);
        }
        out.sort_by_key(|r| (r.requested_at, r.id.clone()));
        Ok(out)
    }

    fn describe(
        &self,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<PendingRequest, CoordinatorError> {
        let held = self.membership.require()?;
        let problem = self
            .check(request, held.roster(), now)
            .err()
            .map(|e| e.to_string());
        Ok(match request {
            Request::Join(join) => {
                let invites = self.invites()?;
                let invite = invites.iter().find(|i| i.invite_id == join.invite_id());
                let body = invite
                    .and_then(|i| InviteSecret::from_hex(&i.secret))
                    .and_then(|secret| join.verify(&secret).ok());
                PendingRequest {
                    id: join.id(),
                    kind: "join",
                    member_id: body.as_ref().map(|b| b.member_id),
                    name: body.as_ref().map(|b| b.name.clone()),
                    org: invite
                        .and_then(|i| i.org.clone())
                        .or_else(|| body.as_ref().map(|b| b.org.clone())),
                    role: invite.map(|i| i.role),
                    fingerprint: body
                        .as_ref()
                        .map(|b| Fingerprint::of_member(&b.sig_pk, &b.age_recipient)),
                    requested_at: body.as_ref().map(|b| b.requested_at),
                    problem,
                }
            }
            Request::KeyChange(change) => {
                let member = held.roster().member(change.member_id);
                PendingRequest {
                    id: change.id(),
                    kind: "key-change",
                    member_id: Some(change.member_id),
                    name: member.map(|m| m.name.clone()),
                    org: member.map(|m| m.org.clone()),
                    role: None,
                    fingerprint: Some(Fingerprint::of_member(
                        &change.new_sig_pk,
                        &change.new_age_recipient,
                    )),
                    requested_at: Some(change.requested_at),
                    problem,
                }
            }
        })
    }

    /// Every check an approval makes, without changing anything.
    fn check(
        &self,
        request: &Request,
        roster: &Roster,
        now: OffsetDateTime,
    ) -> Result<(), CoordinatorError> {
        match request {
            Request::Join(join) => self.check_join(join, roster, now).map(|_| ()),
            Request::KeyChange(change) => check_key_change(change, roster),
        }
    }

    fn check_join(
        &self,
        join: &JoinRequest,
        roster: &Roster,
        now: OffsetDateTime,
    ) -> Result<(InviteRecord, RosterMember), CoordinatorError> {
        let invites = self.invites()?;
        let invite = invites
            .iter()
            .find(|i| i.invite_id == join.invite_id())
            .ok_or(CoordinatorError::UnknownInvite {
                invite_id: join.invite_id(),
            })?;
        let secret =
            InviteSecret::from_hex(&invite.secret).ok_or_else(|| CoordinatorError::Damaged {
                file: self.invites_path().display().to_string(),
                reason: format!("the secret of invite {} is not valid", invite.invite_id),
            })?;
        // The HMAC first: nothing in the request is believed before it checks out.
        let body = join.verify(&secret)?;
        // The same request approved twice is "already a member", not a reused invite.
        if let Some(m) = roster.member(body.member_id) {
            return Err(CoordinatorError::AlreadyMember {
                name: m.name.clone(),
                member_id: m.member_id,
            });
        }
        if let (Some(member_id), Some(used_at)) = (invite.used_by, invite.used_at) {
            let used_by = roster
                .member(member_id)
                .map_or_else(|| member_id.to_string(), |m| m.name.clone());
            return Err(CoordinatorError::InviteUsed {
                invite_id: invite.invite_id,
                used_by,
                used_at: rfc3339(used_at),
            });
        }
        if now >= invite.expires_at {
            return Err(CoordinatorError::InviteExpired {
                invite_id: invite.invite_id,
                expired_at: rfc3339(invite.expires_at),
            });
        }
        if body.cluster_id != roster.cluster_id {
            return Err(CoordinatorError::OtherCluster {
                ours: roster.cluster_id,
                got: body.cluster_id,
            });
        }
        if let Some(m) = roster.member(body.member_id) {
            return Err(CoordinatorError::AlreadyMember {
                name: m.name.clone(),
                member_id: m.member_id,
            });
        }
        check_keys_unused(roster, &body.sig_pk, &body.age_recipient)?;
        let member = RosterMember {
            member_id: body.member_id,
            name: body.name.trim().to_owned(),
            org: invite.org.clone().unwrap_or(body.org),
            roles: vec![invite.role],
            sig_pk: body.sig_pk,
            age_recipient: body.age_recipient,
            status: MemberStatus::Active,
            previous_keys: Vec::new(),
        };
        Ok((invite.clone(), member))
    }

    /// Loads a request by pending id, or from the bytes of a request file.
    pub fn load_request(&self, id_or_file: RequestRef<'_>) -> Result<Request, CoordinatorError> {
        match id_or_file {
            RequestRef::Bytes(bytes) => Request::from_json(bytes),
            RequestRef::Id(id) => {
                let valid = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
                let path = self.requests_dir().join(format!("{id}.json"));
                if !valid || !path.exists() {
                    return Err(CoordinatorError::UnknownRequest { id: id.to_owned() });
                }
                let bytes = std::fs::read(&path)
                    .map_err(io_err(format!("cannot read {}", path.display())))?;
                Request::from_json(&bytes)
            }
        }
    }

    /// Approves a request: a join adds the member with the invite's role (and organisation,
    /// when the invite fixed one); a key change replaces the member's keys. Either way the
    /// next roster version is signed and held.
    pub fn approve(
        &self,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<Approved, CoordinatorError> {
        let held = self.membership.require()?;
        let approved = match request {
            Request::Join(join) => {
                let (invite, member) = self.check_join(join, held.roster(), now)?;
                let name = member.name.clone();
                let member_id = member.member_id;
                let roster = self.publish(&held, now, |r| r.members.push(member))?;
                // The invite is marked used only once the roster that admits the member is
                // held: a crash in between leaves an unused invite and a member who is in, and
                // approving again then says "already a member".
                let mut invites = self.invites()?;
                if let Some(record) = invites.iter_mut().find(|i| i.invite_id == invite.invite_id) {
                    record.used_by = Some(member_id);
                    record.used_at = Some(whole_seconds(now));
                }
                self.save_invites(&invites)?;
                Approved {
                    roster,
                    name,
                    what: "joined",
                }
            }
            Request::KeyChange(change) => {
                check_key_change(change, held.roster())?;
                let roster = self.publish(&held, now, |r| apply_key_change(r, change))?;
                let name = roster
                    .roster()
                    .member(change.member_id)
                    .map_or_else(String::new, |m| m.name.clone());
                Approved {
                    roster,
                    name,
                    what: "keys-changed",
                }
            }
        };
        self.discard(&request.id())?;
        Ok(approved)
    }

    /// Drops a pending request without approving it.
    pub fn reject(&self, id: &str) -> Result<(), CoordinatorError> {
        self.load_request(RequestRef::Id(id))?;
        self.discard(id)
    }

    fn discard(&self, id: &str) -> Result<(), CoordinatorError> {
        let path = self.requests_dir().join(format!("{id}.json"));
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(format!("cannot remove {}", path.display()))(e)),
        }
    }

    /// Marks a member removed: they can no longer be sealed to, and their parcels are
    /// reported as coming from a removed member.
    pub fn remove(&self, query: &str, now: OffsetDateTime) -> Result<Approved, CoordinatorError> {
        let held = self.membership.require()?;
        let member = find_member(held.roster(), query)?;
        if member.member_id == self.me.member_id() {
            return Err(CoordinatorError::RemoveSelf);
        }
        if member.status == MemberStatus::Removed {
            return Err(CoordinatorError::NotActive {
                name: member.name.clone(),
            });
        }
        let (id, name) = (member.member_id, member.name.clone());
        let roster = self.publish(&held, now, |r| {
            for m in r.members.iter_mut().filter(|m| m.member_id == id) {
                m.status = MemberStatus::Removed;
            }
        })?;
        Ok(Approved {
            roster,
            name,
            what: "removed",
        })
    }

    /// Hands the coordinator key over to another active member: the roster signed now, with
    /// the current key, names theirs; from then on only their key can sign the next one.
    pub fn handover(&self, query: &str, now: OffsetDateTime) -> Result<Approved, CoordinatorError> {
        let held = self.membership.require()?;
        let member = find_member(held.roster(), query)?;
        if member.status != MemberStatus::Active {
            return Err(CoordinatorError::NotActive {
                name: member.name.clone(),
            });
        }
        if member.member_id == self.me.member_id() {
            return Err(CoordinatorError::Invalid(
                "you already hold the coordinator key".into(),
            ));
        }
        let (id, sig_pk, name) = (member.member_id, member.sig_pk, member.name.clone());
        let roster = self.publish(&held, now, |r| {
            r.coordinator = CoordinatorKey {
                member_id: id,
                sig_pk,
            };
            for m in r.members.iter_mut().filter(|m| m.member_id == id) {
                if !m.roles.contains(&Role::Coordinator) {
                    m.roles.insert(0, Role::Coordinator);
                }
            }
        })?;
        Ok(Approved {
            roster,
            name,
            what: "handed-over",
        })
    }

    /// Names the cluster's recovery key in the policy (or, with `None`, stops naming one):
    /// from the roster signed now, every member's app also seals each parcel to it. Parcels
    /// sealed before are not changed.
    pub fn set_recovery_recipient(
        &self,
        recipient: Option<String>,
        now: OffsetDateTime,
    ) -> Result<VerifiedRoster, CoordinatorError> {
        if let Some(text) = &recipient {
            crate::recovery::check_recipient(text)
                .map_err(|e| CoordinatorError::Invalid(e.to_string()))?;
        }
        let held = self.membership.require()?;
        if held.roster().policy.recovery_recipient == recipient {
            return Err(CoordinatorError::Invalid(match recipient {
                Some(_) => "the roster already names this recovery key".into(),
                None => "the roster names no recovery key".into(),
            }));
        }
        self.publish(&held, now, |r| r.policy.recovery_recipient = recipient)
    }

    /// Issues the same roster again with a later expiry.
    pub fn renew(
        &self,
        validity: Duration,
        now: OffsetDateTime,
    ) -> Result<VerifiedRoster, CoordinatorError> {
        let validity = check_validity("a roster", validity)?;
        let now = whole_seconds(now);
        let held = self.membership.require()?;
        self.publish(&held, now, |r| r.expires_at = now + validity)
    }

    /// The coordinator changes their own keys: the roster naming the new key is signed with
    /// the old one, then the new keys become current. Returns the new identity and roster.
    pub fn rotate_own_key(
        &self,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Result<(Identity, VerifiedRoster), CoordinatorError> {
        let held = self.membership.require()?;
        // Everything that can fail comes before the roster naming the new key is signed:
        // afterwards, only the new key is the coordinator's.
        if self
            .home
            .profile()
            .map_err(MembershipError::from)?
            .keystore()
            == KeystoreKind::PassphraseFile
            && passphrase.is_none()
        {
            return Err(MembershipError::from(KeystoreError::PassphraseRequired).into());
        }
        let next = self
            .home
            .begin_key_change(self.me)
            .map_err(MembershipError::from)?;
        let change = KeyChange::create(
            held.roster().cluster_id,
            self.me.member_id(),
            (self.me.signing_key(), &self.me.age_recipient().to_string()),
            (next.signing_key(), &next.age_recipient().to_string()),
            whole_seconds(now),
        );
        check_key_change(&change, held.roster())?;
        let roster = self.publish(&held, now, |r| apply_key_change(r, &change))?;
        let me = self
            .home
            .finish_key_change(self.me, passphrase)
            .map_err(MembershipError::from)?;
        Ok((me, roster))
    }

    /// Signs and holds the next roster version: the held one changed by `edit`, with a fresh
    /// issue time and (unless `edit` sets another) a fresh expiry.
    fn publish(
        &self,
        held: &VerifiedRoster,
        now: OffsetDateTime,
        edit: impl FnOnce(&mut Roster),
    ) -> Result<VerifiedRoster, CoordinatorError> {
        let now = whole_seconds(now);
        let mut next = held.roster().clone();
        next.version += 1;
        next.prev_hash = Some(held.hash());
        next.issued_at = now;
        next.expires_at = now + ROSTER_VALIDITY;
        edit(&mut next);
        let signed =
            SignedRoster::sign(&next, self.me.signing_key()).map_err(MembershipError::from)?;
        Ok(self.membership.hold_own(held, signed, now)?)
    }
}

/// A request named by its pending id, or given as a file's bytes.
#[derive(Debug, Clone, Copy)]
pub enum RequestRef<'a> {
    /// A pending request's id.
    Id(&'a str),
    /// A request file's contents.
    Bytes(&'a [u8]),
}

fn check_keys_unused(
    roster: &Roster,
    sig_pk: &sealpost_format::SigningPublicKey,
    age_recipient: &str,
) -> Result<(), CoordinatorError> {
    for m in &roster.members {
        let used = m.sig_pk == *sig_pk
            || m.age_recipient == age_recipient
            || m.previous_keys
                .iter()
                .any(|k| k.sig_pk == *sig_pk || k.age_recipient == age_recipient);
        if used {
            return Err(CoordinatorError::KeysInUse {
                name: m.name.clone(),
            });
        }
    }
    Ok(())
}

fn check_key_change(change: &KeyChange, roster: &Roster) -> Result<(), CoordinatorError> {
    if change.cluster_id != roster.cluster_id {
        return Err(CoordinatorError::OtherCluster {
            ours: roster.cluster_id,
            got: change.cluster_id,
        });
    }
    let member = roster
        .member(change.member_id)
        .filter(|m| m.status == MemberStatus::Active)
        .ok_or_else(|| CoordinatorError::NotActive {
            name: roster
                .member(change.member_id)
                .map_or_else(|| change.member_id.to_string(), |m| m.name.clone()),
        })?;
    if member.sig_pk != change.old_sig_pk || member.age_recipient != change.old_age_recipient {
        return Err(CoordinatorError::StaleKeyChange {
            name: member.name.clone(),
        });
    }
    check_keys_unused(roster, &change.new_sig_pk, &change.new_age_recipient)
}

fn apply_key_change(roster: &mut Roster, change: &KeyChange) {
    if roster.coordinator.member_id == change.member_id {
        roster.coordinator.sig_pk = change.new_sig_pk;
    }
    for m in roster
        .members
        .iter_mut()
        .filter(|m| m.member_id == change.member_id)
    {
        m.previous_keys.push(PreviousKey {
            sig_pk: m.sig_pk,
            age_recipient: m.age_recipient.clone(),
            change_signature: change.old_signature,
        });
        m.sig_pk = change.new_sig_pk;
        m.age_recipient = change.new_age_recipient.clone();
    }
}

/// A member (not the coordinator) asks to change keys: fresh keys are generated and kept
/// pending until the coordinator's roster lists them; the returned request goes to the
/// coordinator. Asking again before that returns the same request for the same new keys.
pub fn request_key_change(
    home: &Home,
    me: &Identity,
    now: OffsetDateTime,
) -> Result<KeyChange, CoordinatorError> {
    let held = Membership::new(home).require()?;
    let roster = held.roster();
    if roster.coordinator.member_id == me.member_id() {
        return Err(CoordinatorError::Invalid(
            "you hold the coordinator key: your key change is signed into the next roster at \
             once (`sealpost cluster rotate-key` on your own computer does it), not sent as a \
             request"
                .into(),
        ));
    }
    match roster.member(me.member_id()) {
        Some(m) if m.status == MemberStatus::Active => {}
        _ => {
            return Err(CoordinatorError::NotActive {
                name: me.name().to_owned(),
            });
        }
    }
    let next = home.begin_key_change(me).map_err(MembershipError::from)?;
    Ok(KeyChange::create(
        roster.cluster_id,
        me.member_id(),
        (me.signing_key(), &me.age_recipient().to_string()),
        (next.signing_key(), &next.age_recipient().to_string()),
        whole_seconds(now),
    ))
}
