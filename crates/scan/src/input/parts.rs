//! A large CSV file read in parts side by side, one thread per core (at most eight). Each
//! part's rows go to a table of its own; the tables are then put after one another into the
//! first part's, which gives the report one pass would give (see [`Table::follow`]).
//!
//! Where a part starts is a guess: after the first line break at or past a fixed offset. A
//! quoted cell may hold a line break, so each guess is checked: the part before is read on past
//! its end to where a row really starts, and if that is not where the next part started, that
//! part is thrown away and its rows are read again from the right place, on this thread. Files
//! without line breaks inside cells, nearly all, are read once.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

use crate::error::ScanError;
use crate::input::Deadline;
use crate::input::csv::{self, CsvOutcome, PartEnd};
use crate::input::decode::{self, Encoding};
use crate::limits::Limits;
use crate::table::{Memo, Table};

/// Bytes per part. Large enough that what a part costs beyond its rows (a thread to hand it
/// to, a memo to warm up, its columns to put after the part before) is small beside reading
/// them; small enough that the last parts still keep every core busy.
pub(crate) const PART_BYTES: u64 = 8 << 20;

/// Whether a file of `len` bytes is read in parts: two parts at least, and more than one core
/// to read them.
pub(crate) fn worth_it(len: u64) -> bool {
    len >= 2 * PART_BYTES && cores() > 1
}

/// The most threads reading parts at once: each holds a part's batches and memo (a few MB),
/// so memory must not grow with the machine's cores without bound.
const MAX_THREADS: usize = 8;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How far ahead of the part being put in place threads may read. Parts read ahead wait with
/// their statistics; a slow first part (rows of huge cells before the header) must not let the
/// rest of the file pile up behind it, so memory stays flat whatever the file's size.
struct Window {
    progress: Mutex<Progress>,
    moved: Condvar,
    size: usize,
}

struct Progress {
    /// Parts put in place (or passed over) so far.
    joined: usize,
    /// Whether reading has stopped (an error, or the end).
    stopped: bool,
}

impl Window {
    fn new(size: usize) -> Window {
        Window {
            progress: Mutex::new(Progress {
                joined: 0,
                stopped: false,
            }),
            moved: Condvar::new(),
            size,
        }
    }

    /// Waits until part `k` may be read; `false` once reading has stopped.
    fn enter(&self, k: usize) -> bool {
        let mut progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        while !progress.stopped && k >= progress.joined + self.size {
            progress = self
                .moved
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !progress.stopped
    }

    /// Notes that the parts before `k` are in place.
    fn joined(&self, k: usize) {
        self.progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .joined = k;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped = true;
        self.moved.notify_all();
    }
}

/// One part, read.
struct Part {
    table: Table,
    outcome: CsvOutcome,
    end: PartEnd,
}

/// What every part is read with.
struct Reading<'a> {
    path: &'a Path,
    /// Bytes of the byte-order mark before the text.
    bom: u64,
    delimiter: u8,
    limits: &'a Limits,
    deadline: &'a Deadline,
}

impl Reading<'_> {
    /// Reads the rows from `start` (the start of a row) to the first start of a row at or past
    /// `limit` into `table`.
    fn range(
        &self,
        table: &mut Table,
        start: u64,
        limit: u64,
    ) -> Result<(CsvOutcome, PartEnd), ScanError> {
        let mut file = File::open(self.path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut input = decode::utf8_reader_at(file, start - self.bom);
        csv::read_part(
            &mut *input,
            self.delimiter,
            table,
            self.limits.max_columns,
            self.limits,
            self.deadline,
            start,
            limit,
        )
    }

    /// Reads a later part into a table of its own, with `memo` (the memo of the part this
    /// thread read before, which it gets back for the next).
    fn part(&self, start: u64, limit: u64, memo: &mut Option<Memo>) -> Result<Part, ScanError> {
        let mut table = Table::part(self.limits.max_columns).with_memo(memo.take());
        let (outcome, end) = self.range(&mut table, start, limit)?;
        // It may wait for the parts before: keep only its statistics meanwhile.
        *memo = table.read_all();
        Ok(Part {
            table,
            outcome,
            end,
        })
    }
}

