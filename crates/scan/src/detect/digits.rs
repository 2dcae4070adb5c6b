//! Digit normalisation: Myanmar (and Shan) digits to ASCII, so that one set of patterns reads
//! `၀၉၇၆၁၈၄၉၅၉၃` and `09761849593` alike.

use std::borrow::Cow;

/// The ASCII value of a decimal digit in ASCII, Myanmar (၀-၉) or Myanmar Shan (႐-႙) script.
pub(crate) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{1040}'..='\u{1049}' => Some((c as u32 - 0x1040) as u8),
        '\u{1090}'..='\u{1099}' => Some((c as u32 - 0x1090) as u8),
        _ => None,
    }
}

/// The letter WA (ဝ), which people type for the digit zero (၀) because the two look the same.
const WA: char = '\u{101D}';

/// `text` with Myanmar digits as ASCII digits. WA counts as zero only beside another digit, so
/// that `၀၉` typed as `ဝ၉` still reads `09` while WA in words stays a letter.
pub(crate) fn normalise_digits(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    if !text
        .chars()
        .any(|c| c == WA || (!c.is_ascii_digit() && digit_value(c).is_some()))
    {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if let Some(d) = digit_value(c) {
            out.push(char::from(b'0' + d));
        } else if c == WA {
            let beside_digit = |j: Option<usize>| {
                j.and_then(|j| chars.get(j))
                    .is_some_and(|&n| digit_value(n).is_some())
            };
            if beside_digit(i.checked_sub(1)) || beside_digit(Some(i + 1)) {
                out.push('0');
            } else {
                out.push(c);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How many decimal digits (any of the scripts above) `text` holds: a cheap filter before the
/// number-shaped detectors run.
pub(crate) fn count_digits(text: &str) -> usize {
    let bytes = text.as_bytes();
    let ascii = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if text.is_ascii() {
        return ascii;
    }
    // In UTF-8 the Myanmar digits are E1 81 80-89 and the Shan ones E1 82 90-99; E1 only ever
    // starts a character, so the bytes are matched without decoding the text.
    let other = bytes
        .windows(3)
        .filter(|w| {
            w[0] == 0xE1
                && ((w[1] == 0x81 && (0x80..=0x89).contains(&w[2]))
                    || (w[1] == 0x82 && (0x90..=0x99).contains(&w[2])))
        })
        .count();
    ascii + other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burmese_and_shan_digits_become_ascii() {
        assert_eq!(normalise_digits("၀၉၇၆၁၈၄၉၅၉၃"), "09761849593");
        assert_eq!(normalise_digits("+၉၅ ၉ ၅၅၃"), "+95 9 553");
        assert_eq!(normalise_digits("႐႑"), "01");
        assert_eq!(count_digits("၀၉-12"), 4);
    }

    #[test]
    fn digits_are_counted_as_the_characters_say() {
        // Every character of the Myanmar blocks and around them, alone and in text.
        let chars: String = ('\u{0FF0}'..='\u{10AF}')
            .chain('\u{AA60}'..='\u{AA7F}')
            .chain(['0', '9', 'a', 'ဝ'])
            .collect();
        for c in chars.chars() {
            let text = format!("x{c}1{c}");
            let plain = text.chars().filter(|&c| digit_value(c).is_some()).count();
            assert_eq!(count_digits(&text), plain, "{c:?}");
        }
        let plain = chars.chars().filter(|&c| digit_value(c).is_some()).count();
        assert_eq!((count_digits(&chars), plain), (22, 22));
    }

    #[test]
    fn wa_is_zero_only_beside_digits() {
        assert_eq!(normalise_digits("ဝ၉၁၂"), "0912");
        assert_eq!(normalise_digits("ဝမ်း"), "ဝမ်း");
        assert!(matches!(normalise_digits("plain"), Cow::Borrowed(_)));
    }
}
