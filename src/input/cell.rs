//! A row's cells as validation reads them: one cell borrowed or owned, a data row (a CSV
//! record or a sheet row), and numbers and column letters as a spreadsheet application shows
//! them.

use std::borrow::Cow;

/// One cell, borrowed from its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellRef<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A spreadsheet error value such as `#N/A`.
    Error(&'a str),
    /// A date, time or datetime cell, as ISO text (`2024-03-15`, `2024-03-15 18:00`).
    Date(&'a str),
    /// A formula saved without its result (as openpyxl and pandas write them): its text,
    /// without the leading `=`.
    Formula(&'a str),
}

impl<'a> CellRef<'a> {
    /// The cell as a user sees it: numbers with at most 15 significant digits, as Excel shows
    /// them; booleans `true`/`false`; dates in ISO form; a formula with no saved value as
    /// its formula text.
    #[inline(always)]
    pub(crate) fn display(&self) -> Cow<'a, str> {
        // Text first, on its own and inlined: nearly every cell of a CSV file is text.
        if let CellRef::Text(t) = *self {
            return Cow::Borrowed(t);
        }
        self.display_other()
    }

    /// [`CellRef::display`] of a cell that is not text.
    fn display_other(&self) -> Cow<'a, str> {
        match *self {
            CellRef::Empty => Cow::Borrowed(""),
            CellRef::Text(t) | CellRef::Error(t) | CellRef::Date(t) => Cow::Borrowed(t),
            CellRef::Int(i) => Cow::Owned(i.to_string()),
            CellRef::Float(f) => Cow::Owned(number_text(f)),
            CellRef::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            CellRef::Formula(f) => Cow::Owned(format!("={f}")),
        }
    }

    /// Empty, or text of only whitespace.
    #[inline]
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            CellRef::Text(t) => trim(t).is_empty(),
            _ => false,
        }
    }
}

/// `s` without leading and trailing whitespace, as [`str::trim`]; the common cell that
/// starts and ends with a visible ASCII character is returned as it is without decoding.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        [only] if only.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Read access to a row's cells, as validation needs it.
pub(crate) trait Cells {
    fn cell(&self, index: usize) -> CellRef<'_>;
    /// The spreadsheet reference of a cell (e.g. `C7`), for error messages.
    fn cell_ref(&self, index: usize) -> String;
}

/// A number as Excel shows it in a General cell: at most 15 significant digits (`0.1+0.2` is
/// `0.3`), then the shortest form (`755`, `12.5`).
pub(crate) fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a whole number below 1e15 fits an i64 exactly"
        )]
        let whole = f as i64;
        return whole.to_string();
    }
    // The shortest text of a number with at most 15 significant digits is already the
    // rounded one (a double holds more than 15 digits, so rounding it to 15 gives that text
    // back): the common case, one formatting. zmij writes the same shortest digits as the
    // standard library, faster, but very small and large numbers with an exponent.
    let mut buffer = zmij::Buffer::new();
    let quick = buffer.format_finite(f);
    if !quick.contains(['e', 'E']) && significant_digits(quick) <= 15 {
        return quick.to_string();
    }
    let shortest = f.to_string();
    if significant_digits(&shortest) <= 15 {
        return shortest;
    }
    // Round to 15 significant digits through the exponent form, then print the shortest text
    // that reads back as the rounded value.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    rounded.to_string()
}

/// The digits of a plain decimal (`-0.0012340`) from its first non-zero one.
fn significant_digits(s: &str) -> usize {
    let digits = s.bytes().filter(u8::is_ascii_digit);
    digits.skip_while(|&b| b == b'0').count()
}

/// One owned cell of a workbook row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Error(String),
    /// ISO text of a date, time or datetime cell.
    Date(String),
    /// A formula with no saved value: its text, without `=`.
    Formula(String),
}

impl Cell {
    #[inline]
    pub(crate) fn as_ref(&self) -> CellRef<'_> {
        match self {
            Cell::Empty => CellRef::Empty,
            Cell::Text(t) => CellRef::Text(t),
            Cell::Int(i) => CellRef::Int(*i),
            Cell::Float(f) => CellRef::Float(*f),
            Cell::Bool(b) => CellRef::Bool(*b),
            Cell::Error(e) => CellRef::Error(e),
            Cell::Date(d) => CellRef::Date(d),
            Cell::Formula(f) => CellRef::Formula(f),
        }
    }
}

/// The cells of one data row.
#[derive(Debug, Clone)]
pub(crate) enum RowCells<'a> {
    /// A CSV record, borrowed from the reader's reused buffers (valid until the reader moves
    /// on): its fields' text back to back, and where each field ends in it.
    Csv { text: &'a str, ends: &'a [usize] },
    /// A sheet row, handed over whole: calamine yields each row's cells anyway, and a
    /// workbook's rows are checked on the consumer's thread, so they travel as they are.
    Sheet(Vec<Cell>),
}

