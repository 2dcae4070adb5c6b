//! Person names. Myanmar names carry no family name but usually an honorific (U, Daw, Ko, Ma,
//! Maung, Saw, Naw, Sai, Nan, Mahn, Khun…; ဦး, ဒေါ်, ကို, မ, မောင်, စော, နော်, စိုင်း…) and are
//! built from a small stock of syllables (Aung, Kyaw, Hla, Myint…). A cell is judged by these;
//! a column by the share of its cells (see `table`), because one "Ma Kway" can be a place.

use super::mask;

/// How sure a value is a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// Name-shaped (an honorific and capitalised words, or Burmese script after an honorific):
    /// counts when most of a column is like it.
    Weak,
    /// An honorific followed by known name syllables (`Daw Hla Hla`), or two to four known
    /// syllables (`Aung Kyaw Soe`).
    Strong,
}

/// Latin-script honorifics and the prefixes of the ethnic naming systems (Karen Saw/Naw,
/// Shan Sai/Nang, Mon Mi/Nai, Kayin Mahn…), and `Mg`, the usual abbreviation of Maung.
const LATIN_HONORIFICS: &[&str] = &[
    "U", "Daw", "Ko", "Ma", "Maung", "Mg", "Saw", "Naw", "Sai", "Nan", "Nang", "Nant", "Mahn",
    "Khun", "Sao", "Mi", "Nai", "Hkun", "Dr",
];

/// Honorifics that are also ordinary English words or abbreviations: in running text they
/// need a known name syllable after them.
const AMBIGUOUS_HONORIFICS: &[&str] = &["U", "Ko", "Ma", "Saw", "Sai", "Nan", "Mi", "Nai", "Dr"];

/// Burmese-script honorifics (ဦး U, ဒေါ် Daw, ကို Ko, မ Ma, မောင် Maung, စော Saw, နော် Naw,
/// စိုင်း Sai, နန်း Nang, ခွန် Khun, မန်း Mahn, ဒေါက်တာ Dr), longest first so that မောင်
/// is not read as မ.
const BURMESE_HONORIFICS: &[&str] = &[
    "ဒေါက်တာ",
    "စိုင်း",
    "မောင်",
    "ဒေါ်",
    "နော်",
    "နန်း",
    "ခွန်",
    "မန်း",
    "ကို",
    "စော",
    "ဦး",
    "မ",
];

/// Common syllables of Myanmar given names (Bamar, Karen, Kachin, Shan, Chin, Mon), as they are
/// usually romanised. A gazetteer of name parts, not of people.
const NAME_SYLLABLES: &[&str] = &[
    "aung", "aye", "bawk", "blu", "brang", "chit", "cho", "doh", "eh", "ei", "gam", "gay", "hein",
    "hkawng", "hla", "hlaing", "hnin", "hpone", "hser", "hsu", "htar", "htay", "htein", "htet",
    "htike", "htoo", "htun", "htwe", "ja", "kaung", "kaw", "khaing", "khant", "khin", "khine",
    "kyaing", "kyaw", "kyawt", "kyi", "lah", "lar", "lay", "ler", "lin", "linn", "lu", "lwin",
    "mar", "maung", "may", "min", "moe", "mon", "moo", "mu", "mya", "myat", "myint", "myo",
    "naing", "nandar", "naung", "nay", "ni", "nilar", "noe", "nu", "nway", "nwe", "nyein", "nyi",
    "nyo", "nyunt", "oak", "ohn", "oo", "paing", "paw", "phoo", "phyo", "phyu", "pwint", "pyae",
    "pyi", "roi", "sabai", "san", "sandar", "sandi", "say", "sein", "seng", "shein", "shwe",
    "sithu", "soe", "sone", "su", "swe", "tha", "than", "thandar", "thant", "thaung", "thazin",
    "thein", "thet", "thi", "thida", "thiri", "thu", "thura", "thuzar", "thwe", "tin", "tu", "tun",
    "wah", "wai", "way", "win", "wint", "wutyi", "yadanar", "yamin", "ye", "yee", "yi", "yin",
    "yu", "zar", "zau", "zaw", "zeyar", "zin", "zon",
];

/// The longest entry of [`NAME_SYLLABLES`], in bytes.
const LONGEST_SYLLABLE: usize = 8;

