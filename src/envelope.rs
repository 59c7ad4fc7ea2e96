//! `--json`: the one object every command prints on stdout when asked, on every exit (a
//! finished run, a stopped one, a fatal error, a command line that cannot be used). Its shape
//! is documented in the README; `schema_version` changes when a field changes meaning or goes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::api::client::Ping;
use crate::config::RunMode;
use crate::error::FatalError;
use crate::summary::{KindCounts, ProblemCount, StopKind, Stopped, Summary};

/// The version of the object's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The object `--json` prints. Every field is always present (`null` or empty when it does
/// not apply), except the command-specific ones (`calls_to_make`, `rate`, `ping`, `export`).
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    pub schema_version: u32,
    /// The subcommand: `import`, `validate`, `plan`, `apply`, `export`, `ping`.
    pub command: String,
    /// The process's exit code.
    pub exit_code: u8,
    /// What the run did: `validate`, `plan` or `import` (`null` for other commands).
    pub mode: Option<RunMode>,
    /// Non-blank data rows read.
    pub rows: u64,
    pub totals: KindCounts,
    pub by_kind: BTreeMap<String, KindCounts>,
    /// Each problem once, failed rows' problems first, then the most frequent.
    pub problems: Vec<ProblemCount>,
    /// What the run warned about on stderr.
    pub warnings: Vec<String>,
    pub results_files: Vec<String>,
    /// Set when a run stopped before its last row.
    pub stopped: Option<Stopped>,
    /// Set when the command failed (exit 2), or a run stopped on a fatal answer.
    pub error: Option<ErrorInfo>,
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub batches: u64,
    pub jobs: u64,
    pub elapsed_secs: f64,
    pub rows_per_sec: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_to_make: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping: Option<Ping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Exported>,
}

/// Why a command failed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorInfo {
    /// What a person reads on stderr.
    pub message: String,
    /// One of `usage`, `input`, `layout`, `credentials`, `api`, `output`, `resume`,
    /// `interrupted`, `internal`.
    pub kind: String,
}

/// What `export` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// `source` or `stage`.
    pub kind: String,
    pub records: u64,
    pub file: String,
}

impl Envelope {
    /// An envelope with nothing in it yet.
    pub fn new(command: &str, exit_code: u8) -> Envelope {
        Envelope {
            schema_version: SCHEMA_VERSION,
            command: command.to_string(),
            exit_code,
            mode: None,
            rows: 0,
            totals: KindCounts::default(),
            by_kind: BTreeMap::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            results_files: Vec::new(),
            stopped: None,
            error: None,
            requests: 0,
            retries: 0,
            throttled: 0,
            batches: 0,
            jobs: 0,
            elapsed_secs: 0.0,
            rows_per_sec: 0.0,
            calls_to_make: None,
            rate: None,
            ping: None,
            export: None,
        }
    }

    /// A run's summary (finished or stopped).
    pub fn from_summary(command: &str, s: &Summary) -> Envelope {
        let error = s
            .stopped
            .as_ref()
            .filter(|st| st.kind == StopKind::Fatal)
            .map(|st| ErrorInfo {
                message: st.reason.clone(),
                kind: "api".into(),
            });
        Envelope {
            mode: Some(s.mode),
            rows: s.rows,
            totals: s.totals.clone(),
            by_kind: s.by_kind.clone(),
            problems: s.problems.clone(),
            warnings: s.warnings.clone(),
            results_files: s.results_files.clone(),
            stopped: s.stopped.clone(),
            error,
            requests: s.requests,
            retries: s.retries,
            throttled: s.throttled,
            batches: s.batches,
            jobs: s.jobs,
            elapsed_secs: s.elapsed_secs,
            rows_per_sec: s.rows_per_sec,
            calls_to_make: s.calls_to_make,
            rate: s.rate,
            ..Envelope::new(command, s.exit_code())
        }
    }

    /// A command that failed before it could finish.
    pub fn from_error(command: &str, e: &FatalError) -> Envelope {
        let mut env = Envelope::failed(command, e.exit_code(), error_kind(e), &e.to_string());
        if let FatalError::Interrupted(s) = e {
            env.stopped = Some(s.clone());
        }
        env
    }

    /// A failure given by its parts (a command line that cannot be used, say).
    pub fn failed(command: &str, exit_code: u8, kind: &str, message: &str) -> Envelope {
        Envelope {
            error: Some(ErrorInfo {
                message: message.to_string(),
                kind: kind.to_string(),
            }),
            ..Envelope::new(command, exit_code)
        }
    }

    /// The object as one line.
    pub fn to_line(&self) -> String {
        // Plain data of strings and numbers: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Prints it on stdout, one line.
    pub fn print(&self) {
        println!("{}", self.to_line());
    }
}

/// The `kind` of a fatal error in `--json` output.
pub fn error_kind(e: &FatalError) -> &'static str {
    match e {
        FatalError::Config(c) => c.kind(),
        FatalError::Input(_) => "input",
        FatalError::Plan(_) => "layout",
        FatalError::Output { .. } => "output",
        FatalError::Resume(_) => "resume",
        FatalError::Api(_) => "api",
        FatalError::Interrupted(_) => "interrupted",
        FatalError::Start(_) | FatalError::Internal(_) => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_present_on_an_error() {
        let v: serde_json::Value =
            serde_json::from_str(&Envelope::failed("import", 2, "usage", "bad flag").to_line())
                .unwrap();
        for field in [
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
        ] {
            assert!(v.get(field).is_some(), "{field} missing: {v}");
        }
        assert_eq!(v["error"]["kind"], "usage");
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        assert!(v.get("ping").is_none());
    }

    #[test]
    fn a_fatal_stop_carries_an_error_and_an_interrupt_does_not() {
        let mut s = Summary {
            mode: RunMode::Import,
            stopped: Some(Stopped {
                kind: StopKind::Fatal,
                reason: "the API key has been revoked".into(),
            }),
            ..Summary::default()
        };
        let e = Envelope::from_summary("import", &s);
        assert_eq!(e.exit_code, crate::error::EXIT_FATAL);
        assert_eq!(e.error.unwrap().kind, "api");
        s.stopped = Some(Stopped {
            kind: StopKind::Interrupted,
            reason: "interrupted (Ctrl-C)".into(),
        });
        let e = Envelope::from_summary("import", &s);
        assert_eq!(e.exit_code, crate::error::EXIT_INTERRUPTED);
        assert!(e.error.is_none());
        assert!(e.stopped.is_some());
    }
}
