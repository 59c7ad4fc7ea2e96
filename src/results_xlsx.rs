//! A finished results CSV as a workbook: a "Summary" sheet (rows by status and by problem),
//! then a "Results" sheet with the CSV's columns, where each problem is marked on the cell it
//! names (a light red fill and the problem as a note).
//!
//! The Results sheet keeps the CSV's header as its first row, so the workbook can be fixed and
//! fed straight back in like the CSV. Cells stay text as in the CSV (a cost of `007` or `7,5`
//! must reach the user as written), except `row`, `id`, `error_code` and `specific_code`,
//! which are whole numbers and are written as numbers.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, Format, FormatBorder, IgnoreError, Note, Workbook, Worksheet, XlsxError,
};

use crate::report::{Fixed, ResultsFile, Tally};

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
/// Statuses whose problems are marked on their cells.
const MARKED_STATUSES: [&str; 3] = ["invalid", "failed", "conflict"];

/// What the workbook holds, for the caller to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct XlsxSummary {
    /// Data rows written to the Results sheet.
    pub rows: u64,
    /// Rows by status, in the order the Summary sheet lists them.
    pub by_status: Vec<(String, u64)>,
    /// Rows by problem label (as the HTML report labels them), most rows first.
    pub by_problem: Vec<(String, u64)>,
    /// Cells filled to mark a problem.
    pub marked_cells: u64,
    /// Of those, cells that carry the problem as a note (all, up to a cap of 20,000).
    pub notes: u64,
}

/// Why no workbook was written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: more than {MAX_DATA_ROWS} rows do not fit in a worksheet", path.display())]
    TooManyRows { path: PathBuf },
    #[error("{}: {columns} columns do not fit in a worksheet (at most {MAX_COLUMNS})", path.display())]
    TooManyColumns { path: PathBuf, columns: usize },
    #[error("{}: the workbook would replace the results file it is made from", path.display())]
    SameFile { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: XlsxError },
}

/// Converts the results CSV `results_csv` into a workbook at `out` (replacing it).
///
/// The CSV is read once, line by line; the Results sheet is written in constant-memory mode,
/// so a large file costs little memory beyond its notes. Nothing is written when the CSV
/// cannot be read, is not a results file, or does not fit in a worksheet.
pub(crate) fn csv_to_xlsx(results_csv: &Path, out: &Path) -> Result<XlsxSummary, Error> {
    if let (Ok(a), Ok(b)) = (results_csv.canonicalize(), out.canonicalize())
        && a == b
    {
        return Err(Error::SameFile {
            path: out.to_path_buf(),
        });
    }
    let read_error = |source| Error::Read {
        path: results_csv.to_path_buf(),
        source,
    };
    let write_error = |source| Error::Write {
        path: out.to_path_buf(),
        source,
    };
    let mut file = ResultsFile::open(results_csv).map_err(read_error)?;
    let headers = file.headers().to_vec();
    if headers.len() > MAX_COLUMNS {
        return Err(Error::TooManyColumns {
            path: results_csv.to_path_buf(),
            columns: headers.len(),
        });
    }
    let error_col = file.column(Fixed::Error).unwrap_or(headers.len() - 1);
    let (numeric, markable) = column_roles(&file, headers.len());

    let mut workbook = Workbook::new();
    let mut sheet = workbook
        .new_worksheet_with_constant_memory()
        .map_err(write_error)?;
    sheet.set_name("Results").map_err(write_error)?;
    let problem_format = Format::new().set_background_color(Color::RGB(PROBLEM_FILL));
    let mut widths = write_header(&mut sheet, &headers).map_err(write_error)?;

    let mut tally = Tally::default();
    let mut summary = XlsxSummary::default();
    let mut line = Vec::new();
    let mut row: u32 = 0;
    while file.next_line(&mut line).map_err(read_error)? {
        if u64::from(row) >= MAX_DATA_ROWS {
            return Err(Error::TooManyRows {
                path: results_csv.to_path_buf(),
            });
        }
        row += 1;
        let status = file.get(&line, Fixed::Status);
        let problems = file.problems(&line);
        tally.add(status, &problems);
        let mut marks: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        if MARKED_STATUSES.contains(&status) {
            for p in &problems {
                let c = p.header.filter(|h| markable[*h]).unwrap_or(error_col);
                marks.entry(c).or_default().push(p.text);
            }
        }
        let cells = Cells {
            numeric: &numeric,
            marked: &marks,
            problem_format: &problem_format,
        };
        write_cells(&mut sheet, row, &line, &cells, &mut widths).map_err(write_error)?;
        write_notes(&mut sheet, row, marks, &mut summary).map_err(write_error)?;
    }

    finish_results(&mut sheet, row, headers.len(), &widths, error_col).map_err(write_error)?;

    summary.rows = u64::from(row);
    summary.by_status = tally.by_status();
    let problems = tally.by_problem();
    summary.by_problem = problems.iter().map(|p| (p.label.clone(), p.rows)).collect();

    let mut front = Worksheet::new();
    write_summary(&mut front, results_csv, &summary, &problems).map_err(write_error)?;
    workbook.push_worksheet(front);
    workbook.push_worksheet(sheet);
    let file = crate::guard::open_output(out, crate::guard::How::Truncate)
        .map_err(|e| write_error(XlsxError::IoError(e)))?;
    workbook.save_to_writer(file).map_err(write_error)?;
    Ok(summary)
}

