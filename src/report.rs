//! A one-page HTML report of a run, read from its finished results files: rows by status (a
//! table and an inline SVG bar chart), rows by problem, the first rows of each problem, and the
//! run's parameters and timings.
//!
//! The page stands alone: no script, no external stylesheet, image or font, only an inline
//! `<style>`; it is also well-formed XML, so it can be checked strictly. Everything from a file
//! or a parameter is escaped.

pub(crate) mod problems;

mod collect;
mod page;

use std::io;
use std::path::{Path, PathBuf};

use collect::Collected;
use page::Page;

pub(crate) use problems::{Fixed, ProblemCount, ResultsFile, Tally};

/// What the report shows besides the results files' contents.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportInput {
    /// The page's title and heading, e.g. `ivvy-import import`.
    pub title: String,
    /// The run's parameters, in the order given (name, value).
    pub params: Vec<(String, String)>,
    /// How long the run's steps took, in the order given (step, duration as text).
    pub timings: Vec<(String, String)>,
    /// The results CSVs to report on, read in this order.
    pub results_files: Vec<PathBuf>,
}

/// Example rows shown for each problem.
const EXAMPLES_PER_PROBLEM: usize = 20;
/// Problems whose example rows are kept; a run with more distinct problems than this still
/// counts them all, it shows examples for the first this many seen.
const MAX_PROBLEMS_WITH_EXAMPLES: usize = 1000;

/// Renders the report and writes it to `out` (replacing it), after checking that `out` is not
/// one of the results files.
pub(crate) fn write_html(report: &ReportInput, out: &Path) -> io::Result<()> {
    if let Ok(target) = out.canonicalize() {
        for input in &report.results_files {
            if input.canonicalize().is_ok_and(|p| p == target) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the report would overwrite its own input {}",
                        input.display()
                    ),
                ));
            }
        }
    }
    let html = render(report)?;
    let mut file = crate::guard::open_output(out, crate::guard::How::Truncate)?;
    std::io::Write::write_all(&mut file, html.as_bytes())
}

/// The report as one HTML document. Reads every results file once, line by line; fails on a
/// file that cannot be read or is not a results file (the error names the file).
pub(crate) fn render(report: &ReportInput) -> io::Result<String> {
    let mut seen = Collected::default();
    for (index, path) in report.results_files.iter().enumerate() {
        seen.read(index, path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    Ok(Page::default().document(report, &seen))
}

#[cfg(test)]
mod tests;
