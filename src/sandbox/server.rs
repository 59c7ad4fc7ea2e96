//! The emulator's HTTP side. A request goes through stages, each a function below: route, the
//! rate limit, authenticate (the signature check in `verify.rs`), the revoked key, latency,
//! fault injection, dispatch to the store. Every answer carries a `Date` header from the
//! emulator's clock, refusals included.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, DATE, HeaderValue, RETRY_AFTER};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::answer::Answer;
use super::clock::http_date;
use super::faults::WriteFault;
use super::store::Store;
use super::verify::{RequestParts, verify};
use super::{State, lock};
use crate::api::wire::{ErrorBody, codes};

/// The unauthenticated page of counts (the server only ever binds loopback).
pub(crate) const STATE_PATH: &str = "/_sandbox/state";

type Reply = Response<Full<Bytes>>;

/// Returned by a handler to make hyper close the connection without an answer.
#[derive(Debug)]
struct Hangup;

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by fault injection")
    }
}

impl std::error::Error for Hangup {}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .auto_date_header(false)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

/// The call a request makes, once routed.
struct Call {
    namespace: String,
    action: String,
    /// Path and query as received (signed as such).
    uri: String,
}

impl Call {
    fn name(&self) -> String {
        format!("{}?action={}", self.namespace, self.action)
    }
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, Hangup> {
    let mut reply = answer(&state, req).await?;
    if let Ok(date) = HeaderValue::from_str(&http_date(state.clock.now())) {
        reply.headers_mut().insert(DATE, date);
    }
    Ok(reply)
}

async fn answer(state: &Arc<State>, req: Request<Incoming>) -> Result<Reply, Hangup> {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == STATE_PATH {
        return Ok(state_page(state));
    }
    let body = body.collect().await.map_err(|_| Hangup)?.to_bytes();
    let arrived = Instant::now();
    lock(&state.log).arrivals.push(arrived);
    let call = match route(&parts) {
        Ok(call) => call,
        Err(refused) => return Ok(reply(refused)),
    };
    if let Some(reply) = throttle(state, &call, arrived) {
        return Ok(reply);
    }
    if let Err(refused) = authenticate(state, &parts, &call, &body) {
        return Ok(reply(refused));
    }
    if let Some(reply) = revoked(state) {
        return Ok(reply);
    }
    if !state.faults.latency.is_zero() {
        tokio::time::sleep(state.faults.latency).await;
    }
    let params = match read_params(&body) {
        Ok(p) => p,
        Err(refused) => return Ok(reply(refused)),
    };
    let fault = draw_fault(state, &call);
    match fault {
        WriteFault::Error => return Ok(error_reply(500, None, "Internal server error")),
        WriteFault::Reset => return Err(Hangup),
        _ => {}
    }
    let answered = dispatch(state, &call, &params);
    match fault {
        WriteFault::Drop => Err(Hangup),
        WriteFault::Hang => {
            tokio::time::sleep(state.faults.hang_for).await;
            Ok(reply(answered))
        }
        _ => Ok(reply(answered)),
    }
}

/// POST `/api/1.0/{namespace}?action={action}`, or 405 / 404.
fn route(parts: &Parts) -> Result<Call, Answer> {
    if parts.method != hyper::Method::POST {
        return Err((405, error_value(405, None, "Method not allowed")));
    }
    let Some(namespace) = parts.uri.path().strip_prefix("/api/1.0/") else {
        return Err((404, error_value(404, None, "Not found")));
    };
    let action = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("action="))
        .unwrap_or("");
    Ok(Call {
        namespace: namespace.to_string(),
        action: action.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
    })
}

/// `limit=N`: every API call counts against N per one-second window; over it, 429 (with
/// Retry-After when configured).
fn throttle(state: &State, call: &Call, arrived: Instant) -> Option<Reply> {
    let limit = state.faults.limit?;
    let over = {
        let mut w = lock(&state.window);
        if arrived.duration_since(w.0) >= Duration::from_secs(1) {
            *w = (arrived, 0);
        }
        w.1 += 1;
        w.1 > limit
    };
    if !over {
        return None;
    }
    lock(&state.log).throttled += 1;
    log_line(
        state,
        &format!("429 {}: over {limit} requests/s", call.name()),
    );
    let body = error_value(429, None, "Too many requests");
    Some(json_reply(429, &body, state.faults.retry_after))
}

