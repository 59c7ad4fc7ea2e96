//! The results CSV: one line per non-blank data row, in input order, flushed as written; and
//! the reader `--resume` uses to find the rows already done.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::fnv::Fnv1a;
use crate::input::headers::RESULT_COLUMNS;
use crate::record::Kind;

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Dry run: the row would be sent.
    Valid,
    /// The row has problems and was not sent.
    Invalid,
    Created,
    Updated,
    /// Sent, and the API refused it or retries ran out.
    Failed,
    /// Valid but not sent in this run because the run stopped.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "valid" => Status::Valid,
            "invalid" => Status::Invalid,
            "created" => Status::Created,
            "updated" => Status::Updated,
            "failed" => Status::Failed,
            "skipped" => Status::Skipped,
            _ => return None,
        })
    }

    /// A row in this state needs nothing more.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Created | Status::Updated)
    }
}

/// The result columns of one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub id: Option<u64>,
    pub error_code: Option<u32>,
    pub specific_code: Option<u32>,
    pub error: String,
}

impl Verdict {
    pub fn new(status: Status) -> Verdict {
        Verdict {
            status,
            id: None,
            error_code: None,
            specific_code: None,
            error: String::new(),
        }
    }
}

/// Writes the results file of one input file.
pub struct ResultsWriter {
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
    echo_len: usize,
}

impl ResultsWriter {
    /// Creates (truncates) the file and writes the header: the fixed columns, then `echo`.
    pub fn create(path: &Path, echo: &[String]) -> io::Result<ResultsWriter> {
        let file = File::create(path)?;
        let mut out = csv::WriterBuilder::new()
            .flexible(false)
            .from_writer(BufWriter::with_capacity(1 << 16, file));
        let header = RESULT_COLUMNS
            .iter()
            .copied()
            .chain(echo.iter().map(String::as_str));
        out.write_record(header).map_err(io::Error::other)?;
        Ok(ResultsWriter {
            path: path.to_path_buf(),
            out,
            echo_len: echo.len(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(
        &mut self,
        row: u32,
        sheet: &str,
        kind: Option<Kind>,
        v: &Verdict,
        input_id: &str,
        echo: &[Cow<'_, str>],
    ) -> io::Result<()> {
        debug_assert_eq!(echo.len(), self.echo_len);
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
        for cell in echo {
            o.write_field(cell.as_ref()).map_err(e)?;
        }
        o.write_record(None::<&[u8]>).map_err(e)?;
        Ok(())
    }

    /// Pushes what is written to the file, so a crash leaves only whole, true lines.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn opt_num(n: Option<u32>) -> Cow<'static, str> {
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
}

/// A fingerprint of a row's echoed cells, so `--resume` notices a changed input row.
pub fn fingerprint(echo: &[Cow<'_, str>]) -> u64 {
    let mut h = Fnv1a::default();
    for c in echo {
        h.write(c.as_bytes());
        h.write(&[0x1f]);
    }
    h.finish()
}

/// A row an earlier run created or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub kind: Kind,
    pub status: Status,
    pub id: u64,
    pub fingerprint: u64,
}

/// The key a row is known by across runs: its sheet (empty for CSV) and row number.
pub type RowKey = (String, u32);

/// Reads an earlier results file: its created/updated lines by row.
pub fn read_done(path: &Path) -> Result<HashMap<RowKey, Done>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let fixed = headers.len() >= RESULT_COLUMNS.len()
        && headers.iter().zip(RESULT_COLUMNS).all(|(a, b)| a == b);
    if !fixed {
        return Err(format!(
            "{}: not a results file (its header does not start {})",
            path.display(),
            RESULT_COLUMNS.join(",")
        ));
    }
    let mut done = HashMap::new();
    for rec in rdr.records() {
        // A torn last line (a crash mid-write) is not a done line: it has fewer fields than the
        // header, or does not parse. (Its row is then found in the journal or done again.)
        let Ok(rec) = rec else { continue };
        if rec.len() != headers.len() {
            continue;
        }
        let (Some(row), Some(kind), Some(status), Some(id)) = (
            rec.get(0).and_then(|r| r.parse::<u32>().ok()),
            rec.get(2).and_then(Kind::parse),
            rec.get(3).and_then(Status::parse),
            rec.get(4).and_then(|i| i.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if !status.is_done() {
            continue;
        }
        let echo: Vec<Cow<'_, str>> = rec
            .iter()
            .skip(RESULT_COLUMNS.len())
            .map(Cow::Borrowed)
            .collect();
        let sheet = rec.get(1).unwrap_or("").to_string();
        done.insert(
            (sheet, row),
            Done {
                kind,
                status,
                id,
                fingerprint: fingerprint(&echo),
            },
        );
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_done_lines_are_read_back_with_their_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ResultsWriter::create(&p, &["name".into(), "cost".into()]).unwrap();
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
        let d = done[&(String::new(), 2)];
        assert_eq!(d.id, 42);
        assert_eq!(d.fingerprint, fingerprint(&echo));
    }
}
