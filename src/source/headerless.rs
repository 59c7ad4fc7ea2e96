//! Cells under no header: which rows hold them, for one warning per column once a table is
//! read (`column F: cells under no header are kept (rows 4, 9, 12)`).

use crate::input::{CellRef, column_letters};

/// How many rows a warning names before "and N more".
const ROWS_NAMED: usize = 10;

/// One column with no header: the first rows that hold a cell in it, and how many do.
struct Column {
    index: usize,
    rows: Vec<u32>,
    count: usize,
}

/// The rows of one table that hold cells under no header.
pub(super) struct Headerless {
    columns: Vec<Column>,
}

impl Headerless {
    pub(super) fn new(indices: &[usize]) -> Headerless {
        Headerless {
            columns: indices
                .iter()
                .map(|&index| Column {
                    index,
                    rows: Vec::new(),
                    count: 0,
                })
                .collect(),
        }
    }

    /// Notes which headerless columns row `number` holds a cell in.
    #[inline]
    pub(super) fn see<'c>(&mut self, number: u32, cell: impl Fn(usize) -> CellRef<'c>) {
        for c in &mut self.columns {
            if !cell(c.index).is_blank() {
                if c.rows.len() < ROWS_NAMED {
                    c.rows.push(number);
                }
                c.count += 1;
            }
        }
    }

    /// One warning per column that holds cells: its generated header and its rows.
    pub(super) fn warnings(&self, place: &str) -> impl Iterator<Item = String> {
        self.columns.iter().filter(|c| c.count > 0).map(move |c| {
            let rows: Vec<String> = c.rows.iter().map(u32::to_string).collect();
            let more = c.count - c.rows.len();
            let rows = match (c.count, more) {
                (1, _) => format!("row {}", rows.join("")),
                (_, 0) => format!("rows {}", rows.join(", ")),
                _ => format!("rows {} and {more} more", rows.join(", ")),
            };
            format!(
                "{place}: column {}: cells under no header are kept ({rows})",
                column_letters(c.index)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_the_column_and_its_rows_up_to_ten() {
        let mut h = Headerless::new(&[2, 5]);
        for n in 2..30u32 {
            h.see(n, |i| match (i, n) {
                (2, 4 | 9) => CellRef::Text("note"),
                (2, 12) => CellRef::Int(3),
                (2, 13) => CellRef::Text("  "),
                (5, _) if n % 2 == 0 => CellRef::Text("x"),
                _ => CellRef::Empty,
            });
        }
        let w: Vec<String> = h.warnings("f.csv").collect();
        assert_eq!(
            w,
            vec![
                "f.csv: column C: cells under no header are kept (rows 4, 9, 12)",
                "f.csv: column F: cells under no header are kept (rows 2, 4, 6, 8, 10, 12, 14, 16, 18, 20 and 4 more)",
            ]
        );
        let mut h = Headerless::new(&[0, 1]);
        h.see(7, |i| {
            if i == 1 {
                CellRef::Bool(true)
            } else {
                CellRef::Empty
            }
        });
        let w: Vec<String> = h.warnings("f.xlsx (sheet \"S\")").collect();
        assert_eq!(
            w,
            vec!["f.xlsx (sheet \"S\"): column B: cells under no header are kept (row 7)"]
        );
    }
}
