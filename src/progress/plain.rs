//! The plain-line reporter: where bars cannot be drawn, a thread prints the current table's
//! counts, total and ETA at least every few seconds, whether rows move or not.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::bars::write_stderr;
use super::words::{live_words, short_secs};
use crate::config::RunMode;
use crate::figures::grouped;
use crate::pipeline::StatsSnapshot;
use crate::results::tally::StatusCounts;

/// How often a plain progress line is printed.
pub(super) const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The current table, as the plain lines show it.
#[derive(Debug, Clone)]
pub(super) struct TableLive {
    pub(super) label: String,
    pub(super) total: Option<u64>,
    pub(super) started: Instant,
    /// The table's rows by status, shared with the collector that counts them.
    pub(super) counts: Arc<StatusCounts>,
}

/// What the plain-line thread reads: the table (set when it starts) under a lock; its counts
/// are the table's tally, which the collector adds each row to, so a line is never staler
/// than the last row.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) table: Option<TableLive>,
    pub(super) stats: StatsSnapshot,
    stop: bool,
}

/// The thread that prints a plain line every few seconds, whether rows move or not.
pub(super) struct Ticker {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    every: Duration,
}

impl Ticker {
    pub(super) fn start(mode: RunMode, every: Duration, started: Instant) -> Ticker {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || tick(&shared, mode, every, started))
                .ok()
        };
        Ticker {
            shared,
            thread,
            every,
        }
    }

    /// How often a plain line is printed.
    pub(super) fn every(&self) -> Duration {
        self.every
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn stop(&mut self) {
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

fn tick(shared: &(Mutex<Shared>, Condvar), mode: RunMode, every: Duration, started: Instant) {
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
            Some(t) => plain_line(t, &g.stats, mode, Instant::now()),
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
/// The rate and ETA count only the rows this run handles: not those kept from an earlier run
/// (`--resume`), nor those skipped after a stop (which do not move the count either).
fn plain_line(t: &TableLive, stats: &StatsSnapshot, mode: RunMode, now: Instant) -> String {
    let counts = t.counts.kind_counts();
    let done = counts.rows - counts.skipped;
    let secs = now.duration_since(t.started).as_secs_f64();
    let rate = if secs > 0.0 {
        counts.handled() as f64 / secs
    } else {
        0.0
    };
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
    format!("{head} — {}: {}", t.label, live_words(&counts, stats, mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Status, Verdict};

    /// A table's counts: `n` rows of each verdict.
    fn counts(rows: &[(Verdict, u32)]) -> Arc<StatusCounts> {
        let c = StatusCounts::default();
        for (v, n) in rows {
            for _ in 0..*n {
                c.add(v);
            }
        }
        Arc::new(c)
    }

    #[test]
    fn plain_lines_come_at_least_every_five_seconds() {
        assert!(PLAIN_EVERY <= Duration::from_secs(5));
    }

    #[test]
    fn plain_line_carries_the_total_the_rate_and_an_eta() {
        let started = Instant::now();
        let counts = counts(&[(Verdict::new(Status::Created), 12_400)]);
        let t = TableLive {
            label: "crm.csv".into(),
            total: Some(50_000),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            RunMode::Import,
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
            RunMode::Validate,
            started + Duration::from_secs(62),
        );
        assert!(line.starts_with("12,400 rows 200/s — crm.csv"), "{line}");
        assert!(!line.contains("eta"), "{line}");
    }

    #[test]
    fn rows_kept_from_an_earlier_run_count_in_the_position_not_the_rate() {
        let started = Instant::now();
        let counts = counts(&[
            (Verdict::kept(Status::Created, 1), 62),
            (Verdict::new(Status::Created), 31),
        ]);
        let t = TableLive {
            label: "leads.csv".into(),
            total: Some(200),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            RunMode::Import,
            started + Duration::from_secs(31),
        );
        // 31 rows in 31 s: 1/s, and 107 rows left.
        assert!(
            line.starts_with(
                "93/200 rows (46.5%) 1/s eta 1m47s — leads.csv: 31 created now, 62 kept"
            ),
            "{line}"
        );
    }

    #[test]
    fn rows_skipped_after_a_stop_do_not_move_the_count() {
        let started = Instant::now();
        let counts = counts(&[
            (Verdict::new(Status::Created), 40),
            (Verdict::new(Status::Skipped), 160),
        ]);
        let t = TableLive {
            label: "leads.csv".into(),
            total: Some(200),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            RunMode::Import,
            started + Duration::from_secs(4),
        );
        assert!(line.starts_with("40/200 rows (20.0%) 10/s"), "{line}");
    }
}