fn is_name_syllable(word: &str) -> bool {
    // Lower-cased and packed into a number on the stack: this runs for every word of every
    // name-like cell, and comparing numbers is cheaper than comparing strings.
    let bytes = word.as_bytes();
    if bytes.is_empty() || bytes.len() > LONGEST_SYLLABLE {
        return false;
    }
    let mut lower = [0u8; LONGEST_SYLLABLE];
    for (l, b) in lower.iter_mut().zip(bytes) {
        *l = b.to_ascii_lowercase();
    }
    PACKED_SYLLABLES
        .binary_search(&u64::from_be_bytes(lower))
        .is_ok()
}

/// [`NAME_SYLLABLES`], each packed into a number: its bytes big-endian, zero-padded, so that
/// the numbers sort as the words do (the list is sorted, which a test checks).
const PACKED_SYLLABLES: [u64; NAME_SYLLABLES.len()] = {
    let mut packed = [0u64; NAME_SYLLABLES.len()];
    let mut i = 0;
    while i < NAME_SYLLABLES.len() {
        let word = NAME_SYLLABLES[i].as_bytes();
        assert!(word.len() <= LONGEST_SYLLABLE);
        let mut bytes = [0u8; LONGEST_SYLLABLE];
        let mut j = 0;
        while j < word.len() {
            bytes[j] = word[j];
            j += 1;
        }
        packed[i] = u64::from_be_bytes(bytes);
        i += 1;
    }
    packed
};

/// A capitalised Latin word: `Hla`, `HLA`, `Htet-Aung`.
fn is_capitalised_word(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && word.len() <= 16
        && chars.all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'')
}

/// The longest entry of [`LATIN_HONORIFICS`], in bytes.
const LONGEST_HONORIFIC: usize = 5;

fn is_honorific(word: &str) -> Option<&'static str> {
    let word = word.trim_end_matches('.');
    // Every honorific is a short word starting with a capital: most words are ruled out here.
    if word.len() > LONGEST_HONORIFIC || !word.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    LATIN_HONORIFICS
        .iter()
        .find(|h| {
            **h == word
                || (word.len() > 1
                    && h.eq_ignore_ascii_case(word)
                    && word.chars().all(|c| c.is_ascii_uppercase()))
        })
        .copied()
}

fn is_consonant(c: char) -> bool {
    ('\u{1000}'..='\u{1021}').contains(&c)
}

/// Asat and virama: a consonant followed by one belongs to the syllable before it.
fn closes_syllable(c: char) -> bool {
    matches!(c, '\u{103A}' | '\u{1039}')
}

/// The Burmese honorific `text` starts with, when what follows starts a new syllable (so that
/// `မင်း` is not read as `မ` + `င်း`, nor `မြို့` as `မ` + …).
fn burmese_honorific(text: &str) -> Option<&'static str> {
    let honorific = BURMESE_HONORIFICS.iter().find(|h| text.starts_with(**h))?;
    let mut rest = text[honorific.len()..].trim_start().chars();
    let first = rest.next()?;
    let second = rest.next();
    (is_consonant(first) && !second.is_some_and(closes_syllable)).then_some(*honorific)
}

fn is_burmese_text(text: &str) -> bool {
    text.chars()
        .all(|c| ('\u{1000}'..='\u{109F}').contains(&c) || c == ' ' || c == '\u{200B}')
}

/// Common syllables of given names in Burmese script (အောင် Aung, ကျော် Kyaw, …), longest
/// first so that the greedy split below takes သန္တာ before သ.
const BURMESE_SYLLABLES: &[&str] = &[
    "ရတနာ",
    "သန္တာ",
    "နန္ဒာ",
    "စန္ဒာ",
    "ဇေယျာ",
    "ယမင်း",
    "သဇင်",
    "ငြိမ်း",
    "ညွန့်",
    "ထွန်း",
    "မြင့်",
    "အောင်",
    "ကျော်",
    "ဖြိုး",
    "ပွင့်",
    "ထိုက်",
    "ကောင်း",
    "ချမ်း",
    "သိန်း",
    "ဟိန်း",
    "ခိုင်",
    "နိုင်",
    "ပိုင်",
    "ပြည့်",
    "မင်း",
    "ဇော်",
    "ခင်",
    "တင်",
    "ဝင်း",
    "မြတ်",
    "ဌေး",
    "ကြည်",
    "နွယ်",
    "ဇင်",
    "ထက်",
    "ချို",
    "မိုး",
    "စိုး",
    "ဆွေ",
    "လွင်",
    "ဖြူ",
    "သန့်",
    "မွန်",
    "ဟန်",
    "ပန်း",
    "ဖူး",
    "ကြူ",
    "သက်",
    "ညို",
    "အေး",
    "လှ",
    "စု",
    "နီ",
    "လာ",
    "သူ",
    "ရီ",
    "သီ",
    "တာ",
    "ဝေ",
    "ယု",
    "မြ",
    "မာ",
    "ဇာ",
    "နု",
    "စံ",
    "ဒါ",
    "အိ",
];

