use std::process::ExitCode;

use clap::Parser;
use ivvy_import::cli::Cli;
use ivvy_import::config::{self, Command};
use ivvy_import::{EXIT_OK, FatalError};

// Reading allocates a little per row; mimalloc makes that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let result = config::from_cli(Cli::parse())
        .map_err(FatalError::from)
        .and_then(|command| match command {
            Command::Run(c) => {
                let (json, quiet) = (c.json, c.quiet);
                let summary = ivvy_import::run(c).inspect_err(|e| json_error(json, e))?;
                if json {
                    println!("{}", serde_json::to_string(&summary).unwrap_or_default());
                }
                if !quiet {
                    eprint!("{}", summary.render());
                }
                Ok(summary.exit_code())
            }
            Command::Ping(p) => ivvy_import::ping(&p).map(|ping| ping.print(p.json)),
            Command::Serve(s) => {
                let generated = s.secret.is_none();
                ivvy_import::serve(s, |sb| sb.print_banner(generated)).map(|()| EXIT_OK)
            }
            Command::Export(e) => ivvy_import::export(&e).map(|_| EXIT_OK),
            Command::Template { file, kind } => {
                ivvy_import::template(&file, kind).map(|()| EXIT_OK)
            }
        });
    ExitCode::from(result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        e.exit_code()
    }))
}

/// With `--json`, a run that cannot start still prints one object.
fn json_error(json: bool, e: &FatalError) {
    if json {
        let o = serde_json::json!({ "error": e.to_string(), "exit_code": e.exit_code() });
        println!("{o}");
    }
}
