//! Round trips through sealpost-core's public parcel API: what is sealed opens again, for the
//! right people only, and sealing refuses what recipients would refuse.

mod support;

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sealpost_core::format::Label;
use sealpost_core::parcel::{
    Addressees, Compression, Destination, Encryption, FileSource, Key, Manifest, OpenError,
    OpenOptions, OpenedParcel, ParcelKind, SealError, SealRequest, SenderStatus, inspect, open,
    open_file, seal, seal_to_file,
};
use sealpost_core::progress::Silent;
use sealpost_core::{Identity, Passphrase};
use serde_json::json;
use support::{
    CountingReader, Craft, CraftSender, KIB, MIB, ZSTD_MAGIC, age_key_of, decrypt, generated_bytes,
    identity, listing, manifest_file, random_bytes, sha256_hex, temp_dir,
};

/// A file whose bytes come from memory.
fn in_memory(name: &str, content: &[u8]) -> FileSource {
    let content: Arc<[u8]> = content.into();
    FileSource::from_stream(name, move || {
        Ok(Box::new(io::Cursor::new(Arc::clone(&content))) as Box<dyn Read + Send>)
    })
}

fn to(readers: &[&Identity]) -> Addressees {
    Addressees::Recipients(readers.iter().map(|r| r.age_recipient().into()).collect())
}

fn request(files: Vec<FileSource>, to: Addressees, compression: Compression) -> SealRequest {
    SealRequest {
        purpose: Default::default(),
        label_override: None,
        label: Label::Confidential,
        note: Some("Q3 distribution lists".into()),
        files,
        to,
        compression,
        roster: None,
    }
}

fn seal_in_memory(sender: &Identity, request: SealRequest) -> (Manifest, Vec<u8>) {
    seal(sender, request, Vec::new(), &Silent).expect("the parcel seals")
}

fn open_into(parcel: &[u8], key: Key<'_>, dir: &Path) -> Result<OpenedParcel, OpenError> {
    open(
        parcel,
        key,
        &OpenOptions::default(),
        Destination::Directory(dir),
        &Silent,
    )
}

/// The folder holds exactly these files, with exactly this content.
fn assert_folder_holds(dir: &Path, files: &[(&str, &[u8])]) {
    let mut names: Vec<String> = files.iter().map(|(name, _)| name.to_string()).collect();
    names.sort();
    assert_eq!(listing(dir), names);
    for (name, content) in files {
        assert_eq!(fs::read(dir.join(name)).unwrap(), *content, "{name}");
    }
}

#[test]
fn one_file_from_disk_round_trips_with_its_manifest() {
    let (sender, reader) = (identity("Daw Aye Aye"), identity("Ko Min"));
    let work = temp_dir();
    let name = "5W_2026-Q3.csv";
    let content = b"township,partner,activity\nHlaing,NGO A,WASH\nInsein,NGO B,Shelter\n";
    fs::write(work.path().join(name), content).unwrap();
    let parcel_path = work.path().join("parcel.age");

    let source = FileSource::from_path(&work.path().join(name)).unwrap();
    let sealed = seal_to_file(
        &sender,
        request(vec![source], to(&[&reader]), Compression::Zstd),
        &parcel_path,
        &Silent,
    )
    .unwrap();
    assert_eq!(sealed.size, fs::metadata(&parcel_path).unwrap().len());

    let manifest = &sealed.manifest;
    assert_eq!(manifest.v, 1);
    assert_eq!(manifest.kind, ParcelKind::Data);
    assert_eq!(manifest.label, Label::Confidential);
    assert_eq!(manifest.note.as_deref(), Some("Q3 distribution lists"));
    assert_eq!(manifest.encryption, Encryption::X25519);
    assert_eq!(manifest.compression, Compression::Zstd);
    assert_eq!(manifest.sender.member_id, sender.member_id());
    assert_eq!(manifest.sender.name, "Daw Aye Aye");
    assert_eq!(manifest.sender.sig_pk, sender.signing_public_key());
    assert_eq!(manifest.files.len(), 1);
    assert_eq!(manifest.files[0].name, name);
    assert_eq!(manifest.files[0].size, content.len() as u64);
    assert_eq!(manifest.files[0].sha256.to_string(), sha256_hex(content));
    assert_eq!(manifest.files[0].media_type, "text/csv");

    let inbox = work.path().join("inbox");
    let opened = open_file(
        &parcel_path,
        Key::Identity(&reader),
        &OpenOptions::default(),
        Destination::Directory(&inbox),
        &Silent,
    )
    .unwrap();
    assert_eq!(&opened.manifest, manifest);
    assert_eq!(opened.sender_status, SenderStatus::Unknown);
    assert_eq!(opened.files.len(), 1);
    assert_eq!(opened.files[0].path.as_deref(), Some(&*inbox.join(name)));
    assert_eq!(opened.files[0].size, content.len() as u64);
    assert_folder_holds(&inbox, &[(name, content)]);
}

