//! `sealpost pseudonymize`: a copy that is safer to share (keyed pseudonyms, masks, dropped
//! columns, P-codes cut to township), checked byte by byte for what must be gone, scanned
//! again, and refused with a clear message when the input or the command is wrong.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::Value;

use crate::util::{Sandbox, Sealpost, sample, text};

/// Creates a cluster key with `--new-key` and returns its path.
fn new_key(sandbox: &Sandbox, name: &str) -> PathBuf {
    let path = sandbox.path(name);
    let created = sandbox
        .sealpost("alice")
        .args(["pseudonymize", "--new-key"])
        .arg(&path)
        .succeeds();
    assert!(
        created.stdout.contains("sealpost send") && created.stdout.contains("role:imo"),
        "says how to share it: {created}"
    );
    path
}

/// `pseudonymize FILE -o OUT --key-file KEY ARGS`, ready to run.
fn command(sandbox: &Sandbox, input: &Path, output: &str, key: &Path, args: &[&str]) -> Sealpost {
    sandbox
        .sealpost("alice")
        .arg("pseudonymize")
        .arg(input)
        .arg("-o")
        .arg(sandbox.path(output))
        .arg("--key-file")
        .arg(key)
        .args(args)
}

/// `pseudonymize FILE -o OUT --key-file KEY ARGS --json`, which must succeed.
fn pseudonymize(sandbox: &Sandbox, input: &Path, output: &str, key: &Path, args: &[&str]) -> Value {
    command(sandbox, input, output, key, args)
        .arg("--json")
        .succeeds()
        .json()
}

/// The cells of a CSV without quotes (the corpus files have none).
fn column(csv: &str, header: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let headers: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = headers.iter().position(|h| *h == header).unwrap();
    lines
        .map(|l| l.split(',').nth(at).unwrap_or("").to_string())
        .collect()
}

fn rank(label: &str) -> usize {
    [
        "public",
        "restricted",
        "confidential",
        "highly-confidential",
    ]
    .iter()
    .position(|l| *l == label)
    .unwrap_or_else(|| panic!("unknown label {label}"))
}

#[test]
fn a_beneficiary_list_loses_its_names_phones_and_nrcs_and_its_label_drops() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "cluster.key");
    // The corpus beneficiary list, with an NRC column added (invented numbers).
    let original = std::fs::read_to_string(sample("033_report.csv")).unwrap();
    let mut csv = String::new();
    for (i, line) in original.lines().enumerate() {
        if i == 0 {
            csv.push_str(&format!("{line},NRC\n"));
        } else {
            csv.push_str(&format!(
                "{line},{}/LaMaNa(N){:06}\n",
                i % 14 + 1,
                100_000 + i * 37
            ));
        }
    }
    let input = sandbox.write("beneficiaries.csv", &csv);
    let report = pseudonymize(
        &sandbox,
        &input,
        "safe.csv",
        &key,
        &[
            "--columns",
            "Name of respondent",
            "--drop",
            "mobile",
            "--mask",
            " NRC ",
            "--admin-level",
            "3",
        ],
    );
    assert_eq!(report["label_before"], "highly-confidential", "{report}");
    let after = text(&report["scan"], "suggested_label");
    assert!(rank(after) < rank("highly-confidential"), "{report}");
    assert_eq!(report["rows"], 2003);
    assert_eq!(report["format"], "csv");
    assert_eq!(report["delimiter"], ",");
    let columns = &report["sheets"][0]["columns"];
    let action = |name: &str| {
        columns
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["column"] == name)
            .unwrap_or_else(|| panic!("{name} in {columns}"))
            .clone()
    };
    assert_eq!(action("Name of respondent")["action"], "pseudonymised");
    assert_eq!(action("Name of respondent")["changed"], 2003);
    assert_eq!(action("Mobile")["action"], "dropped");
    assert_eq!(action("NRC")["action"], "masked");
    let pcode = action("Village Tract Pcode");
    assert_eq!(pcode["action"], "generalised", "{columns}");
    assert_eq!(pcode["admin_level"], 3);
    assert_eq!(pcode["changed"], 2003);

    // Byte by byte: none of the names, phones, NRC numbers or village tract codes is left.
    let out = std::fs::read_to_string(sandbox.path("safe.csv")).unwrap();
    for header in ["Name of respondent", "Mobile", "NRC", "Village Tract Pcode"] {
        for value in column(&csv, header) {
            assert!(!value.is_empty());
            assert!(
                !out.contains(&value),
                "{header} value {value:?} is still in the copy"
            );
        }
    }
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "Name of respondent,Sex,Age,Township,Village Tract Pcode,Assistance,NRC"
    );
    let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
    assert!(row[0].starts_with("PSN-") && row[0].len() == 14, "{row:?}");
    assert_eq!(row[4], "MMR009022", "cut to the township: {row:?}");
    assert!(row[6].contains('•'), "masked: {row:?}");
    assert!(!sandbox.path("safe.csv").with_extension("part").exists());

    // The words version says the same.
    let words = command(
        &sandbox,
        &input,
        "safe2.csv",
        &key,
        &["--columns", "Name of respondent", "--drop", "Mobile,NRC"],
    )
    .succeeds();
    assert!(words.stdout.contains("New suggested label: "), "{words}");
    assert!(
        words.stdout.contains("Label before: highly-confidential"),
        "{words}"
    );
}

