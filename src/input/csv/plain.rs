//! A record read without csv_core, when it is plain: whole in the buffer, and each field
//! either unquoted with no quote in it, or quoted and followed at once by the delimiter or the
//! line end. Such a record is cut by looking at its bytes eight at a time, where csv_core
//! walks its state machine byte by byte. On anything else nothing is taken and csv_core reads
//! the record, so the two always agree (a property test holds them to it).
//! `benches/tricks.sh` measures what it buys (`no-plain`).

use crate::bytes::{find_by, lanes_of, splat, zero_lanes};

/// A record read: where it starts after the blank lines before it, how many of those there
/// were, the bytes taken (its line end included), and its fields' text and count.
#[derive(Debug, PartialEq)]
pub(super) struct Plain {
    pub start: usize,
    pub blank: u32,
    pub consumed: usize,
    pub prev_cr: bool,
    pub len: usize,
    pub fields: usize,
}

/// Reads the record at the start of `input` into `out` and `ends` as csv_core would (the line
/// ends before it count as blank lines, a CR then an LF as one); None when it is not plain or
/// does not fit, and then nothing is taken.
#[inline]
pub(super) fn read(
    input: &[u8],
    delimiter: u8,
    prev_cr: bool,
    out: &mut [u8],
    ends: &mut [usize],
) -> Option<Plain> {
    if matches!(delimiter, b'"' | b'\r' | b'\n') {
        return None;
    }
    let d = splat(delimiter);
    let mut cr = prev_cr;
    let mut blank: u32 = 0;
    let mut start = 0;
    loop {
        match *input.get(start)? {
            b'\r' => {
                blank = blank.saturating_add(1);
                cr = true;
            }
            b'\n' => {
                if !cr {
                    blank = blank.saturating_add(1);
                }
                cr = false;
            }
            _ => break,
        }
        start += 1;
    }
    let (mut o, mut e, mut j) = (0, 0, start);
    loop {
        if *input.get(j)? == b'"' {
            let mut k = j + 1;
            loop {
                let q = find_by(input, k, |w| lanes_of(w, [b'"']), |&b| b == b'"')?;
                let part = &input[k..q];
                out.get_mut(o..o + part.len())?.copy_from_slice(part);
                o += part.len();
                let after = *input.get(q + 1)?;
                if after == b'"' {
                    *out.get_mut(o)? = b'"';
                    o += 1;
                    k = q + 2;
                    continue;
                }
                *ends.get_mut(e)? = o;
                e += 1;
                j = q + 2;
                if after == delimiter {
                    break;
                }
                if after == b'\r' || after == b'\n' {
                    return Some(record(start, blank, j, after, o, e));
                }
                return None;
            }
        } else {
            let at = find_by(
                input,
                j,
                |w| zero_lanes(w ^ d) | lanes_of(w, [b'"', b'\r', b'\n']),
                |&b| b == delimiter || matches!(b, b'"' | b'\r' | b'\n'),
            )?;
            let end = input[at];
            if end == b'"' {
                return None;
            }
            let field = &input[j..at];
            out.get_mut(o..o + field.len())?.copy_from_slice(field);
            o += field.len();
            *ends.get_mut(e)? = o;
            e += 1;
            j = at + 1;
            if end != delimiter {
                return Some(record(start, blank, j, end, o, e));
            }
        }
    }
}

fn record(start: usize, blank: u32, consumed: usize, end: u8, len: usize, fields: usize) -> Plain {
    Plain {
        start,
        blank,
        consumed,
        prev_cr: end == b'\r',
        len,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::super::Start;
    use super::super::records::Records;

    /// A stream handing out at most `chunk` bytes a read, so records cross buffer ends.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Each record as read (row, fields' text, field ends, where reading goes on), then how
    /// the reading ended.
    fn read_all(bytes: &[u8], delimiter: u8, plain: bool, chunk: usize) -> Vec<String> {
        let start = Start {
            offset: 0,
            row: 0,
            prev_cr: false,
        };
        let mut r = Records::new(Chunks(bytes, chunk), delimiter, start).with_plain(plain);
        let mut seen = Vec::new();
        loop {
            match r.next() {
                Ok(true) => {
                    let (text, ends) = r.record();
                    let after = r.after();
                    seen.push(format!(
                        "{} {:?} {ends:?} {} {}",
                        r.row, text, after.offset, after.prev_cr
                    ));
                }
                Ok(false) => return seen,
                Err(e) => {
                    seen.push(format!("{e:?} {}", r.row));
                    return seen;
                }
            }
        }
    }

    #[test]
    fn plain_records_read_as_csv_core_reads_them() {
        let bytes = b"a,b\r\n\r\n\"x \"\"q\"\", y\",2\n\"p\nq\",3\r\"\",\n,\n";
        for chunk in [1, 3, 7, 64] {
            assert_eq!(
                read_all(bytes, b',', true, chunk),
                read_all(bytes, b',', false, chunk),
                "chunk {chunk}"
            );
        }
        assert_eq!(read_all(bytes, b',', true, 64).len(), 5);
    }

    proptest::proptest! {
        /// With or without the plain path, every record, row number and error is the same,
        /// whatever the bytes and wherever the reads cut them.
        #[test]
        fn the_plain_path_agrees_with_csv_core(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab,;\"\r\n \xc3\xa9".to_vec()),
                0..160,
            ),
            chunk in 1usize..48,
            delimiter in proptest::sample::select(vec![b',', b';']),
        ) {
            proptest::prop_assert_eq!(
                read_all(&bytes, delimiter, true, chunk),
                read_all(&bytes, delimiter, false, chunk)
            );
        }
    }
}
