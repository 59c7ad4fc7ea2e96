//! The record splitter: csv_core over a byte stream, one record at a time into reused
//! buffers, each with its row number, and each bounded so that a file that is not CSV or a
//! quote that never closes is reported rather than read whole.

use std::io::{self, Read};

use csv_core::ReadRecordResult;

use super::{BLOCK, Start};

/// The longest record read: past it without a line end, the file is not CSV as a spreadsheet
/// application writes it.
pub(crate) const MAX_RECORD: usize = 1 << 20;
/// A quoted value longer than this, over several lines, is a quote that never closed: no
/// spreadsheet cell holds that much (Excel's limit is 32,767 characters).
pub(crate) const MAX_QUOTED: usize = 64 << 10;

/// Why reading records stopped short.
#[derive(Debug)]
pub(super) enum ReadError {
    Io(io::Error),
    /// A record runs past `MAX_RECORD` bytes.
    TooLong {
        offset: u64,
    },
    /// A quoted value in column `column` never closes (at the end of the file, or past
    /// `MAX_QUOTED` over several lines).
    OpenQuote {
        column: usize,
        offset: u64,
        at_end: bool,
    },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// Records from a byte stream, one at a time, into reused buffers. Row numbers count every
/// line end outside quotes (CR, LF or CRLF), so blank lines take a number.
pub(super) struct Records<R> {
    src: R,
    core: csv_core::Reader,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// The unescaped fields of the current record, back to back, and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// The current record's: row number (set at its first byte), stream offset of its first
    /// byte, length of its fields' text, number of fields.
    pub(super) row: u32,
    offset: u64,
    len: usize,
    fields: usize,
    prev_cr: bool,
    delimiter: u8,
    /// Plain records are read without csv_core (see [`super::plain`]).
    plain: bool,
}

impl<R: Read> Records<R> {
    pub(super) fn new(src: R, delimiter: u8, start: Start) -> Records<R> {
        let core = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .terminator(csv_core::Terminator::CRLF)
            .build();
        Records {
            src,
            core,
            buf: vec![0; BLOCK],
            pos: 0,
            end: 0,
            eof: false,
            base: start.offset,
            out: vec![0; 1024],
            ends: vec![0; 32],
            row: start.row,
            offset: start.offset,
            len: 0,
            fields: 0,
            prev_cr: start.prev_cr,
            delimiter,
            plain: true,
        }
    }

    /// Reads every record through csv_core when `plain` is false (to hold the two paths to
    /// the same results).
    #[cfg(test)]
    pub(super) fn with_plain(mut self, plain: bool) -> Records<R> {
        self.plain = plain;
        self
    }

