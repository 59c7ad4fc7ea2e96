//! Loading a profile: the file found (`--config`, else `./ivvy-import.toml`), its TOML read,
//! and every key checked for its name and type.

use std::path::{Path, PathBuf};

use clap::ArgMatches;

use super::{DEFAULT_PROFILE, FILE_NAME, KEYS, Profile, ProfileError, Ty, Value, err};

/// The subcommands a profile applies to.
const COMMANDS: &[&str] = &["import", "validate", "plan", "apply", "export", "ping"];

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
        refuse_shared(&file)?;
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
}

/// A profile anyone else may write is refused: it says where results go and which variables
/// hold the credentials.
fn refuse_shared(file: &Path) -> Result<(), ProfileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(|e| err(format!("--config {}: {e}", file.display())))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(err(format!(
                "{}: others may write it (mode {:o}); a profile says where results go and which variables hold the credentials: chmod go-w {}",
                file.display(),
                mode & 0o777,
                file.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Whether a value named as an environment variable looks like a secret pasted in by mistake
/// (long, mixed letters and digits, no `_`): it is then never shown.
fn looks_secret(s: &str) -> bool {
    s.len() >= 16
        && !s.contains('_')
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().any(|c| c.is_ascii_lowercase())
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
            if key.ends_with("_env") && (!is_env_name(s) || looks_secret(s)) {
                // Never echoed: a secret pasted here by mistake must not reach the terminal.
                return Err(err(format!(
                    "{place}: `{key}` names an environment variable (letters, digits and _, e.g. VENUE_A_IVVY_SECRET); its value of {} characters is not one (not shown: it may be a secret)",
                    s.chars().count()
                )));
            }
            Value::Text(s.clone())
        }
        (Ty::Text, _) => return Err(wrong("a string")),
        (Ty::Path, toml::Value::String(s)) => {
            let p = Path::new(s);
            if p.components().any(|c| c == std::path::Component::ParentDir) {
                return Err(err(format!(
                    "{place}: `{key}` = {s:?} leaves the profile's folder (`..`); name a path inside it, or an absolute one"
                )));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CredentialVars;

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
    fn a_secret_pasted_as_a_variable_name_is_refused_and_never_shown() {
        for value in ["s3cr3t-value/with+chars", "a1b2c3d4e5f6a7b8c9d0e1f2"] {
            let text = format!("[profile.a]\napi_secret_env = \"{value}\"\n");
            let e = parse(&text, Some("a")).unwrap_err();
            assert!(!e.0.contains(value), "{e}");
            assert!(e.0.contains("not shown"), "{e}");
        }
        assert!(
            parse(
                "[profile.a]\napi_secret_env = \"VENUE_A_IVVY_SECRET\"\n",
                Some("a")
            )
            .is_ok()
        );
    }

    #[test]
    fn a_path_leaving_the_profiles_folder_is_refused() {
        let e = parse(
            "[profile.a]\noutput = \"../../escaped-{stem}.csv\"\n",
            Some("a"),
        )
        .unwrap_err();
        assert!(e.0.contains("leaves the profile's folder"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_profile_others_may_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ivvy-import.toml");
        std::fs::write(&f, "[profile.a]\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(refuse_shared(&f).unwrap_err().0.contains("chmod go-w"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(refuse_shared(&f).is_ok());
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
}
