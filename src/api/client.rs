//! The signed HTTP client: one pooled connection for a run that signs, sends and logs each
//! call and hands its answer to `answer` to be read.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::answer::{ApiError, Failure, parse_retry_after, read_answer, saved};
use super::endpoint::{Credentials, Endpoint, redact_userinfo};
use super::sign;
use super::wire::{
    BatchJob, BatchJobResult, BatchProgress, BatchResults, BatchStarted, ListAnswer, ListParams,
    Listed, SaveAnswer,
};
use crate::record::{Kind, Record};

// Read where the client's callers have always found them.
pub(crate) use super::answer::{fatal_advice, job_outcome, job_outcome_of};

/// The answer of a ping.
#[derive(Debug, Clone, Serialize)]
pub struct Ping {
    pub base_url: String,
    pub round_trip_ms: u128,
    /// Server clock minus local clock, in seconds, when the server said its time.
    pub clock_skew_secs: Option<i64>,
}

/// One pooled, keep-alive HTTP client for a run.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: Credentials,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("key", &self.credentials.key)
            .finish_non_exhaustive()
    }
}

/// A request that got no answer: no connection (nothing was sent), or no answer before the
/// timeout or a connection lost after sending (it may have been applied).
fn send_failure(e: &reqwest::Error) -> Failure {
    if e.is_connect() {
        Failure::Transient(format!("cannot connect: {}", root_cause(e)))
    } else if e.is_timeout() {
        Failure::Unknown("no answer before the timeout".into())
    } else {
        Failure::Unknown(format!("connection lost: {}", root_cause(e)))
    }
}

impl Client {
    pub(crate) fn new(
        endpoint: Endpoint,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("ivvy-import/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry signed writes elsewhere, even to plain http: never follow.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            endpoint,
            credentials,
        })
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Signs (freshly, for this attempt) and sends one call; returns the answer's JSON. Each
    /// call is logged (action, status, codes, latency; never the signed headers).
    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        namespace: &str,
        action: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let (started, mut status) = (Instant::now(), None);
        let result = self.exchange(namespace, action, body, &mut status).await;
        log_request(
            namespace,
            action,
            status,
            started.elapsed(),
            result.as_ref().err(),
        );
        result
    }

    async fn exchange<B: Serialize, T: DeserializeOwned>(
        &self,
        namespace: &str,
        action: &str,
        body: &B,
        http_status: &mut Option<u16>,
    ) -> Result<T, Failure> {
        let body = serde_json::to_vec(body).map_err(|e| Failure::Transient(e.to_string()))?;
        let uri = Endpoint::request_uri(namespace, action);
        let signed = sign::sign(
            &self.credentials.key,
            self.credentials.secret.expose(),
            &uri,
            &body,
            OffsetDateTime::now_utc(),
        );
        let res = self
            .http
            .post(format!("{}{uri}", self.endpoint.base()))
            .header("Content-Type", sign::CONTENT_TYPE)
            .header("Content-MD5", &signed.content_md5)
            .header("IVVY-Date", &signed.ivvy_date)
            .header("X-Api-Authorization", &signed.authorization)
            .body(body)
            .send()
            .await
            .map_err(|e| send_failure(&e))?;
        let status = res.status().as_u16();
        *http_status = Some(status);
        let server_time = res
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(OffsetDateTime::from);
        if (300..400).contains(&status) {
            let to = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(
                    || "nowhere".to_string(),
                    |l| format!("{:?}", redact_userinfo(l)),
                );
            return Err(Failure::Fatal(ApiError {
                http_status: status,
                error_code: u32::from(status),
                specific_code: None,
                message: format!("the server redirected to {to}; redirects are never followed"),
                server_time,
            }));
        }
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = match res.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => {
                return Err(Failure::Unknown("answer cut off by the timeout".into()));
            }
            Err(e) => {
                return Err(Failure::Unknown(format!(
                    "answer cut off: {}",
                    root_cause(&e)
                )));
            }
        };
        read_answer(status, server_time, retry_after, &bytes)
    }

    /// `addOrUpdateLeadSource` / `addOrUpdateLeadStage`: the record's id on success.
    pub(crate) async fn save(&self, record: &Record) -> Result<u64, Failure> {
        let answer: SaveAnswer = self.call("crm", save_action(record.kind()), record).await?;
        saved(&answer, record)
    }

    /// `batch?action=run`: the jobs start on the server; their batch's id.
    pub(crate) async fn batch_run(&self, records: &[&Record]) -> Result<String, Failure> {
        let jobs: Vec<BatchJob> = records
            .iter()
            .map(|r| BatchJob {
                namespace: "crm".into(),
                action: save_action(r.kind()).into(),
                params: serde_json::to_value(r).unwrap_or_default(),
            })
            .collect();
        let answer: BatchStarted = self
            .call("batch", "run", &serde_json::json!({ "jobs": jobs }))
            .await?;
        Ok(answer.async_id)
    }

    /// `batch?action=progress`: 0 to 100.
    pub(crate) async fn batch_progress(&self, async_id: &str) -> Result<f64, Failure> {
        let answer: BatchProgress = self
            .call(
                "batch",
                "progress",
                &serde_json::json!({ "async": async_id }),
            )
            .await?;
        Ok(answer.progress)
    }

    /// `batch?action=results`: each job's answer, in job order.
    pub(crate) async fn batch_results(
        &self,
        async_id: &str,
    ) -> Result<Vec<BatchJobResult>, Failure> {
        let answer: BatchResults = self
            .call(
                "batch",
                "results",
                &serde_json::json!({ "async": async_id }),
            )
            .await?;
        Ok(answer.results)
    }
}

