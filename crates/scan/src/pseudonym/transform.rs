//! What happens to one cell: a keyed pseudonym, a mask, or a P-code cut to a coarser admin
//! level.

use crate::detect::{email, mask, names, nrc, phone, places};

/// What generalising one value to an admin level did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The code was finer than asked: its coarser prefix.
    To(String),
    /// Cut to the state/region although a district was asked: a township (or finer) P-code
    /// does not contain its district.
    ToState(String),
    /// Already at the asked level or coarser.
    Kept,
    /// Not a P-code (left as it is).
    NotPcode,
}

/// Generalises a MIMU P-code to admin `level` (1 state/region, 2 district, 3 township) by
/// keeping its prefix: `MMR003008029` → `MMR003008` (3) or `MMR003` (1).
pub(crate) fn generalise(value: &str, level: u8) -> Cut {
    let code = value.trim();
    let Some(found) = places::level(code) else {
        return Cut::NotPcode;
    };
    if found <= level {
        return Cut::Kept;
    }
    // `MMR` + 3 digits is the state, + 3 more the township; level() checked both are digits.
    match level {
        1 => Cut::To(code[..6].to_string()),
        2 => Cut::ToState(code[..6].to_string()),
        _ => Cut::To(code[..9].to_string()),
    }
}

/// Masks a value with the scanner's masks: a phone number keeps its first two and last four
/// digits, an NRC number its state and card type, an email address its first letter and
/// top-level domain, a precise P-code its township, a name its initials; anything else shows
/// its first two characters (short values nothing).
pub(crate) fn mask_value(value: &str) -> String {
    let value = value.trim();
    if let Some(found) = phone::classify_cell(value) {
        return found.masked();
    }
    if let Some(found) = nrc::is_nrc(value) {
        return found.masked();
    }
    if email::is_email(value) {
        return email::masked(value);
    }
    if places::level(value).is_some_and(|level| level >= 4) {
        return mask::pcode(value);
    }
    if value.split_whitespace().nth(1).is_some() || names::classify_cell(value).is_some() {
        return names::masked(value);
    }
    if value.chars().count() <= 4 {
        return mask::DOT.to_string().repeat(3);
    }
    mask::identifier(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcodes_are_cut_to_the_asked_level() {
        let to = |s: &str| Cut::To(s.to_string());
        // Village tract → township, district, state.
        assert_eq!(generalise("MMR003008029", 3), to("MMR003008"));
        assert_eq!(
            generalise("MMR003008029", 2),
            Cut::ToState("MMR003".to_string())
        );
        assert_eq!(generalise(" MMR003008029 ", 1), to("MMR003"));
        // Ward/town forms.
        assert_eq!(generalise("MMR001001T01", 3), to("MMR001001"));
        // Township → state; district → state.
        assert_eq!(generalise("MMR003008", 1), to("MMR003"));
        assert_eq!(generalise("MMR003D002", 1), to("MMR003"));
        // Coarse enough already.
        assert_eq!(generalise("MMR003008", 3), Cut::Kept);
        assert_eq!(generalise("MMR003D002", 2), Cut::Kept);
        assert_eq!(generalise("MMR003", 1), Cut::Kept);
        // Not P-codes.
        assert_eq!(generalise("125018", 3), Cut::NotPcode);
        assert_eq!(generalise("Kayah", 3), Cut::NotPcode);
    }

    #[test]
    fn masks_hide_values() {
        assert_eq!(mask_value("09761234567"), "09•••••4567");
        assert_eq!(mask_value("12/LaMaNa(N)123456"), "12/••••••(N)••••56");
        assert_eq!(mask_value("Daw Aye Aye"), "D•• A•• A••");
        assert_eq!(mask_value("MMR003008029"), "MMR003008•••");
        assert_eq!(mask_value("R00417"), "R0•••");
        assert_eq!(mask_value("F"), "•••");
    }
}
