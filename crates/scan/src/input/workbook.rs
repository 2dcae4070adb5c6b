//! Spreadsheets through `calamine`: XLSX and XLSB streamed cell by cell, XLS and ODS read as
//! ranges. Before calamine inflates anything, the zip package is measured from its central
//! directory: the declared sizes bound what the `zip` crate will decompress (it stops at the
//! declared size), so checking them bounds memory and time against zip bombs. Parts that
//! calamine loads whole (shared strings, styles, an ODS `content.xml`) get a tighter limit than
//! worksheets, which are streamed and cut at `max_cells_per_sheet`.

use std::io::{Cursor, Read, Seek, SeekFrom};

use calamine::{
    Data, DataRef, ExcelDateTime, Ods, Reader, Xls, XlsError, Xlsb, XlsbError, Xlsx, XlsxError,
};
use zip::ZipArchive;

use crate::error::ScanError;
use crate::input::Deadline;
use crate::limits::Limits;
use crate::table::{SheetOutcome, Table};

/// The spreadsheet formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Office Open XML workbook.
    Xlsx,
    /// Excel binary workbook.
    Xlsb,
    /// Excel 97–2003 (BIFF in a compound file).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
}

/// What reading a workbook gave.
pub(crate) struct Workbook {
    /// One outcome per sheet.
    pub(crate) sheets: Vec<SheetOutcome>,
    /// Things the person should know (sheets cut short).
    pub(crate) warnings: Vec<String>,
}

pub(crate) fn xlsx_error(error: XlsxError) -> ScanError {
    match error {
        XlsxError::Password => ScanError::Encrypted,
        other => ScanError::Workbook(other.to_string()),
    }
}

pub(crate) fn xlsb_error(error: XlsbError) -> ScanError {
    match error {
        XlsbError::Password => ScanError::Encrypted,
        other => ScanError::Workbook(other.to_string()),
    }
}

pub(crate) fn xls_error(error: XlsError) -> ScanError {
    match error {
        XlsError::Password => ScanError::Encrypted,
        other => ScanError::Workbook(other.to_string()),
    }
}

/// Reads a workbook of `kind`.
pub(crate) fn read<RS: Read + Seek>(
    mut input: RS,
    kind: Kind,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Workbook, ScanError> {
    let mut book = Workbook {
        sheets: Vec::new(),
        warnings: Vec::new(),
    };
    match kind {
        Kind::Xlsx => {
            check_package(&mut input, kind, limits, deadline)?;
            input.seek(SeekFrom::Start(0))?;
            let mut workbook: Xlsx<RS> = Xlsx::new(input).map_err(xlsx_error)?;
            for name in workbook.sheet_names() {
                let mut cells = workbook.worksheet_cells_reader(&name).map_err(xlsx_error)?;
                let mut sheet = SheetReader::new(&name, limits, deadline);
                while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
                    let (row, column) = cell.get_position();
                    if !sheet.cell(row, column, || data_ref_text(cell.get_value()))? {
                        break;
                    }
                }
                book.finish_sheet(sheet);
            }
        }
        Kind::Xlsb => {
            check_package(&mut input, kind, limits, deadline)?;
            input.seek(SeekFrom::Start(0))?;
            let mut workbook: Xlsb<RS> = Xlsb::new(input).map_err(xlsb_error)?;
            for name in workbook.sheet_names() {
                let mut cells = workbook.worksheet_cells_reader(&name).map_err(xlsb_error)?;
                let mut sheet = SheetReader::new(&name, limits, deadline);
                while let Some(cell) = cells.next_cell().map_err(xlsb_error)? {
                    let (row, column) = cell.get_position();
                    if !sheet.cell(row, column, || data_ref_text(cell.get_value()))? {
                        break;
                    }
                }
                book.finish_sheet(sheet);
            }
        }
        Kind::Ods => {
            check_package(&mut input, kind, limits, deadline)?;
            input.seek(SeekFrom::Start(0))?;
            let mut workbook: Ods<RS> =
                Ods::new(input).map_err(|e| ScanError::Workbook(e.to_string()))?;
            for name in workbook.sheet_names() {
                let range = workbook
                    .worksheet_range(&name)
                    .map_err(|e| ScanError::Workbook(e.to_string()))?;
                book.read_range(&name, &range, limits, deadline)?;
            }
        }
        Kind::Xls => {
            // A compound file is read whole by calamine: bound its size first, and tell an
            // encrypted Office file (a compound file holding "EncryptedPackage") apart.
            let size = input.seek(SeekFrom::End(0))?;
            if size > limits.max_xls_bytes {
                return Err(ScanError::TooLarge {
                    part: "the whole .xls file".into(),
                    size,
                    limit: limits.max_xls_bytes,
                });
            }
            input.seek(SeekFrom::Start(0))?;
            let mut bytes = Vec::with_capacity(size as usize);
            input.read_to_end(&mut bytes)?;
            let utf16 = |s: &str| {
                s.encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>()
            };
            for marker in ["EncryptedPackage", "EncryptionInfo"] {
                if memchr::memmem::find(&bytes, &utf16(marker)).is_some() {
                    return Err(ScanError::Encrypted);
                }
            }
            let mut workbook: Xls<Cursor<Vec<u8>>> =
                Xls::new(Cursor::new(bytes)).map_err(xls_error)?;
            for name in workbook.sheet_names() {
                let range = workbook.worksheet_range(&name).map_err(xls_error)?;
                book.read_range(&name, &range, limits, deadline)?;
            }
        }
    }
    Ok(book)
}

