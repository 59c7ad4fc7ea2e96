//! Where requests go: a remote iVvy account, or the built-in emulator started for the run.
//! The same client, signing, retries and pacing serve both.

use std::time::Duration;

use crate::api::{Client, Endpoint};
use crate::config::Target;
use crate::error::FatalError;
use crate::sandbox::{Sandbox, SandboxOptions};

/// A client, and the emulator behind it when there is one (it lives as long as this).
pub(crate) struct Backend {
    pub client: Client,
    pub sandbox: Option<Sandbox>,
}

impl Backend {
    /// Starts the emulator when the target is the sandbox; builds the client.
    pub(crate) async fn connect(target: &Target, timeout: Duration) -> Result<Backend, FatalError> {
        let (sandbox, endpoint, credentials) = match target {
            Target::Remote {
                endpoint,
                credentials,
            } => (None, endpoint.clone(), credentials.clone()),
            Target::Sandbox { faults } => {
                let sb = Sandbox::start(SandboxOptions {
                    faults: faults.clone(),
                    ..SandboxOptions::default()
                })
                .await
                .map_err(|e| FatalError::Start(format!("cannot start the sandbox: {e}")))?;
                let endpoint = Endpoint::parse(&sb.base_url()).map_err(FatalError::Start)?;
                let credentials = sb.credentials();
                (Some(sb), endpoint, credentials)
            }
        };
        let client = Client::new(endpoint, credentials, timeout).map_err(FatalError::Start)?;
        Ok(Backend { client, sandbox })
    }

    /// The line that tells the user requests stay on this machine.
    pub(crate) fn sandbox_note(&self) -> Option<String> {
        self.sandbox.as_ref().map(|sb| {
            format!(
                "sandbox: built-in iVvy emulator at {} (nothing leaves this machine)",
                sb.base_url()
            )
        })
    }
}
