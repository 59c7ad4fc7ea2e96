//! Every wait has a bound: batches that never finish, a Retry-After beyond --max-wait, a
//! listing whose total changes or is absurd.

use std::time::{Duration, Instant};

use crate::support::Case;

#[test]
fn a_batch_stuck_at_half_ends_within_its_deadline_and_is_not_resent() {
    let case = Case::new().sources(4).emulator("batch-stuck=half").args([
        "--bulk",
        "--rate",
        "100",
        "--batch-timeout",
        "2",
    ]);
    let start = Instant::now();
    let o = case.run().expect_code(1);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.count("failed"), 4, "{}", o.results);
    o.expect_error(2, "did not finish within --batch-timeout (2 s)")
        .expect_error(2, "run --resume later");
    assert_eq!(case.store().batch_runs, 1, "never sent again");
}

#[test]
fn a_batch_that_says_done_but_has_no_results_is_polled_with_pauses_not_in_a_busy_loop() {
    let case = Case::new().sources(3).emulator("batch-stuck=done").args([
        "--bulk",
        "--rate",
        "1000",
        "--batch-timeout",
        "3",
    ]);
    let o = case.run().expect_code(1);
    assert_eq!(o.count("failed"), 3, "{}", o.results);
    // A list, a run, then polls at least half a second apart over 3 s.
    let requests = case.log().arrivals.len();
    assert!(requests < 25, "{requests} requests");
}

#[test]
fn polls_without_progress_count_toward_give_up_after() {
    let case = Case::new()
        .sources(3)
        .emulator("batch-stuck=half")
        .args(["--bulk", "--rate", "100", "--batch-timeout", "60"])
        .args(["--give-up-after", "2"]);
    let start = Instant::now();
    let o = case.run().expect_code(2);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert!(o.stderr.contains("--give-up-after"), "{}", o.stderr);
}

#[test]
fn a_retry_after_beyond_max_wait_stops_the_run_at_once_with_rows_skipped() {
    // One request a second; the 429 asks for 1e300 s.
    let case = Case::new()
        .sources(3)
        .emulator("limit=1,retry-after=1e300")
        .args(["--rate", "50", "--concurrency", "1", "--max-wait", "5"]);
    let start = Instant::now();
    let o = case.run().expect_code(2);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(o.stderr.contains("more than --max-wait"), "{}", o.stderr);
    assert!(o.stderr.contains("--resume"), "{}", o.stderr);
    assert_eq!(o.count("skipped") + o.count("created"), 3, "{}", o.results);
    assert!(o.count("skipped") >= 1, "{}", o.results);
}

#[test]
fn a_claimed_total_of_a_trillion_stops_the_listing_without_allocating_for_it() {
    let case = Case::new()
        .sources(2)
        .emulator("list-total=1000000000000")
        .args(["--rate", "100"]);
    let start = Instant::now();
    let o = case.run().expect_code(2);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(o.stderr.contains("does not advance"), "{}", o.stderr);
    assert!(case.store().list_calls <= 4, "{}", case.store().list_calls);
}

#[test]
fn a_record_deleted_while_the_account_is_listed_is_caught_and_listed_again() {
    // 250 records over three pages; one is deleted just before the second page is read.
    let case = Case::new()
        .emulator("preload-sources=250,list-delete-at=2")
        .cmd("export")
        .args(["sources", "-o", "out.csv", "--rate", "200"]);
    let o = case.run();
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(case.path("out.csv")).unwrap();
    let store = case.store();
    let names: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(names.len(), store.sources.len(), "one line per live record");
    for s in store.sources.values() {
        assert!(
            text.contains(&s.name),
            "{} is missing from the export",
            s.name
        );
    }
}

#[test]
fn resume_polls_a_journalled_batch_within_the_same_deadline_and_never_resends_it() {
    let case = Case::new().sources(4).emulator("batch-stuck=half").args([
        "--bulk",
        "--rate",
        "100",
        "--batch-timeout",
        "2",
    ]);
    case.run().expect_code(1);
    let start = Instant::now();
    let o = case.run_with(["--resume"]).expect_code(1);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.count("failed"), 4, "{}", o.results);
    o.expect_error(2, "did not finish");
    assert_eq!(case.store().batch_runs, 1, "never sent again");
}
