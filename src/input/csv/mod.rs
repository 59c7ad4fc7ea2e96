//! CSV files as applications save them: encoding (UTF-8, UTF-16, Windows-1252, Mac Roman, or
//! UTF-8 with some lines in Windows-1252), byte-order marks, Excel's `sep=` line, the
//! delimiter, and CR, LF or CRLF line ends, even mixed.
//!
//! Records stream through one reused buffer: a row's cells borrow it and live only for the
//! call that receives them. A record is bounded (`MAX_RECORD`), so memory does not grow with a
//! file that is not CSV at all, and a quote that never closes is reported, not read as one
//! cell holding the rest of the file.

mod decode;
mod plain;
mod records;
mod survey;

use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use encoding_rs_io::DecodeReaderBytesBuilder;

use super::headers::{HEADER_SEARCH_ROWS, HeaderMap, NoHeader, find_header};
use super::{CsvDialect, InputError, ReadOptions, Row, RowCells, Table, column_letters, excerpt};
use decode::{Decoded, Decoding, Unmarked, as_utf8};
use records::{MAX_QUOTED, MAX_RECORD, ReadError, Records};
use survey::{first_line, sep_line, sniff_delimiter, survey};

/// Read in blocks of this size.
const BLOCK: usize = 1 << 16;

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
    /// Data rows lose the `'` written before a formula-like cell (`--excel-safe-csv`, or a
    /// file this tool wrote).
    unmark: bool,
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
    /// Where the data starts after a byte-order mark and Excel's `sep=` line, and the
    /// delimiter (`--delimiter`, else the `sep=` line, else sniffed from the first line).
    fn top(&mut self, head: &[u8], delimiter: Option<u8>) -> (Start, Option<(u8, usize, bool)>) {
        let mut top = Start {
            offset: 0,
            row: 0,
            prev_cr: false,
        };
        if head.starts_with(b"\xEF\xBB\xBF") {
            top.offset = 3;
        }
        let rest = |top: &Start| {
            let skip = usize::try_from(top.offset)
                .unwrap_or(head.len())
                .min(head.len());
            &head[skip..]
        };
        let sep = sep_line(rest(&top));
        if let Some((d, len, cr)) = sep {
            top = Start {
                offset: top.offset + len as u64,
                row: 1,
                prev_cr: cr,
            };
            self.delimiter = d;
        }
        match delimiter {
            Some(d) => self.delimiter = d,
            None if sep.is_none() => self.delimiter = sniff_delimiter(&first_line(rest(&top))),
            None => {}
        }
        (top, sep)
    }

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
        let (decoding, encoding, fallback) = survey.decoding(opts.encoding);
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
            unmark: false,
        };
        // The top of the stream as it is parsed: byte-order mark, `sep=` line, header line.
        let mut head = Vec::new();
        source
            .stream(0)
            .and_then(|s| s.take(BLOCK as u64).read_to_end(&mut head))
            .map_err(io_err)?;
        let (top, sep) = source.top(&head, opts.delimiter);
        let (header_row, mut headers, end, below_title) = source.find_header(top, map)?;
        source.data = end;
        // A cell written with a leading `'` (`--excel-safe-csv`) is read as it was before.
        source.unmark = opts.excel_safe || crate::excel_safe::written_by_this_tool(&headers);
        if source.unmark {
            headers
                .iter_mut()
                .for_each(crate::excel_safe::strip_in_place);
        }
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
                headerless: Vec::new(),
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
        if !self.unmark {
            return self.scan(self.data, f).map(|_| ());
        }
        // Each row as it was before a leading `'` was written (`--excel-safe-csv`).
        let mut unmarked = Unmarked::default();
        self.scan(self.data, &mut |row| match row.cells {
            RowCells::Csv { text, ends } if unmarked.unmark(text, ends) => f(Row {
                number: row.number,
                cells: RowCells::Csv {
                    text: &unmarked.text,
                    ends: &unmarked.ends,
                },
            }),
            _ => f(row),
        })
        .map(|_| ())
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
