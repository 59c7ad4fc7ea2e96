//! `--resume` after a run that stopped with batches in flight: each batch the journal says was
//! about to run is settled before any row is sent again. A batch with a known id is polled
//! (within `--batch-timeout` of its `run`) and its results are matched to the journalled jobs
//! by content; a batch with no id (its `run` answer never came, or the process died) is
//! looked up by name once its `--batch-timeout` has passed since its `run`, by list passes
//! that agree. Rows still unknown are held: they fail with "run --resume later" and are not
//! sent.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::resume::ResumeState;
use crate::api::client::job_outcome_of;
use crate::api::wire::BatchJobResult;
use crate::api::{JobSent, result_matches};
use crate::outcome::Status;
use crate::pipeline::Submitter;
use crate::pipeline::bulk::Poller;
use crate::progress::Progress;
use crate::results::journal::{Recovered, RowKey, RunJob, RunLine, now_ms};

/// The job a journal line says was sent.
fn sent(job: &RunJob) -> Option<JobSent<'_>> {
    Some(JobSent {
        kind: job.kind()?,
        name: job.name.as_deref(),
        id: job.id,
    })
}

/// Whether every result answers its journalled job.
fn all_match(results: &[BatchJobResult], jobs: &[RunJob]) -> bool {
    results.len() == jobs.len()
        && results
            .iter()
            .zip(jobs)
            .all(|(r, j)| sent(j).is_some_and(|s| result_matches(r, s)))
}

/// Settles every batch an earlier run was about to send or had started and did not record.
pub(super) async fn recover_batches(
    submitter: &Submitter,
    state: &mut ResumeState,
    rec: &Recovered,
    progress: &Progress,
) {
    for run in &rec.runs {
        let keys = run.keys();
        let open = |state: &ResumeState, k: &RowKey| {
            !state.done.contains_key(k) && !state.batch_done.contains_key(k)
        };
        if !keys.iter().any(|k| open(state, k)) {
            continue;
        }
        let async_id = rec
            .batches
            .iter()
            .rev()
            .find(|(_, rows)| *rows == keys)
            .map(|(id, _)| id.as_str());
        let timeout_ms = u64::try_from(submitter.batch_timeout().as_millis()).unwrap_or(u64::MAX);
        let left =
            Duration::from_millis(run.at.saturating_add(timeout_ms).saturating_sub(now_ms()));
        if let Some(id) = async_id {
            // At least one poll, however old the batch.
            let mut poller = Poller::new(Instant::now() + left.max(Duration::from_secs(1)));
            match submitter.transport.poll_batch(id, &mut poller).await {
                Ok(Some(results)) if all_match(&results, &run.jobs) => {
                    take_results(state, run, &results);
                    continue;
                }
                // Finished, but not matching its jobs: its creates are looked up now.
                Ok(Some(_)) => {}
                Ok(None) => {
                    hold(state, run, &submitter.transport.unfinished(id));
                    continue;
                }
                // The server no longer knows it: looked up once its time has passed.
                Err(_) => wait_out(submitter, progress, left).await,
            }
        } else {
            wait_out(submitter, progress, left).await;
        }
        if submitter.is_stopping() {
            hold(
                state,
                run,
                "the run stopped before the batch could be checked",
            );
            continue;
        }
        look_up(submitter, state, run).await;
    }
}

/// Waits until a batch's `--batch-timeout` has passed since its `run`, saying so.
async fn wait_out(submitter: &Submitter, progress: &Progress, left: Duration) {
    if left.is_zero() {
        return;
    }
    progress.say(&format!(
        "a batch of the earlier run may still be running: waiting {} s (--batch-timeout) before looking its rows up",
        left.as_secs_f64().ceil()
    ));
    submitter.wait(left).await;
}

/// The outcome of each job of a finished batch whose results match its jobs.
fn take_results(state: &mut ResumeState, run: &RunLine, results: &[BatchJobResult]) {
    for (job, r) in run.jobs.iter().zip(results) {
        if let Some(id) = job_outcome_of(&r.response, job.id) {
            let status = if job.id.is_none() {
                Status::Created
            } else {
                Status::Updated
            };
            state.batch_done.insert(job.key(), (status, id));
        }
    }
}

/// Looks a batch's creates up by name; found ones are done, the rest may be sent again (the
/// batch has finished or its time has passed). A look-up that fails holds them.
async fn look_up(submitter: &Submitter, state: &mut ResumeState, run: &RunLine) {
    let creates: Vec<&RunJob> = run
        .jobs
        .iter()
        .filter(|j| j.id.is_none() && !state.done.contains_key(&j.key()))
        .collect();
    let wanted: Vec<_> = creates
        .iter()
        .filter_map(|j| Some((j.kind()?, j.name.as_deref().unwrap_or_default())))
        .collect();
    if wanted.len() != creates.len() {
        hold(
            state,
            run,
            "the journal names a kind this version does not know",
        );
        return;
    }
    match submitter
        .claims
        .look_up_agreed(&submitter.transport, &wanted)
        .await
    {
        Ok(found) => {
            for (job, id) in creates.into_iter().zip(found) {
                if let Some(id) = id {
                    state.batch_done.insert(job.key(), (Status::Created, id));
                }
            }
        }
        Err(f) => hold(
            state,
            run,
            &format!("its creates could not be looked up: {}", f.describe()),
        ),
    }
}

/// The creates of a batch whose outcome is still unknown: failed, not sent.
fn hold(state: &mut ResumeState, run: &RunLine, why: &str) {
    let creates: HashSet<RowKey> = run
        .jobs
        .iter()
        .filter(|j| j.id.is_none())
        .map(RunJob::key)
        .collect();
    for key in creates {
        if !state.done.contains_key(&key) && !state.batch_done.contains_key(&key) {
            state.held.insert(
                key,
                format!("outcome unknown — run --resume later ({why}); not sent again"),
            );
        }
    }
}
