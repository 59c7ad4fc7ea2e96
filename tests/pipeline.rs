//! The import pipeline against the emulator over loopback, with seeded faults.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::emulator;

/// Every created/updated line's id is in the store with the row's name, and no name of a kind
/// is there twice.
fn assert_store_matches(emu: &common::Emulator, o: &common::Outcome) {
    let store = emu.sandbox.store();
    for l in &o.lines {
        if l["status"] != "created" && l["status"] != "updated" {
            continue;
        }
        let id: u64 = l["id"].parse().unwrap();
        let name = match l["kind"].as_str() {
            "source" => {
                &store
                    .sources
                    .get(&id)
                    .unwrap_or_else(|| panic!("source {id} not in the store"))
                    .name
            }
            _ => {
                &store
                    .stages
                    .get(&id)
                    .unwrap_or_else(|| panic!("stage {id} not in the store"))
                    .name
            }
        };
        assert_eq!(name.trim(), l["name"].trim(), "line {l:?}");
    }
    let dups: Vec<_> = store
        .name_counts()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(dups.is_empty(), "records created twice: {dups:?}");
}

#[test]
fn happy_path_creates_both_kinds_with_normalised_fields() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let o = emu.import(
        dir.path(),
        &[&format!("{root}/samples/lead_sources.csv"), "--rate", "500"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.lines.len(), 32);
    assert!(o.lines.iter().all(|l| l["status"] == "created"));
    assert_store_matches(&emu, &o);
    let store = emu.sandbox.store();
    let google: u64 = o.line(2)["id"].parse().unwrap();
    let g = &store.sources[&google];
    assert_eq!(g.cost, Some(1200.5));
    assert_eq!(g.colour.as_deref(), Some("#4285f4"));
    assert!(!g.is_referral);
    assert!(store.sources[&o.line(4)["id"].parse::<u64>().unwrap()].is_referral);

    let o = emu.import(
        dir.path(),
        &[&format!("{root}/samples/lead_stages.csv"), "--rate", "500"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let store = emu.sandbox.store();
    let enquiry = &store.stages[&o.line(2)["id"].parse::<u64>().unwrap()];
    assert_eq!((enquiry.name.as_str(), enquiry.apply_to), ("Enquiry", 2));
}

#[test]
fn two_sheet_workbook_imports_both_kinds_in_one_run() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let o = emu.import(
        dir.path(),
        &[&format!("{root}/samples/crm.xlsx"), "--rate", "500"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.lines.iter().filter(|l| l["kind"] == "source").count(), 32);
    assert_eq!(o.lines.iter().filter(|l| l["kind"] == "stage").count(), 24);
    assert_store_matches(&emu, &o);
    assert_eq!(emu.sandbox.store().creates, 56);
}

#[test]
fn invalid_rows_never_reach_the_network_and_rejections_carry_api_codes() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.csv");
    let long = "x".repeat(300);
    std::fs::write(
        &input,
        format!("id,name,cost\n,Fine,1\n,Bad cost,abc\n999999,Ghost,\n1,Built-in,\n,{long},\n"),
    )
    .unwrap();
    let o = emu.import(dir.path(), &[input.to_str().unwrap(), "--rate", "500"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.line(2)["status"], "created");
    assert_eq!(o.line(3)["status"], "invalid");
    assert_eq!(
        (
            o.line(4)["status"].as_str(),
            o.line(4)["specific_code"].as_str()
        ),
        ("failed", "24325")
    );
    assert_eq!(o.line(5)["specific_code"], "24326");
    assert_eq!(
        (
            o.line(6)["error_code"].as_str(),
            o.line(6)["specific_code"].as_str()
        ),
        ("400", "24328")
    );
    // Two list calls at the start, then one request per valid row.
    assert_eq!(emu.sandbox.log().arrivals.len(), 1 + 4);
}

#[test]
fn faults_lose_no_row_and_create_nothing_twice() {
    // 10% each of 500s, resets, applied-then-dropped and applied-then-hang, and a server limit
    // below --rate.
    let emu = emulator("seed=11,error=0.1,reset=0.1,drop=0.1,hang=0.1,hang-ms=1500,limit=150");
    let scratch = common::Scratch::sources(2000);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let started = Instant::now();
    let o = emu.import(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "--rate",
            "400",
            "--concurrency",
            "24",
            "--retries",
            "10",
            "--timeout",
            "0.4",
            "--backoff-ms",
            "5",
            "--json",
            "-q",
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(
        o.lines.len(),
        2000,
        "every row has exactly one line; {}",
        o.stderr
    );
    let mut rows = o.rows();
    rows.dedup();
    assert_eq!(
        rows,
        (2..2002).collect::<Vec<u32>>(),
        "in input order, none twice"
    );
    assert_store_matches(&emu, &o);
    let created = o.lines.iter().filter(|l| l["status"] == "created").count();
    let store = emu.sandbox.store();
    assert_eq!(
        store.creates as usize, created,
        "every record made is claimed by exactly one row"
    );
    assert!(created >= 1990, "{created} created; {}", o.stdout);
    let log = emu.sandbox.log();
    assert!(
        log.faults.len() > 500,
        "faults were injected: {}",
        log.faults.len()
    );
    assert!(log.throttled > 0, "the server limit was hit");
    eprintln!(
        "{} requests, {} faults injected, {} answered 429",
        log.arrivals.len(),
        log.faults.len(),
        log.throttled
    );
    eprintln!("2000 rows with faults in {elapsed:?}: {}", o.stdout);
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
    let emu = emulator("");
    let scratch = common::Scratch::sources(250);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let o = emu.import(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "--rate",
            "100",
            "--concurrency",
            "8",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let peak = max_per_second(&emu.sandbox.log().arrivals);
    assert!(
        peak <= 101,
        "{peak} requests in one second at --rate 100 (burst 1)"
    );
    assert!(
        peak >= 80,
        "the limit, not the pipeline, sets the pace: {peak}"
    );
}

#[test]
fn server_limit_below_rate_slows_the_pipeline_and_completes() {
    let emu = emulator("limit=40");
    let scratch = common::Scratch::sources(200);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let o = emu.import(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "--rate",
            "60",
            "--concurrency",
            "8",
            "--backoff-ms",
            "50",
            "--json",
            "-q",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stdout);
    let log = emu.sandbox.log();
    let share = log.throttled as f64 / log.arrivals.len() as f64;
    eprintln!("429s: {} of {} requests", log.throttled, log.arrivals.len());
    assert!(share < 0.2, "429s were {:.0}% of requests", share * 100.0);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["throttled"].as_u64().unwrap(), log.throttled);
    assert_store_matches(&emu, &o);
}

#[test]
fn auth_failure_mid_run_stops_with_skipped_lines() {
    let emu = emulator("revoke-after=20");
    let scratch = common::Scratch::sources(100);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let o = emu.import(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "--rate",
            "500",
            "--concurrency",
            "4",
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("revoked"), "{}", o.stderr);
    assert_eq!(o.lines.len(), 100, "every row has a line");
    let count = |s: &str| o.lines.iter().filter(|l| l["status"] == s).count();
    assert_eq!(count("created"), 20);
    assert!(count("skipped") >= 70, "{}", count("skipped"));
    assert!(
        o.lines
            .iter()
            .filter(|l| l["status"] == "skipped")
            .all(|l| l["error"].contains("revoked"))
    );
    assert_eq!(count("created") + count("skipped") + count("failed"), 100);
}

#[test]
fn match_by_name_makes_a_second_run_create_nothing() {
    let emu = emulator("");
    let scratch = common::Scratch::sources(30);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let first = emu.import(
        dir.path(),
        &[input.to_str().unwrap(), "--rate", "500", "--match-by-name"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let creates = emu.sandbox.store().creates;
    assert_eq!(creates, 30);
    let second = emu.import(
        dir.path(),
        &[input.to_str().unwrap(), "--rate", "500", "--match-by-name"],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.lines.iter().all(|l| l["status"] == "updated"));
    assert_eq!(
        emu.sandbox.store().creates,
        creates,
        "nothing created the second time"
    );
    let ids = |o: &common::Outcome| o.lines.iter().map(|l| l["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
}

#[test]
fn match_by_name_with_several_matches_fails_listing_candidates() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let twice = dir.path().join("twice.csv");
    std::fs::write(&twice, "name,cost\nExpo,1\n").unwrap();
    // Duplicates are allowed on the server: make two records named Expo.
    for _ in 0..2 {
        assert_eq!(
            emu.import(dir.path(), &[twice.to_str().unwrap(), "--rate", "500"])
                .code,
            0
        );
    }
    let o = emu.import(
        dir.path(),
        &[twice.to_str().unwrap(), "--rate", "500", "--match-by-name"],
    );
    assert_eq!(o.code, 1);
    assert_eq!(o.line(2)["status"], "failed");
    assert!(
        o.line(2)["error"].contains("ids 1000, 1001"),
        "{:?}",
        o.line(2)
    );
}

#[test]
fn killed_run_resumes_to_the_same_store_as_an_uninterrupted_run() {
    let scratch = common::Scratch::sources(300);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            input.to_str().unwrap(),
            "--rate",
            "300",
            "--concurrency",
            "8",
            "--timeout",
            "2",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let names = |emu: &common::Emulator| {
        let mut v: Vec<(String, Option<String>)> = emu
            .sandbox
            .store()
            .sources
            .values()
            .map(|s| (s.name.clone(), s.colour.clone()))
            .collect();
        v.sort();
        v
    };
    let reference = emulator("latency-ms=5");
    let refdir = tempfile::tempdir().unwrap();
    let arg_refs: Vec<String> = args(&[]);
    let o = reference.import(
        refdir.path(),
        &arg_refs.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(o.code, 0);

    for (kill_after_ms, seed) in [(150u64, 1), (450, 2), (800, 3)] {
        let emu = emulator(&format!("latency-ms=5,seed={seed}"));
        let out = dir.path().join(format!("k{kill_after_ms}.results.csv"));
        let mut child = emu
            .command(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>())
            .arg("-o")
            .arg(&out)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap();
        let _ = child.wait();
        let before = emu.sandbox.store().creates;
        eprintln!("killed after {kill_after_ms} ms with {before} created");
        assert!(before < 300, "the kill came before the end");
        let o = emu
            .command(
                &args(&["--resume"])
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (_, lines) = common::read_results(&out);
        assert_eq!(lines.len(), 300);
        assert!(lines.iter().all(|l| l["status"] == "created"));
        assert_eq!(
            names(&emu),
            names(&reference),
            "killed after {kill_after_ms} ms ({before} created by then)"
        );
        let store = emu.sandbox.store();
        assert_eq!(store.creates, 300, "nothing created twice");
        let ids: HashMap<&str, &str> = lines
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
fn sandbox_flag_runs_the_real_job_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let o = common::run_to(
        dir.path(),
        &[
            "import",
            &format!("{root}/samples/lead_stages.csv"),
            "--sandbox",
            "--rate",
            "200",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.lines
            .iter()
            .all(|l| l["status"] == "created" && l["id"].parse::<u64>().unwrap() >= 1000)
    );
    assert!(o.stderr.contains("sandbox"));
}

#[test]
fn ctrl_c_finishes_in_flight_marks_the_rest_skipped_and_exits_130() {
    let emu = emulator("latency-ms=50");
    let scratch = common::Scratch::sources(400);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let out = dir.path().join("out.results.csv");
    let child = emu
        .command(&[
            input.to_str().unwrap(),
            "--rate",
            "100",
            "--concurrency",
            "4",
            "-q",
        ])
        .arg("-o")
        .arg(&out)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let (_, lines) = common::read_results(&out);
    assert_eq!(lines.len(), 400, "every row has a line");
    let created = lines.iter().filter(|l| l["status"] == "created").count();
    let skipped = lines.iter().filter(|l| l["status"] == "skipped").count();
    assert!(
        created > 0 && skipped > 0,
        "{created} created, {skipped} skipped"
    );
    assert_eq!(created + skipped, 400);
    assert_eq!(
        emu.sandbox.store().creates as usize,
        created,
        "in-flight requests finished and were recorded"
    );
}

#[test]
fn resume_sends_a_changed_created_row_as_an_update() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.csv");
    std::fs::write(&input, "name,cost\nExpo,1\nFair,2\n").unwrap();
    let first = emu.import(dir.path(), &[input.to_str().unwrap(), "--rate", "500"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    std::fs::write(&input, "name,cost\nExpo,1\nFair,3\n").unwrap();
    let second = emu.import(
        dir.path(),
        &[input.to_str().unwrap(), "--rate", "500", "--resume"],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains("row 3 changed"), "{}", second.stderr);
    assert_eq!(second.line(2)["status"], "created", "unchanged: kept");
    assert_eq!(second.line(3)["status"], "updated");
    assert_eq!(second.line(3)["id"], first.line(3)["id"]);
    let store = emu.sandbox.store();
    assert_eq!(store.creates, 2);
    let id: u64 = first.line(3)["id"].parse().unwrap();
    assert_eq!(store.sources[&id].cost, Some(3.0));
}

#[test]
fn stage_rejections_carry_their_specific_codes_into_the_results() {
    let emu = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stages.csv");
    let long = "y".repeat(300);
    std::fs::write(
        &input,
        format!("id,name,applyTo\n,Enquiry,lead\n999999,Ghost,\n4,Won again,\n,{long},1\n"),
    )
    .unwrap();
    let o = emu.import(dir.path(), &[input.to_str().unwrap(), "--rate", "500"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.line(2)["status"], "created");
    for (row, code) in [(3, "24320"), (4, "24321"), (5, "24323")] {
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
fn sandbox_flag_wins_over_a_region_and_credentials_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let o = common::run_to(
        dir.path(),
        &[
            "import",
            &format!("{root}/samples/lead_stages.csv"),
            "--sandbox",
            "--rate",
            "500",
        ],
        &[
            ("IVVY_REGION", "au"),
            ("IVVY_BASE_URL", "https://api.example.com"),
            ("IVVY_API_KEY", "k"),
            ("IVVY_API_SECRET", "s"),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.lines.len(), 24);
}
