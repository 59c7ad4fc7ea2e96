//! The transport: every request of a run goes through one [`Transport::call`], which holds the
//! client, the pacing (`throttle.rs`), the run-level retry budget (`budget.rs`), the stop and
//! the counts, under one retry rule:
//!
//! - A 429 pauses every worker and lowers the pace; it costs the call no attempt. A
//!   Retry-After beyond `--max-wait` stops the run at once (exit 2; rows not sent are skipped).
//! - A transient failure (not applied: 5xx, no connection) is retried with backoff while
//!   attempts (`--retries`) and the budget last; a budget that runs dry stops the run.
//! - An unknown outcome (the request may have been applied) is retried the same way only by an
//!   idempotent call (a read, a poll, an update sending the same values again). A create is
//!   sent again only after its look-up found nothing ([`Call::create`]: the look-up is part of
//!   the call, and a create an earlier run may have sent is looked up before its first
//!   attempt); a batch is never sent again in its run ([`Call::batch`]).
//! - A refusal ends the call; a fatal answer (credentials, clock, key) also stops the run.
//! - No request is sent once the run is stopping: every call waits at the gate, which wakes
//!   on a stop (a write is not even looked up). A started batch is then not polled further:
//!   its rows end unknown, the journal is kept, and `--resume` settles them.
//! - A hook runs right before each attempt is sent ([`Call::before_each`]: a create is
//!   journalled as sent, a batch as about to run); if it fails, nothing is sent.
//! - An answer counts as progress for `--give-up-after`, except a poll's: polls count toward
//!   giving up unless the batch's progress advances ([`Transport::polled`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use tracing::Instrument;

use super::budget::Budget;
use super::policy::{Policy, Stats};
use super::stop::{Stop, StopKind};
use super::throttle::Throttle;
use crate::api::client::fatal_advice;
use crate::api::{Client, Failure};

/// A create's look-up: the record an earlier attempt may have made (Some), or None when it
/// may be sent again.
pub(crate) type LookUp<'a, T> =
    dyn Fn() -> BoxFuture<'a, Result<Option<T>, Failure>> + Send + Sync + 'a;

/// Called right before each attempt is sent (the journal); an error ends the call unsent.
pub(crate) type BeforeSend<'a> = dyn FnMut() -> std::io::Result<()> + Send + 'a;

/// What may be sent again after an outcome that is not known.
enum Resend<'a, T> {
    /// An idempotent call: sent again like after a transient failure.
    Always,
    /// A create: sent again only when the look-up found nothing.
    AfterLookUp(&'a LookUp<'a, T>),
    /// Never sent again in this run.
    Never,
}

/// How one call behaves under the retry rule.
pub(crate) struct Call<'a, T> {
    resend: Resend<'a, T>,
    /// A write: not sent once the run is stopping.
    write: bool,
    /// An answer counts as progress for `--give-up-after`.
    progress: bool,
    /// The look-up comes before the first attempt (an earlier run may have sent it).
    look_first: bool,
    before: Option<&'a mut BeforeSend<'a>>,
}

impl<'a, T> Call<'a, T> {
    fn new(resend: Resend<'a, T>, write: bool, progress: bool) -> Call<'a, T> {
        Call {
            resend,
            write,
            progress,
            look_first: false,
            before: None,
        }
    }

    /// A read: retried after transient and unknown outcomes; an answer is progress.
    pub(crate) fn read() -> Call<'a, T> {
        Call::new(Resend::Always, false, true)
    }

    /// A batch's poll: a read whose answer alone is no progress ([`Transport::polled`] says
    /// when it is).
    pub(crate) fn poll() -> Call<'a, T> {
        Call::new(Resend::Always, false, false)
    }

    /// An update: it sends the same values again, so it is retried like a read.
    pub(crate) fn update() -> Call<'a, T> {
        Call::new(Resend::Always, true, true)
    }

    /// A create: after an unknown outcome it is looked up, and sent again only when the
    /// look-up found nothing. `maybe_sent`: an earlier run may have sent it (looked up first).
    pub(crate) fn create(look_up: &'a LookUp<'a, T>, maybe_sent: bool) -> Call<'a, T> {
        Call {
            look_first: maybe_sent,
            ..Call::new(Resend::AfterLookUp(look_up), true, true)
        }
    }

    /// A batch's `run`: never sent again after an unknown outcome (the server may still be
    /// applying it); the caller settles it.
    pub(crate) fn batch() -> Call<'a, T> {
        Call::new(Resend::Never, true, true)
    }

    /// `f` runs right before each attempt is sent.
    pub(crate) fn before_each(self, f: &'a mut BeforeSend<'a>) -> Call<'a, T> {
        Call {
            before: Some(f),
            ..self
        }
    }
}

