//! Finished rows for the report's tests, fed to the report as the collector feeds it.

use std::path::PathBuf;

use super::super::{Collected, FileFacts, ReportInput};
use crate::kind::Kind;
use crate::outcome::{ProblemLabel, Remedy, RowProblem, Status, Verdict};
use crate::results::line::Line;

/// One finished row, owned.
pub(super) struct Row {
    pub row: u32,
    pub sheet: String,
    pub verdict: Verdict,
    pub problems: Vec<RowProblem>,
    pub echo: Vec<String>,
    pub sent: String,
}

impl Row {
    pub(super) fn new(row: u32, status: Status, echo: &[&str]) -> Row {
        Row {
            row,
            sheet: String::new(),
            verdict: Verdict::new(status),
            problems: Vec::new(),
            echo: echo.iter().map(ToString::to_string).collect(),
            sent: String::new(),
        }
    }

    /// A problem of a cell, as `record::Problem` makes it.
    pub(super) fn cell_problem(mut self, column: &str, words: &str, text: &str) -> Row {
        self.problems.push(RowProblem {
            label: ProblemLabel::new(format!("{column}: {words}")),
            text: Some(text.to_string()),
            column: Some(column.to_string()),
            remedy: Remedy::FixCell,
        });
        self.verdict.error = self
            .problems
            .iter()
            .map(|p| p.text(&self.verdict).to_string())
            .collect::<Vec<_>>()
            .join("; ");
        self
    }
}

/// Feeds a file's rows to the report.
pub(super) fn feed(seen: &mut Collected, path: &str, echo: &[&str], rows: &[Row]) {
    let echo: Vec<String> = echo.iter().map(ToString::to_string).collect();
    seen.start_file(PathBuf::from(path), &echo);
    for r in rows {
        seen.row(&Line {
            row: r.row,
            sheet: &r.sheet,
            kind: Some(Kind::Source),
            verdict: &r.verdict,
            id: "".into(),
            problems: &r.problems,
            echo: r.echo.iter().map(String::as_str).collect(),
            cost: None,
            sent: &r.sent,
        });
    }
}

/// 25 rows with an ambiguous cost, some other problems, some successes, one refusal.
pub(super) fn sample_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for i in 0..25 {
        let cost = format!("{i},5");
        let text = format!(
            "Cost (AUD): {cost:?} is ambiguous (decimal comma or thousands separator?); \
             write it with a decimal point, e.g. 7.5 or 7500"
        );
        rows.push(
            Row::new(i + 2, Status::Invalid, &[&format!("Source {i}"), &cost]).cell_problem(
                "Cost (AUD)",
                "decimal comma",
                &text,
            ),
        );
    }
    rows.push(
        Row::new(27, Status::Invalid, &["", "x"])
            .cell_problem(
                "Name",
                "is required",
                "Name: is required when there is no id",
            )
            .cell_problem(
                "Cost (AUD)",
                "not an amount",
                "Cost (AUD): \"x\" is not an amount",
            ),
    );
    for i in 0..3 {
        let mut r = Row::new(28 + i, Status::Created, &[&format!("Fine {i}"), "10"]);
        r.verdict.id = Some(700 + u64::from(i));
        rows.push(r);
    }
    let mut failed = Row::new(31, Status::Failed, &["Taken", "1"]);
    failed.verdict.error_code = Some(400);
    failed.verdict.specific_code = Some(24325);
    failed.verdict.error = "lead source does not exist (400/24325): The name is in use".into();
    failed.problems.push(RowProblem::whole(
        "lead source does not exist (400/24325)".into(),
        &failed.verdict,
    ));
    rows.push(failed);
    rows
}

/// The sample rows as one results file's.
pub(super) fn sample() -> Collected {
    let mut seen = Collected::default();
    feed(
        &mut seen,
        "sources.results.csv",
        &["Name", "Cost (AUD)"],
        &sample_rows(),
    );
    seen
}

/// Rows counted by status, independently of the report's tally.
pub(super) fn count_statuses(rows: &[Row]) -> std::collections::HashMap<String, u64> {
    let mut counts = std::collections::HashMap::new();
    for r in rows {
        *counts
            .entry(r.verdict.status.as_str().to_string())
            .or_default() += 1;
    }
    counts
}

pub(super) fn input() -> ReportInput {
    ReportInput {
        title: "ivvy-import import".into(),
        when: "2026-12-06 01:54:48 UTC".into(),
        version: "9.9.9".into(),
        command: "ivvy-import import sources.csv --rate 5".into(),
        account: Some("https://api.example.test".into()),
        inputs: vec![FileFacts {
            path: "sources.csv".into(),
            bytes: 1234,
            sha1: "a9993e364706816aba3e25717850c26c9cd0d89d".into(),
        }],
        map: None,
        params: vec![("rate".into(), "5".into())],
        timings: vec![("total".into(), "1.2 s".into())],
    }
}
