//! The emulator over a real socket, held to iVvy's documented vectors by requests signed here
//! by hand, without the client's code.

use hmac::{KeyInit, Mac};
use ivvy_import::sandbox::{Sandbox, SandboxOptions};

const BODY: &str = r#"{"example":"body"}"#;
const BODY_MD5: &str = "a09f600c77a6dbd947db24c61e8935ca";
const DATE: &str = "2012-04-03 22:23:24";
/// The documented string to sign of a ping with `BODY`, dated `DATE`.
const STRING_TO_SIGN: &str = "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24";

async fn start(secret: &str) -> Sandbox {
    Sandbox::start(SandboxOptions {
        key: Some("test-key".into()),
        secret: Some(secret.into()),
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

/// Sets the emulator's clock to the documented request's date, plus `skew` seconds.
fn at_documented_date(sb: &Sandbox, skew: i64) {
    let then = time::macros::datetime!(2012-04-03 22:23:24 UTC);
    sb.shift_clock((then - time::OffsetDateTime::now_utc()).whole_seconds() + skew);
}

fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// POSTs the documented ping, with these headers' values; the HTTP status.
async fn send(sb: &Sandbox, md5: &str, signature: &str, body: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/1.0/test?action=ping", sb.base_url()))
        .header("Content-Type", "application/json")
        .header("Content-MD5", md5)
        .header("IVVY-Date", DATE)
        .header("X-Api-Authorization", format!("IWS test-key:{signature}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn emulator_accepts_a_request_signed_by_hand_from_the_documented_vectors() {
    let sb = start("my secret key").await;
    at_documented_date(&sb, 0);
    let sig = signature("my secret key", STRING_TO_SIGN);
    assert_eq!(send(&sb, BODY_MD5, &sig, BODY).await, 200);
    assert_eq!(sb.log().refused, 0);
}

#[tokio::test]
async fn emulator_refuses_a_wrong_signature_a_tampered_body_and_a_wrong_md5() {
    let sb = start("my secret key").await;
    at_documented_date(&sb, 0);
    let sig = signature("my secret key", STRING_TO_SIGN);
    let mut bad = sig.clone().into_bytes();
    bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(send(&sb, BODY_MD5, &bad, BODY).await, 401);
    assert_eq!(
        send(&sb, BODY_MD5, &sig, r#"{"example":"bodY"}"#).await,
        401
    );
    let other_secret = signature("another secret", STRING_TO_SIGN);
    assert_eq!(send(&sb, BODY_MD5, &other_secret, BODY).await, 401);
    assert_eq!(sb.log().refused, 3);
}

#[tokio::test]
async fn emulator_refuses_a_date_more_than_five_minutes_off_its_clock() {
    let sb = start("my secret key").await;
    let sig = signature("my secret key", STRING_TO_SIGN);
    for (skew, status) in [(-400, 401), (400, 401), (-60, 200), (60, 200), (290, 200)] {
        at_documented_date(&sb, skew);
        assert_eq!(send(&sb, BODY_MD5, &sig, BODY).await, status, "skew {skew}");
    }
}

#[tokio::test]
async fn state_endpoint_dumps_the_store_and_counts() {
    let sb = start("s").await;
    let state: serde_json::Value = reqwest::get(format!("{}/_sandbox/state", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["requests"], 0);
    assert_eq!(state["store"]["sources"].as_object().unwrap().len(), 3);
    assert_eq!(state["store"]["stages"].as_object().unwrap().len(), 2);
}
