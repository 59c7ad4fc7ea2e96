//! The command line, as clap sees it. Nothing past `config/` uses these types.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ivvy-import",
    version,
    about = "Import CRM lead sources and lead stages from CSV or Excel files into iVvy",
    after_help = "Credentials come from the environment only: IVVY_API_KEY and IVVY_API_SECRET\n\
                  (or the variables a profile names with api_key_env and api_secret_env).\n\
                  Exit codes: 0 every row done, 1 some rows invalid/failed/skipped, 2 fatal, 130 interrupted,\n\
                  143 terminated.\n\n\
                  Examples:\n  \
                  ivvy-import validate sources.csv\n  \
                  ivvy-import import crm.xlsx --region au\n  \
                  ivvy-import import leads.csv --profile venue-a --log-file import.jsonl"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More diagnostics on stderr: -v for the run's start and end, -vv for every request.
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Logs")]
    pub verbose: u8,
    /// Append JSON lines to FILE: one per request and one at the start and end of each run
    /// (never the API secret or the signature). May hold {date} and {time}.
    #[arg(long, value_name = "FILE", global = true, help_heading = "Logs")]
    pub log_file: Option<PathBuf>,
    /// Use the [profile.NAME] table of the config file (default: the `default` profile, if any).
    #[arg(long, value_name = "NAME", global = true, help_heading = "Profile")]
    pub profile: Option<String>,
    /// The config file holding the profiles (default: ./ivvy-import.toml, when it exists).
    #[arg(long, value_name = "FILE", global = true, help_heading = "Profile")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate and submit rows, writing a results CSV beside each input.
    #[command(after_help = "Examples:\n  \
        ivvy-import import sources.csv --region au\n  \
        ivvy-import import crm.xlsx --sandbox                  # try it against the built-in emulator\n  \
        ivvy-import import big.csv --profile venue-a --resume  # finish an interrupted run")]
    Import(ImportArgs),
    /// Validate only (same as `import --dry-run`): a results CSV saying what would be sent.
    /// Accepts import's flags; those that need the network are ignored.
    #[command(after_help = "Examples:\n  \
        ivvy-import validate sources.csv\n  \
        ivvy-import validate legacy.csv --map legacy_map.toml --encoding windows-1252")]
    Validate(ImportArgs),
    /// What an import with the same flags would do to the account now, row by row
    /// (create, update, unchanged, conflict, invalid). Reads the account; writes nothing.
    #[command(after_help = "Examples:\n  \
        ivvy-import plan crm.xlsx --region us --match-by-name\n  \
        ivvy-import plan sources.csv --profile venue-a -o plan.csv")]
    Plan(ImportArgs),
    /// Do a reviewed plan exactly: only its create and update rows, with the values it shows.
    /// Each row is checked against the account again first; a record, name or row that
    /// changed since the plan is a conflict, not sent. A plan edited in the tool's columns is
    /// refused.
    #[command(after_help = "Examples:\n  \
        ivvy-import plan sources.csv --region au --match-by-name -o plan.csv\n  \
        ivvy-import apply plan.csv --region au")]
    Apply(ImportArgs),
    /// Write every record of a kind on the account to a CSV or XLSX file that can be edited
    /// and imported back.
    #[command(after_help = "Examples:\n  \
        ivvy-import export sources -o sources.xlsx --region au\n  \
        ivvy-import export stages -o stages.csv --profile venue-a")]
    Export(ExportArgs),
    /// Write an empty template to fill in: headers, an example row and drop-downs.
    Template(TemplateArgs),
    /// Check credentials, the base URL and the clock against the API.
    #[command(after_help = "Examples:\n  \
        ivvy-import ping --region au\n  \
        ivvy-import ping --profile venue-a --json")]
    Ping(PingArgs),
    /// Run the built-in iVvy emulator on loopback.
    #[command(after_help = "Examples:\n  \
        ivvy-import sandbox --port 8080\n  \
        ivvy-import sandbox --faults seed=7,error=0.1,limit=20")]
    Sandbox(SandboxArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = "Examples:\n  \
        ivvy-import completions bash > ~/.local/share/bash-completion/completions/ivvy-import\n  \
        ivvy-import completions zsh > ~/.zfunc/_ivvy-import\n  \
        ivvy-import completions fish > ~/.config/fish/completions/ivvy-import.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    #[command(after_help = "Examples:\n  \
        ivvy-import man > ivvy-import.1 && man ./ivvy-import.1\n  \
        ivvy-import man import | man -l -")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's own page (default: the main page).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// A kind of record; the singular is taken too (`source`, as the results' `kind` column
/// says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    #[value(alias = "source")]
    Sources,
    #[value(alias = "stage")]
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
#[command(next_help_heading = "Input")]
pub struct ReadArgs {
    /// CSV, XLSX, XLSM, XLSB, XLS or ODS files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What the rows are (default: from the sheet name, a kind column, or the headers).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Read only this sheet of a workbook, hidden or not; may be given several times
    /// (default: every visible worksheet).
    #[arg(long, value_name = "NAME")]
    pub sheet: Vec<String>,
    /// Costs use a decimal comma: `1.200,50`, `1 200,50`, `7,5`.
    #[arg(long)]
    pub decimal_comma: bool,
    /// Results file (one input) or directory (several); default `<input stem>.results.csv`.
    /// May be a pattern: `results/{stem}-{date}.csv` ({stem}, {date}, {time}).
    #[arg(short, long, value_name = "PATH", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// TOML file mapping fields to your headers: `name = "Source Title"`.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Keep this column as it is (echoed, not sent) although its header looks like a field's
    /// (`Csot`, `Cost (AUD)`); may be given several times.
    #[arg(long, value_name = "HEADER")]
    pub keep_column: Vec<String>,
    /// CSV text encoding.
    #[arg(long, value_enum, default_value = "auto")]
    pub encoding: EncodingArg,
    /// CSV delimiter: auto, `,`, `;`, `tab` or `|`.
    #[arg(long, default_value = "auto", value_name = "DELIM", value_parser = delimiters())]
    pub delimiter: String,
    /// Results as a workbook too (`-o results.xlsx` does the same): a Summary sheet, the
    /// results with each problem's cell marked and noted. The CSV stays beside it.
    #[arg(
        long,
        value_enum,
        default_value = "csv",
        value_name = "FORMAT",
        help_heading = "Output"
    )]
    pub results_format: ResultsFormat,
    /// Write a one-page HTML report of the run (counts, problems with examples, parameters).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub report: Option<PathBuf>,
    /// Start the results file with a UTF-8 byte-order mark (so Excel reads it as UTF-8).
    /// Default: when the input had one, or is a workbook.
    #[arg(long, help_heading = "Output", conflicts_with = "no_bom")]
    pub bom: bool,
    /// Never start the results file with a byte-order mark.
    #[arg(long, help_heading = "Output")]
    pub no_bom: bool,
    /// Write a cell that starts with = + - @ or a tab with a leading ' in the results CSV, so
    /// a spreadsheet that opens it shows text and runs no formula (read back without the ').
    #[arg(long, help_heading = "Output")]
    pub excel_safe_csv: bool,
    /// Print one JSON object on stdout on every exit: the summary, or why the run failed.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// No progress and no summary on stderr (warnings and errors still shown).
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

