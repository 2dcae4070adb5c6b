//! The "no lock-in" promise: a parcel opens with Debian's own `age`, `zstd` and `tar`, given
//! the reader's identity exported with `identity export --plain`. No Sealpost code involved.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::util::{Sandbox, sample, text, tool_available};

/// A Burmese file name, and names longer than the 100 bytes of a classic tar header (one in
/// ASCII, one in Burmese, whose letters take three bytes each in UTF-8).
fn payload_names() -> [(String, &'static str); 4] {
    [
        ("ရန်ကုန်_အကူအညီစာရင်း.csv".to_owned(), "001_export.csv"),
        (
            format!("{}.xlsx", "township_partner_presence_".repeat(5)),
            "011_list.xlsx",
        ),
        (format!("{}.csv", "မြို့နယ်စာရင်း".repeat(4)), "006_data.csv"),
        ("plain-note.txt".to_owned(), "005_sheet.txt"),
    ]
}

fn require_tools() {
    let missing: Vec<&str> = ["age", "zstd", "tar"]
        .into_iter()
        .filter(|tool| !tool_available(tool))
        .collect();
    assert!(
        missing.is_empty(),
        "{missing:?} not found: the interoperability tests need Debian's real tools; install \
         them with `apt-get install age zstd tar`"
    );
}

fn spawn(command: &mut Command) -> Child {
    command
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"))
}

fn finish(name: &str, child: Child) {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{name} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `age -d -i KEY PARCEL [| zstd -d] | tar -x -C DIR`, each program given its arguments
/// directly: no shell ever sees a file name.
fn recover_with_standard_tools(key: &Path, parcel: &Path, compressed: bool, into: &Path) {
    std::fs::create_dir(into).unwrap();
    let mut age = spawn(
        Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(key)
            .arg(parcel)
            .stdout(Stdio::piped()),
    );
    let age_out = age.stdout.take().unwrap();
    let (tar_in, zstd) = if compressed {
        let mut zstd = spawn(
            Command::new("zstd")
                .args(["-d", "-c", "-q"])
                .stdin(age_out)
                .stdout(Stdio::piped()),
        );
        (Stdio::from(zstd.stdout.take().unwrap()), Some(zstd))
    } else {
        (Stdio::from(age_out), None)
    };
    let tar = spawn(
        Command::new("tar")
            .arg("-x")
            .arg("-f")
            .arg("-")
            .arg("-C")
            .arg(into)
            .stdin(tar_in)
            .stdout(Stdio::null()),
    );
    // The pipe's read ends now belong to the children; wait for the last one first.
    finish("tar", tar);
    if let Some(zstd) = zstd {
        finish("zstd -d", zstd);
    }
    finish("age -d", age);
}

/// Every path under `dir`, relative to it, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            found.push(path.strip_prefix(dir).unwrap().to_owned());
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

fn parcel_recovers_without_sealpost(compressed: bool) {
    require_tools();
    let sandbox = Sandbox::new();
    sandbox.member("alice");
    let bob = sandbox.member("bob");
    let originals: Vec<(String, PathBuf)> = payload_names()
        .into_iter()
        .map(|(name, source)| {
            let path = sandbox.write(
                &format!("outgoing/{name}"),
                std::fs::read(sample(source)).unwrap(),
            );
            (name, path)
        })
        .collect();
    assert!(
        originals
            .iter()
            .any(|(name, _)| name.len() > 100 && name.is_ascii())
    );
    assert!(
        originals
            .iter()
            .any(|(name, _)| name.len() > 100 && !name.is_ascii())
    );

    let mut seal = sandbox
        .sealpost("alice")
        .arg("seal")
        .args(originals.iter().map(|(_, path)| path))
        .args(["--to", text(&bob, "age_recipient")])
        .args([
            "--label",
            "highly-confidential",
            "-o",
            "parcel.age",
            "--json",
        ])
        .unlocked();
    if !compressed {
        seal = seal.arg("--no-compress");
    }
    let sealed = seal.succeeds().json();
    assert_eq!(
        sealed["compression"],
        if compressed { "zstd" } else { "none" }
    );

    sandbox
        .sealpost("bob")
        .args(["identity", "export", "--plain", "-o", "bob-key.txt"])
        .unlocked()
        .succeeds();
    let recovered = sandbox.path("recovered");
    recover_with_standard_tools(
        &sandbox.path("bob-key.txt"),
        &sandbox.path("parcel.age"),
        compressed,
        &recovered,
    );

    let mut expected = vec![
        PathBuf::from("SEALPOST-MANIFEST.json"),
        PathBuf::from("SEALPOST-MANIFEST.sig"),
        PathBuf::from("files"),
    ];
    expected.extend(
        originals
            .iter()
            .map(|(name, _)| Path::new("files").join(name)),
    );
    expected.sort();
    assert_eq!(tree(&recovered), expected);
    for (name, original) in &originals {
        assert!(
            std::fs::read(original).unwrap()
                == std::fs::read(recovered.join("files").join(name)).unwrap(),
            "{name} recovered by tar differs from the original"
        );
    }

    // The manifest tar hands out is the signed one that Sealpost reports.
    let inspected = sandbox
        .sealpost("bob")
        .args(["inspect", "parcel.age", "--json"])
        .unlocked()
        .succeeds()
        .json();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(recovered.join("SEALPOST-MANIFEST.json")).unwrap())
            .expect("SEALPOST-MANIFEST.json is JSON");
    assert_eq!(manifest["parcel_id"], inspected["parcel_id"]);
    assert_eq!(manifest["parcel_id"], sealed["parcel_id"]);
    let manifest_names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(f, "name"))
        .collect();
    let original_names: Vec<&str> = originals.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(manifest_names, original_names);
    assert_eq!(
        std::fs::read(recovered.join("SEALPOST-MANIFEST.sig"))
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn compressed_parcel_opens_with_age_zstd_and_tar() {
    parcel_recovers_without_sealpost(true);
}

#[test]
fn uncompressed_parcel_opens_with_age_and_tar() {
    parcel_recovers_without_sealpost(false);
}
