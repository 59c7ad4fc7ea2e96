//! `getLeadSourceList` / `getLeadStageList`: paging by record offset and iVvy's filters, over
//! indexes so a page costs O(perPage) however many records there are.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::answer::{Answer, error};
use super::records::Kind;
use crate::api::wire::codes;

/// The most records one list page holds; a larger `perPage` is cut to it (and so is an absent
/// one).
pub const MAX_PER_PAGE: u64 = 100;

/// The ids of one kind of record, in id order (for offsets) and by lowercased name (for the
/// equality filter). Records are deleted only by the `list-delete-at` fault.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    order: Vec<u64>,
    by_name: HashMap<String, Vec<u64>>,
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Inserts `id` into ascending `ids` (at the end, as new ids are the largest).
fn insert_sorted(ids: &mut Vec<u64>, id: u64) {
    match ids.last() {
        Some(last) if *last >= id => {
            if let Err(at) = ids.binary_search(&id) {
                ids.insert(at, id);
            }
        }
        _ => ids.push(id),
    }
}

impl Index {
    pub(crate) fn insert(&mut self, id: u64, name: &str) {
        insert_sorted(&mut self.order, id);
        insert_sorted(self.by_name.entry(name_key(name)).or_default(), id);
    }

    pub(crate) fn remove(&mut self, id: u64, name: &str) {
        self.order.retain(|i| *i != id);
        let key = name_key(name);
        if let Some(ids) = self.by_name.get_mut(&key) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.by_name.remove(&key);
            }
        }
    }

    pub(crate) fn rename(&mut self, id: u64, old: &str, new: &str) {
        let (old, new) = (name_key(old), name_key(new));
        if old == new {
            return;
        }
        if let Some(ids) = self.by_name.get_mut(&old) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.by_name.remove(&old);
            }
        }
        insert_sorted(self.by_name.entry(new).or_default(), id);
    }
}

/// One filter: `field`, an operator (the key's `__SUFFIX`, empty for equality), and the wanted
/// value as lowercase text.
struct Filter<'a> {
    field: &'a str,
    op: Op,
    want: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Equals,
    Not,
    Contains,
    NotContains,
    Begins,
    Ends,
    LessThan,
    GreaterThan,
    Empty,
}

impl Op {
    fn parse(suffix: &str) -> Option<Op> {
        Some(match suffix {
            "" => Op::Equals,
            "NOT" => Op::Not,
            "CONTAINS" => Op::Contains,
            "NOTCONTAINS" => Op::NotContains,
            "BEGINS" => Op::Begins,
            "ENDS" => Op::Ends,
            "LESSTHAN" => Op::LessThan,
            "GREATERTHAN" => Op::GreaterThan,
            "EMPTY" => Op::Empty,
            _ => return None,
        })
    }
}

/// A value as the filters compare it: text, lowercased; null is empty.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    }
}

/// Numbers by value (so a cost of `50.0` equals `50`), anything else as text.
fn compare(have: &str, want: &str) -> std::cmp::Ordering {
    let number = |s: &str| s.parse::<f64>().ok().filter(|n| n.is_finite());
    match (number(have), number(want)) {
        (Some(h), Some(w)) => h.total_cmp(&w),
        _ => have.cmp(want),
    }
}

impl Filter<'_> {
    fn matches(&self, row: &Value) -> bool {
        let have = row.get(self.field).map(text).unwrap_or_default();
        let want = self.want.as_str();
        match self.op {
            Op::Equals => compare(&have, want).is_eq(),
            Op::Not => compare(&have, want).is_ne(),
            Op::Contains => have.contains(want),
            Op::NotContains => !have.contains(want),
            Op::Begins => have.starts_with(want),
            Op::Ends => have.ends_with(want),
            // An empty field is neither less nor greater than anything.
            Op::LessThan => !have.is_empty() && compare(&have, want).is_lt(),
            Op::GreaterThan => !have.is_empty() && compare(&have, want).is_gt(),
            Op::Empty => have.is_empty() == matches!(want, "true" | "1"),
        }
    }
}

