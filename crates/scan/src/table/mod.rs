//! One table (a CSV file, a sheet of a workbook): finds the header row (and an HXL hashtag row),
//! streams the data rows through per-column statistics, and turns them into findings.

mod column;
mod decide;

use crate::detect::header::{self, Roles};
use crate::detect::names::{self, Strength as NameStrength};
use crate::detect::text::FreeText;
use crate::detect::zawgyi::ZawgyiCounter;
use crate::detect::{email, hxl, nrc, phone, places};
use crate::report::SheetReport;
use column::{Column, is_date, parse_number};

/// Rows held back to find the header: titles and notes often come first in spreadsheets.
const WINDOW_ROWS: usize = 12;
/// Bytes held back at most for that (a first row of ten-megabyte cells ends the window early).
const WINDOW_BYTES: usize = 32 << 20;

/// What a finished table gives the report.
#[derive(Debug)]
pub(crate) struct SheetOutcome {
    /// The sheet's part of the report.
    pub(crate) report: SheetReport,
    /// Burmese text seen, for the Zawgyi warning.
    pub(crate) zawgyi: ZawgyiCounter,
}

/// A table being read.
#[derive(Debug)]
pub(crate) struct Table {
    name: String,
    max_columns: usize,
    window: Vec<Vec<String>>,
    window_bytes: usize,
    started: bool,
    columns: Vec<Column>,
    rows: u64,
    preamble: FreeText,
    overflow: FreeText,
    zawgyi: ZawgyiCounter,
}

/// Whether a cell reads like a column label rather than a value.
fn is_label(cell: &str) -> bool {
    let cell = cell.trim();
    !cell.is_empty()
        && cell.len() <= 120
        && parse_number(cell).is_none()
        && phone::classify_cell(cell).is_none()
        && places::level(cell).is_none()
        && !email::is_email(cell)
        && !is_date(cell)
        && nrc::is_nrc(cell).is_none()
        && names::classify_cell(cell) != Some(NameStrength::Strong)
}

fn filled(row: &[String]) -> usize {
    row.iter().filter(|c| !c.trim().is_empty()).count()
}

/// Whether a row reads like a header: mostly labels, and some of them known words when a
/// few cells are not labels (a year "2024" among the headers).
fn is_header(row: &[String]) -> bool {
    let cells: Vec<&String> = row.iter().filter(|c| !c.trim().is_empty()).collect();
    if cells.is_empty() {
        return false;
    }
    let labels = cells.iter().filter(|c| is_label(c)).count();
    let known = cells.iter().any(|c| !header::roles(c).is_empty());
    labels * 10 >= cells.len() * 8 || (labels * 2 >= cells.len() && known)
}

impl Table {
    /// A table called `name` keeping statistics for at most `max_columns` columns.
    pub(crate) fn new(name: &str, max_columns: usize) -> Table {
        Table {
            name: name.to_string(),
            max_columns: max_columns.max(1),
            window: Vec::new(),
            window_bytes: 0,
            started: false,
            columns: Vec::new(),
            rows: 0,
            preamble: FreeText::default(),
            overflow: FreeText::default(),
            zawgyi: ZawgyiCounter::default(),
        }
    }

    /// Reads one row (at most `max_columns` cells; see [`Table::push_extra_cell`]).
    pub(crate) fn push_row(&mut self, cells: Vec<String>) {
        if self.started {
            self.observe(&cells);
            return;
        }
        self.window_bytes += cells.iter().map(String::len).sum::<usize>();
        self.window.push(cells);
        if self.window.len() >= WINDOW_ROWS || self.window_bytes >= WINDOW_BYTES {
            self.start();
        }
    }

    /// Reads a cell right of the last column with statistics: it is searched as running text.
    pub(crate) fn push_extra_cell(&mut self, cell: &str) {
        if !cell.trim().is_empty() {
            self.zawgyi.observe(cell);
            self.overflow.scan(cell);
        }
    }

    /// The most columns this table keeps statistics for.
    pub(crate) fn max_columns(&self) -> usize {
        self.max_columns
    }

