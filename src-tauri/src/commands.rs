//! The commands the UI calls (`invoke("session")`, …), each a few lines delegating to core.
//! Anything that reads files, the keystore or the store runs on a blocking thread, off the
//! UI's.

use std::path::Path;

use sealpost_core::mailroom::{
    ConcernEntry, Contact, DeletionRequested, InboxEntry, Opened, OutboxEntry, Outgoing, Queued,
    RightsRequest, SentEntry,
};
use sealpost_core::parcel::{Compression, FileSource, LabelOverride};
use sealpost_core::progress::Silent;
use sealpost_core::review::Review;
use sealpost_format::Label;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use ts_rs::TS;

use crate::AppError;
use crate::desk::{Desk, Session};
use crate::sync::SyncStatus;

/// Runs `work` with the app's state on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    app: AppHandle,
    work: impl FnOnce(&Desk, &AppHandle) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(move || work(&app.state::<Desk>(), &app))
        .await
        .map_err(|e| AppError::new("internal", e))?
}

/// Who this app belongs to (nothing before onboarding) and whether it is unlocked.
#[tauri::command]
pub async fn session(app: AppHandle) -> Result<Session, AppError> {
    blocking(app, |desk, _| desk.session()).await
}

/// Unlocks the identity (OS keyring, or the passphrase) and starts syncing.
#[tauri::command]
pub async fn unlock(app: AppHandle, passphrase: Option<String>) -> Result<Session, AppError> {
    blocking(app, |desk, app| desk.unlock(app, passphrase)).await
}

/// The native dialog to choose the files to send; an empty list when the user cancels. Paths
/// that are not local files (none on desktop systems) are left out.
#[tauri::command]
pub async fn pick_files(app: AppHandle) -> Result<Vec<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    // The dialog blocks until the user answers: not on the UI's thread.
    blocking(app, |_, app| {
        Ok(app
            .dialog()
            .file()
            .set_title("Choose files to send")
            .blocking_pick_files()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|path| path.into_path().ok())
            .map(|path| path.display().to_string())
            .collect())
    })
    .await
}

/// The native dialog to choose a folder to open parcels into; `null` when the user cancels.
#[tauri::command]
pub async fn pick_folder(app: AppHandle) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, |_, app| {
        Ok(app
            .dialog()
            .file()
            .set_title("Choose a folder to open the parcels into")
            .blocking_pick_folder()
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}

/// Scans files before sealing: the suggested label, reasons and masked findings per file.
#[tauri::command]
pub async fn scan_files(app: AppHandle, paths: Vec<String>) -> Result<Review, AppError> {
    blocking(app, move |_, _| Ok(Review::of(&as_paths(&paths)))).await
}

/// Everyone this member can send to (IMOs first, marked as the default recipients).
#[tauri::command]
pub async fn contacts(app: AppHandle) -> Result<Vec<Contact>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.contacts())).await
}

/// What the send screen asks for.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct SendRequest {
    /// The files (absolute paths).
    pub files: Vec<String>,
    /// Member ids (or names) of the recipients.
    pub to: Vec<String>,
    /// The label chosen.
    pub label: Label,
    /// Why a label below the scan's suggestion is right (required then, recorded in the
    /// signed manifest).
    pub override_reason: Option<String>,
    /// A note for the recipients.
    pub note: Option<String>,
}

/// Scans the files again (they may have changed since the screen showed the result), checks
/// the label against the suggestion, seals the parcel into the outbox and asks the sync to
/// send it. Offline, the parcel simply waits in the outbox.
#[tauri::command]
pub async fn send(app: AppHandle, request: SendRequest) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        let (files, label_override) = reviewed(
            &request.files,
            request.label,
            request.override_reason.as_deref(),
        )?;
        let outgoing = Outgoing {
            files,
            to: request.to,
            label: request.label,
            label_override,
            note: request.note.filter(|n| !n.trim().is_empty()),
            compression: Compression::Zstd,
        };
        desk.with_mailroom_then_sync(|m| m.send(outgoing, &Silent))
    })
    .await
}

