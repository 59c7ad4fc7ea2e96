//! One run at a time: advisory locks held for the whole run. Beside the results file (one
//! run writes it), and in the user's runtime folder one per account (base URL and a hash of
//! the API key, never the key itself) and one per input file (device and inode). A second
//! run is refused with the holder's pid. Runs on other machines are not seen.
//!
//! A lock file is created afresh (`O_EXCL`, never through a link) and removed at the end; a
//! stale one (left by a crash) is locked, removed and created again, never truncated.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use super::open::{How, check_alone, check_open, open_output};
use crate::error::FatalError;

/// A lock held until dropped; its file is then removed.
pub(crate) struct Held {
    path: PathBuf,
    file: File,
}

impl Drop for Held {
    fn drop(&mut self) {
        // Only the file this run locked: another run may have made a new one meanwhile.
        if same_inode(&self.path, &self.file) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn same_inode(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::symlink_metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}

fn output(path: &Path) -> impl Fn(std::io::Error) -> FatalError + '_ {
    FatalError::output(path)
}

/// Takes the lock at `path`; `busy` words the refusal from the holder's pid.
pub(crate) fn take(path: &Path, busy: &dyn Fn(Option<&str>) -> String) -> Result<Held, FatalError> {
    for _ in 0..4 {
        let mut file = match open_output(path, How::New) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut o = OpenOptions::new();
                o.read(true).write(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    o.custom_flags(libc::O_NOFOLLOW);
                }
                match o.open(path) {
                    Ok(f) => {
                        check_open(path, &f)
                            .and_then(|()| check_alone(path, &f))
                            .map_err(output(path))?;
                        if f.try_lock().is_err() {
                            let mut pid = String::new();
                            let _ = (&f).take(32).read_to_string(&mut pid);
                            let pid = pid.trim();
                            return Err(FatalError::Resume(busy(
                                (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
                                    .then_some(pid),
                            )));
                        }
                        // A stale lock of a run that ended without removing it: removed and
                        // made again, while it is held.
                        if same_inode(path, &f) {
                            std::fs::remove_file(path).map_err(output(path))?;
                        }
                        continue;
                    }
                    // Removed meanwhile: try again.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(output(path)(e)),
                }
            }
            Err(e) => return Err(output(path)(e)),
        };
        if file.try_lock().is_err() || !same_inode(path, &file) {
            // Another run took the new file first, or replaced it.
            continue;
        }
        write!(file, "{}", std::process::id()).map_err(output(path))?;
        return Ok(Held {
            path: path.to_path_buf(),
            file,
        });
    }
    Err(FatalError::Resume(busy(None)))
}

/// The folders of this user's locks: `$XDG_RUNTIME_DIR/ivvy-import` when the session has
/// one, and always `$XDG_STATE_HOME/ivvy-import/locks` (else `~/.local/state/…`): a cron job
/// has no runtime folder, so a lock there alone would not see an interactive run.
pub(crate) fn lock_dirs() -> Vec<PathBuf> {
    let abs = |v: &str| {
        std::env::var_os(v)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let mut dirs: Vec<PathBuf> = abs("XDG_RUNTIME_DIR")
        .map(|run| run.join("ivvy-import"))
        .into_iter()
        .collect();
    if let Some(state) =
        abs("XDG_STATE_HOME").or_else(|| abs("HOME").map(|h| h.join(".local/state")))
    {
        dirs.push(state.join("ivvy-import").join("locks"));
    }
    dirs
}

/// Takes the lock `name` in every lock folder.
fn take_everywhere(
    name: &str,
    busy: &dyn Fn(Option<&str>) -> String,
) -> Result<Vec<Held>, FatalError> {
    let dirs = lock_dirs();
    if dirs.is_empty() {
        return Err(FatalError::Start(
            "no folder for locks: set XDG_RUNTIME_DIR, XDG_STATE_HOME or HOME".to_string(),
        ));
    }
    let mut held = Vec::new();
    for dir in dirs {
        ensure_dir(&dir)?;
        held.push(take(&dir.join(name), busy)?);
    }
    Ok(held)
}

fn ensure_dir(dir: &Path) -> Result<(), FatalError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(FatalError::output(dir))
}

/// The name of an account's lock: a hash of the base URL and the API key.
pub(crate) fn account_key(base_url: &str, api_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(b"ivvy-import account\0");
    h.update(base_url.as_bytes());
    h.update(b"\0");
    h.update(api_key.as_bytes());
    format!("account-{}.lock", &hex::encode(h.finalize())[..20])
}

/// One import per account at a time on this machine.
pub(crate) fn lock_account(base_url: &str, api_key: &str) -> Result<Vec<Held>, FatalError> {
    take_everywhere(&account_key(base_url, api_key), &|pid| {
        format!(
            "{} is importing into this account ({base_url}); wait for it to finish (runs on other machines are not seen)",
            holder(pid)
        )
    })
}

/// One import of an input file at a time on this machine, whatever its results file.
pub(crate) fn lock_input(input: &Path) -> Result<Vec<Held>, FatalError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(input).map_err(FatalError::output(input))?;
        let name = format!("input-{}-{}.lock", meta.dev(), meta.ino());
        take_everywhere(&name, &|pid| {
            format!(
                "{} is importing {}; wait for it to finish",
                holder(pid),
                input.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = input;
        Ok(Vec::new())
    }
}

fn holder(pid: Option<&str>) -> String {
    match pid {
        Some(p) => format!("another ivvy-import (pid {p})"),
        None => "another ivvy-import".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_refused_while_held_names_the_pid_and_is_removed_after() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let busy = |pid: Option<&str>| format!("held by {pid:?}");
        let held = take(&p, &busy).unwrap();
        let again = take(&p, &busy).err().unwrap().to_string();
        assert!(again.contains(&std::process::id().to_string()), "{again}");
        drop(held);
        assert!(!p.exists());
        // A stale lock file is taken over, not refused.
        std::fs::write(&p, "999999").unwrap();
        let held = take(&p, &busy).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            std::process::id().to_string()
        );
        drop(held);
    }

    #[test]
    fn the_account_lock_names_no_key() {
        let name = account_key("https://api.example", "KEY-123456");
        assert!(!name.contains("KEY") && !name.contains("123456"), "{name}");
        assert_ne!(name, account_key("https://api.example", "KEY-123457"));
    }
}
