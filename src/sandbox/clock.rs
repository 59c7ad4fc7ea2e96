//! The emulator's wall clock: the machine's, moved by a configured offset and a runtime shift,
//! so a client can be shown a server whose clock differs from its own.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::SystemTime;

use time::OffsetDateTime;
use time::macros::format_description;

/// The server's clock: the machine's UTC time plus `offset` (configured) plus `shift` (moved at
/// run time by [`super::Sandbox::shift_clock`]), in seconds.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: i64,
    shift: AtomicI64,
}

impl Clock {
    pub(crate) fn new(offset_secs: i64) -> Clock {
        Clock {
            offset: offset_secs,
            shift: AtomicI64::new(0),
        }
    }

    pub(crate) fn shift(&self, secs: i64) {
        self.shift.store(secs, Ordering::Relaxed);
    }

    /// How far the server's clock is from the machine's, seconds.
    pub(crate) fn offset_secs(&self) -> i64 {
        self.offset
            .saturating_add(self.shift.load(Ordering::Relaxed))
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.checked_add(time::Duration::seconds(self.offset_secs()))
            .unwrap_or(now)
    }
}

/// iVvy's timestamp form, `yyyy-mm-dd HH:mm:ss` in UTC (the emulator's own formatting, apart
/// from the client's).
pub(crate) fn ivvy_timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// An HTTP `Date` header value (RFC 1123, `Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    httpdate::fmt_http_date(SystemTime::from(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_formatted_in_utc() {
        let t = time::macros::datetime!(2012-04-03 22:23:24 +02:00);
        assert_eq!(ivvy_timestamp(t), "2012-04-03 20:23:24");
        assert_eq!(http_date(t), "Tue, 03 Apr 2012 20:23:24 GMT");
    }

    #[test]
    fn offset_and_shift_add_up() {
        let c = Clock::new(-90);
        c.shift(30);
        assert_eq!(c.offset_secs(), -60);
        let skew = (c.now() - OffsetDateTime::now_utc()).whole_seconds();
        assert!((-61..=-59).contains(&skew), "{skew}");
        c.shift(0);
        assert_eq!(c.offset_secs(), -90);
    }
}
