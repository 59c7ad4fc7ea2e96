//! The emulator over a real loopback socket: requests signed here by hand (with the emulator's
//! own digest functions, not the client's), answers read raw.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::clock::ivvy_timestamp;
use super::verify::{RequestParts, canonical_string, hmac_hex, md5_hex};
use super::{Faults, Sandbox, SandboxOptions};

async fn start(faults: &str) -> Sandbox {
    Sandbox::start(SandboxOptions {
        key: Some("k".into()),
        secret: Some("s".into()),
        faults: Faults::parse(faults).unwrap(),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A raw answer: status, headers, JSON body.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

/// Signs like a client whose clock is `skew` seconds off the machine's.
struct Api {
    base: String,
    http: reqwest::Client,
    skew: i64,
}

impl Api {
    fn of(sb: &Sandbox) -> Api {
        Api {
            base: sb.base_url(),
            // No reuse: a closed connection is seen as such, never silently retried.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            skew: 0,
        }
    }

    async fn post(&self, namespace: &str, action: &str, body: &Value) -> reqwest::Result<Raw> {
        let uri = format!("/api/1.0/{namespace}?action={action}");
        let body = serde_json::to_vec(body).unwrap();
        let md5 = md5_hex(&body);
        let date =
            ivvy_timestamp(time::OffsetDateTime::now_utc() + time::Duration::seconds(self.skew));
        let headers = vec![
            ("Content-Type", "application/json"),
            ("Content-MD5", md5.as_str()),
            ("IVVY-Date", date.as_str()),
        ];
        let parts = RequestParts {
            method: "POST",
            uri: &uri,
            headers: headers.clone(),
            body: &body,
        };
        let auth = format!("IWS k:{}", hmac_hex("s", &canonical_string(&parts)));
        let mut req = self.http.post(format!("{}{uri}", self.base));
        for (n, v) in headers {
            req = req.header(n, v);
        }
        let res = req
            .header("X-Api-Authorization", auth)
            .body(body)
            .send()
            .await?;
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let body = res.json().await.unwrap_or(Value::Null);
        Ok(Raw {
            status,
            headers,
            body,
        })
    }

    async fn ok(&self, namespace: &str, action: &str, body: Value) -> Raw {
        self.post(namespace, action, &body).await.unwrap()
    }
}

/// How far the answer's `Date` header is from the machine's clock, seconds.
fn date_skew(r: &Raw) -> i64 {
    let d = r
        .headers
        .get("date")
        .expect("a Date header")
        .to_str()
        .unwrap();
    let t = time::OffsetDateTime::from(httpdate::parse_http_date(d).unwrap());
    (t - time::OffsetDateTime::now_utc()).whole_seconds()
}

fn source_jobs(names: &[&str]) -> Value {
    let jobs: Vec<Value> = names
        .iter()
        .map(|n| json!({"namespace": "crm", "action": "addOrUpdateLeadSource", "params": {"name": n}}))
        .collect();
    json!({ "jobs": jobs })
}

#[tokio::test]
async fn every_answer_carries_a_date_from_the_server_clock_even_a_stale_refusal() {
    let sb = start("clock-offset-s=-3600").await;
    let mut api = Api::of(&sb);
    let stale = api.ok("test", "ping", json!({})).await;
    assert_eq!(
        (stale.status, stale.body["specificCode"].as_u64()),
        (401, Some(23005))
    );
    let skew = date_skew(&stale);
    assert!((-3602..=-3598).contains(&skew), "{skew}");
    // A client that sets its clock by that Date is accepted.
    api.skew = skew;
    let ping = api.ok("test", "ping", json!({})).await;
    assert_eq!(ping.status, 200, "{}", ping.body);
    assert!((-3602..=-3598).contains(&date_skew(&ping)));
    let not_found = api.ok("nowhere", "x", json!({})).await;
    assert_eq!(not_found.status, 404);
    assert!(not_found.headers.contains_key("date"));
    assert_eq!(not_found.headers.get_all("date").iter().count(), 1);
}

#[tokio::test]
async fn shift_clock_moves_the_clock_from_the_configured_offset() {
    let sb = start("clock-offset-s=100").await;
    sb.shift_clock(-420);
    let api = Api::of(&sb);
    let r = api.ok("test", "ping", json!({})).await;
    assert_eq!(r.status, 401, "320 s behind is stale");
    assert!((-322..=-318).contains(&date_skew(&r)));
    sb.shift_clock(0);
    let r = api.ok("test", "ping", json!({})).await;
    assert_eq!(r.status, 200);
    let server_time = r.body["serverTime"].as_str().unwrap();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let t = time::PrimitiveDateTime::parse(server_time, fmt)
        .unwrap()
        .assume_utc();
    let skew = (t - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!(
        (98..=102).contains(&skew),
        "ping's serverTime is the server's clock: {skew}"
    );
}

#[tokio::test]
async fn batch_run_answers_at_once_and_applies_its_jobs_after_the_delay() {
    let sb = start("batch-delay-ms=300").await;
    let api = Api::of(&sb);
    let run = api.ok("batch", "run", source_jobs(&["A", "B", "C"])).await;
    assert_eq!(run.status, 200, "{}", run.body);
    let id = run.body["asyncId"].clone();
    assert!(id.is_string());
    assert_eq!((sb.store().creates, sb.store().batch_runs), (0, 1));
    let early = api.ok("batch", "results", json!({"async": id})).await;
    assert_eq!(
        (early.status, early.body["specificCode"].as_u64()),
        (400, Some(24114))
    );
    assert_eq!(early.body["errorCode"], 400);
    let p = api.ok("batch", "progress", json!({"async": id})).await;
    assert!(p.body["progress"].as_u64().unwrap() < 100, "{}", p.body);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let state: Value = reqwest::get(format!("{}/_sandbox/state", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (state["creates"].as_u64(), state["writes"].as_u64()),
        (Some(3), Some(3))
    );
    let p = api.ok("batch", "progress", json!({"async": id})).await;
    assert_eq!(p.body["progress"], 100);
    let r = api.ok("batch", "results", json!({"async": id})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["asyncId"], id);
    let names: Vec<&str> = (0..3)
        .map(|i| r.body["results"][i]["request"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    assert!(r.body["results"][2]["response"]["id"].as_u64().is_some());
    let unknown = api.ok("batch", "progress", json!({"async": "nope"})).await;
    assert_eq!(
        (unknown.status, unknown.body["specificCode"].as_u64()),
        (400, Some(24105))
    );
}

#[tokio::test]
async fn batch_max_knob_refuses_a_larger_run_whole() {
    let sb = start("batch-max=2").await;
    let api = Api::of(&sb);
    let r = api.ok("batch", "run", source_jobs(&["A", "B", "C"])).await;
    assert_eq!(
        (r.status, r.body["specificCode"].as_u64()),
        (400, Some(24448))
    );
    assert_eq!(
        api.ok("batch", "run", source_jobs(&["A", "B"]))
            .await
            .status,
        200
    );
    assert_eq!((sb.store().batch_runs, sb.store().creates), (1, 2));
}

#[tokio::test]
async fn write_faults_apply_to_batch_runs() {
    let sb = start("error=1").await;
    let r = Api::of(&sb).ok("batch", "run", source_jobs(&["A"])).await;
    assert_eq!(r.status, 500);
    assert_eq!((sb.store().batch_runs, sb.store().writes), (0, 0));

    let sb = start("reset=1").await;
    assert!(
        Api::of(&sb)
            .post("batch", "run", &source_jobs(&["A"]))
            .await
            .is_err()
    );
    assert_eq!(sb.store().batch_runs, 0, "a reset applies nothing");

    let sb = start("drop=1").await;
    assert!(
        Api::of(&sb)
            .post("batch", "run", &source_jobs(&["A", "B"]))
            .await
            .is_err()
    );
    let store = sb.store();
    assert_eq!(
        (store.batch_runs, store.creates),
        (1, 2),
        "a drop accepts, then says nothing"
    );
    assert_eq!(sb.log().faults.len(), 1);
}

#[tokio::test]
async fn poll_faults_hit_progress_and_results_but_not_other_calls() {
    let sb = start("poll-error=1").await;
    let api = Api::of(&sb);
    let run = api.ok("batch", "run", source_jobs(&["A"])).await;
    assert_eq!(run.status, 200);
    let id = run.body["asyncId"].clone();
    for action in ["progress", "results"] {
        let r = api.ok("batch", action, json!({"async": id})).await;
        assert_eq!(
            (r.status, r.body["errorCode"].as_u64()),
            (500, Some(500)),
            "{action}"
        );
    }
    assert_eq!(api.ok("test", "ping", json!({})).await.status, 200);
    assert_eq!(
        api.ok("crm", "getLeadSourceList", json!({})).await.status,
        200
    );

    let sb = start("poll-reset=1").await;
    let api = Api::of(&sb);
    let id = api.ok("batch", "run", source_jobs(&["A"])).await.body["asyncId"].clone();
    assert!(
        api.post("batch", "results", &json!({"async": id}))
            .await
            .is_err()
    );
    assert_eq!(sb.log().faults.len(), 1);
}

#[tokio::test]
async fn rate_limit_counts_every_call_not_only_writes() {
    let sb = start("limit=2,retry-after=3").await;
    let api = Api::of(&sb);
    assert_eq!(api.ok("test", "ping", json!({})).await.status, 200);
    assert_eq!(
        api.ok("crm", "getLeadStageList", json!({})).await.status,
        200
    );
    let r = api.ok("batch", "progress", json!({"async": "x"})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers.get("retry-after").unwrap(), "3");
    assert!(r.headers.contains_key("date"));
    assert_eq!(sb.log().throttled, 1);
}

#[tokio::test]
async fn a_record_inserted_between_runs_is_listed_and_counted_apart() {
    let sb = start("").await;
    let api = Api::of(&sb);
    let id = sb.insert_source("Trade show", Some(250.0), Some("spring"), false);
    let stage = sb.insert_stage("Contacted", 2);
    let r = api
        .ok(
            "crm",
            "getLeadSourceList",
            json!({"filter": {"name": "trade show"}}),
        )
        .await;
    assert_eq!(
        r.body["results"],
        json!([{"id": id, "name": "Trade show", "description": "spring", "cost": 250.0,
                "isReferral": false, "defaultType": 0}])
    );
    let r = api
        .ok(
            "crm",
            "addOrUpdateLeadStage",
            json!({"id": stage, "colour": "#00ff00"}),
        )
        .await;
    assert_eq!(r.body, json!({"success": true, "id": stage}));
    let store = sb.store();
    assert_eq!((store.creates, store.writes, store.list_calls), (0, 1, 1));
}

#[tokio::test]
async fn preload_knob_fills_a_large_store_that_still_pages_quickly() {
    let sb = start("preload-sources=100000,preload-stages=10").await;
    let api = Api::of(&sb);
    let started = std::time::Instant::now();
    for start in [0u64, 50_000, 99_990] {
        let r = api
            .ok(
                "crm",
                "getLeadSourceList",
                json!({"start": start, "perPage": 1000}),
            )
            .await;
        assert_eq!(r.body["meta"]["totalResults"], 100_003);
        assert_eq!(r.body["meta"]["perPage"], super::MAX_PER_PAGE);
    }
    let r = api
        .ok(
            "crm",
            "getLeadSourceList",
            json!({"filter": {"name": "Preloaded source 077777"}}),
        )
        .await;
    assert_eq!(r.body["meta"]["count"], 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let r = api.ok("crm", "getLeadStageList", json!({})).await;
    assert_eq!(r.body["meta"]["totalResults"], 12);
}
