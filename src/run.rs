//! A run: for each input file, read and check rows on a reader thread, submit them (or not, in
//! a dry run), and write one results line per row, in input order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hasher;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::api::{Client, Failure};
use crate::config::{Config, Job, SubmitConfig, Target};
use crate::input::headers::{ColumnPlan, HeaderMap, plan};
use crate::input::{Input, InputError, Row};
use crate::pipeline::journal::{self, Journal, Recovered};
use crate::pipeline::{Policy, Submitter};
use crate::progress::{Progress, Summary};
use crate::record::{Field, Kind, Problem, ProblemKind, Record, name_key, validate};
use crate::results::{Done, ResultsWriter, RowKey, Status, Verdict, fingerprint, read_done};
use crate::sandbox::{Sandbox, SandboxOptions};

/// An error that ends the whole run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Api(String),
}

fn out_err(path: &Path) -> impl Fn(std::io::Error) -> FatalError + '_ {
    move |source| FatalError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Where a table's kind comes from.
#[derive(Debug, Clone, Copy)]
enum KindSource {
    Fixed(Kind),
    /// A `kind` column (a mixed file, such as a results file fed back in).
    Column(usize),
}

/// How one table of a file is read.
struct TablePlan {
    sheet: Arc<str>,
    kind: KindSource,
    columns: ColumnPlan,
    width: usize,
    rows_hint: Option<u64>,
    /// For each echoed results column, the table's column that fills it.
    slots: Vec<Option<usize>>,
}

/// One checked row on its way to the results file.
pub struct Item {
    table: usize,
    row: Row,
    kind: Option<Kind>,
    checked: Result<Record, Vec<Problem>>,
    /// Not checked yet: the consumer checks it (see `read_file`).
    unchecked: bool,
}

impl Item {
    /// Checks the row if the reader left that to the consumer.
    fn ensure_checked(&mut self, plan: &TablePlan) {
        if self.unchecked {
            (self.kind, self.checked) = check_row(plan, &self.row);
            self.unchecked = false;
        }
    }
}

/// Names claimed by valid create rows, per kind, across the whole run. Keys are 64-bit keys
/// of the folded name ([`name_key`]), so memory stays at about 17 bytes a name.
struct Names {
    /// The run's input files, to name the first one a duplicate was seen in.
    files: Vec<PathBuf>,
    seen: HashMap<u64, Origin, std::hash::BuildHasherDefault<PreHashed>>,
    /// Sheet names by index, so an origin stays eight bytes.
    sheets: Vec<Arc<str>>,
}

/// Where a name was first seen.
#[derive(Clone, Copy)]
struct Origin {
    row: u32,
    sheet: u16,
    file: u16,
}

/// The keys are hashes already: pass them through.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Names {
    fn new(config: &Config) -> Names {
        Names {
            files: config.jobs.iter().map(|j| j.input.clone()).collect(),
            seen: HashMap::default(),
            sheets: Vec::new(),
        }
    }

    /// Makes room for `rows` more names at once: growing a large table step by step would
    /// briefly hold the old and the new table together.
    fn reserve(&mut self, rows: u64) {
        self.seen.reserve(rows.min(50_000_000) as usize);
    }

    fn sheet_index(&mut self, sheet: &Arc<str>) -> u16 {
        match self.sheets.iter().position(|s| s == sheet) {
            Some(i) => i as u16,
            None => {
                self.sheets.push(sheet.clone());
                (self.sheets.len() - 1) as u16
            }
        }
    }

    /// Marks a later create row with an already-claimed name invalid.
    fn admit(&mut self, item: &mut Item, sheet: &Arc<str>, file: usize) {
        let Ok(record) = &item.checked else { return };
        if record.id().is_some() {
            return;
        }
        let Some(name) = record.name() else { return };
        let key = name_key(record.kind(), name);
        match self.seen.get(&key).copied() {
            None => {
                let origin = Origin {
                    row: item.row.number,
                    sheet: self.sheet_index(sheet),
                    file: file as u16,
                };
                self.seen.insert(key, origin);
            }
            Some(first) => {
                let mut of = format!("row {}", first.row);
                let first_sheet = &self.sheets[first.sheet as usize];
                if !first_sheet.is_empty() && first_sheet != sheet {
                    of.push_str(&format!(" of sheet {first_sheet:?}"));
                }
                if first.file as usize != file {
                    of.push_str(&format!(
                        " of {}",
                        self.files[first.file as usize].display()
                    ));
                }
                item.checked = Err(vec![Problem {
                    column: "name".into(),
                    kind: ProblemKind::Duplicate {
                        name: name.trim().to_string(),
                        of,
                    },
                }]);
            }
        }
    }
}

