//! The signed HTTP client and the classification of every answer.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::endpoint::{Credentials, Endpoint, redact_userinfo};
use super::sign;
use super::wire::{
    BatchJob, BatchJobResult, BatchProgress, BatchResults, BatchStarted, ErrorBody, ListAnswer,
    ListParams, Listed, SaveAnswer,
};
use crate::record::{Kind, Record};

/// An error the API answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub http_status: u16,
    pub error_code: u32,
    pub specific_code: Option<u32>,
    pub message: String,
    /// The server's clock, from the answer's `Date` header.
    pub server_time: Option<OffsetDateTime>,
}

impl ApiError {
    fn from_body(status: u16, b: ErrorBody) -> ApiError {
        let mut message = b.message;
        if let Some(more) = b.additional_messages.filter(|m| !m.is_empty()) {
            message = format!("{message}: {}", more.join("; "));
        }
        ApiError {
            http_status: status,
            error_code: b.error_code,
            specific_code: b.specific_code,
            message,
            server_time: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error_code)?;
        if let Some(s) = self.specific_code {
            write!(f, "/{s}")?;
        }
        write!(f, " {}", self.message)
    }
}

/// Why a call did not succeed, classified for the retry policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The row's fault (a 400-class answer, or `"success": false`): not retried.
    Rejected(ApiError),
    /// 429: slow down, then retry.
    Throttled {
        retry_after: Option<Duration>,
        error: ApiError,
    },
    /// Not applied (5xx, 460/461, no connection): retry.
    Transient(String),
    /// The request may have been applied (timeout or connection lost after sending).
    Unknown(String),
    /// Credentials, clock or key: the whole run must stop.
    Fatal(ApiError),
}

impl Failure {
    /// A failure that must stop the run, found by the client itself.
    pub(crate) fn fatal(message: String) -> Failure {
        Failure::Fatal(ApiError {
            http_status: 0,
            error_code: 0,
            specific_code: None,
            message,
            server_time: None,
        })
    }

    /// The short text for a results line or a log line.
    pub(crate) fn describe(&self) -> String {
        match self {
            Failure::Rejected(e) | Failure::Throttled { error: e, .. } => e.message.clone(),
            Failure::Transient(m) | Failure::Unknown(m) => m.clone(),
            Failure::Fatal(e) => fatal_advice(e),
        }
    }

    pub(crate) fn api_error(&self) -> Option<&ApiError> {
        match self {
            Failure::Rejected(e) | Failure::Throttled { error: e, .. } | Failure::Fatal(e) => {
                Some(e)
            }
            _ => None,
        }
    }
}

/// What a fatal answer means and what to check.
pub(crate) fn fatal_advice(e: &ApiError) -> String {
    if e.error_code == 0 {
        return e.message.clone();
    }
    let what = match (e.error_code, e.specific_code) {
        (401, Some(super::wire::codes::STALE_REQUEST)) => {
            "the request was refused as stale: check this machine's clock (it must be within 5 minutes of iVvy's; `ivvy-import ping` shows the skew)"
        }
        (401, _) => {
            "the API refused the credentials: check IVVY_API_KEY and IVVY_API_SECRET and the region or base URL"
        }
        (403, _) => "the API key is not allowed to do this: check its permissions in iVvy",
        (462, _) => "the session expired: run again",
        (463, _) => "the API key has been revoked: ask the account's administrator for a new key",
        (300..=399, _) => {
            "the server answered with a redirect, which is never followed: check the base URL or region"
        }
        _ => "the API refused the run",
    };
    format!("{what} ({e})")
}

fn classify_error(status: u16, e: ApiError, retry_after: Option<Duration>) -> Failure {
    match e.error_code {
        401 | 403 | 462 | 463 => Failure::Fatal(e),
        429 => Failure::Throttled {
            retry_after,
            error: e,
        },
        460 | 461 | 500..=599 => Failure::Transient(format!("{e}")),
        _ if status == 429 => Failure::Throttled {
            retry_after,
            error: e,
        },
        _ => Failure::Rejected(e),
    }
}

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

fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        // Huge values (1e300) saturate; the pipeline caps every wait at --max-wait anyway.
        return (secs >= 0.0).then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(120)]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// What an answer says, from its HTTP status and body: the expected JSON, or the failure it
/// is (an error body, a status other than 2xx, a body that is not JSON or not of that shape).
fn read_answer<T: DeserializeOwned>(
    status: u16,
    server_time: Option<OffsetDateTime>,
    retry_after: Option<Duration>,
    bytes: &[u8],
) -> Result<T, Failure> {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            let msg = format!(
                "HTTP {status} with a body that is not JSON: {:?}",
                snippet(bytes)
            );
            return Err(match status {
                429 => Failure::Throttled {
                    retry_after,
                    error: ApiError {
                        http_status: 429,
                        error_code: 429,
                        specific_code: None,
                        message: msg,
                        server_time: None,
                    },
                },
                500..=599 => Failure::Transient(msg),
                200..=299 => Failure::Unknown(msg),
                _ => Failure::Rejected(ApiError {
                    http_status: status,
                    error_code: u32::from(status),
                    specific_code: None,
                    message: msg,
                    server_time: None,
                }),
            });
        }
    };
    if value.get("errorCode").is_some() {
        let body: ErrorBody = serde_json::from_value(value).map_err(|e| {
            Failure::Transient(format!("HTTP {status}: unreadable error body: {e}"))
        })?;
        let mut e = ApiError::from_body(status, body);
        e.server_time = server_time;
        return Err(classify_error(status, e, retry_after));
    }
    if !(200..300).contains(&status) {
        let e = ApiError {
            http_status: status,
            error_code: u32::from(status),
            specific_code: None,
            message: format!("HTTP {status}: {}", snippet(bytes)),
            server_time: None,
        };
        return Err(classify_error(status, e, retry_after));
    }
    serde_json::from_value(value).map_err(|e| {
        Failure::Unknown(format!(
            "HTTP {status}: unexpected answer ({e}): {:?}",
            snippet(bytes)
        ))
    })
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
fn save_action(kind: Kind) -> &'static str {
    match kind {
        Kind::Source => "addOrUpdateLeadSource",
        Kind::Stage => "addOrUpdateLeadStage",
    }
}

/// One job's answer inside a batch, read as a single call's answer would be.
pub(crate) fn job_outcome(response: &serde_json::Value, record: &Record) -> Result<u64, Failure> {
    if let Some(code) = response
        .get("errorCode")
        .and_then(serde_json::Value::as_u64)
    {
        let body: ErrorBody = serde_json::from_value(response.clone())
            .map_err(|e| Failure::Unknown(format!("unreadable job answer: {e}")))?;
        let status = u16::try_from(code).unwrap_or(500);
        return Err(classify_error(
            status,
            ApiError::from_body(status, body),
            None,
        ));
    }
    let answer: SaveAnswer = serde_json::from_value(response.clone())
        .map_err(|e| Failure::Unknown(format!("unexpected job answer ({e})")))?;
    saved(&answer, record)
}