/// Which columns hold whole numbers (`row`, `id`, `error_code`, `specific_code`), and which
/// may be marked with a problem.
fn column_roles(file: &ResultsFile, columns: usize) -> (Vec<bool>, Vec<bool>) {
    let numeric: Vec<bool> = (0..columns)
        .map(|i| {
            [Fixed::Row, Fixed::Id, Fixed::ErrorCode, Fixed::SpecificCode]
                .into_iter()
                .any(|f| file.column(f) == Some(i))
        })
        .collect();
    // Problems are marked on the user's columns, and on `id`/`kind`, which a results file fed
    // back in carries from the user's own columns.
    let markable: Vec<bool> = (0..columns)
        .map(|i| {
            file.is_echoed(i)
                || file.column(Fixed::Id) == Some(i)
                || file.column(Fixed::Kind) == Some(i)
        })
        .collect();
    (numeric, markable)
}

/// The Results sheet's header row; the columns' widths so far.
fn write_header(sheet: &mut Worksheet, headers: &[String]) -> Result<Vec<usize>, XlsxError> {
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

/// How one line's cells are written.
struct Cells<'a> {
    /// Per column: written as a number when it holds a whole number.
    numeric: &'a [bool],
    /// The columns marked with a problem.
    marked: &'a BTreeMap<usize, Vec<&'a str>>,
    problem_format: &'a Format,
}

/// Writes one line's cells at `row` (empty cells only when marked), widening `widths` to fit.
fn write_cells(
    sheet: &mut Worksheet,
    row: u32,
    line: &[String],
    cells: &Cells<'_>,
    widths: &mut [usize],
) -> Result<(), XlsxError> {
    for (c, value) in line.iter().enumerate() {
        let format = cells
            .marked
            .contains_key(&c)
            .then_some(cells.problem_format);
        let number = if cells.numeric[c] {
            whole_number(value)
        } else {
            None
        };
        match (number, format) {
            (Some(n), Some(f)) => sheet.write_number_with_format(row, col(c), n, f),
            (Some(n), None) => sheet.write_number(row, col(c), n),
            (None, Some(f)) if value.is_empty() => sheet.write_blank(row, col(c), f),
            (None, Some(f)) => sheet.write_string_with_format(row, col(c), fit(value), f),
            (None, None) if value.is_empty() => continue,
            (None, None) => sheet.write_string(row, col(c), fit(value)),
        }?;
        widths[c] = widths[c].max(text_width(value));
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
    error_col: usize,
) -> Result<(), XlsxError> {
    let last_col = col(columns - 1);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows, last_col)?;
    if rows > 0 {
        sheet.ignore_error_range(1, 0, rows, last_col, IgnoreError::NumberStoredAsText)?;
    }
    for (c, w) in widths.iter().enumerate() {
        let cap = if c == error_col { 80 } else { 50 };
        sheet.set_column_width(col(c), column_width(*w, cap))?;
    }
    Ok(())
}

