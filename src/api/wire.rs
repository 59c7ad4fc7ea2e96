//! JSON bodies of the iVvy API, shared by the client and the emulator.

use serde::{Deserialize, Serialize};

/// iVvy's error body, answered with (usually) the same HTTP status as `errorCode`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: u32,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_code: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_messages: Option<Vec<String>>,
}

/// The answer of `addOrUpdateLeadSource` / `addOrUpdateLeadStage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SaveAnswer {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListMeta {
    pub total_results: u64,
    pub start: u64,
    pub per_page: u64,
    pub count: u64,
}

/// A collection answer: `{"meta": {...}, "results": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListAnswer<T> {
    pub meta: ListMeta,
    pub results: Vec<T>,
}

/// The parameters of a list call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The fields of an existing record the importer reads back (sources carry description,
/// cost and isReferral; stages only id and name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Listed {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A number in the list call's answers; text is accepted too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_referral: Option<serde_json::Value>,
}

impl Listed {
    /// The cost as a number, when there is one.
    pub(crate) fn cost(&self) -> Option<f64> {
        match self.cost.as_ref()? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// isReferral as a boolean (true/false, 1/0, "true"/"1").
    pub(crate) fn is_referral(&self) -> Option<bool> {
        match self.is_referral.as_ref()? {
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::Number(n) => n.as_u64().map(|n| n != 0),
            serde_json::Value::String(s) => match s.trim() {
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One job of `batch?action=run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BatchJob {
    pub namespace: String,
    pub action: String,
    #[serde(default)]
    pub params: serde_json::Value,
}

/// The answer of `batch?action=run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchStarted {
    pub async_id: String,
}

/// The answer of `batch?action=progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BatchProgress {
    pub progress: f64,
}

/// One job's outcome in `batch?action=results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BatchJobResult {
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub action: String,
    /// The job's parameters as the server read them.
    #[serde(default)]
    pub request: serde_json::Value,
    #[serde(default)]
    pub response: serde_json::Value,
}

/// The answer of `batch?action=results`: one result per job, in job order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchResults {
    #[serde(default)]
    pub async_id: String,
    pub results: Vec<BatchJobResult>,
}

/// Specific codes the API documents.
pub(crate) mod codes {
    pub(crate) const STALE_REQUEST: u32 = 23005;
    pub(crate) const PARAM_INVALID: u32 = 23016;
    pub(crate) const PARAM_MISSING: u32 = 23017;
    pub(crate) const SOURCE_NOT_FOUND: u32 = 24325;
    pub(crate) const SOURCE_NOT_EDITABLE: u32 = 24326;
    pub(crate) const SOURCE_INVALID: u32 = 24328;
    pub(crate) const STAGE_NOT_FOUND: u32 = 24320;
    pub(crate) const STAGE_NOT_EDITABLE: u32 = 24321;
    pub(crate) const STAGE_INVALID: u32 = 24323;
    pub(crate) const BATCH_BAD_JOB: u32 = 24092;
    pub(crate) const BATCH_EMPTY_PARAMS: u32 = 24093;
    pub(crate) const BATCH_TOO_MANY: u32 = 24448;
    pub(crate) const BATCH_NO_SUCH: u32 = 24105;
    pub(crate) const BATCH_RESULTS_NO_SUCH: u32 = 24115;
    pub(crate) const BATCH_NOT_COMPLETED: u32 = 24114;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_body_reads_ivvys_answer_with_or_without_its_optional_parts() {
        let full: ErrorBody = serde_json::from_value(json!({
            "errorCode": 400,
            "message": "Invalid lead source",
            "specificCode": 24328,
            "additionalMessages": ["name is too long"],
        }))
        .unwrap();
        assert_eq!(full.error_code, 400);
        assert_eq!(full.specific_code, Some(codes::SOURCE_INVALID));
        assert_eq!(
            full.additional_messages.as_deref(),
            Some(&["name is too long".to_string()][..])
        );
        let bare: ErrorBody = serde_json::from_value(json!({"errorCode": 401})).unwrap();
        assert_eq!((bare.message.as_str(), bare.specific_code), ("", None));
    }

    #[test]
    fn absent_optional_fields_are_not_sent() {
        let e = ErrorBody {
            error_code: 429,
            message: "Too many requests".into(),
            specific_code: None,
            additional_messages: None,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"errorCode": 429, "message": "Too many requests"})
        );
        assert_eq!(
            serde_json::to_value(ListParams::default()).unwrap(),
            json!({})
        );
        let p = ListParams {
            per_page: Some(100),
            start: Some(200),
            filter: None,
        };
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"perPage": 100, "start": 200})
        );
    }

    #[test]
    fn list_and_save_answers_read_as_the_api_writes_them() {
        let page: ListAnswer<Listed> = serde_json::from_value(json!({
            "meta": {"totalResults": 3, "start": 0, "perPage": 2, "count": 2},
            "results": [{"id": 1, "name": "Google", "cost": 5}, {"id": 2}],
        }))
        .unwrap();
        assert_eq!(page.meta.total_results, 3);
        assert_eq!(page.results[0].name, "Google");
        assert_eq!(
            page.results[1].name, "",
            "a record without a name lists as empty"
        );
        let saved: SaveAnswer =
            serde_json::from_value(json!({"success": true, "id": 1000})).unwrap();
        assert_eq!((saved.success, saved.id), (true, Some(1000)));
        let refused: SaveAnswer = serde_json::from_value(json!({"success": false})).unwrap();
        assert_eq!(refused.id, None);
    }

    #[test]
    fn batch_job_params_default_to_null() {
        let job: BatchJob =
            serde_json::from_value(json!({"namespace": "test", "action": "ping"})).unwrap();
        assert_eq!(job.params, serde_json::Value::Null);
    }
}