#[test]
fn burmese_names_and_phones_from_the_corpus_are_replaced() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "k.key");
    let input = sample("001_export.csv");
    let report = pseudonymize(
        &sandbox,
        &input,
        "001.csv",
        &key,
        &[
            "--columns",
            "name",
            "--mask",
            "ဖုန်းနံပါတ်",
            "--admin-level",
            "3",
        ],
    );
    assert_eq!(report["label_before"], "highly-confidential");
    let after = text(&report["scan"], "suggested_label");
    assert!(rank(after) < rank("highly-confidential"), "{report}");
    let csv = std::fs::read_to_string(&input).unwrap();
    let out = std::fs::read_to_string(sandbox.path("001.csv")).unwrap();
    for header in ["Name", "ဖုန်းနံပါတ်", "Village Tract Pcode"] {
        for value in column(&csv, header) {
            assert!(!out.contains(&value), "{header} value {value:?} left");
        }
    }
}

#[test]
fn the_same_organisation_gets_the_same_pseudonym_in_every_file() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "cluster.key");
    // Two corpus 3W files with differently named organisation columns (one with HXL tags).
    let a = pseudonymize(
        &sandbox,
        &sample("003_list.csv"),
        "a.csv",
        &key,
        &["--columns", "Organisation"],
    );
    let b = pseudonymize(
        &sandbox,
        &sample("015_file.csv"),
        "b.csv",
        &key,
        &["--columns", "implementing partner"],
    );
    assert_eq!(a["key_id"], b["key_id"]);
    let pseudonym_of = |original: &str, copy: &str, header: &str| {
        let original = std::fs::read_to_string(sample(original)).unwrap();
        let copy = std::fs::read_to_string(sandbox.path(copy)).unwrap();
        let before = column(&original, header);
        let after = column(&copy, header);
        assert_eq!(before.len(), after.len());
        let at = before.iter().position(|v| v == "Hope Relief").unwrap();
        after[at].clone()
    };
    let in_a = pseudonym_of("003_list.csv", "a.csv", "Organisation");
    let in_b = pseudonym_of("015_file.csv", "b.csv", "Implementing partner");
    assert!(in_a.starts_with("PSN-"), "{in_a}");
    assert_eq!(in_a, in_b, "same organisation, same pseudonym across files");
    let b_copy = std::fs::read_to_string(sandbox.path("b.csv")).unwrap();
    assert_eq!(
        b_copy.lines().nth(1),
        Some("#org+impl,#sector,#adm1+name,#adm3+code,#status,#targeted"),
        "the HXL row is kept as it is"
    );
    assert!(!b_copy.contains("Hope Relief"));

    // Another key: other pseudonyms.
    let other = new_key(&sandbox, "other.key");
    pseudonymize(
        &sandbox,
        &sample("003_list.csv"),
        "c.csv",
        &other,
        &["--columns", "Organisation"],
    );
    assert_ne!(pseudonym_of("003_list.csv", "c.csv", "Organisation"), in_a);
}

