//! Adversarial vectors, rage-style: every file under `tests/vectors/` is named
//! `<expected-label>__<what>.<ext>` (or `fail_<what>.<ext>` for inputs that must fail closed),
//! and one loop scans them all and checks the label. Inputs too big or too binary to commit
//! (a 10 MB cell, a row of two million columns, workbooks, truncated and bomb-like packages)
//! are generated into a temporary directory first and go through the same loop.

use std::io::Write;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use sealpost_format::Label;
use sealpost_scan::{ReasonCode, ScanReport, scan_file};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A workbook with a public summary, a restricted 3W, and one sheet of names and phones.
fn multi_sheet_xlsx(path: &Path) {
    let mut book = Workbook::new();
    let summary = book.add_worksheet().set_name("Summary").unwrap();
    let rows = [
        ["State", "Township Pcode", "People in need", "Reached"],
        ["Kachin", "MMR001001", "48781", "29111"],
        ["Kachin", "MMR001006", "79710", "464"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => summary.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => summary.write_string(r as u32, c as u16, *v).unwrap(),
            };
        }
    }
    let readme = book.add_worksheet().set_name("README").unwrap();
    readme
        .write_string(
            0,
            0,
            "Prepared for the cluster. Contact the IMO for questions.",
        )
        .unwrap();
    // The sensitive sheet, hidden among the others, with a Burmese name.
    let list = book.add_worksheet().set_name("ဒေတာ").unwrap();
    let header = ["အမည်", "ဖုန်း", "ကျေးရွာ"];
    for (c, v) in header.iter().enumerate() {
        list.write_string(0, c as u16, *v).unwrap();
    }
    let people = [
        ("ဒေါ်ခင်မြင့်", 9_761_234_567.0, "Thae Chaung"),
        ("ဦးအောင်ကျော်", 959_451_234_567.0, "Ohn Taw"),
    ];
    for (r, (name, phone, village)) in people.iter().enumerate() {
        let r = r as u32 + 1;
        list.write_string(r, 0, *name).unwrap();
        // Stored as a number: Excel drops the leading zero.
        list.write_number(r, 1, *phone).unwrap();
        list.write_string(r, 2, *village).unwrap();
    }
    book.save(path).unwrap();
}

/// An aggregate-only workbook.
fn public_xlsx(path: &Path) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["Sector", "Requirement (MMK)", "Report date"],
        ["WASH", "959000839", "2026-01-27"],
        ["Health", "997300109", "2026-04-15"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => sheet.write_string(r as u32, c as u16, *v).unwrap(),
            };
        }
    }
    book.save(path).unwrap();
}

/// A beneficiary list as exported from Excel: a title and a blank row above the header, phone
/// numbers stored as numbers (the leading zero gone), dates as dates.
fn titled_list_xlsx(path: &Path) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("March").unwrap();
    sheet
        .write_string(
            0,
            0,
            "Distribution list, March 2026 (prepared by the field team)",
        )
        .unwrap();
    for (c, h) in ["No.", "Name of beneficiary", "Village", "Date", "Phone"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let people = [
        "Aung Kyaw Soe",
        "Hnin Wai Phyo",
        "Thet Htar Swe",
        "Kyaw Zin Htet",
    ];
    for (i, name) in people.iter().enumerate() {
        let r = i as u32 + 3;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_string(r, 2, "Thae Chaung").unwrap();
        let date = ExcelDateTime::from_ymd(2026, 3, 1 + i as u8).unwrap();
        sheet
            .write_datetime_with_format(r, 3, &date, &date_format)
            .unwrap();
        sheet
            .write_number(r, 4, 9_761_234_560.0 + i as f64)
            .unwrap();
    }
    book.save(path).unwrap();
}

/// An OpenDocument spreadsheet with the given rows (strings only).
fn ods(path: &Path, rows: &[&[&str]]) {
    let mut table = String::new();
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in *row {
            table.push_str(&format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{cell}</text:p></table:table-cell>"
            ));
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet><table:table table:name=\"Sheet1\">{table}</table:table></office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>";
    zip_with(
        path,
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("META-INF/manifest.xml", manifest.as_bytes()),
            ("content.xml", content.as_bytes()),
        ],
    );
}

