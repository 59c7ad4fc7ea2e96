//! Raw command-line flags → a validated [`Config`]. Nothing later sees clap.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command as CliCommand, ImportArgs, KindArg};
use crate::input::ReadOptions;
use crate::kind::Kind;
use crate::profile::{self, CredentialVars, Profile};

mod jobs;
mod mode;
mod read;
mod subcommands;
mod target;

pub(crate) use jobs::Disk;
pub use jobs::{Job, Outputs, results_name};
pub use mode::RunMode;
pub use subcommands::{ExportConfig, PingConfig, SandboxConfig};
pub use target::{Pacing, Target, target_config, timeout};

use read::read_config;
use subcommands::{export_config, ping_config, sandbox_config};
use target::{pacing, sandbox_faults};

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// What the run does (see [`Config::mode`]).
    mode: RunMode,
    /// Where each input's results go, laid out into jobs by the run.
    outputs: Outputs,
    /// Lines to show the user before the run (flags that do nothing here).
    notes: Vec<String>,
    kind: Option<Kind>,
    read: ReadOptions,
    /// The mapping file (`--map`), read by the run.
    map_file: Option<PathBuf>,
    /// Columns echoed as they are (`--keep-column`).
    keep_columns: Vec<String>,
    json: bool,
    quiet: bool,
    /// Write an HTML report of the run here.
    report: Option<PathBuf>,
    /// Rows without id update the one record of the same name.
    match_by_name: bool,
    /// Rows without id create even when the name exists.
    allow_duplicates: bool,
    /// An empty mapped cell clears its field.
    clear_empty: bool,
    /// Replace a results file holding live outcomes (every mode).
    overwrite: bool,
    /// How a run that reads the account reaches it; None for [`RunMode::Validate`].
    submit: Option<SubmitConfig>,
}

/// How a live run (an import or a plan) reaches the account: read through what each room
/// needs (`config/mode.rs`).
#[derive(Debug, Clone)]
pub struct SubmitConfig {
    target: Target,
    pacing: Pacing,
    /// With --resume: look every unfinished create up by name first.
    reconcile_by_name: bool,
    /// Ignore what this tool wrote to fields the API cannot read back.
    no_ledger: bool,
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
    /// The run's inputs: the log file may be none of them.
    pub inputs: Vec<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Validate, or import (boxed: a run's config is by far the largest).
    Run(Box<Config>),
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

impl Command {
    /// Whether the command answers with one JSON object on stdout.
    pub fn json(&self) -> bool {
        match self {
            Command::Run(c) => c.json,
            Command::Ping(p) => p.json,
            Command::Export(e) => e.json,
            _ => false,
        }
    }
}

/// The command line, read: what to do and where diagnostics go.
#[derive(Debug)]
pub struct Loaded {
    pub command: Command,
    pub logs: LogOptions,
    /// The subcommand's name, as `--json` output names it.
    pub name: &'static str,
}

/// A command line that cannot be used: clap's error (printed by [`LoadError::exit`]) and its
/// kind for `--json` output.
#[derive(Debug)]
pub struct LoadError {
    pub error: clap::Error,
    /// `usage`, `input` or `credentials`.
    pub kind: &'static str,
}

impl LoadError {
    /// `--help` and `--version` come back as errors too: they are no failure.
    pub fn is_failure(&self) -> bool {
        !matches!(
            self.error.kind(),
            clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    }

    /// The message alone, without clap's `error: ` prefix and usage lines.
    pub fn message(&self) -> String {
        let text = self.error.render().to_string();
        let first = text.split("\n\n").next().unwrap_or_default().trim();
        first.strip_prefix("error: ").unwrap_or(first).to_string()
    }

    /// The exit code clap gives it (2 for a usage error).
    pub fn exit_code(&self) -> u8 {
        u8::try_from(self.error.exit_code()).unwrap_or(crate::error::EXIT_FATAL)
    }

    /// Prints the message (or the help) and exits.
    pub fn exit(&self) -> ! {
        self.error.exit()
    }
}

impl From<clap::Error> for LoadError {
    fn from(error: clap::Error) -> Self {
        LoadError {
            error,
            kind: "usage",
        }
    }
}

/// The subcommand a raw command line names, and whether it asks for `--json`: for the JSON
/// answer to a command line that does not parse.
pub fn json_requested(argv: &[OsString]) -> Option<&'static str> {
    let args = argv.iter().skip(1).take_while(|a| *a != "--");
    let mut json = false;
    let mut name = None;
    for a in args {
        if a == "--json" {
            json = true;
        } else if name.is_none() {
            name = JSON_COMMANDS.iter().copied().find(|c| a == *c);
        }
    }
    json.then(|| name.unwrap_or("ivvy-import"))
}

/// The subcommands that answer with one JSON object under `--json`.
const JSON_COMMANDS: [&str; 6] = ["import", "validate", "plan", "apply", "export", "ping"];

/// Reads the command line and the profile it selects (flags win over the profile, the
/// profile over the defaults) into a checked command. Every error is a usage error (exit 2);
/// `--help` and `--version` come back as clap's own "errors" too.
pub fn load<I, T>(argv: I) -> Result<Loaded, LoadError>
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
        inputs: Vec::new(),
    };
    let name = subcommand_name(&cli.command);
    let command = from_cli_with(cli, &vars).map_err(|e| LoadError {
        kind: e.kind(),
        error: usage(&e.to_string()),
    })?;
    let mut logs = logs;
    if let Command::Run(c) = &command {
        logs.inputs = c.outputs.inputs().to_vec();
    }
    Ok(Loaded {
        command,
        logs,
        name,
    })
}

