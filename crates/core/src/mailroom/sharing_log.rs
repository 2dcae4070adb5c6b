//! The partner's sharing log as files to keep or hand on: every parcel this member sent, who
//! received it and what each recipient's app reported (delivered, opened, deleted), and the
//! information products made from it, as CSV for
//! a spreadsheet and as one self-contained HTML page ready to print to PDF. The cluster policy
//! promises partners the right to know with whom their data is shared; this is that record, in
//! a form that leaves the app.

use std::fmt::Write as _;
use std::path::Path;

use super::{Person, SentEntry};

/// The two forms of the exported log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One row per parcel and recipient, for a spreadsheet.
    Csv,
    /// One page to read or print to PDF.
    Html,
}

impl Format {
    /// The format a file name asks for (`.csv`, `.html` or `.htm`), if any.
    pub fn of_file(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }
}

/// The CSV columns, one row per parcel and recipient.
const COLUMNS: [&str; 16] = [
    "parcel_id",
    "sealed_at",
    "kind",
    "label",
    "files",
    "status",
    "supersedes",
    "superseded_by",
    "recipient",
    "recipient_org",
    "recipient_id",
    "delivered_at",
    "opened_at",
    "deleted_at",
    "deletion_detail",
    "products",
];

/// The sharing log as CSV: a header, then one row per parcel and recipient (a parcel with no
/// recipient listed still gets a row). File names are joined with `; `, products (`id by
/// publisher (org): files`) with ` | `.
pub fn csv(entries: &[SentEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    sealpost_scan::write_report_row(&mut out, &header).expect("writing to memory");
    for entry in entries {
        let parcel = [
            entry.parcel_id.clone(),
            entry.created_at.clone(),
            entry.kind.clone(),
            entry.label.to_string(),
            file_names(entry),
            entry.status.clone(),
            entry.supersedes.clone().unwrap_or_default(),
            entry.superseded_by.clone().unwrap_or_default(),
        ];
        let products = entry
            .products
            .iter()
            .map(|p| {
                format!(
                    "{} by {} ({}): {}",
                    p.parcel_id,
                    p.publisher.name,
                    p.publisher.org,
                    p.files
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
            .collect::<Vec<_>>()
            .join(" | ");
        let mut rows: Vec<[String; 7]> = entry
            .recipients
            .iter()
            .map(|r| {
                let deleted = receipt(r, "deleted");
                [
                    r.person.name.clone(),
                    r.person.org.clone(),
                    r.person.member_id.clone(),
                    receipt(r, "delivered")
                        .map(|x| x.at.clone())
                        .unwrap_or_default(),
                    receipt(r, "opened")
                        .map(|x| x.at.clone())
                        .unwrap_or_default(),
                    deleted.map(|x| x.at.clone()).unwrap_or_default(),
                    deleted.and_then(|x| x.detail.clone()).unwrap_or_default(),
                ]
            })
            .collect();
        if rows.is_empty() {
            rows.push(Default::default());
        }
        for recipient in rows {
            let row: Vec<String> = parcel
                .iter()
                .cloned()
                .chain(recipient)
                .chain([products.clone()])
                .collect();
            sealpost_scan::write_report_row(&mut out, &row).expect("writing to memory");
        }
    }
    out
}

/// The sharing log as one HTML page (no scripts, no outside resources; styles for screen and
/// print): who this member is, when the log was made, then one section per parcel with its
/// recipients and their receipts. Every value is escaped.
pub fn html(entries: &[SentEntry], member: &Person, generated_at: &str) -> String {
    let mut page = String::new();
    let title = format!("Sharing log of {} ({})", member.name, member.org);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n\
         <p class=\"meta\">Member id {id}. Made by Sealpost on {generated_at} (UTC). \
         {count} parcel(s), newest first.</p>\n\
         <p>Every parcel this member sent through Sealpost, who it was shared with, and what \
         each recipient's app reported: <em>delivered</em> (it arrived), <em>opened</em> (its \
         files were written out), <em>deleted</em> (erased at the sender's request). A receipt \
         says what a recipient's app did; copies a person made outside Sealpost are beyond \
         what any app can report.</p>\n",
        title = escape(&title),
        id = escape(&member.member_id),
        generated_at = escape(generated_at),
        count = entries.len(),
    );
    for entry in entries {
        let _ = write!(
            page,
            "<section>\n<h2>{files}</h2>\n<p class=\"meta\">Parcel <code>{id}</code> · {kind} · \
             label <strong>{label}</strong> · sealed {at} · {status}",
            files = escape(&file_names(entry)),
            id = escape(&entry.parcel_id),
            kind = escape(&entry.kind),
            label = escape(entry.label.as_str()),
            at = escape(&entry.created_at),
            status = escape(&entry.status),
        );
        if let Some(old) = &entry.supersedes {
            let _ = write!(page, " · corrects <code>{}</code>", escape(old));
        }
        if let Some(new) = &entry.superseded_by {
            let _ = write!(page, " · corrected by <code>{}</code>", escape(new));
        }
        page.push_str("</p>\n");
        if entry.recipients.is_empty() {
            page.push_str("<p>No recipient recorded.</p>\n</section>\n");
            continue;
        }
        page.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Recipient</th><th scope=\"col\">Delivered</th>\
             <th scope=\"col\">Opened</th><th scope=\"col\">Deleted</th></tr></thead>\n<tbody>\n",
        );
        for r in &entry.recipients {
            let cell = |event: &str| {
                receipt(r, event).map_or_else(
                    || "<span class=\"none\">no receipt</span>".to_owned(),
                    |x| match &x.detail {
                        Some(detail) if event == "deleted" => {
                            format!("{}<br><small>{}</small>", escape(&x.at), escape(detail))
                        }
                        _ => escape(&x.at),
                    },
                )
            };
            let _ = writeln!(
                page,
                "<tr><th scope=\"row\">{name}<br><small>{org}</small></th>\
                 <td>{delivered}</td><td>{opened}</td><td>{deleted}</td></tr>",
                name = escape(&r.person.name),
                org = escape(&r.person.org),
                delivered = cell("delivered"),
                opened = cell("opened"),
                deleted = cell("deleted"),
            );
        }
        page.push_str("</tbody>\n</table>\n");
        if !entry.products.is_empty() {
            page.push_str("<h3>Products made from it</h3>\n<ul>\n");
            for p in &entry.products {
                let _ = writeln!(
                    page,
                    "<li>{files} — by {name} ({org}), received {at} · label {label} · \
                     <code>{id}</code></li>",
                    files = escape(
                        &p.files
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    name = escape(&p.publisher.name),
                    org = escape(&p.publisher.org),
                    at = escape(&p.received_at),
                    label = escape(p.label.as_str()),
                    id = escape(&p.parcel_id),
                );
            }
            page.push_str("</ul>\n");
        }
        page.push_str("</section>\n");
    }
    page.push_str("</body>\n</html>\n");
    page
}

const STYLE: &str = "body{font-family:'Noto Sans','Noto Sans Myanmar',sans-serif;margin:2rem;\
color:#111;line-height:1.45}h1{font-size:1.5rem}h2{font-size:1.1rem;margin:1.5rem 0 .25rem;\
overflow-wrap:anywhere}.meta{color:#444}table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
thead th{background:#eee}.none{color:#666}section{break-inside:avoid}\
@media print{body{margin:0}a{color:inherit}}";

fn file_names(entry: &SentEntry) -> String {
    entry
        .files
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The first receipt of `event` from this recipient.
fn receipt<'a>(r: &'a super::SharedWith, event: &str) -> Option<&'a super::ReceiptInfo> {
    r.receipts.iter().find(|x| x.event == event)
}

/// Text as HTML: the five characters that could start markup or end an attribute, escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailroom::{ListedFile, ProductInfo, ReceiptInfo, SharedWith};
    use sealpost_format::Label;

    fn person(name: &str, org: &str) -> Person {
        Person {
            member_id: format!("id-{name}"),
            name: name.into(),
            org: org.into(),
        }
    }

    fn entry() -> SentEntry {
        SentEntry {
            parcel_id: "p1".into(),
            kind: "data".into(),
            label: Label::HighlyConfidential,
            files: vec![
                ListedFile {
                    name: "<script>alert(1)</script>.csv".into(),
                    size: 10,
                },
                ListedFile {
                    name: "=cmd.xlsx".into(),
                    size: 20,
                },
            ],
            created_at: "2026-12-01T08:00:00Z".into(),
            status: "sent".into(),
            supersedes: None,
            superseded_by: Some("p2".into()),
            recipients: vec![
                SharedWith {
                    person: person("U Ba Tun", "Example NGO"),
                    receipts: vec![
                        ReceiptInfo {
                            event: "delivered".into(),
                            at: "2026-12-01T09:00:00Z".into(),
                            detail: None,
                        },
                        ReceiptInfo {
                            event: "deleted".into(),
                            at: "2026-12-02T10:00:00Z".into(),
                            detail: Some("sealed copy erased; 1 folder out of reach".into()),
                        },
                    ],
                },
                SharedWith {
                    person: person("Daw Mya", "Other & Co"),
                    receipts: vec![],
                },
            ],
            products: vec![ProductInfo {
                parcel_id: "p9".into(),
                publisher: person("U Ba Tun", "Example NGO"),
                label: Label::Restricted,
                files: vec![ListedFile {
                    name: "4W <map>.pdf".into(),
                    size: 30,
                }],
                received_at: "2026-12-03T10:00:00Z".into(),
                note: None,
            }],
        }
    }

    #[test]
    fn csv_has_a_row_per_recipient_with_each_receipt_time() {
        let text = String::from_utf8(csv(&[entry()])).unwrap();
        let rows: Vec<&str> = text.split("\r\n").filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert_eq!(rows[0], COLUMNS.join(","));
        assert!(
            rows[1].starts_with("p1,2026-12-01T08:00:00Z,data,highly-confidential,"),
            "{}",
            rows[1]
        );
        assert!(
            rows[1].contains(
                ",U Ba Tun,Example NGO,id-U Ba Tun,2026-12-01T09:00:00Z,,2026-12-02T10:00:00Z,"
            ),
            "{}",
            rows[1]
        );
        assert!(
            rows[2].ends_with(
                ",Daw Mya,Other & Co,id-Daw Mya,,,,,p9 by U Ba Tun (Example NGO): 4W <map>.pdf"
            ),
            "{}",
            rows[2]
        );
        // File names are joined into one cell.
        assert!(
            rows[1].contains("<script>alert(1)</script>.csv; =cmd.xlsx"),
            "{}",
            rows[1]
        );
    }

    #[test]
    fn csv_of_a_parcel_without_recipients_still_lists_it() {
        let mut lonely = entry();
        lonely.recipients.clear();
        let text = String::from_utf8(csv(&[lonely])).unwrap();
        assert_eq!(text.matches("\r\n").count(), 2, "{text}");
        assert!(text.contains("\r\np1,"), "{text}");
    }

    #[test]
    fn html_escapes_everything_and_shows_each_receipt() {
        let page = html(
            &[entry()],
            &person("Daw Aye Aye", "Shwe <Relief>"),
            "2026-12-06T20:00:00Z",
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script>"), "a file name became markup");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.csv"));
        assert!(page.contains("Shwe &lt;Relief&gt;"));
        assert!(page.contains("Other &amp; Co"));
        assert!(page.contains(
            "2026-12-02T10:00:00Z<br><small>sealed copy erased; 1 folder out of reach</small>"
        ));
        assert_eq!(page.matches("no receipt").count(), 4, "{page}");
        assert!(page.contains("corrected by <code>p2</code>"));
        assert!(page.contains("<h3>Products made from it</h3>"));
        assert!(page.contains("4W &lt;map&gt;.pdf — by U Ba Tun (Example NGO)"));
        assert!(!page.contains("http"), "the page must not load anything");
    }
}
