use super::*;
use crate::test_support::zipped;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::fs;

use crate::kind::Kind;
use crate::outcome::{ProblemLabel, Remedy, RowProblem, Status, Verdict};

const HEADER: &str =
    "row,sheet,kind,status,id,error_code,specific_code,error,changes,sent,Name,Cost (AUD),Code";

/// One finished row, owned.
struct Row {
    row: u32,
    verdict: Verdict,
    problems: Vec<RowProblem>,
    echo: [&'static str; 3],
    cost: Option<(usize, f64)>,
    sent: &'static str,
}

fn cell_problem(column: &str, words: &str, text: &str, remedy: Remedy) -> RowProblem {
    RowProblem {
        label: ProblemLabel::new(format!("{column}: {words}")),
        text: Some(text.into()),
        column: Some(column.into()),
        remedy,
    }
}

fn invalid(row: u32, problems: Vec<RowProblem>, echo: [&'static str; 3]) -> Row {
    let error = problems
        .iter()
        .filter_map(|p| p.text.clone())
        .collect::<Vec<_>>()
        .join("; ");
    Row {
        row,
        verdict: Verdict::with_error(Status::Invalid, error),
        problems,
        echo,
        cost: None,
        sent: "",
    }
}

fn rows() -> Vec<Row> {
    let ambiguous = |v: &str| {
        format!(
            "Cost (AUD): \"{v}\" is ambiguous (decimal comma or thousands separator?); write it with a decimal point, e.g. 7.5 or 7500"
        )
    };
    let mut failed = Verdict::with_error(
        Status::Failed,
        "lead source does not exist (400/24325): The name is in use",
    );
    failed.error_code = Some(400);
    failed.specific_code = Some(24325);
    failed.changes = "cost: 150 → 1; description: \"Old\" → \"New\"".into();
    let refused = RowProblem::whole("lead source does not exist (400/24325)".into(), &failed);
    vec![
        Row {
            row: 2,
            verdict: Verdict::with_id(Status::Created, 755),
            problems: vec![],
            echo: ["Website", "10", "007"],
            cost: Some((1, 10.0)),
            sent: "name=\"Website\"; cost=10",
        },
        invalid(
            3,
            vec![cell_problem(
                "Cost (AUD)",
                "decimal comma",
                &ambiguous("7,5"),
                Remedy::DecimalComma,
            )],
            ["Fair", "7,5", "8"],
        ),
        invalid(
            4,
            vec![
                cell_problem(
                    "Name",
                    "is required",
                    "Name: is required when there is no id",
                    Remedy::FixCell,
                ),
                cell_problem(
                    "Cost (AUD)",
                    "decimal comma",
                    &ambiguous("8,1"),
                    Remedy::DecimalComma,
                ),
            ],
            ["", "8,1", "9"],
        ),
        Row {
            row: 5,
            verdict: failed,
            problems: vec![refused],
            echo: ["Taken", "1", "10"],
            cost: Some((1, 1.0)),
            sent: "name=\"Taken\"; cost=1",
        },
        Row {
            row: 6,
            verdict: Verdict::new(Status::Skipped),
            problems: vec![],
            echo: ["Later", "2", "11"],
            cost: Some((1, 2.0)),
            sent: "",
        },
        invalid(
            7,
            vec![cell_problem(
                "Name",
                "is a duplicate",
                "Name: \"Website\" is a duplicate of row 2",
                Remedy::Duplicate,
            )],
            ["Website", "3", "12"],
        ),
    ]
}

fn s(v: &str) -> Data {
    Data::String(v.to_string())
}

fn convert(dir: &Path) -> (PathBuf, XlsxSummary) {
    let out = dir.join("sources.results.xlsx");
    let echo: Vec<String> = ["Name", "Cost (AUD)", "Code"].map(String::from).to_vec();
    let mut book = Book::create(
        &out,
        &dir.join("sources.csv"),
        &dir.join("sources.results.csv"),
        &echo,
    )
    .unwrap();
    for r in rows() {
        book.row(&Line {
            row: r.row,
            sheet: "",
            kind: Some(Kind::Source),
            verdict: &r.verdict,
            id: "".into(),
            problems: &r.problems,
            echo: r.echo.to_vec(),
            cost: r.cost,
            sent: r.sent,
        })
        .unwrap();
    }
    let summary = book.finish().unwrap();
    (out, summary)
}

/// The notes of `xl/comments1.xml`: (cell reference, text).
fn comments(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut notes: Vec<(String, String)> = Vec::new();
    let mut in_text = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().0 == "comment" => {
                let r = e.try_get_attribute("ref").unwrap().unwrap();
                notes.push((r.value.to_string(), String::new()));
            }
            Event::Start(e) if e.name().0 == "t" => in_text = true,
            Event::End(e) if e.name().0 == "t" => in_text = false,
            Event::Text(t) if in_text => {
                notes.last_mut().unwrap().1.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_text => {
                let c = match &*r.into_inner() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("entity {other}"),
                };
                notes.last_mut().unwrap().1.push_str(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    notes
}

#[test]
fn sheets_are_summary_then_results() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = convert(dir.path());
    let book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), ["Summary", "Results"]);
}

#[test]
fn results_sheet_has_the_csv_columns_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = convert(dir.path());
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let range = book.worksheet_range("Results").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header.join(","), HEADER);
    assert_eq!(rows.len(), 7);
    assert_eq!(summary.rows, 6);
    assert_eq!(
        rows[1],
        [
            Data::Float(2.0),
            Data::Empty,
            s("source"),
            s("created"),
            Data::Float(755.0),
            Data::Empty,
            Data::Empty,
            Data::Empty,
            Data::Empty,
            s("name=\"Website\"; cost=10"),
            s("Website"),
            Data::Float(10.0),
            s("007"),
        ],
        "a valid row's cost is a number; other cells stay text as written"
    );
    assert_eq!(rows[2][11], s("7,5"), "an invalid cost stays as written");
    assert_eq!(rows[4][5], Data::Float(400.0));
    assert_eq!(rows[4][6], Data::Float(24325.0));
    assert_eq!(
        rows[4][7],
        s("lead source does not exist (400/24325): The name is in use")
    );
    assert_eq!(rows[3][10], Data::Empty);
    assert_eq!(
        rows[4][8],
        s("cost: 150 → 1; description: \"Old\" → \"New\""),
        "changes are the CSV's text"
    );
    assert_eq!(rows[4][9], s("name=\"Taken\"; cost=1"));
    assert_eq!(rows[2][8], Data::Empty, "no changes: an empty cell");
}

