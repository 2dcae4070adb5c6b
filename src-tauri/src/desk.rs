//! What the app holds while it runs: the member's data directory, their mailroom once unlocked
//! (for the screens' commands), and the background sync that keeps outbox and inbox moving.

use std::sync::Mutex;

use sealpost_core::identity::MemberCard;
use sealpost_core::keystore::{Home, KeystoreError, KeystoreKind};
use sealpost_core::membership::{Membership, Pin};
use sealpost_core::{Mailroom, Passphrase};
use sealpost_format::MemberId;
use sealpost_format::roster::{MemberStatus, VerifiedRoster};
use serde::Serialize;
use tauri::AppHandle;
use ts_rs::TS;

use crate::sync::Syncer;
use crate::{AppError, lock};

/// Who this app belongs to and whether their parcels can be reached.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Session {
    /// The member's public card; `null` before onboarding.
    pub card: Option<MemberCard>,
    /// Whether the identity is unlocked and the mailroom open.
    pub unlocked: bool,
    /// Whether unlocking needs the member's passphrase (the identity is kept in a
    /// passphrase-protected file rather than the OS keyring).
    pub needs_passphrase: bool,
    /// The cluster joined or created; `null` before joining.
    pub cluster: Option<ClusterState>,
}

/// This member's cluster, as far as this computer knows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ClusterState {
    /// The cluster's id.
    pub cluster_id: String,
    /// The relay the cluster uses, if any.
    pub relay: Option<String>,
    /// The cluster's name; `null` until the first roster arrives.
    pub name: Option<String>,
    /// The version of the roster held; `null` until the first roster arrives.
    #[ts(type = "number | null")]
    pub roster_version: Option<u64>,
    /// Whether the roster held lists this member as active: `false` while the join request
    /// waits for the coordinator, and after a removal.
    pub member: bool,
    /// This member's roles in the roster held (`coordinator`, `imo`, `partner`).
    pub roles: Vec<String>,
    /// Whether this member's key signs the roster: the Cluster screen's coordinator tools.
    pub coordinator: bool,
}

impl ClusterState {
    fn of(pin: &Pin, held: Option<&VerifiedRoster>, me: MemberId) -> Self {
        let roster = held.map(VerifiedRoster::roster);
        let mine = roster.and_then(|r| r.member(me));
        Self {
            cluster_id: pin.cluster_id.to_string(),
            relay: pin.relay.clone(),
            name: roster.map(|r| r.name.clone()),
            roster_version: roster.map(|r| r.version),
            member: mine.is_some_and(|m| m.status == MemberStatus::Active),
            roles: mine.map_or_else(Vec::new, |m| {
                m.roles.iter().map(|r| r.as_str().to_owned()).collect()
            }),
            coordinator: roster.is_some_and(|r| r.coordinator.member_id == me),
        }
    }
}

/// The app's state, managed by Tauri and shared by every command.
#[derive(Debug)]
pub struct Desk {
    home: Result<Home, AppError>,
    mailroom: Mutex<Option<Mailroom>>,
    syncer: Mutex<Option<Syncer>>,
}

impl Desk {
    /// The state for the data directory `SEALPOST_HOME` names (each test instance has its own),
    /// else the platform's per-user data directory.
    pub fn from_environment() -> Self {
        let home = Home::from_environment().map_err(AppError::from);
        Self {
            home,
            mailroom: Mutex::new(None),
            syncer: Mutex::new(None),
        }
    }

    /// The member's data directory.
    pub fn home(&self) -> Result<&Home, AppError> {
        self.home.as_ref().map_err(Clone::clone)
    }

    /// Who this app belongs to, and whether it is unlocked.
    pub fn session(&self) -> Result<Session, AppError> {
        let profile = match self.home()?.profile() {
            Ok(profile) => profile,
            Err(KeystoreError::NotInitialised { .. }) => {
                return Ok(Session {
                    card: None,
                    unlocked: false,
                    needs_passphrase: false,
                    cluster: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let card = profile.card();
        let membership = Membership::new(self.home()?);
        let cluster = match membership.pin()? {
            Some(pin) => Some(ClusterState::of(
                &pin,
                membership.held()?.as_ref(),
                card.member_id,
            )),
            None => None,
        };
        Ok(Session {
            card: Some(card),
            unlocked: lock(&self.mailroom).is_some(),
            needs_passphrase: profile.keystore() == KeystoreKind::PassphraseFile,
            cluster,
        })
    }

    /// Unlocks the identity (from the OS keyring, or with `passphrase`), opens the mailroom and
    /// starts the background sync. Unlocking an unlocked app changes nothing.
    pub fn unlock(&self, app: &AppHandle, passphrase: Option<String>) -> Result<Session, AppError> {
        let home = self.home()?;
        let mut mailroom = lock(&self.mailroom);
        if mailroom.is_none() {
            // Two copies: the screens' mailroom is opened here, the sync task unlocks its own
            // (it may complete a key change from a new roster, which needs the passphrase).
            let (for_screens, for_sync) = match passphrase {
                Some(text) => (
                    Some(Passphrase::new(text.clone())?),
                    Some(Passphrase::new(text)?),
                ),
                None => (None, None),
            };
            let me = home.unlock(for_screens.as_ref())?;
            *mailroom = Some(Mailroom::open(home, me)?);
            *lock(&self.syncer) = Some(Syncer::start(app.clone(), home.clone(), for_sync));
        }
        drop(mailroom);
        self.session()
    }

    /// Runs `work` with the open mailroom; a `locked` error before [`Desk::unlock`].
    pub fn with_mailroom<T, E: Into<AppError>>(
        &self,
        work: impl FnOnce(&Mailroom) -> Result<T, E>,
    ) -> Result<T, AppError> {
        let mailroom = lock(&self.mailroom);
        let mailroom = mailroom.as_ref().ok_or_else(|| {
            AppError::new(
                "locked",
                "Sealpost is locked: unlock it with your passphrase first",
            )
        })?;
        work(mailroom).map_err(Into::into)
    }

    /// [`Desk::with_mailroom`] for work that queues something to send (a parcel, a receipt, a
    /// deletion): once it succeeded, the background sync is asked for a pass at once.
    pub fn with_mailroom_then_sync<T, E: Into<AppError>>(
        &self,
        work: impl FnOnce(&Mailroom) -> Result<T, E>,
    ) -> Result<T, AppError> {
        let done = self.with_mailroom(work)?;
        self.sync_soon();
        Ok(done)
    }

    /// Asks the background sync for a pass now (after sending or opening, or on the user's
    /// "Sync now"). Nothing happens while locked.
    pub fn sync_soon(&self) {
        if let Some(syncer) = lock(&self.syncer).as_ref() {
            syncer.poke();
        }
    }

    /// The background sync's latest state, for a screen that was not listening to events.
    pub fn sync_status(&self) -> crate::sync::SyncStatus {
        lock(&self.syncer)
            .as_ref()
            .map(Syncer::status)
            .unwrap_or_default()
    }
}
