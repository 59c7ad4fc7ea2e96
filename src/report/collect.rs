//! What the report shows, gathered from each finished row as the collector hands it over (the
//! report is one of its sinks): each file's and the run's rows by status and problem, the
//! echoed columns, and each problem's first rows.

use std::collections::HashMap;
use std::path::PathBuf;

use super::changes::Changes;
use super::{EXAMPLES_PER_PROBLEM, MAX_PROBLEMS_WITH_EXAMPLES};
use crate::outcome::{ProblemLabel, Status};
use crate::results::line::Line;
use crate::results::tally::Tally;

/// One results file as the report lists it.
#[derive(Debug)]
pub(crate) struct FileSeen {
    pub(crate) path: PathBuf,
    pub(crate) tally: Tally,
    /// For each echoed column of the file, its place in the union of echoed columns.
    union: Vec<usize>,
}

/// A row shown under a problem.
#[derive(Debug)]
pub(super) struct Example {
    pub(super) file: usize,
    pub(super) row: u32,
    pub(super) sheet: String,
    pub(super) status: Status,
    pub(super) text: String,
    /// Non-empty echoed cells: (index in the union of echoed columns, value).
    pub(super) cells: Vec<(usize, String)>,
    /// The echoed column the problem names, as an index in the union.
    pub(super) named: Option<usize>,
}

/// Everything the page shows of the run's rows, gathered as they are written.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) files: Vec<FileSeen>,
    pub(crate) total: Tally,
    /// The echoed columns of every file, in first-seen order.
    pub(super) columns: Vec<String>,
    pub(super) examples: HashMap<ProblemLabel, Vec<Example>>,
    /// What update rows change, by status and field.
    pub(super) changes: Changes,
    /// Per file, the headers of its echoed columns.
    headers: Vec<Vec<String>>,
}

impl Collected {
    /// The rows of another results file follow, with these echoed columns.
    pub(crate) fn start_file(&mut self, path: PathBuf, echo: &[String]) {
        let union = echo
            .iter()
            .map(|name| match self.columns.iter().position(|c| c == name) {
                Some(u) => u,
                None => {
                    self.columns.push(name.clone());
                    self.columns.len() - 1
                }
            })
            .collect();
        self.files.push(FileSeen {
            path,
            tally: Tally::default(),
            union,
        });
        self.headers.push(echo.to_vec());
    }

    /// One finished row of the file started last.
    pub(crate) fn row(&mut self, line: &Line<'_>) {
        let Some(index) = self.files.len().checked_sub(1) else {
            return;
        };
        let file = &mut self.files[index];
        file.tally.add(line.verdict, line.problems);
        self.total.add(line.verdict, line.problems);
        self.changes.row(index, line);
        let headers = &self.headers[index];
        for (i, p) in line.problems.iter().enumerate() {
            if line.problems[..i].iter().any(|q| q.label == p.label) {
                continue;
            }
            let tracked = self.examples.len();
            let examples = match self.examples.get_mut(&p.label) {
                Some(e) => e,
                None if tracked < MAX_PROBLEMS_WITH_EXAMPLES => {
                    self.examples.entry(p.label.clone()).or_default()
                }
                None => continue,
            };
            if examples.len() >= EXAMPLES_PER_PROBLEM {
                continue;
            }
            let named = p
                .column
                .as_ref()
                .and_then(|c| headers.iter().position(|h| h == c))
                .and_then(|e| file.union.get(e).copied());
            examples.push(Example {
                file: index,
                row: line.row,
                sheet: line.sheet.to_string(),
                status: line.verdict.status,
                text: p.text(line.verdict).to_string(),
                cells: cells_of(line, &file.union),
                named,
            });
        }
    }
}

/// A row's non-empty echoed cells by their place in the union, in the union's order.
fn cells_of(line: &Line<'_>, union: &[usize]) -> Vec<(usize, String)> {
    let mut cells: Vec<(usize, String)> = line
        .echo
        .iter()
        .zip(union)
        .filter(|(v, _)| !v.is_empty())
        .map(|(v, u)| (*u, (*v).to_string()))
        .collect();
    cells.sort_by_key(|(u, _)| *u);
    cells
}
