//! Scans the files given on the command line and prints each report as JSON: a quick way to
//! see what the scanner finds (`cargo run -p sealpost-scan --example scan -- file.csv`).

fn main() {
    for path in std::env::args_os().skip(1) {
        let report = sealpost_scan::scan_file(std::path::Path::new(&path));
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a report serialises")
        );
    }
}
