//! The committed TypeScript declarations in `ui/src/bindings/` are exactly what the Rust types
//! generate: the UI can never drift from what the shell sends it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.expect("read the bindings folder").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("read a binding"))
        })
        .collect()
}

#[test]
fn bindings_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    sealpost_desktop::bindings::export(fresh.path()).expect("generate the bindings");
    let generated = read_dir(fresh.path());
    assert!(
        generated.contains_key("Review.ts"),
        "{:?}",
        generated.keys()
    );

    let committed = committed_dir();
    if std::env::var_os("SEALPOST_WRITE_BINDINGS").is_some() {
        std::fs::create_dir_all(&committed).unwrap();
        for old in read_dir(&committed).keys() {
            if !generated.contains_key(old) {
                std::fs::remove_file(committed.join(old)).unwrap();
            }
        }
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).unwrap();
        }
        return;
    }
    let current = read_dir(&committed);
    let stale: Vec<&String> = generated
        .keys()
        .chain(current.keys())
        .filter(|name| generated.get(*name) != current.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({stale:?}): run \
         `SEALPOST_WRITE_BINDINGS=1 cargo test -p sealpost-desktop --test bindings` and commit \
         the result"
    );
}