fn saved(answer: &SaveAnswer, record: &Record) -> Result<u64, Failure> {
    {
        match (answer.success, answer.id.or(record.id())) {
            (true, Some(id)) => Ok(id),
            (true, None) => Err(Failure::Unknown(
                "the API said success but gave no id".into(),
            )),
            (false, _) => Err(Failure::Rejected(ApiError {
                http_status: 200,
                error_code: 200,
                specific_code: None,
                message: "the API answered \"success\": false".into(),
                server_time: None,
            })),
        }
    }
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
        let action = match kind {
            Kind::Source => "getLeadSourceList",
            Kind::Stage => "getLeadStageList",
        };
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
mod tests {
    use serde_json::json;

    use super::*;
    use crate::record::{ApplyTo, LeadSource, LeadStage};
    use crate::sandbox::{Faults, Sandbox, SandboxOptions};

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://localhost:1").is_ok());
        assert!(Endpoint::parse("http://[::1]:1").is_ok());
        assert!(Endpoint::parse("https://api.us-west-2.ivvy.com/").is_ok());
        assert!(Endpoint::parse("http://api.us-west-2.ivvy.com").is_err());
        assert!(Endpoint::parse("http://10.0.0.1").is_err());
    }

    #[test]
    fn secret_never_shows_in_debug() {
        let c = Credentials::new("key1", "s3cr3t-value");
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
        let client = Client::new(Endpoint::region("au"), c, Duration::from_secs(1)).unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn answers_are_classified() {
        let e = |code, spec| ApiError {
            http_status: u16::try_from(code).unwrap(),
            error_code: code,
            specific_code: spec,
            message: String::new(),
            server_time: None,
        };
        assert!(matches!(
            classify_error(401, e(401, Some(23005)), None),
            Failure::Fatal(_)
        ));
        assert!(matches!(
            classify_error(463, e(463, None), None),
            Failure::Fatal(_)
        ));
        assert!(matches!(
            classify_error(429, e(429, None), None),
            Failure::Throttled { .. }
        ));
        assert!(matches!(
            classify_error(500, e(500, None), None),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify_error(200, e(461, None), None),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify_error(400, e(400, Some(24328)), None),
            Failure::Rejected(_)
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_retry_after("soon"), None);
    }

    // The client against the emulator over loopback.

    async fn sandbox(faults: &str) -> Sandbox {
        Sandbox::start(SandboxOptions {
            key: Some("test-key".into()),
            secret: Some("right-secret".into()),
            faults: Faults::parse(faults).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap()
    }

    fn client_with(sb: &Sandbox, secret: &str, timeout: Duration) -> Client {
        Client::new(
            Endpoint::parse(&sb.base_url()).unwrap(),
            Credentials::new("test-key", secret),
            timeout,
        )
        .unwrap()
    }

    fn client(sb: &Sandbox) -> Client {
        client_with(sb, "right-secret", Duration::from_secs(5))
    }

    fn source(name: &str) -> Record {
        Record::Source(LeadSource {
            name: Some(name.into()),
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn signed_ping_is_accepted_and_reports_clock_skew() {
        let sb = sandbox("").await;
        let p = client(&sb).ping().await.unwrap();
        assert!(p.clock_skew_secs.unwrap().abs() <= 2);
        assert_eq!(p.base_url, sb.base_url());
        assert_eq!(sb.log().refused, 0);
    }

    #[tokio::test]
    async fn wrong_secret_is_a_fatal_auth_failure() {
        let sb = sandbox("").await;
        match client_with(&sb, "wrong-secret", Duration::from_secs(5))
            .ping()
            .await
        {
            Err(Failure::Fatal(e)) => {
                assert_eq!(e.error_code, 401);
                assert!(Failure::Fatal(e).describe().contains("IVVY_API_KEY"));
            }
            other => panic!("expected a fatal 401, got {other:?}"),
        }
        assert_eq!(sb.log().refused, 1);
    }

    #[tokio::test]
    async fn stale_date_is_refused_with_a_clock_message() {
        let sb = sandbox("").await;
        let c = client(&sb);
        for shift in [400, -400] {
            sb.shift_clock(shift);
            match c.ping().await {
                Err(f @ Failure::Fatal(_)) => {
                    assert_eq!(f.api_error().unwrap().specific_code, Some(23005));
                    assert!(f.describe().contains("clock"), "{}", f.describe());
                }
                other => panic!("shift {shift}: expected a stale refusal, got {other:?}"),
            }
        }
        sb.shift_clock(60);
        assert!(c.ping().await.is_ok(), "a minute off is within the window");
    }

    async fn specific(c: &Client, action: &str, params: serde_json::Value) -> Option<u32> {
        match c.call::<_, serde_json::Value>("crm", action, &params).await {
            Err(Failure::Rejected(e)) => e.specific_code,
            other => panic!("{action} {params}: expected a rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn emulator_answers_every_documented_specific_code() {
        let sb = sandbox("").await;
        let c = client(&sb);
        let src = "addOrUpdateLeadSource";
        let stg = "addOrUpdateLeadStage";
        for (action, params, code) in [
            (src, json!({"id": 999_999, "name": "x"}), 24325),
            (src, json!({"id": 1, "name": "x"}), 24326),
            (src, json!({"name": "x", "cost": "abc"}), 24328),
            (src, json!({"name": "x", "isReferral": "often"}), 23016),
            (src, json!({"cost": 5}), 23017),
            (stg, json!({"id": 999_999, "name": "x"}), 24320),
            (stg, json!({"id": 4, "name": "x"}), 24321),
            (stg, json!({"name": "x", "applyTo": 3}), 24323),
            (stg, json!({"name": "x"}), 23017),
        ] {
            assert_eq!(
                specific(&c, action, params.clone()).await,
                Some(code),
                "{params}"
            );
        }
        assert_eq!(sb.store().creates, 0);
    }

    #[tokio::test]
    async fn save_creates_then_updates_and_list_pages_through_everything() {
        let sb = sandbox("").await;
        let c = client(&sb);
        let mut ids = Vec::new();
        for i in 0..230 {
            let r = Record::Stage(LeadStage {
                name: Some(format!("Stage {i}").into()),
                apply_to: Some(ApplyTo::Lead),
                ..Default::default()
            });
            ids.push(c.save(&r).await.unwrap());
        }
        let mut all = Vec::new();
        loop {
            let page = c
                .list_page(Kind::Stage, None, all.len() as u64, 100)
                .await
                .unwrap();
            assert_eq!(page.meta.start, all.len() as u64);
            if page.results.is_empty() {
                break;
            }
            all.extend(page.results);
        }
        assert_eq!(all.len(), 232, "230 created plus two built-in stages");
        let listed: std::collections::HashSet<u64> = all.iter().map(|l| l.id).collect();
        assert_eq!(listed.len(), 232, "no record listed twice across pages");
        let update = Record::Source(LeadSource {
            id: Some(ids[0]),
            ..Default::default()
        });
        // An id that is a stage's is not a source.
        assert!(matches!(c.save(&update).await, Err(Failure::Rejected(_))));
        let created = c.save(&source("Expo")).await.unwrap();
        let updated = c
            .save(&Record::Source(LeadSource {
                id: Some(created),
                colour: Some("#7ee546".into()),
                ..Default::default()
            }))
            .await
            .unwrap();
        assert_eq!(created, updated);
        let store = sb.store();
        assert_eq!(store.sources[&created].colour.as_deref(), Some("#7ee546"));
        assert_eq!(
            store.sources[&created].name, "Expo",
            "an update keeps what it does not send"
        );
    }

    #[tokio::test]
    async fn throttled_answer_carries_retry_after_when_configured() {
        let sb = sandbox("limit=1,retry-after=2").await;
        let c = client(&sb);
        c.ping().await.unwrap();
        match c.ping().await {
            Err(Failure::Throttled { retry_after, .. }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(2)))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert_eq!(sb.log().throttled, 1);
    }

    #[tokio::test]
    async fn a_server_error_is_transient_and_applies_nothing() {
        let sb = sandbox("error=1").await;
        let got = client(&sb).save(&source("Expo")).await;
        assert!(matches!(got, Err(Failure::Transient(_))), "{got:?}");
        assert_eq!(sb.store().creates, 0);
    }

    #[tokio::test]
    async fn a_lost_answer_is_unknown_whether_or_not_it_was_applied() {
        // Reset: closed before applying; drop: applied, then closed; hang: applied, answered
        // after the client's timeout. The client cannot tell them apart.
        for (faults, applied) in [("reset=1", 0), ("drop=1", 1), ("hang=1,hang-ms=2000", 1)] {
            let sb = sandbox(faults).await;
            let c = client_with(&sb, "right-secret", Duration::from_millis(300));
            let got = c.save(&source("Expo")).await;
            assert!(matches!(got, Err(Failure::Unknown(_))), "{faults}: {got:?}");
            assert_eq!(sb.store().creates, applied, "{faults}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_transient() {
        let sb = sandbox("").await;
        let url = sb.base_url();
        drop(sb);
        // The listener is gone once its task sees the shutdown.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = Client::new(
            Endpoint::parse(&url).unwrap(),
            Credentials::new("k", "s"),
            Duration::from_secs(2),
        )
        .unwrap();
        let got = c.ping().await;
        assert!(matches!(got, Err(Failure::Transient(_))), "{got:?}");
    }
}
