//! The run-level retry budget, as cloud SDKs keep one: a token bucket drained by retries and
//! refilled by successes, plus a clock of the last success. Random faults cost little (a
//! retry that then succeeds gives its tokens back); a dead or failing server empties the
//! bucket or outlasts `--give-up-after`, and the run stops instead of retrying every row.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::lock;

/// Tokens the bucket holds when full.
const CAPACITY: u32 = 500;
/// Tokens a retry takes.
const RETRY_COST: u32 = 5;
/// Tokens a first-time success gives back.
const SUCCESS_REFUND: u32 = 1;

struct State {
    tokens: u32,
    last_success: Instant,
    /// Failures since the last success, and the last one's description.
    failures: u64,
    last_failure: String,
}

pub(crate) struct Budget {
    give_up_after: Duration,
    state: Mutex<State>,
}

impl Budget {
    pub(crate) fn new(give_up_after: Duration) -> Budget {
        Budget {
            give_up_after,
            state: Mutex::new(State {
                tokens: CAPACITY,
                last_success: Instant::now(),
                failures: 0,
                last_failure: String::new(),
            }),
        }
    }

    /// A request succeeded; `retried`: after at least one retry (its cost comes back).
    pub(crate) fn success(&self, retried: bool) {
        let mut s = lock(&self.state);
        let refund = if retried { RETRY_COST } else { SUCCESS_REFUND };
        s.tokens = (s.tokens + refund).min(CAPACITY);
        s.last_success = Instant::now();
        s.failures = 0;
    }

    /// A retried request succeeded: its retry's cost comes back (the success itself is
    /// counted by [`Budget::success`] when it is progress).
    pub(crate) fn refund(&self) {
        let mut s = lock(&self.state);
        s.tokens = (s.tokens + RETRY_COST).min(CAPACITY);
    }

    /// A wait that brought no progress (a batch polled without moving): Err with the reason
    /// the run must stop once nothing has succeeded for `--give-up-after`.
    pub(crate) fn idle(&self, what: &str) -> Result<(), String> {
        let quiet_for = lock(&self.state).last_success.elapsed();
        if quiet_for >= self.give_up_after {
            return Err(format!(
                "{what}: no progress for {:.0} s (--give-up-after); stopped; run again with --resume later",
                quiet_for.as_secs_f64()
            ));
        }
        Ok(())
    }

    /// A request failed in a way worth retrying: Ok when a retry may be made, Err with the
    /// reason the run must stop.
    pub(crate) fn retry(&self, failure: &str, costs_tokens: bool) -> Result<(), String> {
        let mut s = lock(&self.state);
        s.failures += 1;
        s.last_failure = failure.to_string();
        let quiet_for = s.last_success.elapsed();
        let empty = costs_tokens && s.tokens < RETRY_COST;
        if empty || quiet_for >= self.give_up_after {
            return Err(format!(
                "the server answered {:?} to the last {} requests over {:.0} s; stopped; run again with --resume when it is back",
                s.last_failure,
                s.failures,
                quiet_for.as_secs_f64()
            ));
        }
        if costs_tokens {
            s.tokens -= RETRY_COST;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_faults_never_empty_the_bucket() {
        let b = Budget::new(Duration::from_secs(60));
        // One failure in five, each retried once and then successful.
        for i in 0..10_000 {
            if i % 5 == 0 {
                b.retry("HTTP 500", true).expect("a retry is allowed");
                b.success(true);
            } else {
                b.success(false);
            }
        }
    }

    #[test]
    fn a_dead_server_empties_the_bucket() {
        let b = Budget::new(Duration::from_secs(60));
        let allowed = (0..1000)
            .take_while(|_| b.retry("HTTP 500", true).is_ok())
            .count();
        assert_eq!(allowed, (CAPACITY / RETRY_COST) as usize);
        let why = b.retry("HTTP 500", true).unwrap_err();
        assert!(why.contains("--resume"), "{why}");
    }

    #[test]
    fn waiting_without_progress_counts_toward_giving_up() {
        let b = Budget::new(Duration::from_millis(30));
        assert!(b.idle("batch 1").is_ok());
        std::thread::sleep(Duration::from_millis(40));
        let why = b.idle("batch 1").unwrap_err();
        assert!(
            why.contains("batch 1") && why.contains("--give-up-after"),
            "{why}"
        );
        b.success(false);
        assert!(b.idle("batch 1").is_ok());
    }

    #[test]
    fn no_success_for_too_long_stops_even_without_cost() {
        let b = Budget::new(Duration::ZERO);
        assert!(b.retry("429", false).is_err());
    }
}