/// The files to seal, scanned again (they may have changed since the screen showed the result)
/// and checked against `label` by the label rule: a label below the suggestion needs `reason`.
fn reviewed(
    files: &[String],
    label: Label,
    reason: Option<&str>,
) -> Result<(Vec<FileSource>, Option<LabelOverride>), AppError> {
    let paths = as_paths(files);
    let label_override = Review::of(&paths).decide(label, reason)?;
    let files = paths
        .iter()
        .map(|p| FileSource::from_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((files, label_override))
}

/// What the correction screen asks for: new files replacing a parcel this member sent.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct CorrectRequest {
    /// The parcel being corrected.
    pub parcel_id: String,
    /// The corrected files (absolute paths).
    pub files: Vec<String>,
    /// The label: the original parcel's when `null`.
    pub label: Option<Label>,
    /// Why a label below the scan's suggestion is right.
    pub override_reason: Option<String>,
    /// A note for the recipients (what was corrected).
    pub note: Option<String>,
}

/// Sends corrected files to the same recipients as the parcel they replace, which the
/// recipients' apps then show as superseded. The files are scanned like any others: the label
/// may not be lower than the scan suggests without a reason.
#[tauri::command]
pub async fn correct_parcel(app: AppHandle, request: CorrectRequest) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        desk.with_mailroom_then_sync(|m| {
            let label = match request.label {
                Some(label) => label,
                None => m.label_of(&request.parcel_id)?,
            };
            let (files, label_override) =
                reviewed(&request.files, label, request.override_reason.as_deref())?;
            let note = request.note.filter(|n| !n.trim().is_empty());
            Ok::<_, AppError>(m.correct(
                &request.parcel_id,
                files,
                Some(label),
                label_override,
                note,
                &Silent,
            )?)
        })
    })
    .await
}

/// Deletes a parcel this member sent: the relay's copy goes, and every recipient is asked to
/// delete theirs (their apps answer with deletion receipts saying what they could reach). A
/// parcel still uploading is cancelled instead: nobody has it yet.
#[tauri::command]
pub async fn delete_parcel(
    app: AppHandle,
    parcel_id: String,
) -> Result<DeletionRequested, AppError> {
    blocking(app, move |desk, _| {
        desk.with_mailroom_then_sync(|m| m.delete(&parcel_id))
    })
    .await
}

/// The form of an exported sharing log.
#[derive(Debug, Clone, Copy, serde::Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SharingLogFormat {
    /// For a spreadsheet.
    Csv,
    /// A page to read or print to PDF.
    Html,
}

/// Writes the sharing log (every parcel sent, its recipients and their receipts) where the
/// user chooses in the native save dialog, titled `title` (the UI's words, in its language);
/// the path written, or `null` when the user cancels. Never replaces a file: the dialog's own
/// "replace?" question is answered by refusing, so a log kept earlier is never lost.
#[tauri::command]
pub async fn export_sharing_log(
    app: AppHandle,
    format: SharingLogFormat,
    title: String,
) -> Result<Option<String>, AppError> {
    use sealpost_core::mailroom::sharing_log::Format;
    use tauri_plugin_dialog::DialogExt;
    blocking(app, move |desk, app| {
        let (format, name, extension) = match format {
            SharingLogFormat::Csv => (Format::Csv, "sharing-log.csv", "csv"),
            SharingLogFormat::Html => (Format::Html, "sharing-log.html", "html"),
        };
        let Some(path) = app
            .dialog()
            .file()
            .set_title(title)
            .set_file_name(name)
            .add_filter(extension, &[extension])
            .blocking_save_file()
            .and_then(|path| path.into_path().ok())
        else {
            return Ok(None);
        };
        let bytes = desk.with_mailroom(|m| m.sharing_log(format))?;
        sealpost_core::write_new_file(&path, &bytes).map_err(|e| {
            let code = if e.kind() == std::io::ErrorKind::AlreadyExists {
                "file-exists"
            } else {
                "io"
            };
            AppError::new(code, format!("cannot write {}: {e}", path.display()))
        })?;
        Ok(Some(path.display().to_string()))
    })
    .await
}

