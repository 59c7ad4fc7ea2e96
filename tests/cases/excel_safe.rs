//! `--excel-safe-csv`: formula-like cells of the results and export CSVs get a leading `'`,
//! and every reader of a file this tool wrote removes it again, so nothing changes in what is
//! sent, resumed or applied.

use std::time::Duration;

use crate::support::{Case, wait_for};

/// Cells a spreadsheet would take for formulas, a cell typed with a leading `'`, and an
/// invalid row whose cells start so too.
const INPUT: &str = "name,description,cost,notes,other\n\
\"=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",+cmd,12,@SUM(A1),-5\n\
Plain,'=typed,3,a=b,5\n\
Bad,x,abc,-x,@y\n";

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"go\")";

#[test]
fn results_written_with_the_option_mark_cells_that_start_like_a_formula() {
    let o = Case::new()
        .csv(INPUT)
        .arg("--excel-safe-csv")
        .run()
        .expect_code(1);
    let l = o.line(2);
    assert_eq!(l["name"], format!("'{HYPERLINK}"));
    assert_eq!(l["description"], "'+cmd");
    assert_eq!(l["notes"], "'@SUM(A1)");
    assert_eq!(l["other"], "'-5", "a number in an echoed cell too");
    assert_eq!(l["cost"], "12");
    // With the option, the input's own `'=typed` is read in that convention too: `=typed`,
    // written `'=typed` (`''=typed` had it been read as `'=typed`).
    assert_eq!(o.line(3)["description"], "'=typed");
    assert_eq!(o.line(3)["notes"], "a=b", "only the first character counts");
    assert_eq!(o.line(4)["notes"], "'-x");
    assert_eq!(o.line(4)["other"], "'@y");
    assert!(
        o.results
            .contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",'+cmd,12,'@SUM(A1),'-5\n"),
        "{}",
        o.results
    );
}

#[test]
fn results_written_without_the_option_keep_cells_as_typed() {
    let o = Case::new().csv(INPUT).run().expect_code(1);
    let l = o.line(2);
    assert_eq!(l["name"], HYPERLINK);
    assert_eq!(l["description"], "+cmd");
    assert_eq!(l["notes"], "@SUM(A1)");
    assert_eq!(l["other"], "-5");
    assert_eq!(o.line(4)["notes"], "-x");
    // A cell that starts with the mark itself gets one more, so it reads back as typed.
    assert_eq!(o.line(3)["description"], "''=typed");
}

#[test]
fn a_results_file_written_with_the_option_feeds_back_the_values_without_the_mark() {
    // Without a cell typed with a leading `'`, which the option reads in its convention.
    let input = INPUT.replace("'=typed", "typed");
    let plain = Case::new().csv(&input).run().expect_code(1);
    let safe = Case::new()
        .csv(&input)
        .arg("--excel-safe-csv")
        .run()
        .expect_code(1);
    assert_ne!(plain.results, safe.results);
    // A dry run of each results file, with and without the option: the two give the same
    // results, as the first runs without and with it wrote them.
    for (extra, want) in [(&[][..], &plain), (&["--excel-safe-csv"][..], &safe)] {
        for first in [&plain, &safe] {
            let back = Case::new()
                .input("back.csv", &first.results)
                .args(extra)
                .run()
                .expect_code(1);
            assert_eq!(back.results, want.results, "read with {extra:?}");
        }
    }
    // An import of the marked results file against the emulator sends the values unmarked.
    let case = Case::new().input("back.csv", &safe.results).emulator("");
    let o = case.run().expect_code(1);
    assert_eq!(o.line(2)["status"], "created");
    assert_eq!(o.line(3)["status"], "created");
    let store = case.store();
    let mine: Vec<_> = store.sources.values().filter(|s| !s.built_in).collect();
    let names: Vec<&str> = mine.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [HYPERLINK, "Plain"]);
    assert_eq!(mine[0].description.as_deref(), Some("+cmd"));
    assert_eq!(mine[1].description.as_deref(), Some("typed"));
}

