//! GPS coordinates in Myanmar: latitude roughly 9–29 °N, longitude 92–102 °E, in separate
//! columns (judged with their headers in `table`) or together in text (`21.5358, 95.1388`,
//! KoBo's `21.5358 95.1388 0 0`, `21.5358° N, 95.1388° E`).

use super::mask;

/// Latitudes that fall in or near Myanmar.
pub(crate) const LAT: std::ops::RangeInclusive<f64> = 9.0..=29.0;
/// Longitudes that fall in or near Myanmar.
pub(crate) const LON: std::ops::RangeInclusive<f64> = 92.0..=102.0;

/// A decimal number and how many digits follow its point: `21.53581` → (21.53581, 5).
pub(crate) fn parse_decimal(text: &str) -> Option<(f64, u8)> {
    let text = super::trim(text);
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match memchr::memchr(b'.', unsigned.as_bytes()) {
        Some(dot) => (&unsigned[..dot], &unsigned[dot + 1..]),
        None => (unsigned, ""),
    };
    if int.is_empty() || int.len() > 15 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 20 {
        return None;
    }
    let value = match exact_quotient(int, frac) {
        Some(value) if text.starts_with('-') => -value,
        Some(value) => value,
        None => text.parse().ok()?,
    };
    Some((value, frac.len() as u8))
}

/// Powers of ten that an `f64` holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `int.frac` (ASCII digits) as the nearest `f64`, computed without the general parser when
/// that is exact: with at most 15 digits, the digits as a whole number and the power of ten
/// to divide by are both exact, and one division rounds once, to the nearest, as parsing
/// does. Coordinates (`21.53581`) and whole numbers of up to 15 digits always fit.
pub(crate) fn exact_quotient(int: &str, frac: &str) -> Option<f64> {
    if int.len() + frac.len() > 15 {
        return None;
    }
    let digits = int.bytes().chain(frac.bytes());
    let whole = digits.fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(whole as f64 / EXACT_POWERS_OF_TEN[frac.len()])
}

/// Calls `found` with each latitude/longitude pair (masked) in running text: two decimal
/// numbers with at least three decimals each, in range, separated by at most a few characters
/// of punctuation, degree signs or N/E.
pub(crate) fn find_in_text(text: &str, mut found: impl FnMut(String)) {
    if !text.contains('.') {
        return;
    }
    // Decimal numbers with their byte spans.
    let mut numbers: Vec<(usize, usize, f64, u8)> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'))
        {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if let Some((value, decimals)) = parse_decimal(&text[start..i]) {
                numbers.push((start, i, value, decimals));
            }
        } else {
            i += 1;
        }
    }
    let mut k = 0;
    while k + 1 < numbers.len() {
        let (_, end, lat, lat_decimals) = numbers[k];
        let (start, _, lon, lon_decimals) = numbers[k + 1];
        let gap = &text[end..start];
        let gap_ok = gap.len() <= 8
            && gap.chars().all(|c| {
                matches!(
                    c,
                    ' ' | ',' | ';' | '/' | '°' | 'N' | 'n' | 'E' | 'e' | '\t'
                )
            });
        if gap_ok
            && lat_decimals >= 3
            && lon_decimals >= 3
            && LAT.contains(&lat)
            && LON.contains(&lon)
        {
            found(mask::coordinates(lat, lon));
            k += 2;
        } else {
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find_in_text(text, |p| out.push(p));
        out
    }

    #[test]
    fn decimals_are_read_as_the_general_parser_reads_them() {
        // Seeded, so that a failure can be run again.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.000",
            "1",
            "21.53581",
            "-95.1388",
            "0.1",
            "0.3",
            "9.999999999999",
            "123456789012345",
            "12345678901234.5",
            "0.000000000000001",
            "999999999999999",
            "1234567890123456",
            "0.30000000000000004",
            "100.50",
        ]
        .map(String::from)
        .to_vec();
        for _ in 0..100_000 {
            let int_digits = 1 + next(9) as usize;
            let frac_digits = next(10) as usize;
            let digits = |n: usize, next: &mut dyn FnMut(u64) -> u64| -> String {
                (0..n).map(|_| char::from(b'0' + next(10) as u8)).collect()
            };
            let int = digits(int_digits, &mut next);
            let frac = digits(frac_digits, &mut next);
            let sign = if next(2) == 0 { "-" } else { "" };
            let point = if frac.is_empty() { "" } else { "." };
            texts.push(format!("{sign}{int}{point}{frac}"));
        }
        let mut compared = 0;
        for text in &texts {
            // More than 15 digits before the point is no decimal here.
            let Some((value, _)) = parse_decimal(text) else {
                assert!(
                    text.trim_start_matches('-')
                        .split('.')
                        .next()
                        .unwrap()
                        .len()
                        > 15
                );
                continue;
            };
            let parsed: f64 = text.parse().unwrap();
            assert_eq!(value.to_bits(), parsed.to_bits(), "{text}");
            compared += 1;
        }
        assert!(compared > 100_000);
    }

    #[test]
    fn coordinate_pairs_in_text() {
        assert_eq!(pairs("21.53581,95.1388"), ["21.5•, 95.1•"]);
        assert_eq!(pairs("site at 16.8661 96.1951 0 0"), ["16.8•, 96.1•"]);
        assert_eq!(pairs("21.5358° N, 95.1388° E"), ["21.5•, 95.1•"]);
    }

    #[test]
    fn other_decimal_pairs_are_not_coordinates() {
        assert!(pairs("75.5, 95.1").is_empty());
        assert!(
            pairs("21.5, 95.1").is_empty(),
            "too coarse to locate anything"
        );
        assert!(pairs("12,500,000 USD and 21 000 people").is_empty());
        assert!(
            pairs("13.75, 100.50 Bangkok 13.7563 100.5018").len() == 1,
            "lon 100.5 is in range"
        );
        assert!(pairs("version 1.2.3").is_empty());
    }

    #[test]
    fn decimals_are_counted() {
        assert_eq!(parse_decimal("21.53581"), Some((21.53581, 5)));
        assert_eq!(parse_decimal("96"), Some((96.0, 0)));
        assert_eq!(parse_decimal("1.2.3"), None);
        assert_eq!(parse_decimal("abc"), None);
    }
}
