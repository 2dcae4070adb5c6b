//! A first pseudonymisation plan read off a scan's findings: what a partner who has just been
//! told "this is highly confidential" can run next to share the data without the identities.

use crate::pseudonym::Plan;
use crate::report::{ReasonCode, ScanReport};

/// Findings attached to parts of a sheet that are not columns (the decision names them so);
/// a plan can only name columns by their header.
const NOT_COLUMNS: [&str; 2] = ["title and header text", "further columns"];

/// The plan that removes what the scan found in a one-sheet table: names, e-mail addresses
/// and phone numbers become pseudonyms (the same person keeps the same pseudonym, so the
/// recipient can still count and join), NRC numbers are masked, GPS columns dropped, village
/// P-codes cut to their township and other admin-4 columns (village names) dropped. `None`
/// when there is nothing to remove, the file could not be scanned, or it has several sheets
/// (their headers differ; choose per sheet). A suggestion, not a guarantee: the copy is
/// scanned again when it is made, and free-text columns are not in it.
pub fn suggest_plan(report: &ScanReport) -> Option<Plan> {
    let [sheet] = report.sheets.as_slice() else {
        return None;
    };
    if !report.scanned {
        return None;
    }
    let mut plan = Plan::default();
    for finding in &sheet.findings {
        let Some(column) = finding.column.as_deref() else {
            continue;
        };
        // Columns without a usable header are reported by position ("column 3").
        if NOT_COLUMNS.contains(&column) || is_position(column) {
            continue;
        }
        let list = match finding.code {
            ReasonCode::PersonName | ReasonCode::Email | ReasonCode::Phone => {
                &mut plan.pseudonymise
            }
            ReasonCode::Nrc => &mut plan.mask,
            ReasonCode::Gps => &mut plan.drop,
            ReasonCode::Admin4Location => {
                // Examples of P-codes are masked below the township (`MMR003008•••`).
                if finding.examples.iter().any(|e| e.starts_with("MMR")) {
                    plan.admin_level = Some(3);
                    &mut plan.pcode_columns
                } else {
                    &mut plan.drop
                }
            }
            _ => continue,
        };
        // A latitude and a longitude column are reported together as "lat / lon".
        let columns: Vec<&str> = match finding.code {
            ReasonCode::Gps => column.split(" / ").collect(),
            _ => vec![column],
        };
        for column in columns {
            if !list.iter().any(|c| c == column) {
                list.push(column.to_owned());
            }
        }
    }
    // One action per column: dropping beats masking beats pseudonymising.
    let dropped = plan.drop.clone();
    plan.mask.retain(|c| !dropped.contains(c));
    plan.pcode_columns.retain(|c| !dropped.contains(c));
    let masked = plan.mask.clone();
    plan.pseudonymise
        .retain(|c| !dropped.contains(c) && !masked.contains(c));
    if plan.pcode_columns.is_empty() {
        plan.admin_level = None;
    }
    let nothing = plan.pseudonymise.is_empty()
        && plan.drop.is_empty()
        && plan.mask.is_empty()
        && plan.admin_level.is_none();
    (!nothing).then_some(plan)
}

/// `column 3`: how the report names a column whose header cannot be shown.
fn is_position(column: &str) -> bool {
    column
        .strip_prefix("column ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan_reader;
    use std::io::Cursor;

    fn plan_for(csv: &str) -> Option<Plan> {
        suggest_plan(&scan_reader(
            "list.csv",
            Cursor::new(csv.as_bytes().to_vec()),
        ))
    }

    #[test]
    fn a_beneficiary_list_gets_pseudonyms_masks_and_townships() {
        let mut csv = String::from("Name,Phone,NRC,Village Tract Pcode,Latitude,Longitude,Kits\n");
        let names = [
            "Daw Aye Aye",
            "U Ba Tun",
            "Ma Hla Hla",
            "Ko Zaw Min",
            "Saw Htoo",
        ];
        for i in 0..40 {
            csv.push_str(&format!(
                "{} {i},09{:09},12/LaMaNa(N){:06},MMR0030080{:02},19.{i:04},97.{i:04},{}\n",
                names[i % 5],
                761_234_000 + i,
                100_000 + i,
                10 + i % 20,
                i % 3
            ));
        }
        let plan = plan_for(&csv).expect("a plan");
        assert_eq!(plan.pseudonymise, ["Name", "Phone"], "{plan:?}");
        assert_eq!(plan.mask, ["NRC"], "{plan:?}");
        assert_eq!(plan.drop, ["Latitude", "Longitude"], "{plan:?}");
        assert_eq!(plan.pcode_columns, ["Village Tract Pcode"], "{plan:?}");
        assert_eq!(plan.admin_level, Some(3));
    }

    #[test]
    fn aggregates_and_unreadable_files_get_no_plan() {
        assert_eq!(
            plan_for(
                "State,Township,Township Pcode,People in need\n\
                 Kayah,Loikaw,MMR003001,1200\nKayah,Demoso,MMR003002,800\n"
            ),
            None
        );
        let binary = suggest_plan(&scan_reader("x.csv", Cursor::new(vec![0u8, 159, 146, 150])));
        assert_eq!(binary, None);
    }

    #[test]
    fn positions_are_not_headers() {
        assert!(is_position("column 3"));
        assert!(!is_position("column"));
        assert!(!is_position("column name"));
    }
}