    /// The stream offset just after the last record read.
    fn position(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn refill(&mut self) -> io::Result<()> {
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        while self.end < self.buf.len() {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.end += n;
                    // A short read is enough to go on with.
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads the next record into `out`/`ends`; false at the end of the stream.
    #[expect(
        clippy::too_many_lines,
        reason = "the per-record hot loop: one state machine over csv_core's results, kept whole so nothing is called per byte"
    )]
    #[inline]
    pub(super) fn next(&mut self) -> Result<bool, ReadError> {
        if self.plain
            && let Some(p) = super::plain::read(
                &self.buf[self.pos..self.end],
                self.delimiter,
                self.prev_cr,
                &mut self.out,
                &mut self.ends,
            )
        {
            self.row = self.row.saturating_add(p.blank).saturating_add(1);
            self.offset = self.base + (self.pos + p.start) as u64;
            self.pos += p.consumed;
            self.prev_cr = p.prev_cr;
            self.len = p.len;
            self.fields = p.fields;
            return Ok(true);
        }
        let (mut nout, mut nend) = (0, 0);
        // Line ends before the record's first byte are blank lines: each takes a row.
        let mut leading = true;
        let mut blank: u32 = 0;
        let mut consumed: usize = 0;
        // At the end of the stream one LF is fed: copied into a field, it shows that a quote
        // was still open; outside quotes it only ends the last record.
        let mut fed_lf = false;
        loop {
            if self.pos == self.end && !self.eof {
                self.refill()?;
            }
            let input: &[u8] = if self.pos < self.end {
                &self.buf[self.pos..self.end]
            } else if !fed_lf {
                b"\n"
            } else {
                b""
            };
            let from_stream = self.pos < self.end;
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            if from_stream {
                let taken = &input[..nin];
                if leading {
                    for (i, &b) in taken.iter().enumerate() {
                        match b {
                            b'\r' => {
                                blank = blank.saturating_add(1);
                                self.prev_cr = true;
                            }
                            b'\n' => {
                                if !self.prev_cr {
                                    blank = blank.saturating_add(1);
                                }
                                self.prev_cr = false;
                            }
                            _ => {
                                leading = false;
                                self.row = self.row.saturating_add(blank).saturating_add(1);
                                self.offset = self.base + (self.pos + i) as u64;
                                consumed = nin - i;
                                break;
                            }
                        }
                    }
                } else {
                    consumed += nin;
                }
                if let Some(&last) = taken.last() {
                    self.prev_cr = last == b'\r';
                }
                self.pos += nin;
            } else if nin > 0 {
                fed_lf = true;
                if o > 0 {
                    let err = ReadError::OpenQuote {
                        column: nend + e,
                        offset: self.offset,
                        at_end: true,
                    };
                    return Err(self.fail(nout, nend, err));
                }
            }
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {
                    if !leading && consumed > MAX_RECORD {
                        let err = ReadError::TooLong {
                            offset: self.offset,
                        };
                        return Err(self.fail(nout, nend, err));
                    }
                    if !leading && nout > MAX_QUOTED {
                        self.check_open_quote(nout, nend)?;
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_RECORD {
                        let err = ReadError::TooLong {
                            offset: self.offset,
                        };
                        return Err(self.fail(nout, nend, err));
                    }
                    if nout > MAX_QUOTED {
                        self.check_open_quote(nout, nend)?;
                    }
                    let n = (self.out.len() * 2).min(MAX_RECORD);
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    self.len = nout;
                    self.fields = nend;
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// The current record: its fields' bytes back to back, and where each ends.
    pub(super) fn record(&self) -> (&[u8], &[usize]) {
        (&self.out[..self.len], &self.ends[..self.fields])
    }

    /// Where reading would go on after the current record.
    pub(super) fn after(&self) -> Start {
        Start {
            offset: self.position(),
            row: self.row,
            prev_cr: self.prev_cr,
        }
    }

    /// Keeps what was read of a record that cannot be read whole, for the error message.
    fn fail(&mut self, nout: usize, nend: usize, e: ReadError) -> ReadError {
        self.len = nout;
        self.fields = nend;
        e
    }

    /// The field being read (after `nend` complete ones, up to `nout`) is longer than any
    /// cell and spans lines: a quote that never closed.
    fn check_open_quote(&mut self, nout: usize, nend: usize) -> Result<(), ReadError> {
        let start = if nend == 0 { 0 } else { self.ends[nend - 1] };
        let field = &self.out[start..nout];
        if field.len() > MAX_QUOTED && field.iter().any(|&b| b == b'\n' || b == b'\r') {
            let err = ReadError::OpenQuote {
                column: nend,
                offset: self.offset,
                at_end: false,
            };
            return Err(self.fail(nout, nend, err));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record's row number and fields, read from `bytes`.
    fn rows(bytes: &[u8]) -> Vec<(u32, Vec<String>)> {
        let start = Start {
            offset: 0,
            row: 0,
            prev_cr: false,
        };
        let mut r = Records::new(bytes, b',', start);
        let mut out = Vec::new();
        while r.next().unwrap() {
            let (text, ends) = r.record();
            let text = std::str::from_utf8(text).unwrap();
            let mut from = 0;
            let fields = ends
                .iter()
                .map(|&e| {
                    let f = text[from..e].to_string();
                    from = e;
                    f
                })
                .collect();
            out.push((r.row, fields));
        }
        out
    }

    #[test]
    fn cr_lf_and_crlf_each_end_a_row_and_blank_lines_take_a_number() {
        let numbers = |b: &[u8]| rows(b).iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(numbers(b"a\nb\n\nc"), vec![1, 2, 4]);
        assert_eq!(numbers(b"a\r\nb\r\n\r\nc\r\n"), vec![1, 2, 4]);
        assert_eq!(numbers(b"a\rb\r\rc\r"), vec![1, 2, 4]);
        assert_eq!(numbers(b"a\r\nb\rc\n\r\nd"), vec![1, 2, 3, 5]);
        assert_eq!(numbers(b"\n\na"), vec![3]);
    }

    #[test]
    fn quoted_line_breaks_stay_in_the_value_and_do_not_count_as_rows() {
        let r = rows(b"a,\"x\ny\"\rb,\"p\r\nq\"\nc");
        assert_eq!(r[0], (1, vec!["a".into(), "x\ny".into()]));
        assert_eq!(r[1], (2, vec!["b".into(), "p\r\nq".into()]));
        assert_eq!(r[2].0, 3);
    }

    #[test]
    fn an_open_quote_at_the_end_is_an_error_naming_its_column() {
        let start = Start {
            offset: 0,
            row: 0,
            prev_cr: false,
        };
        let mut r = Records::new(&b"h\nok,1\nbad,\"open\nmore,2\n"[..], b',', start);
        assert!(r.next().unwrap());
        assert!(r.next().unwrap());
        match r.next() {
            Err(ReadError::OpenQuote {
                column: 1,
                offset: 7,
                at_end: true,
            }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(r.row, 3);
    }
}
