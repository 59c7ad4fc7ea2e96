//! CSV files: encoding and delimiter detection, byte-order marks, streaming records.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{CsvDialect, EncodingChoice, InputError, ReadOptions, Row, RowCells, Table};

/// Reads the rows of a CSV file after its header.
pub struct CsvSource {
    path: PathBuf,
    encoding: &'static Encoding,
    delimiter: u8,
}

/// A reader that remembers the last byte it passed on, so the row counter can tell whether the
/// final record ended with a line break.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

type Records = ::csv::Reader<LastByte<Box<dyn Read + Send>>>;

impl CsvSource {
    pub fn open(
        path: &Path,
        opts: &ReadOptions,
    ) -> Result<(CsvSource, Table, CsvDialect), InputError> {
        let io_err = |source| InputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let (encoding, lines) = detect_encoding(&mut file, opts.encoding).map_err(io_err)?;
        let delimiter = match opts.delimiter {
            Some(d) => d,
            None => sniff_delimiter(&first_line(path, encoding).map_err(io_err)?),
        };
        let mut source = CsvSource {
            path: path.to_path_buf(),
            encoding,
            delimiter,
        };
        let mut header = None;
        source.scan(&mut |number, record| {
            let blank = record.iter().all(|c| c.trim().is_empty());
            if blank {
                return ControlFlow::Continue(());
            }
            header = Some((
                number,
                record.iter().map(|h| h.trim().to_string()).collect(),
            ));
            ControlFlow::Break(())
        })?;
        let Some((header_row, headers)) = header else {
            return Err(InputError::Empty {
                path: path.to_path_buf(),
            });
        };
        let dialect = CsvDialect {
            encoding: encoding.name(),
            delimiter,
        };
        Ok((
            source,
            Table {
                sheet: None,
                header_row,
                headers,
                rows_hint: Some(lines.saturating_sub(u64::from(header_row)).max(1)),
            },
            dialect,
        ))
    }

    fn records(&self) -> Result<Records, InputError> {
        let file = File::open(&self.path).map_err(|source| InputError::Io {
            path: self.path.clone(),
            source,
        })?;
        let inner: Box<dyn Read + Send> = if self.encoding == UTF_8 {
            let mut r = BufReader::with_capacity(1 << 16, file);
            skip_utf8_bom(&mut r).map_err(|source| InputError::Io {
                path: self.path.clone(),
                source,
            })?;
            Box::new(r)
        } else {
            Box::new(
                DecodeReaderBytesBuilder::new()
                    .encoding(Some(self.encoding))
                    .build(BufReader::with_capacity(1 << 16, file)),
            )
        };
        Ok(::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            // Line breaks are counted exactly only with `\n` as the terminator; a `\r` left at
            // the end of a record is taken off below.
            .terminator(::csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 16)
            .from_reader(LastByte { inner, last: None }))
    }

    /// Calls `f` with every record and its row number (blank lines take a number too).
    fn scan(
        &mut self,
        f: &mut dyn FnMut(u32, ::csv::StringRecord) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let mut rdr = self.records()?;
        let mut lines_before: u64 = 1;
        let mut row: u32 = 0;
        // One record of look-ahead: whether a record ended with a line break is known only
        // once the next one is read (or the file ends).
        let mut pending: Option<(::csv::StringRecord, u64)> = None;
        // Sized like the last record, so a row is one allocation, not a series of regrowths.
        let (mut last_len, mut last_fields) = (64, 8);
        loop {
            let mut bytes = ::csv::ByteRecord::with_capacity(last_len, last_fields);
            let more = rdr
                .read_byte_record(&mut bytes)
                .map_err(|e| InputError::Csv {
                    path: self.path.clone(),
                    row: row + 1,
                    message: e.to_string(),
                })?;
            let rec = match ::csv::StringRecord::from_byte_record(bytes) {
                Ok(r) => r,
                // Forced UTF-8 on bytes that are not: keep the row, mark the bad bytes.
                Err(e) => e
                    .into_byte_record()
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            };
            last_len = rec.as_slice().len().max(16);
            last_fields = rec.len().max(1);
            let after = rdr.position().line();
            if let Some((prev, consumed)) = pending.take() {
                // One line consumed is the record's own line end: nothing else to count.
                let embedded = if consumed > 1 {
                    embedded_newlines(&prev)
                } else {
                    0
                };
                let terminated = 1;
                let blank_lines = consumed.saturating_sub(embedded + terminated);
                row += 1 + blank_lines as u32;
                if f(row, clean(prev)).is_break() {
                    return Ok(());
                }
            }
            if !more {
                break;
            }
            pending = Some((rec, after - lines_before));
            lines_before = after;
        }
        if let Some((prev, consumed)) = pending {
            let embedded = embedded_newlines(&prev);
            let terminated = u64::from(rdr.get_ref().last == Some(b'\n'));
            let blank_lines = consumed.saturating_sub(embedded + terminated);
            row += 1 + blank_lines as u32;
            let _ = f(row, clean(prev));
        }
        Ok(())
    }