/// One data row with the number a spreadsheet application shows for it.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub number: u32,
    pub cells: RowCells<'a>,
}

impl<'a> Row<'a> {
    #[inline(always)]
    pub(crate) fn cell(&self, index: usize) -> CellRef<'_> {
        match &self.cells {
            &RowCells::Csv { text, ends } => match ends.get(index) {
                Some(&end) => {
                    let start = if index == 0 { 0 } else { ends[index - 1] };
                    text.get(start..end).map_or(CellRef::Empty, CellRef::Text)
                }
                None => CellRef::Empty,
            },
            RowCells::Sheet(c) => c.get(index).map_or(CellRef::Empty, Cell::as_ref),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        match &self.cells {
            RowCells::Csv { ends, .. } => ends.len(),
            RowCells::Sheet(c) => c.len(),
        }
    }

    /// Every cell empty or whitespace.
    pub(crate) fn is_blank(&self) -> bool {
        match &self.cells {
            RowCells::Csv { text, .. } => text.trim().is_empty(),
            RowCells::Sheet(c) => c.iter().all(|c| c.as_ref().is_blank()),
        }
    }
}

impl Cells for Row<'_> {
    #[inline(always)]
    fn cell(&self, index: usize) -> CellRef<'_> {
        Row::cell(self, index)
    }
    fn cell_ref(&self, index: usize) -> String {
        format!("{}{}", column_letters(index), self.number)
    }
}

/// `0` → `A`, `26` → `AA`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + u8::try_from(r).unwrap_or(0));
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    /// `number_text` as it was before its fast path: always rounded through the exponent form.
    fn number_text_rounded(f: f64) -> String {
        if f.fract() == 0.0 && f.abs() < 1e15 {
            return format!("{f}");
        }
        let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
        rounded.to_string()
    }

    proptest::proptest! {
        #[test]
        fn the_shortest_text_is_taken_only_where_rounding_would_give_it(
            bits in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
            cents in 0u64..100_000_000_000,
        ) {
            #[expect(clippy::cast_precision_loss, reason = "test amounts")]
            let amount = cents as f64 / 100.0;
            for f in [bits, amount, amount * 1.1, 0.1 + amount] {
                proptest::prop_assert_eq!(super::number_text(f), number_text_rounded(f), "{:e}", f);
            }
        }
    }

    use super::*;

    proptest::proptest! {
        /// The quick trim is `str::trim`, whatever the cell holds at its ends.
        #[test]
        fn trim_is_str_trim(s in "[ \t\n\u{a0}\u{3000}\u{85}a-z!~\u{1}é]{0,6}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn a_sheet_row_reads_its_cells() {
        let cells = vec![
            Cell::Text("Expo".into()),
            Cell::Empty,
            Cell::Float(12.5),
            Cell::Bool(true),
            Cell::Error("#N/A".into()),
        ];
        let row = Row {
            number: 9,
            cells: RowCells::Sheet(cells.clone()),
        };
        for (i, c) in cells.iter().enumerate() {
            assert_eq!(row.cell(i), c.as_ref(), "cell {i}");
        }
        assert_eq!(row.cell(99), CellRef::Empty);
        assert_eq!(row.cell_ref(2), "C9");
        assert!(!row.is_blank());
        let blank = Row {
            number: 1,
            cells: RowCells::Sheet(vec![Cell::Empty, Cell::Text(" ".into())]),
        };
        assert!(blank.is_blank());
    }

    #[test]
    fn a_csv_row_reads_its_cells_from_one_text() {
        let row = Row {
            number: 4,
            cells: RowCells::Csv {
                text: "Expo12.5",
                ends: &[4, 4, 8],
            },
        };
        assert_eq!(row.cell(0), CellRef::Text("Expo"));
        assert_eq!(row.cell(1), CellRef::Text(""));
        assert_eq!(row.cell(2), CellRef::Text("12.5"));
        assert_eq!(row.cell(3), CellRef::Empty);
        assert_eq!(row.len(), 3);
    }

    #[test]
    fn column_letters_follow_spreadsheet_naming() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn numbers_show_at_most_15_significant_digits() {
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(1200.5), "1200.5");
        assert_eq!(number_text(755.0), "755");
        assert_eq!(number_text(-12.25), "-12.25");
        assert_eq!(number_text(1.0 / 3.0), "0.333333333333333");
        assert_eq!(CellRef::Float(0.1 + 0.2).display(), "0.3");
    }

    #[test]
    fn dates_and_formulas_display_as_text() {
        assert_eq!(CellRef::Date("2024-03-15").display(), "2024-03-15");
        assert_eq!(CellRef::Formula("100*2").display(), "=100*2");
        assert!(!CellRef::Formula("A1").is_blank());
    }
}
