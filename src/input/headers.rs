//! Header names → fields: built-in aliases, a mapping file, and a results file's own columns;
//! finding the header row below title rows; headers that look like a field's name.

use crate::kind::normalise;
use crate::outcome::{RESULT_COLUMNS, own_columns};

/// The fields a column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Id,
    Name,
    Description,
    Cost,
    Colour,
    IsReferral,
    ApplyTo,
    /// The `kind` column of a mixed file (for example a results file fed back in).
    Kind,
}

impl Field {
    pub(crate) const ALL: [Field; 8] = [
        Field::Id,
        Field::Name,
        Field::Description,
        Field::Cost,
        Field::Colour,
        Field::IsReferral,
        Field::ApplyTo,
        Field::Kind,
    ];

    /// The field's name as the API and the README spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::Description => "description",
            Field::Cost => "cost",
            Field::Colour => "colour",
            Field::IsReferral => "isReferral",
            Field::ApplyTo => "applyTo",
            Field::Kind => "kind",
        }
    }

    /// The headers that name the field, in their normalised form.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["id"],
            Field::Name => &["name"],
            Field::Description => &["description"],
            Field::Cost => &["cost"],
            Field::Colour => &["colour", "color"],
            Field::IsReferral => &["isreferral", "referral"],
            Field::ApplyTo => &["applyto"],
            Field::Kind => &["kind"],
        }
    }
}

/// How a table's values are read, beyond where they are: what validation needs to know of
/// the file and the run.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueRules {
    /// `--decimal-comma`: costs use `,` as the decimal mark and `.`/space as thousands groups.
    pub decimal_comma: bool,
    /// Why no row of the table may be sent (its sheet or headers say the other kind than
    /// `--kind`): the first problem of every row.
    pub wrong_kind: Option<String>,
}

/// Where each field lives in a table's columns, and how its values are read.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldColumns {
    /// For each field, the column index and the header text.
    cols: [Option<(usize, String)>; 8],
    pub rules: ValueRules,
}

impl FieldColumns {
    pub(crate) fn set(&mut self, field: Field, index: usize, header: &str) {
        self.cols[field as usize] = Some((index, header.to_string()));
    }
    pub(crate) fn get(&self, field: Field) -> Option<(usize, &str)> {
        self.cols[field as usize]
            .as_ref()
            .map(|(i, h)| (*i, h.as_str()))
    }
    pub(crate) fn has(&self, field: Field) -> bool {
        self.cols[field as usize].is_some()
    }
}

/// The field a header names by the built-in aliases.
pub(crate) fn alias(header: &str) -> Option<Field> {
    let n = normalise(header);
    Field::ALL
        .into_iter()
        .find(|f| f.aliases().contains(&n.as_str()))
}

fn field_by_name(name: &str) -> Option<Field> {
    alias(name)
}

/// Field names as spreadsheets in other languages head them (German, French, Dutch, Spanish,
/// Italian, Portuguese), normalised.
const FOREIGN: &[(&str, Field)] = &[
    ("nombre", Field::Name),
    ("nom", Field::Name),
    ("naam", Field::Name),
    ("nome", Field::Name),
    ("bezeichnung", Field::Name),
    ("beschreibung", Field::Description),
    ("descripción", Field::Description),
    ("descripcion", Field::Description),
    ("beschrijving", Field::Description),
    ("descrizione", Field::Description),
    ("descrição", Field::Description),
    ("kosten", Field::Cost),
    ("coste", Field::Cost),
    ("costo", Field::Cost),
    ("coût", Field::Cost),
    ("cout", Field::Cost),
    ("custo", Field::Cost),
    ("farbe", Field::Colour),
    ("couleur", Field::Colour),
    ("kleur", Field::Colour),
    ("colore", Field::Colour),
    ("cor", Field::Colour),
];

/// The field an unrecognised header probably means: a field's name with a unit or a note in
/// brackets (`Cost (AUD)`, `Cost\n(AUD)`), in another language (`Kosten`, `Couleur`), or a
/// misspelling or near form of one of a field's names (`Nmae`, `Csot`, `Apply`). Compared in
/// the normalised form; Damerau–Levenshtein distance at most 2 (at most 1 for names of four
/// letters or fewer, so `Date` is not taken for `name`) or Jaro–Winkler similarity at least
/// 0.9. `id` is too short to guess.
pub(crate) fn looks_like(header: &str) -> Option<Field> {
    let n = normalise(header);
    let len = n.chars().count();
    if len < 3 || alias(header).is_some() {
        return None;
    }
    if let Some(stem) = n.split(['(', '[']).next()
        && stem.len() < n.len()
        && let Some(f) = alias(stem).or_else(|| foreign(stem))
    {
        return Some(f);
    }
    if let Some(f) = foreign(&n) {
        return Some(f);
    }
    let mut best: Option<(Field, usize, f64)> = None;
    for f in Field::ALL {
        for a in f.aliases() {
            let alen = a.chars().count();
            if alen < 3 {
                continue;
            }
            let dl = strsim::damerau_levenshtein(&n, a);
            let jw = strsim::jaro_winkler(&n, a);
            let max_dl = if alen <= 4 { 1 } else { 2 };
            if dl > max_dl && jw < 0.9 {
                continue;
            }
            let better = best.is_none_or(|(_, bdl, bjw)| dl < bdl || (dl == bdl && jw > bjw));
            if better {
                best = Some((f, dl, jw));
            }
        }
    }
    best.map(|(f, _, _)| f)
}

