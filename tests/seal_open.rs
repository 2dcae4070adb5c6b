//! Parcels between members through the CLI: `seal`, `inspect` and `open`, to members' keys and
//! to a password, with the JSON reports scripts rely on and the refusals people meet.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Sandbox, key_set, keys, sample, sha256_hex, text};

/// A beneficiary list (CSV), a workbook (XLSX) and a note (text), all synthetic.
fn payloads() -> Vec<PathBuf> {
    ["001_export.csv", "011_list.xlsx", "005_sheet.txt"]
        .into_iter()
        .map(sample)
        .collect()
}

fn file_name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

/// The names in a folder, sorted; empty when the folder does not exist.
fn entries(dir: &Path) -> Vec<String> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = listing
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn assert_same_bytes(original: &Path, opened: &Path) {
    assert!(
        std::fs::read(original).unwrap() == std::fs::read(opened).unwrap(),
        "{} differs from {}",
        opened.display(),
        original.display()
    );
}

/// Seals `files` as `member` to their own key (the sender is always a recipient).
fn seal_to_self(sandbox: &Sandbox, member: &Value, files: &[PathBuf], extra: &[&str]) -> Value {
    sandbox
        .sealpost(text(member, "name"))
        .arg("seal")
        .args(files)
        .args([
            "--to",
            text(member, "age_recipient"),
            // The payloads hold names and phone numbers: the scan asks for this label.
            "--label",
            "highly-confidential",
        ])
        .args(extra)
        .arg("--json")
        .unlocked()
        .succeeds()
        .json()
}

