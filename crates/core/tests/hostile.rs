//! Damaged, forged and malicious parcels: each is refused with its own error code and a message
//! a user can act on, and leaves the destination exactly as it was.

mod support;

use std::fs;
use std::io::Read;
use std::sync::Arc;

use sealpost_core::Passphrase;
use sealpost_core::format::{Label, SigningPublicKey};
use sealpost_core::parcel::{
    Addressees, Compression, Destination, FileSource, Key, OpenOptions, SealRequest, open, seal,
};
use sealpost_core::progress::Silent;
use serde_json::json;
use support::{
    AGE_CHUNK, Body, Craft, CraftSender, Entry, KIB, Lock, MIB, Padding, age_payload_start,
    encrypt, generated_bytes, identity, listing, open_must_fail, temp_dir,
};

const PASSWORD: &str = "correct horse battery staple";

/// The members of every case: a sender, the reader who opens, and someone else.
struct Cast {
    sender: sealpost_core::Identity,
    reader: sealpost_core::Identity,
    outsider: sealpost_core::Identity,
    /// The sender's keys, for parcels sealpost itself would never write.
    crafter: CraftSender,
}

impl Cast {
    fn new() -> Self {
        let sender = identity("Sender");
        Self {
            crafter: CraftSender::from_identity(&sender),
            sender,
            reader: identity("Reader"),
            outsider: identity("Outsider"),
        }
    }

    /// A valid crafted parcel from the sender to the reader, holding one small file.
    fn craft(&self) -> Craft {
        self.craft_files(&[("report.csv", b"a,b\n1,2\n")])
    }

    fn craft_files(&self, files: &[(&str, &[u8])]) -> Craft {
        Craft::new(&self.crafter, &[self.reader.age_recipient()], files)
    }

    /// A genuine parcel sealed by sealpost: an uncompressed 300 KiB file, so the payload spans
    /// five age chunks and its bytes sit at predictable offsets.
    fn sealed(&self) -> Vec<u8> {
        let content: Arc<[u8]> = generated_bytes(1, 300 * KIB as usize).into();
        let file = FileSource::from_stream("survey.bin", move || {
            Ok(Box::new(std::io::Cursor::new(Arc::clone(&content))) as Box<dyn Read + Send>)
        });
        let request = SealRequest {
            purpose: Default::default(),
            label_override: None,
            label: Label::HighlyConfidential,
            note: None,
            files: vec![file],
            to: Addressees::Recipients(vec![self.reader.age_recipient().into()]),
            compression: Compression::None,
            roster: None,
        };
        seal(&self.sender, request, Vec::new(), &Silent).unwrap().1
    }
}

