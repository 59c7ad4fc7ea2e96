//! The live account, as listed at the start of a run, and what a row would do to it: create,
//! update, nothing (unchanged), or nothing because the account disagrees (conflict).

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use super::changes::{Changes, Known, compare};
use crate::api::wire::Listed;
use crate::kind::Kind;
use crate::ledger::Ledger;
use crate::record::Record;
use crate::record::names::name_key;

impl Known {
    fn of(l: &Listed) -> Known {
        Known {
            name: l.name.trim().into(),
            description: l.description.as_deref().map(|d| d.trim().into()),
            cost: l.cost(),
            is_referral: l.is_referral(),
        }
    }
}

/// The records of one kind.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    pub records: HashMap<u64, Known>,
    /// Ids by the 64-bit key of the folded name ([`name_key`]).
    pub by_name: HashMap<u64, Vec<u64>>,
}

impl Existing {
    pub(crate) fn new(kind: Kind, listed: &[Listed]) -> Existing {
        let mut e = Existing::default();
        e.records.reserve(listed.len());
        for l in listed {
            e.by_name
                .entry(name_key(kind, &l.name))
                .or_default()
                .push(l.id);
            e.records.insert(l.id, Known::of(l));
        }
        for ids in e.by_name.values_mut() {
            ids.sort_unstable();
        }
        e
    }

    pub(crate) fn ids(&self) -> HashSet<u64> {
        self.records.keys().copied().collect()
    }
}

/// How rows without an id meet records of the same name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Matching {
    pub by_name: bool,
    pub allow_duplicates: bool,
}

/// What a row would do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Create,
    Update(u64, Changes),
    Unchanged(u64, Changes),
    /// Why, and the words of it that label the problem.
    Conflict(String, &'static str),
}

fn ids_text(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The account's records by kind.
#[derive(Debug, Default)]
pub(crate) struct Account {
    pub kinds: HashMap<Kind, Existing>,
    /// What this tool last wrote to fields the API cannot read back (None: `--no-ledger`).
    pub ledger: Option<Arc<Ledger>>,
}

impl Account {
    /// What `record` would do. `visible` limits the records a create may collide with (a
    /// resumed create that may have been applied looks only at records from before the run).
    /// `empty`: the mapped fields whose cell was empty in the row.
    pub(crate) fn classify(
        &self,
        record: &Record,
        matching: Matching,
        visible: Option<&HashSet<u64>>,
        empty: &[&'static str],
    ) -> Action {
        let judge = |id: u64, known: &Known| {
            let written = self.ledger.as_ref().and_then(|l| l.get(record.kind(), id));
            let changes = compare(known, record, written, empty);
            if changes.sends() {
                Action::Update(id, changes)
            } else {
                Action::Unchanged(id, changes)
            }
        };
        let kind = record.kind();
        let empty = Existing::default();
        let existing = self.kinds.get(&kind).unwrap_or(&empty);
        if let Some(id) = record.id() {
            return match existing.records.get(&id) {
                None => Action::Conflict(
                    format!("id {id} is not a {} on this account", singular(kind)),
                    match kind {
                        Kind::Source => "is not a lead source on this account",
                        Kind::Stage => "is not a lead stage on this account",
                    },
                ),
                Some(l) => judge(id, l),
            };
        }
        let name = name_key(kind, record.name().unwrap_or_default());
        let matches: Vec<u64> = existing
            .by_name
            .get(&name)
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|id| visible.is_none_or(|v| v.contains(id)))
                    .collect()
            })
            .unwrap_or_default();
        match (matches.as_slice(), matching) {
            ([], _)
            | (
                _,
                Matching {
                    allow_duplicates: true,
                    ..
                },
            ) => Action::Create,
            ([id], Matching { by_name: true, .. }) => match existing.records.get(id) {
                Some(l) => judge(*id, l),
                None => Action::Create,
            },
            (ids, Matching { by_name: true, .. }) => Action::Conflict(
                format!(
                    "name matches {} existing {}: ids {}; give the row the id to update",
                    ids.len(),
                    kind.plural(),
                    ids_text(ids)
                ),
                "name matches",
            ),
            ([id], _) => Action::Conflict(
                format!(
                    "already exists as id {id}; pass --match-by-name to update it, or --allow-duplicates to create another"
                ),
                "already exists",
            ),
            (ids, _) => Action::Conflict(
                format!(
                    "already exists as ids {}; pass --allow-duplicates to create another",
                    ids_text(ids)
                ),
                "already exists",
            ),
        }
    }
}

fn singular(kind: Kind) -> &'static str {
    kind.info().singular
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{LeadSource, Money};

    fn listed(id: u64, name: &str, cost: f64) -> Listed {
        Listed {
            id,
            name: name.into(),
            description: Some("Paid".into()),
            cost: Some(serde_json::json!(cost)),
            is_referral: Some(serde_json::json!(false)),
        }
    }

    fn account(l: &[Listed]) -> Account {
        let mut a = Account::default();
        a.kinds.insert(Kind::Source, Existing::new(Kind::Source, l));
        a
    }

    fn source(id: Option<u64>, name: &str, cost: &str) -> Record {
        Record::Source(LeadSource {
            id,
            name: Some(name.into()),
            description: Some("Paid".into()),
            cost: Some(Money::parse_canonical(cost)),
            colour: None,
            is_referral: Some(false),
        })
    }

    #[test]
    fn a_create_whose_name_exists_is_a_conflict_by_default() {
        let a = account(&[listed(1001, "Google Ads", 5.0)]);
        let got = a.classify(
            &source(None, "google ads", "5"),
            Matching::default(),
            None,
            &[],
        );
        assert!(
            matches!(&got, Action::Conflict(m, w) if m.contains(w) && m.contains("id 1001") && m.contains("--match-by-name")),
            "{got:?}"
        );
    }

    #[test]
    fn match_by_name_finds_unchanged_and_changed_records() {
        let a = account(&[listed(1001, "Google Ads", 5.0)]);
        let m = Matching {
            by_name: true,
            allow_duplicates: false,
        };
        assert!(matches!(
            a.classify(&source(None, "Google Ads", "5.00"), m, None, &[]),
            Action::Unchanged(1001, _)
        ));
        assert!(matches!(
            a.classify(&source(None, "Google Ads", "6"), m, None, &[]),
            Action::Update(1001, c) if c.text() == "cost: 5 → 6"
        ));
    }

    #[test]
    fn an_id_not_on_the_account_is_a_conflict() {
        let a = account(&[listed(1001, "Google Ads", 5.0)]);
        let got = a.classify(&source(Some(7), "X", "1"), Matching::default(), None, &[]);
        assert!(
            matches!(&got, Action::Conflict(m, w) if m.contains(w) && m.contains("id 7")),
            "{got:?}"
        );
    }

    #[test]
    fn a_colour_the_listing_cannot_show_counts_as_changed() {
        let a = account(&[listed(1001, "Google Ads", 5.0)]);
        let mut r = source(Some(1001), "Google Ads", "5");
        if let Record::Source(s) = &mut r {
            s.colour = Some("#ffffff".into());
        }
        assert!(matches!(
            a.classify(&r, Matching::default(), None, &[]),
            Action::Update(1001, c) if c.text() == "colour: sent (cannot be read back)"
        ));
    }
}
