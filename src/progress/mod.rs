//! Progress on stderr and the final summary. Nothing else prints progress.
//!
//! On a terminal: one bar per table (indicatif). Elsewhere (a pipe, a cron log, CI,
//! `TERM=dumb`, `IVVY_IMPORT_PROGRESS=plain`): a plain line at least every 5 seconds, with the
//! total and an ETA when the total is known. Messages always reach stderr.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};

use crate::config::RunMode;
use crate::kind::Kind;
use crate::outcome::{RowProblem, Status, Verdict};
use crate::pipeline::StatsSnapshot;
use crate::results::tally::{StatusCounts, Tally};
use crate::summary::{KindCounts, Summary};

mod bars;
mod listing;
mod plain;
mod problems;
mod words;

pub(crate) use bars::write_stderr;
pub(crate) use listing::Listing;

use bars::{ActiveGuard, Display, active, choose_display, table_bar};
use plain::{PLAIN_EVERY, TableLive, Ticker};
use words::live_words;

use problems::FirstRows;
pub(crate) use problems::RowAt;

/// The tracing target of the run's messages to the user (progress lines), mirrored into the
/// log file only.
pub(crate) const MESSAGE: &str = "ivvy_import::message";

/// Live counts and the bar (or plain lines) while a run goes. Rows are counted by status in
/// [`StatusCounts`]: per kind for the summary, and per table for the bar and the plain-line
/// thread, which both read the table's.
pub(crate) struct Progress {
    started: Instant,
    /// Rows by status, per kind (for the summary).
    counts: BTreeMap<Kind, StatusCounts>,
    none_kind: StatusCounts,
    /// Rows by problem: the summary's top problems (what failed first).
    problems: Tally,
    /// The first rows of each problem, for `--json`.
    first_rows: FirstRows,
    /// The current table's rows kept from an earlier run, for the bar's rate.
    kept: Arc<AtomicU64>,
    /// The warnings shown, for the summary.
    warnings: std::sync::Mutex<Vec<String>>,
    /// Bars, one per table (a CSV file, or a sheet), when stderr is a terminal.
    multi: Option<MultiProgress>,
    /// The current table's bar.
    bar: Option<ProgressBar>,
    /// The current table's counts.
    table: Option<TableLive>,
    /// Plain lines, when stderr is not a terminal.
    ticker: Option<Ticker>,
    _active: Option<ActiveGuard>,
    quiet: bool,
    mode: RunMode,
    stats: StatsSnapshot,
}

impl Progress {
    /// A bar when stderr is a terminal (and not CI), plain lines every few seconds otherwise,
    /// nothing when quiet.
    pub(crate) fn new(quiet: bool, mode: RunMode) -> Progress {
        let forced = std::env::var("IVVY_IMPORT_PROGRESS").ok();
        // indicatif hides its bars (and the lines printed through them) on a dumb terminal
        // or a pipe: plain lines then.
        let drawable = std::io::stderr().is_terminal() && !ProgressDrawTarget::stderr().is_hidden();
        let display = choose_display(
            quiet,
            forced.as_deref(),
            std::env::var_os("CI").is_some(),
            drawable,
        );
        let multi = (display == Display::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let guard = multi.as_ref().map(|m| {
            *active() = Some(m.clone());
            ActiveGuard
        });
        let started = Instant::now();
        // Tests shorten the interval to see several lines in a short run.
        let every = std::env::var("IVVY_IMPORT_PROGRESS_EVERY")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.05)
            .map_or(PLAIN_EVERY, Duration::from_secs_f64);
        Progress {
            started,
            counts: BTreeMap::new(),
            none_kind: StatusCounts::default(),
            problems: Tally::default(),
            first_rows: FirstRows::default(),
            kept: Arc::default(),
            warnings: std::sync::Mutex::default(),
            multi,
            bar: None,
            table: None,
            ticker: (display == Display::Plain).then(|| Ticker::start(mode, every, started)),
            _active: guard,
            quiet,
            mode,
            stats: StatsSnapshot::default(),
        }
    }

    /// A new table starts (a CSV file, or a workbook's sheet); `total` is its row count when
    /// known. The previous table's bar stays, finished, with its counts.
    pub(crate) fn start_table(&mut self, label: &str, total: Option<u64>) {
        self.finish_bar();
        self.table = Some(TableLive {
            label: label.to_string(),
            total,
            started: Instant::now(),
            counts: Arc::default(),
        });
        self.publish();
        let Some(multi) = &self.multi else { return };
        self.kept = Arc::new(AtomicU64::new(0));
        self.bar = Some(table_bar(multi, label, total, self.started, &self.kept));
    }

