//! Progress on stderr and the final summary. Nothing else prints progress.
//!
//! On a terminal: one bar per table (indicatif). Elsewhere (a pipe, a cron log, CI,
//! `TERM=dumb`, `IVVY_IMPORT_PROGRESS=plain`): a plain line at least every 5 seconds, with the
//! total and an ETA when the total is known. Messages always reach stderr.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::kind::Kind;
use crate::outcome::Status;

/// The tracing target of the run's messages to the user (progress lines), mirrored into the
/// log file only.
pub(crate) const MESSAGE: &str = "ivvy_import::message";
use crate::pipeline::StatsSnapshot;
use crate::summary::{KindCounts, Mode, Summary};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The bars on screen, if any: diagnostics from other threads are printed around them.
static ACTIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);

fn active() -> std::sync::MutexGuard<'static, Option<MultiProgress>> {
    ACTIVE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes to stderr, around the progress bars when they are on screen.
pub(crate) fn write_stderr(bytes: &[u8]) {
    let multi = active().clone();
    let write = || {
        let _ = std::io::stderr().lock().write_all(bytes);
    };
    match multi {
        Some(m) if !m.is_hidden() => m.suspend(write),
        _ => write(),
    }
}

/// Takes the bars off [`ACTIVE`] when the display ends, however it ends.
struct ActiveGuard;

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        *active() = None;
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Display {
    Bars,
    Plain,
    Quiet,
}

/// Bars only where they can be drawn: a terminal that is not dumb, outside CI (or when forced
/// with `IVVY_IMPORT_PROGRESS=bar` and still drawable); plain lines everywhere else.
fn choose_display(quiet: bool, forced: Option<&str>, ci: bool, drawable: bool) -> Display {
    let want_bars = match forced {
        Some("bar") => true,
        Some("plain") => false,
        _ => !ci,
    };
    match (quiet, want_bars && drawable) {
        (true, _) => Display::Quiet,
        (false, true) => Display::Bars,
        (false, false) => Display::Plain,
    }
}

/// The current table, as the plain lines show it.
#[derive(Debug, Clone)]
struct TableLive {
    label: String,
    total: Option<u64>,
    started: Instant,
    counts: KindCounts,
}

/// What the plain-line thread reads: the table (set when it starts) under a lock, its counts
/// as atomics the collector stores after every row (plain stores: the collector is the only
/// writer), so a line is never staler than the last row.
#[derive(Debug, Default)]
struct Shared {
    table: Option<TableLive>,
    stats: StatsSnapshot,
    stop: bool,
}

/// [`KindCounts`] as atomics.
#[derive(Debug, Default)]
struct LiveCounts([AtomicU64; 11]);

impl LiveCounts {
    fn store(&self, c: &KindCounts) {
        let values = [
            c.rows,
            c.valid,
            c.invalid,
            c.created,
            c.updated,
            c.unchanged,
            c.failed,
            c.skipped,
            c.conflict,
            c.create,
            c.update,
        ];
        for (slot, v) in self.0.iter().zip(values) {
            slot.store(v, Ordering::Relaxed);
        }
    }

    fn load(&self) -> KindCounts {
        let v: Vec<u64> = self.0.iter().map(|a| a.load(Ordering::Relaxed)).collect();
        KindCounts {
            rows: v[0],
            valid: v[1],
            invalid: v[2],
            created: v[3],
            updated: v[4],
            unchanged: v[5],
            failed: v[6],
            skipped: v[7],
            conflict: v[8],
            create: v[9],
            update: v[10],
        }
    }
}

