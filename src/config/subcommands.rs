//! The subcommands other than a run: `ping`, `sandbox` and `export`, each checked into its
//! own config.

use std::path::PathBuf;
use std::time::Duration;

use super::target::{pacing, sandbox_faults};
use super::{ConfigError, Pacing, Target, invalid, kind_of, target_config, timeout};
use crate::cli::{ExportArgs, PingArgs, SandboxArgs};
use crate::kind::Kind;
use crate::profile::CredentialVars;
use crate::sandbox::Faults;

/// `ping`: where, and how to show the answer.
#[derive(Debug, Clone)]
pub struct PingConfig {
    pub target: Target,
    pub timeout: Duration,
    pub json: bool,
}

/// `sandbox`: how to start the emulator.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub port: u16,
    pub key: Option<String>,
    pub secret: Option<String>,
    pub faults: Faults,
}

pub(super) fn ping_config(
    args: &PingArgs,
    vars: &CredentialVars,
) -> Result<PingConfig, ConfigError> {
    Ok(PingConfig {
        timeout: timeout(args.target.timeout)?,
        target: target_config(&args.target, Faults::default(), vars)?,
        json: args.json,
    })
}

pub(super) fn sandbox_config(args: SandboxArgs) -> Result<SandboxConfig, ConfigError> {
    let faults = match args.faults.as_deref() {
        Some(spec) => Faults::parse(spec).map_err(invalid)?,
        None => Faults::default(),
    };
    Ok(SandboxConfig {
        port: args.port,
        key: args.key,
        secret: args.secret,
        faults,
    })
}

/// `export`: where from and where to.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub kind: Kind,
    pub output: PathBuf,
    pub target: Target,
    pub pacing: Pacing,
    pub quiet: bool,
    /// Print one JSON object on stdout.
    pub json: bool,
    /// Formula-like cells of a CSV export get a leading `'` (`--excel-safe-csv`).
    pub excel_safe: bool,
}

pub(super) fn export_config(
    args: ExportArgs,
    vars: &CredentialVars,
) -> Result<ExportConfig, ConfigError> {
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("csv" | "xlsx")) {
        return Err(invalid(format!(
            "-o {}: export writes .csv or .xlsx",
            args.output.display()
        )));
    }
    Ok(ExportConfig {
        kind: kind_of(args.kind),
        output: args.output,
        target: target_config(
            &args.target,
            sandbox_faults(args.sandbox_faults.as_deref())?,
            vars,
        )?,
        pacing: pacing(&args.pacing, args.target.timeout)?,
        quiet: args.quiet,
        json: args.json,
        excel_safe: args.excel_safe_csv,
    })
}
