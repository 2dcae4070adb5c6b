//! Parcels through a real relay, end to end: a coordinator, an IMO and two partners enrol
//! through the relay, then send, sync, open, get receipts back, correct and delete — and
//! afterwards nothing readable is left on the relay. Also: the encrypted store, the audit
//! log's tamper evidence, offline sending, a removed member being shut out, the IMO's bulk
//! open past a damaged parcel, and the partner's sharing log exported as CSV and HTML.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::relay::{RelayProcess, start_relay_at};
use crate::util::{Outcome, PASSPHRASE, Sandbox, text};

pub(crate) const COORDINATOR: &str = "Daw Khin";
pub(crate) const IMO: &str = "U Ba Tun";
pub(crate) const PARTNER: &str = "Daw Aye Aye";
pub(crate) const PARTNER2: &str = "Saw Htoo";

/// A cluster of four members enrolled through a real relay process.
pub(crate) struct Cluster {
    pub(crate) sandbox: Sandbox,
    pub(crate) relay: RelayProcess,
}

impl Cluster {
    /// Everyone enrolled through a relay on loopback.
    pub(crate) fn new() -> Self {
        Self::with_relay_on(IpAddr::from([127, 0, 0, 1]), &[])
    }

    /// Everyone enrolled through a relay listening on `ip` with `extra` relay arguments.
    pub(crate) fn with_relay_on(ip: IpAddr, extra: &[&str]) -> Self {
        let sandbox = Sandbox::new();
        let coordinator = sandbox.member(COORDINATOR);
        for member in [IMO, PARTNER, PARTNER2] {
            sandbox.member(member);
        }
        let relay = start_relay_at(&sandbox, text(&coordinator, "signing_key"), ip, extra);
        let cluster = Self { sandbox, relay };
        let url = cluster.relay.url.clone();
        cluster
            .json(
                COORDINATOR,
                &["cluster", "create", "--name", "Shelter Cluster"],
            )
            .succeeds();
        cluster
            .json(COORDINATOR, &["relay", "use", &url])
            .succeeds();
        cluster
            .json(COORDINATOR, &["cluster", "publish"])
            .succeeds();
        for (member, role) in [(IMO, "imo"), (PARTNER, "partner"), (PARTNER2, "partner")] {
            let invite = cluster
                .json(
                    COORDINATOR,
                    &["cluster", "invite", "--role", role, "--relay", &url],
                )
                .succeeds()
                .json();
            let out = cluster.sandbox.path(&format!("{member}-join.json"));
            let joined = cluster
                .json(
                    member,
                    &[
                        "join",
                        text(&invite, "code"),
                        "--out",
                        out.to_str().expect("a UTF-8 path"),
                    ],
                )
                .succeeds()
                .json();
            assert_eq!(joined["sent_to_relay"], true, "{joined}");
        }
        let listed = cluster
            .json(COORDINATOR, &["cluster", "requests"])
            .succeeds()
            .json();
        for request in listed["requests"].as_array().expect("requests") {
            cluster
                .json(COORDINATOR, &["cluster", "approve", text(request, "id")])
                .succeeds();
        }
        for member in [IMO, PARTNER, PARTNER2] {
            let pulled = cluster.json(member, &["roster", "pull"]).succeeds().json();
            assert_eq!(pulled["version"], 4, "{pulled}");
        }
        cluster
    }

    /// `sealpost ARGS --json` as `member`, identity unlocked.
    pub(crate) fn json(&self, member: &str, args: &[&str]) -> crate::util::Sealpost {
        self.sandbox
            .sealpost(member)
            .args(args)
            .arg("--json")
            .unlocked()
    }

    /// Sends `files` from `member` to the cluster's IMOs; returns the parcel id.
    pub(crate) fn send(&self, member: &str, files: &[&Path], label: &str) -> String {
        let mut args = vec!["send".to_owned()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        args.extend(["--to", "role:imo", "--label", label].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let sent = self.json(member, &args).succeeds().json();
        text(&sent, "parcel_id").to_owned()
    }

    /// One sync pass as `member`; returns its report.
    pub(crate) fn sync(&self, member: &str) -> Value {
        self.json(member, &["sync"]).succeeds().json()
    }

    /// `member`'s inbox entry for `parcel`.
    pub(crate) fn inbox_entry(&self, member: &str, parcel: &str) -> Value {
        let inbox = self.json(member, &["inbox"]).succeeds().json();
        inbox["parcels"]
            .as_array()
            .expect("parcels")
            .iter()
            .find(|p| p["parcel_id"] == parcel)
            .unwrap_or_else(|| panic!("{parcel} is not in {member}'s inbox: {inbox}"))
            .clone()
    }

    /// `member`'s sent-list entry for `parcel`.
    pub(crate) fn sent_entry(&self, member: &str, parcel: &str) -> Value {
        let sent = self.json(member, &["sent"]).succeeds().json();
        sent["parcels"]
            .as_array()
            .expect("parcels")
            .iter()
            .find(|p| p["parcel_id"] == parcel)
            .unwrap_or_else(|| panic!("{parcel} is not in {member}'s sent list: {sent}"))
            .clone()
    }

    /// The events of the receipts `member` holds for `parcel` from `recipient`.
    pub(crate) fn receipts(&self, member: &str, parcel: &str, recipient: &str) -> Vec<Value> {
        let entry = self.sent_entry(member, parcel);
        entry["recipients"]
            .as_array()
            .expect("recipients")
            .iter()
            .find(|r| r["name"] == recipient)
            .unwrap_or_else(|| panic!("{recipient} is not a recipient: {entry}"))["receipts"]
            .as_array()
            .expect("receipts")
            .clone()
    }

    pub(crate) fn home(&self, member: &str) -> PathBuf {
        self.sandbox.home(member)
    }

    /// `member`'s mailroom through the core API, as a test playing someone who holds the
    /// member's keys (to tamper with the store).
    pub(crate) fn mailroom(&self, member: &str) -> sealpost_core::Mailroom {
        let home = sealpost_core::Home::new(self.home(member));
        let passphrase = sealpost_core::Passphrase::new(PASSPHRASE.to_owned()).unwrap();
        let me = home.unlock(Some(&passphrase)).unwrap();
        sealpost_core::Mailroom::open(&home, me).unwrap()
    }
}

/// An RFC 3339 time the CLI printed under `key`.
fn time_field(value: &Value, key: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        text(value, key),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or_else(|e| panic!("{key} is not an RFC 3339 time ({e}): {value}"))
}

fn events(receipts: &[Value]) -> Vec<&str> {
    receipts.iter().map(|r| text(r, "event")).collect()
}

/// A CSV with a marker string that must never appear outside the members' laptops.
pub(crate) fn beneficiary_list(sandbox: &Sandbox, name: &str, marker: &str) -> PathBuf {
    let mut csv = String::from("household_id,head_of_household,phone,village\n");
    for i in 0..2000 {
        csv.push_str(&format!(
            "HH{i:05},{marker} Person {i},09-7{i:08},Kyaukme village {}\n",
            i % 37
        ));
    }
    sandbox.write(name, csv)
}

/// Township-level figures with no names, phones or precise places: the scan suggests
/// `public`, so any label may be chosen for it (raising a label is always allowed).
fn township_figures(sandbox: &Sandbox, name: &str, marker: &str) -> PathBuf {
    let mut csv = String::from("State,Township Pcode,Sector,People reached,Plan code\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "Shan,MMR014{:03},WASH,{},{marker}\n",
            i % 50 + 1,
            1000 + i * 7
        ));
    }
    sandbox.write(name, csv)
}

