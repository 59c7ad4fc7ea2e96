//! What to do with each row once it is read: check it (if the reader left that), claim its
//! name, and decide whether it is done without a request (invalid, valid in a dry run,
//! resumed, a conflict) or goes to the account.

use std::ops::ControlFlow;

use super::clear::{clear, empty_fields};
use super::file::FileRun;
use super::send::{Next, ToSend, finished, problems};
use crate::input::plan::TablePlan;
use crate::outcome::{Remedy, RowProblem, Status, Verdict};
use crate::pipeline::Submitted;
use crate::pipeline::account::Action;
use crate::pipeline::stop::Stop;
use crate::record::Record;
use crate::record::names::Names;
use crate::results::collector::{Done, Outcome, echo_cells};
use crate::results::journal::RowKey;
use crate::results::journal::fingerprint;
use crate::source::Item;

impl FileRun<'_> {
    /// What the run being resumed says of a row: its outcome when it is done (or changed
    /// since), else whether it may have been sent.
    fn resumed(
        &self,
        plan: &TablePlan,
        item: &Item,
        key: &RowKey,
        record: &Record,
    ) -> ControlFlow<(Verdict, Vec<RowProblem>), bool> {
        let Some(r) = &self.resume else {
            return ControlFlow::Continue(false);
        };
        if let Some(d) = r.done.get(key) {
            if d.fingerprint == fingerprint(echo_cells(plan, item)) {
                return ControlFlow::Break((Verdict::kept(d.status, d.id), vec![]));
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
            let problem = RowProblem {
                remedy: Remedy::Changed,
                ..RowProblem::whole("row changed since".into(), &v)
            };
            return ControlFlow::Break((v, vec![problem]));
        }
        if let Some(&(status, id)) = r.batch_done.get(key) {
            return ControlFlow::Break((Verdict::kept(status, id), vec![]));
        }
        if let Some(why) = r.held.get(key) {
            let v = Verdict::with_error(Status::Failed, why.clone());
            let problem = RowProblem::whole("outcome unknown".into(), &v);
            return ControlFlow::Break((v, vec![problem]));
        }
        ControlFlow::Continue(
            r.sent.contains(key) || (r.reconcile_by_name && record.id().is_none()),
        )
    }

    /// What the account says to do with a record. One an earlier run may have sent
    /// (`was_sent`) is matched only against the records that existed before that run.
    fn action(&self, record: &Record, was_sent: bool, empty: &[&'static str]) -> Action {
        match self.live.as_deref() {
            Some(s) => {
                let visible = if was_sent {
                    s.pre_ids(record.kind())
                } else {
                    None
                };
                s.account
                    .classify(record, self.matching, visible.as_ref(), empty)
            }
            None => Action::Create,
        }
    }

    /// Claims a dry run's rows' names, leaving each where it lies: its outcome is its check's
    /// ([`Outcome::of_check`]), read as it is written.
    pub(super) fn decide_in_place(
        &self,
        first: u64,
        mut items: Vec<Item>,
        names: &mut Names,
    ) -> Done {
        for item in &mut items {
            self.admit(item, names);
            if self.clear_empty {
                self.clear_empties(item);
            }
        }
        Done::InPlace { first, items }
    }

    /// With `--clear-empty`, a valid row's empty mapped cells clear their fields. Returns the
    /// fields whose cells are empty.
    fn clear_empties(&self, item: &mut Item) -> Vec<&'static str> {
        let plan = &self.plans[item.table];
        let Ok(record) = &mut item.checked else {
            return Vec::new();
        };
        let empty = empty_fields(plan, &item.cells, record.kind());
        if self.clear_empty {
            clear(record, &empty);
        }
        empty
    }

    /// Checks the row (if the reader left that) and claims its name.
    fn check(&self, item: &mut Item, names: &mut Names) {
        self.admit(item, names);
    }

    /// Claims a checked row's name, by its key (see [`Item::claim`]).
    fn admit(&self, item: &mut Item, names: &mut Names) {
        let plan = &self.plans[item.table];
        if let Some(key) = item.claim(plan) {
            let at = (item.number, &plan.sheet, self.file_index);
            names.admit(key, || item.cells.name(), at, &mut item.checked);
        }
    }

    /// Checks the row (if the reader left that), claims its name, and decides what to do.
    pub(super) fn decide(&self, seq: u64, mut item: Item, names: &mut Names) -> Next {
        self.check(&mut item, names);
        let empty = if self.clear_empty || self.live.is_some() {
            self.clear_empties(&mut item)
        } else {
            Vec::new()
        };
        let plan = &self.plans[item.table];
        let record = match &item.checked {
            Ok(r) if self.live.is_some() => r.clone(),
            // Invalid, or valid in a dry run: what its check says.
            checked => {
                let o = Outcome::of_check(checked);
                return Next::Done(finished(seq, item, o.verdict, o.problems));
            }
        };
        let key: RowKey = (plan.sheet.to_string(), item.number);
        // Cleared fields are sent: none is left "kept".
        let kept: &[&'static str] = if self.clear_empty { &[] } else { &empty };
        let mut record = record;
        let was_sent = match self.resumed(plan, &item, &key, &record) {
            ControlFlow::Continue(was_sent) => was_sent,
            ControlFlow::Break((v, labels)) => return Next::Done(finished(seq, item, v, labels)),
        };
        let decided = match self.apply.as_deref() {
            Some(planned) => self.apply_step(planned, &item, &mut record, kept),
            None => self.decided(&record, was_sent, kept),
        };
        let (id, changes) = match decided {
            Step::Done(v, labels) => return Next::Done(finished(seq, item, v, labels)),
            Step::Send(id, changes) => (id, changes),
        };
        if let Some(id) = id {
            record.set_id(id);
        }
        if self.stop.is_stopping() {
            let s = skipped(&self.stop);
            let problems = problems(&s);
            return Next::Done(finished(seq, item, s.verdict, problems));
        }
        Next::Send(ToSend {
            seq,
            item,
            record,
            was_sent,
            key,
            changes,
        })
    }

    /// What the account says of a row outside `apply`: done (a conflict, unchanged, or a
    /// plan's line), or sent to the id it updates (None: a create) with what it changes.
    fn decided(&self, record: &Record, was_sent: bool, kept: &[&'static str]) -> Step {
        let (status_if_plan, id, changes) = match self.action(record, was_sent, kept) {
            Action::Conflict(why, words) => {
                let v = Verdict::with_error(Status::Conflict, why);
                let problem = RowProblem::whole(words.into(), &v);
                return Step::Done(v, vec![problem]);
            }
            Action::Unchanged(id, changes) => {
                let mut v = Verdict::with_id(Status::Unchanged, id);
                v.changes = changes.text();
                return Step::Done(v, vec![]);
            }
            Action::Create => (Status::Create, None, String::new()),
            Action::Update(id, changes) => (Status::Update, Some(id), changes.text()),
        };
        if self.plan {
            let mut v = Verdict::new(status_if_plan);
            v.id = id;
            v.changes = changes;
            return Step::Done(v, vec![]);
        }
        Step::Send(id, changes)
    }
}

/// What becomes of a row the account was asked about.
pub(super) enum Step {
    /// Done without a request: its verdict and problems.
    Done(Verdict, Vec<RowProblem>),
    /// To send: the id it updates (None: a create) and what it changes.
    Send(Option<u64>, String),
}

fn skipped(stop: &Stop) -> Submitted {
    Submitted {
        verdict: Verdict::with_error(
            Status::Skipped,
            format!("not sent: the run stopped ({})", stop.reason()),
        ),
        error_label: Some("not sent: the run stopped".into()),
    }
}
