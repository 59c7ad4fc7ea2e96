//! Honest progress and counts: totals and ETAs for every format, rows kept by `--resume` told
//! apart from rows done now.

use crate::support::Case;

#[test]
fn a_workbooks_plain_lines_carry_the_total_and_an_eta() {
    let o = Case::new()
        .sample("crm.xlsx")
        .sandbox("")
        .args(["--rate", "25"])
        .env("IVVY_IMPORT_PROGRESS_EVERY", "0.2")
        .run()
        .expect_code(0);
    let lines: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("crm.xlsx › Lead Sources:"))
        .collect();
    assert!(!lines.is_empty(), "{}", o.stderr);
    for l in lines {
        assert!(l.contains("/32 rows ("), "{l}");
        assert!(l.contains(" eta "), "{l}");
    }
}

#[test]
fn a_resumed_runs_summary_separates_kept_rows_from_rows_done_now() {
    let eight = crate::support::sources_csv(8);
    let case = Case::new()
        .input("s.csv", &eight)
        .emulator("")
        .args(["--rate", "500"]);
    case.run().expect_code(0).expect_all("created");
    // One more row; the earlier run's eight are done.
    let nine = crate::support::sources_csv(9);
    case.write("s.csv", &nine);
    let o = case
        .run_with(["--resume", "--reconcile-by-name", "--json"])
        .expect_code(0)
        .expect_all("created")
        .expect_stderr("9 rows read: 1 created now, 8 kept from the earlier run");
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["totals"]["created"], 1, "{v}");
    assert_eq!(v["totals"]["kept"], 8, "{v}");
    assert_eq!(v["totals"]["rows"], 9, "{v}");
    assert_eq!(case.store().creates, 9);
}
