//! Workbooks (XLSX, XLSM, XLSB, XLS, ODS) with calamine. XLSX and XLSB sheets are streamed
//! cell by cell, so memory does not grow with the sheet; XLS and ODS are read a sheet at a
//! time, after their used area is checked (see `extent`).
//!
//! Cells are read as the application shows them: dates and times as ISO text in the
//! workbook's own date system (1900 or 1904), formulas as their saved result, and a formula
//! saved without a result (openpyxl, pandas) as [`Cell::Formula`].

use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use calamine::{
    Data, DataRef, Range, Reader, Sheet, SheetType, SheetVisible, Sheets, XlsxError,
    open_workbook_auto,
};

use super::headers::{HEADER_SEARCH_ROWS, HeaderMap, NoHeader, find_header};
use super::plan::place;
use super::{Cell, InputError, Row, RowCells, Table, extent, number_text};

pub(crate) struct WorkbookSource {
    path: PathBuf,
    book: Sheets<BufReader<File>>,
    /// The workbook counts dates from 1904-01-01 (old Mac Excel), not 1900.
    is_1904: bool,
}

/// Why a sheet could not be scanned.
enum ScanError {
    /// The sheet holds no cells (a chart sheet the workbook lists as a worksheet).
    NotAWorksheet(String),
    Other(String),
}

/// `HH:MM`, with `:SS` when the seconds are not zero.
fn clock(h: i64, m: i64, s: i64) -> String {
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// An Excel serial date (days since the epoch, the time as a fraction of a day) as ISO text:
/// `2024-03-15`, `2024-03-15 18:00`, `18:00` for a time alone, `36:00` for a duration.
pub(crate) fn serial_date_text(value: f64, duration: bool, is_1904: bool) -> String {
    if !value.is_finite() || !(0.0..2_958_466.0).contains(&value) {
        return number_text(value);
    }
    // Excel keeps milliseconds; it shows whole seconds.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "value is checked to lie in 0..2,958,466 days, so its seconds fit i64"
    )]
    let total = (value * 86_400.0).round() as i64;
    let (days, secs) = (total / 86_400, total % 86_400);
    if duration {
        return clock(total / 3600, total / 60 % 60, total % 60);
    }
    let time = (secs != 0).then(|| clock(secs / 3600, secs / 60 % 60, secs % 60));
    if days == 0 {
        return time.unwrap_or_else(|| "00:00".to_string());
    }
    let date = if is_1904 {
        time::macros::date!(1904 - 01 - 01).checked_add(time::Duration::days(days))
    } else if days == 60 {
        // Excel's 1900-02-29, a day that never was (kept from Lotus 1-2-3).
        None
    } else if days < 60 {
        time::macros::date!(1899 - 12 - 31).checked_add(time::Duration::days(days))
    } else {
        time::macros::date!(1899 - 12 - 30).checked_add(time::Duration::days(days))
    };
    let date = match date {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        None if !is_1904 && days == 60 => "1900-02-29".to_string(),
        None => return number_text(value),
    };
    match time {
        Some(t) => format!("{date} {t}"),
        None => date,
    }
}

/// An ISO datetime as ODS and XLSX `t="d"` cells hold it (`2024-03-15T18:00:00.000Z`) in the
/// same form as serial dates.
pub(crate) fn iso_date_text(s: &str) -> String {
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None if s.contains(':') => ("", Some(s)),
        None => (s, None),
    };
    let Some(time) = time else {
        return date.to_string();
    };
    let time = time.trim_end_matches('Z');
    let time = time.split(['.', '+']).next().unwrap_or(time);
    let parts: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    let (h, m, sec) = match parts[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return s.to_string(),
    };
    match (date.is_empty(), h == 0 && m == 0 && sec == 0) {
        (true, _) => clock(h, m, sec),
        (false, true) => date.to_string(),
        (false, false) => format!("{date} {}", clock(h, m, sec)),
    }
}

