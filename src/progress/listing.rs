//! Progress while the account is read, before any row: `reading the account: 57/200 pages`,
//! a bar on a terminal, a line at the first page and then every few seconds elsewhere (nothing
//! for an account read in one page).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::kind::Kind;

/// Shared by the listing's page requests.
pub(crate) struct Listing {
    bar: Option<ProgressBar>,
    /// Plain lines: when the last one was printed (None: none yet).
    plain: Option<Mutex<Option<Instant>>>,
    every: Duration,
    started: Instant,
}

impl Listing {
    pub(super) fn new(multi: Option<&MultiProgress>, plain: bool, every: Duration) -> Listing {
        let bar = multi.map(|m| {
            let bar = m.add(ProgressBar::new(0));
            if let Ok(style) = ProgressStyle::with_template(
                "reading the account: {pos}/{len} pages {wide_bar} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Listing {
            bar,
            plain: plain.then(|| Mutex::new(None)),
            every,
            started: Instant::now(),
        }
    }

    /// `done` of `total` pages of `kind` have been read.
    pub(crate) fn page(&self, kind: Kind, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(kind.plural().to_string());
        }
        // An account read in one page needs no progress.
        let Some(last) = self.plain.as_ref().filter(|_| total > 1) else {
            return;
        };
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|t| t.elapsed() >= self.every) || done == total;
        if due {
            *last = Some(Instant::now());
            eprintln!(
                "reading the account: {done}/{total} pages of {} ({:.1}s)",
                kind.plural(),
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    /// How long the listing has taken so far.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The listing is over: the bar goes.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
