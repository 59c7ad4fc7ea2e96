//! The tool in daily use: profiles, logs and the audit trail, packaging, progress when piped,
//! the summary in words, and results files that Excel opens correctly. Each test is a `Case`
//! (its own folder and XDG folders, no IVVY_* variables from the caller's environment).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Case, Outcome, finish, wait_for};

const LIMIT: Duration = Duration::from_secs(120);

/// Writes the profile file `ivvy-import.toml` into `dir`.
fn write_profile(dir: &Path, toml: impl AsRef<str>) {
    let f = dir.join("ivvy-import.toml");
    std::fs::write(&f, toml.as_ref()).unwrap();
    // Whatever the umask: a profile others may write is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// A sources file of `n` rows, named after the file (so two files hold no duplicates).
fn sources(dir: &Path, name: &str, n: usize) -> PathBuf {
    let mut text = String::from("name,cost\n");
    for i in 1..=n {
        text.push_str(&format!("{name} source {i},{i}\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// An emulator in its own process, as a user would start it; killed on drop.
struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start(case: &Case, key: &str, secret: &str) -> Emulator {
        let mut child = case
            .exec_command(&["sandbox", "--key", key, "--secret", secret].map(Into::into))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("the emulator did not say where it listens");
            }
        };
        Emulator { child, url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json_summary(o: &Outcome) -> serde_json::Value {
    serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}\n{}",
            o.stdout, o.stderr
        )
    })
}

// ---------------------------------------------------------------- profiles

#[test]
fn a_profile_in_the_working_directory_sets_flags_and_the_command_line_wins() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 3);
    write_profile(
        case.dir(),
        "[profile.venue-a]\nsandbox = true\nrate = 2\nconcurrency = 1\n",
    );
    let o = case.exec(["plan", "s.csv", "--profile", "venue-a", "--json", "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(json_summary(&o)["rate"], 2.0);
    let o = case.exec([
        "plan",
        "s.csv",
        "--profile",
        "venue-a",
        "--rate",
        "3",
        "--json",
        "-q",
        "-o",
        "again.csv",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(json_summary(&o)["rate"], 3.0);
}

#[test]
fn the_default_profile_applies_without_profile_and_config_names_the_file() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 2);
    let conf = case.dir().join("conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("imports.toml"),
        "[profile.default]\nsandbox = true\nrate = 7\n",
    )
    .unwrap();
    let o = case.exec([
        "plan",
        "s.csv",
        "--config",
        "conf/imports.toml",
        "--json",
        "-q",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(json_summary(&o)["rate"], 7.0);
}

#[test]
fn an_output_pattern_names_each_results_file_by_input_and_date() {
    let case = Case::new();
    sources(case.dir(), "a.csv", 2);
    sources(case.dir(), "b.csv", 2);
    write_profile(
        case.dir(),
        "[profile.nightly]\noutput = \"results/{stem}-{date}.csv\"\nkind = \"sources\"\n",
    );
    let o = case.exec(["validate", "a.csv", "b.csv", "--profile", "nightly"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut names: Vec<String> = std::fs::read_dir(case.dir().join("results"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    for (name, stem) in names.iter().zip(["a", "b"]) {
        let date = name
            .strip_prefix(&format!("{stem}-"))
            .and_then(|r| r.strip_suffix(".csv"))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
            "{name}"
        );
    }
}

#[test]
fn an_unknown_profile_key_is_an_error_naming_the_closest_key() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 1);
    write_profile(case.dir(), "[profile.a]\nconcurency = 2\n");
    let o = case.exec(["validate", "s.csv", "--profile", "a"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("did you mean `concurrency`"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_secret_in_a_profile_is_refused() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 1);
    for key in ["api_key", "api_secret", "secret", "password"] {
        write_profile(case.dir(), format!("[profile.a]\n{key} = \"hunter2\"\n"));
        let o = case.exec(["validate", "s.csv", "--profile", "a"]);
        assert_eq!(o.code, 2, "{key}: {}", o.stderr);
        assert!(o.stderr.contains("api_secret_env"), "{key}: {}", o.stderr);
        assert!(!o.stderr.contains("hunter2"), "{key}: {}", o.stderr);
    }
}

#[test]
fn a_missing_profile_exits_2_listing_the_profiles_in_the_file() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 1);
    write_profile(
        case.dir(),
        "[profile.venue-a]\nrate = 1\n[profile.venue-b]\nrate = 2\n",
    );
    let o = case.exec(["import", "s.csv", "--profile", "venue-c"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("venue-a, venue-b"), "{}", o.stderr);
}

#[test]
fn a_bad_profile_value_is_blamed_on_the_profile() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 1);
    write_profile(
        case.dir(),
        "[profile.a]\nsandbox = true\nconcurrency = 9999\n",
    );
    let o = case.exec(["import", "s.csv", "--profile", "a"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("profile `a`") && o.stderr.contains("--concurrency"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- logs and the audit trail

/// Every 40-hex-digit run in a text (a SHA-1 or an HMAC-SHA1 signature looks like one).
fn hex40(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() == 40 {
                out.push(run.clone());
            }
            run.clear();
        }
    }
    out
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(bytes))
}

#[test]
fn a_profile_names_the_credential_variables_and_the_log_never_holds_the_secret() {
    let case = Case::new();
    let key = "venue-key-123";
    let secret = "s3cr3t-venue-a-5f1e";
    let emu = Emulator::start(&case, key, secret);
    let input = sources(case.dir(), "s.csv", 4);
    write_profile(
        case.dir(),
        format!(
            "[profile.venue-a]\nbase_url = \"{}\"\nrate = 50\napi_key_env = \"VENUE_A_IVVY_KEY\"\napi_secret_env = \"VENUE_A_IVVY_SECRET\"\n",
            emu.url
        ),
    );

    // Without the variables the profile names, nothing runs.
    let o = case.exec(["import", "s.csv", "--profile", "venue-a"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("VENUE_A_IVVY_KEY"), "{}", o.stderr);

    let o = case.exec_env(
        [
            "import",
            "s.csv",
            "--profile",
            "venue-a",
            "--log-file",
            "logs/audit.jsonl",
        ],
        &[("VENUE_A_IVVY_KEY", key), ("VENUE_A_IVVY_SECRET", secret)],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);

    let log = std::fs::read_to_string(case.dir().join("logs/audit.jsonl")).unwrap();
    assert!(!log.contains(secret), "the secret is in the log");
    assert!(
        !log.contains("IWS "),
        "an authorization header is in the log"
    );
    assert!(!log.to_lowercase().contains("authorization"), "{log}");
    assert!(
        !log.contains(&format!("{key}:")),
        "the signed key is in the log"
    );
    let digest = sha1_hex(&std::fs::read(&input).unwrap());
    for h in hex40(&log) {
        assert_eq!(
            h, digest,
            "a 40-hex-digit value (a signature?) is in the log"
        );
    }
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of = |event: &str| -> Vec<&serde_json::Value> {
        lines.iter().filter(|l| l["event"] == event).collect()
    };
    let start = of("run_start");
    assert_eq!(start.len(), 1, "{log}");
    assert_eq!(start[0]["base_url"], emu.url.as_str());
    let inputs = of("input");
    assert_eq!(inputs[0]["sha1"], digest.as_str());
    assert_eq!(inputs[0]["bytes"], std::fs::metadata(&input).unwrap().len());
    let requests = of("request");
    let writes: Vec<_> = requests
        .iter()
        .filter(|r| r["action"] == "addOrUpdateLeadSource")
        .collect();
    assert_eq!(writes.len(), 4, "{log}");
    for w in &writes {
        assert_eq!(w["http_status"], 200);
        assert!(w["latency_ms"].is_u64(), "{w}");
    }
    assert_flat(&lines, &log);
    let end = of("run_end");
    assert_eq!(end.len(), 1, "{log}");
    assert_eq!(end[0]["created"], 4);
    assert_eq!(end[0]["exit_code"], 0);
}

/// The log's lines are flat: a write's row and attempt beside its own fields, no spans
/// array; every line has an event, and the run's lines its id.
fn assert_flat(lines: &[serde_json::Value], log: &str) {
    let writes = lines
        .iter()
        .filter(|l| l["event"] == "request" && l["action"] == "addOrUpdateLeadSource");
    for w in writes {
        assert_eq!(w["attempt"], 1, "{w}");
        assert!(w["row"].is_u64(), "{w}");
        assert!(w.get("spans").is_none(), "{w}");
    }
    for l in lines {
        assert!(l["event"].is_string(), "a line without an event: {l}");
        // Lines of the run carry its id (the profile's line comes before the run).
        assert!(
            l["event"] == "profile" || l["run"].is_string(),
            "a line without the run's id: {l}"
        );
    }
    let read_as: Vec<_> = lines.iter().filter(|l| l["event"] == "read_as").collect();
    assert_eq!(read_as.len(), 1, "{log}");
    assert!(
        read_as[0]["message"]
            .as_str()
            .unwrap()
            .contains("read as CSV")
    );
}

#[test]
fn a_sandbox_run_logs_one_line_per_request_and_no_signature() {
    let case = Case::new();
    let input = sources(case.dir(), "s.csv", 3);
    let o = case.exec([
        "import",
        "s.csv",
        "--sandbox",
        "--rate",
        "50",
        "--log-file",
        "run.jsonl",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let log = std::fs::read_to_string(case.dir().join("run.jsonl")).unwrap();
    assert!(!log.contains("IWS "), "{log}");
    let digest = sha1_hex(&std::fs::read(&input).unwrap());
    for h in hex40(&log) {
        assert_eq!(
            h, digest,
            "a 40-hex-digit value (a signature?) is in the log"
        );
    }
    let requests = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["event"] == "request")
        .count();
    // One list of the account, then one write per row.
    assert_eq!(requests, 4, "{log}");
}

#[test]
fn verbosity_raises_what_stderr_shows() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 2);
    let quiet = case.exec(["import", "s.csv", "--sandbox", "--rate", "50"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("info:"), "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("debug:"), "{}", quiet.stderr);
    let v = case.exec([
        "import",
        "s.csv",
        "--sandbox",
        "--rate",
        "50",
        "-v",
        "-o",
        "v.csv",
    ]);
    assert!(v.stderr.contains("info: import starts"), "{}", v.stderr);
    assert!(!v.stderr.contains("debug:"), "{}", v.stderr);
    let vv = case.exec([
        "import",
        "s.csv",
        "--sandbox",
        "--rate",
        "50",
        "-vv",
        "-o",
        "vv.csv",
    ]);
    assert!(
        vv.stderr
            .contains("debug: crm?action=addOrUpdateLeadSource: HTTP 200"),
        "{}",
        vv.stderr
    );
}

// ---------------------------------------------------------------- packaging

#[test]
fn the_bash_completion_script_is_valid_bash() {
    let case = Case::new();
    let o = case.exec(["completions", "bash"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("--profile") && o.stdout.contains("import"));
    let script = case.dir().join("ivvy-import.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let child = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash starts");
    let check = finish(child, LIMIT);
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish", "powershell"] {
        let o = case.exec(["completions", shell]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(o.stdout.contains("ivvy-import"), "{shell}");
    }
}

#[test]
fn the_man_page_is_roff_on_stdout() {
    let case = Case::new();
    let o = case.exec(["man"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(".TH ivvy-import 1"), "{}", o.stdout);
    assert!(o.stdout.contains(".SH SUBCOMMANDS"), "{}", o.stdout);
    let o = case.exec(["man", "import"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("\\-\\-match\\-by\\-name"), "{}", o.stdout);
    let o = case.exec(["man", "nope"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn every_subcommand_help_ends_with_examples() {
    let case = Case::new();
    for sub in [
        "import",
        "validate",
        "plan",
        "export",
        "ping",
        "sandbox",
        "completions",
        "man",
    ] {
        let o = case.exec([sub, "--help"]);
        assert_eq!(o.code, 0, "{sub}: {}", o.stderr);
        let tail: Vec<&str> = o
            .stdout
            .trim_end()
            .lines()
            .rev()
            .take_while(|l| !l.starts_with("Examples:"))
            .collect();
        assert!(
            (2..=3).contains(&tail.len())
                && tail
                    .iter()
                    .all(|l| l.trim_start().starts_with("ivvy-import ")),
            "{sub} --help does not end with two or three examples:\n{}",
            o.stdout
        );
    }
}

#[test]
fn import_help_groups_options_under_headings() {
    let case = Case::new();
    let o = case.exec(["import", "--help"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let heading = |h: &str| o.stdout.lines().position(|l| l == format!("{h}:"));
    let places: Vec<Option<usize>> = ["Input", "Output", "API", "Pacing", "Matching"]
        .iter()
        .map(|h| heading(h))
        .collect();
    assert!(places.iter().all(Option::is_some), "{}", o.stdout);
    // Each flag sits under its heading.
    let under = |flag: &str, h: &str| {
        let at = o.stdout.lines().position(|l| l.contains(flag)).unwrap();
        let before: Vec<&str> = o.stdout.lines().take(at).collect();
        let last = before
            .iter()
            .rev()
            .find(|l| l.ends_with(':') && !l.starts_with(' '));
        assert_eq!(last.copied(), Some(format!("{h}:").as_str()), "{flag}");
    };
    under("--sheet", "Input");
    under("--base-url", "API");
    under("--rate", "Pacing");
    under("--match-by-name", "Matching");
    under("--resume", "Output");
}

// ---------------------------------------------------------------- progress when piped

fn progress_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(" rows (")).collect()
}

#[test]
fn piped_progress_prints_lines_with_the_total_and_an_eta() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 20);
    let o = case.exec_env(
        ["import", "s.csv", "--sandbox", "--rate", "4"],
        &[("IVVY_IMPORT_PROGRESS_EVERY", "0.5")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines = progress_lines(&o.stderr);
    // About 5 s of sending at 4 rows/s: a line every half second.
    assert!(lines.len() >= 3, "{}", o.stderr);
    for l in &lines {
        assert!(l.contains("/20 rows ("), "{l}");
        assert!(l.contains(" eta "), "{l}");
        assert!(l.contains("/s "), "{l}");
    }
}

#[test]
fn a_plain_progress_line_comes_within_five_seconds_by_default() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 28);
    let o = case.exec(["import", "s.csv", "--sandbox", "--rate", "4"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // 28 rows at 4/s take about 7 s.
    assert!(!progress_lines(&o.stderr).is_empty(), "{}", o.stderr);
}

#[test]
fn messages_reach_stderr_when_bars_cannot_be_drawn() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 2);
    let o = case.exec_env(
        ["validate", "s.csv"],
        &[("IVVY_IMPORT_PROGRESS", "bar"), ("TERM", "dumb")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("read as CSV"), "{}", o.stderr);
    assert!(o.stderr.contains("2 rows read"), "{}", o.stderr);
}

#[test]
fn quiet_hides_progress_and_summary_but_not_warnings() {
    let case = Case::new();
    std::fs::write(case.dir().join("s.csv"), "name,cost,notes\nExpo,1,hi\n").unwrap();
    let o = case.exec(["validate", "s.csv", "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("warning: "), "{}", o.stderr);
    assert!(o.stderr.contains("notes"), "{}", o.stderr);
    assert!(!o.stderr.contains("rows read"), "{}", o.stderr);
    assert!(!o.stderr.contains("read as CSV"), "{}", o.stderr);
}

// ---------------------------------------------------------------- the summary in words

#[test]
fn the_summary_names_api_codes_in_words() {
    let case = Case::new();
    // Source 1 is one of the emulator's built-in records, which iVvy refuses to edit.
    std::fs::write(
        case.dir().join("s.csv"),
        "id,name,cost\n1,Marketplace (ours),5\n1,Marketplace (again),6\n",
    )
    .unwrap();
    let o = case.exec(["import", "s.csv", "--sandbox", "--rate", "50"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("2 × lead source is not editable (400/24326)"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_fatal_stop_ends_with_what_to_run_next() {
    let case = Case::new();
    sources(case.dir(), "s.csv", 6);
    let o = case.exec([
        "import",
        "s.csv",
        "--sandbox",
        "--rate",
        "50",
        "--concurrency",
        "1",
        "--sandbox-faults",
        "revoke-after=2",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let last = o.stderr.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last, "next: run the same command with --resume to finish",
        "{}",
        o.stderr
    );
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_ends_with_what_to_run_next() {
    let case = Case::new().sources(40).emulator("").args(["--rate", "4"]);
    let child = case.spawn();
    // Interrupt once the run is sending, as a person watching it would.
    wait_for("a row created", LIMIT, || case.store().creates >= 1);
    child.signal("INT");
    let o = child.wait().expect_code(130);
    let last = o.stderr.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last, "next: run the same command with --resume to finish",
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- results that Excel opens

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn starts_with_bom(p: &Path) -> bool {
    std::fs::read(p).unwrap().starts_with(BOM)
}

#[test]
fn the_results_start_with_a_bom_when_the_input_had_one() {
    let case = Case::new();
    let mut with = BOM.to_vec();
    with.extend_from_slice("name,cost\nSociété,1\n".as_bytes());
    std::fs::write(case.dir().join("bom.csv"), with).unwrap();
    std::fs::write(case.dir().join("plain.csv"), "name,cost\nSociétés,1\n").unwrap();
    let o = case.exec(["validate", "bom.csv", "plain.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(starts_with_bom(&case.dir().join("bom.results.csv")));
    assert!(!starts_with_bom(&case.dir().join("plain.results.csv")));

    let o = case.exec(["validate", "plain.csv", "--bom", "-o", "forced.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(starts_with_bom(&case.dir().join("forced.csv")));
    let o = case.exec(["validate", "bom.csv", "--no-bom", "-o", "none.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!starts_with_bom(&case.dir().join("none.csv")));
}

#[test]
fn a_workbook_gets_results_with_a_bom() {
    let case = Case::new();
    let book = case.dir().join("crm.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Lead Sources").unwrap();
    ws.write(0, 0, "name").unwrap();
    ws.write(0, 1, "cost").unwrap();
    ws.write(1, 0, "Expo").unwrap();
    ws.write(1, 1, 12).unwrap();
    wb.save(&book).unwrap();
    let o = case.exec(["validate", "crm.xlsx"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(starts_with_bom(&case.dir().join("crm.results.csv")));
}

#[test]
fn results_with_a_bom_resume_and_read_back_as_input() {
    let case = Case::new();
    let mut with = BOM.to_vec();
    with.extend_from_slice(b"name,cost\nExpo,1\nFair,2\n");
    std::fs::write(case.dir().join("s.csv"), with).unwrap();
    let o = case.exec(["import", "s.csv", "--sandbox", "--rate", "50"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let results = case.dir().join("s.results.csv");
    assert!(starts_with_bom(&results));
    // --resume reads the created lines back through the BOM: nothing left to do.
    let o = case.exec(["import", "s.csv", "--sandbox", "--resume"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("nothing to do: 2 rows"), "{}", o.stderr);
    // Fed back in, its columns are recognised (the first header is `row`, not `\u{feff}row`).
    let o = case.exec(["validate", "s.results.csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("columns kept"), "{}", o.stderr);
    assert!(starts_with_bom(&case.dir().join("s.results.2.csv")));
}
