//! The pseudonymiser: a copy of a CSV/TSV file or workbook that is safer to share. Chosen
//! columns get keyed pseudonyms (the same value, the same pseudonym, in every file of the
//! cluster), are masked or dropped; P-codes are cut to a coarser admin level; a k-anonymity
//! check counts the rows that still stand out; and the copy is scanned again for its label.
//!
//! It reads files through the scanner's own input layer (encodings, delimiter sniffing, the
//! RFC 4180 tokenizer, calamine) in two passes: the first learns the headers and which
//! columns hold P-codes and checks that the whole file can be read, the second writes the
//! copy. CSV is streamed row by row both times; the copy goes to a temporary file beside the
//! output and is renamed into place only when complete.

mod anonymity;
mod csv;
pub use csv::write_report_row;
mod error;
mod key;
mod suggest;
mod transform;
mod xlsx;

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;
use std::time::Duration;

use sealpost_format::Label;
use serde::Serialize;

pub use anonymity::KAnonymity;
pub use error::PseudonymError;
pub use key::PseudonymKey;
pub(crate) use key::is_pseudonym;
pub use suggest::suggest_plan;

use crate::error::ScanError;
use crate::input::workbook::Kind;
use crate::input::{self, Format};
use crate::limits::Limits;
use crate::report::ScanReport;
use transform::Cut;

/// The name of the key file in a member's data directory, used when no key file is given.
pub const DEFAULT_KEY_FILE: &str = "pseudonym.key";

/// What to do with which columns. Columns are named by their header (first non-empty row of
/// the file or sheet), matched ignoring case and surrounding spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Columns whose values are replaced by keyed pseudonyms (`PSN-…`).
    pub pseudonymise: Vec<String>,
    /// Columns left out of the copy.
    pub drop: Vec<String>,
    /// Columns whose values are masked (`09•••••4567`, `D•• A•• A••`).
    pub mask: Vec<String>,
    /// Cut P-codes to this admin level: 1 state/region, 2 district, 3 township.
    pub admin_level: Option<u8>,
    /// The columns `admin_level` applies to; empty: every column most of whose values are
    /// P-codes.
    pub pcode_columns: Vec<String>,
    /// Columns whose combination (as in the copy) is checked for k-anonymity.
    pub quasi_identifiers: Vec<String>,
    /// Replace the output file if it exists.
    pub overwrite: bool,
}

/// What was done to one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Action {
    /// Values replaced by keyed pseudonyms.
    Pseudonymised,
    /// Left out of the copy.
    Dropped,
    /// Values masked.
    Masked,
    /// P-codes cut to a coarser admin level.
    Generalised,
}

/// One column of the report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColumnReport {
    /// The column's header in the file.
    pub column: String,
    /// What was done.
    pub action: Action,
    /// For [`Action::Generalised`]: the admin level asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_level: Option<u8>,
    /// Cells changed (for a dropped column: data cells left out).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub changed: u64,
    /// Non-empty cells left as they were (already coarse enough, or not a P-code).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub left_alone: u64,
}

/// One sheet (a CSV file is one sheet, named after the file).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetSummary {
    /// The sheet's name.
    pub name: String,
    /// Data rows (below the header and any HXL hashtag row).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// What was done per column.
    pub columns: Vec<ColumnReport>,
    /// The k-anonymity check, when quasi-identifiers were named and the sheet has them.
    pub k_anonymity: Option<KAnonymity>,
}

/// What [`pseudonymize`] did, and the scan of the copy.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PseudonymReport {
    /// The input file.
    pub input: String,
    /// The copy.
    pub output: String,
    /// The input's format: `csv` (any delimiter but tab), `tsv`, `xlsx`, `xlsb`, `xls` or `ods`.
    pub format: String,
    /// The copy's format: `csv`, `tsv` or `xlsx`.
    pub output_format: String,
    /// For delimited text: the delimiter, kept in the copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The key's public id (members compare it to check they use the cluster's key).
    pub key_id: String,
    /// Data rows over all sheets.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// Per sheet: rows, columns, k-anonymity.
    pub sheets: Vec<SheetSummary>,
    /// Things to know and check.
    pub warnings: Vec<String>,
    /// The label the scanner suggests for the input.
    pub label_before: Label,
    /// The scan of the copy, with its suggested label and reasons.
    pub scan: ScanReport,
}

