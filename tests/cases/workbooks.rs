//! Spreadsheets as people's applications save them, end to end through the binary: hidden,
//! chart and note sheets, dates, numbers, formulas with no saved value, title rows, clashing
//! and misspelt columns, European values, control characters, and the memory a stray cell
//! may cost in XLS and ODS files.
//!
//! The `wb_*` fixtures are made by `cargo run --example make_fixtures`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::Case;

/// The longest any run here may take.
const TIMEOUT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What a finished run left.
struct Ran {
    code: i32,
    stderr: String,
    /// Peak resident memory of the process, in KiB.
    max_rss_kib: i64,
    /// The results file's lines, each as its cells (the header first); empty if none.
    results: Vec<Vec<String>>,
}

impl Ran {
    /// The results line of a row (by its `row` cell) and sheet.
    fn row(&self, sheet: &str, row: u32) -> &Vec<String> {
        self.results
            .iter()
            .skip(1)
            .find(|l| l[0] == row.to_string() && l[1] == sheet)
            .unwrap_or_else(|| panic!("no results line for {sheet} row {row}: {:?}", self.results))
    }

    /// A cell of a results line by the results header's column name (the `nth` of that name).
    fn cell<'a>(&'a self, line: &'a [String], column: &str, nth: usize) -> &'a str {
        let at = self.results[0]
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == column)
            .nth(nth)
            .unwrap_or_else(|| panic!("no column {column:?} in {:?}", self.results[0]))
            .0;
        &line[at]
    }

    fn rows_of(&self, sheet: &str) -> Vec<String> {
        self.results
            .iter()
            .skip(1)
            .filter(|l| l[1] == sheet)
            .map(|l| l[0].clone())
            .collect()
    }
}

/// Waits for a child with a deadline, reading its peak memory as it is reaped.
fn wait(mut child: Child) -> (i32, String, i64) {
    let mut stderr = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let pid = libc::pid_t::try_from(child.id()).expect("a process id fits pid_t");
    let deadline = Instant::now() + TIMEOUT;
    let (code, rss) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own child's; status and usage point to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            };
            break (code, usage.ru_maxrss);
        }
        assert!(r == 0, "wait4 failed");
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run took longer than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (code, reader.join().unwrap_or_default(), rss)
}