#[test]
fn fifty_files_round_trip_in_order() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let files: Vec<(String, Vec<u8>)> = (0..50u64)
        .map(|i| {
            // Sizes straddle the 512-byte tar blocks: 0, 37, …, 1813 bytes.
            (
                format!("site-{i:02}.csv"),
                generated_bytes(i, (i * 37) as usize),
            )
        })
        .collect();
    let sources = files
        .iter()
        .map(|(name, content)| in_memory(name, content))
        .collect();
    let (manifest, parcel) =
        seal_in_memory(&sender, request(sources, to(&[&reader]), Compression::None));
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    let expected: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, expected);

    let inbox = temp_dir();
    let opened = open_into(&parcel, Key::Identity(&reader), inbox.path()).unwrap();
    let opened_names: Vec<&str> = opened.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(opened_names, expected);
    let on_disk: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, content)| (name.as_str(), content.as_slice()))
        .collect();
    assert_folder_holds(inbox.path(), &on_disk);
}

#[test]
fn an_empty_file_and_a_parcel_without_files_round_trip() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    for compression in [Compression::None, Compression::Zstd] {
        let (manifest, parcel) = seal_in_memory(
            &sender,
            request(
                vec![in_memory("empty.csv", b"")],
                to(&[&reader]),
                compression,
            ),
        );
        assert_eq!(manifest.files[0].size, 0);
        assert_eq!(manifest.files[0].sha256.to_string(), sha256_hex(b""));
        let inbox = temp_dir();
        open_into(&parcel, Key::Identity(&reader), inbox.path()).unwrap();
        assert_folder_holds(inbox.path(), &[("empty.csv", b"")]);

        // Core allows a parcel of no files (receipts will be such parcels).
        let (manifest, parcel) =
            seal_in_memory(&sender, request(vec![], to(&[&reader]), compression));
        assert!(manifest.files.is_empty());
        let inbox = temp_dir();
        let opened = open_into(&parcel, Key::Identity(&reader), inbox.path()).unwrap();
        assert!(opened.files.is_empty());
        assert_folder_holds(inbox.path(), &[]);
    }
}

#[test]
fn every_recipient_and_the_sender_can_open_but_nobody_else() {
    let sender = identity("Sender");
    let readers = [identity("IMO 1"), identity("IMO 2"), identity("IMO 3")];
    let outsider = identity("Outsider");
    let content = b"household_id,size\n1,5\n";
    let (manifest, parcel) = seal_in_memory(
        &sender,
        request(
            vec![in_memory("list.csv", content)],
            to(&[&readers[0], &readers[1], &readers[2]]),
            Compression::Zstd,
        ),
    );

    // The signed list names every addressee once, sorted, with the sender's member id.
    assert_eq!(manifest.recipients.len(), 4);
    assert!(manifest.recipients.windows(2).all(|w| w[0] < w[1]));
    let sender_entry = manifest
        .recipients
        .iter()
        .find(|r| r.age_recipient == sender.age_recipient().to_string())
        .expect("the sender is a recipient");
    assert_eq!(sender_entry.member_id, Some(sender.member_id()));

    for member in readers.iter().chain([&sender]) {
        let inbox = temp_dir();
        open_into(&parcel, Key::Identity(member), inbox.path())
            .unwrap_or_else(|e| panic!("{}: {e}", member.name()));
        assert_folder_holds(inbox.path(), &[("list.csv", content)]);
    }
    let refused = open_into(&parcel, Key::Identity(&outsider), temp_dir().path()).unwrap_err();
    assert_eq!(refused.code(), "not-for-you", "{refused}");
}

