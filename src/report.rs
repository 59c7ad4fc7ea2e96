//! A one-page HTML report of a run, gathered from its finished rows as they are written (the
//! report is one of the collector's sinks): when and against what the run ran, rows by status
//! (a table and an inline SVG bar chart), rows by problem with what to do next, the first rows
//! of each problem, what update rows change (by status, then by field), and the run's
//! parameters and timings.
//!
//! The page stands alone: no script, no external stylesheet, image or font, only an inline
//! `<style>`; it is also well-formed XML, so it can be checked strictly. Everything from a file
//! or a parameter is escaped.

mod changes;
mod collect;
mod page;

use std::io;
use std::path::Path;

pub(crate) use collect::Collected;
use page::Page;

/// What the report shows besides the rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportInput {
    /// The page's title and heading, e.g. `ivvy-import import`.
    pub title: String,
    /// When the run started, e.g. `2026-12-06 01:54:48 UTC`.
    pub when: String,
    /// The tool's version.
    pub version: String,
    /// The command and the flags that matter (never a key or a secret).
    pub command: String,
    /// The account written to or read: its base URL; None for a dry run.
    pub account: Option<String>,
    /// The input files, in the order given.
    pub inputs: Vec<FileFacts>,
    /// The mapping file (`--map`), if one was given.
    pub map: Option<FileFacts>,
    /// The run's parameters, in the order given (name, value).
    pub params: Vec<(String, String)>,
    /// How long the run's steps took, in the order given (step, duration as text).
    pub timings: Vec<(String, String)>,
}

/// A file the run read: its path, size and SHA-1, so a reader can tell it is the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileFacts {
    pub path: String,
    pub bytes: u64,
    pub sha1: String,
}

impl FileFacts {
    /// Reads the file once to hash it.
    pub(crate) fn of(path: &Path) -> io::Result<FileFacts> {
        let (bytes, sha1) = crate::logging::digest(path)?;
        Ok(FileFacts {
            path: path.display().to_string(),
            bytes,
            sha1,
        })
    }
}

/// Example rows shown for each problem.
const EXAMPLES_PER_PROBLEM: usize = 20;
/// Problems whose example rows are kept; a run with more distinct problems than this still
/// counts them all, it shows examples for the first this many seen.
const MAX_PROBLEMS_WITH_EXAMPLES: usize = 1000;

/// Renders the report and writes it to `out` (replacing it), after checking that `out` is not
/// one of the run's inputs or results files.
pub(crate) fn write_html(report: &ReportInput, seen: &Collected, out: &Path) -> io::Result<()> {
    if let Ok(target) = out.canonicalize() {
        let inputs = report.inputs.iter().map(|f| Path::new(&f.path));
        let results = seen.files.iter().map(|f| f.path.as_path());
        for input in inputs.chain(results) {
            if input.canonicalize().is_ok_and(|p| p == target) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("the report would overwrite {}", input.display()),
                ));
            }
        }
    }
    let mut file = crate::guard::open_output(out, crate::guard::How::Truncate)?;
    io::Write::write_all(&mut file, render(report, seen).as_bytes())
}

/// The report as one HTML document.
pub(crate) fn render(report: &ReportInput, seen: &Collected) -> String {
    Page::default().document(report, seen)
}

#[cfg(test)]
mod tests;
