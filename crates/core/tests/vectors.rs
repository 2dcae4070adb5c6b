//! Committed test vectors pin parcel format v1: `ok_` parcels must keep opening and `fail_`
//! parcels must keep being refused with the same code, and what `seal` writes today must have
//! the structure of the committed parcels. `regenerate_vectors` (ignored) writes the directory.

mod support;

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sealpost_core::format::Label;
use sealpost_core::parcel::{
    Addressees, Compression, Destination, FileSource, Key, OpenOptions, SealRequest, open, seal,
};
use sealpost_core::progress::Silent;
use sealpost_core::{Identity, Passphrase};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::{
    AGE_CHUNK, Body, Craft, CraftSender, Entry, Padding, SKIPPABLE_MAGIC, ZSTD_MAGIC, age_key_of,
    age_payload_start, decrypt, listing, manifest_file, open_must_fail, padme, sha256_hex,
    temp_dir,
};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/testdata/vectors");
const PASSWORD: &str = "correct horse battery staple";

/// A vector's sidecar, `NAME.expect.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
enum Expect {
    Ok {
        label: String,
        sender_status: String,
        files: Vec<ExpectedFile>,
    },
    Error {
        code: String,
    },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    name: String,
    size: u64,
    sha256: String,
}

/// The members the vectors are sealed between, from `keys/`.
struct Keys {
    sender: Identity,
    reader: Identity,
    outsider: Identity,
}

const KEY_NAMES: [&str; 3] = ["sender", "reader", "outsider"];

fn key_path(dir: &Path, who: &str) -> PathBuf {
    dir.join("keys").join(format!("{who}.identity"))
}

impl Keys {
    fn load(dir: &Path) -> Self {
        let [sender, reader, outsider] = KEY_NAMES.map(|who| {
            let text = fs::read_to_string(key_path(dir, who)).expect("a committed key");
            Identity::from_document(&text).expect("an identity document")
        });
        Self {
            sender,
            reader,
            outsider,
        }
    }
}

fn vector_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the vectors directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|file| file.strip_suffix(".age").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Opens one vector as its sidecar says it must open, or says why it did not.
fn check_vector(dir: &Path, keys: &Keys, name: &str) -> Result<(), String> {
    let parcel = fs::read(dir.join(format!("{name}.age"))).map_err(|e| e.to_string())?;
    let sidecar = fs::read(dir.join(format!("{name}.expect.json"))).map_err(|e| e.to_string())?;
    let expect: Expect = serde_json::from_slice(&sidecar).map_err(|e| e.to_string())?;
    let password_file = dir.join(format!("{name}.password"));
    let password = password_file
        .exists()
        .then(|| Passphrase::read_file(&password_file).expect("a password"));
    let key = match &password {
        Some(password) => Key::Password(password),
        None => Key::Identity(&keys.reader),
    };
    let options = OpenOptions {
        expected_sender: Some(keys.sender.signing_public_key()),
        ..OpenOptions::default()
    };
    match expect {
        Expect::Ok {
            label,
            sender_status,
            files,
        } => {
            if !name.starts_with("ok_") {
                return Err("opens, so its name must start with ok_".into());
            }
            let inbox = temp_dir();
            let opened = open(
                &parcel[..],
                key,
                &options,
                Destination::Directory(inbox.path()),
                &Silent,
            )
            .map_err(|e| format!("refused ({}): {e}", e.code()))?;
            let status = serde_json::to_value(opened.sender_status).unwrap();
            if opened.manifest.label.as_str() != label || status != json!(sender_status) {
                return Err(format!(
                    "label {} and sender {status} differ from the sidecar",
                    opened.manifest.label
                ));
            }
            let on_disk: Vec<ExpectedFile> = opened
                .files
                .iter()
                .map(|file| {
                    let content = fs::read(file.path.as_ref().unwrap()).unwrap();
                    ExpectedFile {
                        name: file.name.clone(),
                        size: content.len() as u64,
                        sha256: sha256_hex(&content),
                    }
                })
                .collect();
            if on_disk != files {
                return Err(format!("opened {on_disk:?}, expected {files:?}"));
            }
            let mut names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
            names.sort();
            if listing(inbox.path()) != names {
                return Err(format!("left {:?} in the folder", listing(inbox.path())));
            }
        }
        Expect::Error { code } => {
            if !name.starts_with("fail_") {
                return Err("is refused, so its name must start with fail_".into());
            }
            let err = open_must_fail(&parcel, key, &options);
            if err.code() != code {
                return Err(format!("expected {code}, got {}: {err}", err.code()));
            }
        }
    }
    Ok(())
}

