//! Counts in words: a table's counts and the requests so far as the bar's message and the
//! plain line say them, with grouped numbers and short durations.

use crate::config::RunMode;
use crate::pipeline::StatsSnapshot;
use crate::summary::{KindCounts, duration_text};

/// `250` → `4m10s`.
pub(super) fn short_secs(secs: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "max(0.0) makes it non-negative (NaN too); a float-to-int cast saturates"
    )]
    let s = secs.ceil().max(0.0) as u64;
    duration_text(s, "")
}

/// The counts of a table (and the requests so far) in words.
pub(super) fn live_words(t: &KindCounts, stats: &StatsSnapshot, mode: RunMode) -> String {
    let words = t.words(mode);
    if mode.writes() {
        let batches = if stats.batches > 0 {
            format!(", {} batches", stats.batches)
        } else {
            String::new()
        };
        format!(
            "{words}, {} requests{batches}, {} retries, {} throttled",
            stats.requests, stats.retries, stats.throttled
        )
    } else {
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_secs(250.0), "4m10s");
        assert_eq!(short_secs(42.2), "43s");
        assert_eq!(short_secs(3_900.0), "1h05m");
    }
}
