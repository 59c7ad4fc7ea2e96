//! `--resume`: what an earlier run of a results file did, checked against the input before
//! any request (in the run's one reading of it), and handed to the submitter.

use std::collections::{HashMap, HashSet};

use super::reading::Reading;
use crate::config::Job;
use crate::error::FatalError;
use crate::input::plan::TablePlan;
use crate::kind::Kind;
use crate::outcome::Status;
use crate::pipeline::Submitter;
use crate::progress::Progress;
use crate::results::collector::echo_cells;
use crate::results::journal::fingerprint;
use crate::results::journal::{Done, Journal, Recovered, RowKey, read_done};
use crate::source::{Item, claimed_name};

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

/// How many rows `--resume`'s check keeps for the run at most (`IVVY_IMPORT_RESUME_HOLD`
/// changes it, for tests): past that, the rows checked are let go and the run reads the file
/// again, so memory stays flat however many rows an earlier run finished.
const HOLD: usize = 20_000;

fn hold() -> usize {
    std::env::var("IVVY_IMPORT_RESUME_HOLD")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(HOLD)
}

/// What [`verify_ahead`] found.
pub(super) struct Verified {
    /// Valid rows still to do (exact when the file was read to its end, else at least 1).
    pub(super) to_do: u64,
    /// The rows checked were let go (more than [`HOLD`]): the run reads the file again.
    pub(super) let_go: bool,
}

/// Before any request: every row an earlier run finished must still be the row it was. The
/// rows are read once when they are few: this reads them ahead of the run (they stay in
/// `reading` for it) until every finished row has been checked and one row is known to be
/// left, or to the end. Past [`HOLD`] rows it goes on checking without keeping them.
pub(super) async fn verify_ahead(
    job: &Job,
    plans: &[TablePlan],
    state: &ResumeState,
    reading: &mut Reading,
) -> Result<Verified, FatalError> {
    let (mut to_do, mut seen, mut held) = (0u64, 0usize, 0usize);
    let hold = hold();
    let mut let_go = false;
    while seen < state.done.len() || to_do == 0 {
        let owned;
        let batch: &[Item] = if let_go {
            let Some(b) = reading.next().await else { break };
            owned = b;
            &owned
        } else {
            let Some(b) = reading.read_ahead().await else {
                break;
            };
            b
        };
        for item in batch {
            let plan = &plans[item.table];
            let key: RowKey = (plan.sheet.to_string(), item.number);
            match state.done.get(&key) {
                Some(d) if d.fingerprint != fingerprint(echo_cells(plan, item)) => {
                    return Err(FatalError::Resume(changed(job, plan, item, &key, d)));
                }
                Some(_) => seen += 1,
                None if item.checked.is_ok() => to_do += 1,
                None => {}
            }
        }
        held += batch.len();
        if !let_go && held > hold {
            let_go = true;
            reading.let_go();
        }
    }
    if !let_go {
        reading.failed()?;
    }
    Ok(Verified { to_do, let_go })
}

/// Why a resume stops: a row an earlier run finished is not the row it was.
fn changed(job: &Job, plan: &TablePlan, item: &Item, key: &RowKey, d: &Done) -> String {
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
    format!(
        "{}: row {}{was} when its record {} was {what};{now} the input changed since that run. Resume finishes the same input only: restore it, or import the changed file into a new results file (-o)",
        job.input.display(),
        key.1,
        d.id
    )
}
