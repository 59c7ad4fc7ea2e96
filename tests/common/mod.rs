//! Shared helpers for the integration tests: run the binary, read a results file.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ivvy-import"));
    c.env_remove("IVVY_API_KEY")
        .env_remove("IVVY_API_SECRET")
        .env_remove("IVVY_BASE_URL")
        .env_remove("IVVY_REGION")
        .env("IVVY_IMPORT_PROGRESS", "plain");
    c
}

/// One results line, by column name.
pub type Line = BTreeMap<String, String>;

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub header: Vec<String>,
    pub lines: Vec<Line>,
}

impl Outcome {
    pub fn line(&self, row: u32) -> &Line {
        self.lines
            .iter()
            .find(|l| l["row"] == row.to_string())
            .unwrap_or_else(|| panic!("no results line for row {row}; stderr: {}", self.stderr))
    }
    pub fn rows(&self) -> Vec<u32> {
        self.lines
            .iter()
            .map(|l| l["row"].parse().unwrap())
            .collect()
    }
    pub fn statuses(&self) -> Vec<String> {
        self.lines.iter().map(|l| l["status"].clone()).collect()
    }
}

pub fn read_results(path: &Path) -> (Vec<String>, Vec<Line>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let lines = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, lines)
}

/// Runs the binary with `args` plus `-o <dir>/out.results.csv`, returns its outcome.
pub fn run_to(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let out = dir.join("out.results.csv");
    let mut c = bin();
    c.args(args).arg("-o").arg(&out);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("the binary runs");
    outcome(o, &out)
}

/// A finished process and the results file it wrote (if any).
pub fn outcome(o: std::process::Output, results: &Path) -> Outcome {
    let (header, lines) = if results.exists() {
        read_results(results)
    } else {
        (Vec::new(), Vec::new())
    };
    Outcome {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        header,
        lines,
    }
}

/// `validate FIXTURE extra...` into a fresh directory.
pub fn validate(fixture_name: &str, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(fixture_name);
    let mut args = vec!["validate", f.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_to(dir.path(), &args, &[])
}

/// The emulator on its own runtime, for tests that drive the binary against it.
pub struct Emulator {
    pub sandbox: ivvy_import::sandbox::Sandbox,
    pub rt: tokio::runtime::Runtime,
}

pub fn emulator(faults: &str) -> Emulator {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let faults = ivvy_import::sandbox::Faults::parse(faults).unwrap();
    let sandbox = rt
        .block_on(ivvy_import::sandbox::Sandbox::start(
            ivvy_import::sandbox::SandboxOptions {
                faults,
                ..Default::default()
            },
        ))
        .unwrap();
    Emulator { sandbox, rt }
}

impl Emulator {
    /// `ivvy-import import` against this emulator, with its credentials in the environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let creds = self.sandbox.credentials();
        let mut c = bin();
        c.arg("import")
            .args(args)
            .arg("--base-url")
            .arg(self.sandbox.base_url())
            .env("IVVY_API_KEY", &creds.key)
            .env("IVVY_API_SECRET", creds.secret.expose());
        c
    }

    pub fn import(&self, dir: &Path, args: &[&str]) -> Outcome {
        let out = dir.join("out.results.csv");
        let o = self
            .command(args)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("the binary runs");
        outcome(o, &out)
    }
}

/// A scratch directory holding a generated sources CSV (`s.csv`).
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub input: PathBuf,
}

impl Scratch {
    pub fn sources(rows: usize) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.csv");
        sources_csv(&input, rows);
        Scratch { dir, input }
    }
}

/// Writes a sources CSV of `n` rows with distinct names.
pub fn sources_csv(path: &Path, n: usize) {
    let mut s = String::from("name,description,cost,colour,isReferral\n");
    for i in 0..n {
        s.push_str(&format!(
            "Source {i:05},Row {i},{}.50,#{:06x},{}\n",
            i % 900,
            (i * 7919) % 0xffffff,
            if i % 3 == 0 { "yes" } else { "no" }
        ));
    }
    std::fs::write(path, s).unwrap();
}
