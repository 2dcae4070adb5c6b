//! Why a pseudonymised copy could not be made. Each message says what was wrong and what to do.

use std::path::PathBuf;

use thiserror::Error;

/// Why [`pseudonymize`](crate::pseudonymize) or a key operation failed. Nothing is left behind
/// when it does: no output file, no half-written key.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PseudonymError {
    /// No key file where one was expected.
    #[error(
        "no pseudonymisation key at {}: ask your cluster coordinator for the cluster's key file and give it with --key-file FILE (or put it at that path); a coordinator creates the cluster's key once with `sealpost pseudonymize --new-key FILE`",
        path.display()
    )]
    KeyMissing {
        /// Where the key was looked for.
        path: PathBuf,
    },
    /// A key file that is not one (wrong first word, bad base64, wrong length).
    #[error(
        "{} is not a usable pseudonymisation key: {problem}; ask your cluster coordinator for the key file again (it is one line starting with `sealpost-pseudonym-key-1`)",
        path.display()
    )]
    KeyInvalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// `--new-key` on a path that already exists.
    #[error(
        "{} already exists; a key is never overwritten (pseudonyms made with it would no longer match): choose another file name, or remove the old key yourself if you are sure",
        path.display()
    )]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The operating system gave no random bytes for a new key.
    #[error("could not get random bytes for a new key ({0}); try again")]
    Random(String),
    /// A column named in the plan is not a header of the file.
    #[error(
        "no column named \"{column}\" in {file}; its columns are: {} (names are matched ignoring case and surrounding spaces)",
        list(headers)
    )]
    UnknownColumn {
        /// The name given.
        column: String,
        /// The file.
        file: String,
        /// The headers the file has.
        headers: Vec<String>,
    },
    /// The same column given two actions.
    #[error(
        "column \"{column}\" is named in both {first} and {second}; give each column one action"
    )]
    ColumnConflict {
        /// The column.
        column: String,
        /// The first option naming it.
        first: &'static str,
        /// The second option naming it.
        second: &'static str,
    },
    /// A plan that changes nothing.
    #[error(
        "nothing to do: name the columns to pseudonymise (--columns), drop (--drop) or mask (--mask), or give --admin-level N to generalise P-codes"
    )]
    NothingToDo,
    /// An admin level other than 1, 2 or 3.
    #[error(
        "--admin-level {0} is not possible: use 1 (state/region), 2 (district) or 3 (township)"
    )]
    AdminLevel(u8),
    /// OUT is FILE.
    #[error(
        "the output {} is the input file; give another file name with -o (the original is never overwritten)",
        path.display()
    )]
    SameFile {
        /// The path given for both.
        path: PathBuf,
    },
    /// OUT exists and `--force` was not given.
    #[error(
        "{} already exists; choose another output name, or give --force to replace it",
        path.display()
    )]
    OutputExists {
        /// The existing output.
        path: PathBuf,
    },
    /// A workbook's copy is an XLSX file and OUT is not named so.
    #[error(
        "the pseudonymised copy of a workbook is written as XLSX, so the output must be named .xlsx (not {}): for example -o {}",
        path.display(),
        suggestion.display()
    )]
    OutputNotXlsx {
        /// The output given.
        path: PathBuf,
        /// The same name ending in `.xlsx`.
        suggestion: PathBuf,
    },
    /// The input could not be read as a table.
    #[error("{file} could not be pseudonymised: {reason}")]
    Unreadable {
        /// The input's name.
        file: String,
        /// What was wrong and what to do.
        reason: String,
    },
    /// The input has no header row to choose columns by.
    #[error(
        "{file} has no header row (it is empty); the pseudonymiser chooses columns by the names in the first row"
    )]
    NoHeader {
        /// The input's name.
        file: String,
    },
    /// Reading or writing a file failed at the operating-system level.
    #[error(
        "{} could not be {action} ({source}); check the path and that you may use it (and, for the output, that the disk is not full)",
        path.display()
    )]
    Io {
        /// What was being done: "read", "written", "created", "renamed".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The XLSX writer refused the output.
    #[error(
        "the XLSX copy could not be written ({0}); export the workbook as CSV and pseudonymise that"
    )]
    Xlsx(String),
}

impl PseudonymError {
    /// A stable code for scripts and the CLI's `--json` errors.
    pub fn code(&self) -> &'static str {
        match self {
            PseudonymError::KeyMissing { .. } => "pseudonym-key-missing",
            PseudonymError::KeyInvalid { .. } => "pseudonym-key-invalid",
            PseudonymError::KeyExists { .. } => "pseudonym-key-exists",
            PseudonymError::Random(_) => "random-failed",
            PseudonymError::UnknownColumn { .. } => "unknown-column",
            PseudonymError::ColumnConflict { .. } => "column-conflict",
            PseudonymError::NothingToDo => "nothing-to-do",
            PseudonymError::AdminLevel(_) => "bad-admin-level",
            PseudonymError::SameFile { .. } => "output-is-input",
            PseudonymError::OutputExists { .. } => "output-exists",
            PseudonymError::OutputNotXlsx { .. } => "output-not-xlsx",
            PseudonymError::Unreadable { .. } => "unreadable-input",
            PseudonymError::NoHeader { .. } => "no-header",
            PseudonymError::Io { .. } => "io",
            PseudonymError::Xlsx(_) => "xlsx-write-failed",
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        PseudonymError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `"a", "b", "c"` (the first 40), for messages.
fn list(headers: &[String]) -> String {
    if headers.is_empty() {
        return "(none)".to_string();
    }
    let mut out: Vec<String> = headers
        .iter()
        .take(40)
        .map(|h| format!("\"{}\"", h.trim()))
        .collect();
    if headers.len() > 40 {
        out.push(format!("and {} more", headers.len() - 40));
    }
    out.join(", ")
}
