//! Job planning: each input file paired with its results file (beside it, in a folder, or
//! from a pattern) and the workbook made from it, checked so no two collide.

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

/// `<stem>.results.csv` beside each input; `-o` names the file (one input) or a directory,
/// or is a pattern.
pub(super) fn jobs(
    files: &[PathBuf],
    output: Option<&Path>,
    bom: Option<bool>,
    excel_safe: bool,
    format: ResultsFormat,
    notes: &mut Vec<String>,
) -> Result<Vec<Job>, ConfigError> {
    for f in files {
        if !f.is_file() {
            return Err(ConfigError::NoInput(format!(
                "{}: no such file",
                f.display()
            )));
        }
    }
    let default_name = |f: &Path| results_name(f);
    if let Some(o) = output.filter(|o| !profile::is_pattern(o)) {
        refuse_missing_folder(o)?;
    }
    let pattern = output.is_some_and(profile::is_pattern);
    let pairs: Vec<(PathBuf, PathBuf)> = match output {
        Some(o) if profile::is_pattern(o) => pattern_jobs(files, o)?,
        None => files
            .iter()
            .map(|f| (f.clone(), f.with_file_name(default_name(f))))
            .collect(),
        Some(o) if files.len() == 1 && !o.is_dir() => vec![(files[0].clone(), o.to_path_buf())],
        Some(o) if o.is_dir() => files
            .iter()
            .map(|f| (f.clone(), o.join(default_name(f))))
            .collect(),
        Some(o) => {
            return Err(invalid(format!(
                "-o {}: with several inputs, -o must name an existing directory (or be a pattern with {{stem}})",
                o.display()
            )));
        }
    };
    let jobs: Vec<Job> = pairs
        .into_iter()
        .map(|(input, output)| {
            // A workbook asked for by name (`-o results.xlsx`) or by --results-format: the
            // results CSV is written beside it and the workbook made from it at the end.
            let named = output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let (output, workbook) = if named {
                (csv_beside(&output, files, notes), Some(output))
            } else if format == ResultsFormat::Xlsx {
                (output.clone(), Some(output.with_extension("xlsx")))
            } else {
                (output, None)
            };
            let folder = output
                .parent()
                .filter(|d| pattern && !d.as_os_str().is_empty())
                .map(Path::to_path_buf);
            Job {
                bom,
                folder,
                excel_safe,
                input,
                output,
                workbook,
            }
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for j in &jobs {
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
    Ok(jobs)
}

/// The results CSV written beside a workbook asked for by name: `x.xlsx` → `x.csv`, unless
/// that is an input of the run (`validate leads.csv -o leads.xlsx`): then `x.results.csv`,
/// and a note says so.
fn csv_beside(workbook: &Path, inputs: &[PathBuf], notes: &mut Vec<String>) -> PathBuf {
    let plain = workbook.with_extension("csv");
    if !inputs.iter().any(|i| crate::guard::same_file(i, &plain)) {
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
fn refuse_missing_folder(o: &Path) -> Result<(), ConfigError> {
    let text = o.to_string_lossy();
    let names_a_folder = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    if names_a_folder && !o.is_dir() {
        return Err(invalid(format!(
            "-o {}: no such folder (create it first)",
            o.display()
        )));
    }
    if let Some(dir) = o.parent().filter(|d| !d.as_os_str().is_empty())
        && !names_a_folder
        && !dir.is_dir()
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
    use super::results_name;
    use std::path::Path;

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
