//! Masking: the report shows what was found without showing it. Examples keep just enough to
//! be recognised by the person who owns the data (a prefix, the last digits, initials) and
//! hide lengths where they could help guess the rest.

/// The masking character.
pub(crate) const DOT: char = '•';

/// A phone number in national form (`09…`): the first two and last four digits, as in
/// `09•••••4567`.
pub(crate) fn phone(national: &str) -> String {
    let digits: Vec<char> = national.chars().collect();
    if digits.len() <= 6 {
        return DOT.to_string().repeat(digits.len().max(3));
    }
    let mut out: String = digits[..2].iter().collect();
    out.extend(std::iter::repeat_n(DOT, digits.len() - 6));
    out.extend(&digits[digits.len() - 4..]);
    out
}

/// A name: each word's first letter and two dots (`Daw Aye Aye` → `D•• A•• A••`), so neither
/// the letters nor the lengths of the rest show.
pub(crate) fn name(text: &str) -> String {
    text.split_whitespace()
        .take(6)
        .map(|word| {
            let first = word.chars().next().unwrap_or(DOT);
            format!("{first}{DOT}{DOT}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An NRC number: the state number and the card type stay, the township code goes and only the
/// last two digits show (`12/LaMaNa(N)123456` → `12/••••••(N)••••56`).
pub(crate) fn nrc(state: &str, kind: &str, number: &str) -> String {
    let tail: String = number
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let hidden = number.chars().count().saturating_sub(2);
    format!(
        "{state}/{}({kind}){}{tail}",
        DOT.to_string().repeat(6),
        DOT.to_string().repeat(hidden)
    )
}

/// An email address: the first character of the mailbox and the top-level domain
/// (`aung@example.org` → `a••@••.org`).
pub(crate) fn email(address: &str) -> String {
    let first = address.chars().next().unwrap_or(DOT);
    let tld = address.rsplit('.').next().unwrap_or("");
    format!("{first}{DOT}{DOT}@{DOT}{DOT}.{tld}")
}

/// An identifier or code: the first two characters (`R00417` → `R0•••`).
pub(crate) fn identifier(text: &str) -> String {
    let head: String = text.trim().chars().take(2).collect();
    format!("{head}{DOT}{DOT}{DOT}")
}

/// A P-code below township level: the township part stays, the rest goes
/// (`MMR003008029` → `MMR003008•••`).
pub(crate) fn pcode(code: &str) -> String {
    let head: String = code.chars().take(9).collect();
    format!("{head}{DOT}{DOT}{DOT}")
}

/// A coordinate pair to one decimal (about 11 km): enough to see it is in Myanmar, not enough
/// to find a house (`21.53581, 95.1388` → `21.5•, 95.1•`).
pub(crate) fn coordinates(lat: f64, lon: f64) -> String {
    format!("{:.1}{DOT}, {:.1}{DOT}", trunc1(lat), trunc1(lon))
}

/// One coordinate to one decimal.
pub(crate) fn coordinate(value: f64) -> String {
    format!("{:.1}{DOT}", trunc1(value))
}

/// Truncates (not rounds) to one decimal, so the mask never rounds up into the next cell.
fn trunc1(value: f64) -> f64 {
    (value * 10.0).trunc() / 10.0
}

/// Up to three distinct masked examples: the first ones offered.
///
/// A large file is read in parts side by side, and each part's examples are put after the
/// part before with [`Examples::follow`]. For that to give the same examples as one pass, a
/// part keeps twice as many as are shown (the part before may already hold some of them) and
/// remembers at which offer each came.
#[derive(Debug, Default, Clone)]
pub(crate) struct Examples {
    /// Distinct examples in the order offered, each with the offer that brought it (from 0).
    kept: Vec<(String, u32)>,
    /// Offers taken so far.
    offers: u32,
}

impl Examples {
    /// How many examples a finding shows.
    pub(crate) const MAX: usize = 3;
    /// How many are kept (see the type's documentation).
    const KEPT: usize = 2 * Self::MAX;
    /// Offers taken at most: a column of two values never fills the examples, so stop trying
    /// after a while rather than mask every cell of a million-row file.
    const OFFERS: u32 = 64;

    /// Adds an example, computing the mask only while there is room for it.
    // Inlined: it is offered every cell of a column and, after the first few, only checks.
    #[inline]
    pub(crate) fn offer(&mut self, masked: impl FnOnce() -> String) {
        if self.kept.len() < Self::KEPT && self.offers < Self::OFFERS {
            self.add(masked());
        }
    }

    fn add(&mut self, value: String) {
        let at = self.offers;
        self.offers += 1;
        if !self.kept.iter().any(|(kept, _)| *kept == value) {
            self.kept.push((value, at));
        }
    }

    /// The examples shown.
    fn shown(&self) -> impl Iterator<Item = &String> {
        self.kept.iter().take(Self::MAX).map(|(value, _)| value)
    }

    /// Adds the other's examples while there is room to show them (several findings' examples
    /// shown as one).
    pub(crate) fn merge(&mut self, other: &Examples) {
        for example in other.shown() {
            if self.kept.len() < Self::MAX && !self.kept.iter().any(|(kept, _)| kept == example) {
                self.kept.push((example.clone(), self.offers));
            }
        }
    }

    /// Takes the offers made to `later` (the same finding in the next part of the file) as if
    /// they had been made here, after this part's own.
    pub(crate) fn follow(&mut self, later: &Examples) {
        if self.kept.len() >= Self::KEPT {
            return;
        }
        let start = self.offers;
        for (value, at) in &later.kept {
            let offer = start + at;
            if offer >= Self::OFFERS {
                break;
            }
            if !self.kept.iter().any(|(kept, _)| kept == value) {
                self.kept.push((value.clone(), offer));
                if self.kept.len() == Self::KEPT {
                    // Full: one pass would have stopped offering here.
                    self.offers = offer + 1;
                    return;
                }
            }
        }
        self.offers = (start + later.offers).min(Self::OFFERS);
    }

    /// The examples.
    pub(crate) fn into_vec(self) -> Vec<String> {
        self.kept
            .into_iter()
            .take(Self::MAX)
            .map(|(value, _)| value)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(phone("09761234567"), "09•••••4567");
        assert_eq!(name("Daw Aye Aye"), "D•• A•• A••");
        assert_eq!(name("ဒေါ်ခင်မြင့်"), "ဒ••");
        assert_eq!(nrc("12", "N", "123456"), "12/••••••(N)••••56");
        assert_eq!(email("aung@example.org"), "a••@••.org");
        assert_eq!(pcode("MMR003008029"), "MMR003008•••");
        assert_eq!(coordinates(21.53581, 95.1388), "21.5•, 95.1•");
        assert_eq!(identifier("R00417"), "R0•••");
    }

    #[test]
    fn examples_are_bounded_and_distinct() {
        let mut examples = Examples::default();
        for value in ["a", "a", "b", "c", "d"] {
            examples.offer(|| value.to_string());
        }
        assert_eq!(examples.into_vec(), ["a", "b", "c"]);
    }

    /// Offers split at every point between two parts give the examples of one pass.
    #[test]
    fn examples_of_parts_follow_as_one_pass() {
        // Repeats, values the first part already holds, and more offers than are taken.
        let mut offers: Vec<String> = ["a", "b", "a", "a", "c", "b", "d", "e", "f", "g", "h"]
            .iter()
            .map(|v| v.to_string())
            .collect();
        offers.extend((0..70).map(|i| format!("x{}", i % 2)));
        offers.extend(["y", "z"].iter().map(|v| v.to_string()));
        let sequences = [&offers[..], &offers[11..], &offers[..4], &offers[60..]];
        for sequence in sequences {
            let mut whole = Examples::default();
            sequence.iter().for_each(|v| whole.offer(|| v.clone()));
            for split in 0..=sequence.len() {
                let (first, second) = sequence.split_at(split);
                let mut parts = Examples::default();
                first.iter().for_each(|v| parts.offer(|| v.clone()));
                let mut later = Examples::default();
                second.iter().for_each(|v| later.offer(|| v.clone()));
                parts.follow(&later);
                assert_eq!(parts.kept, whole.kept, "split at {split}");
                assert_eq!(parts.offers, whole.offers, "split at {split}");
            }
        }
    }
}
