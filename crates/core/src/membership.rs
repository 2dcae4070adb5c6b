//! This member's place in a cluster: the coordinator key it pins, the roster it holds, and the
//! rules by which it accepts a newer roster and resolves recipients through it.
//!
//! Files, under the data directory's `roster/` folder:
//! - `pin.json`: the cluster id and the coordinator pin from the invite (written on join);
//! - `current.json`: the roster held, as the coordinator signed it;
//! - `v<N>.json`: every version accepted, so any of them can be passed on.
//!
//! A roster is accepted ([`Membership::import`]) only if the format's succession rules hold
//! (see [`sealpost_format::roster`]) and, for this member, the roster lists the keys this
//! member actually holds: a roster that lists other keys for us would let someone else read
//! what is sealed to us.

use std::path::PathBuf;

use sealpost_format::enrol::{CoordinatorPin, Invite, InviteId, JoinRequest, JoinRequestBody};
use sealpost_format::roster::{
    MemberStatus, Role, Roster, RosterError, RosterMember, SignedRoster, VerifiedRoster, rfc3339,
};
use sealpost_format::{ClusterId, Fingerprint, MemberId, SafetyNumber};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::fsutil::{create_private_dir, write_atomically};
use crate::identity::{Identity, MemberCard};
use crate::keystore::{Home, KeystoreError};
use crate::parcel::{Addressee, AgeRecipient, RosterContext};
use crate::passphrase::Passphrase;

const PIN_FILE: &str = "pin.json";
const CURRENT_FILE: &str = "current.json";

