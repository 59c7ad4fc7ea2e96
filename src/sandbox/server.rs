//! The emulator's HTTP side: routing, the rate limit, signature checks and injected faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::faults::WriteFault;
use super::verify::{RequestParts, verify};
use super::{State, Store, lock};
use crate::api::wire::{ErrorBody, codes};

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
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

fn json_response(
    status: u16,
    body: &Value,
    retry_after: Option<Duration>,
) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("Content-Type", "application/json");
    if let Some(ra) = retry_after {
        b = b.header("Retry-After", format!("{}", ra.as_secs_f64().ceil() as u64));
    }
    b.body(Full::new(Bytes::from(
        serde_json::to_vec(body).unwrap_or_default(),
    )))
    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
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

fn log_line(state: &State, line: &str) {
    if state.verbose {
        eprintln!("sandbox: {line}");
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Hangup> {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == "/_sandbox/state" {
        // Unauthenticated, and only ever bound to loopback.
        let store = lock(&state.store).clone();
        let log = lock(&state.log).clone();
        let body = json!({
            "store": store,
            "requests": log.arrivals.len(),
            "throttled": log.throttled,
            "refused": log.refused,
            "faults": log.faults.len(),
        });
        return Ok(json_response(200, &body, None));
    }
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Hangup),
    };
    let arrived = Instant::now();
    lock(&state.log).arrivals.push(arrived);

    if parts.method != hyper::Method::POST {
        return Ok(json_response(
            405,
            &error_value(405, None, "Method not allowed"),
            None,
        ));
    }
    let uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let Some(namespace) = parts.uri.path().strip_prefix("/api/1.0/") else {
        return Ok(json_response(
            404,
            &error_value(404, None, "Not found"),
            None,
        ));
    };
    let action = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("action="))
        .unwrap_or("")
        .to_string();

    if let Some(limit) = state.faults.limit {
        let over = {
            let mut w = lock(&state.window);
            if arrived.duration_since(w.0) >= Duration::from_secs(1) {
                *w = (arrived, 0);
            }
            w.1 += 1;
            w.1 > limit
        };
        if over {
            lock(&state.log).throttled += 1;
            log_line(
                &state,
                &format!("429 {namespace}?action={action}: over {limit} requests/s"),
            );
            return Ok(json_response(
                429,
                &error_value(429, None, "Too many requests"),
                state.faults.retry_after,
            ));
        }
    }

    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
        .collect();
    let request = RequestParts {
        method: parts.method.as_str(),
        uri: &uri,
        headers,
        body: &body,
    };
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(*lock(&state.clock_offset));
    if let Err(r) = verify(&request, now, |k| {
        (k == state.key).then(|| state.secret.clone())
    }) {
        lock(&state.log).refused += 1;
        log_line(
            &state,
            &format!("401 {namespace}?action={action}: {}", r.why),
        );
        return Ok(json_response(
            r.status,
            &serde_json::to_value(&r.body).unwrap_or_default(),
            None,
        ));
    }
    if let Some(after) = state.faults.revoke_after {
        let writes = {
            let s = lock(&state.store);
            s.creates + s.updates.values().sum::<u64>()
        };
        if writes >= after {
            log_line(&state, "463: key revoked (fault injection)");
            return Ok(json_response(
                463,
                &error_value(463, None, "The API key has been revoked"),
                None,
            ));
        }
    }

    if !state.faults.latency.is_zero() {
        tokio::time::sleep(state.faults.latency).await;
    }
    let params: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return Ok(json_response(
                    400,
                    &error_value(
                        400,
                        Some(codes::PARAM_INVALID),
                        &format!("The body is not JSON: {e}"),
                    ),
                    None,
                ));
            }
        }
    };

    let fault = if Store::is_write(namespace, &action) {
        let f = state.faults.draw(&mut lock(&state.rng));
        if f != WriteFault::None {
            lock(&state.log).faults.push(f);
            log_line(
                &state,
                &format!("fault {f:?} on {namespace}?action={action}"),
            );
        }
        f
    } else {
        WriteFault::None
    };
    match fault {
        WriteFault::Error => {
            return Ok(json_response(
                500,
                &error_value(500, None, "Internal server error"),
                None,
            ));
        }
        WriteFault::Reset => return Err(Hangup),
        _ => {}
    }
    let (status, answer) = lock(&state.store).handle(namespace, &action, &params);
    match fault {
        WriteFault::Drop => Err(Hangup),
        WriteFault::Hang => {
            tokio::time::sleep(state.faults.hang_for).await;
            Ok(json_response(status, &answer, None))
        }
        _ => Ok(json_response(status, &answer, None)),
    }
}
