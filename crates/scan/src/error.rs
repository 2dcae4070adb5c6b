//! Why a file could not be scanned. Each message says what was wrong and what the person can do
//! about it: it is shown as the reason for the fail-closed label.

use thiserror::Error;

/// A file the scanner could not read. The scan still answers (fail closed, `highly-confidential`);
/// this is the reason it gives.
#[derive(Debug, Error)]
pub(crate) enum ScanError {
    /// Opening or reading failed at the operating-system level.
    #[error(
        "the file could not be read ({0}); check that it exists and that you may open it, then scan again"
    )]
    Io(#[from] std::io::Error),
    /// A NUL byte: not text, whatever the extension says.
    #[error(
        "the file contains binary data (a zero byte at byte {offset}), so it is not a text or CSV file; if it is a spreadsheet, give it its real extension (.xlsx, .xls, .ods), otherwise choose the label yourself"
    )]
    Binary {
        /// Byte offset of the first NUL in the decoded text.
        offset: u64,
    },
    /// Bytes that are not UTF-8.
    #[error(
        "the text is not valid UTF-8 (at byte {offset}); it is probably saved in an older encoding; save it as \"CSV UTF-8\" (or UTF-16) and scan again"
    )]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: u64,
    },
    /// A UTF-16 file with an odd byte count or an unpaired surrogate.
    #[error("the UTF-16 text is damaged ({0}); save it again as \"CSV UTF-8\" and scan again")]
    InvalidUtf16(&'static str),
    /// Zero bytes in every other position but no byte-order mark.
    #[error(
        "the file looks like UTF-16 text without a byte-order mark, which cannot be read reliably; save it as \"CSV UTF-8\" and scan again"
    )]
    Utf16WithoutBom,
    /// An encrypted (password-protected) workbook.
    #[error(
        "the workbook is password-protected, so its contents cannot be checked; remove the password (or export the data as CSV) and scan again"
    )]
    Encrypted,
    /// The spreadsheet reader refused the file.
    #[error(
        "the workbook could not be read ({0}); it may be damaged, truncated or not really a spreadsheet; open it in Excel or LibreOffice, save it again (or export it as CSV) and scan again"
    )]
    Workbook(String),
    /// A part of a package that would decompress to more than the scanner allows.
    #[error(
        "the workbook's part {part:?} is too large to check safely ({size} bytes uncompressed, limit {limit}); this is how \"zip bombs\" look; export the data as CSV and scan that"
    )]
    TooLarge {
        /// The part's name in the package.
        part: String,
        /// Its declared uncompressed size.
        size: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// A package with an implausible structure (too many entries, inconsistent counts).
    #[error(
        "the workbook's structure is implausible ({0}); it may be damaged or built to crash readers; open it in Excel or LibreOffice, save it again (or export it as CSV) and scan again"
    )]
    Implausible(String),
    /// A file type the scanner does not read.
    #[error(
        "{0} cannot be checked by the scanner; export the data as CSV or XLSX and scan that, or choose the label yourself"
    )]
    Unsupported(String),
    /// The scan ran out of time.
    #[error(
        "the scan stopped after {0} seconds without finishing; split the file or export a smaller part, and scan again"
    )]
    Timeout(u64),
}