/// The action that saves a record of a kind.
pub(crate) fn save_action(kind: Kind) -> &'static str {
    kind.info().save_action
}

impl Client {
    /// One page of the existing records of a kind: `per_page` records from the zero-based
    /// record offset `start`, optionally filtered.
    pub(crate) async fn list_page(
        &self,
        kind: Kind,
        filter: Option<&serde_json::Map<String, serde_json::Value>>,
        start: u64,
        per_page: u64,
    ) -> Result<ListAnswer<Listed>, Failure> {
        let action = kind.info().list_action;
        let params = ListParams {
            per_page: Some(per_page),
            start: Some(start),
            filter: filter.cloned(),
        };
        self.call("crm", action, &params).await
    }

    /// `test?action=ping`: round trip and the server's clock.
    pub(crate) async fn ping(&self) -> Result<Ping, Failure> {
        let started = Instant::now();
        let local = OffsetDateTime::now_utc();
        let answer: serde_json::Value = self.call("test", "ping", &serde_json::json!({})).await?;
        let rtt = started.elapsed();
        Ok(Ping {
            base_url: self.endpoint.base().to_string(),
            round_trip_ms: rtt.as_millis(),
            clock_skew_secs: server_time(&answer).map(|t| (t - local).whole_seconds()),
        })
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The server's timestamp in a ping answer: a Unix time or an iVvy date, under any key that
/// names a time.
fn server_time(v: &serde_json::Value) -> Option<OffsetDateTime> {
    let obj = v.as_object()?;
    for (k, val) in obj {
        let k = k.to_ascii_lowercase();
        if !(k.contains("time") || k.contains("date")) {
            continue;
        }
        if let Some(n) = val.as_i64() {
            return OffsetDateTime::from_unix_timestamp(n).ok();
        }
        if let Some(s) = val.as_str() {
            let s = s.trim().trim_end_matches(" UTC");
            let fmt =
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            if let Ok(p) = time::PrimitiveDateTime::parse(s, fmt) {
                return Some(p.assume_utc());
            }
        }
    }
    None
}

/// The tracing target of the one event per API request.
pub(crate) const REQUEST: &str = "ivvy_import::request";

/// One API request's event: what was asked, how it went, how long it took. Called by the
/// client after every attempt.
fn log_request(
    namespace: &str,
    action: &str,
    http_status: Option<u16>,
    latency: Duration,
    failure: Option<&Failure>,
) {
    let outcome = match failure {
        None => "ok",
        Some(Failure::Rejected(_)) => "rejected",
        Some(Failure::Throttled { .. }) => "throttled",
        Some(Failure::Transient(_)) => "transient",
        Some(Failure::Unknown(_)) => "unknown",
        Some(Failure::Fatal(_)) => "fatal",
    };
    let api = failure.and_then(Failure::api_error);
    tracing::debug!(
        target: REQUEST,
        event = "request",
        namespace,
        action,
        http_status = http_status.map(u64::from),
        error_code = api.map(|e| u64::from(e.error_code)),
        specific_code = api.and_then(|e| e.specific_code).map(u64::from),
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        outcome,
        error = failure.map(|f| tracing::field::display(f.describe())),
        "{namespace}?action={action}: {} in {} ms",
        match (http_status, failure) {
            (Some(s), None) => format!("HTTP {s}"),
            (Some(s), Some(f)) => format!("HTTP {s}, {outcome}: {}", f.describe()),
            (None, Some(f)) => format!("{outcome}: {}", f.describe()),
            (None, None) => outcome.to_string(),
        },
        latency.as_millis(),
    );
}

#[cfg(test)]
mod tests;
