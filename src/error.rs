//! Errors that end a whole run, and the documented exit codes.

use std::path::PathBuf;

use crate::input::InputError;

// The documented exit codes.
/// Every row done (valid, in a dry run or a plan).
pub const EXIT_OK: u8 = 0;
/// Finished; some rows invalid, failed, skipped or in conflict.
pub const EXIT_SOME_ROWS: u8 = 1;
/// Bad arguments, unreadable file, unknown kind, credentials or clock refused, a stopped run.
pub const EXIT_FATAL: u8 = 2;
/// Interrupted by Ctrl-C (SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;
/// Stopped by SIGTERM (cron, systemd, CI).
pub const EXIT_TERMINATED: u8 = 143;

/// What stops a run before or while it starts. A run that stops later (a fatal answer, a
/// signal) is not an error: it returns its [`crate::Summary`] with the reason in it.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    /// The command line or a file it names is unusable.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// An input file cannot be read.
    #[error("{0}")]
    Input(#[from] InputError),
    /// A table's layout cannot be used (unknown kind, clashing columns).
    #[error("{0}")]
    Plan(#[from] crate::input::plan::PlanError),
    /// A results or journal file cannot be written or read back.
    #[error("{path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `--resume` cannot safely finish an earlier run.
    #[error("{0}")]
    Resume(String),
    /// The API refused the run before any row (credentials, clock, listing).
    #[error("{0}")]
    Api(String),
    /// The emulator or the runtime could not start.
    #[error("{0}")]
    Start(String),
    /// Ctrl-C or SIGTERM before the first row was read.
    #[error("{}: nothing was sent", .0.reason)]
    Interrupted(crate::pipeline::stop::Stopped),
    /// A worker thread failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl FatalError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            FatalError::Interrupted(s) if s.kind == crate::pipeline::stop::StopKind::Terminated => {
                EXIT_TERMINATED
            }
            FatalError::Interrupted(_) => EXIT_INTERRUPTED,
            _ => EXIT_FATAL,
        }
    }

    pub(crate) fn output(path: &std::path::Path) -> impl Fn(std::io::Error) -> FatalError + '_ {
        move |source| FatalError::Output {
            path: path.to_path_buf(),
            source,
        }
    }
}
