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

    /// A row in this state needs the user: its problems are marked on its cells.
    pub(crate) fn is_marked(self) -> bool {
        matches!(self, Status::Invalid | Status::Failed | Status::Conflict)
    }

    /// Where listings (the report, the workbook's Summary) put this status: what went well
    /// first, what needs the user last.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Create => 1,
            Status::Created => 2,
            Status::Update => 3,
            Status::Updated => 4,
            Status::Unchanged => 5,
            Status::Skipped => 6,
            Status::Conflict => 7,
            Status::Invalid => 8,
            Status::Failed => 9,
        }
    }

    /// The colour the report draws this status in.
    pub(crate) fn colour(self) -> &'static str {
        match self {
            Status::Valid | Status::Created | Status::Create => "#2e7d32",
            Status::Updated | Status::Update => "#1565c0",
            Status::Unchanged => "#78909c",
            Status::Skipped => "#f9a825",
            Status::Conflict => "#ef6c00",
            Status::Invalid => "#c62828",
            Status::Failed => "#6a1b9a",
        }
    }
}

/// The words a problem is named by, the same on every row that has it and in every output of
/// the run (the summary, the results' `error`, the workbook, the report): `cost: not an
/// amount`, `lead source does not exist (400/24325)`. Made where the problem is found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ProblemLabel(String);

impl ProblemLabel {
    pub(crate) fn new(words: impl Into<String>) -> ProblemLabel {
        ProblemLabel(words.into())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ProblemLabel {
    fn from(words: &str) -> ProblemLabel {
        ProblemLabel(words.to_string())
    }
}

impl std::fmt::Display for ProblemLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to do about a problem: in plain words for the staff who fix the spreadsheet, and the
/// flag a consultant would reach for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Remedy {
    /// Correct the cell.
    FixCell,
    /// Two rows carry one name.
    Duplicate,
    /// An amount written with a decimal comma.
    DecimalComma,
    /// The table holds the other kind of record.
    OtherKind,
    /// A formula saved without its value.
    SaveInSpreadsheet,
    /// The account already holds a record of that name, or disagrees with the row.
    Conflict,
    /// The API refused the row.
    Refused,
    /// The row was not finished (the run stopped, an answer was lost, retries ran out).
    Resume,
    /// The row changed since an earlier run made its record.
    Changed,
}

impl Remedy {
    /// The next step in plain words.
    pub(crate) fn plain(self) -> &'static str {
        match self {
            Remedy::FixCell => {
                "Correct the marked cell in the spreadsheet, then run the file again."
            }
            Remedy::Duplicate => {
                "Two rows carry the same name: rename or remove one of them, then run the file again."
            }
            Remedy::DecimalComma => {
                "Write the amount with a decimal point (7.5), or say that the file uses decimal commas."
            }
            Remedy::OtherKind => {
                "The sheet holds the other kind of record: check that the right sheet or file was chosen."
            }
            Remedy::SaveInSpreadsheet => {
                "Open the file in Excel or LibreOffice and save it, so its formulas keep their values."
            }
            Remedy::Conflict => {
                "iVvy already holds a record of that name: decide whether to update it or to create another."
            }
            Remedy::Refused => {
                "iVvy refused the row: check its values in iVvy, or ask iVvy support quoting the code shown."
            }
            Remedy::Resume => {
                "The row was not finished: run the same command again to finish the rows left."
            }
            Remedy::Changed => {
                "The row changed since an earlier run made its record: restore the row, or import the changed file into a new results file."
            }
        }
    }

    /// The flag that does it, if one does.
    pub(crate) fn flag(self) -> Option<&'static str> {
        match self {
            Remedy::DecimalComma => Some("--decimal-comma"),
            Remedy::OtherKind => Some("--kind, --sheet"),
            Remedy::Conflict => Some("--match-by-name or --allow-duplicates"),
            Remedy::Resume => Some("--resume"),
            Remedy::Changed => Some("-o"),
            Remedy::FixCell | Remedy::Duplicate | Remedy::SaveInSpreadsheet | Remedy::Refused => {
                None
            }
        }
    }
}

/// One problem of one row: its label, how this row words it, and the user's column it is about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowProblem {
    pub label: ProblemLabel,
    /// This row's own words for it; `None`: the row's whole `error`.
    pub text: Option<String>,
    /// The column (as the file names it) whose cell the problem is about.
    pub column: Option<String>,
    pub remedy: Remedy,
}

impl RowProblem {
    /// A problem the row's whole `error` words (an API refusal, a conflict, a stopped run),
    /// with the remedy its verdict calls for.
    pub(crate) fn whole(label: ProblemLabel, verdict: &Verdict) -> RowProblem {
        let remedy = match verdict.status {
            Status::Conflict => Remedy::Conflict,
            Status::Failed if verdict.error_code.is_some() => Remedy::Refused,
            _ => Remedy::Resume,
        };
        RowProblem {
            label,
            text: None,
            column: None,
            remedy,
        }
    }

    /// How this row words the problem.
    pub(crate) fn text<'a>(&'a self, verdict: &'a Verdict) -> &'a str {
        self.text.as_deref().unwrap_or(&verdict.error)
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
    /// Done by the earlier run that `--resume` finishes: its outcome is kept, not made now.
    pub kept: bool,
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
            kept: false,
            changes: String::new(),
        }
    }

    /// The outcome of a row the earlier run did, kept by `--resume`.
    pub(crate) fn kept(status: Status, id: u64) -> Verdict {
        Verdict {
            kept: true,
            ..Verdict::with_id(status, id)
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

/// A plan line's second checksum, over every value its record sends (the `sent` column lists
/// only those not shown as their cells read), so `apply` can tell a row whose cells were
/// edited since the plan.
pub(crate) fn values_checksum(all: &str) -> String {
    line_checksum(&["values", all])
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
