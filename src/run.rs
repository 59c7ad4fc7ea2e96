//! A run, wired: per input file, a reader thread turns rows into checked items; the
//! dispatcher decides each row (invalid, done by an earlier run, a dry run's `valid`, or sent
//! through the submitter) and sends finished rows to the collector, which writes them in
//! input order. A dry run is the same path with nothing sent.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Semaphore, mpsc};

use crate::api::Failure;
use crate::backend::Backend;
use crate::config::{Config, Job, SubmitConfig};
use crate::error::FatalError;
use crate::input::Input;
use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan, plan_file};
use crate::kind::Kind;
use crate::outcome::{Status, Verdict};
use crate::pipeline::stop::Stop;
use crate::pipeline::{Policy, StopKind, Submitted, Submitter};
use crate::progress::Progress;
use crate::record::names::Names;
use crate::record::{Problem, Record};
use crate::results::collector::{Collector, Finished, WINDOW, echo_cells};
use crate::results::writer::{ResultsWriter, fingerprint};
use crate::resume::{self, Done, Journal, Recovered, RowKey, read_done};
use crate::source::{Item, Kept, read_file};
use crate::summary::{Mode, Summary};

/// Runs the whole job. Row problems end up in the results files; an error is what stops the
/// run before it starts. A run that stops later returns its summary with the reason in it.
pub fn run(config: Config) -> Result<Summary, FatalError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Start(format!("cannot start the runtime: {e}")))?;
    let result = rt.block_on(run_async(config));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}

/// A file opened and planned, before any row is read.
struct Opened {
    input: Input,
    plans: Arc<Vec<TablePlan>>,
    echo: Vec<String>,
}

fn open_file(job: &Job, config: &Config, progress: &Progress) -> Result<Opened, FatalError> {
    let input = Input::open(&job.input, &config.read)?;
    let (plans, echo, warnings) = plan_file(&input, config.kind, &config.map)?;
    for n in &input.notes {
        progress.say(n);
    }
    if let Some(d) = input.dialect {
        progress.say(&format!("{}: read as CSV, {d}", job.input.display()));
    }
    for w in warnings {
        progress.say(&format!("warning: {w}"));
    }
    Ok(Opened {
        input,
        plans: Arc::new(plans),
        echo,
    })
}

/// The kinds a run's tables may hold.
fn kinds_of(opened: &[Opened]) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = Vec::new();
    for p in opened.iter().flat_map(|o| o.plans.iter()) {
        match p.kind {
            KindSource::Fixed(k) => kinds.push(k),
            KindSource::Column(_) => kinds.extend([Kind::Source, Kind::Stage]),
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// A live run's submitter and what keeps it going.
struct Live {
    submitter: Arc<Submitter>,
    _backend: Backend,
    resume: bool,
}

async fn run_async(config: Config) -> Result<Summary, FatalError> {
    let mode = if config.submit.is_some() {
        Mode::Import
    } else {
        Mode::Validate
    };
    let mut progress = Progress::new(config.quiet, mode);
    let stop = Arc::new(Stop::new());
    // Open every file first: a bad file or an unknown kind stops the run before any request.
    let mut opened = Vec::new();
    for job in &config.jobs {
        opened.push(open_file(job, &config, &progress)?);
    }
    let live = match &config.submit {
        None => None,
        Some(submit) => Some(start_live(submit, &opened, &stop, &progress).await?),
    };
    if live.is_some() {
        listen_for_signals(stop.clone());
    }
    let mut names = Names::new(config.jobs.iter().map(|j| j.input.clone()).collect());
    let mut results_files = Vec::new();
    for (fi, (job, file)) in config.jobs.iter().zip(opened).enumerate() {
        let resume = match &live {
            Some(l) if l.resume => load_resume(job, &l.submitter)?,
            _ => None,
        };
        let run = FileRun {
            file_index: fi,
            job,
            plans: file.plans.clone(),
            live: live.as_ref().map(|l| l.submitter.clone()),
            stop: stop.clone(),
            resume,
        };
        run.go(file, &mut names, &mut progress).await?;
        results_files.push(job.output.display().to_string());
    }
    let stats = live.as_ref().map(|l| l.submitter.stats().snapshot());
    let mut summary = progress.finish(stats.unwrap_or_default(), results_files);
    summary.stopped = stop.stopped();
    Ok(summary)
}

async fn start_live(
    submit: &SubmitConfig,
    opened: &[Opened],
    stop: &Arc<Stop>,
    progress: &Progress,
) -> Result<Live, FatalError> {
    let backend = Backend::connect(&submit.target, submit.timeout).await?;
    if let Some(note) = backend.sandbox_note() {
        progress.say(&note);
    }
    let mut submitter = Submitter::new(
        backend.client.clone(),
        Policy {
            rate: submit.rate,
            retries: submit.retries,
            backoff: submit.backoff,
            match_by_name: submit.match_by_name,
            concurrency: submit.concurrency,
        },
        stop.clone(),
    );
    // What exists before the run: for reconciling lost creates and matching by name.
    for k in kinds_of(opened) {
        if let Err(f) = submitter.load_existing(k).await {
            return Err(FatalError::Api(format!(
                "cannot read the existing {}: {}",
                k.plural(),
                describe_fatal(&f)
            )));
        }
    }
    Ok(Live {
        submitter: Arc::new(submitter),
        _backend: backend,
        resume: submit.resume,
    })
}

/// Ctrl-C and SIGTERM stop sending (in-flight requests finish); a second Ctrl-C stops
/// waiting for them too.
fn listen_for_signals(stop: Arc<Stop>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        #[cfg(unix)]
        let terminated = async {
            match term.as_mut() {
                Some(t) => t.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<Option<()>>();
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if r.is_err() {
                    return;
                }
                stop.stop(StopKind::Interrupted, "interrupted (Ctrl-C)");
                eprintln!("interrupted: finishing the requests in flight; Ctrl-C again to stop waiting for them");
            }
            _ = terminated => {
                stop.stop(StopKind::Terminated, "terminated (SIGTERM)");
                eprintln!("terminated: finishing the requests in flight");
            }
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.abandon();
        }
    });
}

