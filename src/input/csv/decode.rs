//! How a CSV file's bytes become text: the decoding chosen for the file, and a record's
//! fields as text, decoded when they are not UTF-8.

use encoding_rs::Encoding;

use crate::excel_safe::{is_stripped, strip};

/// How a file's bytes become text.
#[derive(Debug, Clone, Copy)]
pub(super) enum Decoding {
    /// UTF-8; a record that is not valid UTF-8 is read in `fallback` (a mixed file).
    Utf8Or(&'static Encoding),
    /// UTF-8 as the user said; bytes that are not are replaced (U+FFFD), the row kept.
    Utf8Lossy,
    /// A single-byte encoding whose ASCII is ASCII (Windows-1252, Mac Roman).
    SingleByte(&'static Encoding),
    /// UTF-16 (by its byte-order mark): transcoded to UTF-8 before parsing.
    Utf16(&'static Encoding),
}

/// Text of a record in another encoding, decoded into reused buffers.
#[derive(Default)]
pub(super) struct Decoded {
    pub(super) text: String,
    pub(super) ends: Vec<usize>,
}

impl Decoded {
    pub(super) fn decode(
        &mut self,
        bytes: &[u8],
        ends: &[usize],
        encoding: Option<&'static Encoding>,
    ) {
        self.text.clear();
        self.ends.clear();
        let mut start = 0;
        for &end in ends {
            let field = &bytes[start..end];
            match encoding {
                Some(e) => self.text.push_str(&e.decode_without_bom_handling(field).0),
                None => self.text.push_str(&String::from_utf8_lossy(field)),
            }
            self.ends.push(self.text.len());
            start = end;
        }
    }
}

/// A record's text without the `'` written before a formula-like cell (`--excel-safe-csv`,
/// see [`crate::excel_safe`]), in reused buffers.
#[derive(Default)]
pub(super) struct Unmarked {
    pub(super) text: String,
    pub(super) ends: Vec<usize>,
}

impl Unmarked {
    /// Copies the record of `text` (its fields ending at `ends`) with each marked field's `'`
    /// removed; false, and nothing copied, when no field has one.
    pub(super) fn unmark(&mut self, text: &str, ends: &[usize]) -> bool {
        let fields = || {
            ends.iter().scan(0, |start, &end| {
                let field = text.get(*start..end).unwrap_or("");
                *start = end;
                Some(field)
            })
        };
        if !fields().any(|f| is_stripped(f.as_bytes())) {
            return false;
        }
        self.text.clear();
        self.ends.clear();
        for f in fields() {
            self.text.push_str(strip(f));
            self.ends.push(self.text.len());
        }
        true
    }
}

/// A record's bytes as UTF-8 text, when they are and every field is whole.
pub(super) fn as_utf8<'a>(bytes: &'a [u8], ends: &[usize]) -> Option<&'a str> {
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    ends.iter()
        .all(|&e| text.is_char_boundary(e))
        .then_some(text)
}
