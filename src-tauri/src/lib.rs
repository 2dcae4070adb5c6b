//! Sealpost's desktop app: a thin Tauri v2 shell. Each command is a few lines that call
//! `sealpost-core` or `sealpost-scan`, the same API the CLI uses; nothing is re-implemented here
//! or in the UI. The data the UI receives has TypeScript declarations generated from these Rust
//! types (`ui/src/bindings`, see [`bindings`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bindings;
pub mod cluster;
pub mod commands;
pub mod desk;
mod error;
pub mod onboarding;
pub mod pseudonymise;
pub mod sync;

pub use error::AppError;

use std::sync::{Mutex, MutexGuard, PoisonError};

use tauri::Manager;

/// Starts the app: one window showing the UI in `ui/dist`.
pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            app.manage(desk::Desk::from_environment());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::unlock,
            commands::pick_files,
            commands::pick_folder,
            commands::scan_files,
            commands::contacts,
            commands::send,
            commands::outbox,
            commands::inbox,
            commands::sent,
            commands::open_parcels,
            commands::sync_now,
            commands::sync_status,
            commands::first_paint,
            commands::notify,
            commands::correct_parcel,
            commands::delete_parcel,
            commands::export_sharing_log,
            commands::concerns,
            commands::report_concern,
            commands::update_concern,
            commands::publish_product,
            commands::rights_requests,
            commands::request_access,
            commands::update_request,
            cluster::create_recovery_key,
            cluster::remove_recovery_key,
            onboarding::create_identity,
            onboarding::restore_identity,
            onboarding::join_cluster,
            onboarding::invite_from_image,
            onboarding::pick_image,
            onboarding::pick_backup,
            onboarding::export_backup,
            cluster::cluster_view,
            cluster::invites,
            cluster::create_invite,
            cluster::join_requests,
            cluster::approve_request,
            cluster::reject_request,
            cluster::remove_member,
            cluster::publish_roster,
            cluster::set_relay,
            pseudonymise::suggest_pseudonymisation,
            pseudonymise::pseudonymise_file,
            pseudonymise::has_pseudonym_key,
            pseudonymise::import_pseudonym_key,
            pseudonymise::pick_key_file,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("sealpost-desktop: could not start: {e}");
            std::process::exit(1);
        });
}

/// Locks a mutex even if a command panicked while holding it: what the app keeps behind its
/// mutexes (a database connection, a channel, a status snapshot) is not left half-changed by
/// a panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
