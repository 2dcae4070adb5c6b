//! Sealpost's desktop app: a thin Tauri v2 shell. Each command is a few lines that call
//! `sealpost-core` or `sealpost-scan`, the same API the CLI uses; nothing is re-implemented here
//! or in the UI. The data the UI receives has TypeScript declarations generated from these Rust
//! types (`ui/src/bindings`, see [`bindings`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bindings;
pub mod commands;
mod error;

pub use error::AppError;

/// Starts the app: one window showing the UI in `ui/dist`.
pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::whoami,
            commands::pick_files,
            commands::scan_files,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("sealpost-desktop: could not start: {e}");
            std::process::exit(1);
        });
}
