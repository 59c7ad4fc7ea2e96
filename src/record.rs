//! Typed lead source / lead stage records and the validation that turns a row's cells into one.
//!
//! A record's serde serialisation is exactly the request body of `addOrUpdateLeadSource` /
//! `addOrUpdateLeadStage`: only the fields present, camelCase names, cost a JSON number,
//! isReferral a boolean, applyTo 1 or 2.

use std::fmt;
use std::hash::Hasher;

use serde::{Serialize, Serializer};

use crate::fnv::Fnv1a;

use crate::input::CellRef;

/// Which CRM collection a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Source,
    Stage,
}

impl Kind {
    /// The word used in the results file's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Stage => "stage",
        }
    }

    /// Parses `source`/`sources`/`lead source(s)` and the stage equivalents, any case.
    pub fn parse(s: &str) -> Option<Kind> {
        let n = crate::input::headers::normalise(s);
        match n.as_str() {
            "source" | "sources" | "leadsource" | "leadsources" => Some(Kind::Source),
            "stage" | "stages" | "leadstage" | "leadstages" => Some(Kind::Stage),
            _ => None,
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Source => "lead sources",
            Kind::Stage => "lead stages",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields a column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
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
    pub const ALL: [Field; 8] = [
        Field::Id,
        Field::Name,
        Field::Description,
        Field::Cost,
        Field::Colour,
        Field::IsReferral,
        Field::ApplyTo,
        Field::Kind,
    ];

    pub fn as_str(self) -> &'static str {
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
}

/// A cost: a validated non-negative decimal kept as its canonical text, sent as a JSON number.
#[derive(Debug, Clone, PartialEq)]
pub struct Money(String);

impl Money {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

/// Whether a lead stage applies to opportunities (1) or leads (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyTo {
    Opportunity,
    Lead,
}

impl ApplyTo {
    pub fn code(self) -> u8 {
        match self {
            ApplyTo::Opportunity => 1,
            ApplyTo::Lead => 2,
        }
    }
}

impl Serialize for ApplyTo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_referral: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadStage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_to: Option<ApplyTo>,
}

/// A validated row, ready to be sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    Source(LeadSource),
    Stage(LeadStage),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Source(_) => Kind::Source,
            Record::Stage(_) => Kind::Stage,
        }
    }
    pub fn id(&self) -> Option<u64> {
        match self {
            Record::Source(r) => r.id,
            Record::Stage(r) => r.id,
        }
    }
    pub fn set_id(&mut self, id: u64) {
        match self {
            Record::Source(r) => r.id = Some(id),
            Record::Stage(r) => r.id = Some(id),
        }
    }
    pub fn name(&self) -> Option<&str> {
        match self {
            Record::Source(r) => r.name.as_deref(),
            Record::Stage(r) => r.name.as_deref(),
        }
    }
}

/// Why one cell is not acceptable. Displayed after the column name.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    Required,
    ErrorCell { cell: String, error: String },
    BadId(String),
    BadCost(String),
    AmbiguousCost(String),
    NegativeCost(String),
    BadColour(String),
    BadBool(String),
    BadApplyTo(String),
    BadKind(String),
    ExtraCells { count: usize, first: String },
    Duplicate { name: String, of: String },
}

impl ProblemKind {
    /// A short stable label used to count problems in the summary.
    pub fn label(&self) -> &'static str {
        match self {
            ProblemKind::Required => "required",
            ProblemKind::ErrorCell { .. } => "error cell",
            ProblemKind::BadId(_) => "not a whole number",
            ProblemKind::BadCost(_) => "not an amount",
            ProblemKind::AmbiguousCost(_) => "decimal comma",
            ProblemKind::NegativeCost(_) => "negative",
            ProblemKind::BadColour(_) => "not a colour",
            ProblemKind::BadBool(_) => "not yes/no",
            ProblemKind::BadApplyTo(_) => "not opportunity/lead",
            ProblemKind::BadKind(_) => "not source/stage",
            ProblemKind::ExtraCells { .. } => "cells beyond the header",
            ProblemKind::Duplicate { .. } => "duplicate",
        }
    }
}

