//! Text decoding, streaming: UTF-8 with or without a byte-order mark, UTF-16 LE/BE with one.
//! Everything downstream sees valid UTF-8 without NUL bytes; anything else (a binary file
//! renamed `.csv`, a legacy code page) stops the scan with a message that says what to do.

use std::io::{self, BufRead, BufReader, Read};

use thiserror::Error;

use crate::error::ScanError;

/// Why decoding stopped; carried inside an `io::Error` through the `Read` chain and turned
/// back into a [`ScanError`] by [`scan_error`].
#[derive(Debug, Error)]
enum DecodeError {
    /// A NUL byte.
    #[error("binary data at byte {0}")]
    Binary(u64),
    /// Invalid UTF-8.
    #[error("invalid UTF-8 at byte {0}")]
    Utf8(u64),
    /// Invalid UTF-16.
    #[error("invalid UTF-16: {0}")]
    Utf16(&'static str),
}

/// The scan error for an I/O error from a decoding reader.
pub(crate) fn scan_error(error: io::Error) -> ScanError {
    let decode = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<DecodeError>())
        .map(|d| match d {
            DecodeError::Binary(offset) => ScanError::Binary { offset: *offset },
            DecodeError::Utf8(offset) => ScanError::InvalidUtf8 { offset: *offset },
            DecodeError::Utf16(what) => ScanError::InvalidUtf16(what),
        });
    decode.unwrap_or(ScanError::Io(error))
}

fn invalid(error: DecodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// The guard's buffer: what a reader gets at a time.
const GUARD_BUFFER: usize = 256 * 1024;

/// Passes through bytes that are valid UTF-8 and not NUL, holding back the (at most three)
/// bytes of a character cut by a read boundary.
struct Utf8Guard<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    valid_end: usize,
    end: usize,
    /// Bytes before `buf[0]` in the stream, for error offsets.
    offset: u64,
}

impl<R: Read> Utf8Guard<R> {
    fn new(inner: R) -> Self {
        Utf8Guard {
            inner,
            buf: vec![0; GUARD_BUFFER].into_boxed_slice(),
            start: 0,
            valid_end: 0,
            end: 0,
            offset: 0,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        // Keep the incomplete character at the end, drop what was consumed.
        let carry = self.end - self.valid_end;
        self.offset += self.valid_end as u64;
        self.buf.copy_within(self.valid_end..self.end, 0);
        self.start = 0;
        self.valid_end = 0;
        self.end = carry;
        loop {
            let n = self.inner.read(&mut self.buf[self.end..])?;
            if n == 0 {
                if self.end > 0 {
                    return Err(invalid(DecodeError::Utf8(self.offset)));
                }
                return Ok(());
            }
            let fresh = &self.buf[self.end..self.end + n];
            if let Some(at) = memchr::memchr(0, fresh) {
                return Err(invalid(DecodeError::Binary(
                    self.offset + (self.end + at) as u64,
                )));
            }
            self.end += n;
            match std::str::from_utf8(&self.buf[..self.end]) {
                Ok(_) => self.valid_end = self.end,
                Err(e) if e.error_len().is_none() => self.valid_end = e.valid_up_to(),
                Err(e) => {
                    return Err(invalid(DecodeError::Utf8(
                        self.offset + e.valid_up_to() as u64,
                    )));
                }
            }
            if self.valid_end > 0 {
                return Ok(());
            }
        }
    }
}

impl<R: Read> Read for Utf8Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = out.len().min(available.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Readers take the checked text straight from the guard's buffer (no `BufReader` copy).
impl<R: Read> BufRead for Utf8Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.valid_end {
            self.refill()?;
        }
        Ok(&self.buf[self.start..self.valid_end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.valid_end);
    }
}

/// Decodes UTF-16 (after its byte-order mark) to UTF-8, a buffer at a time.
struct Utf16Decoder<R> {
    inner: R,
    big_endian: bool,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    /// A high surrogate waiting for its pair across a buffer boundary.
    pending_high: Option<u16>,
    eof: bool,
}

impl<R: Read> Utf16Decoder<R> {
    fn fill(&mut self) -> io::Result<()> {
        self.output.clear();
        self.out_pos = 0;
        while self.output.is_empty() && !self.eof {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                self.eof = true;
                if !self.input.is_empty() {
                    return Err(invalid(DecodeError::Utf16(
                        "the file ends in the middle of a character",
                    )));
                }
                if self.pending_high.is_some() {
                    return Err(invalid(DecodeError::Utf16(
                        "the file ends with half a surrogate pair",
                    )));
                }
                return Ok(());
            }
            self.input.extend_from_slice(&chunk[..n]);
            let whole = (self.input.len() / 2) * 2;
            for pair in self.input[..whole].chunks_exact(2) {
                let unit = if self.big_endian {
                    u16::from_be_bytes([pair[0], pair[1]])
                } else {
                    u16::from_le_bytes([pair[0], pair[1]])
                };
                let c = match (self.pending_high.take(), unit) {
                    (None, 0xD800..=0xDBFF) => {
                        self.pending_high = Some(unit);
                        continue;
                    }
                    (Some(high), 0xDC00..=0xDFFF) => {
                        let code = 0x10000
                            + ((u32::from(high) - 0xD800) << 10)
                            + (u32::from(unit) - 0xDC00);
                        char::from_u32(code)
                    }
                    (Some(_), _) | (None, 0xDC00..=0xDFFF) => None,
                    (None, unit) => char::from_u32(u32::from(unit)),
                };
                let c = c.ok_or_else(|| invalid(DecodeError::Utf16("an unpaired surrogate")))?;
                let mut utf8 = [0u8; 4];
                self.output
                    .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
            self.input.drain(..whole);
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Decoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.output.len() {
            self.fill()?;
        }
        let n = out.len().min(self.output.len() - self.out_pos);
        out[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// What the first bytes said about the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8 without a BOM.
    Utf8,
    /// UTF-8 after a BOM (three bytes, skipped).
    Utf8Bom,
    /// UTF-16 little-endian, from its BOM.
    Utf16Le,
    /// UTF-16 big-endian, from its BOM.
    Utf16Be,
}

/// Wraps `input` (positioned at the start of the file) so that it yields UTF-8 text: skips a
/// UTF-8 BOM, decodes UTF-16 after its BOM, and refuses what is neither.
pub(crate) fn text_reader<'a>(
    input: impl Read + 'a,
) -> Result<(Box<dyn BufRead + 'a>, Encoding), ScanError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let head = input.fill_buf()?;
    let (encoding, skip) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (Encoding::Utf8Bom, 3)
    } else if head.starts_with(&[0xFF, 0xFE, 0, 0]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(ScanError::Unsupported("UTF-32 text".into()));
    } else if head.starts_with(&[0xFF, 0xFE]) {
        (Encoding::Utf16Le, 2)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (Encoding::Utf16Be, 2)
    } else {
        // UTF-16 without a BOM shows as a zero in every other byte of ASCII text.
        let sample = &head[..head.len().min(512)];
        let zeros_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        let zeros_odd = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let half = sample.len() / 2;
        if half >= 8 && (zeros_even * 10 >= half * 8 || zeros_odd * 10 >= half * 8) {
            return Err(ScanError::Utf16WithoutBom);
        }
        (Encoding::Utf8, 0)
    };
    input.consume(skip);
    let reader: Box<dyn BufRead + 'a> = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => Box::new(Utf8Guard::new(input)),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let decoder = Utf16Decoder {
                inner: input,
                big_endian: encoding == Encoding::Utf16Be,
                input: Vec::new(),
                output: Vec::new(),
                out_pos: 0,
                pending_high: None,
                eof: false,
            };
            // The decoded text is checked like any other (a NUL in UTF-16 is still binary).
            Box::new(Utf8Guard::new(decoder))
        }
    };
    Ok((reader, encoding))
}

