//! Raw command-line flags → a validated [`Config`]. Nothing later sees clap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{Credentials, Endpoint};
use crate::cli::{
    Cli, Command as CliCommand, EncodingArg, ExportArgs, ImportArgs, KindArg, PacingArgs, PingArgs,
    ReadArgs, RegionArg, ResultsFormat, SandboxArgs, TargetArgs,
};
use crate::input::headers::HeaderMap;
use crate::input::{EncodingChoice, ReadOptions};
use crate::kind::Kind;
use crate::sandbox::Faults;

/// One input file and where its results go.
#[derive(Debug, Clone)]
pub struct Job {
    pub input: PathBuf,
    /// The results CSV.
    pub output: PathBuf,
    /// The results workbook made from it at the end, when asked for.
    pub workbook: Option<PathBuf>,
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
    /// Write an HTML report of the run here.
    pub report: Option<PathBuf>,
    /// Rows without id update the one record of the same name.
    pub match_by_name: bool,
    /// Rows without id create even when the name exists.
    pub allow_duplicates: bool,
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

/// How a live run (an import or a plan) reaches the account.
#[derive(Debug, Clone)]
pub struct SubmitConfig {
    pub target: Target,
    pub pacing: Pacing,
    pub resume: bool,
    /// With --resume: look every unfinished create up by name first.
    pub reconcile_by_name: bool,
    /// Replace a results file holding live outcomes.
    pub overwrite: bool,
    /// Read the account and write nothing.
    pub plan: bool,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Validate, or import.
    Run(Config),
    Ping(PingConfig),
    /// Serve the emulator.
    Serve(SandboxConfig),
    Export(ExportConfig),
    /// Write a template to fill in.
    Template {
        file: PathBuf,
        kind: Option<Kind>,
    },
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
        CliCommand::Plan(args) => Command::Run(Config::from_plan(args)?),
        CliCommand::Export(args) => Command::Export(export_config(args)?),
        CliCommand::Template(args) => Command::Template {
            file: args.file,
            kind: args.kind.map(kind_of),
        },
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
    /// `validate` and `import --dry-run`: network flags are accepted and ignored.
    pub fn from_validate(args: ImportArgs) -> Result<Config, ConfigError> {
        let mut config = read_config(args.read)?;
        config.match_by_name = args.match_by_name;
        config.allow_duplicates = args.allow_duplicates;
        Ok(config)
    }

    pub fn from_import(args: ImportArgs) -> Result<Config, ConfigError> {
        if args.sandbox_faults.is_some() && !args.target.sandbox {
            return Err(invalid("--sandbox-faults needs --sandbox"));
        }
        if args.dry_run {
            return Config::from_validate(args);
        }
        let target = target_config(
            &args.target,
            sandbox_faults(args.sandbox_faults.as_deref())?,
        )?;
        let plan = args.plan;
        let submit = SubmitConfig {
            target,
            pacing: pacing(&args.pacing, args.target.timeout)?,
            resume: args.resume && !plan,
            reconcile_by_name: args.reconcile_by_name,
            overwrite: args.overwrite,
            plan,
        };
        let mut config = read_config(args.read)?;
        config.match_by_name = args.match_by_name;
        config.allow_duplicates = args.allow_duplicates;
        config.submit = Some(submit);
        Ok(config)
    }

    /// `plan`: an import that reads the account and writes nothing.
    pub fn from_plan(mut args: ImportArgs) -> Result<Config, ConfigError> {
        args.plan = true;
        args.dry_run = false;
        Config::from_import(args)
    }
}

/// `export`: where from and where to.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub kind: Kind,
    pub output: PathBuf,
    pub target: Target,
    pub pacing: Pacing,
    pub quiet: bool,
}

fn export_config(args: ExportArgs) -> Result<ExportConfig, ConfigError> {
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
        )?,
        pacing: pacing(&args.pacing, args.target.timeout)?,
        quiet: args.quiet,
    })
}

fn sandbox_faults(spec: Option<&str>) -> Result<Faults, ConfigError> {
    spec.map_or(Ok(Faults::default()), |s| Faults::parse(s).map_err(invalid))
}

fn kind_of(k: KindArg) -> Kind {
    match k {
        KindArg::Sources => Kind::Source,
        KindArg::Stages => Kind::Stage,
    }
}

