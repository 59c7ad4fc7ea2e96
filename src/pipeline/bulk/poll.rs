//! Waiting for a started batch: results are asked for first (one request when the batch is
//! done in time); "not completed yet" (24114) turns to polling progress. Every wait has a
//! bound: the pause grows from a floor (never zero) to a ceiling, the batch has a deadline
//! (`--batch-timeout` from its `run`), and polls that show no progress count toward
//! `--give-up-after`.

use std::time::{Duration, Instant};

use super::Lost;
use crate::api::Failure;
use crate::api::wire::{BatchJobResult, codes};
use crate::pipeline::Transport;
use crate::pipeline::stop::Stop;

/// The first pause between polls, and the longest.
pub(super) const POLL_FIRST: Duration = Duration::from_millis(500);
const POLL_MAX: Duration = Duration::from_secs(3);

/// Polls of one batch: a pause that only grows, and the progress seen so far.
pub(crate) struct Poller {
    pause: Duration,
    deadline: Instant,
    progress: f64,
}

impl Poller {
    pub(crate) fn new(deadline: Instant) -> Poller {
        Poller {
            pause: POLL_FIRST,
            deadline,
            progress: -1.0,
        }
    }

    /// Sleeps the next pause (never past the deadline, waking on a stop: the next poll is
    /// then not sent); false once the deadline has passed.
    async fn pause(&mut self, stop: &Stop) -> bool {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stop.sleep(self.pause.min(left)).await;
        self.pause = self.pause.mul_f64(1.5).clamp(POLL_FIRST, POLL_MAX);
        true
    }
}

impl Transport {
    /// Waits for a batch started at `since` and returns its results, within its deadline. A
    /// stop sends no more polls: the batch's rows end unknown, for `--resume` to settle.
    pub(super) async fn await_batch(
        &self,
        async_id: &str,
        since: Instant,
    ) -> Result<Vec<BatchJobResult>, Lost> {
        let mut poller = Poller::new(since + self.policy.batch_timeout);
        match self.poll_batch(async_id, &mut poller).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(Lost::Unfinished(self.unfinished(async_id))),
            // No such batch (24105/24115), or polls that keep failing: applied or not is
            // unknown, so the creates are looked up once the batch's time has passed.
            Err(failure) => Err(Lost::Unanswered { failure, since }),
        }
    }

    /// The message of a batch that did not finish in time.
    pub(crate) fn unfinished(&self, async_id: &str) -> String {
        format!(
            "batch {async_id} did not finish within --batch-timeout ({} s)",
            self.policy.batch_timeout.as_secs_f64().ceil()
        )
    }

    /// Polls a batch until its results come (Some), its deadline passes (None) or a poll
    /// fails for good (Err).
    pub(crate) async fn poll_batch(
        &self,
        async_id: &str,
        poller: &mut Poller,
    ) -> Result<Option<Vec<BatchJobResult>>, Failure> {
        loop {
            if !poller.pause(&self.stop).await {
                return Ok(None);
            }
            if let Some(r) = self.finished(async_id).await? {
                return Ok(Some(r));
            }
            // Progress until 100, within the deadline.
            loop {
                if !poller.pause(&self.stop).await {
                    // The deadline: one last ask for the results.
                    return self.finished(async_id).await;
                }
                let p = self.poll(|| self.client.batch_progress(async_id)).await?;
                let advanced = p > poller.progress;
                poller.progress = poller.progress.max(p);
                if !self.polled(advanced, &format!("batch {async_id}")) {
                    return Ok(None);
                }
                if p >= 100.0 {
                    break;
                }
            }
            // Done by its progress: the results at once (the pause does not start over).
            if let Some(r) = self.finished(async_id).await? {
                return Ok(Some(r));
            }
        }
    }

    /// A batch's results when it has finished; counts as progress.
    async fn finished(&self, async_id: &str) -> Result<Option<Vec<BatchJobResult>>, Failure> {
        let r = self.batch_outcomes(async_id).await?;
        if r.is_some() {
            self.polled(true, async_id);
        }
        Ok(r)
    }

    /// A batch's results; None while it is not completed (24114). A poll that answers
    /// counts as progress only through the batch's progress, not by itself.
    pub(crate) async fn batch_outcomes(
        &self,
        async_id: &str,
    ) -> Result<Option<Vec<BatchJobResult>>, Failure> {
        match self.poll(|| self.client.batch_results(async_id)).await {
            Ok(r) => Ok(Some(r)),
            Err(f)
                if f.api_error().and_then(|e| e.specific_code)
                    == Some(codes::BATCH_NOT_COMPLETED) =>
            {
                Ok(None)
            }
            Err(f) => Err(f),
        }
    }
}
