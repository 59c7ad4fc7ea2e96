//! The results CSV: the fixed columns, then the row's echoed cells; flushed as written.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::replace::{self, Released};
use crate::bytes::any_of;
use crate::kind::Kind;
use crate::outcome::{RESULT_COLUMNS, TOOL_COLUMNS, Verdict, line_checksum, values_checksum};
use crate::record::{Record, show};

/// Writes the results file of one input file.
///
/// A line is put together in one buffer and handed to the file whole. A field is quoted when
/// `csv::Writer` would quote it with its defaults (comma, `"` doubled, `\n` line ends), and
/// quoted by `csv_core`, so the lines are exactly what `csv::Writer` writes.
pub(crate) struct ResultsWriter {
    out: BufWriter<File>,
    line: CsvLine,
    echo_len: usize,
    /// The `sent` text of the line being written.
    sent: String,
    /// Every value of the line's record (plan lines: their checksum covers them).
    all: String,
    /// Plan lines carry a checksum over the tool's columns.
    checksum: bool,
    /// The file this one replaced, being let go (see [`replace`]).
    _released: Released,
}

impl ResultsWriter {
    /// Creates (replaces) the file and writes the header: the fixed columns, then `echo`.
    /// `bom`: start with a UTF-8 byte-order mark, so Excel reads the file as UTF-8.
    /// `excel_safe`: formula-like cells get a leading `'` (see [`crate::excel_safe`]).
    pub(crate) fn create(
        path: &Path,
        echo: &[String],
        bom: bool,
        excel_safe: bool,
    ) -> io::Result<ResultsWriter> {
        let (file, released) = replace::create(path)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = ResultsWriter {
            out,
            line: CsvLine::excel_safe(excel_safe),
            echo_len: echo.len(),
            sent: String::with_capacity(128),
            all: String::new(),
            checksum: false,
            _released: released,
        };
        for h in RESULT_COLUMNS
            .iter()
            .chain(&TOOL_COLUMNS)
            .copied()
            .chain(echo.iter().map(String::as_str))
        {
            w.field(h.as_bytes());
        }
        w.end_line()?;
        // On disk at once: a crash before the first row still leaves a results file.
        w.flush()?;
        Ok(w)
    }

    /// Plan lines carry a checksum over the columns the tool wrote.
    pub(crate) fn with_checksum(mut self, on: bool) -> ResultsWriter {
        self.checksum = on;
        self
    }

    fn plain(&mut self, f: &[u8]) {
        self.line.plain(f);
    }

    fn field(&mut self, f: &[u8]) {
        self.line.field(f);
    }

    /// Ends the line and hands it to the file.
    fn end_line(&mut self) -> io::Result<()> {
        self.line.end(&mut self.out)
    }

    /// Writes one line. `sent`: the record the row sends (or would send), and its fields'
    /// cells.
    #[expect(
        clippy::too_many_arguments,
        reason = "one line's columns, each its own kind"
    )]
    pub(crate) fn write<S: AsRef<str>>(
        &mut self,
        row: u32,
        sheet: &str,
        kind: Option<Kind>,
        v: &Verdict,
        input_id: &str,
        sent: Option<Sent<'_>>,
        echo: impl IntoIterator<Item = S>,
    ) -> io::Result<()> {
        let mut itoa = itoa::Buffer::new();
        let mut row_text = itoa::Buffer::new();
        let row_text = row_text.format(row);
        self.plain(row_text.as_bytes());
        self.field(sheet.as_bytes());
        let kind_text = kind.map_or("", Kind::as_str);
        self.plain(kind_text.as_bytes());
        self.plain(v.status.as_str().as_bytes());
        // The returned id, else the row's own id cell (so the file can be fed back in).
        let id_text = match v.id {
            Some(id) => itoa.format(id),
            None => input_id,
        };
        self.field(id_text.as_bytes());
        self.plain(opt_num(v.error_code).as_bytes());
        self.plain(opt_num(v.specific_code).as_bytes());
        self.field(v.error.as_bytes());
        self.field(v.changes.as_bytes());
        let mut sent_text = std::mem::take(&mut self.sent);
        sent_text.clear();
        let quoted = sent
            .as_ref()
            .is_some_and(|s| show::write_sent(s.record, s.as_read, &mut sent_text));
        // Numbers and booleans alone never need quotes (`cost=2500; isReferral=true`).
        if quoted {
            self.field(sent_text.as_bytes());
        } else {
            self.plain(sent_text.as_bytes());
        }
        if self.checksum {
            self.all.clear();
            if let Some(s) = &sent {
                show::write_all(s.record, &mut self.all);
            }
            let mut sum = line_checksum(&[
                row_text,
                sheet,
                kind_text,
                v.status.as_str(),
                id_text,
                &v.changes,
                &sent_text,
            ]);
            sum.push_str(&values_checksum(&self.all));
            self.plain(sum.as_bytes());
        } else {
            self.plain(b"");
        }
        self.sent = sent_text;
        let mut n = 0;
        for cell in echo {
            self.field(cell.as_ref().as_bytes());
            n += 1;
        }
        debug_assert_eq!(n, self.echo_len);
        self.end_line()
    }

    /// The `sent` text of the line written last.
    pub(crate) fn last_sent(&self) -> &str {
        &self.sent
    }

    /// Pushes what is written to the file, so a crash leaves only whole, true lines.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A record a line sends, and the fields it sends exactly as their cells read.
