//! Which CRM collection a row belongs to: the one word every stage of a row's path shares.

use std::fmt;

/// Which CRM collection a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Source,
    Stage,
}

impl Kind {
    /// The word used in the results file's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Stage => "stage",
        }
    }

    /// Parses `source`/`sources`/`lead source(s)` and the stage equivalents, any case.
    pub fn parse(s: &str) -> Option<Kind> {
        let n = normalise(s);
        match n.as_str() {
            "source" | "sources" | "leadsource" | "leadsources" => Some(Kind::Source),
            "stage" | "stages" | "leadstage" | "leadstages" => Some(Kind::Stage),
            _ => None,
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Source => "lead sources",
            Kind::Stage => "lead stages",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowercase, without spaces, `_`, `-` and `?`: the form headers and labels are compared in.
pub(crate) fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '?') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}
