//! What keeps a run from harming the user's files: no output may be an input (compared by
//! identity, not spelling), one run per results file at a time, and outcomes of an earlier
//! live run are never overwritten silently.

mod lock;
mod open;

use std::path::{Path, PathBuf};

pub(crate) use lock::{Held, lock_account, lock_input};
pub(crate) use open::{How, open_output, register_inputs};

use crate::config::Job;
use crate::error::FatalError;
use crate::outcome::Status;
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
pub(crate) fn check_outputs(jobs: &[Job], report: Option<&Path>) -> Result<(), FatalError> {
    for job in jobs {
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
        outputs.extend(report.map(Path::to_path_buf));
        for out in &outputs {
            for other in jobs {
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

/// Whether `results` may hold a done status: false only when the file exists and none of the
/// done statuses' words occurs anywhere in it. A dry run's or a plan's results (hundreds of
/// megabytes for a large file) are told apart with a byte search, without parsing each line.
fn may_hold_outcomes(results: &Path) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(results) else {
        return false;
    };
    let words: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|s| s.is_done())
        .map(Status::as_str)
        .collect();
    let finders: Vec<_> = words.iter().map(memchr::memmem::Finder::new).collect();
    let keep = words.iter().map(|w| w.len()).max().unwrap_or(0);
    let mut buf = vec![0u8; 1 << 20];
    // The last bytes of each chunk start the next, so a word across the seam is found.
    let mut carried = 0;
    loop {
        let n = match file.read(&mut buf[carried..]) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(_) => return true,
        };
        let filled = carried + n;
        if finders.iter().any(|f| f.find(&buf[..filled]).is_some()) {
            return true;
        }
        carried = keep.min(filled);
        buf.copy_within(filled - carried..filled, 0);
    }
}

/// Refuses to replace a results file that holds outcomes of an earlier live run, or whose
/// journal holds creates sent with no known outcome.
pub(crate) fn refuse_to_overwrite(results: &Path) -> Result<(), FatalError> {
    let jpath = crate::results::paths::Paths::of(results).journal;
    let outcomes = if may_hold_outcomes(results) {
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

#[cfg(test)]
mod tests {
    use super::may_hold_outcomes;

    #[test]
    fn a_done_word_is_found_anywhere_even_across_a_chunk_seam() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let filler = "2,,source,valid,,,,,\n".repeat(60_000);
        std::fs::write(&path, &filler).unwrap();
        assert!(!may_hold_outcomes(&path), "a dry run's results hold none");
        assert!(!may_hold_outcomes(&dir.path().join("missing.csv")));
        // Put "unchanged" across the 1 MiB seam, at every offset around it.
        for shift in 0..10 {
            let mut text = filler.clone().into_bytes();
            text.truncate((1 << 20) - shift);
            text.extend_from_slice(b"unchanged,\n");
            std::fs::write(&path, &text).unwrap();
            assert!(may_hold_outcomes(&path), "shift {shift}");
        }
    }
}