    /// Decides on the header from the rows held back, then reads them.
    fn start(&mut self) {
        self.started = true;
        let window = std::mem::take(&mut self.window);
        self.window_bytes = 0;
        if window.is_empty() {
            return;
        }
        let (header_at, tags_at, data_from) =
            if let Some(t) = window.iter().take(6).position(|r| hxl::is_tag_row(r)) {
                let header = (t > 0 && is_header(&window[t - 1])).then(|| t - 1);
                (header, Some(t), t + 1)
            } else {
                // The header is the first row about as wide as the table. "As wide" is measured
                // against the typical (median) row, so that titles above (one cell) are passed
                // over and one freak row (two million columns) does not hide the real header.
                let mut widths: Vec<usize> = window
                    .iter()
                    .map(|r| filled(r))
                    .filter(|&w| w > 0)
                    .collect();
                widths.sort_unstable();
                let typical = widths
                    .get(widths.len().saturating_sub(1) / 2)
                    .copied()
                    .unwrap_or(0);
                let needed = if typical <= 1 {
                    1
                } else {
                    2.max((typical * 6).div_ceil(10))
                };
                let first = window.iter().position(|r| filled(r) >= needed).unwrap_or(0);
                if is_header(&window[first]) {
                    (Some(first), None, first + 1)
                } else {
                    (None, None, first)
                }
            };
        // Titles and notes above the table are running text.
        let preamble_end = header_at.or(tags_at).unwrap_or(data_from);
        for row in &window[..preamble_end] {
            for cell in row {
                self.zawgyi.observe(cell);
                self.preamble.scan(cell);
            }
        }
        let headers: &[String] = header_at.map_or(&[], |h| &window[h]);
        let tags: &[String] = tags_at.map_or(&[], |t| &window[t]);
        let width = headers.len().max(tags.len()).min(self.max_columns);
        for i in 0..width {
            let text = headers.get(i).map_or("", |s| s.trim());
            let tag = tags.get(i).map_or("", |s| s.trim());
            let roles = header::roles(text) | hxl::roles(tag);
            let shown = if text.is_empty() { tag } else { text };
            // Header cells are searched like running text too: a sentence ("contact Daw …")
            // or a first row of values taken for a header ("Ko Paw, Sittwe").
            self.zawgyi.observe(text);
            self.preamble.scan(text);
            self.columns.push(Column::new(i, shown.to_string(), roles));
        }
        for row in &window[data_from.min(window.len())..] {
            self.observe(row);
        }
    }

    fn observe(&mut self, cells: &[String]) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return;
        }
        self.rows += 1;
        for (i, cell) in cells.iter().enumerate().take(self.max_columns) {
            if i >= self.columns.len() {
                self.columns
                    .push(Column::new(i, String::new(), Roles::NONE));
            }
            self.columns[i].observe(cell, &mut self.zawgyi);
        }
        for cell in cells.iter().skip(self.max_columns) {
            self.push_extra_cell(cell);
        }
    }

    /// Ends the table: the sheet's findings and label.
    pub(crate) fn finish(mut self) -> SheetOutcome {
        if !self.started {
            self.start();
        }
        let sheet = decide::Sheet {
            name: &self.name,
            columns: &self.columns,
            rows: self.rows,
            preamble: &self.preamble,
            overflow: &self.overflow,
        };
        let (findings, label) = decide::findings(&sheet);
        SheetOutcome {
            report: SheetReport {
                name: self.name,
                rows: self.rows,
                label,
                findings,
            },
            zawgyi: self.zawgyi,
        }
    }
}