/// How a call ended without an answer.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The run stopped before the next attempt was sent; the last attempt's failure, if any
    /// (a 429 asking more than `--max-wait` is one).
    Stopped(Option<Failure>),
    /// Refused (a 400-class answer), or fatal (the run is stopped).
    Refused(Failure),
    /// Attempts or the run's budget ran out on this failure (transient, or the unknown
    /// outcome of an idempotent call).
    OutOfRetries(Failure),
    /// The outcome is unknown and the call is not sent again (a create whose attempts ran
    /// out or whose run stopped, a batch at once).
    Unknown(Failure),
    /// The look-up after an unknown outcome failed.
    LookUpFailed(Failure),
    /// The hook before sending failed: nothing was sent.
    NotSent(std::io::Error),
}

impl Ended {
    /// The failure to report of a call whose ending needs no more words (a read).
    pub(crate) fn into_failure(self, stop: &Stop) -> Failure {
        match self {
            Ended::Stopped(None) => Failure::Transient(format!("not sent: {}", stop.reason())),
            Ended::Stopped(Some(f))
            | Ended::Refused(f)
            | Ended::OutOfRetries(f)
            | Ended::Unknown(f)
            | Ended::LookUpFailed(f) => f,
            Ended::NotSent(e) => Failure::Transient(format!("not sent: {e}")),
        }
    }
}

/// Client, pacing, budget, stop and counts: shared by every request of a run.
pub(crate) struct Transport {
    pub(crate) client: Client,
    pub(crate) policy: Policy,
    throttle: Throttle,
    budget: Budget,
    pub(crate) stop: Arc<Stop>,
    pub(crate) stats: Arc<Stats>,
}

impl Transport {
    pub(crate) fn new(client: Client, policy: Policy, stop: Arc<Stop>) -> Transport {
        Transport {
            client,
            throttle: Throttle::new(policy.rate, policy.backoff, policy.max_wait),
            budget: Budget::new(policy.give_up_after),
            policy,
            stop,
            stats: Arc::new(Stats::default()),
        }
    }

