//! Per-column statistics, kept in constant memory whatever the number of rows: counters, a
//! bounded set of hashes for uniqueness, and a few masked examples per kind of finding.

use crate::detect::coords::{self, LAT, LON};
use crate::detect::digits::{count_digits, normalise_digits};
use crate::detect::header::Roles;
use crate::detect::mask::{self, Examples};
use crate::detect::nrc::Nrc;
use crate::detect::phone::{self, Phone, Strength as PhoneStrength};
use crate::detect::text::{FreeText, Tally};
use crate::detect::zawgyi::ZawgyiCounter;
use crate::detect::{email, names, nrc, places, trim};

/// How many non-empty values of a column feed the uniqueness estimate. Enough to tell an id
/// column (all distinct) from a categorical one (a handful of values); bounded so that a
/// million-row file costs no more than a thousand-row one.
const DISTINCT_SAMPLE: u64 = 1024;

/// Cells longer than this are read as running text, not as one value.
const LONG_CELL: usize = 256;

/// Distinct values among the first [`DISTINCT_SAMPLE`] non-empty cells: their hashes in the
/// order seen, so that the next part of a file read in parts fills the sample where this one
/// stopped (see [`Distinct::follow`]). Counted when asked (a sorted copy of at most 1024
/// hashes): a few times per column, when the table is judged.
#[derive(Debug, Default)]
pub(crate) struct Distinct {
    sample: Vec<u64>,
}

impl Distinct {
    fn observe(&mut self, value: &str) {
        if (self.sample.len() as u64) < DISTINCT_SAMPLE {
            self.sample.push(fnv1a(value.as_bytes()));
        }
    }

    /// Fills the sample from `later` (the column in the next part of the file).
    fn follow(&mut self, later: &Distinct) {
        let room = (DISTINCT_SAMPLE as usize).saturating_sub(self.sample.len());
        self.sample.extend(later.sample.iter().take(room).copied());
    }

    /// Distinct values seen in the sample.
    pub(crate) fn count(&self) -> u64 {
        let mut hashes = self.sample.clone();
        hashes.sort_unstable();
        hashes.dedup();
        hashes.len() as u64
    }

    /// Distinct values over values sampled (1.0: every value different).
    pub(crate) fn ratio(&self) -> f64 {
        if self.sample.is_empty() {
            0.0
        } else {
            self.count() as f64 / self.sample.len() as f64
        }
    }
}

/// FNV-1a: a hash that is fast without optimisation (tests run unoptimised) and good enough to
/// count distinct short strings.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A hash for the memo, eight bytes at a step (FNV-1a takes one: slow on a list of items).
/// Only where a value is remembered depends on it: a lookup compares the values themselves.
fn memo_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let mut word = [0u8; 8];
    word[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    // The slot is taken from the low bits: fold the high ones, which the multiply mixes best.
    hash ^ (hash >> 29)
}

/// Whether two short values are equal, compared inline (most differ in length or in their
/// first bytes; a call to `memcmp` per cell costs more than that).
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A number as people write it: `1250`, `-3.5`, `12,500,000`, `75%`; with its decimals.
pub(crate) fn parse_number(text: &str) -> Option<(f64, u8)> {
    let text = trim(text);
    let text = match text.strip_suffix('%') {
        Some(number) => number.trim_end(),
        None => text,
    };
    if text.is_empty() || text.len() > 32 {
        return None;
    }
    if text.as_bytes().contains(&b',') {
        // Thousands separators only: 1-3 digits, then groups of three.
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let int = int.strip_prefix('-').unwrap_or(int);
        let mut groups = int.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || !groups.all(|g| g.len() == 3) {
            return None;
        }
        let joined: String = text.chars().filter(|&c| c != ',').collect();
        return coords::parse_decimal(&joined).filter(|_| !frac.contains(','));
    }
    coords::parse_decimal(text)
}

/// Whether a cell is a date: `2026-01-27`, `27/01/2026`, `27.01.2026`, `2026/1/27 10:00`,
/// `27-Jan-2026`, `Jan 2026`.
pub(crate) fn is_date(text: &str) -> bool {
    let text = trim(text);
    if text.len() < 6 || text.len() > 32 {
        return false;
    }
    if let Some(date) = numeric_date(text.as_bytes()) {
        return date;
    }
    // Both forms below start with a number (a leading `+` parses as one) or, the second, with
    // a month's name: anything else (`HH-0001-01`, a word) is settled by its first bytes.
    let first = text.as_bytes()[0];
    let first_word = text.bytes().find(|b| !matches!(b, b' ' | b'-' | b','));
    let numeric = first.is_ascii_digit() || first == b'+';
    if !numeric && !first_word.is_some_and(|b| b"jfmasondJFMASOND".contains(&b)) {
        return false;
    }
    let head = text.split(['T', ' ']).next().unwrap_or(text);
    // Three parts exactly, held on the stack (a fourth only says "not this form").
    let mut parts = [""; 3];
    let mut count = 0;
    for part in head.split(['-', '/', '.']) {
        if count == 3 {
            count += 1;
            break;
        }
        parts[count] = part;
        count += 1;
    }
    if count == 3 && parts.iter().all(|p| !p.is_empty()) {
        let year =
            |p: &str| p.len() == 4 && p.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y));
        let small = |p: &str| p.len() <= 2 && p.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n));
        let month_name = |p: &str| month(p);
        if (year(parts[0]) && small(parts[1]) && small(parts[2]))
            || (small(parts[0])
                && (small(parts[1]) || month_name(parts[1]))
                && (year(parts[2]) || (parts[2].len() == 2 && parts[2].parse::<u32>().is_ok())))
        {
            return true;
        }
    }
    // Two words exactly.
    let mut words = [""; 2];
    let mut count = 0;
    for word in text.split([' ', '-', ',']).filter(|w| !w.is_empty()) {
        if count == 2 {
            return false;
        }
        words[count] = word;
        count += 1;
    }
    count == 2 && month(words[0]) && words[1].len() == 4 && words[1].parse::<u32>().is_ok()
}