#[test]
fn password_parcels_open_with_their_password_only() {
    let sender = identity("Sender");
    let password = || Passphrase::new("correct horse battery staple".into()).unwrap();
    let content = b"name,phone\nMa Su,09-000\n";
    let (manifest, parcel) = seal_in_memory(
        &sender,
        request(
            vec![in_memory("contacts.csv", content)],
            Addressees::Password(password()),
            Compression::Zstd,
        ),
    );
    assert_eq!(manifest.encryption, Encryption::Scrypt);
    assert!(manifest.recipients.is_empty());

    let inbox = temp_dir();
    open_into(&parcel, Key::Password(&password()), inbox.path()).unwrap();
    assert_folder_holds(inbox.path(), &[("contacts.csv", content)]);

    let wrong = Passphrase::new("incorrect horse battery staple".into()).unwrap();
    let err = open_into(&parcel, Key::Password(&wrong), temp_dir().path()).unwrap_err();
    assert_eq!(err.code(), "wrong-password", "{err}");
    // Not even the sender's own key opens a password parcel.
    let err = open_into(&parcel, Key::Identity(&sender), temp_dir().path()).unwrap_err();
    assert_eq!(err.code(), "password-protected", "{err}");
    assert!(err.to_string().contains("--password-file"), "{err}");

    let (_, keyed) = seal_in_memory(
        &sender,
        request(
            vec![in_memory("contacts.csv", content)],
            to(&[&identity("Reader")]),
            Compression::None,
        ),
    );
    let err = open_into(&keyed, Key::Password(&password()), temp_dir().path()).unwrap_err();
    assert_eq!(err.code(), "not-password-protected", "{err}");
}

#[test]
fn both_compressions_round_trip_and_zstd_shrinks_text() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let csv: Vec<u8> = (0..40_000)
        .flat_map(|i| format!("{i},Hlaing Tharyar,WASH,{}\n", i % 97).into_bytes())
        .collect();
    let mut sizes = Vec::new();
    for compression in [Compression::None, Compression::Zstd] {
        let (manifest, parcel) = seal_in_memory(
            &sender,
            request(vec![in_memory("5w.csv", &csv)], to(&[&reader]), compression),
        );
        assert_eq!(manifest.compression, compression);
        let plaintext = decrypt(&parcel, &age_key_of(&reader));
        assert_eq!(
            plaintext.starts_with(&ZSTD_MAGIC),
            compression == Compression::Zstd,
            "{compression:?}"
        );
        let inbox = temp_dir();
        open_into(&parcel, Key::Identity(&reader), inbox.path()).unwrap();
        assert_folder_holds(inbox.path(), &[("5w.csv", &csv)]);
        sizes.push(parcel.len());
    }
    assert!(
        sizes[1] * 5 < sizes[0],
        "zstd should shrink repetitive CSV: {sizes:?}"
    );
}

#[test]
fn burmese_and_long_names_round_trip() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let burmese = "ရန်ကုန် စာရင်း.csv";
    // Over 100 bytes, so the tar entry needs a pax `path` record.
    let long = format!("{}.csv", "မန္တလေး".repeat(6));
    assert!(long.len() > 100 && long.len() <= 255, "{}", long.len());
    let files: [(&str, &[u8]); 2] = [(burmese, b"a,b\n"), (&long, b"long name\n")];
    for compression in [Compression::None, Compression::Zstd] {
        let (manifest, parcel) = seal_in_memory(
            &sender,
            request(
                files.iter().map(|(n, c)| in_memory(n, c)).collect(),
                to(&[&reader]),
                compression,
            ),
        );
        assert_eq!(manifest.files[1].name, long);
        let inbox = temp_dir();
        let opened = open_into(&parcel, Key::Identity(&reader), inbox.path()).unwrap();
        assert_eq!(opened.files[0].name, burmese);
        assert_folder_holds(inbox.path(), &files);
    }
}

