//! The first rows of each problem, for `--json`'s `problems`: the counts and their order come
//! from the run's one tally (`results::tally`), the rows from here.

use std::collections::HashMap;

use crate::outcome::RowProblem;
use crate::results::tally::Tally;
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

/// The first rows met with each problem, by label.
#[derive(Default)]
pub(super) struct FirstRows(HashMap<String, Vec<RowRef>>);

impl FirstRows {
    /// Notes a written row's problems (a problem twice on one row counts once).
    pub(super) fn note(&mut self, problems: &[RowProblem], at: RowAt<'_>) {
        for (i, p) in problems.iter().enumerate() {
            if problems[..i].iter().any(|q| q.label == p.label) {
                continue;
            }
            let rows = self.0.entry(p.label.to_string()).or_default();
            if rows.len() < FIRST_ROWS {
                rows.push(RowRef {
                    file: at.file.to_string(),
                    sheet: at.sheet.to_string(),
                    row: at.row,
                });
            }
        }
    }

    /// The tally's problems, in its order (what failed first, then the biggest groups), each
    /// with its first rows.
    pub(super) fn list(mut self, tally: &Tally) -> Vec<ProblemCount> {
        tally
            .by_problem()
            .into_iter()
            .take(MAX_PROBLEMS)
            .map(|p| {
                let label = p.label.to_string();
                ProblemCount {
                    first_rows: self.0.remove(&label).unwrap_or_default(),
                    label,
                    count: p.rows,
                    status: p.status.as_str().to_string(),
                }
            })
            .collect()
    }
}

/// The most problems a summary lists.
const MAX_PROBLEMS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Status, Verdict};

    fn at(row: u64) -> RowAt<'static> {
        RowAt {
            file: "a.csv",
            sheet: "",
            row,
        }
    }

    #[test]
    fn each_problem_keeps_its_first_five_rows_in_the_tallys_order() {
        let mut tally = Tally::default();
        let mut first = FirstRows::default();
        let invalid = Verdict::new(Status::Invalid);
        let cost = crate::outcome::RowProblem::whole("cost: not an amount".into(), &invalid);
        for row in 2..12 {
            let problems = [cost.clone(), cost.clone()];
            tally.add(&invalid, &problems);
            first.note(&problems, at(row));
        }
        let failed = Verdict::with_error(Status::Failed, "lead source is not editable");
        let refused = crate::outcome::RowProblem::whole(
            "lead source is not editable (400/24326)".into(),
            &failed,
        );
        tally.add(&failed, std::slice::from_ref(&refused));
        first.note(std::slice::from_ref(&refused), at(40));
        let list = first.list(&tally);
        assert_eq!(list[0].label, "lead source is not editable (400/24326)");
        assert_eq!(list[0].status, "failed");
        assert_eq!(list[0].first_rows[0].row, 40);
        assert_eq!(list[1].count, 10);
        let rows: Vec<u64> = list[1].first_rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, [2, 3, 4, 5, 6]);
    }
}
