//! Running the binary: the command every test starts from (no `IVVY_*` of the caller's, XDG
//! folders of its own), a started child, and waits that are always bounded.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Outcome, XDG_DIRS};

/// A started child process.
pub(crate) struct Running {
    pub(super) child: Child,
    pub(super) started: Instant,
    pub(super) timeout: Duration,
    pub(super) results: PathBuf,
}

impl Running {
    /// How long since it started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sends a signal (`INT`, `TERM`) as a user's terminal or a service manager would.
    pub(crate) fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{name} {}", self.child.id());
    }

    /// Whether it has ended (by itself or killed).
    pub(crate) fn ended(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills it at once (SIGKILL), as a crash or `kill -9` would.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for the end, within the timeout; kills it and fails the test past that.
    #[track_caller]
    pub(crate) fn wait(mut self) -> Outcome {
        let output = finish_within(&mut self.child, self.started, self.timeout);
        Outcome::new(&output, &self.results)
    }
}

/// The binary, with no `IVVY_*` variables of the caller's (nor `CI`) and plain progress
/// lines; stdin is empty; its XDG folders (state, runtime, config) are a scratch folder of
/// the test process, never the user's. A case's commands ([`super::Case::command`],
/// [`super::Case::exec_command`]) start from this and point the XDG folders at the case's.
pub(crate) fn binary() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ivvy-import"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("IVVY_") {
            c.env_remove(k);
        }
    }
    c.env_remove("CI");
    c.env("IVVY_IMPORT_PROGRESS", "plain").stdin(Stdio::null());
    xdg_in(&mut c, scratch());
    c
}

/// Points a command's XDG folders into `dir` (hidden, so they are never taken for inputs or
/// outputs).
pub(super) fn xdg_in(c: &mut Command, dir: &Path) {
    for (var, sub) in XDG_DIRS {
        let path = dir.join(sub);
        let _ = std::fs::create_dir_all(&path);
        // As the XDG spec asks of the runtime folder: the user's alone.
        let _ =
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700));
        c.env(var, path);
    }
}

/// The test process's scratch folder, for commands that run in no folder of their own.
fn scratch() -> &'static Path {
    static SCRATCH: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    SCRATCH
        .get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

/// Waits until `ready` says so, polling every few milliseconds; fails the test, naming
/// `what`, past `limit`. For waiting on something observable (an emulator's counters)
/// before a signal or a kill, never a fixed sleep.
#[track_caller]
pub(crate) fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for a child at most `limit`, then kills it and fails the test.
#[track_caller]
pub(crate) fn finish(mut child: Child, limit: Duration) -> std::process::Output {
    finish_within(&mut child, Instant::now(), limit)
}

/// Waits for a child until `limit` after `started`, reading its piped output meanwhile (so a
/// full pipe never stalls it); past that it is killed and the test fails with its stderr.
#[track_caller]
fn finish_within(child: &mut Child, started: Instant, limit: Duration) -> std::process::Output {
    fn drain(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut b);
            }
            b
        })
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "still running after {limit:?}: killed\nstderr:\n{}",
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that fails part-way leaves no process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