/// A sheet of running text (a `.txt` file): the running-text detectors only.
pub(crate) fn text_sheet(name: &str, text: &FreeText, lines: u64) -> SheetReport {
    let empty = FreeText::default();
    let sheet = decide::Sheet {
        name,
        columns: &[],
        rows: lines,
        preamble: text,
        overflow: &empty,
    };
    let (mut findings, label) = decide::findings(&sheet);
    for finding in &mut findings {
        if finding.column.as_deref() == Some("title and header text") {
            finding.column = None;
        }
    }
    SheetReport {
        name: name.to_string(),
        rows: lines,
        label,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReasonCode;
    use sealpost_format::Label;

    fn table(rows: &[&str]) -> SheetReport {
        let mut t = Table::new("test", 512);
        for row in rows {
            t.push_row(row.split(',').map(String::from).collect());
        }
        t.finish().report
    }

    fn codes(report: &SheetReport) -> Vec<ReasonCode> {
        let mut codes: Vec<ReasonCode> = report.findings.iter().map(|f| f.code).collect();
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn a_beneficiary_list() {
        let r = table(&[
            "Name,Sex,Age,Mobile,Township,Village Tract Pcode,Assistance",
            "Daw Hla Hla,F,34,09761234567,Kayah,MMR003008029,Hygiene kits",
            "U Kyaw Soe,M,52,+95 9 553 767 242,Kayah,MMR003012055,Rice distribution",
            "Ma Su Su,F,23,098-379-151-12,Kayah,MMR003002043,Cash transfer",
        ]);
        assert_eq!(r.label, Label::HighlyConfidential);
        let c = codes(&r);
        for code in [
            ReasonCode::PersonName,
            ReasonCode::Phone,
            ReasonCode::BeneficiaryList,
            ReasonCode::Admin4Location,
        ] {
            assert!(c.contains(&code), "{code:?} in {c:?}");
        }
        assert_eq!(r.rows, 3);
        let phone = r
            .findings
            .iter()
            .find(|f| f.code == ReasonCode::Phone)
            .unwrap();
        assert_eq!(phone.count, 3);
        assert!(phone.examples.iter().all(|e| e.contains('•')));
    }

    #[test]
    fn amounts_and_plan_codes_are_public() {
        let r = table(&[
            "Sector,Requirement (MMK),Funded (MMK),Report date,Plan code",
            "Food Security,959000839,559021927,2026-01-27,HRP-2026-00",
            "WASH,997300109,674538002,2026-06-23,HRP-2024-01",
            "Health,912500932,765227168,2026-04-15,HRP-2026-02",
        ]);
        assert_eq!(r.label, Label::Public, "{r:?}");
        assert_eq!(codes(&r), [ReasonCode::AggregateOnly]);
    }

    #[test]
    fn a_township_3w_is_restricted_and_a_village_tract_5w_confidential() {
        let r = table(&[
            "Organisation,Sector,State,Township,Township Pcode,People reached",
            "Hope Relief,Education,Kayah,Tsp 030,MMR003030,14947",
            "Green Delta NGO,Nutrition,Kayah,Tsp 009,MMR003009,5526",
            "KMSS,Protection,Kayah,Tsp 020,MMR003020,18866",
        ]);
        assert_eq!(r.label, Label::Restricted, "{r:?}");
        let r = table(&[
            "Org,Sector,Township,Village tract",
            "#org,#sector,#adm3+code,#adm4+code",
            "Mercy Link,Health,MMR001023,MMR001023025",
            "KMSS,WASH,MMR001008,MMR001008008",
        ]);
        assert_eq!(r.label, Label::Confidential, "{r:?}");
        assert!(codes(&r).contains(&ReasonCode::PartnerPresenceAdmin4));
        assert_eq!(r.rows, 2, "the HXL row is not data");
    }

    #[test]
    fn a_pcode_list_is_a_public_reference() {
        let r = table(&[
            "SR_Pcode,State_Region,Tsp_Pcode,Township",
            "MMR001,Kachin,MMR001001,Township 1",
            "MMR001,Kachin,MMR001002,Township 2",
        ]);
        assert_eq!(codes(&r), [ReasonCode::PcodeReference]);
    }

    #[test]
    fn a_bare_name_beside_pcodes_is_a_place_unless_it_holds_people() {
        let r = table(&[
            "Pcode,Name,Name_MMR",
            "MMR012001,Sittwe,စစ်တွေ",
            "MMR012004,Pauktaw,ပေါက်တော",
            "MMR012006,Minbya,မင်းပြား",
        ]);
        assert_eq!(r.label, Label::Public, "{r:?}");
        let r = table(&[
            "Name,Township,Township Pcode",
            "Aung Kyaw,Sittwe,MMR012001",
            "Hla Hla,Pauktaw,MMR012004",
            "Su Su,Minbya,MMR012006",
        ]);
        assert_eq!(r.label, Label::HighlyConfidential, "{r:?}");
    }

    #[test]
    fn rows_of_people_with_flags_or_ids_are_highly_confidential() {
        let r = table(&[
            "ind_id,sex,age,disability,unaccompanied_child,village_tract",
            "IND00001,F,29,no,no,MMR017012047",
            "IND00002,M,7,yes,yes,MMR017023035",
            "IND00003,F,58,no,no,MMR017025014",
        ]);
        let c = codes(&r);
        assert!(
            c.contains(&ReasonCode::VulnerableIndividual) && c.contains(&ReasonCode::Household),
            "{c:?}"
        );
        let r = table(&[
            "case_no,sex,age,type_of_disability",
            "C-1,F,29,physical",
            "C-2,M,7,none",
            "C-3,F,58,visual",
        ]);
        let flagged = r
            .findings
            .iter()
            .find(|f| f.code == ReasonCode::VulnerableIndividual);
        assert_eq!(flagged.map(|f| f.count), Some(2), "{r:?}");
    }

    #[test]
    fn a_column_of_distinct_pseudonyms_is_still_one_row_per_person() {
        // What `sealpost pseudonymize` leaves of a beneficiary list: names as pseudonyms,
        // townships, amounts. No PII left, but each row is still a person.
        let key = crate::PseudonymKey::from_bytes([7; 32]);
        let mut rows = vec!["Name,Township Pcode,Amount (MMK)".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "{},MMR012001,{}",
                key.pseudonym(&format!("person {i}")).unwrap(),
                50_000 + i
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let r = table(&refs);
        assert_eq!(codes(&r), [ReasonCode::RawSurvey], "{r:?}");
        assert_eq!(r.label, Label::Confidential);

        // Organisations repeat: their pseudonyms are not one row per person.
        let mut rows = vec!["Organisation,Township Pcode,People reached".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "{},MMR012001,{}",
                key.pseudonym(&format!("org {}", i % 3)).unwrap(),
                100 + i
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        assert!(!codes(&table(&refs)).contains(&ReasonCode::RawSurvey));
    }

    #[test]
    fn surveys_and_aggregates_by_sex_and_age() {
        let mut rows = vec!["respondent_id,township_pcode,age_group,sex,water_source".to_string()];
        for i in 0..30 {
            rows.push(format!(
                "R{i:05},MMR017019,18-29,{},pond",
                if i % 2 == 0 { "F" } else { "M" }
            ));
        }
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        assert_eq!(codes(&table(&refs)), [ReasonCode::RawSurvey]);
        let r = table(&[
            "Township,Township Pcode,Sex,Age group,People in need",
            "Sittwe,MMR012001,F,0-17,1200",
            "Sittwe,MMR012001,M,0-17,1150",
            "Sittwe,MMR012001,F,18-59,2300",
        ]);
        assert_eq!(codes(&r), [ReasonCode::AggregateOnly]);
    }

    #[test]
    fn coordinates_by_header_or_by_precision() {
        let r = table(&[
            "site_name,lat,lon,idp_households",
            "Site 1,21.53,95.13,346",
            "Site 2,19.42,94.71,403",
        ]);
        assert!(codes(&r).contains(&ReasonCode::Gps), "{r:?}");
        let r = table(&[
            "a,b,c",
            "Site 1,21.53581,95.13881",
            "Site 2,19.42891,94.71068",
        ]);
        assert!(codes(&r).contains(&ReasonCode::Gps), "{r:?}");
        let r = table(&[
            "Township,Coverage (%),Score",
            "Sittwe,21.5,95.1",
            "Pauktaw,19.4,94.7",
        ]);
        assert_eq!(
            codes(&r),
            [ReasonCode::AggregateOnly],
            "two decimals without a header are percentages"
        );
    }

    #[test]
    fn a_title_row_is_skipped_but_searched() {
        let r = table(&[
            "Distribution list prepared by Daw Hla Hla,,",
            "Township,Households,People",
            "Hpa-An,120,560",
        ]);
        assert_eq!(r.rows, 1);
        assert!(codes(&r).contains(&ReasonCode::PersonName), "{r:?}");
    }
}
