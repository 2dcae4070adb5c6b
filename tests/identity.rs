//! Identity commands end to end: `init`, `whoami`, `identity export` and `identity import`,
//! with passphrase-protected identities (no keyring is reachable here; see `keyring.rs`).

use std::process::Command;

use serde_json::Value;

use crate::util::{Sandbox, key_set, keys, sample, text, tool_available};

/// What `whoami --json` promises about a member, besides where their data directory is.
const CARD: [&str; 6] = [
    "member_id",
    "name",
    "org",
    "age_recipient",
    "signing_key",
    "fingerprint",
];

/// The member's public facts and keystore, without the data directory (which differs between
/// the original home and a restored one).
fn without_home(report: &Value) -> Value {
    let mut report = report.clone();
    report
        .as_object_mut()
        .expect("a JSON object")
        .remove("home");
    report
}

fn assert_no_identity(sandbox: &Sandbox, member: &str) {
    assert!(
        !sandbox.home(member).join("profile.json").exists(),
        "a failed command must not leave an identity in {member}'s home"
    );
}

#[test]
fn init_reports_the_new_identity_and_whoami_repeats_it_without_a_passphrase() {
    let sandbox = Sandbox::new();
    let created = sandbox
        .sealpost("aye")
        .args(["init", "--name", "အေးအေး", "--org", "Example NGO", "--json"])
        .unlocked()
        .succeeds()
        .json();

    let mut expected_keys = CARD.to_vec();
    expected_keys.extend(["keystore", "home"]);
    assert_eq!(keys(&created), key_set(&expected_keys));
    assert_eq!(created["name"], "အေးအေး");
    assert_eq!(created["org"], "Example NGO");
    assert_eq!(created["keystore"], "passphrase-file");
    assert_eq!(
        text(&created, "home"),
        sandbox.home("aye").to_str().unwrap()
    );
    let member_id = text(&created, "member_id");
    assert!(
        member_id.len() == 32 && member_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{member_id}"
    );
    assert!(text(&created, "age_recipient").starts_with("age1"));
    let signing_key = text(&created, "signing_key");
    assert!(
        signing_key.starts_with("ed25519:") && signing_key.len() == "ed25519:".len() + 43,
        "{signing_key}"
    );
    let fingerprint = text(&created, "fingerprint");
    let groups: Vec<&str> = fingerprint.split(' ').collect();
    assert!(
        groups.len() == 8
            && groups
                .iter()
                .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())),
        "a fingerprint is 8 groups of 5 digits: {fingerprint}"
    );

    // The secret keys are in an age file under the passphrase, never in the clear.
    let sealed = std::fs::read(sandbox.home("aye").join("identity.age")).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    assert!(!String::from_utf8_lossy(&sealed).contains("AGE-SECRET-KEY-"));

    // whoami reads public facts only: no passphrase file, no variable, no terminal.
    let shown = sandbox
        .sealpost("aye")
        .args(["whoami", "--json"])
        .succeeds();
    assert_eq!(shown.json(), created);
    let words = sandbox.sealpost("aye").arg("whoami").succeeds();
    for fact in ["အေးအေး", "Example NGO", member_id, signing_key, fingerprint] {
        assert!(words.stdout.contains(fact), "whoami omits {fact}:\n{words}");
    }
    assert!(
        words.stdout.contains("protected by your passphrase"),
        "{words}"
    );
    assert!(words.stderr.is_empty(), "{words}");
}

#[test]
fn second_init_is_refused_and_keeps_the_first_identity() {
    let sandbox = Sandbox::new();
    let first = sandbox.member("alice");

    let again = sandbox
        .sealpost("alice")
        .args(["init", "--name", "Mallory", "--org", "Other", "--json"])
        .unlocked()
        .run();
    again.assert_json_error("already-initialised", "already holds the identity of alice");
    assert!(again.stderr.contains(text(&first, "member_id")), "{again}");

    let still = sandbox
        .sealpost("alice")
        .args(["whoami", "--json"])
        .succeeds();
    assert_eq!(still.json(), first);
}

