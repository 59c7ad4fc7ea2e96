//! The results CSV: the fixed columns, then the row's echoed cells; flushed as written.

use std::borrow::Cow;
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::fnv::Fnv1a;
use crate::kind::Kind;
use crate::outcome::{RESULT_COLUMNS, Verdict};

/// Writes the results file of one input file.
pub(crate) struct ResultsWriter {
    out: csv::Writer<BufWriter<File>>,
    echo_len: usize,
}

impl ResultsWriter {
    /// Creates (truncates) the file and writes the header: the fixed columns, then `echo`.
    /// `bom`: start with a UTF-8 byte-order mark, so Excel reads the file as UTF-8.
    pub(crate) fn create(path: &Path, echo: &[String], bom: bool) -> io::Result<ResultsWriter> {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        if bom {
            file.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut out = csv::WriterBuilder::new().flexible(false).from_writer(file);
        let header = RESULT_COLUMNS
            .iter()
            .copied()
            .chain(echo.iter().map(String::as_str));
        out.write_record(header).map_err(io::Error::other)?;
        // On disk at once: a crash before the first row still leaves a results file.
        out.flush()?;
        Ok(ResultsWriter {
            out,
            echo_len: echo.len(),
        })
    }

    pub(crate) fn write<S: AsRef<str>>(
        &mut self,
        row: u32,
        sheet: &str,
        kind: Option<Kind>,
        v: &Verdict,
        input_id: &str,
        echo: impl IntoIterator<Item = S>,
    ) -> io::Result<()> {
        let mut itoa = itoa::Buffer::new();
        let o = &mut self.out;
        let e = io::Error::other;
        o.write_field(itoa.format(row)).map_err(e)?;
        o.write_field(sheet).map_err(e)?;
        o.write_field(kind.map_or("", Kind::as_str)).map_err(e)?;
        o.write_field(v.status.as_str()).map_err(e)?;
        // The returned id, else the row's own id cell (so the file can be fed back in).
        match v.id {
            Some(id) => o.write_field(itoa.format(id)).map_err(e)?,
            None => o.write_field(input_id).map_err(e)?,
        }
        o.write_field(opt_num(v.error_code).as_ref()).map_err(e)?;
        o.write_field(opt_num(v.specific_code).as_ref())
            .map_err(e)?;
        o.write_field(&v.error).map_err(e)?;
        let mut n = 0;
        for cell in echo {
            o.write_field(cell.as_ref()).map_err(e)?;
            n += 1;
        }
        debug_assert_eq!(n, self.echo_len);
        o.write_record(None::<&[u8]>).map_err(e)?;
        Ok(())
    }

    /// Pushes what is written to the file, so a crash leaves only whole, true lines.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn opt_num(n: Option<u32>) -> Cow<'static, str> {
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
}

/// A fingerprint of a row's echoed cells, so `--resume` notices a changed input row.
pub(crate) fn fingerprint<S: AsRef<str>>(echo: impl IntoIterator<Item = S>) -> u64 {
    let mut h = Fnv1a::default();
    for c in echo {
        h.write(c.as_ref().as_bytes());
        h.write(&[0x1f]);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;
    use crate::resume::read_done;
    #[test]
    fn written_done_lines_are_read_back_with_their_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ResultsWriter::create(&p, &["name".into(), "cost".into()], false).unwrap();
        let mut v = Verdict::new(Status::Created);
        v.id = Some(42);
        let echo = [Cow::Borrowed("Expo, \"big\""), Cow::Borrowed("12")];
        w.write(2, "", Some(Kind::Source), &v, "", &echo).unwrap();
        w.write(
            3,
            "",
            Some(Kind::Source),
            &Verdict::new(Status::Failed),
            "7",
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

    #[test]
    fn a_results_file_with_a_bom_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ResultsWriter::create(&p, &["name".into()], true).unwrap();
        let v = Verdict::with_id(Status::Created, 7);
        w.write(2, "", Some(Kind::Source), &v, "", &[Cow::Borrowed("Expo")])
            .unwrap();
        w.flush().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFrow,"), "{bytes:?}");
        let done = read_done(&p).unwrap();
        assert_eq!(done[&(String::new(), 2)].id, 7);
    }
}
