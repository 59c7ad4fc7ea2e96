//! The reader thread: a file's rows → checked items, sent in batches to the run.
//!
//! A CSV row borrows the reader's buffers; it is checked where it is read, and only what the
//! rest of the run needs travels on as an [`Item`]: the record (or the problems) and the cells
//! of its results line, copied once into one string. A workbook's rows travel whole as
//! [`SheetRow`]s and are checked by the consumer ([`Batch::check`]), since parsing the
//! workbook keeps the reader busy. Either way the run only ever sees checked rows.

use std::ops::ControlFlow;

use tokio::sync::mpsc;

use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan, place};
use crate::input::{Cell, Input, InputError, Row, RowCells, trim};

mod headerless;
mod kept;
mod recycle;

use crate::kind::Kind;
use crate::record::names::name_key;
use crate::record::{Problem, ProblemKind, Record, check, show};
use headerless::Headerless;
pub(crate) use kept::Kept;
use kept::keep;
pub(crate) use recycle::{Recycler, Returned, recycler};

/// One checked row on its way to the results file.
pub(crate) struct Item {
    pub table: usize,
    /// The row number a spreadsheet application shows.
    pub number: u32,
    pub kind: Option<Kind>,
    pub checked: Result<Record, Vec<Problem>>,
    /// The cells the results line echoes, the name cell, an invalid row's id cell.
    pub cells: Kept,
    /// The fields the record sends exactly as their cells read (see [`show::as_read`]): the
    /// `sent` column leaves them out. Worked out where the row is checked.
    pub as_read: show::FieldSet,
}

impl Item {
    /// Checks a row and keeps what travels on of it. (Inlined into the reader's loop, where
    /// the row's cells are read: a call of its own costs 3% of a dry run's instructions.)
    #[inline(always)]
    fn checked(table: usize, plan: &TablePlan, echoed: show::FieldSet, row: &Row<'_>) -> Item {
        let (kind, checked, as_read) = check_row(plan, row);
        let cells = keep(plan, row, checked.is_err());
        Item {
            table,
            number: row.number,
            kind,
            as_read: as_read.and(echoed),
            checked,
            cells,
        }
    }

    /// The key of the name the row claims for the duplicate check, if it claims one that is
    /// not blank (see [`claimed_name`]). Worked out by the consumer as it claims the name:
    /// the reader thread has the more work of the two.
    pub(crate) fn claim(&self, plan: &TablePlan) -> Option<u64> {
        claim(plan, self.kind, &self.checked, &self.cells)
    }
}

/// A workbook's row as read: its cells, not checked yet.
pub(crate) struct SheetRow {
    table: usize,
    number: u32,
    cells: Vec<Cell>,
}

/// Rows as the reader sends them, in input order.
pub(crate) enum Batch {
    /// A CSV file's rows, checked where they were read.
    Checked(Vec<Item>),
    /// A workbook's rows, for the consumer to check.
    Unchecked(Vec<SheetRow>),
}

impl Batch {
    /// The batch's rows, checked.
    pub(crate) fn check(self, plans: &[TablePlan]) -> Vec<Item> {
        match self {
            Batch::Checked(items) => items,
            Batch::Unchecked(rows) => rows
                .into_iter()
                .map(|r| {
                    let plan = &plans[r.table];
                    let row = Row {
                        number: r.number,
                        cells: RowCells::Sheet(r.cells),
                    };
                    Item::checked(r.table, plan, echoed(plan), &row)
                })
                .collect(),
        }
    }
}

/// The fields whose cells the results line echoes: only those can be left out of `sent`.
fn echoed(plan: &TablePlan) -> show::FieldSet {
    show::FieldSet::of(|f| plan.field_slot(f).is_some())
}

/// The name a row claims for the duplicate check: a create row's name (valid or not), as
/// written in its cell.
pub(crate) fn claimed_name<'a>(
    plan: &TablePlan,
    checked: &Result<Record, Vec<Problem>>,
    cells: &'a Kept,
) -> Option<&'a str> {
    plan.columns.fields.get(Field::Name)?;
    let create = match checked {
        Ok(r) => r.id().is_none() && r.name().is_some(),
        Err(_) => trim(cells.invalid_id()).is_empty(),
    };
    create.then(|| cells.name())
}

/// The key of the name a checked row claims, if it claims one that is not blank.
fn claim(
    plan: &TablePlan,
    kind: Option<Kind>,
    checked: &Result<Record, Vec<Problem>>,
    cells: &Kept,
) -> Option<u64> {
    let (kind, name) = (kind?, claimed_name(plan, checked, cells)?);
    (!trim(name).is_empty()).then(|| name_key(kind, name))
}

