//! Plain text (`.txt`): read line by line, each line searched by the running-text detectors.
//! A line longer than [`MAX_LINE`] (a file without newlines) is cut at a space and read in
//! pieces, so memory stays bounded.

use std::io::BufRead;

use crate::detect::text::FreeText;
use crate::detect::zawgyi::ZawgyiCounter;
use crate::error::ScanError;
use crate::input::Deadline;
use crate::input::decode::scan_error;

/// The longest piece of text searched at once.
const MAX_LINE: usize = 64 * 1024;

/// What a text file held.
#[derive(Debug, Default)]
pub(crate) struct TextOutcome {
    /// The detectors' tallies.
    pub(crate) found: FreeText,
    /// Lines read.
    pub(crate) lines: u64,
    /// Burmese text seen.
    pub(crate) zawgyi: ZawgyiCounter,
}

impl TextOutcome {
    fn piece(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.zawgyi.observe(&text);
        self.found.scan(&text);
    }
}

/// Whether text named `.txt` is really a tab-separated table (an export saved as text): three
/// or more lines, each with the same number of tabs.
pub(crate) fn looks_tabular(sample: &[u8]) -> bool {
    let text = String::from_utf8_lossy(sample);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    if lines.len() < 3 {
        return false;
    }
    let tabs: Vec<usize> = lines.iter().map(|l| l.matches('\t').count()).collect();
    let first = tabs[0];
    first > 0 && tabs.iter().filter(|&&t| t == first).count() * 10 >= tabs.len() * 9
}

/// Reads running text to the end.
pub(crate) fn read(
    mut input: Box<dyn BufRead + '_>,
    deadline: &Deadline,
) -> Result<TextOutcome, ScanError> {
    let mut outcome = TextOutcome::default();
    let mut line: Vec<u8> = Vec::new();
    loop {
        let chunk = input.fill_buf().map_err(scan_error)?;
        if chunk.is_empty() {
            break;
        }
        let (take, ends_line) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        line.extend_from_slice(&chunk[..take]);
        input.consume(take);
        if ends_line {
            outcome.lines += 1;
            outcome.piece(&line);
            line.clear();
        } else if line.len() >= MAX_LINE {
            // Cut at the last space so that no number or name is split.
            let cut = memchr::memrchr2(b' ', b'\t', &line).map_or(line.len(), |at| at + 1);
            outcome.piece(&line[..cut]);
            line.drain(..cut);
        }
        deadline.check()?;
    }
    if !line.is_empty() {
        outcome.lines += 1;
        outcome.piece(&line);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decode::text_reader;
    use crate::limits::Limits;

    #[test]
    fn tables_saved_as_text_are_noticed() {
        assert!(looks_tabular(b"Name\tPhone\nA\t1\nB\t2\n"));
        assert!(!looks_tabular(
            b"A report.\n\nWith\ttabs here and there.\nAnd none here.\n"
        ));
    }

    #[test]
    fn lines_and_endless_lines() {
        let (reader, _) =
            text_reader("Call Daw Hla Hla on 09761234567\nnothing here\nlast".as_bytes()).unwrap();
        let outcome = read(reader, &Deadline::new(&Limits::default())).unwrap();
        assert_eq!(outcome.lines, 3);
        assert_eq!(outcome.found.phones.count, 1);
        assert_eq!(outcome.found.names.count, 1);

        let mut long = "word ".repeat(40_000);
        long.push_str("phone 09761234567 ");
        long.push_str(&"word ".repeat(40_000));
        let (reader, _) = text_reader(long.as_bytes()).unwrap();
        let outcome = read(reader, &Deadline::new(&Limits::default())).unwrap();
        assert_eq!(outcome.found.phones.count, 1);
    }
}
