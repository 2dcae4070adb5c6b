//! The parcel's tar layer: a POSIX (pax) tar writer for exactly what Sealpost puts in a parcel,
//! and a strict reader that accepts only that and bounds every length it reads.
//!
//! Why not the `tar` crate for reading: it buffers pax headers of any declared size in memory,
//! so a hostile parcel could make an IMO's client allocate gigabytes before anything is
//! verified, and it accepts links, devices and sparse files we never write. Both sides live
//! here so that one module owns the layout; GNU tar compatibility is checked by the interop
//! tests, and an independent writer (the `tar` crate) builds the hostile test parcels.

use std::io::{self, Read, Write};

const BLOCK: usize = 512;
/// Largest size the 11 octal digits of a ustar size field can hold (8 GiB − 1).
const MAX_OCTAL_SIZE: u64 = 0o777_7777_7777;
/// Largest pax extended header accepted (we write at most a path and a size).
const MAX_PAX_BYTES: u64 = 64 * 1024;
const USTAR_MAGIC: &[u8; 8] = b"ustar\x0000";

/// Why the tar stream is not one Sealpost writes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TarError {
    /// Reading the underlying (decrypted) stream failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The structure is wrong; the text says how.
    #[error("{0}")]
    Malformed(String),
}

fn malformed<T>(why: impl Into<String>) -> Result<T, TarError> {
    Err(TarError::Malformed(why.into()))
}

/// Writes tar entries with fixed metadata: mode 0644, owner 0, the given modification time.
#[derive(Debug)]
pub(crate) struct TarWriter<W> {
    inner: W,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    pub(crate) fn new(inner: W, mtime: u64) -> Self {
        Self { inner, mtime }
    }

    /// Writes a complete entry from memory.
    pub(crate) fn append_bytes(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.begin_entry(path, bytes.len() as u64)?;
        self.inner.write_all(bytes)?;
        self.end_entry(bytes.len() as u64)
    }

    /// Writes the header(s) of an entry of `size` bytes; the caller then writes exactly `size`
    /// bytes to [`TarWriter::data`] and calls [`TarWriter::end_entry`].
    pub(crate) fn begin_entry(&mut self, path: &str, size: u64) -> io::Result<()> {
        let mut pax = Vec::new();
        if path.len() > 100 {
            pax.extend(pax_record("path", path.as_bytes()));
        }
        if size > MAX_OCTAL_SIZE {
            pax.extend(pax_record("size", size.to_string().as_bytes()));
        }
        if !pax.is_empty() {
            let header = header_block(b"./PaxHeaders/entry", pax.len() as u64, b'x', self.mtime);
            self.inner.write_all(&header)?;
            self.inner.write_all(&pax)?;
            self.end_entry(pax.len() as u64)?;
        }
        // With a pax path, the ustar name is only a fallback for old readers: cut it at a
        // character boundary within 100 bytes.
        let mut cut = path.len().min(100);
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        let size_field = if size > MAX_OCTAL_SIZE { 0 } else { size };
        let header = header_block(&path.as_bytes()[..cut], size_field, b'0', self.mtime);
        self.inner.write_all(&header)
    }

    /// Where an entry's content goes.
    pub(crate) fn data(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Pads the entry of `size` bytes to a whole block.
    pub(crate) fn end_entry(&mut self, size: u64) -> io::Result<()> {
        let rem = (size % BLOCK as u64) as usize;
        if rem != 0 {
            self.inner.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
        }
        Ok(())
    }

    /// Writes the end-of-archive marker (two zero blocks) and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&[0u8; 2 * BLOCK])?;
        Ok(self.inner)
    }
}

/// One `"<len> <key>=<value>\n"` pax record, where `<len>` counts the whole record.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // space, '=', newline
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    let mut record = format!("{len} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

fn header_block(name: &[u8], size: u64, typeflag: u8, mtime: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime.min(MAX_OCTAL_SIZE));
    h[156] = typeflag;
    h[257..265].copy_from_slice(USTAR_MAGIC);
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h
}

/// Writes `value` as zero-padded octal digits followed by one NUL, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    debug_assert_eq!(text.len(), digits, "value too large for its field");
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
}

fn parse_octal(field: &[u8], what: &str) -> Result<u64, TarError> {
    let end = field
        .iter()
        .position(|&b| b == 0 || b == b' ')
        .unwrap_or(field.len());
    let (digits, rest) = field.split_at(end);
    if digits.is_empty()
        || !digits.iter().all(|b| (b'0'..=b'7').contains(b))
        || !rest.iter().all(|&b| b == 0 || b == b' ')
    {
        return malformed(format!("tar header has an invalid {what} field"));
    }
    let text = std::str::from_utf8(digits).expect("octal digits are ASCII");
    u64::from_str_radix(text, 8).or_else(|_| malformed(format!("tar {what} field overflows")))
}

