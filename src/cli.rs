//! The command line, as clap sees it. Nothing past `config.rs` uses these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ivvy-import",
    version,
    about = "Import CRM lead sources and lead stages from CSV or Excel files into iVvy",
    after_help = "Credentials come from the environment only: IVVY_API_KEY and IVVY_API_SECRET.\n\
                  Exit codes: 0 every row done, 1 some rows invalid/failed/skipped, 2 fatal, 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate and submit rows, writing a results CSV beside each input.
    Import(ImportArgs),
    /// Validate only (same as `import --dry-run`): a results CSV saying what would be sent.
    Validate(ReadArgs),
    /// Check credentials, the base URL and the clock against the API.
    Ping(PingArgs),
    /// Run the built-in iVvy emulator on loopback.
    Sandbox(SandboxArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Sources,
    Stages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    Auto,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "windows-1252", alias = "cp1252", alias = "latin1")]
    Windows1252,
    /// Mac OS Roman, as Excel for Mac's "CSV (Macintosh)" saves it.
    #[value(name = "macintosh", alias = "mac-roman", alias = "x-mac-roman")]
    Macintosh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    Au,
    Us,
    Eu,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// CSV, XLSX, XLSM, XLSB, XLS or ODS files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What the rows are (default: from the sheet name, a kind column, or the headers).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Read only this sheet of a workbook.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Results file (one input) or directory (several); default `<input stem>.results.csv`.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// TOML file mapping fields to your headers: `name = "Source Title"`.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// CSV text encoding.
    #[arg(long, value_enum, default_value = "auto")]
    pub encoding: EncodingArg,
    /// CSV delimiter: auto, `,`, `;`, `tab` or `|`.
    #[arg(long, default_value = "auto", value_name = "DELIM")]
    pub delimiter: String,
    /// Print the final summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress and no summary on stderr (errors still shown).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// API base URL, e.g. https://api.us-west-2.ivvy.com.
    #[arg(long, env = "IVVY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// API region, when no base URL is given.
    #[arg(long, env = "IVVY_REGION", value_enum)]
    pub region: Option<RegionArg>,
    /// Run against a built-in emulator started for this run (no credentials needed; the base
    /// URL, region and credentials in the environment are then not used).
    #[arg(long)]
    pub sandbox: bool,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Validate only; touch no network.
    #[arg(long)]
    pub dry_run: bool,
    /// Requests per second across all workers.
    #[arg(long, default_value_t = 5.0, value_name = "N")]
    pub rate: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Retries of a throttled or transient failure.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub retries: u32,
    /// Rows without id whose name matches one existing record update it.
    #[arg(long)]
    pub match_by_name: bool,
    /// Keep the created/updated lines of an existing results file and do the other rows.
    #[arg(long)]
    pub resume: bool,
    /// First retry back-off in milliseconds (doubles each retry).
    #[arg(long, default_value_t = 250, value_name = "MS", hide = true)]
    pub backoff_ms: u64,
    /// Sandbox only: seeded fault injection, e.g. `seed=7,error=0.1,reset=0.1,drop=0.1,hang=0.1,latency-ms=100,limit=20`.
    #[arg(long, value_name = "SPEC", hide = true)]
    pub sandbox_faults: Option<String>,
}

#[derive(Debug, Args)]
pub struct PingArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// API key to accept (default: generated and printed).
    #[arg(long, env = "IVVY_API_KEY")]
    pub key: Option<String>,
    /// API secret to accept (default: generated and printed once).
    #[arg(long, env = "IVVY_API_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Seeded fault injection, e.g. `seed=7,error=0.1,reset=0.1,drop=0.1,hang=0.1,latency-ms=100,limit=20,retry-after=1`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
}
