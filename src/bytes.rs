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
    }
}
