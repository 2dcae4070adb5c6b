//! Key loss, end to end over a real relay: a member whose keys are gone restores them from
//! their backup and their parcels open again; without a backup, the coordinator opens the
//! member's parcels with the cluster's offline recovery key — only those sealed while the
//! roster's policy named it, and the others are reported as lost, plainly.

use std::path::Path;

use crate::mailroom::{COORDINATOR, Cluster, IMO, PARTNER, beneficiary_list};
use crate::util::text;

/// Re-reads `member`'s roster from the relay.
fn pull(cluster: &Cluster, member: &str) {
    cluster.json(member, &["roster", "pull"]).succeeds();
}

/// `cluster recovery-key create -o KEY_FILE` as the coordinator, the file under `passphrase`.
fn create_key(cluster: &Cluster, key_file: &Path, passphrase: &Path) -> crate::util::Sealpost {
    cluster.json(
        COORDINATOR,
        &[
            "cluster",
            "recovery-key",
            "create",
            "-o",
            key_file.to_str().unwrap(),
            "--key-passphrase-file",
            passphrase.to_str().unwrap(),
        ],
    )
}

/// `cluster recover` as the coordinator: the parcel files in `from` into `out`.
pub(crate) fn recover(
    cluster: &Cluster,
    key_file: &Path,
    passphrase: &Path,
    from: &Path,
    out: &Path,
) -> crate::util::Outcome {
    cluster
        .json(
            COORDINATOR,
            &[
                "cluster",
                "recover",
                "--recovery-key",
                key_file.to_str().unwrap(),
                "--key-passphrase-file",
                passphrase.to_str().unwrap(),
                "--from",
                from.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        )
        .run()
}

fn parcel_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn a_lost_key_is_restored_from_a_backup_or_its_parcels_recovered_with_the_cluster_recovery_key() {
    let cluster = Cluster::new();
    let sandbox = &cluster.sandbox;
    let before = beneficiary_list(sandbox, "before.csv", "BEFORE-RECOVERY-KEY");
    let sealed_before = cluster.send(PARTNER, &[&before], "highly-confidential");

    // The coordinator makes the recovery key; the next roster names it.
    let key_passphrase = sandbox.write("recovery-passphrase.txt", "a long recovery passphrase\n");
    let key_file = sandbox.path("cluster-recovery.age");
    let created = create_key(&cluster, &key_file, &key_passphrase)
        .succeeds()
        .json();
    let recipient = text(&created, "recovery_recipient").to_owned();
    assert!(recipient.starts_with("age1"), "{created}");
    assert_eq!(created["version"], 5, "{created}");
    assert!(
        std::fs::read(&key_file)
            .unwrap()
            .starts_with(b"age-encryption.org/v1\n-> scrypt "),
        "the key file is protected by its passphrase"
    );
    // Never over an existing key file.
    create_key(&cluster, &key_file, &key_passphrase)
        .run()
        .assert_json_error("output-exists", "already exists");

    pull(&cluster, PARTNER);
    pull(&cluster, IMO);
    let after = beneficiary_list(sandbox, "after.csv", "AFTER-RECOVERY-KEY");
    let sealed_after = cluster.send(PARTNER, &[&after], "highly-confidential");
    cluster.sync(IMO);

    // 1. The IMO's keys are lost, but a backup was made: restored, the store and the
    //    parcels open again.
    let backup_passphrase = sandbox.write("imo-backup-passphrase.txt", "the IMO backup phrase\n");
    let backup = sandbox.path("imo-backup.age");
    // The variable unlocks the identity; --passphrase-file names the backup's own passphrase.
    sandbox
        .sealpost(IMO)
        .args(["identity", "export", "-o", backup.to_str().unwrap()])
        .arg("--passphrase-file")
        .arg(&backup_passphrase)
        .env("SEALPOST_PASSPHRASE_FILE", sandbox.passphrase_file())
        .succeeds();
    let home = cluster.home(IMO);
    std::fs::remove_file(home.join("identity.age")).unwrap();
    cluster
        .json(IMO, &["inbox"])
        .run()
        .assert_failed_with("identity");
    sandbox
        .sealpost(IMO)
        .args([
            "identity",
            "import",
            backup.to_str().unwrap(),
            "--force",
            "--json",
        ])
        .arg("--passphrase-file")
        .arg(&backup_passphrase)
        .succeeds();
    let opened_dir = sandbox.path("imo-opened");
    sandbox
        .sealpost(IMO)
        .args(["open", &sealed_before, "--yes", "--json", "-o"])
        .arg(&opened_dir)
        .arg("--passphrase-file")
        .arg(&backup_passphrase)
        .succeeds();
    assert_eq!(
        std::fs::read(opened_dir.join("before.csv")).unwrap(),
        std::fs::read(&before).unwrap()
    );

    // 2. No backup: the coordinator opens the IMO's vault with the recovery key. The parcel
    //    sealed after the key was named comes back byte for byte; the one sealed before
    //    cannot be opened by anyone, and the report says so.
    let vault = home.join("vault");
    let out = sandbox.path("recovered");
    recover(
        &cluster,
        &key_file,
        &sandbox.passphrase_file(),
        &vault,
        &out,
    )
    .assert_json_error("wrong-passphrase", "wrong passphrase");
    let outcome = recover(&cluster, &key_file, &key_passphrase, &vault, &out);
    assert_eq!(outcome.code, Some(1), "{outcome}");
    let report = outcome.json();
    assert_eq!(report["recovered"], 1, "{report}");
    let parcels = report["parcels"].as_array().unwrap();
    let of = |id: &str| {
        parcels
            .iter()
            .find(|p| p["parcel_id"] == id || text(p, "file").contains(id))
            .unwrap_or_else(|| panic!("{id} not in {report}"))
            .clone()
    };
    let recovered = of(&sealed_after);
    assert_eq!(recovered["outcome"], "recovered", "{recovered}");
    assert_eq!(recovered["label"], "highly-confidential");
    assert_eq!(
        std::fs::read(out.join(&sealed_after).join("after.csv")).unwrap(),
        std::fs::read(&after).unwrap()
    );
    let lost = of(&sealed_before);
    assert_eq!(lost["outcome"], "not-sealed-to-recovery-key", "{lost}");
    assert!(!out.join(&sealed_before).exists());
    assert_eq!(
        parcel_files(&out).len(),
        1,
        "only the recovered parcel's folder is written"
    );

    // The recovery key is only as good as the roster: once removed, new parcels are sealed
    // to their addressees alone.
    cluster
        .json(COORDINATOR, &["cluster", "recovery-key", "remove"])
        .succeeds();
    pull(&cluster, PARTNER);
    let later = beneficiary_list(sandbox, "later.csv", "AFTER-REMOVAL");
    let sealed_later = cluster.send(PARTNER, &[&later], "highly-confidential");
    let partner_vault = cluster.home(PARTNER).join("vault");
    let out2 = sandbox.path("recovered-2");
    let second = recover(&cluster, &key_file, &key_passphrase, &partner_vault, &out2).json();
    let outcomes: Vec<(String, String)> = second["parcels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                p["parcel_id"].as_str()?.to_owned(),
                text(p, "outcome").to_owned(),
            ))
        })
        .collect();
    assert!(
        outcomes.contains(&(sealed_after.clone(), "recovered".into())),
        "{second}"
    );
    let later_outcome = second["parcels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| text(p, "file").contains(&sealed_later))
        .unwrap()
        .clone();
    assert_eq!(
        later_outcome["outcome"], "not-sealed-to-recovery-key",
        "{second}"
    );
}
