//! Values read as people see them, on files LibreOffice and Gnumeric wrote
//! (`tests/fixtures/src/make.sh`): error cells, percentages, European amounts, names that
//! look the same, merged cells, and the formats calamine misread.

use crate::support::Case;

// ---- error cells ----

/// An error result is a problem naming the cell in a mapped column, and echoed elsewhere, in
/// each format LibreOffice writes.
#[test]
fn error_cells_are_problems_in_ods_xlsx_and_xls() {
    for f in ["vals_errors.ods", "vals_errors.xlsx", "vals_errors.xls"] {
        let o = Case::new().fixture(f).run().expect_code(1);
        assert_eq!(o.line(2)["error"], "description: cell B2 is #N/A", "{f}");
        assert_eq!(o.line(3)["error"], "cost: cell C3 is #DIV/0!", "{f}");
        assert_eq!(o.line(4)["status"], "valid", "{f}");
        assert_eq!(o.line(4)["notes"], "#N/A", "{f}");
    }
}

/// An XLSB formula whose saved result is an error (record BrtFmlaError) is that error, not an
/// empty cell (`tests/fixtures/src/make_xlsb.py`).
#[test]
fn an_xlsb_error_formula_is_an_error_cell() {
    let o = Case::new()
        .fixture("vals_error_formula.xlsb")
        .run()
        .expect_code(1);
    assert_eq!(o.line(2)["error"], "cost: cell B2 is #N/A");
    assert_eq!(o.line(3)["status"], "valid");
    assert_eq!(o.line(4)["error"], "cost: cell B4 is #DIV/0!");
}

/// Gnumeric's ODS: whitespace between cells is read (no parser dump), and an error result
/// written as text beside its formula is an error.
#[test]
fn gnumeric_ods_is_read_and_its_errors_are_errors() {
    let o = Case::new()
        .fixture("vals_gnumeric_errors.ods")
        .run()
        .expect_code(1);
    assert_eq!(o.line(2)["error"], "description: cell B2 is #N/A");
    assert_eq!(o.line(3)["error"], "cost: cell C3 is #DIV/0!");
    assert_eq!(o.line(4)["cost"], "12.5");
}

/// Excel's ODS writer stores an error result as `office:value="0"` with the error's text.
#[test]
fn an_excel_ods_error_beside_a_zero_value_is_an_error() {
    let o = Case::new()
        .input_made("excel.ods", |p| {
            write_ods(
                p,
                r#"<table:table-row><table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>cost</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Expo</text:p></table:table-cell><table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0"><text:p>#DIV/0!</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Fair</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="0"><text:p>0</text:p></table:table-cell></table:table-row>"#,
            );
        })
        .args(["--kind", "sources"])
        .run()
        .expect_code(1);
    assert_eq!(o.line(2)["error"], "cost: cell B2 is #DIV/0!");
    assert_eq!(o.line(3)["status"], "valid");
    assert_eq!(o.line(3)["cost"], "0");
}

/// A minimal ODS file whose one sheet holds `rows`.
fn write_ods(path: &std::path::Path, rows: &str) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create");
    let mut z = zip::ZipWriter::new(file);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).expect("zip");
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("zip");
    z.start_file("META-INF/manifest.xml", stored).expect("zip");
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).expect("zip");
    z.start_file("content.xml", stored).expect("zip");
    write!(
        z,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .expect("zip");
    z.finish().expect("zip");
}

// ---- amounts ----

