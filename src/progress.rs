//! Progress on stderr and the final summary. Nothing else prints progress.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::kind::Kind;
use crate::outcome::Status;
use crate::pipeline::StatsSnapshot;
use crate::summary::{KindCounts, Mode, Summary};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    mode: Mode,
    stats: StatsSnapshot,
}

impl Progress {
    /// A bar when stderr is a terminal (and not CI), plain lines every few seconds otherwise,
    /// nothing when quiet.
    pub fn new(quiet: bool, mode: Mode) -> Progress {
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
            mode,
            stats: StatsSnapshot::default(),
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

    /// The pipeline's running request, retry and 429 counts, for the live display.
    pub fn note_stats(&mut self, stats: StatsSnapshot) {
        self.stats = stats;
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
            t.merge(c);
        }
        t
    }

    fn live(&self, t: &KindCounts) -> String {
        let words = t.words(self.mode);
        if self.mode == Mode::Import {
            let batches = if self.stats.batches > 0 {
                format!(", {} batches", self.stats.batches)
            } else {
                String::new()
            };
            format!(
                "{words}, {} requests{batches}, {} retries, {} throttled",
                self.stats.requests, self.stats.retries, self.stats.throttled
            )
        } else {
            words
        }
    }

    /// Ends the display and builds the summary.
    pub fn finish(mut self, stats: StatsSnapshot, results_files: Vec<String>) -> Summary {
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
            mode: self.mode,
            rows: totals.rows,
            rows_per_sec: if elapsed > 0.0 {
                totals.rows as f64 / elapsed
            } else {
                0.0
            },
            totals,
            by_kind,
            top_errors: top,
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
        }
    }
}
