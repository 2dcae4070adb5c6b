//! Sealpost's sensitivity scanner: reads a file before it is sealed, finds what makes it
//! sensitive under the cluster's data policy, and suggests a label with reasons.
//!
//! ```no_run
//! let report = sealpost_scan::scan_file(std::path::Path::new("beneficiaries.xlsx"));
//! println!("{}: {}", report.file, report.suggested_label);
//! for reason in &report.reasons {
//!     println!("- {}", reason.message);
//! }
//! ```
//!
//! A scan never fails. A file that cannot be read (binary data named `.csv`, a truncated or
//! password-protected workbook, text in a legacy encoding) is labelled `highly-confidential`
//! with the reason [`ReasonCode::CouldNotScan`], saying what was wrong and what to do: fail
//! closed. Memory stays bounded whatever the input (see [`Limits`]): CSV and text are streamed
//! row by row, XLSX/XLSB sheets cell by cell, and only counters, a bounded sample of values per
//! column and at most three masked examples per finding are kept. Reports never contain raw
//! values: examples are masked (`09•••••4567`, `D•• A•• A••`).
//!
//! [`pseudonymize`] makes a copy that is safer to share: keyed pseudonyms under the cluster's
//! [`PseudonymKey`], masked or dropped columns, P-codes cut to a coarser admin level, a
//! k-anonymity check, and the scan of the copy.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod detect;
mod error;
mod input;
mod limits;
mod pseudonym;
mod report;
mod table;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;

use sealpost_format::Label;

use crate::detect::zawgyi::ZawgyiCounter;
use crate::error::ScanError;
use crate::input::workbook;
use crate::input::{Deadline, Format};
use crate::table::Table;
pub use limits::Limits;
pub use pseudonym::{
    Action, ColumnReport, DEFAULT_KEY_FILE, KAnonymity, Plan, PseudonymError, PseudonymKey,
    PseudonymReport, SheetSummary, pseudonymize, suggest_plan, write_report_row,
};
pub use report::{Finding, Reason, ReasonCode, ScanReport, SheetReport};

/// Scans the file at `path` with the default [`Limits`].
pub fn scan_file(path: &Path) -> ScanReport {
    scan_file_with(path, &Limits::default())
}

/// Scans the file at `path` within `limits`.
pub fn scan_file_with(path: &Path, limits: &Limits) -> ScanReport {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) => return fail_closed(&name, &ScanError::Io(error)),
    };
    // A large file is read in parts, one per core (see `input::parts`).
    let parts = file
        .metadata()
        .is_ok_and(|m| m.is_file() && input::parts::worth_it(m.len()))
        .then_some((path, input::parts::PART_BYTES));
    let input = BufReader::with_capacity(64 * 1024, file);
    match scan(&name, input, limits, parts) {
        Ok(report) => report,
        Err(error) => fail_closed(&name, &error),
    }
}

/// Scans `input` as a file called `name` (the name's extension helps tell CSV from text), with
/// the default [`Limits`].
pub fn scan_reader(name: &str, input: impl Read + Seek) -> ScanReport {
    scan_reader_with(name, input, &Limits::default())
}

/// Scans `input` as a file called `name` within `limits`.
pub fn scan_reader_with(name: &str, input: impl Read + Seek, limits: &Limits) -> ScanReport {
    match scan(name, input, limits, None) {
        Ok(report) => report,
        Err(error) => fail_closed(name, &error),
    }
}

/// The report for a file that could not be read: the most sensitive label, and why.
fn fail_closed(name: &str, error: &ScanError) -> ScanReport {
    let code = ReasonCode::CouldNotScan;
    ScanReport {
        file: name.to_string(),
        suggested_label: code.label(),
        reasons: vec![Reason {
            code,
            label: code.label(),
            message: format!("{} What went wrong: {error}.", code.explain()),
        }],
        sheets: Vec::new(),
        warnings: Vec::new(),
        scanned: false,
    }
}

/// One sheet's report and the Burmese text it held.
type Sheet = (SheetReport, ZawgyiCounter);

/// Scans `input`; `parts` names the file it reads and a part size when a CSV file of that
/// size is worth reading in parts.
fn scan(
    name: &str,
    mut input: impl Read + Seek,
    limits: &Limits,
    parts: Option<(&Path, u64)>,
) -> Result<ScanReport, ScanError> {
    let deadline = Deadline::new(limits);
    let (format, warning) = input::detect(name, &mut input)?;
    let mut warnings: Vec<String> = warning.into_iter().collect();
    let sheets: Vec<Sheet> = match format {
        Format::Workbook(kind) => {
            let book = workbook::read(input, kind, limits, &deadline)?;
            warnings.extend(book.warnings);
            book.sheets
                .into_iter()
                .map(|s| (s.report, s.zawgyi))
                .collect()
        }
        Format::Csv { prefer_tab } => {
            let in_parts = match parts {
                Some((path, part_bytes)) => {
                    input::parts::read_csv(name, path, prefer_tab, limits, &deadline, part_bytes)?
                }
                None => None,
            };
            match in_parts {
                Some((table, outcome)) => vec![csv_sheet(table, &outcome, limits, &mut warnings)],
                None => {
                    let (reader, _) = input::decode::text_reader(input)?;
                    vec![read_csv(
                        name,
                        reader,
                        prefer_tab,
                        limits,
                        &deadline,
                        &mut warnings,
                    )?]
                }
            }
        }
        Format::Text => {
            let (mut reader, _) = input::decode::text_reader(input)?;
            let mut sample = Vec::with_capacity(64 * 1024);
            (&mut reader)
                .take(64 * 1024)
                .read_to_end(&mut sample)
                .map_err(input::decode::scan_error)?;
            let tabular = input::text::looks_tabular(&sample);
            let reader: Box<dyn BufRead + '_> =
                Box::new(BufReader::new(Cursor::new(sample).chain(reader)));
            if tabular {
                warnings.push(
                    "The text file holds a tab-separated table; it was read as one.".to_string(),
                );
                vec![read_csv(
                    name,
                    reader,
                    true,
                    limits,
                    &deadline,
                    &mut warnings,
                )?]
            } else {
                let outcome = input::text::read(reader, &deadline)?;
                vec![(
                    table::text_sheet(name, &outcome.found, outcome.lines),
                    outcome.zawgyi,
                )]
            }
        }
    };
    Ok(assemble(name, sheets, warnings))
}