/// The results file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultsFormat {
    Csv,
    Xlsx,
}

/// `template`: a file for people to fill in.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The file to write: `.xlsx` (headers, an example row, drop-downs) or `.csv` (headers).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Which kind (default: from the file name, e.g. `lead-stages.csv`; a workbook without
    /// one gets both sheets).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
}

#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "API")]
pub struct TargetArgs {
    /// API base URL, e.g. https://api.us-west-2.ivvy.com.
    #[arg(long, env = "IVVY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// API region, when no base URL is given.
    #[arg(long, env = "IVVY_REGION", value_enum, ignore_case = true)]
    pub region: Option<RegionArg>,
    /// Run against a built-in emulator started for this run (no credentials needed; the base
    /// URL, region and credentials in the environment are then not used).
    #[arg(long)]
    pub sandbox: bool,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 30.0, value_name = "SECS", value_parser = seconds(0.1, 3600.0))]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// Validate only; touch no network.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// Read the account and write what an import would do now, without writing anything.
    #[arg(long, conflicts_with = "dry_run", help_heading = "Output")]
    pub plan: bool,
    /// Rows without id whose name matches one existing record update it.
    #[arg(long, help_heading = "Matching")]
    pub match_by_name: bool,
    /// Create rows whose name already exists on the account (default: a conflict).
    #[arg(long, help_heading = "Matching", conflicts_with = "match_by_name")]
    pub allow_duplicates: bool,
    /// An empty cell in a mapped column clears that field (a text sends "", a cost 0,
    /// isReferral false); by default it leaves the field as it is.
    #[arg(long, help_heading = "Matching")]
    pub clear_empty: bool,
    /// Do not compare fields the API cannot read back (colours, a stage's applyTo) with what
    /// this tool last wrote there: send them whenever a row sets them.
    #[arg(long, help_heading = "Matching")]
    pub no_ledger: bool,
    /// Keep the created/updated/unchanged lines of an existing results file and do the rest.
    #[arg(long, help_heading = "Output")]
    pub resume: bool,
    /// With --resume: look every unfinished create up by name first (when the journal is
    /// missing or damaged). A record someone else created with the same name is taken as ours.
    #[arg(long, requires = "resume", help_heading = "Output")]
    pub reconcile_by_name: bool,
    /// Replace a results file that holds outcomes of an earlier live run.
    #[arg(long, conflicts_with = "resume", help_heading = "Output")]
    pub overwrite: bool,
    /// Sandbox only: seeded fault injection, e.g. `seed=7,error=0.1,reset=0.1,drop=0.1,hang=0.1,latency-ms=100,limit=20`.
    #[arg(long, value_name = "SPEC", hide = true)]
    pub sandbox_faults: Option<String>,
}