/// Makes a pseudonymised copy of `input` at `output` following `plan`, with pseudonyms under
/// `key`, then scans the copy. CSV/TSV stays delimited text with the same delimiter (UTF-8;
/// with a byte-order mark if the input had one or was UTF-16); workbooks (XLSX, XLSB, XLS,
/// ODS) become XLSX with their values (formulas, formatting and comments are not copied).
/// On any error no output is left behind; an existing output is replaced only with
/// [`Plan::overwrite`].
pub fn pseudonymize(
    input: &Path,
    output: &Path,
    plan: &Plan,
    key: &PseudonymKey,
) -> Result<PseudonymReport, PseudonymError> {
    plan.validate()?;
    check_paths(input, output, plan.overwrite)?;
    let job = Job {
        input,
        output,
        plan,
        key,
        name: file_name(input),
        limits: limits(),
    };
    let name = &job.name;
    let mut file = File::open(input).map_err(|e| PseudonymError::io("read", input, e))?;
    let (format, warning) = input::detect(name, &mut file).map_err(|e| unreadable(name, e))?;
    let mut warnings: Vec<String> = warning.into_iter().collect();
    let copy = match format {
        Format::Workbook(kind) => job.workbook(file, kind, &mut warnings)?,
        Format::Csv { prefer_tab } => job.csv(file, prefer_tab, &mut warnings)?,
        Format::Text => {
            let mut sample = Vec::new();
            let (reader, _) =
                input::decode::text_reader(&mut file).map_err(|e| unreadable(name, e))?;
            reader
                .take(64 * 1024)
                .read_to_end(&mut sample)
                .map_err(|e| unreadable(name, input::decode::scan_error(e)))?;
            if !input::text::looks_tabular(&sample) {
                return Err(PseudonymError::Unreadable {
                    file: name.clone(),
                    reason: "it is running text, not a table; the pseudonymiser works on CSV/TSV files and spreadsheets (for a letter or a report, remove the names by hand)".to_string(),
                });
            }
            file.rewind()
                .map_err(|e| PseudonymError::io("read", input, e))?;
            warnings.push("The text file holds a tab-separated table; it was read as one.".into());
            job.csv(file, true, &mut warnings)?
        }
    };
    let rows = copy.sheets.iter().map(|s| s.rows).sum();
    let label_before = crate::scan_file(input).suggested_label;
    let scan = crate::scan_file(output);
    Ok(PseudonymReport {
        input: input.display().to_string(),
        output: output.display().to_string(),
        format: copy.format.to_string(),
        output_format: copy.output_format.to_string(),
        delimiter: copy.delimiter,
        key_id: key.id(),
        rows,
        sheets: copy.sheets,
        warnings,
        label_before,
        scan,
    })
}

/// One run of the pseudonymiser.
struct Job<'a> {
    input: &'a Path,
    output: &'a Path,
    plan: &'a Plan,
    key: &'a PseudonymKey,
    /// The input's file name, for messages.
    name: String,
    limits: Limits,
}

/// What a copy was made from and of.
struct Copy {
    format: &'static str,
    output_format: &'static str,
    delimiter: Option<String>,
    sheets: Vec<SheetSummary>,
}