/// How fast and how persistently requests go (ranges are checked by the CLI's parsers).
#[derive(Debug, Clone)]
pub struct Pacing {
    pub rate: f64,
    pub concurrency: usize,
    pub retries: u32,
    pub timeout: Duration,
    pub backoff: Duration,
    pub max_wait: Duration,
    pub give_up_after: Duration,
    /// Bulk mode's jobs per batch (None: single calls).
    pub batch_size: Option<usize>,
}

fn pacing(p: &PacingArgs, timeout_secs: f64) -> Result<Pacing, ConfigError> {
    Ok(Pacing {
        rate: p.rate,
        concurrency: usize::from(p.concurrency),
        retries: p.retries,
        timeout: timeout(timeout_secs)?,
        backoff: Duration::from_millis(p.backoff_ms),
        max_wait: Duration::from_secs_f64(p.max_wait),
        give_up_after: Duration::from_secs_f64(p.give_up_after),
        batch_size: p.bulk.then_some(usize::from(p.batch_size)),
    })
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
    };
    let map = match &args.map {
        Some(p) => HeaderMap::load(p).map_err(|e| invalid(e.to_string()))?,
        None => HeaderMap::default(),
    };
    let jobs = jobs(&args.files, args.output.as_deref(), args.results_format)?;
    Ok(Config {
        jobs,
        kind: args.kind.map(kind_of),
        read: ReadOptions {
            encoding,
            delimiter,
            sheets: args.sheet,
            decimal_comma: args.decimal_comma,
        },
        map,
        json: args.json,
        quiet: args.quiet,
        report: args.report,
        match_by_name: false,
        allow_duplicates: false,
        submit: None,
    })
}

/// The default results file name of an input: `x.csv` → `x.results.csv`; a results file
/// fed back in, `x.results.csv` → `x.results.2.csv`, `x.results.N.csv` → `x.results.N+1.csv`.
pub fn results_name(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
    if let Some(base) = stem.strip_suffix(".results") {
        return format!("{base}.results.2.csv");
    }
    if let Some((base, n)) = stem.rsplit_once(".results.")
        && let Ok(n) = n.parse::<u32>()
    {
        return format!("{base}.results.{}.csv", n + 1);
    }
    format!("{stem}.results.csv")
}

/// `<stem>.results.csv` beside each input; `-o` names the file (one input) or a directory.
fn jobs(
    files: &[PathBuf],
    output: Option<&Path>,
    format: ResultsFormat,
) -> Result<Vec<Job>, ConfigError> {
    for f in files {
        if !f.is_file() {
            return Err(invalid(format!("{}: no such file", f.display())));
        }
    }
    let default_name = |f: &Path| results_name(f);
    let jobs = match output {
        None => files
            .iter()
            .map(|f| Job {
                input: f.clone(),
                output: f.with_file_name(default_name(f)),
                workbook: None,
            })
            .collect(),
        Some(o) if files.len() == 1 && !o.is_dir() => vec![Job {
            input: files[0].clone(),
            output: o.to_path_buf(),
            workbook: None,
        }],
        Some(o) if o.is_dir() => files
            .iter()
            .map(|f| Job {
                input: f.clone(),
                output: o.join(default_name(f)),
                workbook: None,
            })
            .collect(),
        Some(o) => {
            return Err(invalid(format!(
                "-o {}: with several inputs, -o must name an existing directory",
                o.display()
            )));
        }
    };
    let mut jobs = jobs;
    for j in &mut jobs {
        let is_xlsx = j
            .output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        if is_xlsx {
            j.workbook = Some(j.output.clone());
            j.output = j.output.with_extension("csv");
        } else if format == ResultsFormat::Xlsx {
            j.workbook = Some(j.output.with_extension("xlsx"));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::results_name;
    use std::path::Path;

    #[test]
    fn a_results_file_fed_back_gets_the_next_number() {
        assert_eq!(results_name(Path::new("crm.xlsx")), "crm.results.csv");
        assert_eq!(
            results_name(Path::new("dir/crm.results.csv")),
            "crm.results.2.csv"
        );
        assert_eq!(
            results_name(Path::new("crm.results.2.csv")),
            "crm.results.3.csv"
        );
        assert_eq!(
            results_name(Path::new("a.results.x.csv")),
            "a.results.x.results.csv"
        );
    }
}
