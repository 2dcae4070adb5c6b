//! CSV and TSV, streamed: a small RFC 4180 tokenizer (quoted cells, doubled quotes, CRLF) that
//! hands one row at a time to the table and keeps at most one row in memory, itself bounded
//! (cells are cut at `max_cell_bytes`, rows at `max_row_bytes`, and columns past
//! `max_columns` are searched as running text and dropped).

use std::io::{BufRead, Cursor, Read};

use crate::error::ScanError;
use crate::input::Deadline;
use crate::input::decode::scan_error;
use crate::limits::Limits;
use crate::table::Table;

/// The delimiters the sniffer chooses from.
const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

/// Picks the delimiter that splits the sample's lines most consistently (and into the most
/// cells when two are equally consistent). `prefer_tab` breaks ties for `.tsv` files.
pub(crate) fn sniff_delimiter(sample: &[u8], prefer_tab: bool) -> u8 {
    let text = String::from_utf8_lossy(sample);
    let complete = text.rfind('\n').map_or(&text[..], |end| &text[..end]);
    let lines: Vec<&str> = complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    if lines.is_empty() {
        return if prefer_tab { b'\t' } else { b',' };
    }
    let mut best = (if prefer_tab { b'\t' } else { b',' }, 0u32, 0usize);
    for delimiter in CANDIDATES {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| {
                let mut quoted = false;
                line.bytes()
                    .filter(|&b| {
                        if b == b'"' {
                            quoted = !quoted;
                        }
                        b == delimiter && !quoted
                    })
                    .count()
            })
            .collect();
        let mut sorted = counts.clone();
        sorted.sort_unstable();
        // The most common count (ties: the larger).
        let mut mode = (0usize, 0usize);
        for run in sorted.chunk_by(|a, b| a == b) {
            if run.len() >= mode.1 {
                mode = (run[0], run.len());
            }
        }
        if mode.0 == 0 {
            continue;
        }
        // Consistency in twentieths, so that near-equal candidates compare by cell count.
        let consistency = (mode.1 * 20 / counts.len()) as u32;
        let better = consistency > best.1
            || (consistency == best.1 && mode.0 > best.2 && !(prefer_tab && best.0 == b'\t'));
        if better {
            best = (delimiter, consistency, mode.0);
        }
    }
    best.0
}

/// Counters the reader reports as warnings.
#[derive(Debug, Default)]
pub(crate) struct CsvOutcome {
    /// Cells cut at the cell or row limit.
    pub(crate) truncated_cells: u64,
    /// Whether the file ended inside a quoted cell.
    pub(crate) unbalanced_quote: bool,
    /// The delimiter the sniffer chose (the pseudonymiser writes its copy with it).
    pub(crate) delimiter: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Where rows go: the table, or a test's collector.
pub(crate) trait RowSink {
    /// One row of at most `max_columns` cells.
    fn row(&mut self, cells: Vec<String>);
    /// A cell right of `max_columns`.
    fn extra_cell(&mut self, cell: &str);
}

impl RowSink for Table {
    fn row(&mut self, cells: Vec<String>) {
        self.push_row(cells);
    }

    fn extra_cell(&mut self, cell: &str) {
        self.push_extra_cell(cell);
    }
}

struct Tokenizer<'t, S: RowSink> {
    delimiter: u8,
    sink: &'t mut S,
    max_columns: usize,
    max_cell: usize,
    max_row: usize,
    max_cell_over_row: usize,
    state: State,
    cell: Vec<u8>,
    cell_cut: bool,
    row: Vec<String>,
    row_bytes: usize,
    column: usize,
    after_cr: bool,
    outcome: CsvOutcome,
}