/// Why a cluster operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// No cluster joined or created yet.
    #[error(
        "you are not in a cluster yet: join one with the invite code your coordinator gave you \
         (`sealpost join CODE`), or create one if you are the coordinator (`sealpost cluster \
         create --name NAME`)"
    )]
    NotInCluster,
    /// Joined, but no roster received yet.
    #[error(
        "you have joined cluster {cluster_id} but hold no roster yet: once the coordinator has \
         approved your join request, import the roster they send you (`sealpost roster import \
         FILE`)"
    )]
    NoRoster {
        /// The cluster joined.
        cluster_id: ClusterId,
    },
    /// Already in a cluster.
    #[error(
        "this data directory already belongs to cluster {cluster_id}; use another --home to join \
         a second cluster"
    )]
    AlreadyInCluster {
        /// The cluster it belongs to.
        cluster_id: ClusterId,
    },
    /// The invite code has expired.
    #[error("this invite expired on {expired_at}; ask the coordinator for a new invite code")]
    InviteExpired {
        /// When (RFC 3339).
        expired_at: String,
    },
    /// The roster offered does not list this member yet.
    #[error(
        "this roster (version {version}) does not list you yet: the coordinator has not \
         approved your join request, or sent an older roster. Ask them for the roster that \
         includes you"
    )]
    NotListed {
        /// The roster's version.
        version: u64,
    },
    /// The roster lists other keys for this member.
    #[error(
        "this roster lists different keys for you than the ones you hold: someone may have \
         substituted your keys. Do not use it; call the coordinator and compare your \
         fingerprint (`sealpost whoami`) with what they see"
    )]
    OwnKeysDiffer,
    /// The held roster has expired.
    #[error(
        "your roster (version {version}) expired on {expired_at}, so it can no longer say who \
         is in the cluster; ask the coordinator for the current one and import it (`sealpost \
         roster import FILE`)"
    )]
    RosterExpired {
        /// Its version.
        version: u64,
        /// When (RFC 3339).
        expired_at: String,
    },
    /// No member matches a name, id or role.
    #[error(
        "nobody in roster version {version} is called {query:?}; `sealpost members` lists who \
         is in the cluster"
    )]
    NoSuchMember {
        /// What was asked for.
        query: String,
        /// The roster's version.
        version: u64,
    },
    /// Several members match a name.
    #[error("{query:?} matches several members: {candidates}; use the member id instead")]
    Ambiguous {
        /// What was asked for.
        query: String,
        /// The matching members, "name (org): id", comma-separated.
        candidates: String,
    },
    /// A removed member was named as a recipient.
    #[error(
        "{name} ({org}) was removed from the cluster, so nothing can be sealed to them; ask the \
         coordinator if that is a mistake"
    )]
    Removed {
        /// Their name.
        name: String,
        /// Their organisation.
        org: String,
    },
    /// A key that a member has replaced was named as a recipient.
    #[error(
        "{key} is an old key of {name}, who has changed keys; address them by name or member \
         id instead"
    )]
    OldKey {
        /// The key given.
        key: String,
        /// Whose it was.
        name: String,
    },
    /// The roster marks this member removed.
    #[error(
        "you have been removed from the cluster (roster version {version}), so you can no \
         longer send to its members; ask the coordinator if this is a mistake"
    )]
    YouWereRemoved {
        /// The roster's version.
        version: u64,
    },
    /// One roster of several could not be imported (nothing was).
    #[error("{source}")]
    InChain {
        /// Its position in the list, from 0.
        position: usize,
        /// Why.
        source: Box<MembershipError>,
    },
    /// A role nobody active holds.
    #[error(
        "no active member of the cluster has the role {role}; name the recipients instead, or \
         ask the coordinator to invite one"
    )]
    NobodyWithRole {
        /// The role asked for.
        role: Role,
    },
    /// A recipient that is neither a key, a role, an id nor a name.
    #[error("{0}")]
    BadRecipient(String),
    /// The roster itself was refused.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// The keystore failed (for a key change).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// A file in `roster/` is damaged.
    #[error("{file} is damaged ({reason}); import the roster again or restore it from a backup")]
    Damaged {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A relay address that is not `https://host[:port]` (or plain http on this computer).
    #[error("{url:?} is not a relay address: give https://host[:port]")]
    NotARelayUrl {
        /// What was given.
        url: String,
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

impl MembershipError {
    /// A stable machine-readable code (for scripts and the desktop app).
    pub fn code(&self) -> &'static str {
        match self {
            MembershipError::NotInCluster => "not-in-cluster",
            MembershipError::NoRoster { .. } => "no-roster",
            MembershipError::AlreadyInCluster { .. } => "already-in-cluster",
            MembershipError::InviteExpired { .. } => "invite-expired",
            MembershipError::NotListed { .. } => "not-listed",
            MembershipError::OwnKeysDiffer => "own-keys-differ",
            MembershipError::RosterExpired { .. } => "roster-expired",
            MembershipError::NoSuchMember { .. } => "no-such-member",
            MembershipError::Ambiguous { .. } => "ambiguous-member",
            MembershipError::Removed { .. } => "member-removed",
            MembershipError::OldKey { .. } => "old-key",
            MembershipError::NobodyWithRole { .. } => "nobody-with-role",
            MembershipError::YouWereRemoved { .. } => "you-were-removed",
            MembershipError::InChain { source, .. } => source.code(),
            MembershipError::BadRecipient(_) => "invalid-recipient",
            MembershipError::Roster(e) => e.code(),
            MembershipError::Keystore(e) => e.code(),
            MembershipError::Damaged { .. } => "damaged-file",
            MembershipError::NotARelayUrl { .. } => "invalid-argument",
            MembershipError::Io { .. } => "io",
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> MembershipError {
    let context = context.into();
    move |source| MembershipError::Io { context, source }
}

/// What a member pinned when joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    v: u32,
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The coordinator key the invite named.
    pub coordinator: CoordinatorPin,
    /// The relay from the invite, if any.
    pub relay: Option<String>,
    /// The invite answered (absent for the coordinator who created the cluster).
    pub invite_id: Option<InviteId>,
}

/// What changed between two roster versions, for people to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RosterChange {
    /// A member was added.
    Added {
        /// Who.
        name: String,
        /// Their organisation.
        org: String,
        /// Their roles.
        roles: Vec<Role>,
    },
    /// A member was removed.
    Removed {
        /// Who.
        name: String,
    },
    /// A removed member is active again.
    Restored {
        /// Who.
        name: String,
    },
    /// A member changed keys (with a key change signed by their previous key).
    KeysChanged {
        /// Who.
        name: String,
    },
    /// A member's roles changed.
    RolesChanged {
        /// Who.
        name: String,
        /// Their roles now.
        roles: Vec<Role>,
    },
    /// Another key now signs the roster.
    CoordinatorChanged {
        /// The member who now holds it.
        name: String,
    },
    /// The handling policy changed.
    PolicyChanged,
}

/// The differences from `old` to `new`.
pub fn roster_changes(old: &Roster, new: &Roster) -> Vec<RosterChange> {
    let mut changes = Vec::new();
    for m in &new.members {
        let Some(before) = old.member(m.member_id) else {
            changes.push(RosterChange::Added {
                name: m.name.clone(),
                org: m.org.clone(),
                roles: m.roles.clone(),
            });
            continue;
        };
        let name = m.name.clone();
        match (before.status, m.status) {
            (MemberStatus::Active, MemberStatus::Removed) => {
                changes.push(RosterChange::Removed { name: name.clone() });
            }
            (MemberStatus::Removed, MemberStatus::Active) => {
                changes.push(RosterChange::Restored { name: name.clone() });
            }
            _ => {}
        }
        if before.sig_pk != m.sig_pk || before.age_recipient != m.age_recipient {
            changes.push(RosterChange::KeysChanged { name: name.clone() });
        }
        if before.roles != m.roles {
            changes.push(RosterChange::RolesChanged {
                name,
                roles: m.roles.clone(),
            });
        }
    }
    if old.coordinator.member_id != new.coordinator.member_id {
        let name = new
            .member(new.coordinator.member_id)
            .map_or_else(|| new.coordinator.member_id.to_string(), |m| m.name.clone());
        changes.push(RosterChange::CoordinatorChanged { name });
    }
    if old.policy != new.policy {
        changes.push(RosterChange::PolicyChanged);
    }
    changes
}

/// The outcome of importing a roster.
#[derive(Debug)]
pub struct Imported {
    /// The roster now held.
    pub roster: VerifiedRoster,
    /// What changed since the roster held before (empty on join).
    pub changes: Vec<RosterChange>,
    /// Whether this import completed this member's own key change.
    pub key_change_completed: bool,
}

/// This member's cluster state in a data directory.
#[derive(Debug, Clone)]
pub struct Membership {
    home: Home,
}

impl Membership {
    /// The cluster state kept in `home`.
    pub fn new(home: &Home) -> Self {
        Self { home: home.clone() }
    }

    fn dir(&self) -> PathBuf {
        self.home.dir().join("roster")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// The pin written when joining or creating the cluster.
    pub fn pin(&self) -> Result<Option<Pin>, MembershipError> {
        let path = self.path(PIN_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| MembershipError::Damaged {
                        file: path.display().to_string(),
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(format!("cannot read {}", path.display()))(e)),
        }
    }

    fn write_pin(&self, pin: &Pin) -> Result<(), MembershipError> {
        create_private_dir(&self.dir()).map_err(io_err("cannot create the roster folder"))?;
        let path = self.path(PIN_FILE);
        let json = serde_json::to_vec_pretty(pin).expect("a pin serialises");
        write_atomically(&path, &json, true)
            .map_err(io_err(format!("cannot write {}", path.display())))
    }

    /// Sets the relay this member uses (the coordinator's `sealpost relay use URL`).
    pub fn set_relay(&self, url: &str) -> Result<(), MembershipError> {
        let url = url.trim();
        if !sealpost_format::enrol::is_relay_url(url) {
            return Err(MembershipError::NotARelayUrl { url: url.into() });
        }
        let mut pin = self.pin()?.ok_or(MembershipError::NotInCluster)?;
        pin.relay = Some(url.trim_end_matches('/').to_owned());
        self.write_pin(&pin)
    }

    /// The roster held, its signature checked again; `None` before the first import.
    pub fn held(&self) -> Result<Option<VerifiedRoster>, MembershipError> {
        let path = self.path(CURRENT_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(format!("cannot read {}", path.display()))(e)),
        };
        let damaged = |e: RosterError| MembershipError::Damaged {
            file: path.display().to_string(),
            reason: e.to_string(),
        };
        let signed = SignedRoster::from_json(&bytes).map_err(damaged)?;
        let signer = *signed.signer();
        signed.verify(&signer).map(Some).map_err(damaged)
    }

    /// The roster held, or why there is none.
    pub fn require(&self) -> Result<VerifiedRoster, MembershipError> {
        if let Some(held) = self.held()? {
            return Ok(held);
        }
        Err(match self.pin()? {
            Some(pin) => MembershipError::NoRoster {
                cluster_id: pin.cluster_id,
            },
            None => MembershipError::NotInCluster,
        })
    }

    /// The roster held, refusing one that has expired: what addressing and verification use.
    pub fn current(&self, now: OffsetDateTime) -> Result<VerifiedRoster, MembershipError> {
        let held = self.require()?;
        let r = held.roster();
        if r.is_expired(now) {
            return Err(MembershipError::RosterExpired {
                version: r.version,
                expired_at: rfc3339(r.expires_at),
            });
        }
        Ok(held)
    }

    /// A version accepted earlier, as signed.
    pub fn version(&self, version: u64) -> Result<SignedRoster, MembershipError> {
        let path = self.path(&format!("v{version}.json"));
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => MembershipError::Damaged {
                file: path.display().to_string(),
                reason: format!("roster version {version} was never held here"),
            },
            _ => io_err(format!("cannot read {}", path.display()))(e),
        })?;
        SignedRoster::from_json(&bytes).map_err(|e| MembershipError::Damaged {
            file: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Stores `roster` as held (and in the history). The caller has checked it.
    fn hold(&self, roster: &VerifiedRoster) -> Result<(), MembershipError> {
        create_private_dir(&self.dir()).map_err(io_err("cannot create the roster folder"))?;
        let json = roster.signed().to_json();
        let history = self.path(&format!("v{}.json", roster.roster().version));
        write_atomically(&history, &json, true)
            .map_err(io_err(format!("cannot write {}", history.display())))?;
        let current = self.path(CURRENT_FILE);
        write_atomically(&current, &json, true)
            .map_err(io_err(format!("cannot write {}", current.display())))
    }

    /// Starts a new cluster with its first roster, signed by this member (the coordinator).
    pub(crate) fn found(&self, first: &VerifiedRoster) -> Result<(), MembershipError> {
        if let Some(pin) = self.pin()? {
            return Err(MembershipError::AlreadyInCluster {
                cluster_id: pin.cluster_id,
            });
        }
        let r = first.roster();
        self.write_pin(&Pin {
            v: 1,
            cluster_id: r.cluster_id,
            coordinator: CoordinatorPin::of(&r.coordinator.sig_pk),
            relay: None,
            invite_id: None,
        })?;
        self.hold(first)
    }

    /// Holds a roster this member (the coordinator) just signed, after checking it as the
    /// successor of `held` under the same rules as any other member would.
    pub(crate) fn hold_own(
        &self,
        held: &VerifiedRoster,
        next: SignedRoster,
        now: OffsetDateTime,
    ) -> Result<VerifiedRoster, MembershipError> {
        let next = held.successor(next, now)?;
        self.hold(&next)?;
        Ok(next)
    }

    /// Answers an invite: pins the coordinator and cluster, and returns the join request to
    /// send to the coordinator.
    pub fn join(
        &self,
        invite: &Invite,
        me: &Identity,
        now: OffsetDateTime,
    ) -> Result<JoinRequest, MembershipError> {
        if now >= invite.expires_at {
            return Err(MembershipError::InviteExpired {
                expired_at: rfc3339(invite.expires_at),
            });
        }
        let pin = Pin {
            v: 1,
            cluster_id: invite.cluster_id,
            coordinator: invite.coordinator,
            relay: invite.relay.clone(),
            invite_id: Some(invite.secret.id()),
        };
        // Joining again (a lost request file, a fresh invite after the first expired or after
        // the coordinator changed keys) is fine until the first roster arrives: until then
        // nothing depends on the pin.
        if let Some(old) = self.pin()?
            && self.held()?.is_some()
        {
            return Err(MembershipError::AlreadyInCluster {
                cluster_id: old.cluster_id,
            });
        }
        let body = JoinRequestBody {
            v: 1,
            cluster_id: invite.cluster_id,
            invite_id: invite.secret.id(),
            member_id: me.member_id(),
            name: me.name().to_owned(),
            org: me.org().to_owned(),
            sig_pk: me.signing_public_key(),
            age_recipient: me.age_recipient().to_string(),
            requested_at: now.replace_nanosecond(0).expect("zero is valid"),
        };
        let request = JoinRequest::create(&body, &invite.secret, me.signing_key());
        self.write_pin(&pin)?;
        Ok(request)
    }

    /// Accepts one roster; see [`Membership::import_chain`].
    pub fn import(
        &self,
        signed: SignedRoster,
        me: &Identity,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Result<Imported, MembershipError> {
        let mut imported = self.import_chain(vec![signed], me, passphrase, now)?;
        Ok(imported.pop().expect("one roster in, one out"))
    }

    /// Accepts rosters, oldest first, under every rule: the first one ever against the pin
    /// from the invite, each other as the successor of the one before. Only the last must list
    /// this member (a member who joined at version 9 may need versions 7 and 8 to follow a
    /// coordinator handover). Our entry in it must carry our current keys, or the pending keys
    /// of our key change, which this then completes (`passphrase` is needed for that with a
    /// passphrase-protected identity). All are checked before any is held: all or none.
    /// The roster already held, offered again, is reported as [`RosterError::Unchanged`]
    /// unless it completes a key change that a crash interrupted.
    pub fn import_chain(
        &self,
        rosters: Vec<SignedRoster>,
        me: &Identity,
        passphrase: Option<&Passphrase>,
        now: OffsetDateTime,
    ) -> Result<Vec<Imported>, MembershipError> {
        let pin = self.pin()?.ok_or(MembershipError::NotInCluster)?;
        let first_held = self.held()?;
        let mut held = first_held.clone();
        let mut accepted = Vec::new();
        let count = rosters.len();
        let at = |position: usize| {
            move |e: RosterError| {
                let e = MembershipError::from(e);
                if count > 1 {
                    MembershipError::InChain {
                        position,
                        source: Box::new(e),
                    }
                } else {
                    e
                }
            }
        };
        for (i, signed) in rosters.into_iter().enumerate() {
            let more_follow = i + 1 < count;
            // So that "import everything from version 1" works whatever one holds, a version
            // accepted before (byte for byte) or older than the one held is skipped when more
            // follow; only the rosters after it are checked and held.
            if more_follow && (self.accepted_before(&signed) || older_than(&signed, held.as_ref()))
            {
                continue;
            }
            let (next, changes) = match &held {
                // Before the first roster is held, versions that the invite's pin does not
                // reach (from before a coordinator key change) are skipped when more follow.
                None if more_follow => {
                    match signed.verify_pinned(&pin.coordinator, pin.cluster_id, now) {
                        Ok(next) => (next, Vec::new()),
                        Err(_) => continue,
                    }
                }
                None => {
                    let next = signed
                        .verify_pinned(&pin.coordinator, pin.cluster_id, now)
                        .map_err(at(i))?;
                    (next, Vec::new())
                }
                Some(h) => match h.successor(signed, now) {
                    Ok(next) => {
                        let changes = roster_changes(h.roster(), next.roster());
                        (next, changes)
                    }
                    // The same roster twice in one list: the second is nothing new.
                    Err(RosterError::Unchanged { .. }) if !accepted.is_empty() => continue,
                    Err(RosterError::Unchanged { version }) => {
                        if self.finish_interrupted_key_change(h, me, passphrase)? {
                            return Ok(vec![Imported {
                                roster: h.clone(),
                                changes: Vec::new(),
                                key_change_completed: true,
                            }]);
                        }
                        return Err(at(i)(RosterError::Unchanged { version }));
                    }
                    Err(e) => return Err(at(i)(e)),
                },
            };
            held = Some(next.clone());
            accepted.push(Imported {
                roster: next,
                changes,
                key_change_completed: false,
            });
        }
        let Some(last) = accepted.last_mut() else {
            return Ok(accepted);
        };
        let pending = self.home.pending_key(me)?;
        match last.roster.roster().member(me.member_id()) {
            None if first_held.is_none() => {
                return Err(MembershipError::NotListed {
                    version: last.roster.roster().version,
                });
            }
            // Not listed at all after joining cannot pass the succession rules; removed is
            // accepted so that the member learns it.
            None => {}
            Some(m) if me.same_keys(&m.sig_pk, &m.age_recipient) => {}
            Some(m)
                if pending
                    .as_ref()
                    .is_some_and(|p| p.same_keys(&m.sig_pk, &m.age_recipient)) =>
            {
                last.key_change_completed = true;
            }
            Some(_) => return Err(MembershipError::OwnKeysDiffer),
        }
        if last.key_change_completed {
            self.home.finish_key_change(me, passphrase)?;
        }
        for imported in &accepted {
            self.hold(&imported.roster)?;
        }
        Ok(accepted)
    }

    /// Whether these exact bytes are a version this member accepted before.
    fn accepted_before(&self, signed: &SignedRoster) -> bool {
        // The claimed version only says which stored file to compare the bytes with.
        signed.claim().is_some_and(|claim| {
            self.version(claim.version)
                .is_ok_and(|stored| stored.bytes() == signed.bytes())
        })
    }

    /// Completes a key change whose roster is already held (a crash between holding it and
    /// switching keys); `true` when it did.
    fn finish_interrupted_key_change(
        &self,
        held: &VerifiedRoster,
        me: &Identity,
        passphrase: Option<&Passphrase>,
    ) -> Result<bool, MembershipError> {
        let Some(pending) = self.home.pending_key(me)? else {
            return Ok(false);
        };
        let listed = held
            .roster()
            .member(me.member_id())
            .is_some_and(|m| pending.same_keys(&m.sig_pk, &m.age_recipient));
        if listed {
            self.home.finish_key_change(me, passphrase)?;
        }
        Ok(listed)
    }

    /// The context recorded in the manifests of parcels addressed through `roster`.
    pub fn context(roster: &Roster) -> RosterContext {
        RosterContext {
            cluster_id: roster.cluster_id,
            roster_version: roster.version,
        }
    }
}

/// Whether `signed` claims a version older than the roster held (read unverified: it is only
/// used to skip the roster, never to trust it).
fn older_than(signed: &SignedRoster, held: Option<&VerifiedRoster>) -> bool {
    held.zip(signed.claim())
        .is_some_and(|(held, claim)| claim.version < held.roster().version)
}

/// Refuses a sender the roster marks removed.
pub fn check_sender(roster: &Roster, me: MemberId) -> Result<(), MembershipError> {
    match roster.member(me) {
        Some(m) if m.status == MemberStatus::Removed => Err(MembershipError::YouWereRemoved {
            version: roster.version,
        }),
        _ => Ok(()),
    }
}

/// Finds one member by member id or name (case-insensitive), whatever their status.
pub fn find_member<'r>(
    roster: &'r Roster,
    query: &str,
) -> Result<&'r RosterMember, MembershipError> {
    if let Some(m) = query
        .parse::<MemberId>()
        .ok()
        .and_then(|id| roster.member(id))
    {
        return Ok(m);
    }
    let wanted = query.trim().to_lowercase();
    let matches: Vec<&RosterMember> = roster
        .members
        .iter()
        .filter(|m| m.name.to_lowercase() == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(MembershipError::NoSuchMember {
            query: query.to_owned(),
            version: roster.version,
        }),
        many => Err(MembershipError::Ambiguous {
            query: query.to_owned(),
            candidates: many
                .iter()
                .map(|m| format!("{} ({}): {}", m.name, m.org, m.member_id))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Resolves `--to` values to addressees: `age1…` keys, `role:imo` (every active member with
/// the role), member ids and names. Removed members and replaced keys are refused. Without a
/// roster only `age1…` keys can be used.
pub fn resolve_addressees(
    roster: Option<&Roster>,
    specs: &[String],
) -> Result<Vec<Addressee>, MembershipError> {
    let mut out = Vec::new();
    for spec in specs {
        let spec = spec.trim();
        // age keys are Bech32, which may be written in upper case: read them in lower case.
        let lower = spec.to_ascii_lowercase();
        if lower.starts_with("age1") {
            let spec = lower.as_str();
            let recipient: AgeRecipient = spec.parse().map_err(|_| {
                MembershipError::BadRecipient(format!(
                    "{spec:?} is not an age public key (age1…); ask the recipient to run \
                     `sealpost whoami` and send you their age recipient, or name a member"
                ))
            })?;
            let member = match roster {
                Some(r) => member_by_age_key(r, spec)?,
                None => None,
            };
            out.push(Addressee {
                recipient,
                member_id: member,
            });
            continue;
        }
        if spec.starts_with("ed25519:") {
            return Err(MembershipError::BadRecipient(format!(
                "{spec:?} is not an age public key (age1…) but a signing key; give the member's \
                 age recipient from their `sealpost whoami`, or their name"
            )));
        }
        let roster = roster.ok_or_else(|| {
            MembershipError::BadRecipient(format!(
                "{spec:?} is not an age1… key, and you hold no roster to look up members in: \
                 join your cluster first (`sealpost join CODE`)"
            ))
        })?;
        let members: Vec<&RosterMember> = match spec.strip_prefix("role:") {
            Some(role) => {
                let role: Role = role.parse().map_err(MembershipError::BadRecipient)?;
                let all: Vec<_> = roster
                    .members
                    .iter()
                    .filter(|m| m.is_active_with(role))
                    .collect();
                if all.is_empty() {
                    return Err(MembershipError::NobodyWithRole { role });
                }
                all
            }
            None => vec![find_member(roster, spec)?],
        };
        for m in members {
            out.push(addressee(m)?);
        }
    }
    Ok(out)
}

fn addressee(m: &RosterMember) -> Result<Addressee, MembershipError> {
    if m.status == MemberStatus::Removed {
        return Err(MembershipError::Removed {
            name: m.name.clone(),
            org: m.org.clone(),
        });
    }
    let recipient = m.age_recipient.parse().map_err(|_| {
        MembershipError::BadRecipient(format!(
            "the roster's key for {} is not a valid age1… key; tell the coordinator",
            m.name
        ))
    })?;
    Ok(Addressee {
        recipient,
        member_id: Some(m.member_id),
    })
}

fn member_by_age_key(roster: &Roster, key: &str) -> Result<Option<MemberId>, MembershipError> {
    for m in &roster.members {
        if m.age_recipient == key {
            return addressee(m).map(|a| a.member_id);
        }
        if m.previous_keys.iter().any(|k| k.age_recipient == key) {
            return Err(MembershipError::OldKey {
                key: key.to_owned(),
                name: m.name.clone(),
            });
        }
    }
    Ok(None)
}

/// The safety number between this member (`me`, current keys) and `other` as the roster lists
/// them: what both read to each other by phone.
pub fn safety_number(me: &MemberCard, other: &RosterMember) -> SafetyNumber {
    let mine = me.fingerprint;
    let theirs = Fingerprint::of_member(&other.sig_pk, &other.age_recipient);
    SafetyNumber::for_pair(&mine, &theirs)
}

/// The fingerprint of a roster member's current keys.
pub fn member_fingerprint(m: &RosterMember) -> Fingerprint {
    Fingerprint::of_member(&m.sig_pk, &m.age_recipient)
}

/// A roster member as `sealpost members` and the app's Cluster screen list them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberEntry {
    /// Their member id.
    pub member_id: String,
    /// Their name.
    pub name: String,
    /// Their organisation.
    pub org: String,
    /// Their roles (`coordinator`, `imo`, `partner`).
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub roles: Vec<Role>,
    /// `active` or `removed`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub status: MemberStatus,
    /// Whether their key signs the roster.
    pub coordinator_key: bool,
    /// The fingerprint of their current keys.
    pub fingerprint: String,
    /// Their Ed25519 signing key.
    pub signing_key: String,
    /// Their `age1…` recipient.
    pub age_recipient: String,
    /// Whether this is the member asking.
    pub you: bool,
    /// The safety number to compare with them by phone (not for yourself).
    pub safety_number: Option<String>,
}

/// Every member of `roster`, in roster order, as seen by `me`.
pub fn member_entries(roster: &Roster, me: &MemberCard) -> Vec<MemberEntry> {
    roster
        .members
        .iter()
        .map(|m| {
            let you = m.member_id == me.member_id;
            MemberEntry {
                member_id: m.member_id.to_string(),
                name: m.name.clone(),
                org: m.org.clone(),
                roles: m.roles.clone(),
                status: m.status,
                coordinator_key: roster.coordinator.member_id == m.member_id,
                fingerprint: member_fingerprint(m).to_string(),
                signing_key: m.sig_pk.to_string(),
                age_recipient: m.age_recipient.clone(),
                you,
                safety_number: (!you).then(|| safety_number(me, m).to_string()),
            }
        })
        .collect()
}