fn subcommand_name(c: &CliCommand) -> &'static str {
    match c {
        CliCommand::Import(_) => "import",
        CliCommand::Validate(_) => "validate",
        CliCommand::Plan(_) => "plan",
        CliCommand::Export(_) => "export",
        CliCommand::Template(_) => "template",
        CliCommand::Ping(_) => "ping",
        CliCommand::Sandbox(_) => "sandbox",
        CliCommand::Completions(_) => "completions",
        CliCommand::Man(_) => "man",
        CliCommand::Apply(_) => "apply",
    }
}

fn usage(message: &str) -> clap::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ValueValidation,
        format!("{message}\n"),
    )
}

/// Checks the command line as a whole (credentials from IVVY_API_KEY and IVVY_API_SECRET).
pub fn from_cli(cli: Cli) -> Result<Command, ConfigError> {
    from_cli_with(cli, &CredentialVars::default())
}

/// Checks the command line as a whole, credentials from the named environment variables.
pub fn from_cli_with(cli: Cli, vars: &CredentialVars) -> Result<Command, ConfigError> {
    Ok(match cli.command {
        CliCommand::Import(args) => Command::Run(Box::new(Config::from_import(args, vars)?)),
        CliCommand::Validate(args) => Command::Run(Box::new(Config::from_validate(args)?)),
        CliCommand::Plan(args) => Command::Run(Box::new(Config::from_plan(args, vars)?)),
        CliCommand::Apply(args) => Command::Run(Box::new(Config::from_apply(args, vars)?)),
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A flag, or flags together, that cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// An input file that does not exist or is not a file.
    #[error("{0}")]
    NoInput(String),
    /// Credentials missing or unusable.
    #[error("{0}")]
    Credentials(String),
}

impl ConfigError {
    /// The error's kind in `--json` output: `usage`, `input` or `credentials`.
    pub fn kind(&self) -> &'static str {
        match self {
            ConfigError::Invalid(_) => "usage",
            ConfigError::NoInput(_) => "input",
            ConfigError::Credentials(_) => "credentials",
        }
    }
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
            (args.plan, "--plan"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        let mut config = read_config(args.read)?;
        config.match_by_name = args.match_by_name;
        config.allow_duplicates = args.allow_duplicates;
        config.clear_empty = args.clear_empty;
        config.overwrite = args.overwrite;
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
        let submit = SubmitConfig {
            target,
            pacing: pacing(&args.pacing, args.target.timeout)?,
            reconcile_by_name: args.reconcile_by_name,
            no_ledger: args.no_ledger,
        };
        let mut config = read_config(args.read)?;
        config.mode = match (args.plan, args.resume) {
            (true, _) => RunMode::Plan,
            (false, true) => RunMode::Resume,
            (false, false) => RunMode::Import,
        };
        config.match_by_name = args.match_by_name;
        config.allow_duplicates = args.allow_duplicates;
        config.clear_empty = args.clear_empty;
        config.overwrite = args.overwrite;
        config.submit = Some(submit);
        Ok(config)
    }

    /// `apply`: an import of a reviewed plan results file, doing only what it shows.
    pub fn from_apply(mut args: ImportArgs, vars: &CredentialVars) -> Result<Config, ConfigError> {
        if args.read.files.len() != 1 {
            return Err(invalid(
                "apply takes one plan file (the results of `ivvy-import plan`)",
            ));
        }
        if args.plan || args.dry_run || args.resume {
            return Err(invalid(
                "apply does the plan: --plan, --dry-run and --resume do not go with it",
            ));
        }
        args.plan = false;
        let mut config = Config::from_import(args, vars)?;
        config.mode = RunMode::Apply;
        Ok(config)
    }

    /// `plan`: an import that reads the account and writes nothing.
    pub fn from_plan(mut args: ImportArgs, vars: &CredentialVars) -> Result<Config, ConfigError> {
        args.plan = true;
        args.dry_run = false;
        Config::from_import(args, vars)
    }
}

fn kind_of(k: KindArg) -> Kind {
    match k {
        KindArg::Sources => Kind::Source,
        KindArg::Stages => Kind::Stage,
    }
}
