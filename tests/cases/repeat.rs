//! Repeat imports against a live account, and bulk mode: every test starts the emulator in
//! this process on 127.0.0.1:0 and runs the binary against it, then reads the emulator's own
//! counters (writes, creates, batch runs) to prove what was sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ivvy_import::sandbox::{Faults, Sandbox, SandboxOptions};

use crate::support::{Line, binary_in, finish, parse_results};

/// An emulator on its own runtime, for one test.
struct Emulator {
    sandbox: Sandbox,
    _rt: tokio::runtime::Runtime,
}

impl Emulator {
    fn start(faults: &str) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt
            .block_on(Sandbox::start(SandboxOptions {
                faults: Faults::parse(faults).unwrap(),
                key: Some("key".into()),
                secret: Some("secret".into()),
                ..SandboxOptions::default()
            }))
            .unwrap();
        Emulator { sandbox, _rt: rt }
    }

    fn cmd(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = binary_in(dir);
        c.args(args)
            .args(["--base-url", &self.sandbox.base_url()])
            .env("IVVY_API_KEY", "key")
            .env("IVVY_API_SECRET", "secret")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        finish(
            self.cmd(dir, args).spawn().unwrap(),
            Duration::from_secs(90),
        )
    }

    fn writes(&self) -> u64 {
        self.sandbox.store().writes
    }

    fn names(&self) -> Vec<String> {
        let store = serde_json::to_value(self.sandbox.store()).unwrap();
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
}

/// The binary run in `dir` with these arguments (no emulator), bounded in time.
fn ivvy(dir: &Path, args: &[&str]) -> Output {
    let mut c = binary_in(dir);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    finish(
        c.spawn().expect("the binary starts"),
        Duration::from_secs(90),
    )
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
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

fn assert_each_name_once(e: &Emulator, prefix: &str, n: usize) {
    let names = e.names();
    for i in 0..n {
        let want = format!("{prefix} {i:03}");
        let count = names.iter().filter(|s| **s == want).count();
        assert_eq!(count, 1, "{want} is stored {count} times");
    }
}

#[test]
fn importing_the_same_file_twice_writes_nothing_the_second_time() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(20, |i| i * 10));
    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "500", "-o", "one.csv"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let after_first = e.writes();
    assert_eq!(after_first, 20);

    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "500", "-o", "two.csv"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(
        statuses(&dir.path().join("two.csv")),
        HashMap::from([("conflict".to_string(), 20)])
    );
    assert!(lines(&dir.path().join("two.csv"))[0]["error"].contains("--match-by-name"));

    let o = e.run(
        dir.path(),
        &[
            "import",
            "s.csv",
            "--rate",
            "500",
            "-o",
            "three.csv",
            "--match-by-name",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        statuses(&dir.path().join("three.csv")),
        HashMap::from([("unchanged".to_string(), 20)])
    );
    assert_eq!(
        e.writes(),
        after_first,
        "no write for conflicts or unchanged rows"
    );
    assert_each_name_once(&e, "Source", 20);
}

