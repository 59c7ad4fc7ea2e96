//! Typed lead source / lead stage records, and the checks that turn a row's cells into one.
//!
//! A record's serde serialisation is exactly the request body of `addOrUpdateLeadSource` /
//! `addOrUpdateLeadStage`: only the fields present, camelCase names, cost a JSON number,
//! isReferral a boolean, applyTo 1 or 2.

mod check;
pub(crate) mod names;
pub(crate) mod parse;
mod problem;
pub(crate) mod show;

use compact_str::CompactString;
use serde::{Serialize, Serializer};

pub(crate) use crate::kind::Kind;
pub(crate) use check::check;
pub(crate) use problem::{Problem, ProblemKind};

/// A record's text: names, descriptions and colours are short, and most are kept inline
/// (up to 24 bytes) rather than in an allocation of their own.
pub(crate) type Text = CompactString;

/// A cost: a validated non-negative decimal kept as its canonical text, sent as a JSON number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Money(CompactString);

impl Money {
    /// A cost already in canonical form (tests).
    #[cfg(test)]
    pub(crate) fn parse_canonical(s: &str) -> Money {
        Money(s.into())
    }

    /// The cost a cleared cell sends: 0 (the list call shows a cost as a number, never none).
    pub(crate) fn zero() -> Money {
        Money("0".into())
    }

    /// The amount as read: a plain decimal (`2500.00`).
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

/// Whether a lead stage applies to opportunities (1) or leads (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplyTo {
    Opportunity,
    Lead,
}

impl ApplyTo {
    pub(crate) fn code(self) -> u8 {
        match self {
            ApplyTo::Opportunity => 1,
            ApplyTo::Lead => 2,
        }
    }
}

impl Serialize for ApplyTo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_referral: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadStage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_to: Option<ApplyTo>,
}

/// A validated row, ready to be sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Record {
    Source(LeadSource),
    Stage(LeadStage),
}

impl Record {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Record::Source(_) => Kind::Source,
            Record::Stage(_) => Kind::Stage,
        }
    }
    pub(crate) fn id(&self) -> Option<u64> {
        match self {
            Record::Source(r) => r.id,
            Record::Stage(r) => r.id,
        }
    }
    pub(crate) fn set_id(&mut self, id: u64) {
        match self {
            Record::Source(r) => r.id = Some(id),
            Record::Stage(r) => r.id = Some(id),
        }
    }
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Record::Source(r) => r.name.as_deref(),
            Record::Stage(r) => r.name.as_deref(),
        }
    }
}
