//! What a finished run left: exit code, stdout, stderr and the parsed results file.

use std::collections::BTreeMap;
use std::path::Path;

/// One results line, by column name.
pub(crate) type Line = BTreeMap<String, String>;

#[derive(Debug)]
pub(crate) struct Outcome {
    /// The exit code; -1 when the process was killed by a signal.
    pub code: i32,
    pub stdout: String,
    /// Stderr, with any bytes that are not UTF-8 replaced.
    pub stderr: String,
    /// Whether stderr was UTF-8 as written.
    pub stderr_is_text: bool,
    /// The results file's header; empty when there is no results file.
    pub header: Vec<String>,
    pub lines: Vec<Line>,
    /// The results file as written.
    pub results: String,
}

impl Outcome {
    pub(crate) fn new(output: &std::process::Output, results: &Path) -> Outcome {
        let text = std::fs::read_to_string(results).unwrap_or_default();
        let (header, lines) = parse_results(&text);
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stderr_is_text: std::str::from_utf8(&output.stderr).is_ok(),
            header,
            lines,
            results: text,
        }
    }

    /// Panics, showing the output, unless the process exited with `code`.
    #[track_caller]
    pub(crate) fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }

    /// Panics unless row `row`'s results line has `status`.
    #[track_caller]
    pub(crate) fn expect_status(self, row: u32, status: &str) -> Self {
        assert_eq!(
            self.line(row)["status"],
            status,
            "row {row}: {:?}",
            self.line(row)
        );
        self
    }

    /// Panics unless row `row`'s error contains `needle`.
    #[track_caller]
    pub(crate) fn expect_error(self, row: u32, needle: &str) -> Self {
        let error = &self.line(row)["error"];
        assert!(
            error.contains(needle),
            "row {row}: {error:?} lacks {needle:?}"
        );
        self
    }

    /// Panics unless stderr contains `needle`.
    #[track_caller]
    pub(crate) fn expect_stderr(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    /// Panics unless every line has `status`.
    #[track_caller]
    pub(crate) fn expect_all(self, status: &str) -> Self {
        let other: Vec<&Line> = self
            .lines
            .iter()
            .filter(|l| l["status"] != status)
            .collect();
        assert!(other.is_empty(), "not {status}: {other:?}\n{}", self.stderr);
        self
    }

    /// The results line of a row.
    #[track_caller]
    pub(crate) fn line(&self, row: u32) -> &Line {
        let row_text = row.to_string();
        self.lines
            .iter()
            .find(|l| l["row"] == row_text)
            .unwrap_or_else(|| panic!("no results line for row {row}; stderr:\n{}", self.stderr))
    }

    /// The row numbers of the lines, in file order.
    pub(crate) fn rows(&self) -> Vec<u32> {
        self.lines
            .iter()
            .map(|l| l["row"].parse().expect("a row number"))
            .collect()
    }

    pub(crate) fn statuses(&self) -> Vec<String> {
        self.column("status")
    }

    /// One column of every line, in file order.
    pub(crate) fn column(&self, name: &str) -> Vec<String> {
        self.lines.iter().map(|l| l[name].clone()).collect()
    }

    /// How many lines have `status`.
    pub(crate) fn count(&self, status: &str) -> usize {
        self.lines.iter().filter(|l| l["status"] == status).count()
    }

    /// The `id` of a row's line.
    #[track_caller]
    pub(crate) fn id(&self, row: u32) -> u64 {
        let l = self.line(row);
        l["id"]
            .parse()
            .unwrap_or_else(|_| panic!("row {row} has no id: {l:?}"))
    }

    /// Stdout as one JSON value (`--json`).
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A results file's header and lines.
pub(crate) fn parse_results(text: &str) -> (Vec<String>, Vec<Line>) {
    if text.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("a results header")
        .iter()
        .map(String::from)
        .collect();
    let lines = r
        .records()
        .map(|rec| {
            let rec = rec.expect("a results line");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, lines)
}
