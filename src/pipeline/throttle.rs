//! Pacing: the configured rate (governor), a pause for everyone after a 429, an adaptive
//! lower rate that recovers step by step, and backoff with full jitter.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::DefaultClock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;

use super::lock;

/// Pauses every worker and lowers the effective rate after a 429, then raises it again step
/// by step while answers stay clean (in the spirit of the adaptive retry mode of cloud SDKs:
/// the new rate is a share of the rate actually measured when throttled).
struct State {
    paused_until: Option<Instant>,
    /// The lowered rate and when it was set; None: the configured rate applies.
    lowered: Option<(f64, Instant)>,
    next_slot: Instant,
    /// Send times in the last second, to measure the rate actually achieved.
    sent: VecDeque<Instant>,
}

impl State {
    /// The rate in force now, when lowered.
    fn current(&self, configured: f64) -> Option<f64> {
        let (rate, at) = self.lowered?;
        // Recover by 5% of the configured rate per second.
        let r = rate + configured * 0.05 * at.elapsed().as_secs_f64();
        (r < configured).then_some(r)
    }
}

/// The pacing shared by every request of a run.
pub(crate) struct Throttle {
    rate: f64,
    base_backoff: Duration,
    /// The longest pause any one answer can impose.
    max_wait: Duration,
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    state: Mutex<State>,
}

impl Throttle {
    pub(crate) fn new(rate: f64, base_backoff: Duration, max_wait: Duration) -> Throttle {
        let period = Duration::from_secs_f64(1.0 / rate);
        // A burst of one millisecond's worth of requests (1 up to --rate 1000): the runtime's
        // timer cannot wait less than a millisecond, so any 1 s window sees at most
        // --rate + burst requests.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 1..=1000 (NaN casts to 0, which NonZeroU32 refuses)"
        )]
        let per_ms = (rate / 1000.0).ceil().clamp(1.0, 1000.0) as u32;
        let burst = NonZeroU32::new(per_ms).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Throttle {
            rate,
            base_backoff,
            max_wait,
            limiter: RateLimiter::direct(quota),
            clock: DefaultClock::default(),
            state: Mutex::new(State {
                paused_until: None,
                lowered: None,
                next_slot: Instant::now(),
                sent: VecDeque::new(),
            }),
        }
    }

    /// Waits for a slot: the pause after a 429, the configured rate, the adaptive rate.
    pub(crate) async fn gate(&self) {
        loop {
            let pause = lock(&self.state).paused_until;
            match pause {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        // Waits on the runtime's own timer: governor's `until_ready` uses a timer thread,
        // and its wake-ups cost more CPU than the requests themselves at high rates.
        while let Err(not_until) = self.limiter.check() {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
            tokio::time::sleep(wait).await;
        }
        let slot = {
            let mut t = lock(&self.state);
            let now = Instant::now();
            while t
                .sent
                .front()
                .is_some_and(|s| now.duration_since(*s) >= Duration::from_secs(1))
            {
                t.sent.pop_front();
            }
            let slot = match t.current(self.rate) {
                None => {
                    t.lowered = None;
                    now
                }
                Some(rate) => {
                    let slot = t.next_slot.max(now);
                    t.next_slot = slot + Duration::from_secs_f64(1.0 / rate);
                    slot
                }
            };
            t.sent.push_back(slot);
            slot
        };
        if slot > Instant::now() {
            tokio::time::sleep_until(slot.into()).await;
        }
    }

    pub(crate) fn on_throttled(&self, retry_after: Option<Duration>, attempt: u32) {
        let wait = retry_after
            .unwrap_or_else(|| self.backoff(attempt))
            .min(self.max_wait);
        let mut t = lock(&self.state);
        let now = Instant::now();
        let until = now + wait;
        t.paused_until = Some(t.paused_until.map_or(until, |p| p.max(until)));
        // The 429s of requests already in flight when the rate was lowered are the same signal.
        let recently = t
            .lowered
            .is_some_and(|(_, at)| now.duration_since(at) < Duration::from_secs(1));
        if !recently {
            let measured = t.sent.len() as f64;
            let base = t
                .current(self.rate)
                .unwrap_or(self.rate)
                .min(measured.max(1.0));
            t.lowered = Some(((base * 0.7).max(0.2), now));
        }
        t.next_slot = t.next_slot.max(until);
    }

    /// Exponential backoff with full jitter.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let cap = Duration::from_secs(20).min(self.max_wait);
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(cap);
        let ms = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=ms.max(1)))
    }
}
