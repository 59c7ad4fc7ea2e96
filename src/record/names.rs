//! Names as they are compared: trimmed, Unicode case folded and in canonical form (NFC), so a
//! name typed (`é`) and the same name pasted from a macOS file name (`e` + U+0301) are one;
//! 64-bit keys of them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::PathBuf;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use super::{Problem, ProblemKind, Record};
use crate::bytes::splat;
use crate::kind::Kind;

/// The form names are compared in: trimmed, Unicode case folded, NFC.
pub(crate) fn fold_name(name: &str) -> String {
    let t = name.trim();
    if t.is_ascii() {
        t.to_ascii_lowercase()
    } else {
        fold_unicode(t)
    }
}

/// A character that neither decomposes nor combines with the one before it (`–`, `ß`, `€`):
/// a name of only such characters folds to its canonical form character by character.
fn already_composed(c: char) -> bool {
    use unicode_normalization::char::canonical_combining_class;
    use unicode_normalization::{IsNormalized, is_nfd_quick};
    c.is_ascii()
        || (canonical_combining_class(c) == 0
            && is_nfd_quick(std::iter::once(c)) == IsNormalized::Yes)
}

/// Canonical caseless form of a name with non-ASCII characters: decomposed (so a precomposed
/// capital and its decomposed form fold alike), case folded, then composed again (NFC).
fn fold_unicode(t: &str) -> String {
    let folded: String = caseless::Caseless::default_case_fold(t.nfd()).collect();
    folded.nfc().collect()
}

