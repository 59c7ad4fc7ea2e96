//! Rows counted by status and by problem, from the typed outcome of each row: what the
//! progress display shows while a run goes, and what the report and the results workbook
//! list. A row with the same problem twice counts once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::outcome::{ProblemLabel, Remedy, RowProblem, Status, Verdict};
use crate::summary::KindCounts;

/// Rows counted by status and by problem.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    statuses: StatusCounts,
    problems: HashMap<ProblemLabel, ProblemCount>,
}

/// Rows counted by status, and among them those kept from an earlier run (`--resume`).
/// Another thread may read the counts while the one that counts goes on (the progress line's
/// thread reads the table's): each is an atomic, and with one writer a count is a plain load
/// and store.
#[derive(Debug, Default)]
pub(crate) struct StatusCounts {
    /// By [`Status::rank`].
    all: [AtomicU64; 10],
    /// Kept rows, by [`Status::rank`].
    kept: [AtomicU64; 10],
}

impl StatusCounts {
    /// Counts one row (called by one thread only).
    pub(crate) fn add(&self, verdict: &Verdict) {
        let rank = usize::from(verdict.status.rank());
        bump(&self.all[rank]);
        if verdict.kept {
            bump(&self.kept[rank]);
        }
    }

    /// How many rows have this status (kept ones included).
    pub(crate) fn count(&self, status: Status) -> u64 {
        self.all[usize::from(status.rank())].load(Ordering::Relaxed)
    }

    pub(crate) fn rows(&self) -> u64 {
        self.all.iter().map(|a| a.load(Ordering::Relaxed)).sum()
    }

    /// The counts as the summary and the progress words read them: rows kept from an earlier
    /// run counted as kept, not under their status.
    pub(crate) fn kind_counts(&self) -> KindCounts {
        let now = |s: Status| {
            let rank = usize::from(s.rank());
            self.all[rank]
                .load(Ordering::Relaxed)
                .saturating_sub(self.kept[rank].load(Ordering::Relaxed))
        };
        let rows = self.rows();
        let invalid = now(Status::Invalid);
        KindCounts {
            rows,
            valid: rows.saturating_sub(invalid),
            invalid,
            created: now(Status::Created),
            updated: now(Status::Updated),
            unchanged: now(Status::Unchanged),
            failed: now(Status::Failed),
            skipped: now(Status::Skipped),
            conflict: now(Status::Conflict),
            create: now(Status::Create),
            update: now(Status::Update),
            kept: self.kept.iter().map(|a| a.load(Ordering::Relaxed)).sum(),
        }
    }
}

impl Clone for StatusCounts {
    fn clone(&self) -> Self {
        let copy = |a: &[AtomicU64; 10]| {
            std::array::from_fn(|i| AtomicU64::new(a[i].load(Ordering::Relaxed)))
        };
        StatusCounts {
            all: copy(&self.all),
            kept: copy(&self.kept),
        }
    }
}

/// One more (the counting thread is the only writer: no read-modify-write is needed).
fn bump(a: &AtomicU64) {
    a.store(a.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
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
        self.statuses.add(verdict);
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
        self.statuses.rows()
    }

    /// How many rows have this status.
    pub(crate) fn count(&self, status: Status) -> u64 {
        self.statuses.count(status)
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

    #[test]
    fn status_counts_say_kept_rows_apart_as_the_summary_does() {
        let c = StatusCounts::default();
        let mut by_hand = KindCounts::default();
        for (verdict, n) in [
            (Verdict::kept(Status::Created, 7), 3),
            (Verdict::new(Status::Created), 2),
            (Verdict::new(Status::Invalid), 4),
            (Verdict::new(Status::Skipped), 1),
            (Verdict::kept(Status::Unchanged, 8), 1),
        ] {
            for _ in 0..n {
                c.add(&verdict);
                if verdict.kept {
                    by_hand.add_kept();
                } else {
                    by_hand.add(verdict.status);
                }
            }
        }
        assert_eq!(c.kind_counts(), by_hand);
        assert_eq!(c.rows(), 11);
        assert_eq!(
            c.count(Status::Created),
            5,
            "kept rows count under their status"
        );
        assert_eq!(c.clone().kind_counts(), by_hand);
    }

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
