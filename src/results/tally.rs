//! Rows counted by status and by problem, from the typed outcome of each row: what the
//! report and the results workbook list. A row with the same problem twice counts once.

use std::collections::HashMap;

use crate::outcome::{ProblemLabel, Remedy, RowProblem, Status, Verdict};

/// Rows counted by status and by problem.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    rows: u64,
    /// By [`Status::rank`].
    statuses: [u64; 10],
    problems: HashMap<ProblemLabel, ProblemCount>,
}

/// How many rows have one problem, and how the first of them words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProblemCount {
    pub label: ProblemLabel,
    pub rows: u64,
    pub first: String,
    /// The status of the first row with it (a failed row's problem is listed first).
    pub status: Status,
    /// What to do about it.
    pub remedy: Remedy,
}

impl Tally {
    pub(crate) fn add(&mut self, verdict: &Verdict, problems: &[RowProblem]) {
        self.rows += 1;
        self.statuses[usize::from(verdict.status.rank())] += 1;
        for (i, p) in problems.iter().enumerate() {
            if problems[..i].iter().any(|q| q.label == p.label) {
                continue;
            }
            match self.problems.get_mut(&p.label) {
                Some(count) => count.rows += 1,
                None => {
                    self.problems.insert(
                        p.label.clone(),
                        ProblemCount {
                            label: p.label.clone(),
                            rows: 1,
                            first: p.text(verdict).to_string(),
                            status: verdict.status,
                            remedy: p.remedy,
                        },
                    );
                }
            }
        }
    }

    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// How many rows have this status.
    pub(crate) fn count(&self, status: Status) -> u64 {
        self.statuses[usize::from(status.rank())]
    }

    /// Rows by status, in the order of [`Status::rank`]; statuses no row has are left out.
    pub(crate) fn by_status(&self) -> Vec<(Status, u64)> {
        let mut v: Vec<(Status, u64)> = Status::ALL
            .into_iter()
            .map(|s| (s, self.count(s)))
            .filter(|(_, n)| *n > 0)
            .collect();
        v.sort_by_key(|(s, _)| s.rank());
        v
    }

    /// Rows by problem: what failed first (the rows a person must act on), then the rest;
    /// most rows first, then by label.
    pub(crate) fn by_problem(&self) -> Vec<ProblemCount> {
        let mut v: Vec<ProblemCount> = self.problems.values().cloned().collect();
        v.sort_by(|a, b| {
            (b.status == Status::Failed)
                .cmp(&(a.status == Status::Failed))
                .then(b.rows.cmp(&a.rows))
                .then_with(|| a.label.cmp(&b.label))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(label: &str, text: &str) -> RowProblem {
        RowProblem {
            label: label.into(),
            text: Some(text.into()),
            column: Some("name".into()),
            remedy: Remedy::Duplicate,
        }
    }

    #[test]
    fn rows_count_once_per_problem_and_statuses_keep_their_order() {
        let mut t = Tally::default();
        let invalid = Verdict::new(Status::Invalid);
        t.add(
            &invalid,
            &[
                problem(
                    "name: is a duplicate",
                    r#"name: "a" is a duplicate of row 2"#,
                ),
                problem(
                    "name: is a duplicate",
                    r#"name: "a" is a duplicate of row 3"#,
                ),
            ],
        );
        t.add(&Verdict::new(Status::Created), &[]);
        t.add(
            &invalid,
            &[problem(
                "name: is a duplicate",
                r#"name: "b" is a duplicate of row 2"#,
            )],
        );
        let failed = Verdict::with_error(Status::Failed, "lead source does not exist (400/24325)");
        t.add(
            &failed,
            &[RowProblem::whole(
                "lead source does not exist (400/24325)".into(),
                &failed,
            )],
        );
        assert_eq!(t.rows(), 4);
        assert_eq!(
            t.by_status(),
            vec![
                (Status::Created, 1),
                (Status::Invalid, 2),
                (Status::Failed, 1)
            ]
        );
        let p = t.by_problem();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].label.as_str(),
            "lead source does not exist (400/24325)",
            "a failed row's problem comes first"
        );
        assert_eq!(p[0].first, "lead source does not exist (400/24325)");
        assert_eq!(p[1].rows, 2);
        assert_eq!(p[1].first, r#"name: "a" is a duplicate of row 2"#);
    }
}
