//! The builder every integration test is written with.
//!
//! ```ignore
//! Case::new()
//!     .csv("name,cost\nA,1\n")
//!     .emulator("seed=3,error=0.1")
//!     .args(["--rate", "200"])
//!     .run()
//!     .expect_code(0)
//!     .expect_status(2, "created");
//! ```
//!
//! A case owns a fresh directory; its inputs are written or copied there and the binary runs
//! with that directory as its working directory, so paths in its output are the inputs' plain
//! names. The environment is cleared of `IVVY_*`, the XDG folders (state, runtime, config)
//! are the case's own, and progress is forced to plain lines. Every child process is killed,
//! and the test fails, if it runs longer than the case's timeout.
//!
//! A case whose runs differ in subcommand or inputs gives each run's whole command line to
//! [`Case::exec`] (or [`Case::spawn_exec`]); the case's folder, environment and backend
//! still apply. A test that drives the process itself starts from [`Case::command`] or
//! [`Case::exec_command`] (or [`binary`] for a run that needs no folder), bounds its waits
//! with [`finish`] or [`Running::wait`], and waits on something observable (the emulator's
//! counters) before a signal or a kill, with [`wait_for`]: never a fixed sleep.

#![allow(dead_code)]

mod emulator;
mod outcome;
mod process;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) use emulator::Emulator;
pub(crate) use outcome::{Line, Outcome, parse_results};
pub(crate) use process::{Running, binary, finish, wait_for};

use process::xdg_in;

/// How long a child process may run before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The XDG folders every case points at a folder of its own (hidden, so they are never
/// taken for inputs or outputs).
pub(crate) const XDG_DIRS: [(&str, &str); 3] = [
    ("XDG_STATE_HOME", ".xdg/state"),
    ("XDG_RUNTIME_DIR", ".xdg/runtime"),
    ("XDG_CONFIG_HOME", ".xdg/config"),
];

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub(crate) fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A sources CSV of `n` rows with distinct names (`Source 00000`, …).
pub(crate) fn sources_csv(n: usize) -> String {
    let mut s = String::from("name,description,cost,colour,isReferral\n");
    for i in 0..n {
        s.push_str(&format!(
            "Source {i:05},Row {i},{}.50,#{:06x},{}\n",
            i % 900,
            (i * 7919) % 0xffffff,
            if i % 3 == 0 { "yes" } else { "no" }
        ));
    }
    s
}

/// Where the requests of a case go.
enum Backend {
    /// Nowhere (validate), or what the arguments say.
    None,
    /// `--sandbox`, with `--sandbox-faults SPEC` unless the spec is empty.
    Sandbox(String),
    /// An emulator in this process: `--base-url` and credentials in the environment.
    Emulator(Emulator),
}

pub(crate) struct Case {
    dir: tempfile::TempDir,
    /// The case's XDG folders (state, runtime, config), shared by its runs.
    xdg: tempfile::TempDir,
    /// Input file names, relative to `dir`.
    inputs: Vec<String>,
    command: Option<String>,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    backend: Backend,
    timeout: Duration,
}

impl Default for Case {
    fn default() -> Self {
        Case::new()
    }
}

