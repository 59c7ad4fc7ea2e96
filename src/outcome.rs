//! What became of a row: its status and the columns of its results line. Known to the
//! pipeline, the results writer and `--resume` alike.

/// The results file's fixed columns, in order.
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
    /// Done by the earlier run that `--resume` finishes: its outcome is kept, not made now.
    pub kept: bool,
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