#[test]
fn dotted_thousands_and_percentages_in_text_are_problems_never_guesses() {
    let o = Case::new().fixture("vals_amounts.csv").run().expect_code(1);
    for row in [2, 3, 4] {
        let e = &o.line(row)["error"];
        assert!(
            e.contains("is ambiguous") && e.contains("--decimal-comma"),
            "row {row}: {e}"
        );
    }
    assert!(o.line(3)["error"].contains(r#""€ 2.500""#));
    let e = &o.line(5)["error"];
    assert!(
        e.contains(r#""2.500,00" is written with a decimal comma"#)
            && e.contains("--decimal-comma"),
        "{e}"
    );
    assert_eq!(
        o.line(6)["error"],
        r#"cost: "12%" is a percentage; a cost is an amount, not a share"#
    );
    assert_eq!(o.line(7)["status"], "valid");
    assert_eq!(o.line(8)["status"], "valid");
    // The other reading is one flag away.
    let o = Case::new()
        .fixture("vals_amounts.csv")
        .arg("--decimal-comma")
        .run();
    for row in [2, 3, 4, 5] {
        assert_eq!(o.line(row)["status"], "valid", "row {row}");
    }
}

/// A percentage cell is not a cost; in an echoed column it is written as it shows.
#[test]
fn a_percentage_cell_is_a_problem_in_cost_and_shown_as_a_percentage_elsewhere() {
    for f in [
        "vals_percent.xlsx",
        "vals_percent.ods",
        "vals_percent.xls",
        "vals_percent.xlsb",
    ] {
        let o = Case::new().fixture(f).run().expect_code(1);
        assert_eq!(
            o.line(2)["error"],
            r#"cost: "12%" is a percentage; a cost is an amount, not a share"#,
            "{f}"
        );
        assert_eq!(o.line(2)["share"], "5%", "{f}");
        assert_eq!(o.line(3)["share"], "13%", "{f}");
        assert_eq!(o.line(3)["status"], "valid", "{f}");
    }
    // XLSB: a percentage format of the file's own (`0.0%`), beside a whole-number cost.
    let o = Case::new().fixture("vals_percent.xlsb").run();
    assert_eq!(o.line(4)["share"], "12.5%");
    assert_eq!(o.line(4)["cost"], "30");
    assert_eq!(o.line(4)["status"], "valid");
}

/// Gnumeric numbers its own FORMAT records from 50: a currency format there is not a date.
#[test]
fn gnumeric_xls_currency_is_read_as_the_amount() {
    let o = Case::new()
        .fixture("vals_gnumeric_currency.xls")
        .run()
        .expect_code(0);
    assert_eq!(o.line(2)["cost"], "1200.5");
    assert_eq!(o.line(2)["budget"], "3000");
    assert_eq!(o.line(3)["budget"], "99.25");
}

// ---- names ----

/// A name typed (NFC) and pasted from a macOS file name (NFD), or in capitals, is one name;
/// a name of only invisible characters is empty.
#[test]
fn names_compare_as_people_see_them() {
    let o = Case::new().fixture("vals_names.csv").run().expect_code(1);
    assert_eq!(o.line(2)["status"], "valid");
    for row in [3, 6] {
        assert!(
            o.line(row)["error"].contains("is a duplicate of row 2"),
            "row {row}: {}",
            o.line(row)["error"]
        );
    }
    for row in [4, 5] {
        assert_eq!(
            o.line(row)["error"],
            "name: is required when there is no id",
            "row {row}"
        );
    }
}

/// The account's names are compared the same way: the decomposed form of a name created
/// before updates that record with --match-by-name.
#[test]
fn match_by_name_finds_the_decomposed_form_of_an_account_name() {
    let case = Case::new()
        .csv("name,cost\nCaf\u{e9} Ol\u{e9},10\n")
        .emulator("")
        .cmd("import");
    case.run().expect_code(0).expect_status(2, "created");
    case.write("input.csv", "name,cost\nCAFE\u{301} OLE\u{301},20\n");
    case.run_with(["--match-by-name", "-o", "again.csv"])
        .expect_code(0)
        .expect_status(2, "updated");
    let mine = case
        .store()
        .sources
        .values()
        .filter(|s| !s.built_in)
        .count();
    assert_eq!(mine, 1, "one record, updated");
}

// ---- merged cells ----

/// A value merged down three rows applies to each of them, with one note naming the range.
#[test]
fn merged_cells_apply_to_every_row_of_the_range() {
    for f in [
        "vals_merged.xlsx",
        "vals_merged.xls",
        "vals_merged.ods",
        "vals_merged.xlsb",
    ] {
        let o = Case::new()
            .fixture(f)
            .run()
            .expect_code(0)
            .expect_stderr("cells B2:B4 are merged");
        for row in [2, 3, 4] {
            assert_eq!(o.line(row)["isReferral"], "yes", "{f} row {row}");
        }
        assert_eq!(o.line(5)["isReferral"], "no", "{f}");
        assert_eq!(o.stderr.matches("are merged").count(), 1, "{f}");
    }
}

// ---- look-alike headers ----

/// A column that looks like a field no column fills stops the run before anything is sent,
/// naming the header, the field and both ways out.
#[test]
fn a_look_alike_header_stops_the_run_with_both_ways_out() {
    let case = Case::new()
        .fixture("vals_lookalike.csv")
        .emulator("")
        .cmd("import");
    let o = case.run().expect_code(2);
    assert!(
        o.stderr
            .contains(r#"column C "Csot" looks like cost but is not read as it"#)
            && o.stderr.contains(r#"cost = "Csot""#)
            && o.stderr.contains(r#"--keep-column "Csot""#),
        "{}",
        o.stderr
    );
    assert_eq!(case.store().creates, 0, "nothing sent");
    // Kept: echoed, not sent.
    let o = case.run_with(["--keep-column", "Csot"]).expect_code(0);
    assert_eq!(o.line(2)["Csot"], "100");
    let created: Vec<_> = case
        .store()
        .sources
        .into_values()
        .filter(|s| !s.built_in)
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].cost, None);
    // Mapped: sent as the cost.
    let case = Case::new()
        .fixture("vals_lookalike.csv")
        .file("map.toml", "cost = \"Csot\"\n")
        .args(["--map", "map.toml"]);
    case.run().expect_code(0);
}

/// `keep_column` in a profile keeps the column as the flag does.
#[test]
fn keep_column_is_a_profile_key() {
    Case::new()
        .fixture("vals_lookalike.csv")
        .file(
            "ivvy-import.toml",
            "[profile.default]\nkeep_column = \"Csot\"\n",
        )
        .run()
        .expect_code(0);
}

/// A field's name with a unit (on a second line of the header cell) or in another language
/// is pointed out the same way; `--keep-column` and `--map` name it with a space.
#[test]
fn a_header_with_a_unit_or_in_another_language_is_pointed_out() {
    let o = Case::new()
        .fixture("vals_unit_header.csv")
        .run()
        .expect_code(2);
    assert!(
        o.stderr
            .contains(r#"column C "Cost\n(AUD)" looks like cost"#)
            && o.stderr.contains(r#"--keep-column "Cost (AUD)""#),
        "{}",
        o.stderr
    );
    Case::new()
        .fixture("vals_unit_header.csv")
        .file("map.toml", "cost = \"Cost (AUD)\"\n")
        .args(["--map", "map.toml"])
        .run()
        .expect_code(0);
    Case::new()
        .csv("name,description,Kosten\nExpo,stand,5\n")
        .run()
        .expect_code(2)
        .expect_stderr(r#"column C "Kosten" looks like cost"#);
}

// ---- cells under no header ----

/// A note typed in a column without a header is kept, under a generated header, in every
/// format, with one warning naming the column and its rows; no row is invalid for it and no
/// CSV hint is given.
#[test]
fn cells_under_no_header_are_kept_in_every_format() {
    for f in [
        "vals_headerless.xlsx",
        "vals_headerless.xls",
        "vals_headerless.ods",
        "vals_headerless.xlsb",
        // Sheets that declare no used area: their width is found by reading them.
        "vals_no_dimension.xlsx",
        "vals_no_dimension.xlsb",
    ] {
        let o = Case::new().fixture(f).run().expect_code(0).expect_stderr(
            r#"(sheet "Lead Sources"): column D: cells under no header are kept (rows 3, 5)"#,
        );
        assert_eq!(o.line(3)["column D"], "call back", "{f}");
        assert_eq!(o.line(5)["column D"], "VIP", "{f}");
        assert_eq!(o.line(2)["column C"], "", "{f}");
        // Column C holds no cell: no warning names it.
        assert!(!o.stderr.contains("column C: cells"), "{f}: {}", o.stderr);
        assert_eq!(o.stderr.matches("under no header").count(), 1, "{f}");
        assert!(!o.stderr.contains("unquoted delimiter"), "{f}");
    }
    let o = Case::new()
        .csv("name,,cost\nExpo,first note,5\nFair,,6\n")
        .run()
        .expect_code(0)
        .expect_stderr("column B: cells under no header are kept (row 2)");
    assert_eq!(o.line(2)["column B"], "first note");
}

/// A CSV header line that ends in an empty field (`name,cost,`, as a spreadsheet writes a
/// column with no header) is a headerless column: kept, and the warning's list of rows is
/// cut after ten.
#[test]
fn a_csv_header_ending_in_an_empty_field_keeps_its_column() {
    let mut csv = String::from("name,cost,\n");
    for i in 0..14 {
        csv.push_str(&format!(
            "Fair {i},{i},{}\n",
            if i == 1 { "" } else { "note" }
        ));
    }
    let o = Case::new()
        .csv(&csv)
        .run()
        .expect_code(0)
        .expect_stderr(
            "column C: cells under no header are kept (rows 2, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 3 more)",
        );
    assert_eq!(o.line(15)["column C"], "note");
    assert_eq!(o.line(3)["column C"], "");
    assert_eq!(o.line(3)["status"], "valid");
}

/// A sheet row with a cell past the sheet's declared used area (a stale dimension) cannot be
/// echoed under a column of its own: a problem quoting it, with no CSV hint.
#[test]
fn a_cell_past_a_sheets_declared_area_is_a_problem_without_a_csv_hint() {
    let o = Case::new()
        .fixture("vals_stale_dimension.xlsb")
        .run()
        .expect_code(1);
    let e = &o.line(3)["error"];
    assert!(
        e.starts_with(r#"column D: 1 cell(s) beyond the header, not read: "call back"; the sheet declares fewer columns"#)
            && !e.contains("delimiter"),
        "{e}"
    );
    assert_eq!(o.line(2)["status"], "valid");
}

/// A CSV record with more fields than its header line may hold a value split by an unquoted
/// delimiter, which shifts every value after it: a problem, never a guess, quoting each cell
/// beyond the header (80 characters of each, as every message quotes values), so none is
/// lost without a word.
#[test]
fn a_csv_record_longer_than_its_header_is_a_problem_that_quotes_its_extra_cells() {
    let long = "x".repeat(120);
    let o = Case::new()
        .csv(&format!(
            "name,description\nExpo,Stand 4, back hall,{long}\nFair,ok\n"
        ))
        .run()
        .expect_code(1);
    let e = &o.line(2)["error"];
    assert!(
        e.starts_with(&format!(
            r#"column C: 2 cell(s) beyond the header, not read: " back hall", "{}…"; more fields than the header line"#,
            &long[..80]
        )) && e.contains("unquoted delimiter"),
        "{e}"
    );
    assert_eq!(o.line(3)["status"], "valid");
    assert!(!o.stderr.contains("under no header"), "{}", o.stderr);
}

// ---- the template ----

/// A file that still holds an earlier template's example row gets a problem on that row,
/// not a record; the rows typed under it are read.
#[test]
fn the_old_templates_example_row_is_a_problem_not_a_record() {
    let o = Case::new()
        .csv(
            "name,description,cost,colour,isReferral\n\
             Website,Enquiries from the website form,250,#1f77b4,no\n\
             Expo,Stand 4,100,,no\n",
        )
        .run()
        .expect_code(1);
    assert_eq!(
        o.line(2)["error"],
        "name: this is the template's example row (Website, #1f77b4), not a record: delete it"
    );
    assert_eq!(o.line(3)["status"], "valid");
    let o = Case::new()
        .csv("name,colour,applyTo\nWebsite,#1f77b4,opportunity\nEnquiry,#90caf9,lead\n")
        .args(["--kind", "stages"])
        .run()
        .expect_code(1);
    assert!(o.line(2)["error"].contains("example row"));
    assert_eq!(o.line(3)["status"], "valid");
    // A source really named Website is not the example.
    Case::new()
        .csv("name,description,cost\nWebsite,Our own site,0\n")
        .run()
        .expect_code(0);
}

/// The template written today has no row that could be imported.
#[test]
fn a_new_template_imports_nothing() {
    let case = Case::new();
    let out = case.path("t.xlsx");
    let o = Case::new().cmd("template").arg(&out).run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = Case::new()
        .input("t.xlsx", std::fs::read(&out).expect("template"))
        .run();
    assert!(o.lines.is_empty(), "{:?}", o.lines);
}

// ---- byte-order marks ----

const BOM: &str = "\u{feff}";

/// Results of a Windows-1252 CSV (Excel's plain "CSV" save) start with a byte-order mark, so
/// Excel shows their accents; --no-bom still decides; a UTF-8 input without one gets none.
#[test]
fn results_of_a_non_utf8_input_start_with_a_bom() {
    let o = Case::new()
        .fixture("windows1252.csv")
        .args(["--kind", "sources"])
        .run()
        .expect_code(0);
    assert!(o.results.starts_with(BOM), "{:?}", &o.results[..20]);
    let o = Case::new()
        .fixture("windows1252.csv")
        .args(["--kind", "sources", "--no-bom"])
        .run();
    assert!(!o.results.starts_with(BOM));
    let o = Case::new().csv("name,cost\nCafé,5\n").run().expect_code(0);
    assert!(!o.results.starts_with(BOM));
}

/// An export in CSV starts with a byte-order mark (the emulator's built-in sources).
#[test]
fn a_csv_export_starts_with_a_bom() {
    let case = Case::new()
        .emulator("")
        .cmd("export")
        .args(["sources", "-o", "export.csv"]);
    let o = case.run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(case.path("export.csv")).expect("the export");
    assert!(text.starts_with("\u{feff}id,name,"), "{text}");
}

/// A workbook calamine cannot read gets one line naming its format and the way out, never a
/// dump of the parser's state.
#[test]
fn an_unreadable_workbook_gets_one_line_suggesting_xlsx() {
    // An ODS whose content stops inside a row: the parser's state is no message for a user.
    let o = Case::new()
        .input_made("broken.ods", |p| {
            write_ods(
                p,
                r#"<table:table-row><table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell><table:table-column/></table:table-row>"#,
            );
        })
        .run()
        .expect_code(2);
    let line = o
        .stderr
        .lines()
        .find(|l| l.contains("broken.ods"))
        .unwrap_or_else(|| panic!("{}", o.stderr));
    assert!(
        line.contains("this ODS file cannot be read")
            && line.contains("save it as an Excel workbook (.xlsx)")
            && !line.contains('{'),
        "{line}"
    );
}
