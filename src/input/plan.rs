//! A file's tables → how each is read: its kind (from the sheet name, a `kind` column, the
//! headers, or `--kind` when none of those tells), its columns, and the results columns its
//! cells fill. Tables that cannot be told apart from notes and lists are skipped when others
//! can.

use std::path::Path;
use std::sync::Arc;

use super::headers::{ColumnPlan, Field, HeaderMap, ValueRules, plan};
use super::{Input, Table, column_letters};
use crate::kind::Kind;

mod checks;

pub(crate) use checks::check_map;
use checks::{check_look_alikes, check_required, near_misses, unknown_columns};

/// A table that cannot be used as it is laid out.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// Where a table's kind comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KindSource {
    Fixed(Kind),
    /// A `kind` column (a mixed file, such as a results file fed back in).
    Column(usize),
}

/// How one table of a file is read.
pub(crate) struct TablePlan {
    pub sheet: Arc<str>,
    pub kind: KindSource,
    pub columns: ColumnPlan,
    pub width: usize,
    pub rows_hint: Option<u64>,
    /// For each echoed results column, the table's column that fills it.
    pub slots: Vec<Option<usize>>,
    /// For each field (by [`Field`] order), the echoed results column holding its cell.
    field_slots: [Option<usize>; Field::ALL.len()],
}

impl TablePlan {
    /// The echoed results column holding `field`'s cell, if the field has a column.
    pub(crate) fn field_slot(&self, field: Field) -> Option<usize> {
        self.field_slots[field as usize]
    }
}

/// What a table's own layout says of its kind.
enum Told {
    /// The sheet name or the headers say it; why, in words; whether `--kind` may still
    /// decide (only a `description` column says sources: stage sheets carry notes too).
    Kind(Kind, String, bool),
    /// A `kind` column.
    Column(usize),
    /// Source columns and a stage column both.
    Both,
    Nothing,
}

fn told(sheet: Option<&str>, columns: &ColumnPlan, headers: &[String]) -> Told {
    if let Some(s) = sheet
        && let Some(k) = Kind::parse(s)
    {
        return Told::Kind(
            k,
            format!("the sheet name {s:?} says {}", k.plural()),
            false,
        );
    }
    if let Some((i, _)) = columns.fields.get(Field::Kind) {
        return Told::Column(i);
    }
    let f = &columns.fields;
    let header = |field| f.get(field).map(|(i, _)| headers[i].as_str());
    let source: Vec<&str> = [Field::Cost, Field::IsReferral, Field::Description]
        .into_iter()
        .filter_map(header)
        .collect();
    let stage: Vec<&str> = header(Field::ApplyTo).into_iter().collect();
    let says = |k: Kind, cols: &[&str]| {
        Told::Kind(
            k,
            format!("the headers look like {} ({})", k.plural(), cols.join(", ")),
            cols == [header(Field::Description).unwrap_or_default()],
        )
    };
    match (source.is_empty(), stage.is_empty()) {
        (false, true) => says(Kind::Source, &source),
        (true, false) => says(Kind::Stage, &stage),
        (false, false) => Told::Both,
        (true, true) => Told::Nothing,
    }
}

fn kind_arg(k: Kind) -> &'static str {
    k.info().cli
}

/// `file` or `file (sheet "X")`.
pub(crate) fn place(path: &Path, sheet: Option<&str>) -> String {
    match sheet {
        Some(s) => format!("{} (sheet {s:?})", path.display()),
        None => path.display().to_string(),
    }
}

/// Gives each column without a header a generated one (`column F`), so its cells are echoed,
/// never dropped. The reader says which rows hold them, once they are read
/// (`source::Headerless`).
fn name_headerless(input: &mut Input) {
    for t in &mut input.tables {
        t.headerless.clear();
        for (i, h) in t.headers.iter_mut().enumerate() {
            if h.trim().is_empty() {
                *h = format!("column {}", column_letters(i));
                t.headerless.push(i);
            }
        }
    }
}

/// A file's table plans, its echoed headers, and warnings for the user.
pub(crate) type FilePlan = (Vec<TablePlan>, Vec<String>, Vec<String>);

