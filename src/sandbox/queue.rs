//! The batches a store holds: kept from their run, taken in the order they are due to be
//! applied, and kept with their results for the polls. The batch calls are in `batch.rs`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::faults::{DEFAULT_BATCH_MAX, Misreport, Stuck};
use crate::api::wire::BatchJob;

/// The batches a store was given, and its batch limits.
#[derive(Debug, Clone)]
pub(crate) struct Batches {
    /// The most jobs one run takes.
    pub max_jobs: usize,
    /// How long after a run its jobs are applied.
    pub delay: Duration,
    /// How finished batches' results are reported.
    pub misreport: Misreport,
    /// Batches never finish (fault injection).
    pub stuck: Stuck,
    next: u64,
    kept: HashMap<String, Batch>,
    /// Accepted, not yet applied, in the order they are due (the delay is the same for all).
    pending: VecDeque<String>,
}

impl Default for Batches {
    fn default() -> Self {
        Batches {
            max_jobs: DEFAULT_BATCH_MAX,
            delay: Duration::ZERO,
            misreport: Misreport::None,
            stuck: Stuck::No,
            next: 1,
            kept: HashMap::new(),
            pending: VecDeque::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Batch {
    accepted: Instant,
    due: Instant,
    /// Until applied.
    jobs: Vec<BatchJob>,
    /// Once applied: one per job, in job order.
    results: Option<Vec<Value>>,
}

impl Batch {
    /// 0 to 99 growing with the time waited over the delay; 100 once applied.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "both durations are non-negative and whole is positive; the float-to-int \
                  cast saturates and the result is capped at 99"
    )]
    fn progress(&self, now: Instant) -> u64 {
        if self.results.is_some() {
            return 100;
        }
        let whole = self
            .due
            .saturating_duration_since(self.accepted)
            .as_secs_f64();
        let waited = now.saturating_duration_since(self.accepted).as_secs_f64();
        if whole <= 0.0 {
            return 99;
        }
        ((waited / whole * 100.0) as u64).min(99)
    }
}

impl Batches {
    /// Keeps the checked jobs of a run accepted at `at`, due after the delay; answers the
    /// batch's id.
    pub(crate) fn accept(&mut self, jobs: Vec<BatchJob>, at: Instant) -> String {
        let id = format!("batch-{}", self.next);
        self.next += 1;
        let due = at + self.delay;
        self.kept.insert(
            id.clone(),
            Batch {
                accepted: at,
                due,
                jobs,
                results: None,
            },
        );
        self.pending.push_back(id.clone());
        id
    }

    /// How many accepted batches are not yet applied.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// When the oldest batch not yet applied is due, if any.
    fn next_due(&self) -> Option<Instant> {
        let id = self.pending.front()?;
        self.kept.get(id).map(|b| b.due)
    }

    /// The oldest batch not yet applied, if it is due by `now`: taken off the queue, its id and
    /// its jobs.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<(String, Vec<BatchJob>)> {
        if self.stuck != Stuck::No {
            return None;
        }
        while self.next_due().is_some_and(|due| due <= now) {
            let Some(id) = self.pending.pop_front() else {
                break;
            };
            if let Some(b) = self.kept.get_mut(&id) {
                return Some((id, std::mem::take(&mut b.jobs)));
            }
        }
        None
    }

    /// Keeps the results of a batch taken by [`Batches::take_due`], one per job.
    pub(crate) fn finish(&mut self, id: &str, results: Vec<Value>) {
        if let Some(b) = self.kept.get_mut(id) {
            b.results = Some(results);
        }
    }

    /// A batch's progress at `now` (see [`Batch::progress`]); `None` for an unknown id.
    pub(crate) fn progress(&self, id: &str, now: Instant) -> Option<u64> {
        let b = self.kept.get(id)?;
        Some(match self.stuck {
            Stuck::No => b.progress(now),
            Stuck::Half => 50,
            Stuck::Done => 100,
        })
    }

    /// A batch's id as kept, and its results once applied; `None` for an unknown id.
    pub(crate) fn results(&self, id: &str) -> Option<(&str, Option<&[Value]>)> {
        self.kept
            .get_key_value(id)
            .map(|(id, b)| (id.as_str(), b.results.as_deref()))
    }
}
