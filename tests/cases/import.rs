//! `ivvy-import import` against the emulator over loopback, with seeded faults.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::support::{Case, Outcome, wait_for};

/// Every created/updated line's id is in the store with the row's name; every name of the
/// store's own (not built-in) records is there exactly once.
fn assert_store_matches(case: &Case, o: &Outcome) {
    let store = case.store();
    for l in &o.lines {
        if l["status"] != "created" && l["status"] != "updated" {
            continue;
        }
        let id: u64 = l["id"].parse().unwrap();
        let name = match l["kind"].as_str() {
            "source" => store.sources.get(&id).map(|s| &s.name),
            _ => store.stages.get(&id).map(|s| &s.name),
        };
        let name = name.unwrap_or_else(|| panic!("{} {id} is not in the store", l["kind"]));
        assert_eq!(name.trim(), l["name"].trim(), "line {l:?}");
    }
    let twice: Vec<_> = store
        .name_counts()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "records created twice: {twice:?}");
}

/// How many of the store's own sources carry each name.
fn source_names(case: &Case) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for s in case.store().sources.values().filter(|s| !s.built_in) {
        *m.entry(s.name.clone()).or_default() += 1;
    }
    m
}

#[test]
fn happy_path_creates_both_kinds_with_normalised_fields() {
    let case = Case::new()
        .sample("lead_sources.csv")
        .emulator("")
        .args(["--rate", "500"]);
    let o = case.run().expect_code(0).expect_all("created");
    assert_eq!(o.lines.len(), 32);
    assert_store_matches(&case, &o);
    let store = case.store();
    let google = &store.sources[&o.id(2)];
    assert_eq!(google.cost, Some(1200.5));
    assert_eq!(google.colour.as_deref(), Some("#4285f4"));
    assert!(!google.is_referral);
    assert!(store.sources[&o.id(4)].is_referral);

    let case = Case::new()
        .sample("lead_stages.csv")
        .emulator("")
        .args(["--rate", "500"]);
    let o = case.run().expect_code(0).expect_all("created");
    let enquiry = &case.store().stages[&o.id(2)];
    assert_eq!((enquiry.name.as_str(), enquiry.apply_to), ("Enquiry", 2));
}

#[test]
fn two_sheet_workbook_imports_both_kinds_in_one_run() {
    let case = Case::new()
        .sample("crm.xlsx")
        .emulator("")
        .args(["--rate", "500"]);
    let o = case.run().expect_code(0).expect_all("created");
    assert_eq!(o.lines.iter().filter(|l| l["kind"] == "source").count(), 32);
    assert_eq!(o.lines.iter().filter(|l| l["kind"] == "stage").count(), 24);
    assert_store_matches(&case, &o);
    assert_eq!(case.store().creates, 56);
}

#[test]
fn invalid_rows_never_reach_the_network_and_rejections_carry_api_codes() {
    let long = "x".repeat(300);
    let case = Case::new()
        .csv(&format!(
            "id,name,cost\n,Fine,1\n,Bad cost,abc\n999999,Ghost,\n1,Built-in,\n,{long},\n"
        ))
        .emulator("")
        .args(["--rate", "500"]);
    let o = case
        .run()
        .expect_code(1)
        .expect_status(2, "created")
        .expect_status(3, "invalid")
        // An id that is not on the account is found from the listing, never sent.
        .expect_status(4, "conflict")
        .expect_error(4, "id 999999 is not a lead source on this account");
    assert_eq!(o.line(5)["specific_code"], "24326");
    assert_eq!(
        (
            o.line(6)["error_code"].as_str(),
            o.line(6)["specific_code"].as_str()
        ),
        ("400", "24328")
    );
    // One list call at the start, then one request per valid row the account accepts.
    assert_eq!(case.log().arrivals.len(), 1 + 3);
}

#[test]
fn stage_rejections_carry_their_specific_codes_into_the_results() {
    let long = "y".repeat(300);
    let o = Case::new()
        .csv(&format!(
            "id,name,applyTo\n,Enquiry,lead\n999999,Ghost,\n4,Won again,\n,{long},1\n"
        ))
        .emulator("")
        .args(["--rate", "500"])
        .run()
        .expect_code(1)
        .expect_status(2, "created");
    let l = o.line(3);
    assert_eq!(l["status"], "conflict", "{l:?}");
    for (row, code) in [(4, "24321"), (5, "24323")] {
        let l = o.line(row);
        assert_eq!(
            (l["status"].as_str(), l["specific_code"].as_str()),
            ("failed", code),
            "{l:?}"
        );
        assert_eq!(l["error_code"], "400");
        assert!(!l["error"].is_empty());
    }
}

