//! Import templates: a file a user fills in and imports.
//!
//! A `.csv` template is one kind's header line (after a UTF-8 BOM, so that a spreadsheet
//! application opens and saves it as UTF-8). An `.xlsx` template has a "Lead Sources" and/or
//! "Lead Stages" sheet, each with a bold frozen header, drop-down lists for `isReferral` and
//! `applyTo`, and a note on each header with what the column takes and an example. There is no
//! example row: staff type their rows under the header, and an example row would be imported
//! as a record. (Earlier templates had one: [`EXAMPLE_NAME`] and [`EXAMPLE_COLOUR`] tell it.)

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::kind::Kind;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatBorder, Note, Workbook,
    Worksheet, XlsxError,
};

/// Why no template was written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(
        "{}: a CSV template holds one kind of record; choose it with --kind sources or --kind stages",
        path.display()
    )]
    KindNeeded { path: PathBuf },
    #[error("{}: a template is written as .csv or .xlsx", path.display())]
    UnsupportedExtension { path: PathBuf },
    #[error("{} already exists; a template never replaces a file", path.display())]
    Exists { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Xlsx { path: PathBuf, source: XlsxError },
}

/// The last worksheet row (0-based) that drop-down lists cover: every row below the header.
const LAST_ROW: u32 = 1_048_575;

/// Writes a template to `out`, by its extension (`.csv` or `.xlsx`, any case).
///
/// `kind` picks the records; `None` is allowed for `.xlsx` only (both sheets). The caller may
/// fill it from [`kind_from_file_name`]. An existing file is never replaced: the template is
/// built in memory and the file created only if it does not exist yet.
pub(crate) fn write_template(out: &Path, kind: Option<Kind>) -> Result<(), Error> {
    let extension = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let bytes = match (extension.as_deref(), kind) {
        (Some("csv"), Some(kind)) => csv_template(kind),
        (Some("csv"), None) => {
            return Err(Error::KindNeeded {
                path: out.to_path_buf(),
            });
        }
        (Some("xlsx"), kind) => {
            let kinds = match kind {
                Some(k) => vec![k],
                None => Kind::ALL.to_vec(),
            };
            xlsx_template(&kinds).map_err(|source| Error::Xlsx {
                path: out.to_path_buf(),
                source,
            })?
        }
        _ => {
            return Err(Error::UnsupportedExtension {
                path: out.to_path_buf(),
            });
        }
    };
    let io_error = |source: io::Error| match source.kind() {
        io::ErrorKind::AlreadyExists => Error::Exists {
            path: out.to_path_buf(),
        },
        _ => Error::Io {
            path: out.to_path_buf(),
            source,
        },
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(io_error)?;
    file.write_all(&bytes).map_err(io_error)?;
    file.sync_all().map_err(io_error)
}

/// The kind a file's name asks for: the word `source(s)` or `stage(s)` in its stem, any case,
/// as a whole word (`Lead Sources.csv`, `lead-stages.xlsx`, `LeadSources.xlsx`). `None` when
/// it has neither or both.
pub(crate) fn kind_from_file_name(path: &Path) -> Option<Kind> {
    let stem = path.file_stem()?.to_string_lossy();
    let words: Vec<String> = words(&stem).iter().map(|w| w.to_lowercase()).collect();
    let named: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| {
            let i = k.info();
            words.iter().any(|w| w == i.word || w == i.cli)
        })
        .collect();
    match named.as_slice() {
        [k] => Some(*k),
        _ => None,
    }
}

/// Words of a file stem: runs of letters and digits, also split where a lower-case letter is
/// followed by an upper-case one (`LeadSources`).
fn words(stem: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for run in stem.split(|c: char| !c.is_alphanumeric()) {
        let mut start = 0;
        let mut prev_lower = false;
        for (i, c) in run.char_indices() {
            if prev_lower && c.is_uppercase() {
                out.push(&run[start..i]);
                start = i;
            }
            prev_lower = c.is_lowercase();
        }
        if start < run.len() {
            out.push(&run[start..]);
        }
    }
    out
}

fn csv_template(kind: Kind) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    // Writing to a Vec cannot fail.
    let _ = crate::results::writer::CsvLine::record(&mut bytes, kind.info().template_headers);
    bytes
}

fn xlsx_template(kinds: &[Kind]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    for kind in kinds {
        let sheet = workbook.add_worksheet();
        sheet.set_name(kind.info().sheet)?;
        fill_sheet(sheet, *kind)?;
    }
    workbook.save_to_buffer()
}

/// The name and colour of the example row earlier templates carried (with the description
/// "Enquiries from the website form" for sources, applyTo opportunity for stages): a row that
/// still holds them is a problem, not a record.
pub(crate) const EXAMPLE_NAME: &str = "Website";
pub(crate) const EXAMPLE_COLOUR: &str = "#1f77b4";
pub(crate) const EXAMPLE_DESCRIPTION: &str = "Enquiries from the website form";

/// What each column holds: its width, and the note on its header (what it takes, with an
/// example).
fn column(name: &str) -> (f64, &'static str) {
    match name {
        "name" => (
            28.0,
            "The record's name (required for a new record), e.g. Website.",
        ),
        "description" => (44.0, "Free text, e.g. Enquiries from the website form."),
        "cost" => (
            10.0,
            "An amount with a decimal point and no thousands separator, e.g. 250 or 1200.50.",
        ),
        "colour" => (
            12.0,
            "A colour as #rrggbb, e.g. #1f77b4 (rrggbb and #rgb are accepted too).",
        ),
        "isReferral" => (12.0, "yes or no, e.g. no."),
        "applyTo" => (14.0, "opportunity or lead, e.g. opportunity."),
        _ => (12.0, ""),
    }
}

fn fill_sheet(sheet: &mut Worksheet, kind: Kind) -> Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF3F5F7))
        .set_border_bottom(FormatBorder::Thin);
    for (c, name) in kind.info().template_headers.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        let (width, note) = column(name);
        sheet.write_string_with_format(0, c, *name, &header)?;
        sheet.set_column_width(c, width)?;
        if !note.is_empty() {
            let text = note;
            let note = Note::new(text)
                .add_author_prefix(false)
                .set_author("ivvy-import")
                .set_width(260)
                .set_height(60);
            sheet.insert_note(0, c, &note)?;
        }
        let list = match *name {
            "isReferral" => Some((
                ["yes", "no"],
                "isReferral takes yes or no (true/false, y/n and 1/0 are accepted too).",
            )),
            "applyTo" => Some((
                ["opportunity", "lead"],
                "applyTo takes opportunity or lead (1 and 2 are accepted too).",
            )),
            _ => None,
        };
        if let Some((values, message)) = list {
            // A warning, not a stop: the importer accepts other spellings too.
            let validation = DataValidation::new()
                .allow_list_strings(&values[..])?
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_title(format!("{name}?"))?
                .set_error_message(message)?;
            sheet.add_data_validation(1, c, LAST_ROW, c, &validation)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests;
