//! What keeps a run from harming the user's files: no output may be an input (compared by
//! identity, not spelling), one run per results file at a time, and outcomes of an earlier
//! live run are never overwritten silently.

mod lock;
mod open;

use std::path::{Path, PathBuf};

pub(crate) use lock::{Held, lock_account, lock_input};
pub(crate) use open::{How, open_output, register_inputs};

use crate::config::Config;
use crate::error::FatalError;
use crate::results::journal::{self, read_done};

/// A file's identity: device and inode where the platform has them, else its canonical path.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        path.canonicalize().ok().map(Identity::Path)
    }
}

/// Where a file that may not exist yet would be: its directory, canonicalised, and its name.
fn would_be(path: &Path) -> Option<PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(path.file_name()?))
}

/// Whether two paths are one file: by identity when both exist, else by where they would be.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (identity(a), identity(b)) {
        (Some(x), Some(y)) => x == y,
        _ => would_be(a).is_some_and(|x| would_be(b).is_some_and(|y| x == y)),
    }
}

fn refuse(why: String) -> FatalError {
    FatalError::Plan(crate::input::plan::PlanError(why))
}

/// Refuses (exit 2, before anything is opened for writing) a run where any file it would
/// write — a results file, its journal, its `.partial`, its lock, the workbook, the report —
/// is one of the run's inputs or a symbolic link.
pub(crate) fn check_outputs(config: &Config) -> Result<(), FatalError> {
    for job in &config.jobs {
        if let Some(dir) = job.output.parent().filter(|p| !p.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(FatalError::Plan(crate::input::plan::PlanError(format!(
                "{}: the folder {} does not exist",
                job.output.display(),
                dir.display()
            ))));
        }
        let paths = job.paths();
        let mut outputs: Vec<std::path::PathBuf> =
            paths.all().iter().map(|p| p.to_path_buf()).collect();
        outputs.extend(job.workbook.clone());
        outputs.extend(config.report.clone());
        for out in &outputs {
            for other in &config.jobs {
                if same_file(out, &other.input) {
                    return Err(FatalError::Plan(crate::input::plan::PlanError(format!(
                        "{} would overwrite the input {}: choose another -o",
                        out.display(),
                        other.input.display()
                    ))));
                }
            }
            if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(refuse(format!(
                    "{} is a symbolic link; outputs are never written through a link: remove it or choose another -o",
                    out.display()
                )));
            }
        }
    }
    Ok(())
}

/// Takes the lock beside `results` (one run writes it) or says which process holds it.
pub(crate) fn lock_output(results: &Path) -> Result<Held, FatalError> {
    let path = crate::results::paths::Paths::of(results).lock;
    lock::take(&path, &|pid| {
        let who = match pid {
            Some(p) => format!("another ivvy-import (pid {p})"),
            None => "another ivvy-import".to_string(),
        };
        format!(
            "{who} is writing {}; wait for it to finish",
            results.display()
        )
    })
}

/// Refuses to replace a results file that holds outcomes of an earlier live run, or whose
/// journal holds creates sent with no known outcome.
pub(crate) fn refuse_to_overwrite(results: &Path) -> Result<(), FatalError> {
    let jpath = crate::results::paths::Paths::of(results).journal;
    let outcomes = if results.exists() {
        read_done(results).map(|d| d.len()).unwrap_or(0)
    } else {
        0
    };
    let unfinished = journal::Journal::recover(&jpath)
        .map(|r| r.unfinished())
        .unwrap_or(0);
    if outcomes == 0 && unfinished == 0 {
        return Ok(());
    }
    let what = if outcomes > 0 {
        format!(
            "{} holds {outcomes} outcomes of an earlier run",
            results.display()
        )
    } else {
        format!(
            "{} has {unfinished} creates sent by an earlier run with no known outcome",
            jpath.display()
        )
    };
    Err(FatalError::Resume(format!(
        "{what}: --resume to finish that run, --overwrite to replace the file, or -o elsewhere"
    )))
}
