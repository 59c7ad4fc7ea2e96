//! The end-of-run report: counts by kind, status and problem; rendered for people on stderr
//! and as one JSON object on stdout with `--json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::config::RunMode;
use crate::outcome::Status;

use crate::error::{EXIT_FATAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_ROWS, EXIT_TERMINATED};
pub use crate::pipeline::stop::{StopKind, Stopped};

/// Counts for one kind (or for the whole run).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KindCounts {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub skipped: u64,
    pub conflict: u64,
    pub create: u64,
    pub update: u64,
    /// Rows an earlier run did, kept by `--resume` (counted here, not as created or updated).
    pub kept: u64,
}

impl KindCounts {
    /// One row, counted by hand: rows are counted in `results::tally::StatusCounts`, and
    /// this spells out the same rule for its test.
    #[cfg(test)]
    pub(crate) fn add(&mut self, status: Status) {
        self.rows += 1;
        if status != Status::Invalid {
            self.valid += 1;
        }
        let slot = match status {
            Status::Valid => return,
            Status::Invalid => &mut self.invalid,
            Status::Created => &mut self.created,
            Status::Updated => &mut self.updated,
            Status::Unchanged => &mut self.unchanged,
            Status::Failed => &mut self.failed,
            Status::Skipped => &mut self.skipped,
            Status::Conflict => &mut self.conflict,
            Status::Create => &mut self.create,
            Status::Update => &mut self.update,
        };
        *slot += 1;
    }

    /// A row the earlier run did, kept by `--resume` (see [`KindCounts::add`]).
    #[cfg(test)]
    pub(crate) fn add_kept(&mut self) {
        self.rows += 1;
        self.valid += 1;
        self.kept += 1;
    }

    /// Rows this run moved: neither kept from an earlier run nor skipped by a stop.
    pub(crate) fn handled(&self) -> u64 {
        self.rows.saturating_sub(self.kept + self.skipped)
    }

    pub(crate) fn merge(&mut self, o: &KindCounts) {
        self.rows += o.rows;
        self.valid += o.valid;
        self.invalid += o.invalid;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.failed += o.failed;
        self.skipped += o.skipped;
        self.conflict += o.conflict;
        self.create += o.create;
        self.update += o.update;
        self.kept += o.kept;
    }

    /// The counts as people read them, for this mode. After `--resume`, rows created now
    /// and rows kept from the earlier run are said apart.
    pub(crate) fn words(&self, mode: RunMode) -> String {
        let parts: Vec<(u64, Status)> = match mode {
            RunMode::Validate => vec![(self.valid, Status::Valid), (self.invalid, Status::Invalid)],
            RunMode::Plan => vec![
                (self.create, Status::Create),
                (self.update, Status::Update),
                (self.unchanged, Status::Unchanged),
                (self.conflict, Status::Conflict),
                (self.invalid, Status::Invalid),
            ],
            RunMode::Import | RunMode::Resume | RunMode::Apply => vec![
                (self.created, Status::Created),
                (self.updated, Status::Updated),
                (self.unchanged, Status::Unchanged),
                (self.failed, Status::Failed),
                (self.conflict, Status::Conflict),
                (self.invalid, Status::Invalid),
                (self.skipped, Status::Skipped),
            ],
        };
        let mut words: Vec<String> = parts
            .iter()
            .filter(|(n, s)| {
                *n > 0
                    || matches!(
                        s,
                        Status::Valid | Status::Invalid | Status::Created | Status::Create
                    )
            })
            .map(|(n, s)| match s {
                Status::Created if self.kept > 0 => format!("{n} created now"),
                s => format!("{n} {}", s.as_str()),
            })
            .collect();
        if self.kept > 0 {
            words.insert(1, format!("{} kept from the earlier run", self.kept));
        }
        words.join(", ")
    }

    /// Rows that did not end well.
    fn not_done(&self) -> u64 {
        self.invalid + self.failed + self.skipped + self.conflict
    }
}

/// One problem of a run: its label, how many rows have it, and where the first few are.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProblemCount {
    pub label: String,
    pub count: u64,
    /// The status of the first row with it (`failed`, `invalid`, `conflict`, `skipped`).
    pub status: String,
    /// The first rows that have it, in the order they were written (at most five).
    pub first_rows: Vec<RowRef>,
}

/// A row of an input, as the results file names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowRef {
    pub file: String,
    /// The sheet of a workbook (empty for a CSV file).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sheet: String,
    pub row: u64,
}

/// The end-of-run report: printed on stderr, and as JSON on stdout with `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// What the run did (`"mode"` in `--json`: `validate`, `plan` or `import`).
    pub mode: RunMode,
    /// Non-blank data rows read.
    pub rows: u64,
    pub totals: KindCounts,
    pub by_kind: BTreeMap<String, KindCounts>,
    /// Problem and error kinds: failed rows' first, then the most frequent.
    pub top_errors: Vec<(String, u64)>,
    /// Each problem with its first rows, in the order of `top_errors`.
    pub problems: Vec<ProblemCount>,
    /// The warnings shown during the run.
    pub warnings: Vec<String>,
    /// API requests made (writes, lists, pings), retries included.
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    /// Bulk mode: batches started and jobs answered.
    pub batches: u64,
    pub jobs: u64,
    pub elapsed_secs: f64,
    /// Rows per second over the whole run.
    pub rows_per_sec: f64,
    pub results_files: Vec<String>,
    /// Set when the run stopped early.
    pub stopped: Option<Stopped>,
    /// Plan: the write calls an import would make, and about how long they would take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_to_make: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Plan: how long reading the account took (an import reads it again first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing_secs: Option<f64>,
}