/// Sets the "encrypted" flag on every entry of a zip package (local and central headers), as a
/// password-protected zip has it.
fn mark_encrypted(bytes: &mut [u8]) {
    let mut i = 0;
    while i + 8 < bytes.len() {
        if bytes[i..].starts_with(b"PK\x03\x04") {
            bytes[i + 6] |= 1;
        } else if bytes[i..].starts_with(b"PK\x01\x02") {
            bytes[i + 8] |= 1;
        }
        i += 1;
    }
}

/// Declares a huge uncompressed size for the first worksheet in the central directory, as a
/// zip bomb's part would (the data itself stays small).
fn declare_huge_sheet(bytes: &mut [u8]) {
    let name = b"xl/worksheets/sheet1.xml";
    let mut i = 0;
    while i + 46 < bytes.len() {
        if bytes[i..].starts_with(b"PK\x01\x02") && bytes[i + 46..].starts_with(name) {
            bytes[i + 24..i + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        i += 1;
    }
}

/// A zip package with the given parts, stored uncompressed.
fn zip_with(path: &Path, parts: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

/// Writes every generated vector into `dir`.
fn generate(dir: &Path) {
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();

    // A 10 MB cell: harmless text, or a phone number at its very end.
    let mut big = String::from("id,notes\r\n1,\"");
    big.push_str(&"no personal data here ".repeat(10 * 1024 * 1024 / 22));
    let public_big = format!("{big}\"\r\n");
    write("public__10mb_cell.csv", public_big.as_bytes());
    let sensitive_big = format!("{big} call back on 09761234567\"\r\n");
    write(
        "highly-confidential__10mb_cell_phone_at_end.csv",
        sensitive_big.as_bytes(),
    );

    // A row of two million columns with a phone number in the last one.
    let mut wide = String::with_capacity(5_000_000);
    wide.push_str("a,b\r\n");
    for _ in 0..2_000_000 {
        wide.push_str("x,");
    }
    wide.push_str("+95 9 761 234 567\r\n");
    write(
        "highly-confidential__two_million_columns.csv",
        wide.as_bytes(),
    );

    // UTF-16 with BOM, both byte orders; UTF-8 with BOM.
    let list = "Name,Mobile,Township\r\nDaw Hla Hla,09761234567,Sittwe\r\nU Kyaw Soe,09451234567,Pauktaw\r\n";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for unit in list.encode_utf16() {
        le.extend_from_slice(&unit.to_le_bytes());
        be.extend_from_slice(&unit.to_be_bytes());
    }
    write("highly-confidential__utf16le_bom.csv", &le);
    write("highly-confidential__utf16be_bom.csv", &be);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(
        "အမည်,ဖုန်းနံပါတ်,ကျေးရွာ\r\nမစုစု,၀၉၇၆၁၂၃၄၅၆၇,Thae Chaung\r\nကိုဇော်မင်း,၉၅၉၄၅၁၂၃၄၅၆၇,Ohn Taw\r\n"
            .as_bytes(),
    );
    write("highly-confidential__utf8_bom_burmese.csv", &bom);

    // Zawgyi-typed Burmese in an aggregate: a warning, not a label.
    write(
        "public__zawgyi_warning.csv",
        "ျပည္နယ္,ၿမိဳ႕နယ္,လူဦးေရ\r\nရခိုင္,စစ္ေတြ,15000\r\nရခိုင္,ေပါက္ေတာ,8200\r\nရခိုင္,ေျမပုံ,4300\r\n".as_bytes(),
    );

    // Workbooks.
    multi_sheet_xlsx(&dir.join("highly-confidential__one_sensitive_sheet_of_three.xlsx"));
    public_xlsx(&dir.join("public__amounts_workbook.xlsx"));
    let good = std::fs::read(dir.join("public__amounts_workbook.xlsx")).unwrap();
    write("public__workbook_named_csv.csv", &good);

    titled_list_xlsx(&dir.join("highly-confidential__title_rows_numbers_as_phones.xlsx"));
    ods(
        &dir.join("highly-confidential__ods_staff_list.ods"),
        &[
            &["Staff", "Agency", "Mobile"],
            &["Daw Hla Hla", "Hope Relief", "09761234567"],
            &["U Kyaw Soe", "KMSS", "09451234567"],
        ],
    );
    ods(
        &dir.join("restricted__ods_3w.ods"),
        &[
            &["Organisation", "Township", "Reached"],
            &["Hope Relief", "Sittwe", "4225"],
            &["Mercy Link", "Pauktaw", "5315"],
        ],
    );

    // Unreadable inputs: each must fail closed.
    write("fail_truncated.xlsx", &good[..good.len() / 2]);
    let mut encrypted = good.clone();
    mark_encrypted(&mut encrypted);
    write("fail_encrypted_entries.xlsx", &encrypted);
    let mut bomb = good.clone();
    declare_huge_sheet(&mut bomb);
    write("fail_zip_bomb_declared_size.xlsx", &bomb);
    let workbook_xml = b"<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheets><sheet name=\"S\" sheetId=\"1\"/></sheets></workbook>";
    let forged_strings = b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"4000000000\" uniqueCount=\"4000000000\"><si><t>x</t></si></sst>";
    zip_with(
        &dir.join("fail_forged_shared_strings.xlsx"),
        &[
            ("xl/workbook.xml", workbook_xml),
            ("xl/sharedStrings.xml", forged_strings),
        ],
    );
    let ods_bomb = b"<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:spreadsheet><table:table table:name=\"S\"><table:table-row table:number-rows-repeated=\"1000000\"><table:table-cell table:number-columns-repeated=\"16384\" office:value-type=\"float\" office:value=\"1\"><text:p>1</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>";
    zip_with(
        &dir.join("fail_ods_repeat_bomb.ods"),
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("content.xml", ods_bomb),
        ],
    );
    zip_with(
        &dir.join("fail_word_document.xlsx"),
        &[("word/document.xml", b"<w:document/>")],
    );
    let mut no_bom = Vec::new();
    for unit in list.encode_utf16() {
        no_bom.extend_from_slice(&unit.to_le_bytes());
    }
    write("fail_utf16_without_bom.csv", &no_bom);
}

fn expected_label(name: &str) -> Option<Label> {
    name.split("__").next()?.parse().ok()
}

fn describe(report: &ScanReport) -> String {
    let reasons: Vec<&str> = report.reasons.iter().map(|r| r.code.as_str()).collect();
    format!(
        "{} {:?} warnings {:?}",
        report.suggested_label, reasons, report.warnings
    )
}

#[test]
fn every_vector_gets_its_label() {
    let generated = tempfile::tempdir().unwrap();
    generate(generated.path());
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [vectors_dir(), generated.path().to_path_buf()] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let report = scan_file(path);
        println!("{name}: {}", describe(&report));
        if name.starts_with("fail_") {
            println!("    {}", report.reasons[0].message);
        }
        let ok = if name.starts_with("fail_") {
            let reason = report.reasons.first();
            !report.scanned
                && report.suggested_label == Label::HighlyConfidential
                && reason.is_some_and(|r| {
                    r.code == ReasonCode::CouldNotScan && r.message.contains("What went wrong")
                })
        } else if let Some(label) = expected_label(&name) {
            let zawgyi_ok =
                !name.contains("zawgyi") || report.warnings.iter().any(|w| w.contains("Zawgyi"));
            report.scanned && report.suggested_label == label && zawgyi_ok
        } else {
            panic!("{name}: name it <label>__<what>.<ext> or fail_<what>.<ext>");
        };
        if !ok {
            failures.push(format!("{name}: {}", describe(&report)));
        }
        // Whatever the file, the report never holds a raw value from it.
        let json = serde_json::to_string(&report).unwrap();
        for raw in [
            "09761234567",
            "Daw Hla Hla",
            "LaMaNa",
            "aung.kyaw@",
            "၁၂၃၄၅၆",
        ] {
            assert!(!json.contains(raw), "{name}: the report shows {raw:?}");
        }
    }
    assert!(
        failures.is_empty(),
        "vectors with the wrong outcome:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_missing_file_fails_closed_with_advice() {
    let report = scan_file(Path::new("/nonexistent/beneficiaries.csv"));
    assert!(!report.scanned);
    assert_eq!(report.suggested_label, Label::HighlyConfidential);
    assert_eq!(report.file, "beneficiaries.csv");
    assert!(
        report.reasons[0].message.contains("check that it exists"),
        "{:?}",
        report.reasons
    );
}
