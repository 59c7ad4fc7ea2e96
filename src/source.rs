//! The reader thread: a file's rows → checked items, sent in batches to the run.

use std::ops::ControlFlow;

use tokio::sync::mpsc;

use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan};
use crate::input::{Input, InputError, Row};
use crate::kind::Kind;
use crate::record::{Problem, ProblemKind, Record, validate};

/// One checked row on its way to the results file.
pub(crate) struct Item {
    pub table: usize,
    pub row: Row,
    pub kind: Option<Kind>,
    pub checked: Result<Record, Vec<Problem>>,
    /// Not checked yet: the consumer checks it (see `read_file`).
    unchecked: bool,
}

impl Item {
    /// Checks the row if the reader left that to the consumer.
    pub(crate) fn ensure_checked(&mut self, plan: &TablePlan) {
        if self.unchecked {
            (self.kind, self.checked) = check_row(plan, &self.row);
            self.unchecked = false;
        }
    }
}

pub(crate) fn check_row(
    plan: &TablePlan,
    row: &Row,
) -> (Option<Kind>, Result<Record, Vec<Problem>>) {
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

const BATCH: usize = 512;

/// Reads and checks every row of a file on the calling thread, sending batches of items.
/// (Duplicate names are checked by the consumer, which sees every file in order.) Parsing a
/// workbook costs far more than a CSV file, so for workbooks (`check` false) the consumer
/// checks the rows too, to share the work between the two threads.
pub(crate) fn read_file(
    mut input: Input,
    plans: &[TablePlan],
    check: bool,
    tx: &mpsc::Sender<Vec<Item>>,
) -> Result<(), InputError> {
    let mut batch = Vec::with_capacity(BATCH);
    for (t, plan) in plans.iter().enumerate().take(input.tables.len()) {
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