/// [`is_date`] for the common all-digit forms, `2026-01-27` and `27/01/2026` (any of `-`, `/`,
/// `.` between the parts), read byte by byte; `None` for any other text.
fn numeric_date(bytes: &[u8]) -> Option<bool> {
    let number = |part: &[u8]| {
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let separator = |b: u8| matches!(b, b'-' | b'/' | b'.');
    let year = |n: u32| (1900..=2100).contains(&n);
    let small = |n: u32| (1..=31).contains(&n);
    match bytes.len() {
        10 if separator(bytes[4]) && separator(bytes[7]) => {
            let (y, m, d) = (
                number(&bytes[..4])?,
                number(&bytes[5..7])?,
                number(&bytes[8..])?,
            );
            // `YYYY-MM-DD`: a date exactly when the parts are in range. If they are not, no
            // other form matches either: those need a first part of at most two digits, or
            // two words.
            Some(year(y) && small(m) && small(d))
        }
        10 if separator(bytes[2]) && separator(bytes[5]) => {
            let (d, m, y) = (
                number(&bytes[..2])?,
                number(&bytes[3..5])?,
                number(&bytes[6..])?,
            );
            // `DD-MM-YYYY`: a date exactly when the parts are in range; no other form reads
            // a first part of two digits and a last of four differently.
            Some(small(d) && small(m) && year(y))
        }
        _ => None,
    }
}

fn month(word: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let bytes = word.as_bytes();
    bytes.len() >= 3
        && MONTHS
            .iter()
            .any(|m| bytes[..3].eq_ignore_ascii_case(m.as_bytes()))
}

/// Values that say "none" in a category column (type of disability: none).
fn is_none_value(lower: &str) -> bool {
    matches!(
        lower,
        "no" | "none"
            | "n"
            | "0"
            | "-"
            | "n/a"
            | "na"
            | "nil"
            | "not applicable"
            | "false"
            | "မရှိ"
            | "မဟုတ်"
    )
}

/// Values of a yes/no column; `true` for the ones that flag a person.
fn binary_value(lower: &str) -> Option<bool> {
    match lower {
        "yes" | "y" | "true" | "1" | "x" | "✓" | "ဟုတ်" | "ဟုတ်ကဲ့" | "ရှိ" => {
            Some(true)
        }
        "no" | "n" | "false" | "0" | "မဟုတ်" | "မရှိ" | "-" => Some(false),
        _ => None,
    }
}

fn is_sex_value(lower: &str) -> bool {
    matches!(
        lower,
        "m" | "f"
            | "male"
            | "female"
            | "ကျား"
            | "မ"
            | "boy"
            | "girl"
            | "man"
            | "woman"
            | "other"
            | "ကျားလေး"
            | "မိန်းကလေး"
            | "မိန်းမ"
            | "အမျိုးသမီး"
            | "အမျိုးသား"
            | "ယောကျ်ား"
    )
}

/// Words that mark an organisation's name (compared in lower case).
const ORG_WORDS: &[&str] = &[
    "ngo",
    "ingo",
    "lngo",
    "foundation",
    "society",
    "association",
    "relief",
    "network",
    "organisation",
    "organization",
    "council",
    "mission",
    "cross",
    "trust",
    "federation",
    "alliance",
    "church",
    "international",
    "caritas",
    "oxfam",
    "malteser",
];

/// Whether `cell` names an organisation: one of its words (split at characters that are not
/// letters or digits) is in [`ORG_WORDS`], compared in lower case (`lower` is the cell lowered),
/// or in [`ORG_ACRONYMS`], compared as written. The lists hold ASCII words only, so a cell
/// without ASCII letters cannot match. An ASCII cell is split byte by byte, once for both lists
/// (in ASCII, `char::is_alphanumeric` is `is_ascii_alphanumeric`, and lowering moves no word
/// boundary); other cells take the Unicode split.
fn names_organisation(cell: &str, lower: &str, ascii_letters: bool) -> bool {
    const WORDS: WordList = WordList::new(ORG_WORDS);
    const ACRONYMS: WordList = WordList::new(ORG_ACRONYMS);
    if !ascii_letters {
        return false;
    }
    if cell.is_ascii() && lower.len() == cell.len() {
        let (cell, lower) = (cell.as_bytes(), lower.as_bytes());
        return ascii_words(cell).any(|(start, end)| {
            in_word_list(&lower[start..end], &WORDS) || in_word_list(&cell[start..end], &ACRONYMS)
        });
    }
    let listed = |text: &str, list: &WordList| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| list.words.contains(&w))
    };
    listed(lower, &WORDS) || listed(cell, &ACRONYMS)
}

/// Where the words of ASCII text are (start, end), split at bytes that are not letters or
/// digits; empty words included.
fn ascii_words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let ends = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_alphanumeric())
        .map(|(at, _)| at)
        .chain(std::iter::once(bytes.len()));
    let mut start = 0;
    ends.map(move |end| {
        let word = (start, end);
        start = end + 1;
        word
    })
}

/// A list of ASCII words with, per first byte, the lengths of the words starting with it (a
/// bit per length): most words of a cell are ruled out by one lookup, without comparing.
struct WordList {
    words: &'static [&'static str],
    lengths: [u32; 256],
}

impl WordList {
    const fn new(words: &'static [&'static str]) -> WordList {
        let mut lengths = [0u32; 256];
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_bytes();
            assert!(!word.is_empty() && word.len() < 32);
            lengths[word[0] as usize] |= 1 << word.len();
            i += 1;
        }
        WordList { words, lengths }
    }
}

fn lists_word(word: &[u8], list: &[&str]) -> bool {
    !word.is_empty() && list.iter().any(|l| l.as_bytes() == word)
}

/// [`lists_word`] for an ASCII word, with the length table first.
fn in_word_list(word: &[u8], list: &WordList) -> bool {
    !word.is_empty()
        && word.len() < 32
        && list.lengths[usize::from(word[0])] & (1 << word.len()) != 0
        && lists_word(word, list.words)
}

/// Whether `lower` contains one of [`VULN_VALUE_WORDS`]. Each position is first looked up by
/// its byte and the next in tables of the words starting with them, so most positions cost
/// two lookups and the others compare only the words that could start there.
fn has_vulnerability_word(lower: &str) -> bool {
    /// Per byte, a bit for each word of [`VULN_VALUE_WORDS`] with that byte at `place`.
    const fn words_with(place: usize) -> [u32; 256] {
        assert!(VULN_VALUE_WORDS.len() <= 32);
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < VULN_VALUE_WORDS.len() {
            let word = VULN_VALUE_WORDS[i].as_bytes();
            assert!(word.len() > place);
            table[word[place] as usize] |= 1 << i;
            i += 1;
        }
        table
    }
    const FIRST: [u32; 256] = words_with(0);
    const SECOND: [u32; 256] = words_with(1);
    let bytes = lower.as_bytes();
    bytes.windows(2).enumerate().any(|(at, pair)| {
        let mut words = FIRST[usize::from(pair[0])] & SECOND[usize::from(pair[1])];
        while words != 0 {
            let word = VULN_VALUE_WORDS[words.trailing_zeros() as usize];
            if bytes[at..].starts_with(word.as_bytes()) {
                return true;
            }
            words &= words - 1;
        }
        false
    })
}

/// Acronyms of agencies and networks, compared as written (upper case): "WHO" is an agency,
/// "who" is a word.
const ORG_ACRONYMS: &[&str] = &[
    "UN", "UNICEF", "UNHCR", "WFP", "UNFPA", "IOM", "WHO", "UNDP", "FAO", "OCHA", "UNOPS", "KMSS",
    "MRCS", "IRC", "DRC", "NRC", "ACF", "MSF", "NGO", "INGO", "LNGO", "CBO", "CSO", "IFRC", "ICRC",
];

