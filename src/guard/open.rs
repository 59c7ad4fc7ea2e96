//! Opening an output so that it can never be an input: the last component is never followed
//! when it is a symbolic link (`O_NOFOLLOW`), nothing is truncated before the open file is
//! checked, and the open file (not its path) is compared with the run's inputs by device and
//! inode. A file that is not a regular file, or has other names (a hard link), is refused.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// How an output is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// Created when missing, emptied after the checks.
    Truncate,
    /// Created when missing, written at its end.
    Append,
    /// Created, never an existing file.
    New,
}

thread_local! {
    /// The (device, inode) of every input of the run on this thread (a run opens its outputs
    /// on the thread that runs it), registered before any output is opened.
    static INPUTS: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
}

/// The inputs registered for a run, forgotten when dropped.
#[must_use]
pub(crate) struct Registered(());

impl Drop for Registered {
    fn drop(&mut self) {
        INPUTS.with_borrow_mut(Vec::clear);
    }
}

/// Registers the run's inputs: no output opened while the guard lives may be one of them.
pub(crate) fn register_inputs<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Registered {
    let ids: Vec<(u64, u64)> = paths.into_iter().filter_map(file_id).collect();
    INPUTS.with_borrow_mut(|inputs| *inputs = ids);
    Registered(())
}

/// A path's (device, inode), following links (an input may be reached through one).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    id_of(&meta)
}

#[cfg(unix)]
fn id_of(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn id_of(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Refuses a file with other names (a hard link): for files this tool alone makes.
pub(crate) fn check_alone(path: &Path, file: &File) -> io::Result<()> {
    if links(&file.metadata()?) > 1 {
        return Err(refused(
            path,
            "has other names (a hard link); it is not this tool's",
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_meta: &std::fs::Metadata) -> u64 {
    1
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::other(format!("{}: {why}", path.display()))
}

/// Opens `path` for writing as `how` says, after the checks of the module's text.
pub(crate) fn open_output(path: &Path, how: How) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true);
    match how {
        How::Truncate => o.create(true),
        How::Append => o.create(true).append(true),
        How::New => o.create_new(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW).mode(0o666);
    }
    let file = o.open(path).map_err(|e| {
        #[cfg(unix)]
        let looped = e.raw_os_error() == Some(libc::ELOOP);
        #[cfg(not(unix))]
        let looped = false;
        if looped {
            refused(
                path,
                "is a symbolic link; outputs are never written through a link",
            )
        } else {
            e
        }
    })?;
    check_open(path, &file)?;
    if how == How::Truncate {
        file.set_len(0)?;
    }
    Ok(file)
}

/// Checks an open output: a regular file that is none of the inputs.
pub(crate) fn check_open(path: &Path, file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refused(path, "is not a regular file"));
    }
    if let Some(id) = id_of(&meta)
        && INPUTS.with_borrow(|inputs| inputs.contains(&id))
    {
        return Err(refused(path, "is one of the inputs; choose another output"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_link_or_an_input_is_never_opened_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, "name\nA\n").unwrap();
        let _inputs = register_inputs([input.as_path()]);
        let link = dir.path().join("out.csv");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let e = open_output(&link, How::Truncate).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&input, &hard).unwrap();
        let e = open_output(&hard, How::Append).unwrap_err();
        assert!(e.to_string().contains("one of the inputs"), "{e}");
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "name\nA\n");
        let fine = dir.path().join("fine.csv");
        std::fs::write(&fine, "old").unwrap();
        drop(open_output(&fine, How::Truncate).unwrap());
        assert_eq!(std::fs::read_to_string(&fine).unwrap(), "");
        assert!(open_output(&fine, How::New).is_err());
    }
}