/// `ivvy-import validate INPUT -o <tmp>/results.csv ARGS`.
fn validate(input: &Path, args: &[&str]) -> Ran {
    let case = Case::new();
    let out = case.path("results.csv");
    let mut line: Vec<OsString> = vec![
        "validate".into(),
        input.into(),
        "-o".into(),
        "results.csv".into(),
    ];
    line.extend(args.iter().map(OsString::from));
    let child = case
        .exec_command(&line)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let (code, stderr, max_rss_kib) = wait(child);
    let results = match std::fs::read(&out) {
        Ok(bytes) => csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice())
            .records()
            .map(|r| {
                r.expect("a results line")
                    .iter()
                    .map(String::from)
                    .collect()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Ran {
        code,
        stderr,
        max_rss_kib,
        results,
    }
}

/// A CSV file with these contents in a temporary directory (kept alive by the returned
/// guard).
fn csv_file(contents: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("input.csv");
    std::fs::write(&path, contents).expect("write the input");
    (dir, path)
}

// 1. Hidden and very hidden sheets.

#[test]
fn hidden_and_very_hidden_sheets_are_skipped_and_named() {
    let r = validate(&fixture("wb_hidden_sheets.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Sources"), ["2", "3"]);
    assert!(r.rows_of("Old Sources").is_empty() && r.rows_of("Secret").is_empty());
    let skipped: Vec<&str> = r.stderr.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skipped.len(), 2, "{}", r.stderr);
    assert!(skipped[0].contains(r#"sheet "Old Sources""#) && skipped[0].contains("hidden"));
    assert!(skipped[1].contains(r#"sheet "Secret""#) && skipped[1].contains("very hidden"));
}

#[test]
fn sheet_flag_reads_hidden_sheets_and_may_be_given_several_times() {
    let r = validate(
        &fixture("wb_hidden_sheets.xlsx"),
        &["--sheet", "Old Sources", "--sheet", "Sources"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Old Sources"), ["2"]);
    assert_eq!(r.rows_of("Sources"), ["2", "3"]);
    let r = validate(&fixture("wb_hidden_sheets.xlsx"), &["--sheet", "Secret"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.row("Secret", 2)[2], "stage");
}

#[test]
fn hidden_sheets_of_an_xls_file_are_skipped_too() {
    let r = validate(&fixture("wb_small.xls"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Sources"), ["2", "3"]);
    assert!(
        r.stderr
            .contains(r#"(sheet "Old"): skipped: a hidden sheet"#),
        "{}",
        r.stderr
    );
}

// 2. Chart sheets.

#[test]
fn a_chart_sheet_is_skipped_with_a_note() {
    let r = validate(&fixture("wb_chartsheet.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Sources"), ["2", "3"]);
    assert!(
        r.stderr
            .contains(r#"(sheet "Chart1"): skipped: a chart sheet"#),
        "{}",
        r.stderr
    );
    let r = validate(&fixture("wb_chartsheet.xlsx"), &["--sheet", "Chart1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("a chart sheet has no rows to read"),
        "{}",
        r.stderr
    );
}

// 3. Sheets of no recognisable kind.

#[test]
fn instructions_and_lists_sheets_are_skipped_with_a_note_naming_them() {
    let r = validate(&fixture("wb_instructions.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Lead Sources"), ["2", "3"]);
    assert_eq!(r.rows_of("Stages"), ["2"]);
    assert!(
        r.stderr.contains(r#"(sheet "Instructions"): skipped"#),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(r#"(sheet "Lists"): skipped"#),
        "{}",
        r.stderr
    );
}

#[test]
fn a_workbook_where_nothing_is_recognisable_stops_and_kind_reads_it() {
    let r = validate(&fixture("wb_unrecognisable.xlsx"), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            r#"(sheet "Data"): cannot tell whether the rows are lead sources or lead stages"#
        ),
        "{}",
        r.stderr
    );
    let r = validate(&fixture("wb_unrecognisable.xlsx"), &["--kind", "sources"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.rows_of("Data"), ["2"]);
    assert!(
        r.stderr.contains(r#"(sheet "Instructions"): skipped"#),
        "{}",
        r.stderr
    );
}

#[test]
fn kind_never_turns_a_recognised_sheet_into_the_other_kind() {
    let r = validate(&fixture("wb_instructions.xlsx"), &["--kind", "sources"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sources = r.row("Lead Sources", 2);
    assert_eq!(sources[3], "valid");
    let stage = r.row("Stages", 2);
    assert_eq!((stage[2].as_str(), stage[3].as_str()), ("stage", "invalid"));
    assert!(
        stage[7].starts_with(
            r#"kind: the sheet name "Stages" says lead stages, but --kind sources was given"#
        ),
        "{}",
        stage[7]
    );
}

#[test]
fn kind_stages_on_a_sources_file_says_so_first() {
    let (_dir, path) = csv_file("name,cost,isReferral\nExpo,5,yes\n");
    let r = validate(&path, &["--kind", "stages"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = r.row("", 2);
    assert!(
        line[7].starts_with("kind: the headers look like lead sources (cost, isReferral)"),
        "{}",
        line[7]
    );
}

// 4. Dates.

#[test]
fn dates_are_read_as_iso_text_in_the_1900_and_1904_systems() {
    for file in ["wb_dates.xlsx", "wb_dates_1904.xlsx"] {
        let r = validate(&fixture(file), &[]);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        let l = r.row("Sources", 2);
        assert_eq!(r.cell(l, "description", 0), "2024-03-15", "{file}");
        assert_eq!(r.cell(l, "Event date", 0), "2024-03-15", "{file}");
        assert_eq!(r.cell(l, "Starts", 0), "2024-03-15 18:00", "{file}");
        assert_eq!(r.cell(l, "Time", 0), "18:30:15", "{file}");
        let l = r.row("Sources", 3);
        assert_eq!(r.cell(l, "name", 0), "2025-01-31", "{file}");
    }
}

#[test]
fn ods_dates_and_formulas_read_like_xlsx_ones() {
    let r = validate(&fixture("wb_small.ods"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let l = r.row("Sources", 2);
    assert_eq!(r.cell(l, "Event date", 0), "2024-03-15");
    assert_eq!(r.cell(l, "Calc", 0), "=[.B2]*2");
    let l = r.row("Sources", 3);
    assert_eq!(r.cell(l, "Event date", 0), "2024-03-15 18:00");
    assert_eq!(r.cell(l, "Calc", 0), "0.3");
    assert_eq!(
        l[7],
        "cost: cell B3 holds a formula with no saved value (=100*2); open and save the file in Excel or LibreOffice"
    );
}

// 5. Numbers as Excel shows them.

#[test]
fn numbers_are_echoed_with_at_most_15_significant_digits() {
    let r = validate(&fixture("wb_numbers.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let l = r.row("Sources", 2);
    assert_eq!(r.cell(l, "cost", 0), "1200.5");
    assert_eq!(r.cell(l, "Ratio", 0), "0.3");
    let l = r.row("Sources", 3);
    assert_eq!(r.cell(l, "cost", 0), "0.3");
    assert_eq!(r.cell(l, "Ratio", 0), "0.333333333333333");
    let r = validate(&fixture("wb_small.xls"), &[]);
    assert_eq!(r.cell(r.row("Sources", 3), "cost", 0), "0.3");
}

/// A sandbox process on a free loopback port, killed when dropped.
struct SandboxProcess {
    child: Child,
    url: String,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sandbox(case: &Case) -> SandboxProcess {
    let line = ["sandbox", "--port", "0", "--key", "k", "--secret", "s"].map(OsString::from);
    let mut child = case
        .exec_command(&line)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let mut out = child.stdout.take().expect("stdout piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
            if byte[0] == b'\n' {
                let line = String::from_utf8_lossy(&seen).into_owned();
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
                seen.clear();
            } else {
                seen.push(byte[0]);
            }
        }
    });
    let url = rx.recv_timeout(TIMEOUT).expect("the sandbox's address");
    SandboxProcess { child, url }
}

/// `GET /_sandbox/state` over a plain socket.
fn sandbox_state(url: &str) -> serde_json::Value {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("connect to the sandbox");
    s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    write!(
        s,
        "GET /_sandbox/state HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    let body = answer.split_once("\r\n\r\n").expect("a body").1;
    serde_json::from_str(body).expect("JSON state")
}

#[test]
fn costs_from_number_cells_are_sent_as_excel_shows_them() {
    let case = Case::new()
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s");
    let sandbox = start_sandbox(&case);
    let line = [
        "import".into(),
        fixture("wb_numbers.xlsx").into_os_string(),
        "-o".into(),
        "results.csv".into(),
        "--base-url".into(),
        OsString::from(&sandbox.url),
        "-q".into(),
    ];
    let child = case
        .exec_command(&line)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the import");
    let (code, stderr, _) = wait(child);
    assert_eq!(code, 0, "{stderr}");
    let state = sandbox_state(&sandbox.url);
    let costs: Vec<(String, f64)> = state["store"]["sources"]
        .as_object()
        .expect("sources")
        .values()
        .filter(|s| !s["builtIn"].as_bool().unwrap_or(false))
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["cost"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    assert!(costs.contains(&("Expo".to_string(), 1200.5)), "{costs:?}");
    assert!(costs.contains(&("Radio".to_string(), 0.3)), "{costs:?}");
}

// 6. Formulas without a saved value.

#[test]
fn a_formula_with_no_saved_value_is_a_problem_in_a_mapped_column_and_echoed_elsewhere() {
    let r = validate(&fixture("wb_formulas.xlsx"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let l = r.row("Sources", 2);
    assert_eq!(l[3], "invalid");
    assert_eq!(
        l[7],
        "cost: cell C2 holds a formula with no saved value (=100*2); open and save the file in Excel or LibreOffice"
    );
    assert_eq!(r.cell(l, "Calc", 0), "=LEN(A2)");
    let l = r.row("Sources", 3);
    assert_eq!(l[3], "valid");
    assert_eq!(r.cell(l, "Calc", 0), "2");
}

// 7. Memory on XLS and ODS.

#[test]
fn a_stray_cell_far_from_the_data_is_refused_before_it_costs_memory() {
    for file in ["wb_stray_cell.xls", "wb_stray_cell.ods"] {
        let r = validate(&fixture(file), &[]);
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(r#"(sheet "Sources"): its cells span A1:"#)
                && r.stderr
                    .contains("Delete the stray cells far from the data"),
            "{file}: {}",
            r.stderr
        );
        assert!(
            r.max_rss_kib < 256 * 1024,
            "{file}: peak memory {} KiB",
            r.max_rss_kib
        );
    }
    // The same files without the stray cell are read.
    assert_eq!(validate(&fixture("wb_small.xls"), &[]).code, 0);
}

// 8. Title rows above the header.

#[test]
fn a_header_below_title_rows_is_found_and_rows_keep_their_numbers() {
    let r = validate(&fixture("wb_title_rows.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(r#"(sheet "Sources"): header found on row 3"#),
        "{}",
        r.stderr
    );
    assert_eq!(r.rows_of("Sources"), ["4", "5"]);
    assert_eq!(r.cell(r.row("Sources", 4), "name", 0), "Expo");
}

#[test]
fn no_header_row_stops_naming_the_first_rows_cells() {
    let r = validate(&fixture("wb_no_header.xlsx"), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no header row was found")
            && r.stderr
                .contains("the first row holds: Read me first, then the rest"),
        "{}",
        r.stderr
    );
}

// 9. Two columns for one field; two columns of one unmapped header.

#[test]
fn two_columns_mapping_to_one_field_stop_naming_both() {
    let r = validate(&fixture("wb_two_names.xlsx"), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(r#"columns A ("name") and D ("Name") both map to name"#),
        "{}",
        r.stderr
    );
}

#[test]
fn two_unmapped_columns_with_one_header_are_both_echoed_in_order() {
    let r = validate(&fixture("wb_two_notes.xlsx"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let l = r.row("Sources", 2);
    assert_eq!(r.cell(l, "Notes", 0), "first note");
    assert_eq!(r.cell(l, "Notes", 1), "second note");
}

// 10. European values.

#[test]
fn decimal_comma_reads_european_costs_and_without_it_the_message_names_it() {
    let (_dir, path) = csv_file("name;cost\nA;1200,50\nB;1.200,50\nC;\"1 200,50\"\nD;7,5\n");
    let r = validate(&path, &["--decimal-comma"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = validate(&path, &[]);
    assert_eq!(r.code, 1);
    let d = r.row("", 5);
    assert!(
        d[7].contains("is ambiguous") && d[7].contains("--decimal-comma"),
        "{}",
        d[7]
    );
    let (_dir, path) = csv_file("name,cost\nD,\"7,5\"\n");
    let r = validate(&path, &[]);
    assert!(r.row("", 2)[7].contains("--decimal-comma"));
}

#[test]
fn localised_booleans_are_accepted() {
    let (_dir, path) = csv_file(
        "name,isReferral\nA,WAHR\nB,falsch\nC,VRAI\nD,faux\nE,waar\nF,ONWAAR\nG,verdadero\nH,FALSO\nI,sí\nJ,SI\n",
    );
    let r = validate(&path, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.results.len(), 11);
}

// 11. Control characters and sizes.

#[test]
fn control_characters_and_oversized_cells_are_invalid_and_quotes_are_cut() {
    let long = "y".repeat(70 * 1024);
    let spend = "9".repeat(50) + &"x".repeat(100);
    let csv = format!(
        "name,description,cost\nExp\0o,fine,1\nTabs,\"one\ttwo\nthree\",2\nBig,{long},3\nDear,ok,{spend}\n"
    );
    let (_dir, path) = csv_file(&csv);
    let r = validate(&path, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.row("", 2)[7],
        "name: contains a control character (U+0000) at position 4"
    );
    assert_eq!(r.row("", 3)[3], "valid");
    assert!(
        r.row("", 4)[7].starts_with("description: the cell holds 71680 bytes"),
        "{}",
        r.row("", 4)[7]
    );
    let quoted = &r.row("", 5)[7];
    assert!(quoted.contains("…\" is not an amount"), "{quoted}");
    assert!(quoted.chars().count() < 120, "{quoted}");
}

// 12. Messages that find the mistake.

#[test]
fn a_misspelt_required_column_stops_with_a_suggestion() {
    let (_dir, path) = csv_file("Nmae,cost\nExpo,5\n");
    let r = validate(&path, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            r#"no name column; "Nmae" (column A) looks like it: rename it or map it with --map"#
        ),
        "{}",
        r.stderr
    );
    let (_dir, path) = csv_file("name,Aply To\nEnquiry,lead\n");
    let r = validate(&path, &["--kind", "stages"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(r#"no applyTo column; "Aply To" (column B) looks like it"#),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_columns_that_look_like_a_field_stop_unless_kept() {
    let (_dir, path) = csv_file("name,cost,Colur,Notes\nExpo,5,#fff,x\n");
    let r = validate(&path, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(r#"column C "Colur" looks like colour but is not read as it"#),
        "{}",
        r.stderr
    );
    let r = validate(&path, &["--keep-column", "Colur"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("columns kept as they are (not sent): Colur, Notes"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_map_entry_naming_no_column_stops_with_the_closest_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let map = dir.path().join("map.toml");
    std::fs::write(&map, "cost = \"Spend Total\"\n").expect("write the map");
    let (_d, path) = csv_file("name,Spend,Notes\nExpo,5,x\n");
    let r = validate(&path, &["--map", map.to_str().expect("utf-8 path")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            r#"the --map entry cost = "Spend Total" names no column of the file; the headers are: name, Spend, Notes; the closest is "Spend""#
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn kind_decides_when_only_a_description_column_says_sources() {
    let (_dir, path) = csv_file("name,description,applyTo\nEnquiry,first call,lead\n");
    let r = validate(&path, &["--kind", "stages"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_dir, path) = csv_file("name,description\nEnquiry,first call\n");
    let r = validate(&path, &["--kind", "stages"]);
    assert_eq!(r.row("", 2)[2], "stage");
    assert!(!r.row("", 2)[7].starts_with("kind:"), "{}", r.row("", 2)[7]);
}