#[test]
fn every_vector_opens_or_is_refused_as_committed() {
    let dir = Path::new(VECTORS);
    let keys = Keys::load(dir);
    let names = vector_names(dir);
    let sidecars: BTreeSet<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let file = e.unwrap().file_name().to_string_lossy().into_owned();
            file.strip_suffix(".expect.json").map(str::to_owned)
        })
        .collect();
    assert_eq!(
        sidecars,
        names.iter().cloned().collect(),
        "every NAME.age has a NAME.expect.json and no sidecar is orphaned"
    );
    assert!(names.iter().filter(|n| n.starts_with("ok_")).count() >= 7);
    assert!(names.iter().filter(|n| n.starts_with("fail_")).count() >= 20);

    let wrong: Vec<String> = names
        .iter()
        .filter_map(|name| {
            check_vector(dir, &keys, name)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// A parcel made by sealpost's own `seal`, reproducible except for its random parts (age
/// keys, parcel id, time), so a fresh seal can be compared with the committed one.
struct SealedSpec {
    name: &'static str,
    files: Vec<(String, Vec<u8>)>,
    compression: Compression,
    label: Label,
    note: Option<&'static str>,
    password: Option<&'static str>,
}

fn csv_rows(rows: usize) -> Vec<u8> {
    let mut csv = b"household_id,township,ward,size,received\n".to_vec();
    for i in 0..rows {
        let row = format!(
            "HH-{i:06},Hlaing Tharyar,Ward {},{},{}\n",
            i % 23,
            1 + i % 9,
            i % 2
        );
        csv.extend_from_slice(row.as_bytes());
    }
    csv
}

fn sealed_specs() -> Vec<SealedSpec> {
    let spec = |name, files: Vec<(String, Vec<u8>)>, compression| SealedSpec {
        name,
        files,
        compression,
        label: Label::Confidential,
        note: None,
        password: None,
    };
    vec![
        SealedSpec {
            note: Some("Q3 5W, all townships"),
            ..spec(
                "ok_zstd",
                vec![
                    ("5W_2026-Q3.csv".into(), csv_rows(300)),
                    (
                        "README.txt".into(),
                        b"Columns as in the 2026 template.\n".to_vec(),
                    ),
                ],
                Compression::Zstd,
            )
        },
        // Over 64 KiB: the payload spans two age chunks.
        SealedSpec {
            label: Label::HighlyConfidential,
            ..spec(
                "ok_uncompressed",
                vec![("beneficiaries.csv".into(), csv_rows(2000))],
                Compression::None,
            )
        },
        spec(
            "ok_empty_file",
            vec![("empty.csv".into(), Vec::new())],
            Compression::Zstd,
        ),
        SealedSpec {
            label: Label::Public,
            ..spec("ok_no_files", Vec::new(), Compression::None)
        },
        spec(
            "ok_many_files",
            (0..20)
                .map(|i| (format!("site-{i:02}.csv"), csv_rows(i * 3)))
                .collect(),
            Compression::Zstd,
        ),
        // The second name is over 100 bytes: its tar entry carries a pax `path` record.
        spec(
            "ok_burmese_names",
            vec![
                ("ရန်ကုန် စာရင်း.csv".into(), csv_rows(5)),
                (format!("{}.csv", "မန္တလေး".repeat(6)), csv_rows(2)),
            ],
            Compression::None,
        ),
        SealedSpec {
            label: Label::Restricted,
            password: Some(PASSWORD),
            ..spec(
                "ok_password",
                vec![(
                    "contacts.csv".into(),
                    b"name,phone\nMa Su,09-000\n".to_vec(),
                )],
                Compression::Zstd,
            )
        },
    ]
}

fn seal_spec(spec: &SealedSpec, keys: &Keys) -> Vec<u8> {
    let files = spec
        .files
        .iter()
        .map(|(name, content)| {
            let content: Arc<[u8]> = content.as_slice().into();
            FileSource::from_stream(name.clone(), move || {
                Ok(Box::new(io::Cursor::new(Arc::clone(&content))) as Box<dyn Read + Send>)
            })
        })
        .collect();
    let to = match spec.password {
        Some(password) => Addressees::Password(Passphrase::new(password.into()).unwrap()),
        None => Addressees::Recipients(vec![keys.reader.age_recipient().into()]),
    };
    let request = SealRequest {
        purpose: Default::default(),
        label_override: None,
        label: spec.label,
        note: spec.note.map(str::to_owned),
        files,
        to,
        compression: spec.compression,
        roster: None,
    };
    seal(&keys.sender, request, Vec::new(), &Silent).unwrap().1
}

/// The plaintext of a vector parcel, with the reader's key or the spec's password.
fn plaintext_of(parcel: &[u8], keys: &Keys, password: Option<&str>) -> Vec<u8> {
    match password {
        Some(password) => decrypt(
            parcel,
            &age::scrypt::Identity::new(age::secrecy::SecretString::from(password.to_owned())),
        ),
        None => decrypt(parcel, &age_key_of(&keys.reader)),
    }
}

/// What a parcel's plaintext looks like, leaving out what differs between two seals of the
/// same files (parcel id, time, and so the manifest and signature bytes).
#[derive(Debug, PartialEq)]
struct Shape {
    compressed: bool,
    entries: Vec<EntryShape>,
    /// Every key of the manifest JSON, as a path, in the order the bytes hold them.
    manifest_keys: Vec<String>,
    /// Bytes of the tar stream after the end-of-archive marker.
    tar_trailer: usize,
    tar_trailer_all_zero: bool,
    /// What follows the zstd frame, when compressed.
    frame_trailer: Option<String>,
    plaintext_is_padme_size: bool,
}

/// One raw tar header (pax headers included), as read by the `tar` crate.
#[derive(PartialEq)]
struct EntryShape {
    name: String,
    typeflag: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    magic_and_version: Vec<u8>,
    owner_names: (Vec<u8>, Vec<u8>),
    size: u64,
    pax_records: Option<String>,
}

impl fmt::Debug for EntryShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} type {:?} mode {:o} uid {} gid {} magic {:?} owners {:?} size {} pax {:?}",
            self.name,
            char::from(self.typeflag),
            self.mode,
            self.uid,
            self.gid,
            String::from_utf8_lossy(&self.magic_and_version),
            self.owner_names,
            self.size,
            self.pax_records
        )
    }
}

