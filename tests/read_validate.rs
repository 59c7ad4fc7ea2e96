//! Reading and validation, end to end through `ivvy-import validate`: one behaviour each.

mod common;

use common::{fixture, run_to, validate};
use rust_xlsxwriter::{Formula, Workbook};

#[test]
fn utf8_bom_is_not_part_of_the_first_header() {
    let o = validate("utf8_bom.csv", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.header[8], "name");
    assert_eq!(o.line(2)["name"], "BOM Source");
}

#[test]
fn crlf_line_ends_leave_no_carriage_return_in_values() {
    let o = validate("crlf.csv", &["--kind", "sources"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(3)["cost"], "2");
    assert_eq!(o.rows(), vec![2, 3]);
}

#[test]
fn windows_1252_text_is_decoded_and_reported() {
    let o = validate("windows1252.csv", &["--kind", "sources"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(2)["name"], "Café Society");
    assert_eq!(o.line(2)["description"], "Crème brûlée evenings – €5");
    assert!(o.stderr.contains("windows-1252"), "{}", o.stderr);
}

#[test]
fn forced_utf8_on_windows_1252_bytes_keeps_the_row() {
    let o = validate(
        "windows1252.csv",
        &["--kind", "sources", "--encoding", "utf-8"],
    );
    assert_eq!(o.lines.len(), 1);
    assert!(o.line(2)["name"].contains('\u{FFFD}'));
}

#[test]
fn semicolon_delimiter_is_sniffed() {
    let o = validate("semicolon.csv", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(2)["cost"], "1,200.50");
    assert!(o.stderr.contains("delimiter ';'"), "{}", o.stderr);
}

#[test]
fn tab_and_pipe_delimiters_are_sniffed() {
    let o = validate("tab.csv", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(2)["kind"], "stage");
    assert_eq!(o.line(2)["colour"], "#abc");
    let o = validate("pipe.csv", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(2)["applyTo"], "2");
}

#[test]
fn given_delimiter_overrides_the_sniffer() {
    let o = validate("semicolon.csv", &["--delimiter", ",", "--kind", "sources"]);
    // Read with commas, the header is one odd column and the row spills over it.
    assert_eq!(o.line(2)["status"], "invalid");
}

#[test]
fn quoted_field_with_newline_is_one_row() {
    let o = validate("embedded_newline.csv", &["--kind", "sources"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.line(2)["description"],
        "Line one\nLine two, with comma and \"quotes\""
    );
    // The quoted line break does not shift later row numbers past the record count.
    assert_eq!(o.line(3)["name"], "Next");
}

#[test]
fn short_rows_read_missing_cells_as_empty_and_long_rows_are_invalid() {
    let o = validate("ragged.csv", &[]);
    assert_eq!(o.code, 1);
    assert_eq!(o.line(2)["status"], "valid");
    assert_eq!(o.line(3)["status"], "invalid");
    assert!(
        o.line(3)["error"].contains("\"unexpected\""),
        "{:?}",
        o.line(3)
    );
    assert!(o.line(3)["error"].contains("column E"), "{:?}", o.line(3));
    assert_eq!(
        o.line(4)["status"],
        "valid",
        "empty cells beyond the header are fine"
    );
}

#[test]
fn blank_lines_take_a_row_number_but_get_no_line() {
    let o = validate("blank_lines.csv", &["--kind", "sources"]);
    assert_eq!(o.rows(), vec![3, 6, 7]);
    let o = validate("crlf_blank_lines.csv", &["--kind", "sources"]);
    assert_eq!(o.rows(), vec![2, 4]);
}

#[test]
fn every_source_rule_reports_every_problem_of_the_row() {
    let o = validate("sources_rules.csv", &["--kind", "sources"]);
    assert_eq!(o.code, 1);
    let ok = |r: u32| assert_eq!(o.line(r)["status"], "valid", "row {r}: {:?}", o.line(r));
    let bad = |r: u32, needle: &str| {
        let l = o.line(r);
        assert_eq!(l["status"], "invalid", "row {r}");
        assert!(
            l["error"].contains(needle),
            "row {r}: {:?} lacks {needle:?}",
            l["error"]
        );
    };
    ok(2);
    bad(3, "name: is required");
    ok(4); // an update needs no name
    ok(5); // id 755.0 is 755; colour ABC is fine
    assert_eq!(o.line(5)["id"], "755");
    bad(6, "id: \"abc\" is not a positive whole number");
    bad(7, "colour: \"5\""); // an unquoted 7,5 shifts the cells one column right
    bad(8, "cost: \"7,5\" is ambiguous");
    bad(9, "colour: \"#12345\"");
    bad(10, "isReferral: \"maybe\"");
    let all = &o.line(11)["error"];
    for needle in [
        "cost: \"-3\" is negative",
        "colour: \"red\"",
        "isReferral: \"perhaps\"",
    ] {
        assert!(all.contains(needle), "{all:?} lacks {needle:?}");
    }
    ok(12);
    bad(13, "duplicate of row 12");
    ok(14);
    ok(15);
}

#[test]
fn every_stage_rule_is_checked() {
    let o = validate("stages_rules.csv", &[]);
    assert_eq!(o.code, 1);
    for r in [2, 3, 4, 7] {
        assert_eq!(o.line(r)["status"], "valid", "row {r}: {:?}", o.line(r));
    }
    assert!(o.line(5)["error"].contains("applyTo: is required"));
    assert!(o.line(6)["error"].contains("applyTo: \"3\""));
    assert!(
        o.line(8)["error"].contains("duplicate of row 2"),
        "{:?}",
        o.line(8)
    );
}

#[test]
fn unresolvable_kind_is_fatal_and_lists_the_headers() {
    let o = validate("no_kind.csv", &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("name, colour"), "{}", o.stderr);
    assert!(o.stderr.contains("--kind"), "{}", o.stderr);
    let o = validate("both_kinds.csv", &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("both"), "{}", o.stderr);
}

#[test]
fn empty_file_and_missing_file_are_fatal() {
    assert_eq!(validate("empty.csv", &["--kind", "sources"]).code, 2);
    assert_eq!(validate("does-not-exist.csv", &[]).code, 2);
}

#[test]
fn mapping_file_maps_legacy_headers_and_unknown_columns_are_warned_once() {
    let map = fixture("mapped_legacy.toml");
    let o = validate("mapped_legacy.csv", &["--map", map.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.line(2)["Spend"], "99");
    let o = validate("mapped_legacy.csv", &["--kind", "sources"]);
    assert_eq!(o.code, 1, "without the map there is no name");
    assert_eq!(o.stderr.matches("Source Title").count(), 1, "{}", o.stderr);
}

#[test]
fn json_summary_goes_to_stdout() {
    let o = validate("sources_rules.csv", &["--kind", "sources", "--json", "-q"]);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["rows"], 14);
    assert_eq!(v["totals"]["invalid"], 8);
    assert!(o.stderr.is_empty(), "quiet: {}", o.stderr);
}

#[test]
fn results_file_fed_back_reads_its_own_columns() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_to(
        dir.path(),
        &[
            "validate",
            fixture("sources_rules.csv").to_str().unwrap(),
            "--kind",
            "sources",
        ],
        &[],
    );
    assert_eq!(first.code, 1);
    let again_in = dir.path().join("again.csv");
    std::fs::copy(dir.path().join("out.results.csv"), &again_in).unwrap();
    let second = run_to(dir.path(), &["validate", again_in.to_str().unwrap()], &[]);
    // The kind comes from the kind column; the fixed columns are not echoed twice.
    assert_eq!(second.header.iter().filter(|h| *h == "status").count(), 1);
    assert_eq!(second.header, first.header);
    assert_eq!(second.statuses(), first.statuses());
    assert_eq!(second.line(5)["id"], "755");
}

#[test]
fn output_must_be_a_directory_with_several_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("crlf.csv");
    let b = fixture("semicolon.csv");
    let o = common::bin()
        .args([
            "validate",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--kind",
            "sources",
            "-o",
        ])
        .arg(dir.path().join("nope.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = common::bin()
        .args([
            "validate",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--kind",
            "sources",
            "-o",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.path().join("crlf.results.csv").exists());
    assert!(dir.path().join("semicolon.results.csv").exists());
}

#[test]
fn duplicates_are_found_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "name,cost\nExpo,1\n").unwrap();
    std::fs::write(&b, "name,cost\n expo ,2\n").unwrap();
    let o = common::bin()
        .args(["validate", a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let (_, lines) = common::read_results(&dir.path().join("b.results.csv"));
    assert!(
        lines[0]["error"].contains("duplicate of row 2 of"),
        "{:?}",
        lines[0]
    );
}

fn workbook(path: &std::path::Path) {
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("Lead Sources").unwrap();
    // Two blank rows before the header.
    for (c, h) in ["id", "name", "cost", "isReferral", "Notes"]
        .iter()
        .enumerate()
    {
        s.write_string(2, c as u16, *h).unwrap();
    }
    s.write_number(3, 0, 755.0).unwrap();
    s.write_string(3, 1, "Numeric id").unwrap();
    s.write_number(3, 2, 12.5).unwrap();
    s.write_boolean(3, 3, true).unwrap();
    s.write_number(3, 4, 3.0).unwrap();
    s.write_string(4, 1, "Error cost").unwrap();
    s.write_formula(4, 2, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    s.write_formula(4, 4, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    s.write_string(6, 1, "Formula cost").unwrap();
    s.write_formula(6, 2, Formula::new("=2*21").set_result("42"))
        .unwrap();
    s.write_number(6, 3, 0.0).unwrap();
    let t = wb.add_worksheet();
    t.set_name("Stages").unwrap();
    for (c, h) in ["name", "applyTo", "colour"].iter().enumerate() {
        t.write_string(0, c as u16, *h).unwrap();
    }
    t.write_string(1, 0, "Enquiry").unwrap();
    t.write_number(1, 1, 2.0).unwrap();
    t.write_string(1, 2, "#ABC").unwrap();
    t.write_string(2, 0, "Site Visit").unwrap();
    t.write_string(2, 1, "Opportunity").unwrap();
    wb.add_worksheet().set_name("Empty").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn workbook_sheets_keep_real_row_numbers_and_cell_types() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("crm.xlsx");
    workbook(&x);
    let o = run_to(dir.path(), &["validate", x.to_str().unwrap()], &[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let src: Vec<&common::Line> = o
        .lines
        .iter()
        .filter(|l| l["sheet"] == "Lead Sources")
        .collect();
    assert_eq!(src.len(), 3);
    let numeric = o.lines.iter().find(|l| l["name"] == "Numeric id").unwrap();
    assert_eq!(numeric["row"], "4");
    assert_eq!(numeric["id"], "755");
    assert_eq!(numeric["status"], "valid");
    assert_eq!(numeric["cost"], "12.5");
    assert_eq!(numeric["isReferral"], "true");
    assert_eq!(numeric["Notes"], "3");
    let err = o.lines.iter().find(|l| l["name"] == "Error cost").unwrap();
    assert_eq!(err["status"], "invalid");
    assert_eq!(
        err["error"], "cost: cell C5 is #N/A",
        "an error cell in an unmapped column is only echoed"
    );
    assert_eq!(err["Notes"], "#N/A");
    let formula = o
        .lines
        .iter()
        .find(|l| l["name"] == "Formula cost")
        .unwrap();
    assert_eq!(formula["row"], "7");
    assert_eq!(formula["cost"], "42");
    assert_eq!(formula["status"], "valid");
    let stages: Vec<&common::Line> = o.lines.iter().filter(|l| l["sheet"] == "Stages").collect();
    assert_eq!(stages.len(), 2);
    assert!(
        stages
            .iter()
            .all(|l| l["kind"] == "stage" && l["status"] == "valid")
    );
    // The echoed columns are the union of both sheets' headers, in first-seen order.
    assert_eq!(
        &o.header[8..],
        ["name", "cost", "isReferral", "Notes", "applyTo", "colour"]
    );
}

#[test]
fn sheet_option_picks_one_sheet_and_unknown_sheet_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("crm.xlsx");
    workbook(&x);
    let o = run_to(
        dir.path(),
        &["validate", x.to_str().unwrap(), "--sheet", "stages"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.lines.len(), 2);
    let o = run_to(
        dir.path(),
        &["validate", x.to_str().unwrap(), "--sheet", "Nope"],
        &[],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("Lead Sources, Stages, Empty"),
        "{}",
        o.stderr
    );
}

#[test]
fn import_dry_run_is_validate() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("stages_rules.csv");
    let a = run_to(
        dir.path(),
        &["import", f.to_str().unwrap(), "--dry-run"],
        &[],
    );
    let b = run_to(dir.path(), &["validate", f.to_str().unwrap()], &[]);
    assert_eq!(a.code, b.code);
    assert_eq!(a.lines, b.lines);
    assert!(
        a.lines
            .iter()
            .all(|l| l["status"] == "valid" || l["status"] == "invalid")
    );
}
