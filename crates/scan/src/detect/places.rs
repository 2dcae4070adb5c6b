//! MIMU P-codes and what admin level they name: state/region `MMR001`, district `MMR001D001`,
//! township `MMR001001` (sub-township `MMR001S01`), and longer forms for village tracts, wards
//! and towns (`MMR001001001`, `MMR001001T01`, …). Level 4 and below are "precise locations"
//! under the policy. Village codes are bare numbers and are only recognised by their header
//! (see `table`).

/// The admin level a P-code names: 1 state/region, 2 district, 3 township, 4 village tract,
/// ward or town (and anything finer).
pub(crate) fn level(code: &str) -> Option<u8> {
    let code = super::trim(code);
    let bytes = code.as_bytes();
    if bytes.len() < 6 || bytes.len() > 20 || !bytes[..3].eq_ignore_ascii_case(b"MMR") {
        return None;
    }
    let rest = &bytes[3..];
    if !rest.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(&rest[..3]) {
        return None;
    }
    let tail = &rest[3..];
    match tail.len() {
        0 => Some(1),
        _ if tail[0].eq_ignore_ascii_case(&b'D') && digits(&tail[1..]) && tail.len() <= 4 => {
            Some(2)
        }
        _ if tail[0].eq_ignore_ascii_case(&b'S') && digits(&tail[1..]) && tail.len() <= 4 => {
            Some(3)
        }
        3 if digits(tail) => Some(3),
        // Six digits and more, with or without a letter after the township part: village
        // tracts (MMR001001001), wards and towns (MMR001001701, MMR001001T01).
        n if n > 3 && digits(&tail[..3]) && tail[3..].iter().all(u8::is_ascii_alphanumeric) => {
            Some(4)
        }
        _ => None,
    }
}

/// Calls `found(level, code)` for each P-code in running text.
pub(crate) fn find_in_text(text: &str, mut found: impl FnMut(u8, &str)) {
    if !text.contains("MMR") && !text.contains("mmr") {
        return;
    }
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() >= 6
            && word[..3].eq_ignore_ascii_case("MMR")
            && let Some(level) = level(word)
        {
            found(level, word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_of_pcodes() {
        assert_eq!(level("MMR001"), Some(1));
        assert_eq!(level("MMR003D002"), Some(2));
        assert_eq!(level("MMR003008"), Some(3));
        assert_eq!(level("MMR001S01"), Some(3));
        assert_eq!(level("MMR003008029"), Some(4));
        assert_eq!(level("MMR001001T01"), Some(4));
        assert_eq!(level("MMR001001701"), Some(4));
        assert_eq!(level(" mmr017005 "), Some(3));
    }

    #[test]
    fn other_codes_are_not_pcodes() {
        for code in [
            "MMR",
            "MMR01",
            "MMRA01",
            "HRP-2026-00",
            "MMR001-001",
            "THA001001",
            "125018",
        ] {
            assert_eq!(level(code), None, "{code}");
        }
    }

    #[test]
    fn pcodes_in_text() {
        let mut found = Vec::new();
        find_in_text(
            "Situation update, Kachin (MMR001); VT MMR001002003.",
            |l, c| {
                found.push((l, c.to_string()));
            },
        );
        assert_eq!(found, [(1, "MMR001".into()), (4, "MMR001002003".into())]);
    }
}
