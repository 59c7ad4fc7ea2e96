//! Byte scans over cell text, on the path of every row.

/// Whether any byte of `bytes` is one `is` picks. Looked at 16 bytes at a time without a
/// branch per byte (which the compiler turns into vector instructions), so a cell without
/// one costs a few instructions where a byte-by-byte search costs a branch each.
#[inline(always)]
pub(crate) fn any_byte(bytes: &[u8], is: impl Fn(u8) -> bool) -> bool {
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | is(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| is(b))
}

/// A byte in each of the eight lanes of a word.
pub(crate) const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The lanes of `v` that are zero: their top bit set. The lowest lane set is always a true
/// zero (a borrow only marks lanes above one), so the lowest set lane is the first zero
/// byte, and the word has a zero byte exactly when any lane is set.
#[inline(always)]
pub(crate) fn zero_lanes(v: u64) -> u64 {
    v.wrapping_sub(splat(1)) & !v & splat(0x80)
}

/// The eight bytes at `at` as a little-endian word, if there are eight.
#[inline(always)]
pub(crate) fn word(bytes: &[u8], at: usize) -> Option<u64> {
    let w: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(w))
}

/// The lanes of `w` that hold one of the bytes of `set` (see [`zero_lanes`]). Inlined where
/// `set` is known, so each byte's word is a constant.
#[inline(always)]
pub(crate) fn lanes_of<const N: usize>(w: u64, set: [u8; N]) -> u64 {
    let mut m = 0;
    for b in set {
        m |= zero_lanes(w ^ splat(b));
    }
    m
}

/// The first index at or after `from` whose byte `lanes` marks in a word, or `is` says of a
/// byte past the last whole word: eight bytes at a time.
#[inline(always)]
pub(crate) fn find_by(
    bytes: &[u8],
    from: usize,
    lanes: impl Fn(u64) -> u64,
    is: impl Fn(&u8) -> bool,
) -> Option<usize> {
    let mut i = from;
    while let Some(w) = word(bytes, i) {
        let m = lanes(w);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes.get(i..)?.iter().position(is).map(|p| i + p)
}

/// Whether any byte of `bytes` is one of `set`, looked at eight bytes at a time (the last
/// word overlapping the one before); a field shorter than a word byte by byte.
#[inline(always)]
pub(crate) fn any_of<const N: usize>(bytes: &[u8], set: [u8; N]) -> bool {
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().any(|b| set.contains(b));
    }
    let mut i = 0;
    while i + 8 < n {
        if word(bytes, i).is_some_and(|w| lanes_of(w, set) != 0) {
            return true;
        }
        i += 8;
    }
    word(bytes, n - 8).is_some_and(|w| lanes_of(w, set) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same answer as a byte-by-byte search, wherever the byte sits.
        #[test]
        fn finds_what_a_plain_search_finds(bytes in proptest::collection::vec(0u8..=255, 0..70)) {
            let is = |b: u8| b < 0x20 || b == b'"';
            proptest::prop_assert_eq!(any_byte(&bytes, is), bytes.iter().any(|&b| is(b)));
        }

        /// The same answer as a byte-by-byte search, whatever the length and wherever the
        /// byte sits (in the overlapping last word too).
        #[test]
        fn any_of_finds_what_a_plain_search_finds(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab,\"\n\r\x00\x80\xff\x01".to_vec()),
                0..40,
            ),
        ) {
            let four = [b',', b'"', b'\n', b'\r'];
            proptest::prop_assert_eq!(
                any_of(&bytes, four),
                bytes.iter().any(|b| four.contains(b))
            );
            for from in 0..=bytes.len() {
                proptest::prop_assert_eq!(
                    find_by(&bytes, from, |w| lanes_of(w, four), |b| four.contains(b)),
                    bytes[from..].iter().position(|b| four.contains(b)).map(|p| from + p)
                );
            }
        }
    }
}
