//! Streaming an XLSX sheet: cells as calamine reads them, assembled into rows.

use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;

use calamine::{DataRef, XlsxError};

use super::values::{from_data_ref, percent_decimals, percent_text};
use crate::input::Cell;

/// Why a sheet could not be scanned.
pub(super) enum ScanError {
    /// The sheet holds no cells (a chart sheet the workbook lists as a worksheet).
    NotAWorksheet(String),
    Other(String),
}

/// Assembles streamed cells into rows and hands each row on.
pub(super) struct RowBuilder<'f> {
    pub(super) current: Option<(u32, Vec<Cell>)>,
    pub(super) f: &'f mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
}

impl RowBuilder<'_> {
    /// One cell at a 0-based (row, column); empty cells only end the row before them.
    pub(super) fn push(&mut self, (r, c): (u32, u32), value: Cell) -> ControlFlow<()> {
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

    pub(super) fn finish(mut self) {
        if let Some((cr, cells)) = self.current.take() {
            let _ = (self.f)(cr + 1, cells);
        }
    }
}

/// Streams an XLSX sheet's cells into rows, from its XML inflated already when given, else
/// from the archive. A percentage is read as it shows (`12%`), so a cost is never a share.
pub(super) fn scan_xlsx(
    x: &mut calamine::Xlsx<BufReader<File>>,
    sheet: &str,
    xml: Option<Vec<u8>>,
    is_1904: bool,
    f: &mut dyn FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
) -> Result<(), ScanError> {
    let mut rows = RowBuilder { current: None, f };
    let reader = match xml {
        Some(xml) => x.worksheet_cells_reader_of_xml(xml),
        None => x.worksheet_cells_reader(sheet),
    };
    let mut reader = match reader {
        Ok(r) => r,
        Err(XlsxError::NotAWorksheet(typ)) => {
            return Err(ScanError::NotAWorksheet(typ));
        }
        Err(e) => return Err(ScanError::Other(e.to_string())),
    };
    // For each style, the decimals of its percentage format, if it is one.
    let percent: Vec<Option<usize>> = reader
        .styles()
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .and_then(|f| percent_decimals(&f.format_code))
        })
        .collect();
    while let Some(c) = reader
        .next_cell_with_formula()
        .map_err(|e| ScanError::Other(e.to_string()))?
    {
        let shown_as = percent.get(c.style_id).copied().flatten();
        let value = match (&c.value, c.formula) {
            // openpyxl and pandas write formulas with no saved result.
            (DataRef::Empty, Some(formula)) if !formula.is_empty() => Cell::Formula(formula),
            // A percentage is read as it shows (`12%`): a cost is not a share.
            (&DataRef::Float(f), _) if let Some(d) = shown_as => Cell::Text(percent_text(f, d)),
            #[expect(
                clippy::cast_precision_loss,
                reason = "a percentage cell's whole number is small"
            )]
            (&DataRef::Int(i), _) if let Some(d) = shown_as => {
                Cell::Text(percent_text(i as f64, d))
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
