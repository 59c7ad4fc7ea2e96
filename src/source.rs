//! The reader thread: a file's rows → checked items, sent in batches to the run.
//!
//! A CSV row borrows the reader's buffers; it is checked where it is read, and only what the
//! rest of the run needs travels on: the record (or the problems) and the cells of its results
//! line, copied once into one string. A workbook's rows travel whole and are checked by the
//! consumer, since parsing the workbook keeps the reader busy.

use std::borrow::Cow;
use std::ops::ControlFlow;

use tokio::sync::mpsc;

use crate::input::headers::Field;
use crate::input::plan::{KindSource, TablePlan};
use crate::input::{Cell, Input, InputError, Row, RowCells, excerpt, trim};
use crate::kind::Kind;
use crate::record::names::name_key;
use crate::record::{Problem, ProblemKind, Record, validate};

/// One checked row on its way to the results file.
pub(crate) struct Item {
    pub table: usize,
    /// The row number a spreadsheet application shows.
    pub number: u32,
    pub kind: Option<Kind>,
    pub checked: Result<Record, Vec<Problem>>,
    /// The cells the results line echoes, the name cell, an invalid row's id cell.
    pub cells: Kept,
    /// A workbook row's cells, not checked yet: the consumer checks them (see `read_file`).
    pending: Option<Vec<Cell>>,
}

impl Item {
    /// Checks the row if the reader left that to the consumer.
    pub(crate) fn ensure_checked(&mut self, plan: &TablePlan) {
        if let Some(cells) = self.pending.take() {
            let row = Row {
                number: self.number,
                cells: RowCells::Sheet(cells),
            };
            (self.kind, self.checked) = check_row(plan, &row);
            self.cells = keep(plan, &row, self.checked.is_err());
        }
    }
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
        Err(_) => trim(cells.invalid_id(plan)).is_empty(),
    };
    create.then(|| cells.name(plan))
}

/// The key of the name a checked row claims, if it claims one that is not blank. (Computed by
/// the consumer, which has time to spare while the reader parses and checks.)
pub(crate) fn claim(plan: &TablePlan, item: &Item) -> Option<u64> {
    let (kind, name) = (item.kind?, claimed_name(plan, &item.checked, &item.cells)?);
    (!trim(name).is_empty()).then(|| name_key(kind, name))
}

/// Cells copied out of a row: their text back to back in one string, and where each ends.
/// The first `plan.slots.len()` are the echoed cells; then the name cell when it is not one of
/// them, and an invalid row's id cell.
pub(crate) struct Kept {
    text: Box<str>,
    ends: Ends,
    /// The row was invalid when it was read, so its id cell was kept.
    id_kept: bool,
}

/// Where each kept cell ends: inline for the common row (at most 8 cells, under 64 KiB of
/// text), so a row costs one allocation, not two.
enum Ends {
    Short { len: u8, ends: [u16; SHORT] },
    Long(Box<[u32]>),
}

const SHORT: usize = 8;

impl Ends {
    #[inline]
    fn get(&self, i: usize) -> Option<usize> {
        match self {
            Ends::Short { len, ends } => (i < usize::from(*len)).then(|| usize::from(ends[i])),
            Ends::Long(ends) => ends.get(i).map(|&e| e as usize),
        }
    }

    fn len(&self) -> usize {
        match self {
            Ends::Short { len, .. } => usize::from(*len),
            Ends::Long(ends) => ends.len(),
        }
    }
}

impl Kept {
    fn new(cells: &[Cow<'_, str>], id_kept: bool) -> Kept {
        let len: usize = cells.iter().map(|c| c.len()).sum();
        let mut text = String::with_capacity(len);
        let ends = if cells.len() <= SHORT && len <= usize::from(u16::MAX) {
            let mut ends = [0u16; SHORT];
            for (c, end) in cells.iter().zip(&mut ends) {
                text.push_str(c);
                *end = u16::try_from(text.len()).unwrap_or(u16::MAX);
            }
            Ends::Short {
                len: u8::try_from(cells.len()).unwrap_or(0),
                ends,
            }
        } else {
            let ends = cells
                .iter()
                .map(|c| {
                    text.push_str(c);
                    u32::try_from(text.len()).unwrap_or(u32::MAX)
                })
                .collect();
            Ends::Long(ends)
        };
        Kept {
            text: text.into_boxed_str(),
            ends,
            id_kept,
        }
    }

    /// A whole record kept as it is: its text and where each of its cells ends.
    fn whole(text: &str, cell_ends: &[usize]) -> Kept {
        let ends = if cell_ends.len() <= SHORT && text.len() <= usize::from(u16::MAX) {
            let mut ends = [0u16; SHORT];
            for (e, end) in cell_ends.iter().zip(&mut ends) {
                *end = u16::try_from(*e).unwrap_or(u16::MAX);
            }
            Ends::Short {
                len: u8::try_from(cell_ends.len()).unwrap_or(0),
                ends,
            }
        } else {
            let ends = cell_ends
                .iter()
                .map(|&e| u32::try_from(e).unwrap_or(u32::MAX))
                .collect();
            Ends::Long(ends)
        };
        Kept {
            text: text.into(),
            ends,
            id_kept: false,
        }
    }

    /// The `i`th kept cell; empty past the last.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &str {
        let Some(end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).unwrap_or(0)
        };
        self.text.get(start..end).unwrap_or("")
    }
}

