//! The submitter: rate limit, adaptive slow-down on 429, retries with backoff, exactly-once
//! creates (reconciling unknown outcomes by name), matching by name. Knows records and
//! outcomes, not files.

pub mod journal;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;

use crate::api::{Client, Failure};
use crate::record::{Kind, Record, fold_name};
use crate::results::{Status, Verdict};

/// How the submitter behaves.
#[derive(Debug, Clone)]
pub struct Policy {
    pub rate: f64,
    pub retries: u32,
    pub backoff: Duration,
    pub match_by_name: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// Existing records of one kind, as read at the start of a run.
#[derive(Debug, Default, Clone)]
pub struct Existing {
    pub ids: HashSet<u64>,
    pub by_name: HashMap<String, Vec<u64>>,
}

/// Pauses every worker and lowers the effective rate after a 429, then raises it again step
/// by step while answers stay clean (in the spirit of the adaptive retry mode of cloud SDKs:
/// the new rate is a share of the rate actually measured when throttled).
struct Throttle {
    paused_until: Option<Instant>,
    /// The lowered rate and when it was set; None: the configured rate applies.
    lowered: Option<(f64, Instant)>,
    next_slot: Instant,
    /// Send times in the last second, to measure the rate actually achieved.
    sent: std::collections::VecDeque<Instant>,
}

impl Throttle {
    /// The rate in force now, when lowered.
    fn current(&self, configured: f64) -> Option<f64> {
        let (rate, at) = self.lowered?;
        // Recover by 5% of the configured rate per second.
        let r = rate + configured * 0.05 * at.elapsed().as_secs_f64();
        (r < configured).then_some(r)
    }
}

/// Shared by all workers of a run.
pub struct Submitter {
    client: Client,
    policy: Policy,
    limiter: DefaultDirectRateLimiter,
    throttle: Mutex<Throttle>,
    existing: HashMap<Kind, Existing>,
    /// Ids that existed before the first run (for reconciling lost creates).
    pre: HashMap<Kind, HashSet<u64>>,
    /// Ids this run (or an earlier one being resumed) has given to a row.
    claimed: Mutex<HashSet<(Kind, u64)>>,
    stop: Mutex<Option<String>>,
    stopping: AtomicBool,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
}

/// What became of a row, and the label its error is counted under in the summary.
pub struct Submitted {
    pub verdict: Verdict,
    pub error_label: Option<String>,
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
            match e.specific_code {
                Some(s) => format!("api {}/{s}", e.error_code),
                None => format!("api {}", e.error_code),
            }
        }
        None => match f {
            Failure::Unknown(_) => "outcome unknown".to_string(),
            _ => "transient".to_string(),
        },
    };
    v.error = f.describe();
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
        error_label: Some(label.to_string()),
    }
}

