//! Files → tables → rows of typed cells. Knows nothing of records or the network.
//!
//! A file holds one or more tables (a CSV file one; a workbook one a non-empty sheet). A table
//! has a header row and data rows; each row carries the row number a spreadsheet application
//! shows (header row 1 for a CSV file).

mod cell;
pub(crate) mod csv;
mod extent;
pub(crate) mod headers;
pub(crate) mod plan;
pub(crate) mod workbook;

use std::fmt;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub(crate) use cell::{Cell, CellRef, Cells, Row, RowCells, column_letters, number_text, trim};

/// A header row and where it was found.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The sheet's name; None for a CSV file.
    pub sheet: Option<String>,
    pub header_row: u32,
    pub headers: Vec<String>,
    /// About how many data rows follow, when known without reading them (a CSV file's line
    /// breaks; a quoted field with line breaks makes it an overestimate).
    pub rows_hint: Option<u64>,
    /// The columns that have no header, named `column F` when the table is planned.
    pub headerless: Vec<usize>,
}

/// How to decode a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// UTF-8 when the file is valid UTF-8 (or has a UTF-16 byte-order mark), else Windows-1252;
    /// a UTF-8 file with some lines that are not is read line by line.
    #[default]
    Auto,
    Utf8,
    Windows1252,
    /// Mac OS Roman, as "CSV (Macintosh)" of Excel for Mac writes it.
    MacRoman,
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: EncodingChoice,
    /// None: sniff `,` `;` tab `|` from the header line (or take an Excel `sep=` line).
    pub delimiter: Option<u8>,
    /// Read only these sheets of a workbook (hidden ones included); empty: every visible
    /// worksheet.
    pub sheets: Vec<String>,
    /// Costs written with a decimal comma (`1.200,50`).
    pub decimal_comma: bool,
    /// `--excel-safe-csv`: a CSV cell's leading `'` before a formula character is removed,
    /// whoever wrote the file (it always is in a file this tool wrote).
    pub excel_safe: bool,
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
    /// The file is something else under a spreadsheet's name.
    #[error("{path}: {what}, not a CSV file or a workbook: {advice}")]
    NotSpreadsheet {
        path: PathBuf,
        what: &'static str,
        advice: &'static str,
    },
}

/// What a CSV file was read as, for the user to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CsvDialect {
    pub encoding: &'static str,
    /// The encoding of the lines that are not valid in `encoding` (a mixed file).
    pub fallback: Option<&'static str>,
    pub delimiter: u8,
    /// The delimiter came from an Excel `sep=` first line.
    pub sep_line: bool,
}

impl fmt::Display for CsvDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        write!(f, "encoding {}", self.encoding)?;
        if let Some(other) = self.fallback {
            write!(f, " (lines that are not: {other})")?;
        }
        write!(f, ", delimiter {d}")?;
        if self.sep_line {
            write!(f, " (from its sep= line)")?;
        }
        Ok(())
    }
}

/// An opened input file: its tables are known, its rows are read on demand.
pub(crate) struct Input {
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

/// What a file's first bytes say it is, whatever its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// A ZIP archive: XLSX, XLSM, XLSB or ODS.
    Zip,
    /// An OLE compound file: XLS.
    Ole,
    /// An HTML page, as web applications export "Excel" files.
    Html,
    /// Excel 2003 XML Spreadsheet.
    SpreadsheetMl,
    /// NUL bytes without a UTF-16 byte-order mark: not text.
    Binary,
    Text,
}

impl Content {
    /// Looks at the first few KiB of a file.
    pub(crate) fn sniff(head: &[u8]) -> Content {
        if head.starts_with(b"PK\x03\x04") {
            return Content::Zip;
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return Content::Ole;
        }
        let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        if let Some(i) = start
            && body[i] == b'<'
        {
            let lower: Vec<u8> = body[i..].iter().map(u8::to_ascii_lowercase).collect();
            let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
            if has(b"urn:schemas-microsoft-com:office:spreadsheet") || has(b"<workbook") {
                return Content::SpreadsheetMl;
            }
            if has(b"<html") || has(b"<!doctype html") || has(b"<table") {
                return Content::Html;
            }
        }
        // A stray NUL in a cell makes a row invalid, not the file binary: binary is a head
        // where control bytes are common.
        let control = head
            .iter()
            .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
            .count();
        if !utf16 && control * 10 > head.len() {
            return Content::Binary;
        }
        Content::Text
    }
}

fn first_bytes(path: &Path, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path)?, n as u64),
        &mut head,
    )?;
    Ok(head)
}

/// A spreadsheet application's workbook, by its file's extension.
pub(crate) fn is_workbook(path: &Path) -> bool {
    has_workbook_extension(path)
}

fn has_workbook_extension(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "ods")
    )
}

