//! The whole-file survey of a CSV file before its rows are read: its encoding, its line ends,
//! and its delimiter (an Excel `sep=` line, or sniffed from its first line).

use std::fs::File;
use std::io::{self, Read};

use encoding_rs::{Encoding, MACINTOSH, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::BLOCK;
use super::decode::Decoding;
use crate::input::EncodingChoice;

/// Excel's first line `sep=;` (any delimiter byte): the delimiter, the line's length with its
/// line end, and whether that ends with a CR.
pub(super) fn sep_line(head: &[u8]) -> Option<(u8, usize, bool)> {
    if head.len() < 5 || !head[..4].eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let d = head[4];
    if d == b'\r' || d == b'\n' || !d.is_ascii() {
        return None;
    }
    match &head[5..] {
        [] => Some((d, 5, false)),
        [b'\r', b'\n', ..] => Some((d, 7, false)),
        [b'\r', ..] => Some((d, 6, true)),
        [b'\n', ..] => Some((d, 6, false)),
        _ => None,
    }
}

/// What one pass over the file tells before its rows are read.
pub(super) struct Survey {
    /// The first bytes, for byte-order marks.
    pub(super) head: Vec<u8>,
    /// Every byte is valid UTF-8.
    pub(super) valid_utf8: bool,
    /// Some non-ASCII character is valid UTF-8 (with `!valid_utf8`: a mixed file).
    pub(super) multibyte_utf8: bool,
    /// Line ends (CR, LF or CRLF), an estimate of its rows for sizing and progress.
    pub(super) lines: u64,
}

impl Survey {
    /// How to read the file: as the user said, else by its byte-order mark, else UTF-8 (with
    /// Windows-1252 for records that are not, in a mixed file), else Windows-1252. Also the
    /// encoding to report, and the fallback's name for a mixed file.
    pub(super) fn decoding(
        &self,
        choice: EncodingChoice,
    ) -> (Decoding, &'static Encoding, Option<&'static str>) {
        let bom16 = match self.head.get(..2) {
            Some([0xFF, 0xFE]) => Some(UTF_16LE),
            Some([0xFE, 0xFF]) => Some(UTF_16BE),
            _ => None,
        };
        match (choice, bom16) {
            (EncodingChoice::Auto, Some(e)) => (Decoding::Utf16(e), e, None),
            (EncodingChoice::Auto, None) if self.valid_utf8 => {
                (Decoding::Utf8Or(WINDOWS_1252), UTF_8, None)
            }
            (EncodingChoice::Auto, None) if self.multibyte_utf8 => (
                Decoding::Utf8Or(WINDOWS_1252),
                UTF_8,
                Some(WINDOWS_1252.name()),
            ),
            (EncodingChoice::Auto, None) | (EncodingChoice::Windows1252, _) => {
                (Decoding::SingleByte(WINDOWS_1252), WINDOWS_1252, None)
            }
            (EncodingChoice::MacRoman, _) => (Decoding::SingleByte(MACINTOSH), MACINTOSH, None),
            (EncodingChoice::Utf8, _) => (Decoding::Utf8Lossy, UTF_8, None),
        }
    }
}

/// Reads the whole file once, so a bad byte at row 900,000 is not missed.
pub(super) fn survey(file: &mut File) -> io::Result<Survey> {
    scan(file)
}

/// Surveys what `src` holds, to its end.
fn scan(src: &mut impl Read) -> io::Result<Survey> {
    let mut buf = vec![0u8; BLOCK];
    let mut carry = 0usize;
    let (mut valid, mut multibyte) = (true, false);
    let (mut lf, mut cr) = (0u64, 0u64);
    let mut head = Vec::new();
    loop {
        let n = src.read(&mut buf[carry..])?;
        if n == 0 {
            if carry > 0 {
                valid = false;
            }
            break;
        }
        let fresh = &buf[carry..carry + n];
        if head.len() < 4 {
            head.extend_from_slice(&fresh[..fresh.len().min(4 - head.len())]);
        }
        let (l, c) = count_line_ends(fresh);
        lf += l;
        cr += c;
        let end = carry + n;
        carry = 0;
        if !valid && multibyte {
            continue;
        }
        let mut rest = &buf[..end];
        if rest.is_ascii() {
            continue;
        }
        loop {
            match simdutf8::compat::from_utf8(rest) {
                Ok(s) => {
                    multibyte = multibyte || !s.is_ascii();
                    break;
                }
                Err(e) => {
                    let ok = e.valid_up_to();
                    multibyte = multibyte || !rest[..ok].is_ascii();
                    match e.error_len() {
                        Some(bad) => {
                            valid = false;
                            rest = &rest[ok + bad..];
                        }
                        None => {
                            // A character cut at the block's end: its bytes go round again.
                            carry = rest.len() - ok;
                            let from = end - carry;
                            buf.copy_within(from..end, 0);
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(Survey {
        head,
        valid_utf8: valid,
        multibyte_utf8: multibyte,
        // CRLF counts once; a file of CR or of LF line ends counts each.
        lines: lf.max(cr),
    })
}

/// The LF and CR bytes of a block, in one pass: a file of CR line ends has no LF. Counted in
/// 32 one-byte lanes, up to 255 steps of 32 bytes before the lanes are added up, so that it
/// vectorises without a byte left to a scalar loop.
fn count_line_ends(bytes: &[u8]) -> (u64, u64) {
    const LANES: usize = 32;
    let (mut lf, mut cr) = (0u64, 0u64);
    for block in bytes.chunks(LANES * 255) {
        let (mut l, mut c) = ([0u8; LANES], [0u8; LANES]);
        let mut steps = block.chunks_exact(LANES);
        for step in &mut steps {
            for i in 0..LANES {
                l[i] += u8::from(step[i] == b'\n');
                c[i] += u8::from(step[i] == b'\r');
            }
        }
        for b in steps.remainder() {
            lf += u64::from(*b == b'\n');
            cr += u64::from(*b == b'\r');
        }
        lf += l.iter().map(|&n| u64::from(n)).sum::<u64>();
        cr += c.iter().map(|&n| u64::from(n)).sum::<u64>();
    }
    (lf, cr)
}

/// The first non-blank line, for the delimiter (a quoted line break in the header is not
/// followed: the delimiter count up to it is still right).
pub(super) fn first_line(head: &[u8]) -> String {
    head.split(|b| *b == b'\n' || *b == b'\r')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default()
}

/// The most frequent of `,` `;` tab `|` outside quotes; `,` when none appears.
pub(crate) fn sniff_delimiter(line: &str) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for b in line.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = cands.iter().position(|c| *c == b) {
            counts[i] += 1;
        }
    }
    let (best, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (**c, usize::MAX - i))
        .map_or((0, 0), |(i, c)| (i, *c));
    if count == 0 { b',' } else { cands[best] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_sniffed_from_the_header_line() {
        assert_eq!(sniff_delimiter("id,name,cost"), b',');
        assert_eq!(sniff_delimiter("id;name;\"a,b\""), b';');
        assert_eq!(sniff_delimiter("id\tname\tcost"), b'\t');
        assert_eq!(sniff_delimiter("id|name|cost"), b'|');
        assert_eq!(sniff_delimiter("name"), b',');
    }

    #[test]
    fn excel_sep_line_is_recognised() {
        assert_eq!(sep_line(b"sep=;\r\nname"), Some((b';', 7, false)));
        assert_eq!(sep_line(b"SEP=|\nname"), Some((b'|', 6, false)));
        assert_eq!(sep_line(b"sep=\t\rname"), Some((b'\t', 6, true)));
        assert_eq!(sep_line(b"sep=;x\n"), None);
        assert_eq!(sep_line(b"separator,name\n"), None);
    }

    #[test]
    fn line_ends_are_counted_across_chunks() {
        let mut bytes = Vec::new();
        for i in 0..2000 {
            bytes.extend_from_slice(if i % 3 == 0 {
                b"a,b\r\n"
            } else {
                b"long row\n"
            });
        }
        bytes.extend(std::iter::repeat_n(b'\n', 600));
        let lf = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        let cr = bytes.iter().filter(|b| **b == b'\r').count() as u64;
        assert_eq!(count_line_ends(&bytes), (lf, cr));
        assert_eq!(count_line_ends(b""), (0, 0));
    }

    #[test]
    fn survey_tells_utf8_mixed_and_single_byte_files_apart() {
        let survey_of = |bytes: &[u8]| {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f.csv");
            std::fs::write(&p, bytes).unwrap();
            let s = survey(&mut File::open(&p).unwrap()).unwrap();
            (s.valid_utf8, s.multibyte_utf8, s.lines)
        };
        assert_eq!(survey_of("é\r\nb\r\n".as_bytes()), (true, true, 2));
        assert_eq!(survey_of(b"\xe9\rb\r"), (false, false, 2));
        assert_eq!(survey_of(b"\xc3\xa9\n\xe9\n"), (false, true, 2));
    }
}
