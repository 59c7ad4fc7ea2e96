//! What a row changes on a record it updates, field by field: each field the listing shows
//! compared with what would be sent (`cost: 150 → 999`), each field it cannot show compared
//! with what this tool last wrote there (the ledger), and empty cells that leave a value as it
//! is (`description: kept (empty cell)`).

use crate::ledger::Written;
use crate::record::show::{Value, fields, quote};
use crate::record::{LeadSource, Record, Text};

/// What the listing says of one record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Known {
    pub name: Text,
    pub description: Option<Text>,
    pub cost: Option<f64>,
    pub is_referral: Option<bool>,
}

/// One field's entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// A field the listing shows, set to another value: (old, new), as the results show them.
    Set {
        field: &'static str,
        old: String,
        new: String,
    },
    /// A field the API cannot read back, sent.
    Unreadable { field: &'static str },
    /// A field the API cannot read back, holding what this tool wrote there on that day.
    AsWritten { field: &'static str, on: String },
    /// An empty cell, where the record holds a value: left as it is.
    Kept { field: &'static str },
}

/// A row's entries; it sends something when any is a `Set` or `Unreadable`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Changes(pub Vec<Change>);

impl Changes {
    /// The row would change the record (or cannot tell that it would not).
    pub(crate) fn sends(&self) -> bool {
        self.0
            .iter()
            .any(|c| matches!(c, Change::Set { .. } | Change::Unreadable { .. }))
    }

    /// The `changes` column: `cost: 150 → 999; colour: sent (cannot be read back)`.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                s.push_str("; ");
            }
            match c {
                Change::Set { field, old, new } => {
                    s.push_str(&format!("{field}: {old} → {new}"));
                }
                Change::Unreadable { field } => {
                    s.push_str(&format!("{field}: sent (cannot be read back)"));
                }
                Change::AsWritten { field, on } => {
                    s.push_str(&format!("{field}: as written on {on}"));
                }
                Change::Kept { field } => s.push_str(&format!("{field}: kept (empty cell)")),
            }
        }
        s
    }

    /// The readable fields' old values, by field (for `apply`'s check of a record that
    /// changed since the plan).
    pub(crate) fn old_values(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().filter_map(|c| match c {
            Change::Set { field, old, .. } => Some((*field, old.as_str())),
            _ => None,
        })
    }
}

/// How a text the listing shows is written: quoted, or `(none)`.
fn shown_text(t: Option<&str>) -> String {
    match t {
        None => "(none)".into(),
        Some(t) => {
            let mut s = String::new();
            quote(t.trim(), &mut s);
            s
        }
    }
}

/// A readable field's value on the record, as the results show it; None when the listing does
/// not show the field.
pub(crate) fn held(known: &Known, field: &str) -> Option<String> {
    match field {
        "name" => Some(shown_text(Some(&known.name))),
        "description" => Some(shown_text(known.description.as_deref())),
        "cost" => Some(
            known
                .cost
                .map_or("(none)".into(), |c| Value::Number(c).shown()),
        ),
        "isReferral" => Some(
            known
                .is_referral
                .map_or("(none)".into(), |b| Value::Bool(b).shown()),
        ),
        _ => None,
    }
}

fn same(known: &Known, field: &str, value: &Value<'_>) -> bool {
    match (field, value) {
        ("name", Value::Text(t)) => known.name.trim() == t.trim(),
        ("description", Value::Text(t)) => known
            .description
            .as_deref()
            .map_or(t.trim().is_empty(), |d| d.trim() == t.trim()),
        ("cost", Value::Number(n)) => known.cost.is_some_and(|c| (c - n).abs() < 1e-9),
        ("isReferral", Value::Bool(b)) => known.is_referral == Some(*b),
        _ => false,
    }
}

fn written<'a>(w: Option<&'a Written>, field: &str) -> Option<(Value<'a>, &'a str)> {
    let w = w?;
    match field {
        "colour" => w.colour.as_deref().map(|c| (Value::Text(c), w.on.as_str())),
        "applyTo" => w.apply_to.map(|a| (Value::Code(a), w.on.as_str())),
        _ => None,
    }
}

