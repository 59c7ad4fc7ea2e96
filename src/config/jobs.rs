//! Job planning: each input file paired with its results file (beside it, in a folder, or
//! from a pattern) and the workbook made from it, checked so no two collide. The flags give
//! [`Outputs`]; the run lays them out into [`Job`]s, answering what this asks of the disk
//! ([`Disk`]: does an input exist, is `-o` a folder, is a file an input) — checking the
//! flags reads nothing.

use std::path::{Path, PathBuf};

use super::{ConfigError, invalid};
use crate::cli::ResultsFormat;
use crate::profile;

/// One input file and where its results go.
#[derive(Debug, Clone)]
pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
    /// Start the results file with a UTF-8 byte-order mark (for Excel): `--bom` or
    /// `--no-bom`; None: as the input suggests (the run looks at it).
    pub bom: Option<bool>,
    /// The folder an output pattern names (`results/{stem}-{date}.csv`), made by the run.
    pub folder: Option<PathBuf>,
    /// Formula-like cells of the results CSV get a leading `'` (`--excel-safe-csv`).
    pub excel_safe: bool,
    /// The results workbook made from it at the end, when asked for.
    pub workbook: Option<PathBuf>,
}

impl Job {
    /// The files beside its results file (journal, `.partial`, lock), named in one place.
    pub(crate) fn paths(&self) -> crate::results::paths::Paths {
        crate::results::paths::Paths::of(&self.output)
    }
}

/// The default results file name of an input: `x.csv` → `x.results.csv`; a results file
/// fed back in, `x.results.csv` → `x.results.2.csv`, `x.results.N.csv` → `x.results.N+1.csv`.
pub fn results_name(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
    if let Some(base) = stem.strip_suffix(".results") {
        return format!("{base}.results.2.csv");
    }
    if let Some((base, n)) = stem.rsplit_once(".results.")
        && let Ok(n) = n.parse::<u32>()
    {
        return format!("{base}.results.{}.csv", n + 1);
    }
    format!("{stem}.results.csv")
}

/// What laying out the jobs asks of the disk: the run answers (the flags are checked
/// without reading anything).
pub(crate) trait Disk {
    /// An existing file (not a folder).
    fn is_file(&self, path: &Path) -> bool;
    /// An existing folder.
    fn is_dir(&self, path: &Path) -> bool;
    /// The two paths name one file.
    fn same_file(&self, a: &Path, b: &Path) -> bool;
}

/// Where results go, as the flags say (`-o`, `--bom`/`--no-bom`, `--excel-safe-csv`,
/// `--results-format`): laid out into one [`Job`] per input by the run.
#[derive(Debug, Clone)]
pub struct Outputs {
    files: Vec<PathBuf>,
    output: Option<PathBuf>,
    bom: Option<bool>,
    excel_safe: bool,
    format: ResultsFormat,
}

impl Outputs {
    pub(super) fn new(
        files: Vec<PathBuf>,
        output: Option<PathBuf>,
        bom: Option<bool>,
        excel_safe: bool,
        format: ResultsFormat,
    ) -> Outputs {
        Outputs {
            files,
            output,
            bom,
            excel_safe,
            format,
        }
    }

    /// The input files, in the order given.
    pub fn inputs(&self) -> &[PathBuf] {
        &self.files
    }

    /// `--bom` (Some(true)), `--no-bom` (Some(false)); None: as the input suggests (the run
    /// looks at it).
    pub fn bom(&self) -> Option<bool> {
        self.bom
    }

