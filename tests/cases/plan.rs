//! A plan a client can sign: what each row sends, what an update changes field by field,
//! fields the API cannot read back (the ledger), clearing values, and `apply`.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Case, Outcome, binary, finish};

/// 32 sources; `changed` rows get another cost (and row 7 another description).
fn weekly(changed: &[usize]) -> String {
    let mut s = String::from("name,description,cost,colour,isReferral\n");
    for i in 0..32 {
        let cost = if changed.contains(&i) { 999 } else { 150 };
        let desc = if changed.contains(&i) && i == 7 {
            "New"
        } else {
            "Old"
        };
        s.push_str(&format!(
            "Source {i:02},{desc},{cost},#{:06x},{}\n",
            i * 4099,
            if i % 2 == 0 { "yes" } else { "no" }
        ));
    }
    s
}

#[test]
fn validate_results_show_what_each_row_would_send() {
    let o = Case::new()
        .csv("name,description,cost,colour,isReferral\nExpo; \"big\",Paid,\"2,500\",#ABC,yes\nBad,,x,,\n")
        .run()
        .expect_code(1);
    // Only values not sent as their cells read are listed.
    assert_eq!(
        o.line(2)["sent"],
        r##"cost=2500; colour="#aabbcc"; isReferral=true"##
    );
    assert_eq!(o.line(3)["sent"], "", "an invalid row sends nothing");
    assert!(
        !o.header.iter().skip(11).any(|h| h == "sent"),
        "the tool's columns are not echoed: {:?}",
        o.header
    );
}

#[test]
fn a_plan_names_exactly_the_changed_rows_with_old_and_new_values() {
    let case = Case::new().emulator("").input("week.csv", weekly(&[]));
    case.run_with(["--rate", "1000"]).expect_code(0);
    case.write("week.csv", weekly(&[3, 7, 20]));
    let before = case.store().writes;
    let o = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--no-ledger",
            "--plan",
            "-o",
            "plan.csv",
        ])
        .expect_code(0);
    assert_eq!(case.store().writes, before, "a plan writes nothing");
    // Without the ledger every row that sets a colour is an update, and says why.
    assert_eq!(o.count("update"), 32);
    let with_cost: Vec<(u32, String)> = o
        .lines
        .iter()
        .filter(|l| l["changes"].contains("cost"))
        .map(|l| (l["row"].parse().unwrap(), l["changes"].clone()))
        .collect();
    assert_eq!(
        with_cost,
        [
            (5, "cost: 150 → 999; colour: sent (cannot be read back)".to_string()),
            (
                9,
                r#"description: "Old" → "New"; cost: 150 → 999; colour: sent (cannot be read back)"#
                    .to_string()
            ),
            (22, "cost: 150 → 999; colour: sent (cannot be read back)".to_string()),
        ]
    );
    assert_eq!(o.line(2)["changes"], "colour: sent (cannot be read back)");
    assert!(o.line(2)["checksum"].len() == 32, "{:?}", o.line(2));
}

#[test]
fn a_second_identical_weekly_run_with_colours_writes_nothing() {
    let case = Case::new().emulator("").input("week.csv", weekly(&[]));
    case.run_with(["--rate", "1000"]).expect_code(0);
    let before = case.store().writes;
    let o = case
        .run_with(["--rate", "1000", "--match-by-name", "-o", "again.csv"])
        .expect_code(0)
        .expect_all("unchanged");
    assert_eq!(case.store().writes, before, "nothing sent");
    assert!(
        o.line(2)["changes"].starts_with("colour: as written on 20"),
        "{:?}",
        o.line(2)
    );
    let plan = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--plan",
            "-o",
            "plan.csv",
        ])
        .expect_code(0)
        .expect_all("unchanged");
    assert!(plan.stderr.contains("0 calls to make"), "{}", plan.stderr);
    // A colour changed in the file is sent again.
    case.write("week.csv", weekly(&[]).replace("#000000", "#123456"));
    let o = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--plan",
            "-o",
            "plan2.csv",
        ])
        .expect_code(0);
    assert_eq!(o.count("update"), 1);
    assert_eq!(o.line(2)["changes"], "colour: sent (cannot be read back)");
}