fn describe(plaintext: &[u8]) -> Shape {
    let compressed = plaintext.starts_with(&ZSTD_MAGIC);
    let (tar, frame_trailer) = if compressed {
        let frame = zstd::zstd_safe::find_frame_compressed_size(plaintext).expect("a zstd frame");
        let tar = zstd::stream::decode_all(&plaintext[..frame]).expect("a valid frame");
        let rest = &plaintext[frame..];
        let one_skippable_frame = rest.len() >= 8
            && rest[..4] == SKIPPABLE_MAGIC
            && u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize == rest.len() - 8
            && rest[8..].iter().all(|&b| b == 0);
        let trailer = if one_skippable_frame {
            "one zero-filled skippable frame".to_owned()
        } else {
            format!("{} other bytes", rest.len())
        };
        (tar, Some(trailer))
    } else {
        (plaintext.to_vec(), None)
    };

    let mut entries = Vec::new();
    let mut manifest_keys = Vec::new();
    let mut end = 0;
    let mut archive = tar::Archive::new(&tar[..]);
    for entry in archive.entries().unwrap().raw(true) {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        let ustar = header.as_ustar().expect("a POSIX ustar header");
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        end = entry.raw_file_position() + (content.len() as u64).div_ceil(512) * 512;
        let name = String::from_utf8_lossy(&header.path_bytes()).into_owned();
        if name == "SEALPOST-MANIFEST.json" {
            manifest_keys = key_paths(&content);
        }
        entries.push(EntryShape {
            typeflag: header.as_old().linkflag[0],
            mode: header.mode().unwrap(),
            uid: header.uid().unwrap(),
            gid: header.gid().unwrap(),
            magic_and_version: [&ustar.magic[..], &ustar.version[..]].concat(),
            owner_names: (
                header.username_bytes().unwrap_or_default().to_vec(),
                header.groupname_bytes().unwrap_or_default().to_vec(),
            ),
            size: header.entry_size().unwrap(),
            pax_records: (header.entry_type() == tar::EntryType::XHeader)
                .then(|| String::from_utf8(content).unwrap()),
            name,
        });
    }
    let end = end as usize;
    assert!(
        tar[end..].len() >= 1024 && tar[end..end + 1024].iter().all(|&b| b == 0),
        "the tar stream ends with its two-block end marker"
    );
    let trailer = &tar[end + 1024..];
    Shape {
        compressed,
        entries,
        manifest_keys,
        tar_trailer: trailer.len(),
        tar_trailer_all_zero: trailer.iter().all(|&b| b == 0),
        frame_trailer,
        plaintext_is_padme_size: padme(plaintext.len() as u64) == plaintext.len() as u64,
    }
}

