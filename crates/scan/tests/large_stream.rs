//! A 200 MB CSV, generated at test time, scanned in flat memory: the scanner keeps counters, a
//! bounded sample per column and a few masked examples, never the rows. It is the only test in
//! its binary, so the process's peak memory is its own.

use std::io::{BufWriter, Write};
use std::time::Instant;

use sealpost_format::Label;
use sealpost_scan::{ReasonCode, scan_file};

const MIB: u64 = 1024 * 1024;
const SIZE: u64 = 200 * MIB;
/// Growth of peak memory allowed while scanning: the scanner's buffers are a few MiB; what
/// grows with the file would show as hundreds.
const PEAK_GROWTH_LIMIT: u64 = 48 * MIB;

/// The process's peak resident memory, from `VmHWM` in /proc/self/status.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse().ok())
        .expect("a VmHWM line in kB");
    kib * 1024
}

#[test]
fn a_200_mb_survey_export_scans_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("survey.csv");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    writeln!(
        out,
        "respondent_id,township_pcode,village_tract_pcode,sex,age,main_need,fcs,remarks"
    )
    .unwrap();
    let needs = ["food", "shelter", "cash", "health", "water"];
    let mut written = 0u64;
    let mut i = 0u64;
    while written < SIZE {
        // Values vary (ids, codes, ages) as in a real export; a phone number hides deep inside.
        let remarks = if i == 2_000_000 {
            "call back 09761234567 after 5pm"
        } else {
            ""
        };
        let line = format!(
            "R{i:07},MMR009{:03},MMR009{:03}{:03},{},{},{},{},{remarks}\n",
            i % 30 + 1,
            i % 30 + 1,
            i % 57 + 1,
            if i.is_multiple_of(2) { "F" } else { "M" },
            18 + i % 70,
            needs[(i % 5) as usize],
            20 + i % 80,
        );
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        i += 1;
    }
    out.flush().unwrap();
    drop(out);

    let before = peak_memory();
    let started = Instant::now();
    let report = scan_file(&path);
    let elapsed = started.elapsed();
    let after = peak_memory();
    println!(
        "scanned {written} bytes ({i} rows) in {:.1} s ({:.0} MiB/s); peak memory {:.1} → {:.1} MiB",
        elapsed.as_secs_f64(),
        written as f64 / MIB as f64 / elapsed.as_secs_f64(),
        before as f64 / MIB as f64,
        after as f64 / MIB as f64,
    );
    assert!(report.scanned, "{:?}", report.reasons);
    assert_eq!(report.sheets[0].rows, i);
    assert_eq!(report.suggested_label, Label::HighlyConfidential);
    let codes: Vec<ReasonCode> = report.reasons.iter().map(|r| r.code).collect();
    assert!(
        codes.contains(&ReasonCode::Phone),
        "the phone in row 2,000,000: {codes:?}"
    );
    assert!(codes.contains(&ReasonCode::RawSurvey), "{codes:?}");
    assert!(
        after.saturating_sub(before) < PEAK_GROWTH_LIMIT,
        "peak memory grew by {:.1} MiB",
        (after - before) as f64 / MIB as f64
    );
}
