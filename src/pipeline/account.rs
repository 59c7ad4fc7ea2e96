//! The live account, as listed at the start of a run, and what a row would do to it: create,
//! update, nothing (unchanged), or nothing because the account disagrees (conflict).

use std::collections::{HashMap, HashSet};

use crate::api::wire::Listed;
use crate::kind::Kind;
use crate::record::names::name_key;
use crate::record::{LeadSource, LeadStage, Record};

/// What the listing says of one record, kept compact: hashes of its texts (an account of
/// 100,000 records then takes a few MiB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Known {
    name: u64,
    description: Option<u64>,
    cost: Option<f64>,
    is_referral: Option<bool>,
}

fn text_hash(s: &str) -> u64 {
    let mut h = crate::fnv::Fnv1a::default();
    std::hash::Hasher::write(&mut h, s.trim().as_bytes());
    std::hash::Hasher::finish(&h)
}

impl Known {
    fn of(l: &Listed) -> Known {
        Known {
            name: text_hash(&l.name),
            description: l.description.as_deref().map(text_hash),
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
    Update(u64),
    Unchanged(u64),
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
}

impl Account {
    /// What `record` would do. `visible` limits the records a create may collide with (a
    /// resumed create that may have been applied looks only at records from before the run).
    pub(crate) fn classify(
        &self,
        record: &Record,
        matching: Matching,
        visible: Option<&HashSet<u64>>,
    ) -> Action {
        let kind = record.kind();
        let empty = Existing::default();
        let existing = self.kinds.get(&kind).unwrap_or(&empty);
        if let Some(id) = record.id() {
            return match existing.records.get(&id) {
                None => Action::Conflict(
                    format!("id {id} is not a {} on this account", singular(kind)),
                    "not on this account",
                ),
                Some(l) if holds(l, record) => Action::Unchanged(id),
                Some(_) => Action::Update(id),
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
            ([id], Matching { by_name: true, .. }) => {
                if holds(&existing.records[id], record) {
                    Action::Unchanged(*id)
                } else {
                    Action::Update(*id)
                }
            }
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

fn same_text(have: Option<u64>, want: &str) -> bool {
    have == Some(text_hash(want))
}

/// The listed record already holds every value the row would send. Fields the listing does
/// not show (a source's colour; a stage's colour and applyTo) count as changed.
fn holds(l: &Known, record: &Record) -> bool {
    match record {
        Record::Source(LeadSource {
            id: _,
            name,
            description,
            cost,
            colour,
            is_referral,
        }) => {
            name.as_deref().is_none_or(|n| same_text(Some(l.name), n))
                && description
                    .as_deref()
                    .is_none_or(|d| same_text(l.description, d))
                && cost
                    .as_ref()
                    .is_none_or(|c| l.cost.is_some_and(|have| (have - c.to_f64()).abs() < 1e-9))
                && is_referral.is_none_or(|b| l.is_referral == Some(b))
                && colour.is_none()
        }
        Record::Stage(LeadStage {
            id: _,
            name,
            colour,
            apply_to,
        }) => {
            name.as_deref().is_none_or(|n| same_text(Some(l.name), n))
                && colour.is_none()
                && apply_to.is_none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Money;

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
        let got = a.classify(&source(None, "google ads", "5"), Matching::default(), None);
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
        assert_eq!(
            a.classify(&source(None, "Google Ads", "5.00"), m, None),
            Action::Unchanged(1001)
        );
        assert_eq!(
            a.classify(&source(None, "Google Ads", "6"), m, None),
            Action::Update(1001)
        );
    }

    #[test]
    fn an_id_not_on_the_account_is_a_conflict() {
        let a = account(&[listed(1001, "Google Ads", 5.0)]);
        let got = a.classify(&source(Some(7), "X", "1"), Matching::default(), None);
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
        assert_eq!(
            a.classify(&r, Matching::default(), None),
            Action::Update(1001)
        );
    }
}
