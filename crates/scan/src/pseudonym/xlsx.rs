//! Workbooks: read with calamine after the scanner's package checks (zip bombs, encryption),
//! XLSX/XLSB streamed cell by cell, XLS/ODS as ranges; the copy is written with
//! rust_xlsxwriter in constant-memory mode, row by row, values only.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, Xls, Xlsb, Xlsx};
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError};

use super::error::PseudonymError;
use super::{CellText, Shape, SheetWork, unreadable};
use crate::error::ScanError;
use crate::input::Deadline;
use crate::input::workbook::{
    Kind, check_package, date_text, float_text, xls_error, xlsb_error, xlsx_error,
};
use crate::limits::Limits;

/// Excel's widest sheet; also the column bound for delimited text.
pub(crate) const MAX_COLUMNS: usize = 16_384;

/// One cell of a workbook, with its type kept for the copy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// TRUE or FALSE.
    Bool(bool),
    /// A date, time or duration (Excel's serial number).
    Date(ExcelDateTime),
}

impl CellText for Cell {
    fn text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Float(f) => Cow::Owned(float_text(*f)),
            Cell::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
            Cell::Date(d) => Cow::Owned(date_text(d)),
        }
    }

    fn from_text(text: String) -> Self {
        Cell::Text(text)
    }
}

fn from_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cell::Text(s.clone())
        }
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => Cell::Date(*d),
        DataRef::Error(_) | DataRef::Empty => Cell::Empty,
    }
}

fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Date(*d),
        Data::Error(_) | Data::Empty => Cell::Empty,
    }
}

/// Receives a workbook's rows, sheet by sheet.
trait Visitor {
    fn sheet(&mut self, name: &str) -> Result<(), PseudonymError>;
    fn row(&mut self, index: u32, cells: Vec<Cell>) -> Result<(), PseudonymError>;
}

/// Reads every sheet of the workbook and hands its rows (in order, with their row numbers) to
/// `visitor`.
fn visit(
    name: &str,
    mut input: File,
    kind: Kind,
    limits: &Limits,
    visitor: &mut impl Visitor,
) -> Result<(), PseudonymError> {
    let deadline = Deadline::new(limits);
    let scan = |e: ScanError| unreadable(name, e);
    match kind {
        Kind::Xlsx | Kind::Xlsb => {
            check_package(&mut input, kind, limits, &deadline).map_err(scan)?;
            input.seek(SeekFrom::Start(0)).map_err(|e| scan(e.into()))?;
            let input = BufReader::new(input);
            if kind == Kind::Xlsx {
                let mut book: Xlsx<_> = Xlsx::new(input).map_err(|e| scan(xlsx_error(e)))?;
                for sheet in book.sheet_names() {
                    visitor.sheet(&sheet)?;
                    let mut cells = book
                        .worksheet_cells_reader(&sheet)
                        .map_err(|e| scan(xlsx_error(e)))?;
                    let mut rows = Rows::new(name, &sheet, limits);
                    while let Some(cell) = cells.next_cell().map_err(|e| scan(xlsx_error(e)))? {
                        let (row, column) = cell.get_position();
                        rows.cell(row, column, from_ref(cell.get_value()), visitor)?;
                    }
                    rows.finish(visitor)?;
                }
            } else {
                let mut book: Xlsb<_> = Xlsb::new(input).map_err(|e| scan(xlsb_error(e)))?;
                for sheet in book.sheet_names() {
                    visitor.sheet(&sheet)?;
                    let mut cells = book
                        .worksheet_cells_reader(&sheet)
                        .map_err(|e| scan(xlsb_error(e)))?;
                    let mut rows = Rows::new(name, &sheet, limits);
                    while let Some(cell) = cells.next_cell().map_err(|e| scan(xlsb_error(e)))? {
                        let (row, column) = cell.get_position();
                        rows.cell(row, column, from_ref(cell.get_value()), visitor)?;
                    }
                    rows.finish(visitor)?;
                }
            }
        }
        Kind::Ods => {
            check_package(&mut input, kind, limits, &deadline).map_err(scan)?;
            input.seek(SeekFrom::Start(0)).map_err(|e| scan(e.into()))?;
            let mut book: Ods<_> = Ods::new(BufReader::new(input))
                .map_err(|e| scan(ScanError::Workbook(e.to_string())))?;
            for sheet in book.sheet_names() {
                visitor.sheet(&sheet)?;
                let range = book
                    .worksheet_range(&sheet)
                    .map_err(|e| scan(ScanError::Workbook(e.to_string())))?;
                visit_range(name, &sheet, &range, limits, visitor)?;
            }
        }
        Kind::Xls => {
            let size = input.seek(SeekFrom::End(0)).map_err(|e| scan(e.into()))?;
            if size > limits.max_xls_bytes {
                return Err(scan(ScanError::TooLarge {
                    part: "the whole .xls file".into(),
                    size,
                    limit: limits.max_xls_bytes,
                }));
            }
            input.seek(SeekFrom::Start(0)).map_err(|e| scan(e.into()))?;
            let mut bytes = Vec::with_capacity(size as usize);
            input.read_to_end(&mut bytes).map_err(|e| scan(e.into()))?;
            let mut book: Xls<_> =
                Xls::new(std::io::Cursor::new(bytes)).map_err(|e| scan(xls_error(e)))?;
            for sheet in book.sheet_names() {
                visitor.sheet(&sheet)?;
                let range = book
                    .worksheet_range(&sheet)
                    .map_err(|e| scan(xls_error(e)))?;
                visit_range(name, &sheet, &range, limits, visitor)?;
            }
        }
    }
    Ok(())
}

