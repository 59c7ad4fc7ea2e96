//! The batch namespace as iVvy runs it: `run` checks the jobs and answers an `asyncId` at once;
//! the jobs are applied later (after the configured delay), each answered exactly as the
//! single call would be; `progress` and `results` poll for them. The batches are held in
//! `queue.rs`.

use serde_json::{Map, Value, json};

use super::answer::{Answer, Moment, error};
use super::faults::Misreport;
use super::store::Store;
use crate::api::wire::{BatchJob, codes};

/// `batch?action=results` before the batch is done (not in the client's code table).
pub const BATCH_NOT_COMPLETED: u32 = 24114;

fn bad_job(i: usize, why: &str) -> Answer {
    error(
        400,
        Some(codes::BATCH_BAD_JOB),
        "Bad job format",
        Some(format!("job {i}: {why}")),
    )
}

/// One job: an object with string `namespace` and `action` (else 24092) and non-empty object
/// `params` (24093 when missing or empty).
fn read_job(i: usize, j: &Value) -> Result<BatchJob, Answer> {
    let Some(o) = j.as_object() else {
        return Err(bad_job(i, "not an object"));
    };
    let text = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(namespace), Some(action)) = (text("namespace"), text("action")) else {
        return Err(bad_job(i, "namespace and action are required text"));
    };
    let empty = match o.get("params") {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    };
    if empty {
        return Err(error(
            400,
            Some(codes::BATCH_EMPTY_PARAMS),
            "Empty job parameter",
            Some(format!("job {i}: params is empty")),
        ));
    }
    match o.get("params") {
        Some(params @ Value::Object(_)) => Ok(BatchJob {
            namespace: namespace.to_string(),
            action: action.to_string(),
            params: params.clone(),
        }),
        _ => Err(bad_job(i, "params is not an object")),
    }
}

fn read_jobs(p: &Map<String, Value>, max: usize) -> Result<Vec<BatchJob>, Answer> {
    let jobs = match p.get("jobs") {
        None | Some(Value::Null) => {
            return Err(error(
                400,
                Some(codes::PARAM_MISSING),
                "A required parameter is missing",
                Some("jobs is required".into()),
            ));
        }
        Some(Value::Array(jobs)) => jobs,
        Some(_) => return Err(bad_job(0, "jobs is not a list")),
    };
    if jobs.is_empty() {
        return Err(error(
            400,
            Some(codes::BATCH_EMPTY_PARAMS),
            "Empty job parameter",
            Some("jobs is empty".into()),
        ));
    }
    if jobs.len() > max {
        return Err(error(
            400,
            Some(codes::BATCH_TOO_MANY),
            &format!("A batch holds at most {max} jobs"),
            Some(format!("{} jobs sent", jobs.len())),
        ));
    }
    jobs.iter()
        .enumerate()
        .map(|(i, j)| read_job(i, j))
        .collect()
}

