//! A run, wired: per input file, a reader thread turns rows into checked items; the
//! dispatcher decides each row (invalid, done by an earlier run, a dry run's `valid`, or sent
//! through the submitter) and sends finished rows to the collector, which writes them in
//! input order. A dry run is the same path with nothing sent.

use std::ops::ControlFlow;
use std::sync::Arc;

use crate::config::{Config, Job, RunMode};
use crate::error::FatalError;
use crate::input::Input;
use crate::input::headers::HeaderMap;
use crate::input::plan::{FilePlan, TablePlan, check_map, plan_file};
use crate::pipeline::StopKind;
use crate::pipeline::account::Matching;
use crate::pipeline::stop::Stop;
use crate::progress::Progress;
use crate::record::names::Names;
use crate::report::Collected;
use crate::results::journal::Recovered;
use crate::summary::Summary;

mod apply;
mod checks;
mod clear;
mod decide;
mod file;
mod live;
mod reading;
mod recover;
mod report;
mod resume;
mod send;

use file::FileRun;
use live::{Live, start_live};
use reading::Reading;
use recover::recover_batches;
use report::write_report;
use resume::{ADVICE, ResumeState, apply_resume, load_resume, verify_ahead};

/// Runs the whole job. Row problems end up in the results files; an error is what stops the
/// run before it starts. A run that stops later returns its summary with the reason in it.
pub fn run(config: Config) -> Result<Summary, FatalError> {
    let laid = checks::lay_out(&config)?;
    let _span = crate::logging::run_started(&config, &laid.jobs);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Start(format!("cannot start the runtime: {e}")))?;
    let result = rt.block_on(run_async(config, laid));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    crate::logging::run_finished(&result);
    result
}

/// A file opened and planned; its rows not read yet, or read ahead by `--resume`'s check.
struct Opened {
    /// The file, until its reading starts.
    input: Option<Input>,
    /// Its one reading, once started.
    reading: Option<Reading>,
    plans: Arc<Vec<TablePlan>>,
    echo: Vec<String>,
}

impl Opened {
    /// Its reading, started now unless it was.
    fn reading(&mut self) -> Result<&mut Reading, FatalError> {
        let lost = || FatalError::Internal("a file's reading was lost".into());
        if self.reading.is_none() {
            let input = self.input.take().ok_or_else(lost)?;
            self.reading = Some(Reading::start(input, self.plans.clone()));
        }
        self.reading.as_mut().ok_or_else(lost)
    }

    /// Ends its reading and opens the file again, for a reading from its first row: the same
    /// file under the same options plans the same, so the plans stand.
    fn read_again(
        &mut self,
        job: &Job,
        config: &Config,
        map: &HeaderMap,
    ) -> Result<(), FatalError> {
        // What that reading ran into, the run's reading meets again at the same row.
        if let Some(reading) = self.reading.take() {
            let _ = reading.finish();
        }
        let mut input = Input::open(&job.input, config.read_options(), map)?;
        plan(&mut input, config, map)?;
        self.input = Some(input);
        Ok(())
    }

    /// Its reading, for the run to take (started now unless it was).
    fn take_reading(&mut self) -> Result<Reading, FatalError> {
        self.reading()?;
        self.reading
            .take()
            .ok_or_else(|| FatalError::Internal("a file's reading was lost".into()))
    }
}

/// A file's tables planned under the run's options: the same file plans the same each time.
fn plan(input: &mut Input, config: &Config, map: &HeaderMap) -> Result<FilePlan, FatalError> {
    Ok(plan_file(
        input,
        config.kind(),
        map,
        config.read_options().decimal_comma,
    )?)
}

fn open_file(
    job: &Job,
    mut input: Input,
    config: &Config,
    map: &HeaderMap,
    progress: &Progress,
) -> Result<Opened, FatalError> {
    let (plans, echo, warnings) = plan(&mut input, config, map)?;
    if let Some(d) = input.dialect {
        progress.say_as(
            "read_as",
            &format!("{}: read as CSV, {d}", job.input.display()),
        );
    }
    for note in &input.notes {
        progress.say(note);
    }
    for w in warnings {
        progress.warn(&w);
    }
    Ok(Opened {
        input: Some(input),
        reading: None,
        plans: Arc::new(plans),
        echo,
    })
}