/// Words that name a vulnerable group in a category column.
const VULN_VALUE_WORDS: &[&str] = &[
    "disab",
    "pregnan",
    "lactat",
    "elderly",
    "unaccompanied",
    "separated",
    "orphan",
    "gbv",
    "survivor",
    "widow",
    "chronic",
    "pwd",
    "plw",
    "uasc",
    "older person",
    "child-headed",
    "female-headed",
    "မသန်စွမ်း",
    "ကိုယ်ဝန်",
    "သက်ကြီး",
    "မိဘမဲ့",
];

/// Slots of the memo of text classifications (a power of two). Enough for the mid-sized
/// vocabularies a column's recent values cannot hold (the villages of a state, the usual
/// lists of items), and small enough (about 300 KB) to stay in a core's cache beside the rows
/// being read: with 32768 slots the memo answered a little more often but every lookup went to
/// memory, and the benchmark scan took 4–6 % more CPU. Identifiers, unique by design, are kept
/// out (see [`Kind::of`]).
const MEMO_SLOTS: usize = 4096;
/// The longest value remembered: every value short enough to be classified as one (longer
/// cells are running text), so that long repeated values (a distribution's list of items)
/// are remembered too. At most 4096 × 256 bytes (1 MiB) in values per memo, one memo per
/// thread reading columns.
const MEMO_VALUE_BYTES: usize = LONG_CELL;

/// What short text values are, remembered for the whole table: what a value is does not
/// depend on its column, and categorical columns (sex, townships, villages, item lists)
/// repeat a few values thousands of times, usually in runs. Direct-mapped: a value takes the
/// slot of its hash, replacing what was there, so the memo follows the file (the villages of
/// one township, then the next) in constant memory, and a lookup is one hash and one compare.
#[derive(Debug)]
pub(crate) struct Memo {
    /// The value's hash (compared first: no string is read on a miss), the value, its class.
    slots: Vec<Option<(u64, String, TextClass)>>,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            slots: vec![None; MEMO_SLOTS],
        }
    }
}

impl Memo {
    /// The class of `cell`, computed by `classify` unless remembered.
    fn class(&mut self, cell: &str, classify: impl FnOnce() -> TextClass) -> TextClass {
        if cell.len() > MEMO_VALUE_BYTES {
            return classify();
        }
        let hash = memo_hash(cell.as_bytes());
        let slot = &mut self.slots[(hash as usize) & (MEMO_SLOTS - 1)];
        match slot {
            Some((h, value, class)) if *h == hash && same(value, cell) => *class,
            Some((h, value, class)) => {
                let computed = classify();
                *h = hash;
                value.clear();
                value.push_str(cell);
                *class = computed;
                computed
            }
            None => {
                let computed = classify();
                *slot = Some((hash, cell.to_string(), computed));
                computed
            }
        }
    }
}

/// A cell's bytes, counted in one pass.
#[derive(Debug, Default, Clone, Copy)]
struct Shape {
    digits: usize,
    upper: usize,
    lower: usize,
    space: usize,
    non_ascii: usize,
    flags: u8,
}

impl Shape {
    const SLASH: u8 = 1;
    const PAREN: u8 = 2;
    const AT: u8 = 4;
    /// Punctuation that separates parts of a date, a number or a sentence.
    const SEPARATOR: u8 = 8;
    /// ASCII punctuation other than `-` and `_`.
    const OTHER: u8 = 16;

    /// Per byte: which counter it adds to (0 digits, 1 upper, 2 lower, 3 space, 4 non-ASCII,
    /// 5 none) and the flags it sets.
    const CLASSES: [(u8, u8); 256] = {
        let mut table = [(5u8, 0u8); 256];
        let mut b = 0;
        while b < 256 {
            let byte = b as u8;
            table[b] = match byte {
                b'0'..=b'9' => (0, 0),
                b'A'..=b'Z' => (1, 0),
                b'a'..=b'z' => (2, 0),
                b' ' | b'\t' | b'\n' | b'\r' => (3, 0),
                b'/' => (5, Shape::SLASH | Shape::SEPARATOR | Shape::OTHER),
                b'-' => (5, Shape::SEPARATOR),
                b'_' => (5, 0),
                b'.' | b',' | b':' | b';' => (5, Shape::SEPARATOR | Shape::OTHER),
                b'(' => (5, Shape::PAREN | Shape::OTHER),
                b'@' => (5, Shape::AT | Shape::OTHER),
                0x80..=0xFF => (4, 0),
                _ => (5, Shape::OTHER),
            };
            b += 1;
        }
        table
    };

    /// Bits per counter in [`Shape::STEPS`].
    const FIELD: u32 = 12;

    /// Per byte: one added to its counter's field of a packed number (five fields of
    /// [`Shape::FIELD`] bits), and its flags; so that a byte costs one addition, not a store
    /// into an array of counters that the next byte may have to wait for.
    const STEPS: [(u64, u8); 256] = {
        let mut table = [(0u64, 0u8); 256];
        let mut b = 0;
        while b < 256 {
            let (counter, flags) = Shape::CLASSES[b];
            let step = if counter < 5 {
                1u64 << (Shape::FIELD * counter as u32)
            } else {
                0
            };
            table[b] = (step, flags);
            b += 1;
        }
        table
    };

    fn of(bytes: &[u8]) -> Shape {
        let mut counts = [0usize; 5];
        let mut flags = 0u8;
        // A field holds up to 4095: add up a chunk at a time.
        for chunk in bytes.chunks((1 << Shape::FIELD) - 1) {
            let mut packed = 0u64;
            for &b in chunk {
                let (step, flag) = Shape::STEPS[usize::from(b)];
                packed += step;
                flags |= flag;
            }
            for (i, count) in counts.iter_mut().enumerate() {
                *count +=
                    ((packed >> (Shape::FIELD * i as u32)) & ((1 << Shape::FIELD) - 1)) as usize;
            }
        }
        let mut shape = Shape {
            digits: counts[0],
            upper: counts[1],
            lower: counts[2],
            space: counts[3],
            non_ascii: counts[4],
            flags,
        };
        // A fullwidth bracket (Burmese keyboards) counts as a bracket.
        if shape.non_ascii > 0 {
            shape.flags |= Shape::PAREN;
        }
        shape
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// What a short text value is, independent of its column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextClass {
    words: u32,
    name: Option<names::Strength>,
    binary: Option<bool>,
    sex: bool,
    org: bool,
    vulnerability: bool,
    none: bool,
    /// An identifier-shaped token (`R0000123`, `HH-0001`, `010001-E09`): a code, not words.
    code: bool,
    /// Whether running-text detectors find something in it.
    running_text: bool,
    /// Its Burmese words and Zawgyi marks.
    zawgyi: ZawgyiCounter,
}

impl TextClass {
    /// What an identifier-shaped value is (see [`TextClass::is_code`]).
    const CODE: TextClass = TextClass {
        words: 1,
        name: None,
        binary: None,
        sex: false,
        org: false,
        vulnerability: false,
        none: false,
        code: true,
        running_text: false,
        zawgyi: ZawgyiCounter {
            burmese_words: 0,
            marks: 0,
        },
    };

