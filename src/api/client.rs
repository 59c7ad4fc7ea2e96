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
pub(crate) use super::answer::{fatal_advice, job_outcome};

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
fn save_action(kind: Kind) -> &'static str {
    match kind {
        Kind::Source => "addOrUpdateLeadSource",
        Kind::Stage => "addOrUpdateLeadStage",
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