/// Wraps `input`, positioned at `offset` bytes into UTF-8 text (past any byte-order mark) at
/// the start of a character, like [`text_reader`] does past the mark: a later part of a file
/// read in parts. Errors give their offsets from the start of the text, as one pass would.
pub(crate) fn utf8_reader_at<'a>(input: impl Read + 'a, offset: u64) -> Box<dyn BufRead + 'a> {
    Box::new(Utf8Guard {
        offset,
        ..Utf8Guard::new(input)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, ScanError> {
        let (mut reader, _) = text_reader(bytes)?;
        let mut out = String::new();
        reader.read_to_string(&mut out).map_err(scan_error)?;
        Ok(out)
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode(b"a,b\n").unwrap(), "a,b\n");
        assert_eq!(decode("\u{feff}အမည်,ဖုန်း".as_bytes()).unwrap(), "အမည်,ဖုန်း");
    }

    #[test]
    fn utf16_both_ways_with_surrogates() {
        let text = "Name,ဖုန်း 😀\r\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode(&le).unwrap(), text);
        assert_eq!(decode(&be).unwrap(), text);
        le.push(0x41);
        assert!(matches!(decode(&le), Err(ScanError::InvalidUtf16(_))));
    }

    #[test]
    fn a_character_cut_by_a_read_boundary_is_kept_whole() {
        // A reader that hands out one byte at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || out.is_empty() {
                    return Ok(0);
                }
                out[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let text = "ဦးအောင်ကျော်,၀၉၇၆၁၈၄၉၅၉၃";
        let (mut reader, _) = text_reader(Trickle(text.as_bytes())).unwrap();
        let mut out = String::new();
        reader.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn binary_and_legacy_encodings_are_refused() {
        assert!(matches!(
            decode(b"a,b\n\x00\x01"),
            Err(ScanError::Binary { offset: 4 })
        ));
        assert!(matches!(
            decode(b"caf\xe9,1\n"),
            Err(ScanError::InvalidUtf8 { offset: 3 })
        ));
        assert!(
            matches!(decode(b"abc\xe1\x80"), Err(ScanError::InvalidUtf8 { .. })),
            "cut at the end"
        );
        let mut no_bom = Vec::new();
        for unit in "Name,Phone\r\nAung,09\r\n".encode_utf16() {
            no_bom.extend_from_slice(&unit.to_le_bytes());
        }
        assert!(matches!(decode(&no_bom), Err(ScanError::Utf16WithoutBom)));
    }
}