/// A string as it may appear in a message: at most `max` characters (then `…`), with control
/// characters escaped, so neither a huge value nor binary bytes reach the terminal.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses a file that is no spreadsheet at all: an HTML page, SpreadsheetML, a binary file
/// without a workbook's extension.
fn refuse_non_spreadsheet(path: &Path, content: Content) -> Result<(), InputError> {
    let refuse = |what, advice| {
        Err(InputError::NotSpreadsheet {
            path: path.to_path_buf(),
            what,
            advice,
        })
    };
    match content {
        Content::Html => refuse(
            "an HTML page (a web export with a spreadsheet's name)",
            "open it in Excel or LibreOffice Calc and save it as .xlsx or CSV",
        ),
        Content::SpreadsheetMl => refuse(
            "an Excel 2003 XML Spreadsheet (SpreadsheetML)",
            "open it in Excel or LibreOffice Calc and save it as .xlsx or CSV",
        ),
        Content::Binary if !has_workbook_extension(path) => refuse(
            "a binary file",
            "export the data from its application as CSV or .xlsx",
        ),
        _ => Ok(()),
    }
}

/// Whether a file is read as a workbook: by its content, else by its extension (with a note
/// when the two disagree).
fn reads_as_workbook(path: &Path, content: Content, notes: &mut Vec<String>) -> bool {
    match content {
        Content::Zip | Content::Ole => {
            if !has_workbook_extension(path) {
                let what = if content == Content::Zip {
                    "an XLSX/ODS workbook"
                } else {
                    "an XLS workbook"
                };
                notes.push(format!(
                    "{}: the file is {what}, not CSV text: read as a workbook",
                    path.display()
                ));
            }
            true
        }
        // Web applications often export tab- or comma-separated text named .xls.
        Content::Text if has_workbook_extension(path) => {
            notes.push(format!(
                "{}: the file is text, not a workbook: read as CSV",
                path.display()
            ));
            false
        }
        _ => has_workbook_extension(path),
    }
}

impl Input {
    /// Opens a file and finds its tables' header rows (`map`'s headers count as recognised
    /// column names when a header is looked for below title rows). A file that is really a
    /// workbook is read as one; an HTML page or SpreadsheetML file is refused.
    pub(crate) fn open(
        path: &Path,
        opts: &ReadOptions,
        map: &headers::HeaderMap,
    ) -> Result<Input, InputError> {
        let io_err = |source| InputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let head = first_bytes(path, 4096).map_err(io_err)?;
        let content = Content::sniff(&head);
        refuse_non_spreadsheet(path, content)?;
        let mut notes = Vec::new();
        let workbook = reads_as_workbook(path, content, &mut notes);
        if workbook {
            let (mut source, mut tables, sheet_notes) =
                workbook::WorkbookSource::open(path, &opts.sheets, map)?;
            notes.extend(sheet_notes);
            // `--excel-safe-csv`: a workbook saved from a CSV file written with it.
            source.unmark = opts.excel_safe;
            if opts.excel_safe {
                for t in &mut tables {
                    t.headers
                        .iter_mut()
                        .for_each(crate::excel_safe::strip_in_place);
                }
            }
            Ok(Input {
                path: path.to_path_buf(),
                tables,
                dialect: None,
                notes,
                source: Source::Workbook(Box::new(source)),
            })
        } else {
            let (source, table, dialect, note) = csv::CsvSource::open(path, opts, map)?;
            notes.extend(note);
            Ok(Input {
                path: path.to_path_buf(),
                tables: vec![table],
                dialect: Some(dialect),
                notes,
                source: Source::Csv(source),
            })
        }
    }

    /// Streams the data rows of one table, in order, to `f`, which may stop the read early.
    /// Rows whose cells are all blank are passed too (they take a row number). A CSV row
    /// borrows the reader's buffers: it lives only for the call.
    pub(crate) fn read_table(
        &mut self,
        index: usize,
        f: &mut dyn FnMut(Row<'_>) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        let table = &self.tables[index];
        match &mut self.source {
            Source::Csv(s) => s.read_rows(f),
            Source::Workbook(w) => w.read_rows(table, f),
        }
    }

    /// Warnings found while reading the rows (e.g. lines in another encoding), once read.
    pub(crate) fn read_warnings(&mut self) -> Vec<String> {
        match &mut self.source {
            Source::Csv(s) => s.warnings(),
            Source::Workbook(w) => w.warnings(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_told_by_its_first_bytes() {
        assert_eq!(Content::sniff(b"PK\x03\x04rest"), Content::Zip);
        assert_eq!(
            Content::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Content::Ole
        );
        assert_eq!(
            Content::sniff(b"\xEF\xBB\xBF<!DOCTYPE html><html><table>"),
            Content::Html
        );
        assert_eq!(
            Content::sniff(b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">"),
            Content::SpreadsheetMl
        );
        assert_eq!(Content::sniff(b"\x89PNG\r\n\x1a\n\0\0"), Content::Binary);
        assert_eq!(Content::sniff(b"\xFF\xFEn\0a\0"), Content::Text);
        assert_eq!(Content::sniff(b"name,cost\n<b>,1\n"), Content::Text);
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt("abc", 80), "abc");
        assert_eq!(excerpt(&"x".repeat(100), 5), "xxxxx…");
        assert_eq!(excerpt("a\u{1b}[2Jb\0", 80), "a\\u{1b}[2Jb\\u{0}");
    }
}