/// One problem in one cell of one row: the column (as the file names it) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub column: String,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.column;
        match &self.kind {
            ProblemKind::Required => write!(f, "{c}: is required when there is no id"),
            ProblemKind::ErrorCell { cell, error } => write!(f, "{c}: cell {cell} is {error}"),
            ProblemKind::BadId(v) => write!(f, "{c}: {v:?} is not a positive whole number"),
            ProblemKind::BadCost(v) => write!(f, "{c}: {v:?} is not an amount"),
            ProblemKind::AmbiguousCost(v) => write!(
                f,
                "{c}: {v:?} is ambiguous (decimal comma or thousands separator?); write it with a decimal point, e.g. 7.5 or 7500"
            ),
            ProblemKind::NegativeCost(v) => write!(f, "{c}: {v:?} is negative"),
            ProblemKind::BadColour(v) => {
                write!(f, "{c}: {v:?} is not a colour (#rrggbb, rrggbb or #rgb)")
            }
            ProblemKind::BadBool(v) => write!(f, "{c}: {v:?} is not true/false/yes/no/1/0"),
            ProblemKind::BadApplyTo(v) => {
                write!(f, "{c}: {v:?} is not 1/opportunity or 2/lead")
            }
            ProblemKind::BadKind(v) => write!(f, "{c}: {v:?} is not source or stage"),
            ProblemKind::ExtraCells { count, first } => write!(
                f,
                "{c}: {count} non-empty cell(s) beyond the header, starting {first:?} (an unquoted delimiter?)"
            ),
            ProblemKind::Duplicate { name, of } => {
                write!(f, "{c}: {name:?} is a duplicate of {of}")
            }
        }
    }
}

/// Where each field lives in a table's columns.
#[derive(Debug, Clone, Default)]
pub struct FieldColumns {
    /// For each field, the column index and the header text.
    cols: [Option<(usize, String)>; 8],
}

impl FieldColumns {
    pub fn set(&mut self, field: Field, index: usize, header: &str) {
        self.cols[field as usize] = Some((index, header.to_string()));
    }
    pub fn get(&self, field: Field) -> Option<(usize, &str)> {
        self.cols[field as usize]
            .as_ref()
            .map(|(i, h)| (*i, h.as_str()))
    }
    pub fn has(&self, field: Field) -> bool {
        self.cols[field as usize].is_some()
    }
    pub fn column_of(&self, index: usize) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| matches!(&self.cols[*f as usize], Some((i, _)) if *i == index))
    }
}

/// Read access to a row's cells, as validation needs it.
pub trait Cells {
    fn cell(&self, index: usize) -> CellRef<'_>;
    /// The spreadsheet reference of a cell (e.g. `C7`), for error messages.
    fn cell_ref(&self, index: usize) -> String;
}

/// Collects a row's problems while fields are parsed.
struct Check<'a, C: Cells> {
    cells: &'a C,
    cols: &'a FieldColumns,
    problems: Vec<Problem>,
}

impl<C: Cells> Check<'_, C> {
    /// The cell of a field, or None when the column is absent or the cell empty. Error cells
    /// become a problem here.
    fn cell(&mut self, field: Field) -> Option<(CellRef<'_>, &str)> {
        let (i, header) = self.cols.get(field)?;
        match self.cells.cell(i) {
            CellRef::Empty => None,
            CellRef::Text(t) if t.trim().is_empty() => None,
            CellRef::Error(e) => {
                self.problems.push(Problem {
                    column: header.to_string(),
                    kind: ProblemKind::ErrorCell {
                        cell: self.cells.cell_ref(i),
                        error: e.to_string(),
                    },
                });
                None
            }
            c => Some((c, header)),
        }
    }

    fn parse<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(CellRef<'_>) -> Result<T, ProblemKind>,
    ) -> Option<T> {
        let (cell, header) = self.cell(field)?;
        match parse(cell) {
            Ok(v) => Some(v),
            Err(kind) => {
                let column = header.to_string();
                self.problems.push(Problem { column, kind });
                None
            }
        }
    }

    fn text(&mut self, field: Field) -> Option<String> {
        self.cell(field)
            .map(|(c, _)| c.display().trim().to_string())
    }
}

