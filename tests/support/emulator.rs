//! The emulator in the test process, on its own runtime, so a test can point the binary at it
//! and read its store and request log afterwards.

use ivvy_import::sandbox::{Faults, Log, Sandbox, SandboxOptions, Store};

pub(crate) struct Emulator {
    // Declared first: dropped (and shut down) before its runtime.
    sandbox: Sandbox,
    _rt: tokio::runtime::Runtime,
}

impl Emulator {
    /// An emulator on 127.0.0.1 (a free port) with seeded faults, e.g. `seed=3,error=0.1`.
    pub(crate) fn start(faults: &str) -> Emulator {
        let faults = Faults::parse(faults).unwrap_or_else(|e| panic!("fault spec {faults:?}: {e}"));
        Emulator::start_with(SandboxOptions {
            faults,
            ..SandboxOptions::default()
        })
    }

    pub(crate) fn start_with(options: SandboxOptions) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the emulator");
        let sandbox = rt
            .block_on(Sandbox::start(options))
            .expect("the emulator binds 127.0.0.1");
        Emulator { sandbox, _rt: rt }
    }

    pub(crate) fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    /// The API key and secret it accepts.
    pub(crate) fn key_and_secret(&self) -> (String, String) {
        let c = self.sandbox.credentials();
        (c.key.clone(), c.secret.expose().to_string())
    }

    /// The emulator itself, e.g. to add a record as another user of the account would.
    pub(crate) fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub(crate) fn store(&self) -> Store {
        self.sandbox.store()
    }

    pub(crate) fn log(&self) -> Log {
        self.sandbox.log()
    }

    /// Moves the emulator's clock by `secs` (requests then look that far off).
    pub(crate) fn shift_clock(&self, secs: i64) {
        self.sandbox.shift_clock(secs);
    }
}