/// The `async` parameter of a poll.
fn async_id(p: &Map<String, Value>) -> Option<String> {
    match p.get("async")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Store {
    /// `batch?action=run`: checks every job (one bad job refuses the run) and keeps the batch,
    /// applied at once when there is no delay.
    pub(crate) fn batch_run(&mut self, p: &Map<String, Value>, at: Moment) -> Answer {
        let jobs = match read_jobs(p, self.batches.max_jobs) {
            Ok(jobs) => jobs,
            Err(a) => return a,
        };
        let id = self.batches.accept(jobs, at.instant);
        self.batch_runs += 1;
        self.settle(at);
        (200, json!({"asyncId": id}))
    }

    /// Applies, in the order they were accepted, the batches due by `at`.
    pub fn settle(&mut self, at: Moment) {
        while let Some((id, jobs)) = self.batches.take_due(at.instant) {
            let results: Vec<Value> = jobs.iter().map(|j| self.apply_job(j, at)).collect();
            self.batches.finish(&id, results);
        }
    }

    fn apply_job(&mut self, job: &BatchJob, at: Moment) -> Value {
        self.batch_jobs += 1;
        let (_, response) = if job.namespace == "batch" {
            error(
                400,
                Some(codes::BATCH_BAD_JOB),
                "A batch cannot run batch calls",
                None,
            )
        } else {
            self.call(&job.namespace, &job.action, &job.params, at)
        };
        json!({"namespace": job.namespace, "action": job.action, "request": job.params,
               "response": response})
    }

    /// `batch?action=progress`: 0..100, or 24105 for an unknown id.
    pub(crate) fn batch_progress(&mut self, p: &Map<String, Value>, at: Moment) -> Answer {
        match async_id(p).and_then(|id| self.batches.progress(&id, at.instant)) {
            Some(progress) => (200, json!({"progress": progress})),
            None => error(
                400,
                Some(codes::BATCH_NO_SUCH),
                "The batch does not exist",
                None,
            ),
        }
    }

    /// `batch?action=results`: one result per job, 24114 before the batch is done, 24115 for
    /// an unknown id.
    pub(crate) fn batch_results(&mut self, p: &Map<String, Value>, _at: Moment) -> Answer {
        let Some((id, results)) = async_id(p).and_then(|id| self.batches.results(&id)) else {
            return error(
                400,
                Some(codes::BATCH_RESULTS_NO_SUCH),
                "The batch does not exist",
                None,
            );
        };
        let misreport = self.batches.misreport;
        match results {
            Some(results) => {
                let mut results = results.to_vec();
                match misreport {
                    Misreport::None => {}
                    Misreport::Reverse => results.reverse(),
                    Misreport::NoId => {
                        for r in &mut results {
                            if let Some(resp) = r.get_mut("response").and_then(Value::as_object_mut)
                            {
                                resp.remove("id");
                            }
                        }
                    }
                    Misreport::Foreign => {
                        if let Some(last) = results.last_mut() {
                            *last = json!({"namespace": "crm", "action": "addOrUpdateLeadSource",
                                "request": {"id": 3, "name": "Google"},
                                "response": {"success": true, "id": 3}});
                        }
                    }
                }
                (200, json!({"asyncId": id, "results": results}))
            }
            None => error(
                400,
                Some(BATCH_NOT_COMPLETED),
                "The batch has not completed yet",
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn stage_job(name: &str) -> Value {
        json!({"namespace": "crm", "action": "addOrUpdateLeadStage", "params": {"name": name, "applyTo": 2}})
    }

    fn later(at: Moment, ms: u64) -> Moment {
        Moment {
            instant: at.instant + Duration::from_millis(ms),
            ..at
        }
    }

    #[test]
    fn batch_runs_jobs_in_order_and_refuses_over_the_maximum() {
        let mut s = Store::new();
        let jobs: Vec<Value> = (0..3).map(|i| stage_job(&format!("S{i}"))).collect();
        let (_, b) = s.handle("batch", "run", &json!({"jobs": jobs}));
        let id = b["asyncId"].as_str().unwrap().to_string();
        let (_, p) = s.handle("batch", "progress", &json!({"async": id}));
        assert_eq!(p["progress"], 100);
        let (_, r) = s.handle("batch", "results", &json!({"async": id}));
        assert_eq!(r["asyncId"], id.as_str());
        assert_eq!(r["results"][2]["response"]["success"], true);
        assert_eq!(r["results"][2]["request"]["name"], "S2");
        let many: Vec<Value> = (0..201).map(|i| stage_job(&i.to_string())).collect();
        let (st, b) = s.handle("batch", "run", &json!({"jobs": many}));
        assert_eq!((st, b["specificCode"].as_u64()), (400, Some(24448)));
        let (_, b) = s.handle("batch", "results", &json!({"async": "nope"}));
        assert_eq!(b["specificCode"], 24115);
        let (_, b) = s.handle("batch", "progress", &json!({"async": "nope"}));
        assert_eq!(b["specificCode"], 24105);
        assert_eq!(
            (s.batch_runs, s.batch_jobs, s.writes, s.creates),
            (1, 3, 3, 3)
        );
    }

    #[test]
    fn one_bad_or_empty_job_refuses_the_whole_run() {
        let mut s = Store::new();
        let run = |s: &mut Store, bad: Value| {
            let (st, b) = s.handle("batch", "run", &json!({"jobs": [stage_job("ok"), bad]}));
            (st, b["specificCode"].as_u64().unwrap())
        };
        assert_eq!(run(&mut s, json!("crm")), (400, 24092));
        assert_eq!(
            run(&mut s, json!({"action": "ping", "params": {"a": 1}})),
            (400, 24092)
        );
        assert_eq!(
            run(
                &mut s,
                json!({"namespace": "crm", "action": "x", "params": 5})
            ),
            (400, 24092)
        );
        assert_eq!(
            run(&mut s, json!({"namespace": "test", "action": "ping"})),
            (400, 24093)
        );
        assert_eq!(
            run(
                &mut s,
                json!({"namespace": "test", "action": "ping", "params": {}})
            ),
            (400, 24093)
        );
        assert_eq!(
            (s.batch_runs, s.creates),
            (0, 0),
            "nothing of a refused run is applied"
        );
    }

    #[test]
    fn each_result_is_what_the_single_call_would_answer() {
        let mut s = Store::new();
        let jobs = json!([
            {"namespace": "crm", "action": "addOrUpdateLeadSource", "params": {"name": "Fair", "colour": "#7ee546"}},
            {"namespace": "crm", "action": "addOrUpdateLeadSource", "params": {"id": 999_999, "name": "Ghost"}},
            {"namespace": "crm", "action": "addOrUpdateLeadSource", "params": {"name": "Bad", "colour": "blue"}},
        ]);
        let (_, b) = s.handle("batch", "run", &json!({"jobs": jobs}));
        let (_, r) = s.handle("batch", "results", &json!({"async": b["asyncId"]}));
        let mut single = Store::new();
        for (i, job) in jobs.as_array().unwrap().iter().enumerate() {
            let (_, alone) = single.handle("crm", "addOrUpdateLeadSource", &job["params"]);
            assert_eq!(r["results"][i]["response"], alone, "job {i}");
            assert_eq!(r["results"][i]["namespace"], "crm");
            assert_eq!(r["results"][i]["action"], "addOrUpdateLeadSource");
        }
        assert_eq!(r["results"][1]["response"]["specificCode"], 24325);
        assert_eq!(r["results"][2]["response"]["specificCode"], 24328);
    }

    #[test]
    fn a_delayed_batch_is_applied_when_due_and_progress_grows_until_then() {
        let mut s = Store::new();
        s.configure_batches(2, Duration::from_millis(1000));
        let t0 = Moment::now();
        let (_, b) = s.handle_at(
            "batch",
            "run",
            &json!({"jobs": [stage_job("A"), stage_job("B")]}),
            t0,
        );
        let id = b["asyncId"].clone();
        assert_eq!((s.creates, s.batch_runs), (0, 1), "accepted, not applied");
        let progress = |s: &mut Store, at: Moment| {
            let (_, p) = s.handle_at("batch", "progress", &json!({"async": id}), at);
            p["progress"].as_u64().unwrap()
        };
        assert_eq!(progress(&mut s, t0), 0);
        assert_eq!(progress(&mut s, later(t0, 500)), 50);
        let (st, r) = s.handle_at("batch", "results", &json!({"async": id}), later(t0, 999));
        assert_eq!((st, r["specificCode"].as_u64()), (400, Some(24114)));
        assert_eq!(progress(&mut s, later(t0, 1000)), 100);
        assert_eq!(s.creates, 2);
        let (_, r) = s.handle_at("batch", "results", &json!({"async": id}), later(t0, 1001));
        assert_eq!(r["results"].as_array().unwrap().len(), 2);
        let three = json!({"jobs": [stage_job("C"), stage_job("D"), stage_job("E")]});
        let (_, b) = s.handle_at("batch", "run", &three, later(t0, 1002));
        assert_eq!(b["specificCode"], 24448);
    }

    #[test]
    fn batches_are_applied_in_the_order_they_were_accepted() {
        let mut s = Store::new();
        s.configure_batches(200, Duration::from_millis(10));
        let t0 = Moment::now();
        s.handle_at("batch", "run", &json!({"jobs": [stage_job("first")]}), t0);
        s.handle_at(
            "batch",
            "run",
            &json!({"jobs": [stage_job("second")]}),
            later(t0, 1),
        );
        s.settle(later(t0, 60));
        let names: Vec<&str> = s.stages.values().map(|r| r.name.as_str()).collect();
        assert_eq!(&names[names.len() - 2..], ["first", "second"]);
    }
}
