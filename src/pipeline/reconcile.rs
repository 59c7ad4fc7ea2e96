//! Finding out what a create whose answer was lost did: look the name up, and take a record
//! that was not there before the run and is not another row's.
//!
//! One create at a time (`reconcile`, a filtered list), or many at once with one list pass per
//! kind (`reconcile_many`). A batch whose outcome is unknown is looked up by passes that must
//! agree (`look_up_agreed`): an asynchronous server may still be applying it, and a record
//! that appears between two passes means the answer is not settled yet.

use std::collections::HashMap;
use std::time::Duration;

use super::{Submitter, lock};
use crate::api::Failure;
use crate::api::wire::Listed;
use crate::kind::Kind;
use crate::record::Record;
use crate::record::names::fold_name;

/// How many list passes a look-up makes at most, waiting this long between two.
const AGREE_PASSES: u32 = 4;
const AGREE_PAUSE: Duration = Duration::from_millis(700);

/// A create to look up: its kind and the name it sent.
pub(crate) type Wanted<'a> = (Kind, &'a str);

/// What a look-up listed: each kind's records.
type Listing = Vec<(Kind, Vec<Listed>)>;

impl Submitter {
    /// Looks for a record a lost create may have made: same name, not there before the run,
    /// not given to another row. Ok(None): none, the create may be sent again.
    pub(crate) async fn reconcile(&self, record: &Record) -> Result<Option<u64>, Failure> {
        let kind = record.kind();
        let name = record.name().unwrap_or_default().trim();
        let mut filter = serde_json::Map::new();
        filter.insert("name".into(), serde_json::Value::String(name.to_string()));
        let listed = vec![(kind, self.list_all(kind, Some(&filter)).await?)];
        Ok(self.pick(&listed, &[(kind, name)], true)[0])
    }

    /// Looks up, with one list pass per kind, the records creates may have made: same name,
    /// not there before the first run, not another row's. (index, id) for those found.
    pub(crate) async fn reconcile_many(
        &self,
        records: &[Record],
        creates: &[usize],
    ) -> Result<Vec<(usize, u64)>, Failure> {
        let wanted: Vec<Wanted<'_>> = creates
            .iter()
            .map(|&i| (records[i].kind(), records[i].name().unwrap_or_default()))
            .collect();
        let listed = self.list_kinds(&wanted).await?;
        let found = self.pick(&listed, &wanted, true);
        Ok(creates
            .iter()
            .zip(found)
            .filter_map(|(&i, id)| id.map(|id| (i, id)))
            .collect())
    }

    /// Looks creates up by list passes until two in a row find the same records (at most
    /// `AGREE_PASSES`), then claims what they found; one id (or None) per wanted create.
    /// Err when the passes never agree: the account is still changing.
    pub(crate) async fn look_up_agreed(
        &self,
        wanted: &[Wanted<'_>],
    ) -> Result<Vec<Option<u64>>, Failure> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut listed = self.list_kinds(wanted).await?;
        let mut last = self.pick(&listed, wanted, false);
        for _ in 1..AGREE_PASSES {
            tokio::time::sleep(AGREE_PAUSE).await;
            listed = self.list_kinds(wanted).await?;
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

    /// Every record of each kind a wanted create has (one list pass per kind).
    async fn list_kinds(&self, wanted: &[Wanted<'_>]) -> Result<Listing, Failure> {
        let mut out = Vec::new();
        for kind in [Kind::Source, Kind::Stage] {
            if wanted.iter().any(|w| w.0 == kind) {
                out.push((kind, self.list_all(kind, None).await?));
            }
        }
        Ok(out)
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
