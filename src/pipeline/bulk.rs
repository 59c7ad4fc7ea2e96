//! Bulk mode: rows packed into iVvy's batch namespace, up to 200 jobs a request.
//!
//! `batch?action=run` starts the jobs and answers an id; `progress` is polled with a growing
//! pause until 100; `results` gives each job's answer in job order, read exactly as a single
//! call's answer. Every request goes through the same gate, throttle, retries and budget as
//! single calls. A `run` whose answer was lost may have been applied: its creates are looked
//! up with one list pass before any is sent again. 24448 (too many jobs) halves the batch
//! size for the rest of the run; 24092/24093 (a bad job) split the batch until the bad job is
//! alone, and only its row fails.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Submitted, Submitter, failed, lock, verdict};
use crate::api::Failure;
use crate::api::client::job_outcome;
use crate::api::wire::codes;
use crate::kind::Kind;
use crate::outcome::Status;
use crate::record::Record;
use crate::record::names::fold_name;

/// The first pause between progress polls, and the longest.
const POLL_FIRST: Duration = Duration::from_millis(500);
const POLL_MAX: Duration = Duration::from_secs(3);

/// What a journal records of a batch.
pub(crate) trait BatchJournal: Sync {
    /// Before the batch is sent: these records (indexes into the batch) are creates.
    fn sent(&self, index: usize) -> std::io::Result<()>;
    /// The server's id of the batch holding these records.
    fn started(&self, async_id: &str, indexes: &[usize]) -> std::io::Result<()>;
}

/// Why a batch's outcome is not known.
enum Lost {
    /// The run may have been applied: reconcile its creates, resend the rest.
    Unknown(Failure),
    /// The run was refused as a whole: these rows get this failure.
    Refused(Failure),
}

/// Records in the journal that each create is about to be sent; a row whose line cannot be
/// written fails and is not sent.
fn journal_creates(records: &[Record], journal: &dyn BatchJournal, out: &mut [Option<Submitted>]) {
    for i in 0..records.len() {
        if out[i].is_none()
            && records[i].id().is_none()
            && let Err(e) = journal.sent(i)
        {
            out[i] = Some(super::local_failure(
                format!("cannot write the journal: {e}"),
                "journal",
            ));
        }
    }
}

impl Submitter {
    /// Sends `records` as batches; one outcome per record, in order. `was_sent`: creates an
    /// earlier run may have sent (they are looked up first).
    pub(crate) async fn submit_batch(
        &self,
        records: &[Record],
        was_sent: &[bool],
        journal: &dyn BatchJournal,
    ) -> Vec<Submitted> {
        let mut out: Vec<Option<Submitted>> = (0..records.len()).map(|_| None).collect();
        if self.is_stopping() {
            return records.iter().map(|_| self.skipped()).collect();
        }
        self.find_earlier(records, was_sent, &mut out).await;
        journal_creates(records, journal, &mut out);
        let mut queue: Vec<Vec<usize>> =
            vec![(0..records.len()).filter(|&i| out[i].is_none()).collect()];
        while let Some(mut chunk) = queue.pop() {
            if chunk.is_empty() {
                continue;
            }
            let size = self.batch_size.load(Ordering::Relaxed).max(1);
            if chunk.len() > size {
                let rest = chunk.split_off(size);
                queue.push(rest);
            }
            if self.is_stopping() {
                for i in chunk {
                    out[i] = Some(self.skipped());
                }
                continue;
            }
            match self.run_chunk(records, &chunk, journal).await {
                Ok(results) => {
                    for (i, s) in results {
                        out[i] = Some(s);
                    }
                }
                Err(Lost::Refused(f)) => self.refused(&f, chunk, &mut queue, &mut out),
                Err(Lost::Unknown(f)) => {
                    self.lost(records, &f, chunk, &mut queue, &mut out).await;
                }
            }
        }
        out.into_iter()
            .map(|s| s.unwrap_or_else(|| self.skipped()))
            .collect()
    }

    /// Looks up the creates an earlier run may have sent: those found are created, and all
    /// of them fail when the lookup does.
    async fn find_earlier(
        &self,
        records: &[Record],
        was_sent: &[bool],
        out: &mut [Option<Submitted>],
    ) {
        let earlier: Vec<usize> = (0..records.len())
            .filter(|&i| was_sent[i] && records[i].id().is_none())
            .collect();
        if earlier.is_empty() {
            return;
        }
        match self.reconcile_many(records, &earlier).await {
            Ok(found) => {
                for (i, id) in found {
                    out[i] = Some(verdict(Status::Created, Some(id)));
                }
            }
            Err(f) => {
                for &i in &earlier {
                    out[i] = Some(self.lookup_failed(&f));
                }
            }
        }
    }