impl Job<'_> {
    fn reopen(&self) -> Result<File, PseudonymError> {
        File::open(self.input).map_err(|e| PseudonymError::io("read", self.input, e))
    }

    /// Delimited text: analyse, resolve, rewrite.
    fn csv(
        &self,
        file: File,
        prefer_tab: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Copy, PseudonymError> {
        let name = &self.name;
        let info = csv::analyse(name, file, prefer_tab, &self.limits)?;
        if info.utf16 {
            warnings.push(
                "The input is UTF-16 text; the copy is written as UTF-8 (with a byte-order mark, so spreadsheet programs read it right).".to_string(),
            );
        } else if info.bom {
            warnings.push(
                "The input starts with a UTF-8 byte-order mark; the copy keeps it.".to_string(),
            );
        }
        let shapes = std::slice::from_ref(&info.shape);
        let mut works = resolve(self.plan, shapes, name, self.key, warnings)?;
        let file = self.reopen()?;
        let work = works.first_mut().expect("one sheet for delimited text");
        write_output(self.output, self.plan.overwrite, |out| {
            csv::rewrite(name, file, prefer_tab, &info, work, &self.limits, out)
        })?;
        let delimiter = match info.delimiter {
            b'\t' => "tab".to_string(),
            other => char::from(other).to_string(),
        };
        let format = if info.delimiter == b'\t' {
            "tsv"
        } else {
            "csv"
        };
        Ok(Copy {
            format,
            output_format: format,
            delimiter: Some(delimiter),
            sheets: finish(works, warnings),
        })
    }

    /// A workbook: analyse, resolve, rewrite as XLSX.
    fn workbook(
        &self,
        file: File,
        kind: Kind,
        warnings: &mut Vec<String>,
    ) -> Result<Copy, PseudonymError> {
        if !has_extension(self.output, "xlsx") {
            return Err(PseudonymError::OutputNotXlsx {
                path: self.output.to_path_buf(),
                suggestion: self.output.with_extension("xlsx"),
            });
        }
        let format = match kind {
            Kind::Xlsx => "xlsx",
            Kind::Xlsb => "xlsb",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
        };
        if kind != Kind::Xlsx {
            warnings.push(format!(
                "The input is {}; the copy is written as XLSX (values only).",
                format.to_uppercase()
            ));
        }
        let name = &self.name;
        let shapes = xlsx::analyse(name, file, kind, &self.limits)?;
        let mut works = resolve(self.plan, &shapes, name, self.key, warnings)?;
        let file = self.reopen()?;
        write_output(self.output, self.plan.overwrite, |out| {
            xlsx::rewrite(name, file, kind, &self.limits, &mut works, out)
        })?;
        Ok(Copy {
            format,
            output_format: "xlsx",
            delimiter: None,
            sheets: finish(works, warnings),
        })
    }
}

/// The limits for reading a whole file into a copy: no time limit (a large file just takes
/// longer), room for Excel's widest sheets; cells and rows stay bounded (too long is an error
/// here, never a silent cut).
fn limits() -> Limits {
    Limits {
        max_columns: xlsx::MAX_COLUMNS,
        max_time: Duration::MAX,
        ..Limits::default()
    }
}

