//! The labelled corpus (`tests/testdata/sensitivity/`, synthetic files with expected labels and
//! reasons): every file is scanned, the confusion matrix and each mismatch are printed, and
//! the policy's hard line is asserted: every highly-confidential file is caught (100 %
//! recall), and at least 90 % of all files get exactly the expected label. Reasons are counted
//! and printed, not asserted: they explain, the label decides.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sealpost_format::Label;
use sealpost_scan::{ReasonCode, scan_file};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/testdata/sensitivity")
}

struct Expected {
    file: String,
    label: Label,
    reasons: Vec<String>,
}

fn expectations() -> Vec<Expected> {
    let text =
        std::fs::read_to_string(corpus().join("labels.csv")).expect("labels.csv in the corpus");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.trim_end_matches('\r').splitn(3, ',');
            let file = fields.next().expect("file").to_string();
            let label: Label = fields
                .next()
                .expect("label")
                .parse()
                .expect("a known label");
            let reasons = fields
                .next()
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(String::from)
                .collect();
            Expected {
                file,
                label,
                reasons,
            }
        })
        .collect()
}

#[test]
fn the_labelled_corpus() {
    let expected = expectations();
    assert!(
        expected.len() >= 40,
        "the corpus has {} labelled files",
        expected.len()
    );
    let index = |label: Label| Label::ALL.iter().position(|l| *l == label).unwrap();
    let mut matrix = [[0u32; 4]; 4];
    let mut mismatches = Vec::new();
    let mut missed_highly_confidential = Vec::new();
    let (mut reasons_expected, mut reasons_found) = (0, 0);
    let mut missing_reasons = Vec::new();
    for e in &expected {
        let report = scan_file(&corpus().join(&e.file));
        assert!(
            report.scanned,
            "{} could not be scanned: {:?}",
            e.file, report.reasons
        );
        matrix[index(e.label)][index(report.suggested_label)] += 1;
        let found: BTreeSet<&str> = report.reasons.iter().map(|r| r.code.as_str()).collect();
        for reason in &e.reasons {
            reason.parse::<ReasonCode>().expect("a known reason code");
            reasons_expected += 1;
            if found.contains(reason.as_str()) {
                reasons_found += 1;
            } else {
                missing_reasons.push(format!("{}: {reason}", e.file));
            }
        }
        if report.suggested_label != e.label {
            mismatches.push(format!(
                "{}: expected {}, suggested {} (found {:?}; expected reasons {:?})",
                e.file, e.label, report.suggested_label, found, e.reasons
            ));
            if e.label == Label::HighlyConfidential {
                missed_highly_confidential.push(e.file.clone());
            }
        }
    }

    println!("confusion matrix (rows: expected, columns: suggested)");
    print!("{:>22}", "");
    for label in Label::ALL {
        print!("{:>22}", label.as_str());
    }
    println!();
    for (i, label) in Label::ALL.iter().enumerate() {
        print!("{:>22}", label.as_str());
        for count in matrix[i] {
            print!("{count:>22}");
        }
        println!();
    }
    let correct: u32 = (0..4).map(|i| matrix[i][i]).sum();
    let total = expected.len() as u32;
    println!(
        "accuracy: {correct}/{total} = {:.1} %",
        100.0 * f64::from(correct) / f64::from(total)
    );
    println!("expected reasons also found: {reasons_found}/{reasons_expected}");
    for m in &missing_reasons {
        println!("  reason not found: {m}");
    }
    for m in &mismatches {
        println!("mismatch: {m}");
    }
    assert!(
        missed_highly_confidential.is_empty(),
        "highly-confidential files not caught: {missed_highly_confidential:?}"
    );
    assert!(
        correct * 10 >= total * 9,
        "only {correct} of {total} files got the expected label"
    );
}
