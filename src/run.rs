//! A run, wired: per input file, a reader thread turns rows into checked items; the
//! dispatcher decides each row (invalid, done by an earlier run, a dry run's `valid`, or sent
//! through the submitter) and sends finished rows to the collector, which writes them in
//! input order. A dry run is the same path with nothing sent.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::{Semaphore, mpsc};
use tracing::Instrument;

use crate::api::Failure;
use crate::backend::Backend;
use crate::config::{Config, Job, SubmitConfig};
use crate::error::FatalError;
use crate::input::Input;
use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan, plan_file};
use crate::kind::Kind;
use crate::outcome::{Status, Verdict};
use crate::pipeline::account::{Action, Matching};
use crate::pipeline::bulk::BatchJournal;
use crate::pipeline::stop::Stop;
use crate::pipeline::{Policy, StopKind, Submitted, Submitter};
use crate::progress::Progress;
use crate::record::names::Names;
use crate::record::{Problem, Record};
use crate::results::collector::{Collector, Finished, WINDOW, echo_cells};
use crate::results::writer::{ResultsWriter, fingerprint};
use crate::resume::{self, Done, Journal, Recovered, RowKey, read_done};
use crate::source::{Item, read_file};
use crate::summary::{Mode, Summary};

/// Runs the whole job. Row problems end up in the results files; an error is what stops the
/// run before it starts. A run that stops later returns its summary with the reason in it.
pub fn run(config: Config) -> Result<Summary, FatalError> {
    let _span = crate::logging::run_started(&config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Start(format!("cannot start the runtime: {e}")))?;
    let result = rt.block_on(run_async(config));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    crate::logging::run_finished(&result);
    result
}

/// A file opened and planned, before any row is read.
struct Opened {
    input: Input,
    plans: Arc<Vec<TablePlan>>,
    echo: Vec<String>,
}

