//! Which CRM collection a row belongs to: the one word every stage of a row's path shares.

use std::fmt;

/// Which CRM collection a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Source,
    Stage,
}

/// What differs from one kind of record to another, in one place: the words, the API's
/// actions, the columns of templates and exports. Every room reads its kind's table rather
/// than matching on [`Kind`]; a new kind of record is one more table (and its record type).
#[derive(Debug)]
pub struct KindInfo {
    /// The results file's `kind` column, and `--json`'s: `source`.
    pub word: &'static str,
    /// The command line's word (`--kind`, `export`) and a map file's table: `sources`.
    pub cli: &'static str,
    /// In messages: `lead source`.
    pub singular: &'static str,
    /// In messages: `lead sources`.
    pub plural: &'static str,
    /// The sheet a template or an export names: `Lead Sources`.
    pub sheet: &'static str,
    /// The API action that saves one record (namespace `crm`).
    pub save_action: &'static str,
    /// The API action that lists the account's records (namespace `crm`).
    pub list_action: &'static str,
    /// The columns of a template to fill in, in order.
    pub template_headers: &'static [&'static str],
    /// The columns an export writes, in order: the fields the API lets a client read, and
    /// the kind.
    pub export_columns: &'static [&'static str],
}

const SOURCE: KindInfo = KindInfo {
    word: "source",
    cli: "sources",
    singular: "lead source",
    plural: "lead sources",
    sheet: "Lead Sources",
    save_action: "addOrUpdateLeadSource",
    list_action: "getLeadSourceList",
    template_headers: &["name", "description", "cost", "colour", "isReferral"],
    export_columns: &["id", "name", "description", "cost", "isReferral", "kind"],
};

const STAGE: KindInfo = KindInfo {
    word: "stage",
    cli: "stages",
    singular: "lead stage",
    plural: "lead stages",
    sheet: "Lead Stages",
    save_action: "addOrUpdateLeadStage",
    list_action: "getLeadStageList",
    template_headers: &["name", "colour", "applyTo"],
    export_columns: &["id", "name", "kind"],
};

impl Kind {
    /// Every kind, in the order runs and templates list them.
    pub const ALL: [Kind; 2] = [Kind::Source, Kind::Stage];

    /// The kind's table.
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::Source => &SOURCE,
            Kind::Stage => &STAGE,
        }
    }

    /// The word used in the results file's `kind` column.
    pub fn as_str(self) -> &'static str {
        self.info().word
    }

    /// Parses `source`/`sources`/`lead source(s)` and the stage equivalents, any case.
    pub fn parse(s: &str) -> Option<Kind> {
        let n = normalise(s);
        Kind::ALL.into_iter().find(|k| {
            let i = k.info();
            [i.word, i.cli, i.singular, i.plural]
                .iter()
                .any(|w| normalise(w) == n)
        })
    }

    pub fn plural(self) -> &'static str {
        self.info().plural
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_a_kind_parses_back_to_it() {
        for k in Kind::ALL {
            let i = k.info();
            for w in [i.word, i.cli, i.singular, i.plural, i.sheet] {
                assert_eq!(Kind::parse(w), Some(k), "{w}");
            }
        }
        assert_eq!(Kind::parse("LEAD-SOURCES"), Some(Kind::Source));
        assert_eq!(Kind::parse("reason"), None);
    }
}
