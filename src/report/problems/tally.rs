//! Rows counted by status and by problem, in the order summaries list them.

use std::collections::HashMap;

use super::label::LineProblem;

/// Every status a results file or a plan writes, in the order summaries list them.
pub(crate) const STATUS_ORDER: [&str; 10] = [
    "valid",
    "create",
    "created",
    "update",
    "updated",
    "unchanged",
    "skipped",
    "conflict",
    "invalid",
    "failed",
];

/// Rows counted by status and by problem. A row with the same problem twice counts once.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    rows: u64,
    statuses: HashMap<String, u64>,
    problems: HashMap<String, ProblemCount>,
}

/// How many rows have one problem, and the first of them as the file words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProblemCount {
    pub label: String,
    pub rows: u64,
    pub first: String,
}

impl Tally {
    pub(crate) fn add(&mut self, status: &str, problems: &[LineProblem<'_>]) {
        self.rows += 1;
        *self.statuses.entry(status.to_string()).or_default() += 1;
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
                            first: p.text.to_string(),
                        },
                    );
                }
            }
        }
    }

    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows by status: the known statuses in [`STATUS_ORDER`], then any others by name.
    pub(crate) fn by_status(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> =
            self.statuses.iter().map(|(s, n)| (s.clone(), *n)).collect();
        v.sort_by(|(a, _), (b, _)| {
            let rank = |s: &str| STATUS_ORDER.iter().position(|k| *k == s);
            match (rank(a), rank(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.cmp(b),
            }
        });
        v
    }

    /// Rows by problem, most rows first, then by label.
    pub(crate) fn by_problem(&self) -> Vec<ProblemCount> {
        let mut v: Vec<ProblemCount> = self.problems.values().cloned().collect();
        v.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.label.cmp(&b.label)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::problems::label::line_problems;
    use crate::report::problems::test_headers as headers;

    #[test]
    fn tally_counts_rows_once_per_problem_and_orders_statuses() {
        let h = headers(&["name"]);
        let mut t = Tally::default();
        let e1 = r#"name: "a" is a duplicate of row 2; name: "a" is a duplicate of row 3"#;
        t.add("invalid", &line_problems(&h, "invalid", e1, "", ""));
        t.add("created", &[]);
        t.add("weird", &[]);
        let e2 = r#"name: "b" is a duplicate of row 2"#;
        t.add("invalid", &line_problems(&h, "invalid", e2, "", ""));
        assert_eq!(t.rows(), 4);
        assert_eq!(
            t.by_status(),
            vec![
                ("created".to_string(), 1),
                ("invalid".to_string(), 2),
                ("weird".to_string(), 1)
            ]
        );
        let p = t.by_problem();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].rows, 2);
        assert_eq!(p[0].first, r#"name: "a" is a duplicate of row 2"#);
    }
}
