//! How the submitter behaves (its policy), and the live counts of its requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How the submitter behaves.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub rate: f64,
    pub retries: u32,
    pub backoff: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The longest single wait (a Retry-After, a backoff).
    pub max_wait: Duration,
    /// Stop the run after this long without any success.
    pub give_up_after: Duration,
    /// Bulk mode: jobs per batch request (None: one request per row).
    pub batch_size: Option<usize>,
    /// Bulk mode: the longest a batch may take on the server.
    pub batch_timeout: Duration,
}

/// Live counts of a run's requests, for the progress display and the summary.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    /// Bulk mode: batches started, and jobs whose answer came back.
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatsSnapshot {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub batches: u64,
    pub jobs: u64,
}

impl Stats {
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }
}