/// The thread that prints a plain line every few seconds, whether rows move or not.
struct Ticker {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    counts: Arc<LiveCounts>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(mode: Mode, every: Duration, started: Instant) -> Ticker {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let counts = Arc::new(LiveCounts::default());
        let thread = {
            let shared = shared.clone();
            let counts = counts.clone();
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || tick(&shared, &counts, mode, every, started))
                .ok()
        };
        Ticker {
            shared,
            counts,
            thread,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stop(&mut self) {
        self.lock().stop = true;
        self.shared.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tick(
    shared: &(Mutex<Shared>, Condvar),
    counts: &LiveCounts,
    mode: Mode,
    every: Duration,
    started: Instant,
) {
    let lock = || {
        shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let mut next = Instant::now() + every;
    loop {
        let mut g = lock();
        while !g.stop && Instant::now() < next {
            let left = next.saturating_duration_since(Instant::now());
            g = shared
                .1
                .wait_timeout(g, left)
                .map_or_else(|e| e.into_inner().0, |r| r.0);
        }
        if g.stop {
            return;
        }
        let line = match &g.table {
            Some(t) => {
                let t = TableLive {
                    counts: counts.load(),
                    ..t.clone()
                };
                plain_line(&t, &g.stats, mode, Instant::now())
            }
            None => format!("… starting ({:.0}s)", started.elapsed().as_secs_f64()),
        };
        drop(g);
        write_stderr(format!("{line}\n").as_bytes());
        next += every;
        if next < Instant::now() {
            next = Instant::now() + every;
        }
    }
}

/// `12,400/50,000 rows (24.8%) 190/s eta 4m10s — crm.csv: 12,300 created, 100 invalid, …`
fn plain_line(t: &TableLive, stats: &StatsSnapshot, mode: Mode, now: Instant) -> String {
    let done = t.counts.rows;
    let secs = now.duration_since(t.started).as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let head = match t.total.filter(|n| *n > 0) {
        Some(total) => {
            let total = total.max(done);
            let eta = if done >= total {
                "0s".to_string()
            } else if rate > 0.0 {
                short_secs((total - done) as f64 / rate)
            } else {
                "?".to_string()
            };
            format!(
                "{}/{} rows ({:.1}%) {:.0}/s eta {eta}",
                grouped(done),
                grouped(total),
                done as f64 * 100.0 / total as f64,
                rate
            )
        }
        None => format!("{} rows {rate:.0}/s", grouped(done)),
    };
    format!(
        "{head} — {}: {}",
        t.label,
        live_words(&t.counts, stats, mode)
    )
}

/// `12400` → `12,400`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `250` → `4m10s`.
fn short_secs(secs: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "max(0.0) makes it non-negative (NaN too); a float-to-int cast saturates"
    )]
    let s = secs.ceil().max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The counts of a table (and the requests so far) in words.
fn live_words(t: &KindCounts, stats: &StatsSnapshot, mode: Mode) -> String {
    let words = t.words(mode);
    if mode == Mode::Import {
        let batches = if stats.batches > 0 {
            format!(", {} batches", stats.batches)
        } else {
            String::new()
        };
        format!(
            "{words}, {} requests{batches}, {} retries, {} throttled",
            stats.requests, stats.retries, stats.throttled
        )
    } else {
        words
    }
}

/// Live counts and the bar (or plain lines) while a run goes.
pub(crate) struct Progress {
    started: Instant,
    counts: BTreeMap<Kind, KindCounts>,
    none_kind: KindCounts,
    errors: HashMap<String, u64>,
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
    mode: Mode,
    stats: StatsSnapshot,
}

impl Progress {
    /// A bar when stderr is a terminal (and not CI), plain lines every few seconds otherwise,
    /// nothing when quiet.
    pub(crate) fn new(quiet: bool, mode: Mode) -> Progress {
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
            none_kind: KindCounts::default(),
            errors: HashMap::new(),
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
            counts: KindCounts::default(),
        });
        self.publish();
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
        self.bar = Some(bar);
    }

    fn finish_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            let counts = self
                .table
                .as_ref()
                .map(|t| t.counts.clone())
                .unwrap_or_default();
            bar.set_length(bar.position());
            bar.finish_with_message(live_words(&counts, &self.stats, self.mode));
        }
    }

    /// Hands the current table and request counts to the plain-line thread.
    fn publish(&self) {
        if let Some(t) = &self.ticker {
            let mut g = t.lock();
            g.table.clone_from(&self.table);
            g.stats = self.stats;
            t.counts.store(
                &self
                    .table
                    .as_ref()
                    .map(|t| t.counts.clone())
                    .unwrap_or_default(),
            );
        }
    }

    /// Prints a message line unless quiet.
    pub(crate) fn say(&self, line: &str) {
        tracing::info!(target: MESSAGE, "{line}");
        if !self.quiet {
            self.print(line);
        }
    }

    /// Prints `warning: …`, even when quiet.
    pub(crate) fn warn(&self, line: &str) {
        tracing::warn!(target: MESSAGE, "{line}");
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

    /// One results line was written.
    pub(crate) fn record(&mut self, kind: Option<Kind>, status: Status, error_labels: &[String]) {
        match kind {
            Some(k) => self.counts.entry(k).or_default().add(status),
            None => self.none_kind.add(status),
        }
        for l in error_labels {
            *self.errors.entry(l.clone()).or_default() += 1;
        }
        let Some(table) = &mut self.table else { return };
        table.counts.add(status);
        let rows = table.counts.rows;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if bar.position() > bar.length().unwrap_or(0) {
                bar.set_length(bar.position());
            }
            if rows % 64 == 0 {
                bar.set_message(live_words(&table.counts, &self.stats, self.mode));
            }
        } else if let Some(t) = &self.ticker {
            t.counts.store(&table.counts);
        }
    }

    fn total(&self) -> KindCounts {
        let mut t = self.none_kind.clone();
        for c in self.counts.values() {
            t.merge(c);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_where_they_can_be_drawn() {
        assert_eq!(choose_display(false, None, false, true), Display::Bars);
        // A pipe, TERM=dumb: indicatif would hide the bars and every line printed through them.
        assert_eq!(choose_display(false, None, false, false), Display::Plain);
        assert_eq!(
            choose_display(false, Some("bar"), false, false),
            Display::Plain
        );
        assert_eq!(choose_display(false, None, true, true), Display::Plain);
        assert_eq!(
            choose_display(false, Some("bar"), true, true),
            Display::Bars
        );
        assert_eq!(
            choose_display(false, Some("plain"), false, true),
            Display::Plain
        );
        assert_eq!(
            choose_display(true, Some("bar"), false, true),
            Display::Quiet
        );
    }

    #[test]
    fn plain_lines_come_at_least_every_five_seconds() {
        assert!(PLAIN_EVERY <= Duration::from_secs(5));
    }

    #[test]
    fn plain_line_carries_the_total_the_rate_and_an_eta() {
        let started = Instant::now();
        let mut counts = KindCounts::default();
        for _ in 0..12_400 {
            counts.add(Status::Created);
        }
        let t = TableLive {
            label: "crm.csv".into(),
            total: Some(50_000),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            Mode::Import,
            started + Duration::from_secs(62),
        );
        assert!(
            line.starts_with("12,400/50,000 rows (24.8%) 200/s eta 3m08s — crm.csv: 12400 created"),
            "{line}"
        );
        let unknown = TableLive { total: None, ..t };
        let line = plain_line(
            &unknown,
            &StatsSnapshot::default(),
            Mode::Validate,
            started + Duration::from_secs(62),
        );
        assert!(line.starts_with("12,400 rows 200/s — crm.csv"), "{line}");
        assert!(!line.contains("eta"), "{line}");
    }

    #[test]
    fn numbers_are_grouped_and_durations_short() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(short_secs(250.0), "4m10s");
        assert_eq!(short_secs(42.2), "43s");
        assert_eq!(short_secs(3_900.0), "1h05m");
    }
}
