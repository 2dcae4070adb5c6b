//! Zawgyi: the legacy font encoding of Burmese that reuses Unicode code points in another
//! order. Text typed in Zawgyi shows as garbage in Unicode fonts and defeats the Burmese
//! detectors (honorifics, NRC type words), so the scanner warns about it. The marks used here
//! are sequences that Unicode spelling rules out but Zawgyi typing produces all the time:
//! a vowel sign E (ေ) or medial RA before its consonant, and U+1039 (Zawgyi's asat) closing a
//! syllable instead of stacking a consonant.

/// Counts Burmese words and Zawgyi marks across everything scanned.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ZawgyiCounter {
    /// Words containing Burmese letters.
    pub(crate) burmese_words: u64,
    /// Sequences impossible in Unicode Burmese and typical of Zawgyi.
    pub(crate) marks: u64,
}

fn is_consonant(c: char) -> bool {
    ('\u{1000}'..='\u{1021}').contains(&c)
}

fn is_burmese(c: char) -> bool {
    ('\u{1000}'..='\u{109F}').contains(&c)
}

impl ZawgyiCounter {
    /// The words and marks of `text` alone.
    pub(crate) fn of(text: &str) -> ZawgyiCounter {
        let mut counter = ZawgyiCounter::default();
        counter.observe(text);
        counter
    }

    /// Counts the words and marks in `text`.
    pub(crate) fn observe(&mut self, text: &str) {
        if text.is_ascii() {
            return;
        }
        let mut previous: Option<char> = None;
        let mut in_word = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if is_burmese(c) {
                if !in_word {
                    self.burmese_words += 1;
                    in_word = true;
                }
                let next = chars.peek().copied();
                let after_letter = previous.is_some_and(is_burmese);
                let at_syllable_start = !after_letter
                    || previous.is_some_and(|p| matches!(p, '\u{102B}'..='\u{1039}' | '\u{103A}'));
                match c {
                    // E (ေ, U+1031) or Zawgyi's medial RA (U+103B) typed before a consonant at
                    // the start of a syllable.
                    '\u{1031}' | '\u{103B}'
                        if at_syllable_start && next.is_some_and(is_consonant) =>
                    {
                        self.marks += 1;
                    }
                    // U+1039 is a stacking virama in Unicode and must precede a consonant;
                    // Zawgyi uses it as the asat.
                    '\u{1039}' if !next.is_some_and(is_consonant) => self.marks += 1,
                    // Code points only Zawgyi's Burmese uses for stacked and variant forms.
                    '\u{106A}' | '\u{106B}' | '\u{107E}'..='\u{1084}' | '\u{108F}' => {
                        self.marks += 1;
                    }
                    _ => {}
                }
            } else {
                in_word = false;
            }
            previous = Some(c);
        }
    }

    /// Adds what another counter saw (another sheet, or another part of the file).
    pub(crate) fn add(&mut self, other: &ZawgyiCounter) {
        self.burmese_words += other.burmese_words;
        self.marks += other.marks;
    }

    /// Whether the Burmese text seen looks Zawgyi-encoded.
    pub(crate) fn looks_zawgyi(&self) -> bool {
        self.marks >= 3 && self.marks * 10 >= self.burmese_words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(text: &str) -> ZawgyiCounter {
        let mut counter = ZawgyiCounter::default();
        counter.observe(text);
        counter
    }

    #[test]
    fn unicode_burmese_is_not_zawgyi() {
        let c =
            counter("ဦးအောင်ကျော် ဒေါ်ခင်မြင့် မစုစု မြို့နယ် ကျေးရွာအုပ်စု ဖုန်းနံပါတ် မြန်မာနိုင်ငံ ကလေးသူငယ် ရေပေးဝေရေး");
        assert_eq!(c.marks, 0, "{c:?}");
        assert!(!c.looks_zawgyi());
    }

    #[test]
    fn zawgyi_typing_order_is_noticed() {
        // "မြန်မာ" and "ကျေးရွာ" as typed with a Zawgyi keyboard: ေ and ya-yit before their
        // consonant, U+1039 as the asat.
        let c = counter("ျမန္မာ ေက်းရြာ ေနျပည္ေတာ္ ေရ ေပး");
        assert!(c.looks_zawgyi(), "{c:?}");
    }
}
