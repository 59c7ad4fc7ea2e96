use std::ffi::OsString;
use std::process::ExitCode;

use ivvy_import::envelope::Envelope;
use ivvy_import::{config, logging};

// Reading allocates a little per row; mimalloc makes that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reads the command line (and its profile), starts the logs, runs, and maps the outcome to
/// an exit code: help, version and usage errors are clap's (0 or 2). With `--json`, every
/// failure prints its JSON object on stdout too.
fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let json = config::json_requested(&argv);
    let loaded = match config::load(argv) {
        Ok(l) => l,
        Err(e) => {
            if let Some(command) = json.filter(|_| e.is_failure()) {
                Envelope::failed(command, e.exit_code(), e.kind, &e.message()).print();
            }
            e.exit()
        }
    };
    let json = loaded.command.json();
    let code = match logging::init(&loaded.logs) {
        Ok(()) => ivvy_import::execute(loaded.name, loaded.command).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            e.exit_code()
        }),
        Err(e) => {
            eprintln!("error: {e}");
            if json {
                Envelope::from_error(loaded.name, &e).print();
            }
            e.exit_code()
        }
    };
    ExitCode::from(code)
}
