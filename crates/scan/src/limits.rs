//! How much of a file the scanner reads and keeps: the bounds that keep memory flat and time
//! finite whatever the input (a 1 GB CSV, a 10 MB cell, a row of a million columns, a zip bomb).

use std::time::Duration;

/// The scanner's bounds. [`Limits::default`] suits a laptop; tests lower them to exercise the
/// paths that hit them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one cell kept for analysis; the rest of the cell is skipped, with a warning.
    /// Detectors look for short values (a phone, an NRC, a name), so this only has to be large
    /// enough for any real cell; it exists so that one unterminated quote cannot hold a whole
    /// file in memory.
    pub max_cell_bytes: usize,
    /// Bytes kept for one row in total; cells past this are cut to `max_cell_bytes_over_row`.
    pub max_row_bytes: usize,
    /// What a cell is cut to once its row is over `max_row_bytes`.
    pub max_cell_bytes_over_row: usize,
    /// Columns with their own statistics. Cells further right are still searched for phones,
    /// NRC numbers, names and coordinates, but counted together as one "further columns".
    pub max_columns: usize,
    /// Cells read per sheet of a workbook (XLSX/XLSB); the rest of the sheet is skipped with a
    /// warning. CSV and text files have no such cap: they are streamed to the end.
    pub max_cells_per_sheet: u64,
    /// Uncompressed bytes of one worksheet part of an XLSX/XLSB/ODS package.
    pub max_sheet_part_bytes: u64,
    /// Uncompressed bytes of the parts a spreadsheet reader loads whole (shared strings,
    /// styles, workbook), and of an ODS `content.xml`, which is parsed whole.
    pub max_whole_part_bytes: u64,
    /// Size of an XLS (BIFF) file, which the reader loads whole.
    pub max_xls_bytes: u64,
    /// Entries in a zip package.
    pub max_zip_entries: usize,
    /// Cells an ODS sheet may expand to (its "repeated" attributes multiply cells).
    pub max_ods_cells: u64,
    /// Wall-clock time for one scan; past it the scan stops and fails closed.
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_cell_bytes: 16 << 20,
            max_row_bytes: 32 << 20,
            max_cell_bytes_over_row: 4 << 10,
            max_columns: 1024,
            max_cells_per_sheet: 20_000_000,
            max_sheet_part_bytes: 1 << 30,
            max_whole_part_bytes: 128 << 20,
            max_xls_bytes: 64 << 20,
            max_zip_entries: 10_000,
            max_ods_cells: 20_000_000,
            max_time: Duration::from_secs(15 * 60),
        }
    }
}
