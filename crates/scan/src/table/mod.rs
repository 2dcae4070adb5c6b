//! One table (a CSV file, a sheet of a workbook): finds the header row (and an HXL hashtag row),
//! streams the data rows through per-column statistics, and turns them into findings.

mod column;
mod decide;

use crate::detect::header::{self, Roles};
use crate::detect::names::{self, Strength as NameStrength};
use crate::detect::text::FreeText;
use crate::detect::zawgyi::ZawgyiCounter;
use crate::detect::{email, hxl, nrc, phone, places};
use crate::report::SheetReport;
pub(crate) use column::Memo;
use column::{Column, Recent, is_date, parse_number};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Rows held back to find the header: titles and notes often come first in spreadsheets.
const WINDOW_ROWS: usize = 12;
/// Bytes held back at most for that (a first row of ten-megabyte cells ends the window early).
const WINDOW_BYTES: usize = 32 << 20;
/// Bytes of lent rows gathered before worker threads read them (see [`Batch`]): enough that a
/// thread is worth starting.
const BATCH_BYTES: usize = 1 << 20;
/// The same when the columns are read on the reading thread ([`Table::on_this_thread`]):
/// small enough that the batch's text stays in the processor's cache while each column in turn
/// reads its cells from it (measured: 64 and 128 KiB read the benchmark file 4 % faster than
/// 1 MiB, 256 KiB 3 %).
const LOCAL_BATCH_BYTES: usize = 128 << 10;
/// A batch keeps its places as u32 (half the memory of usize). It holds less than its batch
/// size before a row is added, so any row up to this fits; a longer one (only possible with
/// limits raised far past the defaults) is read at once instead.
const MAX_BATCHED_ROW: usize = (u32::MAX / 2) as usize;
/// Batches smaller than this are read on the reading thread: a thread would cost more than it
/// saves (the last batch of a small file, or the whole of it).
const PARALLEL_BYTES: usize = 64 << 10;
/// The most threads that read columns at once (a table has few costly columns: more would
/// mostly wait).
const MAX_WORKERS: usize = 4;

/// Data rows gathered for the columns to read: the rows' text back to back (one copy per row,
/// not per cell), and for each column where its cells are in it. The columns then read the
/// batch one after the other, each its own cells in row order.
///
/// A full batch is handed to worker threads, each reading a share of the columns, while the
/// reading thread goes on tokenizing the next batch: reading the file and reading the columns
/// overlap. Each column still reads its cells in row order on one thread, and a batch is
/// handed over only once every column has read the one before it, so the statistics are the
/// same as on one thread whatever the sharing; the only state shared across columns (the
/// Zawgyi counter, the memo) is a sum or a cache, and each worker has its own.
#[derive(Debug, Default)]
struct Batch {
    /// The rows' cells (shared with the workers reading them).
    text: Arc<String>,
    /// Where each column's cells are in `text`.
    columns: Vec<Cells>,
    /// Rows gathered.
    rows: usize,
}

/// One column's cells in a batch: where each starts and ends in the batch's text (a short row
/// has no cell in the columns past its end).
#[derive(Debug, Default)]
struct Cells {
    spans: Vec<(u32, u32)>,
}

impl Cells {
    /// Makes `column` read these cells of `text`, in order.
    fn read(
        &self,
        text: &str,
        column: &mut Column,
        recent: &mut Recent,
        zawgyi: &mut ZawgyiCounter,
        memo: &mut Memo,
    ) {
        for &(start, end) in &self.spans {
            column.observe_in(text, start as usize..end as usize, zawgyi, memo, recent);
        }
        // The next batch's cells are compared with the recent values: keep them.
        recent.keep(text);
    }
}

/// A column lent to a worker for one batch: its index, statistics, recent values and cells.
type Lent = (usize, Column, Recent, Cells);

/// Columns lent to one worker for one batch, with what the worker keeps between batches (its
/// memo), and what it gives back (how long each column took, the Burmese text it saw).
#[derive(Debug)]
struct Share {
    /// The batch's text.
    text: Arc<String>,
    columns: Vec<Lent>,
    memo: Memo,
    zawgyi: ZawgyiCounter,
    /// Nanoseconds each column took, to share the next batches' columns fairly.
    costs: Vec<(usize, u64)>,
}

impl Share {
    /// Reads the columns, one after the other.
    fn read(&mut self) {
        self.costs.clear();
        for (i, column, recent, cells) in &mut self.columns {
            let started = Instant::now();
            cells.read(&self.text, column, recent, &mut self.zawgyi, &mut self.memo);
            self.costs.push((*i, started.elapsed().as_nanos() as u64));
        }
    }
}

