//! The results workbook, written row by row as the collector hands each finished row over
//! (one of its sinks): a "Summary" sheet (the input spreadsheets, rows by status and by
//! problem), then a "Results" sheet with the results CSV's columns, where each problem is
//! marked on the cell it is about (a light red fill and the problem as a note; the name cell
//! for a duplicate, the `error` cell for an API refusal).
//!
//! After `error` come the CSV's `changes` (what an update changes) and `sent` (the values the
//! row sends), as text; the plan's `checksum` is the CSV's alone.
//!
//! The Results sheet keeps the CSV's header as its first row, so the workbook can be fixed and
//! fed straight back in like the CSV. Numbers are number cells (`row`, `id`, the error codes,
//! and a valid row's cost, as the API would get it); every other cell stays text as the user
//! wrote it (a cost of `007` or `7,5` must reach the user as written).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Color, Format, FormatBorder, IgnoreError, Workbook, Worksheet, XlsxError};

use crate::outcome::{RESULT_COLUMNS, TOOL_COLUMNS};
use crate::results::line::Line;
use crate::results::tally::Tally;

/// Data rows a worksheet holds below its header.
const MAX_DATA_ROWS: u64 = 1_048_575;
/// Columns a worksheet holds.
const MAX_COLUMNS: usize = 16_384;
/// Longest text a cell holds (in UTF-16 units); a longer value is cut.
const MAX_CELL_TEXT: usize = 32_767;
/// Notes written; past this, problem cells are still filled but carry no note, since each
/// note costs memory until the workbook is saved and Excel slows down with very many. The
/// `error` column holds every problem either way.
const MAX_NOTES: u64 = 20_000;
/// Excel's "light red fill".
const PROBLEM_FILL: u32 = 0xFFC7CE;

/// The results columns' places on the Results sheet.
const KIND_COL: usize = 2;
const ID_COL: usize = 4;
const ERROR_COL: usize = 7;
/// The tool's columns the sheet carries after [`RESULT_COLUMNS`]: `changes` and `sent`.
const SHOWN_TOOL_COLUMNS: usize = 2;
/// The first echoed column.
const ECHO_COL: usize = RESULT_COLUMNS.len() + SHOWN_TOOL_COLUMNS;

/// What the workbook holds, for the caller to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct XlsxSummary {
    /// Data rows written to the Results sheet.
    pub rows: u64,
    /// Rows by status, in the order the Summary sheet lists them.
    pub by_status: Vec<(String, u64)>,
    /// Rows by problem label (as every output of the run labels them), in listing order.
    pub by_problem: Vec<(String, u64)>,
    /// Cells filled to mark a problem.
    pub marked_cells: u64,
    /// Of those, cells that carry the problem as a note (all, up to a cap of 20,000).
    pub notes: u64,
}

/// Why no workbook was written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{}: more than {MAX_DATA_ROWS} rows do not fit in a worksheet", path.display())]
    TooManyRows { path: PathBuf },
    #[error("{}: {columns} columns do not fit in a worksheet (at most {MAX_COLUMNS})", path.display())]
    TooManyColumns { path: PathBuf, columns: usize },
    #[error("{}: the workbook would replace {}", path.display(), other.display())]
    SameFile { path: PathBuf, other: PathBuf },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: XlsxError },
}

/// A results workbook being written.
pub(crate) struct Book {
    out: PathBuf,
    /// The input spreadsheet and the results CSV beside the workbook.
    input: PathBuf,
    results_csv: PathBuf,
    workbook: Workbook,
    sheet: Worksheet,
    /// The echoed columns' headers.
    echo: Vec<String>,
    columns: usize,
    widths: Vec<usize>,
    problem_format: Format,
    row: u32,
    tally: Tally,
    summary: XlsxSummary,
}