/// The signature, key, body digest and date, checked against the emulator's clock.
fn authenticate(state: &State, parts: &Parts, call: &Call, body: &[u8]) -> Result<(), Answer> {
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
        .collect();
    let request = RequestParts {
        method: parts.method.as_str(),
        uri: &call.uri,
        headers,
        body,
    };
    let secret_for = |k: &str| (k == state.key).then(|| state.secret.clone());
    verify(&request, state.clock.now(), secret_for).map_err(|r| {
        lock(&state.log).refused += 1;
        log_line(state, &format!("{} {}: {}", r.status, call.name(), r.why));
        (r.status, serde_json::to_value(&r.body).unwrap_or_default())
    })
}

/// `revoke-after=N`: once N writes were accepted, every call answers 463.
fn revoked(state: &State) -> Option<Reply> {
    let after = state.faults.revoke_after?;
    let accepted = {
        let s = lock(&state.store);
        s.creates + s.updates.values().sum::<u64>()
    };
    if accepted < after {
        return None;
    }
    log_line(state, "463: key revoked (fault injection)");
    Some(error_reply(463, None, "The API key has been revoked"))
}

fn read_params(body: &[u8]) -> Result<Value, Answer> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        let message = format!("The body is not JSON: {e}");
        (400, error_value(400, Some(codes::PARAM_INVALID), &message))
    })
}

/// The seeded fault for this call: write faults on writes (batch runs included), poll faults
/// on batch progress/results polls, none on anything else.
fn draw_fault(state: &State, call: &Call) -> WriteFault {
    let (ns, action) = (call.namespace.as_str(), call.action.as_str());
    let fault = if Store::is_write(ns, action) {
        state.faults.draw(&mut lock(&state.rng))
    } else if Store::is_poll(ns, action) {
        state.faults.draw_poll(&mut lock(&state.poll_rng))
    } else {
        WriteFault::None
    };
    if fault != WriteFault::None {
        lock(&state.log).faults.push(fault);
        log_line(state, &format!("fault {fault:?} on {}", call.name()));
    }
    fault
}

/// Answers the call from the store; an accepted delayed batch gets a timer that applies it
/// when due, whether or not anyone polls.
fn dispatch(state: &Arc<State>, call: &Call, params: &Value) -> Answer {
    let at = state.moment();
    let answer = lock(&state.store).handle_at(&call.namespace, &call.action, params, at);
    let delay = state.faults.batch_delay;
    if call.namespace == "batch" && call.action == "run" && answer.0 == 200 && !delay.is_zero() {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let at = state.moment();
            lock(&state.store).settle(at);
        });
    }
    answer
}

fn state_page(state: &State) -> Reply {
    let at = state.moment();
    let log = lock(&state.log).clone();
    let mut store = lock(&state.store);
    store.settle(at);
    let body = json!({
        "store": &*store,
        "requests": log.arrivals.len(),
        "throttled": log.throttled,
        "refused": log.refused,
        "faults": log.faults.len(),
        "writes": store.writes,
        "creates": store.creates,
        "updates": store.updates.values().sum::<u64>(),
        "batch_runs": store.batch_runs,
        "batch_jobs": store.batch_jobs,
        "list_calls": store.list_calls,
        "clock_offset_s": state.clock.offset_secs(),
    });
    json_reply(200, &body, None)
}

fn json_reply(status: u16, body: &Value, retry_after: Option<Duration>) -> Reply {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_TYPE, "application/json");
    if let Some(ra) = retry_after {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a Duration is never negative; a float-to-int cast saturates"
        )]
        let secs = ra.as_secs_f64().ceil() as u64;
        b = b.header(RETRY_AFTER, format!("{secs}"));
    }
    b.body(Full::new(Bytes::from(
        serde_json::to_vec(body).unwrap_or_default(),
    )))
    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn reply((status, body): Answer) -> Reply {
    json_reply(status, &body, None)
}

fn error_value(status: u16, specific: Option<u32>, message: &str) -> Value {
    serde_json::to_value(ErrorBody {
        error_code: u32::from(status),
        message: message.into(),
        specific_code: specific,
        additional_messages: None,
    })
    .unwrap_or_default()
}

fn error_reply(status: u16, specific: Option<u32>, message: &str) -> Reply {
    json_reply(status, &error_value(status, specific, message), None)
}

fn log_line(state: &State, line: &str) {
    if state.verbose {
        eprintln!("sandbox: {line}");
    }
}
