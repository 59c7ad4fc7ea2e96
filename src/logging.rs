//! Diagnostics and the audit trail, through `tracing`.
//!
//! Two outputs, each with its own filter:
//! - stderr, for people: warnings by default, `-v` adds the start and end of a run, `-vv` every
//!   request. Lines go around the progress bars, never through them.
//! - `--log-file FILE`, for machines: flat JSON lines, appended — one per request (action,
//!   attempt, HTTP status, codes, latency, row), one at the start of a run (base URL, each
//!   input's size and SHA-1) and one at its end (the counts), plus every message the run
//!   printed. Every line has `event`, and `run`, `row` and `attempt` when it has them.
//!
//! Nothing here ever sees the API secret or the signed headers: the client hands over the
//! action, the status and the timing only.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Mutex;

use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::{FmtContext, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, fmt};

use crate::config::{Config, Job, Target};
use crate::error::FatalError;
use crate::summary::Summary;

pub(crate) use crate::config::LogOptions;
use crate::progress::MESSAGE;

mod json;

/// The start and end of a run.
pub(crate) const RUN: &str = "ivvy_import::run";

/// The level shown on stderr for a `-v` count.
fn stderr_level(verbose: u8) -> LevelFilter {
    match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Installs the subscriber for the process. Call once, before any work.
pub fn init(o: &LogOptions) -> Result<(), FatalError> {
    let level = stderr_level(o.verbose);
    // Other crates' diagnostics only at -vvv.
    let others = if o.verbose >= 3 {
        LevelFilter::DEBUG
    } else {
        LevelFilter::OFF
    };
    let stderr = fmt::layer()
        .with_ansi(false)
        .with_writer(StderrAroundBars)
        .event_format(Plain)
        .with_filter(
            Targets::new()
                .with_default(others)
                .with_target("ivvy_import", level)
                .with_target(MESSAGE, LevelFilter::OFF),
        );
    let file = match &o.file {
        None => None,
        Some(path) => Some(
            fmt::layer()
                .fmt_fields(fmt::format::JsonFields::new())
                .event_format(json::FlatJson)
                .with_writer(Mutex::new(open_log(path, &o.inputs)?))
                .with_filter(
                    Targets::new()
                        .with_default(LevelFilter::OFF)
                        .with_target("ivvy_import", level.max(LevelFilter::DEBUG)),
                ),
        ),
    };
    let subscriber = tracing_subscriber::registry().with(stderr).with(file);
    // A second call (tests calling into the library) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    if let Some(p) = &o.profile {
        tracing::info!(target: RUN, event = "profile", profile = %p);
    }
    Ok(())
}

/// Opens the log at start, before any request: never through a link, never an input.
fn open_log(path: &Path, inputs: &[std::path::PathBuf]) -> Result<File, FatalError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(FatalError::output(path))?;
    }
    let _inputs = crate::guard::register_inputs(inputs.iter().map(std::path::PathBuf::as_path));
    crate::guard::open_output(path, crate::guard::How::Append).map_err(FatalError::output(path))
}

/// `warning: message (span fields)` — the tool's own voice on stderr: an event's message when it
/// has one, else its fields.
struct Plain;

#[derive(Default)]
struct Said {
    message: Option<String>,
    fields: String,
}

impl tracing::field::Visit for Said {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: format::Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let mut said = Said::default();
        event.record(&mut said);
        match said.message {
            Some(m) => write!(w, "{level}: {m}")?,
            None => write!(w, "{level}:{}", said.fields)?,
        }
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root().filter(|s| s.name() != "run") {
                let ext = span.extensions();
                if let Some(f) = ext.get::<FormattedFields<N>>().filter(|f| !f.is_empty()) {
                    spans.push(f.to_string());
                }
            }
        }
        if !spans.is_empty() {
            write!(w, " ({})", spans.join(" "))?;
        }
        writeln!(w)
    }
}

/// Writes a diagnostic line to stderr around any progress bars on screen.
struct StderrAroundBars;

