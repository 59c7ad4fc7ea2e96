//! A profile merged into the command line: its values added as flags for every key the
//! command line (or the environment) did not give.

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

use super::{Profile, Value};

/// Global flags that take a value (so the subcommand's name can be found in argv).
const GLOBAL_WITH_VALUE: &[&str] = &["--config", "--profile", "--log-file"];

impl Profile {
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

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::subcommand_index;

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