impl Workbook {
    fn finish_sheet(&mut self, sheet: SheetReader<'_>) {
        let (outcome, warning) = sheet.finish();
        self.sheets.push(outcome);
        self.warnings.extend(warning);
    }

    fn read_range(
        &mut self,
        name: &str,
        range: &calamine::Range<Data>,
        limits: &Limits,
        deadline: &Deadline,
    ) -> Result<(), ScanError> {
        let mut sheet = SheetReader::new(name, limits, deadline);
        'rows: for (r, row) in range.rows().enumerate() {
            for (c, value) in row.iter().enumerate() {
                if !sheet.cell(r as u32, c as u32, || data_text(value))? {
                    break 'rows;
                }
            }
        }
        self.finish_sheet(sheet);
        Ok(())
    }
}

/// Assembles a sheet's cells (in row order) into rows for its table.
struct SheetReader<'a> {
    table: Table,
    deadline: &'a Deadline,
    max_cell: usize,
    max_cells: u64,
    cells: u64,
    cut_short: bool,
    row_index: Option<u32>,
    row: Vec<String>,
}

impl<'a> SheetReader<'a> {
    fn new(name: &str, limits: &Limits, deadline: &'a Deadline) -> Self {
        SheetReader {
            table: Table::new(name, limits.max_columns),
            deadline,
            max_cell: limits.max_cell_bytes,
            max_cells: limits.max_cells_per_sheet,
            cells: 0,
            cut_short: false,
            row_index: None,
            row: Vec::new(),
        }
    }

    /// Takes one cell; `false` once the sheet's cell budget is spent.
    fn cell(
        &mut self,
        row: u32,
        column: u32,
        text: impl FnOnce() -> String,
    ) -> Result<bool, ScanError> {
        self.cells += 1;
        if self.cells > self.max_cells {
            self.cut_short = true;
            return Ok(false);
        }
        if self.cells.is_multiple_of(4096) {
            self.deadline.check()?;
        }
        if self.row_index != Some(row) {
            self.flush();
            self.row_index = Some(row);
        }
        let mut text = text();
        if text.is_empty() {
            return Ok(true);
        }
        if text.len() > self.max_cell {
            let mut cut = self.max_cell;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let column = column as usize;
        if column < self.table.max_columns() {
            if self.row.len() <= column {
                self.row.resize(column + 1, String::new());
            }
            self.row[column] = text;
        } else {
            self.table.push_extra_cell(&text);
        }
        Ok(true)
    }

    fn flush(&mut self) {
        if !self.row.is_empty() {
            self.table.push_row(std::mem::take(&mut self.row));
        }
    }

    fn finish(mut self) -> (SheetOutcome, Option<String>) {
        self.flush();
        let outcome = self.table.finish();
        let warning = self.cut_short.then(|| {
            format!(
                "Only the first {} cells of sheet \"{}\" were scanned (the scanner's limit); the rest of that sheet was not checked.",
                self.max_cells, outcome.report.name
            )
        });
        (outcome, warning)
    }
}

/// A float as a person typed it: whole numbers without ".0" (phone numbers and codes are often
/// stored as numbers), others in their shortest exact form.
pub(crate) fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A date as `2026-01-27` (with the time when there is one).
pub(crate) fn date_text(value: &ExcelDateTime) -> String {
    if !value.is_datetime() {
        return float_text(value.as_f64());
    }
    let (y, m, d, hh, mm, ss, _) = value.to_ymd_hms_milli();
    if (hh, mm, ss) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    }
}

