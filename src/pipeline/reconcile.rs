//! Finding out what a create whose answer was lost did: look the name up, and take a record
//! that was not there before the run and is not another row's.

use super::{Submitter, lock};
use crate::api::Failure;
use crate::record::Record;
use crate::record::names::fold_name;

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
}
