//! The Cluster and Settings screens' commands: the members and their safety numbers for
//! everyone; invites, join requests, removals and publishing the roster for the coordinator;
//! the relay address. Each delegates to core as the CLI's `members`, `cluster …` and `relay use`
//! do.

use sealpost_core::coordinator::{self, Approved, INVITE_VALIDITY, PendingRequest, RequestRef};
use sealpost_core::format::roster::Role;
use sealpost_core::membership::{MemberEntry, Membership, member_entries};
use sealpost_core::recovery::RecoveryKey;
use sealpost_core::relay::{Fetched, RelayClient, Shared};
use sealpost_core::{Mailroom, qr};
use serde::Serialize;
use tauri::AppHandle;
use time::{Duration, OffsetDateTime};
use ts_rs::TS;

use crate::AppError;
use crate::commands::blocking;
use crate::desk::Desk;

/// The roster held: the cluster and every member, with the safety number to compare with each.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ClusterView {
    /// The cluster's name.
    pub name: String,
    /// The roster version.
    #[ts(type = "number")]
    pub version: u64,
    /// When the roster stops being valid unless the coordinator renews it.
    pub expires_at: String,
    /// The members, in roster order.
    pub members: Vec<MemberEntry>,
    /// The cluster's recovery key (`age1…`) when the policy names one: every parcel is then
    /// also sealed to it.
    pub recovery_key: Option<String>,
    /// Days an IMO has to answer a rights request before it is overdue.
    pub rights_response_days: u32,
}

/// The roster held and its members.
#[tauri::command]
pub async fn cluster_view(app: AppHandle) -> Result<ClusterView, AppError> {
    blocking(app, |desk, _| {
        desk.with_mailroom(|m| {
            let held = Membership::new(desk.home()?).require()?;
            let r = held.roster();
            Ok::<_, AppError>(ClusterView {
                name: r.name.clone(),
                version: r.version,
                expires_at: sealpost_core::format::roster::rfc3339(r.expires_at),
                members: member_entries(r, &m.identity().card()),
                recovery_key: r.policy.recovery_recipient.clone(),
                rights_response_days: r.policy.rights_response_days,
            })
        })
    })
    .await
}

/// An invite as the coordinator's list shows it (never its secret).
#[derive(Debug, Clone, Serialize, TS)]
pub struct InviteSummary {
    /// Its public id.
    pub invite_id: String,
    /// The role it grants.
    pub role: String,
    /// The organisation it is for, when fixed.
    pub org: Option<String>,
    /// When it was issued.
    pub created_at: String,
    /// When it stops being accepted.
    pub expires_at: String,
    /// Whether someone joined with it.
    pub used: bool,
}

/// A new invite: the code to give one person, and the same code as a QR code.
#[derive(Debug, Clone, Serialize, TS)]
pub struct NewInvite {
    /// Its public id.
    pub invite_id: String,
    /// The code (`SP-…`): read it out or send it to that person only.
    pub code: String,
    /// The code as a QR code (an SVG document).
    pub qr_svg: String,
    /// When it stops being accepted.
    pub expires_at: String,
}

/// The invites issued, newest first.
#[tauri::command]
pub async fn invites(app: AppHandle) -> Result<Vec<InviteSummary>, AppError> {
    blocking(app, |desk, _| {
        at_coordinators_desk(desk, |desk, _| {
            let mut list: Vec<InviteSummary> = desk
                .invites()?
                .into_iter()
                .map(|i| InviteSummary {
                    invite_id: i.invite_id.to_string(),
                    role: i.role.as_str().to_owned(),
                    org: i.org,
                    created_at: sealpost_core::format::roster::rfc3339(i.created_at),
                    expires_at: sealpost_core::format::roster::rfc3339(i.expires_at),
                    used: i.used_by.is_some(),
                })
                .collect();
            list.reverse();
            Ok(list)
        })
    })
    .await
}

