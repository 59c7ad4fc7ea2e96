//! One save for both kinds: `addOrUpdateLeadSource` and `addOrUpdateLeadStage` differ only in
//! their description tables, [`SOURCE`] and [`STAGE`] (with the kinds, in `records.rs`).
//!
//! [`SOURCE`]: super::records::SOURCE
//! [`STAGE`]: super::records::STAGE

use serde_json::{Map, Value, json};

use super::answer::{Answer, error};
use super::records::{Check, Fields, KindRules};
use super::store::{Kept, Store};
use crate::api::wire::codes;

impl Store {
    /// `addOrUpdate…` for the kind `T`, counted in `writes` whether it succeeds or not.
    pub(crate) fn write<T: Kept>(&mut self, p: &Map<String, Value>) -> Answer {
        self.writes += 1;
        save::<T>(self, p)
    }
}

/// `addOrUpdate…` for the kind `T`: checks every field, then updates the record of `id` or,
/// without an id, creates one.
fn save<T: Kept>(store: &mut Store, p: &Map<String, Value>) -> Answer {
    let rules = T::RULES;
    let checked = read_id(p).and_then(|id| Ok((id, read_fields(rules, p)?)));
    let (id, fields) = match checked {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    match id {
        Some(id) => update::<T>(store, id, fields),
        None => create::<T>(store, p, fields),
    }
}

fn update<T: Kept>(store: &mut Store, id: u64, fields: Fields) -> Answer {
    let rules = T::RULES;
    let (map, index) = T::table(store);
    let Some(rec) = map.get_mut(&id) else {
        let message = format!("The {} does not exist", rules.what);
        return error(400, Some(rules.not_found), &message, None);
    };
    if rec.built_in() {
        let message = format!("The {} is not editable", rules.what);
        return error(400, Some(rules.not_editable), &message, None);
    }
    let old = fields.name.is_some().then(|| rec.name().to_string());
    rec.update(fields);
    if let Some(old) = old {
        index.rename(id, &old, rec.name());
    }
    *store.updates.entry(id).or_default() += 1;
    ok_id(id)
}

fn create<T: Kept>(store: &mut Store, p: &Map<String, Value>, fields: Fields) -> Answer {
    let missing: Vec<&str> = T::RULES
        .required
        .iter()
        .copied()
        .filter(|k| p.get(*k).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "is" } else { "are" };
        return error(
            400,
            Some(codes::PARAM_MISSING),
            "A required parameter is missing",
            Some(format!("{} {verb} required", missing.join(" and "))),
        );
    }
    let id = store.insert::<T>(fields);
    store.creates += 1;
    ok_id(id)
}

fn ok_id(id: u64) -> Answer {
    (200, json!({"success": true, "id": id}))
}

fn read_fields(rules: &KindRules, p: &Map<String, Value>) -> Result<Fields, Answer> {
    let mut f = Fields::default();
    for (key, check) in rules.fields {
        match p.get(*key) {
            None | Some(Value::Null) => {}
            Some(v) => read_field(&mut f, *check, key, v, rules.invalid)?,
        }
    }
    Ok(f)
}

/// Checks one present parameter into its slot of `f`.
fn read_field(
    f: &mut Fields,
    check: Check,
    key: &str,
    v: &Value,
    invalid: u32,
) -> Result<(), Answer> {
    let bad = |why: &str| invalid_data(invalid, key, why);
    match check {
        Check::Name => {
            let n = v.as_str().ok_or_else(|| param_invalid(key))?;
            if n.trim().is_empty() || n.chars().count() > 255 {
                return Err(bad("must be 1 to 255 characters"));
            }
            f.name = Some(n.to_string());
        }
        Check::Description => {
            f.description = Some(v.as_str().ok_or_else(|| param_invalid(key))?.to_string());
        }
        Check::Cost => {
            let c = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or_else(|| bad("is not a number"))?;
            if c < 0.0 || !c.is_finite() {
                return Err(bad("must not be negative"));
            }
            f.cost = Some(c);
        }
        Check::Colour => {
            // An empty string clears the colour, as an empty description clears that.
            let s = v
                .as_str()
                .filter(|s| s.is_empty() || is_colour(s))
                .ok_or_else(|| bad("must be #rrggbb"))?;
            f.colour = Some(s.to_ascii_lowercase());
        }
        Check::IsReferral => f.is_referral = Some(v.as_bool().ok_or_else(|| param_invalid(key))?),
        Check::ApplyTo => {
            let a = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            match a {
                Some(a @ (1 | 2)) => f.apply_to = u8::try_from(a).ok(),
                _ => return Err(bad("must be 1 (opportunity) or 2 (lead)")),
            }
        }
    }
    Ok(())
}

fn is_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn read_id(p: &Map<String, Value>) -> Result<Option<u64>, Answer> {
    match p.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| param_invalid("id")),
    }
}