/// A 64-bit key for a kind and a folded name, computed without allocating ([`KeyHasher`]:
/// the same in every run). Two different names share a key with odds of about n²/2⁶⁵ for n
/// names.
pub(crate) fn name_key(kind: Kind, name: &str) -> u64 {
    let t = crate::input::trim(name);
    if t.is_ascii() {
        return KeyHasher::of_ascii_lowercase(kind, t.as_bytes()).finish();
    }
    let mut h = KeyHasher::new(kind);
    if t.chars().all(already_composed) {
        // Folding each character on its own gives the canonical form: ASCII ones need no
        // table, and nothing is allocated.
        let mut buf = [0u8; 4];
        for c in t.chars() {
            if c.is_ascii() {
                h.write_u8((c as u8).to_ascii_lowercase());
            } else {
                for f in caseless::Caseless::default_case_fold(std::iter::once(c)) {
                    h.write(f.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    } else {
        h.write(fold_unicode(t).as_bytes());
    }
    h.finish()
}

/// A 64-bit hash of a kind and a stream of bytes, taken eight bytes at a time (each word
/// mixed by a folded 128-bit multiply, then the whole finalised as MurmurHash3's `fmix64`):
/// the same in every run and build, and a name of ASCII letters is lowercased and hashed a
/// word at a time.
struct KeyHasher {
    h: u64,
    /// Bytes not yet mixed, little-endian, and how many.
    tail: u64,
    n: u32,
    len: u64,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl KeyHasher {
    fn new(kind: Kind) -> KeyHasher {
        KeyHasher {
            h: (kind as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93),
            tail: 0,
            n: 0,
            len: 0,
        }
    }

    #[inline]
    fn mix(&mut self, w: u64) {
        let m = u128::from(self.h ^ w) * u128::from(K);
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the low half of the product"
        )]
        let (lo, hi) = (m as u64, (m >> 64) as u64);
        self.h = lo ^ hi;
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.tail |= u64::from(b) << (8 * self.n);
        self.n += 1;
        self.len += 1;
        if self.n == 8 {
            let w = std::mem::take(&mut self.tail);
            self.n = 0;
            self.mix(w);
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u8(b));
    }

    /// A kind's hasher after ASCII text, lowercased: whole words at once.
    #[inline]
    fn of_ascii_lowercase(kind: Kind, bytes: &[u8]) -> KeyHasher {
        debug_assert!(bytes.is_ascii());
        let mut h = KeyHasher::new(kind);
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
            h.len += 8;
            h.mix(ascii_lowercase_word(w));
        }
        for &b in words.remainder() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h
    }

    fn finish(mut self) -> u64 {
        let (tail, len) = (self.tail, self.len);
        self.mix(tail ^ len.rotate_right(8));
        let mut h = self.h;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Eight ASCII bytes with `A`–`Z` made `a`–`z`: a byte's top bit marks whether it is at least
/// `A` and whether it is past `Z`, no byte carrying into the next.
#[inline]
fn ascii_lowercase_word(w: u64) -> u64 {
    let from_a = w + splat(0x80 - b'A');
    let past_z = w + splat(0x80 - b'Z' - 1);
    w | (((from_a ^ past_z) & splat(0x80)) >> 2)
}

/// Names claimed by valid create rows, per kind, across the whole run. Keys are 64-bit keys
/// of the folded name ([`name_key`]), so memory stays at about 17 bytes a name.
pub(crate) struct Names {
    /// The run's input files, to name the first one a duplicate was seen in.
    files: Vec<PathBuf>,
    seen: HashMap<u64, Origin, std::hash::BuildHasherDefault<PreHashed>>,
    /// Sheet names by index, so an origin stays eight bytes.
    sheets: Vec<Arc<str>>,
}

const INVALID: u32 = 1 << 31;

/// Where a name was first seen.
#[derive(Clone, Copy)]
struct Origin {
    /// The row number; its top bit marks a row that was itself invalid.
    row: u32,
    sheet: u16,
    file: u16,
}

/// The keys are hashes already: pass them through.
#[derive(Default)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Names {
    /// An empty index for a run over these input files.
    pub(crate) fn new(files: Vec<PathBuf>) -> Names {
        Names {
            files,
            seen: HashMap::default(),
            sheets: Vec::new(),
        }
    }

    /// Makes room for `rows` more names at once: growing a large table step by step would
    /// briefly hold the old and the new table together.
    pub(crate) fn reserve(&mut self, rows: u64) {
        self.seen
            .reserve(usize::try_from(rows.min(50_000_000)).unwrap_or(0));
    }

    fn sheet_index(&mut self, sheet: &Arc<str>) -> u16 {
        if let Some(i) = self
            .sheets
            .iter()
            .position(|s| Arc::ptr_eq(s, sheet) || s == sheet)
        {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        self.sheets.push(sheet.clone());
        u16::try_from(self.sheets.len() - 1).unwrap_or(u16::MAX)
    }

    /// Claims a create row's name (by its [`name_key`]); a later row with the same name gets
    /// a duplicate problem (also when the row is already invalid, so one pass reports every
    /// problem). `name` gives the name as written, for the message; `checked` is the row's
    /// record or problems so far.
    pub(crate) fn admit<'a>(
        &mut self,
        key: u64,
        name: impl FnOnce() -> &'a str,
        at: (u32, &Arc<str>, usize),
        checked: &mut Result<Record, Vec<Problem>>,
    ) {
        let (row, sheet, file) = at;
        let valid = checked.is_ok();
        let sheet_index = self.sheet_index(sheet);
        let first = match self.seen.entry(key) {
            Entry::Vacant(v) => {
                v.insert(Origin {
                    row: row | if valid { 0 } else { INVALID },
                    sheet: sheet_index,
                    file: u16::try_from(file).unwrap_or(u16::MAX),
                });
                return;
            }
            Entry::Occupied(o) => *o.get(),
        };
        let mut of = format!("row {}", first.row & !INVALID);
        let first_sheet = &self.sheets[usize::from(first.sheet)];
        if !first_sheet.is_empty() && first_sheet != sheet {
            of.push_str(&format!(" of sheet {first_sheet:?}"));
        }
        if usize::from(first.file) != file {
            of.push_str(&format!(
                " of {}",
                self.files[usize::from(first.file)].display()
            ));
        }
        if first.row & INVALID != 0 {
            of.push_str(", which is itself invalid");
        }
        let problem = Problem {
            column: "name".into(),
            kind: ProblemKind::Duplicate {
                name: name().trim().to_string(),
                of,
            },
        };
        match checked {
            Ok(_) => *checked = Err(vec![problem]),
            Err(problems) => problems.push(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of a name is the FNV-1a hash of its kind and its folded form, whatever mix of
    /// ASCII and other characters it has.
    #[test]
    fn keys_hash_the_folded_name() {
        for name in [
            "Expo",
            " Straße – ÉTÉ ",
            "ǅemal",
            "İstanbul Fair",
            "ΣΑΣ",
            "a\u{0085}b",
            "Referral – Past Client",
            "Cafe\u{301} \u{c9}T\u{c9}",
            "\u{130}stanbul",
        ] {
            let mut h = KeyHasher::new(Kind::Stage);
            h.write(fold_name(name).as_bytes());
            assert_eq!(name_key(Kind::Stage, name), h.finish(), "{name:?}");
        }
        assert_eq!(
            name_key(Kind::Source, "STRASSE Expo"),
            name_key(Kind::Source, "straße expo")
        );
    }

    proptest::proptest! {
        /// The quick key (character by character) is the key of the canonical folded form,
        /// whatever the name mixes: ASCII, precomposed and decomposed letters, combining marks.
        #[test]
        fn the_key_is_the_hash_of_the_folded_name(
            name in "[ a-zA-Z\u{e9}\u{c9}\u{301}\u{308}\u{130}\u{df}\u{1e9e}\u{212b}\u{2013}\u{3a3}]{0,8}"
        ) {
            let mut h = KeyHasher::new(Kind::Source);
            h.write(fold_name(&name).as_bytes());
            proptest::prop_assert_eq!(name_key(Kind::Source, &name), h.finish());
        }
    }

    /// A name typed (NFC) and pasted from a macOS file name (NFD) are one name, in any case.
    #[test]
    fn composed_and_decomposed_names_are_one() {
        let typed = "Caf\u{e9} Ol\u{e9}";
        let pasted = "Cafe\u{301} Ole\u{301}";
        assert_ne!(typed, pasted);
        assert_eq!(fold_name(typed), fold_name(pasted));
        assert_eq!(fold_name(pasted), "caf\u{e9} ol\u{e9}");
        assert_eq!(
            name_key(Kind::Source, typed),
            name_key(Kind::Source, pasted)
        );
        assert_eq!(
            name_key(Kind::Source, "CAF\u{c9} OL\u{c9}"),
            name_key(Kind::Source, pasted)
        );
        // Å as one character, as A + ring, and as the Ångström sign all fold alike.
        let a = name_key(Kind::Stage, "\u{c5}land");
        assert_eq!(a, name_key(Kind::Stage, "A\u{30a}LAND"));
        assert_eq!(a, name_key(Kind::Stage, "\u{212b}land"));
        assert_ne!(a, name_key(Kind::Stage, "Aland"));
    }
}