/// The key paths of a JSON document in the order its bytes hold them (serde_json's `Value`
/// would sort them).
fn key_paths(json: &[u8]) -> Vec<String> {
    struct Keys<'a> {
        prefix: String,
        out: &'a mut Vec<String>,
    }
    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                let path = format!("{}{key}", self.prefix);
                self.out.push(path.clone());
                map.next_value_seed(Keys {
                    prefix: format!("{path}."),
                    out: &mut *self.out,
                })?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let prefix = format!("{}[].", self.prefix.trim_end_matches('.'));
            while seq
                .next_element_seed(Keys {
                    prefix: prefix.clone(),
                    out: &mut *self.out,
                })?
                .is_some()
            {}
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    Keys {
        prefix: String::new(),
        out: &mut out,
    }
    .deserialize(&mut de)
    .expect("manifest JSON");
    out
}

/// Old vectors still opening is not enough: a change in what `seal` writes must be noticed
/// too, and must come with regenerated vectors (see the README).
#[test]
fn seal_still_writes_what_the_committed_vectors_hold() {
    let dir = Path::new(VECTORS);
    let keys = Keys::load(dir);
    for spec in sealed_specs() {
        let committed = fs::read(dir.join(format!("{}.age", spec.name))).unwrap();
        let committed = describe(&plaintext_of(&committed, &keys, spec.password));
        let fresh = describe(&plaintext_of(
            &seal_spec(&spec, &keys),
            &keys,
            spec.password,
        ));
        assert_eq!(fresh, committed, "{}", spec.name);

        // The rules themselves, spelled out.
        let paths: Vec<String> = spec
            .files
            .iter()
            .map(|(name, _)| format!("files/{name}"))
            .collect();
        let regular: Vec<&EntryShape> = fresh
            .entries
            .iter()
            .filter(|e| e.typeflag == b'0')
            .collect();
        assert_eq!(regular[0].name, "SEALPOST-MANIFEST.json", "{}", spec.name);
        assert_eq!(regular[1].name, "SEALPOST-MANIFEST.sig", "{}", spec.name);
        assert_eq!(regular[1].size, 64, "{}", spec.name);
        assert_eq!(regular.len(), 2 + paths.len(), "{}", spec.name);
        for entry in &fresh.entries {
            assert_eq!(entry.mode, 0o644, "{}: {entry:?}", spec.name);
            assert_eq!((entry.uid, entry.gid), (0, 0), "{}: {entry:?}", spec.name);
            assert_eq!(entry.magic_and_version, b"ustar\x0000", "{}", spec.name);
        }
        assert_eq!(
            fresh
                .manifest_keys
                .iter()
                .filter(|k| !k.contains('.'))
                .collect::<Vec<_>>(),
            [
                "v",
                "parcel_id",
                "kind",
                "created_at",
                "cluster_id",
                "roster_version",
                "sender",
                "encryption",
                "recipients",
                "label",
                "note",
                "files",
                "compression"
            ],
            "{}",
            spec.name
        );
        assert!(fresh.plaintext_is_padme_size, "{}", spec.name);
        if fresh.compressed {
            assert_eq!(fresh.tar_trailer, 0, "{}", spec.name);
            assert_eq!(
                fresh.frame_trailer.as_deref(),
                Some("one zero-filled skippable frame"),
                "{}",
                spec.name
            );
        } else {
            assert!(fresh.tar_trailer_all_zero, "{}", spec.name);
        }
    }
}

