//! Padmé padding: the plaintext is padded to one of a small set of sizes, so the relay learns a
//! parcel's size only roughly (at most 12 % overhead, and O(log log n) bits of size leak).

use std::io::{self, Write};

/// The zstd skippable-frame magic number used for padding after a compressed payload. Every
/// zstd decoder skips such frames, while plain zeros after a frame make `zstd -d` fail.
pub(crate) const SKIPPABLE_FRAME_MAGIC: u32 = 0x184D_2A50;
const SKIPPABLE_HEADER_LEN: u64 = 8;

/// The Padmé size for a plaintext of `len` bytes: `len` rounded up so that only the top
/// ⌊log₂ ⌊log₂ len⌋⌋ + 1 bits of the result may be non-zero.
pub(crate) fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let e = u64::from(63 - len.leading_zeros()); // ⌊log₂ len⌋
    let s = u64::from(64 - e.leading_zeros()); // ⌊log₂ e⌋ + 1
    let mask = (1u64 << (e - s)) - 1;
    len.checked_add(mask).map_or(len, |n| n & !mask)
}

/// Writes the zeros that pad an uncompressed plaintext of `len` bytes; returns their count.
pub(crate) fn write_zero_padding(out: &mut impl Write, len: u64) -> io::Result<u64> {
    let pad = padme(len) - len;
    write_zeros(out, pad)?;
    Ok(pad)
}

/// Writes skippable frames that pad a compressed plaintext of `len` bytes; returns the
/// padding's length. At least one frame is always written (8 bytes of header), so the total
/// is padded to `padme(len + 8)`.
pub(crate) fn write_skippable_padding(out: &mut impl Write, len: u64) -> io::Result<u64> {
    let mut pad = padme(len + SKIPPABLE_HEADER_LEN) - len;
    let total = pad;
    while pad > 0 {
        // A frame's length field is 32 bits, so large padding takes several frames. Each frame
        // needs an 8-byte header: never leave a remainder too small to hold one.
        let mut body = (pad - SKIPPABLE_HEADER_LEN).min(u64::from(u32::MAX));
        let rest = pad - SKIPPABLE_HEADER_LEN - body;
        if rest > 0 && rest < SKIPPABLE_HEADER_LEN {
            body -= SKIPPABLE_HEADER_LEN;
        }
        out.write_all(&SKIPPABLE_FRAME_MAGIC.to_le_bytes())?;
        out.write_all(&u32::try_from(body).expect("at most u32::MAX").to_le_bytes())?;
        write_zeros(out, body)?;
        pad -= SKIPPABLE_HEADER_LEN + body;
    }
    Ok(total)
}

fn write_zeros(out: &mut impl Write, mut n: u64) -> io::Result<()> {
    const ZEROS: [u8; 8192] = [0; 8192];
    while n > 0 {
        let chunk = n.min(ZEROS.len() as u64) as usize;
        out.write_all(&ZEROS[..chunk])?;
        n -= chunk as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_paper() {
        // Values from the Padmé definition (Nikitin et al., PETS 2019).
        for (len, padded) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (9, 10),
            (100, 104),
            (1000, 1024),
            (1025, 1088),
            (1_000_000, 1_015_808),
        ] {
            assert_eq!(padme(len), padded, "padme({len})");
        }
    }

    #[test]
    fn padme_overhead_is_bounded_and_idempotent() {
        let mut len = 3u64;
        while len < 1 << 40 {
            let p = padme(len);
            assert!(p >= len);
            assert!((p - len) as f64 <= len as f64 * 0.12 + 1.0, "{len} -> {p}");
            assert_eq!(padme(p), p);
            len = len * 3 / 2 + 7;
        }
    }

    #[test]
    fn skippable_padding_is_decodable_and_sized() {
        let data = zstd::encode_all(&b"hello sealpost"[..], 3).unwrap();
        let mut stream = data.clone();
        let pad = write_skippable_padding(&mut stream, data.len() as u64).unwrap();
        assert!(pad >= 8);
        assert_eq!(stream.len() as u64, padme(data.len() as u64 + 8));
        assert_eq!(zstd::decode_all(&stream[..]).unwrap(), b"hello sealpost");
    }

    #[test]
    fn zero_padding_pads_to_the_bucket() {
        let mut out = Vec::new();
        let pad = write_zero_padding(&mut out, 1025).unwrap();
        assert_eq!(pad, 63);
        assert_eq!(out, vec![0; 63]);
    }
}
