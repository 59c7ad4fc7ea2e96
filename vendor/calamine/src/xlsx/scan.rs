// SPDX-License-Identifier: MIT
//
// ivvy-import patch: the shared-string table and a sheet's cells read by scanning bytes.
//
// Spreadsheet writers lay these parts out the same way: `<si><t>text</t></si>` and
// `<row r="2"><c r="A2" s="1" t="s"><v>7</v></c>...</row>`. The scanner reads that layout
// directly from the inflated bytes, without an XML event per tag. Anything it does not know
// exactly (a formula, rich text, an entity, a comment, a namespace prefix, an unusual
// attribute, a document not in UTF-8) is handed back, with the bytes not yet read, to the
// XML reader, which reads the rest of the part as before: the result is the same either way.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use memchr::{memchr, memchr3, memmem};

use super::SheetXml;
use crate::utils::unescape_xml;

/// Whether parts are scanned as bytes (on unless turned off, to compare with the XML reader).
static BYTE_SCAN: AtomicBool = AtomicBool::new(true);

/// Turns the byte scanning of XLSX shared strings and cells on or off, for the workbooks
/// and cell readers opened afterwards (to compare the two readers; on by default).
#[doc(hidden)]
pub fn set_xlsx_byte_scan(on: bool) {
    BYTE_SCAN.store(on, Ordering::Relaxed);
}

pub(crate) fn byte_scan() -> bool {
    BYTE_SCAN.load(Ordering::Relaxed)
}

/// A window over a part's bytes, refilled from the source as it is read.
pub(crate) struct Window<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Window<R> {
    pub(crate) fn new(src: R) -> Self {
        Window {
            src,
            buf: vec![0; 1 << 16],
            pos: 0,
            end: 0,
            eof: false,
        }
    }