/// How a generated vector must open.
enum Outcome {
    Opens,
    /// Refused with this `OpenError::code()`.
    Refused(&'static str),
}

/// Parcels no correct sealpost writes, built with the independent writer in `support`.
fn crafted_vectors(keys: &Keys) -> Vec<(&'static str, Outcome, Vec<u8>)> {
    use Outcome::{Opens, Refused};
    let sender = CraftSender::from_identity(&keys.sender);
    let outsider = CraftSender::from_identity(&keys.outsider);
    let reader = keys.reader.age_recipient();
    let report: (&str, &[u8]) = ("report.csv", b"township,count\nHlaing,12\n");
    let craft = || Craft::new(&sender, std::slice::from_ref(&reader), &[report]);
    let mutated = |mutate: &dyn Fn(&mut Craft)| {
        let mut craft = craft();
        mutate(&mut craft);
        craft.build()
    };
    let named = |names: &[&str]| {
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"x"[..])).collect();
        Craft::new(&sender, std::slice::from_ref(&reader), &files).build()
    };
    let mut oversized = craft().compressed();
    let mut bytes = oversized.manifest_bytes();
    bytes.resize(1024 * 1024 + 1, b' ');
    oversized.manifest_bytes = Some(bytes);

    vec![
        (
            "ok_crafted",
            Opens,
            Craft::new(&sender, std::slice::from_ref(&reader), &[report]).build(),
        ),
        (
            "ok_crafted_zstd_long_name",
            Opens,
            Craft::new(
                &sender,
                std::slice::from_ref(&reader),
                &[(&format!("{}.txt", "ပဲခူး".repeat(10)), b"pax path")],
            )
            .compressed()
            .build(),
        ),
        (
            "fail_not_an_age_file",
            Refused("not-a-parcel"),
            craft().plaintext(),
        ),
        (
            "fail_not_for_you",
            Refused("not-for-you"),
            Craft::new(&sender, &[keys.outsider.age_recipient()], &[report]).build(),
        ),
        (
            "fail_signed_by_another_key",
            Refused("bad-signature"),
            mutated(&|c| c.signer = outsider.signing.clone()),
        ),
        (
            "fail_unexpected_sender",
            Refused("sender-mismatch"),
            Craft::new(&outsider, std::slice::from_ref(&reader), &[report]).build(),
        ),
        (
            "fail_reader_not_among_signed_recipients",
            Refused("not-a-recipient"),
            mutated(&|c| {
                let listed = c.manifest["recipients"].as_array().unwrap().clone();
                let sender_only: Vec<_> = listed
                    .into_iter()
                    .filter(|r| !r["member_id"].is_null())
                    .collect();
                c.manifest["recipients"] = json!(sender_only);
            }),
        ),
        (
            "fail_encryption_mismatch",
            Refused("encryption-mismatch"),
            mutated(&|c| {
                c.manifest["encryption"] = json!("scrypt");
                c.manifest["recipients"] = json!([]);
            }),
        ),
        (
            "fail_unknown_manifest_field",
            Refused("invalid-manifest"),
            mutated(&|c| c.manifest["surprise"] = json!(true)),
        ),
        (
            "fail_name_parent_dir",
            Refused("invalid-manifest"),
            named(&["../evil"]),
        ),
        (
            "fail_name_absolute",
            Refused("invalid-manifest"),
            named(&["/etc/passwd"]),
        ),
        (
            "fail_name_duplicate",
            Refused("invalid-manifest"),
            named(&["a.csv", "a.csv"]),
        ),
        (
            "fail_name_duplicate_case",
            Refused("invalid-manifest"),
            named(&["a.csv", "A.CSV"]),
        ),
        (
            "fail_name_control_character",
            Refused("invalid-manifest"),
            named(&["list\u{1b}[2J.csv"]),
        ),
        (
            "fail_manifest_over_1_mib",
            Refused("manifest-too-large"),
            oversized.build(),
        ),
        (
            "fail_manifest_declares_1_tib",
            Refused("manifest-too-large"),
            mutated(&|c| {
                c.entries[0]
                    .pax
                    .push(("size".into(), (1u64 << 40).to_string().into_bytes()));
            }),
        ),
        (
            "fail_size_differs_from_manifest",
            Refused("file-mismatch"),
            mutated(&|c| {
                c.entry_mut("report.csv").body = Body::Bytes(b"township,count\n".to_vec());
            }),
        ),
        (
            "fail_hash_differs_from_manifest",
            Refused("file-mismatch"),
            mutated(&|c| {
                c.manifest["files"][0] =
                    manifest_file("report.csv", b"township,count\nHlaing,99\n");
            }),
        ),
        (
            "fail_signature_before_manifest",
            Refused("malformed"),
            mutated(&|c| c.entries.swap(0, 1)),
        ),
        (
            "fail_no_signature",
            Refused("malformed"),
            mutated(&|c| {
                c.entries.remove(1);
            }),
        ),
        (
            "fail_entry_after_last_file",
            Refused("malformed"),
            mutated(&|c| c.entries.push(Entry::file("bonus.exe", b"MZ"))),
        ),
        (
            "fail_symlink_entry",
            Refused("malformed"),
            mutated(&|c| {
                c.manifest["files"][0] = manifest_file("report.csv", b"");
                let entry = c.entry_mut("report.csv");
                entry.body = Body::Bytes(Vec::new());
                entry.kind = tar::EntryType::Symlink;
                entry.link_name = Some("/etc/passwd".into());
            }),
        ),
        (
            "fail_junk_after_end_marker",
            Refused("malformed"),
            mutated(&|c| c.padding = Padding::Junk(b"\0\0hidden payload".to_vec())),
        ),
        (
            "fail_compression_mismatch",
            Refused("malformed"),
            mutated(&|c| c.manifest["compression"] = json!("zstd")),
        ),
    ]
}

