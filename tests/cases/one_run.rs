//! One run per account, input and results file at a time; outputs never written through a
//! link or onto an input, whenever the link was planted.

use std::time::{Duration, Instant};

use crate::support::Case;

/// Waits (bounded) until the emulator has taken at least `n` writes.
fn wait_for_writes(case: &Case, n: u64) {
    let start = Instant::now();
    while case.store().writes < n {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no write within 20 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A slow import of 20 sources: about 100 ms a row.
fn slow_import() -> Case {
    Case::new()
        .sources(20)
        .emulator("latency-ms=100")
        .args(["--rate", "50", "--concurrency", "1"])
}

#[cfg(unix)]
fn symlink(target: &str, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[test]
fn a_second_run_on_the_same_account_with_another_output_is_refused_naming_the_first() {
    let case = slow_import();
    let first = case.spawn_with(["-o", "a.csv"]);
    wait_for_writes(&case, 1);
    let second = case.run_with(["-o", "b.csv"]).expect_code(2);
    assert!(
        second.stderr.contains("is importing into this account") && second.stderr.contains("pid"),
        "{}",
        second.stderr
    );
    let o = first.wait().expect_code(0);
    assert_eq!(o.count("created"), 20);
    let store = case.store();
    assert_eq!(store.creates, 20, "each record once");
    assert!(store.name_counts().values().all(|n| *n == 1));
    // The lock went with the run: a third run may go.
    case.run_with(["-o", "c.csv", "--match-by-name"])
        .expect_code(0);
    assert_eq!(case.store().creates, 20, "matched, not created again");
}

#[cfg(unix)]
#[test]
fn links_planted_before_the_run_never_change_an_input() {
    let case = Case::new().sources(3).emulator("");
    let input = std::fs::read(case.path("s.csv")).unwrap();
    symlink("s.csv", &case.path("s.results.csv.lock"));
    let o = case.run().expect_code(2);
    assert!(
        o.stderr.contains("would overwrite the input"),
        "{}",
        o.stderr
    );
    std::fs::remove_file(case.path("s.results.csv.lock")).unwrap();
    symlink("s.csv", &case.path("out.csv"));
    case.run_with(["-o", "out.csv"]).expect_code(2);
    let o = case.run_with(["--log-file", "s.csv"]).expect_code(2);
    assert!(o.stderr.contains("one of the inputs"), "{}", o.stderr);
    let o = case.run_with(["--report", "nodir/r.html"]).expect_code(2);
    assert!(o.stderr.contains("does not exist"), "{}", o.stderr);
    assert_eq!(case.store().writes, 0, "refused before any write");
    assert_eq!(std::fs::read(case.path("s.csv")).unwrap(), input);
}

#[cfg(unix)]
#[test]
fn a_link_planted_during_the_run_is_not_followed() {
    let case = slow_import().args(["--report", "r.html"]);
    let input = std::fs::read(case.path("s.csv")).unwrap();
    let running = case.spawn();
    wait_for_writes(&case, 1);
    symlink("s.csv", &case.path("r.html"));
    let o = running.wait();
    assert_ne!(o.code, 0, "the report is refused: {}", o.stderr);
    assert!(
        o.stderr.contains("symbolic link") || o.stderr.contains("would overwrite s.csv"),
        "{}",
        o.stderr
    );
    assert_eq!(o.count("created"), 20, "the import itself finished");
    assert_eq!(std::fs::read(case.path("s.csv")).unwrap(), input);
}

#[test]
fn validate_during_an_import_changes_nothing_of_it() {
    let case = slow_import();
    let running = case.spawn();
    wait_for_writes(&case, 1);
    let v = case.exec(["validate", "s.csv"]);
    assert_eq!(v.code, 2);
    let err = &v.stderr;
    assert!(err.contains("is writing"), "{err}");
    let o = running.wait().expect_code(0);
    assert_eq!(o.count("created"), 20);
    // After it: the results hold live outcomes, which validate never replaces silently.
    let v = case.exec(["validate", "s.csv"]);
    assert_eq!(v.code, 2);
    assert!(v.stderr.contains("--overwrite"), "{}", v.stderr);
    let after = std::fs::read_to_string(case.path("s.results.csv")).unwrap();
    assert_eq!(after, o.results, "the import's results are intact");
}
