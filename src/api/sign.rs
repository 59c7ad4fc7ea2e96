//! Request signing as iVvy documents it: pure functions, no I/O.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use time::OffsetDateTime;
use time::macros::format_description;

pub(crate) const API_VERSION: &str = "1.0";
pub(crate) const CONTENT_TYPE: &str = "application/json";

/// Lowercase hex md5 of the exact body bytes.
pub(crate) fn content_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// Lowercase hex HMAC-SHA1.
pub(crate) fn hmac_sha1_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The `IVVY-Date` form: `yyyy-mm-dd HH:mm:ss`, UTC.
pub(crate) fn ivvy_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// The string to sign for a request dated with `IVVY-Date` (so the `date` part is empty).
pub(crate) fn string_to_sign(method: &str, md5: &str, uri: &str, ivvy_date: &str) -> String {
    format!("{method}{md5}{CONTENT_TYPE}{uri}{API_VERSION}ivvydate={ivvy_date}").to_lowercase()
}

/// The headers that sign one attempt of a request.
#[derive(Debug, Clone)]
pub(crate) struct SignedHeaders {
    pub content_md5: String,
    pub ivvy_date: String,
    pub authorization: String,
}

pub(crate) fn sign(
    key: &str,
    secret: &str,
    uri: &str,
    body: &[u8],
    now: OffsetDateTime,
) -> SignedHeaders {
    let md5 = content_md5(body);
    let date = ivvy_date(now);
    let sts = string_to_sign("POST", &md5, uri, &date);
    let signature = hmac_sha1_hex(secret.as_bytes(), sts.as_bytes());
    SignedHeaders {
        content_md5: md5,
        ivvy_date: date,
        authorization: format!("IWS {key}:{signature}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_documented_vector() {
        assert_eq!(
            content_md5(br#"{"example":"body"}"#),
            "a09f600c77a6dbd947db24c61e8935ca"
        );
    }

    #[test]
    fn hmac_matches_documented_vector() {
        assert_eq!(
            hmac_sha1_hex(b"my secret key", b"string to sign"),
            "a993876ea1218921a1c8551923473da7b310dfae"
        );
    }

    #[test]
    fn ping_string_to_sign_matches_documented_vector() {
        let md5 = content_md5(br#"{"example":"body"}"#);
        assert_eq!(
            string_to_sign(
                "POST",
                &md5,
                "/api/1.0/test?action=ping",
                "2012-04-03 22:23:24"
            ),
            "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24"
        );
    }

    #[test]
    fn ivvy_date_is_utc_without_fraction() {
        let t = time::macros::datetime!(2012-04-03 22:23:24.567 UTC);
        assert_eq!(ivvy_date(t), "2012-04-03 22:23:24");
    }

    #[test]
    fn signed_ping_matches_the_documented_request() {
        let t = time::macros::datetime!(2012-04-03 22:23:24 UTC);
        let h = sign(
            "test-key",
            "my secret key",
            "/api/1.0/test?action=ping",
            br#"{"example":"body"}"#,
            t,
        );
        assert_eq!(h.content_md5, "a09f600c77a6dbd947db24c61e8935ca");
        assert_eq!(h.ivvy_date, "2012-04-03 22:23:24");
        // HMAC-SHA1 of the documented string to sign, computed apart from this code.
        assert_eq!(
            h.authorization,
            "IWS test-key:74af7ec6fec55dc88543e05096c69cebaf391eb9"
        );
    }

    #[test]
    fn string_to_sign_is_lowercased_whole() {
        let sts = string_to_sign(
            "POST",
            "ABC",
            "/api/1.0/crm?action=addOrUpdateLeadSource",
            "2024-03-15 18:00:00",
        );
        assert_eq!(sts, sts.to_lowercase());
        assert!(sts.contains("/api/1.0/crm?action=addorupdateleadsource1.0ivvydate="));
    }

    #[test]
    fn ivvy_date_converts_other_offsets_to_utc() {
        let t = time::macros::datetime!(2012-04-04 08:23:24 +10:00);
        assert_eq!(ivvy_date(t), "2012-04-03 22:23:24");
    }

    #[test]
    fn empty_body_has_the_md5_of_nothing() {
        assert_eq!(content_md5(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