/// The concerns this member reported and those it received to handle, newest first.
#[tauri::command]
pub async fn concerns(app: AppHandle) -> Result<Vec<ConcernEntry>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.concerns())).await
}

/// Reports a concern to the cluster's coordinator and IMOs (and nobody else), with optional
/// files; the sync sends it.
#[tauri::command]
pub async fn report_concern(
    app: AppHandle,
    note: String,
    paths: Vec<String>,
    label: Label,
) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        let files = as_paths(&paths)
            .into_iter()
            .map(FileSource::from_path)
            .collect::<Result<Vec<_>, _>>()?;
        desk.with_mailroom_then_sync(|m| m.report_concern(note, files, label, &Silent))
    })
    .await
}

/// Tells the member who reported a concern what is being done (`status`: one of
/// `CONCERN_STATUSES`), with an optional note; the sync sends it.
#[tauri::command]
pub async fn update_concern(
    app: AppHandle,
    concern_id: String,
    status: String,
    note: Option<String>,
) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        desk.with_mailroom_then_sync(|m| m.update_concern(&concern_id, &status, note, &Silent))
    })
    .await
}

/// What the product form asks for: an IMO's information product made from received parcels.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct ProductRequest {
    /// The product's files (absolute paths): a report, a map, a table.
    pub files: Vec<String>,
    /// The received parcels it was made from; their senders, and only they, receive it.
    pub sources: Vec<String>,
    /// The label chosen (the scan suggests one, as for sending).
    pub label: Label,
    /// Why a label below the scan's suggestion is right.
    pub override_reason: Option<String>,
    /// A note for the partners.
    pub note: Option<String>,
}

/// Publishes an information product to exactly the partners whose parcels it was made from.
/// The files are scanned like any others: the label rule is the same as for sending.
#[tauri::command]
pub async fn publish_product(app: AppHandle, request: ProductRequest) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        let (files, label_override) = reviewed(
            &request.files,
            request.label,
            request.override_reason.as_deref(),
        )?;
        let note = request.note.filter(|n| !n.trim().is_empty());
        desk.with_mailroom_then_sync(|m| {
            m.publish_product(
                files,
                &request.sources,
                request.label,
                label_override,
                note,
                &Silent,
            )
        })
    })
    .await
}

/// The rights requests (access, correction, deletion) this member made and those it received
/// to handle, newest first, with each handler's status, the due date and whether it is overdue.
#[tauri::command]
pub async fn rights_requests(app: AppHandle) -> Result<Vec<RightsRequest>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.rights_requests())).await
}

/// Asks the cluster's IMOs what they hold of this member's data: about one parcel it sent
/// (`about`), or everything. The sync sends it.
#[tauri::command]
pub async fn request_access(
    app: AppHandle,
    about: Option<String>,
    note: String,
) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        desk.with_mailroom_then_sync(|m| m.request_access(about.as_deref(), note, &Silent))
    })
    .await
}

/// Answers a rights request this member received (`status`: one of `REQUEST_STATUSES`; a
/// decline needs a note), to the requester alone. The sync sends it.
#[tauri::command]
pub async fn update_request(
    app: AppHandle,
    request_id: String,
    status: String,
    note: Option<String>,
) -> Result<Queued, AppError> {
    blocking(app, move |desk, _| {
        let note = note.filter(|n| !n.trim().is_empty());
        desk.with_mailroom_then_sync(|m| m.update_request(&request_id, &status, note, &Silent))
    })
    .await
}

