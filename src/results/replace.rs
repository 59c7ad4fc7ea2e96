//! Creating a results file where an earlier one stands.
//!
//! Truncating a large file in place is slow on the filesystems people use: its blocks are
//! freed before the first line is written, and ext4 (its `auto_da_alloc` rule for files
//! rewritten after a truncate) pushes the whole new file to disk when it is closed. Instead a
//! new file is created beside the old one and renamed over it, and the old one (held open, so
//! the rename does not free it) is let go on a thread of its own while the run reads.
//!
//! Only a plain file that is ours alone is replaced so: a file with other names, or one owned
//! by someone else, is truncated in place as before. Every open goes through
//! `guard::open_output`: never through a symbolic link, never onto an input.

use std::fs::File;
use std::io;
use std::path::Path;
use std::thread::JoinHandle;

/// The earlier file's last handle, being closed on its own thread; waited for when dropped.
pub(crate) struct Released(Option<JoinHandle<()>>);

impl Drop for Released {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            let _ = t.join();
        }
    }
}

/// Creates `path` for writing, empty, replacing what is there (see the module's text).
pub(crate) fn create(path: &Path) -> io::Result<(File, Released)> {
    #[cfg(unix)]
    if let Some(done) = replace(path) {
        return Ok(done);
    }
    let file = crate::guard::open_output(path, crate::guard::How::Truncate)?;
    Ok((file, Released(None)))
}

/// Replaces a plain file of ours by a new empty one; `None` when that cannot be done (the
/// caller then truncates in place).
#[cfg(unix)]
fn replace(path: &Path) -> Option<(File, Released)> {
    use std::os::unix::fs::MetadataExt;

    let old = std::fs::symlink_metadata(path).ok()?;
    if !old.file_type().is_file() || old.nlink() != 1 || old.len() < (1 << 20) {
        return None;
    }
    let tmp = super::paths::Paths::replacement(path)?;
    let file = crate::guard::open_output(&tmp, crate::guard::How::New).ok()?;
    let swapped = (|| {
        let new = file.metadata().ok()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            return None;
        }
        file.set_permissions(old.permissions()).ok()?;
        let held = File::open(path).ok()?;
        std::fs::rename(&tmp, path).ok()?;
        Some(held)
    })();
    let Some(held) = swapped else {
        let _ = std::fs::remove_file(&tmp);
        return None;
    };
    let closer = std::thread::Builder::new()
        .name("results-release".into())
        .spawn(move || drop(held))
        .ok();
    Some((file, Released(closer)))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_large_file_is_replaced_by_an_empty_one_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.csv");
        std::fs::write(&p, vec![b'x'; 2 << 20]).unwrap();
        let (mut f, released) = create(&p).unwrap();
        f.write_all(b"row\n").unwrap();
        drop((f, released));
        assert_eq!(std::fs::read(&p).unwrap(), b"row\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn the_replaced_file_keeps_its_permissions_and_a_linked_file_is_truncated_in_place() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.csv");
        std::fs::write(&p, vec![b'x'; 2 << 20]).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let before = std::fs::metadata(&p).unwrap().ino();
        drop(create(&p).unwrap());
        let after = std::fs::metadata(&p).unwrap();
        assert_ne!(after.ino(), before, "a new file");
        assert_eq!(after.permissions().mode() & 0o777, 0o600);
        assert_eq!(after.len(), 0);

        // A second name for the file: both must keep naming the results.
        std::fs::write(&p, vec![b'x'; 2 << 20]).unwrap();
        let link = dir.path().join("link.csv");
        std::fs::hard_link(&p, &link).unwrap();
        let before = std::fs::metadata(&p).unwrap().ino();
        let (mut f, released) = create(&p).unwrap();
        f.write_all(b"row\n").unwrap();
        drop((f, released));
        assert_eq!(std::fs::metadata(&p).unwrap().ino(), before);
        assert_eq!(std::fs::read(&link).unwrap(), b"row\n");
    }
}