impl Plan {
    /// Checks the plan on its own: something to do, a possible level, one action per column.
    fn validate(&self) -> Result<(), PseudonymError> {
        if self.pseudonymise.is_empty()
            && self.drop.is_empty()
            && self.mask.is_empty()
            && self.admin_level.is_none()
        {
            return Err(PseudonymError::NothingToDo);
        }
        if let Some(level) = self.admin_level
            && !(1..=3).contains(&level)
        {
            return Err(PseudonymError::AdminLevel(level));
        }
        let lists: [(&'static str, &[String]); 4] = [
            ("--columns", &self.pseudonymise),
            ("--drop", &self.drop),
            ("--mask", &self.mask),
            ("--pcode-columns", &self.pcode_columns),
        ];
        for (i, (first, a)) in lists.iter().enumerate() {
            for (second, b) in &lists[i + 1..] {
                if let Some(column) = a.iter().find(|x| b.iter().any(|y| same(x, y))) {
                    return Err(PseudonymError::ColumnConflict {
                        column: column.trim().to_string(),
                        first,
                        second,
                    });
                }
            }
        }
        if let Some(column) = self
            .quasi_identifiers
            .iter()
            .find(|q| self.drop.iter().any(|d| same(q, d)))
        {
            return Err(PseudonymError::ColumnConflict {
                column: column.trim().to_string(),
                first: "--drop",
                second: "--quasi-identifiers",
            });
        }
        Ok(())
    }
}

/// Two column names are the same ignoring case and surrounding spaces.
fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// The error for a file the input layer could not read.
fn unreadable(file: &str, error: ScanError) -> PseudonymError {
    let reason = match error {
        ScanError::Binary { offset } => format!(
            "the file contains binary data (a zero byte at byte {offset}), so it is not a CSV or text file; if it is a spreadsheet, give it its real extension (.xlsx, .xls, .ods) and try again"
        ),
        other => other
            .to_string()
            .replace("scan again", "try again")
            .replace(
                "or choose the label yourself",
                "or remove the personal data by hand",
            ),
    };
    PseudonymError::Unreadable {
        file: file.to_string(),
        reason,
    }
}

/// OUT must not be FILE, and must not exist unless it may be replaced.
fn check_paths(input: &Path, output: &Path, overwrite: bool) -> Result<(), PseudonymError> {
    let canonical_input =
        std::fs::canonicalize(input).map_err(|e| PseudonymError::io("read", input, e))?;
    let canonical_output = match std::fs::canonicalize(output) {
        Ok(path) => Some(path),
        Err(_) => output
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| std::fs::canonicalize(p).ok())
            .zip(output.file_name())
            .map(|(dir, name)| dir.join(name)),
    };
    if canonical_output.as_deref() == Some(canonical_input.as_path()) {
        return Err(PseudonymError::SameFile {
            path: output.to_path_buf(),
        });
    }
    if !overwrite && output.symlink_metadata().is_ok() {
        return Err(PseudonymError::OutputExists {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes the copy through `write` into a temporary file beside `output`, flushes it to disk
/// and renames it into place (refusing an existing output unless `overwrite`). On any error the
/// temporary file is removed and `output` is untouched.
fn write_output(
    output: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut File) -> Result<(), PseudonymError>,
) -> Result<(), PseudonymError> {
    let dir = match output.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".sealpost-pseudonymized-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| PseudonymError::io("created", output, e))?;
    write(temp.as_file_mut())?;
    temp.as_file()
        .sync_all()
        .map_err(|e| PseudonymError::io("written", output, e))?;
    let persisted = if overwrite {
        temp.persist(output)
    } else {
        temp.persist_noclobber(output)
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            PseudonymError::OutputExists {
                path: output.to_path_buf(),
            }
        } else {
            PseudonymError::io("renamed into place", output, e.error)
        }
    })?;
    sync_dir(dir);
    Ok(())
}

/// Flushes a directory's entries (the rename) to disk where the platform allows it.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A cell as the pseudonymiser sees it: its text, and a cell holding new text.
pub(crate) trait CellText {
    /// The text (numbers and dates as a person reads them).
    fn text(&self) -> Cow<'_, str>;
    /// A text cell.
    fn from_text(text: String) -> Self;
}

impl CellText for String {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }

    fn from_text(text: String) -> Self {
        text
    }
}

fn is_blank<C: CellText>(cells: &[C]) -> bool {
    cells.iter().all(|c| c.text().trim().is_empty())
}

/// What the first pass learns about a sheet.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    /// The sheet's name.
    pub(crate) name: String,
    /// The header: the first row with a non-empty cell.
    header: Option<Vec<String>>,
    /// Whether the row after the header is an HXL hashtag row.
    hxl_row: bool,
    /// Rows seen after the header.
    after_header: u64,
    /// Non-empty data cells per column.
    non_empty: Vec<u64>,
    /// Data cells that are P-codes, per column.
    pcodes: Vec<u64>,
}

impl Shape {
    pub(crate) fn new(name: &str) -> Self {
        Shape {
            name: name.to_string(),
            ..Shape::default()
        }
    }

    /// Observes one row.
    pub(crate) fn row<C: CellText>(&mut self, cells: &[C]) {
        if self.header.is_none() {
            if !is_blank(cells) {
                self.header = Some(cells.iter().map(|c| c.text().into_owned()).collect());
            }
            return;
        }
        self.after_header += 1;
        if self.after_header == 1 {
            let texts: Vec<String> = cells.iter().map(|c| c.text().into_owned()).collect();
            if crate::detect::hxl::is_tag_row(&texts) {
                self.hxl_row = true;
                return;
            }
        }
        if self.non_empty.len() < cells.len() {
            self.non_empty.resize(cells.len(), 0);
            self.pcodes.resize(cells.len(), 0);
        }
        for (i, cell) in cells.iter().enumerate() {
            let text = cell.text();
            if text.trim().is_empty() {
                continue;
            }
            self.non_empty[i] += 1;
            if crate::detect::places::level(&text).is_some() {
                self.pcodes[i] += 1;
            }
        }
    }

    /// Whether most non-empty values of column `i` are P-codes.
    fn holds_pcodes(&self, i: usize) -> bool {
        let non_empty = self.non_empty.get(i).copied().unwrap_or(0);
        non_empty > 0 && self.pcodes[i] * 2 > non_empty
    }
}

