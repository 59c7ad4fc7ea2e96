use super::*;
use crate::test_support::zipped;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::fs;

fn rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

#[test]
fn csv_template_is_the_kinds_header_line() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, name, header) in [
        (
            Kind::Source,
            "sources.csv",
            "name,description,cost,colour,isReferral",
        ),
        (Kind::Stage, "stages.CSV", "name,colour,applyTo"),
    ] {
        let out = dir.path().join(name);
        write_template(&out, Some(kind)).unwrap();
        let bytes = fs::read(&out).unwrap();
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
        assert_eq!(text, format!("{header}\n"));
        let mut r = csv::Reader::from_path(&out).unwrap();
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            kind.info().template_headers
        );
        assert_eq!(r.records().count(), 0);
    }
}

#[test]
fn csv_template_without_a_kind_asks_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("template.csv");
    let err = write_template(&out, None).unwrap_err();
    assert!(matches!(err, Error::KindNeeded { .. }));
    assert!(err.to_string().contains("--kind"), "{err}");
    assert!(!out.exists());
}

#[test]
fn xlsx_template_without_a_kind_has_both_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("template.xlsx");
    write_template(&out, None).unwrap();
    let book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), ["Lead Sources", "Lead Stages"]);
    let sources = rows(&out, "Lead Sources");
    let header: Vec<String> = sources[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, Kind::Source.info().template_headers);
    let stages = rows(&out, "Lead Stages");
    let header: Vec<String> = stages[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, Kind::Stage.info().template_headers);
}

/// No row under the header could be imported: the examples are in the headers' notes.
#[test]
fn xlsx_template_has_no_example_row_and_its_examples_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("template.xlsx");
    write_template(&out, None).unwrap();
    assert_eq!(rows(&out, "Lead Sources").len(), 1);
    assert_eq!(rows(&out, "Lead Stages").len(), 1);
    let comments = zipped(&out, "xl/comments1.xml");
    for (cell, example) in [
        ("A1", "e.g. Website"),
        ("C1", "e.g. 250"),
        ("E1", "e.g. no"),
    ] {
        let at = comments
            .find(&format!("<comment ref=\"{cell}\""))
            .unwrap_or_else(|| panic!("a note on {cell}: {comments}"));
        let end = at + comments[at..].find("</comment>").unwrap();
        assert!(comments[at..end].contains(example), "{cell}: {comments}");
    }
}

#[test]
fn xlsx_template_with_a_kind_has_its_sheet_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.xlsx");
    write_template(&out, Some(Kind::Stage)).unwrap();
    let book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), ["Lead Stages"]);
}

#[test]
fn xlsx_template_offers_drop_down_lists_below_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("template.xlsx");
    write_template(&out, None).unwrap();
    let sources = zipped(&out, "xl/worksheets/sheet1.xml");
    let stages = zipped(&out, "xl/worksheets/sheet2.xml");
    for (xml, sqref, list) in [
        (&sources, "E2:E1048576", "\"yes,no\""),
        (&stages, "C2:C1048576", "\"opportunity,lead\""),
    ] {
        let at = xml.find("<dataValidation ").expect("a data validation");
        let dv = &xml[at..at + xml[at..].find("</dataValidation>").unwrap()];
        assert!(dv.contains("type=\"list\""), "{dv}");
        assert!(dv.contains(&format!("sqref=\"{sqref}\"")), "{dv}");
        assert!(dv.contains(&format!("<formula1>{list}</formula1>")), "{dv}");
        assert_eq!(xml.matches("<dataValidation ").count(), 1);
    }
}

#[test]
fn xlsx_template_header_is_bold_frozen_and_colour_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("template.xlsx");
    write_template(&out, Some(Kind::Stage)).unwrap();
    let sheet = zipped(&out, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("state=\"frozen\""));
    assert!(sheet.contains("topLeftCell=\"A2\""));
    assert!(sheet.contains("<col "), "column widths are set");
    let styles = zipped(&out, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font");
    let comments = zipped(&out, "xl/comments1.xml");
    assert!(comments.contains("<comment ref=\"B1\""), "{comments}");
    assert!(comments.contains("#rrggbb"));
}

#[test]
fn other_extensions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["t.txt", "t.xls", "t"] {
        let out = dir.path().join(name);
        let err = write_template(&out, Some(Kind::Source)).unwrap_err();
        assert!(matches!(err, Error::UnsupportedExtension { .. }), "{name}");
        assert!(!out.exists());
    }
}

#[test]
fn an_existing_file_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["mine.csv", "mine.xlsx"] {
        let out = dir.path().join(name);
        fs::write(&out, "my data").unwrap();
        let err = write_template(&out, Some(Kind::Source)).unwrap_err();
        assert!(matches!(err, Error::Exists { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&out).unwrap(), "my data");
    }
}

#[test]
fn kind_comes_from_a_word_in_the_file_name() {
    let cases = [
        ("sources.xlsx", Some(Kind::Source)),
        ("lead-stages.csv", Some(Kind::Stage)),
        ("Lead Sources.csv", Some(Kind::Source)),
        ("dir/LeadStages.xlsx", Some(Kind::Stage)),
        ("STAGE.csv", Some(Kind::Stage)),
        ("2024_source_list.csv", Some(Kind::Source)),
        ("resources.csv", None),
        ("backstage.csv", None),
        ("sources-and-stages.xlsx", None),
        ("leads.csv", None),
    ];
    for (name, kind) in cases {
        assert_eq!(kind_from_file_name(Path::new(name)), kind, "{name}");
    }
}
