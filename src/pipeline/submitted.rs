//! What became of a row that went to the server, and the words for each way a call ends.

use super::stop::Stop;
use crate::api::Failure;
use crate::outcome::{ProblemLabel, Status, Verdict};

/// What became of a row, and the label its error is counted under in the summary.
#[derive(Debug, Clone)]
pub(crate) struct Submitted {
    pub verdict: Verdict,
    pub error_label: Option<ProblemLabel>,
}

impl Submitted {
    /// Done, with the record's id.
    pub(crate) fn done(status: Status, id: Option<u64>) -> Submitted {
        let mut v = Verdict::new(status);
        v.id = id;
        Submitted {
            verdict: v,
            error_label: None,
        }
    }

    /// Failed on this failure; an API refusal's words lead its message, as the summary and
    /// the report name it.
    pub(crate) fn failed(f: &Failure) -> Submitted {
        let mut v = Verdict::new(Status::Failed);
        let label = match f.api_error() {
            Some(e) => {
                v.error_code = Some(e.error_code);
                v.specific_code = e.specific_code;
                e.label()
            }
            None => match f {
                Failure::Unknown(_) => "outcome unknown".into(),
                _ => "transient".into(),
            },
        };
        v.error = match f.api_error() {
            Some(_) => format!("{label}: {}", f.describe()),
            None => f.describe(),
        };
        Submitted {
            verdict: v,
            error_label: Some(label),
        }
    }

    /// Failed here, before or without a request.
    pub(crate) fn local_failure(message: String, label: &str) -> Submitted {
        let mut v = Verdict::new(Status::Failed);
        v.error = message;
        Submitted {
            verdict: v,
            error_label: Some(label.into()),
        }
    }

    /// Not sent: the run stopped first.
    pub(crate) fn skipped(stop: &Stop) -> Submitted {
        let mut v = Verdict::new(Status::Skipped);
        v.error = format!("not sent: the run stopped ({})", stop.reason());
        Submitted {
            verdict: v,
            error_label: Some("not sent: the run stopped".into()),
        }
    }

    /// Retries ran out on `f` (after `retries`); a create whose last outcome is unknown may
    /// exist, and says so.
    pub(crate) fn out_of_retries(f: &Failure, retries: u32, creating: bool) -> Submitted {
        let mut s = Submitted::failed(f);
        s.verdict.error = format!("{} (after {retries} retries)", s.verdict.error);
        if creating && matches!(f, Failure::Unknown(_)) {
            s.verdict
                .error
                .push_str("; the record may exist: --resume checks by name before sending again");
        }
        s
    }

    /// The look-up after a lost create failed: the row says both.
    pub(crate) fn look_up_failed(f: &Failure) -> Submitted {
        let mut s = Submitted::failed(f);
        s.verdict.error = format!(
            "the create may have been applied (answer lost) and the check failed: {}; run --resume to check before sending again",
            s.verdict.error
        );
        s.error_label = Some("outcome unknown".into());
        s
    }
}