/// Who opens a case's parcel.
enum Opener {
    Reader,
    Outsider,
    Password(&'static str),
}

struct Case {
    what: &'static str,
    parcel: Vec<u8>,
    opener: Opener,
    expected_sender: Option<SigningPublicKey>,
    code: &'static str,
    /// Words the message must contain, so that it says what went wrong.
    says: &'static str,
}

fn case(what: &'static str, parcel: Vec<u8>, code: &'static str, says: &'static str) -> Case {
    Case {
        what,
        parcel,
        opener: Opener::Reader,
        expected_sender: None,
        code,
        says,
    }
}

fn with_flipped_byte(mut parcel: Vec<u8>, at: usize) -> Vec<u8> {
    parcel[at] ^= 0x01;
    parcel
}

fn run(cast: &Cast, cases: Vec<Case>) {
    let mut wrong = Vec::new();
    for case in cases {
        let password;
        let key = match case.opener {
            Opener::Reader => Key::Identity(&cast.reader),
            Opener::Outsider => Key::Identity(&cast.outsider),
            Opener::Password(text) => {
                password = Passphrase::new(text.into()).unwrap();
                Key::Password(&password)
            }
        };
        let options = OpenOptions {
            expected_sender: case.expected_sender,
            ..OpenOptions::default()
        };
        let err = open_must_fail(&case.parcel, key, &options);
        let message = err.to_string();
        if err.code() != case.code || !message.contains(case.says) {
            wrong.push(format!(
                "{}: expected {} saying {:?}, got {}: {message}",
                case.what,
                case.code,
                case.says,
                err.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn damaged_and_misaddressed_parcels_are_refused() {
    let cast = Cast::new();
    let sealed = cast.sealed();
    let payload = age_payload_start(&sealed);
    let mac = sealed.windows(4).position(|w| w == b"\n---").unwrap() + 5;
    let last = sealed.len();
    assert!(
        last > payload + 4 * AGE_CHUNK,
        "the payload spans five chunks"
    );

    let mut cases = vec![
        Case {
            opener: Opener::Outsider,
            ..case(
                "wrong identity",
                sealed.clone(),
                "not-for-you",
                "not sealed to you",
            )
        },
        case(
            "cut inside the age magic",
            sealed[..10].to_vec(),
            "truncated",
            "only 10 bytes long",
        ),
        case(
            "cut inside the age header",
            sealed[..payload / 2].to_vec(),
            "truncated",
            "incomplete",
        ),
        case(
            "cut before the payload",
            sealed[..payload].to_vec(),
            "truncated",
            "incomplete",
        ),
        // age cannot tell a cut chunk from a changed one: both fail authentication.
        case(
            "cut inside the first chunk",
            sealed[..payload + 1000].to_vec(),
            "damaged",
            "damaged",
        ),
        case(
            "cut at a chunk boundary mid-body",
            sealed[..payload + 2 * AGE_CHUNK].to_vec(),
            "truncated",
            "incomplete",
        ),
        case(
            "cut inside a chunk mid-body",
            sealed[..payload + 2 * AGE_CHUNK + 5000].to_vec(),
            "damaged",
            "damaged",
        ),
        case(
            "one byte short",
            sealed[..last - 1].to_vec(),
            "damaged",
            "damaged",
        ),
        case(
            "flipped byte in the header MAC",
            with_flipped_byte(sealed.clone(), mac + 3),
            "damaged",
            "age header",
        ),
        case(
            "flipped byte in the manifest chunk",
            with_flipped_byte(sealed.clone(), payload + 700),
            "damaged",
            "modified after sealing",
        ),
        case(
            "flipped byte in a file body chunk",
            with_flipped_byte(sealed.clone(), payload + 2 * AGE_CHUNK + 100),
            "damaged",
            "modified after sealing",
        ),
        case(
            "flipped byte in the last chunk",
            with_flipped_byte(sealed.clone(), last - 10),
            "damaged",
            "modified after sealing",
        ),
        Case {
            expected_sender: Some(cast.outsider.signing_public_key()),
            ..case(
                "another sender than expected",
                sealed.clone(),
                "sender-mismatch",
                "not by the expected sender",
            )
        },
        case(
            "empty file",
            Vec::new(),
            "not-a-parcel",
            "does not start with an age header",
        ),
        case(
            "a zip file",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00".repeat(20),
            "not-a-parcel",
            "does not start with an age header",
        ),
        case(
            "a plain tar stream",
            cast.craft().plaintext(),
            "not-a-parcel",
            "does not start with an age header",
        ),
    ];

    let mut password = Craft::with_password(&cast.crafter, PASSWORD, &[("a.csv", b"1")]).build();
    cases.push(Case {
        opener: Opener::Password("not the password at all"),
        ..case(
            "wrong password",
            password.clone(),
            "wrong-password",
            "wrong password",
        )
    });
    cases.push(case(
        "password parcel opened with a key",
        password.clone(),
        "password-protected",
        "--password-file",
    ));
    cases.push(Case {
        opener: Opener::Password(PASSWORD),
        ..case(
            "key parcel opened with a password",
            cast.craft().build(),
            "not-password-protected",
            "without --password-file",
        )
    });
    let at = age_payload_start(&password) + 30;
    password[at] ^= 0x01;
    cases.push(Case {
        opener: Opener::Password(PASSWORD),
        ..case(
            "password parcel with a flipped byte",
            password,
            "damaged",
            "modified after sealing",
        )
    });
    run(&cast, cases);
}

#[test]
fn forged_and_invalid_manifests_are_refused() {
    let cast = Cast::new();
    let mutated = |mutate: &dyn Fn(&mut Craft)| {
        let mut craft = cast.craft();
        mutate(&mut craft);
        craft.build()
    };
    let named = |names: &[&str]| {
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"x"[..])).collect();
        cast.craft_files(&files).build()
    };
    let outsider = CraftSender::from_identity(&cast.outsider);

    let mut oversized = cast.craft();
    let mut bytes = oversized.manifest_bytes();
    // Still valid, signed JSON: only its size is wrong.
    bytes.resize(MIB as usize + 1, b' ');
    oversized.manifest_bytes = Some(bytes);

    let cases = vec![
        case(
            "signed by a key the manifest does not name",
            mutated(&|c| c.signer = outsider.signing.clone()),
            "bad-signature",
            "signature is invalid",
        ),
        case(
            "a signature of 63 bytes",
            mutated(&|c| c.signature = Some(vec![7; 63])),
            "bad-signature",
            "signature is invalid",
        ),
        case(
            "a manifest changed after signing",
            mutated(&|c| {
                let signed = c.manifest_bytes();
                c.signature = Some(support::sign_manifest(&c.signer, &signed));
                c.manifest["label"] = json!("public");
            }),
            "bad-signature",
            "signature is invalid",
        ),
        Case {
            expected_sender: Some(cast.sender.signing_public_key()),
            ..case(
                "signed and named by an outsider, sender expected",
                Craft::new(
                    &outsider,
                    &[cast.reader.age_recipient()],
                    &[("a.csv", b"1")],
                )
                .build(),
                "sender-mismatch",
                "not by the expected sender",
            )
        },
        case(
            "recipients signed without the reader, sealed to the reader anyway",
            mutated(&|c| {
                let sender_only: Vec<_> = c.manifest["recipients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| !r["member_id"].is_null())
                    .cloned()
                    .collect();
                c.manifest["recipients"] = json!(sender_only);
            }),
            "not-a-recipient",
            "re-sealed or forwarded",
        ),
        case(
            "an identity parcel whose manifest says password",
            mutated(&|c| {
                c.manifest["encryption"] = json!("scrypt");
                c.manifest["recipients"] = json!([]);
            }),
            "encryption-mismatch",
            "encryption does not match",
        ),
        Case {
            opener: Opener::Password(PASSWORD),
            ..case(
                "a password parcel whose manifest says x25519",
                {
                    let mut craft = cast.craft();
                    craft.lock = Lock::Password(PASSWORD.into());
                    craft.build()
                },
                "encryption-mismatch",
                "encryption does not match",
            )
        },
        case(
            "an unknown manifest field",
            mutated(&|c| c.manifest["surprise"] = json!(1)),
            "invalid-manifest",
            "surprise",
        ),
        case(
            "manifest version 2",
            mutated(&|c| c.manifest["v"] = json!(2)),
            "invalid-manifest",
            "version 2",
        ),
        // Other JSON readers keep the first or the last value: the signed bytes must mean one
        // thing only.
        case(
            "a manifest with a key twice",
            mutated(&|c| {
                let text = String::from_utf8(c.manifest_bytes()).unwrap();
                let twice = text.replacen('{', "{\"label\":\"public\",", 1);
                c.manifest_bytes = Some(twice.into_bytes());
            }),
            "invalid-manifest",
            "duplicate field `label`",
        ),
        case(
            "a manifest with bytes after the JSON",
            mutated(&|c| {
                let mut bytes = c.manifest_bytes();
                bytes.extend_from_slice(b"{}");
                c.manifest_bytes = Some(bytes);
            }),
            "invalid-manifest",
            "trailing characters",
        ),
        case(
            "a manifest that is not JSON",
            mutated(&|c| c.manifest_bytes = Some(b"sender: me".to_vec())),
            "invalid-manifest",
            "sender's key",
        ),
        case(
            "a manifest over 1 MiB",
            oversized.build(),
            "manifest-too-large",
            "1048577 bytes",
        ),
        case(
            "a manifest entry declaring 1 TiB in a pax record",
            mutated(&|c| {
                c.entries[0]
                    .pax
                    .push(("size".into(), (1u64 << 40).to_string().into_bytes()));
            }),
            "manifest-too-large",
            "1099511627776 bytes, over the 1048576-byte limit",
        ),
        // The tar crate writes sizes of 8 GiB and more as GNU base-256, which sealpost never
        // writes and refuses.
        case(
            "a manifest entry declaring 1 TiB in base-256",
            mutated(&|c| c.entries[0].declared_size = Some(1 << 40)),
            "malformed",
            "invalid size field",
        ),
        case(
            "file name ../evil",
            named(&["../evil"]),
            "invalid-manifest",
            "path separator",
        ),
        case(
            "file name /etc/passwd",
            named(&["/etc/passwd"]),
            "invalid-manifest",
            "path separator",
        ),
        case(
            "file name ..",
            named(&[".."]),
            "invalid-manifest",
            "directory reference",
        ),
        case(
            "the same file name twice",
            named(&["a.csv", "a.csv"]),
            "invalid-manifest",
            "appears twice",
        ),
        case(
            "file names differing in case only",
            named(&["Report.csv", "REPORT.CSV"]),
            "invalid-manifest",
            "appears twice",
        ),
        case(
            "a control character in a name",
            named(&["list\u{1b}[2J.csv"]),
            "invalid-manifest",
            "control characters",
        ),
        case(
            "a Windows device name",
            named(&["aux.csv"]),
            "invalid-manifest",
            "reserved by Windows",
        ),
    ];
    run(&cast, cases);
}

#[test]
fn tar_layouts_sealpost_never_writes_are_refused() {
    let cast = Cast::new();
    let mutated = |mutate: &dyn Fn(&mut Craft)| {
        let mut craft = cast.craft();
        mutate(&mut craft);
        craft.build()
    };
    let two_files = || cast.craft_files(&[("a.csv", b"first"), ("b.csv", b"second")]);

    let cases = vec![
        case(
            "tar entry larger than the manifest says",
            mutated(&|c| c.entry_mut("report.csv").body = Body::Bytes(b"a,b\n1,2\n3,4\n".into())),
            "file-mismatch",
            "the signed manifest says 8 bytes, the parcel holds 12",
        ),
        case(
            "header size agrees with the manifest, content runs longer",
            mutated(&|c| {
                let entry = c.entry_mut("report.csv");
                entry.declared_size = Some(8);
                entry.body = Body::Bytes(b"a,b\n1,2\nand then some".to_vec());
            }),
            "malformed",
            "padding is not zero",
        ),
        case(
            "content that differs from its signed hash",
            mutated(&|c| c.entry_mut("report.csv").body = Body::Bytes(b"a,b\n6,6\n".into())),
            "file-mismatch",
            "does not match the SHA-256",
        ),
        case(
            "signature before manifest",
            mutated(&|c| c.entries.swap(0, 1)),
            "malformed",
            "where SEALPOST-MANIFEST.json belongs",
        ),
        case(
            "no signature entry",
            mutated(&|c| {
                c.entries.remove(1);
            }),
            "malformed",
            "where SEALPOST-MANIFEST.sig belongs",
        ),
        case(
            "files in another order than the manifest",
            {
                let mut craft = two_files();
                craft.entries.swap(2, 3);
                craft.build()
            },
            "malformed",
            "where the manifest lists",
        ),
        case(
            "a file missing from the tar",
            {
                let mut craft = two_files();
                craft.entries.pop();
                craft.build()
            },
            "malformed",
            "ends before the file",
        ),
        case(
            "an extra entry after the last file",
            mutated(&|c| c.entries.push(Entry::file("bonus.exe", b"MZ"))),
            "malformed",
            "after the last file",
        ),
        case(
            "an entry under another name than its manifest file",
            mutated(&|c| c.entry_mut("report.csv").path = "files/../report.csv".into()),
            "malformed",
            "where the manifest lists",
        ),
        case(
            "a symlink entry",
            {
                let mut craft = cast.craft_files(&[("passwd", b"")]);
                let entry = craft.entry_mut("passwd");
                entry.kind = tar::EntryType::Symlink;
                entry.link_name = Some("/etc/passwd".into());
                craft.build()
            },
            "malformed",
            "only regular files",
        ),
        case(
            "a pax linkpath record",
            mutated(&|c| {
                c.entry_mut("report.csv")
                    .pax
                    .push(("linkpath".into(), b"/etc/passwd".to_vec()));
            }),
            "malformed",
            "not allowed",
        ),
        case(
            "a pax header of 70 KB",
            mutated(&|c| {
                c.entry_mut("report.csv")
                    .pax
                    .push(("comment".into(), vec![b'a'; 70_000]));
            }),
            "malformed",
            "too large",
        ),
        case(
            "junk after the end-of-archive marker",
            mutated(&|c| c.padding = Padding::Junk(b"\0\0\0hidden payload".to_vec())),
            "malformed",
            "after the end of the archive",
        ),
        case(
            "junk after the zstd frame",
            {
                let mut craft = cast.craft().compressed();
                craft.padding = Padding::Junk(b"hidden payload, not a zstd frame".to_vec());
                craft.build()
            },
            "malformed",
            "cannot be read",
        ),
        case(
            "manifest says zstd, stream is plain",
            mutated(&|c| c.manifest["compression"] = json!("zstd")),
            "malformed",
            "disagree about compression",
        ),
        case(
            "manifest says none, stream is zstd",
            {
                let mut craft = cast.craft().compressed();
                craft.manifest["compression"] = json!("none");
                craft.build()
            },
            "malformed",
            "disagree about compression",
        ),
        case(
            "no end-of-archive marker",
            {
                let craft = cast.craft();
                let mut plaintext = craft.plaintext();
                plaintext.truncate(plaintext.len() - 2048);
                encrypt(&plaintext, &craft.lock)
            },
            "malformed",
            "cannot be read",
        ),
    ];
    run(&cast, cases);
}

#[test]
fn opening_never_overwrites_a_file_in_the_destination() {
    let cast = Cast::new();
    let parcel = cast
        .craft_files(&[("a.csv", b"new a"), ("b.csv", b"new b")])
        .build();
    let inbox = temp_dir();
    fs::write(inbox.path().join("b.csv"), b"mine").unwrap();
    let err = open(
        &parcel[..],
        Key::Identity(&cast.reader),
        &OpenOptions::default(),
        Destination::Directory(inbox.path()),
        &Silent,
    )
    .unwrap_err();
    assert_eq!(err.code(), "would-overwrite", "{err}");
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert_eq!(listing(inbox.path()), ["b.csv"]);
    assert_eq!(fs::read(inbox.path().join("b.csv")).unwrap(), b"mine");
}
