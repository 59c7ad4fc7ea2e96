//! Bulk mode against an asynchronous server: a create whose outcome is unknown is never sent
//! again on a timing guess, batch results count only when they match the jobs sent, and a
//! resumed run settles the batches an earlier one left in flight.

use std::time::{Duration, Instant};

use crate::support::{Case, Outcome};

/// Every created line names a record of the store with its name, and no name is on the
/// account twice: 0 duplicates, 0 orphans among `rows` rows.
#[track_caller]
fn assert_once(case: &Case, o: &Outcome, rows: usize) {
    let store = case.store();
    let twice: Vec<_> = store
        .name_counts()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "records created twice: {twice:?}");
    let own = store.sources.values().filter(|s| !s.built_in).count();
    assert_eq!(own, rows, "one record per row");
    assert_eq!(o.count("created"), rows, "{}", o.stderr);
    for l in &o.lines {
        let id: u64 = l["id"].parse().unwrap_or_else(|_| panic!("{l:?}"));
        let got = store.sources.get(&id).map(|s| s.name.as_str());
        assert_eq!(got, Some(l["name"].as_str()), "line {l:?}");
    }
}

/// Waits (bounded) until the emulator has accepted at least `n` batch runs.
fn wait_for_batch_runs(case: &Case, n: u64) {
    let start = Instant::now();
    while case.store().batch_runs < n {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no batch run within 20 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_lost_run_answer_of_a_slow_batch_is_never_resent_and_resume_finds_it() {
    // Batches take 2.5 s on the server; a third of the `run` answers are lost after the batch
    // was accepted. --max-wait 1: the look-up comes before the batch is applied.
    let case = Case::new()
        .sources(60)
        .emulator("seed=5,drop=0.3,batch-delay-ms=2500")
        .args(["--bulk", "--batch-size", "10", "--rate", "100"])
        .args(["--max-wait", "1", "--batch-timeout", "8", "--timeout", "5"]);
    let first = case.run().expect_code(1);
    let unknown = first
        .lines
        .iter()
        .filter(|l| l["error"].contains("outcome unknown — run --resume after"))
        .count();
    assert!(
        unknown > 0,
        "the seed loses a run answer: {}",
        first.results
    );
    assert_eq!(first.count("created") + unknown, 60, "{}", first.results);
    // Give the store time to apply every accepted batch: still one record per name.
    std::thread::sleep(Duration::from_millis(2600));
    assert_eq!(
        case.store()
            .sources
            .values()
            .filter(|s| !s.built_in)
            .count(),
        60,
        "nothing was sent twice"
    );
    let again = case.run_with(["--resume"]).expect_code(0);
    assert_once(&case, &again, 60);
}

#[test]
fn kill_9_while_a_run_is_in_flight_then_resume_creates_each_row_once() {
    // Every write hangs past the client's timeout; batches are applied 2 s after `run`.
    let case = Case::new()
        .sources(30)
        .emulator("hang=1,hang-ms=3000,batch-delay-ms=2000")
        .args(["--bulk", "--batch-size", "10", "--concurrency", "1"])
        .args(["--rate", "100", "--max-wait", "3", "--batch-timeout", "4"])
        .args(["--timeout", "1"]);
    let mut running = case.spawn();
    wait_for_batch_runs(&case, 1);
    running.kill();
    let killed = running.wait();
    assert_eq!(killed.code, -1, "killed by the signal");
    let o = case.run_with(["--resume"]).expect_code(0);
    assert_once(&case, &o, 30);
}

#[test]
fn reversed_batch_results_are_caught_and_each_row_gets_its_own_record() {
    let case = Case::new()
        .sources(12)
        .emulator("batch-results=reverse")
        .args(["--bulk", "--batch-size", "6", "--rate", "100"]);
    let o = case.run().expect_code(0);
    assert_once(&case, &o, 12);
}

#[test]
fn a_result_for_a_job_never_sent_is_caught() {
    let case = Case::new()
        .sources(5)
        .emulator("batch-results=foreign")
        .args(["--bulk", "--rate", "100"]);
    let o = case.run().expect_code(0);
    assert!(o.column("id").iter().all(|id| id != "3"), "{}", o.results);
    assert_once(&case, &o, 5);
}

#[test]
fn a_deleted_journal_line_stops_resume_before_any_request() {
    // The key is revoked after 5 writes: the run stops with its journal kept.
    let case = Case::new().sources(10).emulator("revoke-after=5").args([
        "--rate",
        "100",
        "--concurrency",
        "1",
    ]);
    case.run().expect_code(2);
    let journal = case.path("s.results.csv.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 4, "{text}");
    let without: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, without).unwrap();
    let before = case.log().arrivals.len();
    let o = case.run_with(["--resume"]).expect_code(2);
    assert!(o.stderr.contains("cannot be trusted"), "{}", o.stderr);
    assert!(o.stderr.contains("line 3"), "{}", o.stderr);
    assert_eq!(case.log().arrivals.len(), before, "no request");
}

#[test]
fn a_job_answer_without_an_id_is_looked_up_not_failed() {
    let case = Case::new()
        .sources(6)
        .emulator("batch-results=noid")
        .args(["--bulk", "--rate", "100"]);
    let o = case.run().expect_code(0);
    assert_once(&case, &o, 6);
}

#[test]
fn ctrl_c_while_a_batch_runs_sends_no_more_polls_and_resume_settles_the_batch() {
    // Batches take 3 s on the server: the interrupt comes while the run polls.
    let case = Case::new()
        .sources(20)
        .emulator("batch-delay-ms=3000")
        .args(["--bulk", "--batch-size", "20", "--rate", "100"])
        .args(["--max-wait", "1", "--batch-timeout", "10"]);
    let running = case.spawn();
    wait_for_batch_runs(&case, 1);
    let at = Instant::now();
    running.signal("INT");
    let first = running.wait().expect_code(130);
    assert!(
        at.elapsed() < Duration::from_secs(2),
        "the stop waited {:?}",
        at.elapsed()
    );
    assert_eq!(first.lines.len(), 20, "{}", first.results);
    for l in &first.lines {
        assert_eq!(l["status"], "failed", "{l:?}");
        assert!(
            l["error"].contains("outcome unknown — run --resume after"),
            "{l:?}"
        );
    }
    assert_eq!(case.store().batch_runs, 1, "not sent again");
    let again = case.run_with(["--resume"]).expect_code(0);
    assert_once(&case, &again, 20);
    assert_eq!(
        case.store().batch_runs,
        1,
        "the resume settled the batch, not resent it"
    );
}
