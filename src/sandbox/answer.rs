//! What every call handler shares: an answer (HTTP status and JSON body), iVvy's error body,
//! and the moment a call is answered.

use std::time::Instant;

use serde_json::Value;
use time::OffsetDateTime;

use crate::api::wire::ErrorBody;

/// An answer: HTTP status and JSON body.
pub type Answer = (u16, Value);

/// When a call is answered: the instant (for batch timing) and the server's wall clock (for
/// timestamps in answers).
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub instant: Instant,
    pub wall: OffsetDateTime,
}

impl Moment {
    /// Now, by the machine's clock.
    pub fn now() -> Moment {
        Moment {
            instant: Instant::now(),
            wall: OffsetDateTime::now_utc(),
        }
    }
}

/// iVvy's error body with its status.
pub(crate) fn error(
    status: u16,
    specific: Option<u32>,
    message: &str,
    more: Option<String>,
) -> Answer {
    let body = ErrorBody {
        error_code: u32::from(status),
        message: message.to_string(),
        specific_code: specific,
        additional_messages: more.map(|m| vec![m]),
    };
    (status, serde_json::to_value(body).unwrap_or_default())
}