impl Book {
    /// Starts the workbook `out` of the results of `input` (written as CSV to `results_csv`),
    /// whose echoed columns are `echo`. Nothing is on disk before [`Book::finish`].
    pub(crate) fn create(
        out: &Path,
        input: &Path,
        results_csv: &Path,
        echo: &[String],
    ) -> Result<Book, Error> {
        for other in [input, results_csv] {
            if other == out
                || matches!((other.canonicalize(), out.canonicalize()), (Ok(a), Ok(b)) if a == b)
            {
                return Err(Error::SameFile {
                    path: out.to_path_buf(),
                    other: other.to_path_buf(),
                });
            }
        }
        let columns = ECHO_COL + echo.len();
        if columns > MAX_COLUMNS {
            return Err(Error::TooManyColumns {
                path: out.to_path_buf(),
                columns,
            });
        }
        let write_error = |source| Error::Write {
            path: out.to_path_buf(),
            source,
        };
        let mut workbook = Workbook::new();
        let mut sheet = workbook
            .new_worksheet_with_constant_memory()
            .map_err(write_error)?;
        sheet.set_name("Results").map_err(write_error)?;
        let headers: Vec<&str> = RESULT_COLUMNS
            .iter()
            .chain(&TOOL_COLUMNS[..SHOWN_TOOL_COLUMNS])
            .copied()
            .chain(echo.iter().map(String::as_str))
            .collect();
        let widths = write_header(&mut sheet, &headers).map_err(write_error)?;
        Ok(Book {
            out: out.to_path_buf(),
            input: input.to_path_buf(),
            results_csv: results_csv.to_path_buf(),
            workbook,
            sheet,
            echo: echo.to_vec(),
            columns,
            widths,
            problem_format: Format::new().set_background_color(Color::RGB(PROBLEM_FILL)),
            row: 0,
            tally: Tally::default(),
            summary: XlsxSummary::default(),
        })
    }

    /// Where the workbook goes.
    pub(crate) fn path(&self) -> &Path {
        &self.out
    }

    /// Writes the next finished row.
    pub(crate) fn row(&mut self, line: &Line<'_>) -> Result<(), Error> {
        if u64::from(self.row) >= MAX_DATA_ROWS {
            return Err(Error::TooManyRows {
                path: self.out.clone(),
            });
        }
        self.row += 1;
        self.tally.add(line.verdict, line.problems);
        let mut marks: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        if line.verdict.status.is_marked() {
            for p in line.problems {
                let c = p
                    .column
                    .as_deref()
                    .and_then(|c| self.column_of(c))
                    .unwrap_or(ERROR_COL);
                marks.entry(c).or_default().push(p.text(line.verdict));
            }
        }
        let written = self
            .write_line(line, &marks)
            .and_then(|()| write_notes(&mut self.sheet, self.row, marks, &mut self.summary));
        written.map_err(|source| Error::Write {
            path: self.out.clone(),
            source,
        })
    }

    /// The Results sheet's column a problem names: an echoed column of that header, else
    /// `id` or `kind` (which a results file fed back in carries in the results columns).
    fn column_of(&self, header: &str) -> Option<usize> {
        if let Some(i) = self.echo.iter().position(|h| h == header) {
            return Some(ECHO_COL + i);
        }
        let h = header.trim();
        if h.eq_ignore_ascii_case("id") {
            Some(ID_COL)
        } else if h.eq_ignore_ascii_case("kind") {
            Some(KIND_COL)
        } else {
            None
        }
    }

