//! HXL (Humanitarian Exchange Language) hashtags: a row of `#org`, `#adm3+code`, `#geo+lat`…
//! under (or instead of) the header row. The tags say what each column means more reliably
//! than free-text headers, and the tag row itself is not data.

use super::header::Roles;

/// Whether `cell` is an HXL hashtag with attributes: `#org`, `#adm4+code`, `#geo +lat`,
/// `#affected+f+children`.
pub(crate) fn is_tag(cell: &str) -> bool {
    let cell = cell.trim();
    let Some(rest) = cell.strip_prefix('#') else {
        return false;
    };
    let mut parts = rest.split(['+', '-']);
    let tag = parts.next().unwrap_or("").trim();
    let word = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    word(tag) && parts.all(|a| word(a.trim()))
}

/// Whether a row is an HXL hashtag row: most of its non-empty cells are tags.
pub(crate) fn is_tag_row(cells: &[String]) -> bool {
    let non_empty: Vec<&String> = cells.iter().filter(|c| !c.trim().is_empty()).collect();
    let tags = non_empty.iter().filter(|c| is_tag(c)).count();
    !non_empty.is_empty() && tags * 2 > non_empty.len() && (tags >= 2 || non_empty.len() == 1)
}

/// The roles an HXL tag gives its column.
pub(crate) fn roles(cell: &str) -> Roles {
    if !is_tag(cell) {
        return Roles::NONE;
    }
    let lower = cell.trim().to_ascii_lowercase();
    let mut parts = lower[1..].split(['+', '-']).map(str::trim);
    let tag = parts.next().unwrap_or("");
    let attributes: Vec<&str> = parts.collect();
    let has = |a: &str| attributes.contains(&a);
    let mut r = match tag {
        "org" => Roles::ORG,
        "adm1" => Roles::ADM1,
        "adm2" => Roles::ADM2,
        "adm3" => Roles::ADM3,
        "adm4" => Roles::ADM4,
        "adm5" | "loc" => Roles::ADM5,
        "geo" if has("lat") => Roles::LAT,
        "geo" if has("lon") || has("long") => Roles::LON,
        "geo" => Roles::COORDS,
        "contact" if has("phone") => Roles::PHONE,
        "contact" if has("email") => Roles::EMAIL,
        "contact" if has("name") => Roles::STAFF | Roles::NAME,
        "contact" => Roles::CONTACT,
        "beneficiary" if has("name") => Roles::BENEFICIARY | Roles::NAME,
        "beneficiary" => Roles::BENEFICIARY,
        "affected" | "inneed" | "targeted" | "reached" | "population" | "capacity" | "output" => {
            Roles::COUNT
        }
        "value" => Roles::AMOUNT,
        "date" => Roles::DATE,
        "description" => Roles::REMARKS,
        _ => Roles::NONE,
    };
    if has("code") {
        r |= Roles::CODE;
    }
    if has("phone") && tag != "contact" {
        r |= Roles::PHONE;
    }
    if has("email") && tag != "contact" {
        r |= Roles::EMAIL;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_tag_rows() {
        assert!(is_tag("#org+impl"));
        assert!(is_tag("#geo +lat"));
        assert!(is_tag("#affected+f+children"));
        assert!(!is_tag("# of people"));
        assert!(!is_tag("#1"));
        assert!(!is_tag("Org"));
        let row: Vec<String> = ["#org", "#sector", "#adm3+code", "#adm4+code"]
            .map(String::from)
            .to_vec();
        assert!(is_tag_row(&row));
        let data: Vec<String> = ["Mercy Link", "Health", "MMR001023", "#1"]
            .map(String::from)
            .to_vec();
        assert!(!is_tag_row(&data));
    }

    #[test]
    fn tags_give_roles() {
        assert!(roles("#org+impl").has(Roles::ORG));
        assert!(roles("#adm4+code").has(Roles::ADM4 | Roles::CODE));
        assert!(roles("#geo+lat").has(Roles::LAT));
        assert!(roles("#contact+phone").has(Roles::PHONE));
        assert!(roles("#contact+name").has(Roles::NAME));
        assert!(roles("#beneficiary").has(Roles::BENEFICIARY));
        assert!(roles("#targeted").has(Roles::COUNT));
        assert!(roles("#sector").is_empty());
    }
}