/// Whether the record holds a value in a field the row leaves empty (so saying "kept"
/// tells the user something).
fn holds_value(known: &Known, field: &str) -> bool {
    match field {
        "description" => known
            .description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty()),
        "cost" => known.cost.is_some_and(|c| c != 0.0),
        "isReferral" => known.is_referral == Some(true),
        _ => false,
    }
}

/// What `record` changes on a record the listing shows as `known`. `ledger`: what this tool
/// last wrote to its unreadable fields (None: unknown, or `--no-ledger`). `empty`: the API
/// names of mapped fields whose cell was empty in the row.
pub(crate) fn compare(
    known: &Known,
    record: &Record,
    ledger: Option<&Written>,
    empty: &[&'static str],
) -> Changes {
    let mut out = Vec::new();
    for (field, value) in fields(record) {
        if held(known, field).is_some() {
            if !same(known, field, &value) {
                out.push(Change::Set {
                    field,
                    old: held(known, field).unwrap_or_default(),
                    new: value.shown(),
                });
            }
        } else {
            match written(ledger, field) {
                Some((w, on)) if w == value => out.push(Change::AsWritten {
                    field,
                    on: on.to_string(),
                }),
                _ => out.push(Change::Unreadable { field }),
            }
        }
    }
    for field in empty {
        if holds_value(known, field) && !sends(record, field) {
            out.push(Change::Kept { field });
        }
    }
    Changes(out)
}

fn sends(record: &Record, field: &str) -> bool {
    match (record, field) {
        (Record::Source(LeadSource { description, .. }), "description") => description.is_some(),
        (Record::Source(LeadSource { cost, .. }), "cost") => cost.is_some(),
        (Record::Source(LeadSource { is_referral, .. }), "isReferral") => is_referral.is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Money;

    fn known() -> Known {
        Known {
            name: "Expo".into(),
            description: Some("Old".into()),
            cost: Some(150.0),
            is_referral: Some(false),
        }
    }

    fn source(desc: Option<&str>, cost: &str, colour: Option<&str>) -> Record {
        Record::Source(LeadSource {
            id: None,
            name: Some("Expo".into()),
            description: desc.map(Into::into),
            cost: Some(Money::parse_canonical(cost)),
            colour: colour.map(Into::into),
            is_referral: Some(false),
        })
    }

    #[test]
    fn changed_fields_are_named_with_old_and_new_values() {
        let c = compare(&known(), &source(Some("New"), "999", None), None, &[]);
        assert_eq!(c.text(), r#"description: "Old" → "New"; cost: 150 → 999"#);
        assert!(c.sends());
        let same = compare(&known(), &source(Some("Old"), "150.00", None), None, &[]);
        assert_eq!(same, Changes::default());
    }

    #[test]
    fn a_colour_is_compared_with_the_ledger_or_said_to_be_sent() {
        let r = source(Some("Old"), "150", Some("#aabbcc"));
        let c = compare(&known(), &r, None, &[]);
        assert_eq!(c.text(), "colour: sent (cannot be read back)");
        assert!(c.sends());
        let w = Written {
            colour: Some("#aabbcc".into()),
            apply_to: None,
            on: "2026-12-01".into(),
        };
        let c = compare(&known(), &r, Some(&w), &[]);
        assert_eq!(c.text(), "colour: as written on 2026-12-01");
        assert!(!c.sends());
        let other = Written {
            colour: Some("#000000".into()),
            ..w
        };
        assert!(compare(&known(), &r, Some(&other), &[]).sends());
    }

    #[test]
    fn an_empty_cell_keeps_a_value_and_says_so() {
        let c = compare(&known(), &source(None, "150", None), None, &["description"]);
        assert_eq!(c.text(), "description: kept (empty cell)");
        assert!(!c.sends());
        let cleared = compare(&known(), &source(Some(""), "150", None), None, &[]);
        assert_eq!(cleared.text(), r#"description: "Old" → """#);
    }
}
