//! The OS keyring for real: identities kept in the Secret Service (gnome-keyring in CI), used
//! without any passphrase, and a clear error when the entry disappears. Checked from outside
//! with libsecret's `secret-tool`, which reads the same store.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::{Sandbox, sample, text};

/// Set to 1 where a keyring must be tested (CI): no Secret Service then fails instead of skips.
const REQUIRE_KEYRING: &str = "SEALPOST_TEST_REQUIRE_KEYRING";

const HOW_TO_RUN: &str = "run the tests inside a D-Bus session with an unlocked gnome-keyring: \
    dbus-run-session -- sh -c 'export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d); \
    chmod 700 $XDG_RUNTIME_DIR; printf pw | gnome-keyring-daemon --unlock \
    --components=secrets --daemonize >/dev/null; SEALPOST_TEST_REQUIRE_KEYRING=1 cargo test \
    --test integration keyring' (needs the gnome-keyring and libsecret-tools packages)";

/// The `service` attribute Sealpost's entries carry in the Secret Service.
const SERVICE: &str = "sealpost";

/// `secret-tool ARGS` with `stdin` as its input; stdout and stderr together (it prints
/// attributes on stderr), or why it could not run.
fn secret_tool(args: &[&str], stdin: &str) -> Result<String, String> {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run secret-tool ({e}); install libsecret-tools"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "secret-tool {} failed: {}",
            args.join(" "),
            text.trim()
        ))
    }
}

/// Whether this session has a Secret Service that stores and returns a secret, checked with
/// `secret-tool` so that a Sealpost bug cannot pass for a missing keyring.
fn probe_secret_service(sandbox: &Sandbox) -> Result<(), String> {
    let account = sandbox.path("").display().to_string();
    let attributes = [
        "service",
        "sealpost-test-probe",
        "username",
        account.as_str(),
    ];
    let mut store = vec!["store", "--label", "sealpost test probe"];
    store.extend(attributes);
    secret_tool(&store, "probe")?;
    let mut lookup = vec!["lookup"];
    lookup.extend(attributes);
    let found = secret_tool(&lookup, "");
    let mut clear = vec!["clear"];
    clear.extend(attributes);
    secret_tool(&clear, "")?;
    match found?.trim() {
        "probe" => Ok(()),
        other => Err(format!(
            "the Secret Service returned {other:?} instead of what was stored"
        )),
    }
}

/// True when the keyring can be tested; false (with a loud note) when it cannot and need not.
fn keyring_reachable(sandbox: &Sandbox, test: &str) -> bool {
    let Err(reason) = probe_secret_service(sandbox) else {
        return true;
    };
    if std::env::var_os(REQUIRE_KEYRING).is_some_and(|v| v == "1") {
        panic!("{REQUIRE_KEYRING}=1 but no usable Secret Service ({reason}); {HOW_TO_RUN}");
    }
    // Straight to stderr, not through eprintln!, which the test harness captures and hides.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** keyring::{test} skipped: no Secret Service ({reason}).\n*** To test the OS \
         keyring, {HOW_TO_RUN}\n"
    );
    false
}

/// Sealpost's keyring accounts for `member_id` (`MEMBER_ID.SUFFIX`), as the Secret Service
/// lists them.
fn accounts_of(member_id: &str) -> Result<Vec<String>, String> {
    let listing = secret_tool(&["search", "--all", "service", SERVICE], "")?;
    Ok(listing
        .lines()
        .filter_map(|line| line.strip_prefix("attribute.username = "))
        .filter(|account| account.starts_with(member_id))
        .map(str::to_owned)
        .collect())
}

fn stored_accounts(member_id: &str) -> Vec<String> {
    accounts_of(member_id).expect("secret-tool search works once the probe passed")
}

fn remove_entry(account: &str) -> Result<String, String> {
    secret_tool(&["clear", "service", SERVICE, "username", account], "")
}

/// Removes the member's entries when the test ends, passed or failed, so that a keyring that
/// outlives the test run (a developer's own) keeps no test secrets.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for account in accounts_of(&self.0).unwrap_or_default() {
            let _ = remove_entry(&account);
        }
    }
}

/// Enrols Kay with her keys in the session's keyring (no passphrase anywhere) and returns her
/// `init --json` report with a guard that removes her keyring entries at the end; `None` when
/// the test is skipped because no keyring is reachable.
fn enrol_kay(sandbox: &Sandbox, test: &str) -> Option<(serde_json::Value, Cleanup)> {
    if !keyring_reachable(sandbox, test) {
        return None;
    }
    let created = sandbox
        .sealpost("kay")
        .with_session_keyring()
        .args(["init", "--name", "Kay", "--org", "Example NGO", "--json"])
        .succeeds()
        .json();
    let cleanup = Cleanup(text(&created, "member_id").to_owned());
    Some((created, cleanup))
}

