//! The submitter: rate limit, adaptive slow-down on 429, retries with backoff, exactly-once
//! creates (reconciling unknown outcomes by name), matching by name. Knows records and
//! outcomes, not files.

mod reconcile;
pub(crate) mod stop;
mod throttle;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::{Client, Failure};
use crate::kind::Kind;
use crate::outcome::{Status, Verdict};
use crate::record::Record;
use crate::record::names::fold_name;
use stop::Stop;
use throttle::Throttle;

pub(crate) use crate::summary::StopKind;

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

/// Live counts of a run's requests, for the progress display and the summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}

/// Shared by all workers of a run.
pub struct Submitter {
    client: Client,
    policy: Policy,
    throttle: Throttle,
    existing: HashMap<Kind, Existing>,
    /// Ids that existed before the first run (for reconciling lost creates).
    pre: Mutex<HashMap<Kind, HashSet<u64>>>,
    /// Ids this run (or an earlier one being resumed) has given to a row.
    claimed: Mutex<HashSet<(Kind, u64)>>,
    stop: Arc<Stop>,
    stats: Arc<Stats>,
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
    pub(crate) fn new(client: Client, policy: Policy, stop: Arc<Stop>) -> Submitter {
        Submitter {
            client,
            throttle: Throttle::new(policy.rate, policy.backoff),
            policy,
            existing: HashMap::new(),
            pre: Mutex::new(HashMap::new()),
            claimed: Mutex::new(HashSet::new()),
            stop,
            stats: Arc::new(Stats::default()),
        }
    }

    pub(crate) fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
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
        lock(&self.pre).entry(kind).or_insert_with(|| e.ids.clone());
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
    pub fn set_pre(&self, kind: Kind, ids: HashSet<u64>) {
        lock(&self.pre).insert(kind, ids);
    }

    pub fn claim(&self, kind: Kind, id: u64) {
        lock(&self.claimed).insert((kind, id));
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stop.is_stopping()
    }

    /// Waits for a request slot.
    async fn gate(&self) {
        self.throttle.gate().await;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn on_throttled(&self, retry_after: Option<Duration>, attempt: u32) {
        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
        self.throttle.on_throttled(retry_after, attempt);
    }

    /// Sleeps a backoff; false when the run stopped meanwhile.
    async fn back_off(&self, attempt: u32) -> bool {
        self.stop.sleep(self.throttle.backoff(attempt)).await
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
                    self.back_off(attempt).await;
                }
                Err(e) => return Err(e),
            }
            attempt += 1;
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
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
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
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
                    self.back_off(attempt).await;
                    last = Some(f);
                }
                Err(f @ Failure::Unknown(_)) => {
                    self.back_off(attempt).await;
                    last = Some(f);
                }
            }
            attempt += 1;
        }
    }

    fn fail_or_stop(&self, f: &Failure) -> Submitted {
        if let Failure::Fatal(e) = f {
            self.stop
                .stop(StopKind::Fatal, crate::api::client::fatal_advice(e));
        }
        failed(f)
    }

    pub fn skipped(&self) -> Submitted {
        let mut v = Verdict::new(Status::Skipped);
        v.error = format!("not sent: the run stopped ({})", self.stop.reason());
        Submitted {
            verdict: v,
            error_label: Some("skipped".into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
