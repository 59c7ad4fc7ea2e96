//! The one retry rule, held call kind by call kind with answers made up here (no server: the
//! client is never asked).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use super::{Call, Ended, Transport};
use crate::api::{ApiError, Client, Credentials, Endpoint, Failure};
use crate::pipeline::Policy;
use crate::pipeline::stop::Stop;

fn transport(retries: u32, give_up_after: Duration) -> Transport {
    let client = Client::new(
        Endpoint::parse("http://127.0.0.1:9").unwrap(),
        Credentials::new("key", "secret"),
        Duration::from_secs(1),
    )
    .unwrap();
    let policy = Policy {
        rate: 10_000.0,
        retries,
        backoff: Duration::from_millis(1),
        concurrency: 1,
        max_wait: Duration::from_secs(2),
        give_up_after,
        batch_size: None,
        batch_timeout: Duration::from_secs(5),
    };
    Transport::new(client, policy, Arc::new(Stop::new()))
}

/// Answers one by one from a script; the last answer repeats. Counts the attempts.
struct Server {
    answers: Mutex<Vec<Result<u64, Failure>>>,
    attempts: AtomicU32,
}

impl Server {
    fn new(answers: Vec<Result<u64, Failure>>) -> Server {
        Server {
            answers: Mutex::new(answers.into_iter().rev().collect()),
            attempts: AtomicU32::new(0),
        }
    }

    async fn answer(&self) -> Result<u64, Failure> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let mut a = self.answers.lock().unwrap();
        if a.len() > 1 {
            a.pop().unwrap()
        } else {
            clone(a.last().unwrap())
        }
    }

    fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }
}

fn clone(r: &Result<u64, Failure>) -> Result<u64, Failure> {
    match r {
        Ok(v) => Ok(*v),
        Err(Failure::Unknown(m)) => Err(Failure::Unknown(m.clone())),
        Err(Failure::Transient(m)) => Err(Failure::Transient(m.clone())),
        Err(f) => Err(Failure::Transient(f.describe())),
    }
}

fn unknown() -> Result<u64, Failure> {
    Err(Failure::Unknown("no answer before the timeout".into()))
}

fn api_error(code: u32, message: &str) -> ApiError {
    ApiError {
        http_status: u16::try_from(code).unwrap(),
        error_code: code,
        specific_code: None,
        message: message.into(),
        server_time: None,
    }
}

#[tokio::test]
async fn a_create_whose_outcome_is_unknown_is_looked_up_before_it_is_sent_again() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![unknown(), Ok(7)]);
    let look_ups = AtomicU32::new(0);
    let look_up = || {
        look_ups.fetch_add(1, Ordering::SeqCst);
        async { Ok(None) }.boxed()
    };
    let r = t
        .call(Call::create(&look_up, false), || server.answer())
        .await;
    assert_eq!(r.ok(), Some(7));
    assert_eq!(server.attempts(), 2);
    assert_eq!(
        look_ups.load(Ordering::SeqCst),
        1,
        "one look-up, between the two"
    );
}

#[tokio::test]
async fn a_create_its_look_up_finds_is_not_sent_again() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![unknown(), Ok(7)]);
    let look_up = || async { Ok(Some(5)) }.boxed();
    let r = t
        .call(Call::create(&look_up, false), || server.answer())
        .await;
    assert_eq!(r.ok(), Some(5));
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_create_an_earlier_run_may_have_sent_is_looked_up_before_its_first_attempt() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![Ok(7)]);
    let look_up = || async { Ok(Some(9)) }.boxed();
    let r = t
        .call(Call::create(&look_up, true), || server.answer())
        .await;
    assert_eq!(r.ok(), Some(9));
    assert_eq!(server.attempts(), 0);
}

