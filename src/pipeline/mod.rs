//! The submitter: rate limit, adaptive slow-down on 429, retries with backoff, exactly-once
//! creates (reconciling unknown outcomes by name), matching by name. Knows records and
//! outcomes, not files.

pub(crate) mod account;
mod budget;
pub(crate) mod bulk;
pub(crate) mod changes;
mod list;
mod policy;
mod reconcile;
pub(crate) mod stop;
mod throttle;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::{Client, Failure};
use crate::kind::Kind;
use crate::outcome::{ProblemLabel, Status, Verdict};
use crate::record::Record;
use account::{Account, Existing};
use budget::Budget;
use stop::Stop;
use throttle::Throttle;

pub(crate) use policy::{Policy, Stats, StatsSnapshot};
pub(crate) use stop::StopKind;

/// Shared by all workers of a run.
pub(crate) struct Submitter {
    client: Client,
    policy: Policy,
    throttle: Throttle,
    budget: Budget,
    /// The account as listed at the start of the run.
    pub(crate) account: Account,
    /// Ids that existed before the first run (for reconciling lost creates).
    pre: Mutex<HashMap<Kind, HashSet<u64>>>,
    /// Ids this run (or an earlier one being resumed) has given to a row.
    claimed: Mutex<HashSet<(Kind, u64)>>,
    stop: Arc<Stop>,
    stats: Arc<Stats>,
    /// Bulk mode's batch size now (halved when the server says a batch is too big).
    batch_size: AtomicUsize,
    /// Bulk mode: the longest a batch took from `run` to its results.
    batch_took: Mutex<Duration>,
    /// Told of each page read while the account is listed: (kind, pages read, pages).
    pub(crate) on_page: Option<OnPage>,
}

/// Told of each page read while the account is listed: (kind, pages read, pages).
pub(crate) type OnPage = Box<dyn Fn(Kind, u64, u64) + Send + Sync>;

/// What became of a row, and the label its error is counted under in the summary.
#[derive(Debug, Clone)]
pub(crate) struct Submitted {
    pub verdict: Verdict,
    pub error_label: Option<ProblemLabel>,
}

fn verdict(status: Status, id: Option<u64>) -> Submitted {
    let mut v = Verdict::new(status);
    v.id = id;
    Submitted {
        verdict: v,
        error_label: None,
    }
}

fn failed(f: &Failure) -> Submitted {
    let mut v = Verdict::new(Status::Failed);
    let label = match f.api_error() {
        Some(e) => {
            v.error_code = Some(e.error_code);
            v.specific_code = e.specific_code;
            e.label()
        }
        None => match f {
            Failure::Unknown(_) => "outcome unknown".into(),
            _ => "transient".into(),
        },
    };
    // An API refusal's words lead its message, as the summary and the report name it.
    v.error = match f.api_error() {
        Some(_) => format!("{label}: {}", f.describe()),
        None => f.describe(),
    };
    Submitted {
        verdict: v,
        error_label: Some(label),
    }
}

fn local_failure(message: String, label: &str) -> Submitted {
    let mut v = Verdict::new(Status::Failed);
    v.error = message;
    Submitted {
        verdict: v,
        error_label: Some(label.into()),
    }
}

impl Submitter {
    pub(crate) fn new(client: Client, policy: Policy, stop: Arc<Stop>) -> Submitter {
        let policy_batch = policy.batch_size.unwrap_or(1);
        Submitter {
            client,
            throttle: Throttle::new(policy.rate, policy.backoff, policy.max_wait),
            budget: Budget::new(policy.give_up_after),
            policy,
            account: Account::default(),
            pre: Mutex::new(HashMap::new()),
            claimed: Mutex::new(HashSet::new()),
            stop,
            stats: Arc::new(Stats::default()),
            batch_size: AtomicUsize::new(policy_batch),
            batch_took: Mutex::new(Duration::ZERO),
            on_page: None,
        }
    }

    /// Bulk mode: rows go in batches of this many jobs.
    pub(crate) fn bulk(&self) -> Option<usize> {
        self.policy
            .batch_size
            .map(|_| self.batch_size.load(Ordering::Relaxed))
    }

