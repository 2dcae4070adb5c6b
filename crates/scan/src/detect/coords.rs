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
    let value: f64 = text.parse().ok()?;
    Some((value, frac.len() as u8))
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