/// Where a row's name cell is kept: among the echoed cells (the name column is echoed), else
/// as an extra cell after them.
enum NameAt {
    None,
    Echoed(usize),
    Extra,
}

fn name_at(plan: &TablePlan) -> NameAt {
    match plan.columns.fields.get(Field::Name) {
        None => NameAt::None,
        Some((col, _)) => match plan.slots.iter().position(|s| *s == Some(col)) {
            Some(slot) => NameAt::Echoed(slot),
            None => NameAt::Extra,
        },
    }
}

impl Kept {
    /// The row's name cell as written ("" when the table has no name column).
    pub(crate) fn name(&self, plan: &TablePlan) -> &str {
        match name_at(plan) {
            NameAt::None => "",
            NameAt::Echoed(slot) => self.get(slot),
            NameAt::Extra => self.get(plan.slots.len()),
        }
    }

    /// A results file's own `row` and `sheet` cells (kept last when the table is one).
    pub(crate) fn origin(&self) -> (Option<u32>, &str) {
        let n = self.ends.len();
        if n < 2 {
            return (None, "");
        }
        (self.get(n - 2).trim().parse().ok(), self.get(n - 1))
    }

    /// An invalid row's id cell as written ("" for a valid row, or a table without ids).
    pub(crate) fn invalid_id(&self, plan: &TablePlan) -> &str {
        if !self.id_kept {
            return "";
        }
        let after = usize::from(matches!(name_at(plan), NameAt::Extra));
        self.get(plan.slots.len() + after)
    }
}

/// Copies what travels on out of a borrowed row: the echoed cells, the name cell if it is not
/// one of them (for the duplicate check), and an invalid row's id cell (for its results line).
/// Each byte of it crosses to the consumer's thread.
fn keep(plan: &TablePlan, row: &Row<'_>, invalid: bool) -> Kept {
    // The common CSV row: every cell echoed in its own order, nothing more to keep.
    if let RowCells::Csv { text, ends } = row.cells
        && !invalid
        && !plan.columns.is_results_file
        && ends.len() == plan.slots.len()
        && !matches!(name_at(plan), NameAt::Extra)
        && plan.slots.iter().enumerate().all(|(i, s)| *s == Some(i))
    {
        return Kept::whole(text, ends);
    }
    let cell = |i: Option<usize>| i.map_or(Cow::Borrowed(""), |i| row.cell(i).display());
    let fields = &plan.columns.fields;
    let name = match name_at(plan) {
        NameAt::Extra => Some(fields.get(Field::Name).map(|(i, _)| i)),
        NameAt::None | NameAt::Echoed(_) => None,
    };
    let id = invalid.then(|| fields.get(Field::Id).map(|(i, _)| i));
    // A results file fed back in: its own row and sheet columns, last.
    let origin = plan
        .columns
        .is_results_file
        .then_some([Some(0), Some(1)])
        .into_iter()
        .flatten();
    let id_kept = id.is_some();
    let columns = plan
        .slots
        .iter()
        .copied()
        .chain(name)
        .chain(id)
        .chain(origin);
    // Each cell looked up once, into a buffer on the stack for the common row.
    let mut short: [Cow<'_, str>; SHORT] = Default::default();
    let mut n = 0;
    let mut long = Vec::new();
    for c in columns {
        if n < SHORT {
            short[n] = cell(c);
        } else {
            if long.is_empty() {
                long.extend(short.iter().cloned());
            }
            long.push(cell(c));
        }
        n += 1;
    }
    if n <= SHORT {
        Kept::new(&short[..n], id_kept)
    } else {
        Kept::new(&long, id_kept)
    }
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

/// Spent rows handed back to the reader's thread to be dropped there: the reader allocated
/// them, and memory is freed several times faster on the thread that allocated it.
pub(crate) type Spent = Box<dyn Send>;

/// Where the rows that travel on go, and where spent ones come back (if they do).
pub(crate) struct Channels<'a> {
    pub items: &'a mpsc::Sender<Vec<Item>>,
    pub spent: Option<std::sync::mpsc::Receiver<Spent>>,
}

impl Channels<'_> {
    fn send(&self, batch: Vec<Item>) -> Result<(), ()> {
        if let Some(spent) = &self.spent {
            while let Ok(rows) = spent.try_recv() {
                drop(rows);
            }
        }
        self.items.blocking_send(batch).map_err(|_| ())
    }
}