    /// Whether a value is an identifier (R0000123, HH-0001, a uuid): letters, digits, dashes,
    /// nothing else. None of the text detectors can match it, so it is settled by its shape.
    fn is_code(digits: usize, shape: &Shape) -> bool {
        shape.space == 0 && shape.non_ascii == 0 && digits > 0 && !shape.has(Shape::OTHER)
    }

    /// Classifies a value that is not an identifier ([`Kind::of`] settles those first).
    fn of(cell: &str, digits: usize, shape: &Shape) -> TextClass {
        let words = if shape.space == 0 {
            1
        } else {
            count_words(cell)
        };
        // One ASCII token of letters and digits (an id such as R0000123): nothing inside it
        // for the running-text detectors, which need spaces, separators or a leading digit.
        let token = shape.space == 0
            && shape.non_ascii == 0
            && !shape.has(Shape::SEPARATOR | Shape::PAREN | Shape::AT);
        let name = names::classify_cell(cell);
        // Lower case on the stack for cells of ASCII and Burmese (short here: at most
        // `LONG_CELL` bytes): Burmese letters have no case, so lowering the ASCII bytes is
        // what `to_lowercase` does to such a cell.
        let mut buffer = [0u8; LONG_CELL];
        let owned;
        let caseless_beyond_ascii =
            || shape.non_ascii == 0 || cell.chars().all(|c| c.is_ascii() || is_burmese_letter(c));
        let lower: &str = if cell.len() <= LONG_CELL && caseless_beyond_ascii() {
            let buffer = &mut buffer[..cell.len()];
            buffer.copy_from_slice(cell.as_bytes());
            buffer.make_ascii_lowercase();
            std::str::from_utf8(buffer).unwrap_or(cell)
        } else {
            owned = cell.to_lowercase();
            &owned
        };
        let ascii_letters = shape.upper + shape.lower > 0;
        let org = names_organisation(cell, lower, ascii_letters);
        // Sentences, and short text with a number in it ("call 09…", "21.53, 95.13"): the
        // running-text detectors look inside. A cell that is a name is not searched again.
        let running_text = name.is_none() && !token && (words >= 3 || digits >= 7) && {
            let mut probe = FreeText::default();
            probe.scan(cell);
            !probe.is_empty()
        };
        TextClass {
            words,
            name,
            binary: binary_value(lower),
            sex: is_sex_value(lower),
            org,
            vulnerability: has_vulnerability_word(lower),
            none: is_none_value(lower),
            code: false,
            running_text,
            zawgyi: if shape.non_ascii > 0 {
                ZawgyiCounter::of(cell)
            } else {
                ZawgyiCounter::default()
            },
        }
    }
}

/// A character of the Myanmar block (letters, signs, digits, punctuation): none has case.
fn is_burmese_letter(c: char) -> bool {
    ('\u{1000}'..='\u{109F}').contains(&c)
}

/// The words of `text` split at whitespace (`str::split_whitespace`), counted byte by byte
/// when the text is ASCII.
fn count_words(text: &str) -> u32 {
    if !text.is_ascii() {
        return text.split_whitespace().count() as u32;
    }
    // `char::is_whitespace` in ASCII: tab to carriage return, and space.
    let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let mut words = 0;
    let mut in_word = false;
    for &b in text.as_bytes() {
        let starts = !space(b) && !in_word;
        words += u32::from(starts);
        in_word = !space(b);
    }
    words
}

/// What a short cell is: a pure function of its text (see [`Kind::of`]).
#[derive(Debug, Clone, Default)]
enum Kind {
    /// An NRC number.
    Nrc(Nrc),
    /// An email address.
    Email,
    /// A MIMU P-code of this admin level.
    Pcode(u8),
    /// A keyed pseudonym.
    Pseudonym,
    /// A phone number that is not also a number.
    Phone(Phone),
    /// A number (perhaps also a phone number), with its decimals and digits.
    Number {
        phone: Option<Phone>,
        value: f64,
        decimals: u8,
        digits: usize,
    },
    /// A date.
    Date,
    /// Text.
    Text(TextClass),
    /// Nothing yet (the cache before its first cell).
    #[default]
    Unknown,
}

impl Kind {
    /// Classifies a trimmed, non-empty cell of at most [`LONG_CELL`] bytes. Values with a
    /// distinctive shape first (NRC, email, P-code): the byte shape rules most detectors out
    /// before they run.
    fn of(cell: &str, shape: &Shape, memo: &mut Memo) -> Kind {
        let letters = shape.upper + shape.lower;
        // Burmese digits only exist in non-ASCII text.
        let digits = if shape.non_ascii > 0 {
            count_digits(cell)
        } else {
            shape.digits
        };
        if shape.has(Shape::SLASH)
            && shape.has(Shape::PAREN)
            && let Some(found) = nrc::is_nrc(cell)
        {
            return Kind::Nrc(found);
        }
        if shape.has(Shape::AT) && email::is_email(cell) {
            return Kind::Email;
        }
        if shape.upper + shape.lower >= 3
            && cell.len() >= 6
            && cell.as_bytes()[..3].eq_ignore_ascii_case(b"MMR")
            && let Some(level) = places::level(cell)
        {
            return Kind::Pcode(level);
        }
        if crate::pseudonym::is_pseudonym(cell) {
            return Kind::Pseudonym;
        }
        // Numbers and phone numbers: digits with separators, no letters.
        let phone = if digits >= 7 && letters == 0 {
            if shape.digits == cell.len() {
                phone::classify_digits(cell)
            } else {
                phone::classify_cell(cell)
            }
        } else {
            None
        };
        let number = if shape.digits == cell.len() && cell.len() <= 15 {
            // Digits only: the whole number, exactly what parsing gives, without parsing.
            coords::exact_quotient(cell, "").map(|value| (value, 0))
        } else if letters == 0 && digits > 0 {
            parse_number(&normalise_digits(cell))
        } else {
            None
        };
        if let Some((value, decimals)) = number {
            return Kind::Number {
                phone,
                value,
                decimals,
                digits,
            };
        }
        if let Some(phone) = phone {
            return Kind::Phone(phone);
        }
        if digits >= 4
            && letters <= 9
            && (shape.has(Shape::SEPARATOR) || shape.space > 0)
            && is_date(&normalise_digits(cell))
        {
            return Kind::Date;
        }
        // Text. What a short value is does not depend on where it appears: a categorical
        // column repeats a few values thousands of times, so their classification is memoised.
        // Identifiers are settled by their shape, before the memo: a column of them (a
        // million unique ids) would otherwise push every remembered value out.
        if TextClass::is_code(digits, shape) {
            return Kind::Text(TextClass::CODE);
        }
        Kind::Text(memo.class(cell, || TextClass::of(cell, digits, shape)))
    }
}

/// Values of [`Recent`] (a power of two): enough for the values a categorical column switches
/// between (yes/no, sex, a few shelter types, the dates of one distribution round).
const RECENT_VALUES: usize = 16;

/// A column's recent short values and their kinds, kept beside the column, not in it, so
/// that counting can borrow both. What a value is depends on the value alone, and most columns
/// of a large table switch between a handful of values (yes/no, sex, a grouped export's
/// township and village repeated down the rows): such a cell takes its kind from here, and
/// only the counting is done again. A value's place is chosen from a few of its bytes and
/// taken from whatever held it, so that a lookup is one compare and a column of unique values
/// costs one value's update per cell.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    values: [RecentValue; RECENT_VALUES],
}