/// Whether a Burmese word splits wholly into two to five name syllables (အောင်ကျော်စိုး).
fn burmese_syllable_name(text: &str) -> bool {
    let mut rest = text.trim();
    let mut count = 0;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let Some(syllable) = BURMESE_SYLLABLES.iter().find(|s| rest.starts_with(**s)) else {
            return false;
        };
        rest = &rest[syllable.len()..];
        // A following asat or medial would mean the syllable was only a prefix.
        if rest.starts_with(|c: char| ('\u{102B}'..='\u{103E}').contains(&c)) {
            return false;
        }
        count += 1;
    }
    (2..=5).contains(&count)
}

/// Whether a whole cell looks like a person's name, and how surely.
pub(crate) fn classify_cell(cell: &str) -> Option<Strength> {
    let cell = super::trim(cell);
    if cell.is_empty() || cell.len() > 80 {
        return None;
    }
    if cell.is_ascii() {
        // Every word but an honorific must be capitalised, and an honorific is: a cell that
        // does not start with a capital (item lists, remarks) is no name.
        if !cell.as_bytes()[0].is_ascii_uppercase() {
            return None;
        }
        // Two to five words, kept on the stack.
        let mut words = [""; 5];
        let mut count = 0;
        for word in cell.split_whitespace() {
            if count == words.len() {
                return None;
            }
            words[count] = word;
            count += 1;
        }
        if count < 2 {
            return None;
        }
        let words = &words[..count];
        let honorific = is_honorific(words[0]).is_some();
        let rest = if honorific { &words[1..] } else { words };
        if rest.is_empty() || !rest.iter().all(|w| is_capitalised_word(w)) {
            return None;
        }
        let known = rest.iter().filter(|w| is_name_syllable(w)).count();
        return if honorific && known > 0 {
            Some(Strength::Strong)
        } else if honorific {
            Some(Strength::Weak)
        } else if known == rest.len() && rest.len() <= 4 {
            Some(Strength::Strong)
        } else if known * 2 >= rest.len() && rest.len() <= 4 {
            // "Seng Nu Mai": most syllables known; a column of such counts by share.
            Some(Strength::Weak)
        } else {
            None
        };
    }
    // Burmese script: an honorific and a short run of Burmese letters, no digits.
    if !is_burmese_text(cell)
        || cell.chars().count() > 24
        || cell.chars().any(|c| ('\u{1040}'..='\u{1049}').contains(&c))
    {
        return None;
    }
    if burmese_honorific(cell).is_some() || burmese_syllable_name(cell) {
        Some(Strength::Weak)
    } else {
        None
    }
}

/// Calls `found` with each name (masked) in running text: a Latin honorific followed by one to
/// four capitalised words, or ဦး / ဒေါ် at the start of a Burmese word.
pub(crate) fn find_in_text(text: &str, mut found: impl FnMut(String)) {
    // A name starts with a Latin honorific (a capital letter) or a Burmese one (not ASCII):
    // text with neither, most remarks and item lists, has none.
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return;
    }
    let split = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/');
    // ASCII text without a Latin honorific has no name. An honorific starts with a capital
    // letter, so only the words starting with one are looked at, found byte by byte.
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let is_split = |b: u8| split(char::from(b));
        let honorific_at = |at: usize| {
            let end = bytes[at..]
                .iter()
                .position(|&b| is_split(b))
                .map_or(bytes.len(), |n| at + n);
            is_honorific(&text[at..end]).is_some()
        };
        if !(0..bytes.len()).any(|at| {
            bytes[at].is_ascii_uppercase()
                && (at == 0 || is_split(bytes[at - 1]))
                && honorific_at(at)
        }) {
            return;
        }
    }
    let words: Vec<&str> = text.split(split).filter(|w| !w.is_empty()).collect();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        if let Some(honorific) = is_honorific(word) {
            let mut j = i + 1;
            while j < words.len()
                && j - i <= 4
                && is_capitalised_word(words[j].trim_end_matches('.'))
            {
                j += 1;
            }
            let rest = &words[i + 1..j];
            let known = rest
                .iter()
                .any(|w| is_name_syllable(w.trim_end_matches('.')));
            let sure = if AMBIGUOUS_HONORIFICS.contains(&honorific) {
                known
            } else {
                !rest.is_empty()
            };
            if sure {
                found(mask::name(&words[i..j].join(" ")));
                i = j;
                continue;
            }
        } else if !word.is_ascii()
            && ["ဦး", "ဒေါ်", "ဒေါက်တာ", "စိုင်း"]
                .iter()
                .any(|h| word.starts_with(h))
            && burmese_honorific(word).is_some()
            && !BURMESE_NOT_NAMES.iter().any(|w| word.starts_with(w))
        {
            found(mask::name(word));
        }
        i += 1;
    }
}