/// Writes the vectors directory. Keys in `keys/` are kept when present, so that regenerating
/// changes only the parcels. Run with `--ignored` (see the README).
#[test]
#[ignore = "writes tests/testdata/vectors; run by hand when the format changes"]
fn regenerate_vectors() {
    let dir = Path::new(VECTORS);
    fs::create_dir_all(dir.join("keys")).unwrap();
    for who in KEY_NAMES {
        let path = key_path(dir, who);
        if !path.exists() {
            let name = format!("Test {who}");
            let identity = Identity::generate(&name, "Sealpost test vectors").unwrap();
            fs::write(&path, identity.to_document().as_bytes()).unwrap();
        }
    }
    for file in fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if [".age", ".expect.json", ".password"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            fs::remove_file(&path).unwrap();
        }
    }
    let keys = Keys::load(dir);
    let write = |name: &str, parcel: &[u8], expect: &Expect| {
        fs::write(dir.join(format!("{name}.age")), parcel).unwrap();
        let mut json = serde_json::to_string_pretty(expect).unwrap();
        json.push('\n');
        fs::write(dir.join(format!("{name}.expect.json")), json).unwrap();
    };

    let specs = sealed_specs();
    for spec in &specs {
        if let Some(password) = spec.password {
            fs::write(
                dir.join(format!("{}.password", spec.name)),
                format!("{password}\n"),
            )
            .unwrap();
        }
        let files = spec
            .files
            .iter()
            .map(|(name, content)| ExpectedFile {
                name: name.clone(),
                size: content.len() as u64,
                sha256: sha256_hex(content),
            })
            .collect();
        let expect = Expect::Ok {
            label: spec.label.as_str().into(),
            sender_status: "verified".into(),
            files,
        };
        write(spec.name, &seal_spec(spec, &keys), &expect);
    }

    // Cut and changed copies of a genuine two-chunk parcel.
    let genuine = seal_spec(&specs[1], &keys);
    let payload = age_payload_start(&genuine);
    let mut flipped = genuine.clone();
    flipped[payload + AGE_CHUNK + 100] ^= 0x01;
    let damaged = [
        (
            "fail_truncated_at_chunk_boundary",
            Outcome::Refused("truncated"),
            genuine[..payload + AGE_CHUNK].to_vec(),
        ),
        // age cannot tell a cut chunk from a changed one.
        (
            "fail_truncated_inside_chunk",
            Outcome::Refused("damaged"),
            genuine[..payload + AGE_CHUNK + 1000].to_vec(),
        ),
        ("fail_flipped_byte", Outcome::Refused("damaged"), flipped),
    ];

    for (name, outcome, parcel) in damaged.into_iter().chain(crafted_vectors(&keys)) {
        let expect = match outcome {
            Outcome::Opens => Expect::Ok {
                label: "confidential".into(),
                sender_status: "verified".into(),
                files: decrypted_files(&parcel, &keys),
            },
            Outcome::Refused(code) => Expect::Error { code: code.into() },
        };
        write(name, &parcel, &expect);
    }

    for name in vector_names(dir) {
        check_vector(dir, &keys, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The files a crafted, valid parcel holds, read with plain tar (for its sidecar).
fn decrypted_files(parcel: &[u8], keys: &Keys) -> Vec<ExpectedFile> {
    let mut plaintext = plaintext_of(parcel, keys, None);
    if plaintext.starts_with(&ZSTD_MAGIC) {
        plaintext = zstd::stream::decode_all(&plaintext[..]).unwrap();
    }
    let mut archive = tar::Archive::new(&plaintext[..]);
    archive
        .entries()
        .unwrap()
        .filter_map(|entry| {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let name = path.strip_prefix("files/")?.to_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            Some(ExpectedFile {
                name,
                size: content.len() as u64,
                sha256: sha256_hex(&content),
            })
        })
        .collect()
}
