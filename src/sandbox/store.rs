//! The emulator's store: its records (the kinds are in `records.rs`), their indexes, the counts
//! tests read back, and the table of API calls that read and change them. Saving is in
//! `save.rs` and the batch namespace in `batch.rs` (each adds its calls to [`Store`]), lists
//! in `list.rs`, the batches held in `queue.rs`, what a call answers with in `answer.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value, json};

pub(crate) use super::answer::error;
pub use super::answer::{Answer, Moment};
use super::clock::ivvy_timestamp;
use super::list::{self, Index};
use super::queue::Batches;
use super::records::{Fields, Kind};
use crate::api::wire::codes;

pub use super::list::MAX_PER_PAGE;
pub use super::records::{StoredSource, StoredStage};

/// The former name of [`MAX_PER_PAGE`].
pub const PER_PAGE_CAP: u64 = MAX_PER_PAGE;

/// Everything the emulator holds, and counts tests read back.
#[derive(Debug, Clone, Serialize)]
pub struct Store {
    pub sources: BTreeMap<u64, StoredSource>,
    pub stages: BTreeMap<u64, StoredStage>,
    next_id: u64,
    /// Records created by `addOrUpdate…` calls, single or in batches.
    pub creates: u64,
    /// Successful updates, by record id.
    pub updates: BTreeMap<u64, u64>,
    /// `addOrUpdate…` calls that reached the store, single or inside batches, whether they
    /// succeeded or were rejected (a write refused by an injected fault never gets here).
    pub writes: u64,
    /// `batch?action=run` calls accepted.
    pub batch_runs: u64,
    /// Jobs applied from accepted batches.
    pub batch_jobs: u64,
    /// `getLeadSourceList` / `getLeadStageList` calls answered, single or inside batches.
    pub list_calls: u64,
    #[serde(skip)]
    pub(crate) source_index: Index,
    #[serde(skip)]
    pub(crate) stage_index: Index,
    #[serde(skip)]
    pub(crate) batches: Batches,
    #[serde(skip)]
    pub(crate) list_faults: ListFaults,
}

/// How list calls misbehave (fault injection).
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFaults {
    /// On this list call (counting from 1), a record of the listed kind is deleted first.
    pub delete_at: Option<u64>,
    /// Every list answer claims this many results.
    pub claim_total: Option<u64>,
}

/// A kind of record the store keeps: where its records and their index are.
pub(crate) trait Kept: Kind {
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index);
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index);
}

impl Kept for StoredSource {
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index) {
        (&mut s.sources, &mut s.source_index)
    }
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index) {
        (&s.sources, &s.source_index)
    }
}

