//! The TypeScript declarations of every type the UI receives, generated with ts-rs into
//! `ui/src/bindings/` and committed. The test `bindings_are_current` (tests/bindings.rs) fails
//! when a Rust type changed and the committed files did not; `SEALPOST_WRITE_BINDINGS=1 cargo
//! test -p sealpost-desktop --test bindings` writes them.

use std::path::Path;

use sealpost_core::mailroom::{
    Contact, DeletionRequested, InboxEntry, OutboxEntry, Queued, SentEntry,
};
use sealpost_core::review::Review;
use ts_rs::TS;

use crate::AppError;
use crate::cluster::{ClusterView, InviteSummary, JoinRequests, NewInvite, RosterChanged};
use crate::commands::{CorrectRequest, OpenOutcome, SendRequest};
use crate::desk::Session;
use crate::onboarding::Joined;
use crate::pseudonymise::{PseudonymPlan, PseudonymisedCopy};
use crate::sync::SyncStatus;

/// Writes the declarations of the command results (and every type they contain) into `dir`,
/// one `Name.ts` file per type.
pub fn export(dir: &Path) -> Result<(), ts_rs::ExportError> {
    Review::export_all_to(dir)?;
    Session::export_all_to(dir)?;
    AppError::export_all_to(dir)?;
    Contact::export_all_to(dir)?;
    SendRequest::export_all_to(dir)?;
    Queued::export_all_to(dir)?;
    OutboxEntry::export_all_to(dir)?;
    InboxEntry::export_all_to(dir)?;
    SentEntry::export_all_to(dir)?;
    OpenOutcome::export_all_to(dir)?;
    SyncStatus::export_all_to(dir)?;
    CorrectRequest::export_all_to(dir)?;
    DeletionRequested::export_all_to(dir)?;
    Joined::export_all_to(dir)?;
    ClusterView::export_all_to(dir)?;
    InviteSummary::export_all_to(dir)?;
    NewInvite::export_all_to(dir)?;
    JoinRequests::export_all_to(dir)?;
    RosterChanged::export_all_to(dir)?;
    PseudonymPlan::export_all_to(dir)?;
    PseudonymisedCopy::export_all_to(dir)?;
    Ok(())
}