#[test]
fn an_empty_cell_keeps_a_value_unless_clear_empty_is_given() {
    let case = Case::new().emulator("").input(
        "s.csv",
        "name,description,cost,colour\nExpo,Old text,150,#aabbcc\n",
    );
    case.run_with(["--rate", "1000"]).expect_code(0);
    case.write("s.csv", "name,description,cost,colour\nExpo,,150,#aabbcc\n");
    let o = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--plan",
            "-o",
            "keep.csv",
        ])
        .expect_code(0)
        .expect_status(2, "unchanged");
    let changes = &o.line(2)["changes"];
    assert!(
        changes.starts_with("colour: as written on 20")
            && changes.ends_with("; description: kept (empty cell)"),
        "{changes}"
    );
    let o = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--clear-empty",
            "--plan",
            "-o",
            "clear.csv",
        ])
        .expect_code(0)
        .expect_status(2, "update");
    assert!(
        o.line(2)["changes"].starts_with(r#"description: "Old text" → ""; colour: as written"#),
        "{:?}",
        o.line(2)
    );
    assert_eq!(
        o.line(2)["sent"],
        r#"description="""#,
        "a cleared field is listed though its cell is empty"
    );
    case.write("s.csv", "name,description,cost,colour\nExpo,,150,\n");
    let o = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--clear-empty",
            "-o",
            "cleared.csv",
        ])
        .expect_code(0)
        .expect_status(2, "updated");
    assert_eq!(
        o.line(2)["changes"],
        r#"description: "Old text" → ""; colour: sent (cannot be read back)"#
    );
    let store = serde_json::to_value(case.store()).unwrap();
    let id = o.id(2).to_string();
    assert_eq!(store["sources"][&id]["description"], "", "{store}");
    assert_eq!(store["sources"][&id]["colour"], "", "{store}");
}

/// Runs `args` (a whole command line) in the case's folder against its emulator.
fn run_in(case: &Case, args: &[&str], results: &str) -> Outcome {
    let (key, secret) = case.emu().key_and_secret();
    let child = binary()
        .current_dir(case.dir())
        .args(args)
        .args(["--base-url", &case.emu().base_url()])
        .env("IVVY_API_KEY", key)
        .env("IVVY_API_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let out = finish(child, Duration::from_secs(60));
    Outcome::new(&out, &case.path(results))
}

#[test]
fn stage_and_source_exports_import_back_without_kind_and_with_no_writes() {
    let case = Case::new().emulator("").input(
        "stages.csv",
        "name,applyTo,colour\nTour booked,1,#00ff00\nProposal sent,lead,#ff0000\n",
    );
    case.run_with(["--rate", "1000"]).expect_code(0);
    case.write("sources.csv", "name,cost,description\nExpo,5,Fair\n");
    run_in(
        &case,
        &["import", "sources.csv", "--rate", "1000"],
        "sources.results.csv",
    )
    .expect_code(0);
    let before = case.store().writes;
    for (kind, file) in [
        ("stages", "s.csv"),
        ("sources", "src.csv"),
        ("stages", "s.xlsx"),
    ] {
        let o = run_in(
            &case,
            &["export", kind, "-o", file, "--rate", "1000"],
            "none",
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let text = std::fs::read(case.path(file)).unwrap();
        if file.ends_with(".csv") {
            let text = String::from_utf8_lossy(&text);
            assert!(text.lines().next().unwrap().ends_with(",kind"), "{text}");
        }
        let back = format!("{file}.back.csv");
        let o = run_in(
            &case,
            &["import", file, "--rate", "1000", "-o", &back],
            &back,
        )
        .expect_code(0)
        .expect_all("unchanged");
        assert!(!o.lines.is_empty());
    }
    assert_eq!(case.store().writes, before, "nothing sent");
}

#[test]
fn apply_sends_the_plan_and_reports_a_record_changed_since_as_a_conflict() {
    let case = Case::new()
        .emulator("")
        .input("week.csv", "name,cost\nA,150\nB,150\nC,150\nD,150\n");
    let first = case.run_with(["--rate", "1000"]).expect_code(0);
    case.write("week.csv", "name,cost\nA,999\nB,999\nC,999\nD,150\nE,5\n");
    let plan = case
        .run_with([
            "--rate",
            "1000",
            "--match-by-name",
            "--plan",
            "-o",
            "plan.csv",
        ])
        .expect_code(0);
    assert_eq!(
        plan.statuses(),
        ["update", "update", "update", "unchanged", "create"]
    );
    // Someone else changes B's cost after the plan was reviewed.
    case.write("other.csv", format!("id,cost\n{},180\n", first.id(3)));
    run_in(
        &case,
        &["import", "other.csv", "--rate", "1000"],
        "other.results.csv",
    )
    .expect_code(0)
    .expect_all("updated");
    let before = case.store().writes;
    let o = run_in(
        &case,
        &["apply", "plan.csv", "--rate", "1000", "-o", "applied.csv"],
        "applied.csv",
    )
    .expect_code(1)
    .expect_status(2, "updated")
    .expect_status(3, "conflict")
    .expect_error(3, "changed since the plan (cost was 150, now 180)")
    .expect_status(4, "updated")
    .expect_status(5, "unchanged")
    .expect_status(6, "created");
    assert_eq!(case.store().writes - before, 3, "2 updates and 1 create");
    assert_eq!(o.line(2)["changes"], "cost: 150 → 999");
    assert!(
        !o.header
            .iter()
            .skip(11)
            .any(|h| h == "sent" || h == "status"),
        "the plan's own columns are not echoed: {:?}",
        o.header
    );
}

#[test]
fn a_plan_edited_by_hand_is_refused_before_any_request() {
    let case = Case::new()
        .emulator("")
        .input("s.csv", "name,cost\nA,150\nB,150\n");
    case.run_with(["--rate", "1000", "--plan", "-o", "plan.csv"])
        .expect_code(0);
    let text = std::fs::read_to_string(case.path("plan.csv")).unwrap();
    // Row 2's line has no quoted field: its `sent` (the 10th) is set by hand.
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if !l.starts_with("2,") {
                return l.to_string();
            }
            let mut f: Vec<&str> = l.split(',').collect();
            f[9] = "cost=15";
            f.join(",")
        })
        .collect();
    case.write("plan.csv", edited.join("\n") + "\n");
    let requests = case.log().arrivals.len();
    let o = run_in(
        &case,
        &["apply", "plan.csv", "--rate", "1000"],
        "plan.results.csv",
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("row 2 was edited by hand"),
        "{}",
        o.stderr
    );
    assert_eq!(case.log().arrivals.len(), requests, "no request made");
    // An edit of the row's own cells is a change of the input: that row is not sent.
    case.write("plan.csv", text.replace(",A,150", ",A,160"));
    let o = run_in(
        &case,
        &["apply", "plan.csv", "--rate", "1000"],
        "plan.results.csv",
    )
    .expect_code(1)
    .expect_status(3, "created")
    .expect_status(2, "conflict")
    .expect_error(2, "the row now sends");
    assert_eq!(case.store().creates, 1, "{:?}", o.lines);
}