/// Validates one row as a record of `kind`. Every problem in the row is reported.
pub fn validate<C: Cells>(
    kind: Kind,
    cells: &C,
    cols: &FieldColumns,
    mut problems: Vec<Problem>,
) -> Result<Record, Vec<Problem>> {
    let mut ck = Check {
        cells,
        cols,
        problems: Vec::new(),
    };
    let id = ck.parse(Field::Id, parse_id);
    let id_cell_empty = match cols.get(Field::Id) {
        None => true,
        Some((i, _)) => cells.cell(i).is_blank(),
    };
    let name = ck.text(Field::Name);
    if name.is_none() && id_cell_empty && !name_is_error(cells, cols) {
        ck.problems.push(Problem {
            column: cols
                .get(Field::Name)
                .map_or("name".to_string(), |(_, h)| h.to_string()),
            kind: ProblemKind::Required,
        });
    }
    let colour = ck.parse(Field::Colour, parse_colour);
    let record = match kind {
        Kind::Source => {
            let description = ck.text(Field::Description);
            let cost = ck.parse(Field::Cost, parse_cost);
            let is_referral = ck.parse(Field::IsReferral, parse_bool);
            Record::Source(LeadSource {
                id,
                name,
                description,
                cost,
                colour,
                is_referral,
            })
        }
        Kind::Stage => {
            let apply_to = ck.parse(Field::ApplyTo, parse_apply_to);
            if apply_to.is_none()
                && id_cell_empty
                && !ck
                    .problems
                    .iter()
                    .any(|p| Some(p.column.as_str()) == cols.get(Field::ApplyTo).map(|c| c.1))
            {
                ck.problems.push(Problem {
                    column: cols
                        .get(Field::ApplyTo)
                        .map_or("applyTo".to_string(), |(_, h)| h.to_string()),
                    kind: ProblemKind::Required,
                });
            }
            Record::Stage(LeadStage {
                id,
                name,
                colour,
                apply_to,
            })
        }
    };
    problems.append(&mut ck.problems);
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(problems)
    }
}

fn name_is_error<C: Cells>(cells: &C, cols: &FieldColumns) -> bool {
    cols.get(Field::Name)
        .is_some_and(|(i, _)| matches!(cells.cell(i), CellRef::Error(_)))
}

