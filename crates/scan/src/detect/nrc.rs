//! NRC (National Registration Card) numbers: `12/LaMaNa(N)123456` in Latin script and
//! `၁၂/လမန(နိုင်)၁၂၃၄၅၆` in Burmese. The structure is distinctive (state number 1–14, a
//! township code, the card type in brackets, six digits), so one match is enough.

use super::digits::normalise_digits;
use super::mask;

/// The most characters a card type can have between its brackets.
const KIND_CHARS: usize = 13;

/// One NRC number: what its masked form shows, kept on the stack and masked on demand
/// (most matches are only counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Nrc {
    /// The state number as written (one or two ASCII digits).
    state: [u8; 2],
    state_len: u8,
    /// The card type as written, trimmed.
    kind: [char; KIND_CHARS],
    kind_len: u8,
    /// The last two digits of the number, and how many digits it has.
    tail: [u8; 2],
    number_len: u8,
}

impl Nrc {
    /// `12/••••••(N)••••56`.
    pub(crate) fn masked(&self) -> String {
        let state: String = self.state[..usize::from(self.state_len)]
            .iter()
            .map(|&b| char::from(b))
            .collect();
        let kind: String = self.kind[..usize::from(self.kind_len)].iter().collect();
        // Only the last two digits show: the hidden ones are placeholders of the same count.
        let mut number = "0".repeat(usize::from(self.number_len) - 2);
        number.extend(self.tail.iter().map(|&b| char::from(b)));
        mask::nrc(&state, &kind, &number)
    }
}

/// The longest cell [`is_nrc`] reads as one number, in characters.
const CELL_CHARS: usize = 40;

/// Card types in Latin transliteration (N citizen, E associate, P naturalised, T temporary…).
const LATIN_TYPES: &[&str] = &[
    "n", "e", "p", "t", "c", "ac", "nc", "v", "m", "naing", "ae", "pyu", "thi", "tha",
];

fn is_burmese_letter(c: char) -> bool {
    ('\u{1000}'..='\u{103F}').contains(&c) || ('\u{1050}'..='\u{108F}').contains(&c)
}

/// Calls `found` for each NRC number in `text`.
pub(crate) fn find(text: &str, mut found: impl FnMut(Nrc)) {
    if !text.contains('/') || !(text.contains('(') || text.contains('（')) {
        return;
    }
    let text = normalise_digits(text);
    let chars: Vec<char> = text.chars().collect();
    for (slash, _) in chars.iter().enumerate().filter(|(_, c)| **c == '/') {
        if let Some(nrc) = parse_at(&chars, slash) {
            found(nrc);
        }
    }
}

/// Whether the whole of `cell` is one NRC number.
pub(crate) fn is_nrc(cell: &str) -> Option<Nrc> {
    // What `find` does, with the characters on the stack: this runs for every cell that
    // holds a slash and a bracket.
    if !cell.contains('/') || !(cell.contains('(') || cell.contains('（')) {
        return None;
    }
    let text = normalise_digits(cell);
    let mut chars = ['\0'; CELL_CHARS];
    let mut count = 0;
    for c in text.chars() {
        // Normalising maps each character to one character, so this counts the cell's.
        if count == CELL_CHARS {
            return None;
        }
        chars[count] = c;
        count += 1;
    }
    let chars = &chars[..count];
    let mut one = None;
    for (slash, _) in chars.iter().enumerate().filter(|(_, c)| **c == '/') {
        if let Some(nrc) = parse_at(chars, slash) {
            one = Some(nrc);
        }
    }
    one
}

