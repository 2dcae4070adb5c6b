//! Reading files: what kind a file is (by its first bytes, then its name), and the readers for
//! each kind. All of them feed the same tables and detectors.

pub(crate) mod csv;
pub(crate) mod decode;
mod marks;
pub(crate) mod parts;
pub(crate) mod text;
pub(crate) mod workbook;

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::time::Instant;

use zip::ZipArchive;

use crate::error::ScanError;
use crate::limits::Limits;
use workbook::Kind;

/// The wall-clock budget of one scan.
#[derive(Debug)]
pub(crate) struct Deadline {
    end: Option<Instant>,
    seconds: u64,
}

impl Deadline {
    /// Starts the clock.
    pub(crate) fn new(limits: &Limits) -> Deadline {
        Deadline {
            end: Instant::now().checked_add(limits.max_time),
            seconds: limits.max_time.as_secs(),
        }
    }

    /// Fails once the budget is spent.
    pub(crate) fn check(&self) -> Result<(), ScanError> {
        match self.end {
            Some(end) if Instant::now() > end => Err(ScanError::Timeout(self.seconds)),
            _ => Ok(()),
        }
    }
}

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Delimited text; `prefer_tab` for `.tsv`.
    Csv {
        /// Whether the name says tab-separated.
        prefer_tab: bool,
    },
    /// Running text.
    Text,
    /// A spreadsheet.
    Workbook(Kind),
}

/// The file name's extension, lower case.
pub(crate) fn extension(name: &str) -> String {
    std::path::Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Decides what `input` is from its first bytes (a zip package, a compound file, a PDF) and
/// then from its name. Returns a warning when the name and the content disagree.
pub(crate) fn detect<RS: Read + Seek>(
    name: &str,
    input: &mut RS,
) -> Result<(Format, Option<String>), ScanError> {
    input.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(8);
    input.by_ref().take(8).read_to_end(&mut head)?;
    input.seek(SeekFrom::Start(0))?;
    let ext = extension(name);
    let spreadsheet_name = matches!(
        ext.as_str(),
        "xlsx" | "xlsm" | "xltx" | "xltm" | "xlsb" | "xls" | "xlt" | "ods" | "ots"
    );
    let format = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Format::Workbook(package_kind(input)?)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Workbook(Kind::Xls)
    } else if head.starts_with(b"%PDF") {
        return Err(ScanError::Unsupported("a PDF file".into()));
    } else if spreadsheet_name {
        // Named like a spreadsheet but not one: a CSV saved under the wrong name, or a
        // damaged file. Text is read as CSV; anything else fails on its first binary byte.
        let warning = format!(
            "The file is named .{ext} but is not a spreadsheet; it was read as delimited text."
        );
        return Ok((Format::Csv { prefer_tab: false }, Some(warning)));
    } else if matches!(ext.as_str(), "txt" | "text" | "md" | "log") {
        Format::Text
    } else {
        Format::Csv {
            prefer_tab: matches!(ext.as_str(), "tsv" | "tab"),
        }
    };
    let warning = match (format, spreadsheet_name) {
        (Format::Workbook(_), false) => Some(format!(
            "The file is named {} but is a spreadsheet; it was read as one.",
            if ext.is_empty() {
                "without an extension".to_string()
            } else {
                format!(".{ext}")
            }
        )),
        _ => None,
    };
    Ok((format, warning))
}

/// Which spreadsheet a zip package holds, from its part names.
fn package_kind<RS: Read + Seek>(input: &mut RS) -> Result<Kind, ScanError> {
    let zip = ZipArchive::new(BufReader::new(&mut *input))
        .map_err(|e| ScanError::Workbook(format!("not a readable zip package: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let kind = if names.contains(&"xl/workbook.xml") {
        Kind::Xlsx
    } else if names.contains(&"xl/workbook.bin") {
        Kind::Xlsb
    } else if names.contains(&"content.xml") && names.contains(&"mimetype") {
        Kind::Ods
    } else if names.iter().any(|n| n.starts_with("word/")) {
        return Err(ScanError::Unsupported("a Word document".into()));
    } else if names.iter().any(|n| n.starts_with("ppt/")) {
        return Err(ScanError::Unsupported("a PowerPoint presentation".into()));
    } else {
        return Err(ScanError::Unsupported(
            "a zip archive (not a spreadsheet)".into(),
        ));
    };
    drop(zip);
    input.seek(SeekFrom::Start(0))?;
    Ok(kind)
}
