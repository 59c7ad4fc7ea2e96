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
