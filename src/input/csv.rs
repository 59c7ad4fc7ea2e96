//! CSV files as applications save them: encoding (UTF-8, UTF-16, Windows-1252, Mac Roman, or
//! UTF-8 with some lines in Windows-1252), byte-order marks, Excel's `sep=` line, the
//! delimiter, and CR, LF or CRLF line ends, even mixed.
//!
//! Records stream through one reused buffer: a row's cells borrow it and live only for the
//! call that receives them. A record is bounded (`MAX_RECORD`), so memory does not grow with a
//! file that is not CSV at all, and a quote that never closes is reported, not read as one
//! cell holding the rest of the file.

use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use csv_core::ReadRecordResult;

use super::headers::{HEADER_SEARCH_ROWS, HeaderMap, NoHeader, find_header};
use encoding_rs::{Encoding, MACINTOSH, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{
    CsvDialect, EncodingChoice, InputError, ReadOptions, Row, RowCells, Table, column_letters,
    excerpt,
};

/// The longest record read: past it without a line end, the file is not CSV as a spreadsheet
/// application writes it.
pub(crate) const MAX_RECORD: usize = 1 << 20;
/// A quoted value longer than this, over several lines, is a quote that never closed: no
/// spreadsheet cell holds that much (Excel's limit is 32,767 characters).
pub(crate) const MAX_QUOTED: usize = 64 << 10;
/// Read in blocks of this size.
const BLOCK: usize = 1 << 16;

/// How a file's bytes become text.
#[derive(Debug, Clone, Copy)]
enum Decoding {
    /// UTF-8; a record that is not valid UTF-8 is read in `fallback` (a mixed file).
    Utf8Or(&'static Encoding),
    /// UTF-8 as the user said; bytes that are not are replaced (U+FFFD), the row kept.
    Utf8Lossy,
    /// A single-byte encoding whose ASCII is ASCII (Windows-1252, Mac Roman).
    SingleByte(&'static Encoding),
    /// UTF-16 (by its byte-order mark): transcoded to UTF-8 before parsing.
    Utf16(&'static Encoding),
}

/// Where to start reading records: after a byte-order mark, a `sep=` line, or the header.
#[derive(Debug, Clone, Copy)]
struct Start {
    /// Offset in the (decoded, for UTF-16) stream.
    offset: u64,
    /// The row number of the line before it (0 at the top of the file).
    row: u32,
    /// The line before it ended with a CR (so an LF right after it is that same line end).
    prev_cr: bool,
}

/// Reads the rows of a CSV file after its header.
pub(crate) struct CsvSource {
    path: PathBuf,
    decoding: Decoding,
    delimiter: u8,
    data: Start,
    /// Rows read in the fallback encoding of a mixed file (the first few), and how many.
    fallback_rows: Vec<u32>,
    fallback_count: u64,
}

/// Why reading records stopped short.
#[derive(Debug)]
enum ReadError {
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
struct Records<R> {
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
    row: u32,
    offset: u64,
    len: usize,
    fields: usize,
    prev_cr: bool,
}

impl<R: Read> Records<R> {
    fn new(src: R, delimiter: u8, start: Start) -> Records<R> {
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
        }
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
    fn next(&mut self) -> Result<bool, ReadError> {
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
    fn record(&self) -> (&[u8], &[usize]) {
        (&self.out[..self.len], &self.ends[..self.fields])
    }

    /// Where reading would go on after the current record.
    fn after(&self) -> Start {
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

/// Text of a record in another encoding, decoded into reused buffers.
#[derive(Default)]
struct Decoded {
    text: String,
    ends: Vec<usize>,
}

impl Decoded {
    fn decode(&mut self, bytes: &[u8], ends: &[usize], encoding: Option<&'static Encoding>) {
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

/// A record's bytes as UTF-8 text, when they are and every field is whole.
fn as_utf8<'a>(bytes: &'a [u8], ends: &[usize]) -> Option<&'a str> {
    let text = std::str::from_utf8(bytes).ok()?;
    ends.iter()
        .all(|&e| text.is_char_boundary(e))
        .then_some(text)
}

/// A header cell as it is quoted in messages: trimmed, no terminal control character.
fn clean_header(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

impl CsvSource {
    /// Opens a CSV file: its encoding, delimiter and header row (below title rows when the
    /// first rows do not look like a header). Notes for the user come back with it.
    pub(crate) fn open(
        path: &Path,
        opts: &ReadOptions,
        map: &HeaderMap,
    ) -> Result<(CsvSource, Table, CsvDialect, Option<String>), InputError> {
        let io_err = |source| InputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let survey = survey(&mut file).map_err(io_err)?;
        let bom16 = match survey.head.get(..2) {
            Some([0xFF, 0xFE]) => Some(UTF_16LE),
            Some([0xFE, 0xFF]) => Some(UTF_16BE),
            _ => None,
        };
        let (decoding, encoding, fallback) = match (opts.encoding, bom16) {
            (EncodingChoice::Auto, Some(e)) => (Decoding::Utf16(e), e, None),
            (EncodingChoice::Auto, None) if survey.valid_utf8 => {
                (Decoding::Utf8Or(WINDOWS_1252), UTF_8, None)
            }
            (EncodingChoice::Auto, None) if survey.multibyte_utf8 => (
                Decoding::Utf8Or(WINDOWS_1252),
                UTF_8,
                Some(WINDOWS_1252.name()),
            ),
            (EncodingChoice::Auto, None) | (EncodingChoice::Windows1252, _) => {
                (Decoding::SingleByte(WINDOWS_1252), WINDOWS_1252, None)
            }
            (EncodingChoice::MacRoman, _) => (Decoding::SingleByte(MACINTOSH), MACINTOSH, None),
            (EncodingChoice::Utf8, _) => (Decoding::Utf8Lossy, UTF_8, None),
        };
        let mut source = CsvSource {
            path: path.to_path_buf(),
            decoding,
            delimiter: b',',
            data: Start {
                offset: 0,
                row: 0,
                prev_cr: false,
            },
            fallback_rows: Vec::new(),
            fallback_count: 0,
        };
        // The top of the stream as it is parsed: byte-order mark, `sep=` line, header line.
        let mut head = Vec::new();
        source
            .stream(0)
            .and_then(|s| s.take(BLOCK as u64).read_to_end(&mut head))
            .map_err(io_err)?;
        let mut top = Start {
            offset: 0,
            row: 0,
            prev_cr: false,
        };
        if head.starts_with(b"\xEF\xBB\xBF") {
            top.offset = 3;
        }
        let skip = usize::try_from(top.offset)
            .unwrap_or(head.len())
            .min(head.len());
        let sep = sep_line(&head[skip..]);
        if let Some((d, len, cr)) = sep {
            top = Start {
                offset: top.offset + len as u64,
                row: 1,
                prev_cr: cr,
            };
            source.delimiter = d;
        }
        match opts.delimiter {
            Some(d) => source.delimiter = d,
            None if sep.is_none() => {
                let skip = usize::try_from(top.offset)
                    .unwrap_or(head.len())
                    .min(head.len());
                source.delimiter = sniff_delimiter(&first_line(&head[skip..]));
            }
            None => {}
        }
        let (header_row, headers, end, below_title) = source.find_header(top, map)?;
        source.data = end;
        let dialect = CsvDialect {
            encoding: encoding.name(),
            fallback,
            delimiter: source.delimiter,
            sep_line: sep.is_some() && opts.delimiter.is_none(),
        };
        let note =
            below_title.then(|| format!("{}: header found on row {header_row}", path.display()));
        Ok((
            source,
            Table {
                sheet: None,
                header_row,
                headers,
                rows_hint: Some(survey.lines.saturating_sub(u64::from(header_row)).max(1)),
            },
            dialect,
            note,
        ))
    }

    /// The header row: the first non-blank row, or one of the next rows when title rows sit
    /// above it. Its number, its cells (cleaned for messages), where the data starts, and
    /// whether it was found below title rows.
    fn find_header(
        &mut self,
        top: Start,
        map: &HeaderMap,
    ) -> Result<(u32, Vec<String>, Start, bool), InputError> {
        // The first rows, blank ones included, up to the search's reach.
        let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
        let mut first_non_blank = None;
        let scanned = self.scan(top, &mut |row| {
            let cells = (0..row.len())
                .map(|i| clean_header(&row.cell(i).display()))
                .collect::<Vec<_>>();
            if first_non_blank.is_none() && !row.is_blank() {
                first_non_blank = Some(rows.len());
            }
            rows.push((row.number, cells));
            match first_non_blank {
                Some(f) if rows.len() > f + HEADER_SEARCH_ROWS => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        });
        // A fault further down (an unterminated quote) is reported when its row is read: the
        // rows before it still get their lines.
        if let Err(e) = scanned
            && first_non_blank.is_none()
        {
            return Err(e);
        }
        let cells: Vec<Vec<String>> = rows.iter().map(|(_, c)| c.clone()).collect();
        let at = match find_header(&cells, map) {
            Ok(at) => at,
            Err(NoHeader::Blank) => {
                return Err(InputError::Empty {
                    path: self.path.clone(),
                });
            }
            Err(NoHeader::NotFound { first }) => {
                return Err(InputError::NoHeader {
                    place: self.path.display().to_string(),
                    first: first.join(", "),
                });
            }
        };
        let (number, headers) = rows.swap_remove(at.index);
        // Where the data starts: just after the header row.
        let end = self.scan(top, &mut |row| {
            if row.number == number {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok((number, headers, end, at.below_title))
    }

    /// The file as a stream of bytes to parse, from `offset` on (UTF-16 is transcoded, so its
    /// offsets count UTF-8 bytes).
    fn stream(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let file = File::open(&self.path)?;
        let mut r: Box<dyn Read + Send> = match self.decoding {
            Decoding::Utf16(e) => Box::new(
                DecodeReaderBytesBuilder::new()
                    .encoding(Some(e))
                    .build(io::BufReader::with_capacity(BLOCK, file)),
            ),
            _ => Box::new(file),
        };
        if offset > 0 {
            io::copy(&mut (&mut r).take(offset), &mut io::sink())?;
        }
        Ok(r)
    }

    /// Calls `f` with every record from `start` on, with its row number (blank lines take a
    /// number too). Returns where reading stopped: after the record `f` stopped at, or at
    /// the end.
    fn scan(
        &mut self,
        start: Start,
        f: &mut dyn FnMut(Row<'_>) -> ControlFlow<()>,
    ) -> Result<Start, InputError> {
        let stream = self.stream(start.offset).map_err(|source| InputError::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut records = Records::new(stream, self.delimiter, start);
        let mut decoded = Decoded::default();
        loop {
            match records.next() {
                Ok(true) => {}
                Ok(false) => return Ok(records.after()),
                Err(e) => return Err(self.error(&records, e)),
            }
            let number = records.row;
            let (bytes, ends) = records.record();
            let text = match self.decoding {
                Decoding::Utf8Or(other) => as_utf8(bytes, ends).or_else(|| {
                    self.fallback_count += 1;
                    if self.fallback_rows.len() < 10 {
                        self.fallback_rows.push(number);
                    }
                    decoded.decode(bytes, ends, Some(other));
                    None
                }),
                Decoding::SingleByte(e) if !bytes.is_ascii() => {
                    decoded.decode(bytes, ends, Some(e));
                    None
                }
                Decoding::SingleByte(_) | Decoding::Utf8Lossy | Decoding::Utf16(_) => {
                    as_utf8(bytes, ends).or_else(|| {
                        decoded.decode(bytes, ends, None);
                        None
                    })
                }
            };
            let cells = match text {
                Some(text) => RowCells::Csv { text, ends },
                None => RowCells::Csv {
                    text: &decoded.text,
                    ends: &decoded.ends,
                },
            };
            if f(Row { number, cells }).is_break() {
                return Ok(records.after());
            }
        }
    }

    fn error<R: Read>(&self, records: &Records<R>, e: ReadError) -> InputError {
        let path = self.path.clone();
        let row = records.row;
        let message = match e {
            ReadError::Io(source) => return InputError::Io { path, source },
            ReadError::TooLong { offset } => {
                let (bytes, ends) = records.record();
                let start = if bytes.is_empty() {
                    format!("{} empty fields", ends.len())
                } else {
                    let bytes = &bytes[..bytes.len().min(240)];
                    format!("\"{}\"", excerpt(&String::from_utf8_lossy(bytes), 80))
                };
                format!(
                    "a record runs past {} MiB from byte {offset} without a line end: not CSV as a spreadsheet application writes it (it starts {start})",
                    MAX_RECORD >> 20,
                )
            }
            ReadError::OpenQuote {
                column,
                offset,
                at_end,
            } => {
                let (bytes, ends) = records.record();
                let start = if column == 0 { 0 } else { ends[column - 1] };
                let value = &bytes[start..bytes.len().min(start + 240)];
                let how = if at_end {
                    "runs to the end of the file".to_string()
                } else {
                    format!("runs on past {} KiB over several lines", MAX_QUOTED >> 10)
                };
                format!(
                    "column {}: a quote opens a value that never closes: it {how} (the row starts at byte {offset}; the value starts \"{}\"). Close the quote, or write a quote that belongs to the value twice (\"\")",
                    column_letters(column),
                    excerpt(&String::from_utf8_lossy(value), 80)
                )
            }
        };
        InputError::Csv { path, row, message }
    }

    /// Streams the rows after the header.
    pub(crate) fn read_rows(
        &mut self,
        f: &mut dyn FnMut(Row<'_>) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        self.scan(self.data, f).map(|_| ())
    }

    /// The warning for a mixed file: which rows were not UTF-8.
    pub(crate) fn warnings(&mut self) -> Vec<String> {
        if self.fallback_count == 0 {
            return Vec::new();
        }
        let Decoding::Utf8Or(other) = self.decoding else {
            return Vec::new();
        };
        let mut rows = self
            .fallback_rows
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let more = self.fallback_count - self.fallback_rows.len() as u64;
        if more > 0 {
            rows.push_str(&format!(" and {more} more"));
        }
        let (noun, verb) = if self.fallback_count == 1 {
            ("row", "is")
        } else {
            ("rows", "are")
        };
        self.fallback_count = 0;
        self.fallback_rows.clear();
        vec![format!(
            "{}: {noun} {rows} {verb} not valid UTF-8 like the rest of the file: read as {}",
            self.path.display(),
            other.name()
        )]
    }
}

/// Excel's first line `sep=;` (any delimiter byte): the delimiter, the line's length with its
/// line end, and whether that ends with a CR.
fn sep_line(head: &[u8]) -> Option<(u8, usize, bool)> {
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
struct Survey {
    /// The first bytes, for byte-order marks.
    head: Vec<u8>,
    /// Every byte is valid UTF-8.
    valid_utf8: bool,
    /// Some non-ASCII character is valid UTF-8 (with `!valid_utf8`: a mixed file).
    multibyte_utf8: bool,
    /// Line ends (CR, LF or CRLF), an estimate of its rows for sizing and progress.
    lines: u64,
}

/// Reads the whole file once, so a bad byte at row 900,000 is not missed.
fn survey(file: &mut File) -> io::Result<Survey> {
    let mut buf = vec![0u8; BLOCK];
    let mut carry = 0usize;
    let (mut valid, mut multibyte) = (true, false);
    let (mut lf, mut cr) = (0u64, 0u64);
    let mut head = Vec::new();
    loop {
        let n = file.read(&mut buf[carry..])?;
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
            match std::str::from_utf8(rest) {
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
/// one-byte lanes, 255 bytes at a time, so that it vectorises 32 bytes to an instruction.
fn count_line_ends(bytes: &[u8]) -> (u64, u64) {
    let (mut lf, mut cr) = (0u64, 0u64);
    for chunk in bytes.chunks(255) {
        let (l, c) = chunk.iter().fold((0u8, 0u8), |(l, c), b| {
            (l + u8::from(*b == b'\n'), c + u8::from(*b == b'\r'))
        });
        lf += u64::from(l);
        cr += u64::from(c);
    }
    (lf, cr)
}

/// The first non-blank line, for the delimiter (a quoted line break in the header is not
/// followed: the delimiter count up to it is still right).
fn first_line(head: &[u8]) -> String {
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