#[test]
fn an_export_with_the_option_marks_cells_and_imports_back_unchanged() {
    let case = Case::new()
        .csv("name,description,cost\n\"=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",+cmd,12\n@SUM,-5,3\n'-x,plain,4\n")
        .emulator("")
        .args(["--rate", "500"]);
    case.run().expect_code(0);
    let o = case.exec(["export", "sources", "-o", "marked.csv", "--excel-safe-csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = case.exec(["export", "sources", "-o", "plain.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let marked = std::fs::read_to_string(case.path("marked.csv")).expect("the export");
    let plain = std::fs::read_to_string(case.path("plain.csv")).expect("the export");
    assert!(
        marked.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",'+cmd,12,false,source\n"),
        "{marked}"
    );
    assert!(marked.contains(",'@SUM,'-5,3,false,source\n"), "{marked}");
    assert!(marked.contains(",''-x,plain,4,false,source\n"), "{marked}");
    assert!(
        plain.contains(",\"=HYPERLINK(\"\"http://x\"\",\"\"go\"\")\",+cmd,12,false,source\n"),
        "{plain}"
    );
    assert!(plain.contains(",@SUM,-5,3,false,source\n"), "{plain}");
    assert!(plain.contains(",''-x,plain,4,false,source\n"), "{plain}");
    let writes = case.store().writes;
    for file in ["marked.csv", "plain.csv"] {
        let o = case.exec([
            "import",
            file,
            "--rate",
            "500",
            "-o",
            "back.csv",
            "--overwrite",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let (_, lines) = case.results("back.csv");
        assert!(
            lines.iter().all(|l| l["status"] == "unchanged"),
            "{file}: {lines:?}"
        );
    }
    assert_eq!(case.store().writes, writes, "nothing written back");
}

#[test]
fn resume_after_an_interrupted_run_with_the_option_keeps_what_was_done() {
    const ROWS: usize = 200;
    let name = |i: usize| format!("=HYPERLINK(\"http://x/{i}\",\"S{i}\")");
    let mut text = String::from("name,description,cost,notes\n");
    for i in 0..ROWS {
        let quoted = name(i).replace('"', "\"\"");
        text.push_str(&format!("\"{quoted}\",-{i},{i}.5,@SUM(A{i})\n"));
    }
    for resume_flag in [true, false] {
        let case = Case::new().csv(&text).emulator("latency-ms=20").args([
            "--rate",
            "200",
            "--concurrency",
            "2",
            "-q",
        ]);
        let child = case.spawn_with(["--excel-safe-csv"]);
        wait_for("10 records made", Duration::from_secs(20), || {
            case.store().creates >= 10
        });
        child.signal("INT");
        let first = child.wait().expect_code(130);
        let created = first.count("created");
        assert!((10..ROWS).contains(&created), "{created} created");
        assert_eq!(first.line(2)["name"], format!("'{}", name(0)));
        // Resumed with the option, or without it (its lines then written as typed).
        let o = if resume_flag {
            case.run_with(["--resume", "--excel-safe-csv"])
        } else {
            case.run_with(["--resume"])
        };
        let o = o.expect_code(0).expect_all("created");
        assert_eq!(o.lines.len(), ROWS);
        assert_eq!(
            usize::try_from(case.store().creates).unwrap(),
            ROWS,
            "nothing created twice (resume with the option: {resume_flag})"
        );
        let mark = if resume_flag { "'" } else { "" };
        assert_eq!(o.line(2)["name"], format!("{mark}{}", name(0)));
        assert_eq!(o.line(2)["description"], format!("{mark}-0"));
        let store = case.store();
        assert!(
            store
                .sources
                .values()
                .filter(|s| !s.built_in)
                .all(|s| s.name.starts_with("=HYPERLINK(")
                    && s.description.as_deref().is_some_and(|d| d.starts_with('-'))),
            "sent without the mark"
        );
    }
}

#[test]
fn a_plan_written_with_the_option_is_applied() {
    // Row 3's id `-5` is invalid: the plan writes it as `'-5` under its checksum.
    let input = "id,name,description,cost\n,=Total,+cmd,12\n-5,Neg,x,1\n,@SUM,-3,4\n";
    let plan = Case::new().csv(input).emulator("").cmd("plan").args([
        "--rate",
        "500",
        "-o",
        "plan.csv",
        "--excel-safe-csv",
    ]);
    let o = plan.run().expect_code(1);
    assert_eq!(o.line(3)["id"], "'-5");
    assert_eq!(o.line(2)["name"], "'=Total");
    assert!(!o.line(2)["checksum"].is_empty());
    let apply = Case::new()
        .input("plan.csv", &o.results)
        .emulator("")
        .cmd("apply")
        .args(["--rate", "500", "-o", "applied.csv"]);
    let a = apply.run().expect_code(1);
    assert_eq!(a.line(2)["status"], "created", "{}", a.stderr);
    assert_eq!(a.line(4)["status"], "created", "{}", a.stderr);
    assert_eq!(a.line(3)["status"], "invalid");
    let store = apply.store();
    let mut names: Vec<(&str, Option<&str>)> = store
        .sources
        .values()
        .filter(|s| !s.built_in)
        .map(|s| (s.name.as_str(), s.description.as_deref()))
        .collect();
    names.sort_unstable();
    assert_eq!(names, [("=Total", Some("+cmd")), ("@SUM", Some("-3"))]);
}

#[test]
fn a_workbook_saved_from_a_marked_csv_is_read_without_the_mark_only_with_the_option() {
    let make = |p: &std::path::Path| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Lead Sources").unwrap();
        for (c, text) in ["name", "description", "'@notes"].iter().enumerate() {
            ws.write(0, u16::try_from(c).unwrap(), *text).unwrap();
        }
        for (c, text) in ["'=Total", "'-5", "''+x"].iter().enumerate() {
            ws.write(1, u16::try_from(c).unwrap(), *text).unwrap();
        }
        wb.save(p).unwrap();
    };
    let o = Case::new()
        .input_made("book.xlsx", make)
        .arg("--excel-safe-csv")
        .run()
        .expect_code(0);
    assert_eq!(o.header.last().map(String::as_str), Some("'@notes"));
    // Read as `=Total` and `-5`, written marked (`''=Total` had they kept theirs).
    assert_eq!(o.line(2)["name"], "'=Total");
    assert_eq!(o.line(2)["description"], "'-5");
    assert_eq!(o.line(2)["'@notes"], "''+x", "`'+x` marked again");
    let o = Case::new()
        .input_made("book.xlsx", make)
        .run()
        .expect_code(0);
    assert_eq!(o.line(2)["name"], "''=Total", "read as typed: `'=Total`");
    assert_eq!(o.line(2)["description"], "''-5");
}

#[test]
fn a_profile_asks_for_it_with_excel_safe_csv() {
    let o = Case::new()
        .csv(INPUT)
        .file(
            "ivvy-import.toml",
            "[profile.default]\nexcel_safe_csv = true\n",
        )
        .run()
        .expect_code(1);
    assert_eq!(o.line(2)["description"], "'+cmd");
    let o = Case::new()
        .csv(INPUT)
        .file(
            "ivvy-import.toml",
            "[profile.default]\nexcel_safe_csv = false\n",
        )
        .run()
        .expect_code(1);
    assert_eq!(o.line(2)["description"], "+cmd");
}

#[test]
fn the_results_workbook_and_the_report_are_not_marked() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let case = Case::new().csv(INPUT).args([
        "--excel-safe-csv",
        "-o",
        "out.xlsx",
        "--report",
        "report.html",
    ]);
    case.run().expect_code(1);
    let (_, lines) = case.results("out.csv");
    assert_eq!(lines[0]["name"], format!("'{HYPERLINK}"), "the CSV is");
    let mut book: Xlsx<_> = open_workbook(case.path("out.xlsx")).expect("the workbook");
    let range = book.worksheet_range("Results").expect("the Results sheet");
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(Data::to_string))
        .collect();
    for text in [HYPERLINK, "+cmd", "@SUM(A1)", "-5"] {
        assert!(cells.iter().any(|c| c == text), "{text} in {cells:?}");
    }
    assert!(
        !cells.iter().any(|c| c.starts_with("'=") || c == "'+cmd"),
        "{cells:?}"
    );
    let report = std::fs::read_to_string(case.path("report.html")).expect("the report");
    // The invalid row's cells, as read.
    assert!(
        report.contains("<td>-x</td><td>@y</td>"),
        "the report is not marked"
    );
}
