//! Where the API is and who calls it: the base URL (checked and normalised), the API key and
//! the secret that is never shown.

use std::fmt;
use std::net::IpAddr;

use super::sign;

/// Where the API is: a base URL such as `https://api.us-west-2.ivvy.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
}

impl Endpoint {
    /// Accepts `https://` anywhere and plain `http://` only to a loopback address.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let shown = redact_userinfo(url.trim());
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
            format!("base URL {shown:?}: {e}; it looks like https://api.us-west-2.ivvy.com")
        })?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!(
                "base URL {shown:?}: a user name or password in the URL is refused; credentials come from IVVY_API_KEY and IVVY_API_SECRET"
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "base URL {shown:?}: a query or fragment is refused; give the host only, e.g. https://api.us-west-2.ivvy.com"
            ));
        }
        let url = &shown;
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        match parsed.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "base URL {url:?}: plain http is refused except to loopback; use https"
                ));
            }
            s => return Err(format!("base URL {url:?}: unsupported scheme {s:?}")),
        }
        // The API path is added to every call: a base URL that already carries it (as copied
        // from the docs) is taken as the host it names.
        let mut path = parsed.path().trim_end_matches('/').to_string();
        for suffix in ["/api/1.0", "/api"] {
            if path.to_ascii_lowercase().ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
                break;
            }
        }
        let mut base = format!(
            "{}://{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        );
        if let Some(port) = parsed.port() {
            base.push_str(&format!(":{port}"));
        }
        base.push_str(&path);
        Ok(Endpoint { base })
    }

    /// iVvy's regional hosts: `au`, `us`, `eu`.
    pub fn region(region: &str) -> Endpoint {
        let host = match region {
            "us" => "https://api.us-west-2.ivvy.com",
            "eu" => "https://api.eu-west-2.ivvy.com",
            _ => "https://api.ap-southeast-2.ivvy.com",
        };
        Endpoint {
            base: host.to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The path and query as signed, e.g. `/api/1.0/crm?action=addOrUpdateLeadSource`.
    pub fn request_uri(namespace: &str, action: &str) -> String {
        format!("/api/{}/{namespace}?action={action}", sign::API_VERSION)
    }
}

/// A URL with any `user:password@` part replaced, for messages.
pub(crate) fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s && !url[s + 3..at].contains('/') => {
            format!("{}://…@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// The API secret. Never printed: its Debug and Display show a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub key: String,
    pub secret: Secret,
}

impl Credentials {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            key: key.into(),
            secret: Secret::new(secret),
        }
    }

    /// From `IVVY_API_KEY` and `IVVY_API_SECRET` (never from flags: those end up in shell
    /// history and process lists).
    pub fn from_env() -> Result<Credentials, String> {
        let get = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        match (get("IVVY_API_KEY"), get("IVVY_API_SECRET")) {
            (Some(k), Some(s)) => {
                for (name, v) in [("IVVY_API_KEY", &k), ("IVVY_API_SECRET", &s)] {
                    if v.trim().chars().any(char::is_control) {
                        return Err(format!(
                            "{name} holds a control character (a pasted line break or tab?): set it again without one"
                        ));
                    }
                }
                Ok(Credentials::new(k.trim(), s.trim()))
            }
            _ => Err(
                "set IVVY_API_KEY and IVVY_API_SECRET in the environment (or use --sandbox)".into(),
            ),
        }
    }
}
