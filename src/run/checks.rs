//! What a run checks, makes and locks on this machine before it reads a row or makes a
//! request: the inputs (they exist) and the `--map` file (read), each input's job laid out
//! (is `-o` a folder), the folders an output pattern names, the report's folder, the
//! account's and inputs' locks, and the results files (locked, and never replaced when they
//! hold live outcomes unless asked).

use std::path::Path;

use crate::config::{Config, ConfigError, Disk, Job, RunMode, SubmitConfig};
use crate::error::FatalError;
use crate::input::headers::HeaderMap;

/// What only the disk tells of a run's flags, found first: each input's job and the header
/// aliases.
pub(super) struct Laid {
    /// Each input and where its results go.
    pub jobs: Vec<Job>,
    /// The header aliases: the `--map` file read, with `--keep-column`'s columns.
    pub map: HeaderMap,
    /// Lines for the user (a results CSV renamed beside a workbook), before the config's.
    pub notes: Vec<String>,
}

/// The `--map` file read, then each input's job laid out (the inputs exist, `-o`'s folder
/// does): refused as the command line is (exit 2), with the same words, before anything is
/// logged, made or read.
pub(super) fn lay_out(config: &Config) -> Result<Laid, FatalError> {
    let mut map = match config.map_file() {
        Some(p) => HeaderMap::load(p).map_err(|e| ConfigError::Invalid(e.to_string()))?,
        None => HeaderMap::default(),
    };
    for header in config.keep_columns() {
        map.keep(header);
    }
    let mut notes = Vec::new();
    let jobs = config.outputs().lay_out(&ThisMachine, &mut notes)?;
    Ok(Laid { jobs, map, notes })
}

/// The disk of this machine, as laying out the jobs asks of it.
struct ThisMachine;

impl Disk for ThisMachine {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn same_file(&self, a: &Path, b: &Path) -> bool {
        crate::guard::same_file(a, b)
    }
}

/// Every run's results files, locked for the run, before any request; one that holds live
/// outcomes is refused unless the run resumes or overwrites it (a dry run and a plan included).
pub(super) fn lock_outputs(
    config: &Config,
    jobs: &[Job],
) -> Result<Vec<crate::guard::Held>, FatalError> {
    let keep = config.overwrite() || config.mode() == RunMode::Resume;
    let mut locks = Vec::new();
    for job in jobs {
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
    jobs: &[Job],
    mode: RunMode,
) -> Result<Vec<crate::guard::Held>, FatalError> {
    let mut held = Vec::new();
    if !mode.writes() {
        return Ok(held);
    }
    if let Some((endpoint, credentials)) = config.submit().and_then(SubmitConfig::account) {
        held.extend(crate::guard::lock_account(
            endpoint.base(),
            &credentials.key,
        )?);
    }
    for job in jobs {
        held.extend(crate::guard::lock_input(&job.input)?);
    }
    Ok(held)
}

/// The folders an output pattern names (`-o results/{stem}-{date}.csv`), made before anything
/// is read or sent.
pub(super) fn output_folders(jobs: &[Job]) -> Result<(), FatalError> {
    for dir in jobs.iter().filter_map(|j| j.folder.as_ref()) {
        std::fs::create_dir_all(dir).map_err(FatalError::output(dir))?;
    }
    Ok(())
}

/// The report's folder must be there before any row is read or request made, so a long run
/// does not end unable to write it.
pub(super) fn report_folder(path: &Path) -> Result<(), FatalError> {
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