fn resolve_kind(
    given: Option<Kind>,
    sheet: Option<&str>,
    columns: &ColumnPlan,
    headers: &[String],
    path: &Path,
) -> Result<KindSource, FatalError> {
    if let Some(k) = given {
        return Ok(KindSource::Fixed(k));
    }
    if let Some(k) = sheet.and_then(Kind::parse) {
        return Ok(KindSource::Fixed(k));
    }
    if let Some((i, _)) = columns.fields.get(Field::Kind) {
        return Ok(KindSource::Column(i));
    }
    let f = &columns.fields;
    let stage_like = f.has(Field::ApplyTo);
    let source_like = f.has(Field::Cost) || f.has(Field::IsReferral) || f.has(Field::Description);
    match (source_like, stage_like) {
        (true, false) => Ok(KindSource::Fixed(Kind::Source)),
        (false, true) => Ok(KindSource::Fixed(Kind::Stage)),
        _ => {
            let place = match sheet {
                Some(s) => format!("{}, sheet {s:?}", path.display()),
                None => path.display().to_string(),
            };
            let why = if source_like {
                "it has both source columns (cost/isReferral/description) and a stage column (applyTo)"
            } else {
                "no sheet name, kind column, or kind-specific column (cost, isReferral, applyTo) says"
            };
            Err(FatalError::Config(format!(
                "{place}: cannot tell whether the rows are lead sources or lead stages: {why}. Headers seen: {}. Use --kind sources|stages",
                headers.join(", ")
            )))
        }
    }
}

/// Reads a file's tables and plans how each is used.
/// A file's table plans, its echoed headers, and warnings for the user.
type FilePlan = (Vec<TablePlan>, Vec<String>, Vec<String>);

fn plan_file(input: &Input, given: Option<Kind>, map: &HeaderMap) -> Result<FilePlan, FatalError> {
    let mut echo: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let mut plans = Vec::new();
    for table in &input.tables {
        let columns = plan(&table.headers, map);
        let kind = resolve_kind(
            given,
            table.sheet.as_deref(),
            &columns,
            &table.headers,
            &input.path,
        )?;
        let place = match &table.sheet {
            Some(s) => format!("{} (sheet {s:?})", input.path.display()),
            None => input.path.display().to_string(),
        };
        if !columns.unknown.is_empty() {
            warnings.push(format!(
                "{place}: columns kept as they are (not sent): {}",
                columns.unknown.join(", ")
            ));
        }
        if !columns.repeated.is_empty() {
            warnings.push(format!(
                "{place}: columns naming a field already taken by an earlier column (not sent): {}",
                columns.repeated.join(", ")
            ));
        }
        for &i in &columns.echo {
            let h = &table.headers[i];
            if !echo.contains(h) {
                echo.push(h.clone());
            }
        }
        plans.push(TablePlan {
            sheet: Arc::from(table.sheet.as_deref().unwrap_or("")),
            kind,
            width: table.headers.len(),
            rows_hint: table.rows_hint,
            columns,
            slots: Vec::new(),
        });
    }
    for (p, table) in plans.iter_mut().zip(&input.tables) {
        p.slots = echo
            .iter()
            .map(|h| {
                p.columns
                    .echo
                    .iter()
                    .copied()
                    .find(|&i| &table.headers[i] == h)
            })
            .collect();
    }
    Ok((plans, echo, warnings))
}

fn check_row(plan: &TablePlan, row: &Row) -> (Option<Kind>, Result<Record, Vec<Problem>>) {
    let mut problems = Vec::new();
    if row.len() > plan.width {
        let extra: Vec<usize> = (plan.width..row.len())
            .filter(|&i| !row.cell(i).is_blank())
            .collect();
        if let Some(&first) = extra.first() {
            problems.push(Problem {
                column: format!("column {}", crate::input::column_letters(first)),
                kind: ProblemKind::ExtraCells {
                    count: extra.len(),
                    first: row.cell(first).display().into_owned(),
                },
            });
        }
    }
    let kind = match plan.kind {
        KindSource::Fixed(k) => Some(k),
        KindSource::Column(i) => {
            let cell = row.cell(i);
            let k = Kind::parse(&cell.display());
            if k.is_none() {
                let header = plan
                    .columns
                    .fields
                    .get(Field::Kind)
                    .map_or("kind".to_string(), |(_, h)| h.to_string());
                problems.push(Problem {
                    column: header,
                    kind: ProblemKind::BadKind(cell.display().into_owned()),
                });
            }
            k
        }
    };
    match kind {
        Some(k) => (Some(k), validate(k, row, &plan.columns.fields, problems)),
        None => (None, Err(problems)),
    }
}

