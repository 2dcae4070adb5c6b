//! Clusters end to end: a coordinator creates one, invites, approves join and key-change
//! requests, removes members and hands over; members import the signed roster, address parcels
//! by name, member id and role, and learn who sent what. Every refusal on the way is checked
//! for its JSON code and for the words that tell people what to do.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;

use crate::util::{Outcome, Sandbox, Sealpost, sample, text};

/// Creates the cluster and signs its roster.
const COORDINATOR: &str = "Aye Aye";
/// The information-management officer partners send to.
const IMO: &str = "Ko Ko";
/// A partner organisation's staff member.
const PARTNER: &str = "Ma Ma";
/// A fourth person: an outsider, a second joiner, or another cluster's coordinator.
const OTHER: &str = "Zaw Zaw";
/// The organisation the partner's invite fixes, unlike the one their identity gives: a report
/// showing it took the name from the roster, not from the parcel.
const PARTNER_ORG: &str = "Shwe Partner Org";
const CLUSTER_NAME: &str = "Myanmar Protection Cluster";

/// Someone the coordinator invites: their name, the role and the organisation the invite fixes.
#[derive(Clone, Copy)]
struct Invitee {
    name: &'static str,
    role: &'static str,
    org: Option<&'static str>,
}

const KO_KO: Invitee = Invitee {
    name: IMO,
    role: "imo",
    org: None,
};
const MA_MA: Invitee = Invitee {
    name: PARTNER,
    role: "partner",
    org: Some(PARTNER_ORG),
};

/// A cluster as people build it: [`COORDINATOR`] creates it and invites each of `invitees`;
/// each joins with their code; the coordinator approves every request, exports the last
/// roster (version `1 + invitees.len()`), and every invitee imports it.
fn cluster(invitees: &[Invitee]) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.member(COORDINATOR);
    create(&sandbox, COORDINATOR, CLUSTER_NAME);
    let requests: Vec<PathBuf> = invitees
        .iter()
        .map(|i| {
            sandbox.member(i.name);
            let code = invite(&sandbox, COORDINATOR, i.role, i.org);
            join(
                &sandbox,
                i.name,
                &code,
                &format!("{}-join.json", slug(i.name)),
            )
        })
        .collect();
    let mut version = 1;
    for (request, invitee) in requests.iter().zip(invitees) {
        let approved = approve(&sandbox, COORDINATOR, request).succeeds().json();
        version += 1;
        assert_eq!(approved["change"], "joined", "{approved}");
        assert_eq!(approved["member"], invitee.name, "{approved}");
        assert_eq!(approved["roster"]["version"], version, "{approved}");
    }
    let roster = export(&sandbox, COORDINATOR, version);
    for invitee in invitees {
        let imported = import(&sandbox, invitee.name, &[&roster]).succeeds().json();
        assert_eq!(imported["imported"][0]["version"], version, "{imported}");
    }
    sandbox
}

/// A name as a file name: `Ko Ko` → `ko-ko`.
fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// The last line of stdout, where the CLI prints what people copy: invite codes and safety
/// numbers.
fn last_line(outcome: &Outcome) -> &str {
    outcome
        .stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("nothing on stdout:\n{outcome}"))
}

/// The names in a folder; empty when the folder does not exist.
fn entries(dir: &Path) -> Vec<String> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    listing
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn whoami(sandbox: &Sandbox, member: &str) -> Value {
    sandbox
        .sealpost(member)
        .args(["whoami", "--json"])
        .succeeds()
        .json()
}

/// `members --json` as `member` sees the cluster (public keys only: no passphrase).
fn members(sandbox: &Sandbox, member: &str) -> Value {
    sandbox
        .sealpost(member)
        .args(["members", "--json"])
        .succeeds()
        .json()
}

/// The roster version `member` holds.
fn held_version(sandbox: &Sandbox, member: &str) -> u64 {
    members(sandbox, member)["roster"]["version"]
        .as_u64()
        .expect("a roster version")
}

/// The entry for `name` in a `members --json` report.
fn listed<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["members"]
        .as_array()
        .expect("a member list")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed in {report}"))
}

