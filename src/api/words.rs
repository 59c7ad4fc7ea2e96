//! iVvy's error and specific codes in words: the label an API refusal is counted and shown
//! under, everywhere a run names its problems (`lead source does not exist (400/24325)`).

use super::answer::ApiError;
use crate::outcome::ProblemLabel;

impl ApiError {
    /// The label this refusal is named by in the summary, the results, the workbook and the
    /// report.
    pub(crate) fn label(&self) -> ProblemLabel {
        ProblemLabel::new(code_label(self.error_code, self.specific_code))
    }
}

/// The label of an API refusal by its codes: the words iVvy documents for them, then the
/// codes, `lead source does not exist (400/24325)`; `API error 418/1` for codes not documented.
pub(crate) fn code_label(error_code: u32, specific_code: Option<u32>) -> String {
    let codes = match specific_code {
        Some(s) => format!("{error_code}/{s}"),
        None => error_code.to_string(),
    };
    match specific_code
        .and_then(specific_words)
        .or_else(|| error_words(error_code))
    {
        Some(words) => format!("{words} ({codes})"),
        None => format!("API error {codes}"),
    }
}

/// iVvy's documented specific codes.
fn specific_words(code: u32) -> Option<&'static str> {
    Some(match code {
        23005 => "request is stale (check the clock)",
        23016 => "a parameter does not validate",
        23017 => "a required parameter is missing",
        24320 => "lead stage does not exist",
        24321 => "lead stage is not editable",
        24322 => "lead stage: the API reported an error",
        24323 | 24324 => "invalid lead stage data",
        24325 => "lead source does not exist",
        24326 => "lead source is not editable",
        24327 => "lead source: the API reported an error",
        24328 | 24329 => "invalid lead source data",
        24448 => "batch too large",
        24091 => "batch not saved",
        24092 => "bad batch job format",
        24093 => "empty batch job parameter",
        24105 | 24115 => "no such batch",
        24114 => "batch not completed yet",
        _ => return None,
    })
}

/// iVvy's documented error codes.
fn error_words(code: u32) -> Option<&'static str> {
    Some(match code {
        200 => "the API answered \"success\": false",
        400 => "bad request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        405 => "method not allowed",
        406 => "not acceptable",
        429 => "too many requests",
        460 => "unknown error",
        461 => "failed request",
        462 => "session expired",
        463 => "API key revoked",
        500 => "internal server error",
        501 => "not implemented",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_codes_are_named_in_words() {
        assert_eq!(
            code_label(400, Some(24325)),
            "lead source does not exist (400/24325)"
        );
        assert_eq!(
            code_label(400, Some(24321)),
            "lead stage is not editable (400/24321)"
        );
        assert_eq!(code_label(463, None), "API key revoked (463)");
        assert_eq!(code_label(418, Some(1)), "API error 418/1");
        let e = ApiError {
            http_status: 400,
            error_code: 400,
            specific_code: Some(24328),
            message: "Name is too long".into(),
            server_time: None,
        };
        assert_eq!(e.label().as_str(), "invalid lead source data (400/24328)");
    }
}
