//! The emulator's records and the API calls that read and change them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::api::wire::{BatchJob, ErrorBody, codes};

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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredStage {
    pub id: u64,
    pub name: String,
    pub colour: Option<String>,
    pub apply_to: u8,
    pub built_in: bool,
}

/// Everything the emulator holds, and counts tests read back.
#[derive(Debug, Clone, Serialize)]
pub struct Store {
    pub sources: BTreeMap<u64, StoredSource>,
    pub stages: BTreeMap<u64, StoredStage>,
    next_id: u64,
    /// Records created, by record id.
    pub creates: u64,
    /// Successful updates, by record id.
    pub updates: BTreeMap<u64, u64>,
    #[serde(skip)]
    batches: HashMap<String, Value>,
    next_batch: u64,
}

/// An answer: HTTP status and JSON body.
pub type Answer = (u16, Value);

fn error(status: u16, specific: Option<u32>, message: &str, more: Option<String>) -> Answer {
    let body = ErrorBody {
        error_code: u32::from(status),
        message: message.to_string(),
        specific_code: specific,
        additional_messages: more.map(|m| vec![m]),
    };
    (status, serde_json::to_value(body).unwrap_or_default())
}

fn ok_id(id: u64) -> Answer {
    (200, json!({"success": true, "id": id}))
}

