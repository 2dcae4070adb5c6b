//! Confidentiality labels, ordered from least to most sensitive.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A parcel's confidentiality label under the cluster data policy.
///
/// The label travels only inside the sealed parcel: the relay never sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Label {
    /// Aggregates without organisation names, personal data or precise locations.
    Public,
    /// Township-level aggregates that name organisations.
    Restricted,
    /// No personal data, but raw survey rows, fine disaggregation or precise locations.
    Confidential,
    /// Personal data, vulnerable individuals or groups, aid-worker contact lists.
    HighlyConfidential,
}

/// Why a string is not a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// The text names no label.
    #[error(
        "unknown label {0:?}: use one of public, restricted, confidential, highly-confidential"
    )]
    Unknown(String),
}

impl Label {
    /// Every label, least sensitive first.
    pub const ALL: [Label; 4] = [
        Label::Public,
        Label::Restricted,
        Label::Confidential,
        Label::HighlyConfidential,
    ];

    /// The label's name as written in manifests and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Public => "public",
            Label::Restricted => "restricted",
            Label::Confidential => "confidential",
            Label::HighlyConfidential => "highly-confidential",
        }
    }

    /// The matching OCHA data-sensitivity level.
    pub fn ocha_sensitivity(self) -> &'static str {
        match self {
            Label::Public => "low",
            Label::Restricted => "moderate",
            Label::Confidential => "high",
            Label::HighlyConfidential => "severe",
        }
    }

    /// The matching Traffic Light Protocol 2.0 marking.
    pub fn tlp(self) -> &'static str {
        match self {
            Label::Public => "TLP:CLEAR",
            Label::Restricted => "TLP:GREEN",
            Label::Confidential => "TLP:AMBER",
            Label::HighlyConfidential => "TLP:RED",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = LabelError;

    fn from_str(s: &str) -> Result<Self, LabelError> {
        Label::ALL
            .into_iter()
            .find(|label| label.as_str() == s)
            .ok_or_else(|| LabelError::Unknown(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_by_sensitivity() {
        for label in Label::ALL {
            assert_eq!(label.as_str().parse::<Label>().unwrap(), label);
            let json = serde_json::to_string(&label).unwrap();
            assert_eq!(json, format!("\"{label}\""));
        }
        assert!(Label::Public < Label::Restricted);
        assert!(Label::Confidential < Label::HighlyConfidential);
    }

    #[test]
    fn unknown_label_lists_the_choices() {
        let err = "secret".parse::<Label>().unwrap_err().to_string();
        assert!(err.contains("highly-confidential"), "{err}");
        assert!("Public".parse::<Label>().is_err());
    }
}