/// Every file under `dir`, read whole.
fn every_file(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read a directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).expect("read a file")));
            }
        }
    }
    out
}

/// Checks every file of the relay's data directory (database, WAL, blobs) and its log for
/// each of `secrets`: the relay must never hold any of them.
fn assert_relay_never_saw(cluster: &Cluster, secrets: &[&str]) {
    let mut relay_files = every_file(&cluster.sandbox.path("relay-data"));
    relay_files.push((
        cluster.sandbox.path("relay.log"),
        cluster.relay.log().into_bytes(),
    ));
    assert!(
        relay_files.iter().any(|(p, _)| p.ends_with("relay.sqlite")),
        "the scan covers the database"
    );
    for (path, bytes) in &relay_files {
        for secret in secrets {
            assert!(
                !contains(bytes, secret),
                "{} holds {secret:?}",
                path.display()
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn partners_share_with_the_imo_get_receipts_correct_and_delete_through_a_real_relay() {
    let cluster = Cluster::new();
    let sandbox = &cluster.sandbox;
    let marker = "MARKER-Thazin-7731";
    let list = beneficiary_list(sandbox, "kyaukme-distribution-q3.csv", marker);

    // The people a partner can send to (the desktop app's recipient list): everyone else on
    // the roster, the IMO first and chosen by default.
    let contacts = cluster.mailroom(PARTNER).contacts().unwrap();
    let names: Vec<&str> = contacts.iter().map(|c| c.person.name.as_str()).collect();
    assert_eq!(names, [IMO, COORDINATOR, PARTNER2]);
    let defaults: Vec<bool> = contacts.iter().map(|c| c.default_recipient).collect();
    assert_eq!(defaults, [true, false, false]);
    assert_eq!(contacts[0].roles, ["imo"]);

    // Partner 1 sends; the parcel is uploaded at once.
    let sent = cluster
        .json(
            PARTNER,
            &[
                "send",
                list.to_str().unwrap(),
                "--to",
                "role:imo",
                "--label",
                "highly-confidential",
                "--note",
                "Q3 distribution, Kyaukme",
            ],
        )
        .succeeds()
        .json();
    assert_eq!(sent["uploaded"], true, "{sent}");
    assert_eq!(sent["recipients"], serde_json::json!([IMO]), "{sent}");
    let parcel = text(&sent, "parcel_id").to_owned();

    // The IMO receives it: verified sender, label, note, files; a delivered receipt goes back.
    let report = cluster.sync(IMO);
    assert_eq!(
        report["received"][0]["parcel_id"],
        parcel.as_str(),
        "{report}"
    );
    let entry = cluster.inbox_entry(IMO, &parcel);
    for key in [
        "parcel_id",
        "kind",
        "label",
        "sender",
        "files",
        "received_at",
        "status",
    ] {
        assert!(entry.get(key).is_some(), "{key} missing: {entry}");
    }
    assert_eq!(entry["kind"], "data");
    assert_eq!(entry["label"], "highly-confidential");
    assert_eq!(entry["sender"]["name"], PARTNER);
    assert_eq!(entry["sender_status"], "verified");
    assert_eq!(entry["status"], "new");
    assert_eq!(entry["note"], "Q3 distribution, Kyaukme");
    assert_eq!(entry["files"][0]["name"], "kyaukme-distribution-q3.csv");
    assert!(
        entry["keep_until"].is_string(),
        "highly-confidential parcels have a local retention: {entry}"
    );
    // The other partner got nothing: it was addressed to the IMOs only.
    let other = cluster.sync(PARTNER2);
    assert_eq!(other["received"], serde_json::json!([]), "{other}");

    cluster.sync(PARTNER);
    assert_eq!(
        events(&cluster.receipts(PARTNER, &parcel, IMO)),
        ["delivered"]
    );

    // Highly confidential: without a terminal to ask on, opening needs --yes.
    cluster
        .json(IMO, &["open", &parcel])
        .run()
        .assert_json_error("confirmation-required", "--yes");
    let opened = cluster
        .json(IMO, &["open", &parcel, "--yes"])
        .succeeds()
        .json();
    assert_eq!(opened["managed"], true, "{opened}");
    let managed = PathBuf::from(text(&opened, "dir")).join("kyaukme-distribution-q3.csv");
    assert_eq!(
        std::fs::read(&managed).unwrap(),
        std::fs::read(&list).unwrap()
    );
    // A second copy in a folder of the IMO's own choosing: Sealpost cannot delete that one.
    let elsewhere = sandbox.path("imo-desktop");
    let opened_elsewhere = cluster
        .json(
            IMO,
            &["open", &parcel, "--yes", "-o", elsewhere.to_str().unwrap()],
        )
        .succeeds()
        .json();
    assert_eq!(opened_elsewhere["managed"], false);
    assert_eq!(
        opened_elsewhere["receipt_queued"], false,
        "one opened receipt"
    );
    assert_eq!(cluster.inbox_entry(IMO, &parcel)["status"], "opened");
    cluster.sync(PARTNER);
    assert_eq!(
        events(&cluster.receipts(PARTNER, &parcel, IMO)),
        ["delivered", "opened"]
    );

    // A correction: the IMO sees the old parcel as superseded by the new one.
    let corrected_list = beneficiary_list(sandbox, "kyaukme-distribution-q3-v2.csv", marker);
    let correction = cluster
        .json(
            PARTNER,
            &["correct", &parcel, corrected_list.to_str().unwrap()],
        )
        .succeeds()
        .json();
    let correction_id = text(&correction, "parcel_id").to_owned();
    cluster.sync(IMO);
    let old = cluster.inbox_entry(IMO, &parcel);
    assert_eq!(old["status"], "superseded", "{old}");
    assert_eq!(old["superseded_by"], correction_id.as_str(), "{old}");
    let new = cluster.inbox_entry(IMO, &correction_id);
    assert_eq!(new["supersedes"], parcel.as_str(), "{new}");
    assert_eq!(new["label"], "highly-confidential", "the original's label");
    // Only its sender may correct a parcel.
    cluster
        .json(IMO, &["correct", &parcel, corrected_list.to_str().unwrap()])
        .run()
        .assert_json_error("not-allowed", "only its sender");

    // Deletion: the IMO's app deletes the sealed copy and the managed opened copy, cannot
    // reach the one on the IMO's desktop, and says exactly that in the signed receipt.
    let deleted = cluster
        .json(PARTNER, &["delete", &parcel])
        .succeeds()
        .json();
    assert!(deleted["request_id"].is_string(), "{deleted}");
    let report = cluster.sync(IMO);
    assert_eq!(report["erased"], serde_json::json!([parcel]), "{report}");
    assert!(!managed.exists(), "the managed copy is deleted");
    assert!(
        elsewhere.join("kyaukme-distribution-q3.csv").exists(),
        "a copy outside Sealpost's folder is not touched"
    );
    assert_eq!(cluster.inbox_entry(IMO, &parcel)["status"], "deleted");
    let vault_files: Vec<String> = std::fs::read_dir(cluster.home(IMO).join("vault"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !vault_files.iter().any(|f| f.starts_with(&parcel)),
        "the sealed copy is gone: {vault_files:?}"
    );
    cluster
        .json(IMO, &["open", &parcel, "--yes"])
        .run()
        .assert_json_error("not-allowed", "no longer held");
    cluster.sync(PARTNER);
    let receipts = cluster.receipts(PARTNER, &parcel, IMO);
    assert_eq!(events(&receipts), ["delivered", "opened", "deleted"]);
    let detail = text(&receipts[2], "detail");
    assert!(
        detail.contains("Deleted the sealed copy")
            && detail.contains("Deleted 1 opened file")
            && detail.contains("Could not reach 1 opened copy"),
        "an honest deletion receipt: {detail}"
    );
    // The blob is gone from the relay too: nothing left to download.
    let sent_list = cluster.json(PARTNER, &["sent"]).succeeds().json();
    assert!(
        sent_list["parcels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["parcel_id"] == parcel.as_str() && p["status"] == "deletion-requested"),
        "{sent_list}"
    );

    // Partner 2 sends, and is then removed: the relay shuts them out, and their apps refuse to
    // seal for the cluster; the IMO refuses a parcel signed by a removed member.
    let list2 = beneficiary_list(sandbox, "hpa-an-nfi-list.csv", marker);
    let before_removal = cluster.send(PARTNER2, &[&list2], "highly-confidential");
    cluster
        .json(COORDINATOR, &["cluster", "remove", PARTNER2])
        .succeeds();
    cluster
        .json(PARTNER2, &["sync"])
        .run()
        .assert_failed_with("not in its current roster");
    cluster
        .json(
            PARTNER2,
            &[
                "send",
                list2.to_str().unwrap(),
                "--to",
                "role:imo",
                "--label",
                "highly-confidential",
            ],
        )
        .run()
        .assert_failed_with("removed");
    let report = cluster.sync(IMO);
    assert_eq!(
        report["rejected"].as_array().map(Vec::len),
        Some(1),
        "a parcel signed by a removed member is refused: {report}"
    );
    assert!(
        text(&report["rejected"][0], "reason").contains("removed"),
        "{report}"
    );
    let inbox = cluster.json(IMO, &["inbox"]).succeeds().json();
    assert!(
        !inbox.to_string().contains(&before_removal),
        "refused parcels stay out of the inbox: {inbox}"
    );

    // Every member's audit log verifies.
    for member in [PARTNER, IMO] {
        let verified = cluster.json(member, &["log", "--verify"]).succeeds().json();
        assert_eq!(verified["problems"], serde_json::json!([]), "{verified}");
        assert!(verified["entries"].as_u64().unwrap() > 5, "{verified}");
    }

    // Nothing readable on the relay: no file name, no content marker, no note, no label, no
    // member name.
    assert_relay_never_saw(
        &cluster,
        &[
            marker,
            "kyaukme-distribution-q3",
            "hpa-an-nfi-list",
            "Kyaukme",
            "Q3 distribution",
            "highly-confidential",
            "confidential",
            "HH00001",
            PARTNER,
            IMO,
        ],
    );
    // Nor in the members' encrypted stores (the vault holds only ciphertext too).
    for member in [PARTNER, IMO] {
        for (path, bytes) in every_file(&cluster.home(member))
            .into_iter()
            .filter(|(p, _)| !p.starts_with(cluster.home(member).join("opened")))
        {
            for secret in [marker, "kyaukme-distribution-q3", "highly-confidential"] {
                assert!(
                    !contains(&bytes, secret),
                    "{} holds {secret:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_parcel_waits_in_the_outbox_while_the_relay_is_down_and_goes_at_the_next_sync() {
    let mut cluster = Cluster::new();
    let list = township_figures(&cluster.sandbox, "offline.csv", "PLAN-offline");
    cluster.relay.kill();
    let sent = cluster
        .json(
            PARTNER,
            &[
                "send",
                list.to_str().unwrap(),
                "--to",
                IMO,
                "--label",
                "confidential",
            ],
        )
        .succeeds()
        .json();
    assert_eq!(sent["uploaded"], false, "{sent}");
    let parcel = text(&sent, "parcel_id").to_owned();
    let outbox = cluster.json(PARTNER, &["outbox"]).succeeds().json();
    assert_eq!(
        outbox["parcels"][0]["parcel_id"],
        parcel.as_str(),
        "{outbox}"
    );
    assert_eq!(outbox["parcels"][0]["confirmed"], 0, "{outbox}");
    // A sync while offline fails (exit code 1) but says what waits, and loses nothing.
    let offline: Outcome = cluster.json(PARTNER, &["sync", "--patience", "1"]).run();
    assert_eq!(offline.code, Some(1), "{offline}");
    let report = offline.json();
    assert_eq!(
        report["waiting"][0]["parcel_id"],
        parcel.as_str(),
        "{report}"
    );

    cluster.relay.restart();
    let report = cluster.sync(PARTNER);
    assert_eq!(report["sent"][0]["parcel_id"], parcel.as_str(), "{report}");
    assert_eq!(report["sent"][0]["resent_bytes"], 0, "{report}");
    let outbox = cluster.json(PARTNER, &["outbox"]).succeeds().json();
    assert_eq!(outbox["parcels"], serde_json::json!([]), "{outbox}");
    cluster.sync(IMO);
    assert_eq!(cluster.inbox_entry(IMO, &parcel)["label"], "confidential");
}

#[test]
fn the_store_is_encrypted_and_the_audit_log_shows_edits_and_removals() {
    let cluster = Cluster::new();
    let list = township_figures(&cluster.sandbox, "audit.csv", "PLAN-audit");
    cluster.send(PARTNER, &[&list], "restricted");
    cluster.send(PARTNER, &[&list], "restricted");
    let home = cluster.home(PARTNER);

    // SQLCipher: the database is not SQLite without its key.
    let db = std::fs::read(home.join("mailroom.db")).unwrap();
    assert!(!db.starts_with(b"SQLite format 3"), "encrypted at rest");
    assert!(!contains(&db, "audit.csv"));

    let verified = cluster
        .json(PARTNER, &["log", "--verify"])
        .succeeds()
        .json();
    assert_eq!(verified["problems"], serde_json::json!([]), "{verified}");
    let entries = verified["entries"].as_u64().unwrap();
    assert!(entries >= 4, "{verified}");

    let open = || cluster.mailroom(PARTNER);
    let problems = || {
        let failed = cluster.json(PARTNER, &["log", "--verify"]).run();
        assert_eq!(failed.code, Some(1), "{failed}");
        failed.json()["problems"].to_string()
    };
    // The app itself cannot change or remove an entry: the triggers refuse.
    let err = open()
        .tamper_for_tests("UPDATE log SET detail = 'x' WHERE seq = 1;")
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");

    // Someone holding the keys drops the triggers. Cutting off the newest entry is caught by
    // the signed checkpoint that covered it.
    open()
        .tamper_for_tests(&format!(
            "DROP TRIGGER log_no_update; DROP TRIGGER log_no_delete; \
             DELETE FROM log WHERE seq = {entries};"
        ))
        .unwrap();
    assert!(
        problems().contains("covers an entry that is gone"),
        "{}",
        problems()
    );
    // Removing one in the middle breaks the chain.
    open()
        .tamper_for_tests("DELETE FROM log WHERE seq = 2;")
        .unwrap();
    assert!(
        problems().contains("entries 2 to 2 are missing"),
        "{}",
        problems()
    );
    // Editing one changes its hash.
    open()
        .tamper_for_tests("UPDATE log SET detail = 'nothing happened' WHERE seq = 1;")
        .unwrap();
    assert!(problems().contains("entry 1 was changed"), "{}", problems());
}

#[test]
fn label_retention_erases_received_parcels_and_another_members_keys_cannot_open_a_store() {
    let cluster = Cluster::new();
    let list = township_figures(&cluster.sandbox, "retention.csv", "PLAN-retention");
    let parcel = cluster.send(PARTNER, &[&list], "confidential");
    cluster.sync(IMO);
    let entry = cluster.inbox_entry(IMO, &parcel);
    // The roster's default policy keeps confidential parcels 180 days in members' apps.
    let received = time_field(&entry, "received_at");
    let keep_until = time_field(&entry, "keep_until");
    assert_eq!((keep_until - received).whole_days(), 180, "{entry}");
    let opened = cluster.json(IMO, &["open", &parcel]).succeeds().json();
    let opened_file = PathBuf::from(text(&opened, "dir")).join("retention.csv");
    assert!(opened_file.exists());

    // Time passes (the retention date is moved into the past): the next sync erases the
    // sealed copy and the copy opened into Sealpost's folder.
    cluster
        .mailroom(IMO)
        .tamper_for_tests("UPDATE parcels SET keep_until = '2000-01-01T00:00:00Z';")
        .unwrap();
    let report = cluster.sync(IMO);
    assert_eq!(report["expired"], serde_json::json!([parcel]), "{report}");
    assert_eq!(cluster.inbox_entry(IMO, &parcel)["status"], "expired");
    assert!(!opened_file.exists());
    cluster
        .json(IMO, &["open", &parcel])
        .run()
        .assert_json_error("not-allowed", "no longer held");

    // The store is keyed from its member's keys: the IMO's store copied into the partner's
    // data directory does not open with the partner's keys.
    for file in ["mailroom.db", "mailroom.key"] {
        let target = cluster.home(PARTNER).join(file);
        let _ = std::fs::remove_file(&target);
        std::fs::copy(cluster.home(IMO).join(file), &target).unwrap();
    }
    let _ = std::fs::remove_file(cluster.home(PARTNER).join("mailroom.db-wal"));
    let _ = std::fs::remove_file(cluster.home(PARTNER).join("mailroom.db-shm"));
    cluster
        .json(PARTNER, &["inbox"])
        .run()
        .assert_json_error("store-key", "none of your keys opens it");
}

#[test]
fn an_imo_opens_every_new_parcel_at_once_and_one_damaged_parcel_stops_nothing() {
    let cluster = Cluster::new();
    let mut parcels = Vec::new();
    for i in 0..3 {
        let list = township_figures(
            &cluster.sandbox,
            &format!("figures-{i}.csv"),
            &format!("PLAN-bulk-{i}"),
        );
        parcels.push(cluster.send(PARTNER, &[&list], "confidential"));
    }
    let list = beneficiary_list(&cluster.sandbox, "households.csv", "BULK-HH");
    let highly = cluster.send(PARTNER2, &[&list], "highly-confidential");
    parcels.push(highly.clone());
    cluster.sync(IMO);

    // One parcel is damaged in the IMO's vault (a disk error, a tampered backup).
    let damaged = parcels[1].clone();
    let vault = cluster.home(IMO).join("vault");
    let file = std::fs::read_dir(&vault)
        .expect("the vault")
        .map(|e| e.expect("a vault entry").path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&damaged)
        })
        .expect("the damaged parcel's sealed file");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();

    // A highly confidential parcel among them: without a terminal to ask, nothing is written
    // until --yes says the IMO knows.
    let out = cluster.sandbox.path("opened-all");
    let out_arg = out.to_str().unwrap();
    cluster
        .json(IMO, &["open", "--all", "-o", out_arg])
        .run()
        .assert_failed_with("--yes");
    assert!(!out.exists(), "nothing is written before the confirmation");

    let report = cluster.sandbox.path("open-report.csv");
    let report_arg = report.to_str().unwrap();
    let run = cluster
        .json(
            IMO,
            &[
                "open", "--all", "--yes", "-o", out_arg, "--report", report_arg,
            ],
        )
        .run();
    run.assert_failed_with("1 of 4 parcels could not be opened");
    let result = run.json();
    assert_eq!(result["opened"], 3, "{result}");
    assert_eq!(result["failed"], 1, "{result}");
    let lines = result["parcels"].as_array().expect("parcels");
    assert_eq!(lines.len(), 4, "{result}");
    for line in lines {
        let id = text(line, "parcel_id");
        if id == damaged {
            assert_eq!(line["outcome"], "failed", "{line}");
            assert!(line["dir"].is_null(), "{line}");
            assert!(!text(line, "error").is_empty(), "{line}");
            assert!(!out.join(id).join("figures-1.csv").exists());
        } else {
            assert_eq!(line["outcome"], "opened", "{line}");
            assert!(
                out.join(id).read_dir().expect("its folder").count() == 1,
                "{line}"
            );
        }
    }
    assert!(
        out.join(&highly).join("households.csv").exists(),
        "the highly confidential parcel opened into its own folder"
    );
    // The CSV report, for the IMO's spreadsheet: a header and one row per parcel.
    let csv = std::fs::read_to_string(&report).expect("the CSV report");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(
        rows[0].starts_with("parcel_id,received_at,sender,"),
        "{csv}"
    );
    let damaged_row = rows
        .iter()
        .find(|r| r.starts_with(damaged.as_str()))
        .expect("the damaged parcel's row");
    assert!(damaged_row.contains(",failed,"), "{damaged_row}");
    assert_eq!(
        rows.iter().filter(|r| r.contains(",opened,")).count(),
        3,
        "{csv}"
    );
    // An existing report is never replaced, and nothing is opened before that is known.
    cluster
        .json(IMO, &["open", "--all", "--yes", "--report", report_arg])
        .run()
        .assert_failed_with("already exists");

    // The opened ones are not chosen again; the damaged one still is, and fails again.
    let again = cluster.json(IMO, &["open", "--all", "--yes"]).run();
    again.assert_failed_with("1 of 1 parcels");
    assert_eq!(again.json()["parcels"][0]["parcel_id"], damaged.as_str());
    // --since a day to come: nothing chosen.
    let none = cluster
        .json(IMO, &["open", "--all", "--since", "2999-01-01"])
        .succeeds()
        .json();
    assert_eq!(none["parcels"], serde_json::json!([]), "{none}");
    cluster
        .json(IMO, &["open", "--all", "--since", "last week"])
        .run()
        .assert_failed_with("YYYY-MM-DD");

    // The senders learn which parcels were opened: the damaged one got no `opened` receipt.
    cluster.sync(PARTNER);
    assert!(events(&cluster.receipts(PARTNER, &parcels[0], IMO)).contains(&"opened"));
    assert!(!events(&cluster.receipts(PARTNER, &damaged, IMO)).contains(&"opened"));

    // The partner's right to know, as files: the sharing log as CSV and as a printable page.
    let log_csv = cluster.sandbox.path("sharing-log.csv");
    let exported = cluster
        .json(PARTNER, &["sent", "--export", log_csv.to_str().unwrap()])
        .succeeds()
        .json();
    assert_eq!(exported["parcels"], 3, "{exported}");
    let csv = std::fs::read_to_string(&log_csv).expect("the exported CSV");
    let rows: Vec<&str> = csv.lines().collect();
    // A header and one row per parcel and recipient (each went to the one IMO).
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows[0].starts_with("parcel_id,sealed_at,kind,label,files,"),
        "{csv}"
    );
    let row_of = |id: &str| {
        *rows
            .iter()
            .find(|r| r.starts_with(id))
            .expect("a parcel's row")
    };
    let opened_row: Vec<&str> = row_of(&parcels[0]).split(',').collect();
    let damaged_row: Vec<&str> = row_of(&damaged).split(',').collect();
    assert_eq!(opened_row[8], IMO, "{csv}");
    assert!(opened_row[11].starts_with("20"), "delivered_at: {csv}");
    assert!(opened_row[12].starts_with("20"), "opened_at: {csv}");
    assert!(damaged_row[11].starts_with("20"), "delivered_at: {csv}");
    assert_eq!(
        damaged_row[12], "",
        "the damaged parcel was never opened: {csv}"
    );
    let log_html = cluster.sandbox.path("sharing-log.html");
    cluster
        .json(PARTNER, &["sent", "--export", log_html.to_str().unwrap()])
        .succeeds();
    let page = std::fs::read_to_string(&log_html).expect("the exported page");
    assert!(
        page.contains(&format!("Sharing log of {PARTNER}")),
        "{page}"
    );
    assert!(
        page.contains("figures-0.csv") && page.contains(&parcels[2]),
        "{page}"
    );
    // Never over an existing file; an unknown extension says which to use.
    cluster
        .json(PARTNER, &["sent", "--export", log_html.to_str().unwrap()])
        .run()
        .assert_failed_with("already exists");
    let pdf = cluster.sandbox.path("sharing-log.pdf");
    cluster
        .json(PARTNER, &["sent", "--export", pdf.to_str().unwrap()])
        .run()
        .assert_failed_with("FILE.html");
}

/// The recipients' names of a queued parcel (`send`'s JSON), sorted.
fn recipient_names(queued: &Value) -> Vec<String> {
    let names: Vec<&str> = queued["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| r.as_str().expect("a name"))
        .collect();
    sorted(&names)
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort_unstable();
    names
}

/// The kinds in `member`'s inbox, by parcel id.
fn inbox_kinds(cluster: &Cluster, member: &str) -> Vec<(String, String)> {
    let inbox = cluster.json(member, &["inbox"]).succeeds().json();
    inbox["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .map(|p| (text(p, "parcel_id").to_owned(), text(p, "kind").to_owned()))
        .collect()
}

/// `sealpost product publish REPORT --sources ARGS…` as the IMO (ARGS may end with options).
/// The IMO publishes `report` made from `sources`, with a note saying where the dashboard is.
fn publish(cluster: &Cluster, report: &Path, sources: &[&str]) -> crate::util::Sealpost {
    let mut args = vec![
        "product",
        "publish",
        report.to_str().unwrap(),
        "--note",
        PRODUCT_NOTE,
        "--sources",
    ];
    args.extend_from_slice(sources);
    cluster.json(IMO, &args)
}

const PRODUCT_NOTE: &str = "The interactive version: https://example.org/shan-4w-dashboard";

#[test]
fn a_product_reaches_exactly_the_partners_whose_parcels_it_was_made_from() {
    let cluster = Cluster::new();
    let a = township_figures(&cluster.sandbox, "shan-wash.csv", "PLAN-prod-a");
    let a = cluster.send(PARTNER, &[&a], "confidential");
    let b = township_figures(&cluster.sandbox, "shan-health.csv", "PLAN-prod-b");
    let b = cluster.send(PARTNER2, &[&b], "confidential");
    cluster.sync(IMO);

    // A product made from the first partner's parcel only: the second partner never gets it.
    let report = cluster.sandbox.write(
        "products/4w-summary.txt",
        "4W summary, Shan, November: WASH partners reached 12,400 people in 9 townships.\n",
    );
    let published = publish(&cluster, &report, &[&a]).succeeds().json();
    let product = text(&published, "parcel_id").to_owned();
    assert_eq!(published["kind"], "product", "{published}");
    assert_eq!(
        published["recipients"],
        serde_json::json!([PARTNER]),
        "{published}"
    );
    // No --label: the scan's suggestion for a text of aggregated figures.
    assert_eq!(cluster.sent_entry(IMO, &product)["label"], "public");

    cluster.sync(PARTNER);
    cluster.sync(PARTNER2);
    assert!(
        inbox_kinds(&cluster, PARTNER).contains(&(product.clone(), "product".to_owned())),
        "the partner whose parcel was used has the product"
    );
    assert!(
        !inbox_kinds(&cluster, PARTNER2)
            .iter()
            .any(|(id, _)| *id == product),
        "a partner whose data was not used must not get the product"
    );
    // The partner's own view of its data: the product is listed under the parcel it used.
    let entry = cluster.sent_entry(PARTNER, &a);
    assert_eq!(
        entry["products"][0]["parcel_id"],
        product.as_str(),
        "{entry}"
    );
    assert_eq!(entry["products"][0]["publisher"]["name"], IMO, "{entry}");
    assert_eq!(entry["products"][0]["note"], PRODUCT_NOTE, "{entry}");
    assert_eq!(
        cluster.sent_entry(PARTNER2, &b)["products"],
        serde_json::json!([])
    );
    // It opens like any parcel, and is in the partner's exported sharing log.
    let opened = cluster
        .json(PARTNER, &["open", &product, "--yes"])
        .succeeds()
        .json();
    assert_eq!(opened["files"][0]["name"], "4w-summary.txt", "{opened}");
    let log = cluster.sandbox.path("partner-log.csv");
    cluster
        .json(PARTNER, &["sent", "--export", log.to_str().unwrap()])
        .succeeds();
    let csv = std::fs::read_to_string(&log).unwrap();
    assert!(
        csv.contains(&format!("{product} by {IMO} (")) && csv.contains("4w-summary.txt"),
        "{csv}"
    );

    // Made from both parcels: both partners get it.
    let both = publish(&cluster, &report, &[&a, &b, "--label", "restricted"])
        .succeeds()
        .json();
    assert_eq!(
        recipient_names(&both),
        sorted(&[PARTNER, PARTNER2]),
        "{both}"
    );

    // Sources that are not partners' parcels received here are refused, with the reason.
    publish(&cluster, &report, &[&product])
        .run()
        .assert_failed_with("not a data parcel received here");
    publish(&cluster, &report, &["00000000000000000000000000000000"])
        .run()
        .assert_failed_with("00000000000000000000000000000000");
    // A parcel its sender asked to delete cannot be a source any more.
    cluster.json(PARTNER2, &["delete", &b]).succeeds();
    cluster.sync(IMO);
    publish(&cluster, &report, &[&b])
        .run()
        .assert_failed_with("deleted at its sender's request");
}

/// `member`'s concerns (`concern list --json`).
fn concerns(cluster: &Cluster, member: &str) -> Vec<Value> {
    let listed = cluster.json(member, &["concern", "list"]).succeeds().json();
    listed["concerns"].as_array().expect("concerns").clone()
}

#[test]
fn a_concern_reaches_the_coordinator_and_the_imos_only_and_its_updates_reach_the_reporter() {
    let cluster = Cluster::new();
    let reported = cluster
        .json(
            PARTNER,
            &[
                "concern",
                "report",
                "--note",
                "A printed beneficiary list was left at the distribution point in Kyaukme.",
            ],
        )
        .succeeds()
        .json();
    let concern = text(&reported, "parcel_id").to_owned();
    assert_eq!(reported["kind"], "concern", "{reported}");
    assert_eq!(
        recipient_names(&reported),
        sorted(&[COORDINATOR, IMO]),
        "{reported}"
    );

    for member in [COORDINATOR, IMO, PARTNER2] {
        cluster.sync(member);
    }
    for handler in [COORDINATOR, IMO] {
        let list = concerns(&cluster, handler);
        assert_eq!(list.len(), 1, "{handler}: {list:?}");
        assert_eq!(list[0]["parcel_id"], concern.as_str());
        assert_eq!(list[0]["direction"], "received");
        assert_eq!(list[0]["status"], "open");
        assert_eq!(list[0]["reporter"]["name"], PARTNER);
    }
    assert!(
        concerns(&cluster, PARTNER2).is_empty(),
        "another partner must not get the concern"
    );
    assert!(
        !inbox_kinds(&cluster, PARTNER2)
            .iter()
            .any(|(id, _)| *id == concern),
        "nor see it in the inbox"
    );

    // The coordinator handles it; the reporter is told, and only the reporter.
    cluster
        .json(
            COORDINATOR,
            &[
                "concern",
                "update",
                &concern,
                "--status",
                "investigating",
                "--note",
                "We are contacting the distribution team today.",
            ],
        )
        .succeeds();
    cluster
        .json(
            COORDINATOR,
            &["concern", "update", &concern, "--status", "lost"],
        )
        .run()
        .assert_failed_with("acknowledged, investigating, resolved, closed");
    cluster.sync(PARTNER);
    // The IMO, handling it too, sees what the coordinator said.
    cluster.sync(IMO);
    let theirs = concerns(&cluster, IMO);
    assert_eq!(theirs[0]["status"], "investigating", "{theirs:?}");
    assert_eq!(theirs[0]["updates"][0]["by"], COORDINATOR, "{theirs:?}");
    cluster.sync(PARTNER2);
    assert!(concerns(&cluster, PARTNER2).is_empty());
    let mine = concerns(&cluster, PARTNER);
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["direction"], "reported");
    assert_eq!(mine[0]["status"], "investigating", "{mine:?}");
    assert_eq!(mine[0]["updates"][0]["by"], COORDINATOR, "{mine:?}");
    assert_eq!(
        mine[0]["updates"][0]["note"],
        "We are contacting the distribution team today."
    );
    cluster
        .json(
            COORDINATOR,
            &["concern", "update", &concern, "--status", "resolved"],
        )
        .succeeds();
    assert_eq!(concerns(&cluster, COORDINATOR)[0]["status"], "resolved");
    cluster.sync(PARTNER);
    assert_eq!(concerns(&cluster, PARTNER)[0]["status"], "resolved");
    // A partner cannot update a concern it did not receive.
    cluster
        .json(
            PARTNER2,
            &["concern", "update", &concern, "--status", "closed"],
        )
        .run()
        .assert_failed_with(&concern);

    // Nothing about the concern is visible to the relay: not what was reported, nor the
    // answers, nor that it is a concern.
    assert_relay_never_saw(
        &cluster,
        &[
            "printed beneficiary list",
            "distribution point",
            "contacting the distribution team",
            "investigating",
            "resolved",
            "concern",
            "confidential",
        ],
    );
}

/// `member`'s rights requests, newest first.
fn rights(cluster: &Cluster, member: &str) -> Vec<Value> {
    let listed = cluster.json(member, &["rights", "list"]).succeeds().json();
    listed["requests"].as_array().expect("requests").clone()
}

/// The request `id` in `member`'s list.
fn rights_request(cluster: &Cluster, member: &str, id: &str) -> Value {
    rights(cluster, member)
        .into_iter()
        .find(|r| r["request_id"] == id)
        .unwrap_or_else(|| panic!("{id} is not among {member}'s rights requests"))
}

#[test]
fn rights_requests_move_through_their_states_on_both_sides_and_overdue_ones_show() {
    let cluster = Cluster::new();
    let list = beneficiary_list(&cluster.sandbox, "october.csv", "RIGHTS-MARKER");
    let parcel = cluster.send(PARTNER, &[&list], "highly-confidential");
    cluster.sync(IMO);

    // Access: the partner asks; nobody has it yet.
    let asked = cluster
        .json(
            PARTNER,
            &[
                "rights",
                "access",
                "--about",
                &parcel,
                "--note",
                "Every copy you hold of our October list, and what was made from it.",
                "--no-sync",
            ],
        )
        .succeeds()
        .json();
    let access = text(&asked, "parcel_id").to_owned();
    assert_eq!(asked["kind"], "access-request", "{asked}");
    assert_eq!(recipient_names(&asked), sorted(&[IMO]), "{asked}");
    let mine = rights_request(&cluster, PARTNER, &access);
    assert_eq!(mine["right"], "access");
    assert_eq!(mine["direction"], "made");
    assert_eq!(mine["about"], parcel.as_str());
    assert_eq!(mine["status"], "requested", "{mine}");
    assert_eq!(mine["handlers"][0]["person"]["name"], IMO, "{mine}");
    assert_eq!(mine["open"], true);

    // It arrives: the IMO sees it open, due in the policy's 30 days; the partner sees it
    // received (the IMO's app signed a delivered receipt).
    cluster.sync(PARTNER);
    cluster.sync(IMO);
    let theirs = rights_request(&cluster, IMO, &access);
    assert_eq!(theirs["direction"], "received", "{theirs}");
    assert_eq!(theirs["requester"]["name"], PARTNER);
    assert_eq!(theirs["status"], "received", "{theirs}");
    assert_eq!(theirs["overdue"], false);
    let requested = time_field(&theirs, "requested_at");
    let due = time_field(&theirs, "due_at");
    assert_eq!(due - requested, time::Duration::days(30));
    assert!(
        !inbox_kinds(&cluster, IMO)
            .iter()
            .any(|(id, _)| *id == access),
        "a request is not a parcel to open"
    );
    cluster.sync(PARTNER);
    assert_eq!(
        rights_request(&cluster, PARTNER, &access)["status"],
        "received"
    );

    // Declining needs a reason; only the handler can answer; statuses are checked.
    cluster
        .json(IMO, &["rights", "update", &access, "--status", "declined"])
        .run()
        .assert_failed_with("say why");
    cluster
        .json(IMO, &["rights", "update", &access, "--status", "later"])
        .run()
        .assert_failed_with("acknowledged, in-progress, done, declined");
    cluster
        .json(PARTNER2, &["rights", "update", &access, "--status", "done"])
        .run()
        .assert_failed_with(&access);

    cluster
        .json(
            IMO,
            &[
                "rights",
                "update",
                &access,
                "--status",
                "in-progress",
                "--note",
                "Collecting the copies from the 4W database.",
            ],
        )
        .succeeds();
    cluster.sync(PARTNER);
    let mine = rights_request(&cluster, PARTNER, &access);
    assert_eq!(mine["status"], "in-progress", "{mine}");
    let events = mine["handlers"][0]["events"].as_array().unwrap();
    assert_eq!(
        events.iter().map(|e| text(e, "status")).collect::<Vec<_>>(),
        ["received", "in-progress"],
        "{mine}"
    );
    // As a person reads it.
    let listed = cluster
        .sandbox
        .sealpost(PARTNER)
        .args(["rights", "list"])
        .unlocked()
        .succeeds();
    println!("{}", listed.stdout);
    for line in [
        format!("{access}  access request made by {PARTNER} (Example NGO), about parcel {parcel}"),
        "open, in-progress".to_owned(),
        format!("{IMO} (Example NGO): in-progress"),
        "in-progress: Collecting the copies from the 4W database.".to_owned(),
    ] {
        assert!(
            listed.stdout.contains(&line),
            "{line:?} in:\n{}",
            listed.stdout
        );
    }
    assert_eq!(
        events[1]["note"],
        "Collecting the copies from the 4W database."
    );

    // Still open a month later: overdue, on both sides.
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(31);
    for member in [IMO, PARTNER] {
        let seen = cluster
            .mailroom(member)
            .rights_requests_at(later)
            .unwrap()
            .into_iter()
            .find(|r| r.request_id == access)
            .unwrap();
        assert!(seen.open && seen.overdue, "{member}: {seen:?}");
    }
    let open = cluster
        .json(IMO, &["rights", "list", "--open"])
        .succeeds()
        .json();
    assert_eq!(open["requests"].as_array().unwrap().len(), 1, "{open}");

    cluster
        .json(
            IMO,
            &[
                "rights",
                "update",
                &access,
                "--status",
                "done",
                "--note",
                "Sent you the copies we hold in a separate parcel.",
            ],
        )
        .succeeds();
    cluster.sync(PARTNER);
    let mine = rights_request(&cluster, PARTNER, &access);
    assert_eq!(mine["status"], "done", "{mine}");
    assert_eq!(mine["open"], false);
    let closed = cluster
        .mailroom(IMO)
        .rights_requests_at(later)
        .unwrap()
        .into_iter()
        .find(|r| r.request_id == access)
        .unwrap();
    assert!(!closed.open && !closed.overdue, "{closed:?}");
    let open = cluster
        .json(IMO, &["rights", "list", "--open"])
        .succeeds()
        .json();
    assert_eq!(open["requests"], serde_json::json!([]), "{open}");

    // Correction: the corrected parcel is the request; the IMO marks it done once it has
    // replaced the old figures.
    let corrected = beneficiary_list(&cluster.sandbox, "october-v2.csv", "RIGHTS-MARKER-2");
    let correction = cluster
        .json(PARTNER, &["correct", &parcel, corrected.to_str().unwrap()])
        .succeeds()
        .json();
    let correction = text(&correction, "parcel_id").to_owned();
    cluster.sync(IMO);
    let theirs = rights_request(&cluster, IMO, &correction);
    assert_eq!(theirs["right"], "correction");
    assert_eq!(theirs["about"], parcel.as_str());
    assert_eq!(theirs["status"], "received");
    cluster
        .json(IMO, &["rights", "update", &correction, "--status", "done"])
        .succeeds();
    cluster.sync(PARTNER);
    let mine = rights_request(&cluster, PARTNER, &correction);
    assert_eq!(mine["right"], "correction");
    assert_eq!(mine["status"], "done", "{mine}");

    // Deletion of a parcel the IMO also saved in a folder of its own: the app deletes what it
    // can and the request stays in progress on both sides until the IMO says the rest is gone.
    let elsewhere = cluster.sandbox.path("imo-desktop");
    cluster
        .json(
            IMO,
            &[
                "open",
                &correction,
                "--yes",
                "-o",
                elsewhere.to_str().unwrap(),
            ],
        )
        .succeeds();
    let deleted = cluster
        .json(PARTNER, &["delete", &correction])
        .succeeds()
        .json();
    let deletion = text(&deleted, "request_id").to_owned();
    cluster.sync(IMO);
    let theirs = rights_request(&cluster, IMO, &deletion);
    assert_eq!(theirs["right"], "deletion");
    assert_eq!(theirs["about"], correction.as_str());
    assert_eq!(theirs["status"], "in-progress", "{theirs}");
    assert_eq!(theirs["open"], true);
    cluster.sync(PARTNER);
    let mine = rights_request(&cluster, PARTNER, &deletion);
    assert_eq!(mine["status"], "in-progress", "{mine}");
    let events = mine["handlers"][0]["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["status"] == "done" && text(e, "note").contains("Could not reach 1")),
        "the deleted receipt is kept as an event: {mine}"
    );
    std::fs::remove_dir_all(&elsewhere).unwrap();
    cluster
        .json(
            IMO,
            &[
                "rights",
                "update",
                &deletion,
                "--status",
                "done",
                "--note",
                "Deleted the copy on my desktop too.",
            ],
        )
        .succeeds();
    cluster.sync(PARTNER);
    assert_eq!(
        rights_request(&cluster, PARTNER, &deletion)["status"],
        "done"
    );
    assert_eq!(rights_request(&cluster, IMO, &deletion)["open"], false);

    // The other partner was never involved.
    assert!(rights(&cluster, PARTNER2).is_empty());
    // And the relay saw no request for what it is.
    assert_relay_never_saw(
        &cluster,
        &[
            "Every copy you hold",
            "Collecting the copies",
            "access-request",
            "request-update",
            "in-progress",
            "Deleted the copy on my desktop",
        ],
    );
}