/// Checks a row: its kind, its record or problems, and the fields it sends exactly as their
/// cells read.
pub(crate) fn check_row(
    plan: &TablePlan,
    row: &Row<'_>,
) -> (Option<Kind>, Result<Record, Vec<Problem>>, show::FieldSet) {
    let mut problems = Vec::new();
    if row.len() > plan.width {
        let extra: Vec<usize> = (plan.width..row.len())
            .filter(|&i| !row.cell(i).is_blank())
            .collect();
        if let Some(&first) = extra.first() {
            problems.push(Problem {
                column: format!("column {}", crate::input::column_letters(first)),
                kind: ProblemKind::ExtraCells {
                    values: extra
                        .iter()
                        .map(|&i| row.cell(i).display().into_owned())
                        .collect(),
                    sheet: matches!(row.cells, RowCells::Sheet(_)),
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
        Some(k) => {
            let (checked, as_read) = check(k, row, &plan.columns.fields, problems);
            (Some(k), checked, as_read)
        }
        None => (None, Err(problems), show::FieldSet::default()),
    }
}

const BATCH: usize = 512;

/// Where the rows that travel on go, and where written ones come back (if they do).
pub(crate) struct Channels<'a> {
    pub items: &'a mpsc::Sender<Batch>,
    pub returned: Option<Returned>,
}

impl Channels<'_> {
    fn send(&self, batch: Batch) -> Result<(), ()> {
        if let Some(returned) = &self.returned {
            returned.drop_returned();
        }
        self.items.blocking_send(batch).map_err(|_| ())
    }
}

/// Rows being gathered into a batch: checked items or a workbook's rows.
struct Gathering {
    items: Vec<Item>,
    rows: Vec<SheetRow>,
}

impl Gathering {
    fn new() -> Gathering {
        Gathering {
            items: Vec::with_capacity(BATCH),
            rows: Vec::new(),
        }
    }

    /// The rows gathered so far, if there are `at_least`.
    fn take(&mut self, at_least: usize) -> Option<Batch> {
        if self.items.len() >= at_least.max(1) {
            let items = std::mem::replace(&mut self.items, Vec::with_capacity(BATCH));
            return Some(Batch::Checked(items));
        }
        if self.rows.len() >= at_least.max(1) {
            let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH));
            return Some(Batch::Unchecked(rows));
        }
        None
    }
}

/// Reads and checks every row of a file on the calling thread (a workbook's rows are packed
/// and left to the consumer), sending batches of rows. (Duplicate names are checked by the
/// consumer, which sees every file in order.) Returns the
/// warnings found while reading (e.g. lines in another encoding, the rows that hold cells
/// under no header).
pub(crate) fn read_file(
    mut input: Input,
    plans: &[TablePlan],
    tx: &Channels<'_>,
) -> Result<Vec<String>, InputError> {
    let mut batch = Gathering::new();
    let mut warnings = Vec::new();
    for (t, plan) in plans.iter().enumerate().take(input.tables.len()) {
        let mut closed = false;
        let table = &input.tables[t];
        let mut headerless = Headerless::new(&table.headerless);
        let place = place(&input.path, table.sheet.as_deref());
        let echoed = echoed(plan);
        let read = input.read_table(t, &mut |row| {
            if row.is_blank() {
                return ControlFlow::Continue(());
            }
            headerless.see(row.number, |i| row.cell(i));
            match row.cells {
                // Parsing a workbook costs far more than a CSV file: its rows are checked by
                // the consumer, to share the work between the two threads.
                RowCells::Sheet(cells) => batch.rows.push(SheetRow {
                    table: t,
                    number: row.number,
                    cells,
                }),
                _ => batch.items.push(Item::checked(t, plan, echoed, &row)),
            }
            if let Some(full) = batch.take(BATCH)
                && tx.send(full).is_err()
            {
                closed = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if let Err(e) = read {
            // The rows before the one that stopped the read still get their results lines.
            if let Some(rest) = batch.take(1) {
                let _ = tx.send(rest);
            }
            return Err(e);
        }
        warnings.extend(headerless.warnings(&place));
        if closed {
            break;
        }
    }
    if let Some(rest) = batch.take(1) {
        let _ = tx.send(rest);
    }
    warnings.extend(input.read_warnings());
    Ok(warnings)
}
