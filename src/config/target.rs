//! Where requests go and how fast: the endpoint and credentials of a remote run (or the
//! sandbox), and the pacing flags, checked.

use std::time::Duration;

use super::{ConfigError, invalid};
use crate::api::{Credentials, Endpoint};
use crate::cli::{PacingArgs, RegionArg, TargetArgs};
use crate::pipeline::Policy;
use crate::profile::CredentialVars;
use crate::sandbox::Faults;

/// Where requests go.
#[derive(Debug, Clone)]
pub enum Target {
    Remote {
        endpoint: Endpoint,
        credentials: Credentials,
    },
    /// An emulator started in-process for the run.
    Sandbox { faults: Faults },
}

pub(super) fn sandbox_faults(spec: Option<&str>) -> Result<Faults, ConfigError> {
    spec.map_or(Ok(Faults::default()), |s| Faults::parse(s).map_err(invalid))
}

/// How fast and how persistently requests go (ranges are checked by the CLI's parsers): the
/// submitter's policy and one request's timeout, and the figures the report and a plan's
/// summary show.
#[derive(Debug, Clone)]
pub struct Pacing {
    rate: f64,
    concurrency: usize,
    retries: u32,
    timeout: Duration,
    backoff: Duration,
    max_wait: Duration,
    give_up_after: Duration,
    /// Bulk mode's jobs per batch (None: single calls).
    batch_size: Option<usize>,
    /// Bulk mode: the longest a batch may take on the server.
    batch_timeout: Duration,
}

impl Pacing {
    /// The submitter's policy (the pipeline takes its own type, knowing nothing of flags).
    pub(crate) fn policy(&self) -> Policy {
        Policy {
            rate: self.rate,
            retries: self.retries,
            backoff: self.backoff,
            concurrency: self.concurrency,
            max_wait: self.max_wait,
            give_up_after: self.give_up_after,
            batch_size: self.batch_size,
            batch_timeout: self.batch_timeout,
        }
    }

    /// For connecting: one request's timeout (`--timeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Requests a second (`--rate`).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Requests in flight at most (`--concurrency`).
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Bulk mode's jobs per batch (`--bulk --batch-size`); None: single calls.
    pub fn batch_size(&self) -> Option<usize> {
        self.batch_size
    }
}

pub(super) fn pacing(p: &PacingArgs, timeout_secs: f64) -> Result<Pacing, ConfigError> {
    Ok(Pacing {
        rate: p.rate,
        concurrency: usize::from(p.concurrency),
        retries: p.retries,
        timeout: timeout(timeout_secs)?,
        backoff: Duration::from_millis(p.backoff_ms),
        max_wait: Duration::from_secs_f64(p.max_wait),
        give_up_after: Duration::from_secs_f64(p.give_up_after),
        batch_size: p.bulk.then_some(usize::from(p.batch_size)),
        batch_timeout: p.batch_timeout.map_or_else(
            || (Duration::from_secs_f64(p.max_wait) * 4).max(Duration::from_secs(1)),
            Duration::from_secs_f64,
        ),
    })
}

pub fn timeout(secs: f64) -> Result<Duration, ConfigError> {
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(invalid("--timeout must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The endpoint and credentials of a remote run, or the sandbox.
pub fn target_config(
    t: &TargetArgs,
    faults: Faults,
    vars: &CredentialVars,
) -> Result<Target, ConfigError> {
    if t.sandbox {
        return Ok(Target::Sandbox { faults });
    }
    let endpoint = match (&t.base_url, t.region) {
        (Some(url), _) => Endpoint::parse(url).map_err(invalid)?,
        (None, Some(r)) => Endpoint::region(match r {
            RegionArg::Au => "au",
            RegionArg::Us => "us",
            RegionArg::Eu => "eu",
        }),
        (None, None) => {
            return Err(invalid(
                "no API given: pass --region au|us|eu or --base-url URL (or IVVY_REGION / IVVY_BASE_URL), or --sandbox to try the built-in emulator",
            ));
        }
    };
    let credentials = credentials(vars)?;
    Ok(Target::Remote {
        endpoint,
        credentials,
    })
}

/// The API key and secret from the environment variables a profile names (by default
/// IVVY_API_KEY and IVVY_API_SECRET).
fn credentials(vars: &CredentialVars) -> Result<Credentials, ConfigError> {
    if *vars == CredentialVars::default() {
        return Credentials::from_env().map_err(ConfigError::Credentials);
    }
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let (key, secret) = (get(&vars.key), get(&vars.secret));
    let missing: Vec<&str> = [(&key, &vars.key), (&secret, &vars.secret)]
        .iter()
        .filter(|(v, _)| v.is_none())
        .map(|(_, n)| n.as_str())
        .collect();
    let (Some(key), Some(secret)) = (key, secret) else {
        return Err(ConfigError::Credentials(format!(
            "set {} in the environment (the profile names it with api_key_env / api_secret_env)",
            missing.join(" and ")
        )));
    };
    for (name, v) in [(&vars.key, &key), (&vars.secret, &secret)] {
        if v.trim().chars().any(char::is_control) {
            return Err(ConfigError::Credentials(format!(
                "{name} holds a control character (a pasted line break or tab?): set it again without one"
            )));
        }
    }
    Ok(Credentials::new(key.trim(), secret.trim()))
}
