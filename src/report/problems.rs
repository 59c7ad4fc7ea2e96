//! Reading a finished results CSV back: its lines, each line's problems, and the short label
//! that lets the same problem on many rows be counted once. The HTML report and the results
//! workbook both read results files through this, so they count and name problems alike.
//!
//! This file opens a results file and reads its lines; `label` finds a line's problems and
//! labels them, `tally` counts rows by status and by problem.

mod label;
mod tally;

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use label::{LineProblem, line_problems};

pub(crate) use tally::{ProblemCount, Tally};

use crate::outcome::RESULT_COLUMNS;

/// One of the results file's own columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fixed {
    Row,
    Sheet,
    Kind,
    Status,
    Id,
    ErrorCode,
    SpecificCode,
    Error,
}

impl Fixed {
    const ALL: [Fixed; 8] = [
        Fixed::Row,
        Fixed::Sheet,
        Fixed::Kind,
        Fixed::Status,
        Fixed::Id,
        Fixed::ErrorCode,
        Fixed::SpecificCode,
        Fixed::Error,
    ];

    fn name(self) -> &'static str {
        RESULT_COLUMNS[self as usize]
    }
}

/// A results CSV opened for reading, line by line (memory stays flat however long it is).
///
/// The header is checked on opening: `row`, `status` and `error` must be there (found by
/// name, ignoring case and surrounding spaces); every column that is not one of
/// [`RESULT_COLUMNS`] is an echoed column of the user's. A UTF-8 BOM is skipped; bytes that are
/// not UTF-8 are replaced, not refused, since the file is only being reported on.
pub(crate) struct ResultsFile {
    reader: csv::Reader<BufReader<File>>,
    headers: Vec<String>,
    fixed: [Option<usize>; 8],
    record: csv::ByteRecord,
}

impl ResultsFile {
    pub(crate) fn open(path: &Path) -> io::Result<ResultsFile> {
        let file = File::open(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(BufReader::new(file));
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(csv_error)?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let mut fixed = [None; 8];
        for f in Fixed::ALL {
            fixed[f as usize] = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(f.name()));
        }
        let missing: Vec<&str> = [Fixed::Row, Fixed::Status, Fixed::Error]
            .into_iter()
            .filter(|f| fixed[*f as usize].is_none())
            .map(Fixed::name)
            .collect();
        if !missing.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not a results file: its header has no {} column",
                    missing.join(", ")
                ),
            ));
        }
        Ok(ResultsFile {
            reader,
            headers,
            fixed,
            record: csv::ByteRecord::new(),
        })
    }

    /// The header line, every column, as the file names them.
    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Where one of the results file's own columns is, if the file has it.
    pub(crate) fn column(&self, f: Fixed) -> Option<usize> {
        self.fixed[f as usize]
    }

    /// Whether the column at `index` is the user's own (echoed) rather than a results column.
    pub(crate) fn is_echoed(&self, index: usize) -> bool {
        !self.fixed.contains(&Some(index))
    }

    /// Reads the next line into `line` (one string per header column, missing cells empty,
    /// extra cells dropped). False at the end of the file.
    pub(crate) fn next_line(&mut self, line: &mut Vec<String>) -> io::Result<bool> {
        if !self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?
        {
            return Ok(false);
        }
        line.resize(self.headers.len(), String::new());
        for (i, cell) in line.iter_mut().enumerate() {
            cell.clear();
            if let Some(bytes) = self.record.get(i) {
                cell.push_str(&String::from_utf8_lossy(bytes));
            }
        }
        Ok(true)
    }

    /// One of the results columns of a line read by [`ResultsFile::next_line`]; empty when the
    /// file has no such column.
    pub(crate) fn get<'a>(&self, line: &'a [String], f: Fixed) -> &'a str {
        self.column(f)
            .and_then(|i| line.get(i))
            .map_or("", String::as_str)
    }

    /// The problems a line's `error` cell holds (see [`line_problems`]).
    pub(crate) fn problems<'a>(&self, line: &'a [String]) -> Vec<LineProblem<'a>> {
        line_problems(
            &self.headers,
            self.get(line, Fixed::Status),
            self.get(line, Fixed::Error),
            self.get(line, Fixed::ErrorCode),
            self.get(line, Fixed::SpecificCode),
        )
    }
}

fn csv_error(e: csv::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The header of a results file with these echoed columns (tests).
#[cfg(test)]
pub(super) fn test_headers(names: &[&str]) -> Vec<String> {
    RESULT_COLUMNS
        .iter()
        .chain(names)
        .map(ToString::to_string)
        .collect()
}