#[test]
fn a_workbook_becomes_a_pseudonymised_xlsx_that_the_scanner_reads() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "cluster.key");
    let input = sandbox.path("beneficiaries.xlsx");
    let names = [
        "Daw Aye Aye",
        "U Kyaw Soe",
        "Ma Hla Hla",
        "Ko Zaw Min",
        "Naw Paw Htoo",
    ];
    {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Beneficiaries").unwrap();
        let headers = [
            "Name",
            "Phone",
            "Sex",
            "Village Tract Pcode",
            "Household size",
        ];
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (i, name) in names.iter().cycle().take(30).enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, *name).unwrap();
            // Phones as numbers, the way Excel keeps them (leading zero dropped).
            sheet
                .write_number(r, 1, 9_761_234_500.0 + i as f64)
                .unwrap();
            sheet
                .write_string(r, 2, if i % 2 == 0 { "F" } else { "M" })
                .unwrap();
            sheet
                .write_string(r, 3, format!("MMR003008{:03}", i % 3 + 1))
                .unwrap();
            sheet.write_number(r, 4, (i % 6 + 1) as f64).unwrap();
        }
        let summary = book.add_worksheet();
        summary.set_name("Summary").unwrap();
        summary.write_string(0, 0, "Township Pcode").unwrap();
        summary.write_string(0, 1, "People reached").unwrap();
        summary.write_string(1, 0, "MMR003008").unwrap();
        summary.write_number(1, 1, 30.0).unwrap();
        book.save(&input).unwrap();
    }
    let before = sandbox
        .sealpost("alice")
        .args(["scan", "--json"])
        .arg(&input)
        .succeeds()
        .json();
    assert_eq!(before["suggested_label"], "highly-confidential", "{before}");

    // A workbook's copy must be named .xlsx.
    command(
        &sandbox,
        &input,
        "copy.csv",
        &key,
        &["--columns", "Name", "--json"],
    )
    .run()
    .assert_json_error("output-not-xlsx", "copy.xlsx");

    let report = pseudonymize(
        &sandbox,
        &input,
        "copy.xlsx",
        &key,
        &[
            "--columns",
            "Name",
            "--drop",
            "Phone",
            "--admin-level",
            "3",
            "--quasi-identifiers",
            "Sex,Village Tract Pcode",
        ],
    );
    assert_eq!(report["format"], "xlsx");
    assert_eq!(report["output_format"], "xlsx");
    assert_eq!(report["rows"], 31, "30 beneficiaries and one summary row");
    let after = text(&report["scan"], "suggested_label");
    assert!(rank(after) < rank("highly-confidential"), "{report}");
    assert_eq!(report["scan"]["scanned"], true);
    // Sex × township: two groups of 15 once the village tracts are cut.
    let k = &report["sheets"][0]["k_anonymity"];
    assert_eq!(k["groups_below_k"], 0, "{k}");
    assert_eq!(k["smallest_group"], 15, "{k}");

    // Read the copy back: pseudonyms, no phone column, P-codes at township level.
    let mut book: Xlsx<_> = open_workbook(sandbox.path("copy.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["Beneficiaries", "Summary"]);
    let range = book.worksheet_range("Beneficiaries").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        ["Name", "Sex", "Village Tract Pcode", "Household size"]
    );
    let key_pseudonyms: Vec<String> = rows[1..].iter().map(|r| r[0].to_string()).collect();
    assert!(
        key_pseudonyms.iter().all(|p| p.starts_with("PSN-")),
        "{key_pseudonyms:?}"
    );
    assert_eq!(
        key_pseudonyms[0], key_pseudonyms[5],
        "same name, same pseudonym"
    );
    assert_ne!(key_pseudonyms[0], key_pseudonyms[1]);
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[2] == Data::String("MMR003008".into()))
    );
    assert_eq!(rows[1][3], Data::Float(1.0), "numbers stay numbers");
    for row in &rows {
        for cell in *row {
            let cell = cell.to_string();
            assert!(!names.contains(&cell.as_str()), "{cell} left in the copy");
            assert!(
                !cell.contains("97612345"),
                "{cell}: a phone left in the copy"
            );
        }
    }
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(
        summary.get_value((1, 0)),
        Some(&Data::String("MMR003008".into()))
    );

    // The same name in a CSV gets the same pseudonym as in the workbook.
    let csv = sandbox.write("names.csv", "Name,Sex\n  daw  aye aye ,F\n");
    pseudonymize(
        &sandbox,
        &csv,
        "names-out.csv",
        &key,
        &["--columns", "name"],
    );
    let out = std::fs::read_to_string(sandbox.path("names-out.csv")).unwrap();
    assert_eq!(out, format!("Name,Sex\n{},F\n", key_pseudonyms[0]));
}

