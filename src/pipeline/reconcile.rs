//! Finding out what a create whose answer was lost did: look the name up, and take a record
//! that was not there before the run and is not another row's.
//!
//! One create at a time (`reconcile`, a filtered list), or many at once with one list pass per
//! kind (`reconcile_many`). A batch whose outcome is unknown is looked up by passes that must
//! agree (`look_up_agreed`): an asynchronous server may still be applying it, and a record
//! that appears between two passes means the answer is not settled yet.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{Submitter, lock};
use crate::api::Failure;
use crate::kind::Kind;
use crate::record::Record;
use crate::record::names::fold_name;

/// How many list passes a look-up makes at most, waiting this long between two.
const AGREE_PASSES: u32 = 4;
const AGREE_PAUSE: Duration = Duration::from_millis(700);

/// A create to look up: its kind and the name it sent.
pub(crate) type Wanted<'a> = (Kind, &'a str);

impl Submitter {
    /// Looks for a record a lost create may have made: same name, not there before the run,
    /// not given to another row. Ok(None): none, the create may be sent again.
    pub(crate) async fn reconcile(&self, record: &Record) -> Result<Option<u64>, Failure> {
        let kind = record.kind();
        let name = record.name().unwrap_or_default().trim().to_string();
        let mut filter = serde_json::Map::new();
        filter.insert("name".into(), serde_json::Value::String(name.clone()));
        let found = self.list_all(kind, Some(&filter)).await?;
        let want = fold_name(&name);
        let pre_all = lock(&self.pre);
        let pre = pre_all.get(&kind);
        let mut claimed = lock(&self.claimed);
        let candidate = found
            .iter()
            .filter(|l| fold_name(&l.name) == want)
            .map(|l| l.id)
            .filter(|id| !pre.is_some_and(|p| p.contains(id)))
            .filter(|id| !claimed.contains(&(kind, *id)))
            .min();
        if let Some(id) = candidate {
            claimed.insert((kind, id));
        }
        Ok(candidate)
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
        let found = self.match_pass(&wanted).await?;
        let found = self.claim_found(&wanted, found);
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
        let mut last = self.match_pass(wanted).await?;
        for _ in 1..AGREE_PASSES {
            tokio::time::sleep(AGREE_PAUSE).await;
            let now = self.match_pass(wanted).await?;
            if now == last {
                return Ok(self.claim_found(wanted, now));
            }
            last = now;
        }
        Err(Failure::Unknown(format!(
            "{AGREE_PASSES} list passes found different records: the account is still changing"
        )))
    }

    /// One list pass per kind: for each wanted create, a record of its name that was not
    /// there before the first run and is not another row's. Claims nothing.
    async fn match_pass(&self, wanted: &[Wanted<'_>]) -> Result<Vec<Option<u64>>, Failure> {
        let mut out = vec![None; wanted.len()];
        for kind in [Kind::Source, Kind::Stage] {
            if !wanted.iter().any(|w| w.0 == kind) {
                continue;
            }
            let listed = self.list_all(kind, None).await?;
            let pre = self.pre_ids(kind);
            let claimed = lock(&self.claimed).clone();
            let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
            for l in listed {
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
        Ok(out)
    }

    /// Claims the ids a look-up found; one another row claimed meanwhile is not found.
    fn claim_found(&self, wanted: &[Wanted<'_>], found: Vec<Option<u64>>) -> Vec<Option<u64>> {
        let mut claimed = lock(&self.claimed);
        let mut taken: HashSet<(Kind, u64)> = HashSet::new();
        found
            .into_iter()
            .zip(wanted)
            .map(|(id, (kind, _))| {
                let id = id?;
                (taken.insert((*kind, id)) && claimed.insert((*kind, id))).then_some(id)
            })
            .collect()
    }
}