    /// The bytes read and not yet consumed.
    pub(crate) fn rest(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// Reads more of the source into the window; false at its end.
    pub(crate) fn more(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<'a, RS: Read> Window<SheetXml<'a, RS>> {
    /// The part from the first byte not consumed on, for the XML reader, after `open`: the
    /// elements open there (the XML reader refuses a closing tag it did not see open).
    pub(crate) fn into_source(self, open: &[u8]) -> SheetXml<'a, RS> {
        let mut rest = Vec::with_capacity(open.len() + self.end - self.pos);
        rest.extend_from_slice(open);
        rest.extend_from_slice(&self.buf[self.pos..self.end]);
        SheetXml::Resumed(Box::new(Cursor::new(rest).chain(self.src)))
    }
}

/// What the scanner found at the start of the bytes it was given.
pub(crate) enum Step<'s> {
    /// The bytes end before the item does.
    More,
    /// Something for the XML reader.
    Unsupported,
    /// `<row ...>` (its `r`, and whether it closes itself), the bytes it takes.
    Row(Option<&'s str>, bool, usize),
    /// `</row>`.
    RowEnd(usize),
    /// `</sheetData>` (or `</sst>`).
    End(usize),
    /// A whole `<c>` element: its `r`, `s` and `t`, its value, the bytes it takes.
    Cell(CellAttrs<'s>, Body<'s>, usize),
    /// A whole `<si>` element: its inner bytes, the bytes it takes.
    String(&'s [u8], usize),
}

#[derive(Default)]
pub(crate) struct CellAttrs<'s> {
    pub(crate) r: Option<&'s str>,
    pub(crate) s: Option<&'s str>,
    pub(crate) t: Option<&'s str>,
}

/// A cell's content the scanner reads.
pub(crate) enum Body<'s> {
    /// No value (`<c/>`, `<c></c>`, `<v/>`).
    None,
    /// `<v>text</v>`, the text holding no `<` or `&`.
    V(&'s str),
    /// `<is><t>text</t></is>`: an inline string, read as `<si>` is.
    Is(&'s [u8]),
}

#[inline]
fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// The index of the `>` that ends the tag opening at `s[0]`, skipping quoted values (a tag
/// is short: a byte loop, not a search).
#[inline]
fn tag_end(s: &[u8]) -> Option<usize> {
    let mut quote = 0u8;
    for (i, &b) in s.iter().enumerate().skip(1) {
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'>' {
            return Some(i);
        } else if b == b'"' || b == b'\'' {
            quote = b;
        }
    }
    None
}

/// Whether `s[i]` ends an element's name.
#[inline]
fn name_ends(s: &[u8], i: usize) -> Option<bool> {
    s.get(i)
        .map(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
}

/// A tag's attributes `r`, `s` and `t` (keys are matched whole, as calamine's attribute
/// reader does); None when one is malformed or given twice, or the tag is not UTF-8.
fn attrs(raw: &[u8]) -> Option<CellAttrs<'_>> {
    if !raw.is_ascii() {
        std::str::from_utf8(raw).ok()?;
    }
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let n = raw.len();
    let mut out = CellAttrs::default();
    let mut i = 0;
    loop {
        while i < n && ws(raw[i]) {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let key_start = i;
        while i < n && raw[i] != b'=' {
            i += 1;
        }
        if i >= n {
            return None;
        }
        let mut key_end = i;
        while key_end > key_start && ws(raw[key_end - 1]) {
            key_end -= 1;
        }
        i += 1;
        while i < n && ws(raw[i]) {
            i += 1;
        }
        let quote = *raw.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        i += 1;
        let val_start = i;
        while i < n && raw[i] != quote {
            i += 1;
        }
        if i >= n {
            return None;
        }
        let val = &raw[val_start..i];
        i += 1;
        let slot = match &raw[key_start..key_end] {
            b"r" => &mut out.r,
            b"s" => &mut out.s,
            b"t" => &mut out.t,
            _ => continue,
        };
        if slot.replace(std::str::from_utf8(val).ok()?).is_some() {
            return None;
        }
    }
}

/// Reads a cell's content after its opening tag: `<v>`, `<is>` or nothing, then `</c>`.
fn body(s: &[u8]) -> Step<'_> {
    const V: &[u8] = b"<v>";
    const V_EMPTY: &[u8] = b"<v/>";
    const IS: &[u8] = b"<is>";
    const IS_END: &[u8] = b"</is>";
    const C_END: &[u8] = b"</c>";
    let mut i = skip_ws(s, 0);
    let rest = &s[i..];
    if rest.len() < 5 {
        return Step::More;
    }
    let value = if rest.starts_with(V) {
        let text_start = i + V.len();
        let Some(n) = memchr(b'<', &s[text_start..]) else {
            return Step::More;
        };
        let text = &s[text_start..text_start + n];
        i = text_start + n;
        if s.len() < i + 4 {
            return Step::More;
        }
        if &s[i..i + 4] != b"</v>" || memchr(b'&', text).is_some() {
            return Step::Unsupported;
        }
        i += 4;
        match std::str::from_utf8(text) {
            Ok(t) => Body::V(t),
            Err(_) => return Step::Unsupported,
        }
    } else if rest.starts_with(V_EMPTY) {
        i += V_EMPTY.len();
        Body::None
    } else if rest.starts_with(IS) {
        let inner_start = i + IS.len();
        let Some(n) = memmem::find(&s[inner_start..], IS_END) else {
            return Step::More;
        };
        i = inner_start + n + IS_END.len();
        Body::Is(&s[inner_start..inner_start + n])
    } else if rest.starts_with(C_END) {
        return Step::Cell(CellAttrs::default(), Body::None, i + C_END.len());
    } else {
        return Step::Unsupported;
    };
    i = skip_ws(s, i);
    if s.len() < i + C_END.len() {
        return Step::More;
    }
    if &s[i..i + C_END.len()] != C_END {
        return Step::Unsupported;
    }
    Step::Cell(CellAttrs::default(), value, i + C_END.len())
}

/// The next item of `<sheetData>`, from the start of `s`.
pub(crate) fn sheet_step(s: &[u8]) -> Step<'_> {
    let i = skip_ws(s, 0);
    let s = &s[i..];
    if s.len() < 12 {
        // Shorter than `</sheetData>`: the caller reads more, or hands over at the end.
        return Step::More;
    }
    if s[0] != b'<' {
        return Step::Unsupported;
    }
    let step = if s[1] == b'c' && name_ends(s, 2) == Some(true) {
        let Some(end) = tag_end(s) else {
            return Step::More;
        };
        let closed = s[end - 1] == b'/';
        let Some(found) = attrs(&s[2..if closed { end - 1 } else { end }]) else {
            return Step::Unsupported;
        };
        if closed {
            Step::Cell(found, Body::None, end + 1)
        } else {
            match body(&s[end + 1..]) {
                Step::Cell(_, value, n) => Step::Cell(found, value, end + 1 + n),
                other => other,
            }
        }
    } else if s.starts_with(b"</row>") {
        Step::RowEnd(6)
    } else if s.starts_with(b"<row") && name_ends(s, 4) == Some(true) {
        let Some(end) = tag_end(s) else {
            return Step::More;
        };
        let closed = s[end - 1] == b'/';
        match attrs(&s[4..if closed { end - 1 } else { end }]) {
            Some(found) => Step::Row(found.r, closed, end + 1),
            None => Step::Unsupported,
        }
    } else if s.starts_with(b"</sheetData>") {
        Step::End(12)
    } else {
        Step::Unsupported
    };
    match step {
        Step::Row(r, c, n) => Step::Row(r, c, i + n),
        Step::RowEnd(n) => Step::RowEnd(i + n),
        Step::End(n) => Step::End(i + n),
        Step::Cell(a, b, n) => Step::Cell(a, b, i + n),
        other => other,
    }
}

/// The next item of `<sst>`, from the start of `s`: a whole `<si>` or the end.
pub(crate) fn sst_step<'s>(s: &'s [u8], si_end: &memmem::Finder<'_>) -> Step<'s> {
    let i = skip_ws(s, 0);
    let s = &s[i..];
    if s.len() < 6 {
        return Step::More;
    }
    if s.starts_with(b"<si>") {
        match si_end.find(&s[4..]) {
            Some(n) => Step::String(&s[4..4 + n], i + 4 + n + 5),
            None => Step::More,
        }
    } else if s.starts_with(b"</sst>") {
        Step::End(i + 6)
    } else {
        Step::Unsupported
    }
}

/// The text of a `<si>` or `<is>` whose content is one plain `<t>` (no markup, entity or
/// carriage return in it), as calamine's XML reading of it gives it: trimmed of ASCII
/// whitespace unless `xml:space="preserve"`, Excel's `_xHHHH_` escapes decoded.
pub(crate) fn plain_text(inner: &[u8]) -> Option<String> {
    const T: &[u8] = b"<t>";
    const T_PRESERVE: &[u8] = b"<t xml:space=\"preserve\">";
    let (preserve, rest) = if let Some(rest) = inner.strip_prefix(T) {
        (false, rest)
    } else {
        (true, inner.strip_prefix(T_PRESERVE)?)
    };
    let text = rest.strip_suffix(b"</t>")?;
    if memchr3(b'<', b'&', b'\r', text).is_some() {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    let text = if preserve {
        text
    } else {
        text.trim_matches([' ', '\t', '\r', '\n'])
    };
    Some(unescape_xml(text).into_owned())
}

/// Whether a `<si>`'s inner bytes can be read alone by the XML reader: no comment, CDATA or
/// processing instruction that could hide the `</si>` the scanner stopped at.
pub(crate) fn readable_alone(inner: &[u8]) -> bool {
    memmem::find(inner, b"<!").is_none() && memmem::find(inner, b"<?").is_none()
}
