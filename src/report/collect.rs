//! A run's results files read once, line by line, into what the report shows: each file's
//! and the run's rows by status and problem, the echoed columns, and each problem's first rows.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{EXAMPLES_PER_PROBLEM, Fixed, MAX_PROBLEMS_WITH_EXAMPLES, ResultsFile, Tally};

/// One results file as the report lists it.
#[derive(Debug)]
pub(super) struct FileSeen {
    pub(super) path: PathBuf,
    pub(super) tally: Tally,
}

/// A row shown under a problem.
#[derive(Debug)]
pub(super) struct Example {
    pub(super) file: usize,
    pub(super) row: String,
    pub(super) sheet: String,
    pub(super) status: String,
    pub(super) text: String,
    /// Non-empty echoed cells: (index in the union of echoed columns, value).
    pub(super) cells: Vec<(usize, String)>,
    /// The echoed column the problem names, as an index in the union.
    pub(super) named: Option<usize>,
}

/// Everything the page shows of the results files, gathered as they are read.
#[derive(Debug, Default)]
pub(super) struct Collected {
    pub(super) files: Vec<FileSeen>,
    pub(super) total: Tally,
    /// The echoed columns of every file, in first-seen order.
    pub(super) columns: Vec<String>,
    pub(super) examples: HashMap<String, Vec<Example>>,
}

impl Collected {
    pub(super) fn read(&mut self, index: usize, path: &Path) -> io::Result<()> {
        let mut file = ResultsFile::open(path)?;
        // For each header: its place in the union of echoed columns, if it is echoed.
        let union: Vec<Option<usize>> = (0..file.headers().len())
            .map(|i| {
                file.is_echoed(i).then(|| {
                    let name = &file.headers()[i];
                    match self.columns.iter().position(|c| c == name) {
                        Some(u) => u,
                        None => {
                            self.columns.push(name.clone());
                            self.columns.len() - 1
                        }
                    }
                })
            })
            .collect();
        let mut tally = Tally::default();
        let mut line = Vec::new();
        while file.next_line(&mut line)? {
            let problems = file.problems(&line);
            let status = file.get(&line, Fixed::Status);
            tally.add(status, &problems);
            self.total.add(status, &problems);
            for (i, p) in problems.iter().enumerate() {
                if problems[..i].iter().any(|q| q.label == p.label) {
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
                examples.push(Example {
                    file: index,
                    row: file.get(&line, Fixed::Row).to_string(),
                    sheet: file.get(&line, Fixed::Sheet).to_string(),
                    status: status.to_string(),
                    text: p.text.to_string(),
                    cells: line
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_empty())
                        .filter_map(|(i, v)| union[i].map(|u| (u, v.clone())))
                        .collect(),
                    named: p.header.and_then(|h| union[h]),
                });
            }
        }
        self.files.push(FileSeen {
            path: path.to_path_buf(),
            tally,
        });
        Ok(())
    }
}
