//! What a run checks, makes and locks on this machine before it reads a row or makes a
//! request: the folders an output pattern names, the report's folder, the account's and
//! inputs' locks, and the results files (locked, and never replaced when they hold live
//! outcomes unless asked).

use crate::config::{Config, RunMode, SubmitConfig};
use crate::error::FatalError;
use crate::summary::Mode;

/// Every run's results files, locked for the run, before any request; one that holds live
/// outcomes is refused unless the run resumes or overwrites it (a dry run and a plan included).
pub(super) fn lock_outputs(config: &Config) -> Result<Vec<crate::guard::Held>, FatalError> {
    let keep = config.overwrite() || config.mode() == RunMode::Resume;
    let mut locks = Vec::new();
    for job in config.jobs() {
        locks.push(crate::guard::lock_output(&job.output)?);
        if !keep {
            crate::guard::refuse_to_overwrite(&job.output)?;
        }
    }
    Ok(locks)
}

/// An import's locks, held for the whole run, before any request: one run per account and
/// per input file on this machine.
pub(super) fn run_locks(
    config: &Config,
    mode: Mode,
) -> Result<Vec<crate::guard::Held>, FatalError> {
    let mut held = Vec::new();
    if mode != Mode::Import {
        return Ok(held);
    }
    if let Some(SubmitConfig {
        target:
            crate::config::Target::Remote {
                endpoint,
                credentials,
            },
        ..
    }) = config.submit()
    {
        held.extend(crate::guard::lock_account(
            endpoint.base(),
            &credentials.key,
        )?);
    }
    for job in config.jobs() {
        held.extend(crate::guard::lock_input(&job.input)?);
    }
    Ok(held)
}

/// The folders an output pattern names (`-o results/{stem}-{date}.csv`), made before anything
/// is read or sent.
pub(super) fn output_folders(config: &Config) -> Result<(), FatalError> {
    for dir in config.jobs().iter().filter_map(|j| j.folder.as_ref()) {
        std::fs::create_dir_all(dir).map_err(FatalError::output(dir))?;
    }
    Ok(())
}

/// The report's folder must be there before any row is read or request made, so a long run
/// does not end unable to write it.
pub(super) fn report_folder(path: &std::path::Path) -> Result<(), FatalError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(FatalError::Output {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("--report: {} is not a folder", dir.display())),
        }),
        Err(e) => Err(FatalError::Output {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                e.kind(),
                format!("--report: the folder {} does not exist", dir.display()),
            ),
        }),
    }
}
