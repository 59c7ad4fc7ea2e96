//! Results files for the report's tests, and counts taken from them independently.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::super::ReportInput;

pub(super) fn write_csv(
    dir: &Path,
    name: &str,
    bom: bool,
    header: &[&str],
    rows: &[Vec<&str>],
) -> PathBuf {
    let path = dir.join(name);
    let mut f = fs::File::create(&path).unwrap();
    if bom {
        f.write_all(b"\xEF\xBB\xBF").unwrap();
    }
    let mut w = csv::Writer::from_writer(f);
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    path
}

/// A results file's header with these echoed columns.
pub(super) fn header(echoed: &[&'static str]) -> Vec<&'static str> {
    crate::outcome::RESULT_COLUMNS
        .into_iter()
        .chain(echoed.iter().copied())
        .collect()
}

/// 25 rows with an ambiguous cost, some other problems, some successes.
pub(super) fn sample_rows() -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for i in 0..25 {
        let cost = format!("{i},5");
        rows.push(vec![
            (i + 2).to_string(),
            String::new(),
            "source".into(),
            "invalid".into(),
            String::new(),
            String::new(),
            String::new(),
            format!(
                "Cost (AUD): {cost:?} is ambiguous (decimal comma or thousands separator?); \
                 write it with a decimal point, e.g. 7.5 or 7500"
            ),
            format!("Source {i}"),
            cost,
        ]);
    }
    rows.push(vec![
        "27".into(),
        String::new(),
        "source".into(),
        "invalid".into(),
        String::new(),
        String::new(),
        String::new(),
        "Name: is required when there is no id; Cost (AUD): \"x\" is not an amount".into(),
        String::new(),
        "x".into(),
    ]);
    for i in 0..3 {
        rows.push(vec![
            (28 + i).to_string(),
            String::new(),
            "source".into(),
            "created".into(),
            (700 + i).to_string(),
            String::new(),
            String::new(),
            String::new(),
            format!("Fine {i}"),
            "10".into(),
        ]);
    }
    rows.push(vec![
        "31".into(),
        String::new(),
        "source".into(),
        "failed".into(),
        String::new(),
        "400".into(),
        "24325".into(),
        "The name is in use; pick another".into(),
        "Taken".into(),
        "1".into(),
    ]);
    rows
}

pub(super) fn sample_file(dir: &Path) -> PathBuf {
    let rows = sample_rows();
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    write_csv(
        dir,
        "sources.results.csv",
        true,
        &header(&["Name", "Cost (AUD)"]),
        &rows,
    )
}

pub(super) fn input(files: Vec<PathBuf>) -> ReportInput {
    ReportInput {
        title: "ivvy-import import".into(),
        params: vec![("rate".into(), "5".into())],
        timings: vec![("total".into(), "1.2 s".into())],
        results_files: files,
    }
}

/// Counts statuses straight from the CSV, independently of the module's reader.
pub(super) fn count_statuses(path: &Path) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    let mut r = csv::Reader::from_path(path).unwrap();
    for rec in r.records() {
        *counts.entry(rec.unwrap()[3].to_string()).or_default() += 1;
    }
    counts
}