fn write_summary(
    sheet: &mut Worksheet,
    source: &Path,
    summary: &XlsxSummary,
    problems: &[crate::report::ProblemCount],
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF3F5F7))
        .set_border_bottom(FormatBorder::Thin);
    let muted = Format::new().set_font_color(Color::RGB(0x57606A));
    let name = source.file_name().map_or_else(
        || source.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    sheet.write_string_with_format(0, 0, fit(&format!("Results of {name}")), &title)?;
    sheet.write_string_with_format(1, 0, fit(&source.display().to_string()), &muted)?;
    sheet.write_string(3, 0, "Rows")?;
    sheet.write_number(3, 1, summary.rows as f64)?;

    let mut r = 5;
    sheet.write_string_with_format(r, 0, "Status", &head)?;
    sheet.write_string_with_format(r, 1, "Rows", &head)?;
    for (status, n) in &summary.by_status {
        r += 1;
        sheet.write_string(r, 0, fit(status))?;
        sheet.write_number(r, 1, *n as f64)?;
    }

    r += 2;
    sheet.write_string_with_format(r, 0, "Problem", &head)?;
    sheet.write_string_with_format(r, 1, "Rows", &head)?;
    sheet.write_string_with_format(r, 2, "First seen as", &head)?;
    if problems.is_empty() {
        r += 1;
        sheet.write_string_with_format(r, 0, "No problems.", &muted)?;
    }
    let mut label_width = 20;
    let mut first_width = 20;
    for p in problems {
        r += 1;
        sheet.write_string(r, 0, fit(&p.label))?;
        sheet.write_number(r, 1, p.rows as f64)?;
        sheet.write_string(r, 2, fit(&p.first))?;
        label_width = label_width.max(text_width(&p.label));
        first_width = first_width.max(text_width(&p.first));
    }
    if summary.notes < summary.marked_cells {
        r += 2;
        sheet.write_string_with_format(
            r,
            0,
            format!(
                "Notes are on the first {} marked cells; the error column holds every problem.",
                summary.notes
            ),
            &muted,
        )?;
    }
    sheet.set_column_width(0, column_width(label_width, 70))?;
    sheet.set_column_width(1, 10)?;
    sheet.set_column_width(2, column_width(first_width, 90))?;
    Ok(())
}

/// A note sized to its text.
fn note(text: &str) -> Note {
    const CHARS_PER_LINE: usize = 48;
    let lines: usize = text
        .lines()
        .map(|l| l.chars().count().div_ceil(CHARS_PER_LINE).max(1))
        .sum();
    let height = (16 * lines + 14).min(400);
    Note::new(fit_note(text))
        .add_author_prefix(false)
        .set_author("ivvy-import")
        .set_width(320)
        .set_height(u32::try_from(height).unwrap_or(400))
}

/// A whole number in a numeric column, when it is exactly representable.
fn whole_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.len() > 15 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // At most 15 digits: exact in an f64.
    t.parse::<u64>().ok().map(|n| n as f64)
}

/// A column index as the worksheet's type; callers have checked it against MAX_COLUMNS.
fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn text_width(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

fn column_width(chars: usize, cap: usize) -> f64 {
    (chars.clamp(8, cap) + 1) as f64
}

/// Text cut to what a cell holds.
fn fit(s: &str) -> Cow<'_, str> {
    cut(s, MAX_CELL_TEXT)
}

/// A note's text also carries a prefix of up to 54 units.
fn fit_note(s: &str) -> Cow<'_, str> {
    cut(s, MAX_CELL_TEXT - 54)
}

fn cut(s: &str, max_utf16: usize) -> Cow<'_, str> {
    if s.len() <= max_utf16 || s.encode_utf16().count() <= max_utf16 {
        return Cow::Borrowed(s);
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max_utf16 - 1 {
            return Cow::Owned(format!("{}…", &s[..i]));
        }
    }
    Cow::Borrowed(s)
}

#[cfg(test)]
mod tests;
