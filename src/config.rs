//! Raw command-line flags → a validated [`Config`]. Nothing later sees clap.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};

use crate::api::{Credentials, Endpoint};
use crate::cli::{
    Cli, Command as CliCommand, EncodingArg, ExportArgs, ImportArgs, KindArg, PacingArgs, PingArgs,
    ReadArgs, RegionArg, ResultsFormat, SandboxArgs, TargetArgs,
};
use crate::input::headers::HeaderMap;
use crate::input::{EncodingChoice, ReadOptions};
use crate::kind::Kind;
use crate::profile::{self, CredentialVars, Profile};
use crate::sandbox::Faults;

/// One input file and where its results go.
#[derive(Debug, Clone)]
pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
    /// Start the results file with a UTF-8 byte-order mark (for Excel).
    pub bom: bool,
    /// The results workbook made from it at the end, when asked for.
    pub workbook: Option<PathBuf>,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub jobs: Vec<Job>,
    /// Lines to show the user before the run (flags that do nothing here).
    pub notes: Vec<String>,
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

/// Where diagnostics go.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// `-v` count.
    pub verbose: u8,
    /// JSON lines file (appended).
    pub file: Option<PathBuf>,
    /// The profile in use, as "NAME from FILE", for the log.
    pub profile: Option<String>,
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
    /// Print a shell completion script.
    Completions(clap_complete::Shell),
    /// Print the manual page (of one subcommand, when named).
    Man(Option<String>),
}

/// The command line, read: what to do and where diagnostics go.
#[derive(Debug)]
pub struct Loaded {
    pub command: Command,
    pub logs: LogOptions,
}

/// Reads the command line and the profile it selects (flags win over the profile, the
/// profile over the defaults) into a checked command. Every error is a usage error (exit 2);
/// `--help` and `--version` come back as clap's own "errors" too.
pub fn load<I, T>(argv: I) -> Result<Loaded, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let cmd = Cli::command();
    let first = cmd.clone().try_get_matches_from(&argv)?;
    let profile = Profile::select(&first).map_err(|e| usage(&e.to_string()))?;
    let matches = match &profile {
        Some(p) => cmd
            .clone()
            .try_get_matches_from(p.args(&cmd, &first, &argv))
            .map_err(|e| usage(&p.blame(&e)))?,
        None => first,
    };
    let cli = Cli::from_arg_matches(&matches)?;
    let vars = profile
        .as_ref()
        .map(Profile::credential_vars)
        .unwrap_or_default();
    let log_file = match cli
        .log_file
        .clone()
        .or_else(|| profile.as_ref()?.log_file())
    {
        Some(f) if profile::is_pattern(&f) => Some(PathBuf::from(
            profile::expand(&f.to_string_lossy(), None, profile::now())
                .map_err(|e| usage(&format!("--log-file {e}")))?,
        )),
        other => other,
    };
    let logs = LogOptions {
        verbose: cli.verbose,
        file: log_file,
        profile: profile
            .as_ref()
            .map(|p| format!("{} from {}", p.name, p.file.display())),
    };
    let command = from_cli_with(cli, &vars).map_err(|e| usage(&e.to_string()))?;
    Ok(Loaded { command, logs })
}

fn usage(message: &str) -> clap::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ValueValidation,
        format!("{message}\n"),
    )
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

/// Checks the command line as a whole (credentials from IVVY_API_KEY and IVVY_API_SECRET).
pub fn from_cli(cli: Cli) -> Result<Command, ConfigError> {
    from_cli_with(cli, &CredentialVars::default())
}

/// Checks the command line as a whole, credentials from the named environment variables.
pub fn from_cli_with(cli: Cli, vars: &CredentialVars) -> Result<Command, ConfigError> {
    Ok(match cli.command {
        CliCommand::Import(args) => Command::Run(Config::from_import(args, vars)?),
        CliCommand::Validate(args) => Command::Run(Config::from_validate(args)?),
        CliCommand::Plan(args) => Command::Run(Config::from_plan(args, vars)?),
        CliCommand::Export(args) => Command::Export(export_config(args, vars)?),
        CliCommand::Template(args) => Command::Template {
            file: args.file,
            kind: args.kind.map(kind_of),
        },
        CliCommand::Ping(args) => Command::Ping(ping_config(&args, vars)?),
        CliCommand::Sandbox(args) => Command::Serve(sandbox_config(args)?),
        CliCommand::Completions(args) => Command::Completions(args.shell),
        CliCommand::Man(args) => Command::Man(args.command),
    })
}