    /// A batch refused as a whole: too many jobs halves the batch size and the chunk, a bad
    /// job splits the chunk in two; otherwise every row of it gets the failure.
    fn refused(
        &self,
        f: &Failure,
        mut chunk: Vec<usize>,
        queue: &mut Vec<Vec<usize>>,
        out: &mut [Option<Submitted>],
    ) {
        let code = f.api_error().and_then(|e| e.specific_code);
        match code {
            Some(codes::BATCH_TOO_MANY) if chunk.len() > 1 => {
                let half = chunk.len().div_ceil(2);
                self.batch_size.store(half, Ordering::Relaxed);
                let second = chunk.split_off(half);
                queue.push(second);
                queue.push(chunk);
            }
            Some(codes::BATCH_BAD_JOB | codes::BATCH_EMPTY_PARAMS) if chunk.len() > 1 => {
                let second = chunk.split_off(chunk.len() / 2);
                queue.push(second);
                queue.push(chunk);
            }
            _ => {
                let s = if matches!(f, Failure::Fatal(_)) {
                    self.fail_or_stop(f)
                } else {
                    failed(f)
                };
                for i in chunk {
                    out[i] = Some(s.clone());
                }
            }
        }
    }

    /// A batch whose outcome is not known: applied or not? A started batch runs later on the
    /// server, so first wait as long as batches have taken (twice over), then look the
    /// creates up once and resend what is not there.
    async fn lost(
        &self,
        records: &[Record],
        f: &Failure,
        chunk: Vec<usize>,
        queue: &mut Vec<Vec<usize>>,
        out: &mut [Option<Submitted>],
    ) {
        self.stop.sleep(self.settle_time()).await;
        let creates: Vec<usize> = chunk
            .iter()
            .copied()
            .filter(|&i| records[i].id().is_none())
            .collect();
        match self.reconcile_many(records, &creates).await {
            Ok(found) => {
                let found: HashMap<usize, u64> = found.into_iter().collect();
                let mut again = Vec::new();
                for i in chunk {
                    match found.get(&i) {
                        Some(&id) => out[i] = Some(verdict(Status::Created, Some(id))),
                        None => again.push(i),
                    }
                }
                if !self.may_retry(f, true) {
                    for i in again {
                        out[i] =
                            Some(self.out_of_retries(Some(f.clone()), records[i].id().is_none()));
                    }
                } else {
                    queue.push(again);
                }
            }
            Err(lookup) => {
                for i in chunk {
                    out[i] = Some(if records[i].id().is_none() {
                        self.lookup_failed(&lookup)
                    } else {
                        failed(f)
                    });
                }
            }
        }
    }

