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

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

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
    ("kind", Ty::Text),
    ("sheet", Ty::Text),
    ("map", Ty::Path),
    ("encoding", Ty::Text),
    ("delimiter", Ty::Text),
    ("match_by_name", Ty::Bool),
    ("allow_duplicates", Ty::Bool),
    ("output", Ty::Path),
    ("bom", Ty::Bool),
    ("log_file", Ty::Path),
    ("api_key_env", Ty::Text),
    ("api_secret_env", Ty::Text),
];

/// The subcommands a profile applies to.
const COMMANDS: &[&str] = &["import", "validate", "plan", "export", "ping"];

/// Global flags that take a value (so the subcommand's name can be found in argv).
const GLOBAL_WITH_VALUE: &[&str] = &["--config", "--profile", "--log-file"];

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
    /// The profile the command line asks for: `--profile NAME` from `--config FILE` or
    /// `./ivvy-import.toml`; without `--profile`, the file's `default` profile when it has one.
    /// None: no profile applies.
    pub fn select(matches: &ArgMatches) -> Result<Option<Profile>, ProfileError> {
        let wanted = matches.get_one::<String>("profile").cloned();
        let given = matches.get_one::<PathBuf>("config").cloned();
        let applies = matches
            .subcommand_name()
            .is_some_and(|s| COMMANDS.contains(&s));
        if !applies && wanted.is_none() && given.is_none() {
            return Ok(None);
        }
        let file = match given {
            Some(f) => f,
            None if Path::new(FILE_NAME).is_file() => PathBuf::from(FILE_NAME),
            None => {
                return match wanted {
                    Some(name) => Err(err(format!(
                        "--profile {name}: there is no {FILE_NAME} in the working directory; name the file with --config FILE"
                    ))),
                    None => Ok(None),
                };
            }
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| err(format!("--config {}: {e}", file.display())))?;
        Profile::from_text(&text, &file, wanted.as_deref())
    }

    /// The named profile (else `default`, when there is one) of a config file's text.
    pub fn from_text(
        text: &str,
        file: &Path,
        wanted: Option<&str>,
    ) -> Result<Option<Profile>, ProfileError> {
        let shown = file.display();
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(format!("{shown}: {}", e.to_string().trim_end())))?;
        for key in table.keys() {
            if key != "profile" {
                return Err(err(format!(
                    "{shown}: unknown top-level key `{key}`: profiles are tables named [profile.NAME]"
                )));
            }
        }
        let profiles = match table.get("profile") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                return Err(err(format!(
                    "{shown}: `profile` must hold tables: [profile.NAME]"
                )));
            }
        };
        let name = match wanted {
            Some(n) => n,
            None if profiles.contains_key(DEFAULT_PROFILE) => DEFAULT_PROFILE,
            None => return Ok(None),
        };
        let Some(body) = profiles.get(name) else {
            let names: Vec<&str> = profiles.keys().map(String::as_str).collect();
            let list = if names.is_empty() {
                "it has none".to_string()
            } else {
                format!("the profiles there: {}", names.join(", "))
            };
            return Err(err(format!("no profile `{name}` in {shown}; {list}")));
        };
        let toml::Value::Table(body) = body else {
            return Err(err(format!(
                "{shown}: profile `{name}` must be a table: [profile.{name}]"
            )));
        };
        let place = format!("profile `{name}` in {shown}");
        let dir = file.parent().unwrap_or(Path::new(""));
        let mut values = Vec::new();
        for (key, value) in body {
            let Some(&(known, ty)) = KEYS.iter().find(|(k, _)| k == key) else {
                return Err(err(format!("{place}: {}", unknown_key(key))));
            };
            values.push((known, typed(&place, known, ty, value, dir)?));
        }
        values.sort_by_key(|(k, _)| KEYS.iter().position(|(n, _)| n == k));
        Ok(Some(Profile {
            name: name.to_string(),
            file: file.to_path_buf(),
            values,
        }))
    }

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

    /// The command line with the profile's values added as flags, for every key of the
    /// subcommand that was not given on the command line (or through its environment
    /// variable). Clap then checks them as it checks typed flags.
    pub fn args(&self, cmd: &Command, matches: &ArgMatches, argv: &[OsString]) -> Vec<OsString> {
        let Some((sub_name, sub_matches)) = matches.subcommand() else {
            return argv.to_vec();
        };
        let Some(sub) = cmd.find_subcommand(sub_name) else {
            return argv.to_vec();
        };
        let mut sub = sub.clone();
        sub.build();
        let explicit = |id: &str| {
            matches!(
                sub_matches.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        };
        let mut extra: Vec<OsString> = Vec::new();
        for (key, value) in &self.values {
            let id = match (*key, value) {
                ("bom", Value::Bool(false)) => "no_bom",
                (k, _) => k,
            };
            // An export's file is always named on its command line, never by a results pattern.
            if sub_name == "export" && id == "output" {
                continue;
            }
            let Some(arg) = sub.get_arguments().find(|a| a.get_id() == id) else {
                continue;
            };
            let Some(long) = arg.get_long() else { continue };
            if explicit(id)
                || (id == "no_bom" && explicit("bom"))
                || (id == "bom" && explicit("no_bom"))
            {
                continue;
            }
            // A flag given on the command line wins over a profile flag it conflicts with
            // (clap declares a conflict on one side only).
            let clash = sub.get_arguments().any(|other| {
                explicit(other.get_id().as_str())
                    && (sub.get_arg_conflicts_with(arg).contains(&other)
                        || sub.get_arg_conflicts_with(other).contains(&arg))
            });
            if clash {
                continue;
            }
            match value {
                Value::Bool(true) => extra.push(format!("--{long}").into()),
                Value::Bool(false) if id == "no_bom" => extra.push(format!("--{long}").into()),
                Value::Bool(false) => {}
                Value::Text(s) => {
                    extra.push(format!("--{long}").into());
                    extra.push(s.into());
                }
            }
        }
        let mut out = argv.to_vec();
        let at = subcommand_index(argv, sub_name).map_or(out.len(), |i| i + 1);
        out.splice(at..at, extra);
        out
    }

    /// A clap error met while applying the profile, said as the profile's.
    pub fn blame(&self, e: &clap::Error) -> String {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        format!(
            "profile `{}` in {}: {first}",
            self.name,
            self.file.display()
        )
    }
}

