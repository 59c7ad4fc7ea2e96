//! What a run does ([`RunMode`], decided once) and what each room reads of its [`Config`]:
//! the fields are private, read through these.

use std::path::Path;

use super::{Config, Outputs, Pacing, SubmitConfig, Target};
use crate::api::{Credentials, Endpoint};
use crate::input::ReadOptions;
use crate::kind::Kind;
use crate::pipeline::Policy;

/// What a run does, decided once from the subcommand and its flags: every room asks this,
/// none works it out from the flags again. The summary, `--json`, the report and the log
/// name it by [`RunMode::word`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunMode {
    /// `validate`, `import --dry-run`: every row checked, nothing sent, the account unread.
    #[default]
    Validate,
    /// `plan`, `import --plan`: the account read, nothing written.
    Plan,
    /// `import`.
    Import,
    /// `import --resume`: finish what an earlier run of the same input started.
    Resume,
    /// `apply`: a reviewed plan done exactly as it reads.
    Apply,
}

impl RunMode {
    /// How the summary, `--json` (`"mode"`), the report and the log name it: `validate`,
    /// `plan` or `import` (a resume and an apply are imports).
    pub fn word(self) -> &'static str {
        match self {
            RunMode::Validate => "validate",
            RunMode::Plan => "plan",
            RunMode::Import | RunMode::Resume | RunMode::Apply => "import",
        }
    }

    /// The run writes to the account: an import, a resume, an apply.
    pub fn writes(self) -> bool {
        matches!(self, RunMode::Import | RunMode::Resume | RunMode::Apply)
    }
}

/// As its [`RunMode::word`].
impl serde::Serialize for RunMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.word())
    }
}

impl Config {
    /// What the run does.
    pub fn mode(&self) -> RunMode {
        self.mode
    }

    /// The inputs and where their results go, as the flags say: the run lays them out
    /// into jobs when it starts, looking at the disk.
    pub fn outputs(&self) -> &Outputs {
        &self.outputs
    }

    /// Lines to show before the run (flags that do nothing here).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// One JSON object on stdout at the end.
    pub fn json(&self) -> bool {
        self.json
    }

    /// No progress, no summary (warnings still).
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Where the HTML report goes, when asked for.
    pub fn report(&self) -> Option<&Path> {
        self.report.as_deref()
    }

    /// For reading the inputs: the kind `--kind` gives every table.
    pub fn kind(&self) -> Option<Kind> {
        self.kind
    }

    /// For reading the inputs: encoding, delimiter, sheets, decimal comma.
    pub fn read_options(&self) -> &ReadOptions {
        &self.read
    }

    /// For reading the inputs: the mapping file of header aliases (`--map`), which the run
    /// reads; also named in the report.
    pub fn map_file(&self) -> Option<&Path> {
        self.map_file.as_deref()
    }

    /// For reading the inputs: the columns echoed as they are (`--keep-column`).
    pub fn keep_columns(&self) -> &[String] {
        &self.keep_columns
    }

    /// For deciding rows: rows without id update the one record of the same name.
    pub fn match_by_name(&self) -> bool {
        self.match_by_name
    }

    /// For deciding rows: rows without id create even when the name exists.
    pub fn allow_duplicates(&self) -> bool {
        self.allow_duplicates
    }

    /// For deciding rows: an empty mapped cell clears its field.
    pub fn clear_empty(&self) -> bool {
        self.clear_empty
    }

    /// For the results files: replace one holding live outcomes.
    pub fn overwrite(&self) -> bool {
        self.overwrite
    }

    /// How a run that reads the account reaches it; None for [`RunMode::Validate`].
    pub fn submit(&self) -> Option<&SubmitConfig> {
        self.submit.as_ref()
    }
}

impl SubmitConfig {
    /// For connecting: where requests go (an account, or the built-in emulator).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// For the account's lock and ledger: its endpoint and credentials; None for the
    /// built-in emulator.
    pub fn account(&self) -> Option<(&Endpoint, &Credentials)> {
        match &self.target {
            Target::Remote {
                endpoint,
                credentials,
            } => Some((endpoint, credentials)),
            Target::Sandbox { .. } => None,
        }
    }

    /// For the submitter: its policy.
    pub(crate) fn policy(&self) -> Policy {
        self.pacing.policy()
    }

    /// For the report and a plan's summary: the pacing flags (rate, concurrency, batches);
    /// for connecting, one request's timeout.
    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }

    /// For `--resume`: look every unfinished create up by name first (`--reconcile-by-name`).
    pub fn reconcile_by_name(&self) -> bool {
        self.reconcile_by_name
    }

    /// For the account index: read and keep the ledger of fields the API cannot read back
    /// (not with `--no-ledger`).
    pub fn ledger(&self) -> bool {
        !self.no_ledger
    }
}

#[cfg(test)]
mod tests {
    use super::RunMode;

    #[test]
    fn every_mode_is_named_by_one_of_three_words() {
        for (mode, json, writes) in [
            (RunMode::Validate, r#""validate""#, false),
            (RunMode::Plan, r#""plan""#, false),
            (RunMode::Import, r#""import""#, true),
            (RunMode::Resume, r#""import""#, true),
            (RunMode::Apply, r#""import""#, true),
        ] {
            assert_eq!(serde_json::to_string(&mode).unwrap(), json, "{mode:?}");
            assert_eq!(format!("\"{}\"", mode.word()), json, "{mode:?}");
            assert_eq!(mode.writes(), writes, "{mode:?}");
        }
        assert_eq!(RunMode::default(), RunMode::Validate);
    }
}
