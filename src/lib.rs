//! ivvy-import: CSV and spreadsheet rows of CRM lead sources and lead stages, validated and
//! submitted to iVvy's signed JSON API, with one results line per row.
//!
//! A row travels one way: `input` (file → cells) → `record` (cells → typed record or
//! problems) → `pipeline` (record → outcome, through `api`) → `results` (outcome → line).
//! `sandbox` is an emulator of the API, a peer of the client. See ARCHITECTURE.md.

mod api;
mod backend;
mod bytes;
pub mod cli;
mod commands;
pub mod config;
pub mod envelope;
mod error;
mod excel_safe;
mod figures;
mod fnv;
mod guard;
mod input;
mod kind;
mod ledger;
pub mod logging;
mod outcome;
mod pipeline;
pub mod profile;
mod progress;
mod record;
mod report;
mod results;
mod results_xlsx;
mod run;
pub mod sandbox;
pub mod shell;
mod source;
mod summary;
mod template;
#[cfg(test)]
mod test_support;

pub use api::client::Ping;
pub use commands::{export, ping, serve, template};
pub use config::Config;
pub use config::RunMode;
pub use error::{
    EXIT_FATAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_ROWS, EXIT_TERMINATED, FatalError,
};
pub use run::run;
pub use summary::{KindCounts, ProblemCount, RowRef, StopKind, Stopped, Summary};

use std::io::Write;

/// Does what the command line asked; the exit code. Output that is the command's product
/// (a summary with `--json`, completions, the manual) goes to stdout; a closed stdout (`| head`)
/// is not an error. With `--json`, every exit prints one [`envelope::Envelope`], fatal errors
/// included; `name` is the subcommand it names.
pub fn execute(name: &str, command: config::Command) -> Result<u8, FatalError> {
    let json = command.json();
    let result = execute_command(name, command);
    if json && let Err(e) = &result {
        envelope::Envelope::from_error(name, e).print();
    }
    result
}

fn execute_command(name: &str, command: config::Command) -> Result<u8, FatalError> {
    use config::Command;
    match command {
        Command::Run(c) => {
            let (json, quiet) = (c.json(), c.quiet());
            let summary = run(*c)?;
            if json {
                envelope::Envelope::from_summary(name, &summary).print();
            }
            Ok(summary.print(quiet))
        }
        Command::Ping(p) => ping(&p).map(|ping| {
            if p.json {
                let mut env = envelope::Envelope::new(name, EXIT_OK);
                env.ping = Some(ping);
                env.print();
                EXIT_OK
            } else {
                ping.print()
            }
        }),
        Command::Serve(s) => {
            let generated = s.secret.is_none();
            serve(s, |sb| sb.print_banner(generated)).map(|()| EXIT_OK)
        }
        Command::Export(e) => export(&e).map(|records| {
            if e.json {
                let mut env = envelope::Envelope::new(name, EXIT_OK);
                env.results_files = vec![e.output.display().to_string()];
                env.export = Some(envelope::Exported {
                    kind: e.kind.as_str().to_string(),
                    records,
                    file: e.output.display().to_string(),
                });
                env.print();
            }
            EXIT_OK
        }),
        Command::Template { file, kind } => template(&file, kind).map(|()| EXIT_OK),
        Command::Completions(shell) => stdout(|out| shell::completions(shell, out)),
        Command::Man(page) => stdout(|out| match shell::man(page.as_deref(), out) {
            Some(r) => r,
            None => Err(std::io::Error::other(format!(
                "no subcommand {:?}: see ivvy-import --help",
                page.unwrap_or_default()
            ))),
        }),
    }
}

fn stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<u8, FatalError> {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_OK),
        Err(e) => Err(FatalError::Start(e.to_string())),
    }
}
