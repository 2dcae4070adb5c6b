//! The k-anonymity check: how many rows share each combination of quasi-identifiers (age,
//! sex, township…) as they are in the copy. A row whose combination fewer than `k` rows share
//! may still point to one person even with the names gone.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Groups smaller than this are reported.
pub(crate) const K: u64 = 3;

/// Counts rows per combination. Combinations are kept as 128-bit digests, so memory grows with
/// the number of distinct combinations, never with the length of the values, and no value is
/// kept at all.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    groups: HashMap<[u8; 16], u64>,
}

impl Counter {
    /// Counts one row's combination.
    pub(crate) fn add<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        let mut hash = Sha256::new();
        for value in values {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            hash.update((value.len() as u64).to_le_bytes());
            hash.update(value.as_bytes());
        }
        let digest = hash.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        *self.groups.entry(key).or_insert(0) += 1;
    }

    /// The result over the columns `columns`.
    pub(crate) fn finish(self, columns: Vec<String>) -> KAnonymity {
        let mut result = KAnonymity {
            columns,
            k: K,
            groups: self.groups.len() as u64,
            smallest_group: self.groups.values().copied().min().unwrap_or(0),
            groups_below_k: 0,
            rows_below_k: 0,
        };
        for &size in self.groups.values() {
            if size < K {
                result.groups_below_k += 1;
                result.rows_below_k += size;
            }
        }
        result
    }
}

/// The k-anonymity of one sheet over its quasi-identifiers. Counts only: the values of small
/// groups are never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KAnonymity {
    /// The quasi-identifier columns, as named in the file.
    pub columns: Vec<String>,
    /// The threshold: groups smaller than this are counted below.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub k: u64,
    /// Distinct combinations.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub groups: u64,
    /// Rows in the smallest group (0 for a sheet without data rows).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub smallest_group: u64,
    /// Combinations shared by fewer than `k` rows.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub groups_below_k: u64,
    /// Rows in those combinations.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_below_k: u64,
}

impl KAnonymity {
    /// The warning for groups below `k`, if any.
    pub(crate) fn warning(&self, sheet: Option<&str>) -> Option<String> {
        if self.groups_below_k == 0 {
            return None;
        }
        let columns: Vec<String> = self.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let place = sheet.map_or_else(String::new, |s| format!(" on sheet \"{s}\""));
        Some(format!(
            "k-anonymity below {k}{place}: {rows} row(s) in {groups} group(s) share their combination of {columns} with fewer than {others} other row(s) (smallest group: {smallest}), so they may still identify someone; generalise these columns more (a lower --admin-level, age bands instead of ages) or drop one of them, and check again",
            k = self.k,
            rows = self.rows_below_k,
            groups = self.groups_below_k,
            columns = columns.join(", "),
            others = self.k - 1,
            smallest = self.smallest_group,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(rows: &[[&str; 2]]) -> KAnonymity {
        let mut counter = Counter::default();
        for row in rows {
            counter.add(row.iter().copied());
        }
        counter.finish(vec!["Sex".into(), "Township".into()])
    }

    #[test]
    fn small_groups_are_counted() {
        let result = count(&[
            ["F", "MMR003008"],
            ["F", "MMR003008"],
            ["F", "MMR003008"],
            ["M", "MMR003008"],
            ["M", "MMR003008"],
            ["M", "MMR003009"],
        ]);
        assert_eq!(result.groups, 3);
        assert_eq!(result.smallest_group, 1);
        assert_eq!(result.groups_below_k, 2);
        assert_eq!(result.rows_below_k, 3);
        let warning = result.warning(None).unwrap();
        assert!(warning.contains("3 row(s) in 2 group(s)"), "{warning}");
        assert!(!warning.contains("MMR003009"), "no values: {warning}");
    }

    #[test]
    fn groups_of_three_pass_and_values_do_not_run_together() {
        let result = count(&[["F", "x"], ["F", "x"], ["F", "x"]]);
        assert_eq!((result.groups_below_k, result.smallest_group), (0, 3));
        assert_eq!(result.warning(Some("Sheet1")), None);
        let split = count(&[["ab", "c"], ["a", "bc"]]);
        assert_eq!(split.groups, 2);
    }
}