/// One column's action in the second pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Pseudonymise,
    Drop,
    Mask,
    Generalise(u8),
}

/// Where the second pass is in a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    BeforeHeader,
    /// Right after the header: the next row may be the HXL row.
    AfterHeader,
    Data,
}

/// The second pass over one sheet: the actions per column and what they did.
#[derive(Debug)]
pub(crate) struct SheetWork<'k> {
    name: String,
    headers: Vec<String>,
    actions: Vec<Option<Act>>,
    quasi: Vec<usize>,
    hxl_row: bool,
    key: &'k PseudonymKey,
    place: Place,
    rows: u64,
    changed: Vec<u64>,
    left_alone: Vec<u64>,
    to_state: Vec<u64>,
    counter: Option<anonymity::Counter>,
}

impl SheetWork<'_> {
    /// The sheet's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Applies the plan to one row, in file order; returns the row for the copy.
    pub(crate) fn apply<C: CellText>(&mut self, cells: Vec<C>) -> Vec<C> {
        let data = match self.place {
            Place::BeforeHeader => {
                if !is_blank(&cells) {
                    self.place = Place::AfterHeader;
                }
                false
            }
            Place::AfterHeader => {
                self.place = Place::Data;
                !self.hxl_row
            }
            Place::Data => true,
        };
        // Blank rows (spacing, the end of a sheet) are copied but are nobody.
        if !data || is_blank(&cells) {
            return self.drop_columns(cells);
        }
        self.rows += 1;
        let mut cells = cells;
        for (i, cell) in cells.iter_mut().enumerate() {
            let Some(Some(act)) = self.actions.get(i).copied() else {
                continue;
            };
            let text = cell.text();
            if text.trim().is_empty() {
                continue;
            }
            let replacement = match act {
                Act::Drop => {
                    self.changed[i] += 1;
                    continue;
                }
                Act::Pseudonymise => self.key.pseudonym(&text),
                Act::Mask => Some(transform::mask_value(&text)),
                Act::Generalise(level) => match transform::generalise(&text, level) {
                    Cut::To(code) => Some(code),
                    Cut::ToState(code) => {
                        self.to_state[i] += 1;
                        Some(code)
                    }
                    Cut::Kept | Cut::NotPcode => None,
                },
            };
            match replacement {
                Some(new) => {
                    self.changed[i] += 1;
                    *cell = C::from_text(new);
                }
                None => self.left_alone[i] += 1,
            }
        }
        if let Some(counter) = &mut self.counter {
            let values: Vec<Cow<'_, str>> = self
                .quasi
                .iter()
                .map(|&i| cells.get(i).map_or(Cow::Borrowed(""), |c| c.text()))
                .collect();
            counter.add(values.iter().map(|v| v.trim()));
        }
        self.drop_columns(cells)
    }

    fn drop_columns<C>(&self, cells: Vec<C>) -> Vec<C> {
        if !self.actions.contains(&Some(Act::Drop)) {
            return cells;
        }
        cells
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.actions.get(*i).copied().flatten() != Some(Act::Drop))
            .map(|(_, c)| c)
            .collect()
    }
}