#[derive(Clone, Copy)]
pub(crate) struct Sent<'a> {
    pub record: &'a Record,
    pub as_read: show::FieldSet,
}

/// One CSV line being put together, fields quoted as `csv::Writer` quotes them by default
/// (comma, `"` doubled, `\n` line ends): the one way this tool writes CSV (results, exports,
/// templates). The third field: `--excel-safe-csv` (a formula-like field gets a leading `'`;
/// a field already starting with `'` and a formula character gets one more either way, see
/// [`crate::excel_safe`]).
#[derive(Debug, Default)]
pub(crate) struct CsvLine(Vec<u8>, usize, bool);

impl CsvLine {
    /// A line whose formula-like fields get a leading `'` when `on`.
    pub(crate) fn excel_safe(on: bool) -> CsvLine {
        CsvLine(Vec::new(), 0, on)
    }

    /// Starts a field: after a comma unless it is the first.
    fn next(&mut self) {
        if self.1 > 0 {
            self.0.push(b',');
        }
        self.1 += 1;
    }

    /// Adds a field that never needs quotes (a number, a kind, a status), nor a mark: it never
    /// starts like a formula.
    pub(crate) fn plain(&mut self, f: &[u8]) {
        self.next();
        debug_assert!(!crate::excel_safe::marked(f, true), "{f:?}");
        // Most of a line's fixed columns are empty: no copy for them.
        if !f.is_empty() {
            self.0.extend_from_slice(f);
        }
    }

    /// Adds a field, quoted if it needs to be.
    #[inline]
    pub(crate) fn field(&mut self, f: &[u8]) {
        if f.is_empty() {
            self.next();
            return;
        }
        if crate::excel_safe::marked(f, self.2) {
            self.marked_field(f);
            return;
        }
        self.next();
        if needs_quotes(f) {
            self.quoted(b"", f);
        } else {
            self.0.extend_from_slice(f);
        }
    }

    /// Adds a field with a leading `'` (see [`crate::excel_safe`]), quoted if it needs to be.
    #[cold]
    fn marked_field(&mut self, f: &[u8]) {
        self.next();
        if needs_quotes(f) {
            self.quoted(b"'", f);
        } else {
            self.0.push(b'\'');
            self.0.extend_from_slice(f);
        }
    }

    /// Adds `mark` and `f` in quotes, every `"` of `f` doubled.
    fn quoted(&mut self, mark: &[u8], f: &[u8]) {
        self.0.reserve(f.len() + mark.len() + 8);
        self.0.push(b'"');
        self.0.extend_from_slice(mark);
        let mut rest = f;
        while let Some(i) = memchr::memchr(b'"', rest) {
            self.0.extend_from_slice(&rest[..=i]);
            self.0.push(b'"');
            rest = &rest[i + 1..];
        }
        self.0.extend_from_slice(rest);
        self.0.push(b'"');
    }

    /// Ends the line and writes it whole to `out`.
    pub(crate) fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        // A line of one empty field is `""`, or it would read as a blank line.
        if self.1 == 1 && self.0.is_empty() {
            self.0.extend_from_slice(b"\"\"");
        }
        self.0.push(b'\n');
        let r = out.write_all(&self.0);
        self.0.clear();
        self.1 = 0;
        r
    }

    /// Writes one whole line of these fields to `out`.
    pub(crate) fn record<F: AsRef<[u8]>>(
        out: &mut impl Write,
        fields: impl IntoIterator<Item = F>,
    ) -> io::Result<()> {
        CsvLine::default().line(out, fields)
    }

    /// Writes one whole line of these fields to `out`, as this line's option says.
    pub(crate) fn line<F: AsRef<[u8]>>(
        &mut self,
        out: &mut impl Write,
        fields: impl IntoIterator<Item = F>,
    ) -> io::Result<()> {
        for f in fields {
            self.field(f.as_ref());
        }
        self.end(out)
    }
}

/// Whether a field needs quotes as `csv::Writer` writes it by default: it holds the comma, the
/// quote, or a line break.
#[inline(always)]
fn needs_quotes(f: &[u8]) -> bool {
    any_of(f, [b',', b'"', b'\n', b'\r'])
}

fn opt_num(n: Option<u32>) -> Cow<'static, str> {
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
}

#[cfg(test)]
mod tests;