async fn run_async(config: Config, laid: checks::Laid) -> Result<Summary, FatalError> {
    let checks::Laid { jobs, map, notes } = laid;
    let jobs = &jobs[..];
    let mode = config.mode();
    checks::output_folders(jobs)?;
    crate::guard::check_outputs(jobs, config.report())?;
    if let Some(path) = config.report() {
        checks::report_folder(path)?;
    }
    let _inputs = crate::guard::register_inputs(jobs.iter().map(|j| j.input.as_path()));
    let _locks = checks::run_locks(&config, jobs, mode)?;
    let mut progress = Progress::new(config.quiet(), mode);
    for note in notes.iter().chain(config.notes()) {
        progress.say(note);
    }
    let stop = Arc::new(Stop::new());
    // Open every file first: a bad file or an unknown kind stops the run before any request.
    let mut inputs = Vec::new();
    for job in jobs {
        inputs.push(Input::open(&job.input, config.read_options(), &map)?);
    }
    check_map(&inputs.iter().collect::<Vec<_>>(), &map)?;
    let mut opened = Vec::new();
    for (job, input) in jobs.iter().zip(inputs) {
        opened.push(open_file(job, input, &config, &map, &progress)?);
    }
    // A plan being applied is checked line by line before any request.
    let applied = match (config.mode(), jobs.first()) {
        (RunMode::Apply, Some(job)) => Some(Arc::new(apply::read_plan(&job.input)?)),
        _ => None,
    };
    // Everything that can be refused without the account is refused before the first request.
    let _outputs = checks::lock_outputs(&config, jobs)?;
    let ControlFlow::Continue(resumes) =
        check_resumes(&config, jobs, &mut opened, &map, &progress).await?
    else {
        let files = jobs
            .iter()
            .map(|j| j.output.display().to_string())
            .collect();
        return Ok(progress.finish(Default::default(), files));
    };
    if mode.writes() {
        listen_for_signals(stop.clone());
    }
    let live = match config.submit() {
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
    let files = FileRuns {
        config: &config,
        jobs,
        mode,
        live: live.as_ref(),
        stop: &stop,
        applied,
    };
    let mut report = config.report().map(|_| Collected::default());
    let results_files = files
        .run(opened, resumes, &mut progress, report.as_mut())
        .await?;
    let stats = live.as_ref().map(|l| l.submitter.stats().snapshot());
    let mut summary = progress.finish(stats.unwrap_or_default(), results_files);
    summary.stopped = stop.stopped();
    if mode == RunMode::Plan {
        summary.listing_secs = live.as_ref().map(|l| l.listing_secs);
    }
    finish_summary(&config, jobs, mode, &mut summary, report.as_ref())?;
    Ok(summary)
}

/// What an earlier run left of each file, when resuming.
type Resumed = Option<(ResumeState, Recovered)>;

/// Resume: what earlier runs did, checked against the input before any request, in the
/// input's one reading (the rows read for the check stay in it for the run). One entry per
/// file (none when not resuming); Break when every row is already done.
async fn check_resumes(
    config: &Config,
    jobs: &[Job],
    opened: &mut [Opened],
    map: &HeaderMap,
    progress: &Progress,
) -> Result<ControlFlow<(), Vec<Resumed>>, FatalError> {
    let mut resumes = Vec::new();
    let Some(submit) = config.submit().filter(|_| config.mode() == RunMode::Resume) else {
        return Ok(ControlFlow::Continue(resumes));
    };
    let mut to_do = 0;
    let mut done = 0;
    for (job, file) in jobs.iter().zip(opened) {
        let r = load_resume(job, progress, submit.reconcile_by_name())?;
        if let Some((state, rec)) = &r {
            let plans = file.plans.clone();
            let verified = verify_ahead(job, &plans, state, file.reading()?).await?;
            if verified.let_go {
                file.read_again(job, config, map)?;
            }
            let left = verified.to_do;
            if left > 0 && !rec.found && !submit.reconcile_by_name() {
                return Err(FatalError::Resume(format!(
                    "{}: {left} rows are not done and the journal beside the results is missing, so creates that were sent but not recorded cannot be told apart; {ADVICE}",
                    job.paths().journal.display()
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
        return Ok(ControlFlow::Break(()));
    }
    Ok(ControlFlow::Continue(resumes))
}

/// What every file of a run shares.
struct FileRuns<'a> {
    config: &'a Config,
    /// Each input and where its results go.
    jobs: &'a [Job],
    mode: RunMode,
    live: Option<&'a Live>,
    stop: &'a Arc<Stop>,
    /// `apply`: the plan.
    applied: Option<Arc<apply::Plan>>,
}

impl FileRuns<'_> {
    /// Runs the files one after the other; the results files written.
    async fn run(
        &self,
        opened: Vec<Opened>,
        resumes: Vec<Resumed>,
        progress: &mut Progress,
        mut report: Option<&mut Collected>,
    ) -> Result<Vec<String>, FatalError> {
        let config = self.config;
        let matching = Matching {
            by_name: config.match_by_name(),
            allow_duplicates: config.allow_duplicates(),
        };
        let mut names = Names::new(self.jobs.iter().map(|j| j.input.clone()).collect());
        let mut resumes = resumes.into_iter();
        let mut results_files = Vec::new();
        for (fi, (job, file)) in self.jobs.iter().zip(opened).enumerate() {
            let resume = match (resumes.next().flatten(), self.live) {
                (Some((mut state, rec)), Some(l)) => {
                    apply_resume(&l.submitter, &state, &rec);
                    recover_batches(&l.submitter, &mut state, &rec, progress).await;
                    Some(state)
                }
                _ => None,
            };
            let run = FileRun {
                file_index: fi,
                job,
                plans: file.plans.clone(),
                live: self.live.map(|l| l.submitter.clone()),
                stop: self.stop.clone(),
                resume,
                plan: self.mode == RunMode::Plan,
                matching,
                clear_empty: config.clear_empty(),
                apply: self.applied.clone(),
            };
            run.go(file, &mut names, progress, report.as_deref_mut())
                .await?;
            results_files.push(job.output.display().to_string());
            if let Some(book) = &job.workbook {
                results_files.push(book.display().to_string());
            }
        }
        Ok(results_files)
    }
}

/// The summary's last touches: the report, what a plan would call, and, once an import
/// has left nothing failed or skipped, its journals removed.
fn finish_summary(
    config: &Config,
    jobs: &[Job],
    mode: RunMode,
    summary: &mut Summary,
    report: Option<&Collected>,
) -> Result<(), FatalError> {
    if let (Some(path), Some(seen)) = (config.report(), report) {
        write_report(config, jobs, summary, seen, path)?;
    }
    if mode == RunMode::Plan {
        summary.calls_to_make = Some(summary.totals.create + summary.totals.update);
        summary.rate = config.submit().map(|s| s.pacing().rate());
    }
    if mode.writes() && summary.stopped.is_none() {
        let t = &summary.totals;
        if t.failed + t.skipped == 0 {
            for job in jobs {
                let _ = std::fs::remove_file(job.paths().journal);
            }
        }
    }
    Ok(())
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