/// Issues an invite for one person with `role` (`imo` or `partner`, or `coordinator`), for
/// `org` if given, valid for `days` (the CLI's default when `null`), naming the cluster's relay.
#[tauri::command]
pub async fn create_invite(
    app: AppHandle,
    role: String,
    org: Option<String>,
    days: Option<u32>,
) -> Result<NewInvite, AppError> {
    blocking(app, move |desk, _| {
        let role = match role.as_str() {
            "coordinator" => Role::Coordinator,
            "imo" => Role::Imo,
            "partner" => Role::Partner,
            other => {
                return Err(AppError::new(
                    "invalid-argument",
                    format!("{other:?} is not a role: choose imo, partner or coordinator"),
                ));
            }
        };
        let validity = days.map_or(INVITE_VALIDITY, |d| Duration::days(i64::from(d)));
        let relay = Membership::new(desk.home()?).pin()?.and_then(|p| p.relay);
        at_coordinators_desk(desk, |desk, _| {
            let invite = desk.invite(role, org, validity, relay, OffsetDateTime::now_utc())?;
            let code = invite.to_code();
            Ok(NewInvite {
                invite_id: invite.secret.id().to_string(),
                qr_svg: qr::to_svg(&code)?,
                code,
                expires_at: sealpost_core::format::roster::rfc3339(invite.expires_at),
            })
        })
    })
    .await
}

/// Join and key-change requests waiting for the coordinator, after fetching new ones from the
/// relay; `relay_error` says why the relay could not be asked (the list then holds the
/// requests already fetched).
#[derive(Debug, Clone, Serialize, TS)]
pub struct JoinRequests {
    /// The requests, each saying whether it can be approved.
    pub requests: Vec<PendingRequest>,
    /// Why the relay could not be asked, if it could not.
    pub relay_error: Option<AppError>,
}

/// The pending requests, fresh from the relay.
#[tauri::command]
pub async fn join_requests(app: AppHandle) -> Result<JoinRequests, AppError> {
    blocking(app, |outer, _| {
        at_coordinators_desk(outer, |desk, me| {
            let now = OffsetDateTime::now_utc();
            let relay_error = match Fetched::from_relay(outer.home()?, desk, me, now) {
                Fetched::Failed { error, .. } => Some(error.into()),
                _ => None,
            };
            Ok(JoinRequests {
                requests: desk.requests(now)?,
                relay_error,
            })
        })
    })
    .await
}

/// What a roster change did: the new version, and whether the relay has it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RosterChanged {
    /// Whom it concerned.
    pub name: String,
    /// `joined`, `keys-changed`, `removed` or `published`.
    pub what: String,
    /// The roster version now held.
    #[ts(type = "number")]
    pub version: u64,
    /// Whether the cluster's relay holds it (members get it at their next sync).
    pub published: bool,
    /// Why the relay could not take it: publish again later.
    pub publish_error: Option<AppError>,
}

impl RosterChanged {
    fn of(done: &Approved, desk: &Desk) -> Result<Self, AppError> {
        let shared = Shared::of(desk.home()?, &done.roster);
        Ok(Self {
            name: done.name.clone(),
            what: done.what.to_owned(),
            version: done.roster.roster().version,
            published: matches!(shared, Shared::Published { .. }),
            publish_error: match shared {
                Shared::Failed { error, .. } => Some(error.into()),
                _ => None,
            },
        })
    }
}

/// Approves a pending request (after the coordinator compared the fingerprint by phone): the
/// next roster version is signed, held and published.
#[tauri::command]
pub async fn approve_request(app: AppHandle, id: String) -> Result<RosterChanged, AppError> {
    blocking(app, move |outer, _| {
        let done = at_coordinators_desk(outer, |desk, _| {
            let request = desk.load_request(RequestRef::Id(&id))?;
            Ok(desk.approve(&request, OffsetDateTime::now_utc())?)
        })?;
        RosterChanged::of(&done, outer)
    })
    .await
}

/// Drops a pending request without approving it.
#[tauri::command]
pub async fn reject_request(app: AppHandle, id: String) -> Result<(), AppError> {
    blocking(app, move |outer, _| {
        at_coordinators_desk(outer, |desk, _| Ok(desk.reject(&id)?))
    })
    .await
}