impl<'a> MakeWriter<'a> for StderrAroundBars {
    type Writer = StderrAroundBars;
    fn make_writer(&'a self) -> StderrAroundBars {
        StderrAroundBars
    }
}

impl Write for StderrAroundBars {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        crate::progress::write_stderr(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// A run starts: logs where it goes and what it reads (each input's size and SHA-1), and
/// returns the run's span, which every later line of the run carries.
pub(crate) fn run_started(config: &Config, jobs: &[Job]) -> tracing::span::EnteredSpan {
    let id = format!(
        "{:x}-{:x}",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() & 0xffff_ffff
    );
    let span = tracing::info_span!(target: RUN, "run", id = %id).entered();
    if !tracing::enabled!(target: RUN, Level::INFO) {
        return span;
    }
    let mode = config.mode().word();
    let base_url = config.submit().map(|s| match s.target() {
        Target::Remote { endpoint, .. } => endpoint.base().to_string(),
        Target::Sandbox { .. } => "sandbox (built-in emulator)".to_string(),
    });
    tracing::info!(
        target: RUN,
        event = "run_start",
        version = env!("CARGO_PKG_VERSION"),
        mode,
        base_url = base_url.as_deref(),
        inputs = jobs.len() as u64,
        "{mode} starts{}",
        base_url.as_deref().map_or(String::new(), |b| format!(" against {b}")),
    );
    for job in jobs {
        let (bytes, sha1) = match digest(&job.input) {
            Ok((n, h)) => (Some(n), Some(h)),
            Err(_) => (None, None),
        };
        tracing::info!(
            target: RUN,
            event = "input",
            path = %job.input.display(),
            bytes,
            sha1,
            results = %job.output.display(),
            "input {}: {} bytes, sha1 {}",
            job.input.display(),
            bytes.unwrap_or(0),
            sha1.as_deref().unwrap_or("?"),
        );
    }
    span
}

/// A run ends: its counts, or why it could not start.
pub(crate) fn run_finished(result: &Result<Summary, FatalError>) {
    match result {
        Ok(s) => {
            let t = &s.totals;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "elapsed_secs is a duration, never negative; a float-to-int cast saturates"
            )]
            let elapsed_ms = (s.elapsed_secs * 1000.0) as u64;
            tracing::info!(
                target: RUN,
                event = "run_end",
                rows = s.rows,
                valid = t.valid,
                invalid = t.invalid,
                created = t.created,
                updated = t.updated,
                unchanged = t.unchanged,
                failed = t.failed,
                skipped = t.skipped,
                conflict = t.conflict,
                kept = t.kept,
                requests = s.requests,
                retries = s.retries,
                throttled = s.throttled,
                elapsed_ms,
                stopped = s.stopped.as_ref().map(|x| tracing::field::display(&x.reason)),
                exit_code = u64::from(s.exit_code()),
                "run ends: {} rows, {} (exit {})",
                s.rows,
                t.words(s.mode),
                s.exit_code(),
            );
        }
        Err(e) => tracing::info!(
            target: RUN,
            event = "run_end",
            error = %e,
            exit_code = u64::from(e.exit_code()),
            "run ends before its rows (exit {})",
            e.exit_code(),
        ),
    }
}

/// A file's size and the SHA-1 of its bytes (hex), read in one pass.
pub(crate) fn digest(path: &Path) -> io::Result<(u64, String)> {
    use sha1::{Digest, Sha1};
    let mut f = File::open(path)?;
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_the_stderr_level() {
        assert_eq!(stderr_level(0), LevelFilter::WARN);
        assert_eq!(stderr_level(1), LevelFilter::INFO);
        assert_eq!(stderr_level(2), LevelFilter::DEBUG);
        assert_eq!(stderr_level(9), LevelFilter::TRACE);
    }

    #[test]
    fn digest_is_the_sha1_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "abc").unwrap();
        assert_eq!(
            digest(&p).unwrap(),
            (3, "a9993e364706816aba3e25717850c26c9cd0d89d".to_string())
        );
    }
}