fn describe_fatal(f: &Failure) -> String {
    match f {
        Failure::Fatal(e) => crate::api::client::fatal_advice(e),
        other => other.describe(),
    }
}

/// What `--resume` knows of one file.
struct ResumeState {
    done: HashMap<RowKey, Done>,
    sent: HashSet<RowKey>,
}

fn load_resume(job: &Job, submitter: &Submitter) -> Result<Option<ResumeState>, FatalError> {
    if !job.output.exists() {
        return Ok(None);
    }
    let jpath = resume::path_for(&job.output);
    let done = read_done(&job.output).map_err(FatalError::Resume)?;
    let rec: Recovered = Journal::recover(&jpath).map_err(FatalError::output(&jpath))?;
    if let Some(pre) = &rec.pre {
        submitter.set_pre(Kind::Source, pre.0.clone());
        submitter.set_pre(Kind::Stage, pre.1.clone());
    }
    let mut all = rec.done;
    all.extend(done);
    // Records earlier runs gave to rows are not candidates for reconciling another row.
    for d in all.values() {
        submitter.claim(d.kind, d.id);
    }
    Ok(Some(ResumeState {
        done: all,
        sent: rec.sent,
    }))
}

/// One input file's run.
struct FileRun<'a> {
    file_index: usize,
    job: &'a Job,
    plans: Arc<Vec<TablePlan>>,
    /// None: a dry run.
    live: Option<Arc<Submitter>>,
    stop: Arc<Stop>,
    resume: Option<ResumeState>,
}

/// What to do with one row.
enum Next {
    /// Its outcome is known without a request.
    Done(Finished),
    /// Send it.
    Send {
        item: Item,
        record: Record,
        was_sent: bool,
        key: RowKey,
    },
}

fn finished(seq: u64, item: Item, verdict: Verdict, labels: Vec<String>) -> Finished {
    Finished {
        seq,
        item,
        verdict,
        labels,
    }
}

fn problems_verdict(problems: &[Problem]) -> (Verdict, Vec<String>) {
    let error = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let labels = problems
        .iter()
        .map(|p| format!("{}: {}", p.column, p.kind.label()))
        .collect();
    (Verdict::with_error(Status::Invalid, error), labels)
}

