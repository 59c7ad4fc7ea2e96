//! What travels on of a row once it is read: the cells its results line echoes, the name cell
//! and an invalid row's id cell, copied once into one string.

use std::borrow::Cow;

use crate::input::headers::Field;
use crate::input::plan::TablePlan;
use crate::input::{Row, RowCells};

/// Cells copied out of a row: their text back to back in one string, and where each ends.
/// The first `plan.slots.len()` are the echoed cells; then, when kept, the name cell (if it is
/// not one of them), an invalid row's id cell, and a results file's own `row` and `sheet`
/// cells. `at` says which kept cell is which, so no reader replays how they were kept.
pub(crate) struct Kept {
    text: Box<str>,
    ends: Ends,
    at: At,
}

/// Where, among a row's kept cells, each cell with a job of its own is ([`NONE`]: not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    /// The name cell (an echoed one, or kept after them).
    pub name: u16,
    /// An invalid row's id cell (kept for its results line).
    pub invalid_id: u16,
    /// A results file's `row` cell; its `sheet` cell follows.
    pub origin: u16,
}

/// A cell that was not kept.
pub(crate) const NONE: u16 = u16::MAX;

impl At {
    /// Only echoed cells.
    pub(crate) const ECHO: At = At {
        name: NONE,
        invalid_id: NONE,
        origin: NONE,
    };
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
    pub(super) fn new(cells: &[Cow<'_, str>], at: At) -> Kept {
        let text = cells.concat();
        let ends = cells.iter().scan(0, |end, c| {
            *end += c.len();
            Some(*end)
        });
        Kept {
            ends: Ends::new(text.len(), cells.len(), ends),
            text: text.into_boxed_str(),
            at,
        }
    }

    /// A whole record kept as it is: its text and where each of its cells ends; `name`: the
    /// name cell's place.
    pub(super) fn whole(text: &str, cell_ends: &[usize], name: u16) -> Kept {
        Kept {
            text: text.into(),
            ends: Ends::new(text.len(), cell_ends.len(), cell_ends.iter().copied()),
            at: At { name, ..At::ECHO },
        }
    }

    /// The kept cell at `at` ("" when it was not kept).
    fn at(&self, at: u16) -> &str {
        if at == NONE {
            ""
        } else {
            self.get(usize::from(at))
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

/// A place among the kept cells, as `At` holds it.
fn place(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(NONE)
}

impl Kept {
    /// The row's name cell as written ("" when the table has no name column).
    pub(crate) fn name(&self) -> &str {
        self.at(self.at.name)
    }

    /// A results file's own `row` and `sheet` cells (None and "" for any other table).
    pub(crate) fn origin(&self) -> (Option<u32>, &str) {
        if self.at.origin == NONE {
            return (None, "");
        }
        let row = self.at(self.at.origin).trim().parse().ok();
        (row, self.at(self.at.origin.saturating_add(1)))
    }

    /// An invalid row's id cell as written ("" for a valid row, or a table without ids).
    pub(crate) fn invalid_id(&self) -> &str {
        self.at(self.at.invalid_id)
    }
}

/// Copies what travels on out of a borrowed row: the echoed cells, the name cell if it is not
/// one of them (for the duplicate check), and an invalid row's id cell (for its results line).
/// Each byte of it crosses to the consumer's thread.
pub(super) fn keep(plan: &TablePlan, row: &Row<'_>, invalid: bool) -> Kept {
    let name_at = name_at(plan);
    // The common CSV row: every cell echoed in its own order, nothing more to keep.
    if let RowCells::Csv { text, ends } = row.cells
        && !invalid
        && !plan.columns.is_results_file
        && ends.len() == plan.slots.len()
        && plan.slots.iter().enumerate().all(|(i, s)| *s == Some(i))
    {
        match name_at {
            NameAt::Echoed(slot) => return Kept::whole(text, ends, place(slot)),
            NameAt::None => return Kept::whole(text, ends, NONE),
            NameAt::Extra => {}
        }
    }
    let cell = |i: Option<usize>| i.map_or(Cow::Borrowed(""), |i| row.cell(i).display());
    let fields = &plan.columns.fields;
    let echoed = plan.slots.len();
    let mut at = At::ECHO;
    let name = match name_at {
        NameAt::Extra => {
            at.name = place(echoed);
            Some(fields.get(Field::Name).map(|(i, _)| i))
        }
        NameAt::Echoed(slot) => {
            at.name = place(slot);
            None
        }
        NameAt::None => None,
    };
    let id = invalid.then(|| fields.get(Field::Id).map(|(i, _)| i));
    if id.is_some() {
        at.invalid_id = place(echoed + usize::from(name.is_some()));
    }
    // A results file fed back in: its own row and sheet columns, last.
    let origin = plan
        .columns
        .is_results_file
        .then_some([Some(0), Some(1)])
        .into_iter()
        .flatten();
    if plan.columns.is_results_file {
        at.origin = place(echoed + usize::from(name.is_some()) + usize::from(id.is_some()));
    }
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
        Kept::new(&short[..n], at)
    } else {
        Kept::new(&long, at)
    }
}

#[cfg(test)]
mod tests;
