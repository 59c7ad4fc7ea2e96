//! The reader thread: a file's rows → checked items, sent in batches to the run.
//!
//! A row borrows the reader's buffers; it is checked where it is read, and only what the rest
//! of the run needs travels on: the record (or the problems) and the cells of its results
//! line, copied once into one string.

use std::ops::ControlFlow;

use tokio::sync::mpsc;

use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan};
use crate::input::{Input, InputError, Row, excerpt};
use crate::kind::Kind;
use crate::record::{Problem, ProblemKind, Record, validate};

/// One checked row on its way to the results file.
pub(crate) struct Item {
    pub table: usize,
    /// The row number a spreadsheet application shows.
    pub number: u32,
    pub kind: Option<Kind>,
    pub checked: Result<Record, Vec<Problem>>,
    /// The cells the results line echoes; for an invalid row, its id and name cells too.
    pub cells: Kept,
}

/// Cells copied out of a row: their text back to back in one string, and where each ends.
/// The first `plan.slots.len()` are the echoed cells; an invalid row adds its id cell and
/// name cell (see [`Item::id_cell`], [`Item::name_cell`]).
pub(crate) struct Kept {
    text: String,
    ends: Vec<u32>,
}

impl Kept {
    fn with_capacity(text: usize, cells: usize) -> Kept {
        Kept {
            text: String::with_capacity(text),
            ends: Vec::with_capacity(cells),
        }
    }

    fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// The `i`th kept cell; empty past the last.
    pub(crate) fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }
}

impl Item {
    /// An invalid row's id cell as written ("" when it has none).
    pub(crate) fn id_cell(&self, plan: &TablePlan) -> &str {
        self.extra(plan, 0)
    }

    /// An invalid row's name cell as written ("" when it has none).
    pub(crate) fn name_cell(&self, plan: &TablePlan) -> &str {
        self.extra(plan, 1)
    }

    fn extra(&self, plan: &TablePlan, i: usize) -> &str {
        if self.checked.is_ok() {
            return "";
        }
        self.cells.get(plan.slots.len() + i)
    }
}

/// Copies what travels on out of a borrowed row.
fn keep(plan: &TablePlan, row: &Row<'_>, invalid: bool) -> Kept {
    let extra = if invalid { 2 } else { 0 };
    let cell =
        |i: Option<usize>| i.map_or(std::borrow::Cow::Borrowed(""), |i| row.cell(i).display());
    let mut kept = Kept::with_capacity(0, plan.slots.len() + extra);
    let mut len = 0;
    for s in &plan.slots {
        len += cell(*s).len();
    }
    let fields = &plan.columns.fields;
    let extras = [
        fields.get(Field::Id).map(|(i, _)| i),
        fields.get(Field::Name).map(|(i, _)| i),
    ];
    if invalid {
        len += extras.iter().map(|i| cell(*i).len()).sum::<usize>();
    }
    kept.text.reserve_exact(len);
    for s in &plan.slots {
        kept.push(&cell(*s));
    }
    if invalid {
        for i in extras {
            kept.push(&cell(i));
        }
    }
    kept
}

pub(crate) fn check_row(
    plan: &TablePlan,
    row: &Row<'_>,
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
                    first: excerpt(&row.cell(first).display(), 80),
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
/// (Duplicate names are checked by the consumer, which sees every file in order.) Returns the
/// warnings found while reading (e.g. lines in another encoding).
pub(crate) fn read_file(
    mut input: Input,
    plans: &[TablePlan],
    tx: &mpsc::Sender<Vec<Item>>,
) -> Result<Vec<String>, InputError> {
    let mut batch = Vec::with_capacity(BATCH);
    for (t, plan) in plans.iter().enumerate().take(input.tables.len()) {
        let mut closed = false;
        let read = input.read_table(t, &mut |row| {
            if row.is_blank() {
                return ControlFlow::Continue(());
            }
            let (kind, checked) = check_row(plan, &row);
            let cells = keep(plan, &row, checked.is_err());
            batch.push(Item {
                table: t,
                number: row.number,
                kind,
                checked,
                cells,
            });
            if batch.len() == BATCH
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .is_err()
            {
                closed = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if let Err(e) = read {
            // The rows before the one that stopped the read still get their results lines.
            if !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
            return Err(e);
        }
        if closed {
            return Ok(input.read_warnings());
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    Ok(input.read_warnings())
}