impl Summary {
    /// 0 every row done (valid in a dry run), 1 some were not, 2 a fatal stop, 130 Ctrl-C,
    /// 143 SIGTERM.
    pub fn exit_code(&self) -> u8 {
        match self.stopped.as_ref().map(|s| &s.kind) {
            Some(StopKind::Interrupted) => EXIT_INTERRUPTED,
            Some(StopKind::Terminated) => EXIT_TERMINATED,
            Some(StopKind::Fatal) => EXIT_FATAL,
            None if self.totals.not_done() == 0 => EXIT_OK,
            None => EXIT_SOME_ROWS,
        }
    }

    /// The summary as people read it.
    pub fn render(&self) -> String {
        let t = &self.totals;
        let mut s = String::new();
        let secs = self.elapsed_secs;
        let _ = match self.mode {
            RunMode::Validate => writeln!(
                s,
                "{} rows read: {} ({secs:.2}s, dry run: nothing sent)",
                self.rows,
                t.words(self.mode)
            ),
            RunMode::Plan => {
                let calls = self.calls_to_make.unwrap_or(t.create + t.update);
                let listing = self.listing_secs.unwrap_or(0.0);
                let eta = self.rate.map_or(String::new(), |r| {
                    let reading = if listing >= 0.5 {
                        format!(", reading the account included ({})", human_secs(listing))
                    } else {
                        String::new()
                    };
                    format!(
                        ", about {} at --rate {r}{reading}",
                        human_secs(calls as f64 / r + listing)
                    )
                });
                writeln!(
                    s,
                    "{} rows read: {} — {calls} calls to make{eta} (a plan: nothing sent)",
                    self.rows,
                    t.words(self.mode)
                )
            }
            RunMode::Import | RunMode::Resume | RunMode::Apply => writeln!(
                s,
                "{} rows read: {} in {secs:.1}s ({:.1} rows/s)",
                self.rows,
                t.words(self.mode),
                self.rows_per_sec
            ),
        };
        if self.mode != RunMode::Validate && self.requests + self.retries + self.throttled > 0 {
            let batches = if self.batches > 0 {
                format!(" ({} batches, {} jobs)", self.batches, self.jobs)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  requests: {}{batches}, retries: {}, throttled (429): {}",
                self.requests, self.retries, self.throttled
            );
        }
        if self.by_kind.len() > 1 {
            for (kind, c) in &self.by_kind {
                let _ = writeln!(s, "  {kind}: {} rows, {}", c.rows, c.words(self.mode));
            }
        }
        if !self.top_errors.is_empty() {
            s.push_str("  top problems:\n");
            for (e, n) in self.top_errors.iter().take(5) {
                let _ = writeln!(s, "    {n} × {e}");
            }
        }
        for f in &self.results_files {
            let _ = writeln!(s, "  results: {f}");
        }
        if let Some(stop) = &self.stopped {
            let _ = writeln!(s, "stopped: {}", stop.reason);
            // The last line says what to run next.
            s.push_str(if self.mode.writes() {
                "next: run the same command with --resume to finish\n"
            } else {
                "next: run the same command again\n"
            });
        }
        s
    }

    /// Prints the summary for people on stderr (unless quiet); `--json` output is
    /// [`crate::envelope::Envelope`]'s. Returns the exit code.
    pub fn print(&self, quiet: bool) -> u8 {
        if !quiet {
            eprint!("{}", self.render());
        }
        self.exit_code()
    }
}

fn human_secs(secs: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "max(1.0) makes it at least 1 (NaN too); a float-to-int cast saturates"
    )]
    let secs = secs.ceil().max(1.0) as u64;
    duration_text(secs, " ")
}

/// Whole seconds as `45 s` (with `gap` before the `s`), `4m10s` or `1h02m`.
pub(crate) fn duration_text(secs: u64, gap: &str) -> String {
    match secs {
        0..60 => format!("{secs}{gap}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_problems_read_in_words() {
        let s = Summary {
            mode: RunMode::Import,
            top_errors: vec![("lead source does not exist (400/24325)".into(), 17)],
            ..Summary::default()
        };
        assert!(
            s.render()
                .contains("17 × lead source does not exist (400/24325)"),
            "{}",
            s.render()
        );
    }

    #[test]
    fn a_stopped_run_ends_with_what_to_run_next() {
        for kind in [StopKind::Fatal, StopKind::Interrupted, StopKind::Terminated] {
            let s = Summary {
                mode: RunMode::Import,
                results_files: vec!["a.results.csv".into()],
                top_errors: vec![("skipped".into(), 3)],
                stopped: Some(Stopped {
                    kind: kind.clone(),
                    reason: "interrupted (Ctrl-C)".into(),
                }),
                ..Summary::default()
            };
            let text = s.render();
            let last = text.lines().last().unwrap();
            assert!(
                last.starts_with("next: ") && last.contains("--resume"),
                "{text}"
            );
        }
    }
}
