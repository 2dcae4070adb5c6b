//! The TypeScript declarations of every type the UI receives, generated with ts-rs into
//! `ui/src/bindings/` and committed. The test `bindings_are_current` (tests/bindings.rs) fails
//! when a Rust type changed and the committed files did not; `SEALPOST_WRITE_BINDINGS=1 cargo
//! test -p sealpost-desktop --test bindings` writes them.

use std::path::Path;

use sealpost_core::identity::MemberCard;
use sealpost_core::review::Review;
use ts_rs::TS;

use crate::AppError;

/// Writes the declarations of the command results (and every type they contain) into `dir`,
/// one `Name.ts` file per type.
pub fn export(dir: &Path) -> Result<(), ts_rs::ExportError> {
    Review::export_all_to(dir)?;
    MemberCard::export_all_to(dir)?;
    AppError::export_all_to(dir)?;
    Ok(())
}