    /// One job per input, in order: every input must be a file, `-o` must name an existing
    /// folder (or a file in one, or be a pattern), and no results file may be an input or
    /// another's. Lines for the user (a results CSV renamed beside a workbook) go to `notes`.
    pub(crate) fn lay_out(
        &self,
        disk: &impl Disk,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Job>, ConfigError> {
        let pattern = self.output.as_deref().is_some_and(profile::is_pattern);
        let jobs: Vec<Job> = pairs(disk, &self.files, self.output.as_deref())?
            .into_iter()
            .map(|(input, output)| {
                // A workbook asked for by name (`-o results.xlsx`) or by --results-format: the
                // results CSV is written beside it and the workbook made from it at the end.
                let named = output
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
                let (output, workbook) = if named {
                    (csv_beside(disk, &output, &self.files, notes), Some(output))
                } else if self.format == ResultsFormat::Xlsx {
                    (output.clone(), Some(output.with_extension("xlsx")))
                } else {
                    (output, None)
                };
                let folder = output
                    .parent()
                    .filter(|d| pattern && !d.as_os_str().is_empty())
                    .map(Path::to_path_buf);
                Job {
                    bom: self.bom,
                    folder,
                    excel_safe: self.excel_safe,
                    input,
                    output,
                    workbook,
                }
            })
            .collect();
        refuse_collisions(&jobs)?;
        Ok(jobs)
    }
}

/// Each input's results file from a pattern such as `results/{stem}-{date}.csv` (the folders
/// it names are made by the run).
fn pattern_jobs(files: &[PathBuf], pattern: &Path) -> Result<Vec<(PathBuf, PathBuf)>, ConfigError> {
    let now = profile::now();
    let mut out = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
        let path = profile::expand(&pattern.to_string_lossy(), Some(&stem), now)
            .map(PathBuf::from)
            .map_err(|e| invalid(format!("-o {e}")))?;
        out.push((f.clone(), path));
    }
    Ok(out)
}

/// Each input and its results file: `<stem>.results.csv` beside each input; `-o` names the
/// file (one input) or a directory, or is a pattern.
fn pairs(
    disk: &impl Disk,
    files: &[PathBuf],
    output: Option<&Path>,
) -> Result<Vec<(PathBuf, PathBuf)>, ConfigError> {
    for f in files {
        if !disk.is_file(f) {
            return Err(ConfigError::NoInput(format!(
                "{}: no such file",
                f.display()
            )));
        }
    }
    let default_name = |f: &Path| results_name(f);
    if let Some(o) = output.filter(|o| !profile::is_pattern(o)) {
        refuse_missing_folder(disk, o)?;
    }
    Ok(match output {
        Some(o) if profile::is_pattern(o) => pattern_jobs(files, o)?,
        None => files
            .iter()
            .map(|f| (f.clone(), f.with_file_name(default_name(f))))
            .collect(),
        Some(o) if files.len() == 1 && !disk.is_dir(o) => vec![(files[0].clone(), o.to_path_buf())],
        Some(o) if disk.is_dir(o) => files
            .iter()
            .map(|f| (f.clone(), o.join(default_name(f))))
            .collect(),
        Some(o) => {
            return Err(invalid(format!(
                "-o {}: with several inputs, -o must name an existing directory (or be a pattern with {{stem}})",
                o.display()
            )));
        }
    })
}

/// No results file is its input or another input's.
fn refuse_collisions(jobs: &[Job]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for j in jobs {
        if j.output == j.input {
            return Err(invalid(format!(
                "{}: the results file would overwrite its input",
                j.input.display()
            )));
        }
        if !seen.insert(j.output.clone()) {
            return Err(invalid(format!(
                "two inputs would write the same results file {}",
                j.output.display()
            )));
        }
    }
    Ok(())
}

/// The results CSV written beside a workbook asked for by name: `x.xlsx` → `x.csv`, unless
/// that is an input of the run (`validate leads.csv -o leads.xlsx`): then `x.results.csv`,
/// and a note says so.
fn csv_beside(
    disk: &impl Disk,
    workbook: &Path,
    inputs: &[PathBuf],
    notes: &mut Vec<String>,
) -> PathBuf {
    let plain = workbook.with_extension("csv");
    if !inputs.iter().any(|i| disk.same_file(i, &plain)) {
        return plain;
    }
    let stem = workbook
        .file_stem()
        .map_or_else(|| "results".into(), |s| s.to_string_lossy().into_owned());
    let csv = workbook.with_file_name(format!("{stem}.results.csv"));
    notes.push(format!(
        "{}: the results CSV beside it is {} ({} is an input)",
        workbook.display(),
        csv.display(),
        plain.display()
    ));
    csv
}