impl Case {
    pub(crate) fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("a temporary directory"),
            xdg: tempfile::tempdir().expect("a temporary directory"),
            inputs: Vec::new(),
            command: None,
            args: Vec::new(),
            env: Vec::new(),
            backend: Backend::None,
            timeout: TIMEOUT,
        }
    }

    // ---- inputs ----

    /// An input CSV file `input.csv` holding `text`.
    pub(crate) fn csv(self, text: &str) -> Case {
        self.input("input.csv", text)
    }

    /// An input file `name` holding `bytes`.
    pub(crate) fn input(mut self, name: &str, bytes: impl AsRef<[u8]>) -> Case {
        self.write(name, bytes);
        self.inputs.push(name.to_string());
        self
    }

    /// An input file `name` made by `make` (given its path), e.g. a workbook.
    pub(crate) fn input_made(mut self, name: &str, make: impl FnOnce(&Path)) -> Case {
        make(&self.path(name));
        self.inputs.push(name.to_string());
        self
    }

    /// A fixture (`tests/fixtures/NAME`), copied in, as an input.
    pub(crate) fn fixture(self, name: &str) -> Case {
        let bytes = std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.input(name, bytes)
    }

    /// A bundled sample (`samples/NAME`), copied in, as an input.
    pub(crate) fn sample(self, name: &str) -> Case {
        let bytes = std::fs::read(sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.input(name, bytes)
    }

    /// A generated sources CSV `s.csv` of `n` rows with distinct names.
    pub(crate) fn sources(self, n: usize) -> Case {
        self.input("s.csv", sources_csv(n))
    }

    /// A file that is not an input (a mapping file, say).
    pub(crate) fn file(self, name: &str, bytes: impl AsRef<[u8]>) -> Case {
        self.write(name, bytes);
        self
    }

    /// A bundled sample copied in, not as an input.
    pub(crate) fn sample_file(self, name: &str) -> Case {
        let bytes = std::fs::read(sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.file(name, bytes)
    }

    /// A fixture copied in, not as an input.
    pub(crate) fn fixture_file(self, name: &str) -> Case {
        let bytes = std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.file(name, bytes)
    }

    // ---- the command line ----

    /// The subcommand; by default `import` when the case has a backend, else `validate`.
    pub(crate) fn cmd(mut self, command: &str) -> Case {
        self.command = Some(command.to_string());
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Case {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Case {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// An environment variable for the child (set after the emulator's credentials, so it
    /// can override them).
    pub(crate) fn env(mut self, key: &str, value: &str) -> Case {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// `--sandbox`: the binary starts its own emulator; `faults` (may be empty) becomes
    /// `--sandbox-faults`.
    pub(crate) fn sandbox(mut self, faults: &str) -> Case {
        self.backend = Backend::Sandbox(faults.to_string());
        self
    }

    /// An emulator in this process with these faults; the binary gets `--base-url` and its
    /// credentials. Read it afterwards with [`Case::store`] and [`Case::log`].
    pub(crate) fn emulator(mut self, faults: &str) -> Case {
        self.backend = Backend::Emulator(Emulator::start(faults));
        self
    }

    /// How long the child may run (default 60 s).
    pub(crate) fn timeout(mut self, timeout: Duration) -> Case {
        self.timeout = timeout;
        self
    }

    // ---- running ----

    /// Runs the binary to its end.
    #[track_caller]
    pub(crate) fn run(&self) -> Outcome {
        self.run_with::<[&str; 0], &str>([])
    }

    /// Runs the binary with extra arguments after the case's own.
    #[track_caller]
    pub(crate) fn run_with<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, extra: I) -> Outcome {
        self.spawn_with(extra).wait()
    }

    /// Starts the binary and returns at once.
    pub(crate) fn spawn(&self) -> Running {
        self.spawn_with::<[&str; 0], &str>([])
    }

    pub(crate) fn spawn_with<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(
        &self,
        extra: I,
    ) -> Running {
        let extra: Vec<OsString> = extra.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let all: Vec<&OsString> = self.args.iter().chain(&extra).collect();
        let results = self.results_path(&all, self.inputs.first().map(String::as_str));
        self.start(self.command(&extra), results)
    }

    /// Runs the binary with `line` as its whole command line (the subcommand first, then
    /// inputs and flags), in the case's directory with its environment and backend; the
    /// case's own inputs, subcommand and arguments are not added. For a case whose runs
    /// differ in subcommand or inputs.
    #[track_caller]
    pub(crate) fn exec<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, line: I) -> Outcome {
        self.spawn_exec(line).wait()
    }

    /// [`Case::exec`] with more environment variables for this run only.
    #[track_caller]
    pub(crate) fn exec_env<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(
        &self,
        line: I,
        env: &[(&str, &str)],
    ) -> Outcome {
        self.spawn_exec_env(line, env).wait()
    }

    /// [`Case::exec`], started and returned at once.
    pub(crate) fn spawn_exec<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(
        &self,
        line: I,
    ) -> Running {
        self.spawn_exec_env(line, &[])
    }

    fn spawn_exec_env<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(
        &self,
        line: I,
        env: &[(&str, &str)],
    ) -> Running {
        let line: Vec<OsString> = line.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let all: Vec<&OsString> = line.iter().collect();
        // The first input: the argument after the subcommand, when it is a file of the case.
        let first = line
            .get(1)
            .and_then(|a| a.to_str())
            .filter(|a| self.path(a).is_file());
        let results = self.results_path(&all, first);
        let mut command = self.exec_command(&line);
        command.envs(env.iter().copied());
        self.start(command, results)
    }

    /// The command [`Case::exec`] runs, for a test that drives the process itself; it must
    /// bound its own waits.
    pub(crate) fn exec_command(&self, line: &[OsString]) -> Command {
        let mut c = binary();
        c.current_dir(self.dir.path()).args(line);
        let sub = line.first().and_then(|s| s.to_str()).unwrap_or_default();
        self.environment(&mut c, sub);
        c
    }

    fn start(&self, mut command: Command, results: PathBuf) -> Running {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        Running {
            child,
            started: Instant::now(),
            timeout: self.timeout,
            results,
        }
    }

    /// The command line the case runs (plus `extra`), for a test that drives the process
    /// itself; it must bound its own waits.
    pub(crate) fn command(&self, extra: &[OsString]) -> Command {
        let mut c = binary();
        c.current_dir(self.dir.path());
        let sub = self.subcommand();
        c.arg(sub);
        if matches!(sub, "import" | "validate" | "plan" | "apply") {
            c.args(&self.inputs);
        }
        c.args(&self.args).args(extra);
        self.environment(&mut c, sub);
        c
    }

    /// The backend's flags and credentials, the case's XDG folders and its variables.
    fn environment(&self, c: &mut Command, sub: &str) {
        match &self.backend {
            Backend::None => {}
            Backend::Sandbox(faults) => {
                c.arg("--sandbox");
                if !faults.is_empty() && sub == "import" {
                    c.arg("--sandbox-faults").arg(faults);
                }
            }
            Backend::Emulator(e) => {
                let (key, secret) = e.key_and_secret();
                c.arg("--base-url")
                    .arg(e.base_url())
                    .env("IVVY_API_KEY", key)
                    .env("IVVY_API_SECRET", secret);
            }
        }
        // Per-user state (ledger, locks, config) lives in the case's own folders.
        xdg_in(c, self.xdg.path());
        for (k, v) in &self.env {
            c.env(k, v);
        }
    }

    fn subcommand(&self) -> &str {
        match (&self.command, &self.backend) {
            (Some(c), _) => c,
            (None, Backend::None) => "validate",
            (None, _) => "import",
        }
    }

    /// Where the results of the first input go: `-o` (a file, or a directory), else beside it.
    fn results_path(&self, all: &[&OsString], first: Option<&str>) -> PathBuf {
        let output = all
            .windows(2)
            .find(|w| w[0] == "-o" || w[0] == "--output")
            .map(|w| self.dir.path().join(w[1]));
        let beside = |dir: &Path| {
            let first = first.unwrap_or("input");
            let stem = Path::new(first)
                .file_stem()
                .map_or("input".into(), |s| s.to_string_lossy().into_owned());
            dir.join(format!("{stem}.results.csv"))
        };
        match output {
            Some(o) if o.is_dir() => beside(&o),
            Some(o) => o,
            None => beside(self.dir.path()),
        }
    }

    // ---- between and after runs ----

    /// The case's directory.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The folder holding the case's XDG folders (state, runtime, config).
    pub(crate) fn xdg_dir(&self) -> &Path {
        self.xdg.path()
    }

    /// A path in the case's directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// (Re)writes a file in the case's directory, e.g. to change an input between runs.
    pub(crate) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// A results file in the case's directory, parsed.
    pub(crate) fn results(&self, name: &str) -> (Vec<String>, Vec<Line>) {
        let path = self.path(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        parse_results(&text)
    }

    /// The case's emulator.
    #[track_caller]
    pub(crate) fn emu(&self) -> &Emulator {
        match &self.backend {
            Backend::Emulator(e) => e,
            _ => panic!("the case has no emulator: use .emulator(..)"),
        }
    }

    pub(crate) fn store(&self) -> ivvy_import::sandbox::Store {
        self.emu().store()
    }

    pub(crate) fn log(&self) -> ivvy_import::sandbox::Log {
        self.emu().log()
    }
}
