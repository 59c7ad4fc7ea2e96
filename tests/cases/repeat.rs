//! Repeat imports against a live account, and bulk mode: every test starts the emulator in
//! this process on 127.0.0.1:0 and runs the binary against it, then reads the emulator's own
//! counters (writes, creates, batch runs) to prove what was sent.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::support::{Case, Line, parse_results, wait_for};

/// The names of every record on the case's emulator.
fn names(case: &Case) -> Vec<String> {
    let store = serde_json::to_value(case.store()).unwrap();
    let mut names = Vec::new();
    for kind in ["sources", "stages"] {
        if let Some(m) = store[kind].as_object() {
            names.extend(
                m.values()
                    .map(|v| v["name"].as_str().unwrap_or("").to_string()),
            );
        }
    }
    names
}

fn sources(n: usize, cost: impl Fn(usize) -> usize) -> String {
    let mut s = String::from("name,description,cost,isReferral\n");
    for i in 0..n {
        s.push_str(&format!("Source {i:03},Row {i},{},no\n", cost(i)));
    }
    s
}

/// A results file's lines (a UTF-8 BOM before the header is skipped).
fn lines(path: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(path).unwrap();
    parse_results(text.trim_start_matches('\u{feff}')).1
}

fn statuses(path: &Path) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for l in lines(path) {
        *m.entry(l["status"].clone()).or_default() += 1;
    }
    m
}

fn assert_each_name_once(case: &Case, prefix: &str, n: usize) {
    let names = names(case);
    for i in 0..n {
        let want = format!("{prefix} {i:03}");
        let count = names.iter().filter(|s| **s == want).count();
        assert_eq!(count, 1, "{want} is stored {count} times");
    }
}

