//! Cells → a record, or every problem of the row.

use std::fmt;

use super::parse::{parse_apply_to, parse_bool, parse_colour, parse_cost, parse_id};
use super::{Kind, LeadSource, LeadStage, Record};
use crate::input::headers::{Field, FieldColumns};
use crate::input::{CellRef, Cells};

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