/// Reads delimited text into one sheet.
fn read_csv(
    name: &str,
    reader: Box<dyn BufRead + '_>,
    prefer_tab: bool,
    limits: &Limits,
    deadline: &Deadline,
    warnings: &mut Vec<String>,
) -> Result<Sheet, ScanError> {
    let mut table = Table::new(name, limits.max_columns);
    let outcome = input::csv::read(
        reader,
        prefer_tab,
        &mut table,
        limits.max_columns,
        limits,
        deadline,
    )?;
    Ok(csv_sheet(table, &outcome, limits, warnings))
}

/// The sheet of a CSV file read into `table`, with the reader's warnings.
fn csv_sheet(
    table: Table,
    outcome: &input::csv::CsvOutcome,
    limits: &Limits,
    warnings: &mut Vec<String>,
) -> Sheet {
    if outcome.truncated_cells > 0 {
        warnings.push(format!(
            "{} cell(s) were longer than the scanner reads ({} bytes); only their beginning was checked.",
            outcome.truncated_cells, limits.max_cell_bytes
        ));
    }
    if outcome.unbalanced_quote {
        warnings.push(
            "A quoted cell is never closed: from there to the end, the file was read as one cell. Check that the file is complete."
                .to_string(),
        );
    }
    let sheet = table.finish();
    (sheet.report, sheet.zawgyi)
}

/// Puts the sheets together: the most sensitive sheet's label, reasons most sensitive first.
fn assemble(name: &str, sheets: Vec<Sheet>, mut warnings: Vec<String>) -> ScanReport {
    let mut zawgyi = ZawgyiCounter::default();
    for (_, counter) in &sheets {
        zawgyi.add(counter);
    }
    if zawgyi.looks_zawgyi() {
        warnings.push(
            "Some Burmese text looks Zawgyi-encoded rather than Unicode, so names and places written in it may have been missed (the label was not changed for this). Convert the file to Unicode and scan again."
                .to_string(),
        );
    }
    let sheets: Vec<SheetReport> = sheets.into_iter().map(|(report, _)| report).collect();
    if sheets.iter().all(|s| s.rows == 0) {
        warnings
            .push("No data rows were found: the file is empty or holds only headers.".to_string());
    }
    let suggested_label = sheets
        .iter()
        .map(|s| s.label)
        .max()
        .unwrap_or(Label::Public);

    // One reason per code, saying where it was found.
    let mut by_code: BTreeMap<ReasonCode, Vec<(String, &Finding)>> = BTreeMap::new();
    for sheet in &sheets {
        for finding in &sheet.findings {
            by_code
                .entry(finding.code)
                .or_default()
                .push((sheet.name.clone(), finding));
        }
    }
    let several_sheets = sheets.len() > 1;
    let mut reasons: Vec<Reason> = by_code
        .into_iter()
        .map(|(code, found)| {
            let places: Vec<String> = found
                .iter()
                .take(3)
                .map(|(sheet, f)| {
                    let column = f.column.as_deref().map(|c| format!("column \"{c}\""));
                    let sheet = several_sheets.then(|| format!("sheet \"{sheet}\""));
                    match (column, sheet) {
                        (Some(c), Some(s)) => format!("{c} of {s}"),
                        (Some(c), None) => c,
                        (None, Some(s)) => s,
                        (None, None) => "the file".to_string(),
                    }
                })
                .collect();
            let more = found.len().saturating_sub(3);
            let total: u64 = found.iter().map(|(_, f)| f.count).sum();
            let mut message = if code.label() == Label::Public {
                format!("{} Checked {total} data row(s)", code.explain())
            } else {
                format!(
                    "{} Found {total} time(s) in {}",
                    code.explain(),
                    places.join(", ")
                )
            };
            if more > 0 && code.label() > Label::Public {
                message.push_str(&format!(" and {more} more place(s)"));
            }
            message.push('.');
            Reason {
                code,
                label: code.label(),
                message,
            }
        })
        .collect();
    // "Aggregates only" explains a public label; beside a sensitive finding it would mislead.
    if suggested_label > Label::Public {
        reasons.retain(|r| r.label > Label::Public);
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.label));
    ScanReport {
        file: name.to_string(),
        suggested_label,
        reasons,
        sheets,
        warnings,
        scanned: true,
    }
}