#[test]
fn summary_sheet_counts_rows_by_status_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = convert(dir.path());
    assert_eq!(
        summary.by_status,
        [
            ("created".to_string(), 1),
            ("skipped".to_string(), 1),
            ("invalid".to_string(), 3),
            ("failed".to_string(), 1),
        ]
    );
    assert_eq!(
        summary.by_problem,
        [
            ("lead source does not exist (400/24325)".to_string(), 1),
            ("Cost (AUD): decimal comma".to_string(), 2),
            ("Name: is a duplicate".to_string(), 1),
            ("Name: is required".to_string(), 1),
        ]
    );
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let range = book.worksheet_range("Summary").unwrap();
    let pairs: Vec<(String, Data)> = range
        .rows()
        .filter(|r| r.len() > 1)
        .map(|r| (r[0].to_string(), r[1].clone()))
        .collect();
    let find = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    assert_eq!(find("Rows"), Some(Data::Float(6.0)));
    let title = range
        .get((0, 0))
        .map(ToString::to_string)
        .unwrap_or_default();
    assert_eq!(
        title, "Results of sources.csv",
        "the Summary names the input"
    );
    for (status, n) in &summary.by_status {
        assert_eq!(find(status), Some(Data::Float(*n as f64)), "{status}");
    }
    for (label, n) in &summary.by_problem {
        assert_eq!(find(label), Some(Data::Float(*n as f64)), "{label}");
    }
}

