//! Bulk mode: rows packed into iVvy's batch namespace, up to 200 jobs a request.
//!
//! Before each `batch?action=run` the batch's jobs are journalled as about to run, with the
//! time. `run` starts the jobs and answers an id; the batch is then polled (`poll.rs`) until
//! its results come, within `--batch-timeout`. Each result counts only if it matches the job
//! sent (action, name, id): results are never matched to rows by position alone.
//!
//! iVvy applies a batch's jobs while it runs, possibly long after `run` answered. So a batch
//! whose outcome is unknown (the `run` answer lost, results that do not match) never has its
//! creates sent again in this run: once the server's batch time has passed (at least
//! `--max-wait`, and twice the longest batch so far) they are looked up by list passes that
//! agree; those not found fail with "run --resume after N s" and the journal is kept.
//! 24448 (too many jobs) halves the batch size for the rest of the run; 24092/24093 (a bad
//! job) split the batch until the bad job is alone, and only its row fails.

mod poll;
mod settle;

pub(crate) use poll::Poller;
use settle::unknown;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::transport::{Call, Ended};
use super::{Submitted, Submitter, lock};
use crate::api::client::job_outcome;
use crate::api::wire::codes;
use crate::api::{Failure, JobSent, result_matches};
use crate::outcome::Status;
use crate::record::Record;

/// Bulk mode's state, shared by the run's batches.
pub(crate) struct Batches {
    /// The batch size now (halved when the server says a batch is too big).
    size: AtomicUsize,
    /// The longest a batch took from `run` to its results.
    longest: Mutex<Duration>,
}

impl Batches {
    pub(crate) fn new(size: usize) -> Batches {
        Batches {
            size: AtomicUsize::new(size),
            longest: Mutex::new(Duration::ZERO),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed).max(1)
    }
}

/// What a journal records of a batch.
pub(crate) trait BatchJournal: Sync {
    /// Before the batch is sent: this record (an index into the batch) is a create.
    fn sent(&self, index: usize) -> std::io::Result<()>;
    /// Before each `run`: the batch's records (indexes into the batch) are about to run.
    fn about_to_run(&self, records: &[(usize, &Record)]) -> std::io::Result<()>;
    /// The server's id of the batch holding these records.
    fn started(&self, async_id: &str, indexes: &[usize]) -> std::io::Result<()>;
}

/// Why a batch's outcome is not known.
enum Lost {
    /// The `run` (sent at `since`) may have started the batch: its answer was lost, or its
    /// polls failed.
    Unanswered { failure: Failure, since: Instant },
    /// The batch finished, but its results do not match the jobs sent.
    Mismatched(String),
    /// The batch did not finish within `--batch-timeout`.
    Unfinished(String),
    /// The run was refused as a whole: these rows get this failure.
    Refused(Failure),
}

/// A chunk of a batch waiting to be sent, and how many times its rows were sent before.
struct Chunk {
    rows: Vec<usize>,
    tries: u32,
}

/// Records in the journal that each create is about to be sent; a row whose line cannot be
/// written fails and is not sent.
fn journal_creates(records: &[Record], journal: &dyn BatchJournal, out: &mut [Option<Submitted>]) {
    for i in 0..records.len() {
        if out[i].is_none()
            && records[i].id().is_none()
            && let Err(e) = journal.sent(i)
        {
            out[i] = Some(Submitted::local_failure(
                format!("cannot write the journal: {e}"),
                "journal",
            ));
        }
    }
}