fn read_filters(p: &Map<String, Value>) -> Result<Vec<Filter<'_>>, Answer> {
    let Some(f) = p.get("filter").filter(|f| !f.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(f) = f.as_object() else {
        return Err(error(
            400,
            Some(codes::PARAM_INVALID),
            "A parameter does not validate",
            Some("filter is not an object".into()),
        ));
    };
    f.iter()
        .map(|(k, want)| {
            let (field, suffix) = k.split_once("__").unwrap_or((k, ""));
            let op = Op::parse(suffix).ok_or_else(|| {
                error(
                    400,
                    Some(codes::PARAM_INVALID),
                    "A parameter does not validate",
                    Some(format!("filter {k}: unknown operator __{suffix}")),
                )
            })?;
            Ok(Filter {
                field,
                op,
                want: text(want),
            })
        })
        .collect()
}

/// A non-negative whole number, given as a number or a string.
fn whole(p: &Map<String, Value>, k: &str) -> Option<u64> {
    let v = p.get(k)?;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The ids the filters can be answered from without a scan (an equality on `name` or `id`),
/// and the filters still to apply to each of them.
fn narrow<'a, 'f, T>(
    map: &BTreeMap<u64, T>,
    index: &'a Index,
    mut filters: Vec<Filter<'f>>,
) -> (Cow<'a, [u64]>, Vec<Filter<'f>>) {
    let indexed = filters
        .iter()
        .position(|f| f.op == Op::Equals && matches!(f.field, "name" | "id"));
    let Some(at) = indexed else {
        return (Cow::Borrowed(&index.order), filters);
    };
    let f = filters.swap_remove(at);
    let ids = if f.field == "name" {
        index
            .by_name
            .get(&f.want)
            .map_or(Cow::Owned(Vec::new()), |ids| Cow::Borrowed(ids.as_slice()))
    } else {
        let id = f.want.parse::<u64>().ok().filter(|id| map.contains_key(id));
        Cow::Owned(id.into_iter().collect())
    };
    (ids, filters)
}

/// One page of a list call: `start` is a zero-based record offset, `perPage` is cut to
/// [`MAX_PER_PAGE`]. Without filters, or with an equality on `name` or `id` only, it costs
/// O(perPage); other filters scan what the equality (if any) left.
pub(crate) fn list<T: Kind>(
    map: &BTreeMap<u64, T>,
    index: &Index,
    p: &Map<String, Value>,
) -> Answer {
    let filters = match read_filters(p) {
        Ok(f) => f,
        Err(a) => return a,
    };
    let start = whole(p, "start").unwrap_or(0);
    let per_page = whole(p, "perPage")
        .unwrap_or(MAX_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let (ids, rest) = narrow(map, index, filters);
    let first = usize::try_from(start).unwrap_or(usize::MAX);
    let (total, page): (usize, Vec<Value>) = if rest.is_empty() {
        let end = first.saturating_add(per_page as usize).min(ids.len());
        let page = ids
            .get(first..end)
            .unwrap_or_default()
            .iter()
            .filter_map(|id| map.get(id).map(Kind::entry))
            .collect();
        (ids.len(), page)
    } else {
        let mut total = 0;
        let mut page = Vec::new();
        for rec in ids.iter().filter_map(|id| map.get(id)) {
            let row = rec.entry();
            if rest.iter().all(|f| f.matches(&row)) {
                if total >= first && page.len() < per_page as usize {
                    page.push(row);
                }
                total += 1;
            }
        }
        (total, page)
    };
    (
        200,
        json!({"meta": {"totalResults": total, "start": start, "perPage": per_page, "count": page.len()},
               "results": page}),
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::sandbox::Store;

    #[test]
    fn list_pages_by_offset_and_filters() {
        let mut s = Store::new();
        for i in 0..150 {
            s.handle(
                "crm",
                "addOrUpdateLeadSource",
                &json!({"name": format!("Expo {i}")}),
            );
        }
        let (_, b) = s.handle(
            "crm",
            "getLeadSourceList",
            &json!({"perPage": 500, "start": 100}),
        );
        assert_eq!(b["meta"]["perPage"], MAX_PER_PAGE);
        assert_eq!(b["meta"]["totalResults"], 153);
        assert_eq!(b["results"].as_array().unwrap().len(), 53);
        let (_, b) = s.handle(
            "crm",
            "getLeadSourceList",
            &json!({"filter": {"name": "expo 7"}}),
        );
        assert_eq!(b["results"].as_array().unwrap().len(), 1);
        let (_, b) = s.handle(
            "crm",
            "getLeadSourceList",
            &json!({"filter": {"name__BEGINS": "Expo 1"}}),
        );
        assert_eq!(b["meta"]["totalResults"], 61);
        let (_, b) = s.handle(
            "crm",
            "getLeadSourceList",
            &json!({"filter": {"name__BEGINS": "Expo 1"}, "start": 60, "perPage": "10"}),
        );
        assert_eq!(b["meta"]["count"], 1);
    }

    #[test]
    fn entries_carry_the_documented_fields_with_their_types() {
        let mut s = Store::new();
        let id = s.insert_source("Fair", Some(12.5), Some("autumn"), true);
        let stage = s.insert_stage("Lost", 2);
        let (_, b) = s.handle("crm", "getLeadSourceList", &json!({"filter": {"id": id}}));
        assert_eq!(
            b["results"][0],
            json!({"id": id, "name": "Fair", "description": "autumn", "cost": 12.5,
                   "isReferral": true, "defaultType": 0})
        );
        let (_, b) = s.handle(
            "crm",
            "getLeadStageList",
            &json!({"filter": {"name": "LOST"}}),
        );
        assert_eq!(
            b["results"][0],
            json!({"id": stage, "name": "Lost", "reasons": []})
        );
    }

    #[test]
    fn every_documented_operator_filters_and_an_unknown_one_is_refused() {
        let mut s = Store::new();
        s.insert_source("Alpha fair", Some(5.0), None, false);
        s.insert_source("Beta expo", Some(50.0), Some("big"), false);
        let total = |s: &mut Store, f: Value| {
            let (_, b) = s.handle("crm", "getLeadSourceList", &json!({"filter": f}));
            b["meta"]["totalResults"].as_u64().unwrap()
        };
        assert_eq!(total(&mut s, json!({"name__CONTAINS": "FAIR"})), 1);
        assert_eq!(
            total(&mut s, json!({"name__NOTCONTAINS": "E"})),
            1,
            "Alpha fair"
        );
        assert_eq!(total(&mut s, json!({"name__ENDS": "expo"})), 1);
        assert_eq!(total(&mut s, json!({"name__NOT": "Google"})), 4);
        assert_eq!(total(&mut s, json!({"cost__LESSTHAN": 10})), 1);
        assert_eq!(total(&mut s, json!({"cost__GREATERTHAN": "9"})), 1);
        assert_eq!(total(&mut s, json!({"description__EMPTY": false})), 1);
        assert_eq!(total(&mut s, json!({"name": "beta expo", "cost": 50})), 1);
        let (st, b) = s.handle(
            "crm",
            "getLeadSourceList",
            &json!({"filter": {"name__LIKE": "x"}}),
        );
        assert_eq!((st, b["specificCode"].as_u64()), (400, Some(23016)));
    }

    #[test]
    fn pages_of_a_hundred_thousand_records_cost_per_page_not_per_record() {
        let mut s = Store::new();
        s.preload_sources(100_000);
        let page = |s: &mut Store, p: Value| {
            let started = Instant::now();
            let (_, b) = s.handle("crm", "getLeadSourceList", &p);
            (started.elapsed(), b)
        };
        let (_, b) = page(&mut s, json!({"start": 99_950, "perPage": 100}));
        assert_eq!(b["meta"]["totalResults"], 100_003);
        assert_eq!(b["meta"]["count"], 53);
        assert_eq!(b["results"][52]["name"], "Preloaded source 100000");
        let (_, b) = page(
            &mut s,
            json!({"filter": {"name": "Preloaded source 054321"}}),
        );
        assert_eq!(b["meta"]["totalResults"], 1);
        // Two thousand deep pages and name look-ups: as many scans of 100,000 records would
        // take minutes.
        let started = Instant::now();
        for i in 0..1000u64 {
            page(&mut s, json!({"start": 90_000 + i, "perPage": 1}));
            page(
                &mut s,
                json!({"filter": {"name": format!("Preloaded source {:06}", i + 1)}}),
            );
        }
        let spent = started.elapsed();
        assert!(spent < Duration::from_secs(2), "{spent:?} for 2000 pages");
    }
}
