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
            values: vec!["oops".into()],
            sheet: false,
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
    assert_eq!(ProblemKind::Required.label(), "is required");
}

#[test]
fn a_name_of_only_invisible_characters_is_empty() {
    let c = sources();
    for name in [
        "\u{200b}",
        "\u{200d}\u{feff}\u{2060}",
        " \u{200c} ",
        "\u{ad}\u{200e}",
    ] {
        assert_eq!(
            problems(Kind::Source, &c, vec!["", name]),
            vec!["Source Name: is required when there is no id"],
            "{name:?}"
        );
    }
    // Invisible characters beside visible ones are kept as typed.
    let r = validate(Kind::Source, &Row(vec!["", "Ex\u{200b}po"]), &c, Vec::new());
    assert_eq!(
        r.ok().and_then(|r| r.name().map(str::to_string)).as_deref(),
        Some("Ex\u{200b}po")
    );
}
