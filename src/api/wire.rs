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

/// The fields of an existing record the importer reads back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    pub id: u64,
    #[serde(default)]
    pub name: String,
}

/// One job of `batch?action=run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchJob {
    pub namespace: String,
    pub action: String,
    #[serde(default)]
    pub params: serde_json::Value,
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
}
