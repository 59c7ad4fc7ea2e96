//! Progress on stderr and the final summary. Nothing else prints progress.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::record::Kind;
use crate::results::Status;

/// Counts for one kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KindCounts {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub created: u64,
    pub updated: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl KindCounts {
    fn add(&mut self, status: Status) {
        self.rows += 1;
        match status {
            Status::Valid => self.valid += 1,
            Status::Invalid => self.invalid += 1,
            Status::Created => {
                self.valid += 1;
                self.created += 1;
            }
            Status::Updated => {
                self.valid += 1;
                self.updated += 1;
            }
            Status::Failed => {
                self.valid += 1;
                self.failed += 1;
            }
            Status::Skipped => {
                self.valid += 1;
                self.skipped += 1;
            }
        }
    }
}

/// The end-of-run report: printed on stderr, and as JSON on stdout with `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub dry_run: bool,
    /// Non-blank data rows read.
    pub rows: u64,
    pub totals: KindCounts,
    pub by_kind: BTreeMap<String, KindCounts>,
    /// Problem and error kinds, most frequent first.
    pub top_errors: Vec<(String, u64)>,
    pub retries: u64,
    pub throttled: u64,
    pub elapsed_secs: f64,
    /// Rows per second over the whole run.
    pub rows_per_sec: f64,
    pub results_files: Vec<String>,
    /// Set when the run stopped early: why.
    pub stopped: Option<String>,
    pub interrupted: bool,
}

impl Summary {
    /// 0 every row done (valid in a dry run), 1 some were not, 130 interrupted.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            return 130;
        }
        let t = &self.totals;
        if t.invalid + t.failed + t.skipped == 0 {
            0
        } else {
            1
        }
    }

    pub fn render(&self) -> String {
        let t = &self.totals;
        let mut s = String::new();
        let secs = self.elapsed_secs;
        if self.dry_run {
            s.push_str(&format!(
                "{} rows read: {} valid, {} invalid ({secs:.2}s, dry run: nothing sent)\n",
                self.rows, t.valid, t.invalid
            ));
        } else {
            s.push_str(&format!(
                "{} rows read: {} created, {} updated, {} failed, {} invalid, {} skipped in {secs:.1}s ({:.1} rows/s)\n",
                self.rows, t.created, t.updated, t.failed, t.invalid, t.skipped, self.rows_per_sec
            ));
            if self.retries + self.throttled > 0 {
                s.push_str(&format!(
                    "  retries: {}, throttled (429): {}\n",
                    self.retries, self.throttled
                ));
            }
        }
        for (kind, c) in &self.by_kind {
            if self.dry_run {
                s.push_str(&format!(
                    "  {kind}: {} rows, {} valid, {} invalid\n",
                    c.rows, c.valid, c.invalid
                ));
            } else {
                s.push_str(&format!(
                    "  {kind}: {} rows, {} created, {} updated, {} failed, {} invalid, {} skipped\n",
                    c.rows, c.created, c.updated, c.failed, c.invalid, c.skipped
                ));
            }
        }
        if !self.top_errors.is_empty() {
            s.push_str("  top errors:\n");
            for (e, n) in self.top_errors.iter().take(5) {
                s.push_str(&format!("    {n} × {e}\n"));
            }
        }
        if let Some(why) = &self.stopped {
            s.push_str(&format!("  stopped: {why}\n"));
        }
        for f in &self.results_files {
            s.push_str(&format!("  results: {f}\n"));
        }
        s
    }
}

/// Live counts and the bar (or plain lines) while a run goes.
pub struct Progress {
    started: Instant,
    counts: BTreeMap<Kind, KindCounts>,
    none_kind: KindCounts,
    errors: HashMap<String, u64>,
    /// Bars, one per table (a CSV file, or a sheet), when stderr is a terminal.
    multi: Option<MultiProgress>,
    /// The current table's bar and its own counts.
    bar: Option<(ProgressBar, KindCounts)>,
    plain: bool,
    quiet: bool,
    last_plain: Instant,
    dry_run: bool,
    retries: u64,
    throttled: u64,
}

