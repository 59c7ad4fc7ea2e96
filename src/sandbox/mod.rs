//! The built-in iVvy emulator: a real HTTP server on loopback that checks signatures as iVvy
//! does, keeps records, and misbehaves on request (seeded faults, latency, a rate limit).
//! It shares only the wire types with the client.
//!
//! Layout: `server.rs` (HTTP stages: route, rate limit, authenticate, faults, dispatch),
//! `verify.rs` (its own signature check), `clock.rs` (its clock, which may be set off),
//! `faults.rs` (the knobs), `answer.rs` (what every call answers with), `records.rs` (the two
//! kinds and their save tables), `store.rs` (records and the call table), `save.rs` (one save
//! for both kinds), `list.rs` (paged, filtered lists over indexes), `batch.rs` (the
//! asynchronous batch namespace), `queue.rs` (the batches held until due).
//!
//! Imports point one way: `answer`, `records`, `list` and `queue` know nothing of the store;
//! `store` uses them; `save` and `batch` add their calls to the store (`impl Store`).

mod answer;
mod batch;
mod clock;
mod faults;
mod list;
mod queue;
mod records;
mod save;
mod server;
pub mod store;
#[cfg(test)]
mod tests;
pub mod verify;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use batch::BATCH_NOT_COMPLETED;
pub use faults::{DEFAULT_BATCH_MAX, Faults, WriteFault};
pub use list::MAX_PER_PAGE;
pub use store::{Moment, Store};

use crate::api::Credentials;
use clock::Clock;

/// What the emulator has seen, for tests and the state endpoint.
#[derive(Debug, Default, Clone)]
pub struct Log {
    /// When each API request arrived, whatever its answer.
    pub arrivals: Vec<Instant>,
    /// 429 answers.
    pub throttled: u64,
    /// Refused signatures, dates or keys.
    pub refused: u64,
    /// Faults injected, by kind: write faults, and poll faults (`Error`, `Reset`) on batch
    /// progress/results calls.
    pub faults: Vec<WriteFault>,
}

pub(crate) struct State {
    pub key: String,
    pub secret: String,
    pub faults: Faults,
    pub store: Mutex<Store>,
    pub log: Mutex<Log>,
    /// Draws the write faults.
    pub rng: Mutex<rand::rngs::StdRng>,
    /// Draws the poll faults.
    pub poll_rng: Mutex<rand::rngs::StdRng>,
    pub window: Mutex<(Instant, u32)>,
    pub verbose: bool,
    /// The emulator's wall clock (set off by `clock-offset-s` and `shift_clock`).
    pub clock: Clock,
}

impl State {
    /// Now, by the emulator's clock.
    pub(crate) fn moment(&self) -> Moment {
        Moment {
            instant: Instant::now(),
            wall: self.clock.now(),
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How to start an emulator.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    pub port: u16,
    /// None: generated.
    pub key: Option<String>,
    pub secret: Option<String>,
    pub faults: Faults,
    /// Log every refusal and fault on stderr.
    pub verbose: bool,
}

fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let mut r = rand::rng();
    let n: u128 = r.random();
    format!("{prefix}{n:032x}")
}

impl Sandbox {
    /// Binds 127.0.0.1 (the given port, or a free one) and serves on the current runtime.
    /// The store starts with the built-in records and the `preload-…` records of the faults.
    pub async fn start(opts: SandboxOptions) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        let f = &opts.faults;
        let mut store = Store::new();
        store.configure_batches(f.batch_max, f.batch_delay);
        store.batches.misreport = f.batch_results;
        store.batches.stuck = f.batch_stuck;
        store.list_faults.delete_at = f.list_delete_at;
        store.list_faults.claim_total = f.list_total;
        store.preload_sources(f.preload_sources);
        store.preload_stages(f.preload_stages);
        let state = Arc::new(State {
            key: opts.key.unwrap_or_else(|| random_token("sandbox-")),
            secret: opts.secret.unwrap_or_else(|| random_token("")),
            rng: Mutex::new(f.rng()),
            poll_rng: Mutex::new(f.poll_rng()),
            clock: Clock::new(f.clock_offset_secs),
            faults: opts.faults,
            store: Mutex::new(store),
            log: Mutex::new(Log::default()),
            window: Mutex::new((Instant::now(), 0)),
            verbose: opts.verbose,
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(listener, state.clone(), rx));
        Ok(Sandbox {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The credentials the emulator accepts.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.state.key.clone(), self.state.secret.clone())
    }

    /// A copy of the records and counts (batches due by now applied first).
    pub fn store(&self) -> Store {
        let mut store = lock(&self.state.store);
        store.settle(self.state.moment());
        store.clone()
    }

    /// Adds an editable lead source as another client would (not counted in `creates` or
    /// `writes`); answers its id.
    pub fn insert_source(
        &self,
        name: &str,
        cost: Option<f64>,
        description: Option<&str>,
        is_referral: bool,
    ) -> u64 {
        lock(&self.state.store).insert_source(name, cost, description, is_referral)
    }

    /// Adds an editable lead stage (`apply_to` 1 = opportunity, 2 = lead) as another client
    /// would (not counted in `creates` or `writes`); answers its id.
    pub fn insert_stage(&self, name: &str, apply_to: u8) -> u64 {
        lock(&self.state.store).insert_stage(name, apply_to)
    }

    /// A copy of the request log.
    pub fn log(&self) -> Log {
        lock(&self.state.log).clone()
    }

    /// Moves the emulator's clock `secs` from where `clock-offset-s` put it (replacing any
    /// earlier shift), so requests look stale.
    pub fn shift_clock(&self, secs: i64) {
        self.state.clock.shift(secs);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
