//! The indicatif bars: whether they can be drawn, one bar per table, and stderr written
//! around them while they are on screen.

use std::io::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::words::short_secs;

/// The bars on screen, if any: diagnostics from other threads are printed around them.
static ACTIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);

pub(super) fn active() -> std::sync::MutexGuard<'static, Option<MultiProgress>> {
    ACTIVE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes to stderr, around the progress bars when they are on screen.
pub(crate) fn write_stderr(bytes: &[u8]) {
    let multi = active().clone();
    let write = || {
        let _ = std::io::stderr().lock().write_all(bytes);
    };
    match multi {
        Some(m) if !m.is_hidden() => m.suspend(write),
        _ => write(),
    }
}

/// Takes the bars off [`ACTIVE`] when the display ends, however it ends.
pub(super) struct ActiveGuard;

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        *active() = None;
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Display {
    Bars,
    Plain,
    Quiet,
}

/// Bars only where they can be drawn: a terminal that is not dumb, outside CI (or when forced
/// with `IVVY_IMPORT_PROGRESS=bar` and still drawable); plain lines everywhere else.
pub(super) fn choose_display(
    quiet: bool,
    forced: Option<&str>,
    ci: bool,
    drawable: bool,
) -> Display {
    let want_bars = match forced {
        Some("bar") => true,
        Some("plain") => false,
        _ => !ci,
    };
    match (quiet, want_bars && drawable) {
        (true, _) => Display::Quiet,
        (false, true) => Display::Bars,
        (false, false) => Display::Plain,
    }
}

/// A table's bar, added below the finished ones. Its clock is the run's (`run_started`, the
/// summary's too); its rate and ETA count only rows this run handles, not the `kept` rows an
/// earlier run did.
pub(super) fn table_bar(
    multi: &MultiProgress,
    label: &str,
    total: Option<u64>,
    run_started: Instant,
    kept: &Arc<AtomicU64>,
) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(total.unwrap_or(0)));
    let rate = {
        let kept = kept.clone();
        move |s: &indicatif::ProgressState| {
            let moved = s.pos().saturating_sub(kept.load(Ordering::Relaxed));
            let secs = s.elapsed().as_secs_f64();
            if secs > 0.0 { moved as f64 / secs } else { 0.0 }
        }
    };
    let eta_rate = rate.clone();
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix} [{run_elapsed}] {wide_bar} {pos}/{len} rows {rate} eta {run_eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", move |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", rate(s));
        })
        .with_key("run_eta", move |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let left = s.len().unwrap_or(0).saturating_sub(s.pos());
            let r = eta_rate(s);
            let _ = match (left, r > 0.0) {
                (0, _) => write!(w, "0s"),
                (_, true) => write!(w, "{}", short_secs(left as f64 / r)),
                (_, false) => write!(w, "?"),
            };
        })
        .with_key("run_elapsed", move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", clock(run_started.elapsed()));
        }),
    );
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A stopped table's bar: where it stopped, no rate or ETA.
pub(super) fn stopped_style() -> ProgressStyle {
    ProgressStyle::with_template("  {prefix} {wide_bar} {pos}/{len} rows, stopped: {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// `00:01:05`, as indicatif's `elapsed_precise` shows it.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_where_they_can_be_drawn() {
        assert_eq!(choose_display(false, None, false, true), Display::Bars);
        // A pipe, TERM=dumb: indicatif would hide the bars and every line printed through them.
        assert_eq!(choose_display(false, None, false, false), Display::Plain);
        assert_eq!(
            choose_display(false, Some("bar"), false, false),
            Display::Plain
        );
        assert_eq!(choose_display(false, None, true, true), Display::Plain);
        assert_eq!(
            choose_display(false, Some("bar"), true, true),
            Display::Bars
        );
        assert_eq!(
            choose_display(false, Some("plain"), false, true),
            Display::Plain
        );
        assert_eq!(
            choose_display(true, Some("bar"), false, true),
            Display::Quiet
        );
    }
}