/// A batch being read on worker threads.
#[derive(Debug)]
struct InFlight {
    workers: Vec<JoinHandle<Share>>,
    /// Shares whose thread could not be started: read on this thread when settling.
    unstarted: Vec<Share>,
    /// The batch's text, taken back for the next batch once the workers are done.
    text: Arc<String>,
}

/// What a finished table gives the report.
#[derive(Debug)]
pub(crate) struct SheetOutcome {
    /// The sheet's part of the report.
    pub(crate) report: SheetReport,
    /// Burmese text seen, for the Zawgyi warning.
    pub(crate) zawgyi: ZawgyiCounter,
}

/// A table being read.
#[derive(Debug)]
pub(crate) struct Table {
    name: String,
    max_columns: usize,
    window: Vec<Vec<String>>,
    window_bytes: usize,
    started: bool,
    columns: Vec<Column>,
    /// Each column's recent values (see [`Recent`]).
    recents: Vec<Recent>,
    rows: u64,
    preamble: FreeText,
    overflow: FreeText,
    zawgyi: ZawgyiCounter,
    /// One memo per worker (the first also serves this thread).
    memos: Vec<Memo>,
    /// The widest row read, in columns with statistics (columns are added when no batch is
    /// in flight).
    width: usize,
    /// Lent rows not yet read by the columns.
    batch: Batch,
    /// The batch before, being read by the columns.
    in_flight: Option<InFlight>,
    /// A read batch kept for its memory.
    spare: Option<Batch>,
    /// How many threads read columns.
    workers: usize,
    /// Bytes gathered per batch.
    batch_bytes: usize,
    /// The longest row a batch takes (see [`Table::push_row_ref`]).
    max_batched_row: usize,
    /// How long each column took to read the batches so far, in nanoseconds.
    costs: Vec<u64>,
    /// Which worker reads each column.
    owners: Vec<usize>,
    /// Batches shared between workers so far.
    shared: u32,
}

/// Whether a cell reads like a column label rather than a value.
fn is_label(cell: &str) -> bool {
    let cell = cell.trim();
    !cell.is_empty()
        && cell.len() <= 120
        && parse_number(cell).is_none()
        && phone::classify_cell(cell).is_none()
        && places::level(cell).is_none()
        && !email::is_email(cell)
        && !is_date(cell)
        && nrc::is_nrc(cell).is_none()
        && names::classify_cell(cell) != Some(NameStrength::Strong)
}

fn filled(row: &[String]) -> usize {
    row.iter().filter(|c| !c.trim().is_empty()).count()
}

/// Whether a row reads like a header: mostly labels, and some of them known words when a
/// few cells are not labels (a year "2024" among the headers).
fn is_header(row: &[String]) -> bool {
    let cells: Vec<&String> = row.iter().filter(|c| !c.trim().is_empty()).collect();
    if cells.is_empty() {
        return false;
    }
    let labels = cells.iter().filter(|c| is_label(c)).count();
    let known = cells.iter().any(|c| !header::roles(c).is_empty());
    labels * 10 >= cells.len() * 8 || (labels * 2 >= cells.len() && known)
}