/// An ISO duration as ODS time cells hold it (`PT18H30M00S`) as `18:30`.
pub(crate) fn iso_duration_text(s: &str) -> String {
    let parse = || -> Option<i64> {
        let rest = s.strip_prefix('P')?;
        let (days, time) = match rest.split_once('T') {
            Some((d, t)) => (d, t),
            None => (rest, ""),
        };
        let mut total: f64 = 0.0;
        if !days.is_empty() {
            total += days.strip_suffix('D')?.parse::<f64>().ok()? * 86_400.0;
        }
        let mut num = String::new();
        for c in time.chars() {
            match c {
                'H' | 'M' | 'S' => {
                    let v: f64 = num.parse().ok()?;
                    total += v * match c {
                        'H' => 3600.0,
                        'M' => 60.0,
                        _ => 1.0,
                    };
                    num.clear();
                }
                c => num.push(c),
            }
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a float-to-int cast saturates and maps NaN to 0: a nonsensical duration \
                      in a file still shows as a clock value instead of failing"
        )]
        let secs = total.round() as i64;
        num.is_empty().then_some(secs)
    };
    match parse() {
        Some(t) => clock(t / 3600, t / 60 % 60, t % 60),
        None => s.to_string(),
    }
}

fn from_data_ref(d: &DataRef<'_>, is_1904: bool) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => Cell::Date(serial_date_text(d.as_f64(), d.is_duration(), is_1904)),
        DataRef::DateTimeIso(s) => Cell::Date(iso_date_text(s)),
        DataRef::DurationIso(s) => Cell::Date(iso_duration_text(s)),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn from_data(d: &Data, is_1904: bool) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Date(serial_date_text(d.as_f64(), d.is_duration(), is_1904)),
        Data::DateTimeIso(s) => Cell::Date(iso_date_text(s)),
        Data::DurationIso(s) => Cell::Date(iso_duration_text(s)),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn row_text(cells: &[Cell]) -> Vec<String> {
    cells
        .iter()
        .map(|c| c.as_ref().display().trim().to_string())
        .collect()
}

/// Assembles streamed cells into rows and hands each row on.
struct RowBuilder<'f> {
    current: Option<(u32, Vec<Cell>)>,
    f: &'f mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
}

impl RowBuilder<'_> {
    /// One cell at a 0-based (row, column); empty cells only end the row before them.
    fn push(&mut self, (r, c): (u32, u32), value: Cell) -> ControlFlow<()> {
        if self.current.as_ref().is_some_and(|(cr, _)| *cr != r)
            && let Some((cr, cells)) = self.current.take()
        {
            (self.f)(cr + 1, cells)?;
        }
        if value == Cell::Empty {
            return ControlFlow::Continue(());
        }
        let (_, cells) = self.current.get_or_insert_with(|| (r, Vec::new()));
        let c = c as usize;
        if cells.len() <= c {
            cells.resize(c + 1, Cell::Empty);
        }
        cells[c] = value;
        ControlFlow::Continue(())
    }

    fn finish(mut self) {
        if let Some((cr, cells)) = self.current.take() {
            let _ = (self.f)(cr + 1, cells);
        }
    }
}

/// The kind of a sheet that holds no rows, in words.
fn non_worksheet(typ: SheetType) -> Option<&'static str> {
    match typ {
        SheetType::WorkSheet => None,
        SheetType::ChartSheet => Some("chart sheet"),
        SheetType::DialogSheet => Some("dialog sheet"),
        SheetType::MacroSheet => Some("macro sheet"),
        SheetType::Vba => Some("VBA module"),
    }
}

