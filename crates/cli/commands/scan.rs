//! `scan`, and the label check that `seal`, `send` and `correct` make before sealing.

use std::path::{Path, PathBuf};

use clap::Args;
use sealpost_core::parcel::LabelOverride;
use sealpost_core::review::Review;
use sealpost_format::Label;
use sealpost_scan::Plan;

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
    for (report, path) in review.reports.iter().zip(&args.files) {
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
        if report.suggested_label == Label::HighlyConfidential
            && let Some(plan) = sealpost_scan::suggest_plan(report)
        {
            println!(
                "  If the recipients do not need to know who is who, share a copy without the \
                 identities (docs/scan.md):\n    {}",
                pseudonymize_command(path, &plan)
            );
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

/// The `sealpost pseudonymize` command line that carries out `plan` on `file`, its words quoted
/// for a POSIX shell where needed; the copy goes beside the file, as CSV/TSV or XLSX.
fn pseudonymize_command(file: &Path, plan: &Plan) -> String {
    let stem = file
        .file_stem()
        .map_or_else(|| "copy".into(), |s| s.to_string_lossy());
    let extension = match file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("tsv") => e,
        Some(e) if e.eq_ignore_ascii_case("txt") => e,
        _ => "xlsx",
    };
    let output = file.with_file_name(format!("{stem}-pseudonymised.{extension}"));
    let mut words = vec![
        "sealpost".to_owned(),
        "pseudonymize".to_owned(),
        quote(&file.display().to_string()),
        "-o".to_owned(),
        quote(&output.display().to_string()),
    ];
    for (option, columns) in [
        ("--columns", &plan.pseudonymise),
        ("--mask", &plan.mask),
        ("--drop", &plan.drop),
        ("--pcode-columns", &plan.pcode_columns),
    ] {
        if !columns.is_empty() {
            words.push(option.to_owned());
            words.push(quote(&columns.join(",")));
        }
    }
    if let Some(level) = plan.admin_level {
        words.push(format!("--admin-level {level}"));
    }
    words.join(" ")
}

/// `word` as a POSIX shell reads it back: bare when it is only safe characters, otherwise in
/// single quotes (a single quote inside becomes `'\''`).
fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./,:=@+".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