fn open_file(job: &Job, config: &Config, progress: &Progress) -> Result<Opened, FatalError> {
    let mut input = Input::open(&job.input, &config.read, &config.map)?;
    let (plans, echo, warnings) = plan_file(
        &mut input,
        config.kind,
        &config.map,
        config.read.decimal_comma,
    )?;
    if let Some(d) = input.dialect {
        progress.say(&format!("{}: read as CSV, {d}", job.input.display()));
    }
    for note in &input.notes {
        progress.say(note);
    }
    for w in warnings {
        progress.warn(&w);
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
}

async fn run_async(config: Config) -> Result<Summary, FatalError> {
    let mode = match &config.submit {
        None => Mode::Validate,
        Some(s) if s.plan => Mode::Plan,
        Some(_) => Mode::Import,
    };
    crate::guard::check_outputs(&config)?;
    let mut progress = Progress::new(config.quiet, mode);
    let stop = Arc::new(Stop::new());
    // Open every file first: a bad file or an unknown kind stops the run before any request.
    let mut opened = Vec::new();
    for job in &config.jobs {
        opened.push(open_file(job, &config, &progress)?);
    }
    // Resume: what earlier runs did, checked against the input before any request.
    let mut resumes = Vec::new();
    if let Some(submit) = config.submit.as_ref().filter(|s| s.resume) {
        let mut to_do = 0;
        let mut done = 0;
        for job in &config.jobs {
            let r = load_resume(job, &progress, submit.reconcile_by_name)?;
            if let Some((state, rec)) = &r {
                let left = verify_resume(job, &config, state).await?;
                if left > 0 && !rec.found && !submit.reconcile_by_name {
                    return Err(FatalError::Resume(format!(
                        "{}: {left} rows are not done and the journal beside the results is missing, so creates that were sent but not recorded cannot be told apart; {ADVICE}",
                        resume::path_for(&job.output).display()
                    )));
                }
                to_do += left;
                done += state.done.len();
            } else {
                to_do += 1;
            }
            resumes.push(r);
        }
        if to_do == 0 {
            progress.say(&format!(
                "nothing to do: {done} rows already created, updated or unchanged"
            ));
            let files = config
                .jobs
                .iter()
                .map(|j| j.output.display().to_string())
                .collect();
            return Ok(progress.finish(Default::default(), files));
        }
    }
    if mode == Mode::Import {
        listen_for_signals(stop.clone());
    }
    let live = match &config.submit {
        None => None,
        Some(submit) => Some(
            start_live(submit, &opened, &stop, &progress)
                .await
                .map_err(|e| match stop.stopped() {
                    Some(s) if s.kind != StopKind::Fatal => FatalError::Interrupted(s),
                    _ => e,
                })?,
        ),
    };
    let matching = Matching {
        by_name: config.match_by_name,
        allow_duplicates: config.allow_duplicates,
    };
    let mut names = Names::new(config.jobs.iter().map(|j| j.input.clone()).collect());
    let mut results_files = Vec::new();
    for (fi, (job, file)) in config.jobs.iter().zip(opened).enumerate() {
        let resume = match (resumes.get_mut(fi).and_then(Option::take), &live) {
            (Some((mut state, rec)), Some(l)) => {
                apply_resume(&l.submitter, &state, &rec);
                recover_batches(&l.submitter, &mut state, &rec).await;
                Some(state)
            }
            _ => None,
        };
        let _lock = match mode {
            Mode::Import => Some(crate::guard::lock_output(&job.output)?),
            _ => None,
        };
        if mode == Mode::Import
            && resume.is_none()
            && !config.submit.as_ref().is_some_and(|s| s.overwrite)
        {
            crate::guard::refuse_to_overwrite(&job.output)?;
        }
        let run = FileRun {
            file_index: fi,
            job,
            plans: file.plans.clone(),
            live: live.as_ref().map(|l| l.submitter.clone()),
            stop: stop.clone(),
            resume,
            plan: mode == Mode::Plan,
            matching,
        };
        run.go(file, &mut names, &mut progress).await?;
        results_files.push(job.output.display().to_string());
        if let Some(book) = &job.workbook {
            crate::results_xlsx::csv_to_xlsx(&job.output, book).map_err(|e| {
                FatalError::Output {
                    path: book.clone(),
                    source: std::io::Error::other(e),
                }
            })?;
            results_files.push(book.display().to_string());
        }
    }
    let stats = live.as_ref().map(|l| l.submitter.stats().snapshot());
    let mut summary = progress.finish(stats.unwrap_or_default(), results_files);
    summary.stopped = stop.stopped();
    if let Some(path) = &config.report {
        write_report(&config, &summary, path)?;
    }
    if mode == Mode::Plan {
        summary.calls_to_make = Some(summary.totals.create + summary.totals.update);
        summary.rate = config.submit.as_ref().map(|s| s.pacing.rate);
    }
    if mode == Mode::Import && summary.stopped.is_none() {
        let t = &summary.totals;
        if t.failed + t.skipped == 0 {
            for job in &config.jobs {
                let _ = std::fs::remove_file(resume::path_for(&job.output));
            }
        }
    }
    Ok(summary)
}

async fn start_live(
    submit: &SubmitConfig,
    opened: &[Opened],
    stop: &Arc<Stop>,
    progress: &Progress,
) -> Result<Live, FatalError> {
    let backend = Backend::connect(&submit.target, submit.pacing.timeout).await?;
    if let Some(note) = backend.sandbox_note() {
        progress.say(&note);
    }
    let mut submitter = Submitter::new(
        backend.client.clone(),
        Policy::from(&submit.pacing),
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
    })
}