#[test]
fn faults_lose_no_row_and_create_nothing_twice() {
    // 5% each of 500s, resets, applied-then-dropped and applied-then-hang, and a server limit
    // below --rate.
    const ROWS: usize = 600;
    let case = Case::new()
        .sources(ROWS)
        .emulator("seed=11,error=0.05,reset=0.05,drop=0.05,hang=0.05,hang-ms=1000,limit=150")
        .args(["--rate", "400", "--concurrency", "24", "--retries", "10"])
        .args(["--timeout", "0.3", "--backoff-ms", "5", "--json", "-q"]);
    let o = case.run();
    // Exactly one line per row, in input order: no dedup before comparing.
    assert_eq!(
        o.rows(),
        (2..2 + u32::try_from(ROWS).unwrap()).collect::<Vec<u32>>(),
        "one line per row, in order; {}",
        o.stderr
    );
    assert_store_matches(&case, &o);
    let created = o.count("created");
    assert!(created >= ROWS - 5, "{created} created; {}", o.stdout);
    // Every created row's name is in the store exactly once, and nothing else is there.
    let names = source_names(&case);
    for l in &o.lines {
        let n = names.get(&l["name"]).copied().unwrap_or(0);
        if l["status"] == "created" {
            assert_eq!(n, 1, "{} is in the store {n} times", l["name"]);
        } else {
            assert!(n <= 1, "{} is in the store {n} times", l["name"]);
        }
    }
    assert_eq!(names.values().sum::<usize>(), created, "{names:?}");
    assert_eq!(
        usize::try_from(case.store().creates).unwrap(),
        created,
        "every record made is claimed by exactly one row"
    );
    let log = case.log();
    assert!(
        log.faults.len() > 40,
        "faults were injected: {}",
        log.faults.len()
    );
    assert!(log.throttled > 0, "the server limit was hit");
    let v = o.json();
    assert_eq!(v["totals"]["created"], created as u64);
    assert!(v["retries"].as_u64().unwrap() > 0, "{v}");
}

/// The most arrivals in any one-second window.
fn max_per_second(arrivals: &[Instant]) -> usize {
    let mut a = arrivals.to_vec();
    a.sort();
    let mut best = 0;
    let mut j = 0;
    for i in 0..a.len() {
        while a[i].duration_since(a[j]) >= Duration::from_secs(1) {
            j += 1;
        }
        best = best.max(i - j + 1);
    }
    best
}

#[test]
fn request_rate_never_exceeds_the_limit() {
    let case = Case::new()
        .sources(250)
        .emulator("")
        .args(["--rate", "100", "--concurrency", "8"]);
    case.run().expect_code(0);
    let arrivals = case.log().arrivals;
    assert_eq!(
        arrivals.len(),
        1 + 250,
        "a list call, then one request a row"
    );
    let peak = max_per_second(&arrivals);
    // 100 a second plus the one-request burst, and a margin for a busy machine's jitter.
    assert!(peak <= 110, "{peak} requests in one second at --rate 100");
    // The limit, not the pipeline, sets the pace: 8 in flight could do far more.
    assert!(peak >= 50, "{peak} requests in the busiest second");
}

#[test]
fn server_limit_below_rate_slows_the_pipeline_and_completes() {
    let case = Case::new().sources(200).emulator("limit=40").args([
        "--rate",
        "60",
        "--concurrency",
        "8",
        "--backoff-ms",
        "50",
        "--json",
        "-q",
    ]);
    let o = case.run().expect_code(0).expect_all("created");
    let log = case.log();
    let share = log.throttled as f64 / log.arrivals.len() as f64;
    assert!(share < 0.2, "429s were {:.0}% of requests", share * 100.0);
    let v = o.json();
    assert_eq!(v["throttled"].as_u64().unwrap(), log.throttled);
    assert_eq!(v["requests"].as_u64().unwrap(), log.arrivals.len() as u64);
    assert_store_matches(&case, &o);
}

