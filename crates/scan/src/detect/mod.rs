//! Detectors: each recognises one kind of value (a phone number, an NRC number, a name, a
//! P-code, coordinates, an email address) in a cell or in running text, or what a header
//! means. They judge single values; `table` weighs them over whole columns.

pub(crate) mod coords;
pub(crate) mod digits;
pub(crate) mod email;
pub(crate) mod header;
pub(crate) mod hxl;
pub(crate) mod mask;
pub(crate) mod names;
pub(crate) mod nrc;
pub(crate) mod phone;
pub(crate) mod places;
pub(crate) mod text;
pub(crate) mod zawgyi;

/// `text` without surrounding white space, as [`str::trim`] gives it. Most values have none
/// (cells are trimmed once, then handed from one detector to the next), and checking the two
/// end bytes first skips the character-by-character trim.
pub(crate) fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        (None, _) | (_, None) => text,
        _ => text.trim(),
    }
}