/// Removes a member: a new roster version that marks them removed, published. They can no
/// longer send, receive or log in to the relay.
#[tauri::command]
pub async fn remove_member(app: AppHandle, member_id: String) -> Result<RosterChanged, AppError> {
    blocking(app, move |outer, _| {
        let done = at_coordinators_desk(outer, |desk, _| {
            Ok(desk.remove(&member_id, OffsetDateTime::now_utc())?)
        })?;
        RosterChanged::of(&done, outer)
    })
    .await
}

/// Makes the cluster's recovery key: the native dialog chooses where to save it (under
/// `passphrase`, never over a file; `title` is the dialog's translated title), then the next
/// roster names it and is published. `None` when the dialog was cancelled (nothing changed).
#[tauri::command]
pub async fn create_recovery_key(
    app: AppHandle,
    passphrase: String,
    title: String,
) -> Result<Option<RosterChanged>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, move |outer, app| {
        // Checked before the dialog, as for a backup.
        let passphrase = sealpost_core::Passphrase::new(passphrase)?;
        passphrase.check_strength()?;
        let Some(path) = app
            .dialog()
            .file()
            .set_title(title)
            .set_file_name("cluster-recovery-key.age")
            .blocking_save_file()
            .and_then(|path| path.into_path().ok())
        else {
            return Ok(None);
        };
        let done = at_coordinators_desk(outer, |desk, _| {
            let held = Membership::new(outer.home()?).require()?;
            let key = RecoveryKey::generate();
            key.write(&path, &held.roster().name, &passphrase)?;
            let roster =
                desk.set_recovery_recipient(Some(key.recipient()), OffsetDateTime::now_utc())?;
            Ok(Approved {
                name: path.display().to_string(),
                roster,
                what: "recovery-key-set",
            })
        })?;
        RosterChanged::of(&done, outer).map(Some)
    })
    .await
}

/// Stops naming a recovery key: the next roster, published, has none, so new parcels are
/// sealed to their addressees only.
#[tauri::command]
pub async fn remove_recovery_key(app: AppHandle) -> Result<RosterChanged, AppError> {
    blocking(app, move |outer, _| {
        let done = at_coordinators_desk(outer, |desk, _| {
            let roster = desk.set_recovery_recipient(None, OffsetDateTime::now_utc())?;
            Ok(Approved {
                name: roster.roster().name.clone(),
                roster,
                what: "recovery-key-removed",
            })
        })?;
        RosterChanged::of(&done, outer)
    })
    .await
}

/// Uploads the roster held to the cluster's relay again (after it was out of reach).
#[tauri::command]
pub async fn publish_roster(app: AppHandle) -> Result<RosterChanged, AppError> {
    blocking(app, |desk, _| {
        let membership = Membership::new(desk.home()?);
        let held = membership.require()?;
        RelayClient::configured(&membership)?.publish_held(&membership, &held)?;
        Ok(RosterChanged {
            name: held.roster().name.clone(),
            what: "published".into(),
            version: held.roster().version,
            published: true,
            publish_error: None,
        })
    })
    .await
}

/// Sets the relay this member's app talks to (`https://host[:port]`), then syncs with it.
#[tauri::command]
pub async fn set_relay(app: AppHandle, url: String) -> Result<(), AppError> {
    blocking(app, move |desk, _| {
        Membership::new(desk.home()?).set_relay(&url)?;
        desk.sync_soon();
        Ok(())
    })
    .await
}

/// Runs `work` at the coordinator's desk, with the unlocked identity; `not-coordinator` for
/// anyone else.
fn at_coordinators_desk<T>(
    desk: &Desk,
    work: impl FnOnce(&coordinator::Desk<'_>, &sealpost_core::Identity) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let home = desk.home()?;
    desk.with_mailroom(|m: &Mailroom| {
        let me = m.identity();
        let coordinator = coordinator::Desk::open(home, me)?;
        work(&coordinator, me)
    })
}
