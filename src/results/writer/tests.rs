use super::*;
use crate::outcome::Status;
use crate::results::journal::{fingerprint, read_done};
#[test]
fn written_done_lines_are_read_back_with_their_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    let mut w = ResultsWriter::create(&p, &["name".into(), "cost".into()], false, false).unwrap();
    let mut v = Verdict::new(Status::Created);
    v.id = Some(42);
    let echo = [Cow::Borrowed("Expo, \"big\""), Cow::Borrowed("12")];
    w.write(2, "", Some(Kind::Source), &v, "", None, &echo)
        .unwrap();
    w.write(
        3,
        "",
        Some(Kind::Source),
        &Verdict::new(Status::Failed),
        "7",
        None,
        &echo,
    )
    .unwrap();
    w.flush().unwrap();
    let done = read_done(&p).unwrap();
    assert_eq!(done.len(), 1);
    // A line torn inside its id is not taken for a done line with a shorter id.
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("4,,source,created,10");
    std::fs::write(&p, text).unwrap();
    assert_eq!(read_done(&p).unwrap().len(), 1);
    let d = &done[&(String::new(), 2)];
    assert_eq!(d.id, 42);
    assert_eq!(d.fingerprint, fingerprint(&echo));
}

proptest::proptest! {
    /// A field is quoted exactly when `csv_core` says it must be.
    #[test]
    fn quotes_are_needed_where_csv_core_needs_them(f in proptest::collection::vec(
        proptest::prop_oneof![proptest::num::u8::ANY, proptest::sample::select(b",\"\r\n a".to_vec())],
        0..40,
    )) {
        proptest::prop_assert_eq!(needs_quotes(&f), csv_core::Writer::new().should_quote(&f));
    }

    /// Lines are exactly what `csv::Writer` writes for the same fields, whatever they hold.
    #[test]
    fn lines_match_the_csv_crate(
        sheet in "[a-z ,\"]{0,6}",
        error in "(\\PC|[,\"\r\n]){0,20}",
        echo in proptest::collection::vec("(\\PC|[,\"\r\n\t ]){0,12}", 2),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let header = vec!["name".to_string(), "note, \"x\"".to_string()];
        let mut w = ResultsWriter::create(&p, &header, false, false).unwrap();
        let v = Verdict::with_error(Status::Failed, error.clone());
        w.write(7, &sheet, Some(Kind::Stage), &v, "12", None, &echo).unwrap();
        w.flush().unwrap();
        let mut expected = csv::Writer::from_writer(Vec::new());
        let fixed = RESULT_COLUMNS.iter().chain(&TOOL_COLUMNS).map(ToString::to_string);
        expected.write_record(fixed.chain(header.iter().cloned())).unwrap();
        let line = ["7", &sheet, "stage", "failed", "12", "", "", &error, "", "", ""];
        expected
            .write_record(line.iter().copied().chain(echo.iter().map(String::as_str)).map(as_written))
            .unwrap();
        let expected = expected.into_inner().unwrap();
        proptest::prop_assert_eq!(std::fs::read(&p).unwrap(), expected);
    }

    #[test]
    fn any_record_is_written_as_the_csv_crate_writes_it(
        fields in proptest::collection::vec("(\\PC|[,\"\r\n\t ]){0,8}", 1..5),
    ) {
        let mut ours = Vec::new();
        CsvLine::record(&mut ours, &fields).unwrap();
        let mut theirs = csv::Writer::from_writer(Vec::new());
        theirs.write_record(fields.iter().map(|f| as_written(f))).unwrap();
        proptest::prop_assert_eq!(ours, theirs.into_inner().unwrap());
    }

    /// With --excel-safe-csv no field read back starts as a formula, and each loses its
    /// mark to `strip`: the fields as they were.
    #[test]
    fn excel_safe_fields_read_back_as_they_were(
        fields in proptest::collection::vec("['=+\\-@\t\r]{0,3}(\\PC|[,\"\r\n\t ]){0,8}", 1..5),
    ) {
        let mut ours = Vec::new();
        CsvLine::excel_safe(true).line(&mut ours, &fields).unwrap();
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&ours[..]);
        let rec = r.records().next().unwrap().unwrap();
        proptest::prop_assert_eq!(rec.len(), fields.len());
        for (got, f) in rec.iter().zip(&fields) {
            proptest::prop_assert!(!got.starts_with(['=', '+', '-', '@', '\t', '\r']), "{got:?}");
            proptest::prop_assert_eq!(crate::excel_safe::strip(got), f.as_str());
        }
    }
}

