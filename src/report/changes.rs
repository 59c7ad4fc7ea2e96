//! What the report shows of the `changes` column: the rows that update a record (status
//! `update` in a plan, `updated` in an import), grouped by status, then by the field changed,
//! each field with its count of rows and its first rows. A plan report is the document a
//! client signs, so it says field by field what the import will change.

use std::collections::BTreeMap;

use crate::outcome::Status;
use crate::results::line::Line;

/// Rows shown under each field.
pub(super) const ROWS_PER_FIELD: usize = 5;
/// Fields (per status) whose rows are kept; more are still counted.
const MAX_FIELDS: usize = 1000;

/// A row shown under a field.
#[derive(Debug)]
pub(super) struct ChangeRow {
    pub(super) file: usize,
    pub(super) row: u32,
    pub(super) sheet: String,
    /// The row's entry for the field, e.g. `cost: 150 → 999`.
    pub(super) entry: String,
}

/// The rows of one status that change one field.
#[derive(Debug, Default)]
pub(super) struct FieldChanges {
    pub(super) rows: u64,
    pub(super) first: Vec<ChangeRow>,
}

/// Update rows by status (in listing order), then by field (in name order).
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub(super) by_status: BTreeMap<(u8, Status), BTreeMap<String, FieldChanges>>,
}

impl Changes {
    /// One finished row of file `file`.
    pub(super) fn row(&mut self, file: usize, line: &Line<'_>) {
        let status = line.verdict.status;
        if !matches!(status, Status::Update | Status::Updated) || line.verdict.changes.is_empty() {
            return;
        }
        let fields = self.by_status.entry((status.rank(), status)).or_default();
        let mut seen: Vec<&str> = Vec::new();
        for entry in entries(&line.verdict.changes) {
            let field = field_of(entry);
            // A row counts once under a field, whatever it says of it.
            if seen.contains(&field) {
                continue;
            }
            seen.push(field);
            let tracked = fields.len();
            let group = match fields.get_mut(field) {
                Some(g) => g,
                None if tracked < MAX_FIELDS => fields.entry(field.to_string()).or_default(),
                None => continue,
            };
            group.rows += 1;
            if group.first.len() < ROWS_PER_FIELD {
                group.first.push(ChangeRow {
                    file,
                    row: line.row,
                    sheet: line.sheet.to_string(),
                    entry: entry.to_string(),
                });
            }
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_status.is_empty()
    }
}

/// The `; `-separated entries of a `changes` text. A `; ` inside a quoted value (values are
/// quoted and escaped as JSON strings) does not separate.
pub(super) fn entries(changes: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    let bytes = changes.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if quoted {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b';' && bytes.get(i + 1) == Some(&b' ') {
            out.push(&changes[start..i]);
            start = i + 2;
        }
    }
    out.push(&changes[start..]);
    out.retain(|e| !e.trim().is_empty());
    out
}

/// The field an entry is about: the text before its first `:` (the whole entry if none).
pub(super) fn field_of(entry: &str) -> &str {
    entry.split_once(':').map_or(entry, |(f, _)| f).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_split_on_separators_outside_quotes() {
        let text = r#"cost: 150 → 999; description: "a; b: \"c\"; d" → "New"; colour: sent (cannot be read back)"#;
        let e = entries(text);
        assert_eq!(
            e,
            [
                "cost: 150 → 999",
                r#"description: "a; b: \"c\"; d" → "New""#,
                "colour: sent (cannot be read back)",
            ]
        );
        let fields: Vec<&str> = e.iter().map(|e| field_of(e)).collect();
        assert_eq!(fields, ["cost", "description", "colour"]);
        assert!(entries("").is_empty());
    }
}
