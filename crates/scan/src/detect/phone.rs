//! Myanmar phone numbers. A number is judged by its structure (country code, the mobile prefix
//! 09 and an operator digit, 9–11 digits in national form, how it is grouped), never by a bare
//! count of digits: amounts like 959000839, plan codes, dates and P-codes must not look like
//! phones. Weak forms (an Excel-dropped leading zero) only count in a column whose header says
//! phone; see the column rules in `table`.

use super::digits::{count_digits, normalise_digits};
use super::mask;

/// How sure a number is a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// Valid only if the column says phone: a dropped leading zero (`9761234567`), an old
    /// seven-digit number (`09 5123456`), a landline.
    Weak,
    /// A plain mobile number: `09761234567`, `959761234567`.
    Medium,
    /// Unmistakable: `+95 9 761 234 567`, `0095…`, `097-612-345-67`.
    Strong,
}

/// The longest national form: a zero and at most 15 digits.
const NATIONAL_BYTES: usize = 16;

/// A phone number found in a cell or in text. Held without allocating: a column of phone
/// numbers classifies one per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Phone {
    /// National form (see [`Phone::national`]), in its first `len` bytes.
    national: [u8; NATIONAL_BYTES],
    len: u8,
    /// How sure.
    pub(crate) strength: Strength,
}

impl Phone {
    /// A number in national form from its ASCII digits, with a zero put first if `zero`.
    fn new(zero: bool, digits: &str, strength: Strength) -> Phone {
        let mut national = [0u8; NATIONAL_BYTES];
        let start = usize::from(zero);
        national[0] = b'0';
        let len = (start + digits.len()).min(NATIONAL_BYTES);
        national[start..len].copy_from_slice(&digits.as_bytes()[..len - start]);
        Phone {
            national,
            len: len as u8,
            strength,
        }
    }

