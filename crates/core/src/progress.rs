//! Progress reporting for long work (hashing and sealing files, opening a parcel). The core
//! calls these hooks; the CLI draws a progress bar and the desktop app will emit events.

/// What the long-running work is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Reading the files once to record their sizes and SHA-256 in the manifest.
    Hashing,
    /// Streaming the files into the encrypted parcel.
    Sealing,
    /// Decrypting, checking and writing the files of a parcel.
    Opening,
    /// Sending a sealed parcel to the relay (bytes of the sealed parcel).
    Uploading,
    /// Fetching a sealed parcel from the relay (bytes of the sealed parcel).
    Downloading,
}

/// Receives progress updates. All methods default to doing nothing.
pub trait Progress {
    /// A phase starts that will process `total_bytes` bytes of file content.
    fn start(&self, _phase: Phase, _total_bytes: u64) {}
    /// `bytes` more bytes of file content were processed.
    fn advance(&self, _bytes: u64) {}
    /// The current phase ended.
    fn finish(&self) {}
}

/// Progress that nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