impl Progress {
    /// A bar when stderr is a terminal (and not CI), plain lines every few seconds otherwise,
    /// nothing when quiet.
    pub fn new(quiet: bool, dry_run: bool) -> Progress {
        let forced = std::env::var("IVVY_IMPORT_PROGRESS").ok();
        let terminal = match forced.as_deref() {
            Some("bar") => true,
            Some("plain") => false,
            _ => std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        };
        Progress {
            started: Instant::now(),
            counts: BTreeMap::new(),
            none_kind: KindCounts::default(),
            errors: HashMap::new(),
            multi: (!quiet && terminal)
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bar: None,
            plain: !quiet && !terminal,
            quiet,
            last_plain: Instant::now(),
            dry_run,
            retries: 0,
            throttled: 0,
        }
    }

    /// A new table starts (a CSV file, or a workbook's sheet); `total` is its row count when
    /// known. The previous table's bar stays, finished, with its counts.
    pub fn start_table(&mut self, label: &str, total: Option<u64>) {
        self.finish_bar();
        let Some(multi) = &self.multi else { return };
        let bar = multi.add(ProgressBar::new(total.unwrap_or(0)));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} rows {rate} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", s.per_sec());
            }),
        );
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some((bar, KindCounts::default()));
    }

    fn finish_bar(&mut self) {
        if let Some((bar, counts)) = self.bar.take() {
            bar.set_length(bar.position());
            bar.finish_with_message(self.live(&counts));
        }
    }

    /// Prints a message line unless quiet.
    pub fn say(&self, line: &str) {
        if !self.quiet {
            self.println(line);
        }
    }

    /// Prints a message line without breaking the bar.
    pub fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// The submitter's running retry and 429 counts, for the live display.
    pub fn note_retries(&mut self, retries: u64, throttled: u64) {
        self.retries = retries;
        self.throttled = throttled;
    }

    /// One results line was written.
    pub fn record(&mut self, kind: Option<Kind>, status: Status, error_labels: &[String]) {
        match kind {
            Some(k) => self.counts.entry(k).or_default().add(status),
            None => self.none_kind.add(status),
        }
        for l in error_labels {
            *self.errors.entry(l.clone()).or_default() += 1;
        }
        if let Some((bar, counts)) = &mut self.bar {
            counts.add(status);
            bar.inc(1);
            if bar.position() > bar.length().unwrap_or(0) {
                bar.set_length(bar.position());
            }
            if bar.position() % 64 == 0 {
                let counts = counts.clone();
                let message = self.live(&counts);
                if let Some((bar, _)) = &self.bar {
                    bar.set_message(message);
                }
            }
        } else if self.plain && self.last_plain.elapsed() >= Duration::from_secs(5) {
            self.last_plain = Instant::now();
            let total = self.total();
            eprintln!(
                "… {} rows in {:.0}s: {}",
                total.rows,
                self.started.elapsed().as_secs_f64(),
                self.live(&total)
            );
        }
    }

    fn total(&self) -> KindCounts {
        let mut t = self.none_kind.clone();
        for c in self.counts.values() {
            t.rows += c.rows;
            t.valid += c.valid;
            t.invalid += c.invalid;
            t.created += c.created;
            t.updated += c.updated;
            t.failed += c.failed;
            t.skipped += c.skipped;
        }
        t
    }

    fn live(&self, t: &KindCounts) -> String {
        if self.dry_run {
            format!("{} valid, {} invalid", t.valid, t.invalid)
        } else {
            format!(
                "{} created, {} updated, {} failed, {} invalid, {} retries, {} throttled",
                t.created, t.updated, t.failed, t.invalid, self.retries, self.throttled
            )
        }
    }

    /// Ends the display and builds the summary.
    pub fn finish(mut self, retries: u64, throttled: u64, results_files: Vec<String>) -> Summary {
        self.finish_bar();
        let totals = self.total();
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut top: Vec<(String, u64)> = self.errors.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(10);
        let mut by_kind: BTreeMap<String, KindCounts> = self
            .counts
            .into_iter()
            .map(|(k, c)| (k.as_str().to_string(), c))
            .collect();
        if self.none_kind.rows > 0 {
            by_kind.insert("unknown".into(), self.none_kind);
        }
        Summary {
            dry_run: self.dry_run,
            rows: totals.rows,
            rows_per_sec: if elapsed > 0.0 {
                totals.rows as f64 / elapsed
            } else {
                0.0
            },
            totals,
            by_kind,
            top_errors: top,
            retries,
            throttled,
            elapsed_secs: elapsed,
            results_files,
            stopped: None,
            interrupted: false,
        }
    }
}