fn create(sandbox: &Sandbox, coordinator: &str, name: &str) -> Value {
    let created = sandbox
        .sealpost(coordinator)
        .args(["cluster", "create", "--name", name, "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(created["version"], 1, "{created}");
    created
}

/// An invite code from `by`, as printed on the last line of stdout.
fn invite(sandbox: &Sandbox, by: &str, role: &str, org: Option<&str>) -> String {
    let invited = sandbox
        .sealpost(by)
        .args(["cluster", "invite", "--role", role])
        .args(org.into_iter().flat_map(|o| ["--org", o]))
        .unlocked()
        .succeeds();
    let code = last_line(&invited);
    assert!(code.starts_with("SP-"), "not an invite code:\n{invited}");
    code.to_owned()
}

/// `member` answers an invite; returns the join request file written to `out`.
fn join(sandbox: &Sandbox, member: &str, code: &str, out: &str) -> PathBuf {
    let path = sandbox.path(out);
    sandbox
        .sealpost(member)
        .args(["join", code, "--out"])
        .arg(&path)
        .unlocked()
        .succeeds();
    path
}

/// `cluster approve REQUEST --json` as `by`, with REQUEST a pending id or a file.
fn approve(sandbox: &Sandbox, by: &str, request: impl AsRef<OsStr>) -> Sealpost {
    sandbox
        .sealpost(by)
        .args(["cluster", "approve"])
        .arg(request)
        .arg("--json")
        .unlocked()
}

/// `cluster renew --json` as `by`; returns the new roster version.
fn renew(sandbox: &Sandbox, by: &str) -> u64 {
    let renewed = sandbox
        .sealpost(by)
        .args(["cluster", "renew", "--json"])
        .unlocked()
        .succeeds()
        .json();
    renewed["version"].as_u64().expect("a roster version")
}

/// Writes roster `version`, as `by` holds it, to a new file and returns its path.
fn export(sandbox: &Sandbox, by: &str, version: u64) -> PathBuf {
    let path = sandbox.path(&format!("rosters/{}-v{version}.json", slug(by)));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let exported = sandbox
        .sealpost(by)
        .args(["roster", "export", "--roster-version"])
        .arg(version.to_string())
        .arg("-o")
        .arg(&path)
        .arg("--json")
        .succeeds()
        .json();
    assert_eq!(exported["version"], version, "{exported}");
    path
}

/// `roster import FILE… --json` as `member`.
fn import(sandbox: &Sandbox, member: &str, files: &[impl AsRef<OsStr>]) -> Sealpost {
    sandbox
        .sealpost(member)
        .args(["roster", "import"])
        .args(files)
        .arg("--json")
        .unlocked()
}

/// `seal` of one sample file as `sender` to `to`, into `out`, reporting in JSON. Not unlocked:
/// a refused recipient must be reported before any passphrase is asked for.
fn seal(sandbox: &Sandbox, sender: &str, to: &[&str], out: &str) -> Sealpost {
    sandbox
        .sealpost(sender)
        .arg("seal")
        .arg(sample("005_sheet.txt"))
        .arg("--to")
        .args(to)
        .args(["--label", "highly-confidential", "-o", out, "--json"])
}

/// Seals as [`seal`] does, insisting on success; returns the report.
fn sealed(sandbox: &Sandbox, sender: &str, to: &[&str], out: &str) -> Value {
    seal(sandbox, sender, to, out).unlocked().succeeds().json()
}

/// `open PARCEL -o DIR --json` as `member`.
fn open(sandbox: &Sandbox, member: &str, parcel: &str, dir: &str) -> Sealpost {
    sandbox
        .sealpost(member)
        .args(["open", parcel, "-o", dir, "--json"])
        .unlocked()
}

/// Opens as [`open`] does, insisting on success, and checks the file came out unchanged;
/// returns the report's `sender`.
fn opened_sender(sandbox: &Sandbox, member: &str, parcel: &str, dir: &str) -> Value {
    let opened = open(sandbox, member, parcel, dir).succeeds().json();
    let original = std::fs::read(sample("005_sheet.txt")).unwrap();
    let written = std::fs::read(sandbox.path(dir).join("005_sheet.txt")).unwrap();
    assert!(original == written, "{parcel} opened to different bytes");
    opened["sender"].clone()
}

/// The member ids a parcel report lists as recipients (every recipient must carry one).
fn recipient_ids(report: &Value) -> BTreeSet<String> {
    report["recipients"]
        .as_array()
        .unwrap_or_else(|| panic!("no recipients in {report}"))
        .iter()
        .map(|r| {
            r["member_id"]
                .as_str()
                .unwrap_or_else(|| panic!("a recipient without a member id in {report}"))
                .to_owned()
        })
        .collect()
}

/// The safety number `member` reads out for `other`: the last line of `verify`.
fn safety_number(sandbox: &Sandbox, member: &str, other: &str) -> String {
    let verified = sandbox.sealpost(member).args(["verify", other]).succeeds();
    let number = last_line(&verified).to_owned();
    let groups: Vec<&str> = number.split(' ').collect();
    assert!(
        groups.len() == 12
            && groups
                .iter()
                .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())),
        "a safety number is 12 groups of 5 digits:\n{verified}"
    );
    number
}