/// Plans how each of a file's tables is read. Tables that are skipped (their kind or use
/// cannot be told while another table's can) are taken out of `input.tables`, with a line in
/// `input.notes` naming each.
pub(crate) fn plan_file(
    input: &mut Input,
    given: Option<Kind>,
    map: &HeaderMap,
    decimal_comma: bool,
) -> Result<FilePlan, PlanError> {
    name_headerless(input);
    let rules = ValueRules {
        decimal_comma,
        wrong_kind: None,
    };
    // Per table: its plan, or why it cannot be read (kept for the message).
    let mut planned: Vec<Result<TablePlan, String>> = Vec::new();
    let mut usable = 0;
    for table in &input.tables {
        let p = plan_table(&input.path, table, given, map, &rules)?;
        // A table with neither a name nor an id column holds no row that could be sent: in a
        // workbook with data sheets, it is a list or a note.
        if p.as_ref().is_ok_and(has_name_or_id) {
            usable += 1;
        }
        planned.push(p);
    }
    if usable == 0
        && let Some(Err(message)) = planned.iter().find(|p| p.is_err())
    {
        return Err(PlanError(message.clone()));
    }
    let mut warnings = Vec::new();
    let mut plans = keep_read(input, planned, usable, &mut warnings);
    for (p, table) in plans.iter().zip(&input.tables) {
        let place = place(&input.path, table.sheet.as_deref());
        check_look_alikes(&place, &p.columns, &table.headers)?;
    }
    let echo = echo_columns(&mut plans, &input.tables);
    Ok((plans, echo, warnings))
}

fn has_name_or_id(p: &TablePlan) -> bool {
    p.columns.fields.has(Field::Name) || p.columns.fields.has(Field::Id)
}

/// How one table is read; Err inside when its kind cannot be told (the message, for when no
/// table of the file can be read).
fn plan_table(
    path: &Path,
    table: &Table,
    given: Option<Kind>,
    map: &HeaderMap,
    rules: &ValueRules,
) -> Result<Result<TablePlan, String>, PlanError> {
    let place = place(path, table.sheet.as_deref());
    let headers = &table.headers;
    let clash = |columns: &ColumnPlan| match columns.clashes.first() {
        Some(c) => Err(PlanError(format!(
            "{place}: columns {} ({:?}) and {} ({:?}) both map to {}: rename or remove one, or map one with --map",
            column_letters(c.first),
            headers[c.first],
            column_letters(c.second),
            headers[c.second],
            c.field.name()
        ))),
        None => Ok(()),
    };
    // With kind tables in the map, the whole map tells the table's kind, and that kind's
    // map reads its columns.
    let mut columns = plan(headers, map);
    if !map.has_kinds() {
        clash(&columns)?;
    }
    columns.fields.rules = rules.clone();
    let kind = match (told(table.sheet.as_deref(), &columns, headers), given) {
        (Told::Kind(k, _, _), None) => KindSource::Fixed(k),
        (Told::Kind(k, _, weak), Some(g)) if k == g || weak => KindSource::Fixed(g),
        // --kind never turns a recognised table into the other kind: its rows are
        // checked as what they are and none is sent.
        (Told::Kind(k, why, _), Some(g)) => {
            columns.fields.rules.wrong_kind = Some(format!(
                "{why}, but --kind {} was given: nothing of this table is sent; fix --kind or the headers",
                kind_arg(g)
            ));
            KindSource::Fixed(k)
        }
        (Told::Column(i), _) => KindSource::Column(i),
        (Told::Both | Told::Nothing, Some(g)) => KindSource::Fixed(g),
        (told, None) => return Ok(Err(undecided(&place, &told, &columns, headers))),
    };
    let fixed = match kind {
        KindSource::Fixed(k) => Some(k),
        KindSource::Column(_) => None,
    };
    if map.has_kinds() {
        if let Some(k) = fixed {
            let rules = columns.fields.rules.clone();
            columns = plan(headers, map.for_kind(k));
            columns.fields.rules = rules;
        }
        clash(&columns)?;
    }
    check_required(&place, &columns, headers, fixed)?;
    Ok(Ok(TablePlan {
        sheet: Arc::from(table.sheet.as_deref().unwrap_or("")),
        kind,
        width: headers.len(),
        rows_hint: table.rows_hint,
        columns,
        slots: Vec::new(),
        field_slots: [None; Field::ALL.len()],
    }))
}

