//! The sensitivity scan from the command line: `sealpost scan` suggests a label with reasons
//! and masked examples; `seal` and `send` refuse a lower label unless the sender gives a reason,
//! which the recipients then see in the signed manifest.

use crate::util::{Sandbox, sample, text};

#[test]
fn scan_suggests_a_label_with_reasons_and_never_shows_the_data() {
    let sandbox = Sandbox::new();
    let report = sandbox
        .sealpost("alice")
        .args(["scan", "--json"])
        .arg(sample("001_export.csv"))
        .succeeds()
        .json();
    assert_eq!(report["suggested_label"], "highly-confidential", "{report}");
    assert_eq!(report["scanned"], true);
    let codes: Vec<&str> = report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| text(r, "code"))
        .collect();
    for code in ["person_name", "phone"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    // Examples are masked: no full phone number from the file appears in the report.
    let csv = std::fs::read_to_string(sample("001_export.csv")).unwrap();
    let phone = csv.lines().nth(1).unwrap().split(',').nth(3).unwrap();
    assert!(!report.to_string().contains(phone), "{phone} leaked");
    assert!(report.to_string().contains('•'), "{report}");

    // Several files: one suggestion for them together (the most sensitive).
    let both = sandbox
        .sealpost("alice")
        .args(["scan", "--json"])
        .arg(sample("004_sheet.csv"))
        .arg(sample("003_list.csv"))
        .succeeds()
        .json();
    assert_eq!(both["suggested_label"], "restricted", "{both}");
    assert_eq!(both["files"].as_array().map(Vec::len), Some(2));

    // A file that cannot be read fails closed.
    let binary = sandbox.write("photo.csv", [0u8, 159, 146, 150, 0, 1, 2, 3]);
    let closed = sandbox
        .sealpost("alice")
        .args(["scan", "--json"])
        .arg(&binary)
        .succeeds()
        .json();
    assert_eq!(closed["suggested_label"], "highly-confidential", "{closed}");
    assert_eq!(closed["scanned"], false, "{closed}");
    assert_eq!(closed["reasons"][0]["code"], "could_not_scan", "{closed}");
}

#[test]
fn a_lower_label_needs_a_reason_and_the_recipient_sees_it() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let seal = |label: &str, extra: &[&str], out: &str| {
        sandbox
            .sealpost("alice")
            .arg("seal")
            .arg(sample("001_export.csv"))
            .args(["--to", text(&alice, "age_recipient"), "--label", label])
            .args(extra)
            .args(["-o", out, "--json"])
            .unlocked()
            .run()
    };
    let refused = seal("restricted", &[], "refused.age");
    refused.assert_json_error("label-below-suggestion", "--override-reason");
    assert!(
        refused.stderr.contains("names of people"),
        "the refusal says what was found: {refused}"
    );
    assert!(!sandbox.path("refused.age").exists());

    // Raising is free; the same label needs nothing.
    let sealed = seal("highly-confidential", &[], "same.age");
    assert_eq!(sealed.code, Some(0), "{sealed}");
    assert!(sealed.json().get("label_override").is_none());

    // With a reason, the lower label is sealed and the reason is signed into the manifest.
    let reason = "names are of township officials, published by the GAD";
    let overridden = seal("restricted", &["--override-reason", reason], "lower.age");
    assert_eq!(overridden.code, Some(0), "{overridden}");
    let inspected = sandbox
        .sealpost("alice")
        .args(["inspect", "lower.age", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(inspected["label"], "restricted");
    assert_eq!(
        inspected["label_override"],
        serde_json::json!({"suggested": "highly-confidential", "reason": reason}),
        "{inspected}"
    );
    let shown = sandbox
        .sealpost("alice")
        .args(["inspect", "lower.age"])
        .unlocked()
        .succeeds();
    assert!(shown.stdout.contains(reason), "{shown}");
}
