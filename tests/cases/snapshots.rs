//! What the user sees, as snapshots (`tests/snapshots/`): the results CSV of the bundled
//! samples and the summaries on stderr, with timings, rates, ports and temporary paths
//! redacted. Update with `INSTA_UPDATE=always cargo test`, then review the diff.

use crate::support::{Case, Outcome};

/// Escapes `text` for use in a regular expression.
fn escape(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// Snapshots `value` under `name`, described as `what`, with what changes from run to run
/// redacted.
fn snapshot(case: &Case, name: &str, what: &str, value: &str) {
    let dir = escape(&case.dir().display().to_string());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    settings.add_filter(&dir, "[dir]");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[dir]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(r"\(\d+\.\d+s,", "([time],");
    settings.add_filter(
        r"in \d+\.\d+s \(\d+\.\d+ rows/s\)",
        "in [time] ([rate] rows/s)",
    );
    settings.add_filter(
        r#""elapsed_secs": [0-9.e-]+"#,
        r#""elapsed_secs": "[time]""#,
    );
    settings.add_filter(
        r#""rows_per_sec": [0-9.e-]+"#,
        r#""rows_per_sec": "[rate]""#,
    );
    settings.bind(|| insta::assert_snapshot!(name, value));
}

/// The summary's lines, without plain progress lines (they come every few seconds).
fn summary(o: &Outcome) -> String {
    o.stderr
        .lines()
        .filter(|l| !l.starts_with('…'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The `--json` summary, checked to be one JSON value, indented in the product's own key
/// order.
fn pretty_json(o: &Outcome) -> String {
    let _ = o.json();
    let mut out = String::new();
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = o.stdout.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' if matches!(chars.peek(), Some('}' | ']')) => {
                out.push(c);
                out.extend(chars.next());
            }
            '{' | '[' => {
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

#[test]
fn lead_sources_sample_validates() {
    let case = Case::new().sample("lead_sources.csv");
    let o = case.run().expect_code(0);
    snapshot(
        &case,
        "lead_sources_validate_results",
        "validate lead_sources.csv: the results file",
        &o.results,
    );
    snapshot(
        &case,
        "lead_sources_validate_summary",
        "validate lead_sources.csv: stderr",
        &summary(&o),
    );
}

#[test]
fn legacy_export_sample_with_its_map_validates() {
    let case = Case::new()
        .sample("legacy_export.csv")
        .sample_file("legacy_map.toml")
        .args(["--map", "legacy_map.toml"]);
    let o = case.run().expect_code(1);
    snapshot(
        &case,
        "legacy_export_validate_results",
        "validate legacy_export.csv --map legacy_map.toml: the results file",
        &o.results,
    );
    snapshot(
        &case,
        "legacy_export_validate_summary",
        "validate legacy_export.csv --map legacy_map.toml: stderr",
        &summary(&o),
    );
    let o = case.run_with(["--json", "-q"]).expect_code(1);
    snapshot(
        &case,
        "legacy_export_validate_json",
        "validate legacy_export.csv --map legacy_map.toml --json -q: stdout, indented",
        &pretty_json(&o),
    );
}

#[test]
fn crm_workbook_sample_dry_run() {
    let case = Case::new()
        .sample("crm.xlsx")
        .cmd("import")
        .arg("--dry-run");
    let o = case.run().expect_code(0);
    snapshot(
        &case,
        "crm_dry_run_results",
        "import crm.xlsx --dry-run: the results file",
        &o.results,
    );
    snapshot(
        &case,
        "crm_dry_run_summary",
        "import crm.xlsx --dry-run: stderr",
        &summary(&o),
    );
}

#[test]
fn lead_sources_sample_imports_into_the_sandbox() {
    // One request at a time: the emulator's ids follow the rows.
    let case = Case::new().sample("lead_sources.csv").sandbox("").args([
        "--rate",
        "500",
        "--concurrency",
        "1",
    ]);
    let o = case.run().expect_code(0);
    snapshot(
        &case,
        "lead_sources_import_results",
        "import lead_sources.csv --sandbox --concurrency 1: the results file",
        &o.results,
    );
    snapshot(
        &case,
        "lead_sources_import_summary",
        "import lead_sources.csv --sandbox --concurrency 1: stderr",
        &summary(&o),
    );
}

#[test]
fn a_run_stopped_by_a_revoked_key_says_so() {
    let case = Case::new()
        .csv("name,cost\nA,1\nB,2\nC,3\nD,4\nE,x\nF,6\n")
        .sandbox("revoke-after=2")
        .args(["--rate", "500", "--concurrency", "1"]);
    let o = case.run().expect_code(2);
    snapshot(
        &case,
        "revoked_import_results",
        "import --sandbox --sandbox-faults revoke-after=2 --concurrency 1: the results file",
        &o.results,
    );
    snapshot(
        &case,
        "revoked_import_summary",
        "import --sandbox --sandbox-faults revoke-after=2 --concurrency 1: stderr",
        &summary(&o),
    );
    let o = case
        .run_with(["--json", "-q", "--overwrite"])
        .expect_code(2);
    snapshot(
        &case,
        "revoked_import_json",
        "import --sandbox --sandbox-faults revoke-after=2 --concurrency 1 --json -q: stdout, indented",
        &pretty_json(&o),
    );
}