/// An entry's header, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryHeader {
    pub(crate) path: String,
    pub(crate) size: u64,
}

/// Reads the tar entries of a parcel, refusing anything Sealpost does not write.
#[derive(Debug)]
pub(crate) struct TarReader<R> {
    inner: R,
    /// Bytes of the current entry's content not yet read.
    remaining: u64,
    /// Padding bytes after the current entry's content.
    padding: u64,
}

impl<R: Read> TarReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            remaining: 0,
            padding: 0,
        }
    }

    /// The next entry's header, or `None` at the end-of-archive marker. The previous entry's
    /// content must have been read completely.
    pub(crate) fn next_entry(&mut self) -> Result<Option<EntryHeader>, TarError> {
        assert_eq!(self.remaining, 0, "entry content not read to the end");
        self.skip_padding()?;
        let mut block = [0u8; BLOCK];
        self.inner.read_exact(&mut block)?;
        if block.iter().all(|&b| b == 0) {
            self.inner.read_exact(&mut block)?;
            if block.iter().any(|&b| b != 0) {
                return malformed("tar end-of-archive marker is incomplete");
            }
            return Ok(None);
        }
        let mut header = parse_header(&block)?;
        let (mut path, mut size) = (None, None);
        if header.typeflag == b'x' {
            if header.size > MAX_PAX_BYTES {
                return malformed(format!("pax header of {} bytes is too large", header.size));
            }
            let mut pax = vec![0u8; header.size as usize];
            self.inner.read_exact(&mut pax)?;
            self.padding = pad_len(header.size);
            self.skip_padding()?;
            (path, size) = parse_pax(&pax)?;
            self.inner.read_exact(&mut block)?;
            header = parse_header(&block)?;
            if header.typeflag == b'x' {
                return malformed("two pax headers in a row");
            }
        }
        if header.typeflag != b'0' && header.typeflag != 0 {
            return malformed(format!(
                "tar entry of type {:?} (only regular files are allowed)",
                char::from(header.typeflag)
            ));
        }
        let path = match path {
            Some(path) => path,
            None => String::from_utf8(header.name)
                .or_else(|_| malformed("tar entry name is not UTF-8"))?,
        };
        let size = size.unwrap_or(header.size);
        self.remaining = size;
        self.padding = pad_len(size);
        Ok(Some(EntryHeader { path, size }))
    }

    fn skip_padding(&mut self) -> Result<(), TarError> {
        let mut pad = [0u8; BLOCK];
        let pad = &mut pad[..self.padding as usize];
        self.inner.read_exact(pad)?;
        self.padding = 0;
        if pad.iter().any(|&b| b != 0) {
            return malformed("tar entry padding is not zero");
        }
        Ok(())
    }

    /// The stream after the end-of-archive marker.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for TarReader<R> {
    /// Reads the current entry's content; returns 0 at its end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the parcel ends inside a file",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn pad_len(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

struct RawHeader {
    name: Vec<u8>,
    size: u64,
    typeflag: u8,
}

fn parse_header(block: &[u8; BLOCK]) -> Result<RawHeader, TarError> {
    let stored = parse_octal(&block[148..156], "checksum")?;
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    if stored != sum {
        return malformed("tar header checksum does not match");
    }
    if &block[257..265] != USTAR_MAGIC {
        return malformed("tar header is not POSIX ustar");
    }
    let field = |range: std::ops::Range<usize>| {
        let f = &block[range];
        f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())].to_vec()
    };
    let mut name = field(0..100);
    let prefix = field(345..500);
    if !prefix.is_empty() {
        name = [prefix, b"/".to_vec(), name].concat();
    }
    Ok(RawHeader {
        name,
        size: parse_octal(&block[124..136], "size")?,
        typeflag: block[156],
    })
}

