//! The run's stop state: one place every worker, wait and retry asks "should I go on?".
//! A stop (a fatal answer, Ctrl-C, SIGTERM) ends sending; abandoning (a second Ctrl-C) ends
//! the wait for requests in flight. Every sleep in the pipeline wakes on either.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use serde::Serialize;

/// Why a run ended before its last row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StopKind {
    /// A fatal answer (credentials, key revoked, a dead server, a redirect).
    Fatal,
    /// Ctrl-C.
    Interrupted,
    /// SIGTERM.
    Terminated,
}

/// How and why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stopped {
    pub kind: StopKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Running,
    Stopping,
    Abandoned,
}

/// Shared by the whole run.
pub(crate) struct Stop {
    level: watch::Sender<Level>,
    why: Mutex<Option<Stopped>>,
}

impl Stop {
    pub(crate) fn new() -> Stop {
        Stop {
            level: watch::Sender::new(Level::Running),
            why: Mutex::new(None),
        }
    }

    /// Stops sending: rows not yet sent become `skipped`. The first reason given is kept.
    pub(crate) fn stop(&self, kind: StopKind, reason: impl Into<String>) {
        {
            let mut why = self
                .why
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if why.is_none() {
                *why = Some(Stopped {
                    kind,
                    reason: reason.into(),
                });
            }
        }
        self.level.send_if_modified(|l| {
            let was = *l;
            *l = (*l).max(Level::Stopping);
            was != *l
        });
    }

    /// Stops waiting for requests in flight too.
    pub(crate) fn abandon(&self) {
        self.level.send_replace(Level::Abandoned);
    }

    pub(crate) fn is_stopping(&self) -> bool {
        *self.level.borrow() >= Level::Stopping
    }

    pub(crate) fn stopped(&self) -> Option<Stopped> {
        self.why
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The reason rows not sent are given.
    pub(crate) fn reason(&self) -> String {
        self.stopped()
            .map_or_else(|| "interrupted".to_string(), |s| s.reason)
    }

    async fn reach(&self, level: Level) {
        let mut rx = self.level.subscribe();
        // The sender lives as long as self, so this only ends when the level is reached.
        let _ = rx.wait_for(|l| *l >= level).await;
    }

    /// Resolves once the run is stopping.
    pub(crate) async fn stopping(&self) {
        self.reach(Level::Stopping).await;
    }

    /// Resolves once in-flight requests are abandoned.
    pub(crate) async fn abandoned(&self) {
        self.reach(Level::Abandoned).await;
    }

    /// Sleeps for `d`, or less if the run stops. True when the whole time passed.
    pub(crate) async fn sleep(&self, d: Duration) -> bool {
        if self.is_stopping() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            () = self.stopping() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_wakes_a_long_sleep_at_once() {
        let stop = std::sync::Arc::new(Stop::new());
        let s = stop.clone();
        let sleeper = tokio::spawn(async move { s.sleep(Duration::from_secs(3600)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let at = std::time::Instant::now();
        stop.stop(StopKind::Interrupted, "interrupted (Ctrl-C)");
        let slept_whole = tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("the sleep woke")
            .expect("the task ran");
        assert!(!slept_whole);
        assert!(at.elapsed() < Duration::from_millis(200));
        assert_eq!(stop.reason(), "interrupted (Ctrl-C)");
    }

    #[test]
    fn the_first_reason_is_kept() {
        let stop = Stop::new();
        stop.stop(StopKind::Fatal, "key revoked");
        stop.stop(StopKind::Interrupted, "interrupted (Ctrl-C)");
        assert_eq!(stop.stopped().map(|s| s.kind), Some(StopKind::Fatal));
    }
}