impl<'t, S: RowSink> Tokenizer<'t, S> {
    fn new(delimiter: u8, sink: &'t mut S, max_columns: usize, limits: &Limits) -> Self {
        Tokenizer {
            delimiter,
            sink,
            max_columns,
            max_cell: limits.max_cell_bytes,
            max_row: limits.max_row_bytes,
            max_cell_over_row: limits.max_cell_bytes_over_row,
            state: State::FieldStart,
            cell: Vec::new(),
            cell_cut: false,
            row: Vec::new(),
            row_bytes: 0,
            column: 0,
            after_cr: false,
            outcome: CsvOutcome::default(),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let cap = if self.row_bytes > self.max_row {
            self.max_cell_over_row
        } else {
            self.max_cell
        };
        let room = cap.saturating_sub(self.cell.len());
        if bytes.len() > room {
            self.cell_cut = true;
        }
        self.cell.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_cell(&mut self) {
        // Cutting may split a character: keep what is whole.
        let text = match String::from_utf8(std::mem::take(&mut self.cell)) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        if self.cell_cut {
            self.outcome.truncated_cells += 1;
            self.cell_cut = false;
        }
        self.row_bytes += text.len();
        if self.column < self.max_columns {
            self.row.push(text);
        } else {
            self.sink.extra_cell(&text);
        }
        self.column += 1;
        self.cell.clear();
    }

    fn end_row(&mut self) {
        let row = std::mem::take(&mut self.row);
        self.sink.row(row);
        self.row_bytes = 0;
        self.column = 0;
    }

    /// Feeds a chunk of the text.
    fn feed(&mut self, mut chunk: &[u8]) {
        if self.after_cr {
            self.after_cr = false;
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
            }
        }
        while !chunk.is_empty() {
            match self.state {
                State::FieldStart | State::Unquoted => {
                    if self.state == State::FieldStart && chunk[0] == b'"' {
                        self.state = State::Quoted;
                        chunk = &chunk[1..];
                        continue;
                    }
                    match memchr::memchr3(self.delimiter, b'\n', b'\r', chunk) {
                        None => {
                            self.push(chunk);
                            self.state = State::Unquoted;
                            chunk = &[];
                        }
                        Some(at) => {
                            self.push(&chunk[..at]);
                            let special = chunk[at];
                            chunk = &chunk[at + 1..];
                            self.end_cell();
                            self.state = State::FieldStart;
                            if special != self.delimiter {
                                self.end_row();
                                if special == b'\r' {
                                    if chunk.first() == Some(&b'\n') {
                                        chunk = &chunk[1..];
                                    } else if chunk.is_empty() {
                                        self.after_cr = true;
                                    }
                                }
                            }
                        }
                    }
                }
                State::Quoted => match memchr::memchr(b'"', chunk) {
                    None => {
                        self.push(chunk);
                        chunk = &[];
                    }
                    Some(at) => {
                        self.push(&chunk[..at]);
                        chunk = &chunk[at + 1..];
                        self.state = State::QuoteInQuoted;
                    }
                },
                State::QuoteInQuoted => {
                    if chunk[0] == b'"' {
                        // A doubled quote is a quote.
                        self.push(b"\"");
                        chunk = &chunk[1..];
                        self.state = State::Quoted;
                    } else {
                        // The quote closed the cell; anything before the delimiter is kept
                        // (lenient, as spreadsheet programs are).
                        self.state = State::Unquoted;
                    }
                }
            }
        }
    }

    fn finish(mut self) -> CsvOutcome {
        if self.state == State::Quoted {
            self.outcome.unbalanced_quote = true;
        }
        if !self.cell.is_empty() || self.column > 0 || self.state != State::FieldStart {
            self.end_cell();
            self.end_row();
        }
        self.outcome
    }
}

/// Reads CSV text into `sink`, keeping statistics for at most `max_columns` columns.
pub(crate) fn read(
    mut input: Box<dyn BufRead + '_>,
    prefer_tab: bool,
    sink: &mut impl RowSink,
    max_columns: usize,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<CsvOutcome, ScanError> {
    // A sample to sniff the delimiter, then the sample again and the rest.
    let mut sample = Vec::with_capacity(64 * 1024);
    (&mut input)
        .take(64 * 1024)
        .read_to_end(&mut sample)
        .map_err(scan_error)?;
    let delimiter = sniff_delimiter(&sample, prefer_tab);
    let mut reader = Cursor::new(sample).chain(input);
    let mut tokenizer = Tokenizer::new(delimiter, sink, max_columns, limits);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(scan_error)?;
        if n == 0 {
            break;
        }
        tokenizer.feed(&buf[..n]);
        deadline.check()?;
    }
    Ok(CsvOutcome {
        delimiter,
        ..tokenizer.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        rows: Vec<Vec<String>>,
        extra: Vec<String>,
    }

    impl RowSink for Collect {
        fn row(&mut self, cells: Vec<String>) {
            self.rows.push(cells);
        }
        fn extra_cell(&mut self, cell: &str) {
            self.extra.push(cell.to_string());
        }
    }

    /// Tokenizes `text` fed `piece` bytes at a time, to cross every chunk boundary.
    fn tokenize(text: &str, piece: usize, limits: &Limits) -> (Collect, CsvOutcome) {
        let mut collect = Collect::default();
        let mut tokenizer = Tokenizer::new(b',', &mut collect, limits.max_columns, limits);
        for chunk in text.as_bytes().chunks(piece) {
            tokenizer.feed(chunk);
        }
        let outcome = tokenizer.finish();
        (collect, outcome)
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n", false), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n4;5,5;6\n", false), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n12,500\t2\t3\n", false), b'\t');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n", false), b'|');
        assert_eq!(sniff_delimiter(b"just one column\nanother\n", true), b'\t');
    }

    #[test]
    fn quotes_crlf_and_chunk_boundaries() {
        let text = "a,\"b,\"\"c\"\"\",d\r\n\"multi\r\nline\",2,3\r\n,,\nlast";
        for piece in [1, 2, 3, 7, 1000] {
            let (rows, outcome) = tokenize(text, piece, &Limits::default());
            assert!(!outcome.unbalanced_quote);
            assert_eq!(rows.rows.len(), 4, "piece {piece}: {:?}", rows.rows);
            assert_eq!(rows.rows[0], ["a", "b,\"c\"", "d"]);
            assert_eq!(rows.rows[1], ["multi\r\nline", "2", "3"]);
            assert_eq!(rows.rows[2], ["", "", ""]);
            assert_eq!(rows.rows[3], ["last"]);
        }
    }

    #[test]
    fn cells_and_columns_are_bounded() {
        let limits = Limits {
            max_cell_bytes: 8,
            max_columns: 2,
            ..Limits::default()
        };
        let (rows, outcome) = tokenize("abcdefghijkl,b,c,d\n\"unclosed,x\n", 5, &limits);
        assert_eq!(rows.rows[0], ["abcdefgh", "b"]);
        assert_eq!(rows.extra, ["c", "d"]);
        assert_eq!(
            outcome.truncated_cells, 2,
            "the cut cell and the unclosed one"
        );
        assert!(outcome.unbalanced_quote);
    }
}