/// One value of [`Recent`].
#[derive(Debug, Default)]
struct RecentValue {
    valid: bool,
    /// Where the value is in the text being read (see [`Column::observe_in`]); `None` once it
    /// has been copied into `value`.
    at: Option<(usize, usize)>,
    value: String,
    kind: Kind,
    /// Its Burmese words and Zawgyi marks (none for ASCII text).
    zawgyi: ZawgyiCounter,
}

impl Recent {
    /// The place of `cell` (not empty): from its length and its first, middle and last bytes,
    /// where values of one column most often differ (`Y`/`N`, `2026-01-07`/`2026-01-08`,
    /// `rented`/`monastery`).
    fn place(cell: &str) -> usize {
        let bytes = cell.as_bytes();
        let n = bytes.len();
        let key = (n as u32)
            ^ (u32::from(bytes[0]) << 8)
            ^ (u32::from(bytes[n / 2]) << 16)
            ^ (u32::from(bytes[n - 1]) << 24);
        (key.wrapping_mul(0x9e37_79b1) >> (32 - RECENT_VALUES.trailing_zeros())) as usize
    }

    /// The place of `cell` (`text` is the text being read), and whether it holds `cell`;
    /// when not, it is to be overwritten.
    fn find(&mut self, text: &str, cell: &str) -> (&mut RecentValue, bool) {
        let value = &mut self.values[Recent::place(cell)];
        let found = value.is(text, cell);
        (value, found)
    }

    /// Copies the values out of `text`, which is about to be let go.
    pub(crate) fn keep(&mut self, text: &str) {
        for value in &mut self.values {
            if let Some((start, end)) = value.at.take() {
                value.value.clear();
                value.value.push_str(&text[start..end]);
            }
        }
    }
}

impl RecentValue {
    /// Whether `cell` is this value; `text` is the text being read.
    fn is(&self, text: &str, cell: &str) -> bool {
        self.valid
            && match self.at {
                Some((start, end)) => same(&text[start..end], cell),
                None => same(&self.value, cell),
            }
    }
}

/// One column's statistics.
#[derive(Debug, Default)]
pub(crate) struct Column {
    /// The header as written (trimmed); empty when there is none.
    pub(crate) header: String,
    /// Its position, from 0.
    pub(crate) index: usize,
    /// What the header (and HXL tag) say the column is.
    pub(crate) roles: Roles,
    /// Non-empty cells.
    pub(crate) non_empty: u64,
    /// Cells that are numbers.
    pub(crate) numeric: u64,
    /// Cells that are whole numbers.
    pub(crate) integers: u64,
    /// Smallest and largest whole number.
    pub(crate) int_range: Option<(f64, f64)>,
    /// Whole numbers of 5–7 digits (village codes look like this).
    pub(crate) code_like_ints: u64,
    /// Whole-cell phone numbers by strength: weak, medium, strong.
    pub(crate) phones: [u64; 3],
    /// Their examples, by strength.
    pub(crate) phone_examples: [Examples; 3],
    /// NRC numbers.
    pub(crate) nrc: Tally,
    /// Email addresses.
    pub(crate) emails: Tally,
    /// P-codes by level (index 0: state … 3: village tract and below).
    pub(crate) pcodes: [u64; 4],
    /// Examples of P-codes at level 4 and below.
    pub(crate) admin4_examples: Examples,
    /// Numbers with at least two decimals in Myanmar's latitude range, and with three or more.
    pub(crate) lat: (u64, u64),
    /// Same for longitude.
    pub(crate) lon: (u64, u64),
    /// Examples of single coordinates.
    pub(crate) coord_examples: Examples,
    /// Cells that are dates.
    pub(crate) dates: u64,
    /// Text cells (not numbers, dates, codes, phones).
    pub(crate) text: u64,
    /// Words in text cells.
    pub(crate) text_words: u64,
    /// Text cells, masked like names, for name columns found by header.
    pub(crate) text_examples: Examples,
    /// Names by honorific or syllables: (strong, weak).
    pub(crate) names: (u64, u64),
    /// Their examples.
    pub(crate) name_examples: Examples,
    /// Yes/no (1/0) values, and how many were yes.
    pub(crate) binary: u64,
    /// Yes values.
    pub(crate) yes: u64,
    /// Sex values (M/F, ကျား/မ).
    pub(crate) sex: u64,
    /// Text cells naming an organisation.
    pub(crate) org_like: u64,
    /// Text cells naming a vulnerable group.
    pub(crate) vuln_values: u64,
    /// Text cells that say "none".
    pub(crate) none_values: u64,
    /// Identifier examples.
    pub(crate) id_examples: Examples,
    /// What running text in the column held.
    pub(crate) free: FreeText,
    /// Uniqueness.
    pub(crate) distinct: Distinct,
    /// Keyed pseudonyms made by the pseudonymiser (`PSN-…`): not text, not names.
    pub(crate) pseudonyms: u64,
    /// Text cells that are identifier-shaped codes (letters, digits, dashes, at least one
    /// digit, one token: `010001-E09`, `ENUM_07`): counted in `text`, but never a name, so a
    /// column of enumerator or staff codes under a person header does not hold names.
    pub(crate) codes: u64,
}

impl Column {
    /// A column with its header and roles.
    pub(crate) fn new(index: usize, header: String, roles: Roles) -> Column {
        Column {
            header,
            index,
            roles,
            ..Column::default()
        }
    }

