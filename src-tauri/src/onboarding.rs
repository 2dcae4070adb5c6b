//! Onboarding commands: create an identity (or restore one from a backup), join a cluster with
//! an invite code typed, pasted or read from a picture of its QR code, and back the identity
//! up. Each delegates to core as the CLI's `init`, `identity import`, `join` and `identity
//! export` do.

use std::path::Path;

use sealpost_core::format::enrol::Invite;
use sealpost_core::keystore::{KeystoreError, Protection, write_backup};
use sealpost_core::membership::Membership;
use sealpost_core::relay::RelayClient;
use sealpost_core::{Backup, Identity, Passphrase, qr};
use serde::Serialize;
use tauri::AppHandle;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::AppError;
use crate::commands::blocking;
use crate::desk::{Desk, Session};

/// Creates this computer's Sealpost identity (new keys for `name` of `org`), keeps its secret
/// keys in the OS keyring, or under `passphrase` when one is given, and unlocks it. Without a
/// passphrase on a system with no reachable keyring this fails with `keyring-unavailable`: the
/// screen then asks for a passphrase and calls again.
#[tauri::command]
pub async fn create_identity(
    app: AppHandle,
    name: String,
    org: String,
    passphrase: Option<String>,
) -> Result<Session, AppError> {
    blocking(app, move |desk, app| {
        let home = desk.home()?;
        home.ensure_empty()?;
        let identity = Identity::generate(&name, &org)?;
        store(desk, &identity, passphrase.as_deref())?;
        desk.unlock(app, passphrase)
    })
    .await
}

/// Restores an identity from a backup file (`sealpost identity export`, or this app's
/// backup) into an empty data directory, and unlocks it. The backup's passphrase also
/// protects the restored identity when there is no OS keyring.
#[tauri::command]
pub async fn restore_identity(
    app: AppHandle,
    path: String,
    passphrase: Option<String>,
) -> Result<Session, AppError> {
    blocking(app, move |desk, app| {
        desk.home()?.ensure_empty()?;
        let backup = Backup::read(Path::new(&path))?;
        let identity = match &passphrase {
            Some(text) if backup.is_protected() => {
                backup.identity(Some(&Passphrase::new(text.clone())?))?
            }
            _ => backup.identity(None)?,
        };
        let kept_under = match store(desk, &identity, None) {
            Err(e) if e.code == "keyring-unavailable" && passphrase.is_some() => {
                store(desk, &identity, passphrase.as_deref())?;
                passphrase
            }
            other => other.map(|()| None)?,
        };
        desk.unlock(app, kept_under)
    })
    .await
}

/// Stores `identity`: in the OS keyring, or in a file under `passphrase` when one is given.
fn store(desk: &Desk, identity: &Identity, passphrase: Option<&str>) -> Result<(), AppError> {
    let home = desk.home()?;
    match passphrase {
        Some(text) => {
            let passphrase = Passphrase::new(text.to_owned())?;
            passphrase.check_strength()?;
            home.store_identity(identity, Protection::Passphrase(&passphrase), false)?;
        }
        None => match home.store_identity(identity, Protection::OsKeyring, false) {
            Err(KeystoreError::KeyringUnavailable { reason }) => {
                return Err(AppError::new(
                    "keyring-unavailable",
                    format!(
                        "this computer has no usable keyring ({reason}); choose a passphrase \
                         to protect your identity instead"
                    ),
                ));
            }
            other => {
                other?;
            }
        },
    }
    Ok(())
}

/// What answering an invite did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Joined {
    /// The cluster joined.
    pub cluster_id: String,
    /// The cluster's relay, from the invite.
    pub relay: Option<String>,
    /// The join request's id (the coordinator sees it in their list).
    pub request_id: String,
    /// Whether the request reached the relay, where the coordinator collects it.
    pub sent_to_relay: bool,
    /// Why it did not, when the invite names a relay.
    pub relay_error: Option<AppError>,
    /// The request as a file, to hand to the coordinator when the relay cannot take it.
    pub request_file: String,
    /// This member's fingerprint, to read to the coordinator by phone.
    pub fingerprint: String,
}