impl Submitter {
    pub fn new(client: Client, policy: Policy) -> Submitter {
        let period = Duration::from_secs_f64(1.0 / policy.rate);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        Submitter {
            client,
            limiter: RateLimiter::direct(quota),
            throttle: Mutex::new(Throttle {
                paused_until: None,
                lowered: None,
                next_slot: Instant::now(),
                sent: std::collections::VecDeque::new(),
            }),
            policy,
            existing: HashMap::new(),
            pre: HashMap::new(),
            claimed: Mutex::new(HashSet::new()),
            stop: Mutex::new(None),
            stopping: AtomicBool::new(false),
            retries: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn concurrency(&self) -> usize {
        self.policy.concurrency
    }

    /// Reads every existing record of `kind` (through the rate limit, with retries).
    pub async fn load_existing(&mut self, kind: Kind) -> Result<(), Failure> {
        let listed = self.with_retries(|| self.client.list(kind, None)).await?;
        let mut e = Existing::default();
        for l in listed {
            e.ids.insert(l.id);
            e.by_name.entry(fold_name(&l.name)).or_default().push(l.id);
        }
        self.pre.entry(kind).or_insert_with(|| e.ids.clone());
        self.existing.insert(kind, e);
        Ok(())
    }

    pub fn existing_ids(&self, kind: Kind) -> HashSet<u64> {
        self.existing
            .get(&kind)
            .map(|e| e.ids.clone())
            .unwrap_or_default()
    }

    /// Replaces the before-the-run snapshot (from a resumed run's journal).
    pub fn set_pre(&mut self, kind: Kind, ids: HashSet<u64>) {
        self.pre.insert(kind, ids);
    }

    pub fn claim(&self, kind: Kind, id: u64) {
        lock(&self.claimed).insert((kind, id));
    }

    /// Stops the run: rows not yet sent become `skipped` with this reason.
    pub fn stop(&self, why: String) {
        let mut s = lock(&self.stop);
        if s.is_none() {
            *s = Some(why);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn stopped(&self) -> Option<String> {
        lock(&self.stop).clone()
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Waits for a slot: the pause after a 429, the configured rate, the adaptive rate.
    async fn gate(&self) {
        loop {
            let pause = lock(&self.throttle).paused_until;
            match pause {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        self.limiter.until_ready().await;
        let slot = {
            let mut t = lock(&self.throttle);
            let now = Instant::now();
            while t
                .sent
                .front()
                .is_some_and(|s| now.duration_since(*s) >= Duration::from_secs(1))
            {
                t.sent.pop_front();
            }
            let slot = match t.current(self.policy.rate) {
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

    fn on_throttled(&self, retry_after: Option<Duration>, attempt: u32) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
        let mut t = lock(&self.throttle);
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
                .current(self.policy.rate)
                .unwrap_or(self.policy.rate)
                .min(measured.max(1.0));
            t.lowered = Some(((base * 0.7).max(0.2), now));
        }
        t.next_slot = t.next_slot.max(until);
    }

    /// Exponential backoff with full jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = Duration::from_secs(20);
        let exp = self
            .policy
            .backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(cap);
        let ms = exp.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=ms.max(1)))
    }

    /// Runs an idempotent call (a read) with the gate and retries.
    async fn with_retries<T, F, Fut>(&self, call: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let mut attempt = 0;
        loop {
            self.gate().await;
            match call().await {
                Ok(v) => {
                    return Ok(v);
                }
                Err(Failure::Throttled { retry_after, .. }) if attempt < self.policy.retries => {
                    self.on_throttled(retry_after, attempt);
                }
                Err(Failure::Transient(_) | Failure::Unknown(_))
                    if attempt < self.policy.retries =>
                {
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Looks for a record a lost create may have made: same name, not there before the run,
    /// not given to another row. Ok(None): none, the create may be sent again.
    async fn reconcile(&self, record: &Record) -> Result<Option<u64>, Failure> {
        let kind = record.kind();
        let name = record.name().unwrap_or_default().trim().to_string();
        let mut filter = serde_json::Map::new();
        filter.insert("name".into(), serde_json::Value::String(name.clone()));
        let found = self
            .with_retries(|| self.client.list(kind, Some(filter.clone())))
            .await?;
        let want = fold_name(&name);
        let pre = self.pre.get(&kind);
        let mut claimed = lock(&self.claimed);
        let candidate = found
            .iter()
            .filter(|l| fold_name(&l.name) == want)
            .map(|l| l.id)
            .filter(|id| !pre.is_some_and(|p| p.contains(id)))
            .filter(|id| !claimed.contains(&(kind, *id)))
            .min();
        if let Some(id) = candidate {
            claimed.insert((kind, id));
        }
        Ok(candidate)
    }

    /// Submits one valid record. `was_sent`: an earlier run journalled this create as sent
    /// with no outcome; `journal_sent` is called before a create is first sent.
    pub async fn submit(
        &self,
        mut record: Record,
        was_sent: bool,
        journal_sent: impl FnOnce() -> std::io::Result<()>,
    ) -> Submitted {
        let kind = record.kind();
        if record.id().is_none() && self.policy.match_by_name {
            let name = fold_name(record.name().unwrap_or_default());
            let matches = self
                .existing
                .get(&kind)
                .and_then(|e| e.by_name.get(&name))
                .cloned()
                .unwrap_or_default();
            match matches.as_slice() {
                [] => {}
                [id] => record.set_id(*id),
                ids => {
                    let list = ids
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ");
                    return local_failure(
                        format!(
                            "name matches {} existing {}: ids {list}",
                            ids.len(),
                            kind.plural()
                        ),
                        "several name matches",
                    );
                }
            }
        }
        let creating = record.id().is_none();
        if self.is_stopping() {
            return self.skipped();
        }
        if creating && was_sent {
            match self.reconcile(&record).await {
                Ok(Some(id)) => return verdict(Status::Created, Some(id)),
                Ok(None) => {}
                Err(f) => return self.fail_or_stop(&f),
            }
        }
        if creating && let Err(e) = journal_sent() {
            return local_failure(format!("cannot write the journal: {e}"), "journal");
        }
        let mut attempt = 0u32;
        let mut last: Option<Failure> = None;
        loop {
            if attempt > self.policy.retries {
                let f = last.unwrap_or_else(|| Failure::Transient("retries ran out".into()));
                let mut s = failed(&f);
                s.verdict.error = format!(
                    "{} (after {} retries)",
                    s.verdict.error, self.policy.retries
                );
                if creating && matches!(f, Failure::Unknown(_)) {
                    s.verdict.error.push_str(
                        "; the record may exist: --resume checks by name before sending again",
                    );
                }
                return s;
            }
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            // A stop (fatal answer elsewhere, Ctrl-C) ends retries of rows not yet applied.
            if attempt > 0 && self.is_stopping() && !matches!(last, Some(Failure::Unknown(_))) {
                return self.skipped();
            }
            self.gate().await;
            let unknown_before = matches!(last, Some(Failure::Unknown(_)));
            if creating && unknown_before {
                // Never resend a create blindly: look for what it may have made.
                match self.reconcile(&record).await {
                    Ok(Some(id)) => return verdict(Status::Created, Some(id)),
                    Ok(None) => {
                        if self.is_stopping() {
                            return self.skipped();
                        }
                    }
                    Err(f) => return self.fail_or_stop(&f),
                }
            }
            match self.client.save(&record).await {
                Ok(id) => {
                    if creating {
                        self.claim(kind, id);
                        return verdict(Status::Created, Some(id));
                    }
                    return verdict(Status::Updated, Some(id));
                }
                Err(f @ Failure::Rejected(_)) => return failed(&f),
                Err(f @ Failure::Fatal(_)) => return self.fail_or_stop(&f),
                Err(Failure::Throttled { retry_after, error }) => {
                    self.on_throttled(retry_after, attempt);
                    last = Some(Failure::Throttled { retry_after, error });
                }
                Err(f @ Failure::Transient(_)) => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    last = Some(f);
                }
                Err(f @ Failure::Unknown(_)) => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    last = Some(f);
                }
            }
            attempt += 1;
        }
    }

    fn fail_or_stop(&self, f: &Failure) -> Submitted {
        if let Failure::Fatal(e) = f {
            self.stop(crate::api::client::fatal_advice(e));
        }
        failed(f)
    }

    pub fn skipped(&self) -> Submitted {
        let mut v = Verdict::new(Status::Skipped);
        v.error = format!(
            "not sent: the run stopped ({})",
            self.stopped().unwrap_or_else(|| "interrupted".into())
        );
        Submitted {
            verdict: v,
            error_label: Some("skipped".into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
