//! `--resume` reads each input once: the rows an earlier run finished are checked against
//! it before any request, and the rows read for that check are the ones the run goes on with.

use crate::support::Case;

/// Row 2 is a built-in record the API refuses to edit (it fails, so it is left to do); rows
/// 3 to 6 are created. The journal stays, since a row failed.
fn a_run_with_a_failed_row_first() -> Case {
    let case = Case::new()
        .input(
            "s.csv",
            "id,name,cost\n1,Marketplace,5\n,Expo,1\n,Fair,2\n,Show,3\n,Gala,4\n",
        )
        .emulator("")
        .args(["--rate", "500"]);
    let o = case.run().expect_code(1);
    assert_eq!(
        o.statuses(),
        ["failed", "created", "created", "created", "created"]
    );
    case
}

#[test]
fn a_row_changed_after_a_row_left_to_do_stops_the_resume_before_any_request() {
    let case = a_run_with_a_failed_row_first();
    let requests = case.log().arrivals.len();
    // The last row changes; a row left to do (row 2) comes before it.
    case.write(
        "s.csv",
        "id,name,cost\n1,Marketplace,5\n,Expo,1\n,Fair,2\n,Show,3\n,Gala Night,4\n",
    );
    case.run_with(["--resume"])
        .expect_code(2)
        .expect_stderr("row 6 was \"Gala\"")
        .expect_stderr("the input changed since that run");
    assert_eq!(
        case.log().arrivals.len(),
        requests,
        "no request at all, not even the account's listing"
    );
}

#[test]
fn rows_read_for_the_check_go_on_to_the_run_in_input_order() {
    let case = a_run_with_a_failed_row_first();
    let writes = case.store().writes;
    // The failed row is fixed: a new record, no id.
    case.write(
        "s.csv",
        "id,name,cost\n,Marketplace (ours),5\n,Expo,1\n,Fair,2\n,Show,3\n,Gala,4\n",
    );
    let o = case.run_with(["--resume"]).expect_code(0);
    assert_eq!(o.rows(), [2, 3, 4, 5, 6]);
    assert_eq!(o.statuses(), ["created"; 5]);
    let counts = one_write_one_record_a_name(&case, writes);
    assert_eq!(
        counts
            .keys()
            .filter(|(_, name)| name.starts_with("Marketplace (ours)"))
            .count(),
        1
    );
}

/// Only the row left to do was sent (one write since `writes`), and no name has two records:
/// the account's records by name.
fn one_write_one_record_a_name(
    case: &Case,
    writes: u64,
) -> std::collections::HashMap<(char, String), usize> {
    assert_eq!(
        case.store().writes,
        writes + 1,
        "only the row left to do is sent"
    );
    let counts = case.store().name_counts();
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    counts
}

/// Row 2 fails as above; rows 3 to 1,202 are created, so the check of a resume reads three
/// batches of rows.
fn a_long_run_with_a_failed_row_first() -> (Case, String) {
    let mut rows = String::new();
    for i in 0..1200 {
        rows.push_str(&format!(",Source {i},{i}\n"));
    }
    let case = Case::new()
        .input("s.csv", format!("id,name,cost\n1,Marketplace,5\n{rows}"))
        .emulator("")
        .args(["--rate", "10000", "--concurrency", "16"]);
    let o = case.run().expect_code(1);
    assert_eq!(o.statuses().len(), 1201);
    assert_eq!(o.statuses()[0], "failed");
    (case, rows)
}

#[test]
fn past_the_rows_it_keeps_the_check_lets_them_go_and_the_run_reads_the_file_again() {
    let (case, rows) = a_long_run_with_a_failed_row_first();
    let writes = case.store().writes;
    case.write(
        "s.csv",
        format!("id,name,cost\n,Marketplace (ours),5\n{rows}"),
    );
    let case = case.env("IVVY_IMPORT_RESUME_HOLD", "600");
    let o = case.run_with(["--resume"]).expect_code(0);
    assert_eq!(o.rows(), (2..=1202).collect::<Vec<u32>>());
    assert_eq!(o.statuses(), vec!["created"; 1201]);
    let counts = one_write_one_record_a_name(&case, writes);
    let ours = counts
        .keys()
        .filter(|(_, name)| name.starts_with("Source ") || name.starts_with("Marketplace (ours)"))
        .count();
    assert_eq!(ours, 1201, "one record per row");
}

#[test]
fn past_the_rows_it_keeps_a_changed_row_still_stops_the_resume_before_any_request() {
    let (case, rows) = a_long_run_with_a_failed_row_first();
    let requests = case.log().arrivals.len();
    let changed = rows.replace(",Source 1100,", ",Source 1100 (new),");
    case.write("s.csv", format!("id,name,cost\n1,Marketplace,5\n{changed}"));
    let case = case.env("IVVY_IMPORT_RESUME_HOLD", "100");
    case.run_with(["--resume"])
        .expect_code(2)
        .expect_stderr("row 1103 was \"Source 1100\"")
        .expect_stderr("the input changed since that run");
    assert_eq!(case.log().arrivals.len(), requests, "no request at all");
}
