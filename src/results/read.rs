//! The one reader of a results CSV: what an earlier run finished (its created, updated and
//! unchanged lines), for `--resume` and the guard. Every other output of a run is fed the
//! typed rows as they are written and never reads a results file back.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use crate::excel_safe::strip;
use crate::kind::Kind;
use crate::outcome::{RESULT_COLUMNS, Status, own_columns};
use crate::results::journal::{RowKey, fingerprint};

/// A row an earlier run created or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Done {
    pub kind: Kind,
    pub status: Status,
    pub id: u64,
    pub fingerprint: u64,
    /// The row's name then, for the message when it has changed.
    pub name: Option<String>,
}

/// Reads an earlier results file: its created/updated lines by row.
pub(crate) fn read_done(path: &Path) -> Result<HashMap<RowKey, Done>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    // The tool's own columns (the fixed ones, and changes, sent, checksum when present).
    let own = own_columns(&headers.iter().collect::<Vec<_>>());
    if own == 0 {
        return Err(format!(
            "{}: not a results file (its header does not start {})",
            path.display(),
            RESULT_COLUMNS.join(",")
        ));
    }
    let name_col = headers
        .iter()
        .enumerate()
        .skip(own)
        .find(|(_, h)| crate::input::headers::alias(h) == Some(crate::input::headers::Field::Name))
        .map(|(i, _)| i);
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
        // As the input held them: a cell written with a leading `'` (`--excel-safe-csv`)
        // without it.
        let echo: Vec<Cow<'_, str>> = rec
            .iter()
            .skip(own)
            .map(|c| Cow::Borrowed(strip(c)))
            .collect();
        let sheet = strip(rec.get(1).unwrap_or("")).to_string();
        done.insert(
            (sheet, row),
            Done {
                kind,
                status,
                id,
                fingerprint: fingerprint(&echo),
                name: name_col
                    .and_then(|i| rec.get(i))
                    .map(|n| strip(n).to_string()),
            },
        );
    }
    Ok(done)
}