/// Answers an invite code: pins the coordinator and the cluster, writes the join request
/// (public keys only, sealed with the invite's secret) to a file and sends it to the relay.
/// The roster that admits this member arrives with a later sync, once the coordinator approves.
#[tauri::command]
pub async fn join_cluster(app: AppHandle, code: String) -> Result<Joined, AppError> {
    blocking(app, move |desk, _| {
        let invite = read_invite(&code)?;
        let home = desk.home()?;
        let (request, fingerprint) = desk.with_mailroom(|m| {
            let me = m.identity();
            Membership::new(home)
                .join(&invite, me, OffsetDateTime::now_utc())
                .map(|request| (request, me.card().fingerprint.to_string()))
        })?;
        // The file first: it is the way through when the relay cannot be reached.
        let request_file = home
            .dir()
            .join(format!("join-request-{}.json", request.id()));
        sealpost_core::write_new_file(&request_file, &request.to_json()).map_err(|e| {
            AppError::new(
                "io",
                format!("cannot write {}: {e}", request_file.display()),
            )
        })?;
        let sent = invite
            .relay
            .as_deref()
            .map(|url| RelayClient::new(url).submit_join_request(&request));
        desk.sync_soon();
        Ok(Joined {
            cluster_id: invite.cluster_id.to_string(),
            relay: invite.relay.clone(),
            request_id: request.id().to_string(),
            sent_to_relay: sent.as_ref().is_some_and(Result::is_ok),
            relay_error: match sent {
                Some(Err(e)) => Some(e.into()),
                _ => None,
            },
            request_file: request_file.display().to_string(),
            fingerprint,
        })
    })
    .await
}

/// Reads the invite code in a picture of its QR code (PNG or JPEG) and checks it as a typed
/// code is checked; returns the code's text for the screen to show before joining.
#[tauri::command]
pub async fn invite_from_image(app: AppHandle, path: String) -> Result<String, AppError> {
    blocking(app, move |_, _| {
        let text = qr::read_image(Path::new(&path))?;
        read_invite(&text)?;
        Ok(text)
    })
    .await
}

fn read_invite(code: &str) -> Result<Invite, AppError> {
    Invite::from_code(code).map_err(|e| AppError::new("invalid-invite", e))
}

/// The native dialog to choose a picture (PNG or JPEG); `null` when the user cancels.
#[tauri::command]
pub async fn pick_image(app: AppHandle) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, |_, app| {
        Ok(app
            .dialog()
            .file()
            .set_title("Choose a picture of the QR code")
            .add_filter("Pictures", &["png", "jpg", "jpeg"])
            .blocking_pick_file()
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}

/// The native dialog to choose a backup file to restore; `null` when the user cancels.
#[tauri::command]
pub async fn pick_backup(app: AppHandle) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, |_, app| {
        Ok(app
            .dialog()
            .file()
            .set_title("Choose your Sealpost backup")
            .blocking_pick_file()
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}

/// Writes a backup of the identity, encrypted under `passphrase`, where the user chooses in
/// the native save dialog; the path written, or `null` when the user cancels. A backup is
/// always passphrase-protected here (the CLI can write an unprotected one on request).
#[tauri::command]
pub async fn export_backup(app: AppHandle, passphrase: String) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, move |desk, app| {
        // Checked before the dialog: an empty or short passphrase fails at once, not after
        // choosing where to save.
        let passphrase = Passphrase::new(passphrase)?;
        passphrase.check_strength()?;
        let Some(path) = app
            .dialog()
            .file()
            .set_title("Save a backup of your Sealpost identity")
            .set_file_name("sealpost-backup.age")
            .blocking_save_file()
            .and_then(|path| path.into_path().ok())
        else {
            return Ok(None);
        };
        desk.with_mailroom(|m| write_backup(m.identity(), &path, Some(&passphrase)))?;
        Ok(Some(path.display().to_string()))
    })
    .await
}
