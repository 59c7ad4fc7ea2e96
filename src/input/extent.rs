//! The used area of XLS and ODS sheets, measured before calamine reads them.
//!
//! calamine reads a whole XLS or ODS workbook when it opens it, each sheet into a dense
//! rectangle from its first to its last used cell: one stray cell far from the data (row
//! 60,000, column 1,000) costs gigabytes. So the cells' positions are surveyed first, in one
//! streaming pass over the file, and a sheet whose rectangle is far larger than what it holds
//! is refused before any of that is allocated. (XLSX and XLSB sheets are streamed cell by
//! cell and need no such check.)

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::column_letters;

/// A rectangle of more cells than this is refused, whatever it holds.
pub(super) const MAX_CELLS: u64 = 50_000_000;
/// A rectangle of more cells than this is refused when at most one cell in
/// [`SPARSE_RATIO`] holds anything.
pub(super) const SPARSE_FLOOR: u64 = 1_000_000;
pub(super) const SPARSE_RATIO: u64 = 16;

/// Where a sheet's used cells lie.
#[derive(Debug, Clone)]
pub(super) struct Extent {
    pub sheet: String,
    /// First and last row, first and last column (0-based); None when the sheet is empty.
    bounds: Option<(u64, u64, u64, u64)>,
    /// How many cells hold something.
    cells: u64,
    /// The cell furthest down, and the cell furthest right, to name in a message.
    lowest: (u64, u64),
    rightmost: (u64, u64),
    /// Merged ranges (ODS), 0-based: first row, first column, last row, last column.
    merges: Vec<Merge>,
}

/// A merged range of cells, 0-based and inclusive: first row, first column, last row, last
/// column.
pub(crate) type Merge = (u32, u32, u32, u32);

impl Extent {
    fn new(sheet: String) -> Extent {
        Extent {
            sheet,
            bounds: None,
            cells: 0,
            lowest: (0, 0),
            rightmost: (0, 0),
            merges: Vec::new(),
        }
    }

    /// `rows` × `cols` cells from (`row`, `col`) hold something.
    fn add(&mut self, row: u64, col: u64, rows: u64, cols: u64) {
        if rows == 0 || cols == 0 {
            return;
        }
        let (r1, c1) = (row + rows - 1, col + cols - 1);
        self.cells = self.cells.saturating_add(rows.saturating_mul(cols));
        let b = self.bounds.get_or_insert((row, r1, col, c1));
        *b = (b.0.min(row), b.1.max(r1), b.2.min(col), b.3.max(c1));
        if r1 >= self.lowest.0 {
            self.lowest = (r1, col);
        }
        if c1 >= self.rightmost.1 {
            self.rightmost = (row, c1);
        }
    }

    /// The number of cells of the rectangle the sheet would be read into.
    pub(super) fn area(&self) -> u64 {
        self.bounds.map_or(0, |(r0, r1, c0, c1)| {
            (r1 - r0 + 1).saturating_mul(c1 - c0 + 1)
        })
    }

    /// Why the sheet should not be read, if it should not.
    pub(super) fn refusal(&self) -> Option<String> {
        let (r0, r1, c0, c1) = self.bounds?;
        let area = self.area();
        let sparse = area > SPARSE_FLOOR && area / SPARSE_RATIO > self.cells;
        if area <= MAX_CELLS && !sparse {
            return None;
        }
        let cell = |(r, c): (u64, u64)| {
            format!(
                "{}{}",
                column_letters(usize::try_from(c).unwrap_or(usize::MAX)),
                r + 1
            )
        };
        let far = if self.lowest == self.rightmost {
            format!("cell {} is one", cell(self.lowest))
        } else {
            format!(
                "cells {} and {} are",
                cell(self.lowest),
                cell(self.rightmost)
            )
        };
        Some(format!(
            "its cells span {}:{} ({} rows × {} columns, {area} cells) but only {} hold anything; reading it would take memory for every cell of that area, so it is not read. Delete the stray cells far from the data ({far} among them) and save again, or save the workbook as .xlsx, which is read cell by cell",
            cell((r0, c0)),
            cell((r1, c1)),
            r1 - r0 + 1,
            c1 - c0 + 1,
            self.cells
        ))
    }
}