/// A positive whole number, from a number cell or text (`755`, `755.0`).
pub fn parse_id(cell: CellRef<'_>) -> Result<u64, ProblemKind> {
    let bad = || ProblemKind::BadId(cell.display().into_owned());
    match cell {
        CellRef::Int(i) if i > 0 => Ok(i as u64),
        CellRef::Float(f) => float_to_id(f).ok_or_else(bad),
        CellRef::Text(t) => {
            let t = t.trim();
            if let Ok(n) = t.parse::<u64>() {
                return if n > 0 { Ok(n) } else { Err(bad()) };
            }
            // `755.0` as text, as legacy exports of number columns write it.
            match t.split_once('.') {
                Some((whole, frac))
                    if !whole.is_empty()
                        && whole.bytes().all(|b| b.is_ascii_digit())
                        && frac.bytes().all(|b| b == b'0') =>
                {
                    whole.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(bad)
                }
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

fn float_to_id(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 1.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
}

/// A non-negative amount. Currency signs `$ € £` and real thousands groups are accepted;
/// a decimal comma is refused as ambiguous.
pub fn parse_cost(cell: CellRef<'_>) -> Result<Money, ProblemKind> {
    let raw = cell.display();
    match cell {
        CellRef::Int(i) if i >= 0 => return Ok(Money(i.to_string())),
        CellRef::Int(_) => return Err(ProblemKind::NegativeCost(raw.into_owned())),
        CellRef::Float(f) if f.is_finite() && f >= 0.0 => return Ok(Money(f.to_string())),
        CellRef::Float(f) if f.is_finite() => {
            return Err(ProblemKind::NegativeCost(raw.into_owned()));
        }
        CellRef::Text(_) => {}
        _ => return Err(ProblemKind::BadCost(raw.into_owned())),
    }
    let mut s = raw.trim();
    let negative = s.starts_with('-');
    if negative {
        s = s[1..].trim_start();
    }
    for sign in ['$', '€', '£'] {
        if let Some(rest) = s.strip_prefix(sign) {
            s = rest.trim_start();
            break;
        }
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if let Some(f) = frac
        && !digits(f)
    {
        return Err(ProblemKind::BadCost(raw.into_owned()));
    }
    let int_digits: String = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let grouped = groups[0].len() <= 3
            && digits(groups[0])
            && groups[1..].iter().all(|g| g.len() == 3 && digits(g));
        if !grouped {
            let comma_decimal =
                frac.is_none() && groups.len() == 2 && digits(groups[0]) && digits(groups[1]);
            return Err(if comma_decimal {
                ProblemKind::AmbiguousCost(raw.into_owned())
            } else {
                ProblemKind::BadCost(raw.into_owned())
            });
        }
        groups.concat()
    } else if int.is_empty() && frac.is_some() {
        "0".to_string()
    } else if digits(int) {
        if !negative && frac.is_none_or(digits) {
            // The common case: plain digits, one allocation.
            return Ok(Money(s.to_string()));
        }
        int.to_string()
    } else {
        return Err(ProblemKind::BadCost(raw.into_owned()));
    };
    if negative {
        return Err(ProblemKind::NegativeCost(raw.into_owned()));
    }
    Ok(Money(match frac {
        Some(f) => format!("{int_digits}.{f}"),
        None => int_digits,
    }))
}

/// `#rrggbb`, `rrggbb`, `#rgb` or `rgb`, any case, normalised to `#rrggbb`.
pub fn parse_colour(cell: CellRef<'_>) -> Result<String, ProblemKind> {
    let raw = cell.display();
    let t = raw.trim();
    let hex = t.strip_prefix('#').unwrap_or(t);
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ProblemKind::BadColour(raw.into_owned()));
    }
    let mut out = String::with_capacity(7);
    out.push('#');
    match hex.len() {
        6 => hex.chars().for_each(|c| out.push(c.to_ascii_lowercase())),
        3 => hex.chars().for_each(|c| {
            out.push(c.to_ascii_lowercase());
            out.push(c.to_ascii_lowercase());
        }),
        _ => return Err(ProblemKind::BadColour(raw.into_owned())),
    }
    Ok(out)
}

/// true/false/yes/no/y/n/1/0 in any case, a boolean cell, or a number cell 1/0.
pub fn parse_bool(cell: CellRef<'_>) -> Result<bool, ProblemKind> {
    match cell {
        CellRef::Bool(b) => Ok(b),
        CellRef::Int(1) => Ok(true),
        CellRef::Int(0) => Ok(false),
        CellRef::Float(1.0) => Ok(true),
        CellRef::Float(0.0) => Ok(false),
        CellRef::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(true),
            "false" | "no" | "n" | "0" => Ok(false),
            _ => Err(ProblemKind::BadBool(t.to_string())),
        },
        c => Err(ProblemKind::BadBool(c.display().into_owned())),
    }
}

/// 1, 2, `opportunity`, `lead`, any case, from text or a number cell.
pub fn parse_apply_to(cell: CellRef<'_>) -> Result<ApplyTo, ProblemKind> {
    match cell {
        CellRef::Int(1) => Ok(ApplyTo::Opportunity),
        CellRef::Int(2) => Ok(ApplyTo::Lead),
        CellRef::Float(1.0) => Ok(ApplyTo::Opportunity),
        CellRef::Float(2.0) => Ok(ApplyTo::Lead),
        CellRef::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "1" | "1.0" | "opportunity" | "opportunities" => Ok(ApplyTo::Opportunity),
            "2" | "2.0" | "lead" | "leads" => Ok(ApplyTo::Lead),
            _ => Err(ProblemKind::BadApplyTo(t.to_string())),
        },
        c => Err(ProblemKind::BadApplyTo(c.display().into_owned())),
    }
}

/// The form names are compared in: trimmed, Unicode case folded.
pub fn fold_name(name: &str) -> String {
    let t = name.trim();
    if t.is_ascii() {
        t.to_ascii_lowercase()
    } else {
        caseless::default_case_fold_str(t)
    }
}