#[test]
fn identity_in_the_os_keyring_opens_parcels_without_a_passphrase() {
    let sandbox = Sandbox::new();
    let Some((created, _cleanup)) = enrol_kay(
        &sandbox,
        "identity_in_the_os_keyring_opens_parcels_without_a_passphrase",
    ) else {
        return;
    };
    // No --passphrase-file, no SEALPOST_PASSPHRASE_FILE, no terminal, in every command below.
    let kay = || sandbox.sealpost("kay").with_session_keyring();
    let member_id = text(&created, "member_id");
    assert_eq!(created["keystore"], "os-keyring");
    assert!(!sandbox.home("kay").join("identity.age").exists());
    assert_eq!(kay().args(["whoami", "--json"]).succeeds().json(), created);
    let words = kay().arg("whoami").succeeds();
    assert!(
        words.stdout.contains("keys kept in:   the OS keyring"),
        "{words}"
    );

    let payload = sample("003_list.csv");
    kay()
        .arg("seal")
        .arg(&payload)
        .args(["--to", text(&created, "age_recipient")])
        .args(["--label", "restricted", "-o", "parcel.age"])
        .succeeds();
    let opened = kay()
        .args(["open", "parcel.age", "-o", "received", "--json"])
        .args(["--expect-sender", text(&created, "signing_key")])
        .succeeds()
        .json();
    assert_eq!(opened["sender"]["status"], "verified");
    assert!(
        std::fs::read(&payload).unwrap()
            == std::fs::read(sandbox.path("received/003_list.csv")).unwrap()
    );

    // The secret really is in the Secret Service: one entry, holding the identity document.
    let accounts = stored_accounts(member_id);
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let secret = secret_tool(
        &["lookup", "service", SERVICE, "username", &accounts[0]],
        "",
    )
    .unwrap();
    assert!(secret.contains(member_id), "the entry names the member");
    assert!(secret.contains(&format!(
        "# public key: {}",
        text(&created, "age_recipient")
    )));
}

#[test]
fn lost_keyring_entry_is_reported_and_a_backup_restores_it() {
    let sandbox = Sandbox::new();
    let Some((created, _cleanup)) = enrol_kay(
        &sandbox,
        "lost_keyring_entry_is_reported_and_a_backup_restores_it",
    ) else {
        return;
    };
    let kay = || sandbox.sealpost("kay").with_session_keyring();
    let member_id = text(&created, "member_id");
    kay()
        .arg("seal")
        .arg(sample("004_sheet.csv"))
        .args(["--to", text(&created, "age_recipient")])
        .args(["--label", "public", "-o", "parcel.age"])
        .succeeds();
    // Keys in the keyring need no unlocking; --passphrase-file names the backup's passphrase.
    kay()
        .args(["identity", "export", "-o", "kay-backup.age"])
        .unlocked()
        .succeeds();

    // The entry disappears (a reset keyring, a cleaning tool, another user profile).
    let accounts = stored_accounts(member_id);
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    remove_entry(&accounts[0]).expect("secret-tool clear works once the probe passed");
    assert!(stored_accounts(member_id).is_empty());

    let lost = "cannot read your identity from the OS keyring";
    kay()
        .args(["open", "parcel.age", "-o", "received"])
        .run()
        .assert_failed_with(lost);
    kay()
        .args(["open", "parcel.age", "-o", "received", "--json"])
        .run()
        .assert_json_error(
            "keyring-read-failed",
            "restore your backup with `sealpost identity import --force BACKUP`",
        );
    assert!(!sandbox.path("received").exists());
    // Public facts stay readable: the member can still tell who they are.
    assert_eq!(kay().args(["whoami", "--json"]).succeeds().json(), created);

    // The backup restores the keys into the keyring; the home already names this identity,
    // so the import says to add --force.
    kay()
        .args(["identity", "import", "kay-backup.age"])
        .unlocked()
        .run()
        .assert_failed_with("add --force");
    let restored = kay()
        .args(["identity", "import", "kay-backup.age", "--force", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(restored["keystore"], "os-keyring");
    assert_eq!(restored["member_id"], created["member_id"]);
    assert_eq!(stored_accounts(member_id).len(), 1);
    kay()
        .args(["open", "parcel.age", "-o", "received"])
        .succeeds();
    assert!(sandbox.path("received/004_sheet.csv").is_file());
}
