//! Claims: which records are this run's to give a row. The snapshot of the account before the
//! first run of a results file (`pre`), the ids given to rows so far (`claimed`), and the one
//! look-up that finds what a create whose answer was lost made: a record of its kind and
//! name that was not there before the first run and is not another row's.
//!
//! Single calls and bulk mode look up the same way ([`Claims::look_up`]): one filtered list
//! for one create, one list pass per kind for several. A batch whose outcome is unknown is
//! looked up by passes that must agree ([`Claims::look_up_agreed`]): an asynchronous server
//! may still be applying it, and a record that appears between two passes means the answer is
//! not settled yet.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use super::lock;
use super::transport::Transport;
use crate::api::Failure;
use crate::api::wire::Listed;
use crate::kind::Kind;
use crate::record::names::fold_name;

/// How many list passes an agreed look-up makes at most, waiting this long between two.
const AGREE_PASSES: u32 = 4;
const AGREE_PAUSE: Duration = Duration::from_millis(700);

/// A create to look up: its kind and the name it sent.
pub(crate) type Wanted<'a> = (Kind, &'a str);

/// What a look-up listed: each kind's records.
type Listing = Vec<(Kind, Vec<Listed>)>;

/// The run's claims on the account's records.
#[derive(Default)]
pub(crate) struct Claims {
    /// Ids that existed before the first run of this results file, by kind.
    pre: Mutex<HashMap<Kind, HashSet<u64>>>,
    /// Ids this run (or an earlier one being resumed) has given to a row.
    claimed: Mutex<HashSet<(Kind, u64)>>,
}

impl Claims {
    /// The account as listed at the start: the snapshot, unless a resumed run gave one.
    pub(crate) fn listed(&self, kind: Kind, ids: HashSet<u64>) {
        lock(&self.pre).entry(kind).or_insert(ids);
    }

    /// The records that existed before the first run of this results file.
    pub(crate) fn pre_ids(&self, kind: Kind) -> Option<HashSet<u64>> {
        lock(&self.pre).get(&kind).cloned()
    }

    /// Replaces the before-the-run snapshot (from a resumed run's journal).
    pub(crate) fn set_pre(&self, kind: Kind, ids: HashSet<u64>) {
        lock(&self.pre).insert(kind, ids);
    }

    /// `id` is a row's: no look-up gives it to another.
    pub(crate) fn claim(&self, kind: Kind, id: u64) {
        lock(&self.claimed).insert((kind, id));
    }

    /// Looks up what creates may have made, with one list: one id (or None) per wanted
    /// create, claimed. One create lists its name only; several list each kind once.
    pub(crate) async fn look_up(
        &self,
        transport: &Transport,
        wanted: &[Wanted<'_>],
    ) -> Result<Vec<Option<u64>>, Failure> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let listed = match wanted {
            [(kind, name)] => {
                let mut filter = serde_json::Map::new();
                let name = serde_json::Value::String(name.trim().to_string());
                filter.insert("name".into(), name);
                vec![(*kind, transport.list_all(*kind, Some(&filter), None).await?)]
            }
            _ => list_kinds(transport, wanted).await?,
        };
        Ok(self.pick(&listed, wanted, true))
    }

    /// Looks creates up by list passes until two in a row find the same records (at most
    /// `AGREE_PASSES`), then claims what they found; one id (or None) per wanted create.
    /// Err when the passes never agree: the account is still changing.
    pub(crate) async fn look_up_agreed(
        &self,
        transport: &Transport,
        wanted: &[Wanted<'_>],
    ) -> Result<Vec<Option<u64>>, Failure> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut listed = list_kinds(transport, wanted).await?;
        let mut last = self.pick(&listed, wanted, false);
        for _ in 1..AGREE_PASSES {
            tokio::time::sleep(AGREE_PAUSE).await;
            listed = list_kinds(transport, wanted).await?;
            let now = self.pick(&listed, wanted, false);
            if now == last {
                return Ok(self.pick(&listed, wanted, true));
            }
            last = now;
        }
        Err(Failure::Unknown(format!(
            "{AGREE_PASSES} list passes found different records: the account is still changing"
        )))
    }

    /// The one rule of every look-up, single or bulk: each wanted create gets the lowest id
    /// among the listed records of its kind and name that were not there before the first run
    /// and are not another row's, each id once. `claim`: the ids are claimed, chosen and
    /// claimed under one lock, so two lost creates of one name never take one id.
    fn pick(&self, listed: &Listing, wanted: &[Wanted<'_>], claim: bool) -> Vec<Option<u64>> {
        let mut out = vec![None; wanted.len()];
        let pres: Vec<_> = listed.iter().map(|(k, _)| self.pre_ids(*k)).collect();
        let mut claimed = lock(&self.claimed);
        for ((kind, records), pre) in listed.iter().zip(pres) {
            let kind = *kind;
            let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
            for l in records {
                if pre.as_ref().is_some_and(|p| p.contains(&l.id))
                    || claimed.contains(&(kind, l.id))
                {
                    continue;
                }
                by_name.entry(fold_name(&l.name)).or_default().push(l.id);
            }
            for ids in by_name.values_mut() {
                ids.sort_unstable_by(|a, b| b.cmp(a));
            }
            for (slot, (k, name)) in out.iter_mut().zip(wanted) {
                if *k == kind {
                    *slot = by_name.get_mut(&fold_name(name)).and_then(Vec::pop);
                }
            }
        }
        if claim {
            for (id, (kind, _)) in out.iter().zip(wanted) {
                if let Some(id) = id {
                    claimed.insert((*kind, *id));
                }
            }
        }
        out
    }
}

/// Every record of each kind a wanted create has (one list pass per kind).
async fn list_kinds(transport: &Transport, wanted: &[Wanted<'_>]) -> Result<Listing, Failure> {
    let mut out = Vec::new();
    for kind in [Kind::Source, Kind::Stage] {
        if wanted.iter().any(|w| w.0 == kind) {
            out.push((kind, transport.list_all(kind, None, None).await?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: u64, name: &str) -> Listed {
        Listed {
            id,
            name: name.into(),
            description: None,
            cost: None,
            is_referral: None,
        }
    }

    #[test]
    fn a_look_up_takes_the_lowest_new_unclaimed_record_of_the_name_once() {
        let claims = Claims::default();
        claims.listed(Kind::Source, HashSet::from([1]));
        claims.claim(Kind::Source, 4);
        let records = vec![
            listed(1, "Fair"),
            listed(4, "Fair"),
            listed(9, "FAIR"),
            listed(6, "fair "),
            listed(7, "Other"),
        ];
        let listing = vec![(Kind::Source, records)];
        let wanted = [
            (Kind::Source, "Fair"),
            (Kind::Source, "Fair"),
            (Kind::Source, "Fair"),
        ];
        // 1 was there before the run, 4 is another row's: 6, then 9, then none.
        assert_eq!(
            claims.pick(&listing, &wanted, true),
            vec![Some(6), Some(9), None]
        );
        // Claimed now: a second look-up finds none of them again.
        assert_eq!(claims.pick(&listing, &wanted[..1], false), vec![None]);
    }

    #[test]
    fn a_look_up_without_a_snapshot_takes_any_unclaimed_record_and_kinds_stay_apart() {
        let claims = Claims::default();
        let listing = vec![
            (Kind::Source, vec![listed(3, "Web")]),
            (Kind::Stage, vec![listed(2, "Web")]),
        ];
        let wanted = [(Kind::Stage, "Web"), (Kind::Source, "Web")];
        assert_eq!(
            claims.pick(&listing, &wanted, false),
            vec![Some(2), Some(3)]
        );
    }
}