/// An `-o` whose folder does not exist is refused before anything is read, naming it:
/// `-o nosuch/` or `-o nosuch/out.csv`.
fn refuse_missing_folder(disk: &impl Disk, o: &Path) -> Result<(), ConfigError> {
    let text = o.to_string_lossy();
    let names_a_folder = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    if names_a_folder && !disk.is_dir(o) {
        return Err(invalid(format!(
            "-o {}: no such folder (create it first)",
            o.display()
        )));
    }
    if let Some(dir) = o.parent().filter(|d| !d.as_os_str().is_empty())
        && !names_a_folder
        && !disk.is_dir(dir)
    {
        return Err(invalid(format!(
            "-o {}: the folder {} does not exist (create it first)",
            o.display(),
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Disk, Outputs, results_name};
    use crate::cli::ResultsFormat;
    use std::path::{Path, PathBuf};

    /// A disk of named files and folders, nothing else.
    struct Told {
        files: Vec<&'static str>,
        dirs: Vec<&'static str>,
    }

    impl Disk for Told {
        fn is_file(&self, path: &Path) -> bool {
            self.files.iter().any(|f| Path::new(f) == path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.dirs.iter().any(|d| Path::new(d) == path)
        }
        fn same_file(&self, a: &Path, b: &Path) -> bool {
            a == b
        }
    }

    fn outputs(files: &[&str], output: Option<&str>) -> Outputs {
        Outputs::new(
            files.iter().map(PathBuf::from).collect(),
            output.map(PathBuf::from),
            None,
            false,
            ResultsFormat::Csv,
        )
    }

    fn outputs_of(laid: &[super::Job]) -> Vec<PathBuf> {
        laid.iter().map(|j| j.output.clone()).collect()
    }

    #[test]
    fn the_disk_says_whether_o_is_a_folder_or_a_file() {
        let disk = Told {
            files: vec!["a.csv", "b.csv"],
            dirs: vec!["out"],
        };
        let mut notes = Vec::new();
        let laid = outputs(&["a.csv"], Some("out")).lay_out(&disk, &mut notes);
        assert_eq!(
            outputs_of(&laid.unwrap()),
            [PathBuf::from("out/a.results.csv")]
        );
        let laid = outputs(&["a.csv"], Some("o.csv")).lay_out(&disk, &mut notes);
        assert_eq!(outputs_of(&laid.unwrap()), [PathBuf::from("o.csv")]);
        let two = outputs(&["a.csv", "b.csv"], Some("o.csv")).lay_out(&disk, &mut notes);
        assert!(two.unwrap_err().to_string().contains("existing directory"));
        let missing = outputs(&["a.csv", "c.csv"], None).lay_out(&disk, &mut notes);
        assert_eq!(missing.unwrap_err().to_string(), "c.csv: no such file");
        let no_folder = outputs(&["a.csv"], Some("nodir/o.csv")).lay_out(&disk, &mut notes);
        assert!(
            no_folder
                .unwrap_err()
                .to_string()
                .contains("nodir does not exist")
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_workbook_beside_its_input_gets_a_renamed_results_csv_and_a_note() {
        let disk = Told {
            files: vec!["a.csv"],
            dirs: vec![],
        };
        let mut notes = Vec::new();
        let laid = outputs(&["a.csv"], Some("a.xlsx"))
            .lay_out(&disk, &mut notes)
            .unwrap();
        assert_eq!(outputs_of(&laid), [PathBuf::from("a.results.csv")]);
        assert_eq!(laid[0].workbook.as_deref(), Some(Path::new("a.xlsx")));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("a.csv is an input"), "{notes:?}");
    }

    #[test]
    fn a_results_file_fed_back_gets_the_next_number() {
        assert_eq!(results_name(Path::new("crm.xlsx")), "crm.results.csv");
        assert_eq!(
            results_name(Path::new("dir/crm.results.csv")),
            "crm.results.2.csv"
        );
        assert_eq!(
            results_name(Path::new("crm.results.2.csv")),
            "crm.results.3.csv"
        );
        assert_eq!(
            results_name(Path::new("a.results.x.csv")),
            "a.results.x.results.csv"
        );
    }
}
