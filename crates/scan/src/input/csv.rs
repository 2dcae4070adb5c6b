//! CSV and TSV, streamed: a small RFC 4180 tokenizer (quoted cells, doubled quotes, CRLF) that
//! hands one row at a time to the table and keeps at most one row in memory, itself bounded
//! (cells are cut at `max_cell_bytes`, rows at `max_row_bytes`, and columns past
//! `max_columns` are searched as running text and dropped).

use std::io::{BufRead, Read};

use crate::error::ScanError;
use crate::input::Deadline;
use crate::input::decode::scan_error;
use crate::input::marks::Marks;
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

/// One row as the tokenizer lends it to the sink: a text and where each cell starts and ends
/// in it. The text is the tokenizer's row buffer, or the chunk being read itself when the whole
/// row lies in it unquoted (the common case: no copy at all).
pub(crate) struct Row<'r> {
    text: &'r str,
    spans: &'r [(usize, usize)],
}

impl<'r> Row<'r> {
    /// The cells, in order.
    pub(crate) fn cells(&self) -> impl ExactSizeIterator<Item = &'r str> + Clone + use<'r> {
        let text = self.text;
        self.spans
            .iter()
            .map(move |&(start, end)| &text[start..end])
    }

    /// The cells as owned strings.
    pub(crate) fn to_vec(&self) -> Vec<String> {
        self.cells().map(str::to_string).collect()
    }
}

/// Where rows go: the table, or a test's collector.
pub(crate) trait RowSink {
    /// One row of at most `max_columns` cells.
    fn row(&mut self, cells: Vec<String>);
    /// The same, lent rather than given: sinks that only read the cells override it.
    fn row_ref(&mut self, row: &Row<'_>) {
        self.row(row.to_vec());
    }
    /// A cell right of `max_columns`.
    fn extra_cell(&mut self, cell: &str);
}

impl RowSink for Table {
    fn row(&mut self, cells: Vec<String>) {
        self.push_row(cells);
    }

    fn row_ref(&mut self, row: &Row<'_>) {
        self.push_row_ref(row.text, row.spans);
    }

    fn extra_cell(&mut self, cell: &str) {
        self.push_extra_cell(cell);
    }
}

/// A row buffer that grew past this (a row of huge cells) is let go after the row, so that one
/// freak row does not hold its memory for the rest of the file.
const KEEP_ROW_BUFFER: usize = 1 << 20;

