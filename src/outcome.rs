//! What became of a row: its status and the columns of its results line. Known to the
//! pipeline, the results writer and `--resume` alike.

/// The results file's fixed columns, in order; [`TOOL_COLUMNS`] follow them.
pub(crate) const RESULT_COLUMNS: [&str; 8] = [
    "row",
    "sheet",
    "kind",
    "status",
    "id",
    "error_code",
    "specific_code",
    "error",
];

/// The columns after [`RESULT_COLUMNS`], before the user's: what an update changes, the values
/// the row sends, and a plan line's checksum (so `apply` refuses a line edited by hand). A
/// results file fed back in may have them or not; they are never echoed.
pub(crate) const TOOL_COLUMNS: [&str; 3] = ["changes", "sent", "checksum"];

/// How many leading columns of a results file's header are the tool's own: the fixed ones,
/// then those of [`TOOL_COLUMNS`] that follow in order. (0: not a results file.)
pub(crate) fn own_columns<S: AsRef<str>>(headers: &[S]) -> usize {
    let fixed = headers.len() >= RESULT_COLUMNS.len()
        && headers
            .iter()
            .zip(RESULT_COLUMNS)
            .all(|(h, r)| h.as_ref().eq_ignore_ascii_case(r));
    if !fixed {
        return 0;
    }
    RESULT_COLUMNS.len()
        + headers[RESULT_COLUMNS.len()..]
            .iter()
            .zip(TOOL_COLUMNS)
            .take_while(|(h, t)| h.as_ref().eq_ignore_ascii_case(t))
            .count()
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Dry run: the row would be sent.
    Valid,
    /// The row has problems and was not sent.
    Invalid,
    Created,
    Updated,
    /// The account already holds every value the row would send: nothing sent.
    Unchanged,
    /// Sent, and the API refused it or retries ran out.
    Failed,
    /// Valid but not sent in this run because the run stopped.
    Skipped,
    /// Not sent because the account disagrees with the row (name exists, several matches, id
    /// not on the account).
    Conflict,
    /// A plan: an import would create this row.
    Create,
    /// A plan: an import would update this row's record.
    Update,
}

impl Status {
    pub(crate) const ALL: [Status; 10] = [
        Status::Valid,
        Status::Invalid,
        Status::Created,
        Status::Updated,
        Status::Unchanged,
        Status::Failed,
        Status::Skipped,
        Status::Conflict,
        Status::Create,
        Status::Update,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Conflict => "conflict",
            Status::Create => "create",
            Status::Update => "update",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A row in this state needs nothing more: `--resume` keeps it.
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Status::Created | Status::Updated | Status::Unchanged)
    }
}

/// The result columns of one line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub status: Status,
    pub id: Option<u64>,
    pub error_code: Option<u32>,
    pub specific_code: Option<u32>,
    pub error: String,
    /// What the row changes on its record, field by field (`cost: 150 → 999`), or why fields
    /// are left as they are; empty when there is nothing to say.
    pub changes: String,
}

impl Verdict {
    pub(crate) fn new(status: Status) -> Verdict {
        Verdict {
            status,
            id: None,
            error_code: None,
            specific_code: None,
            error: String::new(),
            changes: String::new(),
        }
    }

    pub(crate) fn with_id(status: Status, id: u64) -> Verdict {
        Verdict {
            id: Some(id),
            ..Verdict::new(status)
        }
    }

    pub(crate) fn with_error(status: Status, error: impl Into<String>) -> Verdict {
        Verdict {
            error: error.into(),
            ..Verdict::new(status)
        }
    }
}

/// A plan line's checksum over the columns the tool wrote (row, sheet, kind, status, id,
/// changes, sent), so `apply` can tell a line edited by hand. It guards against edits, not
/// forgery: anyone may recompute it.
pub(crate) fn line_checksum(fields: &[&str]) -> String {
    use std::hash::Hasher;
    let mut h = crate::fnv::Fnv1a::default();
    h.write(b"ivvy-import plan 1");
    for f in fields {
        h.write(&[0x1f]);
        h.write(f.as_bytes());
    }
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_header_with_or_without_the_tool_columns_is_recognised() {
        let mut h: Vec<&str> = RESULT_COLUMNS.to_vec();
        h.push("name");
        assert_eq!(own_columns(&h), 8, "an earlier version's results file");
        let mut h: Vec<&str> = RESULT_COLUMNS
            .iter()
            .chain(&TOOL_COLUMNS)
            .copied()
            .collect();
        h.push("sent");
        assert_eq!(
            own_columns(&h),
            11,
            "a user's own `sent` column after them is echoed"
        );
        assert_eq!(own_columns(&["name", "cost"]), 0);
    }

    #[test]
    fn the_checksum_changes_with_any_tool_column() {
        let base = ["2", "", "source", "update", "7", "cost: 1 → 2", "cost=2"];
        let sum = line_checksum(&base);
        for i in 0..base.len() {
            let mut edited = base;
            edited[i] = "x";
            assert_ne!(line_checksum(&edited), sum, "column {i}");
        }
        // Fields are separated: moving text from one to the next changes it too.
        assert_ne!(line_checksum(&["ab", "c"]), line_checksum(&["a", "bc"]));
    }
}