/// Where the subcommand's name is in argv (after the program and any global flags).
fn subcommand_index(argv: &[OsString], name: &str) -> Option<usize> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].to_string_lossy();
        if a == name {
            return Some(i);
        }
        if a == "--" || !a.starts_with('-') {
            return None;
        }
        if GLOBAL_WITH_VALUE.contains(&a.as_ref()) {
            i += 1;
        }
        i += 1;
    }
    None
}

/// Keys named like credentials are refused; any other unknown key names the closest known one.
fn unknown_key(key: &str) -> String {
    let k = key.to_ascii_lowercase();
    let secret = ["secret", "password", "passwd", "token"]
        .iter()
        .any(|w| k.contains(w))
        || matches!(k.as_str(), "api_key" | "apikey" | "key" | "ivvy_api_key");
    if secret {
        return format!(
            "`{key}`: credentials are never kept in the config file; name the environment variables that hold them instead, e.g. api_key_env = \"VENUE_A_IVVY_KEY\" and api_secret_env = \"VENUE_A_IVVY_SECRET\""
        );
    }
    let best = KEYS
        .iter()
        .map(|(k, _)| (strsim::jaro_winkler(&key.replace('-', "_"), k), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, k)) if score >= 0.75 => format!("unknown key `{key}`: did you mean `{k}`?"),
        _ => format!(
            "unknown key `{key}`; the keys are: {}",
            KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn typed(
    place: &str,
    key: &str,
    ty: Ty,
    v: &toml::Value,
    dir: &Path,
) -> Result<Value, ProfileError> {
    let wrong = |what: &str| {
        err(format!(
            "{place}: `{key}` must be {what}, not {} {v}",
            v.type_str()
        ))
    };
    Ok(match (ty, v) {
        (Ty::Bool, toml::Value::Boolean(b)) => Value::Bool(*b),
        (Ty::Bool, _) => return Err(wrong("true or false")),
        (Ty::Whole | Ty::Number, toml::Value::Integer(n)) => Value::Text(n.to_string()),
        (Ty::Whole, _) => return Err(wrong("a whole number")),
        (Ty::Number, toml::Value::Float(x)) => Value::Text(x.to_string()),
        (Ty::Number, _) => return Err(wrong("a number")),
        (Ty::Text, toml::Value::String(s)) => {
            if key.ends_with("_env") && !is_env_name(s) {
                return Err(err(format!(
                    "{place}: `{key}` names an environment variable (letters, digits and _), not {s:?}"
                )));
            }
            Value::Text(s.clone())
        }
        (Ty::Text, _) => return Err(wrong("a string")),
        (Ty::Path, toml::Value::String(s)) => {
            let p = Path::new(s);
            let p = if p.is_absolute() || dir.as_os_str().is_empty() {
                p.to_path_buf()
            } else {
                dir.join(p)
            };
            Value::Text(p.to_string_lossy().into_owned())
        }
        (Ty::Path, _) => return Err(wrong("a path (a string)")),
    })
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expands `{stem}`, `{date}` (YYYY-MM-DD) and `{time}` (HHMMSS) in a path pattern.
pub fn expand(
    pattern: &str,
    stem: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("{pattern:?}: a `{{` without its `}}`"));
        };
        match (&after[..close], stem) {
            ("stem", Some(s)) => out.push_str(s),
            ("stem", None) => return Err(format!("{pattern:?}: {{stem}} has no input here")),
            ("date", _) => out.push_str(&format!(
                "{:04}-{:02}-{:02}",
                now.year(),
                u8::from(now.month()),
                now.day()
            )),
            ("time", _) => out.push_str(&format!(
                "{:02}{:02}{:02}",
                now.hour(),
                now.minute(),
                now.second()
            )),
            (other, _) => {
                return Err(format!(
                    "{pattern:?}: unknown placeholder {{{other}}}; use {{stem}}, {{date}} or {{time}}"
                ));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a path holds a placeholder.
pub fn is_pattern(p: &Path) -> bool {
    let s = p.to_string_lossy();
    ["{stem}", "{date}", "{time}"].iter().any(|t| s.contains(t))
}

/// The local time when the offset is known, else UTC.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, wanted: Option<&str>) -> Result<Option<Profile>, ProfileError> {
        Profile::from_text(text, Path::new("conf/ivvy-import.toml"), wanted)
    }

    #[test]
    fn a_profile_holds_flags_by_their_long_names() {
        let p = parse(
            "[profile.a]\nrate = 3\nregion = \"eu\"\nmatch_by_name = true\nmax_wait = 2.5\n",
            Some("a"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.text("rate"), Some("3"));
        assert_eq!(p.text("region"), Some("eu"));
        assert_eq!(p.text("max_wait"), Some("2.5"));
        assert!(p.values.contains(&("match_by_name", Value::Bool(true))));
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let p = parse(
            "[profile.a]\nmap = \"maps/m.toml\"\noutput = \"/tmp/{stem}.csv\"\n",
            Some("a"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            PathBuf::from(p.text("map").unwrap()),
            Path::new("conf").join("maps/m.toml")
        );
        assert_eq!(p.text("output"), Some("/tmp/{stem}.csv"));
    }

    #[test]
    fn an_unknown_key_names_the_closest_known_one() {
        let e = parse("[profile.a]\nconcurency = 2\n", Some("a")).unwrap_err();
        assert!(e.0.contains("did you mean `concurrency`"), "{e}");
        let e = parse("[profile.a]\nmatch-by-name = true\n", Some("a")).unwrap_err();
        assert!(e.0.contains("`match_by_name`"), "{e}");
    }

    #[test]
    fn keys_named_like_secrets_are_refused() {
        for key in [
            "api_key",
            "api_secret",
            "secret",
            "password",
            "IVVY_API_SECRET",
        ] {
            let e = parse(&format!("[profile.a]\n{key} = \"x\"\n"), Some("a")).unwrap_err();
            assert!(e.0.contains("never kept in the config file"), "{key}: {e}");
            assert!(e.0.contains("api_secret_env"), "{key}: {e}");
        }
    }

    #[test]
    fn a_missing_profile_lists_the_profiles_in_the_file() {
        let e = parse("[profile.venue-a]\n[profile.venue-b]\n", Some("venue-c")).unwrap_err();
        assert!(e.0.contains("no profile `venue-c`"), "{e}");
        assert!(e.0.contains("venue-a, venue-b"), "{e}");
    }

    #[test]
    fn the_default_profile_applies_without_profile() {
        assert!(parse("[profile.a]\nrate = 1\n", None).unwrap().is_none());
        let p = parse("[profile.default]\nrate = 1\n", None)
            .unwrap()
            .unwrap();
        assert_eq!(p.name, "default");
    }

    #[test]
    fn values_of_the_wrong_type_are_refused() {
        let e = parse("[profile.a]\nrate = \"fast\"\n", Some("a")).unwrap_err();
        assert!(e.0.contains("`rate` must be a number"), "{e}");
        let e = parse("[profile.a]\nbulk = 1\n", Some("a")).unwrap_err();
        assert!(e.0.contains("true or false"), "{e}");
        let e = parse("[profile.a]\napi_key_env = \"my key\"\n", Some("a")).unwrap_err();
        assert!(e.0.contains("environment variable"), "{e}");
    }

    #[test]
    fn credential_variables_come_from_the_profile() {
        let p = parse(
            "[profile.a]\napi_key_env = \"VENUE_A_IVVY_KEY\"\napi_secret_env = \"VENUE_A_IVVY_SECRET\"\n",
            Some("a"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            p.credential_vars(),
            CredentialVars {
                key: "VENUE_A_IVVY_KEY".into(),
                secret: "VENUE_A_IVVY_SECRET".into()
            }
        );
    }

    #[test]
    fn patterns_expand_stem_date_and_time() {
        let now = time::macros::datetime!(2024-03-05 07:08:09 UTC);
        assert_eq!(
            expand("results/{stem}-{date}.csv", Some("crm"), now).unwrap(),
            "results/crm-2024-03-05.csv"
        );
        assert_eq!(
            expand("{date}T{time}", None, now).unwrap(),
            "2024-03-05T070809"
        );
        assert!(expand("{stem}.csv", None, now).is_err());
        assert!(
            expand("{when}.csv", Some("x"), now)
                .unwrap_err()
                .contains("unknown placeholder")
        );
    }

    #[test]
    fn the_subcommand_is_found_after_global_flags() {
        let argv: Vec<OsString> = [
            "ivvy-import",
            "--profile",
            "import",
            "-v",
            "import",
            "f.csv",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(subcommand_index(&argv, "import"), Some(4));
    }
}