struct Tokenizer<'t, S: RowSink> {
    delimiter: u8,
    sink: &'t mut S,
    max_columns: usize,
    max_cell: usize,
    max_row: usize,
    max_cell_over_row: usize,
    state: State,
    /// The row's cells so far, back to back; the current cell starts at `cell_start`.
    row: Vec<u8>,
    cell_start: usize,
    cell_cut: bool,
    /// Where each finished cell of the row ends in `row`.
    ends: Vec<usize>,
    /// The cells of the row being lent, as [`Row`] holds them.
    spans: Vec<(usize, usize)>,
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
            row: Vec::new(),
            cell_start: 0,
            cell_cut: false,
            ends: Vec::new(),
            spans: Vec::new(),
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
        let room = cap.saturating_sub(self.row.len() - self.cell_start);
        if bytes.len() > room {
            self.cell_cut = true;
        }
        self.row.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_cell(&mut self) {
        // The text is valid UTF-8 and cells end at ASCII bytes, so a cell is whole unless it
        // was cut: only then can it end inside a character. Keep what is whole.
        // The row as a whole is checked once, in `end_row`.
        if self.cell_cut {
            self.outcome.truncated_cells += 1;
            self.cell_cut = false;
            if std::str::from_utf8(&self.row[self.cell_start..]).is_err() {
                let text = String::from_utf8_lossy(&self.row[self.cell_start..]).into_owned();
                self.row.truncate(self.cell_start);
                self.row.extend_from_slice(text.as_bytes());
            }
        }
        self.row_bytes += self.row.len() - self.cell_start;
        if self.column < self.max_columns {
            self.ends.push(self.row.len());
            self.cell_start = self.row.len();
        } else {
            let text = String::from_utf8_lossy(&self.row[self.cell_start..]);
            self.sink.extra_cell(&text);
            self.row.truncate(self.cell_start);
        }
        self.column += 1;
    }

    fn end_row(&mut self) {
        // One check for the whole row. It only fails if the text given was not UTF-8 (the
        // decoder guarantees it is); then each cell is read with replacement characters.
        match std::str::from_utf8(&self.row) {
            Ok(text) => {
                self.spans.clear();
                let mut start = 0;
                for &end in &self.ends {
                    self.spans.push((start, end));
                    start = end;
                }
                self.sink.row_ref(&Row {
                    text,
                    spans: &self.spans,
                });
            }
            Err(_) => {
                let mut start = 0;
                let mut cells = Vec::with_capacity(self.ends.len());
                for &end in &self.ends {
                    cells.push(String::from_utf8_lossy(&self.row[start..end]).into_owned());
                    start = end;
                }
                self.sink.row(cells);
            }
        }
        self.row.clear();
        self.ends.clear();
        if self.row.capacity() > KEEP_ROW_BUFFER {
            self.row = Vec::new();
        }
        self.cell_start = 0;
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
        // The chunk is checked once as a whole; rows inside it are then lent straight from it.
        // The decoder passes whole characters, but the delimiter sniffer's sample may end
        // inside one, so that the next chunk starts with the rest of it (continuation bytes,
        // left to the byte path); and past the whole characters, the byte path takes over.
        let skip = chunk
            .iter()
            .take(3)
            .take_while(|&&b| b & 0xC0 == 0x80)
            .count();
        let text = match std::str::from_utf8(&chunk[skip..]) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&chunk[skip..skip + e.valid_up_to()]).unwrap_or_default(),
        };
        let mut marks = Marks::new(text.as_bytes(), self.delimiter);
        let mut at = 0;
        while at < chunk.len() {
            let row_start =
                self.state == State::FieldStart && self.column == 0 && self.row.is_empty();
            if row_start
                && at >= skip
                && let Some(next) = self.lend_row(text, at - skip, &mut marks)
            {
                at = skip + next;
                continue;
            }
            let rest = self.read_row(&chunk[at..]);
            at = chunk.len() - rest.len();
        }
    }

    /// Lends the row starting at `from` in `text` straight to the sink when it is simple: it
    /// ends inside `text`, none of its cells is over a limit, and a quoted cell holds no doubled
    /// quote or line break and is followed at once by a delimiter or the row's end (so that
    /// its text is the slice between its quotes). Returns where the next row starts, or `None`
    /// (nothing done) for [`Tokenizer::read_row`] to read the row instead. `marks` are
    /// `text`'s.
    fn lend_row(&mut self, text: &str, from: usize, marks: &mut Marks<'_>) -> Option<usize> {
        let bytes = text.as_bytes();
        self.spans.clear();
        marks.seek(from);
        let mut start = from;
        let mut row_bytes = 0;
        let end = loop {
            let (mut at, mut byte) = marks.next()?;
            let cell = if byte == b'"' {
                // A quote inside an unquoted cell is text.
                if at != start {
                    continue;
                }
                // One that opens a cell: the cell runs to the next quote, delimiters and all.
                let close = loop {
                    match marks.next()? {
                        (close, b'"') => break close,
                        (_, b) if b == self.delimiter => {}
                        _ => return None,
                    }
                };
                (at, byte) = marks.next()?;
                if at != close + 1 || byte == b'"' {
                    return None;
                }
                (start + 1, close)
            } else {
                (start, at)
            };
            if self.spans.len() == self.max_columns {
                return None;
            }
            row_bytes += cell.1 - cell.0;
            if cell.1 - cell.0 > self.max_cell || row_bytes > self.max_row {
                return None;
            }
            self.spans.push(cell);
            start = at + 1;
            if byte != self.delimiter {
                break at;
            }
        };
        let mut next = end + 1;
        if bytes[end] == b'\r' {
            if bytes.get(next) == Some(&b'\n') {
                next += 1;
            } else if next == bytes.len() {
                self.after_cr = true;
            }
        }
        self.sink.row_ref(&Row {
            text,
            spans: &self.spans,
        });
        Some(next)
    }

    /// Reads `chunk` byte by byte into the row buffer until a row ends: quoted cells, cells cut
    /// at the limits, rows split between chunks. Returns what is left of the chunk.
    fn read_row<'c>(&mut self, mut chunk: &'c [u8]) -> &'c [u8] {
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
                                // The row ended: the next one may be lent.
                                return chunk;
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
        chunk
    }

    /// Whether the next byte starts a row: nothing of a row or cell is pending.
    fn at_row_start(&self) -> bool {
        self.state == State::FieldStart && self.column == 0 && self.row.is_empty() && !self.after_cr
    }

    fn finish(mut self) -> CsvOutcome {
        if self.state == State::Quoted {
            self.outcome.unbalanced_quote = true;
        }
        if self.row.len() > self.cell_start || self.column > 0 || self.state != State::FieldStart {
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
    let (delimiter, sample) = sniff(&mut input, prefer_tab)?;
    let mut tokenizer = Tokenizer::new(delimiter, sink, max_columns, limits);
    // The sample again, then the rest.
    tokenizer.feed(&sample);
    let stopped = tokenize(&mut tokenizer, &mut input, 0, u64::MAX, deadline)?;
    debug_assert!(stopped.is_none(), "no limit: read to the end");
    Ok(CsvOutcome {
        delimiter,
        ..tokenizer.finish()
    })
}

/// The delimiter, sniffed from the first 64 KiB of `input`; and those bytes, which the caller
/// reads again.
pub(crate) fn sniff(input: &mut dyn BufRead, prefer_tab: bool) -> Result<(u8, Vec<u8>), ScanError> {
    let mut sample = Vec::with_capacity(64 * 1024);
    input
        .take(64 * 1024)
        .read_to_end(&mut sample)
        .map_err(scan_error)?;
    Ok((sniff_delimiter(&sample, prefer_tab), sample))
}

/// Where a part of a file read in parts ([`read_part`]) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartEnd {
    /// At the start of a row, at this offset in the file.
    RowStart(u64),
    /// At the end of the file.
    FileEnd,
}