impl Table {
    /// A table called `name` keeping statistics for at most `max_columns` columns.
    pub(crate) fn new(name: &str, max_columns: usize) -> Table {
        Table {
            name: name.to_string(),
            max_columns: max_columns.max(1),
            window: Vec::new(),
            window_bytes: 0,
            started: false,
            columns: Vec::new(),
            recents: Vec::new(),
            rows: 0,
            preamble: FreeText::default(),
            overflow: FreeText::default(),
            zawgyi: ZawgyiCounter::default(),
            // Made when the first batch is read, or handed in (see `Table::with_memo`).
            memos: Vec::new(),
            width: 0,
            batch: Batch::default(),
            in_flight: None,
            spare: None,
            workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, MAX_WORKERS),
            batch_bytes: BATCH_BYTES,
            max_batched_row: MAX_BATCHED_ROW,
            costs: Vec::new(),
            owners: Vec::new(),
            shared: 0,
        }
    }

    /// A table for a later part of a file read in parts: every row is a data row (the header
    /// is in the first part), and it will be put after the part before with
    /// [`Table::follow`].
    pub(crate) fn part(max_columns: usize) -> Table {
        Table {
            started: true,
            ..Table::new("", max_columns)
        }
        .on_this_thread()
    }

    /// Reads the columns on the thread that gives the rows, with no workers: the parts of a
    /// file read in parts already keep every core busy.
    pub(crate) fn on_this_thread(mut self) -> Table {
        self.workers = 1;
        self.batch_bytes = LOCAL_BATCH_BYTES;
        self
    }

    /// Whether the header has been settled and rows are read as data (the first part of a
    /// file read in parts must have got this far before later parts can follow it).
    pub(crate) fn is_started(&self) -> bool {
        self.started
    }

    /// Reads every row given so far into the columns, and lets go of what only reading needs
    /// (the memos, the batches): a part waiting to be put after the part before holds only
    /// its statistics. Gives back the memo, for the next part read on this thread: it knows
    /// the values that come back all through a file, and its pages are already in memory.
    pub(crate) fn read_all(&mut self) -> Option<Memo> {
        self.ensure_read();
        self.batch = Batch::default();
        self.spare = None;
        std::mem::take(&mut self.memos).into_iter().next()
    }

    /// Reads with `memo` (given back by [`Table::read_all`] for an earlier part) rather than
    /// a new one.
    pub(crate) fn with_memo(mut self, memo: Option<Memo>) -> Table {
        self.memos.extend(memo);
        self
    }

    /// Reads the rows gathered and waits for the batch in flight.
    fn ensure_read(&mut self) {
        self.flush();
        self.settle();
    }

    /// Takes `later`, the table of the next part of the file, as if its rows had been read
    /// here after this part's own: the same report as one pass over both.
    pub(crate) fn follow(&mut self, mut later: Table) {
        debug_assert!(
            self.started,
            "a part follows a table whose header is settled"
        );
        self.ensure_read();
        later.ensure_read();
        for (i, column) in std::mem::take(&mut later.columns).into_iter().enumerate() {
            match self.columns.get_mut(i) {
                Some(mine) => mine.follow(&column),
                None => self.columns.push(column),
            }
        }
        self.recents
            .resize_with(self.columns.len(), Recent::default);
        self.costs.resize(self.columns.len(), 0);
        self.width = self.width.max(later.width);
        self.rows += later.rows;
        self.overflow.follow(&later.overflow);
        self.zawgyi.add(&later.zawgyi);
    }

    /// Reads one row (at most `max_columns` cells; see [`Table::push_extra_cell`]).
    pub(crate) fn push_row(&mut self, cells: Vec<String>) {
        if self.started {
            self.flush();
            self.settle();
            self.observe(cells.iter().map(String::as_str));
            return;
        }
        self.window_bytes += cells.iter().map(String::len).sum::<usize>();
        self.window.push(cells);
        if self.window.len() >= WINDOW_ROWS || self.window_bytes >= WINDOW_BYTES {
            self.start();
        }
    }

    /// Reads one row lent by the reader, its cells at `spans` in `text` (in order): the same
    /// as [`Table::push_row`], without owning the cells once the header is settled (the
    /// common case: every row after the first dozen).
    pub(crate) fn push_row_ref(&mut self, text: &str, spans: &[(usize, usize)]) {
        let cells = spans.iter().map(|&(start, end)| &text[start..end]);
        if !self.started {
            self.push_row(cells.map(str::to_string).collect());
            return;
        }
        // What `observe` does, with the columns' part deferred to the batch.
        if cells.clone().all(|c| c.trim().is_empty()) {
            return;
        }
        let kept = spans.len().min(self.max_columns);
        let (first, last) = (spans[0].0, spans[kept - 1].1);
        if last - first > self.max_batched_row {
            self.flush();
            self.settle();
            self.observe(cells);
            return;
        }
        self.rows += 1;
        for cell in cells.skip(kept) {
            self.push_extra_cell(cell);
        }
        let spans = &spans[..kept];
        // The row's text from its first kept cell to its last, copied once; its cells are
        // then places in the batch's text, moved by `shift`.
        let batch_text =
            Arc::get_mut(&mut self.batch.text).expect("a gathering batch is not shared");
        let shift = batch_text.len();
        batch_text.push_str(&text[first..last]);
        if self.batch.columns.len() < spans.len() {
            self.batch.columns.resize_with(spans.len(), Cells::default);
        }
        let place = |at: usize| u32::try_from(at - first + shift).expect("see MAX_BATCHED_ROW");
        for (cells, &(start, end)) in self.batch.columns.iter_mut().zip(spans) {
            cells.spans.push((place(start), place(end)));
        }
        self.batch.rows += 1;
        self.width = self.width.max(spans.len());
        if self.batch.text.len() >= self.batch_bytes {
            self.flush();
        }
    }

    /// Hands the gathered rows to the columns: to worker threads when there is enough to
    /// read (returning at once, so that this thread tokenizes the next batch meanwhile), on
    /// this thread otherwise.
    fn flush(&mut self) {
        if self.batch.rows == 0 {
            return;
        }
        self.settle();
        while self.columns.len() < self.width {
            let i = self.columns.len();
            self.columns
                .push(Column::new(i, String::new(), Roles::NONE));
        }
        self.recents
            .resize_with(self.columns.len(), Recent::default);
        self.costs.resize(self.columns.len(), 0);
        let fresh = self.spare.take().unwrap_or_default();
        let mut batch = std::mem::replace(&mut self.batch, fresh);
        batch
            .columns
            .resize_with(self.columns.len(), Cells::default);
        let workers = self.workers.min(self.columns.len());
        if batch.text.len() < PARALLEL_BYTES || workers <= 1 {
            if self.memos.is_empty() {
                self.memos.push(Memo::default());
            }
            let memo = &mut self.memos[0];
            for ((column, recent), cells) in self
                .columns
                .iter_mut()
                .zip(&mut self.recents)
                .zip(&batch.columns)
            {
                cells.read(&batch.text, column, recent, &mut self.zawgyi, memo);
            }
            self.recycle(batch.text, batch.columns);
            return;
        }
        // Share the columns by what they have cost so far, the dearest first, each to the
        // worker with the least to do (columns not yet timed go round in turn). A column
        // stays with its worker between rebalances, which come ever rarer (after 1, 2, 4, 8…
        // shared batches): its worker's memo holds its values, and moving it would cost more
        // than the small unevenness of the timings gains.
        self.shared += 1;
        if self.owners.len() != self.columns.len() || self.shared.is_power_of_two() {
            let mut order: Vec<usize> = (0..self.columns.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(self.costs[i]));
            let mut loads = vec![0u64; workers];
            self.owners = vec![0; self.columns.len()];
            for (turn, i) in order.into_iter().enumerate() {
                let least = if self.costs[i] == 0 {
                    turn % workers
                } else {
                    (0..workers).min_by_key(|&w| loads[w]).unwrap_or(0)
                };
                loads[least] += self.costs[i];
                self.owners[i] = least;
            }
        }
        let owner = &self.owners;
        self.memos.resize_with(workers, Memo::default);
        let mut shares: Vec<Share> = self
            .memos
            .drain(..)
            .map(|memo| Share {
                text: Arc::clone(&batch.text),
                columns: Vec::new(),
                memo,
                zawgyi: ZawgyiCounter::default(),
                costs: Vec::new(),
            })
            .collect();
        let columns = std::mem::take(&mut self.columns);
        let recents = std::mem::take(&mut self.recents);
        for (i, ((column, recent), cells)) in columns
            .into_iter()
            .zip(recents)
            .zip(batch.columns)
            .enumerate()
        {
            shares[owner[i]].columns.push((i, column, recent, cells));
        }
        let mut in_flight = InFlight {
            workers: Vec::new(),
            unstarted: Vec::new(),
            text: batch.text,
        };
        for share in shares {
            // The share travels by channel once the thread runs, so that a thread that cannot
            // be started loses nothing: its share is read here instead (see `settle`).
            let (send, receive) = std::sync::mpsc::channel::<Share>();
            let spawned = std::thread::Builder::new()
                .name("sealpost-scan".into())
                .spawn(move || {
                    let mut share = receive.recv().expect("the share is sent once spawned");
                    share.read();
                    share
                });
            match spawned {
                Ok(worker) => {
                    send.send(share).expect("the worker waits for its share");
                    in_flight.workers.push(worker);
                }
                Err(_) => in_flight.unstarted.push(share),
            }
        }
        self.in_flight = Some(in_flight);
    }

    /// Waits for the batch in flight: every column back in place, read up to the last row
    /// handed over.
    fn settle(&mut self) {
        let Some(in_flight) = self.in_flight.take() else {
            return;
        };
        let mut shares = in_flight.unstarted;
        for share in &mut shares {
            share.read();
        }
        for worker in in_flight.workers {
            match worker.join() {
                Ok(share) => shares.push(share),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let mut columns: Vec<Lent> = Vec::new();
        for share in shares {
            // The workers' handles on the text go, so that it can be used again.
            drop(share.text);
            for (i, nanos) in share.costs {
                self.costs[i] += nanos.max(1);
            }
            self.zawgyi.add(&share.zawgyi);
            columns.extend(share.columns);
            self.memos.push(share.memo);
        }
        columns.sort_by_key(|(i, ..)| *i);
        let mut read = Vec::with_capacity(columns.len());
        for (_, column, recent, cells) in columns {
            self.columns.push(column);
            self.recents.push(recent);
            read.push(cells);
        }
        self.recycle(in_flight.text, read);
    }

    /// Keeps a read batch's memory for the next.
    fn recycle(&mut self, text: Arc<String>, mut columns: Vec<Cells>) {
        columns.iter_mut().for_each(|cells| cells.spans.clear());
        // Every worker has let go of the text by now; if not, or if it held a freak row
        // (megabytes of cells), the next batch starts a text of its own.
        let text = Arc::try_unwrap(text)
            .ok()
            .filter(|text| text.capacity() <= 4 * BATCH_BYTES)
            .map(|mut text| {
                text.clear();
                text
            })
            .unwrap_or_default();
        self.spare = Some(Batch {
            text: Arc::new(text),
            columns,
            rows: 0,
        });
    }

    /// Reads a cell right of the last column with statistics: it is searched as running text.
    pub(crate) fn push_extra_cell(&mut self, cell: &str) {
        if !cell.trim().is_empty() {
            self.zawgyi.observe(cell);
            self.overflow.scan(cell);
        }
    }

    /// The most columns this table keeps statistics for.
    pub(crate) fn max_columns(&self) -> usize {
        self.max_columns
    }

    /// Decides on the header from the rows held back, then reads them.
    fn start(&mut self) {
        self.started = true;
        let window = std::mem::take(&mut self.window);
        self.window_bytes = 0;
        if window.is_empty() {
            return;
        }
        let (header_at, tags_at, data_from) =
            if let Some(t) = window.iter().take(6).position(|r| hxl::is_tag_row(r)) {
                let header = (t > 0 && is_header(&window[t - 1])).then(|| t - 1);
                (header, Some(t), t + 1)
            } else {
                // The header is the first row about as wide as the table. "As wide" is measured
                // against the typical (median) row, so that titles above (one cell) are passed
                // over and one freak row (two million columns) does not hide the real header.
                let mut widths: Vec<usize> = window
                    .iter()
                    .map(|r| filled(r))
                    .filter(|&w| w > 0)
                    .collect();
                widths.sort_unstable();
                let typical = widths
                    .get(widths.len().saturating_sub(1) / 2)
                    .copied()
                    .unwrap_or(0);
                let needed = if typical <= 1 {
                    1
                } else {
                    2.max((typical * 6).div_ceil(10))
                };
                let first = window.iter().position(|r| filled(r) >= needed).unwrap_or(0);
                if is_header(&window[first]) {
                    (Some(first), None, first + 1)
                } else {
                    (None, None, first)
                }
            };
        // Titles and notes above the table are running text.
        let preamble_end = header_at.or(tags_at).unwrap_or(data_from);
        for row in &window[..preamble_end] {
            for cell in row {
                self.zawgyi.observe(cell);
                self.preamble.scan(cell);
            }
        }
        let headers: &[String] = header_at.map_or(&[], |h| &window[h]);
        let tags: &[String] = tags_at.map_or(&[], |t| &window[t]);
        let width = headers.len().max(tags.len()).min(self.max_columns);
        for i in 0..width {
            let text = headers.get(i).map_or("", |s| s.trim());
            let tag = tags.get(i).map_or("", |s| s.trim());
            let roles = header::roles(text) | hxl::roles(tag);
            let shown = if text.is_empty() { tag } else { text };
            // Header cells are searched like running text too: a sentence ("contact Daw …")
            // or a first row of values taken for a header ("Ko Paw, Sittwe").
            self.zawgyi.observe(text);
            self.preamble.scan(text);
            self.columns.push(Column::new(i, shown.to_string(), roles));
        }
        for row in &window[data_from.min(window.len())..] {
            self.observe(row.iter().map(String::as_str));
        }
    }

    fn observe<'c>(&mut self, cells: impl Iterator<Item = &'c str> + Clone) {
        if cells.clone().all(|c| c.trim().is_empty()) {
            return;
        }
        self.rows += 1;
        for (i, cell) in cells.enumerate() {
            if i >= self.max_columns {
                self.push_extra_cell(cell);
                continue;
            }
            if i >= self.columns.len() {
                self.columns
                    .push(Column::new(i, String::new(), Roles::NONE));
            }
            if i >= self.recents.len() {
                self.recents.resize_with(i + 1, Recent::default);
            }
            if self.memos.is_empty() {
                self.memos.push(Memo::default());
            }
            self.columns[i].observe(
                cell,
                &mut self.zawgyi,
                &mut self.memos[0],
                &mut self.recents[i],
            );
        }
    }

    /// Everything the table has counted, for tests that compare two ways of reading a file.
    #[cfg(test)]
    pub(crate) fn statistics(&mut self) -> String {
        self.ensure_read();
        format!(
            "rows {}, width {}, columns {:#?}, overflow {:?}, preamble {:?}, zawgyi {:?}",
            self.rows, self.width, self.columns, self.overflow, self.preamble, self.zawgyi
        )
    }

    /// Ends the table: the sheet's findings and label.
    pub(crate) fn finish(mut self) -> SheetOutcome {
        if !self.started {
            self.start();
        }
        self.flush();
        self.settle();
        let sheet = decide::Sheet {
            name: &self.name,
            columns: &self.columns,
            rows: self.rows,
            preamble: &self.preamble,
            overflow: &self.overflow,
        };
        let (findings, label) = decide::findings(&sheet);
        SheetOutcome {
            report: SheetReport {
                name: self.name,
                rows: self.rows,
                label,
                findings,
            },
            zawgyi: self.zawgyi,
        }
    }
}