#[test]
fn init_without_keyring_or_passphrase_file_says_to_give_one() {
    let sandbox = Sandbox::new();
    // The harness makes the session bus unreachable, and stdin is not a terminal, so there is
    // neither a keyring nor a person to ask for a passphrase.
    let init = |json: bool| {
        let command =
            sandbox
                .sealpost("alice")
                .args(["init", "--name", "Alice", "--org", "Example NGO"]);
        if json { command.arg("--json") } else { command }.run()
    };

    init(false).assert_failed_with("no OS keyring is reachable from this session");
    init(false).assert_failed_with("give --passphrase-file FILE");
    init(true).assert_json_error("keyring-unavailable", "give --passphrase-file FILE");
    assert_no_identity(&sandbox, "alice");
}

#[test]
fn weak_or_unreadable_passphrase_file_is_refused_and_twelve_characters_suffice() {
    let sandbox = Sandbox::new();
    let init_with = |file: &std::path::Path| {
        sandbox
            .sealpost("alice")
            .args(["init", "--name", "Alice", "--org", "Example NGO", "--json"])
            .arg("--passphrase-file")
            .arg(file)
            .run()
    };

    let eleven = sandbox.write("eleven.txt", "elevenchars\n");
    init_with(&eleven).assert_json_error(
        "passphrase-too-short",
        "too short (11 characters); choose at least 12",
    );
    let empty = sandbox.write("empty.txt", "\n");
    init_with(&empty).assert_failed_with("the passphrase is empty");
    init_with(&sandbox.path("missing.txt")).assert_failed_with("cannot read the passphrase file");
    assert_no_identity(&sandbox, "alice");

    let twelve = sandbox.write("twelve.txt", "twelve chars\n");
    let created = init_with(&twelve);
    assert_eq!(created.code, Some(0), "{created}");
    assert_eq!(created.json()["keystore"], "passphrase-file");
}

#[test]
fn wrong_or_missing_passphrase_is_a_one_line_error() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let wrong = sandbox.write("wrong.txt", "not the passphrase at all\n");
    let seal = || {
        sandbox
            .sealpost("alice")
            .arg("seal")
            .arg(sample("004_sheet.csv"))
            .args(["--to", text(&alice, "age_recipient")])
            .args(["--label", "public", "-o", "parcel.age"])
    };

    seal()
        .arg("--passphrase-file")
        .arg(&wrong)
        .run()
        .assert_failed_with("wrong passphrase for");
    seal()
        .arg("--passphrase-file")
        .arg(&wrong)
        .arg("--json")
        .run()
        .assert_json_error("wrong-passphrase", "wrong passphrase for");
    seal().arg("--json").run().assert_json_error(
        "passphrase-required",
        "give --passphrase-file FILE or set SEALPOST_PASSPHRASE_FILE",
    );
    assert!(!sandbox.path("parcel.age").exists());
}

#[test]
fn passphrase_file_variable_works_like_the_option() {
    let sandbox = Sandbox::new();
    let passphrase_file = sandbox.passphrase_file();
    let created = sandbox
        .sealpost("alice")
        .args(["init", "--name", "Alice", "--org", "Example NGO", "--json"])
        .env("SEALPOST_PASSPHRASE_FILE", &passphrase_file)
        .succeeds()
        .json();
    assert_eq!(created["keystore"], "passphrase-file");

    let seal = |output: &str| {
        sandbox
            .sealpost("alice")
            .arg("seal")
            .arg(sample("004_sheet.csv"))
            .args(["--to", text(&created, "age_recipient")])
            .args(["--label", "public", "-o", output])
    };
    seal("sealed.age")
        .env("SEALPOST_PASSPHRASE_FILE", &passphrase_file)
        .succeeds();
    assert!(sandbox.path("sealed.age").is_file());

    let wrong = sandbox.write("wrong.txt", "not the passphrase at all\n");
    seal("refused.age")
        .env("SEALPOST_PASSPHRASE_FILE", &wrong)
        .run()
        .assert_failed_with("wrong passphrase for");
    assert!(!sandbox.path("refused.age").exists());
}