/// Parcels waiting to go, with the bytes the relay has confirmed.
#[tauri::command]
pub async fn outbox(app: AppHandle) -> Result<Vec<OutboxEntry>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.outbox())).await
}

/// Parcels received, newest first.
#[tauri::command]
pub async fn inbox(app: AppHandle) -> Result<Vec<InboxEntry>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.inbox())).await
}

/// Parcels sent, each with its recipients and their receipts: the sharing log.
#[tauri::command]
pub async fn sent(app: AppHandle) -> Result<Vec<SentEntry>, AppError> {
    blocking(app, |desk, _| desk.with_mailroom(|m| m.sent())).await
}

/// What opening one parcel of a batch did: its files, or why it failed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenOutcome {
    /// The parcel.
    pub parcel_id: String,
    /// What was written, when it opened.
    pub opened: Option<Opened>,
    /// Why it did not open.
    pub error: Option<AppError>,
}

/// Opens parcels into `dir` (each in its own folder), or into Sealpost's own folder when `dir`
/// is `null`. One parcel failing never stops the others: each gets its own outcome. Then the
/// sync sends the `opened` receipts.
#[tauri::command]
pub async fn open_parcels(
    app: AppHandle,
    parcel_ids: Vec<String>,
    dir: Option<String>,
) -> Result<Vec<OpenOutcome>, AppError> {
    blocking(app, move |desk, _| {
        desk.with_mailroom_then_sync(|m| {
            Ok::<_, AppError>(
                m.open_many(&parcel_ids, dir.as_deref().map(Path::new), &Silent)
                    .into_iter()
                    .map(|(parcel_id, outcome)| {
                        let (opened, error) = match outcome {
                            Ok(opened) => (Some(opened), None),
                            Err(e) => (None, Some(e.into())),
                        };
                        OpenOutcome {
                            parcel_id,
                            opened,
                            error,
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        })
    })
    .await
}

/// Asks the background sync for a pass now.
#[tauri::command]
pub async fn sync_now(app: AppHandle) -> Result<(), AppError> {
    blocking(app, |desk, _| {
        desk.sync_soon();
        Ok(())
    })
    .await
}

/// The background sync's latest state (later changes arrive as `sync-status` events).
#[tauri::command]
pub async fn sync_status(app: AppHandle) -> Result<SyncStatus, AppError> {
    blocking(app, |desk, _| Ok(desk.sync_status())).await
}

/// The UI painted its first frame. With `SEALPOST_TIMING=1` the time is printed to stderr for
/// bench/desktop, which measures start-up from outside the process; otherwise nothing happens.
#[tauri::command]
pub fn first_paint() {
    if std::env::var_os("SEALPOST_TIMING").is_some_and(|v| v == "1") {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        eprintln!("sealpost-desktop: first paint at unix ms {unix_ms}");
    }
}

/// The longest notification text shown: a notification is a line or two, and the text comes
/// from the UI, which counts parcels; anything longer is a mistake, not a message.
const MAX_NOTIFICATION_CHARS: usize = 300;

/// Shows a desktop notification. The UI words it (in the user's language, counts only: a
/// notification may show on a locked screen or a projector, so it never names a sender, a file
/// or a label) when a sync pass brings parcels or receipts. Without a notification service (a
/// bare X server, a headless test) nothing is shown and nothing fails: the screens still list
/// everything.
#[tauri::command]
pub fn notify(app: AppHandle, body: String) -> Result<(), AppError> {
    use tauri_plugin_notification::NotificationExt;
    if body.trim().is_empty() || body.chars().count() > MAX_NOTIFICATION_CHARS {
        return Err(AppError::new(
            "invalid-argument",
            format!("a notification is 1 to {MAX_NOTIFICATION_CHARS} characters"),
        ));
    }
    let _ = app
        .notification()
        .builder()
        .title("Sealpost")
        .body(body)
        .show();
    Ok(())
}

fn as_paths(paths: &[String]) -> Vec<&Path> {
    paths.iter().map(Path::new).collect()
}
