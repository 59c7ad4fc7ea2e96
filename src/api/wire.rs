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
pub struct SaveAnswer {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    pub total_results: u64,
    pub start: u64,
    pub per_page: u64,
    pub count: u64,
}

/// A collection answer: `{"meta": {...}, "results": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListAnswer<T> {
    pub meta: ListMeta,
    pub results: Vec<T>,
}

/// The parameters of a list call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
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
pub struct Listed {
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
    pub fn cost(&self) -> Option<f64> {
        match self.cost.as_ref()? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// isReferral as a boolean (true/false, 1/0, "true"/"1").
    pub fn is_referral(&self) -> Option<bool> {
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
pub struct BatchJob {
    pub namespace: String,
    pub action: String,
    #[serde(default)]
    pub params: serde_json::Value,
}

/// The answer of `batch?action=run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchStarted {
    pub async_id: String,
}

/// The answer of `batch?action=progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchProgress {
    pub progress: f64,
}

/// One job's outcome in `batch?action=results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchJobResult {
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub response: serde_json::Value,
}

/// The answer of `batch?action=results`: one result per job, in job order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResults {
    #[serde(default)]
    pub async_id: String,
    pub results: Vec<BatchJobResult>,
}

/// Specific codes the API documents.
pub mod codes {
    pub const STALE_REQUEST: u32 = 23005;
    pub const PARAM_INVALID: u32 = 23016;
    pub const PARAM_MISSING: u32 = 23017;
    pub const SOURCE_NOT_FOUND: u32 = 24325;
    pub const SOURCE_NOT_EDITABLE: u32 = 24326;
    pub const SOURCE_INVALID: u32 = 24328;
    pub const STAGE_NOT_FOUND: u32 = 24320;
    pub const STAGE_NOT_EDITABLE: u32 = 24321;
    pub const STAGE_INVALID: u32 = 24323;
    pub const BATCH_BAD_JOB: u32 = 24092;
    pub const BATCH_EMPTY_PARAMS: u32 = 24093;
    pub const BATCH_TOO_MANY: u32 = 24448;
    pub const BATCH_NO_SUCH: u32 = 24105;
    pub const BATCH_RESULTS_NO_SUCH: u32 = 24115;
    pub const BATCH_NOT_COMPLETED: u32 = 24114;
}
