//! Merged cells in data rows: the merged value applies to every cell of the range, as the
//! sheet shows it (XLSX, XLSB, XLS and ODS).

use std::collections::HashMap;

use super::Cell;
use crate::input::column_letters;
use crate::input::extent::Merge;

/// The merged ranges of the sheets read, below their headers.
#[derive(Debug, Default)]
pub(super) struct Merges {
    by_sheet: HashMap<String, Vec<Merge>>,
}

/// `B2:B4`.
fn range_name(&(r0, c0, r1, c1): &Merge) -> String {
    let cell = |r: u32, c: u32| format!("{}{}", column_letters(c as usize), u64::from(r) + 1);
    format!("{}:{}", cell(r0, c0), cell(r1, c1))
}

impl Merges {
    /// Keeps a sheet's ranges of more than one cell that lie wholly below its header row
    /// (1-based); returns one note for each, in words.
    pub(super) fn keep(
        &mut self,
        sheet: &str,
        header_row: u32,
        ranges: impl IntoIterator<Item = Merge>,
    ) -> Vec<String> {
        let mut kept: Vec<Merge> = ranges
            .into_iter()
            .filter(|&(r0, c0, r1, c1)| r0 >= header_row && (r1 > r0 || c1 > c0))
            .collect();
        kept.sort_unstable();
        kept.dedup();
        let notes = kept
            .iter()
            .map(|m| {
                let anchor = format!("{}{}", column_letters(m.1 as usize), u64::from(m.0) + 1);
                format!(
                    "cells {} are merged: the value of {anchor} is read in each of them",
                    range_name(m)
                )
            })
            .collect();
        if !kept.is_empty() {
            self.by_sheet.insert(sheet.to_string(), kept);
        }
        notes
    }

    /// What fills the merged cells of one sheet as its rows stream by.
    pub(super) fn filler(&self, sheet: &str) -> Filler<'_> {
        let ranges = self.by_sheet.get(sheet).map_or(&[][..], Vec::as_slice);
        Filler {
            ranges,
            values: vec![None; ranges.len()],
        }
    }
}

/// Gives each merged range's value to every cell of the range, row by row.
pub(super) struct Filler<'a> {
    ranges: &'a [Merge],
    /// Each range's value, once its first row has been seen.
    values: Vec<Option<Cell>>,
}

impl Filler<'_> {
    /// Fills the merged cells of row `number` (1-based).
    pub(super) fn apply(&mut self, number: u32, cells: &mut Vec<Cell>) {
        if self.ranges.is_empty() {
            return;
        }
        let r = number.saturating_sub(1);
        for (&(r0, c0, r1, c1), value) in self.ranges.iter().zip(&mut self.values) {
            if r < r0 || r > r1 {
                continue;
            }
            let (c0, c1) = (c0 as usize, c1 as usize);
            if r == r0 {
                *value = cells.get(c0).filter(|c| **c != Cell::Empty).cloned();
            }
            let Some(v) = value else { continue };
            if cells.len() <= c1 {
                cells.resize(c1 + 1, Cell::Empty);
            }
            for (c, cell) in cells.iter_mut().enumerate().take(c1 + 1).skip(c0) {
                if r != r0 || c != c0 {
                    *cell = v.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merged_value_fills_its_range_below_the_header_only() {
        let mut m = Merges::default();
        // B2:B4 in data rows; A1:C1 (a title) and the header row are not data.
        let notes = m.keep("S", 1, [(1, 1, 3, 1), (0, 0, 0, 2), (5, 0, 5, 0)]);
        assert_eq!(
            notes,
            vec!["cells B2:B4 are merged: the value of B2 is read in each of them"]
        );
        let mut f = m.filler("S");
        let mut rows = [
            vec![Cell::Text("Expo".into()), Cell::Text("yes".into())],
            vec![Cell::Text("Fair".into())],
            vec![Cell::Text("Show".into()), Cell::Empty, Cell::Int(3)],
            vec![Cell::Text("Other".into()), Cell::Text("no".into())],
        ];
        for (i, row) in rows.iter_mut().enumerate() {
            f.apply(u32::try_from(i).unwrap() + 2, row);
        }
        let yes = Cell::Text("yes".into());
        assert_eq!(rows[1], vec![Cell::Text("Fair".into()), yes.clone()]);
        assert_eq!(rows[2][1], yes);
        assert_eq!(rows[2][2], Cell::Int(3));
        assert_eq!(rows[3][1], Cell::Text("no".into()));
        assert_eq!(m.filler("other sheet").ranges.len(), 0);
    }
}
