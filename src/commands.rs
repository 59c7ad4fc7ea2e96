//! The two small commands beside a run: `ping` (credentials, base URL, clock skew) and
//! `sandbox` (serve the emulator until Ctrl-C).

use crate::api::Failure;
use crate::api::client::{Ping, fatal_advice};
use crate::backend::Backend;
use crate::config::{PingConfig, SandboxConfig};
use crate::error::FatalError;
use crate::sandbox::{Sandbox, SandboxOptions};

fn runtime() -> Result<tokio::runtime::Runtime, FatalError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Start(format!("cannot start the runtime: {e}")))
}

/// Calls `test?action=ping` once: credentials, base URL and the clock skew.
pub fn ping(config: &PingConfig) -> Result<Ping, FatalError> {
    runtime()?.block_on(async {
        let backend = Backend::connect(&config.target, config.timeout).await?;
        let client = &backend.client;
        client.ping().await.map_err(|f| {
            let why = match &f {
                Failure::Fatal(e) => fatal_advice(e),
                other => other.describe(),
            };
            FatalError::Api(format!("ping {} failed: {why}", client.endpoint().base()))
        })
    })
}

/// Serves the emulator on 127.0.0.1 until Ctrl-C; `ready` is told its address and credentials.
pub fn serve(config: SandboxConfig, ready: impl FnOnce(&Sandbox)) -> Result<(), FatalError> {
    runtime()?.block_on(async move {
        let sb = Sandbox::start(SandboxOptions {
            port: config.port,
            key: config.key,
            secret: config.secret,
            faults: config.faults,
            verbose: true,
        })
        .await
        .map_err(|e| FatalError::Start(format!("cannot start the sandbox: {e}")))?;
        ready(&sb);
        let _ = tokio::signal::ctrl_c().await;
        Ok(())
    })
}

impl Ping {
    /// Prints the answer for people, or as JSON; the exit code.
    pub fn print(&self, json: bool) -> u8 {
        if json {
            println!("{}", serde_json::to_string(self).unwrap_or_default());
        } else {
            let skew = self
                .clock_skew_secs
                .map_or("unknown (the server gave no time)".to_string(), |s| {
                    format!("{s:+} s")
                });
            println!(
                "ok: {} answered in {} ms; clock skew {skew}",
                self.base_url, self.round_trip_ms
            );
        }
        crate::error::EXIT_OK
    }
}

impl Sandbox {
    /// The lines a client needs to talk to this emulator.
    pub fn print_banner(&self) {
        let creds = self.credentials();
        println!("listening on {}", self.base_url());
        println!("IVVY_API_KEY={}", creds.key);
        // A throwaway secret for this emulator, shown once so a client can use it.
        println!("IVVY_API_SECRET={}", creds.secret.expose());
        println!("state: {}/_sandbox/state", self.base_url());
    }
}