/// Turns the plan into actions per column of each sheet, checking every named column exists.
fn resolve<'k>(
    plan: &Plan,
    shapes: &[Shape],
    file: &str,
    key: &'k PseudonymKey,
    warnings: &mut Vec<String>,
) -> Result<Vec<SheetWork<'k>>, PseudonymError> {
    if shapes.iter().all(|s| s.header.is_none()) {
        return Err(PseudonymError::NoHeader {
            file: file.to_string(),
        });
    }
    let named = plan
        .pseudonymise
        .iter()
        .chain(&plan.drop)
        .chain(&plan.mask)
        .chain(&plan.pcode_columns)
        .chain(&plan.quasi_identifiers);
    for column in named {
        let found = shapes
            .iter()
            .filter_map(|s| s.header.as_ref())
            .any(|h| h.iter().any(|x| same(x, column)));
        if !found {
            let mut headers: Vec<String> = Vec::new();
            for header in shapes.iter().filter_map(|s| s.header.as_ref()) {
                for h in header {
                    if !h.trim().is_empty() && !headers.iter().any(|x| same(x, h)) {
                        headers.push(h.trim().to_string());
                    }
                }
            }
            return Err(PseudonymError::UnknownColumn {
                column: column.trim().to_string(),
                file: file.to_string(),
                headers,
            });
        }
    }
    let several = shapes.len() > 1;
    let mut works = Vec::with_capacity(shapes.len());
    let mut any_pcode_column = false;
    for shape in shapes {
        let headers = shape.header.clone().unwrap_or_default();
        let in_list = |list: &[String], h: &str| list.iter().any(|x| same(x, h));
        let mut actions: Vec<Option<Act>> = headers
            .iter()
            .map(|h| {
                if in_list(&plan.pseudonymise, h) {
                    Some(Act::Pseudonymise)
                } else if in_list(&plan.drop, h) {
                    Some(Act::Drop)
                } else if in_list(&plan.mask, h) {
                    Some(Act::Mask)
                } else {
                    None
                }
            })
            .collect();
        if let Some(level) = plan.admin_level {
            for (i, h) in headers.iter().enumerate() {
                let chosen = if plan.pcode_columns.is_empty() {
                    actions[i].is_none() && shape.holds_pcodes(i)
                } else {
                    in_list(&plan.pcode_columns, h)
                };
                if chosen {
                    actions[i] = Some(Act::Generalise(level));
                    any_pcode_column = true;
                }
            }
        }
        let quasi: Vec<usize> = plan
            .quasi_identifiers
            .iter()
            .filter_map(|q| headers.iter().position(|h| same(h, q)))
            .collect();
        if shape.header.is_some() && actions.iter().all(Option::is_none) && several {
            warnings.push(format!(
                "Sheet \"{}\" has none of the columns named; it was copied unchanged (check it: the scan of the copy below covers it).",
                shape.name
            ));
        }
        let width = actions.len();
        works.push(SheetWork {
            name: shape.name.clone(),
            headers,
            actions,
            counter: (!quasi.is_empty()).then(anonymity::Counter::default),
            quasi,
            hxl_row: shape.hxl_row,
            key,
            place: Place::BeforeHeader,
            rows: 0,
            changed: vec![0; width],
            left_alone: vec![0; width],
            to_state: vec![0; width],
        });
    }
    if let Some(level) = plan.admin_level
        && !any_pcode_column
    {
        warnings.push(format!(
            "--admin-level {level} changed nothing: no column holds mostly P-codes (MMR…); name the columns with --pcode-columns if their codes are in another form."
        ));
    }
    Ok(works)
}