impl FileRun<'_> {
    async fn go(
        mut self,
        file: Opened,
        names: &mut Names,
        progress: &mut Progress,
    ) -> Result<(), FatalError> {
        names.reserve(self.plans.iter().filter_map(|p| p.rows_hint).sum());
        let journal = match &self.live {
            Some(s) => Some(self.open_journal(s)?),
            None => None,
        };
        // A resumed run writes beside the old results and replaces them at the end, so a
        // crash mid-way leaves the old file (and the journal) to resume from again.
        let write_path = if self.resume.is_some() {
            let mut n = self
                .job
                .output
                .file_name()
                .unwrap_or_default()
                .to_os_string();
            n.push(".partial");
            self.job.output.with_file_name(n)
        } else {
            self.job.output.clone()
        };
        let writer = ResultsWriter::create(&write_path, &file.echo)
            .map_err(FatalError::output(&write_path))?;

        let (items_tx, items_rx) = mpsc::channel::<Vec<Item>>(4);
        let reader = {
            let plans = self.plans.clone();
            let input = file.input;
            std::thread::spawn(move || read_file(input, &plans, &items_tx))
        };
        let window = Arc::new(Semaphore::new(WINDOW));
        let (done_tx, done_rx) = mpsc::channel::<Vec<Finished>>(64);
        let collector = Collector {
            plans: self.plans.clone(),
            writer,
            path: write_path.clone(),
            journal: journal.clone(),
            progress: &mut *progress,
            window: window.clone(),
            label: self
                .job
                .input
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            stats: self.live.as_ref().map(|s| s.stats()),
        };
        let (dispatched, collected) = tokio::join!(
            self.dispatch(items_rx, done_tx, &window, journal.as_ref(), names),
            collector.run(done_rx)
        );
        let read = reader
            .join()
            .map_err(|_| FatalError::Internal("the reader thread panicked".into()))?;
        collected?;
        dispatched?;
        for w in read? {
            progress.say(&format!("warning: {w}"));
        }
        if write_path != self.job.output {
            std::fs::rename(&write_path, &self.job.output)
                .map_err(FatalError::output(&self.job.output))?;
        }
        Ok(())
    }

    fn open_journal(&self, submitter: &Submitter) -> Result<Arc<Journal>, FatalError> {
        let jpath = resume::path_for(&self.job.output);
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

    /// Takes rows in order, decides each, keeps up to `concurrency` requests in flight, and
    /// sends finished rows to the collector. Stops taking rows while `WINDOW` finished rows
    /// wait behind a slow one.
    async fn dispatch(
        &mut self,
        mut items: mpsc::Receiver<Vec<Item>>,
        done: mpsc::Sender<Vec<Finished>>,
        window: &Semaphore,
        journal: Option<&Arc<Journal>>,
        names: &mut Names,
    ) -> Result<(), FatalError> {
        let concurrency = self.live.as_ref().map_or(1, |s| s.concurrency());
        let mut inflight = FuturesUnordered::new();
        let mut ready: Vec<Finished> = Vec::new();
        let mut seq: u64 = 0;
        let closed = || FatalError::Internal("the results writer stopped".into());
        while let Some(batch) = items.recv().await {
            for item in batch {
                // Room in the window; requests in flight keep going while we wait.
                if window.try_acquire().map(|p| p.forget()).is_err() {
                    send(&done, &mut ready).await.map_err(|()| closed())?;
                    loop {
                        tokio::select! {
                            p = window.acquire() => {
                                p.map_err(|_| closed())?.forget();
                                break;
                            }
                            Some(f) = inflight.next(), if !inflight.is_empty() => ready.push(f),
                        }
                        send(&done, &mut ready).await.map_err(|()| closed())?;
                    }
                }
                match self.decide(seq, item, names) {
                    Next::Done(f) => ready.push(f),
                    Next::Send {
                        item,
                        record,
                        was_sent,
                        key,
                    } => {
                        let submitter = self.live.clone().ok_or_else(closed)?;
                        inflight.push(submit(
                            seq,
                            item,
                            record,
                            (was_sent, key),
                            submitter,
                            self.stop.clone(),
                            journal.cloned(),
                        ));
                    }
                }
                seq += 1;
                while inflight.len() >= concurrency {
                    send(&done, &mut ready).await.map_err(|()| closed())?;
                    if let Some(f) = inflight.next().await {
                        ready.push(f);
                    }
                }
            }
            send(&done, &mut ready).await.map_err(|()| closed())?;
        }
        while let Some(f) = inflight.next().await {
            ready.push(f);
            send(&done, &mut ready).await.map_err(|()| closed())?;
        }
        send(&done, &mut ready).await.map_err(|()| closed())
    }

    /// Checks the row (if the reader left that), claims its name, and decides what to do.
    fn decide(&self, seq: u64, mut item: Item, names: &mut Names) -> Next {
        let plan = &self.plans[item.table];
        item.ensure_checked(plan);
        if let Some(kind) = item.kind
            && let Some(name) = claimed_name(plan, &item.checked, &item.cells)
        {
            let at = (item.number, &plan.sheet, self.file_index);
            names.admit(kind, name, at, &mut item.checked);
        }
        let record = match &item.checked {
            Err(p) => {
                let (v, labels) = problems_verdict(p);
                return Next::Done(finished(seq, item, v, labels));
            }
            Ok(_) if self.live.is_none() => {
                return Next::Done(finished(seq, item, Verdict::new(Status::Valid), Vec::new()));
            }
            Ok(r) => r.clone(),
        };
        let key: RowKey = (plan.sheet.to_string(), item.number);
        let mut record = record;
        let mut was_sent = false;
        if let Some(r) = &self.resume {
            if let Some(d) = r.done.get(&key) {
                if d.fingerprint == fingerprint(&echo_cells(plan, &item)) {
                    return Next::Done(finished(
                        seq,
                        item,
                        Verdict::with_id(d.status, d.id),
                        vec![],
                    ));
                }
                if record.id().is_none() {
                    record.set_id(d.id);
                }
            }
            was_sent = r.sent.contains(&key);
        }
        if self.stop.is_stopping() {
            let s = skipped(&self.stop);
            return Next::Done(finished(
                seq,
                item,
                s.verdict,
                s.error_label.into_iter().collect(),
            ));
        }
        Next::Send {
            item,
            record,
            was_sent,
            key,
        }
    }
}