fn visit_range(
    name: &str,
    sheet: &str,
    range: &calamine::Range<Data>,
    limits: &Limits,
    visitor: &mut impl Visitor,
) -> Result<(), PseudonymError> {
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows = Rows::new(name, sheet, limits);
    for (r, row) in range.rows().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let cell = from_data(value);
            if cell != Cell::Empty {
                rows.cell(top + r as u32, left + c as u32, cell, visitor)?;
            }
        }
    }
    rows.finish(visitor)
}

/// Assembles cells (in row order) into rows.
struct Rows<'a> {
    file: &'a str,
    sheet: &'a str,
    max_cells: u64,
    cells: u64,
    index: Option<u32>,
    row: Vec<Cell>,
}

impl<'a> Rows<'a> {
    fn new(file: &'a str, sheet: &'a str, limits: &Limits) -> Self {
        Rows {
            file,
            sheet,
            max_cells: limits.max_cells_per_sheet,
            cells: 0,
            index: None,
            row: Vec::new(),
        }
    }

    fn cell(
        &mut self,
        row: u32,
        column: u32,
        cell: Cell,
        visitor: &mut impl Visitor,
    ) -> Result<(), PseudonymError> {
        self.cells += 1;
        if self.cells > self.max_cells {
            return Err(PseudonymError::Unreadable {
                file: self.file.to_string(),
                reason: format!(
                    "sheet \"{}\" has more than {} cells, more than the pseudonymiser copies; export the sheet as CSV and pseudonymise that",
                    self.sheet, self.max_cells
                ),
            });
        }
        let column = column as usize;
        if column >= MAX_COLUMNS {
            return Err(PseudonymError::Unreadable {
                file: self.file.to_string(),
                reason: format!(
                    "sheet \"{}\" has cells right of column {MAX_COLUMNS}, which XLSX cannot hold; export the sheet as CSV and pseudonymise that",
                    self.sheet
                ),
            });
        }
        if self.index != Some(row) {
            self.flush(visitor)?;
            self.index = Some(row);
        }
        if self.row.len() <= column {
            self.row.resize(column + 1, Cell::Empty);
        }
        self.row[column] = cell;
        Ok(())
    }

    fn flush(&mut self, visitor: &mut impl Visitor) -> Result<(), PseudonymError> {
        if let Some(index) = self.index
            && !self.row.is_empty()
        {
            visitor.row(index, std::mem::take(&mut self.row))?;
        }
        Ok(())
    }

    fn finish(mut self, visitor: &mut impl Visitor) -> Result<(), PseudonymError> {
        self.flush(visitor)
    }
}

