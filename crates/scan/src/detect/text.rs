//! Running text: a `.txt` report, a remarks cell, a title row above a table. Every
//! value-shaped detector is run over it and the matches are tallied, masked.

use super::mask::Examples;
use super::{coords, email, names, nrc, phone, places};

/// A count of matches with a few masked examples.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    /// Matches.
    pub(crate) count: u64,
    /// Up to three, masked.
    pub(crate) examples: Examples,
}

impl Tally {
    /// Counts one match; `masked` is only computed while examples are wanted.
    pub(crate) fn add(&mut self, masked: impl FnOnce() -> String) {
        self.count += 1;
        self.examples.offer(masked);
    }

    /// Adds another tally's counts and examples.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.count += other.count;
        self.examples.merge(&other.examples);
    }

    /// Takes the matches of `later`, the same tally over the next part of a file.
    pub(crate) fn follow(&mut self, later: &Tally) {
        self.count += later.count;
        self.examples.follow(&later.examples);
    }
}

/// What was found in running text.
#[derive(Debug, Default, Clone)]
pub(crate) struct FreeText {
    /// Phone numbers.
    pub(crate) phones: Tally,
    /// NRC numbers.
    pub(crate) nrc: Tally,
    /// Person names.
    pub(crate) names: Tally,
    /// Email addresses.
    pub(crate) emails: Tally,
    /// Coordinate pairs.
    pub(crate) coords: Tally,
    /// P-codes at admin level 4 or below.
    pub(crate) admin4: Tally,
    /// P-codes at township level or above.
    pub(crate) upper_pcodes: u64,
    /// Characters scanned.
    pub(crate) chars: u64,
}

impl FreeText {
    /// Scans one piece of text (a line, a cell).
    pub(crate) fn scan(&mut self, text: &str) {
        self.chars += text.len() as u64;
        phone::find_in_text(text, |p| self.phones.add(|| p.masked()));
        nrc::find(text, |n| self.nrc.add(|| n.masked()));
        names::find_in_text(text, |n| self.names.add(|| n));
        email::find_in_text(text, |e| self.emails.add(|| e));
        coords::find_in_text(text, |c| self.coords.add(|| c));
        places::find_in_text(text, |level, code| {
            if level >= 4 {
                self.admin4.add(|| super::mask::pcode(code));
            } else {
                self.upper_pcodes += 1;
            }
        });
    }

    /// Takes what was found in `later`, the text that came next.
    pub(crate) fn follow(&mut self, later: &FreeText) {
        self.phones.follow(&later.phones);
        self.nrc.follow(&later.nrc);
        self.names.follow(&later.names);
        self.emails.follow(&later.emails);
        self.coords.follow(&later.coords);
        self.admin4.follow(&later.admin4);
        self.upper_pcodes += later.upper_pcodes;
        self.chars += later.chars;
    }

    /// Whether anything sensitive was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.phones.count
            + self.nrc.count
            + self.names.count
            + self.emails.count
            + self.coords.count
            + self.admin4.count
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_report_line() {
        let mut text = FreeText::default();
        text.scan("The team met Ko Tin Tun, the village administrator, who reported that 40 households lack safe water. Follow-up contact: 09890457927.");
        assert_eq!(text.phones.count, 1);
        assert_eq!(text.names.count, 1);
        assert_eq!(text.phones.examples.clone().into_vec(), ["09•••••7927"]);
    }

    #[test]
    fn a_situation_update_has_nothing() {
        let mut text = FreeText::default();
        text.scan("Situation update, Kachin (MMR001).");
        text.scan("As of this month, 21 000 people remain displaced in 10 townships. Partners reached 75% of the targeted population with food assistance. The funding requirement is 12,500,000 USD.");
        assert!(text.is_empty(), "{text:?}");
        assert_eq!(text.upper_pcodes, 1);
    }
}