/// Parses pax records, accepting only `path` and `size` (all Sealpost writes).
fn parse_pax(mut data: &[u8]) -> Result<(Option<String>, Option<u64>), TarError> {
    let (mut path, mut size) = (None, None);
    while !data.is_empty() {
        let space = data
            .iter()
            .position(|&b| b == b' ')
            .filter(|&i| i > 0 && i <= 20)
            .map_or_else(|| malformed("pax record has no length"), Ok)?;
        let len: usize = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&len| len > space + 2 && len <= data.len())
            .map_or_else(|| malformed("pax record length is invalid"), Ok)?;
        let (record, rest) = data.split_at(len);
        data = rest;
        let body = record[space + 1..]
            .strip_suffix(b"\n")
            .map_or_else(|| malformed("pax record does not end with a newline"), Ok)?;
        let eq = body
            .iter()
            .position(|&b| b == b'=')
            .map_or_else(|| malformed("pax record has no '='"), Ok)?;
        let (key, value) = (&body[..eq], &body[eq + 1..]);
        let value = std::str::from_utf8(value).or_else(|_| malformed("pax value is not UTF-8"))?;
        match key {
            b"path" if path.is_none() => path = Some(value.to_owned()),
            b"size" if size.is_none() => {
                let n = value
                    .parse::<u64>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                    .map_or_else(|| malformed("pax size is not a number"), Ok)?;
                size = Some(n);
            }
            _ => {
                return malformed(format!(
                    "pax record {:?} is not allowed in a parcel",
                    String::from_utf8_lossy(key)
                ));
            }
        }
    }
    Ok((path, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = TarWriter::new(Vec::new(), 1_700_000_000);
        for (path, bytes) in entries {
            w.append_bytes(path, bytes).unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, TarError> {
        let mut r = TarReader::new(bytes);
        let mut out = Vec::new();
        while let Some(h) = r.next_entry()? {
            let mut content = Vec::new();
            r.read_to_end(&mut content)?;
            assert_eq!(content.len() as u64, h.size);
            out.push((h.path, content));
        }
        Ok(out)
    }

    #[test]
    fn round_trips_short_long_and_burmese_names() {
        let long = format!("files/{}", "ရန်ကုန်".repeat(20));
        let entries: Vec<(&str, &[u8])> = vec![
            ("SEALPOST-MANIFEST.json", b"{}"),
            ("files/empty", b""),
            ("files/exact", &[7u8; 512]),
            (&long, b"burmese"),
        ];
        let bytes = write(&entries);
        assert_eq!(bytes.len() % 512, 0);
        let back = read_all(&bytes).unwrap();
        let expect: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        assert_eq!(back, expect);
    }

    #[test]
    fn the_tar_crate_reads_what_we_write() {
        let long = format!("files/{}", "x".repeat(150));
        let bytes = write(&[("files/a.csv", b"a,b\n1,2\n"), (&long, b"long")]);
        let mut archive = tar::Archive::new(&bytes[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["files/a.csv".to_string(), long]);
    }

    #[test]
    fn sizes_beyond_eight_gib_use_a_pax_record() {
        let size = MAX_OCTAL_SIZE + 10;
        let mut w = TarWriter::new(Vec::new(), 0);
        w.begin_entry("files/big", size).unwrap();
        let bytes = w.data().clone();
        let mut r = TarReader::new(&bytes[..]);
        let h = r.next_entry().unwrap().unwrap();
        assert_eq!(
            h,
            EntryHeader {
                path: "files/big".into(),
                size
            }
        );
        let mut archive = tar::Archive::new(&bytes[..]);
        let entry = archive.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.size(), size);
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        for n in [1usize, 5, 80, 90, 200] {
            let record = pax_record("path", "y".repeat(n).as_bytes());
            let text = String::from_utf8(record.clone()).unwrap();
            let len: usize = text.split(' ').next().unwrap().parse().unwrap();
            assert_eq!(len, record.len(), "{text:?}");
        }
    }

    fn tar_crate_entry(kind: tar::EntryType, path: &str, data: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_path(path).unwrap();
        if kind.is_symlink() {
            h.set_link_name("/etc/passwd").unwrap();
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn refuses_links_devices_and_oversized_pax() {
        for kind in [
            tar::EntryType::Symlink,
            tar::EntryType::Link,
            tar::EntryType::Directory,
            tar::EntryType::Char,
            tar::EntryType::Fifo,
        ] {
            let bytes = tar_crate_entry(kind, "files/x", b"");
            let err = read_all(&bytes).unwrap_err().to_string();
            assert!(err.contains("only regular files"), "{kind:?}: {err}");
        }
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("comment", &vec![b'a'; 70_000][..])])
            .unwrap();
        let bytes = b.into_inner().unwrap();
        let err = read_all(&bytes).unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("linkpath", &b"/etc"[..])])
            .unwrap();
        let mut bytes = b.into_inner().unwrap();
        bytes.extend(tar_crate_entry(tar::EntryType::Regular, "files/x", b""));
        let err = read_all(&bytes).unwrap_err().to_string();
        assert!(err.contains("not allowed"), "{err}");
    }

    #[test]
    fn refuses_damaged_headers_and_missing_end_marker() {
        let mut bytes = write(&[("files/a", b"abc")]);
        bytes[0] ^= 1;
        assert!(
            read_all(&bytes)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        let bytes = write(&[("files/a", b"abc")]);
        let cut = &bytes[..1024];
        assert!(matches!(read_all(cut), Err(TarError::Io(_))));
        let mut bytes = write(&[("files/a", b"abc")]);
        bytes[515] = 1; // inside the entry's padding
        assert!(
            read_all(&bytes)
                .unwrap_err()
                .to_string()
                .contains("padding")
        );
    }
}
