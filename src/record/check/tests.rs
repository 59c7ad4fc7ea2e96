use super::*;

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
fn ambiguous_cost_names_decimal_comma() {
    let c = cols(&[Field::Name, Field::Description, Field::Cost]);
    for v in ["7,5", "2.500"] {
        let e = errors(Kind::Source, &c, vec![text("Expo"), text(""), text(v)]);
        assert!(
            e[0].contains("is ambiguous") && e[0].contains("--decimal-comma"),
            "{e:?}"
        );
    }
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

proptest::proptest! {
    /// Which values a row sends exactly as their cells read, worked out while it is checked,
    /// is what the rule over the record and its cells says (`show::as_read`).
    #[test]
    fn as_read_while_checking_is_the_rule_over_the_record(
        name in "( ?)(Expo|Café|x)( ?)",
        cost in "(0|12|12.50|2500|2.500|0.00|€ 25| 7|12%|007|1,200)",
        colour in "(#7ee546|#7EE546|7ee546|#abc| #7ee546)",
        referral in "(true|false|yes|TRUE|1| true)",
        number in proptest::option::of(0u32..3000),
    ) {
        use crate::input::Cell;
        let fields = [Field::Name, Field::Cost, Field::Colour, Field::IsReferral];
        let c = cols(&fields);
        // A workbook's number cell as the cost, now and then.
        let cost_cell = number.map_or_else(|| text(&cost), |n| Cell::Float(f64::from(n) / 4.0));
        let row = TestRow(vec![text(&name), cost_cell, text(&colour), text(&referral)]);
        let (checked, got) = check(Kind::Source, &row, &c, Vec::new());
        if let Ok(record) = &checked {
            let cells: Vec<String> = (0..fields.len()).map(|i| row.cell(i).display().into_owned()).collect();
            let want = crate::record::show::as_read(record, |f| {
                fields.iter().position(|x| *x == f).map(|i| cells[i].as_str())
            });
            proptest::prop_assert_eq!(got, want, "{:?} {:?}", cells, record);
        } else {
            proptest::prop_assert_eq!(got, FieldSet::default());
        }
    }
}

#[test]
fn a_stage_code_and_a_trimmed_name_are_told_apart() {
    let c = cols(&[Field::Name, Field::ApplyTo]);
    let (_, set) = check(
        Kind::Stage,
        &TestRow(vec![text("Won"), text("2")]),
        &c,
        Vec::new(),
    );
    assert_eq!(
        set,
        FieldSet::of(|f| matches!(f, Field::Name | Field::ApplyTo))
    );
    let (_, set) = check(
        Kind::Stage,
        &TestRow(vec![text(" Won"), text("lead")]),
        &c,
        Vec::new(),
    );
    assert_eq!(set, FieldSet::default());
}