#[test]
fn auth_failure_mid_run_stops_with_skipped_lines() {
    let case = Case::new().sources(100).emulator("revoke-after=20").args([
        "--rate",
        "500",
        "--concurrency",
        "4",
    ]);
    let o = case.run().expect_code(2).expect_stderr("revoked");
    assert_eq!(o.lines.len(), 100, "every row has a line");
    assert_eq!(o.count("created"), 20);
    assert!(o.count("skipped") >= 70, "{}", o.count("skipped"));
    assert!(
        o.lines
            .iter()
            .filter(|l| l["status"] == "skipped")
            .all(|l| l["error"].contains("revoked"))
    );
    assert_eq!(
        o.count("created") + o.count("skipped") + o.count("failed"),
        100
    );
}

#[test]
fn auth_failure_mid_run_is_a_fatal_stop_in_the_json_summary() {
    let o = Case::new()
        .sources(40)
        .emulator("revoke-after=5")
        .args(["--rate", "500", "--concurrency", "2", "--json", "-q"])
        .run()
        .expect_code(2);
    let v = o.json();
    assert_eq!(v["mode"], "import");
    assert_eq!(v["stopped"]["kind"], "fatal");
    assert!(
        v["stopped"]["reason"].as_str().unwrap().contains("revoked"),
        "{v}"
    );
    assert_eq!(v["totals"]["created"], 5);
    assert_eq!(
        v["totals"]["skipped"].as_u64().unwrap() + v["totals"]["failed"].as_u64().unwrap(),
        35
    );
}

#[test]
fn match_by_name_makes_a_second_run_create_nothing() {
    let case = Case::new()
        .sources(30)
        .emulator("")
        .args(["--rate", "500", "--match-by-name"]);
    let first = case.run().expect_code(0).expect_all("created");
    assert_eq!(case.store().creates, 30);
    // The rows carry a colour, which the list call does not show: the ledger remembers what
    // was written, so nothing is sent again (and never as new records).
    let second = case
        .run_with(["--overwrite"])
        .expect_code(0)
        .expect_all("unchanged");
    assert_eq!(case.store().creates, 30, "nothing created the second time");
    assert_eq!(first.column("id"), second.column("id"));
}

#[test]
fn match_by_name_with_several_matches_fails_listing_candidates() {
    let case = Case::new()
        .csv("name,cost\nExpo,1\n")
        .emulator("")
        .args(["--rate", "500"]);
    // Duplicates are allowed on the server: make two records named Expo.
    case.run().expect_code(0);
    case.run_with(["--allow-duplicates", "--overwrite"])
        .expect_code(0);
    assert_eq!(source_names(&case)["Expo"], 2);
    let o = case
        .run_with(["--match-by-name", "--overwrite"])
        .expect_code(1)
        .expect_status(2, "conflict")
        .expect_error(2, "ids 1000, 1001");
    assert_eq!(source_names(&case)["Expo"], 2, "{:?}", o.line(2));
}

#[test]
fn killed_run_resumes_to_the_same_store_as_an_uninterrupted_run() {
    const ROWS: usize = 300;
    let args = [
        "--rate",
        "300",
        "--concurrency",
        "8",
        "--timeout",
        "2",
        "-q",
    ];
    let names = |case: &Case| {
        let mut v: Vec<(String, Option<String>)> = case
            .store()
            .sources
            .values()
            .map(|s| (s.name.clone(), s.colour.clone()))
            .collect();
        v.sort();
        v
    };
    let reference = Case::new()
        .sources(ROWS)
        .emulator("latency-ms=5")
        .args(args);
    reference.run().expect_code(0);

    // Killed once the emulator has made this many records: never a fixed sleep.
    for (kill_after, seed) in [(10u64, 1), (100, 2), (200, 3)] {
        let case = Case::new()
            .sources(ROWS)
            .emulator(&format!("latency-ms=5,seed={seed}"))
            .args(args);
        let mut child = case.spawn();
        wait_for(
            &format!("{kill_after} records made"),
            Duration::from_secs(30),
            || case.store().creates >= kill_after,
        );
        child.kill();
        let _ = child.wait();
        let before = case.store().creates;
        assert!(
            usize::try_from(before).unwrap() < ROWS,
            "the kill came before the end"
        );
        let o = case
            .run_with(["--resume"])
            .expect_code(0)
            .expect_all("created");
        assert_eq!(o.lines.len(), ROWS);
        assert_eq!(
            names(&case),
            names(&reference),
            "killed after {kill_after} records ({before} created by then)"
        );
        let store = case.store();
        assert_eq!(
            usize::try_from(store.creates).unwrap(),
            ROWS,
            "nothing created twice"
        );
        let ids: HashMap<&str, &str> = o
            .lines
            .iter()
            .map(|l| (l["name"].as_str(), l["id"].as_str()))
            .collect();
        for s in store.sources.values().filter(|s| !s.built_in) {
            assert_eq!(
                ids[s.name.as_str()],
                s.id.to_string(),
                "{} has the id the results say",
                s.name
            );
        }
    }
}

