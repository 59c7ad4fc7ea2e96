//! Bulk mode's rows whose outcome is not known: creates an earlier run may have sent, and
//! batches whose `run` answer was lost or whose results do not match. Creates are looked up
//! (the claims' look-up), never sent again on a timing guess.

use std::time::{Duration, Instant};

use super::{Chunk, Submitted, Submitter, lock};
use crate::outcome::Status;
use crate::record::Record;

/// A row whose outcome stays unknown: failed, not sent again, with when to resume.
pub(super) fn unknown(why: &str, resume_after: Option<Duration>) -> Submitted {
    let when = match resume_after {
        Some(d) => format!("run --resume after {} s", d.as_secs_f64().ceil().max(1.0)),
        None => "run --resume later".to_string(),
    };
    Submitted::local_failure(
        format!("outcome unknown — {when} ({why}); not sent again"),
        "outcome unknown",
    )
}

impl Submitter {
    /// Looks up the creates an earlier run may have sent: those found are created, and all
    /// of them fail when the lookup does.
    pub(super) async fn find_earlier(
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
        let wanted: Vec<_> = earlier
            .iter()
            .map(|&i| (records[i].kind(), records[i].name().unwrap_or_default()))
            .collect();
        match self.claims.look_up(&self.transport, &wanted).await {
            Ok(found) => {
                for (&i, id) in earlier.iter().zip(found) {
                    if let Some(id) = id {
                        out[i] = Some(Submitted::done(Status::Created, Some(id)));
                    }
                }
            }
            Err(f) => {
                let f = self.transport.fatal(f);
                for &i in &earlier {
                    out[i] = Some(Submitted::look_up_failed(&f));
                }
            }
        }
    }

    /// How long the server may still be applying a batch whose `run` answer was lost: at
    /// least `--max-wait` (and a second), and twice the longest batch of this run.
    fn batch_bound(&self) -> Duration {
        let longest = self.batches().map_or(Duration::ZERO, |b| *lock(&b.longest));
        self.transport
            .policy
            .max_wait
            .max(longest * 2)
            .max(Duration::from_secs(1))
    }

    /// A batch whose outcome is not known. Its creates are never sent again in this run:
    /// once the server's batch time has passed (`since`: when its `run` was sent; None: the
    /// batch has finished) they are looked up by list passes that agree, and those not
    /// found fail with when to resume. Its updates (the same values again) are queued again
    /// while retries last.
    pub(super) async fn lost(
        &self,
        records: &[Record],
        chunk: Chunk,
        why: &str,
        since: Option<Instant>,
        queue: &mut Vec<Chunk>,
        out: &mut [Option<Submitted>],
    ) {
        let policy = &self.transport.policy;
        let (creates, updates): (Vec<usize>, Vec<usize>) =
            chunk.rows.iter().partition(|&&i| records[i].id().is_none());
        if !updates.is_empty() {
            if chunk.tries < policy.retries && !self.is_stopping() {
                queue.push(Chunk {
                    rows: updates,
                    tries: chunk.tries + 1,
                });
            } else {
                for i in updates {
                    out[i] = Some(unknown(why, Some(Duration::ZERO)));
                }
            }
        }
        if creates.is_empty() {
            return;
        }
        let resume_after = since.map(|t| policy.batch_timeout.saturating_sub(t.elapsed()));
        let waited = match since {
            Some(t) => {
                let wait = self.batch_bound().saturating_sub(t.elapsed());
                tracing::debug!(
                    wait_s = wait.as_secs_f64(),
                    "batch outcome unknown: waiting"
                );
                self.wait(wait).await
            }
            None => true,
        };
        if !waited {
            for i in creates {
                out[i] = Some(unknown(why, resume_after));
            }
            return;
        }
        let wanted: Vec<_> = creates
            .iter()
            .map(|&i| (records[i].kind(), records[i].name().unwrap_or_default()))
            .collect();
        match self.claims.look_up_agreed(&self.transport, &wanted).await {
            Ok(found) => {
                for (i, id) in creates.into_iter().zip(found) {
                    out[i] = Some(match id {
                        Some(id) => Submitted::done(Status::Created, Some(id)),
                        None => unknown(why, resume_after),
                    });
                }
            }
            Err(lookup) => {
                let lookup = self.transport.fatal(lookup);
                for i in creates {
                    out[i] = Some(Submitted::look_up_failed(&lookup));
                }
            }
        }
    }
}
