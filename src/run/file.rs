//! One input file's run: the dispatcher takes rows in order, decides each, keeps requests
//! (or batches) in flight, and hands finished rows to the collector.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::{Semaphore, SemaphorePermit, mpsc};

use super::send::{Next, ToSend, send, submit, submit_batch};
use super::*;
use crate::config::Job;
use crate::error::FatalError;
use crate::input::plan::TablePlan;
use crate::kind::Kind;
use crate::pipeline::Submitter;
use crate::pipeline::account::Matching;
use crate::pipeline::stop::Stop;
use crate::progress::Progress;
use crate::record::names::Names;
use crate::report::Collected;
use crate::results::collector::{Collector, Done, Finished, WINDOW};
use crate::results::journal::Journal;
use crate::results::writer::ResultsWriter;
use crate::results_xlsx::Book;
use crate::source::Item;

/// One input file's run.
pub(super) struct FileRun<'a> {
    pub(super) file_index: usize,
    pub(super) job: &'a Job,
    pub(super) plans: Arc<Vec<TablePlan>>,
    /// None: a dry run.
    pub(super) live: Option<Arc<Submitter>>,
    pub(super) stop: Arc<Stop>,
    pub(super) resume: Option<ResumeState>,
    /// Read the account, send nothing.
    pub(super) plan: bool,
    pub(super) matching: Matching,
    /// Empty mapped cells clear their fields.
    pub(super) clear_empty: bool,
    /// `apply`: the plan being applied.
    pub(super) apply: Option<Arc<super::apply::Plan>>,
}

impl FileRun<'_> {
    pub(super) async fn go(
        mut self,
        mut file: Opened,
        names: &mut Names,
        progress: &mut Progress,
        mut report: Option<&mut Collected>,
    ) -> Result<(), FatalError> {
        names.reserve(self.plans.iter().filter_map(|p| p.rows_hint).sum());
        // A plan sends nothing, so it has nothing to journal.
        let journal = match &self.live {
            Some(s) if !self.plan => Some(self.open_journal(s)?),
            _ => None,
        };
        // A resumed run writes beside the old results and replaces them at the end, so a
        // crash mid-way leaves the old file (and the journal) to resume from again.
        let write_path = if self.resume.is_some() {
            self.job.paths().partial
        } else {
            self.job.output.clone()
        };
        let bom = self.job.bom.unwrap_or_else(|| wants_bom(&self.job.input));
        let writer = ResultsWriter::create(&write_path, &file.echo, bom, self.job.excel_safe)
            .map_err(FatalError::output(&write_path))?
            .with_checksum(self.plan);
        let book = self.start_sinks(&file.echo, report.as_deref_mut())?;
        let mut reading = file.take_reading()?;
        let window = Arc::new(Semaphore::new(WINDOW));
        let (done_tx, done_rx) = mpsc::channel::<Done>(64);
        let collector = Collector {
            plans: self.plans.clone(),
            writer,
            path: write_path.clone(),
            journal: journal.clone(),
            progress: &mut *progress,
            window: window.clone(),
            recycler: reading.recycler(),
            label: self
                .job
                .input
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            stats: self.live.as_ref().map(|s| s.stats()),
            report,
            book,
        };
        let (dispatched, collected) = tokio::join!(
            self.dispatch(&mut reading, done_tx, &window, journal.as_ref(), names),
            collector.run(done_rx)
        );
        let read = reading.finish();
        collected?;
        dispatched?;
        for w in read? {
            progress.warn(&w);
        }
        if write_path != self.job.output {
            std::fs::rename(&write_path, &self.job.output)
                .map_err(FatalError::output(&self.job.output))?;
        }
        Ok(())
    }

    /// The sinks asked for besides the CSV: the workbook is started, the report told a file
    /// with these echoed columns follows.
    fn start_sinks(
        &self,
        echo: &[String],
        report: Option<&mut Collected>,
    ) -> Result<Option<Book>, FatalError> {
        if let Some(r) = report {
            r.start_file(self.job.output.clone(), echo);
        }
        let Some(out) = &self.job.workbook else {
            return Ok(None);
        };
        Book::create(out, &self.job.input, &self.job.output, echo)
            .map(Some)
            .map_err(|e| FatalError::Output {
                path: out.clone(),
                source: std::io::Error::other(e),
            })
    }

    fn open_journal(&self, submitter: &Submitter) -> Result<Arc<Journal>, FatalError> {
        let jpath = self.job.paths().journal;
        let journal =
            Journal::open(&jpath, self.resume.is_none()).map_err(FatalError::output(&jpath))?;
        if self.resume.is_none() {
            journal
                .pre(
                    &submitter.existing_ids(Kind::Source),
                    &submitter.existing_ids(Kind::Stage),
                )
                .map_err(FatalError::output(&jpath))?;
        }
        Ok(Arc::new(journal))
    }

    /// Takes rows in order, decides each, keeps up to `concurrency` requests (or batches) in
    /// flight, and sends finished rows to the collector. Stops taking rows while `WINDOW`
    /// finished rows wait behind a slow one.
    async fn dispatch(
        &mut self,
        rows: &mut Reading,
        done: mpsc::Sender<Done>,
        window: &Semaphore,
        journal: Option<&Arc<Journal>>,
        names: &mut Names,
    ) -> Result<(), FatalError> {
        let concurrency = self.live.as_ref().map_or(1, |s| s.concurrency());
        let bulk = self.live.as_ref().and_then(|s| s.bulk());
        let mut inflight: FuturesUnordered<BoxFuture<'static, Vec<Finished>>> =
            FuturesUnordered::new();
        let mut ready: Vec<Finished> = Vec::new();
        let mut queue: VecDeque<Item> = VecDeque::new();
        let mut batch: Vec<ToSend> = Vec::new();
        // Window permits taken and not used yet: taken many at a time, as the rows are queued.
        let (mut input_done, mut credit, mut seq) = (false, 0usize, 0u64);
        let closed = || FatalError::Internal("the results writer stopped".into());
        loop {
            while inflight.len() < concurrency && !queue.is_empty() {
                if credit == 0 {
                    credit = take_permits(window, queue.len());
                    if credit == 0 {
                        break;
                    }
                }
                let Some(item) = queue.pop_front() else { break };
                credit -= 1;
                match self.decide(seq, item, names) {
                    Next::Done(f) => ready.push(f),
                    Next::Send(row) => match bulk {
                        Some(_) => batch.push(row),
                        None => inflight.push(self.send_one(row, journal)?),
                    },
                }
                seq += 1;
                if bulk.is_some_and(|n| batch.len() >= n) {
                    inflight.push(self.send_batch(std::mem::take(&mut batch), journal)?);
                }
            }
            // A partial batch goes when nothing else can happen: end of input, a full window,
            // or nothing in flight to wait for.
            let stuck = !queue.is_empty() && inflight.len() < concurrency;
            if !batch.is_empty()
                && ((input_done && queue.is_empty()) || stuck || inflight.is_empty())
            {
                inflight.push(self.send_batch(std::mem::take(&mut batch), journal)?);
            }
            send(&done, &mut ready).await.map_err(|()| closed())?;
            if input_done && queue.is_empty() && inflight.is_empty() && batch.is_empty() {
                return Ok(());
            }
            let want_permit = stuck && credit == 0;
            tokio::select! {
                Some(f) = inflight.next(), if !inflight.is_empty() => ready.extend(f),
                b = rows.next(), if queue.is_empty() && !input_done => match b {
                    // The queue is empty here: it takes the batch's buffer, moving no row.
                    // A dry run decides every row where it lies, and sends the batch on whole.
                    Some(b) if self.live.is_none() => {
                        let n = b.len() as u64;
                        let batch = self.decide_in_place(seq, b, names);
                        seq += n;
                        done.send(batch).await.map_err(|_| closed())?;
                    }
                    // The queue is empty here: it takes the batch's buffer, moving no row.
                    Some(b) => queue = VecDeque::from(b),
                    None => input_done = true,
                },
                p = window.acquire(), if want_permit => {
                    p.map_err(|_| closed())?.forget();
                    credit += 1;
                }
            }
        }
    }

    fn send_one(
        &self,
        row: ToSend,
        journal: Option<&Arc<Journal>>,
    ) -> Result<BoxFuture<'static, Vec<Finished>>, FatalError> {
        let submitter = self
            .live
            .clone()
            .ok_or_else(|| FatalError::Internal("no submitter".into()))?;
        Ok(submit(row, submitter, self.stop.clone(), journal.cloned())
            .map(|f| vec![f])
            .boxed())
    }

    fn send_batch(
        &self,
        rows: Vec<ToSend>,
        journal: Option<&Arc<Journal>>,
    ) -> Result<BoxFuture<'static, Vec<Finished>>, FatalError> {
        let submitter = self
            .live
            .clone()
            .ok_or_else(|| FatalError::Internal("no submitter".into()))?;
        Ok(submit_batch(rows, submitter, self.stop.clone(), journal.cloned()).boxed())
    }
}