#[test]
fn importing_the_same_file_twice_writes_nothing_the_second_time() {
    let case = Case::new().emulator("");
    case.write("s.csv", sources(20, |i| i * 10));
    let o = case.exec(["import", "s.csv", "--rate", "500", "-o", "one.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let after_first = case.store().writes;
    assert_eq!(after_first, 20);

    let o = case.exec(["import", "s.csv", "--rate", "500", "-o", "two.csv"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        statuses(&case.dir().join("two.csv")),
        HashMap::from([("conflict".to_string(), 20)])
    );
    assert!(lines(&case.dir().join("two.csv"))[0]["error"].contains("--match-by-name"));

    let o = case.exec([
        "import",
        "s.csv",
        "--rate",
        "500",
        "-o",
        "three.csv",
        "--match-by-name",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        statuses(&case.dir().join("three.csv")),
        HashMap::from([("unchanged".to_string(), 20)])
    );
    assert_eq!(
        case.store().writes,
        after_first,
        "no write for conflicts or unchanged rows"
    );
    assert_each_name_once(&case, "Source", 20);
}

#[test]
fn changing_three_rows_of_a_hundred_makes_exactly_three_writes() {
    let case = Case::new().emulator("");
    case.write("s.csv", sources(100, |i| i));
    let o = case.exec(["import", "s.csv", "--rate", "1000", "--concurrency", "8"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let before = case.store().writes;
    case.write(
        "s.csv",
        sources(100, |i| {
            if [5, 50, 95].contains(&i) {
                i + 1000
            } else {
                i
            }
        }),
    );
    let o = case.exec([
        "import",
        "s.csv",
        "--rate",
        "1000",
        "--match-by-name",
        "-o",
        "again.csv",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(case.store().writes - before, 3);
    let s = statuses(&case.dir().join("again.csv"));
    assert_eq!((s["updated"], s["unchanged"]), (3, 97));
}

#[test]
fn a_plan_shows_every_status_and_writes_nothing() {
    let case = Case::new().emulator("");
    case.write("s.csv", sources(3, |i| i));
    let o = case.exec(["import", "s.csv", "--rate", "500"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let ids: Vec<String> = lines(&case.dir().join("s.results.csv"))
        .iter()
        .map(|l| l["id"].clone())
        .collect();
    let before = case.store().writes;
    let runs = case.store().batch_runs;
    // unchanged (same values by id), update (new cost by id), create (new name),
    // conflict (an id not on the account), invalid (bad cost).
    let plan_input = format!(
        "id,name,description,cost,isReferral\n{},Source 000,Row 0,0,no\n{},Source 001,Row 1,77,no\n,Brand new,,5,yes\n999999,Ghost,,1,no\n,Bad cost,,abc,no\n",
        ids[0], ids[1]
    );
    case.write("p.csv", plan_input);
    let o = case.exec(["plan", "p.csv", "--rate", "500", "-o", "plan.csv"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let got: Vec<String> = lines(&case.dir().join("plan.csv"))
        .iter()
        .map(|l| l["status"].clone())
        .collect();
    assert_eq!(
        got,
        ["unchanged", "update", "create", "conflict", "invalid"]
    );
    assert!(o.stderr.contains("2 calls to make"), "{}", o.stderr);
    assert_eq!(case.store().writes, before, "a plan writes nothing");
    assert!(
        !case.dir().join("plan.csv.journal").exists(),
        "a plan keeps no journal"
    );
    assert_eq!(case.store().batch_runs, runs);
}

#[test]
fn a_record_created_by_someone_else_after_the_plan_is_caught_at_import() {
    let case = Case::new().emulator("");
    case.write("s.csv", "name,cost\nLate Arrival,5\nOther,6\n");
    let o = case.exec(["plan", "s.csv", "--rate", "500", "-o", "plan.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(statuses(&case.dir().join("plan.csv"))["create"], 2);
    let theirs = case
        .emu()
        .sandbox()
        .insert_source("Late Arrival", Some(1.0), None, false);
    let o = case.exec(["import", "s.csv", "--rate", "500"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let l = lines(&case.dir().join("s.results.csv"));
    assert_eq!(l[0]["status"], "conflict");
    assert!(
        l[0]["error"].contains(&format!("id {theirs}")),
        "{}",
        l[0]["error"]
    );
    assert_eq!(l[1]["status"], "created");
}

#[test]
fn an_unedited_export_imports_back_unchanged() {
    let case = Case::new().emulator("");
    case.write("s.csv", sources(10, |i| i * 3));
    assert_eq!(case.exec(["import", "s.csv", "--rate", "500"]).code, 0);
    let before = case.store().writes;
    for ext in ["csv", "xlsx"] {
        let file = format!("export.{ext}");
        let o = case.exec(["export", "sources", "-o", &file, "--rate", "500"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = case.exec([
            "import",
            &file,
            "--rate",
            "500",
            "--match-by-name",
            "-o",
            "back.csv",
            "--overwrite",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let s = statuses(&case.dir().join("back.csv"));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s["unchanged"], 10 + 3, "10 rows and the 3 built-in sources");
    }
    assert_eq!(case.store().writes, before);
}

#[test]
fn live_outcomes_are_never_overwritten_silently() {
    let case = Case::new().emulator("");
    case.write("s.csv", sources(4, |i| i));
    assert_eq!(case.exec(["import", "s.csv", "--rate", "500"]).code, 0);
    let results = case.dir().join("s.results.csv");
    let kept = std::fs::read(&results).unwrap();
    let o = case.exec(["import", "s.csv", "--rate", "500", "--match-by-name"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("holds 4 outcomes of an earlier run"),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read(&results).unwrap(), kept);
    // A dry run and a plan may overwrite; --overwrite too.
    let o = case.exec([
        "import",
        "s.csv",
        "--rate",
        "500",
        "--match-by-name",
        "--overwrite",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(statuses(&results)["unchanged"], 4);
}

#[test]
fn a_round_trip_through_a_two_sheet_workbook_keeps_row_and_sheet() {
    let case = Case::new().emulator("").sample_file("crm.xlsx");
    let o = case.exec(["validate", "crm.xlsx"]);
    assert!(o.code == 0, "{}", o.stderr);
    let first = lines(&case.dir().join("crm.results.csv"));
    assert!(
        first.iter().any(|l| l["sheet"] == "Lead Stages")
            && first.iter().any(|l| l["sheet"] == "Lead Sources")
    );
    let o = case.exec(["validate", "crm.results.csv"]);
    assert!(o.code == 0, "{}", o.stderr);
    assert!(!case.dir().join("crm.results.results.csv").exists());
    let second = lines(&case.dir().join("crm.results.2.csv"));
    let key = |l: &Line| (l["row"].clone(), l["sheet"].clone(), l["kind"].clone());
    assert_eq!(
        first.iter().map(key).collect::<Vec<_>>(),
        second.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn a_name_repeating_an_invalid_row_is_reported_in_the_same_pass() {
    let case = Case::new().file("s.csv", "name,cost\nExpo,abc\nExpo,5\n");
    let o = case.exec(["validate", "s.csv"]);
    assert_eq!(o.code, 1);
    let l = lines(&case.dir().join("s.results.csv"));
    assert_eq!(l[1]["status"], "invalid");
    assert!(
        l[1]["error"].contains("row 2, which is itself invalid"),
        "{}",
        l[1]["error"]
    );
}

// ---- bulk mode ----

fn mixed(n_sources: usize, n_stages: usize) -> String {
    let mut s = String::from("kind,id,name,cost,applyTo,colour\n");
    for i in 0..n_sources {
        s.push_str(&format!("source,,Bulk {i:03},{i},,\n"));
    }
    for i in 0..n_stages {
        s.push_str(&format!("stage,,Step {i:03},,lead,\n"));
    }
    s
}

#[test]
fn bulk_mode_sends_batches_and_keeps_input_order() {
    let case = Case::new().emulator("batch-delay-ms=50");
    case.write("m.csv", mixed(150, 60));
    let o = case.exec([
        "import",
        "m.csv",
        "--bulk",
        "--batch-size",
        "50",
        "--rate",
        "200",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let store = case.store();
    assert_eq!(store.batch_runs, 5, "210 rows in batches of 50");
    let l = lines(&case.dir().join("m.results.csv"));
    let rows: Vec<u32> = l.iter().map(|l| l["row"].parse().unwrap()).collect();
    assert_eq!(rows, (2..212).collect::<Vec<u32>>());
    assert!(l.iter().all(|l| l["status"] == "created"));
    assert_eq!(l[0]["kind"], "source");
    assert_eq!(l[209]["kind"], "stage");
    assert_each_name_once(&case, "Bulk", 150);
    assert_each_name_once(&case, "Step", 60);
}

#[test]
fn a_job_rejected_inside_a_batch_fails_only_its_row_with_the_api_code() {
    let case = Case::new().emulator("");
    // Source 1 is a built-in record the API refuses to edit (24326).
    case.write(
        "m.csv",
        "id,name,cost\n,First,1\n1,iVvy Marketplace,5\n,Third,3\n",
    );
    let o = case.exec(["import", "m.csv", "--bulk", "--rate", "200"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(case.store().batch_runs, 1);
    let l = lines(&case.dir().join("m.results.csv"));
    assert_eq!(l[0]["status"], "created");
    assert_eq!(l[1]["status"], "failed");
    assert_eq!(l[1]["specific_code"], "24326");
    assert_eq!(l[2]["status"], "created");
}

#[test]
fn a_lost_batch_answer_is_reconciled_not_resent() {
    // Every batch run is applied and then its answer is dropped, once in three (seeded).
    let case = Case::new().emulator("seed=4,drop=0.3,batch-delay-ms=20");
    case.write("m.csv", mixed(300, 0));
    let o = case.exec([
        "import",
        "m.csv",
        "--bulk",
        "--batch-size",
        "40",
        "--rate",
        "500",
        "--timeout",
        "2",
        "--max-wait",
        "1",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let store = case.store();
    assert_eq!(store.creates, 300, "every row created exactly once");
    assert_each_name_once(&case, "Bulk", 300);
    let l = lines(&case.dir().join("m.results.csv"));
    assert_eq!(l.len(), 300);
    assert!(l.iter().all(|l| l["status"] == "created"));
}

#[test]
fn too_many_jobs_halves_the_batch() {
    let case = Case::new().emulator("batch-max=30");
    case.write("m.csv", mixed(100, 0));
    let o = case.exec([
        "import",
        "m.csv",
        "--bulk",
        "--batch-size",
        "50",
        "--rate",
        "500",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let store = case.store();
    assert_eq!(store.creates, 100);
    // 50 refused, then 25 a batch: four runs accepted.
    assert_eq!(store.batch_runs, 4);
    assert_each_name_once(&case, "Bulk", 100);
}

#[test]
fn bulk_mode_under_faults_and_kills_creates_every_row_exactly_once() {
    let case = Case::new().emulator(
        "seed=9,error=0.05,reset=0.05,drop=0.05,poll-error=0.1,poll-reset=0.1,batch-delay-ms=30,latency-ms=5",
    );
    case.write("m.csv", mixed(1500, 500));
    let args = [
        "import",
        "m.csv",
        "--bulk",
        "--batch-size",
        "40",
        "--rate",
        "400",
        "--timeout",
        "2",
        "--max-wait",
        "1",
        "--batch-timeout",
        "2",
    ];
    // Each run is killed once the emulator has accepted its next batches: mid-run, whatever
    // the machine's load (no fixed sleep).
    for (i, more) in [1u64, 2, 2, 3, 3].into_iter().enumerate() {
        let mut a: Vec<&str> = args.to_vec();
        if i > 0 {
            a.push("--resume");
        }
        let target = case.store().batch_runs + more;
        let mut child = case.spawn_exec(&a);
        wait_for("the next batches", Duration::from_secs(20), || {
            case.store().batch_runs >= target || child.ended()
        });
        child.kill();
        let _ = child.wait();
    }
    let mut a: Vec<&str> = args.to_vec();
    a.push("--resume");
    // A create whose outcome stays unknown (a reset `run`) fails and is never resent in its
    // run: a later --resume settles it.
    let mut o = case.exec(&a);
    for _ in 0..4 {
        if o.code != 1 {
            break;
        }
        o = case.exec(&a);
    }
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(case.store().creates, 2000);
    assert_each_name_once(&case, "Bulk", 1500);
    assert_each_name_once(&case, "Step", 500);
    let l = lines(&case.dir().join("m.results.csv"));
    assert_eq!(l.len(), 2000);
}

#[test]
fn a_large_account_is_listed_page_by_page_behind_a_server_rate_limit() {
    // 3,000 existing sources and a server that allows 10 requests a second.
    let case = Case::new().emulator("preload-sources=3000,limit=10");
    case.write("s.csv", sources(5, |i| i));
    let o = case.exec(["import", "s.csv", "--rate", "50", "--concurrency", "4"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(statuses(&case.dir().join("s.results.csv"))["created"], 5);
    assert!(case.store().list_calls >= 30, "3,000 records at 100 a page");
}

#[test]
fn the_pace_settles_under_a_slow_server_limit_without_losing_rows() {
    // The server takes one request a second; the client asks for five.
    let case = Case::new().emulator("limit=1");
    case.write("s.csv", sources(6, |i| i));
    let o = case.exec(["import", "s.csv", "--rate", "5", "--retries", "2"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(statuses(&case.dir().join("s.results.csv"))["created"], 6);
    assert_eq!(case.store().creates, 6);
}

#[test]
fn a_report_and_a_results_workbook_are_written_and_read_back() {
    let case = Case::new().file(
        "s.csv",
        "name,cost\nFine,1\nBad,abc\n<script>x</script>,-2\n",
    );
    let o = case.exec([
        "validate",
        "s.csv",
        "-o",
        "out.xlsx",
        "--report",
        "report.html",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    // The CSV beside the workbook, the workbook readable as input again.
    assert_eq!(lines(&case.dir().join("out.csv")).len(), 3);
    let o = case.exec([
        "validate",
        "out.xlsx",
        "-o",
        "again.csv",
        "--sheet",
        "Results",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let again = lines(&case.dir().join("again.csv"));
    assert_eq!(
        again.iter().map(|l| l["row"].clone()).collect::<Vec<_>>(),
        ["2", "3", "4"]
    );
    let html = std::fs::read_to_string(case.dir().join("report.html")).unwrap();
    assert!(html.contains("&lt;script&gt;"), "values are escaped");
    assert!(!html.contains("<script>"), "no script in the page");
    assert!(html.contains("<svg"), "an inline chart");
}

#[test]
fn templates_come_from_the_kind_or_the_file_name_and_import_cleanly() {
    let case = Case::new();
    let run = |args: &[&str]| case.exec(args);
    assert_eq!(run(&["template", "lead-stages.csv"]).code, 0);
    let header = std::fs::read_to_string(case.dir().join("lead-stages.csv")).unwrap();
    assert!(
        header
            .trim_start_matches('\u{feff}')
            .starts_with("name,colour,applyTo")
    );
    assert_eq!(run(&["template", "data.csv"]).code, 2, "a CSV needs a kind");
    assert_eq!(run(&["template", "crm.xlsx"]).code, 0);
    // The workbook reads as it is, and has no row to import (its examples are notes).
    let o = run(&["validate", "crm.xlsx"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(lines(&case.dir().join("crm.results.csv")).is_empty());
}