pub const PER_PAGE_CAP: u64 = 100;

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// A store with iVvy's built-in records, which cannot be edited.
    pub fn new() -> Store {
        let mut s = Store {
            sources: BTreeMap::new(),
            stages: BTreeMap::new(),
            next_id: 1,
            creates: 0,
            updates: BTreeMap::new(),
            batches: HashMap::new(),
            next_batch: 1,
        };
        for name in ["iVvy Marketplace", "Website Widget", "Google"] {
            let id = s.take_id();
            s.sources.insert(
                id,
                StoredSource {
                    id,
                    name: name.into(),
                    description: None,
                    cost: None,
                    colour: None,
                    is_referral: false,
                    built_in: true,
                },
            );
        }
        for (name, apply_to) in [("Quoted", 1), ("Won", 1)] {
            let id = s.take_id();
            s.stages.insert(
                id,
                StoredStage {
                    id,
                    name: name.into(),
                    colour: None,
                    apply_to,
                    built_in: true,
                },
            );
        }
        s.next_id = 1000;
        s
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
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

    /// Whether a call changes records (and so is subject to write faults).
    pub fn is_write(namespace: &str, action: &str) -> bool {
        namespace == "crm" && action.starts_with("addOrUpdate")
    }

    /// Answers one authenticated call.
    pub fn handle(&mut self, namespace: &str, action: &str, params: &Value) -> Answer {
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
                json!({"success": true, "serverTime": crate::api::sign::ivvy_date(time::OffsetDateTime::now_utc())}),
            ),
            ("crm", "addOrUpdateLeadSource") => self.save_source(p),
            ("crm", "addOrUpdateLeadStage") => self.save_stage(p),
            ("crm", "getLeadSourceList") => {
                let rows: Vec<Value> = self
                    .sources
                    .values()
                    .map(|s| {
                        json!({"id": s.id, "name": s.name, "description": s.description, "cost": s.cost,
                               "isReferral": s.is_referral, "defaultType": if s.built_in { 1 } else { 0 }})
                    })
                    .collect();
                list(rows, p)
            }
            ("crm", "getLeadStageList") => {
                let rows: Vec<Value> = self
                    .stages
                    .values()
                    .map(|s| json!({"id": s.id, "name": s.name, "reasons": []}))
                    .collect();
                list(rows, p)
            }
            ("batch", "run") => self.batch_run(p),
            ("batch", "progress") => match p.get("async").and_then(Value::as_str) {
                Some(id) if self.batches.contains_key(id) => (200, json!({"progress": 100})),
                _ => error(
                    400,
                    Some(codes::BATCH_NO_SUCH),
                    "The batch does not exist",
                    None,
                ),
            },
            ("batch", "results") => match p.get("async").and_then(Value::as_str) {
                Some(id) if self.batches.contains_key(id) => (200, self.batches[id].clone()),
                _ => error(
                    400,
                    Some(codes::BATCH_RESULTS_NO_SUCH),
                    "The batch does not exist",
                    None,
                ),
            },
            _ => error(
                404,
                None,
                &format!("Unknown call {namespace}?action={action}"),
                None,
            ),
        }
    }

    fn batch_run(&mut self, p: &Map<String, Value>) -> Answer {
        let Some(jobs) = p.get("jobs").and_then(Value::as_array) else {
            return error(400, Some(codes::PARAM_MISSING), "jobs is required", None);
        };
        if jobs.len() > 200 {
            return error(
                400,
                Some(codes::BATCH_TOO_MANY),
                "A batch holds at most 200 jobs",
                None,
            );
        }
        let mut parsed = Vec::new();
        for (i, j) in jobs.iter().enumerate() {
            match serde_json::from_value::<BatchJob>(j.clone()) {
                Ok(job) if job.params.is_null() => {
                    return error(
                        400,
                        Some(codes::BATCH_EMPTY_PARAMS),
                        "Empty job parameter",
                        Some(format!("job {i}")),
                    );
                }
                Ok(job) => parsed.push(job),
                Err(e) => {
                    return error(
                        400,
                        Some(codes::BATCH_BAD_JOB),
                        "Bad job format",
                        Some(format!("job {i}: {e}")),
                    );
                }
            }
        }
        let results: Vec<Value> = parsed
            .iter()
            .map(|j| {
                let (_, response) = if j.namespace == "batch" {
                    error(400, Some(codes::BATCH_BAD_JOB), "A batch cannot run batch calls", None)
                } else {
                    self.handle(&j.namespace, &j.action, &j.params)
                };
                json!({"namespace": j.namespace, "action": j.action, "request": j.params, "response": response})
            })
            .collect();
        let id = format!("batch-{}", self.next_batch);
        self.next_batch += 1;
        self.batches
            .insert(id.clone(), json!({"asyncId": id, "results": results}));
        (200, json!({"asyncId": id}))
    }

    fn save_source(&mut self, p: &Map<String, Value>) -> Answer {
        let bad = |field: &str, why: &str| invalid_data(codes::SOURCE_INVALID, field, why);
        let (id, name) = match id_and_name(p, codes::SOURCE_INVALID) {
            Ok(v) => v,
            Err(a) => return a,
        };
        let description = match opt_string(p, "description") {
            Ok(d) => d,
            Err(_) => return param_invalid("description"),
        };
        let cost = match p.get("cost") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => match s.trim().parse::<f64>() {
                Ok(c) => Some(c),
                Err(_) => return bad("cost", "is not a number"),
            },
            Some(_) => return bad("cost", "is not a number"),
        };
        if cost.is_some_and(|c| c < 0.0 || !c.is_finite()) {
            return bad("cost", "must not be negative");
        }
        let colour = match read_colour(p) {
            Ok(c) => c,
            Err(()) => return bad("colour", "must be #rrggbb"),
        };
        let is_referral = match p.get("isReferral") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return param_invalid("isReferral"),
        };
        match id {
            Some(id) => {
                let Some(rec) = self.sources.get_mut(&id) else {
                    return error(
                        400,
                        Some(codes::SOURCE_NOT_FOUND),
                        "The crm lead source does not exist",
                        None,
                    );
                };
                if rec.built_in {
                    return error(
                        400,
                        Some(codes::SOURCE_NOT_EDITABLE),
                        "The crm lead source is not editable",
                        None,
                    );
                }
                if let Some(n) = name {
                    rec.name = n;
                }
                if description.is_some() {
                    rec.description = description;
                }
                if cost.is_some() {
                    rec.cost = cost;
                }
                if colour.is_some() {
                    rec.colour = colour;
                }
                if let Some(r) = is_referral {
                    rec.is_referral = r;
                }
                *self.updates.entry(id).or_default() += 1;
                ok_id(id)
            }
            None => {
                let Some(name) = name else {
                    return error(
                        400,
                        Some(codes::PARAM_MISSING),
                        "A required parameter is missing",
                        Some("name is required".into()),
                    );
                };
                let id = self.take_id();
                self.sources.insert(
                    id,
                    StoredSource {
                        id,
                        name,
                        description,
                        cost,
                        colour,
                        is_referral: is_referral.unwrap_or(false),
                        built_in: false,
                    },
                );
                self.creates += 1;
                ok_id(id)
            }
        }
    }

    fn save_stage(&mut self, p: &Map<String, Value>) -> Answer {
        let bad = |field: &str, why: &str| invalid_data(codes::STAGE_INVALID, field, why);
        let (id, name) = match id_and_name(p, codes::STAGE_INVALID) {
            Ok(v) => v,
            Err(a) => return a,
        };
        let colour = match read_colour(p) {
            Ok(c) => c,
            Err(()) => return bad("colour", "must be #rrggbb"),
        };
        let apply_to = match p.get("applyTo") {
            None | Some(Value::Null) => None,
            Some(v) => match v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            {
                Some(a @ (1 | 2)) => Some(a as u8),
                _ => return bad("applyTo", "must be 1 (opportunity) or 2 (lead)"),
            },
        };
        match id {
            Some(id) => {
                let Some(rec) = self.stages.get_mut(&id) else {
                    return error(
                        400,
                        Some(codes::STAGE_NOT_FOUND),
                        "The crm lead stage does not exist",
                        None,
                    );
                };
                if rec.built_in {
                    return error(
                        400,
                        Some(codes::STAGE_NOT_EDITABLE),
                        "The crm lead stage is not editable",
                        None,
                    );
                }
                if let Some(n) = name {
                    rec.name = n;
                }
                if colour.is_some() {
                    rec.colour = colour;
                }
                if let Some(a) = apply_to {
                    rec.apply_to = a;
                }
                *self.updates.entry(id).or_default() += 1;
                ok_id(id)
            }
            None => {
                let (Some(name), Some(apply_to)) = (name, apply_to) else {
                    return error(
                        400,
                        Some(codes::PARAM_MISSING),
                        "A required parameter is missing",
                        Some("name and applyTo are required".into()),
                    );
                };
                let id = self.take_id();
                self.stages.insert(
                    id,
                    StoredStage {
                        id,
                        name,
                        colour,
                        apply_to,
                        built_in: false,
                    },
                );
                self.creates += 1;
                ok_id(id)
            }
        }
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

/// The `id` and `name` parameters both calls share, checked.
fn id_and_name(
    p: &Map<String, Value>,
    invalid: u32,
) -> Result<(Option<u64>, Option<String>), Answer> {
    let id = read_id(p)?;
    let name = opt_string(p, "name").map_err(|()| param_invalid("name"))?;
    if let Some(n) = &name
        && (n.trim().is_empty() || n.chars().count() > 255)
    {
        return Err(invalid_data(invalid, "name", "must be 1 to 255 characters"));
    }
    Ok((id, name))
}

fn param_invalid(field: &str) -> Answer {
    error(
        400,
        Some(codes::PARAM_INVALID),
        "A parameter does not validate",
        Some(format!("{field} has the wrong type")),
    )
}

fn read_id(p: &Map<String, Value>) -> Result<Option<u64>, Answer> {
    match p.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| param_invalid("id")),
    }
}

