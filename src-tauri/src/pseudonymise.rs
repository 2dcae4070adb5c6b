//! The send flow's optional pseudonymise step: a plan suggested from the scan, a pseudonymised
//! copy made in Sealpost's own folder and scanned again (its new suggested label), and the
//! cluster's pseudonymisation key. Each delegates to `sealpost-scan`, as `sealpost pseudonymize`
//! does.

use std::path::{Path, PathBuf};

use sealpost_scan::{Plan, PseudonymKey, PseudonymReport, scan_file, suggest_plan};
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use ts_rs::TS;

use crate::AppError;
use crate::commands::blocking;
use crate::desk::Desk;

/// Which columns of a table to change, and how: what the screen shows and lets the user edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PseudonymPlan {
    /// Columns whose values become keyed pseudonyms (`PSN-…`): the same value gets the same
    /// pseudonym in every file of the cluster.
    pub pseudonymise: Vec<String>,
    /// Columns left out of the copy.
    pub drop: Vec<String>,
    /// Columns whose values are masked (`09•••••4567`).
    pub mask: Vec<String>,
    /// Cut P-codes to this admin level (1 state/region, 2 district, 3 township).
    pub admin_level: Option<u8>,
    /// Columns whose combination is checked for k-anonymity (k = 3).
    pub quasi_identifiers: Vec<String>,
}

impl From<Plan> for PseudonymPlan {
    fn from(plan: Plan) -> Self {
        Self {
            pseudonymise: plan.pseudonymise,
            drop: plan.drop,
            mask: plan.mask,
            admin_level: plan.admin_level,
            quasi_identifiers: plan.quasi_identifiers,
        }
    }
}

/// A pseudonymised copy, ready to be sent instead of the original.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PseudonymisedCopy {
    /// Where the copy is (in Sealpost's own `pseudonymised` folder).
    pub path: String,
    /// What was done per column, warnings (k-anonymity), and the copy's scan with its new
    /// suggested label.
    pub report: PseudonymReport,
}

/// The plan the scan's findings suggest for `path` (names and phones pseudonymised, NRC
/// numbers masked, GPS dropped, village P-codes cut to township); `null` when there is nothing
/// to change, the file could not be scanned, or it has several sheets.
#[tauri::command]
pub async fn suggest_pseudonymisation(
    app: AppHandle,
    path: String,
) -> Result<Option<PseudonymPlan>, AppError> {
    blocking(app, move |_, _| {
        Ok(suggest_plan(&scan_file(Path::new(&path))).map(PseudonymPlan::from))
    })
    .await
}

/// Makes a pseudonymised copy of `path` under the cluster's key (`pseudonym.key` in the data
/// directory), in Sealpost's own folder, and scans it. A copy made earlier from the same file
/// is replaced.
#[tauri::command]
pub async fn pseudonymise_file(
    app: AppHandle,
    path: String,
    plan: PseudonymPlan,
) -> Result<PseudonymisedCopy, AppError> {
    blocking(app, move |desk, _| {
        let input = PathBuf::from(&path);
        let key = PseudonymKey::read_file(&key_path(desk)?)?;
        let folder = desk.home()?.dir().join("pseudonymised");
        std::fs::create_dir_all(&folder)
            .map_err(|e| AppError::new("io", format!("cannot create {}: {e}", folder.display())))?;
        let output = folder.join(copy_name(&input));
        let plan = Plan {
            pseudonymise: plan.pseudonymise,
            drop: plan.drop,
            mask: plan.mask,
            admin_level: plan.admin_level,
            pcode_columns: Vec::new(),
            quasi_identifiers: plan.quasi_identifiers,
            overwrite: true,
        };
        let report = sealpost_scan::pseudonymize(&input, &output, &plan, &key)?;
        Ok(PseudonymisedCopy {
            path: output.display().to_string(),
            report,
        })
    })
    .await
}

/// Whether this computer holds the cluster's pseudonymisation key.
#[tauri::command]
pub async fn has_pseudonym_key(app: AppHandle) -> Result<bool, AppError> {
    blocking(app, |desk, _| Ok(key_path(desk)?.is_file())).await
}

/// Keeps the cluster's pseudonymisation key (a file the coordinator or an IMO sent through
/// Sealpost) as this computer's `pseudonym.key`, after checking it is one.
#[tauri::command]
pub async fn import_pseudonym_key(app: AppHandle, path: String) -> Result<(), AppError> {
    blocking(app, move |desk, _| {
        let source = Path::new(&path);
        PseudonymKey::read_file(source)?;
        let bytes = std::fs::read(source)
            .map_err(|e| AppError::new("io", format!("cannot read {path}: {e}")))?;
        let target = key_path(desk)?;
        sealpost_core::write_new_file(&target, &bytes).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => AppError::new(
                "pseudonym-key-exists",
                "this computer already holds a pseudonymisation key; pseudonyms only match \
                 across the cluster under one key, so it is kept",
            ),
            _ => AppError::new("io", format!("cannot write {}: {e}", target.display())),
        })
    })
    .await
}

/// The native dialog to choose the key file to import; `null` when the user cancels.
#[tauri::command]
pub async fn pick_key_file(app: AppHandle) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(app, |_, app| {
        Ok(app
            .dialog()
            .file()
            .set_title("Choose the cluster's pseudonymisation key")
            .blocking_pick_file()
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}

fn key_path(desk: &Desk) -> Result<PathBuf, AppError> {
    Ok(desk.home()?.dir().join(sealpost_scan::DEFAULT_KEY_FILE))
}

/// `beneficiaries.csv` → `beneficiaries-pseudonymised.csv`; workbooks become XLSX.
fn copy_name(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map_or_else(|| "copy".into(), |s| s.to_string_lossy().into_owned());
    let extension = input
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let extension = match extension.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => "xlsx",
        "tsv" | "tab" => "tsv",
        "csv" => "csv",
        _ => "csv",
    };
    format!("{stem}-pseudonymised.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_their_name_and_a_format_the_pseudonymiser_writes() {
        assert_eq!(
            copy_name(Path::new("/x/Kyaukme list.csv")),
            "Kyaukme list-pseudonymised.csv"
        );
        assert_eq!(copy_name(Path::new("/x/3W.XLS")), "3W-pseudonymised.xlsx");
        assert_eq!(copy_name(Path::new("/x/a.tsv")), "a-pseudonymised.tsv");
        assert_eq!(
            copy_name(Path::new("/x/notes.txt")),
            "notes-pseudonymised.csv"
        );
    }
}