/// Rewrites a JSON file with `edit` applied.
fn edit_json(from: &Path, to: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_slice(&std::fs::read(from).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(to, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

/// The base64url bytes of `field`, changed by `edit` and encoded again (still valid base64).
fn edit_base64(value: &mut Value, field: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = BASE64URL_NOPAD
        .decode(text(value, field).as_bytes())
        .unwrap();
    edit(&mut bytes);
    value[field] = Value::String(BASE64URL_NOPAD.encode(&bytes));
}

#[test]
fn enrolled_members_hold_the_same_roster_and_read_the_same_safety_numbers() {
    let sandbox = cluster(&[KO_KO, MA_MA]);
    let everyone = [COORDINATOR, IMO, PARTNER];
    let cards = everyone.map(|m| whoami(&sandbox, m));
    assert_ne!(
        cards[2]["org"], PARTNER_ORG,
        "the invite, not the identity, gives the partner's organisation"
    );
    let expected = [
        (COORDINATOR, text(&cards[0], "org"), "coordinator"),
        (IMO, text(&cards[1], "org"), "imo"),
        (PARTNER, PARTNER_ORG, "partner"),
    ];

    let mut hashes = BTreeSet::new();
    for viewer in everyone {
        let report = members(&sandbox, viewer);
        assert_eq!(report["roster"]["version"], 3, "{report}");
        assert_eq!(report["roster"]["cluster_name"], CLUSTER_NAME, "{report}");
        assert_eq!(report["expired"], false, "{report}");
        hashes.insert(text(&report["roster"], "hash").to_owned());
        assert_eq!(report["members"].as_array().unwrap().len(), 3, "{report}");
        for ((name, org, role), card) in expected.iter().zip(&cards) {
            let entry = listed(&report, name);
            assert_eq!(entry["org"], *org, "{viewer} sees {entry}");
            assert_eq!(entry["roles"], serde_json::json!([role]), "{entry}");
            assert_eq!(entry["status"], "active", "{entry}");
            assert_eq!(entry["coordinator_key"], *name == COORDINATOR, "{entry}");
            assert_eq!(entry["you"], *name == viewer, "{viewer} sees {entry}");
            for fact in ["member_id", "fingerprint", "signing_key", "age_recipient"] {
                assert_eq!(entry[fact], card[fact], "{viewer} sees {name}'s {fact}");
            }
        }
    }
    assert_eq!(
        hashes.len(),
        1,
        "everyone holds the same roster: {hashes:?}"
    );

    // Both ends of a pair read the same digits, by name or by member id, every time.
    let imo_partner = safety_number(&sandbox, IMO, PARTNER);
    assert_eq!(safety_number(&sandbox, PARTNER, IMO), imo_partner);
    assert_eq!(safety_number(&sandbox, IMO, PARTNER), imo_partner);
    let partner_id = text(&cards[2], "member_id");
    assert_eq!(safety_number(&sandbox, IMO, partner_id), imo_partner);
    let verified = sandbox
        .sealpost(IMO)
        .args(["verify", PARTNER, "--json"])
        .succeeds()
        .json();
    assert_eq!(verified["safety_number"], imo_partner.as_str());
    assert_eq!(verified["member_id"], partner_id);
    assert_eq!(verified["org"], PARTNER_ORG);
    assert_eq!(verified["status"], "active");

    // Another pair has another number.
    let imo_coordinator = safety_number(&sandbox, IMO, COORDINATOR);
    assert_eq!(safety_number(&sandbox, COORDINATOR, IMO), imo_coordinator);
    assert_ne!(imo_coordinator, imo_partner);
    assert_ne!(safety_number(&sandbox, PARTNER, COORDINATOR), imo_partner);
}

#[test]
fn parcels_addressed_by_name_member_id_or_role_reach_the_imo_from_a_verified_sender() {
    let sandbox = cluster(&[KO_KO, MA_MA]);
    let imo = whoami(&sandbox, IMO);
    let partner = whoami(&sandbox, PARTNER);
    let imo_id = text(&imo, "member_id");
    let both: BTreeSet<String> = [imo_id, text(&partner, "member_id")]
        .map(str::to_owned)
        .into();

    for (i, to) in ["ko ko", imo_id, "role:imo"].into_iter().enumerate() {
        let parcel = format!("to-imo-{i}.age");
        let report = sealed(&sandbox, PARTNER, &[to], &parcel);
        // The IMO and the sender herself, each named by member id from the roster.
        assert_eq!(recipient_ids(&report), both, "--to {to}: {report}");
        let imo_entry = report["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["member_id"] == imo_id)
            .unwrap();
        assert_eq!(imo_entry["age_recipient"], imo["age_recipient"], "{report}");

        let sender = opened_sender(&sandbox, IMO, &parcel, &format!("opened-{i}"));
        assert_eq!(sender["status"], "verified", "--to {to}: {sender}");
        assert_eq!(sender["member_id"], partner["member_id"], "{sender}");
        assert_eq!(sender["name"], PARTNER, "{sender}");
        assert_eq!(
            sender["org"], PARTNER_ORG,
            "the roster's organisation: {sender}"
        );
        assert_eq!(sender["fingerprint"], partner["fingerprint"], "{sender}");
        assert_eq!(sender["roster_version"], 3, "{sender}");
    }

    // The manifest the IMO reads carries the same member ids the sender's report showed.
    let inspected = sandbox
        .sealpost(IMO)
        .args(["inspect", "to-imo-2.age", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(recipient_ids(&inspected), both, "{inspected}");
    assert_eq!(inspected["sender"]["status"], "verified", "{inspected}");
    assert_eq!(inspected["sender"]["org"], PARTNER_ORG, "{inspected}");
}

#[test]
fn unknown_names_are_refused_and_parcels_from_outside_the_cluster_show_an_unknown_sender() {
    let sandbox = cluster(&[KO_KO]);
    let outsider = sandbox.member(OTHER);
    let imo = whoami(&sandbox, IMO);

    // Refused from the roster alone, before any passphrase is asked for (none is given).
    seal(&sandbox, IMO, &["Mya Mya"], "typo.age")
        .run()
        .assert_json_error(
            "no-such-member",
            "`sealpost members` lists who is in the cluster",
        );
    assert!(!sandbox.path("typo.age").exists());
    // Someone outside every cluster has no roster to look names up in.
    seal(&sandbox, OTHER, &[IMO], "by-name.age")
        .run()
        .assert_json_error("not-in-cluster", "sealpost join CODE");

    // A bare age key needs no roster: the outsider can still seal to the IMO.
    sealed(
        &sandbox,
        OTHER,
        &[text(&imo, "age_recipient")],
        "from-outside.age",
    );
    let sender = opened_sender(&sandbox, IMO, "from-outside.age", "opened");
    assert_eq!(sender["status"], "unknown", "{sender}");
    assert_eq!(
        sender["name"], OTHER,
        "the name the parcel claims: {sender}"
    );
    assert_eq!(sender["member_id"], outsider["member_id"], "{sender}");
    assert_eq!(
        sender["fingerprint"], outsider["fingerprint"],
        "the fingerprint to compare by phone: {sender}"
    );
    assert_eq!(sender["roster_version"], 2, "{sender}");
}

#[test]
fn a_removed_member_cannot_be_sealed_to_and_their_parcels_open_only_when_allowed() {
    let sandbox = cluster(&[KO_KO, MA_MA]);
    let partner = whoami(&sandbox, PARTNER);
    sealed(&sandbox, PARTNER, &[IMO], "before-removal.age");

    let removed = sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "remove", PARTNER, "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(removed["change"], "removed", "{removed}");
    assert_eq!(removed["member"], PARTNER, "{removed}");
    assert_eq!(removed["roster"]["version"], 4, "{removed}");
    sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "remove", PARTNER, "--json"])
        .unlocked()
        .run()
        .assert_json_error("not-active", "not an active member");
    let v4 = export(&sandbox, COORDINATOR, 4);
    let imported = import(&sandbox, IMO, &[&v4]).succeeds().json();
    assert_eq!(
        imported["imported"][0]["changes"],
        serde_json::json!([{"change": "removed", "name": PARTNER}]),
        "{imported}"
    );
    let entry = listed(&members(&sandbox, IMO), PARTNER).clone();
    assert_eq!(entry["status"], "removed", "{entry}");

    // As a recipient: by name, member id, age key or role, nothing is sealed to her.
    for to in [
        PARTNER,
        text(&partner, "member_id"),
        text(&partner, "age_recipient"),
    ] {
        seal(&sandbox, IMO, &[to], "to-removed.age")
            .run()
            .assert_json_error("member-removed", "was removed from the cluster");
    }
    seal(&sandbox, IMO, &["role:partner"], "to-removed.age")
        .run()
        .assert_json_error("nobody-with-role", "partner");
    assert!(!sandbox.path("to-removed.age").exists());

    // As a sender: her parcel from before the removal is refused, and nothing is written…
    open(&sandbox, IMO, "before-removal.age", "refused")
        .run()
        .assert_json_error("sender-removed", "open it with --allow-untrusted-sender");
    assert_eq!(entries(&sandbox.path("refused")), Vec::<String>::new());
    // … until the reader says they know it was sent before.
    let sender = open(&sandbox, IMO, "before-removal.age", "allowed")
        .arg("--allow-untrusted-sender")
        .succeeds()
        .json()["sender"]
        .clone();
    assert_eq!(sender["status"], "removed", "{sender}");
    assert_eq!(sender["name"], PARTNER, "{sender}");
    assert_eq!(sender["org"], PARTNER_ORG, "{sender}");
    assert_eq!(entries(&sandbox.path("allowed")), ["005_sheet.txt"]);

    // She learns it when she imports the roster.
    let told = sandbox
        .sealpost(PARTNER)
        .args(["roster", "import"])
        .arg(&v4)
        .unlocked()
        .succeeds();
    assert!(
        told.stdout
            .contains("You have been removed from this cluster"),
        "{told}"
    );
}

#[test]
fn join_requests_with_a_used_invite_or_a_wrong_invite_secret_are_not_approved() {
    let sandbox = cluster(&[]);
    sandbox.member(PARTNER);
    sandbox.member(OTHER);
    let code = invite(&sandbox, COORDINATOR, "partner", None);
    let genuine = join(&sandbox, PARTNER, &code, "ma-ma-join.json");
    // Someone else got hold of the same code.
    let copied = join(&sandbox, OTHER, &code, "zaw-zaw-join.json");

    // One character of the signed request changed on the way (still valid base64).
    let altered = sandbox.path("altered.json");
    edit_json(&genuine, &altered, |request| {
        edit_base64(request, "request", |bytes| {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
        });
    });
    // The request intact, with the MAC of another request under the same code.
    let swapped_mac = sandbox.path("swapped-mac.json");
    let other_mac: Value = serde_json::from_slice(&std::fs::read(&copied).unwrap()).unwrap();
    edit_json(&genuine, &swapped_mac, |request| {
        request["mac"] = other_mac["mac"].clone();
    });
    for forged in [&altered, &swapped_mac] {
        approve(&sandbox, COORDINATOR, forged)
            .run()
            .assert_json_error("wrong-invite-secret", "Do not approve it");
    }

    let approved = approve(&sandbox, COORDINATOR, &genuine).succeeds().json();
    assert_eq!(approved["member"], PARTNER, "{approved}");
    approve(&sandbox, COORDINATOR, &genuine)
        .run()
        .assert_json_error("already-member", "Ma Ma");
    approve(&sandbox, COORDINATOR, &copied)
        .run()
        .assert_json_error("invite-used", "already used by Ma Ma");

    // The coordinator's list says why neither can be approved.
    let listing = sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "requests", "--json", "--add"])
        .args([&altered, &copied])
        .unlocked()
        .succeeds()
        .json();
    let requests = listing["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "{listing}");
    let problem = |r: &Value| text(r, "problem").to_owned();
    let from_copy = requests.iter().find(|r| r["name"] == OTHER).unwrap();
    assert_eq!(from_copy["kind"], "join", "{listing}");
    assert_eq!(from_copy["role"], "partner", "{listing}");
    assert!(
        problem(from_copy).contains("each invite admits one member"),
        "{listing}"
    );
    // Nothing in the altered request is believed: no name, member or keys are shown.
    let forged = requests.iter().find(|r| r["name"].is_null()).unwrap();
    assert_eq!(forged["member_id"], Value::Null, "{listing}");
    assert_eq!(forged["fingerprint"], Value::Null, "{listing}");
    assert!(problem(forged).contains("HMAC does not match"), "{listing}");

    // By id as by file, the copied code is refused.
    approve(&sandbox, COORDINATOR, text(from_copy, "id"))
        .run()
        .assert_json_error("invite-used", "treat it as an incident");
    assert_eq!(held_version(&sandbox, COORDINATOR), 2);
}

#[test]
fn roster_import_refuses_forged_old_gapped_and_foreign_rosters() {
    let sandbox = cluster(&[KO_KO]);
    let file_name = |path: &Path| path.file_name().unwrap().to_str().unwrap().to_owned();

    // Another cluster's roster at the version the IMO holds: another key signed it.
    sandbox.member(OTHER);
    create(&sandbox, OTHER, "Other Cluster");
    assert_eq!(renew(&sandbox, OTHER), 2);
    let foreign = export(&sandbox, OTHER, 2);
    import(&sandbox, IMO, &[&foreign]).run().assert_json_error(
        "roster-wrong-signer",
        "not by the coordinator key you trust",
    );

    for expected in 3..=5 {
        assert_eq!(renew(&sandbox, COORDINATOR), expected);
    }
    let [v3, v4, v5] = [3, 4, 5].map(|v| export(&sandbox, COORDINATOR, v));

    // One byte of the signed roster changed: the cluster's name, so it still parses.
    let tamper = |from: &Path, to: &str| {
        let to = sandbox.path(to);
        edit_json(from, &to, |envelope| {
            edit_base64(envelope, "roster", |bytes| {
                let at = bytes
                    .windows(CLUSTER_NAME.len())
                    .position(|w| w == CLUSTER_NAME.as_bytes())
                    .expect("the cluster name in the roster");
                bytes[at] = b'N';
            });
        });
        to
    };
    let tampered_v3 = tamper(&v3, "rosters/tampered-v3.json");
    let refused = import(&sandbox, IMO, &[&tampered_v3]).run();
    refused.assert_json_error(
        "roster-bad-signature",
        "ask the coordinator for a fresh export",
    );
    refused.assert_failed_with(&file_name(&tampered_v3));

    // Versions skipped: which ones are missing, and how to get them.
    let gap = import(&sandbox, IMO, &[&v4]).run();
    gap.assert_json_error("roster-gap", "you hold version 2: import version 3 first");
    gap.assert_failed_with("sealpost roster export --roster-version N");
    import(&sandbox, IMO, &[&v5])
        .run()
        .assert_json_error("roster-gap", "import versions 3 to 4 first");

    // Several files are one chain, accepted all or none.
    let tampered_v5 = tamper(&v5, "rosters/tampered-v5.json");
    import(&sandbox, IMO, &[&v3, &v4, &tampered_v5])
        .run()
        .assert_json_error(
            "roster-bad-signature",
            "ask the coordinator for a fresh export",
        );
    assert_eq!(held_version(&sandbox, IMO), 2, "refusals change nothing");
    let imported = import(&sandbox, IMO, &[&v3, &v4, &v5]).succeeds().json();
    let versions: Vec<&Value> = imported["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["version"])
        .collect();
    assert_eq!(versions, [3, 4, 5], "{imported}");

    let old = import(&sandbox, IMO, &[&v3]).run();
    old.assert_json_error(
        "roster-rollback",
        "older than version 5 which you already hold",
    );
    old.assert_failed_with(&file_name(&v3));

    // The same roster again is not an error.
    let again = sandbox
        .sealpost(IMO)
        .args(["roster", "import"])
        .arg(&v5)
        .unlocked()
        .succeeds();
    assert!(
        again
            .stdout
            .contains("already hold this roster (version 5); nothing changed"),
        "{again}"
    );
    assert_eq!(held_version(&sandbox, IMO), 5);
}

#[test]
fn after_a_member_changes_keys_old_parcels_open_and_stale_rosters_flag_the_new_key() {
    let sandbox = cluster(&[KO_KO, MA_MA]);
    let before = whoami(&sandbox, IMO);
    sealed(&sandbox, PARTNER, &[IMO], "to-old-key.age");
    sealed(&sandbox, IMO, &[PARTNER], "signed-by-old-key.age");
    let number_before = safety_number(&sandbox, PARTNER, IMO);

    let requested = sandbox
        .sealpost(IMO)
        .args([
            "cluster",
            "rotate-key",
            "--out",
            "key-change.json",
            "--json",
        ])
        .unlocked()
        .succeeds()
        .json();
    assert!(sandbox.path("key-change.json").is_file(), "{requested}");
    assert_eq!(
        whoami(&sandbox, IMO)["fingerprint"],
        before["fingerprint"],
        "the old keys stay in use until the roster lists the new ones"
    );
    let approved = approve(&sandbox, COORDINATOR, sandbox.path("key-change.json"))
        .succeeds()
        .json();
    assert_eq!(approved["change"], "keys-changed", "{approved}");
    assert_eq!(approved["member"], IMO, "{approved}");
    assert_eq!(approved["roster"]["version"], 4, "{approved}");
    let v4 = export(&sandbox, COORDINATOR, 4);

    let imported = import(&sandbox, IMO, &[&v4]).succeeds().json();
    assert_eq!(
        imported["imported"][0]["key_change_completed"], true,
        "{imported}"
    );
    let after = whoami(&sandbox, IMO);
    assert_eq!(after["member_id"], before["member_id"]);
    for fact in ["fingerprint", "signing_key", "age_recipient"] {
        assert_ne!(after[fact], before[fact], "{fact} must change");
    }

    // A parcel sealed to the old key still opens with the new identity.
    let sender = opened_sender(&sandbox, IMO, "to-old-key.age", "old-opened");
    assert_eq!(sender["status"], "verified", "{sender}");

    // Signed with the new key, to a partner whose roster still lists the old one.
    sealed(&sandbox, IMO, &[PARTNER], "signed-by-new-key.age");
    open(&sandbox, PARTNER, "signed-by-new-key.age", "stale")
        .run()
        .assert_json_error("sender-key-mismatch", "import the newer roster first");
    assert_eq!(entries(&sandbox.path("stale")), Vec::<String>::new());

    let imported = import(&sandbox, PARTNER, &[&v4]).succeeds().json();
    assert_eq!(
        imported["imported"][0]["changes"],
        serde_json::json!([{"change": "keys-changed", "name": IMO}]),
        "{imported}"
    );
    let sender = opened_sender(&sandbox, PARTNER, "signed-by-new-key.age", "new-signed");
    assert_eq!(sender["status"], "verified", "{sender}");
    assert_eq!(sender["fingerprint"], after["fingerprint"], "{sender}");
    // The old key is in the roster's history: what it signed before is still verified.
    let sender = opened_sender(&sandbox, PARTNER, "signed-by-old-key.age", "old-signed");
    assert_eq!(sender["status"], "verified", "{sender}");

    // Sealed by name now goes to the new key, and opens.
    let report = sealed(&sandbox, PARTNER, &[IMO], "to-new-key.age");
    assert!(
        report["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["age_recipient"] == after["age_recipient"]
                && r["member_id"] == after["member_id"]),
        "{report}"
    );
    opened_sender(&sandbox, IMO, "to-new-key.age", "new-opened");
    // The old key itself is refused as a recipient.
    seal(
        &sandbox,
        PARTNER,
        &[text(&before, "age_recipient")],
        "to-retired-key.age",
    )
    .run()
    .assert_json_error("old-key", "address them by name or member id instead");

    // The safety number changed with the keys, the same on both sides.
    let number_after = safety_number(&sandbox, PARTNER, IMO);
    assert_ne!(number_after, number_before);
    assert_eq!(safety_number(&sandbox, IMO, PARTNER), number_after);
}

#[test]
fn after_a_handover_the_new_coordinator_signs_rosters_and_the_old_one_cannot() {
    let sandbox = cluster(&[KO_KO, MA_MA]);
    let handed = sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "handover", IMO, "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(handed["change"], "handed-over", "{handed}");
    assert_eq!(handed["roster"]["version"], 4, "{handed}");
    let v4 = export(&sandbox, COORDINATOR, 4);
    for member in [IMO, PARTNER] {
        let imported = import(&sandbox, member, &[&v4]).succeeds().json();
        let changes = imported["imported"][0]["changes"].as_array().unwrap();
        assert!(
            changes.contains(&serde_json::json!({"change": "coordinator-changed", "name": IMO})),
            "{member}: {imported}"
        );
    }

    sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "invite", "--role", "partner", "--json"])
        .unlocked()
        .run()
        .assert_json_error("not-coordinator", "the roster names Ko Ko as coordinator");

    // The new coordinator admits someone with an invite of their own, and renews.
    sandbox.member(OTHER);
    let code = invite(&sandbox, IMO, "partner", None);
    let request = join(&sandbox, OTHER, &code, "zaw-zaw-join.json");
    let approved = approve(&sandbox, IMO, &request).succeeds().json();
    assert_eq!(approved["roster"]["version"], 5, "{approved}");
    assert_eq!(renew(&sandbox, IMO), 6);
    let [v5, v6] = [5, 6].map(|v| export(&sandbox, IMO, v));
    for member in [PARTNER, COORDINATOR] {
        let imported = import(&sandbox, member, &[&v5, &v6]).succeeds().json();
        assert_eq!(
            imported["imported"][1]["version"], 6,
            "{member}: {imported}"
        );
    }
    import(&sandbox, OTHER, &[&v6]).succeeds();

    let report = members(&sandbox, PARTNER);
    let new_coordinator = listed(&report, IMO);
    assert_eq!(new_coordinator["coordinator_key"], true, "{report}");
    assert_eq!(
        new_coordinator["roles"],
        serde_json::json!(["coordinator", "imo"]),
        "{report}"
    );
    assert_eq!(listed(&report, COORDINATOR)["coordinator_key"], false);
    assert_eq!(listed(&report, OTHER)["status"], "active", "{report}");
}

#[test]
fn a_coordinator_key_change_is_accepted_and_so_are_rosters_signed_with_the_new_key() {
    let sandbox = cluster(&[KO_KO]);
    let before = whoami(&sandbox, COORDINATOR);
    // An invite given out before the change, used after it.
    let code = invite(&sandbox, COORDINATOR, "partner", None);
    let rotated = sandbox
        .sealpost(COORDINATOR)
        .args(["cluster", "rotate-key", "--json"])
        .unlocked()
        .succeeds()
        .json();
    assert_eq!(rotated["change"], "keys-changed", "{rotated}");
    assert_eq!(rotated["roster"]["version"], 3, "{rotated}");
    assert!(
        !sandbox.path("sealpost-key-change.json").exists(),
        "the coordinator approves their own change: no request file"
    );
    let after = whoami(&sandbox, COORDINATOR);
    assert_eq!(after["fingerprint"], rotated["fingerprint"]);
    assert_ne!(after["fingerprint"], before["fingerprint"]);
    assert_ne!(after["signing_key"], before["signing_key"]);

    // Version 3 is signed with the old key and names the new one.
    let v3 = export(&sandbox, COORDINATOR, 3);
    let imported = import(&sandbox, IMO, &[&v3]).succeeds().json();
    assert_eq!(
        imported["imported"][0]["changes"],
        serde_json::json!([{"change": "keys-changed", "name": COORDINATOR}]),
        "{imported}"
    );
    // Version 4 is signed with the new key.
    assert_eq!(renew(&sandbox, COORDINATOR), 4);
    let v4 = export(&sandbox, COORDINATOR, 4);
    import(&sandbox, IMO, &[&v4]).succeeds();

    let report = members(&sandbox, IMO);
    assert_eq!(report["roster"]["version"], 4, "{report}");
    let coordinator = listed(&report, COORDINATOR);
    assert_eq!(coordinator["coordinator_key"], true, "{report}");
    for fact in ["fingerprint", "signing_key", "age_recipient"] {
        assert_eq!(coordinator[fact], after[fact], "{fact}: {report}");
    }

    sealed(&sandbox, COORDINATOR, &[IMO], "from-new-key.age");
    let sender = opened_sender(&sandbox, IMO, "from-new-key.age", "opened");
    assert_eq!(sender["status"], "verified", "{sender}");
    assert_eq!(sender["fingerprint"], after["fingerprint"], "{sender}");

    // The invite names the old key; the newcomer's first roster, signed with the new key,
    // is accepted through the coordinator's signed key history.
    sandbox.member(OTHER);
    let request = join(&sandbox, OTHER, &code, "zaw-zaw-join.json");
    let approved = approve(&sandbox, COORDINATOR, &request).succeeds().json();
    assert_eq!(approved["roster"]["version"], 5, "{approved}");
    let v5 = export(&sandbox, COORDINATOR, 5);
    import(&sandbox, OTHER, &[&v5]).succeeds();
    let report = members(&sandbox, OTHER);
    assert_eq!(
        listed(&report, COORDINATOR)["fingerprint"],
        after["fingerprint"]
    );
    assert_eq!(listed(&report, OTHER)["you"], true, "{report}");
}

#[test]
fn join_with_a_mistyped_code_says_it_has_a_typo_and_changes_nothing() {
    let sandbox = cluster(&[]);
    sandbox.member(IMO);
    let code = invite(&sandbox, COORDINATOR, "imo", None);
    let out = sandbox.path("join.json");

    // The last characters are the checksum: changing one is always caught. An `O` read as
    // a `0` is not base32 at all.
    let mut last_changed = code.clone();
    let last = last_changed.pop().unwrap();
    last_changed.push(if last == 'A' { 'B' } else { 'A' });
    let zero_for_o = format!("{}0{}", &code[..10], &code[11..]);
    for typo in [&last_changed, &zero_for_o] {
        sandbox
            .sealpost(IMO)
            .args(["join", typo, "--json", "--out"])
            .arg(&out)
            .run()
            .assert_json_error("invalid-invite", "the invite code has a typo");
    }
    sandbox
        .sealpost(IMO)
        .args(["join", &code["SP-".len()..], "--json", "--out"])
        .arg(&out)
        .run()
        .assert_json_error(
            "invalid-invite",
            "copy the whole code, from `SP-` to the end",
        );
    assert!(!out.exists());
    assert!(
        !sandbox.home(IMO).join("roster").exists(),
        "a refused code pins no cluster"
    );

    // Typed in lower case with spaces instead of dashes, the right code works.
    let typed = code.to_lowercase().replace('-', " ");
    let joined = sandbox
        .sealpost(IMO)
        .args(["join", &typed, "--json", "--out"])
        .arg(&out)
        .unlocked()
        .succeeds()
        .json();
    assert!(out.is_file(), "{joined}");
}