fn opt_string(p: &Map<String, Value>, k: &str) -> Result<Option<String>, ()> {
    match p.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

fn read_colour(p: &Map<String, Value>) -> Result<Option<String>, ()> {
    match p.get("colour") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let ok =
                s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit());
            if ok {
                Ok(Some(s.to_ascii_lowercase()))
            } else {
                Err(())
            }
        }
        Some(_) => Err(()),
    }
}

/// Paging (`start` a record offset, `perPage` capped) and filters (`field`, `field__CONTAINS`,
/// `field__BEGINS`; text compared ignoring case).
fn list(rows: Vec<Value>, p: &Map<String, Value>) -> Answer {
    let filter = p.get("filter").and_then(Value::as_object);
    let text = |v: &Value| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    let kept: Vec<Value> = rows
        .into_iter()
        .filter(|row| {
            filter.is_none_or(|f| {
                f.iter().all(|(k, want)| {
                    let (field, op) = k.split_once("__").unwrap_or((k, ""));
                    let have = row.get(field).map(text).unwrap_or_default();
                    let want = text(want);
                    match op {
                        "" => have == want,
                        "CONTAINS" => have.contains(&want),
                        "BEGINS" => have.starts_with(&want),
                        _ => true,
                    }
                })
            })
        })
        .collect();
    let start = p.get("start").and_then(Value::as_u64).unwrap_or(0);
    let per_page = p
        .get("perPage")
        .and_then(Value::as_u64)
        .unwrap_or(PER_PAGE_CAP)
        .clamp(1, PER_PAGE_CAP);
    let total = kept.len() as u64;
    let page: Vec<Value> = kept
        .into_iter()
        .skip(start as usize)
        .take(per_page as usize)
        .collect();
    (
        200,
        json!({"meta": {"totalResults": total, "start": start, "perPage": per_page, "count": page.len()},
               "results": page}),
    )
}

#[cfg(test)]
mod tests {
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
        assert_eq!(b["meta"]["perPage"], 100);
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
    }

    #[test]
    fn batch_runs_jobs_in_order_and_refuses_over_200() {
        let mut s = Store::new();
        let jobs: Vec<Value> = (0..3)
            .map(|i| json!({"namespace": "crm", "action": "addOrUpdateLeadStage", "params": {"name": format!("S{i}"), "applyTo": 2}}))
            .collect();
        let (_, b) = s.handle("batch", "run", &json!({"jobs": jobs}));
        let id = b["asyncId"].as_str().unwrap().to_string();
        let (_, p) = s.handle("batch", "progress", &json!({"async": id}));
        assert_eq!(p["progress"], 100);
        let (_, r) = s.handle("batch", "results", &json!({"async": id}));
        assert_eq!(r["results"][2]["response"]["success"], true);
        let many: Vec<Value> = (0..201)
            .map(|_| json!({"namespace": "test", "action": "ping", "params": {}}))
            .collect();
        let (_, b) = s.handle("batch", "run", &json!({"jobs": many}));
        assert_eq!(b["specificCode"], 24448);
        let (_, b) = s.handle("batch", "results", &json!({"async": "nope"}));
        assert_eq!(b["specificCode"], 24115);
    }
}
