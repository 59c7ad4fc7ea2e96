//! Checks of a table's headers before any row is read: a field every create row needs that
//! only a look-alike header could fill, look-alike headers nothing maps, unknown columns, and
//! `--map` entries that name no column of any input.

use super::PlanError;
use crate::input::headers::{ColumnPlan, Field, HeaderMap, closest, looks_like};
use crate::input::{Input, column_letters};
use crate::kind::Kind;

/// Unknown headers that look like a field, as `"Csot" (column D) looks like cost`.
pub(super) fn near_misses(columns: &ColumnPlan, headers: &[String], only: &[Field]) -> Vec<String> {
    columns
        .unknown
        .iter()
        .filter_map(|&i| {
            let f = looks_like(&headers[i])?;
            only.contains(&f).then(|| {
                format!(
                    "{:?} (column {}) looks like {}",
                    headers[i],
                    column_letters(i),
                    f.name()
                )
            })
        })
        .collect()
}

/// Stops when a field every create row needs has no column but a header looks like it.
pub(super) fn check_required(
    place: &str,
    columns: &ColumnPlan,
    headers: &[String],
    kind: Option<Kind>,
) -> Result<(), PlanError> {
    let mut required = vec![Field::Name];
    if kind == Some(Kind::Stage) {
        required.push(Field::ApplyTo);
    }
    for field in required {
        if columns.fields.has(field) {
            continue;
        }
        let near = columns
            .unknown
            .iter()
            .find(|&&i| looks_like(&headers[i]) == Some(field));
        if let Some(&i) = near {
            return Err(PlanError(format!(
                "{place}: no {} column; {:?} (column {}) looks like it: rename it or map it with --map",
                field.name(),
                headers[i],
                column_letters(i)
            )));
        }
    }
    Ok(())
}

/// Stops when a column's header looks like a field that no column of the table fills
/// (`Csot`, `Cost (AUD)`, `Kosten`) and `--keep-column` does not name it: its values would
/// silently not be sent. Says both ways out.
pub(super) fn check_look_alikes(
    place: &str,
    columns: &ColumnPlan,
    headers: &[String],
) -> Result<(), PlanError> {
    let found: Vec<String> = columns
        .unknown
        .iter()
        .filter(|i| !columns.kept.contains(i))
        .filter_map(|&i| {
            let field = looks_like(&headers[i]).filter(|f| !columns.fields.has(*f))?;
            let shown = headers[i].split_whitespace().collect::<Vec<_>>().join(" ");
            Some(format!(
                "column {} {:?} looks like {} but is not read as it: map it (a --map file line {} = {shown:?}) or keep it as a column of its own (--keep-column {shown:?})",
                column_letters(i),
                headers[i],
                field.name(),
                field.name(),
            ))
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(PlanError(format!(
        "{place}: {}; nothing was sent",
        found.join("; ")
    )))
}

/// The note on columns no field uses, with a suggestion for those that look like one.
pub(super) fn unknown_columns(
    place: &str,
    columns: &ColumnPlan,
    headers: &[String],
) -> Option<String> {
    if columns.unknown.is_empty() {
        return None;
    }
    let list: Vec<String> = columns
        .unknown
        .iter()
        .map(
            |&i| match looks_like(&headers[i]).filter(|_| !columns.kept.contains(&i)) {
                Some(f) => format!(
                    "{} (looks like {}: rename it or map it with --map)",
                    headers[i],
                    f.name()
                ),
                None => headers[i].clone(),
            },
        )
        .collect();
    Some(format!(
        "{place}: columns kept as they are (not sent): {}",
        list.join(", ")
    ))
}

/// Every `--map` entry must name a column of some input of the run: a plain line (or a kind
/// table's) applies to the inputs whose headers it fits, and a line naming no column of one
/// file is no error for that file.
pub(crate) fn check_map(inputs: &[&Input], map: &HeaderMap) -> Result<(), PlanError> {
    let headers_of = |input: &Input| {
        let mut seen: Vec<String> = Vec::new();
        for t in &input.tables {
            for h in &t.headers {
                if !h.is_empty() && !seen.contains(h) {
                    seen.push(h.clone());
                }
            }
        }
        seen
    };
    let files: Vec<(&Input, Vec<String>)> = inputs.iter().map(|i| (*i, headers_of(i))).collect();
    for e in map.entries() {
        if files
            .iter()
            .any(|(_, seen)| seen.iter().any(|h| HeaderMap::names(e, h)))
        {
            continue;
        }
        let near = closest(
            &e.header,
            files
                .iter()
                .flat_map(|(_, seen)| seen.iter().map(String::as_str)),
        )
        .map(|c| format!("; the closest is {c:?}"))
        .unwrap_or_default();
        let message = match files.as_slice() {
            [(input, seen)] => format!(
                "{}: the --map entry {} names no column of the file; the headers are: {}{near}",
                input.path.display(),
                e.describe(),
                seen.join(", ")
            ),
            _ => format!(
                "the --map entry {} names no column of any input; the headers are: {}{near}",
                e.describe(),
                files
                    .iter()
                    .map(|(i, seen)| format!("{}: {}", i.path.display(), seen.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        return Err(PlanError(message));
    }
    Ok(())
}
