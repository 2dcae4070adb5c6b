//! Delimited text: both passes go through the scanner's decoder and tokenizer, row by row; the
//! copy is written with the input's delimiter and line ending, quoted as RFC 4180 says.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use super::error::PseudonymError;
use super::{Shape, SheetWork, unreadable};
use crate::input::Deadline;
use crate::input::csv::{self, RowSink};
use crate::input::decode::{self, Encoding};
use crate::limits::Limits;

/// What the first pass learnt about a delimited file.
#[derive(Debug)]
pub(crate) struct CsvInfo {
    /// The delimiter the tokenizer used.
    pub(crate) delimiter: u8,
    /// The input started with a UTF-8 byte-order mark.
    pub(crate) bom: bool,
    /// The input was UTF-16.
    pub(crate) utf16: bool,
    /// Its first line ended with CR LF.
    crlf: bool,
    /// Headers and column contents.
    pub(crate) shape: Shape,
}

/// The first pass: checks the whole file reads as a table and learns its shape.
pub(crate) fn analyse(
    name: &str,
    mut file: File,
    prefer_tab: bool,
    limits: &Limits,
) -> Result<CsvInfo, PseudonymError> {
    let mut head = [0u8; 3];
    let got = read_head(&mut file, &mut head);
    let bom = head[..got].starts_with(&[0xEF, 0xBB, 0xBF]);
    let (reader, encoding) = decode::text_reader(file).map_err(|e| unreadable(name, e))?;
    let mut newline = NewlineSniffer {
        inner: reader,
        found: None,
        last: 0,
    };
    let mut sink = ShapeSink {
        shape: Shape::new(name),
        too_wide: false,
    };
    let outcome = {
        let reader: Box<dyn BufRead + '_> = Box::new(BufReader::new(&mut newline));
        csv::read(
            reader,
            prefer_tab,
            &mut sink,
            limits.max_columns,
            limits,
            &Deadline::new(limits),
        )
        .map_err(|e| unreadable(name, e))?
    };
    let refuse = |reason: String| PseudonymError::Unreadable {
        file: name.to_string(),
        reason,
    };
    if outcome.unbalanced_quote {
        return Err(refuse(
            "a quoted cell is never closed, so where the rows end is unclear; check that the file is complete (or open it in a spreadsheet program and save it again as CSV)".to_string(),
        ));
    }
    if outcome.truncated_cells > 0 {
        return Err(refuse(format!(
            "{} cell(s) are longer than {} MiB (or a row longer than {} MiB), which the pseudonymiser does not cut; check the file (a missing closing quote can make one huge cell)",
            outcome.truncated_cells,
            limits.max_cell_bytes >> 20,
            limits.max_row_bytes >> 20
        )));
    }
    if sink.too_wide {
        return Err(refuse(format!(
            "a row has more than {} columns; split the file",
            limits.max_columns
        )));
    }
    Ok(CsvInfo {
        delimiter: outcome.delimiter,
        bom,
        utf16: matches!(encoding, Encoding::Utf16Le | Encoding::Utf16Be),
        crlf: newline.found == Some(true),
        shape: sink.shape,
    })
}

/// The second pass: reads the file again and writes the copy to `out`.
pub(crate) fn rewrite(
    name: &str,
    file: File,
    prefer_tab: bool,
    info: &CsvInfo,
    work: &mut SheetWork<'_>,
    limits: &Limits,
    out: &mut File,
) -> Result<(), PseudonymError> {
    let (reader, _) = decode::text_reader(file).map_err(|e| unreadable(name, e))?;
    let mut writer = BufWriter::with_capacity(256 * 1024, out);
    let written = |e: io::Error| PseudonymError::Io {
        action: "written",
        path: "the output".into(),
        source: e,
    };
    if info.bom || info.utf16 {
        writer.write_all("\u{feff}".as_bytes()).map_err(written)?;
    }
    let mut sink = WriteSink {
        work,
        writer: &mut writer,
        delimiter: info.delimiter,
        newline: if info.crlf { b"\r\n" } else { b"\n" },
        error: None,
    };
    let outcome = csv::read(
        reader,
        prefer_tab,
        &mut sink,
        limits.max_columns,
        limits,
        &Deadline::new(limits),
    )
    .map_err(|e| unreadable(name, e))?;
    if let Some(error) = sink.error {
        return Err(written(error));
    }
    if outcome.delimiter != info.delimiter || outcome.truncated_cells > 0 {
        return Err(PseudonymError::Unreadable {
            file: name.to_string(),
            reason:
                "the file changed while it was being read; try again when nothing else writes to it"
                    .to_string(),
        });
    }
    writer.flush().map_err(written)?;
    Ok(())
}

/// Reads up to `head.len()` bytes and rewinds.
fn read_head(file: &mut File, head: &mut [u8]) -> usize {
    use std::io::Seek;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let _ = file.rewind();
    got
}

/// Passes text through and notes whether its first line break is CR LF.
struct NewlineSniffer<R> {
    inner: R,
    found: Option<bool>,
    last: u8,
}

impl<R: Read> Read for NewlineSniffer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.found.is_none() {
            for &b in &buf[..n] {
                if b == b'\n' {
                    self.found = Some(self.last == b'\r');
                    break;
                }
                self.last = b;
            }
        }
        Ok(n)
    }
}