#[test]
fn plain_export_is_a_standard_age_identity_file() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    assert!(
        tool_available("age-keygen"),
        "age-keygen is missing: install Debian's `age` package (apt-get install age)"
    );

    let export = sandbox
        .sealpost("alice")
        .args([
            "identity",
            "export",
            "--plain",
            "-o",
            "alice-key.txt",
            "--json",
        ])
        .unlocked()
        .succeeds();
    assert!(
        export.stderr.starts_with("WARNING: ")
            && export.stderr.contains("WITHOUT any protection")
            && export.stderr.lines().count() == 1,
        "a plain export warns on stderr:\n{export}"
    );
    let report = export.json();
    assert_eq!(
        keys(&report),
        key_set(&["output", "protected", "member_id"])
    );
    assert_eq!(report["protected"], false);
    assert_eq!(report["member_id"], alice["member_id"]);

    let key_path = sandbox.path("alice-key.txt");
    let document = std::fs::read_to_string(&key_path).unwrap();
    let key_lines: Vec<&str> = document.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        key_lines.len(),
        1,
        "one key line besides comments:\n{document}"
    );
    assert!(key_lines[0].starts_with("AGE-SECRET-KEY-1"));
    assert!(document.contains(&format!("# public key: {}", text(&alice, "age_recipient"))));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "secret keys must be readable by the owner only"
        );
    }

    // age's own tool reads it, comments included, and finds Alice's public key.
    let public = Command::new("age-keygen")
        .arg("-y")
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(public.status.success(), "{public:?}");
    assert_eq!(
        String::from_utf8(public.stdout).unwrap().trim(),
        text(&alice, "age_recipient")
    );

    // An export never replaces an existing file.
    sandbox
        .sealpost("alice")
        .args(["identity", "export", "--plain", "-o", "alice-key.txt"])
        .unlocked()
        .run()
        .assert_failed_with("alice-key.txt");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), document);
}

#[test]
fn protected_backup_restores_the_same_identity_in_a_fresh_home() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let bob = sandbox.member("bob");
    let payload = sample("011_list.xlsx");
    sandbox
        .sealpost("bob")
        .arg("seal")
        .arg(&payload)
        .args(["--to", text(&alice, "age_recipient")])
        .args(["--label", "confidential", "-o", "for-alice.age"])
        .unlocked()
        .succeeds();

    // The variable unlocks the identity; --passphrase-file names the backup's own passphrase.
    let backup_passphrase = sandbox.write("backup-passphrase.txt", "a different backup phrase\n");
    sandbox
        .sealpost("alice")
        .args([
            "identity",
            "export",
            "-o",
            "alice-backup.age",
            "--passphrase-file",
        ])
        .arg(&backup_passphrase)
        .env("SEALPOST_PASSPHRASE_FILE", sandbox.passphrase_file())
        .succeeds();
    let backup = std::fs::read(sandbox.path("alice-backup.age")).unwrap();
    assert!(backup.starts_with(b"age-encryption.org/v1\n-> scrypt "));

    // A typo first: refused, and the new laptop's home stays empty.
    let import = || {
        sandbox
            .sealpost("alice-laptop")
            .args(["identity", "import", "alice-backup.age", "--json"])
    };
    import()
        .unlocked()
        .run()
        .assert_json_error("wrong-passphrase", "wrong passphrase for");
    import()
        .run()
        .assert_json_error("passphrase-required", "--passphrase-file");
    assert_no_identity(&sandbox, "alice-laptop");

    let imported = import()
        .arg("--passphrase-file")
        .arg(&backup_passphrase)
        .succeeds()
        .json();
    assert_eq!(imported["replaced"], false);
    let restored = sandbox
        .sealpost("alice-laptop")
        .args(["whoami", "--json"])
        .succeeds()
        .json();
    assert_eq!(without_home(&restored), without_home(&alice));

    // Without a keyring the restored keys are kept under the backup's passphrase, and they
    // open what was sealed to the original.
    let opened = sandbox
        .sealpost("alice-laptop")
        .args(["open", "for-alice.age", "-o", "opened", "--json"])
        .args(["--expect-sender", text(&bob, "signing_key")])
        .arg("--passphrase-file")
        .arg(&backup_passphrase)
        .succeeds()
        .json();
    assert_eq!(opened["sender"]["status"], "verified");
    assert_eq!(
        std::fs::read(sandbox.path("opened/011_list.xlsx")).unwrap(),
        std::fs::read(&payload).unwrap()
    );
}

