//! The emulator's own check of a request's signature, written apart from the client's signing
//! (and held to the same documented vectors) so one bug cannot pass both.

use hmac::{KeyInit, Mac};
use time::OffsetDateTime;

use crate::api::wire::{ErrorBody, codes};

/// Why a request was refused, as iVvy answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub body: ErrorBody,
    /// The log line: what exactly was wrong.
    pub why: String,
}

fn refuse(specific: Option<u32>, message: &str, why: String) -> Refusal {
    Refusal {
        status: 401,
        body: ErrorBody {
            error_code: 401,
            message: message.to_string(),
            specific_code: specific,
            additional_messages: None,
        },
        why,
    }
}

/// The parts of a request the check reads.
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// Path and query as received.
    pub uri: &'a str,
    /// Every header, name as sent.
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Builds the string iVvy signs from a request's own headers (lowercased by the caller).
pub fn canonical_string(req: &RequestParts<'_>) -> String {
    let mut ivvy: Vec<(String, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| n.len() >= 4 && n[..4].eq_ignore_ascii_case("ivvy"))
        .map(|(n, v)| (n.replace(['-', '_'], "").to_ascii_lowercase(), *v))
        .collect();
    ivvy.sort();
    let ivvy_part = ivvy
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut s = String::new();
    s.push_str(req.method);
    s.push_str(req.header("content-md5").unwrap_or(""));
    s.push_str(req.header("content-type").unwrap_or(""));
    s.push_str(req.header("date").unwrap_or(""));
    s.push_str(req.uri);
    s.push_str("1.0");
    s.push_str(&ivvy_part);
    s.to_lowercase()
}

pub(crate) fn md5_hex(body: &[u8]) -> String {
    use md5::Digest;
    lower_hex(&md5::Md5::digest(body))
}

pub(crate) fn hmac_hex(secret: &str, msg: &str) -> String {
    let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    m.update(msg.as_bytes());
    lower_hex(&m.finalize().into_bytes())
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_date(req: &RequestParts<'_>) -> Option<OffsetDateTime> {
    if let Some(d) = req.header("ivvy-date") {
        let d = d.trim();
        let d = d.strip_suffix(" UTC").unwrap_or(d);
        let fmt =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        return time::PrimitiveDateTime::parse(d, fmt)
            .ok()
            .map(time::PrimitiveDateTime::assume_utc);
    }
    let d = req.header("date")?;
    let t = httpdate::parse_http_date(d).ok()?;
    Some(OffsetDateTime::from(t))
}

/// Checks a request as iVvy does: key known, Content-MD5 of the body, date within five
/// minutes, signature. `secret_for` returns the secret of a key.
pub fn verify(
    req: &RequestParts<'_>,
    now: OffsetDateTime,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<(), Refusal> {
    let auth = req.header("x-api-authorization").ok_or_else(|| {
        refuse(
            None,
            "Missing authorization",
            "no X-Api-Authorization header".into(),
        )
    })?;
    let (key, signature) = auth
        .strip_prefix("IWS ")
        .and_then(|r| r.split_once(':'))
        .ok_or_else(|| {
            refuse(
                None,
                "Malformed authorization",
                "X-Api-Authorization is not `IWS key:signature`".into(),
            )
        })?;
    let secret =
        secret_for(key).ok_or_else(|| refuse(None, "Invalid API key", "unknown API key".into()))?;
    let md5 = req.header("content-md5").unwrap_or("");
    if md5 != md5_hex(req.body) {
        return Err(refuse(
            None,
            "Content-MD5 does not match the body",
            format!("Content-MD5 {md5:?} is not the md5 of the body"),
        ));
    }
    let date = parse_date(req).ok_or_else(|| {
        refuse(
            None,
            "Missing or invalid date",
            "no readable IVVY-Date or Date header".into(),
        )
    })?;
    let skew = (now - date).whole_seconds().abs();
    if skew > 300 {
        return Err(refuse(
            Some(codes::STALE_REQUEST),
            "Request is stale",
            format!("request date is {skew} s away from the server clock"),
        ));
    }
    let expected = hmac_hex(&secret, &canonical_string(req));
    if !expected.eq_ignore_ascii_case(signature) {
        return Err(refuse(
            None,
            "Invalid signature",
            "signature does not match the request".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_string_matches_documented_vector() {
        let req = RequestParts {
            method: "POST",
            uri: "/api/1.0/test?action=ping",
            headers: vec![
                ("Content-Type", "application/json"),
                ("Content-MD5", "a09f600c77a6dbd947db24c61e8935ca"),
                ("IVVY-Date", "2012-04-03 22:23:24"),
            ],
            body: br#"{"example":"body"}"#,
        };
        assert_eq!(
            canonical_string(&req),
            "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24"
        );
        assert_eq!(md5_hex(req.body), "a09f600c77a6dbd947db24c61e8935ca");
        assert_eq!(
            hmac_hex("my secret key", "string to sign"),
            "a993876ea1218921a1c8551923473da7b310dfae"
        );
    }

    #[test]
    fn verify_accepts_a_hand_signed_request_and_refuses_stale_or_tampered() {
        let body = br#"{"example":"body"}"#;
        let sts = "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24";
        let sig = hmac_hex("sek", sts);
        let auth = format!("IWS k1:{sig}");
        let req = RequestParts {
            method: "POST",
            uri: "/api/1.0/test?action=ping",
            headers: vec![
                ("Content-Type", "application/json"),
                ("Content-MD5", "a09f600c77a6dbd947db24c61e8935ca"),
                ("IVVY-Date", "2012-04-03 22:23:24"),
                ("X-Api-Authorization", &auth),
            ],
            body,
        };
        let secrets = |k: &str| (k == "k1").then(|| "sek".to_string());
        let then = time::macros::datetime!(2012-04-03 22:25:00 UTC);
        assert_eq!(verify(&req, then, secrets), Ok(()));
        let later = time::macros::datetime!(2012-04-03 22:40:00 UTC);
        let stale = verify(&req, later, secrets).unwrap_err();
        assert_eq!(stale.body.specific_code, Some(codes::STALE_REQUEST));
        let tampered = RequestParts {
            body: br#"{"example":"bodY"}"#,
            ..req
        };
        assert!(verify(&tampered, then, secrets).is_err());
    }
}
