//! The run's one-page HTML report.

use crate::config::Config;
use crate::error::FatalError;
use crate::summary::{Mode, Summary};

/// The run's one-page HTML report.
pub(super) fn write_report(
    config: &Config,
    summary: &Summary,
    path: &std::path::Path,
) -> Result<(), FatalError> {
    let mode = match summary.mode {
        Mode::Validate => "validate",
        Mode::Plan => "plan",
        Mode::Import => "import",
    };
    let mut params = vec![
        ("command".to_string(), mode.to_string()),
        (
            "files".to_string(),
            config
                .jobs
                .iter()
                .map(|j| j.input.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "match by name".to_string(),
            config.match_by_name.to_string(),
        ),
        (
            "allow duplicates".to_string(),
            config.allow_duplicates.to_string(),
        ),
    ];
    if let Some(s) = &config.submit {
        params.push(("rate".into(), format!("{} requests/s", s.pacing.rate)));
        params.push(("concurrency".into(), s.pacing.concurrency.to_string()));
        params.push((
            "bulk".into(),
            s.pacing
                .batch_size
                .map_or("no".into(), |n| format!("{n} rows a batch")),
        ));
    }
    if let Some(stop) = &summary.stopped {
        params.push(("stopped".into(), stop.reason.clone()));
    }
    let report = crate::report::ReportInput {
        title: format!("ivvy-import {mode}"),
        params,
        timings: vec![
            ("elapsed".into(), format!("{:.2} s", summary.elapsed_secs)),
            (
                "rows per second".into(),
                format!("{:.1}", summary.rows_per_sec),
            ),
            ("requests".into(), summary.requests.to_string()),
        ],
        results_files: config.jobs.iter().map(|j| j.output.clone()).collect(),
    };
    crate::report::write_html(&report, path).map_err(FatalError::output(path))
}