/// Reads the rows of a part of a CSV file into `sink`: from `start` (an offset in the file,
/// where `input` is, at the start of a row) up to the first start of a row at or after
/// `limit`. `delimiter` is the whole file's (see [`sniff`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_part(
    input: &mut dyn BufRead,
    delimiter: u8,
    sink: &mut impl RowSink,
    max_columns: usize,
    limits: &Limits,
    deadline: &Deadline,
    start: u64,
    limit: u64,
) -> Result<(CsvOutcome, PartEnd), ScanError> {
    let mut tokenizer = Tokenizer::new(delimiter, sink, max_columns, limits);
    let (outcome, end) = match tokenize(&mut tokenizer, input, start, limit, deadline)? {
        Some(at) => (
            std::mem::take(&mut tokenizer.outcome),
            PartEnd::RowStart(at),
        ),
        None => (tokenizer.finish(), PartEnd::FileEnd),
    };
    Ok((
        CsvOutcome {
            delimiter,
            ..outcome
        },
        end,
    ))
}

/// Feeds `input` to the tokenizer, straight from the reader's own buffer (no copy), chunk by
/// chunk. `offset` is where `input` is in the file. Once at `limit`, it goes on a line at a
/// time until a row starts, and returns where (`None`: the input ended first).
fn tokenize<S: RowSink>(
    tokenizer: &mut Tokenizer<'_, S>,
    input: &mut dyn BufRead,
    mut offset: u64,
    limit: u64,
    deadline: &Deadline,
) -> Result<Option<u64>, ScanError> {
    loop {
        if offset >= limit && tokenizer.at_row_start() {
            return Ok(Some(offset));
        }
        let chunk = input.fill_buf().map_err(scan_error)?;
        if chunk.is_empty() {
            return Ok(None);
        }
        let n = if offset >= limit {
            // A quoted cell holds the line break the part was cut at: read to the next one.
            memchr::memchr(b'\n', chunk).map_or(chunk.len(), |at| at + 1)
        } else {
            chunk
                .len()
                .min(usize::try_from(limit - offset).unwrap_or(usize::MAX))
        };
        tokenizer.feed(&chunk[..n]);
        input.consume(n);
        offset += n as u64;
        deadline.check()?;
    }
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
    fn rows_lent_from_the_chunk_are_the_rows_read_byte_by_byte() {
        // Fed one byte at a time, every row goes through the row buffer; fed in larger
        // pieces, simple rows are lent straight from the chunk. Both must give the same rows,
        // including where a piece starts inside a Burmese character, a CR ends a piece, a
        // cell or a row is over its limit, or a row has too many columns.
        let limits = Limits {
            max_cell_bytes: 12,
            max_row_bytes: 20,
            max_cell_bytes_over_row: 4,
            max_columns: 4,
            ..Limits::default()
        };
        let text = "ဒေါ်လှ,၀၉၇၆၁၂၃၄၅၆၇,x\r\na,\"b,c\",d\n\nabcdefghijklmnopq,e\n\
                    1,2,3,4,5,6\r\nlong,aaaaaaaaaaaa,bbbbbbbbbbbb,cccccccccccc,dd\rend,ဦး";
        let (reference, reference_outcome) = tokenize(text, 1, &limits);
        for piece in [2, 3, 5, 7, 13, 64, 10_000] {
            let (rows, outcome) = tokenize(text, piece, &limits);
            assert_eq!(rows.rows, reference.rows, "piece {piece}");
            assert_eq!(rows.extra, reference.extra, "piece {piece}");
            assert_eq!(outcome.truncated_cells, reference_outcome.truncated_cells);
        }
        // Cells cut at 12 bytes (four Burmese letters), at 4 once the row is past 20 bytes.
        let expected: [&[&str]; 7] = [
            &["ဒေါ်", "၀၉၇၆", "x"],
            &["a", "b,c", "d"],
            &[""],
            &["abcdefghijkl", "e"],
            &["1", "2", "3", "4"],
            &["long", "aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccc"],
            &["end", "ဦး"],
        ];
        assert_eq!(reference.rows, expected);
        assert_eq!(reference.extra, ["5", "6", "dd"]);
        assert_eq!(reference_outcome.truncated_cells, 4);

        // Quoted cells, lent when they can be, and every other form.
        let text = "\"q,1\",\"\",x\n\"a\"\"b\",c\n\"ab\"cd,e\n\"multi\nline\",z\r\n\"end\"\r\n\
                    \"0123456789abc\",g\nab\"c,d\n\"\"\"\",\"x\"\"\"\n\"\",\"\"\n\"ဦး,၀\",\"open";
        let (reference, _) = tokenize(text, 1, &limits);
        for piece in [2, 3, 5, 7, 13, 64, 10_000] {
            let (rows, outcome) = tokenize(text, piece, &limits);
            assert_eq!(rows.rows, reference.rows, "piece {piece}");
            assert_eq!(rows.extra, reference.extra, "piece {piece}");
            assert!(outcome.unbalanced_quote, "piece {piece}");
        }
        let expected: [&[&str]; 10] = [
            &["q,1", "", "x"],
            &["a\"b", "c"],
            &["abcd", "e"],
            &["multi\nline", "z"],
            &["end"],
            &["0123456789ab", "g"],
            &["ab\"c", "d"],
            &["\"", "x\""],
            &["", ""],
            &["ဦး,၀", "open"],
        ];
        assert_eq!(reference.rows, expected);
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