#[test]
fn parcel_sealed_to_a_member_opens_for_them_with_the_same_bytes() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let bob = sandbox.member("bob");
    let files = payloads();
    let note = "Round 3 distribution list, Sittwe";

    let sealed = sandbox
        .sealpost("alice")
        .arg("seal")
        .args(&files)
        .args(["--to", text(&bob, "age_recipient")])
        .args([
            "--label",
            "highly-confidential",
            "--note",
            note,
            "-o",
            "parcel.age",
            "--json",
        ])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(
        keys(&sealed),
        key_set(&[
            "parcel_id",
            "output",
            "size",
            "kind",
            "label",
            "note",
            "created_at",
            "encryption",
            "compression",
            "recipients",
            "files"
        ])
    );
    let parcel_size = std::fs::metadata(sandbox.path("parcel.age")).unwrap().len();
    assert_eq!(sealed["size"], parcel_size);
    assert_eq!(sealed["output"], "parcel.age");

    let inspected = sandbox
        .sealpost("bob")
        .args(["inspect", "parcel.age", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(
        keys(&inspected),
        key_set(&[
            "parcel_id",
            "sender",
            "kind",
            "label",
            "note",
            "created_at",
            "encryption",
            "compression",
            "recipients",
            "files",
            "contents_verified"
        ])
    );
    assert_eq!(inspected["parcel_id"], sealed["parcel_id"]);
    assert_eq!(inspected["created_at"], sealed["created_at"]);
    assert!(text(&inspected, "created_at").ends_with('Z'));
    assert_eq!(inspected["kind"], "data");
    assert_eq!(inspected["label"], "highly-confidential");
    assert_eq!(inspected["note"], note);
    assert_eq!(inspected["encryption"], "x25519");
    assert_eq!(inspected["compression"], "zstd");
    assert_eq!(inspected["contents_verified"], false);

    let sender = &inspected["sender"];
    assert_eq!(
        keys(sender),
        key_set(&[
            "member_id",
            "name",
            "org",
            "signing_key",
            "fingerprint",
            "status",
            "roster_version"
        ])
    );
    for fact in ["member_id", "name", "org", "signing_key", "fingerprint"] {
        assert_eq!(sender[fact], alice[fact], "sender {fact}");
    }
    // Neither of them is in a cluster: the signature is valid, but no roster vouches for it.
    assert_eq!(sender["status"], "unknown");
    assert_eq!(sender["roster_version"], Value::Null);

    // Bob and Alice herself, so that she can re-open what she sent; only Alice's entry names
    // a member, since Bob was given as a bare age key.
    let recipients = inspected["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2, "{inspected}");
    for recipient in recipients {
        if recipient["age_recipient"] == alice["age_recipient"] {
            assert_eq!(recipient["member_id"], alice["member_id"]);
        } else {
            assert_eq!(recipient["age_recipient"], bob["age_recipient"]);
            assert_eq!(recipient["member_id"], Value::Null);
        }
    }

    let listed = inspected["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len());
    let media_types = [
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/plain",
    ];
    for ((entry, path), media_type) in listed.iter().zip(&files).zip(media_types) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(entry["name"], file_name(path));
        assert_eq!(entry["size"], bytes.len());
        assert_eq!(entry["sha256"], sha256_hex(&bytes));
        assert_eq!(entry["media_type"], media_type);
    }
    assert_eq!(sealed["files"], inspected["files"]);

    let opened = sandbox
        .sealpost("bob")
        .args(["open", "parcel.age", "-o", "received", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(
        keys(&opened),
        key_set(&[
            "parcel_id",
            "kind",
            "label",
            "note",
            "created_at",
            "sender",
            "files",
            "written"
        ])
    );
    assert_eq!(opened["parcel_id"], sealed["parcel_id"]);
    assert_eq!(opened["sender"], inspected["sender"]);
    assert_eq!(opened["written"], true);
    for (entry, path) in opened["files"].as_array().unwrap().iter().zip(&files) {
        assert_eq!(keys(entry), key_set(&["name", "size", "sha256", "path"]));
        let written = Path::new("received").join(file_name(path));
        assert_eq!(entry["path"], written.to_str().unwrap());
        assert_eq!(entry["sha256"], sha256_hex(&std::fs::read(path).unwrap()));
        assert_same_bytes(path, &sandbox.path("received").join(file_name(path)));
    }
    let mut expected_names: Vec<String> = files.iter().map(|p| file_name(p).into()).collect();
    expected_names.sort();
    assert_eq!(entries(&sandbox.path("received")), expected_names);

    // Alice's key, confirmed (e.g. by phone), turns the sender into "verified".
    let confirmed = sandbox
        .sealpost("bob")
        .args(["open", "parcel.age", "--check", "--json"])
        .args(["--expect-sender", text(&alice, "signing_key")])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(confirmed["sender"]["status"], "verified");

    // The sender can re-open and audit what she sent.
    sandbox
        .sealpost("alice")
        .args(["open", "parcel.age", "--check"])
        .unlocked()
        .succeeds();
}

#[test]
fn wrong_sender_or_wrong_reader_is_refused_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let bob = sandbox.member("bob");
    sandbox
        .sealpost("alice")
        .arg("seal")
        .arg(sample("002_export.csv"))
        .args(["--to", text(&bob, "age_recipient")])
        .args(["--label", "confidential", "-o", "from-alice.age"])
        .unlocked()
        .succeeds();

    // Bob expected the parcel from someone else (here: his own key).
    let refused = sandbox
        .sealpost("bob")
        .args(["open", "from-alice.age", "-o", "received", "--json"])
        .args(["--expect-sender", text(&bob, "signing_key")])
        .unlocked()
        .run();
    refused.assert_json_error("sender-mismatch", "not by the expected sender");
    assert!(
        refused.stderr.contains(text(&alice, "signing_key")),
        "{refused}"
    );
    assert!(
        refused.stderr.contains(text(&bob, "signing_key")),
        "{refused}"
    );
    assert!(entries(&sandbox.path("received")).is_empty());
    sandbox
        .sealpost("bob")
        .args(["inspect", "from-alice.age"])
        .args(["--expect-sender", text(&bob, "signing_key")])
        .unlocked()
        .run()
        .assert_failed_with("not by the expected sender");

    // A parcel Bob sealed for himself alone is not for Alice.
    sandbox
        .sealpost("bob")
        .arg("seal")
        .arg(sample("004_sheet.csv"))
        .args(["--to", text(&bob, "age_recipient")])
        .args(["--label", "public", "-o", "bob-only.age"])
        .unlocked()
        .succeeds();
    sandbox
        .sealpost("alice")
        .args(["open", "bob-only.age", "-o", "received", "--json"])
        .unlocked()
        .run()
        .assert_json_error("not-for-you", "none of your keys opens this parcel");
    assert!(entries(&sandbox.path("received")).is_empty());
}

#[test]
fn check_verifies_everything_but_writes_nothing() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let files = payloads();
    let parcel = sandbox.path("parcel.age");
    seal_to_self(&sandbox, &alice, &files, &["-o", parcel.to_str().unwrap()]);
    let workdir = sandbox.path("workdir");
    std::fs::create_dir(&workdir).unwrap();
    let before = entries(&sandbox.path(""));

    let checked = sandbox
        .sealpost("alice")
        .current_dir(&workdir)
        .arg("open")
        .arg(&parcel)
        .args(["--check", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(checked["written"], false);
    for (entry, path) in checked["files"].as_array().unwrap().iter().zip(&files) {
        assert_eq!(entry["path"], Value::Null);
        assert_eq!(entry["sha256"], sha256_hex(&std::fs::read(path).unwrap()));
    }
    let words = sandbox
        .sealpost("alice")
        .current_dir(&workdir)
        .arg("open")
        .arg(&parcel)
        .arg("--check")
        .unlocked()
        .succeeds();
    assert!(words.stdout.contains("nothing was written"), "{words}");

    assert!(
        entries(&workdir).is_empty(),
        "--check wrote into the working folder"
    );
    assert_eq!(entries(&sandbox.path("")), before);
}

#[test]
fn existing_file_is_never_overwritten_and_nothing_is_left_behind() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let files = [sample("001_export.csv"), sample("004_sheet.csv")];
    seal_to_self(&sandbox, &alice, &files, &["-o", "parcel.age"]);
    let existing = sandbox.write("received/004_sheet.csv", "my own edited copy\n");

    let refused = sandbox
        .sealpost("alice")
        .args(["open", "parcel.age", "-o", "received", "--json"])
        .unlocked()
        .run();
    refused.assert_json_error("would-overwrite", "004_sheet.csv already exists");
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "my own edited copy\n"
    );
    // Not even the file without a clash was written: a refused parcel leaves nothing.
    assert_eq!(entries(&sandbox.path("received")), ["004_sheet.csv"]);

    sandbox
        .sealpost("alice")
        .args(["open", "parcel.age", "-o", "elsewhere"])
        .unlocked()
        .succeeds();
    for path in &files {
        assert_same_bytes(path, &sandbox.path("elsewhere").join(file_name(path)));
    }
}

#[test]
fn password_parcel_opens_without_any_identity() {
    let sandbox = Sandbox::new();
    sandbox.member("alice");
    let password = sandbox.write("password.txt", "shared by phone, never by email\n");
    let payload = sample("020_data.xlsx");

    let sealed = sandbox
        .sealpost("alice")
        .arg("seal")
        .arg(&payload)
        .arg("--password-file")
        .arg(&password)
        .args(["--label", "restricted", "-o", "shared.age"])
        .unlocked()
        .succeeds();
    assert!(
        sealed.stdout.contains("Only the password opens it"),
        "{sealed}"
    );

    // A courier with no identity at all: the password alone opens the parcel.
    let inspected = sandbox
        .sealpost("courier")
        .args(["inspect", "shared.age", "--json", "--password-file"])
        .arg(&password)
        .succeeds()
        .json();
    assert_eq!(inspected["encryption"], "scrypt");
    assert_eq!(inspected["sender"]["name"], "alice");
    let opened = sandbox
        .sealpost("courier")
        .args([
            "open",
            "shared.age",
            "-o",
            "received",
            "--json",
            "--password-file",
        ])
        .arg(&password)
        .succeeds()
        .json();
    assert_eq!(opened["written"], true);
    assert_same_bytes(&payload, &sandbox.path("received/020_data.xlsx"));
    assert!(!sandbox.home("courier").join("profile.json").exists());

    let wrong = sandbox.write("wrong.txt", "shared by email after all\n");
    sandbox
        .sealpost("courier")
        .args([
            "open",
            "shared.age",
            "-o",
            "wrongly",
            "--json",
            "--password-file",
        ])
        .arg(&wrong)
        .run()
        .assert_json_error("wrong-password", "wrong password for this parcel");
    assert!(entries(&sandbox.path("wrongly")).is_empty());

    // Not even the sender's own key opens it.
    sandbox
        .sealpost("alice")
        .args(["open", "shared.age", "--check", "--json"])
        .unlocked()
        .run()
        .assert_json_error("password-protected", "open it with --password-file FILE");

    // One changed byte in the encrypted payload: refused, and nothing written.
    let mut bytes = std::fs::read(sandbox.path("shared.age")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    sandbox.write("tampered.age", bytes);
    sandbox
        .sealpost("courier")
        .args([
            "open",
            "tampered.age",
            "-o",
            "tampered",
            "--json",
            "--password-file",
        ])
        .arg(&password)
        .run()
        .assert_json_error("damaged", "modified after sealing");
    assert!(entries(&sandbox.path("tampered")).is_empty());

    // A password is chosen like a passphrase: at least twelve characters.
    let short = sandbox.write("short.txt", "letmein\n");
    sandbox
        .sealpost("alice")
        .arg("seal")
        .arg(&payload)
        .arg("--password-file")
        .arg(&short)
        .args(["--label", "restricted", "-o", "weak.age", "--json"])
        .unlocked()
        .run()
        .assert_json_error("passphrase-too-short", "choose at least 12");
    assert!(!sandbox.path("weak.age").exists());
}

#[test]
fn password_and_recipients_together_are_a_usage_error() {
    let sandbox = Sandbox::new();
    let password = sandbox.write("password.txt", "shared by phone, never by email\n");
    let recipient = "age1jfd0zt6ka22n8yxershwyxvyrrcytduggkn04zmhj6d4x7rx3f4s8sm6cz";

    sandbox
        .sealpost("alice")
        .arg("seal")
        .arg(sample("004_sheet.csv"))
        .args(["--to", recipient, "--password-file"])
        .arg(&password)
        .args(["--label", "public", "-o", "both.age"])
        .run()
        .assert_usage_error("cannot be used with");
    sandbox
        .sealpost("alice")
        .arg("seal")
        .arg(sample("004_sheet.csv"))
        .args(["--label", "public", "-o", "neither.age"])
        .run()
        .assert_usage_error("--to <RECIPIENT>");
    assert!(!sandbox.path("both.age").exists());
    assert!(!sandbox.path("neither.age").exists());
}

#[test]
fn bad_arguments_are_explained_before_any_passphrase_is_asked() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    // No --passphrase-file anywhere below: each mistake is reported before unlocking.
    let seal = |file: &Path, to: &str, label: &str| {
        sandbox
            .sealpost("alice")
            .arg("seal")
            .arg(file)
            .args(["--to", to, "--label", label, "-o", "parcel.age", "--json"])
            .run()
    };
    let own_key = text(&alice, "age_recipient");
    let sheet = sample("004_sheet.csv");

    seal(&sheet, "age1notakey", "public").assert_json_error(
        "invalid-recipient",
        "\"age1notakey\" is not an age public key",
    );
    seal(&sheet, text(&alice, "signing_key"), "public")
        .assert_json_error("invalid-recipient", "is not an age public key (age1…)");
    seal(&sheet, own_key, "secret")
        .assert_usage_error("use one of public, restricted, confidential, highly-confidential");
    let folder = sandbox.path("field-reports");
    std::fs::create_dir(&folder).unwrap();
    seal(&folder, own_key, "public").assert_json_error(
        "not-a-file",
        "is not a regular file (folders and devices cannot be sealed)",
    );
    seal(&sandbox.path("missing.csv"), own_key, "public")
        .assert_json_error("read-failed", "missing.csv");
    assert!(!sandbox.path("parcel.age").exists());
}

#[test]
fn uncompressed_parcel_round_trips_and_is_larger() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let files = [sample("001_export.csv")];
    let plain = seal_to_self(
        &sandbox,
        &alice,
        &files,
        &["-o", "plain.age", "--no-compress"],
    );
    let compressed = seal_to_self(&sandbox, &alice, &files, &["-o", "compressed.age"]);
    assert_eq!(plain["compression"], "none");
    assert_eq!(compressed["compression"], "zstd");
    // A CSV of names and numbers compresses well; --no-compress really stores it as it is.
    assert!(
        plain["size"].as_u64().unwrap() > 2 * compressed["size"].as_u64().unwrap(),
        "uncompressed {} vs compressed {}",
        plain["size"],
        compressed["size"]
    );

    let opened = sandbox
        .sealpost("alice")
        .args(["open", "plain.age", "-o", "received", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(opened["parcel_id"], plain["parcel_id"]);
    assert_same_bytes(&files[0], &sandbox.path("received/001_export.csv"));
}

#[test]
fn json_errors_have_a_code_and_a_message_on_stdout() {
    let sandbox = Sandbox::new();
    let password = sandbox.write("password.txt", "shared by phone, never by email\n");

    sandbox
        .sealpost("nobody")
        .args(["whoami", "--json"])
        .run()
        .assert_json_error(
            "not-initialised",
            "run `sealpost init --name NAME --org ORG`",
        );
    sandbox
        .sealpost("nobody")
        .arg("open")
        .arg(sample("004_sheet.csv"))
        .args(["--check", "--json", "--password-file"])
        .arg(&password)
        .run()
        .assert_json_error("not-a-parcel", "this is not a Sealpost parcel");
    sandbox
        .sealpost("nobody")
        .args(["inspect", "missing.age", "--json", "--password-file"])
        .arg(&password)
        .run()
        .assert_json_error("io", "missing.age");
    // Without --json, stdout stays empty: the reason is on stderr only.
    let words = sandbox.sealpost("nobody").arg("whoami").run();
    words.assert_failed_with("no Sealpost identity in");
    assert!(words.stdout.is_empty(), "{words}");
}
