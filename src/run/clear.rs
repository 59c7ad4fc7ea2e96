//! Empty cells of mapped columns: with `--clear-empty` they clear their field (a text sends
//! `""`, a cost 0, isReferral false); without it they leave the field as it is, and a plan
//! says so where the record holds a value.

use crate::input::headers::Field;
use crate::input::plan::TablePlan;
use crate::input::trim;
use crate::kind::Kind;
use crate::record::{LeadSource, LeadStage, Money, Record};
use crate::source::Kept;

/// The fields of a kind an empty cell may clear, with their API names. (A name is never
/// cleared; a stage's applyTo is required on create and has no empty value.)
fn clearable(kind: Kind) -> &'static [(Field, &'static str)] {
    match kind {
        Kind::Source => &[
            (Field::Description, "description"),
            (Field::Cost, "cost"),
            (Field::Colour, "colour"),
            (Field::IsReferral, "isReferral"),
        ],
        Kind::Stage => &[(Field::Colour, "colour")],
    }
}

/// The API names of the row's mapped fields whose cell is empty.
pub(super) fn empty_fields(plan: &TablePlan, cells: &Kept, kind: Kind) -> Vec<&'static str> {
    clearable(kind)
        .iter()
        .filter(|(field, _)| {
            plan.columns.fields.get(*field).is_some_and(|(col, _)| {
                plan.slots
                    .iter()
                    .position(|s| *s == Some(col))
                    .is_some_and(|slot| trim(cells.get(slot)).is_empty())
            })
        })
        .map(|(_, name)| *name)
        .collect()
}

/// Sets each of `empty` to its cleared value.
pub(super) fn clear(record: &mut Record, empty: &[&'static str]) {
    for field in empty {
        match (&mut *record, *field) {
            (Record::Source(LeadSource { description, .. }), "description") => {
                *description = Some(String::new().into());
            }
            (Record::Source(LeadSource { cost, .. }), "cost") => *cost = Some(Money::zero()),
            (Record::Source(LeadSource { is_referral, .. }), "isReferral") => {
                *is_referral = Some(false);
            }
            (
                Record::Source(LeadSource { colour, .. }) | Record::Stage(LeadStage { colour, .. }),
                "colour",
            ) => *colour = Some(String::new().into()),
            _ => {}
        }
    }
}