/// Why a table's kind cannot be told, with the headers that look like a telling field.
fn undecided(place: &str, told: &Told, columns: &ColumnPlan, headers: &[String]) -> String {
    let why = if matches!(told, Told::Both) {
        "it has both source columns (cost/isReferral/description) and a stage column (applyTo)"
            .to_string()
    } else {
        "no sheet name, kind column, or kind-specific column (cost, isReferral, applyTo) says"
            .to_string()
    };
    let hints = near_misses(
        columns,
        headers,
        &[
            Field::Cost,
            Field::IsReferral,
            Field::ApplyTo,
            Field::Description,
        ],
    );
    let hints = if hints.is_empty() {
        String::new()
    } else {
        format!(" ({})", hints.join("; "))
    };
    format!(
        "{place}: cannot tell whether the rows are lead sources or lead stages: {why}. Headers seen: {}{hints}. Use --kind sources|stages",
        headers.join(", ")
    )
}

/// Keeps the tables that are read, taking the others out of `input.tables` with a note
/// naming each; the plans of those kept, and warnings on their unknown columns.
fn keep_read(
    input: &mut Input,
    planned: Vec<Result<TablePlan, String>>,
    usable: usize,
    warnings: &mut Vec<String>,
) -> Vec<TablePlan> {
    let mut keep = Vec::with_capacity(planned.len());
    let mut plans = Vec::new();
    for (table, p) in input.tables.iter().zip(planned) {
        let place = place(&input.path, table.sheet.as_deref());
        match p {
            Ok(p) if usable == 0 || has_name_or_id(&p) => {
                if let Some(w) = unknown_columns(&place, &p.columns, &table.headers) {
                    warnings.push(w);
                }
                keep.push(true);
                plans.push(p);
            }
            Ok(_) => {
                keep.push(false);
                input.notes.push(format!(
                    "{place}: skipped: it has no name or id column (headers: {})",
                    table.headers.join(", ")
                ));
            }
            Err(_) => {
                keep.push(false);
                input.notes.push(format!(
                    "{place}: skipped: cannot tell whether its rows are lead sources or lead stages (headers: {}); use --kind to read it",
                    table.headers.join(", ")
                ));
            }
        }
    }
    let mut k = keep.iter();
    input.tables.retain(|_| k.next().copied().unwrap_or(false));
    plans
}

/// The results columns: the union of the tables' echoed headers in first-seen order, a
/// header that appears twice in one table taking two columns. Fills each plan's `slots`.
fn echo_columns(plans: &mut [TablePlan], tables: &[Table]) -> Vec<String> {
    let mut echo: Vec<(String, usize)> = Vec::new();
    let mut table_keys: Vec<Vec<(String, usize)>> = Vec::new();
    for (p, table) in plans.iter().zip(tables) {
        let mut keys = Vec::with_capacity(p.columns.echo.len());
        for &i in &p.columns.echo {
            let h = &table.headers[i];
            let nth = keys
                .iter()
                .filter(|(k, _): &&(String, usize)| k == h)
                .count();
            let key = (h.clone(), nth);
            if !echo.contains(&key) {
                echo.push(key.clone());
            }
            keys.push(key);
        }
        table_keys.push(keys);
    }
    for (p, keys) in plans.iter_mut().zip(table_keys) {
        p.slots = echo
            .iter()
            .map(|e| {
                keys.iter()
                    .position(|k| k == e)
                    .map(|at| p.columns.echo[at])
            })
            .collect();
        for f in Field::ALL {
            p.field_slots[f as usize] = p
                .columns
                .fields
                .get(f)
                .and_then(|(column, _)| p.slots.iter().position(|s| *s == Some(column)));
        }
    }
    echo.into_iter().map(|(h, _)| h).collect()
}
