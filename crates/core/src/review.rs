//! Before sealing: every file goes through the sensitivity scan (`sealpost-scan`), and the
//! label the sender chose is checked against the most sensitive suggestion. Raising a label is
//! always allowed; lowering it needs a reason, recorded in the signed manifest. The CLI and the
//! desktop app both call this, so the rule cannot differ between them.

use std::path::Path;

use sealpost_format::Label;
use sealpost_scan::ScanReport;

use crate::parcel::{LabelOverride, SealError};

/// The scans of the files about to be sealed.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Review {
    /// One report per file, in order.
    pub reports: Vec<ScanReport>,
    /// The most sensitive label any file calls for (`public` when there are no files).
    pub suggested: Label,
}

impl Review {
    /// Scans each file (a file that cannot be read counts as `highly-confidential`).
    pub fn of(paths: &[&Path]) -> Self {
        let reports: Vec<ScanReport> = paths.iter().map(|p| sealpost_scan::scan_file(p)).collect();
        let suggested = reports
            .iter()
            .map(|r| r.suggested_label)
            .max()
            .unwrap_or(Label::Public);
        Self { reports, suggested }
    }

    /// Checks `chosen` against the suggestion: `Ok(None)` when it is at least as high,
    /// `Ok(Some(override))` when it is lower and a reason was given, else
    /// [`SealError::LabelBelowSuggestion`].
    pub fn decide(
        &self,
        chosen: Label,
        override_reason: Option<&str>,
    ) -> Result<Option<LabelOverride>, SealError> {
        LabelOverride::for_choice(chosen, self.suggested, override_reason)
    }

    /// The reasons behind the suggestion, most sensitive first, in plain language (one line
    /// each, file name first), for a message.
    pub fn reasons(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for report in self
            .reports
            .iter()
            .filter(|r| r.suggested_label == self.suggested)
        {
            for reason in report.reasons.iter().filter(|r| r.label == self.suggested) {
                lines.push(format!("{}: {}", report.file, reason.message));
            }
        }
        lines
    }
}