/// Words that start with ဦး but are not names: ဦးစီး (lead), ဦးဆောင် (lead), ဦးရေ (number of
/// people), ဦးတည် (aim), ဦးစား (priority).
const BURMESE_NOT_NAMES: &[&str] = &["ဦးစီး", "ဦးဆောင်", "ဦးရေ", "ဦးတည်", "ဦးစား", "ဦးနှောက်"];

/// The masked form of a name cell.
pub(crate) fn masked(cell: &str) -> String {
    mask::name(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find_in_text(text, |n| out.push(n));
        out
    }

    #[test]
    fn syllables_are_sorted_for_binary_search() {
        assert!(NAME_SYLLABLES.windows(2).all(|w| w[0] < w[1]));
        assert!(NAME_SYLLABLES.iter().all(|s| s.len() <= LONGEST_SYLLABLE));
        assert!(PACKED_SYLLABLES.windows(2).all(|w| w[0] < w[1]));
        // The quick rejections in `is_honorific` and `find_in_text` rely on these.
        assert!(LATIN_HONORIFICS.iter().all(|h| {
            h.len() <= LONGEST_HONORIFIC && h.starts_with(|c: char| c.is_ascii_uppercase())
        }));
        assert!(is_name_syllable("Thandar") && is_name_syllable("HLA"));
        assert!(!is_name_syllable("Thandarx") && !is_name_syllable(""));
    }

    #[test]
    fn honorific_names_in_cells() {
        assert_eq!(classify_cell("Daw Hla Hla"), Some(Strength::Strong));
        assert_eq!(classify_cell("U Ei Mon"), Some(Strength::Strong));
        assert_eq!(classify_cell("Mg Nilar"), Some(Strength::Strong));
        assert_eq!(classify_cell("Nang Khin Myint"), Some(Strength::Strong));
        assert_eq!(classify_cell("Saw Blu Htoo"), Some(Strength::Strong));
        assert_eq!(classify_cell("Naw Pwe Pwe"), Some(Strength::Weak));
        assert_eq!(classify_cell("Aung Kyaw Soe"), Some(Strength::Strong));
        assert_eq!(classify_cell("ဒေါ်ခင်မြင့်"), Some(Strength::Weak));
        assert_eq!(classify_cell("ဦးအောင်ကျော်"), Some(Strength::Weak));
        assert_eq!(classify_cell("မစုစု"), Some(Strength::Weak));
        assert_eq!(classify_cell("ကိုဇော်မင်း"), Some(Strength::Weak));
        assert_eq!(classify_cell("အောင်ကျော်စိုး"), Some(Strength::Weak));
        assert_eq!(classify_cell("ခင်မြင့်"), Some(Strength::Weak));
        assert_eq!(classify_cell("မင်းပြား"), None, "Minbya, a township");
        assert_eq!(classify_cell("အေး"), None, "one syllable");
    }

    #[test]
    fn places_words_and_sex_values_are_not_names() {
        assert_eq!(classify_cell("မ"), None, "'female' in a sex column");
        assert_eq!(classify_cell("မင်းကင်း"), None);
        assert_eq!(classify_cell("မြို့နယ်"), None);
        assert_eq!(classify_cell("Green Delta NGO"), None);
        assert_eq!(classify_cell("Food Security"), None);
        assert_eq!(classify_cell("Site 12"), None);
        assert_eq!(classify_cell("Kayah"), None);
        assert_eq!(classify_cell("Latrine construction"), None);
        assert_eq!(classify_cell("U"), None);
    }

    #[test]
    fn names_in_running_text() {
        assert_eq!(
            names_in("The team met Ko Tin Tun, the village administrator."),
            ["K•• T•• T••"]
        );
        assert_eq!(names_in("Daw Pwe said so"), ["D•• P••"]);
        assert_eq!(names_in("ဒေါ်နီလာ နှင့် တွေ့ဆုံ"), ["ဒ••"]);
        assert!(names_in("Partners reached 75% of the targeted population.").is_empty());
        assert!(names_in("an MA Thesis and U Nations").is_empty());
        assert!(names_in("လူဦးရေ ဦးစီးဌာန").is_empty());
    }
}
