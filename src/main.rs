use std::process::ExitCode;

use ivvy_import::{config, logging};

// Reading allocates a little per row; mimalloc makes that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reads the command line (and its profile), starts the logs, runs, and maps the outcome to
/// an exit code: help, version and usage errors are clap's (0 or 2).
fn main() -> ExitCode {
    let loaded = config::load(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let code = logging::init(&loaded.logs)
        .and_then(|()| ivvy_import::execute(loaded.command))
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            e.exit_code()
        });
    ExitCode::from(code)
}
