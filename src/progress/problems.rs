//! The run's problems as the summary lists them: each label counted once, with its first
//! rows, failed rows' problems first.

use std::collections::HashMap;

use crate::outcome::{RowProblem, Status};
use crate::summary::{ProblemCount, RowRef};

/// How many rows of each problem the summary names.
const FIRST_ROWS: usize = 5;

/// Where a written row is: its file (as the progress names it), sheet and row number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowAt<'a> {
    pub file: &'a str,
    pub sheet: &'a str,
    pub row: u64,
}

/// One problem's count so far.
struct ProblemTally {
    count: u64,
    status: Status,
    first_rows: Vec<RowRef>,
}

/// The problems met so far, by label.
#[derive(Default)]
pub(super) struct Problems(HashMap<String, ProblemTally>);

impl Problems {
    /// Counts a written row's problems.
    pub(super) fn note(&mut self, problems: &[RowProblem], status: Status, at: RowAt<'_>) {
        for p in problems {
            let t = self
                .0
                .entry(p.label.to_string())
                .or_insert_with(|| ProblemTally {
                    count: 0,
                    status,
                    first_rows: Vec::new(),
                });
            t.count += 1;
            // A label met on a failed row counts as one a person must act on.
            if status == Status::Failed {
                t.status = Status::Failed;
            }
            if t.first_rows.len() < FIRST_ROWS {
                t.first_rows.push(RowRef {
                    file: at.file.to_string(),
                    sheet: at.sheet.to_string(),
                    row: at.row,
                });
            }
        }
    }

    /// The list the summary shows.
    pub(super) fn into_list(self) -> Vec<ProblemCount> {
        problem_list(self.0)
    }
}

/// The problems in the order a person should read them: those of failed rows first (the
/// rows to act on), then conflicts, then invalid rows, then the rest; each group most
/// frequent first.
fn problem_list(errors: HashMap<String, ProblemTally>) -> Vec<ProblemCount> {
    let rank = |s: Status| match s {
        Status::Failed => 0,
        Status::Conflict => 1,
        Status::Invalid => 2,
        _ => 3,
    };
    let mut list: Vec<(String, ProblemTally)> = errors.into_iter().collect();
    list.sort_by(|(la, a), (lb, b)| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.count.cmp(&a.count))
            .then(la.cmp(lb))
    });
    list.into_iter()
        .take(MAX_PROBLEMS)
        .map(|(label, t)| ProblemCount {
            label,
            count: t.count,
            status: t.status.as_str().to_string(),
            first_rows: t.first_rows,
        })
        .collect()
}

/// The most problems a summary lists.
const MAX_PROBLEMS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(count: u64, status: Status) -> ProblemTally {
        ProblemTally {
            count,
            status,
            first_rows: Vec::new(),
        }
    }

    #[test]
    fn failed_rows_problems_come_before_more_frequent_invalid_ones() {
        let mut errors = HashMap::new();
        for i in 0..6 {
            errors.insert(
                format!("column {i}: invalid"),
                tally(10 + i, Status::Invalid),
            );
        }
        errors.insert(
            "lead source is not editable (400/24326)".into(),
            tally(1, Status::Failed),
        );
        errors.insert(
            "conflict with the account".into(),
            tally(2, Status::Conflict),
        );
        let list = problem_list(errors);
        assert_eq!(list[0].label, "lead source is not editable (400/24326)");
        assert_eq!(list[0].status, "failed");
        assert_eq!(list[1].label, "conflict with the account");
        assert_eq!(list[2].label, "column 5: invalid");
        assert_eq!(list.len(), 8);
    }
}
