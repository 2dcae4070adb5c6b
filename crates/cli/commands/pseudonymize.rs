//! `pseudonymize`: a copy of a CSV/TSV file or workbook that is safer to share, with keyed
//! pseudonyms, masked or dropped columns, P-codes cut to a coarser admin level, a k-anonymity
//! check, and the scan of the copy. `--new-key` creates the cluster's key.

use std::path::{Path, PathBuf};

use clap::Args;
use sealpost_scan::{Action, Plan, PseudonymError, PseudonymKey, PseudonymReport};

use crate::Global;
use crate::failure::Failure;
use crate::output::print_json;

#[derive(Debug, Args)]
pub(crate) struct PseudonymizeArgs {
    /// The CSV/TSV file or workbook (XLSX, XLSB, XLS, ODS) to copy
    #[arg(value_name = "FILE", required_unless_present = "new_key")]
    file: Option<PathBuf>,
    /// Where to write the copy (CSV stays CSV with the same delimiter; a workbook becomes .xlsx)
    #[arg(short, long, value_name = "OUT", required_unless_present = "new_key")]
    output: Option<PathBuf>,
    /// The cluster's pseudonymisation key [default: pseudonym.key in your data directory]
    #[arg(long, value_name = "K")]
    key_file: Option<PathBuf>,
    /// Columns whose values become keyed pseudonyms (PSN-…), by header name; comma-separated
    /// or repeated
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    columns: Vec<String>,
    /// Cut P-codes to this admin level: 1 state/region, 2 district, 3 township
    #[arg(long, value_name = "N")]
    admin_level: Option<u8>,
    /// The columns --admin-level applies to [default: every column holding mostly P-codes]
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pcode_columns: Vec<String>,
    /// Columns left out of the copy
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    drop: Vec<String>,
    /// Columns whose values are masked (09•••••4567, D•• A•• A••)
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    mask: Vec<String>,
    /// Columns (as in the copy) whose combination is checked: a warning where fewer than 3 rows
    /// share one
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    quasi_identifiers: Vec<String>,
    /// Replace OUT if it exists
    #[arg(long)]
    force: bool,
    /// Create a new random cluster key in file K and exit (coordinators, once per cluster)
    #[arg(long, value_name = "K", conflicts_with_all = ["file", "output", "key_file"])]
    new_key: Option<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

impl From<PseudonymError> for Failure {
    fn from(e: PseudonymError) -> Self {
        Failure::new(e.code(), e)
    }
}

pub(crate) fn pseudonymize(global: &Global, args: &PseudonymizeArgs) -> Result<(), Failure> {
    if let Some(path) = &args.new_key {
        return new_key(path, args.json);
    }
    let (Some(input), Some(output)) = (&args.file, &args.output) else {
        return Err(Failure::new(
            "usage",
            "give the file to copy and -o OUT (or --new-key K to create a key)",
        ));
    };
    let key_path = match &args.key_file {
        Some(path) => path.clone(),
        None => global.home()?.dir().join(sealpost_scan::DEFAULT_KEY_FILE),
    };
    let key = PseudonymKey::read_file(&key_path)?;
    let plan = Plan {
        pseudonymise: args.columns.clone(),
        drop: args.drop.clone(),
        mask: args.mask.clone(),
        admin_level: args.admin_level,
        pcode_columns: args.pcode_columns.clone(),
        quasi_identifiers: args.quasi_identifiers.clone(),
        overwrite: args.force,
    };
    let report = sealpost_scan::pseudonymize(input, output, &plan, &key)?;
    if args.json {
        print_json(&report);
    } else {
        show(&report);
    }
    Ok(())
}

fn new_key(path: &Path, json: bool) -> Result<(), Failure> {
    let key = PseudonymKey::create_file(path)?;
    if json {
        print_json(&serde_json::json!({
            "key_file": path.display().to_string(),
            "key_id": key.id(),
        }));
        return Ok(());
    }
    println!(
        "Created the cluster pseudonymisation key {} (key id {}).",
        path.display(),
        key.id()
    );
    println!(
        "Share this one file with the cluster's members so that pseudonyms match across the cluster, through Sealpost only, e.g.:"
    );
    println!(
        "  sealpost send {} --to role:imo --label highly-confidential",
        path.display()
    );
    println!(
        "Members save it as pseudonym.key in their data directory (or give --key-file). Anyone holding it can check guesses against pseudonyms: keep it highly confidential, and never send it with pseudonymised data."
    );
    Ok(())
}

fn show(report: &PseudonymReport) {
    println!(
        "{} -> {} ({} data row(s), key id {})",
        report.input, report.output, report.rows, report.key_id
    );
    let several = report.sheets.len() > 1;
    for sheet in &report.sheets {
        if several {
            println!("  sheet \"{}\": {} row(s)", sheet.name, sheet.rows);
        }
        for column in &sheet.columns {
            let what = match column.action {
                Action::Pseudonymised => "pseudonymised".to_string(),
                Action::Dropped => "dropped".to_string(),
                Action::Masked => "masked".to_string(),
                Action::Generalised => format!(
                    "P-codes generalised to admin level {}",
                    column.admin_level.unwrap_or_default()
                ),
                _ => format!("{:?}", column.action).to_lowercase(),
            };
            let left = if column.left_alone > 0 {
                format!(", {} left as they were", column.left_alone)
            } else {
                String::new()
            };
            println!(
                "  column \"{}\": {what} ({} cell(s){left})",
                column.column, column.changed
            );
        }
        if let Some(k) = &sheet.k_anonymity {
            let columns = k.columns.join(", ");
            if k.groups_below_k == 0 {
                println!(
                    "  k-anonymity over {columns}: every combination is shared by at least {} rows (smallest group {})",
                    k.k, k.smallest_group
                );
            } else {
                println!(
                    "  k-anonymity over {columns}: {} row(s) in {} group(s) below k={} (smallest group {})",
                    k.rows_below_k, k.groups_below_k, k.k, k.smallest_group
                );
            }
        }
    }
    for warning in &report.warnings {
        println!("  warning: {warning}");
    }
    println!(
        "Label before: {}. New suggested label: {}{}",
        report.label_before,
        report.scan.suggested_label,
        if report.scan.scanned {
            ""
        } else {
            " (the copy could not be scanned completely)"
        }
    );
    for reason in &report.scan.reasons {
        println!("  - {} [{}]", reason.message, reason.label);
    }
}
