//! The plain-line reporter: where bars cannot be drawn, a thread prints the current table's
//! counts, total and ETA at least every few seconds, whether rows move or not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::bars::write_stderr;
use super::words::{live_words, short_secs};
use crate::figures::grouped;
use crate::pipeline::StatsSnapshot;
use crate::summary::{KindCounts, Mode};

/// How often a plain progress line is printed.
pub(super) const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The current table, as the plain lines show it.
#[derive(Debug, Clone)]
pub(super) struct TableLive {
    pub(super) label: String,
    pub(super) total: Option<u64>,
    pub(super) started: Instant,
    pub(super) counts: KindCounts,
}

/// What the plain-line thread reads: the table (set when it starts) under a lock, its counts
/// as atomics the collector stores after every row (plain stores: the collector is the only
/// writer), so a line is never staler than the last row.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) table: Option<TableLive>,
    pub(super) stats: StatsSnapshot,
    stop: bool,
}

/// [`KindCounts`] as atomics.
#[derive(Debug, Default)]
pub(super) struct LiveCounts([AtomicU64; 12]);

impl LiveCounts {
    pub(super) fn store(&self, c: &KindCounts) {
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
            c.kept,
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
            kept: v[11],
        }
    }
}

/// The thread that prints a plain line every few seconds, whether rows move or not.
pub(super) struct Ticker {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    pub(super) counts: Arc<LiveCounts>,
    thread: Option<JoinHandle<()>>,
    every: Duration,
}

impl Ticker {
    pub(super) fn start(mode: Mode, every: Duration, started: Instant) -> Ticker {
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
/// The rate and ETA count only the rows this run handles: not those kept from an earlier run
/// (`--resume`), nor those skipped after a stop (which do not move the count either).
fn plain_line(t: &TableLive, stats: &StatsSnapshot, mode: Mode, now: Instant) -> String {
    let done = t.counts.rows - t.counts.skipped;
    let secs = now.duration_since(t.started).as_secs_f64();
    let rate = if secs > 0.0 {
        t.counts.handled() as f64 / secs
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
    format!(
        "{head} — {}: {}",
        t.label,
        live_words(&t.counts, stats, mode)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

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
    fn rows_kept_from_an_earlier_run_count_in_the_position_not_the_rate() {
        let started = Instant::now();
        let mut counts = KindCounts::default();
        for _ in 0..62 {
            counts.add_kept();
        }
        for _ in 0..31 {
            counts.add(Status::Created);
        }
        let t = TableLive {
            label: "leads.csv".into(),
            total: Some(200),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            Mode::Import,
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
        let mut counts = KindCounts::default();
        for _ in 0..40 {
            counts.add(Status::Created);
        }
        for _ in 0..160 {
            counts.add(Status::Skipped);
        }
        let t = TableLive {
            label: "leads.csv".into(),
            total: Some(200),
            started,
            counts,
        };
        let line = plain_line(
            &t,
            &StatsSnapshot::default(),
            Mode::Import,
            started + Duration::from_secs(4),
        );
        assert!(line.starts_with("40/200 rows (20.0%) 10/s"), "{line}");
    }
}