/// The row's id for its results line: the record's (normalised) id, else the cell as written.
fn input_id<'a>(plan: &TablePlan, item: &'a Item) -> Cow<'a, str> {
    if let Ok(r) = &item.checked
        && let Some(id) = r.id()
    {
        return Cow::Owned(id.to_string());
    }
    plan.columns
        .fields
        .get(Field::Id)
        .map_or(Cow::Borrowed(""), |(i, _)| item.row.cell(i).display())
}

fn echo_cells<'a>(plan: &TablePlan, row: &'a Row) -> Vec<Cow<'a, str>> {
    plan.slots
        .iter()
        .map(|s| s.map_or(Cow::Borrowed(""), |i| row.cell(i).display()))
        .collect()
}

fn problems_verdict(problems: &[Problem]) -> (Verdict, Vec<String>) {
    let mut v = Verdict::new(Status::Invalid);
    v.error = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let labels = problems
        .iter()
        .map(|p| format!("{}: {}", p.column, p.kind.label()))
        .collect();
    (v, labels)
}

const BATCH: usize = 512;

/// Reads and checks every row of a file on the calling thread, sending batches of items.
/// (Duplicate names are checked by the consumer, which sees every file in order.) Parsing a
/// workbook costs far more than a CSV file, so for workbooks (`check` false) the consumer
/// checks the rows too, to share the work between the two threads.
fn read_file(
    mut input: Input,
    plans: Arc<Vec<TablePlan>>,
    check: bool,
    tx: mpsc::Sender<Vec<Item>>,
) -> Result<(), InputError> {
    let mut batch = Vec::with_capacity(BATCH);
    for t in 0..input.tables.len() {
        let plan = &plans[t];
        let mut closed = false;
        input.read_table(t, &mut |row| {
            if row.is_blank() {
                return ControlFlow::Continue(());
            }
            let (kind, checked) = if check {
                check_row(plan, &row)
            } else {
                (None, Err(Vec::new()))
            };
            batch.push(Item {
                table: t,
                row,
                kind,
                checked,
                unchecked: !check,
            });
            if batch.len() == BATCH && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                closed = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        if closed {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    Ok(())
}

struct OpenedFile {
    input: Input,
    plans: Arc<Vec<TablePlan>>,
    echo: Vec<String>,
}

fn open_file(job: &Job, config: &Config, progress: &Progress) -> Result<OpenedFile, FatalError> {
    let input = Input::open(&job.input, &config.read)?;
    let (plans, echo, warnings) = plan_file(&input, config.kind, &config.map)?;
    if let Some(d) = input.dialect {
        progress.say(&format!("{}: read as CSV, {d}", job.input.display()));
    }
    for w in warnings {
        progress.say(&format!("warning: {w}"));
    }
    Ok(OpenedFile {
        input,
        plans: Arc::new(plans),
        echo,
    })
}

/// Starts the progress bar of a table: `file` for CSV, `file › sheet` for a workbook.
fn start_table(progress: &mut Progress, job: &Job, plan: &TablePlan) {
    let name = job.input.file_name().unwrap_or_default().to_string_lossy();
    if plan.sheet.is_empty() {
        progress.start_table(&name, plan.rows_hint);
    } else {
        progress.start_table(&format!("{name} › {}", plan.sheet), plan.rows_hint);
    }
}

/// Runs the whole job. Row problems end up in the results files; only what stops the whole
/// run is an error.
pub fn run(config: Config) -> Result<Summary, FatalError> {
    match config.submit.clone() {
        None => dry_run(&config),
        Some(submit) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| FatalError::Config(format!("cannot start the runtime: {e}")))?;
            let result = rt.block_on(import(&config, &submit));
            rt.shutdown_timeout(std::time::Duration::from_millis(100));
            result
        }
    }
}

fn dry_run(config: &Config) -> Result<Summary, FatalError> {
    let mut progress = Progress::new(config.quiet, true);
    let mut names = Names::new(config);
    let mut results_files = Vec::new();
    for (fi, job) in config.jobs.iter().enumerate() {
        let opened = open_file(job, config, &progress)?;
        names.reserve(opened.plans.iter().filter_map(|p| p.rows_hint).sum());
        let mut writer =
            ResultsWriter::create(&job.output, &opened.echo).map_err(out_err(&job.output))?;
        let (tx, mut rx) = mpsc::channel::<Vec<Item>>(8);
        let plans = opened.plans.clone();
        let mut current_table = None;
        let outcome = std::thread::scope(|s| -> Result<(), FatalError> {
            let input = opened.input;
            let check = !crate::input::is_workbook(&job.input);
            let reader = s.spawn(move || read_file(input, plans, check, tx));
            while let Some(batch) = rx.blocking_recv() {
                for mut item in batch {
                    let plan = &opened.plans[item.table];
                    if current_table != Some(item.table) {
                        current_table = Some(item.table);
                        start_table(&mut progress, job, plan);
                    }
                    item.ensure_checked(plan);
                    names.admit(&mut item, &plan.sheet, fi);
                    let (v, labels) = match &item.checked {
                        Ok(_) => (Verdict::new(Status::Valid), Vec::new()),
                        Err(p) => problems_verdict(p),
                    };
                    let echo = echo_cells(plan, &item.row);
                    writer
                        .write(
                            item.row.number,
                            &plan.sheet,
                            item.kind,
                            &v,
                            &input_id(plan, &item),
                            &echo,
                        )
                        .map_err(out_err(&job.output))?;
                    progress.record(item.kind, v.status, &labels);
                }
                writer.flush().map_err(out_err(&job.output))?;
            }
            reader
                .join()
                .map_err(|_| FatalError::Config("the reader thread panicked".into()))??;
            Ok(())
        });
        outcome?;
        writer.flush().map_err(out_err(&job.output))?;
        results_files.push(job.output.display().to_string());
    }
    Ok(progress.finish(0, 0, results_files))
}

/// What `--resume` knows of one file.
struct ResumeState {
    done: HashMap<RowKey, Done>,
    sent: HashSet<RowKey>,
}

async fn import(config: &Config, submit: &SubmitConfig) -> Result<Summary, FatalError> {
    let mut progress = Progress::new(config.quiet, false);

    // The sandbox lives as long as the run.
    let (_sandbox, endpoint, credentials) = match &submit.target {
        Target::Remote {
            endpoint,
            credentials,
        } => (None, endpoint.clone(), credentials.clone()),
        Target::Sandbox { faults } => {
            let sb = Sandbox::start(SandboxOptions {
                faults: faults.clone(),
                ..SandboxOptions::default()
            })
            .await
            .map_err(|e| FatalError::Config(format!("cannot start the sandbox: {e}")))?;
            progress.say(&format!(
                "sandbox: built-in iVvy emulator at {} (nothing leaves this machine)",
                sb.base_url()
            ));
            let endpoint =
                crate::api::Endpoint::parse(&sb.base_url()).map_err(FatalError::Config)?;
            let creds = sb.credentials();
            (Some(sb), endpoint, creds)
        }
    };
    let client = Client::new(endpoint, credentials, submit.timeout).map_err(FatalError::Config)?;
    let mut submitter = Submitter::new(
        client,
        Policy {
            rate: submit.rate,
            retries: submit.retries,
            backoff: submit.backoff,
            match_by_name: submit.match_by_name,
            concurrency: submit.concurrency,
        },
    );

    // Open every file first: a bad file or an unknown kind stops the run before any request.
    let mut opened = Vec::new();
    for job in &config.jobs {
        opened.push(open_file(job, config, &progress)?);
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for o in &opened {
        for p in o.plans.iter() {
            match p.kind {
                KindSource::Fixed(k) => kinds.push(k),
                KindSource::Column(_) => kinds.extend([Kind::Source, Kind::Stage]),
            }
        }
    }
    kinds.sort();
    kinds.dedup();

    // What exists before the run: for reconciling lost creates and matching by name.
    for &k in &kinds {
        if let Err(f) = submitter.load_existing(k).await {
            return Err(FatalError::Api(format!(
                "cannot read the existing {}: {}",
                k.plural(),
                describe_fatal(&f)
            )));
        }
    }

    // Resume: what earlier runs finished or may have sent, per file.
    let mut resumes = Vec::new();
    for job in &config.jobs {
        let jpath = journal::path_for(&job.output);
        let resume = if submit.resume && job.output.exists() {
            let done = read_done(&job.output).map_err(FatalError::Config)?;
            let rec: Recovered = Journal::recover(&jpath).map_err(out_err(&jpath))?;
            if let Some(pre) = &rec.pre {
                submitter.set_pre(Kind::Source, pre.0.clone());
                submitter.set_pre(Kind::Stage, pre.1.clone());
            }
            let mut all = rec.done;
            all.extend(done);
            Some(ResumeState {
                done: all,
                sent: rec.sent,
            })
        } else {
            None
        };
        resumes.push(resume);
    }
    let submitter = Arc::new(submitter);

    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let s = submitter.clone();
        let flag = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                s.stop("interrupted (Ctrl-C)".into());
                eprintln!(
                    "interrupted: finishing the requests in flight; Ctrl-C again to quit at once"
                );
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
    }

    let mut names = Names::new(config);
    let mut results_files = Vec::new();
    for (fi, (job, (file, resume))) in config
        .jobs
        .iter()
        .zip(opened.into_iter().zip(resumes))
        .enumerate()
    {
        import_file(fi, job, file, resume, &submitter, &mut names, &mut progress).await?;
        results_files.push(job.output.display().to_string());
    }
    let mut summary = progress.finish(
        submitter.retries.load(std::sync::atomic::Ordering::Relaxed),
        submitter
            .throttled
            .load(std::sync::atomic::Ordering::Relaxed),
        results_files,
    );
    summary.stopped = submitter.stopped();
    summary.interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
    if let Some(why) = &summary.stopped
        && !summary.interrupted
    {
        return Err(FatalError::Api(format!("{why}\n{}", summary.render())));
    }
    Ok(summary)
}

fn describe_fatal(f: &Failure) -> String {
    match f {
        Failure::Fatal(e) => crate::api::client::fatal_advice(e),
        other => other.describe(),
    }
}

/// A finished row waiting for its turn in the results file.
struct Finished {
    seq: u64,
    item: Item,
    verdict: Verdict,
    labels: Vec<String>,
}

/// How many finished rows may wait behind a slow one before reading pauses.
const WINDOW: usize = 4096;

async fn import_file(
    file_index: usize,
    job: &Job,
    file: OpenedFile,
    resume: Option<ResumeState>,
    submitter: &Arc<Submitter>,
    names: &mut Names,
    progress: &mut Progress,
) -> Result<(), FatalError> {
    let concurrency = submitter.concurrency();
    let jpath = journal::path_for(&job.output);
    let journal = Arc::new(Journal::open(&jpath, resume.is_none()).map_err(out_err(&jpath))?);
    if resume.is_none() {
        journal
            .pre(
                &submitter.existing_ids(Kind::Source),
                &submitter.existing_ids(Kind::Stage),
            )
            .map_err(out_err(&jpath))?;
    }
    // A resumed run writes beside the old results and replaces them at the end, so a crash
    // mid-way leaves the old file (and the journal) to resume from again.
    let write_path = if resume.is_some() {
        let mut n = job.output.file_name().unwrap_or_default().to_os_string();
        n.push(".partial");
        job.output.with_file_name(n)
    } else {
        job.output.clone()
    };
    let mut writer =
        ResultsWriter::create(&write_path, &file.echo).map_err(out_err(&write_path))?;
    if let Some(r) = &resume {
        // Records earlier runs gave to rows are not candidates for reconciling another row.
        for d in r.done.values() {
            submitter.claim(d.kind, d.id);
        }
    }

    let (tx, mut rx) = mpsc::channel::<Vec<Item>>(4);
    let plans = file.plans.clone();
    let input = file.input;
    let reader = {
        let plans = plans.clone();
        let check = !crate::input::is_workbook(&job.input);
        tokio::task::spawn_blocking(move || read_file(input, plans, check, tx))
    };

    let mut queue: VecDeque<Item> = VecDeque::new();
    let mut input_done = false;
    let mut next_seq: u64 = 0;
    let mut write_seq: u64 = 0;
    let mut waiting: BTreeMap<u64, Finished> = BTreeMap::new();
    let mut current_table = None;
    let mut inflight = FuturesUnordered::new();

    loop {
        // Start rows while there is room.
        while inflight.len() < concurrency && waiting.len() < WINDOW {
            if queue.is_empty() && !input_done {
                match rx.try_recv() {
                    Ok(batch) => queue.extend(batch),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => input_done = true,
                }
            }
            let Some(mut item) = queue.pop_front() else {
                break;
            };
            let seq = next_seq;
            next_seq += 1;
            let plan = &plans[item.table];
            item.ensure_checked(plan);
            names.admit(&mut item, &plan.sheet, file_index);
            let key: RowKey = (plan.sheet.to_string(), item.row.number);
            let record = match &item.checked {
                Err(p) => {
                    let (verdict, labels) = problems_verdict(p);
                    waiting.insert(
                        seq,
                        Finished {
                            seq,
                            item,
                            verdict,
                            labels,
                        },
                    );
                    continue;
                }
                Ok(r) => r.clone(),
            };
            let fp = fingerprint(&echo_cells(plan, &item.row));
            let mut record = record;
            let mut was_sent = false;
            if let Some(r) = &resume {
                if let Some(d) = r.done.get(&key) {
                    if d.fingerprint == fp {
                        let mut v = Verdict::new(d.status);
                        v.id = Some(d.id);
                        waiting.insert(
                            seq,
                            Finished {
                                seq,
                                item,
                                verdict: v,
                                labels: Vec::new(),
                            },
                        );
                        continue;
                    }
                    if record.id().is_none() {
                        progress.say(&format!(
                            "{}: row {} changed since the earlier run: sent as an update of id {}",
                            job.input.display(),
                            key.1,
                            d.id
                        ));
                        record.set_id(d.id);
                    }
                }
                was_sent = r.sent.contains(&key);
            }
            if submitter.is_stopping() {
                let s = submitter.skipped();
                let labels = s.error_label.into_iter().collect();
                waiting.insert(
                    seq,
                    Finished {
                        seq,
                        item,
                        verdict: s.verdict,
                        labels,
                    },
                );
                continue;
            }
            let sub = submitter.clone();
            let journal = journal.clone();
            let kind = record.kind();
            inflight.push(async move {
                let s = sub.submit(record, was_sent, || journal.sent(&key)).await;
                if matches!(s.verdict.status, Status::Created | Status::Updated)
                    && let Some(id) = s.verdict.id
                {
                    // Journalled before the results line, so a crash between the two is covered.
                    let _ = journal.done(&key, kind, s.verdict.status == Status::Created, id, fp);
                }
                let labels = s.error_label.into_iter().collect();
                Finished {
                    seq,
                    item,
                    verdict: s.verdict,
                    labels,
                }
            });
        }

        // Write what is ready, in order.
        let mut wrote = false;
        while let Some(f) = waiting.remove(&write_seq) {
            let plan = &plans[f.item.table];
            if current_table != Some(f.item.table) {
                current_table = Some(f.item.table);
                start_table(progress, job, plan);
            }
            let echo = echo_cells(plan, &f.item.row);
            writer
                .write(
                    f.item.row.number,
                    &plan.sheet,
                    f.item.kind,
                    &f.verdict,
                    &input_id(plan, &f.item),
                    &echo,
                )
                .map_err(out_err(&write_path))?;
            progress.record(f.item.kind, f.verdict.status, &f.labels);
            debug_assert_eq!(f.seq, write_seq);
            write_seq += 1;
            wrote = true;
        }
        if wrote {
            writer.flush().map_err(out_err(&write_path))?;
            progress.note_retries(
                submitter.retries.load(std::sync::atomic::Ordering::Relaxed),
                submitter
                    .throttled
                    .load(std::sync::atomic::Ordering::Relaxed),
            );
        }

        if input_done && queue.is_empty() && inflight.is_empty() && waiting.is_empty() {
            break;
        }
        let can_take = inflight.len() < concurrency && waiting.len() < WINDOW && !input_done;
        tokio::select! {
            Some(f) = inflight.next(), if !inflight.is_empty() => {
                waiting.insert(f.seq, f);
            }
            batch = rx.recv(), if can_take && queue.is_empty() => {
                match batch {
                    Some(b) => queue.extend(b),
                    None => input_done = true,
                }
            }
            else => {
                // Nothing to wait on but rows already queued: loop to start them.
                tokio::task::yield_now().await;
            }
        }
    }
    drop(rx);
    reader
        .await
        .map_err(|_| FatalError::Config("the reader task failed".into()))??;
    writer.flush().map_err(out_err(&write_path))?;
    drop(writer);
    if write_path != job.output {
        std::fs::rename(&write_path, &job.output).map_err(out_err(&job.output))?;
    }
    Ok(())
}
