//! The library's face, called as `main` calls it: a command line → `config::from_cli` →
//! `ivvy_import::run`, and the `Summary` it returns.

use clap::Parser;
use ivvy_import::cli::Cli;
use ivvy_import::config::{self, Command};
use ivvy_import::{Config, EXIT_FATAL, EXIT_OK, EXIT_SOME_ROWS, FatalError, RunMode};

use crate::support::{Case, parse_results};

/// The validated configuration of a command line (without the program name).
pub(super) fn config_of(args: &[&str]) -> Config {
    let cli = Cli::try_parse_from(std::iter::once("ivvy-import").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    match config::from_cli(cli) {
        Ok(Command::Run(c)) => *c,
        Ok(other) => panic!("{args:?} is not a run: {other:?}"),
        Err(e) => panic!("{args:?}: {e}"),
    }
}

fn path(case: &Case, name: &str) -> String {
    case.path(name).to_str().unwrap().to_string()
}

#[test]
fn run_validates_a_file_and_returns_its_summary() {
    let case = Case::new().fixture("sources_rules.csv");
    let out = path(&case, "out.csv");
    let input = path(&case, "sources_rules.csv");
    let summary = ivvy_import::run(config_of(&[
        "validate", &input, "--kind", "sources", "-q", "-o", &out,
    ]))
    .unwrap();
    assert_eq!(summary.mode, RunMode::Validate);
    assert_eq!(summary.rows, 14);
    assert_eq!((summary.totals.valid, summary.totals.invalid), (6, 8));
    assert_eq!(summary.by_kind["source"].rows, 14);
    assert_eq!(summary.requests, 0);
    assert_eq!(summary.stopped, None);
    assert_eq!(summary.exit_code(), EXIT_SOME_ROWS);
    assert_eq!(summary.results_files, vec![out.clone()]);
    // The five most frequent problems, each counted.
    assert!(summary.top_errors.iter().all(|(_, n)| *n >= 1));
    assert!(
        summary
            .render()
            .starts_with("14 rows read: 6 valid, 8 invalid")
    );

    let (_, lines) = parse_results(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(lines.len() as u64, summary.rows);
    let invalid = lines.iter().filter(|l| l["status"] == "invalid").count();
    assert_eq!(invalid as u64, summary.totals.invalid);
}

#[test]
fn run_imports_into_its_own_sandbox() {
    let case = Case::new().sample("lead_sources.csv");
    let out = path(&case, "out.csv");
    let input = path(&case, "lead_sources.csv");
    let summary = ivvy_import::run(config_of(&[
        "import",
        &input,
        "--sandbox",
        "--rate",
        "500",
        "-q",
        "-o",
        &out,
    ]))
    .unwrap();
    assert_eq!(summary.mode, RunMode::Import);
    assert_eq!(summary.rows, 32);
    assert_eq!(summary.totals.created, 32);
    assert_eq!(summary.requests, 1 + 32, "one list call, one create a row");
    assert_eq!((summary.retries, summary.throttled), (0, 0));
    assert_eq!(summary.exit_code(), EXIT_OK);

    let (_, lines) = parse_results(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(lines.len(), 32);
    let mut ids: Vec<u64> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["status"], "created", "{l:?}");
            l["id"].parse().unwrap()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32, "every row has its own record");
}

#[test]
fn run_with_a_file_of_no_known_kind_fails_before_writing_results() {
    let case = Case::new().fixture("no_kind.csv");
    let out = path(&case, "out.csv");
    let input = path(&case, "no_kind.csv");
    let err = ivvy_import::run(config_of(&["validate", &input, "-q", "-o", &out])).unwrap_err();
    assert!(matches!(err, FatalError::Plan(_)), "{err:?}");
    assert_eq!(err.exit_code(), EXIT_FATAL);
    assert!(err.to_string().contains("--kind"), "{err}");
    assert!(!case.path("out.csv").exists());
}

#[test]
fn config_refuses_what_cannot_run() {
    let case = Case::new().sources(1);
    let input = path(&case, "s.csv");
    let refused = |args: &[&str]| {
        // Ranges are checked as the command line is parsed, the rest by the config.
        let cli =
            match Cli::try_parse_from(std::iter::once("ivvy-import").chain(args.iter().copied())) {
                Ok(cli) => cli,
                Err(e) => return e.to_string(),
            };
        match config::from_cli(cli) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{args:?} was accepted: {c:?}"),
        }
    };
    assert!(refused(&["import", &input, "--sandbox", "--rate", "0"]).contains("--rate"));
    assert!(
        refused(&["import", &input, "--sandbox", "--concurrency", "0"]).contains("--concurrency")
    );
    assert!(refused(&["import", &input, "--sandbox", "--timeout", "0"]).contains("--timeout"));
    // What only the disk can tell is the run's to check, before anything is read or made,
    // refused as the command line is (exit 2).
    let refused_by_run = |args: &[&str]| {
        let err = ivvy_import::run(config_of(args)).unwrap_err();
        assert_eq!(err.exit_code(), EXIT_FATAL, "{args:?}: {err}");
        err.to_string()
    };
    assert!(refused_by_run(&["validate", "no-such-file.csv"]).contains("no such file"));
    assert!(
        refused_by_run(&["validate", &input, "-o", &input]).contains("overwrite its input"),
        "the results file is never the input"
    );
    let map = path(&case, "broken.toml");
    std::fs::write(&map, "garbage = [\n").unwrap();
    assert!(refused_by_run(&["validate", &input, "--map", &map]).contains("broken.toml"));
}

#[test]
fn checking_the_flags_makes_no_folder_the_run_does() {
    let case = Case::new().input("s.csv", "name,cost\nExpo,1\n");
    let input = path(&case, "s.csv");
    let pattern = path(&case, "made/{stem}-checked.csv");
    let config = config_of(&["validate", &input, "-q", "-o", &pattern]);
    assert!(
        !case.path("made").exists(),
        "checking the flags made a folder"
    );
    assert_eq!(
        config.outputs().bom(),
        None,
        "whether the results start with a BOM is the run's to judge from the input"
    );
    let summary = ivvy_import::run(config).unwrap();
    assert_eq!(summary.rows, 1);
    assert!(case.path("made/s-checked.csv").is_file());
}

#[test]
fn checking_the_flags_reads_no_file() {
    // Neither the input nor the map file exists: the flags are still fine, the run refuses.
    let config = config_of(&[
        "validate",
        "no-such-input.csv",
        "--map",
        "no-such-map.toml",
        "--keep-column",
        "Notes",
    ]);
    assert_eq!(
        config.outputs().inputs(),
        [std::path::PathBuf::from("no-such-input.csv")]
    );
    assert_eq!(
        config.map_file(),
        Some(std::path::Path::new("no-such-map.toml"))
    );
    assert_eq!(config.keep_columns(), ["Notes".to_string()]);
    let err = ivvy_import::run(config).unwrap_err();
    assert_eq!(err.exit_code(), EXIT_FATAL);
    // The map file is read first, as it always was.
    assert!(err.to_string().contains("no-such-map.toml"), "{err}");
}
