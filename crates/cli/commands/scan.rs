//! `scan`, and the label check that `seal`, `send` and `correct` make before sealing.

use std::path::{Path, PathBuf};

use clap::Args;
use sealpost_core::parcel::LabelOverride;
use sealpost_core::review::Review;
use sealpost_format::Label;

use crate::Global;
use crate::failure::Failure;
use crate::output::print_json;

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// The files to scan
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

/// How a sender answers a scan that suggests a higher label than theirs.
#[derive(Debug, Args)]
pub(crate) struct OverrideArg {
    /// Why you choose a lower label than the sensitivity scan suggests (recorded in the parcel,
    /// visible to the recipients)
    #[arg(long, value_name = "TEXT")]
    override_reason: Option<String>,
}

/// Scans `files` and checks `label` against the suggestion: refuses a lower label without a
/// reason, naming what the scan found.
pub(crate) fn review_label(
    files: &[PathBuf],
    label: Label,
    reason: &OverrideArg,
) -> Result<Option<LabelOverride>, Failure> {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let review = Review::of(&paths);
    review
        .decide(label, reason.override_reason.as_deref())
        .map_err(|e| {
            let found = review.reasons();
            let mut failure = Failure::from(e);
            if !found.is_empty() {
                let found: Vec<&str> = found.iter().map(|f| f.trim_end_matches('.')).collect();
                failure = failure.with_detail(format!("The scan found: {}.", found.join("; ")));
            }
            failure
        })
}

pub(crate) fn scan(_global: &Global, args: &ScanArgs) -> Result<(), Failure> {
    let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let review = Review::of(&paths);
    if args.json {
        if let [one] = review.reports.as_slice() {
            print_json(one);
        } else {
            print_json(&serde_json::json!({
                "suggested_label": review.suggested,
                "files": review.reports,
            }));
        }
        return Ok(());
    }
    for report in &review.reports {
        println!(
            "{}: {}{}",
            report.file,
            report.suggested_label,
            if report.scanned {
                ""
            } else {
                " (could not be scanned completely)"
            }
        );
        for reason in &report.reasons {
            println!("  - {} [{}]", reason.message, reason.label);
        }
        for sheet in &report.sheets {
            if report.sheets.len() > 1 {
                println!(
                    "  sheet \"{}\": {} ({} rows)",
                    sheet.name, sheet.label, sheet.rows
                );
            }
            // The reasons above say what and how often; the masked examples show where.
            for finding in sheet.findings.iter().filter(|f| !f.examples.is_empty()) {
                let place = finding
                    .column
                    .as_deref()
                    .map_or_else(|| "the sheet".to_owned(), |c| format!("column \"{c}\""));
                println!(
                    "    {place}: {} ({})",
                    finding.examples.join(", "),
                    finding.code
                );
            }
        }
        for warning in &report.warnings {
            println!("  warning: {warning}");
        }
    }
    if review.reports.len() > 1 {
        println!(
            "Suggested label for all of them together: {}",
            review.suggested
        );
    }
    Ok(())
}
