//! Where the bytes that shape a CSV row are (the delimiter, line breaks, the quote), found 64
//! bytes at a time: one mask per block, whose set bits are then taken in order. Cells are short
//! (ten bytes is typical), so starting a search per cell or per row costs more than the search;
//! a block's mask costs a few instructions whatever it holds.

/// Bytes per block: one bit each in a `u64`.
const BLOCK: usize = 64;

/// The marks of a text, taken in order from a position on (see [`Marks::seek`]).
#[derive(Debug)]
pub(crate) struct Marks<'t> {
    bytes: &'t [u8],
    delimiter: u8,
    /// Where the block `mask` covers starts.
    block: usize,
    /// The block's marks not taken yet, one bit per byte.
    mask: u64,
    /// Just past the last mark taken: marks before it are not found again unless asked for.
    taken: usize,
}

impl<'t> Marks<'t> {
    /// The delimiter, `\n`, `\r` and `"` in `bytes`.
    pub(crate) fn new(bytes: &'t [u8], delimiter: u8) -> Marks<'t> {
        Marks {
            bytes,
            delimiter,
            block: 0,
            mask: block_mask(bytes, 0, delimiter),
            taken: 0,
        }
    }

    /// Makes [`Marks::next`] give the marks at or after `from`.
    pub(crate) fn seek(&mut self, from: usize) {
        if from < self.taken || from < self.block || from >= self.block + BLOCK {
            self.block = from - from % BLOCK;
            self.mask = block_mask(self.bytes, self.block, self.delimiter);
        }
        // `from` lies in the block now: drop the bits before it.
        self.mask &= u64::MAX << (from - self.block);
        self.taken = from;
    }

    /// The next mark: where it is and its byte.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<(usize, u8)> {
        while self.mask == 0 {
            self.block += BLOCK;
            if self.block >= self.bytes.len() {
                // Stay on the last block: a later `seek` inside it must find nothing more.
                self.block -= BLOCK;
                return None;
            }
            self.mask = block_mask(self.bytes, self.block, self.delimiter);
        }
        let at = self.block + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        self.taken = at + 1;
        Some((at, self.bytes[at]))
    }
}

/// The marks of the block of `bytes` starting at `start`, bit `i` for byte `start + i`; bytes
/// past the end have none.
fn block_mask(bytes: &[u8], start: usize, delimiter: u8) -> u64 {
    if let Some(block) = bytes.get(start..start + BLOCK) {
        return marks_in(block.try_into().expect("a block's bytes"), delimiter);
    }
    let mut block = [0u8; BLOCK];
    let end = bytes.len().min(start + BLOCK);
    let len = end.saturating_sub(start);
    block[..len].copy_from_slice(&bytes[start.min(end)..end]);
    let mask = marks_in(&block, delimiter);
    if len == BLOCK {
        mask
    } else {
        // The zero bytes added at the end are not text (and a delimiter of 0 would match them).
        mask & ((1u64 << len) - 1)
    }
}

/// Bit `i` set where `block[i]` is the delimiter, `\n`, `\r` or `"`: sixteen bytes compared at
/// once (SSE2, which every x86-64 processor has).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn marks_in(block: &[u8; BLOCK], delimiter: u8) -> u64 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let [delimiter, newline, cr, quote] =
        [delimiter, b'\n', b'\r', b'"'].map(|b| set_splat_i8_m128i(b as i8));
    let mut mask = 0u64;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        let lane: &[u8; 16] = lane.try_into().expect("16-byte lanes");
        let v = load_unaligned_m128i(lane);
        let hits = bitor_m128i(
            bitor_m128i(
                cmp_eq_mask_i8_m128i(v, delimiter),
                cmp_eq_mask_i8_m128i(v, newline),
            ),
            bitor_m128i(cmp_eq_mask_i8_m128i(v, cr), cmp_eq_mask_i8_m128i(v, quote)),
        );
        // The mask's 16 low bits, one per byte.
        mask |= u64::from(move_mask_i8_m128i(hits) as u16) << (16 * k);
    }
    mask
}

/// The same, a byte at a time, on other processors.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn marks_in(block: &[u8; BLOCK], delimiter: u8) -> u64 {
    block.iter().enumerate().fold(0, |mask, (i, &b)| {
        mask | (u64::from(b == delimiter || b == b'\n' || b == b'\r' || b == b'"') << i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mark from `from` on, as the plain definition finds them.
    fn expected(bytes: &[u8], delimiter: u8, from: usize) -> Vec<(usize, u8)> {
        bytes
            .iter()
            .enumerate()
            .skip(from)
            .filter(|&(_, &b)| b == delimiter || b"\n\r\"".contains(&b))
            .map(|(i, &b)| (i, b))
            .collect()
    }

    fn all(marks: &mut Marks<'_>) -> Vec<(usize, u8)> {
        std::iter::from_fn(|| marks.next()).collect()
    }

    #[test]
    fn marks_are_every_delimiter_line_break_and_quote_in_order() {
        // Lengths around the block size, marks at block edges, multibyte text, a 0 delimiter.
        let mut texts: Vec<Vec<u8>> = vec![Vec::new(), b",".to_vec(), b"\"".to_vec()];
        for len in [1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000] {
            texts.push((0..len).map(|i| b"a,b\"c\r\nd"[i % 8]).collect());
            texts.push("ကျော်,09-123\n".bytes().cycle().take(len).collect());
            let mut edges = vec![b'x'; len];
            for i in (0..len).filter(|i| i % 64 == 0 || i % 64 == 63) {
                edges[i] = b',';
            }
            texts.push(edges);
        }
        for text in &texts {
            for delimiter in [b',', b';', b'\t', 0, 0xFF] {
                assert_eq!(
                    all(&mut Marks::new(text, delimiter)),
                    expected(text, delimiter, 0),
                    "{text:?} with {delimiter}"
                );
            }
        }
    }

    #[test]
    fn seeking_forwards_and_back_gives_the_marks_from_there() {
        let text: Vec<u8> = (0..300).map(|i| b"ab,c\nd\"e;,"[i % 10]).collect();
        let mut marks = Marks::new(&text, b',');
        // Forward within a block, across blocks, to the end, past it, then back.
        for from in [0, 3, 5, 64, 65, 130, 299, 300, 301, 2, 0, 200, 100] {
            marks.seek(from);
            let first = marks.next();
            assert_eq!(
                first,
                expected(&text, b',', from).first().copied(),
                "from {from}"
            );
            if first.is_some() {
                marks.seek(from);
                assert_eq!(all(&mut marks), expected(&text, b',', from), "from {from}");
            }
        }
    }
}