/// The field a normalised header names in another language.
fn foreign(n: &str) -> Option<Field> {
    FOREIGN.iter().find(|(w, _)| *w == n).map(|&(_, f)| f)
}

/// The candidate most like `target` (Jaro–Winkler on the normalised forms), if any.
pub(crate) fn closest<'a>(
    target: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let t = normalise(target);
    candidates
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| (strsim::jaro_winkler(&t, &normalise(c)), c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The field a header names: the map first, then the built-in aliases.
pub(crate) fn recognised(header: &str, map: &HeaderMap) -> Option<Field> {
    map.field(header).or_else(|| alias(header))
}

/// How many rows below the first non-blank one are searched for the header.
pub(crate) const HEADER_SEARCH_ROWS: usize = 20;

/// Where the header of a table is among its first rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderAt {
    /// Index into the rows given to [`find_header`].
    pub index: usize,
    /// The header is below title rows (not the first non-blank row): say so.
    pub below_title: bool,
}

/// Why no header row was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoHeader {
    /// Every row given is blank.
    Blank,
    /// No row looks like a header; the first non-blank row's cells.
    NotFound { first: Vec<String> },
}

/// How many distinct fields a row's cells name.
fn recognised_count(row: &[String], map: &HeaderMap) -> usize {
    let mut seen = [false; 8];
    for c in row {
        if let Some(f) = recognised(c, map) {
            seen[f as usize] = true;
        }
    }
    seen.iter().filter(|s| **s).count()
}

/// Finds the header among a table's first rows (`rows`: each row's cells as text, in order,
/// blank rows included; give at least [`HEADER_SEARCH_ROWS`] + 1 rows after the first non-blank
/// one when the table has them). The first non-blank row is the header when it names at least
/// two fields, or one and no later row does better; else the first of the next
/// [`HEADER_SEARCH_ROWS`] rows that names at least two fields (title rows above a header, as
/// exports write them). Names count by the built-in aliases and the map's headers.
pub(crate) fn find_header(rows: &[Vec<String>], map: &HeaderMap) -> Result<HeaderAt, NoHeader> {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let Some(first) = rows.iter().position(|r| !blank(r)) else {
        return Err(NoHeader::Blank);
    };
    let first_count = recognised_count(&rows[first], map);
    if first_count >= 2 {
        return Ok(HeaderAt {
            index: first,
            below_title: false,
        });
    }
    let later = rows
        .iter()
        .enumerate()
        .skip(first + 1)
        .take(HEADER_SEARCH_ROWS)
        .find(|(_, r)| recognised_count(r, map) >= 2)
        .map(|(i, _)| i);
    match later {
        Some(index) => Ok(HeaderAt {
            index,
            below_title: true,
        }),
        None if first_count == 1 => Ok(HeaderAt {
            index: first,
            below_title: false,
        }),
        None => Err(NoHeader::NotFound {
            first: rows[first].iter().map(|c| c.trim().to_string()).collect(),
        }),
    }
}

/// Two columns that map to the same field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clash {
    pub field: Field,
    pub first: usize,
    pub second: usize,
}

/// How a table's columns are used.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnPlan {
    pub fields: FieldColumns,
    /// Column indexes echoed into the results, in input order.
    pub echo: Vec<usize>,
    /// Columns no field uses (echoed), for the one warning.
    pub unknown: Vec<usize>,
    /// Unknown columns `--keep-column` names: kept although they look like a field's.
    pub kept: Vec<usize>,
    /// Columns that map to a field an earlier column already took.
    pub clashes: Vec<Clash>,
    /// The table is a results file fed back in.
    pub is_results_file: bool,
}

/// Maps a table's headers to fields: the mapping file wins for the headers it names, then the
/// built-in aliases. A results file's own columns are recognised and not echoed.
pub(crate) fn plan(headers: &[String], map: &HeaderMap) -> ColumnPlan {
    let own = own_columns(headers);
    let is_results_file = own > 0;
    let mut p = ColumnPlan {
        is_results_file,
        ..ColumnPlan::default()
    };
    for (i, h) in headers.iter().enumerate() {
        if is_results_file && i < RESULT_COLUMNS.len() {
            match RESULT_COLUMNS[i] {
                "id" => p.fields.set(Field::Id, i, h),
                "kind" => p.fields.set(Field::Kind, i, h),
                _ => {}
            }
            continue;
        }
        // The tool's other columns (changes, sent, checksum) are never echoed.
        if i < own {
            continue;
        }
        if h.is_empty() {
            continue;
        }
        match recognised(h, map) {
            Some(f) if !p.fields.has(f) => {
                p.fields.set(f, i, h);
                if f != Field::Id {
                    p.echo.push(i);
                }
            }
            // A results file echoes the input's own kind column after its fixed one.
            Some(Field::Kind | Field::Id) if is_results_file => p.echo.push(i),
            Some(f) => {
                let first = p.fields.get(f).map_or(i, |(c, _)| c);
                p.clashes.push(Clash {
                    field: f,
                    first,
                    second: i,
                });
            }
            None => {
                p.unknown.push(i);
                p.echo.push(i);
                if map.keeps(h) {
                    p.kept.push(i);
                }
            }
        }
    }
    p
}

mod map;
#[cfg(test)]
mod tests;

pub(crate) use map::HeaderMap;
#[cfg(test)]
use map::MapError;