    /// Takes the statistics of `later`, this column in the next part of the file, as if its
    /// cells had been read here after this part's own: the same figures and examples as one
    /// pass over both parts.
    pub(crate) fn follow(&mut self, later: &Column) {
        // Every field, by name: a field added to `Column` and forgotten here fails to compile.
        let Column {
            header: _,
            index: _,
            roles: _,
            non_empty,
            numeric,
            integers,
            int_range,
            code_like_ints,
            phones,
            phone_examples,
            nrc,
            emails,
            pcodes,
            admin4_examples,
            lat,
            lon,
            coord_examples,
            dates,
            text,
            text_words,
            text_examples,
            names,
            name_examples,
            binary,
            yes,
            sex,
            org_like,
            vuln_values,
            none_values,
            id_examples,
            free,
            distinct,
            pseudonyms,
            codes,
        } = later;
        self.non_empty += non_empty;
        self.numeric += numeric;
        self.integers += integers;
        self.int_range = match (self.int_range, *int_range) {
            (Some((lo, hi)), Some((later_lo, later_hi))) => {
                Some((lo.min(later_lo), hi.max(later_hi)))
            }
            (range, None) | (None, range) => range,
        };
        self.code_like_ints += code_like_ints;
        for (count, later) in self.phones.iter_mut().zip(phones) {
            *count += later;
        }
        for (examples, later) in self.phone_examples.iter_mut().zip(phone_examples) {
            examples.follow(later);
        }
        self.nrc.follow(nrc);
        self.emails.follow(emails);
        for (count, later) in self.pcodes.iter_mut().zip(pcodes) {
            *count += later;
        }
        self.admin4_examples.follow(admin4_examples);
        self.lat = (self.lat.0 + lat.0, self.lat.1 + lat.1);
        self.lon = (self.lon.0 + lon.0, self.lon.1 + lon.1);
        self.coord_examples.follow(coord_examples);
        self.dates += dates;
        self.text += text;
        self.text_words += text_words;
        self.text_examples.follow(text_examples);
        self.names = (self.names.0 + names.0, self.names.1 + names.1);
        self.name_examples.follow(name_examples);
        self.binary += binary;
        self.yes += yes;
        self.sex += sex;
        self.org_like += org_like;
        self.vuln_values += vuln_values;
        self.none_values += none_values;
        self.id_examples.follow(id_examples);
        self.free.follow(free);
        self.distinct.follow(distinct);
        self.pseudonyms += pseudonyms;
        self.codes += codes;
    }

    /// The name the report uses for the column.
    pub(crate) fn label(&self) -> String {
        let header = self.header.trim();
        // A "header" that is itself a value (a file without a header row whose first row was
        // taken for one) must not carry a name or a number into the report.
        let looks_personal = || {
            names::classify_cell(header).is_some()
                || phone::classify_cell(header).is_some()
                || email::is_email(header)
                || nrc::is_nrc(header).is_some()
                || count_digits(header) >= 6
        };
        if header.is_empty() || looks_personal() {
            format!("column {}", self.index + 1)
        } else {
            header.chars().take(80).collect()
        }
    }

