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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of text cells (`#N/A` and `#REF!` are error cells), numbered as row 7.
    struct Row(Vec<&'static str>);

    impl Cells for Row {
        fn cell(&self, index: usize) -> CellRef<'_> {
            match self.0.get(index).copied() {
                Some(t @ ("#N/A" | "#REF!")) => CellRef::Error(t),
                Some(t) => CellRef::Text(t),
                None => CellRef::Empty,
            }
        }
        fn cell_ref(&self, index: usize) -> String {
            format!("{}7", crate::input::column_letters(index))
        }
    }

    fn columns(headers: &[(Field, &str)]) -> FieldColumns {
        let mut c = FieldColumns::default();
        for (i, (f, h)) in headers.iter().enumerate() {
            c.set(*f, i, h);
        }
        c
    }

    fn sources() -> FieldColumns {
        columns(&[
            (Field::Id, "id"),
            (Field::Name, "Source Name"),
            (Field::Cost, "cost"),
            (Field::Colour, "colour"),
            (Field::IsReferral, "isReferral"),
        ])
    }

    fn problems(kind: Kind, cols: &FieldColumns, cells: Vec<&'static str>) -> Vec<String> {
        match validate(kind, &Row(cells), cols, Vec::new()) {
            Ok(r) => panic!("valid: {r:?}"),
            Err(p) => p.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_valid_row_becomes_its_record_with_trimmed_text() {
        let r = validate(
            Kind::Source,
            &Row(vec!["", "  Expo ", "$1,200.50", "ABC", "yes"]),
            &sources(),
            Vec::new(),
        )
        .unwrap();
        let Record::Source(s) = r else {
            panic!("a source")
        };
        assert_eq!(s.name.as_deref(), Some("Expo"));
        assert_eq!(s.cost.map(|c| c.to_f64()), Some(1200.5));
        assert_eq!(s.colour.as_deref(), Some("#aabbcc"));
        assert_eq!((s.id, s.is_referral), (None, Some(true)));
    }

    #[test]
    fn every_problem_of_a_row_is_reported_naming_its_column() {
        let p = problems(
            Kind::Source,
            &sources(),
            vec!["", "X", "-3", "red", "perhaps"],
        );
        assert_eq!(
            p,
            [
                "colour: \"red\" is not a colour (#rrggbb, rrggbb or #rgb)",
                "cost: \"-3\" is negative",
                "isReferral: \"perhaps\" is not true/false/yes/no/1/0",
            ]
        );
    }

    #[test]
    fn name_is_required_only_when_the_id_cell_is_empty() {
        assert_eq!(
            problems(Kind::Source, &sources(), vec!["", " ", "1"]),
            ["Source Name: is required when there is no id"]
        );
        // An update needs no name.
        assert!(validate(Kind::Source, &Row(vec!["755"]), &sources(), Vec::new()).is_ok());
        // A bad id is its own problem, not a missing name.
        assert_eq!(
            problems(Kind::Source, &sources(), vec!["abc"]),
            ["id: \"abc\" is not a positive whole number"]
        );
    }

    #[test]
    fn an_error_cell_is_one_problem_naming_the_cell() {
        assert_eq!(
            problems(Kind::Source, &sources(), vec!["", "Expo", "#N/A"]),
            ["cost: cell C7 is #N/A"]
        );
        // An error in the name is that problem alone, not also "name is required".
        assert_eq!(
            problems(Kind::Source, &sources(), vec!["", "#REF!"]),
            ["Source Name: cell B7 is #REF!"]
        );
    }

    #[test]
    fn a_stage_needs_apply_to_when_it_is_created() {
        let cols = columns(&[
            (Field::Id, "id"),
            (Field::Name, "name"),
            (Field::ApplyTo, "applyTo"),
        ]);
        assert_eq!(
            problems(Kind::Stage, &cols, vec!["", "Enquiry"]),
            ["applyTo: is required when there is no id"]
        );
        // A bad applyTo is one problem, not also "required".
        assert_eq!(
            problems(Kind::Stage, &cols, vec!["", "Enquiry", "3"]),
            ["applyTo: \"3\" is not 1/opportunity or 2/lead"]
        );
        assert!(validate(Kind::Stage, &Row(vec!["4"]), &cols, Vec::new()).is_ok());
        let r = validate(
            Kind::Stage,
            &Row(vec!["", "Won", "Lead"]),
            &cols,
            Vec::new(),
        )
        .unwrap();
        assert_eq!(r.kind(), Kind::Stage);
    }

    #[test]
    fn problems_found_before_come_first() {
        let earlier = Problem {
            column: "column F".into(),
            kind: ProblemKind::ExtraCells {
                count: 1,
                first: "oops".into(),
            },
        };
        let p = validate(
            Kind::Source,
            &Row(vec!["", "", "ten"]),
            &sources(),
            vec![earlier.clone()],
        )
        .unwrap_err();
        assert_eq!(p[0], earlier);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(ProblemKind::Required.label(), "required");
    }
}