    /// Streams the rows after the header.
    pub fn read_rows(
        &mut self,
        f: &mut dyn FnMut(Row) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let mut header_seen = false;
        self.scan(&mut |number, record| {
            if !header_seen {
                if record.iter().all(|c| c.trim().is_empty()) {
                    return ControlFlow::Continue(());
                }
                header_seen = true;
                return ControlFlow::Continue(());
            }
            f(Row {
                number,
                cells: RowCells::Csv(record),
            })
        })
    }
}

fn embedded_newlines(rec: &::csv::StringRecord) -> u64 {
    rec.as_slice().bytes().filter(|b| *b == b'\n').count() as u64
}

/// Takes the `\r` of a CRLF line end off the last field; a lone `\r` record becomes empty.
fn clean(mut rec: ::csv::StringRecord) -> ::csv::StringRecord {
    let last_has_cr = rec.iter().next_back().is_some_and(|l| l.ends_with('\r'));
    if last_has_cr {
        let n = rec.len();
        let fields: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i + 1 == n {
                    f.trim_end_matches('\r').to_string()
                } else {
                    f.to_string()
                }
            })
            .collect();
        rec = ::csv::StringRecord::from(fields);
    }
    rec
}

fn skip_utf8_bom<R: io::BufRead>(r: &mut R) -> io::Result<()> {
    let buf = r.fill_buf()?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(())
}

/// UTF-8 / UTF-16 by byte-order mark; else UTF-8 when every byte is valid UTF-8, else
/// Windows-1252. The whole file is read once, so a bad byte at row 900,000 is not missed, and
/// its line breaks are counted on the way (an estimate of its rows, for sizing and progress).
fn detect_encoding(
    file: &mut File,
    choice: EncodingChoice,
) -> io::Result<(&'static Encoding, u64)> {
    let mut head = [0u8; 3];
    let n = read_up_to(file, &mut head)?;
    file.seek(SeekFrom::Start(0))?;
    let bom = match head[..n.min(2)] {
        [0xFF, 0xFE] => Some(UTF_16LE),
        [0xFE, 0xFF] => Some(UTF_16BE),
        _ => None,
    };
    let check = choice == EncodingChoice::Auto && bom.is_none();
    let (valid_utf8, lines) = survey(file, check)?;
    let encoding = match choice {
        EncodingChoice::Utf8 => UTF_8,
        EncodingChoice::Windows1252 => WINDOWS_1252,
        EncodingChoice::Auto => bom.unwrap_or(if valid_utf8 { UTF_8 } else { WINDOWS_1252 }),
    };
    Ok((encoding, lines))
}

/// One pass over the file: whether it is valid UTF-8 (when `check_utf8`) and how many line
/// breaks it has.
fn survey(file: &mut File, check_utf8: bool) -> io::Result<(bool, u64)> {
    let mut buf = vec![0u8; 1 << 16];
    let mut carry = 0usize;
    let mut valid = true;
    let mut check = check_utf8;
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok((valid && carry == 0, lines));
        }
        lines += buf[carry..carry + n]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        let end = carry + n;
        carry = 0;
        if !check {
            continue;
        }
        match std::str::from_utf8(&buf[..end]) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                // A character cut at the buffer's end: keep its bytes for the next read.
                let ok = e.valid_up_to();
                buf.copy_within(ok..end, 0);
                carry = end - ok;
            }
            Err(_) => {
                valid = false;
                check = false;
            }
        }
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while total < buf.len() {
        let n = file.read(&mut buf[total..])?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// The first non-empty line of the file, decoded (quoted line breaks are not followed: a
/// header with one is rare and the delimiter count is still right up to it).
fn first_line(path: &Path, encoding: &'static Encoding) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let n = read_up_to(&mut file, &mut buf)?;
    let (text, _, _) = encoding.decode(&buf[..n]);
    Ok(text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string())
}

/// The most frequent of `,` `;` tab `|` outside quotes; `,` when none appears.
pub fn sniff_delimiter(line: &str) -> u8 {
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
}