    /// Sends `op` under the retry rule (module doc); `how` says what kind of call it is.
    pub(crate) async fn call<T, F, Fut>(&self, how: Call<'_, T>, op: F) -> Result<T, Ended>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let Call {
            resend,
            write,
            progress,
            mut look_first,
            mut before,
        } = how;
        let mut attempt = 0u32;
        let mut last: Option<Failure> = None;
        loop {
            if write && self.stop.is_stopping() {
                return Err(stopped(last, &resend));
            }
            if look_first && let Resend::AfterLookUp(look_up) = &resend {
                // Never send a create again blindly: look for what it may have made.
                match look_up().await {
                    Ok(Some(found)) => return Ok(found),
                    Ok(None) => {}
                    Err(f) => return Err(Ended::LookUpFailed(self.fatal(f))),
                }
            }
            look_first = false;
            if !self.gate().await {
                return Err(stopped(last, &resend));
            }
            if let Some(b) = before.as_deref_mut()
                && let Err(e) = b()
            {
                return Err(Ended::NotSent(e));
            }
            let span = tracing::debug_span!("attempt", attempt = attempt + 1);
            let f = match op().instrument(span).await {
                Ok(v) => {
                    if progress {
                        self.budget.success(attempt > 0);
                    } else if attempt > 0 {
                        self.budget.refund();
                    }
                    return Ok(v);
                }
                Err(f) => f,
            };
            match f {
                Failure::Throttled { retry_after, .. } => {
                    if !self.throttled_may_retry(&f, retry_after, attempt) {
                        return Err(Ended::Stopped(Some(f)));
                    }
                }
                Failure::Transient(_) | Failure::Unknown(_) => {
                    let unknown = matches!(f, Failure::Unknown(_));
                    let idempotent = matches!(resend, Resend::Always);
                    if unknown && matches!(resend, Resend::Never) {
                        return Err(Ended::Unknown(f));
                    }
                    if attempt >= self.policy.retries || !self.may_retry(&f) {
                        return Err(if unknown && !idempotent {
                            Ended::Unknown(f)
                        } else {
                            Ended::OutOfRetries(f)
                        });
                    }
                    if !self.stop.sleep(self.throttle.backoff(attempt)).await {
                        return Err(stopped(Some(f), &resend));
                    }
                    look_first = unknown;
                    attempt += 1;
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                }
                Failure::Rejected(_) => return Err(Ended::Refused(f)),
                Failure::Fatal(_) => return Err(Ended::Refused(self.fatal(f))),
            }
            last = Some(f);
        }
    }

    /// A read under the retry rule; how it ended, as a failure.
    pub(crate) async fn read<T, F, Fut>(&self, op: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        self.call(Call::read(), op)
            .await
            .map_err(|e| e.into_failure(&self.stop))
    }

    /// A poll under the retry rule: its answer alone is no progress.
    pub(crate) async fn poll<T, F, Fut>(&self, op: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        self.call(Call::poll(), op)
            .await
            .map_err(|e| e.into_failure(&self.stop))
    }

    /// A poll of `what` answered: progress when it `advanced`; otherwise it counts toward
    /// `--give-up-after`, and false when the run was stopped for it.
    pub(crate) fn polled(&self, advanced: bool, what: &str) -> bool {
        if advanced {
            self.budget.success(false);
            return true;
        }
        match self.budget.idle(what) {
            Ok(()) => true,
            Err(why) => {
                self.stop.stop(StopKind::Fatal, why);
                false
            }
        }
    }

    /// A fatal failure stops the run (the first reason is kept); any failure is handed back.
    pub(crate) fn fatal(&self, f: Failure) -> Failure {
        if let Failure::Fatal(e) = &f {
            self.stop.stop(StopKind::Fatal, fatal_advice(e));
        }
        f
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stop.is_stopping()
    }

    /// Waits for a request slot; false when the run is stopping (then no request is sent,
    /// whichever comes first).
    async fn gate(&self) -> bool {
        tokio::select! {
            biased;
            () = self.stop.stopping() => false,
            () = self.throttle.gate() => {
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                true
            }
        }
    }

    /// A 429: everyone pauses and the pace drops; it costs the call no attempt. A Retry-After
    /// beyond `--max-wait` stops the run at once (false): waiting it out is the user's call.
    fn throttled_may_retry(
        &self,
        f: &Failure,
        retry_after: Option<Duration>,
        attempt: u32,
    ) -> bool {
        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
        if let Some(wait) = retry_after.filter(|w| *w > self.policy.max_wait) {
            self.stop.stop(
                StopKind::Fatal,
                format!(
                    "the server asks to wait {} s, more than --max-wait ({} s): run --resume later",
                    secs(wait),
                    secs(self.policy.max_wait)
                ),
            );
            return false;
        }
        self.throttle.on_throttled(retry_after, attempt);
        self.budget_allows(f, false)
    }

    /// A failure worth retrying: false when the run-level budget says stop.
    fn may_retry(&self, f: &Failure) -> bool {
        self.budget_allows(f, true)
    }

    fn budget_allows(&self, f: &Failure, costs_tokens: bool) -> bool {
        match self.budget.retry(&f.describe(), costs_tokens) {
            Ok(()) => true,
            Err(why) => {
                self.stop.stop(StopKind::Fatal, why);
                false
            }
        }
    }
}

/// A call that ends because the run stopped: after an unknown outcome, a call that may not
/// be sent again blindly ends unknown.
fn stopped<T>(last: Option<Failure>, resend: &Resend<'_, T>) -> Ended {
    match last {
        Some(f @ Failure::Unknown(_)) if !matches!(resend, Resend::Always) => Ended::Unknown(f),
        last => Ended::Stopped(last),
    }
}

/// Whole seconds, for messages.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1e9 {
        "more than 10^9".to_string()
    } else {
        format!("{}", s.ceil())
    }
}

#[cfg(test)]
mod tests;
