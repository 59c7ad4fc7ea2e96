//! Cells → a record, or every problem of the row.

use super::parse::{parse_apply_to, parse_bool, parse_colour, parse_cost, parse_id};
use super::{Kind, LeadSource, LeadStage, Problem, ProblemKind, Record, Text};
use crate::input::headers::{Field, FieldColumns};
use crate::input::{CellRef, Cells};

use super::problem::MAX_CELL_BYTES;

/// Collects a row's problems while fields are parsed.
struct Check<'a, C: Cells> {
    cells: &'a C,
    cols: &'a FieldColumns,
    problems: Vec<Problem>,
}

impl<C: Cells> Check<'_, C> {
    fn problem(&mut self, header: &str, kind: ProblemKind) {
        self.problems.push(Problem {
            column: header.to_string(),
            kind,
        });
    }

    /// Whether a problem was recorded for the field's column.
    fn has_problem(&self, field: Field) -> bool {
        self.cols
            .get(field)
            .is_some_and(|(_, h)| self.problems.iter().any(|p| p.column == h))
    }

    /// The cell of a field, or None when the column is absent or the cell empty. Error cells,
    /// formulas with no saved value and cells over 64 KiB become a problem here.
    fn cell(&mut self, field: Field) -> Option<(CellRef<'_>, &str)> {
        let (i, header) = self.cols.get(field)?;
        match self.cells.cell(i) {
            CellRef::Empty => None,
            CellRef::Text(t) if t.trim().is_empty() => None,
            CellRef::Text(t) if t.len() > MAX_CELL_BYTES => {
                self.problem(header, ProblemKind::TooLong { bytes: t.len() });
                None
            }
            CellRef::Error(e) => {
                let kind = ProblemKind::ErrorCell {
                    cell: self.cells.cell_ref(i),
                    error: e.to_string(),
                };
                self.problem(header, kind);
                None
            }
            CellRef::Formula(formula) => {
                let kind = ProblemKind::FormulaNoValue {
                    cell: self.cells.cell_ref(i),
                    formula: formula.to_string(),
                };
                self.problem(header, kind);
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

    /// A text field, trimmed. Control characters are refused, but for tab and line breaks
    /// where `breaks` allows them (a description).
    fn text(&mut self, field: Field, breaks: bool) -> Option<Text> {
        let (cell, header) = self.cell(field)?;
        let text = cell.display();
        let text = text.trim();
        // Control characters are below 0x20, 0x7f, or (U+0080–U+009F) start with 0xc2.
        let maybe_control = text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2);
        let bad = maybe_control
            .then(|| text.chars())
            .into_iter()
            .flatten()
            .enumerate()
            .find(|(_, ch)| ch.is_control() && !(breaks && matches!(ch, '\t' | '\n' | '\r')));
        if let Some((i, ch)) = bad {
            let header = header.to_string();
            self.problem(
                &header,
                ProblemKind::ControlChar {
                    ch,
                    position: i + 1,
                },
            );
            return None;
        }
        Some(text.into())
    }
}

/// Validates one row as a record of `kind`. Every problem in the row is reported.
pub(crate) fn validate<C: Cells>(
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
    if let Some(why) = &cols.rules.wrong_kind {
        ck.problem("kind", ProblemKind::WrongKind(why.clone()));
    }
    let id = ck.parse(Field::Id, parse_id);
    let id_cell_empty = match cols.get(Field::Id) {
        None => true,
        Some((i, _)) => cells.cell(i).is_blank(),
    };
    let name = ck.text(Field::Name, false);
    if name.is_none() && id_cell_empty && !ck.has_problem(Field::Name) {
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
            let description = ck.text(Field::Description, true);
            let cost = ck.parse(Field::Cost, |c| parse_cost(c, &cols.rules));
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
            if apply_to.is_none() && id_cell_empty && !ck.has_problem(Field::ApplyTo) {
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
    if ck.problems.is_empty() && problems.is_empty() {
        return Ok(record);
    }
    // A table-level problem (the other kind than --kind) comes first in the row.
    if cols.rules.wrong_kind.is_some() {
        let mut all = std::mem::take(&mut ck.problems);
        all.append(&mut problems);
        return Err(all);
    }
    problems.append(&mut ck.problems);
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::headers::ValueRules;

    /// A row of cells for the tests, at row 5.
    struct TestRow(Vec<crate::input::Cell>);

    impl Cells for TestRow {
        fn cell(&self, index: usize) -> CellRef<'_> {
            self.0
                .get(index)
                .map_or(CellRef::Empty, crate::input::Cell::as_ref)
        }
        fn cell_ref(&self, index: usize) -> String {
            format!("{}5", crate::input::column_letters(index))
        }
    }

    fn text(s: &str) -> crate::input::Cell {
        crate::input::Cell::Text(s.to_string())
    }

    fn cols(fields: &[Field]) -> FieldColumns {
        let mut c = FieldColumns::default();
        for (i, f) in fields.iter().enumerate() {
            c.set(*f, i, f.name());
        }
        c
    }

    fn errors(kind: Kind, cols: &FieldColumns, row: Vec<crate::input::Cell>) -> Vec<String> {
        match validate(kind, &TestRow(row), cols, Vec::new()) {
            Ok(r) => panic!("valid: {r:?}"),
            Err(p) => p.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_formula_with_no_saved_value_is_a_problem_naming_the_cell() {
        let c = cols(&[Field::Name, Field::Description, Field::Cost]);
        let e = errors(
            Kind::Source,
            &c,
            vec![
                text("Expo"),
                text(""),
                crate::input::Cell::Formula("100*2".into()),
            ],
        );
        assert_eq!(
            e,
            vec![
                "cost: cell C5 holds a formula with no saved value (=100*2); open and save the file in Excel or LibreOffice"
            ]
        );
        let e = errors(
            Kind::Source,
            &c,
            vec![crate::input::Cell::Formula("A1".into())],
        );
        assert_eq!(e.len(), 1, "{e:?}");
    }

    #[test]
    fn control_characters_are_refused_in_names_and_allowed_breaks_in_descriptions() {
        let c = cols(&[Field::Name, Field::Description, Field::Cost]);
        let e = errors(Kind::Source, &c, vec![text("Exp\0o")]);
        assert_eq!(
            e,
            vec!["name: contains a control character (U+0000) at position 4"]
        );
        let e = errors(Kind::Source, &c, vec![text("Ex\tpo")]);
        assert_eq!(
            e,
            vec!["name: contains a control character (U+0009) at position 3"]
        );
        let ok = validate(
            Kind::Source,
            &TestRow(vec![text("Expo"), text("line one\nline\ttwo\r\n")]),
            &c,
            Vec::new(),
        );
        assert!(ok.is_ok(), "{ok:?}");
        let e = errors(Kind::Source, &c, vec![text("Expo"), text("bell\u{7}")]);
        assert_eq!(
            e,
            vec!["description: contains a control character (U+0007) at position 5"]
        );
    }

    #[test]
    fn a_cell_over_64_kib_is_refused_and_long_values_are_cut_in_messages() {
        let c = cols(&[Field::Name, Field::Description, Field::Cost]);
        let long = "x".repeat(MAX_CELL_BYTES + 1);
        let e = errors(Kind::Source, &c, vec![text("Expo"), text(&long)]);
        assert_eq!(
            e,
            vec![format!(
                "description: the cell holds {} bytes, over the 64 KiB (65536 bytes) a field may hold",
                MAX_CELL_BYTES + 1
            )]
        );
        let e = errors(
            Kind::Source,
            &c,
            vec![text("Expo"), text(""), text(&"9x".repeat(100))],
        );
        let expected = format!("cost: \"{}…\" is not an amount", "9x".repeat(40));
        assert_eq!(e, vec![expected]);
    }

    #[test]
    fn ambiguous_cost_names_decimal_comma_in_a_semicolon_file() {
        let mut c = cols(&[Field::Name, Field::Description, Field::Cost]);
        let e = errors(Kind::Source, &c, vec![text("Expo"), text(""), text("7,5")]);
        assert!(!e[0].contains("--decimal-comma"), "{e:?}");
        c.rules = ValueRules {
            semicolon_file: true,
            ..ValueRules::default()
        };
        let e = errors(Kind::Source, &c, vec![text("Expo"), text(""), text("7,5")]);
        assert!(e[0].contains("--decimal-comma"), "{e:?}");
    }

    #[test]
    fn the_other_kind_than_kind_is_the_first_problem() {
        let mut c = cols(&[Field::Name, Field::Description, Field::Cost]);
        c.rules.wrong_kind =
            Some("--kind stages was given, but the headers look like lead sources (cost)".into());
        let e = errors(Kind::Stage, &c, vec![text("Expo")]);
        assert_eq!(
            e[0],
            "kind: --kind stages was given, but the headers look like lead sources (cost)"
        );
    }
}

#[cfg(test)]
mod cell_tests {
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