fn ping_config(args: &PingArgs, vars: &CredentialVars) -> Result<PingConfig, ConfigError> {
    Ok(PingConfig {
        timeout: timeout(args.target.timeout)?,
        target: target_config(&args.target, Faults::default(), vars)?,
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
        let ignored: Vec<&str> = [
            (args.pacing.bulk, "--bulk"),
            (args.target.sandbox, "--sandbox"),
            (args.resume, "--resume"),
            (args.overwrite, "--overwrite"),
            (args.plan, "--plan"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        let mut config = read_config(args.read)?;
        config.match_by_name = args.match_by_name;
        config.allow_duplicates = args.allow_duplicates;
        if !ignored.is_empty() {
            config.notes.push(format!(
                "note: a dry run touches no network; {} ignored",
                ignored.join(", ")
            ));
        }
        Ok(config)
    }

    pub fn from_import(args: ImportArgs, vars: &CredentialVars) -> Result<Config, ConfigError> {
        if args.sandbox_faults.is_some() && !args.target.sandbox {
            return Err(invalid("--sandbox-faults needs --sandbox"));
        }
        if args.dry_run {
            return Config::from_validate(args);
        }
        let target = target_config(
            &args.target,
            sandbox_faults(args.sandbox_faults.as_deref())?,
            vars,
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
    pub fn from_plan(mut args: ImportArgs, vars: &CredentialVars) -> Result<Config, ConfigError> {
        args.plan = true;
        args.dry_run = false;
        Config::from_import(args, vars)
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

fn export_config(args: ExportArgs, vars: &CredentialVars) -> Result<ExportConfig, ConfigError> {
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
pub fn target_config(
    t: &TargetArgs,
    faults: Faults,
    vars: &CredentialVars,
) -> Result<Target, ConfigError> {
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
    let credentials = credentials(vars)?;
    Ok(Target::Remote {
        endpoint,
        credentials,
    })
}

/// The API key and secret from the environment variables a profile names (by default
/// IVVY_API_KEY and IVVY_API_SECRET).
fn credentials(vars: &CredentialVars) -> Result<Credentials, ConfigError> {
    if *vars == CredentialVars::default() {
        return Credentials::from_env().map_err(invalid);
    }
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let (key, secret) = (get(&vars.key), get(&vars.secret));
    let missing: Vec<&str> = [(&key, &vars.key), (&secret, &vars.secret)]
        .iter()
        .filter(|(v, _)| v.is_none())
        .map(|(_, n)| n.as_str())
        .collect();
    let (Some(key), Some(secret)) = (key, secret) else {
        return Err(invalid(format!(
            "set {} in the environment (the profile names it with api_key_env / api_secret_env)",
            missing.join(" and ")
        )));
    };
    for (name, v) in [(&vars.key, &key), (&vars.secret, &secret)] {
        if v.trim().chars().any(char::is_control) {
            return Err(invalid(format!(
                "{name} holds a control character (a pasted line break or tab?): set it again without one"
            )));
        }
    }
    Ok(Credentials::new(key.trim(), secret.trim()))
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
    let bom = match (args.bom, args.no_bom) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let jobs = jobs(
        &args.files,
        args.output.as_deref(),
        bom,
        args.results_format,
    )?;
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
        notes: Vec::new(),
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

/// Whether a results file should start with a byte-order mark: when its input had one (CSV
/// files saved by Excel as "CSV UTF-8" do) or is a workbook, so Excel opens it as UTF-8.
pub fn wants_bom(input: &Path) -> bool {
    if crate::input::is_workbook(input) {
        return true;
    }
    let mut head = [0u8; 3];
    let n = std::fs::File::open(input)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    head[..n].starts_with(b"\xEF\xBB\xBF")
        || head[..n].starts_with(b"\xFF\xFE")
        || head[..n].starts_with(b"\xFE\xFF")
}

/// Each input's results file from a pattern such as `results/{stem}-{date}.csv`; the folders
/// it names are made.
fn pattern_jobs(files: &[PathBuf], pattern: &Path) -> Result<Vec<(PathBuf, PathBuf)>, ConfigError> {
    let now = profile::now();
    let mut out = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
        let path = profile::expand(&pattern.to_string_lossy(), Some(&stem), now)
            .map(PathBuf::from)
            .map_err(|e| invalid(format!("-o {e}")))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| invalid(format!("-o {}: {e}", dir.display())))?;
        }
        out.push((f.clone(), path));
    }
    Ok(out)
}

/// `<stem>.results.csv` beside each input; `-o` names the file (one input) or a directory,
/// or is a pattern.
fn jobs(
    files: &[PathBuf],
    output: Option<&Path>,
    bom: Option<bool>,
    format: ResultsFormat,
) -> Result<Vec<Job>, ConfigError> {
    for f in files {
        if !f.is_file() {
            return Err(invalid(format!("{}: no such file", f.display())));
        }
    }
    let default_name = |f: &Path| results_name(f);
    let pairs: Vec<(PathBuf, PathBuf)> = match output {
        Some(o) if profile::is_pattern(o) => pattern_jobs(files, o)?,
        None => files
            .iter()
            .map(|f| (f.clone(), f.with_file_name(default_name(f))))
            .collect(),
        Some(o) if files.len() == 1 && !o.is_dir() => vec![(files[0].clone(), o.to_path_buf())],
        Some(o) if o.is_dir() => files
            .iter()
            .map(|f| (f.clone(), o.join(default_name(f))))
            .collect(),
        Some(o) => {
            return Err(invalid(format!(
                "-o {}: with several inputs, -o must name an existing directory (or be a pattern with {{stem}})",
                o.display()
            )));
        }
    };
    let jobs: Vec<Job> = pairs
        .into_iter()
        .map(|(input, output)| {
            // A workbook asked for by name (`-o results.xlsx`) or by --results-format: the
            // results CSV is written beside it and the workbook made from it at the end.
            let named = output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let (output, workbook) = if named {
                (output.with_extension("csv"), Some(output))
            } else if format == ResultsFormat::Xlsx {
                (output.clone(), Some(output.with_extension("xlsx")))
            } else {
                (output, None)
            };
            Job {
                bom: bom.unwrap_or_else(|| wants_bom(&input)),
                input,
                output,
                workbook,
            }
        })
        .collect();
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