    pub(crate) fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.policy.concurrency
    }

    /// Reads every existing record of `kind` (page by page, through the rate limit).
    pub(crate) async fn load_existing(&mut self, kind: Kind) -> Result<(), Failure> {
        let e = Existing::new(kind, &self.list_all(kind, None).await?);
        lock(&self.pre).entry(kind).or_insert_with(|| e.ids());
        self.account.kinds.insert(kind, e);
        Ok(())
    }

    pub(crate) fn existing_ids(&self, kind: Kind) -> HashSet<u64> {
        self.account
            .kinds
            .get(&kind)
            .map(Existing::ids)
            .unwrap_or_default()
    }

    /// The records that existed before the first run of this results file.
    pub(crate) fn pre_ids(&self, kind: Kind) -> Option<HashSet<u64>> {
        lock(&self.pre).get(&kind).cloned()
    }

    /// Replaces the before-the-run snapshot (from a resumed run's journal).
    pub(crate) fn set_pre(&self, kind: Kind, ids: HashSet<u64>) {
        lock(&self.pre).insert(kind, ids);
    }

    pub(crate) fn claim(&self, kind: Kind, id: u64) {
        lock(&self.claimed).insert((kind, id));
    }

    /// Bulk mode: the longest a batch may take on the server.
    pub(crate) fn batch_timeout(&self) -> Duration {
        self.policy.batch_timeout
    }

    /// Sleeps, waking early when the run stops; false when it stopped.
    pub(crate) async fn wait(&self, d: Duration) -> bool {
        self.stop.sleep(d).await
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stop.is_stopping()
    }

    /// Waits for a request slot; false when the run stopped meanwhile.
    async fn gate(&self) -> bool {
        tokio::select! {
            () = self.throttle.gate() => {
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                true
            }
            () = self.stop.stopping() => false,
        }
    }

    /// A 429: everyone pauses and the pace drops; it costs the row no retry. A Retry-After
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
        self.may_retry(f, false)
    }

    /// Sleeps a backoff; false when the run stopped meanwhile.
    async fn back_off(&self, attempt: u32) -> bool {
        self.stop.sleep(self.throttle.backoff(attempt)).await
    }

    /// Records a failure worth retrying; false when the run-level budget says stop (the run
    /// is then stopped with the reason).
    fn may_retry(&self, f: &Failure, costs_tokens: bool) -> bool {
        match self.budget.retry(&f.describe(), costs_tokens) {
            Ok(()) => true,
            Err(why) => {
                self.stop.stop(StopKind::Fatal, why);
                false
            }
        }
    }

    /// Runs an idempotent call (a read) with the gate and retries; an answer counts as
    /// progress for `--give-up-after`.
    pub(crate) async fn with_retries<T, F, Fut>(&self, call: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let v = self.with_retries_quiet(call).await?;
        self.budget.success(false);
        Ok(v)
    }

    /// Runs an idempotent call with the gate and retries; an answer alone is no progress (a
    /// poll): the caller says when it is.
    pub(crate) async fn with_retries_quiet<T, F, Fut>(&self, call: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let mut attempt = 0;
        loop {
            if !self.gate().await {
                return Err(Failure::Transient(format!(
                    "not sent: {}",
                    self.stop.reason()
                )));
            }
            let try_span = tracing::debug_span!("attempt", attempt = attempt + 1);
            let failure = match tracing::Instrument::instrument(call(), try_span).await {
                Ok(v) => {
                    if attempt > 0 {
                        self.budget.refund();
                    }
                    return Ok(v);
                }
                Err(f) => f,
            };
            match &failure {
                Failure::Throttled { retry_after, .. } => {
                    if !self.throttled_may_retry(&failure, *retry_after, attempt) {
                        return Err(failure);
                    }
                }
                Failure::Transient(_) | Failure::Unknown(_) if attempt < self.policy.retries => {
                    if !self.may_retry(&failure, true) || !self.back_off(attempt).await {
                        return Err(failure);
                    }
                    attempt += 1;
                }
                _ => return Err(failure),
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Submits one valid record (an update when it has an id). `was_sent`: an earlier run
    /// journalled this create as sent with no outcome; `journal_sent` is called before a
    /// create is first sent.
    pub(crate) async fn submit(
        &self,
        record: Record,
        was_sent: bool,
        journal_sent: impl FnOnce() -> std::io::Result<()>,
    ) -> Submitted {
        let kind = record.kind();
        let creating = record.id().is_none();
        if self.is_stopping() {
            return self.skipped();
        }
        if creating && was_sent {
            match self.reconcile(&record).await {
                Ok(Some(id)) => return verdict(Status::Created, Some(id)),
                Ok(None) => {}
                Err(f) => return self.lookup_failed(&f),
            }
        }
        if creating && let Err(e) = journal_sent() {
            return local_failure(format!("cannot write the journal: {e}"), "journal");
        }
        let mut attempt = 0u32;
        let mut last: Option<Failure> = None;
        loop {
            let unknown_before = matches!(last, Some(Failure::Unknown(_)));
            if attempt > self.policy.retries {
                return self.out_of_retries(last, creating);
            }
            // A stop (fatal answer elsewhere, Ctrl-C) ends retries of rows not yet applied.
            if self.is_stopping() {
                return if unknown_before && creating {
                    self.out_of_retries(last, creating)
                } else {
                    self.skipped()
                };
            }
            if creating && unknown_before {
                // Never resend a create blindly: look for what it may have made.
                match self.reconcile(&record).await {
                    Ok(Some(id)) => return verdict(Status::Created, Some(id)),
                    Ok(None) => {}
                    Err(f) => return self.lookup_failed(&f),
                }
            }
            if !self.gate().await {
                continue;
            }
            let try_span = tracing::debug_span!("attempt", attempt = attempt + 1);
            let f = match tracing::Instrument::instrument(self.client.save(&record), try_span).await
            {
                Ok(id) => {
                    self.budget.success(attempt > 0);
                    if creating {
                        self.claim(kind, id);
                        return verdict(Status::Created, Some(id));
                    }
                    return verdict(Status::Updated, Some(id));
                }
                Err(f) => f,
            };
            match &f {
                Failure::Rejected(_) => return failed(&f),
                Failure::Fatal(_) => return self.fail_or_stop(&f),
                Failure::Throttled { retry_after, .. } => {
                    if !self.throttled_may_retry(&f, *retry_after, attempt) {
                        // Refused, so not applied: the row was not done.
                        return if self.is_stopping() {
                            self.skipped()
                        } else {
                            failed(&f)
                        };
                    }
                    last = Some(f);
                    continue;
                }
                Failure::Transient(_) | Failure::Unknown(_) => {
                    if !self.may_retry(&f, true) {
                        last = Some(f);
                        return self.out_of_retries(last, creating);
                    }
                    self.back_off(attempt).await;
                }
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            last = Some(f);
            attempt += 1;
        }
    }

    fn out_of_retries(&self, last: Option<Failure>, creating: bool) -> Submitted {
        let f = last.unwrap_or_else(|| Failure::Transient("retries ran out".into()));
        let mut s = failed(&f);
        s.verdict.error = format!(
            "{} (after {} retries)",
            s.verdict.error, self.policy.retries
        );
        if creating && matches!(f, Failure::Unknown(_)) {
            s.verdict
                .error
                .push_str("; the record may exist: --resume checks by name before sending again");
        }
        s
    }

    /// The look-up after a lost create failed: the row says both.
    fn lookup_failed(&self, f: &Failure) -> Submitted {
        let mut s = self.fail_or_stop(f);
        s.verdict.error = format!(
            "the create may have been applied (answer lost) and the check failed: {}; run --resume to check before sending again",
            s.verdict.error
        );
        s.error_label = Some("outcome unknown".into());
        s
    }

    fn fail_or_stop(&self, f: &Failure) -> Submitted {
        if let Failure::Fatal(e) = f {
            self.stop
                .stop(StopKind::Fatal, crate::api::client::fatal_advice(e));
        }
        failed(f)
    }

    pub(crate) fn skipped(&self) -> Submitted {
        let mut v = Verdict::new(Status::Skipped);
        v.error = format!("not sent: the run stopped ({})", self.stop.reason());
        Submitted {
            verdict: v,
            error_label: Some("not sent: the run stopped".into()),
        }
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

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