#[test]
fn ctrl_c_finishes_in_flight_marks_the_rest_skipped_and_exits_130() {
    let case = Case::new().sources(400).emulator("latency-ms=50").args([
        "--rate",
        "100",
        "--concurrency",
        "4",
        "-q",
    ]);
    let child = case.spawn();
    // Wait until some rows are done, then press Ctrl-C.
    wait_for("10 rows created", Duration::from_secs(20), || {
        case.store().creates >= 10
    });
    child.signal("INT");
    let o = child.wait().expect_code(130);
    assert_eq!(o.lines.len(), 400, "every row has a line");
    let (created, skipped) = (o.count("created"), o.count("skipped"));
    assert!(
        created > 0 && skipped > 0,
        "{created} created, {skipped} skipped"
    );
    assert_eq!(created + skipped, 400);
    assert_eq!(
        usize::try_from(case.store().creates).unwrap(),
        created,
        "in-flight requests finished and were recorded"
    );
}

#[test]
fn resume_of_a_changed_input_stops_before_any_request_naming_the_row() {
    let case = Case::new()
        .input("s.csv", "name,cost\nExpo,1\nFair,2\n")
        .emulator("")
        .args(["--rate", "500"]);
    case.run().expect_code(0);
    let writes = case.store().writes;
    case.write("s.csv", "name,cost\nExpo,1\nFair Ground,3\n");
    case.run_with(["--resume"])
        .expect_code(2)
        .expect_stderr("row 3 was \"Fair\"")
        .expect_stderr("\"Fair Ground\"")
        .expect_stderr("the input changed since that run");
    assert_eq!(case.store().writes, writes, "no request was made");
}
#[test]
fn sandbox_flag_runs_the_real_job_without_credentials() {
    let o = Case::new()
        .sample("lead_stages.csv")
        .sandbox("")
        .args(["--rate", "200"])
        .run()
        .expect_code(0)
        .expect_all("created")
        .expect_stderr("sandbox");
    assert!(
        o.lines
            .iter()
            .all(|l| l["id"].parse::<u64>().unwrap() >= 1000)
    );
}

#[test]
fn sandbox_flag_wins_over_a_region_and_credentials_in_the_environment() {
    let o = Case::new()
        .sample("lead_stages.csv")
        .sandbox("")
        .args(["--rate", "500"])
        .env("IVVY_REGION", "au")
        .env("IVVY_BASE_URL", "https://api.example.com")
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s")
        .run()
        .expect_code(0);
    assert_eq!(o.lines.len(), 24);
}

#[test]
fn sandbox_faults_are_retried_to_completion() {
    let o = Case::new()
        .sources(60)
        .sandbox("seed=3,error=0.1")
        .args(["--rate", "500", "--backoff-ms", "5", "--json", "-q"])
        .run()
        .expect_code(0)
        .expect_all("created");
    assert_eq!(o.lines.len(), 60);
    assert!(o.json()["retries"].as_u64().unwrap() > 0);
}

/// The store's own sources, as comparable tuples.
fn stored_sources(case: &Case) -> Vec<(String, Option<String>, Option<String>, bool)> {
    let mut v: Vec<_> = case
        .store()
        .sources
        .values()
        .filter(|s| !s.built_in)
        .map(|s| {
            (
                s.name.clone(),
                s.description.clone(),
                s.cost.map(|c| format!("{c:.2}")),
                s.is_referral,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_validated_file_fed_back_imports_the_same_records() {
    let original = Case::new()
        .sample("lead_sources.csv")
        .emulator("")
        .args(["--rate", "500"]);
    original.run().expect_code(0).expect_all("created");
    let validated = Case::new().sample("lead_sources.csv").run().expect_code(0);
    let fed_back = Case::new()
        .input("again.csv", &validated.results)
        .emulator("")
        .args(["--rate", "500"]);
    fed_back.run().expect_code(0).expect_all("created");
    assert_eq!(stored_sources(&fed_back), stored_sources(&original));
    assert_eq!(stored_sources(&original).len(), 32);
}
