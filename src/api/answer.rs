//! What an answer means: the API's error, the failure it is for the retry policy (from the
//! HTTP status, the body and `Retry-After`), and a save's or a batch job's outcome.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::wire::{BatchJobResult, ErrorBody, SaveAnswer};
use crate::kind::Kind;
use crate::record::Record;

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

pub(super) fn parse_retry_after(v: &str) -> Option<Duration> {
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

/// What an answer says, from its HTTP status and body: the expected JSON, or the failure it
/// is (an error body, a status other than 2xx, a body that is not JSON or not of that shape).
pub(super) fn read_answer<T: DeserializeOwned>(
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

/// What one job of a batch asked for: enough to tell its result from another job's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobSent<'a> {
    pub kind: Kind,
    pub name: Option<&'a str>,
    /// An update's id (None: a create).
    pub id: Option<u64>,
}

impl<'a> JobSent<'a> {
    pub(crate) fn of(record: &'a Record) -> JobSent<'a> {
        JobSent {
            kind: record.kind(),
            name: record.name(),
            id: record.id(),
        }
    }
}

/// A whole number from a JSON number or a text of digits.
fn whole(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a batch result answers the job sent: the same namespace and action, the same name
/// (and, for an update, the same id) in its request, and an answer that names no other record.
/// Results are never matched to rows by position alone.
pub(crate) fn result_matches(r: &BatchJobResult, job: JobSent<'_>) -> bool {
    if r.namespace != "crm" || r.action != super::client::save_action(job.kind) {
        return false;
    }
    let name = r.request.get("name").and_then(serde_json::Value::as_str);
    if name != job.name {
        return false;
    }
    let sent_id = whole(r.request.get("id"));
    if sent_id != job.id {
        return false;
    }
    match (job.id, whole(r.response.get("id"))) {
        (Some(want), Some(got)) => want == got,
        _ => true,
    }
}

/// The record id of a job's answer when it succeeded (an update's own id when the answer
/// names none); None for anything else.
pub(crate) fn job_outcome_of(response: &serde_json::Value, update_id: Option<u64>) -> Option<u64> {
    let ok = response.get("success").and_then(serde_json::Value::as_bool) == Some(true);
    let id = response
        .get("id")
        .and_then(serde_json::Value::as_u64)
        .or(update_id);
    ok.then_some(id).flatten()
}

pub(super) fn saved(answer: &SaveAnswer, record: &Record) -> Result<u64, Failure> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_result_counts_only_for_the_job_it_answers() {
        let result = |action: &str, request: serde_json::Value, response: serde_json::Value| {
            BatchJobResult {
                namespace: "crm".into(),
                action: action.into(),
                request,
                response,
            }
        };
        let create = JobSent {
            kind: Kind::Source,
            name: Some("Fair"),
            id: None,
        };
        let ok = serde_json::json!({"success": true, "id": 1001});
        let src = "addOrUpdateLeadSource";
        assert!(result_matches(
            &result(src, serde_json::json!({"name": "Fair"}), ok.clone()),
            create
        ));
        assert!(!result_matches(
            &result(src, serde_json::json!({"name": "Other"}), ok.clone()),
            create
        ));
        assert!(!result_matches(
            &result(
                "addOrUpdateLeadStage",
                serde_json::json!({"name": "Fair"}),
                ok.clone()
            ),
            create
        ));
        assert!(!result_matches(
            &result(src, serde_json::Value::Null, ok.clone()),
            create
        ));
        let update = JobSent {
            kind: Kind::Source,
            name: Some("Fair"),
            id: Some(7),
        };
        let req = serde_json::json!({"id": 7, "name": "Fair"});
        assert!(result_matches(
            &result(
                src,
                req.clone(),
                serde_json::json!({"success": true, "id": 7})
            ),
            update
        ));
        assert!(result_matches(
            &result(
                src,
                serde_json::json!({"id": "7", "name": "Fair"}),
                serde_json::json!({"success": true})
            ),
            update
        ));
        assert!(!result_matches(
            &result(
                src,
                req.clone(),
                serde_json::json!({"success": true, "id": 3})
            ),
            update
        ));
        assert!(!result_matches(
            &result(src, serde_json::json!({"name": "Fair"}), ok),
            update
        ));
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
}