/// What a workbook file is, for this check.
enum Format {
    Xls,
    Ods,
    Other,
}

fn format(path: &Path) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xls" | "xla") => return Format::Xls,
        Some("ods") => return Format::Ods,
        Some("xlsx" | "xlsm" | "xlsb") => return Format::Other,
        _ => {}
    }
    let mut head = [0u8; 4];
    let read = File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if read.is_err() {
        return Format::Other;
    }
    if head == [0xD0, 0xCF, 0x11, 0xE0] {
        return Format::Xls;
    }
    let is_ods = File::open(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(BufReader::new(f)).ok())
        .is_some_and(|z| z.index_for_name("content.xml").is_some());
    if is_ods { Format::Ods } else { Format::Other }
}

/// What the survey of a workbook found.
#[derive(Debug, Default)]
pub(super) struct Survey {
    /// The sheets whose used area is refused, with why.
    pub refusals: Vec<(String, String)>,
    /// An ODS file's merged ranges by sheet (calamine does not report them).
    pub merges: HashMap<String, Vec<Merge>>,
}

/// Surveys an XLS or ODS file (nothing for other formats, and for files this survey cannot
/// read: calamine then reports on them).
pub(super) fn survey(path: &Path) -> Survey {
    let extents = match format(path) {
        Format::Xls => xls_extents(path),
        Format::Ods => ods_extents(path),
        Format::Other => return Survey::default(),
    };
    let mut out = Survey::default();
    for e in extents.unwrap_or_default() {
        if let Some(why) = e.refusal() {
            out.refusals.push((e.sheet.clone(), why));
        }
        if !e.merges.is_empty() {
            out.merges.insert(e.sheet, e.merges);
        }
    }
    out
}

fn u16_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 2)
        .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

/// A BIFF `BoundSheet8` sheet name (BIFF8: a short Unicode string; before: 8-bit text).
fn bound_sheet_name(d: &[u8], biff8: bool) -> Option<String> {
    let cch = usize::from(*d.get(6)?);
    if !biff8 {
        return Some(d.get(7..7 + cch)?.iter().map(|&b| char::from(b)).collect());
    }
    let wide = d.get(7)? & 1 == 1;
    if wide {
        let units: Vec<u16> = d
            .get(8..8 + 2 * cch)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(d.get(8..8 + cch)?.iter().map(|&b| char::from(b)).collect())
    }
}