#[tokio::test]
async fn a_create_whose_look_up_fails_is_not_sent_again() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![unknown(), Ok(7)]);
    let look_up = || async { Err(Failure::Transient("HTTP 500".into())) }.boxed();
    let r = t
        .call(Call::create(&look_up, false), || server.answer())
        .await;
    assert!(matches!(r, Err(Ended::LookUpFailed(_))), "{r:?}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_create_whose_attempts_run_out_on_an_unknown_outcome_ends_unknown() {
    let t = transport(1, Duration::from_secs(60));
    let server = Server::new(vec![unknown()]);
    let look_up = || async { Ok(None) }.boxed();
    let r = t
        .call(Call::create(&look_up, false), || server.answer())
        .await;
    assert!(matches!(r, Err(Ended::Unknown(_))), "{r:?}");
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_batch_is_never_sent_again_after_an_unknown_outcome() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![unknown(), Ok(7)]);
    let r = t.call(Call::batch(), || server.answer()).await;
    assert!(matches!(r, Err(Ended::Unknown(_))), "{r:?}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_batch_is_sent_again_after_a_transient_failure() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![Err(Failure::Transient("HTTP 503".into())), Ok(7)]);
    let r = t.call(Call::batch(), || server.answer()).await;
    assert_eq!(r.ok(), Some(7));
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn reads_and_updates_are_retried_after_unknown_outcomes_until_attempts_run_out() {
    for call in [Call::read(), Call::update(), Call::poll()] {
        let t = transport(2, Duration::from_secs(60));
        let server = Server::new(vec![unknown()]);
        let r = t.call(call, || server.answer()).await;
        assert!(matches!(r, Err(Ended::OutOfRetries(_))), "{r:?}");
        assert_eq!(server.attempts(), 3, "the first attempt and two retries");
        assert_eq!(t.stats.retries.load(Ordering::Relaxed), 2);
    }
}

#[tokio::test]
async fn a_retry_after_beyond_max_wait_stops_the_run_at_once() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![Ok(1)]);
    let throttled = || async {
        server.answer().await?;
        Err::<u64, _>(Failure::Throttled {
            retry_after: Some(Duration::from_secs(1_000_000)),
            error: api_error(429, "Too many requests"),
        })
    };
    let started = std::time::Instant::now();
    let r = t.call(Call::update(), throttled).await;
    assert!(matches!(r, Err(Ended::Stopped(Some(_)))), "{r:?}");
    assert_eq!(server.attempts(), 1);
    assert!(t.is_stopping());
    assert!(
        t.stop.reason().contains("more than --max-wait"),
        "{}",
        t.stop.reason()
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_write_is_not_sent_once_the_run_is_stopping_and_a_read_says_why() {
    let t = transport(3, Duration::from_secs(60));
    t.stop.stop(
        crate::pipeline::StopKind::Interrupted,
        "interrupted (Ctrl-C)",
    );
    let server = Server::new(vec![Ok(1)]);
    let r = t.call(Call::update(), || server.answer()).await;
    assert!(matches!(r, Err(Ended::Stopped(None))), "{r:?}");
    assert_eq!(server.attempts(), 0);
    let f = t.read(|| server.answer()).await.unwrap_err();
    assert!(
        f.describe().contains("interrupted (Ctrl-C)"),
        "{}",
        f.describe()
    );
}

#[tokio::test]
async fn a_fatal_answer_stops_the_run_whatever_the_call() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![Ok(1)]);
    let revoked = || async {
        server.answer().await?;
        Err::<u64, _>(Failure::Fatal(api_error(
            463,
            "The API key has been revoked",
        )))
    };
    let r = t.read(revoked).await;
    assert!(matches!(r, Err(Failure::Fatal(_))), "{r:?}");
    assert_eq!(server.attempts(), 1);
    assert!(t.is_stopping());
}

#[tokio::test]
async fn the_hook_runs_before_each_attempt_and_its_failure_sends_nothing() {
    let t = transport(3, Duration::from_secs(60));
    let server = Server::new(vec![Err(Failure::Transient("HTTP 503".into())), Ok(7)]);
    let mut hooked = 0;
    let mut before = || -> std::io::Result<()> {
        hooked += 1;
        Ok(())
    };
    let r = t
        .call(Call::batch().before_each(&mut before), || server.answer())
        .await;
    assert_eq!(r.ok(), Some(7));
    assert_eq!(hooked, 2);

    let server = Server::new(vec![Ok(7)]);
    let mut failing = || -> std::io::Result<()> { Err(std::io::Error::other("disk full")) };
    let r = t
        .call(Call::batch().before_each(&mut failing), || server.answer())
        .await;
    assert!(matches!(r, Err(Ended::NotSent(_))), "{r:?}");
    assert_eq!(server.attempts(), 0);
}

#[tokio::test]
async fn polls_count_toward_giving_up_unless_progress_advances() {
    let t = transport(3, Duration::from_millis(30));
    assert!(t.polled(false, "batch 1"));
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert!(t.polled(true, "batch 1"), "progress resets the clock");
    assert!(t.polled(false, "batch 1"));
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert!(!t.polled(false, "batch 1"));
    assert!(t.is_stopping());
    assert!(
        t.stop.reason().contains("--give-up-after"),
        "{}",
        t.stop.reason()
    );
}
