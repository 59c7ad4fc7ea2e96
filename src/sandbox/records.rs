//! The two kinds of record the emulator keeps, and what the generic save and list need to
//! know of each: the save's description tables ([`SOURCE`], [`STAGE`]), the fields a save
//! has checked, and how a list shows a record.

use serde::Serialize;
use serde_json::{Value, json};

use crate::api::wire::codes;

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

/// What differs between the save calls of two kinds of record.
#[derive(Debug)]
pub(crate) struct KindRules {
    /// How the messages name a record: "crm lead source".
    pub what: &'static str,
    /// The record of an update's id does not exist (24325 / 24320).
    pub not_found: u32,
    /// The record of an update's id is built in (24326 / 24321).
    pub not_editable: u32,
    /// A field is present with a value the kind does not take (24328 / 24323).
    pub invalid: u32,
    /// The parameters a create must carry.
    pub required: &'static [&'static str],
    /// The parameters the call reads, each with its check; any other is ignored.
    pub fields: &'static [(&'static str, Check)],
}

/// `addOrUpdateLeadSource`. (iVvy also documents 24327 "an error occurred" and 24329 "invalid
/// data"; nothing the emulator checks maps to them.)
pub(crate) const SOURCE: KindRules = KindRules {
    what: "crm lead source",
    not_found: codes::SOURCE_NOT_FOUND,
    not_editable: codes::SOURCE_NOT_EDITABLE,
    invalid: codes::SOURCE_INVALID,
    required: &["name"],
    fields: &[
        ("name", Check::Name),
        ("description", Check::Description),
        ("cost", Check::Cost),
        ("colour", Check::Colour),
        ("isReferral", Check::IsReferral),
    ],
};

/// `addOrUpdateLeadStage`. (iVvy also documents 24322 and 24324.)
pub(crate) const STAGE: KindRules = KindRules {
    what: "crm lead stage",
    not_found: codes::STAGE_NOT_FOUND,
    not_editable: codes::STAGE_NOT_EDITABLE,
    invalid: codes::STAGE_INVALID,
    required: &["name", "applyTo"],
    fields: &[
        ("name", Check::Name),
        ("colour", Check::Colour),
        ("applyTo", Check::ApplyTo),
    ],
};

/// How one parameter is checked, and which of [`Fields`] it fills.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// A string of 1 to 255 characters, not only blanks.
    Name,
    /// A string.
    Description,
    /// A non-negative number, or a string holding one.
    Cost,
    /// `#rrggbb`, stored lowercase.
    Colour,
    /// A boolean.
    IsReferral,
    /// 1 (opportunity) or 2 (lead), as a number or a string.
    ApplyTo,
}

/// The checked parameters of a save; `None` where absent or null.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cost: Option<f64>,
    pub colour: Option<String>,
    pub is_referral: Option<bool>,
    pub apply_to: Option<u8>,
}

/// A kind of record: how it is described to `save`, made and changed, and listed. (Where the
/// store keeps it is the store's `Kept`.)
pub(crate) trait Kind: Sized {
    const RULES: &'static KindRules;
    fn name(&self) -> &str;
    fn built_in(&self) -> bool;
    /// A new record from checked fields (the required ones are present).
    fn create(id: u64, f: Fields) -> Self;
    fn update(&mut self, f: Fields);
    /// The record as a list call shows it.
    fn entry(&self) -> Value;
}

impl Kind for StoredSource {
    const RULES: &'static KindRules = &SOURCE;
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
}

impl Kind for StoredStage {
    const RULES: &'static KindRules = &STAGE;
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
}
