//! Workbooks (XLSX, XLSM, XLSB, XLS, ODS) with calamine. XLSX and XLSB sheets are streamed
//! cell by cell, so memory does not grow with the sheet; XLS and ODS are read a sheet at a
//! time, after their used area is checked (see `extent`).
//!
//! Cells are read as the application shows them: dates and times as ISO text in the
//! workbook's own date system (1900 or 1904), formulas as their saved result, and a formula
//! saved without a result (openpyxl, pandas) as [`Cell::Formula`].

#[cfg(test)]
mod byte_scan_tests;
mod merged;
mod scan;
mod sheets;
mod values;

use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use calamine::{Data, Dimensions, Range, Reader, Sheets, open_workbook_auto};

use super::headers::{HEADER_SEARCH_ROWS, HeaderMap, NoHeader, find_header};
use super::plan::place;
use super::{Cell, InputError, Row, RowCells, Table, extent};
use merged::Merges;
use scan::{RowBuilder, ScanError, scan_xlsx};
use sheets::{skip_headerless, visible_sheets, wanted_sheets};
use values::{from_data, from_data_ref};

pub(crate) struct WorkbookSource {
    path: PathBuf,
    book: Sheets<BufReader<File>>,
    /// The workbook counts dates from 1904-01-01 (old Mac Excel), not 1900.
    is_1904: bool,
    /// Merged ranges in the data rows of the sheets read.
    merges: Merges,
    /// `--excel-safe-csv`: a text cell's leading `'` before a formula character is removed.
    pub(super) unmark: bool,
    /// What the user should know of the sheets read, once they are read (an XLSX sheet's
    /// merged ranges are found as it is read).
    warnings: Vec<String>,
}

/// The largest XLSX or XLSB sheet (its XML or records, uncompressed) searched for merged
/// cells (16 MiB, about 100,000 rows of XLSX).
const MERGES_SEARCHED_BYTES: u64 = 16 << 20;

/// A merged region as a 0-based (first row, first column, last row, last column).
fn merge_of(d: &Dimensions) -> extent::Merge {
    (d.start.0, d.start.1, d.end.0, d.end.1)
}

/// The one line said of a workbook calamine cannot read: the format, the reason when it is
/// a sentence (not a dump of the parser's state), and what to do.
fn unreadable(path: &Path, reason: &str) -> String {
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .map_or_else(|| "workbook".to_string(), str::to_ascii_uppercase);
    let reason = reason.lines().next().unwrap_or_default().trim();
    let shown = if reason.is_empty() || reason.contains(['{', '}']) || reason.len() > 120 {
        String::new()
    } else {
        format!(" ({reason})")
    };
    format!(
        "this {format} file cannot be read{shown}; open it in the application that made it and save it as an Excel workbook (.xlsx)"
    )
}