#[test]
fn changing_three_rows_of_a_hundred_makes_exactly_three_writes() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(100, |i| i));
    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "1000", "--concurrency", "8"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let before = e.writes();
    write(
        dir.path(),
        "s.csv",
        &sources(100, |i| {
            if [5, 50, 95].contains(&i) {
                i + 1000
            } else {
                i
            }
        }),
    );
    let o = e.run(
        dir.path(),
        &[
            "import",
            "s.csv",
            "--rate",
            "1000",
            "--match-by-name",
            "-o",
            "again.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(e.writes() - before, 3);
    let s = statuses(&dir.path().join("again.csv"));
    assert_eq!((s["updated"], s["unchanged"]), (3, 97));
}

#[test]
fn a_plan_shows_every_status_and_writes_nothing() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(3, |i| i));
    let o = e.run(dir.path(), &["import", "s.csv", "--rate", "500"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let ids: Vec<String> = lines(&dir.path().join("s.results.csv"))
        .iter()
        .map(|l| l["id"].clone())
        .collect();
    let before = e.writes();
    let runs = e.sandbox.store().batch_runs;
    // unchanged (same values by id), update (new cost by id), create (new name),
    // conflict (an id not on the account), invalid (bad cost).
    let plan_input = format!(
        "id,name,description,cost,isReferral\n{},Source 000,Row 0,0,no\n{},Source 001,Row 1,77,no\n,Brand new,,5,yes\n999999,Ghost,,1,no\n,Bad cost,,abc,no\n",
        ids[0], ids[1]
    );
    write(dir.path(), "p.csv", &plan_input);
    let o = e.run(
        dir.path(),
        &["plan", "p.csv", "--rate", "500", "-o", "plan.csv"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let got: Vec<String> = lines(&dir.path().join("plan.csv"))
        .iter()
        .map(|l| l["status"].clone())
        .collect();
    assert_eq!(
        got,
        ["unchanged", "update", "create", "conflict", "invalid"]
    );
    assert!(err(&o).contains("2 calls to make"), "{}", err(&o));
    assert_eq!(e.writes(), before, "a plan writes nothing");
    assert!(
        !dir.path().join("plan.csv.journal").exists(),
        "a plan keeps no journal"
    );
    assert_eq!(e.sandbox.store().batch_runs, runs);
}

#[test]
fn a_record_created_by_someone_else_after_the_plan_is_caught_at_import() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", "name,cost\nLate Arrival,5\nOther,6\n");
    let o = e.run(
        dir.path(),
        &["plan", "s.csv", "--rate", "500", "-o", "plan.csv"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(statuses(&dir.path().join("plan.csv"))["create"], 2);
    let theirs = e
        .sandbox
        .insert_source("Late Arrival", Some(1.0), None, false);
    let o = e.run(dir.path(), &["import", "s.csv", "--rate", "500"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let l = lines(&dir.path().join("s.results.csv"));
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
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(10, |i| i * 3));
    assert_eq!(
        e.run(dir.path(), &["import", "s.csv", "--rate", "500"])
            .status
            .code(),
        Some(0)
    );
    let before = e.writes();
    for ext in ["csv", "xlsx"] {
        let file = format!("export.{ext}");
        let o = e.run(
            dir.path(),
            &["export", "sources", "-o", &file, "--rate", "500"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let o = e.run(
            dir.path(),
            &[
                "import",
                &file,
                "--rate",
                "500",
                "--match-by-name",
                "-o",
                "back.csv",
                "--overwrite",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let s = statuses(&dir.path().join("back.csv"));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s["unchanged"], 10 + 3, "10 rows and the 3 built-in sources");
    }
    assert_eq!(e.writes(), before);
}

#[test]
fn live_outcomes_are_never_overwritten_silently() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(4, |i| i));
    assert_eq!(
        e.run(dir.path(), &["import", "s.csv", "--rate", "500"])
            .status
            .code(),
        Some(0)
    );
    let results = dir.path().join("s.results.csv");
    let kept = std::fs::read(&results).unwrap();
    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "500", "--match-by-name"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("holds 4 outcomes of an earlier run"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read(&results).unwrap(), kept);
    // A dry run and a plan may overwrite; --overwrite too.
    let o = e.run(
        dir.path(),
        &[
            "import",
            "s.csv",
            "--rate",
            "500",
            "--match-by-name",
            "--overwrite",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(statuses(&results)["unchanged"], 4);
}

#[test]
fn a_round_trip_through_a_two_sheet_workbook_keeps_row_and_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/crm.xlsx");
    std::fs::copy(&sample, dir.path().join("crm.xlsx")).unwrap();
    let e = Emulator::start("");
    let o = e.run(dir.path(), &["validate", "crm.xlsx"]);
    assert!(o.status.success(), "{}", err(&o));
    let first = lines(&dir.path().join("crm.results.csv"));
    assert!(
        first.iter().any(|l| l["sheet"] == "Lead Stages")
            && first.iter().any(|l| l["sheet"] == "Lead Sources")
    );
    let o = e.run(dir.path(), &["validate", "crm.results.csv"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!dir.path().join("crm.results.results.csv").exists());
    let second = lines(&dir.path().join("crm.results.2.csv"));
    let key = |l: &Line| (l["row"].clone(), l["sheet"].clone(), l["kind"].clone());
    assert_eq!(
        first.iter().map(key).collect::<Vec<_>>(),
        second.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn a_name_repeating_an_invalid_row_is_reported_in_the_same_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", "name,cost\nExpo,abc\nExpo,5\n");
    let o = ivvy(dir.path(), &["validate", "s.csv"]);
    assert_eq!(o.status.code(), Some(1));
    let l = lines(&dir.path().join("s.results.csv"));
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
    let e = Emulator::start("batch-delay-ms=50");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.csv", &mixed(150, 60));
    let o = e.run(
        dir.path(),
        &[
            "import",
            "m.csv",
            "--bulk",
            "--batch-size",
            "50",
            "--rate",
            "200",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let store = e.sandbox.store();
    assert_eq!(store.batch_runs, 5, "210 rows in batches of 50");
    let l = lines(&dir.path().join("m.results.csv"));
    let rows: Vec<u32> = l.iter().map(|l| l["row"].parse().unwrap()).collect();
    assert_eq!(rows, (2..212).collect::<Vec<u32>>());
    assert!(l.iter().all(|l| l["status"] == "created"));
    assert_eq!(l[0]["kind"], "source");
    assert_eq!(l[209]["kind"], "stage");
    assert_each_name_once(&e, "Bulk", 150);
    assert_each_name_once(&e, "Step", 60);
}

#[test]
fn a_job_rejected_inside_a_batch_fails_only_its_row_with_the_api_code() {
    let e = Emulator::start("");
    let dir = tempfile::tempdir().unwrap();
    // Source 1 is a built-in record the API refuses to edit (24326).
    write(
        dir.path(),
        "m.csv",
        "id,name,cost\n,First,1\n1,iVvy Marketplace,5\n,Third,3\n",
    );
    let o = e.run(dir.path(), &["import", "m.csv", "--bulk", "--rate", "200"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(e.sandbox.store().batch_runs, 1);
    let l = lines(&dir.path().join("m.results.csv"));
    assert_eq!(l[0]["status"], "created");
    assert_eq!(l[1]["status"], "failed");
    assert_eq!(l[1]["specific_code"], "24326");
    assert_eq!(l[2]["status"], "created");
}

#[test]
fn a_lost_batch_answer_is_reconciled_not_resent() {
    // Every batch run is applied and then its answer is dropped, once in three (seeded).
    let e = Emulator::start("seed=4,drop=0.3,batch-delay-ms=20");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.csv", &mixed(300, 0));
    let o = e.run(
        dir.path(),
        &[
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
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let store = e.sandbox.store();
    assert_eq!(store.creates, 300, "every row created exactly once");
    assert_each_name_once(&e, "Bulk", 300);
    let l = lines(&dir.path().join("m.results.csv"));
    assert_eq!(l.len(), 300);
    assert!(l.iter().all(|l| l["status"] == "created"));
}

#[test]
fn too_many_jobs_halves_the_batch() {
    let e = Emulator::start("batch-max=30");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.csv", &mixed(100, 0));
    let o = e.run(
        dir.path(),
        &[
            "import",
            "m.csv",
            "--bulk",
            "--batch-size",
            "50",
            "--rate",
            "500",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let store = e.sandbox.store();
    assert_eq!(store.creates, 100);
    // 50 refused, then 25 a batch: four runs accepted.
    assert_eq!(store.batch_runs, 4);
    assert_each_name_once(&e, "Bulk", 100);
}

#[test]
fn bulk_mode_under_faults_and_kills_creates_every_row_exactly_once() {
    let e = Emulator::start(
        "seed=9,error=0.05,reset=0.05,drop=0.05,poll-error=0.1,poll-reset=0.1,batch-delay-ms=30,latency-ms=5",
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.csv", &mixed(1500, 500));
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
        let target = e.sandbox.store().batch_runs + more;
        let mut child = e.cmd(dir.path(), &a).spawn().unwrap();
        let start = std::time::Instant::now();
        while e.sandbox.store().batch_runs < target
            && start.elapsed() < Duration::from_secs(20)
            && child.try_wait().ok().flatten().is_none()
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut a: Vec<&str> = args.to_vec();
    a.push("--resume");
    // A create whose outcome stays unknown (a reset `run`) fails and is never resent in its
    // run: a later --resume settles it.
    let mut o = e.run(dir.path(), &a);
    for _ in 0..4 {
        if o.status.code() != Some(1) {
            break;
        }
        o = e.run(dir.path(), &a);
    }
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(e.sandbox.store().creates, 2000);
    assert_each_name_once(&e, "Bulk", 1500);
    assert_each_name_once(&e, "Step", 500);
    let l = lines(&dir.path().join("m.results.csv"));
    assert_eq!(l.len(), 2000);
}

#[test]
fn a_large_account_is_listed_page_by_page_behind_a_server_rate_limit() {
    // 3,000 existing sources and a server that allows 10 requests a second.
    let e = Emulator::start("preload-sources=3000,limit=10");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(5, |i| i));
    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "50", "--concurrency", "4"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(statuses(&dir.path().join("s.results.csv"))["created"], 5);
    assert!(
        e.sandbox.store().list_calls >= 30,
        "3,000 records at 100 a page"
    );
}

#[test]
fn the_pace_settles_under_a_slow_server_limit_without_losing_rows() {
    // The server takes one request a second; the client asks for five.
    let e = Emulator::start("limit=1");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.csv", &sources(6, |i| i));
    let o = e.run(
        dir.path(),
        &["import", "s.csv", "--rate", "5", "--retries", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(statuses(&dir.path().join("s.results.csv"))["created"], 6);
    assert_eq!(e.sandbox.store().creates, 6);
}

#[test]
fn a_report_and_a_results_workbook_are_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "s.csv",
        "name,cost\nFine,1\nBad,abc\n<script>x</script>,-2\n",
    );
    let o = ivvy(
        dir.path(),
        &[
            "validate",
            "s.csv",
            "-o",
            "out.xlsx",
            "--report",
            "report.html",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    // The CSV beside the workbook, the workbook readable as input again.
    assert_eq!(lines(&dir.path().join("out.csv")).len(), 3);
    let o = ivvy(
        dir.path(),
        &[
            "validate",
            "out.xlsx",
            "-o",
            "again.csv",
            "--sheet",
            "Results",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let again = lines(&dir.path().join("again.csv"));
    assert_eq!(
        again.iter().map(|l| l["row"].clone()).collect::<Vec<_>>(),
        ["2", "3", "4"]
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("&lt;script&gt;"), "values are escaped");
    assert!(!html.contains("<script>"), "no script in the page");
    assert!(html.contains("<svg"), "an inline chart");
}

#[test]
fn templates_come_from_the_kind_or_the_file_name_and_import_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| ivvy(dir.path(), args);
    assert!(run(&["template", "lead-stages.csv"]).status.success());
    let header = std::fs::read_to_string(dir.path().join("lead-stages.csv")).unwrap();
    assert!(
        header
            .trim_start_matches('\u{feff}')
            .starts_with("name,colour,applyTo")
    );
    assert_eq!(
        run(&["template", "data.csv"]).status.code(),
        Some(2),
        "a CSV needs a kind"
    );
    assert!(run(&["template", "crm.xlsx"]).status.success());
    // The workbook reads as it is, and has no row to import (its examples are notes).
    let o = run(&["validate", "crm.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(lines(&dir.path().join("crm.results.csv")).is_empty());
}