#[test]
fn small_groups_are_warned_about_and_large_ones_are_not() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "cluster.key");
    let mut small = String::from("Name,Sex,Age group,Township\n");
    let mut large = small.clone();
    for i in 0..12 {
        let sex = if i % 2 == 0 { "F" } else { "M" };
        small.push_str(&format!("Person {i},{sex},18-59,MMR003008\n"));
        large.push_str(&format!("Person {i},{sex},18-59,MMR003008\n"));
    }
    // One 60+ woman alone in her group: she stands out even without her name.
    small.push_str("Person 12,F,60+,MMR003008\n");
    let small = sandbox.write("small.csv", small);
    let large = sandbox.write("large.csv", large);
    let args = [
        "--columns",
        "Name",
        "--quasi-identifiers",
        "Sex",
        "--quasi-identifiers",
        "age group,Township",
    ];
    let warned = pseudonymize(&sandbox, &small, "small-out.csv", &key, &args);
    let k = &warned["sheets"][0]["k_anonymity"];
    assert_eq!(k["groups_below_k"], 1, "{warned}");
    assert_eq!(k["rows_below_k"], 1);
    assert_eq!(k["smallest_group"], 1);
    assert_eq!(k["groups"], 3);
    let warnings = warned["warnings"].to_string();
    assert!(warnings.contains("k-anonymity below 3"), "{warnings}");
    assert!(warnings.contains("Age group"), "{warnings}");
    assert!(
        !warnings.contains("60+"),
        "values of small groups are never shown: {warnings}"
    );

    let fine = pseudonymize(&sandbox, &large, "large-out.csv", &key, &args);
    let k = &fine["sheets"][0]["k_anonymity"];
    assert_eq!(k["groups_below_k"], 0, "{fine}");
    assert_eq!(k["smallest_group"], 6);
    assert!(
        !fine["warnings"].to_string().contains("k-anonymity"),
        "{fine}"
    );

    // The words version prints the warning too.
    let words = command(&sandbox, &small, "small-words.csv", &key, &args).succeeds();
    assert!(
        words.stdout.contains("warning: k-anonymity below 3"),
        "{words}"
    );
}

#[test]
fn the_default_key_lives_in_the_data_directory() {
    let sandbox = Sandbox::new();
    let input = sample("003_list.csv");
    // No key anywhere: the message says how to get or create one.
    let missing = sandbox
        .sealpost("alice")
        .arg("pseudonymize")
        .arg(&input)
        .args(["-o", "out.csv", "--columns", "Organisation", "--json"])
        .run();
    missing.assert_json_error("pseudonym-key-missing", "--new-key");
    assert!(missing.stderr.contains("coordinator"), "{missing}");
    assert!(!sandbox.path("out.csv").exists());

    // The key where the member's data directory keeps it.
    let default = sandbox.home("alice").join("pseudonym.key");
    sandbox
        .sealpost("alice")
        .args(["pseudonymize", "--new-key"])
        .arg(&default)
        .succeeds();
    let report = sandbox
        .sealpost("alice")
        .arg("pseudonymize")
        .arg(&input)
        .args(["-o", "out.csv", "--columns", "Organisation", "--json"])
        .succeeds()
        .json();
    assert_eq!(report["rows"], 605);

    // A key is never overwritten, and a damaged one says what is wrong.
    let before = std::fs::read(&default).unwrap();
    sandbox
        .sealpost("alice")
        .args(["pseudonymize", "--json", "--new-key"])
        .arg(&default)
        .run()
        .assert_json_error("pseudonym-key-exists", "never overwritten");
    assert_eq!(std::fs::read(&default).unwrap(), before);
    let damaged = sandbox.write("damaged.key", "sealpost-pseudonym-key-1 AAAA\n");
    sandbox
        .sealpost("alice")
        .arg("pseudonymize")
        .arg(&input)
        .args([
            "-o",
            "out2.csv",
            "--columns",
            "Organisation",
            "--json",
            "--key-file",
        ])
        .arg(&damaged)
        .run()
        .assert_json_error("pseudonym-key-invalid", "3 bytes long");
}