/// Parses an NRC number around the `/` at `slash`.
fn parse_at(chars: &[char], slash: usize) -> Option<Nrc> {
    // The state number: one or two digits (1–14) right before the slash (spaces allowed).
    let mut i = slash;
    while i > 0 && chars[i - 1] == ' ' {
        i -= 1;
    }
    let digits_end = i;
    while i > 0 && chars[i - 1].is_ascii_digit() && digits_end - i < 3 {
        i -= 1;
    }
    let state = &chars[i..digits_end];
    if state.is_empty() || state.len() > 2 || (i > 0 && chars[i - 1].is_alphanumeric()) {
        return None;
    }
    let state_number = state.iter().fold(0u8, |n, &d| n * 10 + (d as u8 - b'0'));
    if !(1..=14).contains(&state_number) {
        return None;
    }
    // The township code: Latin letters (LaMaNa) or Burmese letters (လမန).
    let mut j = slash + 1;
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    let code_start = j;
    while chars
        .get(j)
        .is_some_and(|&c| c.is_ascii_alphabetic() || is_burmese_letter(c))
    {
        j += 1;
    }
    let code_len = j - code_start;
    if !(2..=16).contains(&code_len) {
        return None;
    }
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    // The card type in brackets.
    if !matches!(chars.get(j), Some('(' | '（')) {
        return None;
    }
    j += 1;
    let kind_start = j;
    while chars.get(j).is_some_and(|&c| !matches!(c, ')' | '）')) && j - kind_start <= 12 {
        j += 1;
    }
    if !matches!(chars.get(j), Some(')' | '）')) {
        return None;
    }
    let mut kind = &chars[kind_start..j];
    while let [first, rest @ ..] = kind
        && first.is_whitespace()
    {
        kind = rest;
    }
    while let [rest @ .., last] = kind
        && last.is_whitespace()
    {
        kind = rest;
    }
    let kind_ok = if kind.iter().all(char::is_ascii) {
        LATIN_TYPES.iter().any(|t| {
            t.len() == kind.len()
                && t.bytes()
                    .zip(kind)
                    .all(|(t, k)| char::from(t) == k.to_ascii_lowercase())
        })
    } else {
        !kind.is_empty() && kind.iter().all(|&c| is_burmese_letter(c))
    };
    if !kind_ok {
        return None;
    }
    j += 1;
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    // Five or six digits, then not another digit.
    let number_start = j;
    while chars.get(j).is_some_and(char::is_ascii_digit) {
        j += 1;
    }
    let number = &chars[number_start..j];
    if !(5..=6).contains(&number.len()) {
        return None;
    }
    let mut nrc = Nrc {
        state: [0; 2],
        state_len: state.len() as u8,
        kind: ['\0'; KIND_CHARS],
        kind_len: kind.len() as u8,
        tail: [
            number[number.len() - 2] as u8,
            number[number.len() - 1] as u8,
        ],
        number_len: number.len() as u8,
    };
    for (to, &from) in nrc.state.iter_mut().zip(state) {
        *to = from as u8;
    }
    nrc.kind[..kind.len()].copy_from_slice(kind);
    Some(nrc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find(text, |n| out.push(n.masked()));
        out
    }

    #[test]
    fn latin_and_burmese_nrc_numbers() {
        assert_eq!(all("12/LaMaNa(N)123456"), ["12/••••••(N)••••56"]);
        assert_eq!(
            all("NRC: 9/MaHtaLa (Naing) 012345, thanks"),
            ["9/••••••(Naing)••••45"]
        );
        assert_eq!(all("၁၂/လမန(နိုင်)၁၂၃၄၅၆"), ["12/••••••(နိုင်)••••56"]);
        assert!(is_nrc("၅/မရန(နိုင်)၀၄၅၆၇၈").is_some());
    }

    #[test]
    fn fractions_dates_and_codes_are_not_nrc_numbers() {
        assert!(all("12/05/2026").is_empty());
        assert!(all("1/2 (half) 123456").is_empty());
        assert!(all("Shelter/NFI (phase 2) 123456").is_empty());
        assert!(
            all("15/LaMaNa(N)123456").is_empty(),
            "there are 14 states and regions"
        );
        assert!(all("12/LaMaNa(N)1234").is_empty());
        assert!(all("12/LaMaNa(X)123456").is_empty());
    }
}
