//! The built-in iVvy emulator: a real HTTP server on loopback that checks signatures as iVvy
//! does, keeps records, and misbehaves on request (seeded faults, latency, a rate limit).
//! It shares only the wire types with the client.

mod faults;
mod server;
pub mod store;
pub mod verify;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use faults::{Faults, WriteFault};
pub use store::Store;

use crate::api::Credentials;

/// What the emulator has seen, for tests and the state endpoint.
#[derive(Debug, Default, Clone)]
pub struct Log {
    /// When each API request arrived, whatever its answer.
    pub arrivals: Vec<Instant>,
    /// 429 answers.
    pub throttled: u64,
    /// Refused signatures, dates or keys.
    pub refused: u64,
    /// Faults injected, by kind.
    pub faults: Vec<WriteFault>,
}

pub(crate) struct State {
    pub key: String,
    pub secret: String,
    pub faults: Faults,
    pub store: Mutex<Store>,
    pub log: Mutex<Log>,
    pub rng: Mutex<rand::rngs::StdRng>,
    pub window: Mutex<(Instant, u32)>,
    pub verbose: bool,
    /// Shift of the emulator's clock, seconds (to test stale requests).
    pub clock_offset: Mutex<i64>,
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
    pub async fn start(opts: SandboxOptions) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            key: opts.key.unwrap_or_else(|| random_token("sandbox-")),
            secret: opts.secret.unwrap_or_else(|| random_token("")),
            rng: Mutex::new(opts.faults.rng()),
            faults: opts.faults,
            store: Mutex::new(Store::new()),
            log: Mutex::new(Log::default()),
            window: Mutex::new((Instant::now(), 0)),
            verbose: opts.verbose,
            clock_offset: Mutex::new(0),
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

    /// A copy of the records and counts.
    pub fn store(&self) -> Store {
        lock(&self.state.store).clone()
    }

    /// A copy of the request log.
    pub fn log(&self) -> Log {
        lock(&self.state.log).clone()
    }

    /// Moves the emulator's clock, so requests look stale.
    pub fn shift_clock(&self, secs: i64) {
        *lock(&self.state.clock_offset) = secs;
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
