//! The commands the UI calls (`invoke("whoami")`, …), each delegating to core.

use std::path::{Path, PathBuf};

use sealpost_core::identity::MemberCard;
use sealpost_core::keystore::{Home, KeystoreError};
use sealpost_core::review::Review;

use crate::AppError;

/// The member's data directory: `SEALPOST_HOME` when set (as for the CLI; tests run each app
/// instance with its own), otherwise the platform's per-user data directory.
pub fn home() -> Result<Home, AppError> {
    match std::env::var_os("SEALPOST_HOME") {
        Some(dir) if !dir.is_empty() => Ok(Home::new(PathBuf::from(dir))),
        _ => Home::platform_default().ok_or_else(|| {
            AppError::new(
                "no-data-directory",
                "this system has no per-user data directory; set SEALPOST_HOME",
            )
        }),
    }
}

/// Who this app belongs to: the member's public card, or nothing before onboarding.
#[tauri::command]
pub fn whoami() -> Result<Option<MemberCard>, AppError> {
    match home()?.profile() {
        Ok(profile) => Ok(Some(profile.card())),
        Err(KeystoreError::NotInitialised { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The native dialog to choose the files to send; an empty list when the user cancels. Paths
/// that are not local files (none on desktop systems) are left out.
#[tauri::command]
pub async fn pick_files(app: tauri::AppHandle) -> Vec<String> {
    use tauri_plugin_dialog::DialogExt;
    // The dialog blocks until the user answers: not on the UI's thread.
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .blocking_pick_files()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|path| path.into_path().ok())
            .map(|path| path.display().to_string())
            .collect()
    })
    .await
    .unwrap_or_default()
}

/// Scans files before sealing: the suggested label, reasons and masked findings per file. The
/// scan reads many megabytes, so it runs off the UI's thread.
#[tauri::command]
pub async fn scan_files(paths: Vec<String>) -> Result<Review, AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        let paths: Vec<&Path> = paths.iter().map(Path::new).collect();
        Review::of(&paths)
    })
    .await
    .map_err(|e| AppError::new("internal", e))
}
