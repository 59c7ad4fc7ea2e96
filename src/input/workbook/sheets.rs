//! Which sheets of a workbook are read: the visible worksheets, or those `--sheet` names, and
//! a note for each sheet skipped (hidden, not a worksheet, or without a header row).

use std::path::Path;

use calamine::{Sheet, SheetType, SheetVisible};

use crate::input::InputError;
use crate::input::plan::place;

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
pub(super) fn visible_sheets(path: &Path, meta: &[Sheet], notes: &mut Vec<String>) -> Vec<String> {
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
pub(super) fn wanted_sheets(
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
pub(super) fn skip_headerless(
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
