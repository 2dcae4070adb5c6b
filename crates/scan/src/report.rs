//! What a scan found: per sheet and column, with counts and masked examples, the reasons in
//! plain language, and the label they add up to under the cluster policy.

use sealpost_format::Label;
use serde::Serialize;

/// Why a file is sensitive: one code per kind of finding. The code is stable (scripts and the
/// desktop app branch on it); [`ReasonCode::explain`] says it in plain language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// Names of people (by column header, honorifics, or Burmese name patterns).
    PersonName,
    /// Myanmar phone numbers.
    Phone,
    /// NRC (National Registration Card) numbers.
    Nrc,
    /// Email addresses of people (a column of them, or several in text).
    Email,
    /// A list of people or households who receive assistance.
    BeneficiaryList,
    /// One row per household.
    Household,
    /// People flagged as members of vulnerable groups, one row each.
    VulnerableIndividual,
    /// Contact lists of aid workers.
    AidWorkerContacts,
    /// Raw survey data: one row per respondent.
    RawSurvey,
    /// Data disaggregated below township level.
    BelowTownship,
    /// Locations at admin level 4 or below (village tract, ward, town, village).
    Admin4Location,
    /// GPS coordinates.
    Gps,
    /// Organisations named together with admin-4 locations or coordinates (partner presence).
    PartnerPresenceAdmin4,
    /// Organisations named in township-level aggregates (3W/4W/5W).
    OrgNamesTownship,
    /// Aggregates at national, state or township level only.
    AggregateOnly,
    /// A P-code reference list at township level or above.
    PcodeReference,
    /// The file could not be read, so it is treated as the most sensitive.
    CouldNotScan,
}

/// One kind of finding in one column (or in the sheet as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    /// What was found.
    pub code: ReasonCode,
    /// The column's header (or its letter/number when there is none); `None` for the sheet.
    pub column: Option<String>,
    /// How many cells (or rows) matched.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    /// A few examples, masked so the report itself reveals nothing (`09•••••4567`).
    pub examples: Vec<String>,
}

/// One sheet of a workbook (a CSV or text file is one sheet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetReport {
    /// The sheet's name (the file name for a CSV or text file).
    pub name: String,
    /// Data rows read (header rows not counted).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// The label this sheet alone would get.
    pub label: Label,
    /// What was found in it.
    pub findings: Vec<Finding>,
}

/// A reason for the suggested label, in plain language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reason {
    /// The stable code.
    pub code: ReasonCode,
    /// The label this reason alone calls for.
    pub label: Label,
    /// What it means, for a person.
    pub message: String,
}

/// The result of scanning one file. A scan never fails: a file that cannot be read gets
/// `highly-confidential` with the reason [`ReasonCode::CouldNotScan`] (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScanReport {
    /// The file's name (no directories).
    pub file: String,
    /// The label the policy calls for: the most sensitive sheet's.
    pub suggested_label: Label,
    /// Why, most sensitive first.
    pub reasons: Vec<Reason>,
    /// Per sheet.
    pub sheets: Vec<SheetReport>,
    /// Things the user should know (e.g. text that looks Zawgyi-encoded, not Unicode).
    pub warnings: Vec<String>,
    /// Whether the whole file was read (false: fail-closed label).
    pub scanned: bool,
}