    /// One `run` with its retries, then its polls and results.
    async fn run_chunk(
        &self,
        records: &[Record],
        chunk: &[usize],
        journal: &dyn BatchJournal,
    ) -> Result<Vec<(usize, Submitted)>, Lost> {
        let batch: Vec<&Record> = chunk.iter().map(|&i| &records[i]).collect();
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        let async_id = loop {
            if !self.gate().await {
                return Err(Lost::Refused(Failure::Transient(format!(
                    "not sent: the run stopped ({})",
                    self.stop.reason()
                ))));
            }
            let f = match self.client.batch_run(&batch).await {
                Ok(id) => {
                    self.budget.success(attempt > 0);
                    break id;
                }
                Err(f) => f,
            };
            match &f {
                Failure::Throttled { retry_after, .. } => {
                    let costs = self.on_throttled(*retry_after, attempt);
                    if !self.may_retry(&f, costs) {
                        return Err(Lost::Refused(f));
                    }
                    attempt += u32::from(costs);
                    continue;
                }
                Failure::Transient(_) if attempt < self.policy.retries => {
                    if !self.may_retry(&f, true) || !self.back_off(attempt).await {
                        return Err(Lost::Refused(f));
                    }
                }
                Failure::Unknown(_) => return Err(Lost::Unknown(f)),
                _ => return Err(Lost::Refused(f)),
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            attempt += 1;
        };
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = journal.started(&async_id, chunk) {
            return Err(Lost::Refused(Failure::Transient(format!(
                "cannot write the journal: {e}"
            ))));
        }
        let results = self.await_batch(&async_id).await?;
        {
            let mut longest = lock(&self.batch_took);
            *longest = (*longest).max(started.elapsed());
        }
        if results.len() != chunk.len() {
            return Err(Lost::Unknown(Failure::Unknown(format!(
                "batch {async_id} answered {} results for {} jobs",
                results.len(),
                chunk.len()
            ))));
        }
        let mut out = Vec::with_capacity(chunk.len());
        for (&i, r) in chunk.iter().zip(&results) {
            let record = &records[i];
            let s = match job_outcome(&r.response, record) {
                Ok(id) if record.id().is_none() => {
                    self.claim(record.kind(), id);
                    verdict(Status::Created, Some(id))
                }
                Ok(id) => verdict(Status::Updated, Some(id)),
                Err(f @ Failure::Fatal(_)) => self.fail_or_stop(&f),
                Err(f) => failed(&f),
            };
            out.push((i, s));
        }
        self.stats
            .jobs
            .fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(out)
    }

    /// Waits for a started batch and returns its results. Results are asked for first
    /// (one request when the batch is done in time); "not completed yet" (24114) turns to
    /// polling progress with a growing pause until 100. A lost or failed poll is simply asked
    /// again: results are kept for days.
    async fn await_batch(
        &self,
        async_id: &str,
    ) -> Result<Vec<crate::api::wire::BatchJobResult>, Lost> {
        let mut pause = POLL_FIRST;
        loop {
            // A stop does not abandon a started batch: its outcome is what the rows need.
            tokio::time::sleep(pause).await;
            match self.batch_outcomes(async_id).await {
                Ok(Some(r)) => return Ok(r),
                Ok(None) => {}
                // No such batch (24105/24115), or polls that keep failing: applied or not is
                // unknown, so the creates are looked up.
                Err(f) => return Err(Lost::Unknown(f)),
            }
            loop {
                tokio::time::sleep(pause).await;
                pause = pause.mul_f64(1.5).min(POLL_MAX);
                let p = self
                    .with_retries(|| self.client.batch_progress(async_id))
                    .await
                    .map_err(Lost::Unknown)?;
                if p >= 100.0 {
                    break;
                }
            }
            pause = Duration::ZERO;
        }
    }

    /// A batch's results; None while it is not completed (24114).
    pub(crate) async fn batch_outcomes(
        &self,
        async_id: &str,
    ) -> Result<Option<Vec<crate::api::wire::BatchJobResult>>, Failure> {
        match self
            .with_retries(|| self.client.batch_results(async_id))
            .await
        {
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

    /// How long to wait after a lost `run` answer before looking its creates up: twice the
    /// longest a batch has taken in this run, plus a second, within --max-wait.
    fn settle_time(&self) -> Duration {
        let longest = *lock(&self.batch_took);
        (longest * 2 + Duration::from_secs(1)).min(self.policy.max_wait)
    }

    /// Looks up, with one list pass per kind, the records creates may have made: same name,
    /// not there before the first run, not another row's. (index, id) for those found.
    pub(crate) async fn reconcile_many(
        &self,
        records: &[Record],
        creates: &[usize],
    ) -> Result<Vec<(usize, u64)>, Failure> {
        let mut found = Vec::new();
        for kind in Kind::ALL {
            let mine: Vec<usize> = creates
                .iter()
                .copied()
                .filter(|&i| records[i].kind() == kind)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let listed = self.list_all(kind, None).await?;
            let pre = self.pre_ids(kind);
            let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
            for l in listed {
                if pre.as_ref().is_some_and(|p| p.contains(&l.id)) {
                    continue;
                }
                by_name.entry(fold_name(&l.name)).or_default().push(l.id);
            }
            let mut claimed = lock(&self.claimed);
            for i in mine {
                let name = fold_name(records[i].name().unwrap_or_default());
                let Some(ids) = by_name.get_mut(&name) else {
                    continue;
                };
                ids.sort_unstable();
                if let Some(pos) = ids.iter().position(|id| !claimed.contains(&(kind, *id))) {
                    let id = ids.remove(pos);
                    claimed.insert((kind, id));
                    found.push((i, id));
                }
            }
        }
        Ok(found)
    }
}
