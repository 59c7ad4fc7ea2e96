use super::*;
use crate::test_support::zipped;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::fs;
use std::io::Write as _;

const HEADER: &str =
    "row,sheet,kind,status,id,error_code,specific_code,error,Name,Cost (AUD),Code\n";

fn results_csv(dir: &Path) -> PathBuf {
    let path = dir.join("sources.results.csv");
    let mut f = fs::File::create(&path).unwrap();
    f.write_all(b"\xEF\xBB\xBF").unwrap();
    f.write_all(HEADER.as_bytes()).unwrap();
    f.write_all(
        concat!(
            "2,,source,created,755,,,,Website,10,007\n",
            "3,,source,invalid,,,,\"Cost (AUD): \"\"7,5\"\" is ambiguous (decimal comma or thousands separator?); write it with a decimal point, e.g. 7.5 or 7500\",Fair,\"7,5\",8\n",
            "4,,source,invalid,,,,\"Name: is required when there is no id; Cost (AUD): \"\"8,1\"\" is ambiguous (decimal comma or thousands separator?)\",,\"8,1\",9\n",
            "5,,source,failed,,400,24325,The name is in use,Taken,1,10\n",
            "6,,source,skipped,,,,,Later,2,11\n",
        )
        .as_bytes(),
    )
    .unwrap();
    path
}

fn s(v: &str) -> Data {
    Data::String(v.to_string())
}

fn convert(dir: &Path) -> (PathBuf, XlsxSummary) {
    let csv = results_csv(dir);
    let out = dir.join("sources.results.xlsx");
    let summary = csv_to_xlsx(&csv, &out).unwrap();
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
    assert_eq!(header.join(","), HEADER.trim_end());
    assert_eq!(rows.len(), 6);
    assert_eq!(summary.rows, 5);
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
            s("Website"),
            s("10"),
            s("007"),
        ]
    );
    assert_eq!(rows[2][9], s("7,5"));
    assert_eq!(rows[4][5], Data::Float(400.0));
    assert_eq!(rows[4][6], Data::Float(24325.0));
    assert_eq!(rows[4][7], s("The name is in use"));
    assert_eq!(rows[3][8], Data::Empty);
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
            ("invalid".to_string(), 2),
            ("failed".to_string(), 1),
        ]
    );
    assert_eq!(
        summary.by_problem,
        [
            ("Cost (AUD): \"…\" is ambiguous".to_string(), 2),
            ("API error 400/24325".to_string(), 1),
            ("Name: is required when there is no id".to_string(), 1),
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
    assert_eq!(find("Rows"), Some(Data::Float(5.0)));
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
    // Row 3: the cost (J3); row 4: name (I4) and cost (J4); row 5: the API error (H5).
    assert_eq!(summary.marked_cells, 4);
    assert_eq!(summary.notes, 4);
    let notes = comments(&zipped(&out, "xl/comments1.xml"));
    let refs: Vec<&str> = notes.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(refs, ["J3", "I4", "J4", "H5"]);
    assert!(
        notes[0].1.starts_with("Cost (AUD): \"7,5\" is ambiguous"),
        "{notes:?}"
    );
    assert!(notes[0].1.ends_with("e.g. 7.5 or 7500"), "{notes:?}");
    assert_eq!(notes[1].1, "Name: is required when there is no id");
    assert!(notes[2].1.starts_with("Cost (AUD): \"8,1\" is ambiguous"));
    assert_eq!(notes[3].1, "The name is in use");

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
    for cell in ["J3", "I4", "J4", "H5"] {
        assert!(filled(cell), "{cell} is not filled");
    }
    for cell in ["J2", "I3", "H3", "I5"] {
        assert!(!filled(cell), "{cell} is filled");
    }
}

#[test]
fn header_is_frozen_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = convert(dir.path());
    let sheet = zipped(&out, "xl/worksheets/sheet2.xml");
    assert!(sheet.contains("<autoFilter ref=\"A1:K6\""), "{sheet}");
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
    assert_eq!(first[8..], ["Name", "Cost (AUD)", "Code"]);
}

#[test]
fn a_file_that_is_not_a_results_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plain.csv");
    fs::write(&csv, "name,cost\na,1\n").unwrap();
    let out = dir.path().join("plain.xlsx");
    let err = csv_to_xlsx(&csv, &out).unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("not a results file"), "{err}");
    assert!(!out.exists());
}

#[test]
fn the_results_file_is_never_its_own_output() {
    let dir = tempfile::tempdir().unwrap();
    let csv = results_csv(dir.path());
    let before = fs::read(&csv).unwrap();
    let err = csv_to_xlsx(&csv, &csv).unwrap_err();
    assert!(matches!(err, Error::SameFile { .. }));
    assert_eq!(fs::read(&csv).unwrap(), before);
}

#[test]
fn too_many_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("wide.results.csv");
    let mut header = String::from("row,sheet,kind,status,id,error_code,specific_code,error");
    for i in 0..MAX_COLUMNS {
        header.push_str(&format!(",c{i}"));
    }
    fs::write(&csv, header + "\n").unwrap();
    let err = csv_to_xlsx(&csv, &dir.path().join("wide.xlsx")).unwrap_err();
    assert!(matches!(err, Error::TooManyColumns { columns, .. } if columns == MAX_COLUMNS + 8));
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
