//! The run's one-page HTML report: what the page says of the run besides its rows.

use std::time::Duration;

use crate::config::{Config, Job, RunMode, Target};
use crate::error::FatalError;
use crate::report::{Collected, FileFacts, ReportInput};
use crate::summary::Summary;

/// The run's one-page HTML report.
pub(super) fn write_report(
    config: &Config,
    jobs: &[Job],
    summary: &Summary,
    seen: &Collected,
    path: &std::path::Path,
) -> Result<(), FatalError> {
    let report = report_input(config, jobs, summary)?;
    crate::report::write_html(&report, seen, path).map_err(FatalError::output(path))
}

fn report_input(
    config: &Config,
    jobs: &[Job],
    summary: &Summary,
) -> Result<ReportInput, FatalError> {
    let mode = summary.mode.word();
    let mut params = vec![
        (
            "match by name".to_string(),
            config.match_by_name().to_string(),
        ),
        (
            "allow duplicates".to_string(),
            config.allow_duplicates().to_string(),
        ),
    ];
    if let Some(s) = config.submit() {
        params.push(("rate".into(), format!("{} requests/s", s.pacing().rate())));
        params.push(("concurrency".into(), s.pacing().concurrency().to_string()));
        params.push((
            "bulk".into(),
            s.pacing()
                .batch_size()
                .map_or("no".into(), |n| format!("{n} rows a batch")),
        ));
    }
    if let Some(stop) = &summary.stopped {
        params.push(("stopped".into(), stop.reason.clone()));
    }
    let facts = |p: &std::path::Path| FileFacts::of(p).map_err(FatalError::output(p));
    let inputs = jobs
        .iter()
        .map(|j| facts(&j.input))
        .collect::<Result<Vec<_>, _>>()?;
    let map = config.map_file().map(facts).transpose()?;
    let started = time::OffsetDateTime::now_utc()
        - Duration::try_from_secs_f64(summary.elapsed_secs).unwrap_or_default();
    Ok(ReportInput {
        title: format!("ivvy-import {mode}"),
        when: when(started),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command: command_line(config, mode),
        account: config.submit().map(|s| match s.target() {
            Target::Remote { endpoint, .. } => endpoint.base().to_string(),
            Target::Sandbox { .. } => "the built-in emulator (--sandbox)".to_string(),
        }),
        inputs,
        map,
        params,
        timings: vec![
            ("elapsed".into(), format!("{:.2} s", summary.elapsed_secs)),
            (
                "rows per second".into(),
                format!("{:.1}", summary.rows_per_sec),
            ),
            ("requests".into(), summary.requests.to_string()),
        ],
    })
}

/// `2026-12-06 01:54:48 UTC`.
fn when(t: time::OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.format(format).unwrap_or_default()
}

/// The command and the flags that change what the run does; never a key or a secret.
fn command_line(config: &Config, mode: &str) -> String {
    let mut words: Vec<String> = vec!["ivvy-import".into(), mode.into()];
    words.extend(
        config
            .outputs()
            .inputs()
            .iter()
            .map(|i| quoted(&i.display().to_string())),
    );
    if let Some(k) = config.kind() {
        words.push(format!("--kind {}s", k.as_str()));
    }
    for sheet in &config.read_options().sheets {
        words.push(format!("--sheet {}", quoted(sheet)));
    }
    if let Some(m) = config.map_file() {
        words.push(format!("--map {}", quoted(&m.display().to_string())));
    }
    let flags = [
        (config.read_options().decimal_comma, "--decimal-comma"),
        (config.match_by_name(), "--match-by-name"),
        (config.allow_duplicates(), "--allow-duplicates"),
    ];
    words.extend(
        flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| f.to_string()),
    );
    if let Some(s) = config.submit() {
        let flags = [
            (config.mode() == RunMode::Resume, "--resume"),
            (config.overwrite(), "--overwrite"),
            (s.reconcile_by_name(), "--reconcile-by-name"),
            (matches!(s.target(), Target::Sandbox { .. }), "--sandbox"),
        ];
        words.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| f.to_string()),
        );
        if let Some(n) = s.pacing().batch_size() {
            words.push(format!("--bulk --batch-size {n}"));
        }
        words.push(format!("--rate {}", s.pacing().rate()));
        words.push(format!("--concurrency {}", s.pacing().concurrency()));
    }
    words.join(" ")
}

/// A word as a shell would need it: quoted when it holds a space or a quote.
fn quoted(w: &str) -> String {
    if w.chars()
        .any(|c| c.is_whitespace() || matches!(c, '\'' | '"' | '$' | '`'))
    {
        format!("'{}'", w.replace('\'', "'\\''"))
    } else {
        w.to_string()
    }
}
