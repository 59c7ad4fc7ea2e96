//! Sending rows: one at a time or as batches, giving up on a second Ctrl-C.

use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::Instrument;

use crate::ledger::Ledger;
use crate::outcome::{RowProblem, Status, Verdict};
use crate::pipeline::bulk::BatchJournal;
use crate::pipeline::stop::Stop;
use crate::pipeline::{Submitted, Submitter};
use crate::record::Record;
use crate::results::collector::{Done, Finished};
use crate::results::journal::{Journal, RowKey, RunJob};
use crate::source::Item;

/// What to do with one row.
pub(super) enum Next {
    /// Its outcome is known without a request.
    Done(Finished),
    Send(ToSend),
}

/// A row to send.
pub(super) struct ToSend {
    pub(super) seq: u64,
    pub(super) item: Item,
    pub(super) record: Record,
    /// An earlier run may have sent this create.
    pub(super) was_sent: bool,
    pub(super) key: RowKey,
    /// What an update changes (its results line says it when the update is made).
    pub(super) changes: String,
}

pub(super) fn finished(
    seq: u64,
    item: Item,
    verdict: Verdict,
    problems: Vec<RowProblem>,
) -> Finished {
    Finished {
        seq,
        item,
        verdict,
        problems,
    }
}

/// Sends one row through the submitter; a second Ctrl-C gives up waiting for it.
pub(super) async fn submit(
    row: ToSend,
    submitter: Arc<Submitter>,
    stop: Arc<Stop>,
    journal: Option<Arc<Journal>>,
) -> Finished {
    let ToSend {
        seq,
        item,
        record,
        was_sent,
        key,
        changes,
    } = row;
    let ledger = submitter.account.ledger.clone();
    let written = ledger.is_some().then(|| record.clone());
    let journal_sent = || match &journal {
        Some(j) => j.sent(&key),
        None => Ok(()),
    };
    let rows = tracing::debug_span!("rows", row = item.number);
    let mut s = tokio::select! {
        s = submitter.submit(record, was_sent, journal_sent).instrument(rows) => s,
        () = stop.abandoned() => abandoned(),
    };
    if let (Some(l), Some(r)) = (&ledger, &written) {
        remember(l, &mut s, r);
    }
    if s.verdict.status == Status::Updated {
        s.verdict.changes = changes;
    }
    let problems = problems(&s);
    finished(seq, item, s.verdict, problems)
}

/// The problem a submitted row's outcome names, if any.
pub(super) fn problems(s: &Submitted) -> Vec<RowProblem> {
    s.error_label
        .iter()
        .map(|l| RowProblem::whole(l.clone(), &s.verdict))
        .collect()
}

/// A successful write of a field the API cannot read back goes into the ledger. A ledger that
/// cannot be written costs the row nothing but a note on its line.
fn remember(ledger: &Ledger, s: &mut Submitted, record: &Record) {
    let (Status::Created | Status::Updated, Some(id)) = (s.verdict.status, s.verdict.id) else {
        return;
    };
    if let Err(e) = ledger.wrote(id, record) {
        s.verdict.error = format!(
            "written, but not recorded in the ledger {}: {e}",
            ledger.path().display()
        );
    }
}

pub(super) fn abandoned() -> Submitted {
    Submitted {
        verdict: Verdict::with_error(
            Status::Skipped,
            "interrupted while in flight: run --resume to check",
        ),
        error_label: Some("interrupted while in flight".into()),
    }
}

/// The journal entries of one batch, by the batch's row keys.
pub(super) struct RowsJournal {
    journal: Option<Arc<Journal>>,
    keys: Vec<RowKey>,
}

impl BatchJournal for RowsJournal {
    fn sent(&self, index: usize) -> std::io::Result<()> {
        match &self.journal {
            Some(j) => j.sent(&self.keys[index]),
            None => Ok(()),
        }
    }

    fn about_to_run(&self, records: &[(usize, &Record)]) -> std::io::Result<()> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let jobs = records
            .iter()
            .map(|&(i, r)| {
                let (sheet, row) = self.keys[i].clone();
                RunJob {
                    sheet,
                    row,
                    kind: r.kind().as_str().to_string(),
                    name: r.name().map(str::to_string),
                    id: r.id(),
                }
            })
            .collect();
        j.run(jobs)
    }

    fn started(&self, async_id: &str, indexes: &[usize]) -> std::io::Result<()> {
        match &self.journal {
            Some(j) => j.batch(async_id, indexes.iter().map(|&i| &self.keys[i])),
            None => Ok(()),
        }
    }
}

/// Sends rows as batches; a second Ctrl-C gives up waiting for them.
pub(super) async fn submit_batch(
    rows: Vec<ToSend>,
    submitter: Arc<Submitter>,
    stop: Arc<Stop>,
    journal: Option<Arc<Journal>>,
) -> Vec<Finished> {
    let records: Vec<Record> = rows.iter().map(|r| r.record.clone()).collect();
    let was_sent: Vec<bool> = rows.iter().map(|r| r.was_sent).collect();
    let jr = RowsJournal {
        journal,
        keys: rows.iter().map(|r| r.key.clone()).collect(),
    };
    let span = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => format!("{}-{}", a.item.number, b.item.number),
        _ => String::new(),
    };
    let span = tracing::debug_span!("rows", rows = %span);
    let outcomes = tokio::select! {
        o = submitter.submit_batch(&records, &was_sent, &jr).instrument(span) => o,
        () = stop.abandoned() => rows.iter().map(|_| abandoned()).collect(),
    };
    let ledger = submitter.account.ledger.clone();
    rows.into_iter()
        .zip(outcomes)
        .map(|(r, mut s)| {
            if let Some(l) = &ledger {
                remember(l, &mut s, &r.record);
            }
            if s.verdict.status == Status::Updated {
                s.verdict.changes = r.changes;
            }
            let problems = problems(&s);
            finished(r.seq, r.item, s.verdict, problems)
        })
        .collect()
}

/// Hands what is ready to the collector. Err: the collector has stopped.
pub(super) async fn send(done: &mpsc::Sender<Done>, ready: &mut Vec<Finished>) -> Result<(), ()> {
    if ready.is_empty() {
        return Ok(());
    }
    // The next batch starts with room for as many: no regrowth, row by row.
    let batch = std::mem::replace(ready, Vec::with_capacity(ready.len()));
    done.send(Done::Rows(batch)).await.map_err(|_| ())
}