#[test]
fn bad_input_is_refused_clearly_and_leaves_nothing_behind() {
    let sandbox = Sandbox::new();
    let key = new_key(&sandbox, "cluster.key");
    let input = sample("033_report.csv");
    let run = |input: &Path, output: &str, args: &[&str]| {
        sandbox
            .sealpost("alice")
            .arg("pseudonymize")
            .arg(input)
            .arg("-o")
            .arg(sandbox.path(output))
            .arg("--key-file")
            .arg(&key)
            .args(args)
            .arg("--json")
            .run()
    };

    // An unknown column: the message lists the file's headers.
    let unknown = run(
        &input,
        "out.csv",
        &["--columns", "Name of respondent,Phone number"],
    );
    unknown.assert_json_error("unknown-column", "\"Phone number\"");
    assert!(
        unknown
            .stderr
            .contains("\"Name of respondent\", \"Sex\", \"Age\", \"Mobile\""),
        "{unknown}"
    );

    // One action per column; something to do; a possible level.
    run(
        &input,
        "out.csv",
        &["--columns", "Mobile", "--mask", "mobile"],
    )
    .assert_json_error("column-conflict", "--columns and --mask");
    run(&input, "out.csv", &["--quasi-identifiers", "Sex"])
        .assert_json_error("nothing-to-do", "--columns");
    run(&input, "out.csv", &["--admin-level", "4"])
        .assert_json_error("bad-admin-level", "3 (township)");

    // OUT exists: refused and untouched (and replaced with --force).
    let existing = sandbox.write("existing.csv", "keep me\n");
    run(&input, "existing.csv", &["--drop", "Mobile"])
        .assert_json_error("output-exists", "--force");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me\n");
    run(&input, "existing.csv", &["--drop", "Mobile", "--force"]);
    assert!(
        std::fs::read_to_string(&existing)
            .unwrap()
            .starts_with("Name of respondent,Sex,Age,Township")
    );

    // OUT is FILE.
    let copy = sandbox.write("self.csv", std::fs::read(&input).unwrap());
    run(&copy, "self.csv", &["--drop", "Mobile", "--force"])
        .assert_json_error("output-is-input", "the input file");

    // A binary file named .csv: a clear error, no output, no temporary file.
    let binary = sandbox.write("photo.csv", [0xFFu8, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']);
    let refused = run(&binary, "photo-out.csv", &["--drop", "Mobile"]);
    refused.assert_json_error("unreadable-input", "binary data");
    // Running text is not a table.
    let letter = sandbox.write(
        "letter.txt",
        "Dear colleagues,\nplease find the list attached.\n",
    );
    run(&letter, "letter-out.txt", &["--drop", "Mobile"])
        .assert_json_error("unreadable-input", "not a table");
    let left: Vec<String> = std::fs::read_dir(sandbox.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("out") || n.starts_with(".sealpost"))
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[test]
fn the_scan_suggests_a_pseudonymize_command_that_works_as_printed() {
    let sandbox = Sandbox::new();
    let list = sandbox.write(
        "field data/list 001.csv",
        std::fs::read(sample("001_export.csv")).unwrap(),
    );
    let home = sandbox.home("alice");
    std::fs::create_dir_all(&home).unwrap();
    sandbox
        .sealpost("alice")
        .args(["pseudonymize", "--new-key"])
        .arg(home.join("pseudonym.key"))
        .succeeds();

    let scan = sandbox.sealpost("alice").arg("scan").arg(&list).succeeds();
    let command = scan
        .stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("sealpost pseudonymize "))
        .unwrap_or_else(|| panic!("a suggested command: {scan}"))
        .to_owned();
    assert!(command.contains("--columns"), "{command}");

    // Run it as printed, through a shell, as the partner would paste it.
    let bin = sandbox.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sealpost"), bin.join("sealpost")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ran = std::process::Command::new("sh")
        .args(["-c", &command])
        .env("PATH", path)
        .env("SEALPOST_HOME", &home)
        .current_dir(sandbox.path(""))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{command}\n{stdout}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(
        stdout.contains("New suggested label: confidential"),
        "{stdout}"
    );
    let copy = sandbox.path("field data/list 001-pseudonymised.csv");
    let copied = std::fs::read_to_string(&copy).expect("the copy beside the list");
    let original = std::fs::read_to_string(&list).unwrap();
    let first = original.lines().nth(1).unwrap();
    for value in first.split(',').take(4).filter(|v| v.chars().count() > 3) {
        assert!(!copied.contains(value), "{value} is still in the copy");
    }
    // Village tracts are cut to their township.
    let tract = first.split(',').nth(5).unwrap();
    assert!(
        !copied.contains(tract) && copied.contains(&tract[..9]),
        "{tract}"
    );
}