/// Reads the CSV file at `path` (a sheet called `name`) in parts of about `part_bytes`.
/// `None` when the file is not UTF-8 (UTF-16 is decoded in one pass).
pub(crate) fn read_csv(
    name: &str,
    path: &Path,
    prefer_tab: bool,
    limits: &Limits,
    deadline: &Deadline,
    part_bytes: u64,
) -> Result<Option<(Table, CsvOutcome)>, ScanError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let (mut head, encoding) = decode::text_reader(file)?;
    let bom = match encoding {
        Encoding::Utf8 => 0,
        Encoding::Utf8Bom => 3,
        Encoding::Utf16Le | Encoding::Utf16Be => return Ok(None),
    };
    // The whole file's delimiter, sniffed from its start as one pass does.
    let (delimiter, _) = csv::sniff(&mut *head, prefer_tab)?;
    drop(head);
    let starts = part_starts(path, bom, len, part_bytes.max(1), deadline)?;
    let reading = Reading {
        path,
        bom,
        delimiter,
        limits,
        deadline,
    };
    let threads = cores().clamp(1, MAX_THREADS).min(starts.len());
    let next = AtomicUsize::new(0);
    let window = Window::new(threads);
    let (send, receive) = mpsc::channel::<(usize, Result<Part, ScanError>)>();
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for _ in 0..threads {
            let (send, next, window, starts, reading) =
                (send.clone(), &next, &window, &starts, &reading);
            let worker = move || {
                // Handed from each part this thread reads to the next.
                let mut memo = None;
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= starts.len() || !window.enter(k) {
                        break;
                    }
                    let limit = starts.get(k + 1).copied().unwrap_or(u64::MAX);
                    let part = if k == 0 {
                        // The first part keeps the header; it reads its columns here too.
                        let mut table = Table::new(name, limits.max_columns).on_this_thread();
                        reading
                            .range(&mut table, starts[0], limit)
                            .map(|(outcome, end)| Part {
                                table,
                                outcome,
                                end,
                            })
                    } else {
                        reading.part(starts[k], limit, &mut memo)
                    };
                    if send.send((k, part)).is_err() {
                        break;
                    }
                }
            };
            let spawned_one = std::thread::Builder::new()
                .name("sealpost-scan-part".into())
                .spawn_scoped(scope, worker);
            spawned += usize::from(spawned_one.is_ok());
        }
        drop(send);
        if spawned == 0 {
            return Ok(None);
        }
        let joined = join(&reading, &starts, &receive, &window);
        // On an error, parts not yet begun are not begun.
        window.stop();
        drop(receive);
        joined.map(Some)
    })
}

/// Puts the parts after one another as they arrive, checking each guessed start.
fn join(
    reading: &Reading<'_>,
    starts: &[u64],
    receive: &mpsc::Receiver<(usize, Result<Part, ScanError>)>,
    window: &Window,
) -> Result<(Table, CsvOutcome), ScanError> {
    let mut arrived: Vec<Option<Result<Part, ScanError>>> = starts.iter().map(|_| None).collect();
    let mut take = |k: usize| -> Result<Part, ScanError> {
        while arrived[k].is_none() {
            let (i, part) = receive.recv().map_err(|_| {
                ScanError::Io(std::io::Error::other("a thread reading the file stopped"))
            })?;
            arrived[i] = Some(part);
        }
        arrived[k]
            .take()
            .unwrap_or_else(|| unreachable!("waited for above"))
    };
    let Part {
        mut table,
        mut outcome,
        mut end,
    } = take(0)?;
    if !table.is_started() {
        // The rows that settle the header reach past the first part (rows of huge cells):
        // read on from there in one pass.
        if let PartEnd::RowStart(at) = end {
            let (rest, _) = reading.range(&mut table, at, u64::MAX)?;
            add(&mut outcome, &rest);
        }
        return Ok((table, outcome));
    }
    for k in 1..starts.len() {
        window.joined(k);
        // The part before ended with the file: what follows was guessed inside a cell.
        let PartEnd::RowStart(at) = end else {
            break;
        };
        let limit = starts.get(k + 1).copied().unwrap_or(u64::MAX);
        let part = if at == starts[k] {
            take(k)?
        } else if at < limit {
            // The part started inside a quoted cell: its rows again, from where one starts.
            reading.part(at, limit, &mut None)?
        } else {
            // The part before read past all of this one (a cell longer than a part).
            continue;
        };
        add(&mut outcome, &part.outcome);
        table.follow(part.table);
        end = part.end;
    }
    Ok((table, outcome))
}

