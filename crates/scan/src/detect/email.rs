//! Email addresses. The mailbox part may be in any script (`မစုစု@example.org` is seen in real
//! lists); the domain must look like one.

use super::mask;

/// Whether `text` is one email address.
pub(crate) fn is_email(text: &str) -> bool {
    let text = text.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.chars().count() <= 64
        && local.chars().all(|c| {
            !c.is_whitespace() && !matches!(c, '@' | ',' | ';' | '<' | '>' | '(' | ')' | '"' | ':')
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Calls `found` with each email address (masked) in running text.
pub(crate) fn find_in_text(text: &str, mut found: impl FnMut(String)) {
    if !text.contains('@') {
        return;
    }
    for word in text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\'')
    }) {
        let word = word.trim_end_matches(['.', ':']);
        if is_email(word) {
            found(mask::email(word));
        }
    }
}

/// The masked form of an email cell.
pub(crate) fn masked(text: &str) -> String {
    mask::email(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_any_script() {
        assert!(is_email("aung@example.org"));
        assert!(is_email("မစုစု@example.org"));
        assert!(is_email(" first.last+tag@mail.example.co.uk "));
        let mut found = Vec::new();
        find_in_text("write to su@example.org, or imo@cluster.example.", |e| {
            found.push(e);
        });
        assert_eq!(found, ["s••@••.org", "i••@••.example"]);
    }

    #[test]
    fn not_addresses() {
        for text in [
            "@handle",
            "a@b",
            "a@b.c",
            "a b@example.org",
            "user@exa mple.org",
            "x@1.23",
        ] {
            assert!(!is_email(text), "{text}");
        }
    }
}
