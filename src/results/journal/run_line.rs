//! The journal's "batch about to run" line: each job of the batch (its row, and what it asked
//! for, so a resumed run can match the server's results by content and look creates up by
//! name without the input) and when it was sent.

use serde::{Deserialize, Serialize};

use super::RowKey;
use crate::kind::Kind;

/// One job of a batch about to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunJob {
    pub sheet: String,
    pub row: u32,
    pub kind: String,
    /// The name sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id an update sent (None: a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

impl RunJob {
    pub(crate) fn key(&self) -> RowKey {
        (self.sheet.clone(), self.row)
    }

    pub(crate) fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }
}

/// A batch an earlier run was about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunLine {
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub jobs: Vec<RunJob>,
}

impl RunLine {
    pub(crate) fn keys(&self) -> Vec<RowKey> {
        self.jobs.iter().map(RunJob::key).collect()
    }
}

/// Milliseconds since the Unix epoch (0 for a clock before it).
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