    fn write_line(
        &mut self,
        line: &Line<'_>,
        marks: &BTreeMap<usize, Vec<&str>>,
    ) -> Result<(), XlsxError> {
        let v = line.verdict;
        let code = |n: Option<u32>| n.map(f64::from);
        let id_number = v.id.map(|id| id as f64).or_else(|| whole_number(&line.id));
        let mut itoa = itoa::Buffer::new();
        let id_text: Cow<'_, str> = match v.id {
            Some(id) => Cow::Owned(itoa.format(id).to_string()),
            None => Cow::Borrowed(&line.id),
        };
        let fixed: [Cell<'_>; ECHO_COL] = [
            Cell::Number(f64::from(line.row)),
            Cell::Text(line.sheet),
            Cell::Text(line.kind.map_or("", crate::kind::Kind::as_str)),
            Cell::Text(v.status.as_str()),
            id_number.map_or(Cell::Text(&id_text), Cell::Number),
            code(v.error_code).map_or(Cell::Text(""), Cell::Number),
            code(v.specific_code).map_or(Cell::Text(""), Cell::Number),
            Cell::Text(&v.error),
            Cell::Text(&v.changes),
            Cell::Text(line.sent),
        ];
        let echo = line
            .echo
            .iter()
            .enumerate()
            .map(|(i, text)| match line.cost {
                Some((c, amount)) if c == i => Cell::Number(amount),
                _ => Cell::Text(text),
            });
        let row = self.row;
        for (c, cell) in fixed.into_iter().chain(echo).enumerate() {
            let format = marks.contains_key(&c).then_some(&self.problem_format);
            let sheet = &mut self.sheet;
            let width = match cell {
                Cell::Number(n) => {
                    match format {
                        Some(f) => sheet.write_number_with_format(row, col(c), n, f),
                        None => sheet.write_number(row, col(c), n),
                    }?;
                    number_width(n)
                }
                Cell::Text(t) => {
                    match format {
                        Some(f) if t.is_empty() => sheet.write_blank(row, col(c), f),
                        Some(f) => sheet.write_string_with_format(row, col(c), fit(t), f),
                        None if t.is_empty() => continue,
                        None => sheet.write_string(row, col(c), fit(t)),
                    }?;
                    text_width(t)
                }
            };
            if let Some(w) = self.widths.get_mut(c) {
                *w = (*w).max(width);
            }
        }
        Ok(())
    }

    /// Writes the Summary sheet and saves the workbook.
    pub(crate) fn finish(mut self) -> Result<XlsxSummary, Error> {
        let write_error = |source| Error::Write {
            path: self.out.clone(),
            source,
        };
        finish_results(&mut self.sheet, self.row, self.columns, &self.widths)
            .map_err(write_error)?;
        let mut summary = self.summary;
        summary.rows = u64::from(self.row);
        summary.by_status = self
            .tally
            .by_status()
            .into_iter()
            .map(|(s, n)| (s.as_str().to_string(), n))
            .collect();
        let problems = self.tally.by_problem();
        summary.by_problem = problems
            .iter()
            .map(|p| (p.label.to_string(), p.rows))
            .collect();
        let mut front = Worksheet::new();
        let files = Files {
            input: &self.input,
            results_csv: &self.results_csv,
        };
        write_summary(&mut front, &files, &summary, &problems).map_err(write_error)?;
        self.workbook.push_worksheet(front);
        self.workbook.push_worksheet(self.sheet);
        let file = crate::guard::open_output(&self.out, crate::guard::How::Truncate)
            .map_err(|e| write_error(XlsxError::IoError(e)))?;
        self.workbook.save_to_writer(file).map_err(write_error)?;
        Ok(summary)
    }
}

/// One cell of the Results sheet.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Number(f64),
    Text(&'a str),
}

/// The Results sheet's header row; the columns' widths so far.
fn write_header(sheet: &mut Worksheet, headers: &[&str]) -> Result<Vec<usize>, XlsxError> {
    let header_format = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF3F5F7))
        .set_border_bottom(FormatBorder::Thin);
    let widths: Vec<usize> = headers.iter().map(|h| text_width(h) + 3).collect();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(c), fit(h), &header_format)?;
    }
    Ok(widths)
}

/// The problems of a line's marked cells as notes, up to [`MAX_NOTES`] in the sheet.
fn write_notes(
    sheet: &mut Worksheet,
    row: u32,
    marks: BTreeMap<usize, Vec<&str>>,
    summary: &mut XlsxSummary,
) -> Result<(), XlsxError> {
    for (c, texts) in marks {
        summary.marked_cells += 1;
        if summary.notes >= MAX_NOTES {
            continue;
        }
        let text = texts.join("\n");
        sheet.insert_note(row, col(c), &note(&text))?;
        summary.notes += 1;
    }
    Ok(())
}

/// The Results sheet's last touches, once its `rows` data rows are written: a frozen header
/// with a filter, no "number stored as text" flags, and column widths.
fn finish_results(
    sheet: &mut Worksheet,
    rows: u32,
    columns: usize,
    widths: &[usize],
) -> Result<(), XlsxError> {
    let last_col = col(columns - 1);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows, last_col)?;
    if rows > 0 {
        sheet.ignore_error_range(1, 0, rows, last_col, IgnoreError::NumberStoredAsText)?;
    }
    for (c, w) in widths.iter().enumerate() {
        let cap = if c == ERROR_COL { 80 } else { 50 };
        sheet.set_column_width(col(c), column_width(*w, cap))?;
    }
    Ok(())
}

mod cells;
mod summary;

use cells::{col, column_width, fit, note, number_width, text_width, whole_number};
use summary::{Files, write_summary};

#[cfg(test)]
mod tests;