#[test]
fn verify_only_checks_everything_and_releases_nothing() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let content = generated_bytes(3, 200 * KIB as usize);
    let (_, parcel) = seal_in_memory(
        &sender,
        request(
            vec![in_memory("raw.bin", &content)],
            to(&[&reader]),
            Compression::None,
        ),
    );
    let verified = open(
        &parcel[..],
        Key::Identity(&reader),
        &OpenOptions::default(),
        Destination::VerifyOnly,
        &Silent,
    )
    .unwrap();
    assert_eq!(verified.files.len(), 1);
    assert_eq!(verified.files[0].path, None);
    assert_eq!(verified.files[0].size, content.len() as u64);
    assert_eq!(verified.files[0].sha256.to_string(), sha256_hex(&content));

    // Verification is real: content that differs from its signed hash is refused.
    let crafter = CraftSender::from_identity(&sender);
    let mut craft = Craft::new(
        &crafter,
        &[reader.age_recipient()],
        &[("raw.bin", b"hello")],
    );
    craft.manifest["files"][0] = manifest_file("raw.bin", b"jello");
    let err = open(
        &craft.build()[..],
        Key::Identity(&reader),
        &OpenOptions::default(),
        Destination::VerifyOnly,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.code(), "file-mismatch", "{err}");
}

#[test]
fn expected_sender_is_verified_and_any_other_key_refused() {
    let (sender, reader, stranger) = (identity("Sender"), identity("Reader"), identity("X"));
    let (_, parcel) = seal_in_memory(
        &sender,
        request(
            vec![in_memory("a.csv", b"1\n")],
            to(&[&reader]),
            Compression::Zstd,
        ),
    );
    let expecting = |who: &Identity| OpenOptions {
        expected_sender: Some(who.signing_public_key()),
        ..OpenOptions::default()
    };
    let opened = open(
        &parcel[..],
        Key::Identity(&reader),
        &expecting(&sender),
        Destination::VerifyOnly,
        &Silent,
    )
    .unwrap();
    assert_eq!(opened.sender_status, SenderStatus::Verified);
    let inspected = inspect(&parcel[..], Key::Identity(&reader), &expecting(&sender)).unwrap();
    assert_eq!(inspected.sender_status, SenderStatus::Verified);

    let err = open(
        &parcel[..],
        Key::Identity(&reader),
        &expecting(&stranger),
        Destination::VerifyOnly,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.code(), "sender-mismatch", "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&sender.signing_public_key().to_string())
            && message.contains(&stranger.signing_public_key().to_string()),
        "the message names both keys: {message}"
    );
}

#[test]
fn a_file_that_changes_between_the_two_passes_is_refused() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let versions: [(&str, &[u8], &[u8]); 3] = [
        ("same size", b"version one", b"version two"),
        ("grows", b"short", b"much longer now"),
        ("shrinks", b"much longer now", b"short"),
    ];
    for (how, first, second) in versions {
        // The first call is the hashing pass, the second the sealing pass.
        let changing = || {
            let calls = AtomicUsize::new(0);
            FileSource::from_stream("budget.xlsx", move || {
                let content = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    first
                } else {
                    second
                };
                Ok(Box::new(content) as Box<dyn Read + Send>)
            })
        };
        let err = seal(
            &sender,
            request(vec![changing()], to(&[&reader]), Compression::Zstd),
            Vec::new(),
            &Silent,
        )
        .unwrap_err();
        assert!(matches!(err, SealError::FileChanged { .. }), "{how}: {err}");
        assert_eq!(err.code(), "file-changed");
        assert!(err.to_string().contains("budget.xlsx"), "{err}");

        let out = temp_dir();
        let err = seal_to_file(
            &sender,
            request(vec![changing()], to(&[&reader]), Compression::None),
            &out.path().join("parcel.age"),
            &Silent,
        )
        .unwrap_err();
        assert_eq!(err.code(), "file-changed", "{how}: {err}");
        assert_eq!(listing(out.path()), Vec::<String>::new(), "{how}");
    }
}

#[test]
fn sealing_refuses_names_recipients_would_refuse() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let too_long = "a".repeat(256);
    for name in [
        "../evil.csv",
        "/etc/passwd",
        "a\\b.csv",
        "",
        "..",
        "bell\u{7}.csv",
        "invoice\u{202E}fdp.exe",
        "C:evil",
        "CON.txt",
        "trailing.",
        &too_long,
    ] {
        let err = seal(
            &sender,
            request(
                vec![in_memory(name, b"x")],
                to(&[&reader]),
                Compression::None,
            ),
            Vec::new(),
            &Silent,
        )
        .unwrap_err();
        assert!(
            matches!(&err, SealError::UnsafeFileName { name: refused, .. } if refused == name),
            "{name:?}: {err}"
        );
        assert_eq!(err.code(), "unsafe-file-name");
        assert!(err.to_string().contains("rename"), "{err}");
    }
    for (first, second) in [("a.csv", "a.csv"), ("Report.csv", "REPORT.CSV")] {
        let err = seal(
            &sender,
            request(
                vec![in_memory(first, b"1"), in_memory(second, b"2")],
                to(&[&reader]),
                Compression::None,
            ),
            Vec::new(),
            &Silent,
        )
        .unwrap_err();
        assert!(
            matches!(&err, SealError::DuplicateFileName { name } if name == second),
            "{err}"
        );
        assert_eq!(err.code(), "duplicate-file-name");
    }
    let err = seal(
        &sender,
        request(
            vec![in_memory("a.csv", b"1")],
            Addressees::Recipients(vec![]),
            Compression::None,
        ),
        Vec::new(),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.code(), "no-recipients", "{err}");
}