/// A sheet of running text (a `.txt` file): the running-text detectors only.
pub(crate) fn text_sheet(name: &str, text: &FreeText, lines: u64) -> SheetReport {
    let empty = FreeText::default();
    let sheet = decide::Sheet {
        name,
        columns: &[],
        rows: lines,
        preamble: text,
        overflow: &empty,
    };
    let (mut findings, label) = decide::findings(&sheet);
    for finding in &mut findings {
        if finding.column.as_deref() == Some("title and header text") {
            finding.column = None;
        }
    }
    SheetReport {
        name: name.to_string(),
        rows: lines,
        label,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReasonCode;
    use sealpost_format::Label;

    fn table(rows: &[&str]) -> SheetReport {
        let mut t = Table::new("test", 512);
        for row in rows {
            t.push_row(row.split(',').map(String::from).collect());
        }
        t.finish().report
    }

    fn codes(report: &SheetReport) -> Vec<ReasonCode> {
        let mut codes: Vec<ReasonCode> = report.findings.iter().map(|f| f.code).collect();
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn a_beneficiary_list() {
        let r = table(&[
            "Name,Sex,Age,Mobile,Township,Village Tract Pcode,Assistance",
            "Daw Hla Hla,F,34,09761234567,Kayah,MMR003008029,Hygiene kits",
            "U Kyaw Soe,M,52,+95 9 553 767 242,Kayah,MMR003012055,Rice distribution",
            "Ma Su Su,F,23,098-379-151-12,Kayah,MMR003002043,Cash transfer",
        ]);
        assert_eq!(r.label, Label::HighlyConfidential);
        let c = codes(&r);
        for code in [
            ReasonCode::PersonName,
            ReasonCode::Phone,
            ReasonCode::BeneficiaryList,
            ReasonCode::Admin4Location,
        ] {
            assert!(c.contains(&code), "{code:?} in {c:?}");
        }
        assert_eq!(r.rows, 3);
        let phone = r
            .findings
            .iter()
            .find(|f| f.code == ReasonCode::Phone)
            .unwrap();
        assert_eq!(phone.count, 3);
        assert!(phone.examples.iter().all(|e| e.contains('•')));
    }

    #[test]
    fn amounts_and_plan_codes_are_public() {
        let r = table(&[
            "Sector,Requirement (MMK),Funded (MMK),Report date,Plan code",
            "Food Security,959000839,559021927,2026-01-27,HRP-2026-00",
            "WASH,997300109,674538002,2026-06-23,HRP-2024-01",
            "Health,912500932,765227168,2026-04-15,HRP-2026-02",
        ]);
        assert_eq!(r.label, Label::Public, "{r:?}");
        assert_eq!(codes(&r), [ReasonCode::AggregateOnly]);
    }

    #[test]
    fn a_township_3w_is_restricted_and_a_village_tract_5w_confidential() {
        let r = table(&[
            "Organisation,Sector,State,Township,Township Pcode,People reached",
            "Hope Relief,Education,Kayah,Tsp 030,MMR003030,14947",
            "Green Delta NGO,Nutrition,Kayah,Tsp 009,MMR003009,5526",
            "KMSS,Protection,Kayah,Tsp 020,MMR003020,18866",
        ]);
        assert_eq!(r.label, Label::Restricted, "{r:?}");
        let r = table(&[
            "Org,Sector,Township,Village tract",
            "#org,#sector,#adm3+code,#adm4+code",
            "Mercy Link,Health,MMR001023,MMR001023025",
            "KMSS,WASH,MMR001008,MMR001008008",
        ]);
        assert_eq!(r.label, Label::Confidential, "{r:?}");
        assert!(codes(&r).contains(&ReasonCode::PartnerPresenceAdmin4));
        assert_eq!(r.rows, 2, "the HXL row is not data");
    }

    #[test]
    fn a_pcode_list_is_a_public_reference() {
        let r = table(&[
            "SR_Pcode,State_Region,Tsp_Pcode,Township",
            "MMR001,Kachin,MMR001001,Township 1",
            "MMR001,Kachin,MMR001002,Township 2",
        ]);
        assert_eq!(codes(&r), [ReasonCode::PcodeReference]);
    }

    #[test]
    fn a_bare_name_beside_pcodes_is_a_place_unless_it_holds_people() {
        let r = table(&[
            "Pcode,Name,Name_MMR",
            "MMR012001,Sittwe,စစ်တွေ",
            "MMR012004,Pauktaw,ပေါက်တော",
            "MMR012006,Minbya,မင်းပြား",
        ]);
        assert_eq!(r.label, Label::Public, "{r:?}");
        let r = table(&[
            "Name,Township,Township Pcode",
            "Aung Kyaw,Sittwe,MMR012001",
            "Hla Hla,Pauktaw,MMR012004",
            "Su Su,Minbya,MMR012006",
        ]);
        assert_eq!(r.label, Label::HighlyConfidential, "{r:?}");
    }

    #[test]
    fn rows_of_people_with_flags_or_ids_are_highly_confidential() {
        let r = table(&[
            "ind_id,sex,age,disability,unaccompanied_child,village_tract",
            "IND00001,F,29,no,no,MMR017012047",
            "IND00002,M,7,yes,yes,MMR017023035",
            "IND00003,F,58,no,no,MMR017025014",
        ]);
        let c = codes(&r);
        assert!(
            c.contains(&ReasonCode::VulnerableIndividual) && c.contains(&ReasonCode::Household),
            "{c:?}"
        );
        let r = table(&[
            "case_no,sex,age,type_of_disability",
            "C-1,F,29,physical",
            "C-2,M,7,none",
            "C-3,F,58,visual",
        ]);
        let flagged = r
            .findings
            .iter()
            .find(|f| f.code == ReasonCode::VulnerableIndividual);
        assert_eq!(flagged.map(|f| f.count), Some(2), "{r:?}");
    }

    #[test]
    fn a_column_of_distinct_pseudonyms_is_still_one_row_per_person() {
        // What `sealpost pseudonymize` leaves of a beneficiary list: names as pseudonyms,
        // townships, amounts. No PII left, but each row is still a person.
        let key = crate::PseudonymKey::from_bytes([7; 32]);
        let mut rows = vec!["Name,Township Pcode,Amount (MMK)".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "{},MMR012001,{}",
                key.pseudonym(&format!("person {i}")).unwrap(),
                50_000 + i
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let r = table(&refs);
        assert_eq!(codes(&r), [ReasonCode::RawSurvey], "{r:?}");
        assert_eq!(r.label, Label::Confidential);

        // Organisations repeat: their pseudonyms are not one row per person.
        let mut rows = vec!["Organisation,Township Pcode,People reached".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "{},MMR012001,{}",
                key.pseudonym(&format!("org {}", i % 3)).unwrap(),
                100 + i
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        assert!(!codes(&table(&refs)).contains(&ReasonCode::RawSurvey));
    }

    #[test]
    fn surveys_and_aggregates_by_sex_and_age() {
        let mut rows = vec!["respondent_id,township_pcode,age_group,sex,water_source".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "R{i:05},MMR017019,18-29,{},pond",
                if i % 2 == 0 { "F" } else { "M" }
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        assert_eq!(codes(&table(&refs)), [ReasonCode::RawSurvey]);
        let r = table(&[
            "Township,Township Pcode,Sex,Age group,People in need",
            "Sittwe,MMR012001,F,0-17,1200",
            "Sittwe,MMR012001,M,0-17,1150",
            "Sittwe,MMR012001,F,18-59,2300",
        ]);
        assert_eq!(codes(&r), [ReasonCode::AggregateOnly]);
    }

    #[test]
    fn coordinates_by_header_or_by_precision() {
        let r = table(&[
            "site_name,lat,lon,idp_households",
            "Site 1,21.53,95.13,346",
            "Site 2,19.42,94.71,403",
        ]);
        assert!(codes(&r).contains(&ReasonCode::Gps), "{r:?}");
        let r = table(&[
            "a,b,c",
            "Site 1,21.53581,95.13881",
            "Site 2,19.42891,94.71068",
        ]);
        assert!(codes(&r).contains(&ReasonCode::Gps), "{r:?}");
        let r = table(&[
            "Township,Coverage (%),Score",
            "Sittwe,21.5,95.1",
            "Pauktaw,19.4,94.7",
        ]);
        assert_eq!(
            codes(&r),
            [ReasonCode::AggregateOnly],
            "two decimals without a header are percentages"
        );
    }

    #[test]
    fn enumerator_codes_are_not_names_nor_staff_contacts() {
        // KoBo/ODK enumerator ids: digits, a dash, a letter and digits. The names and phones
        // are the beneficiaries'; the enumerator column only says who collected the row.
        let r = table(&[
            "Name,Mobile,Township,enumerator",
            "Daw Hla Hla,09761234567,Sittwe,010001-E09",
            "U Kyaw Soe,09451234567,Sittwe,010001-E09",
            "Ma Su Su,09791234567,Pauktaw,010001-E14",
            "Ko Tin Tun,09421234567,Pauktaw,ENUM_07",
        ]);
        let names: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.code == ReasonCode::PersonName)
            .filter_map(|f| f.column.as_deref())
            .collect();
        assert_eq!(names, ["Name"], "{r:?}");
        assert!(!codes(&r).contains(&ReasonCode::AidWorkerContacts), "{r:?}");
        // Names of enumerators under the same header are still names, and staff contacts.
        let r = table(&[
            "Name,Mobile,enumerator",
            "Daw Hla Hla,09761234567,Aung Kyaw Soe",
            "U Kyaw Soe,09451234567,Thida Win",
            "Ma Su Su,09791234567,Zaw Min Htet",
        ]);
        let c = codes(&r);
        assert!(c.contains(&ReasonCode::AidWorkerContacts), "{c:?}");
        let names = r
            .findings
            .iter()
            .filter(|f| f.code == ReasonCode::PersonName)
            .count();
        assert_eq!(names, 2, "{r:?}");
    }

    #[test]
    fn rows_read_on_worker_threads_give_what_one_thread_gives() {
        // Enough rows for several batches, read on two threads (lent rows), in the smaller
        // batches of one thread (lent rows) and with no batch (owned rows): the findings,
        // counts and examples must be the same.
        let mut rows = vec![
            "Name,Mobile,NRC,Township,Village Tract Pcode,lat,lon,enumerator,Remarks".to_string(),
        ];
        for i in 0..40_000u64 {
            rows.push(format!(
                "{} Hla {},09{:09},{}/LaMaNa(N){:06},Sittwe {},MMR012001{:03},20.{:05},92.{:05},0{:05}-E{:02},{}",
                ["Daw", "U", "Ko", "Ma"][(i % 4) as usize],
                ["Aung", "Kyaw", "Soe"][(i % 3) as usize],
                (i * 7919) % 1_000_000_000 + 700_000_000,
                i % 14 + 1,
                i * 31 % 1_000_000,
                i / 500,
                i / 100 % 1000,
                i * 13 % 100_000,
                i * 17 % 100_000,
                i / 1000,
                i % 50,
                if i % 7 == 0 { "call 09 451 234 567" } else { "" },
            ));
        }
        let mut lent = Table::new("test", 512);
        let mut owned = Table::new("test", 512);
        let mut local = Table::new("test", 512).on_this_thread();
        // Where each cell of a row is.
        let spans_of = |row: &str| -> Vec<(usize, usize)> {
            let mut start = 0;
            row.split(',')
                .map(|cell| {
                    let span = (start, start + cell.len());
                    start += cell.len() + 1;
                    span
                })
                .collect()
        };
        for row in &rows {
            let spans = spans_of(row);
            lent.push_row_ref(row, &spans);
            local.push_row_ref(row, &spans);
            owned.push_row(row.split(',').map(str::to_string).collect());
        }
        assert!(rows.iter().map(String::len).sum::<usize>() > 2 * BATCH_BYTES);
        let (lent, owned) = (lent.finish().report, owned.finish().report);
        assert_eq!(lent, owned);
        assert_eq!(local.finish().report, owned);
        // Rows too long for a batch (a 100-byte limit here, gigabytes in use) are read at
        // once, in order with the batched ones.
        let mut mixed = Table::new("test", 512).on_this_thread();
        mixed.max_batched_row = 100;
        for row in &rows {
            mixed.push_row_ref(row, &spans_of(row));
        }
        assert!(rows.iter().any(|row| row.len() > 100) && rows.iter().any(|row| row.len() <= 100));
        assert_eq!(mixed.finish().report, owned);
        assert_eq!(lent.rows, 40_000);
    }

    #[test]
    fn a_title_row_is_skipped_but_searched() {
        let r = table(&[
            "Distribution list prepared by Daw Hla Hla,,",
            "Township,Households,People",
            "Hpa-An,120,560",
        ]);
        assert_eq!(r.rows, 1);
        assert!(codes(&r).contains(&ReasonCode::PersonName), "{r:?}");
    }
}
