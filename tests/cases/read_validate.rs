//! Reading and validation, end to end through `ivvy-import validate`: one behaviour each.

use rust_xlsxwriter::{Formula, Workbook};

use crate::support::{Case, Line};

#[test]
fn utf8_bom_is_not_part_of_the_first_header() {
    let o = Case::new().fixture("utf8_bom.csv").run().expect_code(0);
    assert_eq!(o.header[11], "name");
    assert_eq!(o.line(2)["name"], "BOM Source");
}

#[test]
fn crlf_line_ends_leave_no_carriage_return_in_values() {
    let o = Case::new()
        .fixture("crlf.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(0);
    assert_eq!(o.line(3)["cost"], "2");
    assert_eq!(o.rows(), vec![2, 3]);
    assert!(
        o.lines
            .iter()
            .flat_map(|l| l.values())
            .all(|v| !v.contains('\r'))
    );
}

#[test]
fn windows_1252_text_is_decoded_and_reported() {
    let o = Case::new()
        .fixture("windows1252.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(0)
        .expect_stderr("windows-1252");
    assert_eq!(o.line(2)["name"], "Café Society");
    assert_eq!(o.line(2)["description"], "Crème brûlée evenings – €5");
}

#[test]
fn forced_utf8_on_windows_1252_bytes_keeps_the_row() {
    let o = Case::new()
        .fixture("windows1252.csv")
        .args(["--kind", "sources", "--encoding", "utf-8"])
        .run();
    assert_eq!(o.lines.len(), 1);
    assert!(o.line(2)["name"].contains('\u{FFFD}'));
}

#[test]
fn semicolon_delimiter_is_sniffed() {
    let o = Case::new()
        .fixture("semicolon.csv")
        .run()
        .expect_code(0)
        .expect_stderr("delimiter ';'");
    assert_eq!(o.line(2)["cost"], "1,200.50");
}

#[test]
fn tab_and_pipe_delimiters_are_sniffed() {
    let o = Case::new().fixture("tab.csv").run().expect_code(0);
    assert_eq!(o.line(2)["kind"], "stage");
    assert_eq!(o.line(2)["colour"], "#abc");
    let o = Case::new().fixture("pipe.csv").run().expect_code(0);
    assert_eq!(o.line(2)["applyTo"], "2");
}

#[test]
fn given_delimiter_overrides_the_sniffer() {
    // Read with commas, the header is one odd column that names no field: no header row is
    // found, and the message shows the first row as it was read.
    Case::new()
        .fixture("semicolon.csv")
        .args(["--delimiter", ",", "--kind", "sources"])
        .run()
        .expect_code(2)
        .expect_stderr("the first row holds: name;cost;isReferral");
}

#[test]
fn quoted_field_with_newline_is_one_row() {
    let o = Case::new()
        .fixture("embedded_newline.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(0);
    assert_eq!(
        o.line(2)["description"],
        "Line one\nLine two, with comma and \"quotes\""
    );
    // The quoted line break does not shift later row numbers past the record count.
    assert_eq!(o.line(3)["name"], "Next");
}

#[test]
fn short_rows_read_missing_cells_as_empty_and_long_rows_are_invalid() {
    Case::new()
        .fixture("ragged.csv")
        .run()
        .expect_code(1)
        .expect_status(2, "valid")
        .expect_status(3, "invalid")
        .expect_error(3, "\"unexpected\"")
        .expect_error(3, "column E")
        // Empty cells beyond the header are fine.
        .expect_status(4, "valid");
}

#[test]
fn blank_lines_take_a_row_number_but_get_no_line() {
    let o = Case::new()
        .fixture("blank_lines.csv")
        .args(["--kind", "sources"])
        .run();
    assert_eq!(o.rows(), vec![3, 6, 7]);
    let o = Case::new()
        .fixture("crlf_blank_lines.csv")
        .args(["--kind", "sources"])
        .run();
    assert_eq!(o.rows(), vec![2, 4]);
}

#[test]
fn a_last_row_without_a_line_break_keeps_its_number() {
    let o = Case::new()
        .csv("name,description\nX,2\nY,\"A\nB\"")
        .run()
        .expect_code(0);
    assert_eq!(o.rows(), vec![2, 3]);
    // Line breaks are kept in a description (a name may not hold one).
    assert_eq!(o.line(3)["description"], "A\nB");
}

#[test]
fn blank_lines_before_a_last_row_without_a_line_break_take_their_numbers() {
    let o = Case::new().csv("name,cost\nX,2\n\n\nY,1").run();
    assert_eq!(o.rows(), vec![2, 5]);
    let o = Case::new().csv("name,cost\r\n\nA,1").run();
    assert_eq!(o.rows(), vec![3]);
}

#[test]
fn every_source_rule_reports_every_problem_of_the_row() {
    let o = Case::new()
        .fixture("sources_rules.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(1)
        .expect_status(2, "valid")
        .expect_error(3, "name: is required")
        .expect_status(4, "valid") // an update needs no name
        .expect_status(5, "valid") // id 755.0 is 755; colour ABC is fine
        .expect_error(6, "id: \"abc\" is not a positive whole number")
        .expect_error(7, "colour: \"5\"") // an unquoted 7,5 shifts the cells one column right
        .expect_error(8, "cost: \"7,5\" is ambiguous")
        .expect_error(9, "colour: \"#12345\"")
        .expect_error(10, "isReferral: \"maybe\"")
        .expect_error(11, "cost: \"-3\" is negative")
        .expect_error(11, "colour: \"red\"")
        .expect_error(11, "isReferral: \"perhaps\"")
        .expect_status(12, "valid")
        .expect_error(13, "duplicate of row 12")
        .expect_status(14, "valid")
        .expect_status(15, "valid");
    assert_eq!(o.line(5)["id"], "755");
    for row in [3, 6, 7, 8, 9, 10, 11, 13] {
        assert_eq!(o.line(row)["status"], "invalid", "row {row}");
    }
}

#[test]
fn every_stage_rule_is_checked() {
    let o = Case::new()
        .fixture("stages_rules.csv")
        .run()
        .expect_code(1)
        .expect_error(5, "applyTo: is required")
        .expect_error(6, "applyTo: \"3\"")
        .expect_error(8, "duplicate of row 2");
    for r in [2, 3, 4, 7] {
        assert_eq!(o.line(r)["status"], "valid", "row {r}: {:?}", o.line(r));
    }
}

#[test]
fn unresolvable_kind_is_fatal_and_lists_the_headers() {
    Case::new()
        .fixture("no_kind.csv")
        .run()
        .expect_code(2)
        .expect_stderr("name, colour")
        .expect_stderr("--kind");
    Case::new()
        .fixture("both_kinds.csv")
        .run()
        .expect_code(2)
        .expect_stderr("both");
}

#[test]
fn empty_file_and_missing_file_are_fatal() {
    Case::new()
        .fixture("empty.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(2);
    Case::new()
        .args(["does-not-exist.csv"])
        .run()
        .expect_code(2)
        .expect_stderr("does-not-exist.csv");
}

#[test]
fn mapping_file_maps_legacy_headers_and_unknown_columns_are_warned_once() {
    let o = Case::new()
        .fixture("mapped_legacy.csv")
        .fixture_file("mapped_legacy.toml")
        .args(["--map", "mapped_legacy.toml"])
        .run()
        .expect_code(0);
    assert_eq!(o.line(2)["Spend"], "99");
    let o = Case::new()
        .fixture("mapped_legacy.csv")
        .args(["--kind", "sources"])
        .run();
    assert_eq!(o.code, 2, "without the map no header row names a field");
    assert_eq!(o.stderr.matches("Source Title").count(), 1, "{}", o.stderr);
}

#[test]
fn json_summary_goes_to_stdout_and_quiet_leaves_stderr_empty() {
    let o = Case::new()
        .fixture("sources_rules.csv")
        .args(["--kind", "sources", "--json", "-q"])
        .run()
        .expect_code(1);
    let v = o.json();
    assert_eq!(v["mode"], "validate");
    assert_eq!(v["rows"], 14);
    assert_eq!(v["totals"]["valid"], 6);
    assert_eq!(v["totals"]["invalid"], 8);
    assert_eq!(v["requests"], 0);
    assert_eq!(v["stopped"], serde_json::Value::Null);
    assert!(o.stderr.is_empty(), "quiet: {}", o.stderr);
}

#[test]
fn results_file_fed_back_reads_its_own_columns() {
    let first = Case::new()
        .fixture("sources_rules.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(1);
    // No --kind: the kind comes from the kind column.
    let second = Case::new().input("again.csv", &first.results).run();
    // The fixed columns are not echoed twice.
    assert_eq!(second.header.iter().filter(|h| *h == "status").count(), 1);
    assert_eq!(second.header, first.header);
    assert_eq!(second.statuses(), first.statuses());
    assert_eq!(second.line(5)["id"], "755");
}

#[test]
fn output_must_be_a_directory_with_several_inputs() {
    let case = Case::new()
        .fixture("crlf.csv")
        .fixture("semicolon.csv")
        .args(["--kind", "sources"]);
    case.run_with(["-o", "nope.csv"])
        .expect_code(2)
        .expect_stderr("directory");
    std::fs::create_dir(case.path("out")).unwrap();
    case.run_with(["-o", "out"]).expect_code(0);
    assert!(case.path("out/crlf.results.csv").exists());
    assert!(case.path("out/semicolon.results.csv").exists());
}

#[test]
fn duplicates_are_found_across_files() {
    let case = Case::new()
        .input("a.csv", "name,cost\nExpo,1\n")
        .input("b.csv", "name,cost\n expo ,2\n");
    case.run().expect_code(1);
    let (_, lines) = case.results("b.results.csv");
    assert!(
        lines[0]["error"].contains("duplicate of row 2 of a.csv"),
        "{:?}",
        lines[0]
    );
}

/// Two sheets of different kinds, a blank sheet, blank rows before the header, numbers,
/// booleans, error cells and formulas.
fn workbook(path: &std::path::Path) {
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("Lead Sources").unwrap();
    // Two blank rows before the header.
    for (c, h) in ["id", "name", "cost", "isReferral", "Notes"]
        .iter()
        .enumerate()
    {
        s.write_string(2, u16::try_from(c).unwrap(), *h).unwrap();
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
        t.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
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
    let o = Case::new()
        .input_made("crm.xlsx", workbook)
        .run()
        .expect_code(1);
    let by_name = |name: &str| -> &Line {
        o.lines
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no line named {name}"))
    };
    let sources = o.lines.iter().filter(|l| l["sheet"] == "Lead Sources");
    assert_eq!(sources.count(), 3);
    let numeric = by_name("Numeric id");
    assert_eq!(numeric["row"], "4");
    assert_eq!(numeric["id"], "755");
    assert_eq!(numeric["status"], "valid");
    assert_eq!(numeric["cost"], "12.5");
    assert_eq!(numeric["isReferral"], "true");
    assert_eq!(numeric["Notes"], "3");
    let err = by_name("Error cost");
    assert_eq!(err["status"], "invalid");
    assert_eq!(
        err["error"], "cost: cell C5 is #N/A",
        "an error cell in an unmapped column is only echoed"
    );
    assert_eq!(err["Notes"], "#N/A");
    let formula = by_name("Formula cost");
    assert_eq!(formula["row"], "7");
    assert_eq!(formula["cost"], "42");
    assert_eq!(formula["status"], "valid");
    let stages: Vec<&Line> = o.lines.iter().filter(|l| l["sheet"] == "Stages").collect();
    assert_eq!(stages.len(), 2);
    assert!(
        stages
            .iter()
            .all(|l| l["kind"] == "stage" && l["status"] == "valid")
    );
    // The echoed columns are the union of both sheets' headers, in first-seen order.
    assert_eq!(
        &o.header[11..],
        ["name", "cost", "isReferral", "Notes", "applyTo", "colour"]
    );
}

#[test]
fn sheet_option_picks_one_sheet_and_unknown_sheet_is_fatal() {
    let case = Case::new().input_made("crm.xlsx", workbook);
    let o = case.run_with(["--sheet", "stages"]).expect_code(0);
    assert_eq!(o.lines.len(), 2);
    case.run_with(["--sheet", "Nope"])
        .expect_code(2)
        .expect_stderr("Lead Sources, Stages, Empty");
}

#[test]
fn import_dry_run_is_validate() {
    let dry = Case::new()
        .fixture("stages_rules.csv")
        .cmd("import")
        .arg("--dry-run")
        .run();
    let validate = Case::new().fixture("stages_rules.csv").run();
    assert_eq!(dry.code, validate.code);
    assert_eq!(dry.lines, validate.lines);
    assert!(
        dry.lines
            .iter()
            .all(|l| l["status"] == "valid" || l["status"] == "invalid")
    );
}