#[test]
fn problem_cells_are_filled_and_carry_the_problem_as_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary) = convert(dir.path());
    // Row 3: the cost (L3); row 4: name (K4) and cost (L4); row 5: the API error (H5); row
    // 7: the duplicate name (K7).
    assert_eq!(summary.marked_cells, 5);
    assert_eq!(summary.notes, 5);
    let notes = comments(&zipped(&out, "xl/comments1.xml"));
    let refs: Vec<&str> = notes.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(refs, ["L3", "K4", "L4", "H5", "K7"]);
    assert!(
        notes[0].1.starts_with("Cost (AUD): \"7,5\" is ambiguous"),
        "{notes:?}"
    );
    assert!(notes[0].1.ends_with("e.g. 7.5 or 7500"), "{notes:?}");
    assert_eq!(notes[1].1, "Name: is required when there is no id");
    assert!(notes[2].1.starts_with("Cost (AUD): \"8,1\" is ambiguous"));
    assert_eq!(
        notes[3].1,
        "lead source does not exist (400/24325): The name is in use"
    );
    assert_eq!(notes[4].1, "Name: \"Website\" is a duplicate of row 2");

    let sheet = zipped(&out, "xl/worksheets/sheet2.xml");
    let styles = zipped(&out, "xl/styles.xml");
    let filled = |cell: &str| {
        let at = sheet
            .find(&format!("<c r=\"{cell}\""))
            .unwrap_or_else(|| panic!("no cell {cell}"));
        let tag = &sheet[at..at + sheet[at..].find('>').unwrap()];
        let Some(s) = tag.split(" s=\"").nth(1) else {
            return false;
        };
        let xf: usize = s[..s.find('"').unwrap()].parse().unwrap();
        let xfs = &styles[styles.find("<cellXfs").unwrap()..];
        let xf_tag = xfs.split("<xf ").nth(xf + 1).unwrap();
        let fill: usize = xf_tag
            .split("fillId=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let fills = &styles[styles.find("<fills").unwrap()..];
        fills
            .split("<fill>")
            .nth(fill + 1)
            .unwrap()
            .contains("FFFFC7CE")
    };
    for cell in ["L3", "K4", "L4", "H5", "K7"] {
        assert!(filled(cell), "{cell} is not filled");
    }
    for cell in ["L2", "K3", "H3", "K5", "H7", "I5"] {
        assert!(!filled(cell), "{cell} is filled");
    }
}

#[test]
fn header_is_frozen_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = convert(dir.path());
    let sheet = zipped(&out, "xl/worksheets/sheet2.xml");
    assert!(sheet.contains("<autoFilter ref=\"A1:M7\""), "{sheet}");
    assert!(sheet.contains("state=\"frozen\""));
    assert!(sheet.contains("topLeftCell=\"A2\""));
    assert!(sheet.contains("<col "), "column widths are set");
}

#[test]
fn workbook_reads_back_as_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = convert(dir.path());
    let mut book = calamine::open_workbook_auto(&out).unwrap();
    let range = book.worksheet_range("Results").unwrap();
    let first: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(first[..8], crate::outcome::RESULT_COLUMNS);
    assert_eq!(first[8..10], ["changes", "sent"]);
    assert_eq!(first[10..], ["Name", "Cost (AUD)", "Code"]);
    assert_eq!(
        crate::outcome::own_columns(&first),
        10,
        "read back: the tool's columns"
    );
}

#[test]
fn the_input_and_the_results_csv_are_never_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("leads.csv");
    fs::write(&csv, "name\nA\n").unwrap();
    let results = dir.path().join("leads.results.csv");
    for out in [&csv, &results] {
        let err = Book::create(out, &csv, &results, &[]).err().unwrap();
        assert!(matches!(err, Error::SameFile { .. }), "{err:?}");
    }
    assert_eq!(fs::read_to_string(&csv).unwrap(), "name\nA\n");
}

#[test]
fn too_many_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let echo: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    let out = dir.path().join("wide.xlsx");
    let err = Book::create(
        &out,
        &dir.path().join("w.csv"),
        &dir.path().join("w.r.csv"),
        &echo,
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::TooManyColumns { columns, .. } if columns == MAX_COLUMNS + 10));
    assert!(!out.exists());
}

#[test]
fn only_plain_whole_numbers_become_numbers() {
    assert_eq!(whole_number("755"), Some(755.0));
    assert_eq!(whole_number(" 12 "), Some(12.0));
    assert_eq!(whole_number("7.5"), None);
    assert_eq!(whole_number("-1"), None);
    assert_eq!(whole_number("1234567890123456"), None);
    assert_eq!(whole_number(""), None);
}

#[test]
fn overlong_text_is_cut_to_fit_a_cell() {
    let long = "é".repeat(MAX_CELL_TEXT + 10);
    let cut = fit(&long);
    assert_eq!(cut.encode_utf16().count(), MAX_CELL_TEXT);
    assert!(cut.ends_with('…'));
    assert_eq!(fit("short"), "short");
}
