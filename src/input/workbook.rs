//! Workbooks (XLSX, XLSM, XLSB, XLS, ODS) with calamine. XLSX and XLSB sheets are streamed
//! cell by cell, so memory does not grow with the sheet; XLS and ODS are read a sheet at a time.

use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use calamine::{Data, DataRef, Reader, Sheets, open_workbook_auto};

use super::{Cell, InputError, Row, RowCells, Table};

pub struct WorkbookSource {
    path: PathBuf,
    book: Sheets<BufReader<File>>,
}

fn from_data_ref(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => Cell::Text(d.to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn from_data(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Text(d.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn is_blank(cells: &[Cell]) -> bool {
    cells.iter().all(|c| c.as_ref().is_blank())
}

fn header_text(cells: Vec<Cell>) -> Vec<String> {
    cells
        .iter()
        .map(|c| c.as_ref().display().trim().to_string())
        .collect()
}

impl WorkbookSource {
    pub fn open(
        path: &Path,
        sheet: Option<&str>,
    ) -> Result<(WorkbookSource, Vec<Table>), InputError> {
        let book = open_workbook_auto(path).map_err(|e| InputError::Workbook {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let names = book.sheet_names();
        let wanted: Vec<String> = match sheet {
            Some(s) => {
                let found = names
                    .iter()
                    .find(|n| n.as_str() == s)
                    .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(s)));
                match found {
                    Some(n) => vec![n.clone()],
                    None => {
                        return Err(InputError::NoSheet {
                            path: path.to_path_buf(),
                            name: s.to_string(),
                            available: names.join(", "),
                        });
                    }
                }
            }
            None => names,
        };
        let mut source = WorkbookSource {
            path: path.to_path_buf(),
            book,
        };
        let mut tables = Vec::new();
        for name in wanted {
            let mut header = None;
            source.scan(&name, &mut |number, cells| {
                if is_blank(&cells) {
                    return ControlFlow::Continue(());
                }
                header = Some((number, header_text(cells)));
                ControlFlow::Break(())
            })?;
            if let Some((header_row, headers)) = header {
                tables.push(Table {
                    sheet: Some(name),
                    header_row,
                    headers,
                    rows_hint: None,
                });
            }
        }
        if tables.is_empty() {
            return Err(InputError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok((source, tables))
    }

    fn err(&self, e: impl std::fmt::Display) -> InputError {
        InputError::Workbook {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Calls `f` with each row present in the sheet (1-based row number, cells by column).
    fn scan(
        &mut self,
        sheet: &str,
        f: &mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let path = self.path.clone();
        let wb_err = |e: &dyn std::fmt::Display| InputError::Workbook {
            path: path.clone(),
            message: format!("sheet {sheet:?}: {e}"),
        };
        macro_rules! stream {
            ($reader:expr) => {{
                let mut reader = $reader.map_err(|e| wb_err(&e))?;
                let mut current: Option<(u32, Vec<Cell>)> = None;
                while let Some(cell) = reader.next_cell().map_err(|e| wb_err(&e))? {
                    let (r, c) = cell.get_position();
                    let value = from_data_ref(cell.get_value());
                    if current.as_ref().is_some_and(|(cr, _)| *cr != r) {
                        if let Some((cr, cells)) = current.take() {
                            if f(cr + 1, cells).is_break() {
                                return Ok(());
                            }
                        }
                    }
                    let (_, cells) = current.get_or_insert_with(|| (r, Vec::new()));
                    let c = c as usize;
                    if cells.len() <= c {
                        cells.resize(c + 1, Cell::Empty);
                    }
                    cells[c] = value;
                }
                if let Some((cr, cells)) = current.take() {
                    let _ = f(cr + 1, cells);
                }
                Ok(())
            }};
        }
        match &mut self.book {
            Sheets::Xlsx(x) => stream!(x.worksheet_cells_reader(sheet)),
            Sheets::Xlsb(x) => stream!(x.worksheet_cells_reader(sheet)),
            book => {
                let range = book.worksheet_range(sheet).map_err(|e| self.err(e))?;
                let (row0, col0) = range.start().unwrap_or((0, 0));
                for (i, r) in range.rows().enumerate() {
                    let mut cells = vec![Cell::Empty; col0 as usize];
                    cells.extend(r.iter().map(from_data));
                    if f(row0 + i as u32 + 1, cells).is_break() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    pub fn read_rows(
        &mut self,
        table: &Table,
        f: &mut dyn FnMut(Row) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let sheet = table.sheet.clone().unwrap_or_default();
        let header_row = table.header_row;
        self.scan(&sheet, &mut |number, cells| {
            if number <= header_row {
                return ControlFlow::Continue(());
            }
            f(Row {
                number,
                cells: RowCells::Sheet(cells),
            })
        })
    }
}