fn data_ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => date_text(d),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn data_text(value: &Data) -> String {
    match value {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => date_text(d),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Measures a zip package before a spreadsheet reader opens it: entry count, encryption, and
/// the declared uncompressed size of every part it would read.
pub(crate) fn check_package<RS: Read + Seek>(
    input: &mut RS,
    kind: Kind,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), ScanError> {
    input.seek(SeekFrom::Start(0))?;
    let mut zip = ZipArchive::new(&mut *input)
        .map_err(|e| ScanError::Workbook(format!("not a readable zip package: {e}")))?;
    if zip.len() > limits.max_zip_entries {
        return Err(ScanError::Implausible(format!(
            "{} parts in the package, limit {}",
            zip.len(),
            limits.max_zip_entries
        )));
    }
    let mut large_sheets = Vec::new();
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| ScanError::Workbook(e.to_string()))?;
        if entry.encrypted() {
            return Err(ScanError::Encrypted);
        }
        let name = entry
            .name()
            .map_or_else(|_| format!("part {i}"), |n| n.into_owned());
        let size = entry.size();
        let lower = name.to_ascii_lowercase();
        let streamed = matches!(kind, Kind::Xlsx | Kind::Xlsb) && lower.contains("worksheets/");
        let read_whole =
            lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".bin");
        let limit = if streamed {
            limits.max_sheet_part_bytes
        } else if read_whole {
            limits.max_whole_part_bytes
        } else {
            // Images and other media: spreadsheet readers do not inflate them.
            continue;
        };
        if size > limit {
            return Err(ScanError::TooLarge {
                part: name,
                size,
                limit,
            });
        }
        if streamed && size > LARGE_SHEET_PART {
            large_sheets.push(name);
        }
    }
    for name in large_sheets {
        check_longest_token(&mut zip, &name, limits, deadline)?;
    }
    if kind == Kind::Xlsx {
        check_shared_strings(&mut zip)?;
    }
    if kind == Kind::Ods {
        check_ods_cells(&mut zip, limits, deadline)?;
    }
    Ok(())
}

/// Worksheet parts above this size are read once more before calamine streams them, to check
/// that no single XML tag or text is huge (see [`check_longest_token`]).
const LARGE_SHEET_PART: u64 = 64 << 20;

/// Room for the markup around a cell's value.
const TOKEN_SLACK: usize = 64 << 10;

