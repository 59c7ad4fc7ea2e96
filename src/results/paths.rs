//! Every file written beside a results file, named in one place: the journal, the `.partial`
//! a resumed run writes before it replaces the results, the lock of the one run writing it,
//! and the temporary file an earlier results file is replaced through.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The files beside one results file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paths {
    pub results: PathBuf,
    /// `x.results.csv.journal`: created and updated rows, and creates sent.
    pub journal: PathBuf,
    /// `x.results.csv.partial`: a resumed run's results until they replace the old ones.
    pub partial: PathBuf,
    /// `x.results.csv.lock`: held by the one run writing the results.
    pub lock: PathBuf,
}

impl Paths {
    /// The files beside `results`.
    pub(crate) fn of(results: &Path) -> Paths {
        Paths {
            results: results.to_path_buf(),
            journal: beside(results, ".journal"),
            partial: beside(results, ".partial"),
            lock: beside(results, ".lock"),
        }
    }

    /// Every file a run may write beside the results, the results included: what the guard
    /// checks against the inputs.
    pub(crate) fn all(&self) -> [&Path; 4] {
        [&self.results, &self.journal, &self.partial, &self.lock]
    }

    /// The hidden temporary file `path` is replaced through: `.name.PID.new` beside it.
    pub(crate) fn replacement(path: &Path) -> Option<PathBuf> {
        let mut name = OsString::from(".");
        name.push(path.file_name()?);
        name.push(format!(".{}.new", std::process::id()));
        Some(path.with_file_name(name))
    }
}

/// `results` with `suffix` after its whole file name.
fn beside(results: &Path, suffix: &str) -> PathBuf {
    let mut name = results.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    results.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_sits_beside_the_results_under_its_whole_name() {
        let p = Paths::of(Path::new("out/crm.results.csv"));
        assert_eq!(p.journal, Path::new("out/crm.results.csv.journal"));
        assert_eq!(p.partial, Path::new("out/crm.results.csv.partial"));
        assert_eq!(p.lock, Path::new("out/crm.results.csv.lock"));
        assert_eq!(p.all().len(), 4);
        let tmp = Paths::replacement(Path::new("out/crm.results.csv")).unwrap();
        assert_eq!(
            tmp,
            Path::new(&format!("out/.crm.results.csv.{}.new", std::process::id()))
        );
    }
}