#[test]
fn import_over_another_identity_needs_force() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    let carol = sandbox.member("carol");
    sandbox
        .sealpost("alice")
        .args(["identity", "export", "-o", "alice-backup.age"])
        .unlocked()
        .succeeds();
    let import = |force: bool| {
        let command = sandbox
            .sealpost("carol")
            .args(["identity", "import", "alice-backup.age", "--json"])
            .unlocked();
        if force {
            command.arg("--force")
        } else {
            command
        }
        .run()
    };

    let refused = import(false);
    refused.assert_json_error("already-initialised", "already holds the identity of carol");
    assert!(refused.stderr.contains("--force"), "{refused}");
    let unchanged = sandbox
        .sealpost("carol")
        .args(["whoami", "--json"])
        .succeeds();
    assert_eq!(unchanged.json(), carol);

    let replaced = import(true);
    assert_eq!(replaced.code, Some(0), "{replaced}");
    assert_eq!(replaced.json()["replaced"], true);
    let now = sandbox
        .sealpost("carol")
        .args(["whoami", "--json"])
        .succeeds()
        .json();
    assert_eq!(without_home(&now), without_home(&alice));

    // The same backup again is a no-op that says how to store lost keys anew.
    import(false).assert_json_error("already-imported", "add --force");
}

#[test]
fn plain_age_key_without_sealpost_metadata_is_refused() {
    let sandbox = Sandbox::new();
    let alice = sandbox.member("alice");
    sandbox
        .sealpost("alice")
        .args(["identity", "export", "--plain", "-o", "alice-key.txt"])
        .unlocked()
        .succeeds();
    let document = std::fs::read_to_string(sandbox.path("alice-key.txt")).unwrap();
    let bare: String = document
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    let bare_key = sandbox.write("bare-key.txt", bare);
    let import = |file: &std::path::Path| {
        sandbox
            .sealpost("newcomer")
            .args(["identity", "import", "--json"])
            .arg(file)
            .unlocked()
            .run()
    };

    let not_sealpost = "plain age identity without a Sealpost signing key";
    import(&bare_key).assert_json_error("invalid-identity", not_sealpost);
    assert!(
        tool_available("age-keygen"),
        "age-keygen is missing: install Debian's `age` package (apt-get install age)"
    );
    let keygen = Command::new("age-keygen")
        .arg("-o")
        .arg(sandbox.path("age-keygen.txt"))
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{keygen:?}");
    import(&sandbox.path("age-keygen.txt")).assert_json_error("invalid-identity", not_sealpost);
    let wrong_file = sandbox.write("notes.txt", "call Bob about the backup\n");
    import(&wrong_file)
        .assert_json_error("invalid-identity", "this is not a Sealpost identity file");
    assert_no_identity(&sandbox, "newcomer");

    // The complete plain export is a backup too; a passphrase file protects the restored keys.
    let restored = import(&sandbox.path("alice-key.txt"));
    assert_eq!(restored.code, Some(0), "{restored}");
    let mut report = restored.json();
    report.as_object_mut().unwrap().remove("replaced");
    assert_eq!(without_home(&report), without_home(&alice));
}