/// calamine streams a worksheet but holds one XML event (a tag, a text) whole: a part with a
/// gigabyte of text in one cell would take a gigabyte. For large parts, this reads the part
/// once, counting the longest run between `<` and `>`, and refuses runs longer than a cell
/// may be (smaller parts are bounded by their size).
fn check_longest_token<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    name: &str,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), ScanError> {
    let limit = limits.max_cell_bytes.saturating_add(TOKEN_SLACK) as u64;
    let mut entry = zip
        .by_name(name)
        .map_err(|e| ScanError::Workbook(format!("{name}: {e}")))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut run: u64 = 0;
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| ScanError::Workbook(format!("{name}: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        let mut rest = &buf[..n];
        while let Some(at) = memchr::memchr2(b'<', b'>', rest) {
            if run + at as u64 > limit {
                break;
            }
            run = 0;
            rest = &rest[at + 1..];
        }
        run += rest.len() as u64;
        if run > limit {
            return Err(ScanError::Implausible(format!(
                "{name} holds a single value or tag longer than {limit} bytes"
            )));
        }
        deadline.check()?;
    }
}

/// calamine reserves room for the `uniqueCount` a shared-strings table announces before reading
/// it: a forged count would ask for terabytes. Each string needs some bytes of XML, so a count
/// larger than the part could hold is refused.
fn check_shared_strings<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Result<(), ScanError> {
    let Ok(entry) = zip.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    let size = entry.size();
    let mut head = Vec::with_capacity(4096);
    entry
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| ScanError::Workbook(format!("shared strings: {e}")))?;
    let head = String::from_utf8_lossy(&head);
    if let Some(at) = head.find("uniqueCount=\"") {
        let digits: String = head[at + 13..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let count: u64 = digits.parse().unwrap_or(u64::MAX);
        // `<si><t/></si>` is the shortest string entry: 13 bytes.
        if count > size / 8 + 16 {
            return Err(ScanError::Implausible(format!(
                "the shared-strings table announces {count} strings in {size} bytes"
            )));
        }
    }
    Ok(())
}

/// An ODS sheet's cells are multiplied by `number-rows-repeated` and `number-columns-repeated`,
/// and calamine expands them into memory (up to 100 million cells). This estimates the
/// expanded size the way calamine builds it (rows up to the last non-empty one, times the
/// widest non-empty extent) without expanding anything, and refuses what is too large.
fn check_ods_cells<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), ScanError> {
    const MAX_ROWS: u64 = 1 << 20;
    const MAX_COLUMNS: u64 = 1 << 14;
    let mut entry = zip
        .by_name("content.xml")
        .map_err(|e| ScanError::Workbook(format!("no content.xml: {e}")))?;
    let mut estimate = OdsEstimate::default();
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| ScanError::Workbook(format!("content.xml: {e}")))?;
        if n == 0 {
            break;
        }
        carry.extend_from_slice(&buf[..n]);
        let mut consumed = 0;
        while let Some(open) = memchr::memchr(b'<', &carry[consumed..]) {
            let start = consumed + open;
            let Some(close) = memchr::memchr(b'>', &carry[start..]) else {
                break;
            };
            let tag = &carry[start + 1..start + close];
            estimate.tag(tag, MAX_ROWS, MAX_COLUMNS);
            if estimate.largest > limits.max_ods_cells {
                return Err(ScanError::Implausible(format!(
                    "a sheet expands to more than {} cells",
                    limits.max_ods_cells
                )));
            }
            consumed = start + close + 1;
        }
        carry.drain(..consumed);
        if carry.len() > 1 << 20 {
            return Err(ScanError::Implausible(
                "an XML tag longer than 1 MiB".into(),
            ));
        }
        deadline.check()?;
    }
    Ok(())
}

#[derive(Default)]
struct OdsEstimate {
    rows: u64,
    pending_empty_rows: u64,
    width: u64,
    row_repeats: u64,
    column: u64,
    last_filled: u64,
    largest: u64,
}