/// The first pass: every sheet's shape.
pub(crate) fn analyse(
    name: &str,
    input: File,
    kind: Kind,
    limits: &Limits,
) -> Result<Vec<Shape>, PseudonymError> {
    struct Shapes(Vec<Shape>);
    impl Visitor for Shapes {
        fn sheet(&mut self, name: &str) -> Result<(), PseudonymError> {
            self.0.push(Shape::new(name));
            Ok(())
        }
        fn row(&mut self, _index: u32, cells: Vec<Cell>) -> Result<(), PseudonymError> {
            if let Some(shape) = self.0.last_mut() {
                shape.row(&cells);
            }
            Ok(())
        }
    }
    let mut shapes = Shapes(Vec::new());
    visit(name, input, kind, limits, &mut shapes)?;
    Ok(shapes.0)
}

fn xlsx_failed(error: XlsxError) -> PseudonymError {
    PseudonymError::Xlsx(error.to_string())
}

/// The second pass: reads the workbook again and writes the XLSX copy to `out`.
pub(crate) fn rewrite(
    name: &str,
    input: File,
    kind: Kind,
    limits: &Limits,
    works: &mut [SheetWork<'_>],
    out: &mut File,
) -> Result<(), PseudonymError> {
    struct Writer<'w, 'k> {
        book: Workbook,
        works: &'w mut [SheetWork<'k>],
        current: Option<usize>,
        names: Vec<String>,
        date: CellFormat,
        date_time: CellFormat,
    }
    impl Visitor for Writer<'_, '_> {
        fn sheet(&mut self, name: &str) -> Result<(), PseudonymError> {
            let index = self.current.map_or(0, |i| i + 1);
            if self.works.get(index).is_none_or(|w| w.name() != name) {
                return Err(changed());
            }
            self.current = Some(index);
            let sheet_name = sheet_name(name, &self.names);
            self.names.push(sheet_name.to_lowercase());
            let sheet = self
                .book
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_failed)?;
            sheet.set_name(sheet_name).map_err(xlsx_failed)?;
            Ok(())
        }

        fn row(&mut self, index: u32, cells: Vec<Cell>) -> Result<(), PseudonymError> {
            let current = self.current.ok_or_else(changed)?;
            let cells = self.works[current].apply(cells);
            let sheet = self
                .book
                .worksheet_from_index(current)
                .map_err(xlsx_failed)?;
            for (column, cell) in cells.iter().enumerate() {
                let column = column as u16;
                let written = match cell {
                    Cell::Empty => continue,
                    Cell::Text(s) if s.is_empty() => continue,
                    Cell::Text(s) => sheet.write_string(index, column, s),
                    Cell::Int(i) => sheet.write_number(index, column, *i as f64),
                    Cell::Float(f) => sheet.write_number(index, column, *f),
                    Cell::Bool(b) => sheet.write_boolean(index, column, *b),
                    Cell::Date(d) if d.is_datetime() => {
                        let format = if d.as_f64().fract() == 0.0 {
                            &self.date
                        } else {
                            &self.date_time
                        };
                        sheet.write_number_with_format(index, column, d.as_f64(), format)
                    }
                    Cell::Date(d) => sheet.write_number(index, column, d.as_f64()),
                };
                written.map_err(xlsx_failed)?;
            }
            Ok(())
        }
    }
    let mut writer = Writer {
        book: Workbook::new(),
        works,
        current: None,
        names: Vec::new(),
        date: CellFormat::new().set_num_format("yyyy-mm-dd"),
        date_time: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    visit(name, input, kind, limits, &mut writer)?;
    if writer.current.map_or(0, |i| i + 1) != writer.works.len() {
        return Err(changed());
    }
    if writer.works.is_empty() {
        writer.book.add_worksheet();
    }
    writer.book.save_to_writer(out).map_err(xlsx_failed)
}

fn changed() -> PseudonymError {
    PseudonymError::Unreadable {
        file: "the input".to_string(),
        reason:
            "the workbook changed while it was being read; try again when nothing else writes to it"
                .to_string(),
    }
}

/// A valid, unique XLSX sheet name for `name` (ODS and XLS allow names XLSX does not).
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches('\'');
    let base: String = if clean.is_empty() {
        "Sheet".to_string()
    } else {
        clean.chars().take(31).collect()
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate.to_lowercase()) || candidate.eq_ignore_ascii_case("history") {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        candidate = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        assert_eq!(sheet_name("Data", &[]), "Data");
        assert_eq!(sheet_name("a/b:c", &[]), "a_b_c");
        assert_eq!(sheet_name("data", &["data".to_string()]), "data (2)");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &[]).chars().count(), 31);
        assert_eq!(sheet_name("", &[]), "Sheet");
    }
}