    fn finish_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            let counts = self
                .table
                .as_ref()
                .map(|t| t.counts.kind_counts())
                .unwrap_or_default();
            let words = live_words(&counts, &self.stats, self.mode);
            if counts.skipped > 0 {
                // A stopped run: the bar stays where it stopped.
                bar.set_style(bars::stopped_style());
                bar.abandon_with_message(words);
            } else {
                bar.set_length(bar.position());
                bar.finish_with_message(words);
            }
        }
    }

    /// Hands the current table (and its counts, which it shares) and the request counts to
    /// the plain-line thread.
    fn publish(&self) {
        if let Some(t) = &self.ticker {
            let mut g = t.lock();
            g.table.clone_from(&self.table);
            g.stats = self.stats;
        }
    }

    /// Progress of reading the account (nothing shown when quiet).
    pub(crate) fn listing(&self) -> Listing {
        let every = self.ticker.as_ref().map_or(PLAIN_EVERY, Ticker::every);
        Listing::new(self.multi.as_ref(), self.ticker.is_some(), every)
    }

    /// Prints a message line unless quiet.
    pub(crate) fn say(&self, line: &str) {
        self.say_as("message", line);
    }

    /// Prints a message line unless quiet; the log names it `event`.
    pub(crate) fn say_as(&self, event: &str, line: &str) {
        tracing::info!(target: MESSAGE, event, "{line}");
        if !self.quiet {
            self.print(line);
        }
    }

    /// Prints `warning: …`, even when quiet.
    pub(crate) fn warn(&self, line: &str) {
        tracing::warn!(target: MESSAGE, event = "warning", "{line}");
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line.to_string());
        self.print(&format!("warning: {line}"));
    }

    /// Prints a message line without breaking the bar.
    fn print(&self, line: &str) {
        match &self.multi {
            // A hidden bar would swallow the line.
            Some(m) if !m.is_hidden() => {
                let _ = m.println(line);
            }
            _ => eprintln!("{line}"),
        }
    }

    /// The pipeline's running request, retry and 429 counts, for the live display.
    pub(crate) fn note_stats(&mut self, stats: StatsSnapshot) {
        self.stats = stats;
        if let Some(t) = &self.ticker {
            t.lock().stats = stats;
        }
    }

    /// One results line was written, for the row `at`.
    pub(crate) fn record(
        &mut self,
        kind: Option<Kind>,
        verdict: &Verdict,
        at: RowAt<'_>,
        problems: &[RowProblem],
    ) {
        let status = verdict.status;
        match kind {
            Some(k) => self.counts.entry(k).or_default().add(verdict),
            None => self.none_kind.add(verdict),
        }
        if !problems.is_empty() {
            self.problems.add(verdict, problems);
            self.first_rows.note(problems, at);
        }
        let Some(table) = &self.table else { return };
        table.counts.add(verdict);
        let rows = table.counts.rows();
        if let Some(bar) = &self.bar {
            // Rows skipped after a stop are not progress: the bar stays where the run stopped.
            if status != Status::Skipped {
                bar.inc(1);
            }
            if verdict.kept {
                self.kept.fetch_add(1, Ordering::Relaxed);
            }
            if bar.position() > bar.length().unwrap_or(0) {
                bar.set_length(bar.position());
            }
            if rows % 64 == 0 {
                bar.set_message(live_words(
                    &table.counts.kind_counts(),
                    &self.stats,
                    self.mode,
                ));
            }
        }
    }

    fn total(&self) -> KindCounts {
        let mut t = self.none_kind.kind_counts();
        for c in self.counts.values() {
            t.merge(&c.kind_counts());
        }
        t
    }

    /// Ends the display and builds the summary.
    pub(crate) fn finish(mut self, stats: StatsSnapshot, results_files: Vec<String>) -> Summary {
        self.finish_bar();
        if let Some(mut t) = self.ticker.take() {
            t.stop();
        }
        self._active.take();
        let totals = self.total();
        let elapsed = self.started.elapsed().as_secs_f64();
        let top: Vec<(String, u64)> = self
            .problems
            .by_problem()
            .into_iter()
            .take(10)
            .map(|p| (p.label.to_string(), p.rows))
            .collect();
        let problems = self.first_rows.list(&self.problems);
        let warnings = self
            .warnings
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut by_kind: BTreeMap<String, KindCounts> = self
            .counts
            .into_iter()
            .map(|(k, c)| (k.as_str().to_string(), c.kind_counts()))
            .collect();
        if self.none_kind.rows() > 0 {
            by_kind.insert("unknown".into(), self.none_kind.kind_counts());
        }
        Summary {
            mode: self.mode,
            rows: totals.rows,
            // Rows kept from an earlier run or skipped after a stop took no time.
            rows_per_sec: if elapsed > 0.0 {
                totals.handled() as f64 / elapsed
            } else {
                0.0
            },
            totals,
            by_kind,
            top_errors: top,
            problems,
            warnings,
            requests: stats.requests,
            retries: stats.retries,
            throttled: stats.throttled,
            batches: stats.batches,
            jobs: stats.jobs,
            elapsed_secs: elapsed,
            results_files,
            stopped: None,
            calls_to_make: None,
            rate: None,
            listing_secs: None,
        }
    }
}