impl ReasonCode {
    /// What the code means, in plain language for a partner deciding how to share a file.
    pub fn explain(self) -> &'static str {
        match self {
            ReasonCode::PersonName => {
                "It contains names of people. Names identify individuals and are personal data."
            }
            ReasonCode::Phone => {
                "It contains phone numbers. A phone number identifies and reaches a person."
            }
            ReasonCode::Nrc => {
                "It contains NRC (National Registration Card) numbers, which identify a person."
            }
            ReasonCode::Email => "It contains email addresses of people.",
            ReasonCode::BeneficiaryList => {
                "It is a list of people or households who receive assistance (a beneficiary list)."
            }
            ReasonCode::Household => {
                "It has one row per household or person, so each row describes an identifiable family or individual."
            }
            ReasonCode::VulnerableIndividual => {
                "It marks individuals as members of vulnerable groups (disability, unaccompanied children, survivors of violence…), which can put them at risk."
            }
            ReasonCode::AidWorkerContacts => {
                "It is a contact list of aid workers (names with phone numbers or emails), which can put staff at risk."
            }
            ReasonCode::RawSurvey => {
                "It is raw survey data with one row per respondent, not an aggregate."
            }
            ReasonCode::BelowTownship => {
                "It gives figures disaggregated below township level (village tract, village or site)."
            }
            ReasonCode::Admin4Location => {
                "It gives precise locations: village tracts, wards, towns or villages (admin level 4 or below)."
            }
            ReasonCode::Gps => "It contains GPS coordinates, which locate places precisely.",
            ReasonCode::PartnerPresenceAdmin4 => {
                "It names organisations together with village-tract-level locations or coordinates, showing where partners work."
            }
            ReasonCode::OrgNamesTownship => {
                "It names organisations in township-level figures (3W/4W/5W), which partners share only with consent."
            }
            ReasonCode::AggregateOnly => {
                "It holds only aggregate figures (national, state or township level) without names of people or organisations and without precise locations."
            }
            ReasonCode::PcodeReference => {
                "It is a reference list of P-codes at township level or above."
            }
            ReasonCode::CouldNotScan => {
                "The file could not be checked, so it is treated as highly confidential until someone decides otherwise."
            }
        }
    }

    /// The label this finding alone calls for under the cluster policy.
    pub fn label(self) -> Label {
        match self {
            ReasonCode::PersonName
            | ReasonCode::Phone
            | ReasonCode::Nrc
            | ReasonCode::Email
            | ReasonCode::BeneficiaryList
            | ReasonCode::Household
            | ReasonCode::VulnerableIndividual
            | ReasonCode::AidWorkerContacts
            | ReasonCode::CouldNotScan => Label::HighlyConfidential,
            ReasonCode::RawSurvey
            | ReasonCode::BelowTownship
            | ReasonCode::Admin4Location
            | ReasonCode::Gps
            | ReasonCode::PartnerPresenceAdmin4 => Label::Confidential,
            ReasonCode::OrgNamesTownship => Label::Restricted,
            ReasonCode::AggregateOnly | ReasonCode::PcodeReference => Label::Public,
        }
    }

    /// The code as written in reports and `labels.csv` (`person_name`, `gps`…).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::PersonName => "person_name",
            ReasonCode::Phone => "phone",
            ReasonCode::Nrc => "nrc",
            ReasonCode::Email => "email",
            ReasonCode::BeneficiaryList => "beneficiary_list",
            ReasonCode::Household => "household",
            ReasonCode::VulnerableIndividual => "vulnerable_individual",
            ReasonCode::AidWorkerContacts => "aid_worker_contacts",
            ReasonCode::RawSurvey => "raw_survey",
            ReasonCode::BelowTownship => "below_township",
            ReasonCode::Admin4Location => "admin4_location",
            ReasonCode::Gps => "gps",
            ReasonCode::PartnerPresenceAdmin4 => "partner_presence_admin4",
            ReasonCode::OrgNamesTownship => "org_names_township",
            ReasonCode::AggregateOnly => "aggregate_only",
            ReasonCode::PcodeReference => "pcode_reference",
            ReasonCode::CouldNotScan => "could_not_scan",
        }
    }

    /// Every code, in declaration order.
    pub const ALL: [ReasonCode; 17] = [
        ReasonCode::PersonName,
        ReasonCode::Phone,
        ReasonCode::Nrc,
        ReasonCode::Email,
        ReasonCode::BeneficiaryList,
        ReasonCode::Household,
        ReasonCode::VulnerableIndividual,
        ReasonCode::AidWorkerContacts,
        ReasonCode::RawSurvey,
        ReasonCode::BelowTownship,
        ReasonCode::Admin4Location,
        ReasonCode::Gps,
        ReasonCode::PartnerPresenceAdmin4,
        ReasonCode::OrgNamesTownship,
        ReasonCode::AggregateOnly,
        ReasonCode::PcodeReference,
        ReasonCode::CouldNotScan,
    ];
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReasonCode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReasonCode::ALL
            .into_iter()
            .find(|code| code.as_str() == text.trim())
            .ok_or_else(|| format!("unknown reason code {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for code in ReasonCode::ALL {
            assert_eq!(code.as_str().parse::<ReasonCode>(), Ok(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(!code.explain().is_empty());
        }
    }

    #[test]
    fn labels_follow_the_policy() {
        assert_eq!(ReasonCode::Phone.label(), Label::HighlyConfidential);
        assert_eq!(ReasonCode::Gps.label(), Label::Confidential);
        assert_eq!(ReasonCode::OrgNamesTownship.label(), Label::Restricted);
        assert_eq!(ReasonCode::PcodeReference.label(), Label::Public);
        assert_eq!(ReasonCode::CouldNotScan.label(), Label::HighlyConfidential);
    }
}