fn attribute(tag: &[u8], name: &str) -> Option<u64> {
    let tag = std::str::from_utf8(tag).ok()?;
    let at = tag.find(name)?;
    let rest = &tag[at + name.len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    let value: String = rest[1..].chars().take_while(|&c| c != quote).collect();
    value.trim().parse().ok()
}

impl OdsEstimate {
    fn tag(&mut self, tag: &[u8], max_rows: u64, max_columns: u64) {
        let self_closing = tag.ends_with(b"/");
        if tag.starts_with(b"table:table-row")
            && matches!(
                tag.get(15),
                Some(b' ' | b'/' | b'\t' | b'\n' | b'\r') | None
            )
        {
            let repeats = attribute(tag, "table:number-rows-repeated")
                .unwrap_or(1)
                .max(1);
            if self_closing {
                self.pending_empty_rows = self.pending_empty_rows.saturating_add(repeats);
            } else {
                self.row_repeats = repeats;
                self.column = 0;
                self.last_filled = 0;
            }
        } else if tag.starts_with(b"table:table-cell")
            || tag.starts_with(b"table:covered-table-cell")
        {
            let repeats = attribute(tag, "table:number-columns-repeated")
                .unwrap_or(1)
                .max(1);
            self.column = self.column.saturating_add(repeats).min(max_columns);
            let filled = !self_closing || memchr::memmem::find(tag, b"office:value-type").is_some();
            if filled {
                self.last_filled = self.column;
            }
        } else if tag.starts_with(b"/table:table-row") {
            if self.last_filled > 0 {
                self.rows = self
                    .rows
                    .saturating_add(self.pending_empty_rows)
                    .saturating_add(self.row_repeats)
                    .min(max_rows);
                self.pending_empty_rows = 0;
                self.width = self.width.max(self.last_filled);
                self.largest = self.largest.max(self.rows.saturating_mul(self.width));
            } else {
                self.pending_empty_rows = self.pending_empty_rows.saturating_add(self.row_repeats);
            }
        } else if tag.starts_with(b"/table:table") && !tag.starts_with(b"/table:table-") {
            self.rows = 0;
            self.pending_empty_rows = 0;
            self.width = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_value_sheet(value_len: usize) -> ZipArchive<Cursor<Vec<u8>>> {
        use std::io::Write;
        let mut bytes = Vec::new();
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
        zip.start_file("s.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"<sheetData><row><c><v>").unwrap();
        zip.write_all(&vec![b'7'; value_len]).unwrap();
        zip.write_all(b"</v></c></row></sheetData>").unwrap();
        zip.finish().unwrap();
        ZipArchive::new(Cursor::new(bytes)).unwrap()
    }

    #[test]
    fn a_huge_value_in_a_large_worksheet_is_refused() {
        let limits = Limits {
            max_cell_bytes: 1000,
            ..Limits::default()
        };
        let deadline = Deadline::new(&limits);
        let fine = TOKEN_SLACK + 1000;
        assert!(
            check_longest_token(&mut one_value_sheet(fine), "s.xml", &limits, &deadline).is_ok()
        );
        let huge = 3 * TOKEN_SLACK;
        assert!(matches!(
            check_longest_token(&mut one_value_sheet(huge), "s.xml", &limits, &deadline),
            Err(ScanError::Implausible(_))
        ));
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(float_text(959562475740.0), "959562475740");
        assert_eq!(float_text(96.55066), "96.55066");
        assert_eq!(float_text(-3.0), "-3");
    }

    #[test]
    fn ods_expansion_is_estimated_without_expanding() {
        let mut e = OdsEstimate::default();
        let row = |e: &mut OdsEstimate, open: &str, cells: &[&str]| {
            e.tag(open.as_bytes(), 1 << 20, 1 << 14);
            for c in cells {
                e.tag(c.as_bytes(), 1 << 20, 1 << 14);
            }
            e.tag(b"/table:table-row", 1 << 20, 1 << 14);
        };
        // A normal LibreOffice sheet: a few filled cells, then empty filler rows and columns.
        row(
            &mut e,
            "table:table-row",
            &[
                "table:table-cell office:value-type=\"string\"",
                "table:table-cell table:number-columns-repeated=\"1023\"/",
            ],
        );
        row(
            &mut e,
            "table:table-row table:number-rows-repeated=\"1048575\"",
            &["table:table-cell table:number-columns-repeated=\"1024\"/"],
        );
        assert_eq!(e.largest, 1);
        // A bomb: one filled cell repeated across every column of a million rows.
        let mut e = OdsEstimate::default();
        row(
            &mut e,
            "table:table-row table:number-rows-repeated=\"1000000\"",
            &[
                "table:table-cell table:number-columns-repeated=\"16384\" office:value-type=\"float\" office:value=\"1\"/",
            ],
        );
        assert!(e.largest > 1_000_000_000);
    }
}