struct ShapeSink {
    shape: Shape,
    too_wide: bool,
}

impl RowSink for ShapeSink {
    fn row(&mut self, cells: Vec<String>) {
        self.shape.row(&cells);
    }

    fn extra_cell(&mut self, _cell: &str) {
        self.too_wide = true;
    }
}

struct WriteSink<'a, 'k, W: Write> {
    work: &'a mut SheetWork<'k>,
    writer: &'a mut W,
    delimiter: u8,
    newline: &'static [u8],
    error: Option<io::Error>,
}

impl<W: Write> RowSink for WriteSink<'_, '_, W> {
    fn row(&mut self, cells: Vec<String>) {
        if self.error.is_some() {
            return;
        }
        let row = self.work.apply(cells);
        if let Err(e) = write_row(self.writer, &row, self.delimiter, self.newline) {
            self.error = Some(e);
        }
    }

    fn extra_cell(&mut self, _cell: &str) {
        // The first pass refused rows this wide.
        self.error
            .get_or_insert_with(|| io::Error::other("a row is wider than the first pass saw"));
    }
}

/// Writes one row of a report meant to be opened in a spreadsheet (the CLI's bulk-open report,
/// the sharing log): comma-separated, CRLF line ends, and a cell a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or CR) prefixed with `'`, because a sender's
/// name or a file name is data, not code. The pseudonymiser's own output never does this: it
/// keeps the table's cells exactly.
pub fn write_report_row(out: &mut impl Write, cells: &[String]) -> io::Result<()> {
    let cells: Vec<String> = cells
        .iter()
        .map(|cell| {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{cell}")
            } else {
                cell.clone()
            }
        })
        .collect();
    write_row(out, &cells, b',', b"\r\n")
}

/// Writes one row: cells holding the delimiter, a quote, CR or LF are quoted, with quotes
/// doubled.
pub(crate) fn write_row(
    out: &mut impl Write,
    cells: &[String],
    delimiter: u8,
    newline: &[u8],
) -> io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(&[delimiter])?;
        }
        let quote = cell
            .bytes()
            .any(|b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n');
        if quote {
            out.write_all(b"\"")?;
            out.write_all(cell.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(cell.as_bytes())?;
        }
    }
    out.write_all(newline)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[derive(Default)]
    struct Collect(Vec<Vec<String>>);

    impl RowSink for Collect {
        fn row(&mut self, cells: Vec<String>) {
            self.0.push(cells);
        }
        fn extra_cell(&mut self, _cell: &str) {
            panic!("no extra cells");
        }
    }

    fn read_back(bytes: Vec<u8>, prefer_tab: bool) -> (Vec<Vec<String>>, u8) {
        let limits = Limits {
            max_time: Duration::MAX,
            ..Limits::default()
        };
        let (reader, _) = decode::text_reader(io::Cursor::new(bytes)).unwrap();
        let mut collect = Collect::default();
        let outcome = csv::read(
            reader,
            prefer_tab,
            &mut collect,
            limits.max_columns,
            &limits,
            &Deadline::new(&limits),
        )
        .unwrap();
        (collect.0, outcome.delimiter)
    }

    #[test]
    fn quoting_round_trips_through_the_scanner_tokenizer() {
        let rows: Vec<Vec<String>> = [
            vec!["Name", "Note", "Phone"],
            vec!["Daw \"Aye\" Aye", "one, two; three", "09761234567"],
            vec!["multi\r\nline", "tab\there", ""],
            vec!["\"leading quote", "trailing quote\"", "lf\nonly"],
            vec!["", "", ""],
            vec!["ဦးအောင်ကျော်", "|pipe|", "plain"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect())
        .collect();
        for delimiter in [b',', b'\t', b';', b'|'] {
            for newline in [&b"\n"[..], b"\r\n"] {
                let mut bytes = Vec::new();
                for row in &rows {
                    write_row(&mut bytes, row, delimiter, newline).unwrap();
                }
                let (back, sniffed) = read_back(bytes, delimiter == b'\t');
                assert_eq!(sniffed, delimiter, "{}", char::from(delimiter));
                assert_eq!(back, rows, "delimiter {}", char::from(delimiter));
            }
        }
    }

    #[test]
    fn report_rows_defuse_formulas_and_keep_other_cells() {
        let mut out = Vec::new();
        let row = ["=HYPERLINK(\"x\")", "-1", "@me", "Daw Aye Aye", "a,b"].map(String::from);
        write_report_row(&mut out, &row).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"'=HYPERLINK(\"\"x\"\")\",'-1,'@me,Daw Aye Aye,\"a,b\"\r\n"
        );
    }

    #[test]
    fn only_cells_that_need_it_are_quoted() {
        let mut out = Vec::new();
        let row = [
            "a b".to_string(),
            "x,y".to_string(),
            "say \"hi\"".to_string(),
        ];
        write_row(&mut out, &row, b',', b"\r\n").unwrap();
        assert_eq!(out, b"a b,\"x,y\",\"say \"\"hi\"\"\"\r\n");
        let mut tsv = Vec::new();
        write_row(&mut tsv, &row, b'\t', b"\n").unwrap();
        assert_eq!(tsv, b"a b\tx,y\t\"say \"\"hi\"\"\"\n");
    }
}