/// How fast and how persistently requests go.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Pacing")]
pub struct PacingArgs {
    /// Requests per second across all workers.
    #[arg(long, default_value_t = 5.0, value_name = "N", value_parser = seconds(0.01, 10_000.0))]
    pub rate: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Retries of a transient failure (a 429 costs none while the pipeline slows down).
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,
    /// The longest single wait, in seconds (a Retry-After beyond it counts as a failed attempt).
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = seconds(0.0, 3600.0))]
    pub max_wait: f64,
    /// Stop the run after this many seconds without a single success.
    #[arg(long, default_value_t = 60.0, value_name = "SECS", value_parser = seconds(0.1, 86_400.0))]
    pub give_up_after: f64,
    /// First retry back-off in milliseconds (doubles each retry).
    #[arg(long, default_value_t = 250, value_name = "MS", hide = true)]
    pub backoff_ms: u64,
    /// Send rows through iVvy's batch namespace, up to --batch-size rows a request (for more
    /// than a few hundred rows).
    #[arg(long)]
    pub bulk: bool,
    /// Rows per batch request in bulk mode.
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=200))]
    pub batch_size: u16,
    /// Bulk mode: the longest a batch may take on the server, in seconds (default 4 ×
    /// --max-wait); its rows then fail with "run --resume later", never sent again.
    #[arg(long, value_name = "SECS", value_parser = seconds(1.0, 86_400.0))]
    pub batch_timeout: Option<f64>,
}

/// The delimiters `--delimiter` takes (the words and `\t` too, not offered for completion).
fn delimiters() -> clap::builder::PossibleValuesParser {
    use clap::builder::PossibleValue;
    let shown = ["auto", ",", ";", "tab", "|"].map(PossibleValue::new);
    let hidden =
        ["comma", "semicolon", "pipe", "\\t", "\t"].map(|v| PossibleValue::new(v).hide(true));
    clap::builder::PossibleValuesParser::new(shown.into_iter().chain(hidden))
}

/// A parser of a number of seconds (or a rate) within `[min, max]`.
fn seconds(min: f64, max: f64) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s: &str| {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number"))?;
        if v.is_finite() && (min..=max).contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "{s} is out of range: use a number from {min} to {max}"
            ))
        }
    }
}

/// `export`: the account's records of one kind, in this tool's own input format.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub kind: KindArg,
    /// The file to write: `.csv` or `.xlsx`.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// Sandbox only: seeded fault injection.
    #[arg(long, value_name = "SPEC", hide = true)]
    pub sandbox_faults: Option<String>,
    /// Write a cell that starts with = + - @ or a tab with a leading ' in a CSV export, so a
    /// spreadsheet that opens it shows text and runs no formula (imported without the ').
    #[arg(long)]
    pub excel_safe_csv: bool,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print one JSON object on stdout (what was written, or why not).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PingArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print one JSON object on stdout: the answer, or why there was none.
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