/// Whether a results file should start with a byte-order mark, so Excel opens it as UTF-8:
/// when its input had one (CSV files saved by Excel as "CSV UTF-8" do), is a workbook, or is
/// not UTF-8 (Excel's plain "CSV" save is Windows-1252). The encoding is judged by the first
/// 64 KiB, as reading a large file through costs more than this choice is worth.
fn wants_bom(input: &std::path::Path) -> bool {
    const HEAD: usize = 64 * 1024;
    if crate::input::is_workbook(input) {
        return true;
    }
    let mut head = Vec::new();
    let _ = std::fs::File::open(input).and_then(|f| {
        std::io::Read::read_to_end(&mut std::io::Read::take(f, HEAD as u64), &mut head)
    });
    if head.starts_with(b"\xEF\xBB\xBF")
        || head.starts_with(b"\xFF\xFE")
        || head.starts_with(b"\xFE\xFF")
    {
        return true;
    }
    match std::str::from_utf8(&head) {
        Ok(_) => false,
        // A character cut by the 64 KiB boundary is still UTF-8.
        Err(e) => e.error_len().is_some() || head.len() < HEAD,
    }
}

/// Takes up to `want` permits of the window (at most 256 at once), as many as it has; 0 when
/// it has none.
fn take_permits(window: &Semaphore, want: usize) -> usize {
    let want = want.clamp(1, 256);
    let n = u32::try_from(want).unwrap_or(1);
    if window.try_acquire_many(n).is_ok_and(|p| {
        p.forget();
        true
    }) {
        return want;
    }
    usize::from(window.try_acquire().map(SemaphorePermit::forget).is_ok())
}
