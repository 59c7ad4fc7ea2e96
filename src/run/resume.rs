//! `--resume`: what an earlier run of a results file did, checked against the input before
//! any request, and handed to the submitter.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::{Config, Job};
use crate::error::FatalError;
use crate::input::Input;
use crate::input::plan::plan_file;
use crate::kind::Kind;
use crate::outcome::Status;
use crate::pipeline::Submitter;
use crate::progress::Progress;
use crate::results::collector::echo_cells;
use crate::results::journal::fingerprint;
use crate::results::journal::{Done, Journal, Recovered, RowKey, read_done};
use crate::source::{Channels, Item, claimed_name, read_file};

/// What `--resume` knows of one file.
pub(super) struct ResumeState {
    pub(super) done: HashMap<RowKey, Done>,
    pub(super) sent: HashSet<RowKey>,
    /// Look every unfinished create up by name before sending it.
    pub(super) reconcile_by_name: bool,
    /// Rows whose outcome the server kept for a batch an earlier run started.
    pub(super) batch_done: HashMap<RowKey, (Status, u64)>,
    /// Creates of a batch whose outcome is still unknown: failed with this, not sent.
    pub(super) held: HashMap<RowKey, String>,
}

pub(super) const ADVICE: &str = "run again with --resume --reconcile-by-name to look every unfinished create up by name first (a record someone else created with the same name is then taken as this row's)";

/// Reads what an earlier run of this results file did. None: nothing to resume.
pub(super) fn load_resume(
    job: &Job,
    progress: &Progress,
    reconcile_by_name: bool,
) -> Result<Option<(ResumeState, Recovered)>, FatalError> {
    let jpath = job.paths().journal;
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
        held: HashMap::new(),
    };
    Ok(Some((state, rec)))
}

/// Hands an earlier run's knowledge to the submitter: the snapshot from before the first
/// run, and the records already given to rows (not candidates for reconciling another row).
pub(super) fn apply_resume(submitter: &Submitter, state: &ResumeState, rec: &Recovered) {
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

/// Before any request: every row an earlier run finished must still be the row it was.
/// Returns the number of valid rows still to do.
pub(super) async fn verify_resume(
    job: &Job,
    config: &Config,
    state: &ResumeState,
) -> Result<u64, FatalError> {
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
        std::thread::spawn(move || {
            let channels = Channels {
                items: &tx,
                spent: None,
            };
            read_file(input, &plans, &channels)
        })
    };
    let mut to_do = 0;
    let mut changed = None;
    while let Some(batch) = rx.recv().await {
        for mut item in batch {
            let plan = &plans[item.table];
            item.ensure_checked(plan);
            let key: RowKey = (plan.sheet.to_string(), item.number);
            match state.done.get(&key) {
                Some(d)
                    if changed.is_none()
                        && d.fingerprint != fingerprint(echo_cells(plan, &item)) =>
                {
                    let now = claimed_name(plan, &item.checked, &item.cells)
                        .or_else(|| item.checked.as_ref().ok().and_then(|r| r.name()))
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
                None if item.checked.is_ok() => to_do += 1,
                Some(_) | None => {}
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
