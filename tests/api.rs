//! The signed client and the emulator against each other over loopback.

mod common;

use std::time::Duration;

use ivvy_import::api::{Client, Credentials, Endpoint, Failure};
use ivvy_import::record::{Kind, LeadSource, LeadStage, Record};
use ivvy_import::sandbox::{Faults, Sandbox, SandboxOptions};
use serde_json::json;

async fn start(secret: &str) -> Sandbox {
    Sandbox::start(SandboxOptions {
        key: Some("test-key".into()),
        secret: Some(secret.into()),
        faults: Faults::default(),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox, secret: &str) -> Client {
    Client::new(
        Endpoint::parse(&sb.base_url()).unwrap(),
        Credentials::new("test-key", secret),
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn signed_ping_is_accepted_and_reports_clock_skew() {
    let sb = start("right-secret").await;
    let p = client(&sb, "right-secret").ping().await.unwrap();
    assert!(p.clock_skew_secs.unwrap().abs() <= 2);
    assert_eq!(sb.log().refused, 0);
}

#[tokio::test]
async fn wrong_secret_is_a_fatal_auth_failure() {
    let sb = start("right-secret").await;
    match client(&sb, "wrong-secret").ping().await {
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
    let sb = start("s").await;
    sb.shift_clock(600);
    match client(&sb, "s").ping().await {
        Err(f @ Failure::Fatal(_)) => {
            assert_eq!(f.api_error().unwrap().specific_code, Some(23005));
            assert!(f.describe().contains("clock"), "{}", f.describe());
        }
        other => panic!("expected a stale refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn emulator_accepts_a_request_signed_by_hand_from_the_documented_vectors() {
    // Signed without the client's code: the documented string to sign, HMAC'd here.
    use hmac::{KeyInit, Mac};
    let sb = start("my secret key").await;
    let then = time::macros::datetime!(2012-04-03 22:23:24 UTC);
    sb.shift_clock((then - time::OffsetDateTime::now_utc()).whole_seconds());
    let sts = "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24";
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"my secret key").unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let send = |sig: String| {
        reqwest::Client::new()
            .post(format!("{}/api/1.0/test?action=ping", sb.base_url()))
            .header("Content-Type", "application/json")
            .header("Content-MD5", "a09f600c77a6dbd947db24c61e8935ca")
            .header("IVVY-Date", "2012-04-03 22:23:24")
            .header("X-Api-Authorization", format!("IWS test-key:{sig}"))
            .body(r#"{"example":"body"}"#)
            .send()
    };
    assert_eq!(send(sig.clone()).await.unwrap().status(), 200);
    let mut bad = sig.into_bytes();
    bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        send(String::from_utf8(bad).unwrap())
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn specific(c: &Client, action: &str, params: serde_json::Value) -> Option<u32> {
    match c.call::<_, serde_json::Value>("crm", action, &params).await {
        Err(Failure::Rejected(e)) => e.specific_code,
        other => panic!("{action} {params}: expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn emulator_answers_every_documented_specific_code() {
    let sb = start("s").await;
    let c = client(&sb, "s");
    let src = "addOrUpdateLeadSource";
    let stg = "addOrUpdateLeadStage";
    assert_eq!(
        specific(&c, src, json!({"id": 999_999, "name": "x"})).await,
        Some(24325)
    );
    assert_eq!(
        specific(&c, src, json!({"id": 1, "name": "x"})).await,
        Some(24326)
    );
    assert_eq!(
        specific(&c, src, json!({"name": "x", "cost": "abc"})).await,
        Some(24328)
    );
    assert_eq!(
        specific(&c, src, json!({"name": "x", "isReferral": "often"})).await,
        Some(23016)
    );
    assert_eq!(specific(&c, src, json!({"cost": 5})).await, Some(23017));
    assert_eq!(
        specific(&c, stg, json!({"id": 999_999, "name": "x"})).await,
        Some(24320)
    );
    assert_eq!(
        specific(&c, stg, json!({"id": 4, "name": "x"})).await,
        Some(24321)
    );
    assert_eq!(
        specific(&c, stg, json!({"name": "x", "applyTo": 3})).await,
        Some(24323)
    );
    assert_eq!(specific(&c, stg, json!({"name": "x"})).await, Some(23017));
}

#[tokio::test]
async fn save_creates_then_updates_and_list_pages_through_everything() {
    let sb = start("s").await;
    let c = client(&sb, "s");
    let mut ids = Vec::new();
    for i in 0..230 {
        let r = Record::Stage(LeadStage {
            name: Some(format!("Stage {i}")),
            apply_to: Some(ivvy_import::record::ApplyTo::Lead),
            ..Default::default()
        });
        ids.push(c.save(&r).await.unwrap());
    }
    let all = c.list(Kind::Stage, None).await.unwrap();
    assert_eq!(all.len(), 232, "230 created plus two built-in stages");
    let update = Record::Source(LeadSource {
        id: Some(ids[0]),
        ..Default::default()
    });
    // An id that is a stage's is not a source.
    assert!(matches!(c.save(&update).await, Err(Failure::Rejected(_))));
    let created = c
        .save(&Record::Source(LeadSource {
            name: Some("Expo".into()),
            ..Default::default()
        }))
        .await
        .unwrap();
    let updated = c
        .save(&Record::Source(LeadSource {
            id: Some(created),
            colour: Some("#7ee546".into()),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(created, updated);
    assert_eq!(
        sb.store().sources[&created].colour.as_deref(),
        Some("#7ee546")
    );
}

#[tokio::test]
async fn throttled_answer_carries_retry_after_when_configured() {
    let sb = Sandbox::start(SandboxOptions {
        key: Some("k".into()),
        secret: Some("s".into()),
        faults: Faults::parse("limit=1,retry-after=2").unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::new(
        Endpoint::parse(&sb.base_url()).unwrap(),
        Credentials::new("k", "s"),
        Duration::from_secs(5),
    )
    .unwrap();
    c.ping().await.unwrap();
    match c.ping().await {
        Err(Failure::Throttled { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)))
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

#[test]
fn ping_command_against_the_sandbox_succeeds() {
    let o = common::bin().args(["ping", "--sandbox"]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("clock skew"));
}

#[test]
fn secret_never_appears_in_any_output() {
    let scratch = common::Scratch::sources(3);
    let (dir, input) = (&scratch.dir, &scratch.input);
    let emu = common::emulator("");
    let secret = "S3CRET-never-shown-4242";
    let out = dir.path().join("out.results.csv");
    // The wrong secret: the run stops with an auth message.
    let o = emu
        .command(&[input.to_str().unwrap(), "--rate", "100"])
        .env("IVVY_API_SECRET", secret)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("credentials"), "{stderr}");
    let mut everything = String::from_utf8_lossy(&o.stdout).into_owned() + &stderr;
    if out.exists() {
        everything += &std::fs::read_to_string(&out).unwrap();
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        everything += &String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!everything.contains(secret));
    // And with the right secret, nothing shows it either.
    let right = emu.sandbox.credentials();
    let o = emu
        .command(&[input.to_str().unwrap(), "--rate", "100", "--json"])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let all = String::from_utf8_lossy(&o.stdout).into_owned()
        + &String::from_utf8_lossy(&o.stderr)
        + &std::fs::read_to_string(&out).unwrap();
    assert!(!all.contains(right.secret.expose()));
}

#[test]
fn base_url_must_be_https_unless_loopback() {
    let scratch = common::Scratch::sources(1);
    let input = &scratch.input;
    let o = common::bin()
        .args([
            "import",
            input.to_str().unwrap(),
            "--base-url",
            "http://api.example.com",
        ])
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("https"));
    let o = common::bin()
        .args(["import", input.to_str().unwrap(), "--region", "au"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("IVVY_API_SECRET"));
}

#[test]
fn sandbox_command_serves_ping_and_its_state_endpoint() {
    use std::io::{BufRead, BufReader};
    let mut child = common::bin()
        .args(["sandbox", "--port", "0", "--key", "demo-key"])
        .env("IVVY_API_SECRET", "demo-secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect("first line names the address")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let rest: Vec<String> = lines.by_ref().take(2).map(Result::unwrap).collect();
    assert_eq!(rest[0], "IVVY_API_KEY=demo-key");
    assert!(
        rest.iter().all(|l| !l.contains("demo-secret")),
        "a given secret is not echoed: {rest:?}"
    );
    let ping = common::bin()
        .args(["ping", "--base-url", &url, "--json"])
        .env("IVVY_API_KEY", "demo-key")
        .env("IVVY_API_SECRET", "demo-secret")
        .output()
        .unwrap();
    assert_eq!(
        ping.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ping.stderr)
    );
    let state: serde_json::Value = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::get(format!("{url}/_sandbox/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(state["requests"], 1);
    assert_eq!(
        state["store"]["sources"].as_object().unwrap().len(),
        3,
        "the built-in sources"
    );
    child.kill().unwrap();
    let _ = child.wait();
}