    /// National form: `09` followed by 7–9 digits (or a landline `0…`).
    pub(crate) fn national(&self) -> &str {
        std::str::from_utf8(&self.national[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The masked example (`09•••••4567`).
    pub(crate) fn masked(&self) -> String {
        mask::phone(self.national())
    }
}

/// Characters that may separate digit groups inside one phone number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')
}

/// One number written with digits, separators and an optional leading `+` (already
/// normalised to ASCII digits).
fn classify_number(text: &str) -> Option<Phone> {
    let text = text.trim_matches(|c: char| is_separator(c) && c != '(');
    let plus = text.starts_with('+');
    let body = text.strip_prefix('+').unwrap_or(text);
    // At most 15 digits are a phone number: more is none, so the digits fit on the stack.
    let mut buffer = [0u8; 15];
    let mut count = 0;
    let mut groups = 0;
    let mut in_group = false;
    for c in body.chars() {
        if c.is_ascii_digit() {
            if count == buffer.len() {
                return None;
            }
            buffer[count] = c as u8;
            count += 1;
            if !in_group {
                groups += 1;
                in_group = true;
            }
        } else if is_separator(c) {
            in_group = false;
        } else {
            return None;
        }
    }
    if count < 7 {
        return None;
    }
    let digits = std::str::from_utf8(&buffer[..count]).ok()?;
    let grouped = groups >= 2;
    // The country code is only taken as such when it is marked (`+`, `00`) or when what is
    // left is a full mobile number: a nine-digit amount like 959000839 is not "95 9000839".
    // After the country code the trunk zero is usually dropped, but "+95 (0)9…" keeps it.
    // The national form: whether a zero goes first, then these digits.
    let ((zero, rest), country_code, dropped_zero) = if let Some(rest) = digits.strip_prefix("0095")
    {
        ((!rest.starts_with("09"), rest), true, false)
    } else if let Some(rest) = digits
        .strip_prefix("95")
        .filter(|rest| plus || rest.len() >= 9)
    {
        ((!rest.starts_with("09"), rest), true, false)
    } else if plus {
        // Another country's number: not a Myanmar phone, and not our business.
        return None;
    } else if digits.starts_with('0') {
        ((false, digits), false, false)
    } else if digits.starts_with('9') {
        ((true, digits), false, true)
    } else {
        return None;
    };
    let national = Phone::new(zero, rest, Strength::Weak);
    let bytes = national.national();
    let bytes = bytes.as_bytes();
    let mobile = bytes.len() >= 9
        && bytes.len() <= 11
        && bytes[1] == b'9'
        && (b'2'..=b'9').contains(&bytes[2]);
    // Landlines (Yangon 01, Mandalay 02, …): 0, an area code and 5–8 digits. Only ever weak.
    let landline = !mobile
        && !country_code
        && !dropped_zero
        && (8..=10).contains(&bytes.len())
        && (b'1'..=b'8').contains(&bytes[1]);
    let strength = if mobile {
        let marked_country_code = country_code && (plus || grouped || digits.starts_with("0095"));
        let grouped_national = !country_code && !dropped_zero && grouped && bytes.len() >= 10;
        if marked_country_code || grouped_national {
            Strength::Strong
        } else if (country_code && bytes.len() == 11) || (!dropped_zero && bytes.len() >= 10) {
            Strength::Medium
        } else {
            Strength::Weak
        }
    } else if landline {
        Strength::Weak
    } else {
        return None;
    };
    Some(Phone {
        strength,
        ..national
    })
}

/// The phone number a cell of ASCII digits only holds (the common case, checked without
/// splitting or normalising).
pub(crate) fn classify_digits(cell: &str) -> Option<Phone> {
    classify_number(cell)
}

/// The phone number a whole cell holds, if it holds nothing else (several numbers separated by
/// `/`, `,` or `;` count as one: the strongest).
pub(crate) fn classify_cell(cell: &str) -> Option<Phone> {
    let cell = super::trim(cell);
    if cell.len() > 64 || count_digits(cell) < 7 {
        return None;
    }
    let normalised = normalise_digits(cell);
    // Every part must be a phone number, and a Myanmar number's digits start with 0 or 9
    // (09…, 95…, 0095…): the cell's first digit, in the first part with digits, rules most
    // dates, amounts and coordinates out before any part is parsed.
    if !normalised
        .bytes()
        .find(u8::is_ascii_digit)
        .is_some_and(|d| d == b'0' || d == b'9')
    {
        return None;
    }
    // The strongest part; of equally strong ones the last (as `max_by_key` picks).
    let mut best: Option<Phone> = None;
    for part in normalised
        .split([',', ';', '/', '&', '\n'])
        .filter(|part| !super::trim(part).is_empty())
    {
        let phone = classify_number(part)?;
        if best.as_ref().is_none_or(|b| phone.strength >= b.strength) {
            best = Some(phone);
        }
    }
    best
}

/// Whether `text` (digits normalised) holds seven digits with at most one separator between
/// two of them: the least a number needs to be a phone (see [`classify_number`]). Most running
/// text with digits ("rice 25kg;cash 50000 MMK") has none, and is ruled out in one pass
/// before the number-by-number search.
fn has_digit_run(text: &str) -> bool {
    if text.is_ascii() {
        digit_run_in(text.bytes().map(char::from))
    } else {
        digit_run_in(text.chars())
    }
}

/// [`has_digit_run`] over the characters of a text.
fn digit_run_in(chars: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut after_separator = false;
    for c in chars {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 7 {
                return true;
            }
            after_separator = false;
        } else if is_separator(c) && !after_separator {
            after_separator = true;
        } else {
            digits = 0;
            after_separator = false;
        }
    }
    false
}

/// Words that announce a phone number in running text, so that a weak form after them counts.
const CONTEXT_WORDS: &[&str] = &[
    "phone",
    "tel",
    "mobile",
    "call",
    "contact",
    "ph:",
    "ph.",
    "viber",
    "whatsapp",
    "signal",
    "ဖုန်း",
];

/// Calls `found` for each phone number in running text. Strong and medium forms count alone;
/// a weak form only right after a word like "phone" or "call".
pub(crate) fn find_in_text(text: &str, mut found: impl FnMut(Phone)) {
    if count_digits(text) < 7 {
        return;
    }
    let text = normalise_digits(text);
    if !has_digit_run(&text) {
        return;
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let begins = c.is_ascii_digit()
            || (c == '+' && chars.get(i + 1).is_some_and(|n| n.1.is_ascii_digit()));
        let after_boundary = i == 0 || {
            let p = chars[i - 1].1;
            !(p.is_ascii_alphanumeric() || p == '+' || p == '/' || p == '.' || p == '-' || p == '_')
        };
        if !(begins && after_boundary) {
            i += 1;
            continue;
        }
        // Take digits with single separators between them, at most 24 characters.
        let mut j = i + 1;
        let mut end = i + 1;
        let mut last_was_sep = false;
        while j < chars.len() && j - i < 24 {
            let c = chars[j].1;
            if c.is_ascii_digit() {
                end = j + 1;
                last_was_sep = false;
            } else if is_separator(c) && !last_was_sep {
                last_was_sep = true;
            } else {
                break;
            }
            j += 1;
        }
        let next = chars.get(end).map(|&(_, c)| c);
        let run_end = chars.get(end).map_or(text.len(), |&(at, _)| at);
        let run = &text[start..run_end];
        let clean_end = !next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '/');
        if clean_end && let Some(phone) = classify_number(run) {
            let accept = match phone.strength {
                Strength::Strong => true,
                Strength::Medium => phone.national().len() == 11 || run.contains(['+', ' ', '-']),
                Strength::Weak => {
                    let before = &text[..start];
                    let window: String = before
                        .chars()
                        .rev()
                        .take(24)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    let window = window.to_lowercase();
                    CONTEXT_WORDS.iter().any(|w| window.contains(w))
                }
            };
            if accept {
                found(phone);
            }
        }
        i = end.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strength(cell: &str) -> Option<Strength> {
        classify_cell(cell).map(|p| p.strength)
    }

    fn in_text(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find_in_text(text, |p| out.push(p.national().to_string()));
        out
    }

    #[test]
    fn myanmar_mobile_numbers_in_every_usual_form() {
        assert_eq!(strength("+95 9 553 767 242"), Some(Strength::Strong));
        assert_eq!(strength("+959553767242"), Some(Strength::Strong));
        assert_eq!(strength("0095 9 553767242"), Some(Strength::Strong));
        assert_eq!(strength("097-647-525-53"), Some(Strength::Strong));
        assert_eq!(strength("09 254 235 116"), Some(Strength::Strong));
        assert_eq!(strength("09254235116"), Some(Strength::Medium));
        assert_eq!(strength("959746514444"), Some(Strength::Medium));
        assert_eq!(strength("09 5123456"), Some(Strength::Weak));
        assert_eq!(strength("9761234567"), Some(Strength::Weak));
        assert_eq!(strength("+95 (0)9 761 234 567"), Some(Strength::Strong));
        assert_eq!(strength("(09) 761 234 567"), Some(Strength::Strong));
        assert_eq!(
            classify_cell("+95 9 553 767 242").unwrap().national(),
            "09553767242"
        );
    }

    #[test]
    fn burmese_digits_are_read() {
        assert_eq!(strength("၀၉၂၅၄၂၃၅၁၁၆"), Some(Strength::Medium));
        assert_eq!(strength("+၉၅ ၉ ၅၅၃ ၇၆၇ ၂၄၂"), Some(Strength::Strong));
        assert_eq!(strength("၉၅၉၇၃၃၈၉၀၈၃၈"), Some(Strength::Medium));
        assert_eq!(strength("၀၉၇-၆၄၇-၅၂၅-၅၃"), Some(Strength::Strong));
        assert_eq!(strength("ဝ၉၂၅၄၂၃၅၁၁၆"), Some(Strength::Medium));
    }

    #[test]
    fn things_that_only_look_like_phones_do_not_count_or_stay_weak() {
        // Amounts: 959000839 is not "95 9000839" (too short for a mobile after the code).
        assert!(strength("959000839") <= Some(Strength::Weak));
        assert_eq!(strength("912500932"), None);
        assert_eq!(strength("1250000617"), None);
        assert!(strength("997300109") <= Some(Strength::Weak));
        // Dates, plan codes, P-codes, ids, coordinates.
        assert_eq!(strength("2026-01-27"), None);
        assert_eq!(strength("09.12.2025"), None);
        assert_eq!(strength("HRP-2026-00"), None);
        assert_eq!(strength("MMR003008029"), None);
        assert_eq!(strength("R000123"), None);
        assert_eq!(strength("21.53581"), None);
        // Too long for a Myanmar mobile, and foreign numbers.
        assert_eq!(strength("0912345678901"), None);
        assert_eq!(strength("+66 81 234 5678"), None);
        // The third digit names an operator: 091… is none.
        assert_eq!(strength("09123456789"), None);
    }

    #[test]
    fn phones_in_running_text() {
        assert_eq!(in_text("call back 09490627879 after 5pm"), ["09490627879"]);
        assert_eq!(in_text("Follow-up contact: 09890457927."), ["09890457927"]);
        assert_eq!(in_text("ဖုန်း ၀၉၄၄၄၅၅၅၆၆၆ ကို"), ["09444555666"]);
        assert_eq!(in_text("ph: 09 5123456"), ["095123456"]);
        assert!(
            in_text("As of this month, 21 000 people remain displaced; 12,500,000 USD.").is_empty()
        );
        assert!(in_text("Requirement 959000839 MMK on 2026-01-27, plan HRP-2026-00").is_empty());
        assert!(in_text("id ABC09490627879").is_empty());
        assert!(in_text("the 5123456 households").is_empty());
        // Numbers split by a separator and a space, or by two separators, are no phone's run.
        assert!(in_text("call 09 4906 - 27879 or 094,906,278").is_empty());
        assert_eq!(in_text("+95 9-490(627)879"), ["09490627879"]);
    }

    #[test]
    fn the_digit_run_check_keeps_every_phone_it_could_hold() {
        assert!(has_digit_run("call 09 490 627 879"));
        assert!(has_digit_run("x1234567"));
        assert!(has_digit_run("+95\u{a0}9-490(627)879"));
        assert!(!has_digit_run("123456"));
        assert!(!has_digit_run("rice 25kg;cash 100000 MMK;blanket 2"));
        assert!(!has_digit_run("123 - 4567"));
        assert!(!has_digit_run("12/34/567"));
        // Whatever the search finds, the check lets through.
        for text in [
            "call back 09490627879 after 5pm",
            "ph: 09 5123456",
            "+95 9 553 767 242 and 0095 9 553767242",
            "097-647-525-53; 09 254 235 116",
            "contact 9761234567",
        ] {
            assert!(!in_text(text).is_empty(), "{text}");
            assert!(has_digit_run(text), "{text}");
        }
    }
}