/// A field as the writer writes it without --excel-safe-csv: as it is, unless it starts
/// with `'` and a formula character (one more `'`).
fn as_written(f: &str) -> String {
    if crate::excel_safe::marked(f.as_bytes(), false) {
        format!("'{f}")
    } else {
        f.to_string()
    }
}

#[test]
fn excel_safe_results_mark_formula_like_cells_and_read_back_without_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    let header = ["name".to_string(), "=notes".to_string()];
    let mut w = ResultsWriter::create(&p, &header, false, true).unwrap();
    let v = Verdict::with_id(Status::Created, 9);
    let echo = [
        Cow::Borrowed("=HYPERLINK(\"http://x\",\"go\")"),
        Cow::Borrowed("-5"),
    ];
    w.write(2, "@sheet", Some(Kind::Source), &v, "", None, &echo)
        .unwrap();
    w.write(
        3,
        "",
        None,
        &Verdict::new(Status::Invalid),
        "+1",
        None,
        &echo,
    )
    .unwrap();
    w.flush().unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(",name,'=notes"), "{text}");
    assert_eq!(
        lines[1],
        "2,'@sheet,source,created,9,,,,,,,\"'=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",'-5"
    );
    assert!(lines[2].starts_with("3,,,invalid,'+1,"), "{text}");
    let done = read_done(&p).unwrap();
    let d = &done[&("@sheet".to_string(), 2)];
    assert_eq!(d.fingerprint, fingerprint(&echo));
    assert_eq!(d.name.as_deref(), Some("=HYPERLINK(\"http://x\",\"go\")"));
}

#[test]
fn a_results_file_with_a_bom_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    let mut w = ResultsWriter::create(&p, &["name".into()], true, false).unwrap();
    let v = Verdict::with_id(Status::Created, 7);
    w.write(
        2,
        "",
        Some(Kind::Source),
        &v,
        "",
        None,
        &[Cow::Borrowed("Expo")],
    )
    .unwrap();
    w.flush().unwrap();
    let bytes = std::fs::read(&p).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFrow,"), "{bytes:?}");
    let done = read_done(&p).unwrap();
    assert_eq!(done[&(String::new(), 2)].id, 7);
}

proptest::proptest! {
    /// The `sent` column is written as `csv::Writer` writes its text, whichever values it
    /// lists (texts with commas and quotes, or numbers and booleans alone).
    #[test]
    fn the_sent_column_is_written_as_the_csv_crate_writes_it(
        name in proptest::option::of("(\\PC|[,\"\r\n ]){0,8}"),
        cost in proptest::option::of("[0-9]{1,4}(\\.[0-9]{1,3})?"),
        referral in proptest::option::of(proptest::bool::ANY),
        as_read in 0u8..64,
    ) {
        use crate::record::{LeadSource, Money, show::FieldSet};
        use crate::input::headers::Field;
        let record = Record::Source(LeadSource {
            id: None,
            name: name.map(Into::into),
            description: None,
            cost: cost.as_deref().map(Money::parse_canonical),
            colour: None,
            is_referral: referral,
        });
        let as_read = FieldSet::of(|f| as_read & (1 << f as u8) != 0 && f != Field::Description);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ResultsWriter::create(&p, &[], false, false).unwrap();
        let sent = Sent { record: &record, as_read };
        let echo: [&str; 0] = [];
        w.write(2, "", Some(Kind::Source), &Verdict::new(Status::Valid), "", Some(sent), echo).unwrap();
        w.flush().unwrap();
        let mut text = String::new();
        show::write_sent(&record, as_read, &mut text);
        let mut r = csv::ReaderBuilder::new().from_path(&p).unwrap();
        let line = r.records().next().unwrap().unwrap();
        proptest::prop_assert_eq!(line.get(9), Some(text.as_str()));
        let mut expected = csv::Writer::from_writer(Vec::new());
        let fields = ["2", "", "source", "valid", "", "", "", "", "", text.as_str(), ""];
        expected.write_record(fields).unwrap();
        let expected = String::from_utf8(expected.into_inner().unwrap()).unwrap();
        let written = std::fs::read_to_string(&p).unwrap();
        proptest::prop_assert_eq!(written.lines().nth(1), expected.lines().next());
    }
}