/// A 64-bit key for a kind and a folded name, computed without allocating (FNV-1a: stable
/// across runs). Two different names share a key with odds of about n²/2⁶⁵ for n names.
pub fn name_key(kind: Kind, name: &str) -> u64 {
    let mut h = Fnv1a::default();
    h.write_u8(kind as u8);
    let t = name.trim();
    if t.is_ascii() {
        t.bytes().for_each(|b| h.write_u8(b.to_ascii_lowercase()));
    } else {
        let mut buf = [0u8; 4];
        for c in caseless::Caseless::default_case_fold(t.chars()) {
            h.write(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> CellRef<'_> {
        CellRef::Text(s)
    }

    #[test]
    fn id_accepts_whole_numbers_in_text_and_number_cells() {
        assert_eq!(parse_id(t("755")), Ok(755));
        assert_eq!(parse_id(t(" 755.0 ")), Ok(755));
        assert_eq!(parse_id(CellRef::Float(755.0)), Ok(755));
        assert_eq!(parse_id(CellRef::Int(12)), Ok(12));
        assert!(parse_id(t("755.5")).is_err());
        assert!(parse_id(t("0")).is_err());
        assert!(parse_id(t("-3")).is_err());
        assert!(parse_id(t("abc")).is_err());
        assert!(parse_id(CellRef::Float(1.5)).is_err());
    }

    #[test]
    fn cost_accepts_currency_and_real_thousands_groups() {
        assert_eq!(parse_cost(t("$1,200.50")).unwrap().to_f64(), 1200.5);
        assert_eq!(parse_cost(t("12,000")).unwrap().as_str(), "12000");
        assert_eq!(parse_cost(t("€ 15")).unwrap().as_str(), "15");
        assert_eq!(parse_cost(t("£0.99")).unwrap().as_str(), "0.99");
        assert_eq!(parse_cost(CellRef::Float(12.5)).unwrap().as_str(), "12.5");
    }

    #[test]
    fn cost_decimal_comma_is_ambiguous_not_guessed() {
        assert!(matches!(
            parse_cost(t("7,5")),
            Err(ProblemKind::AmbiguousCost(_))
        ));
        assert!(matches!(
            parse_cost(t("1,20,0")),
            Err(ProblemKind::BadCost(_))
        ));
        assert!(matches!(
            parse_cost(t("-5")),
            Err(ProblemKind::NegativeCost(_))
        ));
        assert!(matches!(parse_cost(t("ten")), Err(ProblemKind::BadCost(_))));
    }

    #[test]
    fn colour_short_form_is_expanded() {
        assert_eq!(parse_colour(t("#7EE546")).unwrap(), "#7ee546");
        assert_eq!(parse_colour(t("7ee546")).unwrap(), "#7ee546");
        assert_eq!(parse_colour(t("#AbC")).unwrap(), "#aabbcc");
        assert!(parse_colour(t("#12345")).is_err());
        assert!(parse_colour(t("red")).is_err());
    }

    #[test]
    fn booleans_and_apply_to_accept_documented_forms() {
        for (s, v) in [("Yes", true), ("n", false), ("TRUE", true), ("0", false)] {
            assert_eq!(parse_bool(t(s)), Ok(v), "{s}");
        }
        assert_eq!(parse_bool(CellRef::Bool(true)), Ok(true));
        assert_eq!(parse_bool(CellRef::Float(0.0)), Ok(false));
        assert!(parse_bool(t("maybe")).is_err());
        assert_eq!(parse_apply_to(t("Lead")), Ok(ApplyTo::Lead));
        assert_eq!(
            parse_apply_to(CellRef::Float(1.0)),
            Ok(ApplyTo::Opportunity)
        );
        assert!(parse_apply_to(t("3")).is_err());
    }

    #[test]
    fn names_fold_unicode_case() {
        assert_eq!(fold_name(" Société "), fold_name("SOCIÉTÉ"));
        assert_eq!(fold_name("Straße"), fold_name("STRASSE"));
        assert_eq!(
            name_key(Kind::Source, "Société"),
            name_key(Kind::Source, " SOCIÉTÉ")
        );
        assert_eq!(
            name_key(Kind::Source, "Expo"),
            name_key(Kind::Source, "eXPO ")
        );
        assert_ne!(
            name_key(Kind::Source, "Expo"),
            name_key(Kind::Stage, "Expo")
        );
        assert_ne!(
            name_key(Kind::Source, "Expo"),
            name_key(Kind::Source, "Expos")
        );
    }

    #[test]
    fn record_serialises_as_the_request_body() {
        let r = Record::Source(LeadSource {
            name: Some("Expo".into()),
            cost: Some(parse_cost(t("$1,200.50")).unwrap()),
            is_referral: Some(true),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"name":"Expo","cost":1200.5,"isReferral":true}"#
        );
        let s = Record::Stage(LeadStage {
            id: Some(4),
            apply_to: Some(ApplyTo::Lead),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"id":4,"applyTo":2}"#
        );
    }
}