/// Ctrl-C and SIGTERM stop sending (in-flight requests finish); a second Ctrl-C stops
/// waiting for them too.
fn listen_for_signals(stop: Arc<Stop>) {
    // Registered now, not when the task first runs, so no signal falls between.
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    tokio::spawn(async move {
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
            r = &mut interrupt => {
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
    /// Look every unfinished create up by name before sending it.
    reconcile_by_name: bool,
    /// Rows whose outcome the server kept for a batch an earlier run started.
    batch_done: HashMap<RowKey, (Status, u64)>,
}

const ADVICE: &str = "run again with --resume --reconcile-by-name to look every unfinished create up by name first (a record someone else created with the same name is then taken as this row's)";

/// Reads what an earlier run of this results file did. None: nothing to resume.
fn load_resume(
    job: &Job,
    progress: &Progress,
    reconcile_by_name: bool,
) -> Result<Option<(ResumeState, Recovered)>, FatalError> {
    let jpath = resume::path_for(&job.output);
    let rec: Recovered = Journal::recover(&jpath).map_err(FatalError::output(&jpath))?;
    let results_exist = job.output.exists();
    if !results_exist && !rec.found {
        progress.say(&format!(
            "{}: no earlier results to resume; running from the start",
            job.output.display()
        ));
        return Ok(None);
    }
    let advice = ADVICE;
    if let Some(why) = &rec.damaged
        && !reconcile_by_name
    {
        return Err(FatalError::Resume(format!(
            "{}: the journal cannot be trusted ({why}); {advice}",
            jpath.display()
        )));
    }
    // An empty or header-only results file is "nothing written yet": the journal says the rest.
    let done = if results_exist {
        read_done(&job.output).or_else(|e| {
            let len = std::fs::metadata(&job.output).map(|m| m.len()).unwrap_or(0);
            if len == 0 {
                Ok(HashMap::new())
            } else {
                Err(FatalError::Resume(e))
            }
        })?
    } else {
        HashMap::new()
    };
    let mut all = rec.done.clone();
    all.extend(done);
    let state = ResumeState {
        done: all,
        sent: rec.sent.clone(),
        reconcile_by_name,
        batch_done: HashMap::new(),
    };
    Ok(Some((state, rec)))
}

/// Hands an earlier run's knowledge to the submitter: the snapshot from before the first
/// run, and the records already given to rows (not candidates for reconciling another row).
fn apply_resume(submitter: &Submitter, state: &ResumeState, rec: &Recovered) {
    if let Some(pre) = &rec.pre {
        submitter.set_pre(Kind::Source, pre.0.clone());
        submitter.set_pre(Kind::Stage, pre.1.clone());
    } else {
        // No snapshot: every record of a name is a candidate (--reconcile-by-name).
        submitter.set_pre(Kind::Source, HashSet::new());
        submitter.set_pre(Kind::Stage, HashSet::new());
    }
    for d in state.done.values() {
        submitter.claim(d.kind, d.id);
    }
}

/// The run's one-page HTML report.
fn write_report(
    config: &Config,
    summary: &Summary,
    path: &std::path::Path,
) -> Result<(), FatalError> {
    let mode = match summary.mode {
        Mode::Validate => "validate",
        Mode::Plan => "plan",
        Mode::Import => "import",
    };
    let mut params = vec![
        ("command".to_string(), mode.to_string()),
        (
            "files".to_string(),
            config
                .jobs
                .iter()
                .map(|j| j.input.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "match by name".to_string(),
            config.match_by_name.to_string(),
        ),
        (
            "allow duplicates".to_string(),
            config.allow_duplicates.to_string(),
        ),
    ];
    if let Some(s) = &config.submit {
        params.push(("rate".into(), format!("{} requests/s", s.pacing.rate)));
        params.push(("concurrency".into(), s.pacing.concurrency.to_string()));
        params.push((
            "bulk".into(),
            s.pacing
                .batch_size
                .map_or("no".into(), |n| format!("{n} rows a batch")),
        ));
    }
    if let Some(stop) = &summary.stopped {
        params.push(("stopped".into(), stop.reason.clone()));
    }
    let report = crate::report::ReportInput {
        title: format!("ivvy-import {mode}"),
        params,
        timings: vec![
            ("elapsed".into(), format!("{:.2} s", summary.elapsed_secs)),
            (
                "rows per second".into(),
                format!("{:.1}", summary.rows_per_sec),
            ),
            ("requests".into(), summary.requests.to_string()),
        ],
        results_files: config.jobs.iter().map(|j| j.output.clone()).collect(),
    };
    crate::report::write_html(&report, path).map_err(FatalError::output(path))
}

/// Asks the server for the outcome of every batch an earlier run started and did not
/// record, instead of sending its rows again. A batch the server no longer knows leaves its
/// rows to be looked up by name.
async fn recover_batches(submitter: &Submitter, state: &mut ResumeState, rec: &Recovered) {
    for (async_id, rows) in &rec.batches {
        if rows.iter().all(|k| state.done.contains_key(k)) {
            continue;
        }
        // A batch still running is waited for: looking its rows up by name too early would
        // miss records it is about to create.
        let mut results = None;
        for _ in 0..240 {
            match submitter.batch_outcomes(async_id).await {
                Ok(Some(r)) => {
                    results = Some(r);
                    break;
                }
                Ok(None) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                Err(_) => break,
            }
        }
        let Some(results) = results else { continue };
        if results.len() != rows.len() {
            continue;
        }
        for (key, r) in rows.iter().zip(results) {
            let ok = r
                .response
                .get("success")
                .and_then(serde_json::Value::as_bool)
                == Some(true);
            let id = r.response.get("id").and_then(serde_json::Value::as_u64);
            if let (true, Some(id)) = (ok, id) {
                let status = if state.sent.contains(key) {
                    Status::Created
                } else {
                    Status::Updated
                };
                state.batch_done.insert(key.clone(), (status, id));
            }
        }
    }
}

/// Before any request: every row an earlier run finished must still be the row it was.
/// Returns the number of valid rows still to do.
async fn verify_resume(job: &Job, config: &Config, state: &ResumeState) -> Result<u64, FatalError> {
    let mut input = Input::open(&job.input, &config.read, &config.map)?;
    let (plans, _, _) = plan_file(
        &mut input,
        config.kind,
        &config.map,
        config.read.decimal_comma,
    )?;
    let plans = Arc::new(plans);
    let (tx, mut rx) = mpsc::channel::<Vec<Item>>(4);
    let reader = {
        let plans = plans.clone();
        std::thread::spawn(move || read_file(input, &plans, true, &tx))
    };
    let mut to_do = 0;
    let mut changed = None;
    while let Some(batch) = rx.recv().await {
        for item in batch {
            let plan = &plans[item.table];
            let key: RowKey = (plan.sheet.to_string(), item.row.number);
            match state.done.get(&key) {
                Some(d)
                    if changed.is_none()
                        && d.fingerprint != fingerprint(&echo_cells(plan, &item)) =>
                {
                    let now = claimed_name(plan, &item)
                        .or_else(|| {
                            item.checked
                                .as_ref()
                                .ok()
                                .and_then(|r| r.name().map(std::borrow::Cow::Borrowed))
                        })
                        .map_or_else(String::new, |n| format!(" it is now {:?};", n.trim()));
                    let was = d
                        .name
                        .as_deref()
                        .map_or_else(String::new, |n| format!(" was {n:?}"));
                    let what = if d.status == Status::Created {
                        "created"
                    } else {
                        "updated"
                    };
                    changed = Some(format!(
                        "{}: row {}{was} when its record {} was {what};{now} the input changed since that run. Resume finishes the same input only: restore it, or import the changed file into a new results file (-o)",
                        job.input.display(),
                        key.1,
                        d.id
                    ));
                }
                Some(_) => {}
                None if item.checked.is_ok() => to_do += 1,
                None => {}
            }
        }
    }
    reader
        .join()
        .map_err(|_| FatalError::Internal("the reader thread panicked".into()))??;
    match changed {
        Some(why) => Err(FatalError::Resume(why)),
        None => Ok(to_do),
    }
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
    /// Read the account, send nothing.
    plan: bool,
    matching: Matching,
}

/// A row to send.
struct ToSend {
    seq: u64,
    item: Item,
    record: Record,
    /// An earlier run may have sent this create.
    was_sent: bool,
    key: RowKey,
}

/// What to do with one row.
enum Next {
    /// Its outcome is known without a request.
    Done(Finished),
    Send(ToSend),
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
        let writer = ResultsWriter::create(&write_path, &file.echo, self.job.bom)
            .map_err(FatalError::output(&write_path))?;

        let (items_tx, items_rx) = mpsc::channel::<Vec<Item>>(4);
        let check = !crate::input::is_workbook(&self.job.input);
        let reader = {
            let plans = self.plans.clone();
            let input = file.input;
            std::thread::spawn(move || read_file(input, &plans, check, &items_tx))
        };
        let window = Arc::new(Semaphore::new(WINDOW));
        let (done_tx, done_rx) = mpsc::channel::<Vec<Finished>>(64);
        let collector = Collector {
            plans: self.plans.clone(),
            writer,
            path: write_path.clone(),
            journal: journal.clone(),
            progress,
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
        read?;
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

    /// Takes rows in order, decides each, keeps up to `concurrency` requests (or batches) in
    /// flight, and sends finished rows to the collector. Stops taking rows while `WINDOW`
    /// finished rows wait behind a slow one.
    async fn dispatch(
        &mut self,
        mut items: mpsc::Receiver<Vec<Item>>,
        done: mpsc::Sender<Vec<Finished>>,
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
        let (mut input_done, mut permit, mut seq) = (false, false, 0u64);
        let closed = || FatalError::Internal("the results writer stopped".into());
        loop {
            while inflight.len() < concurrency {
                let Some(item) = queue.pop_front() else { break };
                if !permit && window.try_acquire().map(|p| p.forget()).is_err() {
                    queue.push_front(item);
                    break;
                }
                permit = false;
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
            let want_permit = stuck && !permit;
            tokio::select! {
                Some(f) = inflight.next(), if !inflight.is_empty() => ready.extend(f),
                b = items.recv(), if queue.is_empty() && !input_done => match b {
                    Some(b) => queue.extend(b),
                    None => input_done = true,
                },
                p = window.acquire(), if want_permit => {
                    p.map_err(|_| closed())?.forget();
                    permit = true;
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

    /// Checks the row (if the reader left that), claims its name, and decides what to do.
    fn decide(&self, seq: u64, mut item: Item, names: &mut Names) -> Next {
        let plan = &self.plans[item.table];
        item.ensure_checked(plan);
        if let (Some(kind), Some(name)) = (item.kind, claimed_name(plan, &item)) {
            let name = name.into_owned();
            let at = (item.row.number, &plan.sheet, self.file_index);
            names.admit(kind, &name, at, &mut item.checked);
        }
        let record = match &item.checked {
            Err(p) => {
                let (v, labels) = problems_verdict(p);
                return Next::Done(finished(seq, item, v, labels));
            }
            Ok(r) => r.clone(),
        };
        let Some(_) = &self.live else {
            return Next::Done(finished(seq, item, Verdict::new(Status::Valid), Vec::new()));
        };
        let key: RowKey = (plan.sheet.to_string(), item.row.number);
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
                // The resume check stops a changed input before any request; never send an
                // update of a record to a row that did not create it.
                let v = Verdict::with_error(
                    Status::Conflict,
                    format!(
                        "row changed since record {} was made for it: not sent",
                        d.id
                    ),
                );
                return Next::Done(finished(
                    seq,
                    item,
                    v,
                    vec!["changed since resumed run".into()],
                ));
            }
            if let Some(&(status, id)) = r.batch_done.get(&key) {
                return Next::Done(finished(seq, item, Verdict::with_id(status, id), vec![]));
            }
            was_sent = r.sent.contains(&key) || (r.reconcile_by_name && record.id().is_none());
        }
        let submitter = self.live.as_ref().map(Arc::as_ref);
        let action = match submitter {
            Some(s) => {
                let visible = if was_sent {
                    s.pre_ids(record.kind())
                } else {
                    None
                };
                s.account.classify(&record, self.matching, visible.as_ref())
            }
            None => Action::Create,
        };
        let (status_if_plan, id) = match action {
            Action::Conflict(why) => {
                return Next::Done(finished(
                    seq,
                    item,
                    Verdict::with_error(Status::Conflict, why),
                    vec!["conflict with the account".into()],
                ));
            }
            Action::Unchanged(id) => {
                return Next::Done(finished(
                    seq,
                    item,
                    Verdict::with_id(Status::Unchanged, id),
                    vec![],
                ));
            }
            Action::Create => (Status::Create, None),
            Action::Update(id) => (Status::Update, Some(id)),
        };
        if self.plan {
            let mut v = Verdict::new(status_if_plan);
            v.id = id;
            return Next::Done(finished(seq, item, v, vec![]));
        }
        if let Some(id) = id {
            record.set_id(id);
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
        Next::Send(ToSend {
            seq,
            item,
            record,
            was_sent,
            key,
        })
    }
}

/// The name a row claims for the duplicate check: a create row's name (valid or not).
fn claimed_name<'a>(plan: &TablePlan, item: &'a Item) -> Option<std::borrow::Cow<'a, str>> {
    if let Ok(r) = &item.checked {
        return match (r.id(), r.name()) {
            (None, Some(n)) => Some(std::borrow::Cow::Borrowed(n)),
            _ => None,
        };
    }
    let id_blank = plan
        .columns
        .fields
        .get(Field::Id)
        .is_none_or(|(i, _)| item.row.cell(i).is_blank());
    let (i, _) = plan.columns.fields.get(Field::Name)?;
    id_blank.then(|| item.row.cell(i).display())
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
    } = row;
    let journal_sent = || match &journal {
        Some(j) => j.sent(&key),
        None => Ok(()),
    };
    let rows = tracing::debug_span!("rows", rows = item.row.number);
    let s = tokio::select! {
        s = submitter.submit(record, was_sent, journal_sent).instrument(rows) => s,
        () = stop.abandoned() => abandoned(),
    };
    finished(seq, item, s.verdict, s.error_label.into_iter().collect())
}

fn abandoned() -> Submitted {
    Submitted {
        verdict: Verdict::with_error(
            Status::Skipped,
            "interrupted while in flight: run --resume to check",
        ),
        error_label: Some("skipped".into()),
    }
}

/// The journal entries of one batch, by the batch's row keys.
struct RowsJournal {
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

    fn started(&self, async_id: &str, indexes: &[usize]) -> std::io::Result<()> {
        match &self.journal {
            Some(j) => j.batch(async_id, indexes.iter().map(|&i| &self.keys[i])),
            None => Ok(()),
        }
    }
}

/// Sends rows as batches; a second Ctrl-C gives up waiting for them.
async fn submit_batch(
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
        (Some(a), Some(b)) => format!("{}-{}", a.item.row.number, b.item.row.number),
        _ => String::new(),
    };
    let span = tracing::debug_span!("rows", rows = %span);
    let outcomes = tokio::select! {
        o = submitter.submit_batch(&records, &was_sent, &jr).instrument(span) => o,
        () = stop.abandoned() => rows.iter().map(|_| abandoned()).collect(),
    };
    rows.into_iter()
        .zip(outcomes)
        .map(|(r, s)| {
            finished(
                r.seq,
                r.item,
                s.verdict,
                s.error_label.into_iter().collect(),
            )
        })
        .collect()
}

/// Hands what is ready to the collector. Err: the collector has stopped.
async fn send(done: &mpsc::Sender<Vec<Finished>>, ready: &mut Vec<Finished>) -> Result<(), ()> {
    if ready.is_empty() {
        return Ok(());
    }
    done.send(std::mem::take(ready)).await.map_err(|_| ())
}
