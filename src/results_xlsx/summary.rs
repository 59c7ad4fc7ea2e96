//! The workbook's Summary sheet: the input it is about, rows by status and by problem, with
//! what to do next.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatBorder, Worksheet, XlsxError};

use super::XlsxSummary;
use super::cells::{column_width, fit, text_width};
use crate::results::tally::ProblemCount;

/// The files a workbook is about.
pub(super) struct Files<'a> {
    pub(super) input: &'a Path,
    pub(super) results_csv: &'a Path,
}

pub(super) fn write_summary(
    sheet: &mut Worksheet,
    files: &Files<'_>,
    summary: &XlsxSummary,
    problems: &[ProblemCount],
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF3F5F7))
        .set_border_bottom(FormatBorder::Thin);
    let muted = Format::new().set_font_color(Color::RGB(0x57606A));
    let name = files.input.file_name().map_or_else(
        || files.input.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    sheet.write_string_with_format(0, 0, fit(&format!("Results of {name}")), &title)?;
    let where_from = format!(
        "input: {}; results CSV: {}",
        files.input.display(),
        files.results_csv.display()
    );
    sheet.write_string_with_format(1, 0, fit(&where_from), &muted)?;
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
    sheet.write_string_with_format(r, 3, "What to do next", &head)?;
    if problems.is_empty() {
        r += 1;
        sheet.write_string_with_format(r, 0, "No problems.", &muted)?;
    }
    let mut label_width = 20;
    let mut first_width = 20;
    for p in problems {
        r += 1;
        sheet.write_string(r, 0, fit(p.label.as_str()))?;
        sheet.write_number(r, 1, p.rows as f64)?;
        sheet.write_string(r, 2, fit(&p.first))?;
        sheet.write_string(r, 3, p.remedy.plain())?;
        label_width = label_width.max(text_width(p.label.as_str()));
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
    sheet.set_column_width(3, 60)?;
    Ok(())
}