/// A results file holding a live outcome, as an earlier import leaves it.
const LIVE_RESULTS: &str = "row,sheet,kind,status,id,error_code,specific_code,error,name\n2,,source,created,1000,,,,Source 00000\n";

#[test]
fn a_results_file_holding_live_outcomes_is_refused_before_any_request() {
    let case = Case::new()
        .emulator("preload-sources=20000")
        .sources(3)
        .file("s.results.csv", LIVE_RESULTS);
    let started = std::time::Instant::now();
    let o = case.run_with(["--rate", "5"]).expect_code(2);
    let took = started.elapsed();
    assert!(o.stderr.contains("--overwrite"), "{}", o.stderr);
    assert!(took < Duration::from_secs(1), "refused after {took:?}");
    assert_eq!(case.log().arrivals.len(), 0, "no request made");
    assert_eq!(
        std::fs::read_to_string(case.path("s.results.csv")).unwrap(),
        LIVE_RESULTS
    );
}

#[test]
fn reading_a_large_account_shows_progress_within_a_second() {
    use std::io::{BufRead, BufReader};
    let case = Case::new()
        .emulator("preload-sources=20000")
        .sources(3)
        .cmd("plan");
    let mut child = case
        .command(&["--rate".into(), "20".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let started = std::time::Instant::now();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send((line, started.elapsed())).is_err() {
                break;
            }
        }
    });
    let mut seen = None;
    while let Ok((line, at)) = rx.recv_timeout(Duration::from_secs(10)) {
        if line.starts_with("reading the account: ") {
            seen = Some((line, at));
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let (line, at) = seen.expect("a line saying how far the account has been read");
    // 20,000 records and the 3 built-in ones, 100 a page.
    assert!(line.contains("/201 pages of lead sources"), "{line}");
    assert!(at < Duration::from_secs(1), "first shown after {at:?}");
}

#[test]
fn a_plans_estimate_counts_the_time_to_read_the_account() {
    let case = Case::new()
        .emulator("preload-sources=2000")
        .sources(3)
        .cmd("plan");
    let o = case.run_with(["--rate", "20"]).expect_code(0);
    // 21 pages at 20 a second (about a second), then 3 creates (0.15 s): the estimate is
    // the listing's time and the calls', not the calls' alone (which would be "about 1 s").
    let about = o
        .stderr
        .split("3 calls to make, about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no estimate in:\n{}", o.stderr));
    assert!(about >= 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("at --rate 20, reading the account included ("),
        "{}",
        o.stderr
    );
}