fn row_text(cells: &[Cell]) -> Vec<String> {
    cells
        .iter()
        .map(|c| c.as_ref().display().trim().to_string())
        .collect()
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
        let mut survey = extent::survey(path);
        if let Some((sheet, why)) = std::mem::take(&mut survey.refusals).into_iter().next() {
            return Err(InputError::Sheet {
                place: place(path, Some(&sheet)),
                message: why,
            });
        }
        let book = open_workbook_auto(path).map_err(|e| InputError::Workbook {
            path: path.to_path_buf(),
            message: unreadable(path, &e.to_string()),
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
            merges: Merges::default(),
            unmark: false,
            warnings: Vec::new(),
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
                        message: format!("sheet {name:?}: {}", unreadable(path, &message)),
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
                    let table = source.table(name, header_row, headers, &mut survey, &mut notes);
                    tables.push(table);
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

    /// About how many rows follow the header, for progress: the last row of the area an XLSX
    /// or XLSB sheet declares (None for other formats, or a sheet that declares none).
    fn rows_hint(&mut self, sheet: &str, header_row: u32) -> Option<u64> {
        let last = match &mut self.book {
            Sheets::Xlsx(x) => x.worksheet_cells_reader(sheet).ok()?.dimensions().end.0,
            Sheets::Xlsb(x) => x.worksheet_cells_reader(sheet).ok()?.dimensions().end.0,
            _ => return None,
        };
        // `end` is 0-based; the header row 1-based. A sheet holds at most 1,048,576 rows: a
        // file that declares more is not believed.
        let rows = (u64::from(last) + 1).min(1 << 20);
        (rows > u64::from(header_row)).then(|| rows - u64::from(header_row))
    }

    /// A sheet's table from its header: the header widened to the sheet's width (cells right
    /// of its last cell are kept, under generated headers), and its merged ranges noted.
    fn table(
        &mut self,
        name: String,
        header_row: u32,
        mut headers: Vec<String>,
        survey: &mut extent::Survey,
        notes: &mut Vec<String>,
    ) -> Table {
        let width = self.width(&name);
        if headers.len() < width {
            headers.resize(width, String::new());
        }
        let ranges = self.merged(&name, survey, notes);
        for note in self.merges.keep(&name, header_row, ranges) {
            notes.push(format!("{}: {note}", place(&self.path, Some(&name))));
        }
        Table {
            rows_hint: self.rows_hint(&name, header_row),
            sheet: Some(name),
            header_row,
            headers,
            headerless: Vec::new(),
        }
    }

    /// The sheet's merged ranges: from calamine for XLSB and XLS, from the survey for ODS;
    /// an XLSX sheet's are found as it is read (`read_rows`). An XLSB sheet's merges follow
    /// its data: they are looked for in sheets of up to [`MERGES_SEARCHED_BYTES`] only, so
    /// that a large sheet is not read twice (a note says so).
    fn merged(
        &mut self,
        sheet: &str,
        survey: &mut extent::Survey,
        notes: &mut Vec<String>,
    ) -> Vec<extent::Merge> {
        match &mut self.book {
            Sheets::Xlsx(_) => Vec::new(),
            // A sheet whose merges cannot be read is read without them, as calamine reads it.
            Sheets::Xlsb(x) => match x.merged_regions_of_sheet(sheet, MERGES_SEARCHED_BYTES) {
                Ok(Some(found)) => found.iter().map(merge_of).collect(),
                Ok(None) => {
                    notes.push(self.too_large_for_merges(sheet));
                    Vec::new()
                }
                Err(_) => Vec::new(),
            },
            Sheets::Xls(x) => x
                .merge_cells_by_sheet_name(sheet)
                .unwrap_or_default()
                .iter()
                .map(merge_of)
                .collect(),
            Sheets::Ods(_) => survey.merges.remove(sheet).unwrap_or_default(),
        }
    }

    fn too_large_for_merges(&self, sheet: &str) -> String {
        format!(
            "{}: merged cells are not looked for in a sheet this large (over {} MiB): unmerge any in its data rows",
            place(&self.path, Some(sheet)),
            MERGES_SEARCHED_BYTES >> 20
        )
    }

    /// An XLSX sheet's XML, inflated once: its merged ranges are looked for in it (kept, with
    /// a warning for each) and its rows then read from it. None for other formats, a sheet
    /// over [`MERGES_SEARCHED_BYTES`] (a warning says its merges are not looked for; it is
    /// streamed from the archive) or one that cannot be inflated (its read says why).
    fn xlsx_merges(&mut self, sheet: &str, header_row: u32) -> Option<Vec<u8>> {
        let Sheets::Xlsx(x) = &mut self.book else {
            return None;
        };
        match x.worksheet_xml(sheet, MERGES_SEARCHED_BYTES) {
            Ok(Some(xml)) => {
                let found = calamine::merged_regions_in_xml(&xml).unwrap_or_default();
                for note in self
                    .merges
                    .keep(sheet, header_row, found.iter().map(merge_of))
                {
                    self.warnings
                        .push(format!("{}: {note}", place(&self.path, Some(sheet))));
                }
                Some(xml)
            }
            Ok(None) => {
                let note = self.too_large_for_merges(sheet);
                self.warnings.push(note);
                None
            }
            Err(_) => None,
        }
    }

    /// What the user should know of the sheets read, once read.
    pub(crate) fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// How many columns the sheet's cells span from column A, by the dimension an XLSX or XLSB
    /// sheet declares, or by reading the sheet when it declares none (some writers leave the
    /// `<dimension>` out, or write `A1`); 0 for XLS and ODS, whose rows come at full width.
    fn width(&mut self, sheet: &str) -> usize {
        match self.declared_width(sheet) {
            Some(width) => width,
            None if matches!(self.book, Sheets::Xlsx(_) | Sheets::Xlsb(_)) => {
                let mut widest = 0;
                // A sheet that cannot be read says so when its rows are read.
                let _ = self.scan(sheet, None, &mut |_, cells| {
                    widest = widest.max(cells.len());
                    ControlFlow::Continue(())
                });
                widest
            }
            None => 0,
        }
    }

    /// The width of the used area an XLSX or XLSB sheet declares, if it declares one.
    fn declared_width(&mut self, sheet: &str) -> Option<usize> {
        let dimensions = match &mut self.book {
            Sheets::Xlsx(x) => x.worksheet_cells_reader(sheet).ok().map(|r| r.dimensions()),
            Sheets::Xlsb(x) => x.worksheet_cells_reader(sheet).ok().map(|r| r.dimensions()),
            Sheets::Xls(_) | Sheets::Ods(_) => None,
        };
        // A dimension wider than Excel's 16,384 columns is not believed.
        dimensions
            .filter(|d| d.end.1 < 16_384 && d != &Dimensions::default())
            .map(|d| d.end.1 as usize + 1)
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
        self.scan(sheet, None, &mut |number, cells| {
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

    /// Calls `f` with each row present in the sheet (1-based row number, cells by column);
    /// an XLSX sheet from `xml` when it is inflated already.
    fn scan(
        &mut self,
        sheet: &str,
        xml: Option<Vec<u8>>,
        f: &mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
    ) -> Result<(), ScanError> {
        let is_1904 = self.is_1904;
        let other = |e: &dyn std::fmt::Display| ScanError::Other(e.to_string());
        match &mut self.book {
            Sheets::Xlsx(x) => scan_xlsx(x, sheet, xml, is_1904, f),
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
        let xml = self.xlsx_merges(&sheet, header_row);
        // Taken out while the sheet is scanned (the scan borrows the whole source).
        let merges = std::mem::take(&mut self.merges);
        let mut filler = merges.filler(&sheet);
        let unmark = self.unmark;
        let scanned = self.scan(&sheet, xml, &mut |number, mut cells| {
            if number <= header_row {
                return ControlFlow::Continue(());
            }
            filler.apply(number, &mut cells);
            if unmark {
                for c in &mut cells {
                    if let Cell::Text(t) = c {
                        crate::excel_safe::strip_in_place(t);
                    }
                }
            }
            f(Row {
                number,
                cells: RowCells::Sheet(cells),
            })
        });
        drop(filler);
        self.merges = merges;
        scanned.map_err(|e| {
            let message = match e {
                ScanError::NotAWorksheet(typ) => format!("not a worksheet: {typ}"),
                ScanError::Other(m) => unreadable(&self.path, &m),
            };
            InputError::Workbook {
                path: self.path.clone(),
                message: format!("sheet {sheet:?}: {message}"),
            }
        })
    }
}