impl Submitter {
    fn batches(&self) -> Option<&Batches> {
        self.batches.as_ref()
    }

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
        let mut queue = vec![Chunk {
            rows: (0..records.len()).filter(|&i| out[i].is_none()).collect(),
            tries: 0,
        }];
        while let Some(Chunk { mut rows, tries }) = queue.pop() {
            if rows.is_empty() {
                continue;
            }
            let size = self.batches().map_or(rows.len(), Batches::size);
            if rows.len() > size {
                let rest = rows.split_off(size);
                queue.push(Chunk { rows: rest, tries });
            }
            if self.is_stopping() {
                for i in rows {
                    out[i] = Some(self.skipped());
                }
                continue;
            }
            match self.run_chunk(records, &rows, journal).await {
                Ok(results) => {
                    for (i, s) in results {
                        out[i] = Some(s);
                    }
                }
                Err(Lost::Refused(f)) => self.refused(f, rows, tries, &mut queue, &mut out),
                Err(Lost::Unfinished(why)) => {
                    for i in rows {
                        out[i] = Some(unknown(&why, None));
                    }
                }
                Err(Lost::Mismatched(why)) => {
                    let chunk = Chunk { rows, tries };
                    self.lost(records, chunk, &why, None, &mut queue, &mut out)
                        .await;
                }
                Err(Lost::Unanswered { failure, since }) => {
                    let chunk = Chunk { rows, tries };
                    let why = failure.describe();
                    self.lost(records, chunk, &why, Some(since), &mut queue, &mut out)
                        .await;
                }
            }
        }
        out.into_iter()
            .map(|s| s.unwrap_or_else(|| self.skipped()))
            .collect()
    }

    /// A batch refused as a whole: too many jobs halves the batch size and the chunk, a bad
    /// job splits the chunk in two; otherwise every row of it gets the failure.
    fn refused(
        &self,
        f: Failure,
        mut rows: Vec<usize>,
        tries: u32,
        queue: &mut Vec<Chunk>,
        out: &mut [Option<Submitted>],
    ) {
        let code = f.api_error().and_then(|e| e.specific_code);
        match code {
            Some(codes::BATCH_TOO_MANY) if rows.len() > 1 => {
                let half = rows.len().div_ceil(2);
                if let Some(b) = self.batches() {
                    b.size.store(half, Ordering::Relaxed);
                }
                let second = rows.split_off(half);
                queue.push(Chunk {
                    rows: second,
                    tries,
                });
                queue.push(Chunk { rows, tries });
            }
            Some(codes::BATCH_BAD_JOB | codes::BATCH_EMPTY_PARAMS) if rows.len() > 1 => {
                let second = rows.split_off(rows.len() / 2);
                queue.push(Chunk {
                    rows: second,
                    tries,
                });
                queue.push(Chunk { rows, tries });
            }
            _ => {
                let s = if matches!(f, Failure::Fatal(_)) {
                    Submitted::failed(&self.transport.fatal(f))
                } else if self.is_stopping() {
                    self.skipped()
                } else {
                    Submitted::failed(&f)
                };
                for i in rows {
                    out[i] = Some(s.clone());
                }
            }
        }
    }

    /// One `run` with its retries, then its polls and results, each matched to its job.
    async fn run_chunk(
        &self,
        records: &[Record],
        chunk: &[usize],
        journal: &dyn BatchJournal,
    ) -> Result<Vec<(usize, Submitted)>, Lost> {
        let batch: Vec<&Record> = chunk.iter().map(|&i| &records[i]).collect();
        let (async_id, since) = self.start_batch(records, chunk, journal).await?;
        self.transport.stats.batches.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = journal.started(&async_id, chunk) {
            return Err(Lost::Unanswered {
                failure: Failure::Unknown(format!("cannot write the journal: {e}")),
                since,
            });
        }
        let results = self.transport.await_batch(&async_id, since).await?;
        if let Some(b) = self.batches() {
            let mut longest = lock(&b.longest);
            *longest = (*longest).max(since.elapsed());
        }
        let matches = results.len() == chunk.len()
            && results
                .iter()
                .zip(&batch)
                .all(|(r, record)| result_matches(r, JobSent::of(record)));
        if !matches {
            return Err(Lost::Mismatched(format!(
                "batch {async_id} answered {} results that do not match its {} jobs",
                results.len(),
                chunk.len()
            )));
        }
        let mut out = Vec::with_capacity(chunk.len());
        for (&i, r) in chunk.iter().zip(&results) {
            out.push((i, self.job_result(&records[i], r).await));
        }
        self.transport
            .stats
            .jobs
            .fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(out)
    }

    /// `batch?action=run` through the transport (never sent again after an unknown
    /// outcome), each attempt journalled first: the batch's id and when its `run` was sent.
    async fn start_batch(
        &self,
        records: &[Record],
        chunk: &[usize],
        journal: &dyn BatchJournal,
    ) -> Result<(String, Instant), Lost> {
        let t = &self.transport;
        let batch: Vec<&Record> = chunk.iter().map(|&i| &records[i]).collect();
        let listed: Vec<(usize, &Record)> = chunk.iter().map(|&i| (i, &records[i])).collect();
        let mut since = Instant::now();
        let mut before = || -> std::io::Result<()> {
            journal.about_to_run(&listed)?;
            since = Instant::now();
            Ok(())
        };
        let call = Call::batch().before_each(&mut before);
        let ended = match t.call(call, || t.client.batch_run(&batch)).await {
            Ok(id) => return Ok((id, since)),
            Err(e) => e,
        };
        Err(match ended {
            Ended::Unknown(failure) => Lost::Unanswered { failure, since },
            Ended::Stopped(None) => Lost::Refused(Failure::Transient(format!(
                "not sent: the run stopped ({})",
                t.stop.reason()
            ))),
            Ended::NotSent(e) => {
                Lost::Refused(Failure::Transient(format!("cannot write the journal: {e}")))
            }
            Ended::Stopped(Some(f))
            | Ended::Refused(f)
            | Ended::OutOfRetries(f)
            | Ended::LookUpFailed(f) => Lost::Refused(f),
        })
    }

    /// What one job's answer means for its row.
    async fn job_result(&self, record: &Record, r: &crate::api::wire::BatchJobResult) -> Submitted {
        match job_outcome(&r.response, record) {
            Ok(id) if record.id().is_none() => {
                self.claims.claim(record.kind(), id);
                Submitted::done(Status::Created, Some(id))
            }
            Ok(id) => Submitted::done(Status::Updated, Some(id)),
            Err(f @ Failure::Fatal(_)) => Submitted::failed(&self.transport.fatal(f)),
            // A create said done without a usable id: look it up like a lost answer.
            Err(f @ Failure::Unknown(_)) if record.id().is_none() => {
                let wanted = [(record.kind(), record.name().unwrap_or_default())];
                match self.claims.look_up(&self.transport, &wanted).await {
                    Ok(found) => match found.first().copied().flatten() {
                        Some(id) => Submitted::done(Status::Created, Some(id)),
                        None => unknown(&f.describe(), Some(Duration::ZERO)),
                    },
                    Err(lookup) => Submitted::look_up_failed(&self.transport.fatal(lookup)),
                }
            }
            Err(f) => Submitted::failed(&f),
        }
    }
}
