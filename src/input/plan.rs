//! A file's tables → how each is read: its kind (given, from the sheet name, a `kind` column,
//! or the headers), its columns, and the results columns its cells fill.

use std::path::Path;
use std::sync::Arc;

use super::Input;
use super::headers::{ColumnPlan, Field, HeaderMap, plan};
use crate::kind::Kind;

/// A table that cannot be used as it is laid out.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// Where a table's kind comes from.
#[derive(Debug, Clone, Copy)]
pub enum KindSource {
    Fixed(Kind),
    /// A `kind` column (a mixed file, such as a results file fed back in).
    Column(usize),
}

/// How one table of a file is read.
pub struct TablePlan {
    pub sheet: Arc<str>,
    pub kind: KindSource,
    pub columns: ColumnPlan,
    pub width: usize,
    pub rows_hint: Option<u64>,
    /// For each echoed results column, the table's column that fills it.
    pub slots: Vec<Option<usize>>,
}

fn resolve_kind(
    given: Option<Kind>,
    sheet: Option<&str>,
    columns: &ColumnPlan,
    headers: &[String],
    path: &Path,
) -> Result<KindSource, PlanError> {
    if let Some(k) = given {
        return Ok(KindSource::Fixed(k));
    }
    if let Some(k) = sheet.and_then(Kind::parse) {
        return Ok(KindSource::Fixed(k));
    }
    if let Some((i, _)) = columns.fields.get(Field::Kind) {
        return Ok(KindSource::Column(i));
    }
    let f = &columns.fields;
    let stage_like = f.has(Field::ApplyTo);
    let source_like = f.has(Field::Cost) || f.has(Field::IsReferral) || f.has(Field::Description);
    match (source_like, stage_like) {
        (true, false) => Ok(KindSource::Fixed(Kind::Source)),
        (false, true) => Ok(KindSource::Fixed(Kind::Stage)),
        _ => {
            let place = match sheet {
                Some(s) => format!("{}, sheet {s:?}", path.display()),
                None => path.display().to_string(),
            };
            let why = if source_like {
                "it has both source columns (cost/isReferral/description) and a stage column (applyTo)"
            } else {
                "no sheet name, kind column, or kind-specific column (cost, isReferral, applyTo) says"
            };
            Err(PlanError(format!(
                "{place}: cannot tell whether the rows are lead sources or lead stages: {why}. Headers seen: {}. Use --kind sources|stages",
                headers.join(", ")
            )))
        }
    }
}

/// Reads a file's tables and plans how each is used.
/// A file's table plans, its echoed headers, and warnings for the user.
type FilePlan = (Vec<TablePlan>, Vec<String>, Vec<String>);

pub fn plan_file(
    input: &Input,
    given: Option<Kind>,
    map: &HeaderMap,
) -> Result<FilePlan, PlanError> {
    let mut echo: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    let mut plans = Vec::new();
    for table in &input.tables {
        let columns = plan(&table.headers, map);
        let kind = resolve_kind(
            given,
            table.sheet.as_deref(),
            &columns,
            &table.headers,
            &input.path,
        )?;
        let place = match &table.sheet {
            Some(s) => format!("{} (sheet {s:?})", input.path.display()),
            None => input.path.display().to_string(),
        };
        if !columns.unknown.is_empty() {
            warnings.push(format!(
                "{place}: columns kept as they are (not sent): {}",
                columns.unknown.join(", ")
            ));
        }
        if !columns.repeated.is_empty() {
            warnings.push(format!(
                "{place}: columns naming a field already taken by an earlier column (not sent): {}",
                columns.repeated.join(", ")
            ));
        }
        for &i in &columns.echo {
            let h = &table.headers[i];
            if !echo.contains(h) {
                echo.push(h.clone());
            }
        }
        plans.push(TablePlan {
            sheet: Arc::from(table.sheet.as_deref().unwrap_or("")),
            kind,
            width: table.headers.len(),
            rows_hint: table.rows_hint,
            columns,
            slots: Vec::new(),
        });
    }
    for (p, table) in plans.iter_mut().zip(&input.tables) {
        p.slots = echo
            .iter()
            .map(|h| {
                p.columns
                    .echo
                    .iter()
                    .copied()
                    .find(|&i| &table.headers[i] == h)
            })
            .collect();
    }
    Ok((plans, echo, warnings))
}
