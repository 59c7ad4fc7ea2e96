//! CSV files as people's applications really save them, read end to end through
//! `ivvy-import validate`: one behaviour each.

use std::path::{Path, PathBuf};

use crate::support::{Case, Outcome};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `ivvy-import validate <input> args... -o out.csv`, the input copied into a case of its
/// own under its own name.
fn validate(input: &Path, args: &[&str]) -> Outcome {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .expect("an input name");
    let bytes = std::fs::read(input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let o = Case::new()
        .input(name, bytes)
        .args(args)
        .args(["-o", "out.csv"])
        .run();
    assert!(o.stderr_is_text, "stderr is not UTF-8: {:?}", o.stderr);
    o
}

fn sources(name: &str, extra: &[&str]) -> Outcome {
    let mut args = vec!["--kind", "sources"];
    args.extend_from_slice(extra);
    validate(&fixture(name), &args)
}

#[test]
fn cr_line_ends_end_rows_and_a_quoted_lf_stays_in_its_value() {
    let r = sources("csv_cr_line_ends.csv", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Row 3 is blank: it takes its number and gets no line.
    assert_eq!(r.rows(), vec![2, 4, 5]);
    assert_eq!(r.line(2)["cost"], "1");
    assert_eq!(r.line(4)["description"], "Line one\nLine two");
    assert_eq!(r.line(5)["name"], "Gamma");
}

#[test]
fn cr_lf_and_crlf_in_one_file_each_end_a_row() {
    let r = sources("csv_mixed_line_ends.csv", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows(), vec![2, 3, 5, 6]);
    assert_eq!(r.line(2)["cost"], "1");
    assert_eq!(r.line(3)["cost"], "2");
    assert_eq!(r.line(5)["description"], "Two\r\nlines");
    assert_eq!(r.line(6)["name"], "Delta");
}

#[test]
fn excel_sep_line_sets_the_delimiter_and_counts_as_row_one() {
    let r = validate(&fixture("csv_sep_line.csv"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("delimiter ';'"), "{}", r.stderr);
    assert_eq!(r.rows(), vec![3, 4]);
    assert_eq!(r.line(3)["description"], "Big, bold stand");
    assert_eq!(r.line(3)["cost"], "12.50");
}

#[test]
fn a_quote_that_never_closes_is_fatal_and_names_its_row() {
    let r = sources("csv_unterminated_quote.csv", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("row 3"), "{}", r.stderr);
    assert!(r.stderr.contains("column B"), "{}", r.stderr);
    assert!(r.stderr.contains("never closes"), "{}", r.stderr);
    assert!(r.stderr.contains("byte 36"), "{}", r.stderr);
    // The rows before it are reported; none after it is read as part of one cell.
    assert_eq!(r.rows(), vec![2]);
}

#[test]
fn a_quoted_value_past_any_cell_size_over_many_lines_is_an_open_quote() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("q.csv");
    let mut text = String::from("name,description,cost\nA,\"starts here\n");
    for i in 0..5000 {
        text.push_str(&format!("Row {i},plain,{i}\n"));
    }
    std::fs::write(&f, text).unwrap();
    let r = validate(&f, &["--kind", "sources"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("row 2"), "{}", r.stderr);
    assert!(r.stderr.contains("64 KiB"), "{}", r.stderr);
}

#[test]
fn lines_in_windows_1252_within_a_utf8_file_are_decoded_line_by_line() {
    let r = sources("csv_mixed_encoding.csv", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.line(2)["name"], "Café Société");
    assert_eq!(r.line(2)["description"], "Crème brûlée");
    assert_eq!(r.line(3)["name"], "Café Two");
    assert_eq!(r.line(3)["description"], "Crème € 5");
    assert_eq!(r.line(5)["description"], "Déjà vu");
    assert_eq!(r.line(6)["name"], "Café Five");
    for l in &r.lines {
        assert!(!l["name"].contains('Ã'), "mojibake: {l:?}");
    }
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("not valid UTF-8"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(warnings[0].contains("rows 3, 6"), "{}", r.stderr);
}

#[test]
fn mac_roman_is_read_with_its_encoding_option() {
    for name in ["macintosh", "mac-roman"] {
        let r = sources("csv_mac_roman.csv", &["--encoding", name]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.line(2)["name"], "Café Society");
        assert_eq!(r.line(2)["description"], "Crème brûlée €5");
    }
}

#[test]
fn a_workbook_named_csv_is_read_as_the_workbook_it_is() {
    let r = validate(&fixture("csv_workbook_named.csv"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("workbook"), "{}", r.stderr);
    assert_eq!(r.line(2)["sheet"], "Lead Sources");
    assert_eq!(r.line(2)["name"], "Google Ads");
}

#[test]
fn html_and_spreadsheetml_under_a_spreadsheet_name_are_refused_with_advice() {
    let r = validate(&fixture("csv_html_table.xls"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("HTML"), "{}", r.stderr);
    assert!(r.stderr.contains("save it as .xlsx or CSV"), "{}", r.stderr);
    let r = validate(&fixture("csv_spreadsheetml.xls"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("XML Spreadsheet"), "{}", r.stderr);
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("export.csv");
    std::fs::copy(fixture("csv_html_table.xls"), &renamed).unwrap();
    let r = validate(&renamed, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("HTML"), "{}", r.stderr);
}

#[test]
fn binary_bytes_never_reach_the_terminal() {
    let r = validate(&fixture("csv_binary.csv"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !r.stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{:?}",
        r.stderr
    );
}

#[test]
fn a_record_past_one_mib_without_a_line_end_is_fatal_and_short() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("long.csv");
    let mut text = String::from("name,description,cost\nA,a,1\nB,");
    text.push_str(&"x".repeat(3 << 20));
    text.push_str(",2\nC,c,3\n");
    std::fs::write(&f, text).unwrap();
    let r = validate(&f, &["--kind", "sources"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("row 3"), "{}", r.stderr);
    assert!(r.stderr.contains("byte 28"), "{}", r.stderr);
    assert!(r.stderr.contains('…'), "{}", r.stderr);
    assert!(r.stderr.len() < 2048, "{} bytes of stderr", r.stderr.len());
}

#[test]
fn a_header_past_one_mib_is_fatal_and_short() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("header.csv");
    std::fs::write(&f, ",".repeat(3 << 20)).unwrap();
    let r = validate(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("byte 0"), "{}", r.stderr);
    assert!(r.stderr.len() < 2048, "{} bytes of stderr", r.stderr.len());
}

#[test]
fn extra_cells_are_quoted_short_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("extra.csv");
    let long = "y".repeat(500);
    std::fs::write(&f, format!("name,cost\nA,1,{long}\n")).unwrap();
    let r = validate(&f, &["--kind", "sources"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let error = &r.line(2)["error"];
    assert!(error.contains('…'), "{error}");
    assert!(error.len() < 300, "{error}");
}

#[test]
fn control_characters_in_headers_are_not_echoed_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("esc.csv");
    std::fs::write(&f, "\u{1b}[2Jname,\u{7}colour\nA,#fff\n").unwrap();
    let r = validate(&f, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !r.stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{:?}",
        r.stderr
    );
}

#[test]
fn text_named_xls_is_read_as_csv_with_a_note() {
    let r = validate(&fixture("csv_text_named.xls"), &["--kind", "sources"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("read as CSV"), "{}", r.stderr);
    assert!(r.stderr.contains("delimiter tab"), "{}", r.stderr);
    assert_eq!(r.line(2)["cost"], "12");
}

#[test]
fn a_csv_header_below_title_rows_is_found_and_rows_keep_their_numbers() {
    let case = Case::new().input(
        "export.csv",
        "Lead sources – exported 15/03/2025\n\nname,cost\nExpo,5\nFair,x\n",
    );
    let o = case.run_with(["-o", "out.csv"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("header found on row 3"), "{}", o.stderr);
    assert_eq!(o.rows(), [4, 5]);
    // No header anywhere: the message lists the first row's cells.
    case.write("export.csv", "Just a title\nmore words\n");
    let o = case.run_with(["-o", "out.csv"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("the first row holds: Just a title"));
}