/// The per-sheet summaries and their warnings.
fn finish(works: Vec<SheetWork<'_>>, warnings: &mut Vec<String>) -> Vec<SheetSummary> {
    let several = works.len() > 1;
    works
        .into_iter()
        .map(|work| {
            let mut columns = Vec::new();
            for (i, act) in work.actions.iter().enumerate() {
                let Some(act) = act else { continue };
                let column = work.headers[i].trim().to_string();
                let (action, admin_level) = match act {
                    Act::Pseudonymise => (Action::Pseudonymised, None),
                    Act::Drop => (Action::Dropped, None),
                    Act::Mask => (Action::Masked, None),
                    Act::Generalise(level) => (Action::Generalised, Some(*level)),
                };
                if let Act::Generalise(level) = act {
                    let not_codes = work.left_alone[i];
                    if not_codes > 0 {
                        warnings.push(format!(
                            "Column \"{column}\": {not_codes} value(s) were left as they were: already at admin level {level} or coarser, or not recognised as P-codes (a village code or a place name may still be precise; check them or drop the column)."
                        ));
                    }
                    if work.to_state[i] > 0 {
                        warnings.push(format!(
                            "Column \"{column}\": {} P-code(s) were cut to their state/region, because a township or finer P-code does not contain its district.",
                            work.to_state[i]
                        ));
                    }
                }
                columns.push(ColumnReport {
                    column,
                    action,
                    admin_level,
                    changed: work.changed[i],
                    left_alone: work.left_alone[i],
                });
            }
            let k_anonymity = work.counter.map(|counter| {
                let names = work
                    .quasi
                    .iter()
                    .map(|&i| work.headers[i].trim().to_string())
                    .collect();
                counter.finish(names)
            });
            if let Some(k) = &k_anonymity
                && let Some(warning) = k.warning(several.then_some(work.name.as_str()))
            {
                warnings.push(warning);
            }
            SheetSummary {
                name: work.name,
                rows: work.rows,
                columns,
                k_anonymity,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::ReasonCode;

    fn codes(csv: &str) -> Vec<ReasonCode> {
        let report = crate::scan_reader("list.csv", Cursor::new(csv.as_bytes().to_vec()));
        report.reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn the_scanner_does_not_take_pseudonyms_for_names() {
        let key = PseudonymKey::from_bytes([3; 32]);
        let people = ["Daw Aye Aye", "U Kyaw Soe", "Ma Hla Hla", "Ko Zaw Min"];
        let mut plain = String::from("Name of respondent,Sex,Assistance\n");
        let mut pseudonymised = plain.clone();
        for (i, name) in people.iter().cycle().take(40).enumerate() {
            let sex = if i % 2 == 0 { "F" } else { "M" };
            plain.push_str(&format!("{name},{sex},Cash transfer\n"));
            let pseudonym = key.pseudonym(name).unwrap();
            pseudonymised.push_str(&format!("{pseudonym},{sex},Cash transfer\n"));
        }
        assert!(codes(&plain).contains(&ReasonCode::PersonName));
        let after = codes(&pseudonymised);
        assert!(!after.contains(&ReasonCode::PersonName), "{after:?}");
        assert!(!after.contains(&ReasonCode::BeneficiaryList), "{after:?}");
    }

    #[test]
    fn plans_are_checked_before_any_file_is_read() {
        let nothing = Plan::default();
        assert!(matches!(
            nothing.validate(),
            Err(PseudonymError::NothingToDo)
        ));
        let twice = Plan {
            pseudonymise: vec!["Name".into()],
            drop: vec![" name ".into()],
            ..Plan::default()
        };
        let error = twice.validate().unwrap_err();
        assert_eq!(error.code(), "column-conflict");
        assert!(
            error.to_string().contains("--columns and --drop"),
            "{error}"
        );
        let level = Plan {
            admin_level: Some(0),
            ..Plan::default()
        };
        assert_eq!(level.validate().unwrap_err().code(), "bad-admin-level");
        let dropped_qi = Plan {
            drop: vec!["Age".into()],
            quasi_identifiers: vec!["age".into()],
            ..Plan::default()
        };
        assert_eq!(dropped_qi.validate().unwrap_err().code(), "column-conflict");
    }

    #[test]
    fn a_csv_copy_keeps_its_delimiter_bom_and_line_endings() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(
            &input,
            "\u{feff}Name;Phone;Township\r\nDaw Aye Aye;09761234567;MMR003008029\r\n\"Ko; Zaw\";+95 9 761 234 567;MMR003008\r\n",
        )
        .unwrap();
        let output = dir.path().join("out.csv");
        let key = PseudonymKey::from_bytes([5; 32]);
        let plan = Plan {
            pseudonymise: vec!["phone".into(), "name".into()],
            admin_level: Some(3),
            ..Plan::default()
        };
        let report = pseudonymize(&input, &output, &plan, &key).unwrap();
        assert_eq!(report.delimiter.as_deref(), Some(";"));
        assert_eq!(report.rows, 2);
        let out = std::fs::read_to_string(&output).unwrap();
        let phone = key.pseudonym("09761234567").unwrap();
        assert_eq!(
            out,
            format!(
                "\u{feff}Name;Phone;Township\r\n{};{phone};MMR003008\r\n{};{phone};MMR003008\r\n",
                key.pseudonym("daw aye aye").unwrap(),
                key.pseudonym("Ko; Zaw").unwrap(),
            )
        );
        let township = &report.sheets[0].columns[2];
        assert_eq!((township.changed, township.left_alone), (1, 1));
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("byte-order mark"))
        );
        // A second run refuses to overwrite; with `overwrite` it replaces.
        assert!(matches!(
            pseudonymize(&input, &output, &plan, &key),
            Err(PseudonymError::OutputExists { .. })
        ));
        let again = Plan {
            overwrite: true,
            ..plan
        };
        pseudonymize(&input, &output, &again, &key).unwrap();
        assert_eq!(std::fs::read_to_string(&output).unwrap(), out);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp files"
        );
    }
}