/// With no `--sheet`: the visible worksheets, with a note on each other sheet skipped.
fn visible_sheets(path: &Path, meta: &[Sheet], notes: &mut Vec<String>) -> Vec<String> {
    let mut selected = Vec::new();
    for s in meta {
        let hidden = match s.visible {
            SheetVisible::Visible => None,
            SheetVisible::Hidden => Some("hidden sheet"),
            SheetVisible::VeryHidden => Some("very hidden sheet"),
        };
        match (non_worksheet(s.typ), hidden) {
            (Some(what), _) => notes.push(format!(
                "{}: skipped: a {what}, with no rows to read",
                place(path, Some(&s.name))
            )),
            (None, Some(what)) => notes.push(format!(
                "{}: skipped: a {what} (--sheet {:?} reads it)",
                place(path, Some(&s.name)),
                s.name
            )),
            (None, None) => selected.push(s.name.clone()),
        }
    }
    selected
}

/// The sheets `--sheet` names (an exact name first, else one in any case), hidden ones too;
/// each once.
fn wanted_sheets(
    path: &Path,
    meta: &[Sheet],
    wanted: &[String],
) -> Result<Vec<String>, InputError> {
    let mut selected: Vec<String> = Vec::new();
    for w in wanted {
        let found = meta
            .iter()
            .find(|s| s.name == *w)
            .or_else(|| meta.iter().find(|s| s.name.eq_ignore_ascii_case(w)));
        let Some(s) = found else {
            return Err(InputError::NoSheet {
                path: path.to_path_buf(),
                name: w.clone(),
                available: meta
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if let Some(what) = non_worksheet(s.typ) {
            return Err(InputError::Sheet {
                place: place(path, Some(&s.name)),
                message: format!("a {what} has no rows to read"),
            });
        }
        if !selected.contains(&s.name) {
            selected.push(s.name.clone());
        }
    }
    Ok(selected)
}

/// Sheets with no header row (name, first row): the first stops the file when `fatal` (a
/// sheet `--sheet` named, or no sheet has a header); otherwise each gets a note.
fn skip_headerless(
    path: &Path,
    no_header: &[(String, Vec<String>)],
    fatal: bool,
    notes: &mut Vec<String>,
) -> Result<(), InputError> {
    if let Some((name, first)) = no_header.first()
        && fatal
    {
        return Err(InputError::NoHeader {
            place: place(path, Some(name)),
            first: first.join(", "),
        });
    }
    for (name, first) in no_header {
        notes.push(format!(
            "{}: skipped: no header row (its first row holds: {})",
            place(path, Some(name)),
            first.join(", ")
        ));
    }
    Ok(())
}

impl WorkbookSource {
    /// Opens a workbook and finds the header of each sheet to read: the sheets `wanted` names
    /// (hidden ones too), or else every visible worksheet. Returns the tables and one note per
    /// sheet skipped or header found below title rows.
    pub(crate) fn open(
        path: &Path,
        wanted: &[String],
        map: &HeaderMap,
    ) -> Result<(WorkbookSource, Vec<Table>, Vec<String>), InputError> {
        // XLS and ODS are read whole by calamine when opened: check their used area first.
        if let Some((sheet, why)) = extent::refusals(path).into_iter().next() {
            return Err(InputError::Sheet {
                place: place(path, Some(&sheet)),
                message: why,
            });
        }
        let book = open_workbook_auto(path).map_err(|e| InputError::Workbook {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let is_1904 = match &book {
            Sheets::Xlsx(x) => x.has_1904_epoch(),
            Sheets::Xlsb(x) => x.has_1904_epoch(),
            Sheets::Xls(x) => x.has_1904_epoch(),
            Sheets::Ods(_) => false,
        };
        let meta = book.sheets_metadata().to_vec();
        let mut notes = Vec::new();
        let selected = if wanted.is_empty() {
            visible_sheets(path, &meta, &mut notes)
        } else {
            wanted_sheets(path, &meta, wanted)?
        };
        let mut source = WorkbookSource {
            path: path.to_path_buf(),
            book,
            is_1904,
        };
        let mut tables = Vec::new();
        let mut no_header: Vec<(String, Vec<String>)> = Vec::new();
        for name in selected {
            let mut head = match source.head(&name) {
                Ok(head) => head,
                Err(ScanError::NotAWorksheet(what)) => {
                    notes.push(format!(
                        "{}: skipped: a {what}, with no rows to read",
                        place(path, Some(&name))
                    ));
                    continue;
                }
                Err(ScanError::Other(message)) => {
                    return Err(InputError::Workbook {
                        path: path.to_path_buf(),
                        message: format!("sheet {name:?}: {message}"),
                    });
                }
            };
            let rows: Vec<Vec<String>> = head.iter().map(|(_, r)| r.clone()).collect();
            match find_header(&rows, map) {
                Ok(at) => {
                    let (header_row, headers) = head.swap_remove(at.index);
                    if at.below_title {
                        notes.push(format!(
                            "{}: header found on row {header_row}",
                            place(path, Some(&name))
                        ));
                    }
                    tables.push(Table {
                        sheet: Some(name),
                        header_row,
                        headers,
                        rows_hint: None,
                    });
                }
                Err(NoHeader::Blank) => {}
                Err(NoHeader::NotFound { first }) => no_header.push((name, first)),
            }
        }
        skip_headerless(
            path,
            &no_header,
            tables.is_empty() || !wanted.is_empty(),
            &mut notes,
        )?;
        if tables.is_empty() {
            return Err(InputError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok((source, tables, notes))
    }

    /// The sheet's rows as text (1-based row number, cells), from its first up to
    /// [`HEADER_SEARCH_ROWS`] rows past its first non-blank one: where its header is looked for.
    fn head(&mut self, sheet: &str) -> Result<Vec<(u32, Vec<String>)>, ScanError> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "HEADER_SEARCH_ROWS is a small constant (20)"
        )]
        let search_rows = HEADER_SEARCH_ROWS as u32;
        let mut head: Vec<(u32, Vec<String>)> = Vec::new();
        let mut first: Option<u32> = None;
        self.scan(sheet, &mut |number, cells| {
            let text = row_text(&cells);
            if first.is_none() && text.iter().any(|c| !c.is_empty()) {
                first = Some(number);
            }
            if first.is_some_and(|f| number > f + search_rows) {
                return ControlFlow::Break(());
            }
            head.push((number, text));
            ControlFlow::Continue(())
        })?;
        Ok(head)
    }

    /// Calls `f` with each row present in the sheet (1-based row number, cells by column).
    fn scan(
        &mut self,
        sheet: &str,
        f: &mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
    ) -> Result<(), ScanError> {
        let is_1904 = self.is_1904;
        let other = |e: &dyn std::fmt::Display| ScanError::Other(e.to_string());
        match &mut self.book {
            Sheets::Xlsx(x) => {
                let mut rows = RowBuilder { current: None, f };
                let mut reader = match x.worksheet_cells_reader(sheet) {
                    Ok(r) => r,
                    Err(XlsxError::NotAWorksheet(typ)) => {
                        return Err(ScanError::NotAWorksheet(typ));
                    }
                    Err(e) => return Err(other(&e)),
                };
                while let Some(c) = reader.next_cell_with_formula().map_err(|e| other(&e))? {
                    let value = match (&c.value, c.formula) {
                        // openpyxl and pandas write formulas with no saved result.
                        (DataRef::Empty, Some(formula)) if !formula.is_empty() => {
                            Cell::Formula(formula)
                        }
                        (v, _) => from_data_ref(v, is_1904),
                    };
                    if rows.push(c.pos, value).is_break() {
                        return Ok(());
                    }
                }
                rows.finish();
                Ok(())
            }
            Sheets::Xlsb(x) => {
                let mut rows = RowBuilder { current: None, f };
                let mut reader = x.worksheet_cells_reader(sheet).map_err(|e| other(&e))?;
                while let Some(c) = reader.next_cell().map_err(|e| other(&e))? {
                    let value = from_data_ref(c.get_value(), is_1904);
                    if rows.push(c.get_position(), value).is_break() {
                        return Ok(());
                    }
                }
                rows.finish();
                Ok(())
            }
            book => {
                let range = book.worksheet_range(sheet).map_err(|e| other(&e))?;
                // A formula cell with no saved value reads as empty; its formula tells it.
                let formulas: Range<String> = book.worksheet_formula(sheet).unwrap_or_default();
                let (row0, col0) = range.start().unwrap_or((0, 0));
                for (i, r) in range.rows().enumerate() {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "calamine addresses rows by u32: a row's offset in a range fits"
                    )]
                    let number = row0 + i as u32;
                    let mut cells = vec![Cell::Empty; col0 as usize];
                    cells.extend(r.iter().enumerate().map(|(j, d)| {
                        #[expect(
                            clippy::cast_possible_truncation,
                            reason = "calamine addresses columns by u32: a column's offset in a \
                                      range fits"
                        )]
                        let col = col0 + j as u32;
                        match d {
                            Data::Empty => formulas
                                .get_value((number, col))
                                .filter(|f| !f.is_empty())
                                .map_or(Cell::Empty, |f| {
                                    // ODS writes `of:=[.B2]*2`.
                                    let f = f.strip_prefix("of:").unwrap_or(f);
                                    Cell::Formula(f.trim_start_matches('=').to_string())
                                }),
                            d => from_data(d, is_1904),
                        }
                    }));
                    if f(number + 1, cells).is_break() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    pub(crate) fn read_rows(
        &mut self,
        table: &Table,
        f: &mut dyn FnMut(Row) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let sheet = table.sheet.clone().unwrap_or_default();
        let header_row = table.header_row;
        let scanned = self.scan(&sheet, &mut |number, cells| {
            if number <= header_row {
                return ControlFlow::Continue(());
            }
            f(Row {
                number,
                cells: RowCells::Sheet(cells),
            })
        });
        scanned.map_err(|e| {
            let message = match e {
                ScanError::NotAWorksheet(typ) => format!("not a worksheet: {typ}"),
                ScanError::Other(m) => m,
            };
            InputError::Workbook {
                path: self.path.clone(),
                message: format!("sheet {sheet:?}: {message}"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates_read_in_both_date_systems() {
        // 2024-03-15 is serial 45366 in the 1900 system, 43904 in the 1904 system.
        assert_eq!(serial_date_text(45366.0, false, false), "2024-03-15");
        assert_eq!(serial_date_text(43904.0, false, true), "2024-03-15");
        assert_eq!(serial_date_text(45366.75, false, false), "2024-03-15 18:00");
        assert_eq!(
            serial_date_text(45366.0 + 18.0 / 24.0 + 30.0 / 86_400.0, false, false),
            "2024-03-15 18:00:30"
        );
        assert_eq!(serial_date_text(1.0, false, false), "1900-01-01");
        assert_eq!(serial_date_text(59.0, false, false), "1900-02-28");
        assert_eq!(serial_date_text(60.0, false, false), "1900-02-29");
        assert_eq!(serial_date_text(61.0, false, false), "1900-03-01");
        assert_eq!(serial_date_text(0.75, false, false), "18:00");
        assert_eq!(serial_date_text(1.5, true, false), "36:00");
    }

    #[test]
    fn iso_dates_and_durations_read_like_serial_ones() {
        assert_eq!(iso_date_text("2024-03-15"), "2024-03-15");
        assert_eq!(iso_date_text("2024-03-15T00:00:00"), "2024-03-15");
        assert_eq!(
            iso_date_text("2024-03-15T18:00:00.000Z"),
            "2024-03-15 18:00"
        );
        assert_eq!(iso_date_text("2024-03-15T18:00:05"), "2024-03-15 18:00:05");
        assert_eq!(iso_duration_text("PT18H30M00S"), "18:30");
        assert_eq!(iso_duration_text("P1DT12H00M00S"), "36:00");
        assert_eq!(iso_duration_text("weird"), "weird");
    }
}
