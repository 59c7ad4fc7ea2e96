//! Raw command-line flags → a validated [`Config`]. Nothing later sees clap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{Credentials, Endpoint};
use crate::cli::{
    Cli, Command as CliCommand, EncodingArg, ImportArgs, KindArg, PingArgs, ReadArgs, RegionArg,
    SandboxArgs, TargetArgs,
};
use crate::input::headers::HeaderMap;
use crate::input::{EncodingChoice, ReadOptions};
use crate::kind::Kind;
use crate::sandbox::Faults;

/// One input file and where its results go.
#[derive(Debug, Clone)]
pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub jobs: Vec<Job>,
    pub kind: Option<Kind>,
    pub read: ReadOptions,
    pub map: HeaderMap,
    pub json: bool,
    pub quiet: bool,
    /// None: a dry run.
    pub submit: Option<SubmitConfig>,
}

/// Where requests go.
#[derive(Debug, Clone)]
pub enum Target {
    Remote {
        endpoint: Endpoint,
        credentials: Credentials,
    },
    /// An emulator started in-process for the run.
    Sandbox { faults: Faults },
}

#[derive(Debug, Clone)]
pub struct SubmitConfig {
    pub target: Target,
    pub rate: f64,
    pub concurrency: usize,
    pub retries: u32,
    pub timeout: Duration,
    pub backoff: Duration,
    pub match_by_name: bool,
    pub resume: bool,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Validate, or import.
    Run(Config),
    Ping(PingConfig),
    /// Serve the emulator.
    Serve(SandboxConfig),
}

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

/// Checks the command line as a whole.
pub fn from_cli(cli: Cli) -> Result<Command, ConfigError> {
    Ok(match cli.command {
        CliCommand::Import(args) => Command::Run(Config::from_import(args)?),
        CliCommand::Validate(args) => Command::Run(Config::from_validate(args)?),
        CliCommand::Ping(args) => Command::Ping(ping_config(&args)?),
        CliCommand::Sandbox(args) => Command::Serve(sandbox_config(args)?),
    })
}

fn ping_config(args: &PingArgs) -> Result<PingConfig, ConfigError> {
    Ok(PingConfig {
        timeout: timeout(args.target.timeout)?,
        target: target_config(&args.target, Faults::default())?,
        json: args.json,
    })
}

fn sandbox_config(args: SandboxArgs) -> Result<SandboxConfig, ConfigError> {
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(s: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(s.into())
}

impl Config {
    pub fn from_validate(args: ReadArgs) -> Result<Config, ConfigError> {
        read_config(args)
    }

    pub fn from_import(args: ImportArgs) -> Result<Config, ConfigError> {
        let dry_run = args.dry_run;
        let target = args.target.clone();
        let mut config = read_config(args.read)?;
        if dry_run {
            return Ok(config);
        }
        if !(args.rate > 0.0 && args.rate.is_finite()) {
            return Err(invalid(
                "--rate must be a positive number of requests per second",
            ));
        }
        if args.concurrency == 0 {
            return Err(invalid("--concurrency must be at least 1"));
        }
        let faults = match &args.sandbox_faults {
            Some(spec) => Faults::parse(spec).map_err(invalid)?,
            None => Faults::default(),
        };
        if args.sandbox_faults.is_some() && !target.sandbox {
            return Err(invalid("--sandbox-faults goes with --sandbox"));
        }
        config.submit = Some(SubmitConfig {
            target: target_config(&target, faults)?,
            rate: args.rate,
            concurrency: args.concurrency,
            retries: args.retries,
            timeout: timeout(target.timeout)?,
            backoff: Duration::from_millis(args.backoff_ms),
            match_by_name: args.match_by_name,
            resume: args.resume,
        });
        Ok(config)
    }
}

pub fn timeout(secs: f64) -> Result<Duration, ConfigError> {
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(invalid("--timeout must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The endpoint and credentials of a remote run, or the sandbox.
pub fn target_config(t: &TargetArgs, faults: Faults) -> Result<Target, ConfigError> {
    if t.sandbox {
        return Ok(Target::Sandbox { faults });
    }
    let endpoint = match (&t.base_url, t.region) {
        (Some(url), _) => Endpoint::parse(url).map_err(invalid)?,
        (None, Some(r)) => Endpoint::region(match r {
            RegionArg::Au => "au",
            RegionArg::Us => "us",
            RegionArg::Eu => "eu",
        }),
        (None, None) => {
            return Err(invalid(
                "no API given: pass --region au|us|eu or --base-url URL (or IVVY_REGION / IVVY_BASE_URL), or --sandbox to try the built-in emulator",
            ));
        }
    };
    let credentials = Credentials::from_env().map_err(invalid)?;
    Ok(Target::Remote {
        endpoint,
        credentials,
    })
}

fn read_config(args: ReadArgs) -> Result<Config, ConfigError> {
    let delimiter = match args.delimiter.as_str() {
        "auto" => None,
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        other => {
            return Err(invalid(format!(
                "--delimiter {other:?}: use auto, ',', ';', tab or '|'"
            )));
        }
    };
    let encoding = match args.encoding {
        EncodingArg::Auto => EncodingChoice::Auto,
        EncodingArg::Utf8 => EncodingChoice::Utf8,
        EncodingArg::Windows1252 => EncodingChoice::Windows1252,
        EncodingArg::Macintosh => EncodingChoice::MacRoman,
    };
    let map = match &args.map {
        Some(p) => HeaderMap::load(p).map_err(|e| invalid(e.to_string()))?,
        None => HeaderMap::default(),
    };
    let jobs = jobs(&args.files, args.output.as_deref())?;
    Ok(Config {
        jobs,
        kind: args.kind.map(|k| match k {
            KindArg::Sources => Kind::Source,
            KindArg::Stages => Kind::Stage,
        }),
        read: ReadOptions {
            encoding,
            delimiter,
            sheet: args.sheet,
        },
        map,
        json: args.json,
        quiet: args.quiet,
        submit: None,
    })
}

/// `<stem>.results.csv` beside each input; `-o` names the file (one input) or a directory.
fn jobs(files: &[PathBuf], output: Option<&Path>) -> Result<Vec<Job>, ConfigError> {
    for f in files {
        if !f.is_file() {
            return Err(invalid(format!("{}: no such file", f.display())));
        }
    }
    let default_name = |f: &Path| {
        let stem = f
            .file_stem()
            .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
        format!("{stem}.results.csv")
    };
    let jobs = match output {
        None => files
            .iter()
            .map(|f| Job {
                input: f.clone(),
                output: f.with_file_name(default_name(f)),
            })
            .collect(),
        Some(o) if files.len() == 1 && !o.is_dir() => vec![Job {
            input: files[0].clone(),
            output: o.to_path_buf(),
        }],
        Some(o) if o.is_dir() => files
            .iter()
            .map(|f| Job {
                input: f.clone(),
                output: o.join(default_name(f)),
            })
            .collect(),
        Some(o) => {
            return Err(invalid(format!(
                "-o {}: with several inputs, -o must name an existing directory",
                o.display()
            )));
        }
    };
    let mut seen = std::collections::HashSet::new();
    for j in &jobs {
        if j.output == j.input {
            return Err(invalid(format!(
                "{}: the results file would overwrite its input",
                j.input.display()
            )));
        }
        if !seen.insert(j.output.clone()) {
            return Err(invalid(format!(
                "two inputs would write the same results file {}",
                j.output.display()
            )));
        }
    }
    Ok(jobs)
}
