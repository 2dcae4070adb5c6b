//! Crash-safe file writes: write to a temporary file beside the target, fsync, then rename, so
//! a reader never sees a half-written file and a crash leaves the old file (or none) in place.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written under a temporary name in the target's directory. Dropping it without
/// [`AtomicFile::commit`] deletes the temporary file.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target`. The file gets mode 0600 on Unix: everything Sealpost writes
    /// this way is either secret or sealed.
    pub(crate) fn create(target: &Path) -> io::Result<Self> {
        let dir = parent_dir(target);
        let temp = tempfile::Builder::new()
            .prefix(".sealpost-")
            .suffix(".partial")
            .tempfile_in(dir)?;
        Ok(Self {
            temp,
            target: target.to_owned(),
        })
    }

    /// The open temporary file, for writing.
    pub(crate) fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flushes the data to disk and moves it to the target name. With `replace` false, fails
    /// with `AlreadyExists` instead of replacing an existing file.
    pub(crate) fn commit(self, replace: bool) -> io::Result<()> {
        self.temp.as_file().sync_all()?;
        if replace {
            self.temp.persist(&self.target).map_err(|e| e.error)?;
        } else {
            self.temp
                .persist_noclobber(&self.target)
                .map_err(|e| e.error)?;
        }
        sync_dir(parent_dir(&self.target))
    }
}

/// How much a [`SyncingFile`] writes before it asks the disk to catch up.
const SYNC_EVERY: u64 = 32 * 1024 * 1024;

/// A file that flushes its data to disk every [`SYNC_EVERY`] bytes. Opening writes files from a
/// helper thread, so the disk works while the main thread decrypts, and the final fsync has
/// little left to do instead of a whole gigabyte (measured: open of 1 GiB went from 1.47× to
/// 1.04× the time of `age -d`). Sealing does not use it: there both cores are already busy
/// encrypting and hashing, and the periodic syncs made sealing slower (docs/benchmarks.md).
#[derive(Debug)]
pub(crate) struct SyncingFile {
    file: File,
    unsynced: u64,
}

impl SyncingFile {
    pub(crate) fn new(file: File) -> Self {
        Self { file, unsynced: 0 }
    }

    /// Makes everything written durable.
    pub(crate) fn sync_all(&self) -> io::Result<()> {
        self.file.sync_all()
    }
}

impl Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.unsynced >= SYNC_EVERY {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `target` atomically (temporary file, fsync, rename).
pub(crate) fn write_atomically(target: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    let mut file = AtomicFile::create(target)?;
    file.file().write_all(bytes)?;
    file.commit(replace)
}

/// The directory holding `path`; `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a rename or a new file in `dir` durable. Directories cannot be fsynced on Windows,
/// where renames are journaled by NTFS instead.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates `dir` (and its parents) with owner-only permissions on Unix if it does not exist.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_without_replace_keeps_the_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_atomically(&target, b"first", false).unwrap();
        let err = write_atomically(&target, b"second", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        write_atomically(&target, b"third", true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"third");
        // No temporary file is left behind either way.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::create(&dir.path().join("out")).unwrap();
        file.file().write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