    /// `n` as a share of the non-empty cells.
    pub(crate) fn share(&self, n: u64) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            n as f64 / self.non_empty as f64
        }
    }

    /// Reads one cell.
    pub(crate) fn observe(
        &mut self,
        cell: &str,
        zawgyi: &mut ZawgyiCounter,
        memo: &mut Memo,
        recent: &mut Recent,
    ) {
        self.observe_in(cell, 0..cell.len(), zawgyi, memo, recent);
        recent.keep(cell);
    }

    /// Reads the cell at `range` in `text` (a batch of the column's cells). Recent values are
    /// remembered as places in `text` rather than copied: call [`Recent::keep`] before `text`
    /// goes.
    pub(crate) fn observe_in(
        &mut self,
        text: &str,
        range: std::ops::Range<usize>,
        zawgyi: &mut ZawgyiCounter,
        memo: &mut Memo,
        recent: &mut Recent,
    ) {
        let raw = &text[range.clone()];
        let cell = trim(raw);
        if cell.is_empty() {
            return;
        }
        self.non_empty += 1;
        let (seen, known) = recent.find(text, cell);
        if !known {
            let shape = Shape::of(cell.as_bytes());
            if cell.len() > LONG_CELL {
                if shape.non_ascii > 0 {
                    zawgyi.observe(cell);
                }
                self.text += 1;
                self.free.scan(cell);
                return;
            }
            seen.kind = Kind::of(cell, &shape, memo);
            // A text value's class holds its counts (from the memo, when it knows the value).
            seen.zawgyi = match &seen.kind {
                Kind::Text(class) => class.zawgyi,
                _ if shape.non_ascii > 0 => ZawgyiCounter::of(cell),
                _ => ZawgyiCounter::default(),
            };
            // Where the trimmed cell starts: `cell` lies inside `raw`.
            let start = range.start + (cell.as_ptr() as usize - raw.as_ptr() as usize);
            seen.at = Some((start, start + cell.len()));
            seen.valid = true;
        }
        zawgyi.add(&seen.zawgyi);
        self.distinct.observe(cell);
        self.id_examples.offer(|| mask::identifier(cell));
        self.count(&seen.kind, cell);
    }

    /// Counts one cell of kind `kind`.
    fn count(&mut self, kind: &Kind, cell: &str) {
        match kind {
            Kind::Nrc(found) => self.nrc.add(|| found.masked()),
            Kind::Email => self.emails.add(|| email::masked(cell)),
            Kind::Pcode(level) => {
                self.pcodes[usize::from(level - 1)] += 1;
                if *level >= 4 {
                    self.admin4_examples.offer(|| mask::pcode(cell));
                }
            }
            Kind::Pseudonym => self.pseudonyms += 1,
            Kind::Phone(phone) => self.count_phone(phone),
            Kind::Number {
                phone,
                value,
                decimals,
                digits,
            } => {
                if let Some(phone) = phone {
                    self.count_phone(phone);
                }
                self.observe_number(*value, *decimals, *digits);
            }
            Kind::Date => self.dates += 1,
            Kind::Text(class) => self.count_text(class, cell),
            // Only the empty cache holds it; `observe` classifies before counting.
            Kind::Unknown => {}
        }
    }

    fn count_phone(&mut self, phone: &Phone) {
        let slot = match phone.strength {
            PhoneStrength::Weak => 0,
            PhoneStrength::Medium => 1,
            PhoneStrength::Strong => 2,
        };
        self.phones[slot] += 1;
        self.phone_examples[slot].offer(|| phone.masked());
    }

    fn count_text(&mut self, class: &TextClass, cell: &str) {
        self.text += 1;
        self.text_examples.offer(|| names::masked(cell));
        self.text_words += u64::from(class.words);
        match class.name {
            Some(names::Strength::Strong) => self.names.0 += 1,
            Some(names::Strength::Weak) => self.names.1 += 1,
            None => {}
        }
        if class.name.is_some() {
            self.name_examples.offer(|| names::masked(cell));
        }
        if let Some(yes) = class.binary {
            self.binary += 1;
            self.yes += u64::from(yes);
        }
        self.sex += u64::from(class.sex);
        self.org_like += u64::from(class.org);
        self.vuln_values += u64::from(class.vulnerability);
        self.none_values += u64::from(class.none);
        self.codes += u64::from(class.code);
        if class.running_text {
            self.free.scan(cell);
        }
    }

    fn observe_number(&mut self, value: f64, decimals: u8, digits: usize) {
        self.numeric += 1;
        if decimals == 0 {
            self.integers += 1;
            self.int_range = Some(match self.int_range {
                None => (value, value),
                Some((lo, hi)) => (lo.min(value), hi.max(value)),
            });
            if (5..=7).contains(&digits) && value >= 0.0 {
                self.code_like_ints += 1;
            }
            if value == 0.0 || value == 1.0 {
                self.binary += 1;
                self.yes += u64::from(value == 1.0);
            }
        }
        if decimals >= 2 {
            if LAT.contains(&value) {
                self.lat.0 += 1;
                self.lat.1 += u64::from(decimals >= 3);
                self.coord_examples.offer(|| mask::coordinate(value));
            }
            if LON.contains(&value) {
                self.lon.0 += 1;
                self.lon.1 += u64::from(decimals >= 3);
                self.coord_examples.offer(|| mask::coordinate(value));
            }
        }
    }

    /// Whole-cell phones of at least `strength`.
    pub(crate) fn phones_at_least(&self, strength: PhoneStrength) -> u64 {
        match strength {
            PhoneStrength::Weak => self.phones.iter().sum(),
            PhoneStrength::Medium => self.phones[1] + self.phones[2],
            PhoneStrength::Strong => self.phones[2],
        }
    }

    /// Whether most cells are numbers.
    pub(crate) fn is_numeric(&self) -> bool {
        self.non_empty > 0 && self.share(self.numeric) >= 0.8
    }

    /// Whether most cells are free text (not numbers, codes, dates).
    pub(crate) fn is_textual(&self) -> bool {
        self.non_empty > 0 && self.share(self.text) >= 0.6
    }

    /// Average words per text cell.
    pub(crate) fn words_per_text(&self) -> f64 {
        if self.text == 0 {
            0.0
        } else {
            self.text_words as f64 / self.text as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Column {
        let mut column = Column::new(0, String::new(), Roles::NONE);
        let mut zawgyi = ZawgyiCounter::default();
        let mut memo = Memo::default();
        let mut recent = Recent::default();
        for v in values {
            column.observe(v, &mut zawgyi, &mut memo, &mut recent);
        }
        column
    }

    /// `is_date` as it was before its shortcuts (`numeric_date`, the first-byte check): the
    /// shortcuts must not change a single answer.
    fn is_date_without_shortcuts(text: &str) -> bool {
        let text = text.trim();
        if text.len() < 6 || text.len() > 32 {
            return false;
        }
        let head = text.split(['T', ' ']).next().unwrap_or(text);
        let parts: Vec<&str> = head.split(['-', '/', '.']).collect();
        if parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
            let year = |p: &str| {
                p.len() == 4 && p.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y))
            };
            let small =
                |p: &str| p.len() <= 2 && p.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n));
            if (year(parts[0]) && small(parts[1]) && small(parts[2]))
                || (small(parts[0])
                    && (small(parts[1]) || month(parts[1]))
                    && (year(parts[2]) || (parts[2].len() == 2 && parts[2].parse::<u32>().is_ok())))
            {
                return true;
            }
        }
        let words: Vec<&str> = text
            .split([' ', '-', ','])
            .filter(|w| !w.is_empty())
            .collect();
        words.len() == 2
            && month(words[0])
            && words[1].len() == 4
            && words[1].parse::<u32>().is_ok()
    }

    #[test]
    fn the_date_shortcuts_answer_as_the_rules_do() {
        let samples = [
            "2026-01-27",
            "2026/1/27 10:00",
            "27.01.2026",
            "27-Jan-2026",
            "Jan 2026",
            "-Jan 2026",
            "+1-+2-2024",
            "1999-12-31",
            "2101-01-01",
            "2025-13-01",
            "2025-00-10",
            "31/12/1899",
            "HH-150001-001",
            "12-34-5678",
            "0000-00-00",
            "2025-11/22",
            "27/01-2026",
            "R0000123",
            "12.345.678",
            "95.123456",
            "September 2024",
            " 2026-01-27 ",
            "T2026-01-27",
        ];
        for sample in samples {
            assert_eq!(
                is_date(sample),
                is_date_without_shortcuts(sample),
                "{sample:?}"
            );
        }
        // And strings put together from the pieces dates are made of: runs of digits (years,
        // days, out-of-range ones), separators, month names, other words.
        let pieces = [
            "2026", "1899", "2100", "27", "1", "00", "13", "31", "32", "123", "-", "/", ".", " ",
            ",", "T", "+", "Jan", "sep", "Sept", "x", "HH",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut dates = 0;
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let count = 1 + (state % 6) as usize;
            let text: String = (0..count)
                .map(|i| pieces[(state >> (5 * i + 8)) as usize % pieces.len()])
                .collect();
            assert_eq!(is_date(&text), is_date_without_shortcuts(&text), "{text:?}");
            dates += usize::from(is_date(&text));
        }
        assert!(dates > 500, "only {dates} dates among the strings tried");
    }

    #[test]
    fn numbers_dates_and_text_are_told_apart() {
        assert_eq!(parse_number("12,500,000"), Some((12_500_000.0, 0)));
        assert_eq!(parse_number("75%"), Some((75.0, 0)));
        assert_eq!(parse_number("1,25"), None);
        assert!(is_date("2026-01-27"));
        assert!(is_date("27/01/2026"));
        assert!(is_date("27-Jan-2026"));
        assert!(is_date("Jan 2026"));
        assert!(!is_date("HRP-2026-00"));
        assert!(!is_date("09.123.456"));
        let c = column(&[
            "12",
            "2026-01-27",
            "Food Security",
            "",
            "MMR003008029",
            "09761234567",
        ]);
        assert_eq!(
            (c.non_empty, c.numeric, c.dates, c.text, c.pcodes[3]),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(c.phones, [0, 1, 0]);
    }

    #[test]
    fn uniqueness_is_estimated_on_a_bounded_sample() {
        let values: Vec<String> = (0..5000).map(|i| format!("R{i:05}")).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let c = column(&refs);
        assert_eq!(c.distinct.count(), DISTINCT_SAMPLE);
        assert!((c.distinct.ratio() - 1.0).abs() < 1e-9);
        let c = column(&["yes", "no", "yes", "yes"]);
        assert_eq!((c.binary, c.yes, c.distinct.count()), (4, 3, 2));
    }

    #[test]
    fn a_value_taken_for_a_header_is_not_shown() {
        let mut c = Column::new(2, "Naw Pwe Pwe".into(), Roles::NONE);
        assert_eq!(c.label(), "column 3");
        c.header = "09761234567".into();
        assert_eq!(c.label(), "column 3");
        c.header = "Mobile".into();
        assert_eq!(c.label(), "Mobile");
    }

    #[test]
    fn organisations_are_found_as_the_plain_rule_says() {
        // The rule, word by word: a listed word in lower case, or a listed acronym as written.
        let plain = |cell: &str| {
            cell.split(|c: char| !c.is_alphanumeric()).any(|w| {
                ORG_WORDS.contains(&w.to_lowercase().as_str()) || ORG_ACRONYMS.contains(&w)
            })
        };
        for cell in [
            "Oxfam",
            "Myanmar Red Cross Society",
            "UNICEF-Yangon",
            "unicef",
            "WHO",
            "who",
            "Who cares",
            "NGO",
            "ngo",
            "Local-NGO network",
            "hygiene kit;salt 1kg",
            "ကယ်ဆယ်ရေး NGO",
            "ကယ်ဆယ်ရေး Foundation",
            "ကယ်ဆယ်ရေး who",
            "Daw Hla",
            "",
        ] {
            let lower = cell.to_lowercase();
            let letters = cell.bytes().any(|b| b.is_ascii_alphabetic());
            assert_eq!(
                names_organisation(cell, &lower, letters),
                plain(cell),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn burmese_letters_have_no_case() {
        // `TextClass::of` lowers only the ASCII bytes of ASCII-and-Burmese cells.
        for c in ('\u{1000}'..='\u{109F}').filter(|&c| is_burmese_letter(c)) {
            assert_eq!(c.to_lowercase().collect::<String>(), c.to_string(), "{c:?}");
        }
        assert!(!is_burmese_letter('\u{0FFF}') && !is_burmese_letter('\u{10A0}'));
    }

    #[test]
    fn words_are_counted_and_vulnerability_words_found_as_the_plain_rules_say() {
        let texts = [
            "",
            " ",
            "hygiene kit;salt 1kg;jerrycan 10L",
            "  two\twords\u{b}and\u{c}more\r\n ",
            "Daw  Hla\u{a0}Hla",
            "ဒေါ် မြ အုန်း",
            "female-headed, elderly",
            "pregnant or lactating woman",
            "not applicable",
            "separatedx",
            "ရှိ မသန်စွမ်း",
            "widow",
            "disa",
        ];
        for text in texts {
            assert_eq!(
                count_words(text),
                text.split_whitespace().count() as u32,
                "{text:?}"
            );
            let plain = VULN_VALUE_WORDS.iter().any(|w| text.contains(w));
            assert_eq!(has_vulnerability_word(text), plain, "{text:?}");
        }
    }

    #[test]
    fn the_byte_table_classifies_as_the_rules_say() {
        // Digits, upper and lower case letters, white space, non-ASCII bytes.
        let counts = |shape: Shape| {
            [
                shape.digits,
                shape.upper,
                shape.lower,
                shape.space,
                shape.non_ascii,
            ]
        };
        for b in 0..=255u8 {
            let counted = counts(Shape::of(&[b]));
            let expected = match b {
                b'0'..=b'9' => [1, 0, 0, 0, 0],
                b'A'..=b'Z' => [0, 1, 0, 0, 0],
                b'a'..=b'z' => [0, 0, 1, 0, 0],
                b' ' | b'\t' | b'\n' | b'\r' => [0, 0, 0, 1, 0],
                0x80..=0xFF => [0, 0, 0, 0, 1],
                _ => [0; 5],
            };
            assert_eq!(counted, expected, "byte {b}");
        }
        // Longer than one packed count holds (4095 bytes): each unit adds one letter of each
        // case, a digit, a space and a two-byte letter.
        let long = "aB3 é".repeat(2000);
        assert_eq!(
            counts(Shape::of(long.as_bytes())),
            [2000, 2000, 2000, 2000, 4000]
        );
        let shape = Shape::of(b"12/LaMaNa(N)123456");
        assert!(shape.has(Shape::SLASH) && shape.has(Shape::PAREN) && shape.has(Shape::OTHER));
        assert!(!Shape::of(b"HH-0001_a").has(Shape::OTHER));
        assert!(Shape::of(b"a@b.org").has(Shape::AT));
    }

    #[test]
    fn the_memo_answers_for_each_value_what_classifying_it_would() {
        let mut memo = Memo::default();
        let class = |cell: &str| TextClass::of(cell, 0, &Shape::of(cell.as_bytes()));
        // A remembered value is not classified again.
        assert!(
            memo.class("Food Security", || class("Food Security"))
                .name
                .is_none()
        );
        let again = memo.class("Food Security", || panic!("classified twice"));
        assert_eq!(again.words, 2);
        // Many values later (evicted or not), every answer is still the value's own.
        for i in 0..10_000 {
            let value = format!("{}{i}", "word ".repeat(i % 5));
            let got = memo.class(&value, || class(&value));
            assert_eq!(got.words, class(&value).words);
            assert_eq!(got.words as usize, i % 5 + 1);
        }
        let got = memo.class("Daw Hla Hla", || class("Daw Hla Hla"));
        assert_eq!(got.name, Some(names::Strength::Strong));
        // An answer is never another value's: each value gets a class of its own (its number
        // as the word count), and is asked for again later, short and long values alike.
        let mut memo = Memo::default();
        let values: Vec<String> = (0..40_000u32)
            .map(|i| format!("{i:0width$}", width = [3, 8, 30, 40, 200][i as usize % 5]))
            .collect();
        for round in 0..2 {
            for (i, value) in values.iter().enumerate().skip(round * 7) {
                let own = TextClass {
                    words: i as u32,
                    ..TextClass::CODE
                };
                assert_eq!(memo.class(value, || own).words, i as u32, "{value}");
            }
        }
    }

    #[test]
    fn a_column_counts_the_same_with_or_without_its_recent_values() {
        // Values that repeat, alternate and collide in the recent values' places, of every kind.
        let pool = [
            "Y",
            "N",
            "M",
            "F",
            "rented",
            "monastery",
            "camp longhouse",
            "2026-01-07",
            "2026-01-08",
            "09 254 235 116",
            "12/LaMaNa(N)123456",
            "MMR010001001",
            "14.56998",
            "98.00510",
            "Daw Hla Hla",
            "ဒေါ် မြအုန်း",
            "ေမာင္",
            "UNICEF",
            "HH-0001",
            "37",
            "0",
        ];
        let mut state = 7u64;
        let values: Vec<&str> = (0..5000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                pool[(state >> 33) as usize % pool.len()]
            })
            .collect();
        // Read once with one set of recent values, once with new ones for every cell.
        let read = |fresh: bool| {
            let mut column = Column::new(0, String::new(), Roles::NONE);
            let (mut zawgyi, mut memo, mut recent) = Default::default();
            for v in &values {
                if fresh {
                    recent = Recent::default();
                }
                column.observe(v, &mut zawgyi, &mut memo, &mut recent);
            }
            format!("{column:?} {zawgyi:?}")
        };
        assert_eq!(read(false), read(true));
    }

    #[test]
    fn coordinates_and_codes() {
        let c = column(&["21.53581", "19.42891", "13.87516"]);
        assert_eq!(c.lat, (3, 3));
        let c = column(&["125018", "102918", "144902"]);
        assert_eq!(c.code_like_ints, 3);
        let c = column(&["21.53581, 95.1388"]);
        assert_eq!(c.free.coords.count, 1);
    }
}
