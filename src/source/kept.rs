//! What travels on of a row once it is read: the cells its results line echoes, the name cell
//! and an invalid row's id cell, copied once into one string.

use std::borrow::Cow;

use crate::input::headers::Field;
use crate::input::plan::TablePlan;
use crate::input::{Row, RowCells};

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

impl Ends {
    /// Where each of `count` cells ends, in `len` bytes of text.
    fn new(len: usize, count: usize, ends: impl Iterator<Item = usize>) -> Ends {
        if count <= SHORT && len <= usize::from(u16::MAX) {
            let mut short = [0u16; SHORT];
            for (e, end) in ends.zip(&mut short) {
                *end = u16::try_from(e).unwrap_or(u16::MAX);
            }
            let len = u8::try_from(count).unwrap_or(0);
            Ends::Short { len, ends: short }
        } else {
            Ends::Long(ends.map(|e| u32::try_from(e).unwrap_or(u32::MAX)).collect())
        }
    }
}

impl Kept {
    pub(super) fn new(cells: &[Cow<'_, str>], id_kept: bool) -> Kept {
        let text = cells.concat();
        let ends = cells.iter().scan(0, |end, c| {
            *end += c.len();
            Some(*end)
        });
        Kept {
            ends: Ends::new(text.len(), cells.len(), ends),
            text: text.into_boxed_str(),
            id_kept,
        }
    }

    /// A whole record kept as it is: its text and where each of its cells ends.
    pub(super) fn whole(text: &str, cell_ends: &[usize]) -> Kept {
        Kept {
            text: text.into(),
            ends: Ends::new(text.len(), cell_ends.len(), cell_ends.iter().copied()),
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
pub(super) fn keep(plan: &TablePlan, row: &Row<'_>, invalid: bool) -> Kept {
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

#[cfg(test)]
mod tests;
