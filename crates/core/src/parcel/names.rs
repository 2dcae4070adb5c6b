//! File-name rules for files inside a parcel. The same rules apply when sealing (so a sender
//! learns at once that a name will be refused) and when opening (so a hostile parcel cannot
//! write outside the chosen folder, overwrite a sibling, or disguise a file's type).

/// Longest accepted file name, in bytes of UTF-8 (the limit of common file systems).
pub const MAX_NAME_BYTES: usize = 255;

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Checks one file name; on refusal, says why in words a user can act on.
pub(crate) fn check_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!("the name is longer than {MAX_NAME_BYTES} bytes"));
    }
    if name == "." || name == ".." {
        return Err("the name is a directory reference".into());
    }
    if name.contains(['/', '\\']) {
        return Err("the name contains a path separator (/ or \\)".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the name contains control characters".into());
    }
    // Right-to-left overrides and isolates can make `invoice\u{202E}fdp.exe` display as
    // `invoiceexe.pdf`. Zero-width joiners, used in Burmese text, stay allowed.
    if name
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Err("the name contains invisible text-direction characters".into());
    }
    if let Some(c) = name.chars().find(|c| "<>:\"|?*".contains(*c)) {
        return Err(format!(
            "the name contains {c:?}, which Windows does not allow"
        ));
    }
    if name.ends_with(['.', ' ']) || name.starts_with(' ') {
        return Err("the name starts with a space or ends with a space or a dot".into());
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if WINDOWS_RESERVED
        .iter()
        .any(|reserved| stem.eq_ignore_ascii_case(reserved))
    {
        return Err(format!("{stem} is a device name reserved by Windows"));
    }
    Ok(())
}

/// Finds the first name that repeats another, ignoring case: on Windows and macOS `A.csv` and
/// `a.csv` are the same file.
pub(crate) fn find_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .find(|name| !seen.insert(name.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "5W_2026-Q3.xlsx",
            "beneficiaries.csv",
            "ရန်ကုန် စာရင်း.csv",
            ".hidden",
            "a..b",
            "CONTRACT.pdf",
            "con-report.csv",
        ] {
            check_file_name(name).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        for (name, why) in [
            ("", "empty"),
            (".", "directory reference"),
            ("..", "directory reference"),
            ("../etc/passwd", "separator"),
            ("/etc/passwd", "separator"),
            ("..\\boot.ini", "separator"),
            ("C:evil", "Windows does not allow"),
            ("a\nb", "control"),
            ("a\0b", "control"),
            ("bell\u{7}", "control"),
            ("invoice\u{202E}fdp.exe", "text-direction"),
            ("trailing.", "ends with"),
            ("trailing ", "ends with"),
            ("NUL", "reserved"),
            ("com1.txt", "reserved"),
            ("lpt9.tar.gz", "reserved"),
        ] {
            let err = check_file_name(name).unwrap_err();
            assert!(err.contains(why), "{name:?}: {err}");
        }
        assert!(check_file_name(&"a".repeat(256)).is_err());
        assert!(check_file_name(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn duplicates_ignore_case() {
        assert_eq!(find_duplicate(["a.csv", "b.csv"]), None);
        assert_eq!(find_duplicate(["a.csv", "b.csv", "A.CSV"]), Some("A.CSV"));
    }
}
