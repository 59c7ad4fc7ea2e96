//! `--json`: one object on stdout on every exit of every command, fatal ones included, each
//! with the documented fields.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Case, Outcome, wait_for};

/// The fields every object carries, whatever the exit.
const FIELDS: [&str; 11] = [
    "schema_version",
    "command",
    "exit_code",
    "totals",
    "by_kind",
    "problems",
    "warnings",
    "results_files",
    "stopped",
    "error",
    "rows",
];

/// The one JSON object on stdout, checked to carry every field, the command and the exit code
/// the process gave.
#[track_caller]
fn envelope(o: &Outcome, command: &str) -> Value {
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stdout:\n{}", o.stdout);
    let v: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", o.stdout, o.stderr));
    for f in FIELDS {
        assert!(v.get(f).is_some(), "{f} missing: {v}");
    }
    assert_eq!(v["schema_version"], 1, "{v}");
    assert_eq!(v["command"], command, "{v}");
    assert_eq!(v["exit_code"], o.code, "{v}");
    v
}

#[track_caller]
fn error_kind(v: &Value) -> &str {
    v["error"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no error kind: {v}"))
}

#[test]
fn a_finished_validate_prints_its_counts_problems_and_results_file() {
    let o = Case::new()
        .csv("name,cost\nA,1\nB,lots\nC,also lots\nD,4\n")
        .args(["--kind", "sources", "--json"])
        .run()
        .expect_code(1);
    let v = envelope(&o, "validate");
    assert_eq!(v["mode"], "validate");
    assert_eq!(v["totals"]["invalid"], 2);
    assert_eq!(v["by_kind"]["source"]["valid"], 2);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["stopped"], Value::Null);
    assert_eq!(v["results_files"][0], "input.results.csv");
    let p = &v["problems"][0];
    assert_eq!(p["count"], 2, "{v}");
    assert_eq!(p["status"], "invalid");
    assert!(p["label"].as_str().unwrap().starts_with("cost"), "{v}");
    let rows: Vec<u64> = p["first_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4]);
    assert_eq!(p["first_rows"][0]["file"], "input.csv");
}

#[test]
fn a_clean_run_exits_0_with_no_error() {
    let o = Case::new()
        .sources(3)
        .sandbox("")
        .args(["--rate", "100", "--json"])
        .run()
        .expect_code(0);
    let v = envelope(&o, "import");
    assert_eq!(v["totals"]["created"], 3);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn warnings_are_carried() {
    // A UTF-8 file with a Windows-1252 line is read with a warning naming the line.
    let o = Case::new()
        .fixture("csv_mixed_encoding.csv")
        .args(["--kind", "sources", "--json"])
        .run();
    let v = envelope(&o, "validate");
    let warnings = v["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty(), "{v}\nstderr: {}", o.stderr);
    let first = warnings[0].as_str().unwrap();
    assert!(o.stderr.contains(first), "{first:?} not on stderr");
}

#[test]
fn a_missing_input_file_is_an_input_error() {
    for cmd in ["validate", "import", "plan", "apply"] {
        let o = Case::new()
            .cmd(cmd)
            .args(["nosuch.csv", "--sandbox", "--json"])
            .run()
            .expect_code(2);
        let v = envelope(&o, cmd);
        assert_eq!(error_kind(&v), "input", "{cmd}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nosuch.csv"),
            "{v}"
        );
    }
}

#[test]
fn missing_credentials_are_a_credentials_error() {
    for cmd in ["import", "plan", "ping"] {
        let mut case = Case::new().cmd(cmd);
        if cmd != "ping" {
            case = case.sources(1);
        }
        let o = case.args(["--region", "au", "--json"]).run().expect_code(2);
        let v = envelope(&o, cmd);
        assert_eq!(error_kind(&v), "credentials", "{cmd}: {v}");
        assert!(o.stderr.contains("IVVY_API_KEY"), "{}", o.stderr);
    }
    let o = Case::new()
        .cmd("export")
        .args(["sources", "-o", "s.csv", "--region", "au", "--json"])
        .run()
        .expect_code(2);
    assert_eq!(error_kind(&envelope(&o, "export")), "credentials");
}

#[test]
fn arguments_that_cannot_be_used_are_a_usage_error() {
    // Refused by the parser, and refused after it.
    for args in [
        &["--no-such-flag", "--json"][..],
        &["--delimiter", "x", "--json"],
        &["--json", "--rate", "0"],
    ] {
        let o = Case::new().sources(1).args(args).run().expect_code(2);
        let v = envelope(&o, "validate");
        assert_eq!(error_kind(&v), "usage", "{args:?}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(!message.starts_with("error:"), "{message}");
        assert!(!message.is_empty());
    }
}

#[test]
fn help_prints_no_object() {
    let o = Case::new().args(["--help", "--json"]).run().expect_code(0);
    assert!(o.stdout.contains("Usage"), "{}", o.stdout);
    assert!(!o.stdout.trim_start().starts_with('{'));
}

#[test]
fn an_unknown_kind_is_a_layout_error() {
    let o = Case::new()
        .fixture("no_kind.csv")
        .args(["--json"])
        .run()
        .expect_code(2);
    assert_eq!(error_kind(&envelope(&o, "validate")), "layout");
}

#[test]
fn a_refused_api_before_any_row_is_an_api_error() {
    let case = Case::new()
        .sources(3)
        .emulator("")
        .env("IVVY_API_SECRET", "wrong")
        .args(["--json"]);
    let o = case.run().expect_code(2);
    let v = envelope(&o, "import");
    assert_eq!(error_kind(&v), "api");
    for cmd in ["ping", "export"] {
        let mut c = Case::new()
            .cmd(cmd)
            .emulator("")
            .env("IVVY_API_SECRET", "wrong")
            .arg("--json");
        if cmd == "export" {
            c = c.args(["sources", "-o", "s.csv"]);
        }
        let o = c.run().expect_code(2);
        assert_eq!(error_kind(&envelope(&o, cmd)), "api", "{cmd}");
    }
}

#[test]
fn a_fatal_stop_mid_run_carries_the_counts_and_an_api_error() {
    let o = Case::new()
        .sources(10)
        .emulator("revoke-after=3")
        .args(["--rate", "500", "--concurrency", "1", "--json", "-q"])
        .run()
        .expect_code(2);
    let v = envelope(&o, "import");
    assert_eq!(v["stopped"]["kind"], "fatal");
    assert_eq!(error_kind(&v), "api");
    assert_eq!(v["totals"]["created"], 3);
    assert_eq!(v["totals"]["rows"], 10);
}

#[test]
fn an_interrupted_run_says_it_stopped() {
    let case = Case::new()
        .sources(200)
        .emulator("")
        .args(["--rate", "20", "--json", "-q"]);
    let running = case.spawn();
    // Wait until the run is writing, then interrupt it.
    wait_for("2 creates", Duration::from_secs(20), || {
        case.store().creates >= 2
    });
    running.signal("INT");
    let o = running.wait().expect_code(130);
    let v = envelope(&o, "import");
    assert_eq!(v["stopped"]["kind"], "interrupted");
    assert_eq!(v["error"], Value::Null);
    assert!(v["totals"]["skipped"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn export_and_ping_answer_with_the_same_object() {
    let case = Case::new()
        .cmd("export")
        .emulator("preload-sources=4")
        .args(["sources", "-o", "s.csv", "--json"]);
    let v = envelope(&case.run().expect_code(0), "export");
    let written = std::fs::read_to_string(case.path("s.csv")).unwrap();
    assert_eq!(v["export"]["records"], written.lines().count() - 1);
    assert!(v["export"]["records"].as_u64().unwrap() >= 4, "{v}");
    assert_eq!(v["export"]["kind"], "source");
    assert_eq!(v["results_files"][0], "s.csv");

    let case = Case::new().cmd("ping").emulator("").arg("--json");
    let v = envelope(&case.run().expect_code(0), "ping");
    assert_eq!(v["ping"]["base_url"], case.emu().base_url());
    assert_eq!(v["error"], Value::Null);
}
