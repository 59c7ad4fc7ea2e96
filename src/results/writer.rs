//! The results CSV: the fixed columns, then the row's echoed cells; flushed as written.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::replace::{self, Released};
use crate::bytes::any_byte;
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
        if let Some(s) = &sent {
            show::write_sent(s.record, s.as_read, &mut sent_text);
        }
        self.field(sent_text.as_bytes());
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
        self.0.extend_from_slice(f);
    }

    /// Adds a field, quoted if it needs to be.
    pub(crate) fn field(&mut self, f: &[u8]) {
        if crate::excel_safe::marked(f, self.2) {
            self.marked_field(f);
            return;
        }
        self.next();
        if !needs_quotes(f) {
            self.0.extend_from_slice(f);
            return;
        }
        // Quoted, every `"` doubled: at most twice as long, and the two quotes.
        let start = self.0.len();
        self.0.resize(start + 2 * f.len() + 2, 0);
        self.0[start] = b'"';
        let (_, _, n) = csv_core::quote(f, &mut self.0[start + 1..], b'"', b'\\', true);
        self.0.truncate(start + 1 + n);
        self.0.push(b'"');
    }

    /// Adds a field with a leading `'` (see [`crate::excel_safe`]), quoted if it needs to be.
    #[cold]
    fn marked_field(&mut self, f: &[u8]) {
        self.next();
        if !needs_quotes(f) {
            self.0.push(b'\'');
            self.0.extend_from_slice(f);
            return;
        }
        let start = self.0.len();
        self.0.resize(start + 2 * f.len() + 3, 0);
        self.0[start] = b'"';
        self.0[start + 1] = b'\'';
        let (_, _, n) = csv_core::quote(f, &mut self.0[start + 2..], b'"', b'\\', true);
        self.0.truncate(start + 2 + n);
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
    any_byte(f, |b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

fn opt_num(n: Option<u32>) -> Cow<'static, str> {
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;
    use crate::results::journal::{fingerprint, read_done};
    #[test]
    fn written_done_lines_are_read_back_with_their_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w =
            ResultsWriter::create(&p, &["name".into(), "cost".into()], false, false).unwrap();
        let mut v = Verdict::new(Status::Created);
        v.id = Some(42);
        let echo = [Cow::Borrowed("Expo, \"big\""), Cow::Borrowed("12")];
        w.write(2, "", Some(Kind::Source), &v, "", None, &echo)
            .unwrap();
        w.write(
            3,
            "",
            Some(Kind::Source),
            &Verdict::new(Status::Failed),
            "7",
            None,
            &echo,
        )
        .unwrap();
        w.flush().unwrap();
        let done = read_done(&p).unwrap();
        assert_eq!(done.len(), 1);
        // A line torn inside its id is not taken for a done line with a shorter id.
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("4,,source,created,10");
        std::fs::write(&p, text).unwrap();
        assert_eq!(read_done(&p).unwrap().len(), 1);
        let d = &done[&(String::new(), 2)];
        assert_eq!(d.id, 42);
        assert_eq!(d.fingerprint, fingerprint(&echo));
    }

    proptest::proptest! {
        /// A field is quoted exactly when `csv_core` says it must be.
        #[test]
        fn quotes_are_needed_where_csv_core_needs_them(f in proptest::collection::vec(
            proptest::prop_oneof![proptest::num::u8::ANY, proptest::sample::select(b",\"\r\n a".to_vec())],
            0..40,
        )) {
            proptest::prop_assert_eq!(needs_quotes(&f), csv_core::Writer::new().should_quote(&f));
        }

        /// Lines are exactly what `csv::Writer` writes for the same fields, whatever they hold.
        #[test]
        fn lines_match_the_csv_crate(
            sheet in "[a-z ,\"]{0,6}",
            error in "(\\PC|[,\"\r\n]){0,20}",
            echo in proptest::collection::vec("(\\PC|[,\"\r\n\t ]){0,12}", 2),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("r.csv");
            let header = vec!["name".to_string(), "note, \"x\"".to_string()];
            let mut w = ResultsWriter::create(&p, &header, false, false).unwrap();
            let v = Verdict::with_error(Status::Failed, error.clone());
            w.write(7, &sheet, Some(Kind::Stage), &v, "12", None, &echo).unwrap();
            w.flush().unwrap();
            let mut expected = csv::Writer::from_writer(Vec::new());
            let fixed = RESULT_COLUMNS.iter().chain(&TOOL_COLUMNS).map(ToString::to_string);
            expected.write_record(fixed.chain(header.iter().cloned())).unwrap();
            let line = ["7", &sheet, "stage", "failed", "12", "", "", &error, "", "", ""];
            expected
                .write_record(line.iter().copied().chain(echo.iter().map(String::as_str)).map(as_written))
                .unwrap();
            let expected = expected.into_inner().unwrap();
            proptest::prop_assert_eq!(std::fs::read(&p).unwrap(), expected);
        }

        #[test]
        fn any_record_is_written_as_the_csv_crate_writes_it(
            fields in proptest::collection::vec("(\\PC|[,\"\r\n\t ]){0,8}", 1..5),
        ) {
            let mut ours = Vec::new();
            CsvLine::record(&mut ours, &fields).unwrap();
            let mut theirs = csv::Writer::from_writer(Vec::new());
            theirs.write_record(fields.iter().map(|f| as_written(f))).unwrap();
            proptest::prop_assert_eq!(ours, theirs.into_inner().unwrap());
        }

        /// With --excel-safe-csv no field read back starts as a formula, and each loses its
        /// mark to `strip`: the fields as they were.
        #[test]
        fn excel_safe_fields_read_back_as_they_were(
            fields in proptest::collection::vec("['=+\\-@\t\r]{0,3}(\\PC|[,\"\r\n\t ]){0,8}", 1..5),
        ) {
            let mut ours = Vec::new();
            CsvLine::excel_safe(true).line(&mut ours, &fields).unwrap();
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&ours[..]);
            let rec = r.records().next().unwrap().unwrap();
            proptest::prop_assert_eq!(rec.len(), fields.len());
            for (got, f) in rec.iter().zip(&fields) {
                proptest::prop_assert!(!got.starts_with(['=', '+', '-', '@', '\t', '\r']), "{got:?}");
                proptest::prop_assert_eq!(crate::excel_safe::strip(got), f.as_str());
            }
        }
    }

    /// A field as the writer writes it without --excel-safe-csv: as it is, unless it starts
    /// with `'` and a formula character (one more `'`).
    fn as_written(f: &str) -> String {
        if crate::excel_safe::marked(f.as_bytes(), false) {
            format!("'{f}")
        } else {
            f.to_string()
        }
    }

    #[test]
    fn excel_safe_results_mark_formula_like_cells_and_read_back_without_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let header = ["name".to_string(), "=notes".to_string()];
        let mut w = ResultsWriter::create(&p, &header, false, true).unwrap();
        let v = Verdict::with_id(Status::Created, 9);
        let echo = [
            Cow::Borrowed("=HYPERLINK(\"http://x\",\"go\")"),
            Cow::Borrowed("-5"),
        ];
        w.write(2, "@sheet", Some(Kind::Source), &v, "", None, &echo)
            .unwrap();
        w.write(
            3,
            "",
            None,
            &Verdict::new(Status::Invalid),
            "+1",
            None,
            &echo,
        )
        .unwrap();
        w.flush().unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(",name,'=notes"), "{text}");
        assert_eq!(
            lines[1],
            "2,'@sheet,source,created,9,,,,,,,\"'=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",'-5"
        );
        assert!(lines[2].starts_with("3,,,invalid,'+1,"), "{text}");
        let done = read_done(&p).unwrap();
        let d = &done[&("@sheet".to_string(), 2)];
        assert_eq!(d.fingerprint, fingerprint(&echo));
        assert_eq!(d.name.as_deref(), Some("=HYPERLINK(\"http://x\",\"go\")"));
    }

    #[test]
    fn a_results_file_with_a_bom_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ResultsWriter::create(&p, &["name".into()], true, false).unwrap();
        let v = Verdict::with_id(Status::Created, 7);
        w.write(
            2,
            "",
            Some(Kind::Source),
            &v,
            "",
            None,
            &[Cow::Borrowed("Expo")],
        )
        .unwrap();
        w.flush().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFrow,"), "{bytes:?}");
        let done = read_done(&p).unwrap();
        assert_eq!(done[&(String::new(), 2)].id, 7);
    }
}