fn invalid_data(code: u32, field: &str, why: &str) -> Answer {
    error(
        400,
        Some(code),
        "The request contains invalid data",
        Some(format!("{field}: {why}")),
    )
}

fn param_invalid(field: &str) -> Answer {
    error(
        400,
        Some(codes::PARAM_INVALID),
        "A parameter does not validate",
        Some(format!("{field} has the wrong type")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save_source(s: &mut Store, p: &Value) -> Answer {
        s.handle("crm", "addOrUpdateLeadSource", p)
    }

    fn save_stage(s: &mut Store, p: &Value) -> Answer {
        s.handle("crm", "addOrUpdateLeadStage", p)
    }

    #[test]
    fn each_kind_answers_its_own_specific_codes() {
        let mut s = Store::new();
        let cases = [
            (
                save_source(&mut s, &json!({"id": 999_999, "name": "x"})),
                24325,
            ),
            (save_source(&mut s, &json!({"id": 1, "name": "x"})), 24326),
            (
                save_source(&mut s, &json!({"name": "x", "colour": "red"})),
                24328,
            ),
            (
                save_stage(&mut s, &json!({"id": 999_999, "name": "x"})),
                24320,
            ),
            (save_stage(&mut s, &json!({"id": 4, "name": "x"})), 24321),
            (
                save_stage(&mut s, &json!({"name": "x", "applyTo": 3})),
                24323,
            ),
        ];
        for (i, ((status, body), code)) in cases.into_iter().enumerate() {
            assert_eq!(
                (status, body["specificCode"].as_u64()),
                (400, Some(code)),
                "case {i}: {body}"
            );
            assert_eq!(body["errorCode"], 400);
        }
    }

    #[test]
    fn every_field_is_checked() {
        let mut s = Store::new();
        let long = "n".repeat(256);
        let bad_sources = [
            (json!({"name": long}), 24328),
            (json!({"name": "  "}), 24328),
            (json!({"name": 5}), 23016),
            (json!({"name": "x", "description": 1}), 23016),
            (json!({"name": "x", "cost": "abc"}), 24328),
            (json!({"name": "x", "cost": -1}), 24328),
            (json!({"name": "x", "colour": "#12345g"}), 24328),
            (json!({"name": "x", "isReferral": "yes"}), 23016),
            (json!({"id": "seven", "name": "x"}), 23016),
            (json!({"cost": 1}), 23017),
        ];
        for (p, code) in bad_sources {
            let (_, b) = save_source(&mut s, &p);
            assert_eq!(b["specificCode"], code, "{p}: {b}");
        }
        let (_, b) = save_stage(&mut s, &json!({"name": "x"}));
        assert_eq!(b["specificCode"], 23017);
        assert_eq!(b["additionalMessages"][0], "applyTo is required");
        let (_, b) = save_stage(&mut s, &json!({"colour": "#abcdef"}));
        assert_eq!(b["additionalMessages"][0], "name and applyTo are required");
        assert_eq!(s.creates, 0, "nothing invalid was saved");
    }

    #[test]
    fn create_then_update_changes_only_the_given_fields() {
        let mut s = Store::new();
        let (st, b) = save_source(
            &mut s,
            &json!({"name": "Expo", "cost": "12.5", "colour": "#7EE546", "description": "d"}),
        );
        assert_eq!(st, 200);
        let id = b["id"].as_u64().unwrap();
        let (_, b) = save_source(&mut s, &json!({"id": id.to_string(), "isReferral": true}));
        assert_eq!(b, json!({"success": true, "id": id}));
        let r = &s.sources[&id];
        assert_eq!(
            (
                r.name.as_str(),
                r.cost,
                r.colour.as_deref(),
                r.description.as_deref(),
                r.is_referral
            ),
            ("Expo", Some(12.5), Some("#7ee546"), Some("d"), true)
        );
        assert_eq!(s.updates[&id], 1);
        let (_, b) = save_stage(&mut s, &json!({"name": "Lead in", "applyTo": "2"}));
        let stage = b["id"].as_u64().unwrap();
        save_stage(&mut s, &json!({"id": stage, "name": "Lead out"}));
        assert_eq!(
            (s.stages[&stage].name.as_str(), s.stages[&stage].apply_to),
            ("Lead out", 2)
        );
    }

    #[test]
    fn a_rename_moves_the_record_in_the_name_filter() {
        let mut s = Store::new();
        let (_, b) = save_source(&mut s, &json!({"name": "Before"}));
        let id = b["id"].as_u64().unwrap();
        save_source(&mut s, &json!({"id": id, "name": "After"}));
        let count = |s: &mut Store, name: &str| {
            let (_, b) = s.handle(
                "crm",
                "getLeadSourceList",
                &json!({"filter": {"name": name}}),
            );
            b["meta"]["totalResults"].as_u64().unwrap()
        };
        assert_eq!(count(&mut s, "Before"), 0);
        assert_eq!(count(&mut s, "after"), 1);
    }
}
