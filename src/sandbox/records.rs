//! The two kinds of record the emulator keeps, and what the generic save and list need to
//! know of each.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::list::Index;
use super::save::{self, Fields, KindRules};
use super::store::Store;

/// A lead source as the emulator keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSource {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub cost: Option<f64>,
    pub colour: Option<String>,
    pub is_referral: bool,
    pub built_in: bool,
}

/// A lead stage as the emulator keeps it (`apply_to` 1 = opportunity, 2 = lead).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredStage {
    pub id: u64,
    pub name: String,
    pub colour: Option<String>,
    pub apply_to: u8,
    pub built_in: bool,
}

/// A kind of record the store keeps: how it is described to `save`, listed, and indexed.
pub(crate) trait Kept: Sized {
    const RULES: &'static KindRules;
    fn name(&self) -> &str;
    fn built_in(&self) -> bool;
    /// A new record from checked fields (the required ones are present).
    fn create(id: u64, f: Fields) -> Self;
    fn update(&mut self, f: Fields);
    /// The record as a list call shows it.
    fn entry(&self) -> Value;
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index);
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index);
}

impl Kept for StoredSource {
    const RULES: &'static KindRules = &save::SOURCE;
    fn name(&self) -> &str {
        &self.name
    }
    fn built_in(&self) -> bool {
        self.built_in
    }
    fn create(id: u64, f: Fields) -> Self {
        StoredSource {
            id,
            name: f.name.unwrap_or_default(),
            description: f.description,
            cost: f.cost,
            colour: f.colour,
            is_referral: f.is_referral.unwrap_or(false),
            built_in: false,
        }
    }
    fn update(&mut self, f: Fields) {
        self.name = f.name.unwrap_or(std::mem::take(&mut self.name));
        self.description = f.description.or(self.description.take());
        self.cost = f.cost.or(self.cost);
        self.colour = f.colour.or(self.colour.take());
        self.is_referral = f.is_referral.unwrap_or(self.is_referral);
    }
    fn entry(&self) -> Value {
        json!({"id": self.id, "name": self.name, "description": self.description, "cost": self.cost,
               "isReferral": self.is_referral, "defaultType": u8::from(self.built_in)})
    }
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index) {
        (&mut s.sources, &mut s.source_index)
    }
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index) {
        (&s.sources, &s.source_index)
    }
}

impl Kept for StoredStage {
    const RULES: &'static KindRules = &save::STAGE;
    fn name(&self) -> &str {
        &self.name
    }
    fn built_in(&self) -> bool {
        self.built_in
    }
    fn create(id: u64, f: Fields) -> Self {
        StoredStage {
            id,
            name: f.name.unwrap_or_default(),
            colour: f.colour,
            apply_to: f.apply_to.unwrap_or(1),
            built_in: false,
        }
    }
    fn update(&mut self, f: Fields) {
        self.name = f.name.unwrap_or(std::mem::take(&mut self.name));
        self.colour = f.colour.or(self.colour.take());
        self.apply_to = f.apply_to.unwrap_or(self.apply_to);
    }
    fn entry(&self) -> Value {
        json!({"id": self.id, "name": self.name, "reasons": []})
    }
    fn table(s: &mut Store) -> (&mut BTreeMap<u64, Self>, &mut Index) {
        (&mut s.stages, &mut s.stage_index)
    }
    fn table_ref(s: &Store) -> (&BTreeMap<u64, Self>, &Index) {
        (&s.stages, &s.stage_index)
    }
}