/// Reads and checks every row of a file on the calling thread (a workbook's rows are packed
/// and left to the consumer), sending batches of items. (Duplicate names are checked by the
/// consumer, which sees every file in order.) Returns the
/// warnings found while reading (e.g. lines in another encoding).
pub(crate) fn read_file(
    mut input: Input,
    plans: &[TablePlan],
    tx: &Channels<'_>,
) -> Result<Vec<String>, InputError> {
    let mut batch = Vec::with_capacity(BATCH);
    for (t, plan) in plans.iter().enumerate().take(input.tables.len()) {
        let mut closed = false;
        let read = input.read_table(t, &mut |row| {
            if row.is_blank() {
                return ControlFlow::Continue(());
            }
            let item = match row.cells {
                // Parsing a workbook costs far more than a CSV file: its rows are checked by
                // the consumer, to share the work between the two threads.
                RowCells::Sheet(cells) => Item {
                    table: t,
                    number: row.number,
                    kind: None,
                    checked: Err(Vec::new()),
                    cells: Kept::new(&[], false),
                    pending: Some(cells),
                },
                _ => {
                    let (kind, checked) = check_row(plan, &row);
                    let cells = keep(plan, &row, checked.is_err());
                    Item {
                        table: t,
                        number: row.number,
                        kind,
                        checked,
                        cells,
                        pending: None,
                    }
                }
            };
            batch.push(item);
            if batch.len() == BATCH
                && tx
                    .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
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
                let _ = tx.send(batch);
            }
            return Err(e);
        }
        if closed {
            return Ok(input.read_warnings());
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(input.read_warnings())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_record_is_kept_as_its_cells_would_be() {
        let cells = ["Café", "", "12.50", "#aabbcc"];
        let text = cells.concat();
        let ends: Vec<usize> = cells
            .iter()
            .scan(0, |end, c| {
                *end += c.len();
                Some(*end)
            })
            .collect();
        let whole = Kept::whole(&text, &ends);
        let each = Kept::new(&cells.map(Cow::Borrowed), false);
        for i in 0..=cells.len() {
            assert_eq!(whole.get(i), each.get(i), "cell {i}");
        }
        let many: Vec<String> = (0..20).map(|i| format!("cell {i} é")).collect();
        let text = many.concat();
        let ends: Vec<usize> = many
            .iter()
            .scan(0, |end, c| {
                *end += c.len();
                Some(*end)
            })
            .collect();
        let whole = Kept::whole(&text, &ends);
        assert!(matches!(whole.ends, Ends::Long(_)));
        for (i, c) in many.iter().enumerate() {
            assert_eq!(whole.get(i), c);
        }
    }

    #[test]
    fn kept_cells_come_back_as_they_went_in() {
        let cells = ["Café", "", "12.50", "#aabbcc"];
        let kept = Kept::new(&cells.map(Cow::Borrowed), false);
        for (i, c) in cells.iter().enumerate() {
            assert_eq!(kept.get(i), *c);
        }
        assert_eq!(kept.get(4), "");
        let none = Kept::new(&[], false);
        assert_eq!(none.get(0), "");
        // Many cells, or much text, are kept the other way, and come back the same.
        let many: Vec<String> = (0..20).map(|i| format!("cell {i} é")).collect();
        let kept = Kept::new(
            &many
                .iter()
                .map(|c| Cow::Borrowed(c.as_str()))
                .collect::<Vec<_>>(),
            false,
        );
        assert!(matches!(kept.ends, Ends::Long(_)));
        for (i, c) in many.iter().enumerate() {
            assert_eq!(kept.get(i), c);
        }
        let long = ["x".repeat(70_000), "y".into()];
        let kept = Kept::new(
            &long
                .iter()
                .map(|c| Cow::Borrowed(c.as_str()))
                .collect::<Vec<_>>(),
            false,
        );
        assert!(matches!(kept.ends, Ends::Long(_)));
        assert_eq!(kept.get(0), long[0]);
        assert_eq!(kept.get(1), "y");
        assert_eq!(kept.get(2), "");
    }
}
