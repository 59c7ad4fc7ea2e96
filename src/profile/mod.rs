//! Profiles: named sets of flags in `ivvy-import.toml` (or the file `--config` names), so a
//! scheduled import is one short command.
//!
//! ```toml
//! [profile.venue-a]
//! region = "au"
//! rate = 3
//! match_by_name = true
//! output = "results/{stem}-{date}.csv"
//! api_key_env = "VENUE_A_IVVY_KEY"
//! api_secret_env = "VENUE_A_IVVY_SECRET"
//! ```
//!
//! A key is a long flag's name with `_` for `-`. Flags given on the command line (or through
//! their environment variables) win over the profile; the profile wins over the defaults.
//! Credentials never live in the file: a profile names the environment variables that hold
//! them. Relative paths in a profile are relative to the file's folder.

use std::path::PathBuf;

mod args;
mod load;
mod pattern;

pub use pattern::{expand, is_pattern, now};

/// The file looked for in the working directory when `--config` is not given.
pub const FILE_NAME: &str = "ivvy-import.toml";

/// The profile applied when `--profile` is not given.
pub const DEFAULT_PROFILE: &str = "default";

/// What a key's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Number,
    Whole,
    Bool,
    /// A path, relative to the file's folder; may hold `{stem}`, `{date}`, `{time}`.
    Path,
}

/// Every key a profile may hold. All but the last two are long flags' names.
const KEYS: &[(&str, Ty)] = &[
    ("region", Ty::Text),
    ("base_url", Ty::Text),
    ("sandbox", Ty::Bool),
    ("timeout", Ty::Number),
    ("rate", Ty::Number),
    ("concurrency", Ty::Whole),
    ("retries", Ty::Whole),
    ("max_wait", Ty::Number),
    ("give_up_after", Ty::Number),
    ("bulk", Ty::Bool),
    ("batch_size", Ty::Whole),
    ("batch_timeout", Ty::Number),
    ("kind", Ty::Text),
    ("sheet", Ty::Text),
    ("map", Ty::Path),
    ("keep_column", Ty::Text),
    ("encoding", Ty::Text),
    ("delimiter", Ty::Text),
    ("match_by_name", Ty::Bool),
    ("allow_duplicates", Ty::Bool),
    ("clear_empty", Ty::Bool),
    ("no_ledger", Ty::Bool),
    ("output", Ty::Path),
    ("report", Ty::Path),
    ("bom", Ty::Bool),
    ("excel_safe_csv", Ty::Bool),
    ("log_file", Ty::Path),
    ("api_key_env", Ty::Text),
    ("api_secret_env", Ty::Text),
];

/// A profile read from its file and checked.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub file: PathBuf,
    /// Its keys, in the order of [`KEYS`], values as a flag would take them.
    values: Vec<(&'static str, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Bool(bool),
}

/// The environment variables that hold the API key and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialVars {
    pub key: String,
    pub secret: String,
}

impl Default for CredentialVars {
    fn default() -> CredentialVars {
        CredentialVars {
            key: "IVVY_API_KEY".into(),
            secret: "IVVY_API_SECRET".into(),
        }
    }
}

/// Why a profile cannot be used. Every one is an exit 2 before anything is read or sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

fn err(s: impl Into<String>) -> ProfileError {
    ProfileError(s.into())
}

impl Profile {
    fn text(&self, key: &str) -> Option<&str> {
        self.values.iter().find_map(|(k, v)| match v {
            Value::Text(s) if *k == key => Some(s.as_str()),
            _ => None,
        })
    }

    /// The environment variables the profile names for the credentials (the usual ones for
    /// those it does not name).
    pub fn credential_vars(&self) -> CredentialVars {
        let d = CredentialVars::default();
        CredentialVars {
            key: self.text("api_key_env").map_or(d.key, str::to_string),
            secret: self.text("api_secret_env").map_or(d.secret, str::to_string),
        }
    }

    /// The profile's log file, when the command line names none.
    pub fn log_file(&self) -> Option<PathBuf> {
        self.text("log_file").map(PathBuf::from)
    }
}
