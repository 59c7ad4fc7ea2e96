//! Files → tables → rows of typed cells. Knows nothing of records or the network.
//!
//! A file holds one or more tables (a CSV file one; a workbook one a non-empty sheet). A table
//! has a header row and data rows; each row carries the row number a spreadsheet application
//! shows (header row 1 for a CSV file).

pub mod csv;
mod extent;
pub mod headers;
pub mod plan;
pub mod workbook;

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// One cell, borrowed from its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
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
    pub fn display(&self) -> Cow<'a, str> {
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
    pub fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            CellRef::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// Read access to a row's cells, as validation needs it.
pub trait Cells {
    fn cell(&self, index: usize) -> CellRef<'_>;
    /// The spreadsheet reference of a cell (e.g. `C7`), for error messages.
    fn cell_ref(&self, index: usize) -> String;
}

/// A number as Excel shows it in a General cell: at most 15 significant digits (`0.1+0.2` is
/// `0.3`), then the shortest form (`755`, `12.5`).
pub fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return (f as i64).to_string();
    }
    // Round to 15 significant digits through the exponent form, then print the shortest text
    // that reads back as the rounded value.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    rounded.to_string()
}

/// One owned cell of a workbook row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
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
    pub fn as_ref(&self) -> CellRef<'_> {
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
pub enum RowCells {
    Csv(::csv::StringRecord),
    Sheet(Vec<Cell>),
}

/// One data row with the number a spreadsheet application shows for it.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    pub cells: RowCells,
}

impl Row {
    pub fn cell(&self, index: usize) -> CellRef<'_> {
        match &self.cells {
            RowCells::Csv(r) => r.get(index).map_or(CellRef::Empty, CellRef::Text),
            RowCells::Sheet(c) => c.get(index).map_or(CellRef::Empty, Cell::as_ref),
        }
    }

    pub fn len(&self) -> usize {
        match &self.cells {
            RowCells::Csv(r) => r.len(),
            RowCells::Sheet(c) => c.len(),
        }
    }

    /// Every cell empty or whitespace.
    pub fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.cell(i).is_blank())
    }
}

impl Cells for Row {
    fn cell(&self, index: usize) -> CellRef<'_> {
        Row::cell(self, index)
    }
    fn cell_ref(&self, index: usize) -> String {
        format!("{}{}", column_letters(index), self.number)
    }
}

/// `0` → `A`, `26` → `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A header row and where it was found.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name; None for a CSV file.
    pub sheet: Option<String>,
    pub header_row: u32,
    pub headers: Vec<String>,
    /// About how many data rows follow, when known without reading them (a CSV file's line
    /// breaks; a quoted field with line breaks makes it an overestimate).
    pub rows_hint: Option<u64>,
}

/// How to decode a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// UTF-8 when the file is valid UTF-8 (or has a UTF-16 byte-order mark), else Windows-1252.
    #[default]
    Auto,
    Utf8,
    Windows1252,
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: EncodingChoice,
    /// None: sniff `,` `;` tab `|` from the header line.
    pub delimiter: Option<u8>,
    /// Read only these sheets of a workbook (hidden ones included); empty: every visible
    /// worksheet.
    pub sheets: Vec<String>,
    /// Costs written with a decimal comma (`1.200,50`).
    pub decimal_comma: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: row {row}: {message}")]
    Csv {
        path: PathBuf,
        row: u32,
        message: String,
    },
    #[error("{path}: not a readable workbook: {message}")]
    Workbook { path: PathBuf, message: String },
    #[error("{path}: no sheet named {name:?}; the sheets are: {available}")]
    NoSheet {
        path: PathBuf,
        name: String,
        available: String,
    },
    #[error("{path}: no header row: the file has no non-empty row")]
    Empty { path: PathBuf },
    #[error(
        "{place}: no header row was found in the first rows (a header names at least two of id, name, description, cost, colour, isReferral, applyTo, kind, or the headers of --map); the first row holds: {first}"
    )]
    NoHeader { place: String, first: String },
    #[error("{place}: {message}")]
    Sheet { place: String, message: String },
}

/// What a CSV file was read as, for the user to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    pub encoding: &'static str,
    pub delimiter: u8,
}

impl fmt::Display for CsvDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        write!(f, "encoding {}, delimiter {d}", self.encoding)
    }
}

/// An opened input file: its tables are known, its rows are read on demand.
pub struct Input {
    pub path: PathBuf,
    pub tables: Vec<Table>,
    /// Set for CSV files.
    pub dialect: Option<CsvDialect>,
    /// What the user should know about how the file was read (sheets skipped, a header found
    /// below title rows), one line each.
    pub notes: Vec<String>,
    source: Source,
}

enum Source {
    Csv(csv::CsvSource),
    Workbook(Box<workbook::WorkbookSource>),
}

/// Whether a path names a workbook (by extension, else by its first bytes).
pub fn is_workbook(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "ods") => true,
        Some("csv" | "tsv" | "txt") => false,
        _ => {
            let mut head = [0u8; 4];
            std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && (head == *b"PK\x03\x04" || head == [0xD0, 0xCF, 0x11, 0xE0])
        }
    }
}

impl Input {
    /// Opens a file and finds its tables' header rows (`map`'s headers count as recognised
    /// column names when a header is looked for below title rows).
    pub fn open(
        path: &Path,
        opts: &ReadOptions,
        map: &headers::HeaderMap,
    ) -> Result<Input, InputError> {
        if is_workbook(path) {
            let (source, tables, notes) = workbook::WorkbookSource::open(path, &opts.sheets, map)?;
            Ok(Input {
                path: path.to_path_buf(),
                tables,
                dialect: None,
                notes,
                source: Source::Workbook(Box::new(source)),
            })
        } else {
            let (source, table, dialect) = csv::CsvSource::open(path, opts)?;
            Ok(Input {
                path: path.to_path_buf(),
                tables: vec![table],
                dialect: Some(dialect),
                notes: Vec::new(),
                source: Source::Csv(source),
            })
        }
    }

    /// Streams the data rows of one table, in order, to `f`, which may stop the read early.
    /// Rows whose cells are all blank are passed too (they take a row number).
    pub fn read_table(
        &mut self,
        index: usize,
        f: &mut dyn FnMut(Row) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let table = &self.tables[index];
        match &mut self.source {
            Source::Csv(s) => s.read_rows(f),
            Source::Workbook(w) => w.read_rows(table, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