/// Adds a later part's counts to the whole file's.
fn add(outcome: &mut CsvOutcome, later: &CsvOutcome) {
    outcome.truncated_cells += later.truncated_cells;
    outcome.unbalanced_quote |= later.unbalanced_quote;
}

/// Where each part starts: where the text does, then after the first line break at or past
/// `part_bytes` into the part before (the file's end when there is none).
fn part_starts(
    path: &Path,
    bom: u64,
    len: u64,
    part_bytes: u64,
    deadline: &Deadline,
) -> Result<Vec<u64>, ScanError> {
    let mut starts = vec![bom];
    let mut file = BufReader::with_capacity(64 << 10, File::open(path)?);
    let mut at = bom.saturating_add(part_bytes);
    while at < len {
        // A line break just before `at` makes `at` itself a start.
        file.seek(SeekFrom::Start(at - 1))?;
        let mut offset = at - 1;
        let found = loop {
            let buffer = file.fill_buf()?;
            if buffer.is_empty() {
                break None;
            }
            if let Some(i) = memchr::memchr(b'\n', buffer) {
                break Some(offset + i as u64 + 1);
            }
            let n = buffer.len();
            offset += n as u64;
            file.consume(n);
            deadline.check()?;
        };
        match found {
            Some(start) if start < len => {
                starts.push(start);
                at = start.saturating_add(part_bytes);
            }
            _ => break,
        }
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::PathBuf;

    use super::*;
    use crate::{ScanReport, fail_closed, scan};

    /// The report of one pass over `bytes`, and of the same file read in parts of
    /// `part_bytes`; a scan that fails gives its fail-closed report.
    fn both_ways(name: &str, bytes: &[u8], part_bytes: u64, limits: &Limits) -> [String; 2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = |result: Result<ScanReport, ScanError>| {
            let report = result.unwrap_or_else(|error| fail_closed(name, &error));
            serde_json::to_string_pretty(&report).unwrap()
        };
        let one_pass = report(scan(name, Cursor::new(bytes), limits, None));
        let file = File::open(&path).unwrap();
        let in_parts = report(scan(name, file, limits, Some((&path, part_bytes))));
        [one_pass, in_parts]
    }

    /// Every figure the table kept, read in one pass and in parts of `part_bytes` (stronger
    /// than the reports, which show a few); `None` for a file that cannot be read.
    fn statistics_both_ways(path: &Path, part_bytes: u64, limits: &Limits) -> [Option<String>; 2] {
        let deadline = Deadline::new(limits);
        let one_pass = (|| {
            let (reader, _) = decode::text_reader(File::open(path).ok()?).ok()?;
            let mut table = Table::new("t", limits.max_columns);
            let outcome = csv::read(
                reader,
                false,
                &mut table,
                limits.max_columns,
                limits,
                &deadline,
            )
            .ok()?;
            Some(format!("{}, {outcome:?}", table.statistics()))
        })();
        let in_parts = read_csv("t", path, false, limits, &deadline, part_bytes)
            .ok()
            .flatten()
            .map(|(mut table, outcome)| format!("{}, {outcome:?}", table.statistics()));
        [one_pass, in_parts]
    }

    fn assert_same(name: &str, bytes: &[u8], limits: &Limits) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for part_bytes in [1, 2, 7, 40, 333, 4096, 1 << 20] {
            let [one_pass, in_parts] = both_ways(name, bytes, part_bytes, limits);
            assert_eq!(
                one_pass, in_parts,
                "{name}: read in parts of {part_bytes} bytes, the report differs from one pass"
            );
            let [one_pass, in_parts] = statistics_both_ways(&path, part_bytes, limits);
            assert_eq!(
                one_pass, in_parts,
                "{name}: read in parts of {part_bytes} bytes, the statistics differ from one pass"
            );
        }
    }

    /// A small generator of awkward CSV (deterministic: a seeded xorshift).
    struct Awkward(u64);

    impl Awkward {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn cell(&mut self) -> String {
            match self.next(12) {
                0 => format!("09{}", 700_000_000 + self.next(99_999_999)),
                1 => format!("{}/HtaSaAh(N){:06}", 1 + self.next(14), self.next(999_999)),
                2 => "\"Daw Aye, \"\"Ma\"\" Hla\nline two\"".to_string(),
                3 => "\"quoted\r\nwith CRLF\"".to_string(),
                4 => format!("MMR{:03}{:03}", self.next(18), self.next(30)),
                5 => format!("{}.{:04}", 16 + self.next(6), self.next(9999)),
                6 => "U Tin Maung".to_string(),
                7 => "ဒေါ်ခင်မြင့်".to_string(),
                8 => String::new(),
                9 => format!("HH-{:05}", self.next(100_000)),
                10 => "blanket;soap x4;rice 25kg".to_string(),
                _ => "\"\"".to_string(),
            }
        }

        fn file(&mut self, rows: usize, line_end: &str) -> String {
            let mut text = String::from("name,phone,nrc,pcode,lat,remarks,id,items");
            text.push_str(line_end);
            for _ in 0..rows {
                let width = 6 + self.next(4) as usize;
                let cells: Vec<String> = (0..width).map(|_| self.cell()).collect();
                text.push_str(&cells.join(","));
                text.push_str(line_end);
            }
            text
        }
    }

    #[test]
    fn awkward_files_read_in_parts_give_the_report_of_one_pass() {
        let mut awkward = Awkward(0x5EA1_9057);
        let limits = Limits::default();
        for (i, line_end) in ["\n", "\r\n", "\r"].iter().enumerate() {
            let text = awkward.file(300, line_end);
            assert_same(&format!("awkward-{i}.csv"), text.as_bytes(), &limits);
            // With a byte-order mark, without a last line break, ending in an open quote.
            let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
            assert_same(&format!("bom-{i}.csv"), &bom, &limits);
            let trimmed = text.trim_end_matches(['\r', '\n']);
            assert_same(&format!("unended-{i}.csv"), trimmed.as_bytes(), &limits);
            let open = format!("{trimmed}{line_end}a,\"never closed,b{line_end}c,d");
            assert_same(&format!("open-{i}.csv"), open.as_bytes(), &limits);
        }
        // Errors late in the file: the same message, with the same offset.
        let text = awkward.file(200, "\n");
        let invalid = [text.as_bytes(), b"a,\xFF\xFE,b\n", text.as_bytes()].concat();
        assert_same("invalid.csv", &invalid, &limits);
        let binary = [text.as_bytes(), b"a,\0,b\n"].concat();
        assert_same("binary.csv", &binary, &limits);
        // Cut cells, rows wider than the columns kept, a header found past many short parts.
        let tight = Limits {
            max_cell_bytes: 9,
            max_row_bytes: 40,
            max_cell_bytes_over_row: 3,
            max_columns: 4,
            ..Limits::default()
        };
        assert_same("tight.csv", awkward.file(300, "\n").as_bytes(), &tight);
        let titled = format!("Title\n\nNotes\n{}", awkward.file(100, "\n"));
        assert_same("titled.csv", titled.as_bytes(), &limits);
    }

    #[test]
    fn threads_read_at_most_a_window_ahead_of_the_parts_put_in_place() {
        use std::time::Duration;
        let window = Window::new(2);
        assert!(window.enter(0) && window.enter(1));
        std::thread::scope(|scope| {
            let window = &window;
            let (entered, receive) = mpsc::channel();
            scope.spawn(move || entered.send(window.enter(2)).unwrap());
            // Part 2 waits while part 0 is not in place…
            assert!(receive.recv_timeout(Duration::from_millis(200)).is_err());
            // …and is read once it is.
            window.joined(1);
            assert_eq!(receive.recv_timeout(Duration::from_secs(10)), Ok(true));
            // Once reading stops, a waiting thread gives up.
            let (entered, receive) = mpsc::channel();
            scope.spawn(move || entered.send(window.enter(9)).unwrap());
            assert!(receive.recv_timeout(Duration::from_millis(200)).is_err());
            window.stop();
            assert_eq!(receive.recv_timeout(Duration::from_secs(10)), Ok(false));
        });
    }

    #[test]
    fn the_corpus_read_in_parts_gives_the_report_of_one_pass() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("../../tests/testdata/sensitivity"),
            root.join("tests/vectors"),
        ];
        let mut files = 0;
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if !name.ends_with(".csv") && !name.ends_with(".tsv") {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                assert_same(&name, &bytes, &Limits::default());
                files += 1;
            }
        }
        assert!(
            files >= 30,
            "the corpus and vectors hold CSV files ({files} found)"
        );
    }
}
