//! The submitter: a record becomes an outcome. Its parts, each its own value:
//!
//! - the transport (`transport.rs`): client, pacing, retry budget, stop and counts behind one
//!   `call` with one retry rule — every request of a run goes through it;
//! - the claims (`claims.rs`): the account before the first run, the ids given to rows, and
//!   the one look-up that finds what a lost create made;
//! - the account index (`account.rs`): what a row would do to the account as listed;
//! - two strategies over the transport: single calls (`single.rs`, one request a row) and
//!   bulk mode (`bulk.rs`, iVvy's batch namespace, with its own state: the batch size and
//!   the longest batch so far).
//!
//! Knows records and outcomes, not files.

pub(crate) mod account;
mod budget;
pub(crate) mod bulk;
pub(crate) mod changes;
mod claims;
mod list;
mod policy;
mod single;
pub(crate) mod stop;
mod submitted;
mod throttle;
mod transport;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::{Client, Failure};
use crate::kind::Kind;
use account::{Account, Existing};
use bulk::Batches;
use claims::Claims;
use stop::Stop;

pub(crate) use policy::{Policy, Stats, StatsSnapshot};
pub(crate) use stop::StopKind;
pub(crate) use submitted::Submitted;
pub(crate) use transport::Transport;

/// Told of each page read while the account is listed: (kind, pages read, pages).
pub(crate) type OnPage = Box<dyn Fn(Kind, u64, u64) + Send + Sync>;

/// Shared by all workers of a run.
pub(crate) struct Submitter {
    pub(crate) transport: Transport,
    pub(crate) claims: Claims,
    /// The account as listed at the start of the run.
    pub(crate) account: Account,
    /// Bulk mode's state (None: one request per row).
    batches: Option<Batches>,
}

impl Submitter {
    pub(crate) fn new(client: Client, policy: Policy, stop: Arc<Stop>) -> Submitter {
        let batches = policy.batch_size.map(Batches::new);
        Submitter {
            transport: Transport::new(client, policy, stop),
            claims: Claims::default(),
            account: Account::default(),
            batches,
        }
    }

    /// Bulk mode: rows go in batches of this many jobs.
    pub(crate) fn bulk(&self) -> Option<usize> {
        self.batches.as_ref().map(Batches::size)
    }

    pub(crate) fn stats(&self) -> Arc<Stats> {
        self.transport.stats.clone()
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.transport.policy.concurrency
    }

    /// Reads every existing record of `kind` (page by page, through the rate limit); they are
    /// the snapshot from before the run unless a resumed run gave one.
    pub(crate) async fn load_existing(
        &mut self,
        kind: Kind,
        on_page: Option<&OnPage>,
    ) -> Result<(), Failure> {
        let listed = self.transport.list_all(kind, None, on_page).await?;
        let e = Existing::new(kind, &listed);
        self.claims.listed(kind, e.ids());
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
        self.claims.pre_ids(kind)
    }

    /// Replaces the before-the-run snapshot (from a resumed run's journal).
    pub(crate) fn set_pre(&self, kind: Kind, ids: HashSet<u64>) {
        self.claims.set_pre(kind, ids);
    }

    /// `id` is a row's: no look-up gives it to another.
    pub(crate) fn claim(&self, kind: Kind, id: u64) {
        self.claims.claim(kind, id);
    }

    /// Bulk mode: the longest a batch may take on the server.
    pub(crate) fn batch_timeout(&self) -> Duration {
        self.transport.policy.batch_timeout
    }

    /// Sleeps, waking early when the run stops; false when it stopped.
    pub(crate) async fn wait(&self, d: Duration) -> bool {
        self.transport.stop.sleep(d).await
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.transport.is_stopping()
    }

    /// A row not sent because the run stopped.
    pub(crate) fn skipped(&self) -> Submitted {
        Submitted::skipped(&self.transport.stop)
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