/// The name a row claims for the duplicate check: a create row's name (valid or not), as
/// written in its cell.
fn claimed_name<'a>(
    plan: &TablePlan,
    checked: &Result<Record, Vec<Problem>>,
    cells: &'a Kept,
) -> Option<&'a str> {
    plan.columns.fields.get(Field::Name)?;
    let create = match checked {
        Ok(r) => r.id().is_none() && r.name().is_some(),
        Err(_) => cells.invalid_id(plan).trim().is_empty(),
    };
    create.then(|| cells.name(plan))
}

fn skipped(stop: &Stop) -> Submitted {
    Submitted {
        verdict: Verdict::with_error(
            Status::Skipped,
            format!("not sent: the run stopped ({})", stop.reason()),
        ),
        error_label: Some("skipped".into()),
    }
}

/// Sends one row through the submitter; a second Ctrl-C gives up waiting for it.
async fn submit(
    seq: u64,
    item: Item,
    record: Record,
    (was_sent, key): (bool, RowKey),
    submitter: Arc<Submitter>,
    stop: Arc<Stop>,
    journal: Option<Arc<Journal>>,
) -> Finished {
    let journal_sent = || match &journal {
        Some(j) => j.sent(&key),
        None => Ok(()),
    };
    let s = tokio::select! {
        s = submitter.submit(record, was_sent, journal_sent) => s,
        () = stop.abandoned() => Submitted {
            verdict: Verdict::with_error(
                Status::Skipped,
                "interrupted while in flight: run --resume to check",
            ),
            error_label: Some("skipped".into()),
        },
    };
    finished(seq, item, s.verdict, s.error_label.into_iter().collect())
}

/// Hands what is ready to the collector. Err: the collector has stopped.
async fn send(done: &mpsc::Sender<Vec<Finished>>, ready: &mut Vec<Finished>) -> Result<(), ()> {
    if ready.is_empty() {
        return Ok(());
    }
    // The next batch starts with room for as many: no regrowth, row by row.
    let batch = std::mem::replace(ready, Vec::with_capacity(ready.len()));
    done.send(batch).await.map_err(|_| ())
}