/// One pass over the BIFF records of an XLS workbook stream.
fn xls_extents(path: &Path) -> std::io::Result<Vec<Extent>> {
    let mut cf = cfb::open(path)?;
    let name = if cf.exists("/Workbook") {
        "/Workbook"
    } else {
        "/Book"
    };
    let mut stream = BufReader::with_capacity(1 << 16, cf.open_stream(name)?);
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut biff8 = true;
    let mut out = Vec::new();
    let mut current: Option<Extent> = None;
    // Substream depth: 1 in the globals or a sheet, 2+ inside an embedded chart.
    let mut depth = 0usize;
    let mut pos: u64 = 0;
    let mut head = [0u8; 4];
    let mut data = vec![0u8; 0xFFFF];
    loop {
        if stream.read_exact(&mut head).is_err() {
            break;
        }
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let d = &mut data[..len];
        if stream.read_exact(d).is_err() {
            break;
        }
        let at = pos;
        pos += 4 + len as u64;
        let d = &data[..len];
        match typ {
            // BOF: the globals (the first), a worksheet, or a substream inside one.
            0x0809 => {
                depth += 1;
                if at == 0 {
                    biff8 = u16_at(d, 0) == Some(0x0600);
                } else if depth == 1 {
                    let sheet = names
                        .get(&at)
                        .cloned()
                        .unwrap_or_else(|| format!("sheet {}", out.len() + 1));
                    current = Some(Extent::new(sheet));
                }
            }
            // EOF
            0x000A => {
                if depth == 1
                    && let Some(e) = current.take()
                {
                    out.push(e);
                }
                depth = depth.saturating_sub(1);
            }
            // BoundSheet8: where a sheet's substream starts, and its name.
            0x0085 if current.is_none() => {
                if let (Some(lo), Some(hi)) = (u16_at(d, 0), u16_at(d, 2)) {
                    let offset = lo | (hi << 16);
                    if let Some(n) = bound_sheet_name(d, biff8) {
                        names.insert(offset, n);
                    }
                }
            }
            // MulRk: a run of cells in one row.
            0x00BD if depth == 1 => {
                if let (Some(e), Some(row), Some(first), Some(last)) = (
                    current.as_mut(),
                    u16_at(d, 0),
                    u16_at(d, 2),
                    len.checked_sub(2).and_then(|l| u16_at(d, l)),
                ) && last >= first
                {
                    e.add(row, first, 1, last - first + 1);
                }
            }
            // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: one cell each.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if depth == 1 => {
                if let (Some(e), Some(row), Some(col)) =
                    (current.as_mut(), u16_at(d, 0), u16_at(d, 2))
                {
                    e.add(row, col, 1, 1);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// One streaming pass over an ODS file's `content.xml`.
fn ods_extents(path: &Path) -> std::io::Result<Vec<Extent>> {
    use quick_xml::events::{BytesStart, Event};
    let bad = std::io::Error::other;
    let file = File::open(path)?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(bad)?;
    let content = zip.by_name("content.xml").map_err(bad)?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, content));
    let attr = |e: &BytesStart<'_>, name: &str| -> Option<String> {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .map(|a| a.value.into_owned())
    };
    let repeats = |e: &BytesStart<'_>, name: &str| -> u64 {
        attr(e, name).and_then(|v| v.parse().ok()).unwrap_or(1)
    };
    let mut out = Vec::new();
    let mut current: Option<Extent> = None;
    let (mut row, mut row_repeats, mut col) = (0u64, 1u64, 0u64);
    let mut buf = Vec::with_capacity(4096);
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    "table:table" => {
                        let name = attr(e, "table:name").unwrap_or_default();
                        row = 0;
                        if empty {
                            out.push(Extent::new(name));
                        } else {
                            current = Some(Extent::new(name));
                        }
                    }
                    "table:table-row" => {
                        row_repeats = repeats(e, "table:number-rows-repeated");
                        col = 0;
                        if empty {
                            row = row.saturating_add(row_repeats);
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        let n = repeats(e, "table:number-columns-repeated");
                        let holds = !empty
                            || attr(e, "office:value-type").is_some()
                            || attr(e, "table:formula").is_some();
                        if holds && let Some(x) = current.as_mut() {
                            x.add(row, col, row_repeats, n);
                        }
                        let rows = repeats(e, "table:number-rows-spanned");
                        let cols = repeats(e, "table:number-columns-spanned");
                        if (rows > 1 || cols > 1)
                            && let Some(x) = current.as_mut()
                            && let (Ok(r), Ok(c)) = (u32::try_from(row), u32::try_from(col))
                        {
                            let last = |first: u32, n: u64| {
                                first.saturating_add(u32::try_from(n - 1).unwrap_or(u32::MAX))
                            };
                            x.merges.push((r, c, last(r, rows), last(c, cols)));
                        }
                        col = col.saturating_add(n);
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "table:table" => out.extend(current.take()),
                "table:table-row" => row = row.saturating_add(row_repeats),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_cell_far_from_the_data_is_refused() {
        let mut e = Extent::new("Sources".into());
        e.add(0, 0, 2, 3);
        assert!(e.refusal().is_none());
        e.add(59_999, 999, 1, 1);
        let why = e.refusal().unwrap();
        assert!(why.contains("A1:ALL60000"), "{why}");
        assert!(why.contains("cell ALL60000 is one"), "{why}");
    }

    #[test]
    fn a_dense_sheet_is_read_however_large() {
        let mut e = Extent::new("Data".into());
        e.add(0, 0, 1_000_000, 10);
        assert!(e.refusal().is_none());
        let mut e = Extent::new("Huge".into());
        e.add(0, 0, 1_000_000, 60);
        assert!(e.refusal().is_some());
    }
}
