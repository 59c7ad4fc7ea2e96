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
    assert_eq!(
        o.line(2)["sent"],
        r##"name="Expo; \"big\""; description="Paid"; cost=2500; colour="#aabbcc"; isReferral=true"##
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
    assert!(o.line(2)["checksum"].len() == 16, "{:?}", o.line(2));
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
        r##"name="Expo"; description=""; cost=150; colour="#aabbcc""##
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