#[test]
fn seal_to_file_never_overwrites_and_leaves_no_temporary_files() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let out = temp_dir();
    let existing = out.path().join("parcel.age");
    fs::write(&existing, b"someone else's parcel").unwrap();
    let err = seal_to_file(
        &sender,
        request(
            vec![in_memory("a.csv", b"1")],
            to(&[&reader]),
            Compression::Zstd,
        ),
        &existing,
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.code(), "output-exists", "{err}");
    assert_eq!(fs::read(&existing).unwrap(), b"someone else's parcel");
    assert_eq!(listing(out.path()), ["parcel.age"]);

    let fresh = out.path().join("second.age");
    seal_to_file(
        &sender,
        request(
            vec![in_memory("a.csv", b"1")],
            to(&[&reader]),
            Compression::Zstd,
        ),
        &fresh,
        &Silent,
    )
    .unwrap();
    assert_eq!(listing(out.path()), ["parcel.age", "second.age"]);
}

/// `inspect` must answer from the start of a parcel, e.g. while it is still downloading.
#[test]
fn inspect_reads_no_further_than_the_manifest() {
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    // Incompressible, so the zstd parcel is as large as the uncompressed one.
    let content = random_bytes(20, 20 * MIB as usize);
    for compression in [Compression::None, Compression::Zstd] {
        let (manifest, parcel) = seal_in_memory(
            &sender,
            request(
                vec![in_memory("survey.bin", &content)],
                to(&[&reader]),
                compression,
            ),
        );
        assert!(parcel.len() as u64 > 20 * MIB, "{compression:?}");

        let head = &parcel[..256 * KIB as usize];
        let inspected = inspect(head, Key::Identity(&reader), &OpenOptions::default())
            .unwrap_or_else(|e| panic!("{compression:?}: inspect needed more than 256 KiB: {e}"));
        assert_eq!(inspected.manifest, manifest);

        let mut counting = CountingReader {
            inner: &parcel[..],
            consumed: 0,
        };
        inspect(
            &mut counting,
            Key::Identity(&reader),
            &OpenOptions::default(),
        )
        .unwrap();
        println!(
            "{compression:?}: inspect read {} of {} bytes",
            counting.consumed,
            parcel.len()
        );
        assert!(
            counting.consumed <= 256 * KIB,
            "{compression:?}: inspect read {} bytes",
            counting.consumed
        );
    }
}

#[test]
fn a_crafted_parcel_with_a_long_pax_name_opens() {
    // The independent writer and sealpost's reader agree on the format, pax names included.
    let (sender, reader) = (identity("Sender"), identity("Reader"));
    let crafter = CraftSender::from_identity(&sender);
    let long = format!("{}.txt", "ပဲခူး".repeat(10));
    for compressed in [false, true] {
        let mut craft = Craft::new(
            &crafter,
            &[reader.age_recipient()],
            &[(&long, b"pax"), ("b.csv", b"")],
        );
        if compressed {
            craft = craft.compressed();
        }
        craft.manifest["note"] = json!(null);
        let inbox = temp_dir();
        let opened = open(
            &craft.build()[..],
            Key::Identity(&reader),
            &OpenOptions {
                expected_sender: Some(sender.signing_public_key()),
                ..OpenOptions::default()
            },
            Destination::Directory(inbox.path()),
            &Silent,
        )
        .unwrap();
        assert_eq!(opened.sender_status, SenderStatus::Verified);
        assert_folder_holds(inbox.path(), &[(&long, b"pax"), ("b.csv", b"")]);
    }
}