impl Kept for StoredStage {
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index) {
        (&mut s.stages, &mut s.stage_index)
    }
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index) {
        (&s.stages, &s.stage_index)
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// A store with iVvy's built-in records, which cannot be edited. New records get ids from
    /// 1000 on.
    pub fn new() -> Store {
        let mut s = Store {
            sources: BTreeMap::new(),
            stages: BTreeMap::new(),
            next_id: 1,
            creates: 0,
            updates: BTreeMap::new(),
            writes: 0,
            batch_runs: 0,
            batch_jobs: 0,
            list_calls: 0,
            source_index: Index::default(),
            stage_index: Index::default(),
            batches: Batches::default(),
            list_faults: ListFaults::default(),
        };
        for name in ["iVvy Marketplace", "Website Widget", "Google"] {
            let id = s.insert_source(name, None, None, false);
            if let Some(r) = s.sources.get_mut(&id) {
                r.built_in = true;
            }
        }
        for name in ["Quoted", "Won"] {
            let id = s.insert_stage(name, 1);
            if let Some(r) = s.stages.get_mut(&id) {
                r.built_in = true;
            }
        }
        s.next_id = 1000;
        s
    }

    /// Sets the batch namespace's limits: the most jobs one run takes, and how long after a
    /// run its jobs are applied.
    pub fn configure_batches(&mut self, max_jobs: usize, delay: std::time::Duration) {
        self.batches.max_jobs = max_jobs.max(1);
        self.batches.delay = delay;
    }

    pub(crate) fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Adds a record as if another client had made it: not counted in `creates` or `writes`.
    pub(crate) fn insert<T: Kept>(&mut self, f: Fields) -> u64 {
        let id = self.take_id();
        let rec = T::create(id, f);
        let (map, index) = T::table(self);
        index.insert(id, rec.name());
        map.insert(id, rec);
        id
    }

    /// Adds an editable lead source as another client would; answers its id. Not counted in
    /// `creates` or `writes`.
    pub fn insert_source(
        &mut self,
        name: &str,
        cost: Option<f64>,
        description: Option<&str>,
        is_referral: bool,
    ) -> u64 {
        self.insert::<StoredSource>(Fields {
            name: Some(name.to_string()),
            cost,
            description: description.map(str::to_string),
            is_referral: Some(is_referral),
            ..Fields::default()
        })
    }

    /// Adds an editable lead stage (`apply_to` 1 = opportunity, 2 = lead) as another client
    /// would; answers its id. Not counted in `creates` or `writes`.
    pub fn insert_stage(&mut self, name: &str, apply_to: u8) -> u64 {
        self.insert::<StoredStage>(Fields {
            name: Some(name.to_string()),
            apply_to: Some(apply_to),
            ..Fields::default()
        })
    }

    /// Adds `n` sources named `Preloaded source 000001`…; every third has a cost, every fourth
    /// a description, every tenth is a referral.
    pub fn preload_sources(&mut self, n: u64) {
        for i in 1..=n {
            let cost = (i % 3 == 0).then_some((i % 1000) as f64 + 0.5);
            let description = (i % 4 == 0).then(|| format!("Preloaded description {i:06}"));
            self.insert_source(
                &format!("Preloaded source {i:06}"),
                cost,
                description.as_deref(),
                i % 10 == 0,
            );
        }
    }

    /// Adds `n` stages named `Preloaded stage 000001`…, alternately for leads and opportunities.
    pub fn preload_stages(&mut self, n: u64) {
        for i in 1..=n {
            self.insert_stage(
                &format!("Preloaded stage {i:06}"),
                if i % 2 == 0 { 1 } else { 2 },
            );
        }
    }

    /// Accepted batches whose jobs are not yet applied (a test waits on this, not on time).
    pub fn batches_pending(&self) -> usize {
        self.batches.pending()
    }

    /// How many records of each kind carry each name (a count above one is a duplicate).
    pub fn name_counts(&self) -> HashMap<(char, String), usize> {
        let mut m = HashMap::new();
        for s in self.sources.values() {
            *m.entry(('s', s.name.clone())).or_default() += 1;
        }
        for s in self.stages.values() {
            *m.entry(('t', s.name.clone())).or_default() += 1;
        }
        m
    }

    /// Whether a call changes records (and so is subject to write faults): the `addOrUpdate…`
    /// calls and `batch?action=run`.
    pub fn is_write(namespace: &str, action: &str) -> bool {
        (namespace == "crm" && action.starts_with("addOrUpdate"))
            || (namespace == "batch" && action == "run")
    }

    /// Whether a call polls a batch (and so is subject to poll faults).
    pub fn is_poll(namespace: &str, action: &str) -> bool {
        namespace == "batch" && matches!(action, "progress" | "results")
    }

    /// Answers one authenticated call now, by the machine's clock.
    pub fn handle(&mut self, namespace: &str, action: &str, params: &Value) -> Answer {
        self.handle_at(namespace, action, params, Moment::now())
    }

    /// Answers one authenticated call at `at`, first applying the batches due by then.
    pub fn handle_at(
        &mut self,
        namespace: &str,
        action: &str,
        params: &Value,
        at: Moment,
    ) -> Answer {
        self.settle(at);
        self.call(namespace, action, params, at)
    }

    /// One call, batches already settled (also how a batch's jobs are run).
    pub(crate) fn call(
        &mut self,
        namespace: &str,
        action: &str,
        params: &Value,
        at: Moment,
    ) -> Answer {
        let Some(p) = params.as_object() else {
            return error(
                400,
                Some(codes::PARAM_INVALID),
                "The request body is not a JSON object",
                None,
            );
        };
        match (namespace, action) {
            ("test", "ping") => (
                200,
                json!({"success": true, "serverTime": ivvy_timestamp(at.wall)}),
            ),
            ("crm", "addOrUpdateLeadSource") => self.write::<StoredSource>(p),
            ("crm", "addOrUpdateLeadStage") => self.write::<StoredStage>(p),
            ("crm", "getLeadSourceList") => self.list::<StoredSource>(p),
            ("crm", "getLeadStageList") => self.list::<StoredStage>(p),
            ("batch", "run") => self.batch_run(p, at),
            ("batch", "progress") => self.batch_progress(p, at),
            ("batch", "results") => self.batch_results(p, at),
            _ => error(
                404,
                None,
                &format!("Unknown call {namespace}?action={action}"),
                None,
            ),
        }
    }

    fn list<T: Kept>(&mut self, p: &Map<String, Value>) -> Answer {
        self.list_calls += 1;
        if self.list_faults.delete_at == Some(self.list_calls) {
            let (map, index) = T::table(self);
            let victim = map
                .iter()
                .find(|(_, r)| !r.built_in())
                .map(|(id, r)| (*id, r.name().to_string()));
            if let Some((id, name)) = victim {
                map.remove(&id);
                index.remove(id, &name);
            }
        }
        let (map, index) = T::table_ref(self);
        let mut answer = list::list(map, index, p);
        if let Some(total) = self.list_faults.claim_total
            && let Some(meta) = answer.1.get_mut("meta")
        {
            meta["totalResults"] = Value::from(total);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn built_in_records_are_not_editable() {
        let mut s = Store::new();
        let (st, body) = s.handle(
            "crm",
            "addOrUpdateLeadSource",
            &json!({"id": 1, "name": "x"}),
        );
        assert_eq!(st, 400);
        assert_eq!(body["specificCode"], 24326);
        let (_, body) = s.handle(
            "crm",
            "addOrUpdateLeadStage",
            &json!({"id": 4, "colour": "#000000"}),
        );
        assert_eq!(body["specificCode"], 24321);
    }

    #[test]
    fn counters_count_writes_lists_and_creates_but_not_inserted_records() {
        let mut s = Store::new();
        s.insert_source("Elsewhere", Some(3.0), Some("made by another client"), true);
        s.handle("crm", "addOrUpdateLeadSource", &json!({"name": "Expo"}));
        s.handle(
            "crm",
            "addOrUpdateLeadSource",
            &json!({"id": 999_999, "name": "Ghost"}),
        );
        s.handle("crm", "getLeadStageList", &json!({}));
        assert_eq!((s.writes, s.creates, s.list_calls), (2, 1, 1));
        assert_eq!(s.sources.values().filter(|r| !r.built_in).count(), 2);
    }

    #[test]
    fn ping_answers_the_given_server_time() {
        let mut s = Store::new();
        let at = Moment {
            instant: Instant::now(),
            wall: time::macros::datetime!(2030-01-02 03:04:05 UTC),
        };
        let (st, b) = s.handle_at("test", "ping", &json!({}), at);
        assert_eq!(st, 200);
        assert_eq!(b["serverTime"], "2030-01-02 03:04:05");
    }

    #[test]
    fn preloaded_records_are_numbered_and_some_carry_cost_and_description() {
        let mut s = Store::new();
        s.preload_sources(12);
        s.preload_stages(2);
        let names: Vec<&str> = s.sources.values().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"Preloaded source 000001"));
        assert!(names.contains(&"Preloaded source 000012"));
        assert!(s.sources.values().any(|r| r.cost.is_some()));
        assert!(s.sources.values().any(|r| r.description.is_some()));
        assert_eq!(s.stages.len(), 4);
        assert_eq!(s.creates, 0);
    }
}
