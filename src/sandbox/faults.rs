//! Seeded, deterministic fault injection and latency for the emulator.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the emulator does wrong, and how often, and how it is set up. Write-fault rates are per
/// write request (`addOrUpdate…` and `batch?action=run`), poll-fault rates per
/// `batch?action=progress|results` request, all in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    pub seed: u64,
    /// Answer 500 without applying.
    pub error: f64,
    /// Close the connection without applying or answering.
    pub reset: f64,
    /// Apply, then close the connection without answering.
    pub drop: f64,
    /// Apply, then answer only after `hang`.
    pub hang: f64,
    pub hang_for: Duration,
    /// Added before every answer.
    pub latency: Duration,
    /// Requests per second the server accepts before answering 429 (None: no limit). Counts
    /// every API call: writes, lists, batch calls, ping.
    pub limit: Option<u32>,
    /// The Retry-After header a 429 carries (None: no header).
    pub retry_after: Option<Duration>,
    /// After this many accepted writes, answer every request 463 (key revoked).
    pub revoke_after: Option<u64>,
    /// How long after `batch?action=run` the jobs are applied (zero: at once).
    pub batch_delay: Duration,
    /// The most jobs one `batch?action=run` takes (more: specific code 24448).
    pub batch_max: usize,
    /// How `batch?action=results` misreports a finished batch.
    pub batch_results: Misreport,
    /// Batches are accepted and never finish.
    pub batch_stuck: Stuck,
    /// On this list call (from 1), a record of the listed kind is deleted before answering.
    pub list_delete_at: Option<u64>,
    /// Every list answer claims this many results.
    pub list_total: Option<u64>,
    /// Answer a progress/results poll 500.
    pub poll_error: f64,
    /// Close the connection of a progress/results poll without answering.
    pub poll_reset: f64,
    /// The server's clock runs this many seconds ahead of the machine's (negative: behind).
    pub clock_offset_secs: i64,
    /// Lead sources present at start, besides the built-in ones.
    pub preload_sources: u64,
    /// Lead stages present at start, besides the built-in ones.
    pub preload_stages: u64,
}

/// iVvy's limit on the jobs of one batch.
pub const DEFAULT_BATCH_MAX: usize = 200;

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 1,
            error: 0.0,
            reset: 0.0,
            drop: 0.0,
            hang: 0.0,
            hang_for: Duration::from_secs(60),
            latency: Duration::ZERO,
            limit: None,
            retry_after: None,
            revoke_after: None,
            batch_delay: Duration::ZERO,
            batch_max: DEFAULT_BATCH_MAX,
            batch_results: Misreport::None,
            batch_stuck: Stuck::No,
            list_delete_at: None,
            list_total: None,
            poll_error: 0.0,
            poll_reset: 0.0,
            clock_offset_secs: 0,
            preload_sources: 0,
            preload_stages: 0,
        }
    }
}

/// How a server may misreport a finished batch's results (`batch-results=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Misreport {
    /// One result per job, in job order.
    #[default]
    None,
    /// The results in reverse order.
    Reverse,
    /// The last result replaced by the answer to a job never sent (an update of record 3).
    Foreign,
    /// Every job applied, its answer `{"success": true}` without the record's id.
    NoId,
}

/// A batch that never finishes (`batch-stuck=…`): it is accepted and never applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stuck {
    #[default]
    No,
    /// Progress stays at 50.
    Half,
    /// Progress says 100 while results answer "not completed yet" (24114).
    Done,
}

/// What to do with one write (or one poll, which draws only `Error` or `Reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    None,
    Error,
    Reset,
    Drop,
    Hang,
}

impl Faults {
    /// Reads a comma-separated list of `key=value`; every key is optional:
    ///
    /// | key | value | default |
    /// |---|---|---|
    /// | `seed` | seed of every fault draw | 1 |
    /// | `error`, `reset`, `drop`, `hang` | rate of each write fault (see the fields) | 0 |
    /// | `hang-ms` | how long a `hang` answer waits | 60000 |
    /// | `latency-ms` | added before every answer | 0 |
    /// | `limit` | requests per second before 429 (0: none) | none |
    /// | `retry-after` | seconds in a 429's Retry-After | no header |
    /// | `revoke-after` | accepted writes before every call answers 463 | never |
    /// | `batch-delay-ms` | delay before a batch's jobs are applied | 0 |
    /// | `batch-max` | most jobs per batch run (at least 1) | 200 |
    /// | `batch-results` | `reverse`, `foreign` or `noid`: misreport finished batches | as sent |
    /// | `batch-stuck` | `half` or `done`: batches never finish (progress 50, or 100 with 24114) | no |
    /// | `list-delete-at` | the list call (from 1) before which a record is deleted | never |
    /// | `list-total` | the totalResults every list answer claims | the true count |
    /// | `poll-error`, `poll-reset` | rate of each fault on batch progress/results polls | 0 |
    /// | `clock-offset-s` | server clock minus machine clock, seconds (signed) | 0 |
    /// | `preload-sources`, `preload-stages` | records present at start | 0 |
    ///
    /// e.g. `seed=7,error=0.1,reset=0.1,drop=0.1,hang=0.1,hang-ms=2000,latency-ms=100,limit=20,retry-after=1`.
    /// The write rates together, and the poll rates together, are at most 1.
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("fault spec {part:?}: expected key=value"))?;
            f.set(k.trim(), v.trim())?;
        }
        if f.error + f.reset + f.drop + f.hang > 1.0 {
            return Err("fault spec: the fault rates add up to more than 1".into());
        }
        if f.poll_error + f.poll_reset > 1.0 {
            return Err("fault spec: the poll fault rates add up to more than 1".into());
        }
        Ok(f)
    }

    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "`num` admits finite non-negative numbers only: a cast drops a fraction or \
                  saturates at the type's largest value, as a fault spec may"
    )]
    fn set(&mut self, k: &str, v: &str) -> Result<(), String> {
        let num = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("fault spec {k}: {v:?} is not a non-negative number"))
        };
        let rate = |v: &str| -> Result<f64, String> {
            let n = num(v)?;
            if n > 1.0 {
                return Err(format!("fault spec {k}: a rate is between 0 and 1"));
            }
            Ok(n)
        };
        let ms = |v: &str| num(v).map(|n| Duration::from_millis(n as u64));
        match k {
            "seed" => self.seed = num(v)? as u64,
            "error" => self.error = rate(v)?,
            "reset" => self.reset = rate(v)?,
            "drop" => self.drop = rate(v)?,
            "hang" => self.hang = rate(v)?,
            "hang-ms" => self.hang_for = ms(v)?,
            "latency-ms" => self.latency = ms(v)?,
            "limit" => self.limit = Some(num(v)? as u32).filter(|l| *l > 0),
            "retry-after" => {
                self.retry_after =
                    Some(Duration::try_from_secs_f64(num(v)?).unwrap_or(Duration::MAX));
            }
            "revoke-after" => self.revoke_after = Some(num(v)? as u64),
            "batch-delay-ms" => self.batch_delay = ms(v)?,
            "batch-max" => {
                self.batch_max = Some(num(v)? as usize)
                    .filter(|m| *m > 0)
                    .ok_or_else(|| format!("fault spec {k}: at least 1"))?;
            }
            "batch-results" => {
                self.batch_results = match v {
                    "reverse" => Misreport::Reverse,
                    "foreign" => Misreport::Foreign,
                    "noid" => Misreport::NoId,
                    _ => return Err(format!("fault spec {k}: reverse, foreign or noid")),
                };
            }
            "batch-stuck" => {
                self.batch_stuck = match v {
                    "half" => Stuck::Half,
                    "done" => Stuck::Done,
                    _ => return Err(format!("fault spec {k}: half or done")),
                };
            }
            "list-delete-at" => self.list_delete_at = Some(num(v)? as u64),
            "list-total" => self.list_total = Some(num(v)? as u64),
            "poll-error" => self.poll_error = rate(v)?,
            "poll-reset" => self.poll_reset = rate(v)?,
            "clock-offset-s" => {
                self.clock_offset_secs = v
                    .parse::<i64>()
                    .map_err(|_| format!("fault spec {k}: {v:?} is not a whole number"))?;
            }
            "preload-sources" => self.preload_sources = num(v)? as u64,
            "preload-stages" => self.preload_stages = num(v)? as u64,
            _ => return Err(format!("fault spec: unknown key {k:?}")),
        }
        Ok(())
    }

    pub fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed)
    }

    /// The generator of poll faults: seeded like the write faults, drawn apart from them so
    /// polling does not move which writes fail.
    pub fn poll_rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// Draws the fault for one write.
    pub fn draw(&self, rng: &mut StdRng) -> WriteFault {
        pick(
            rng,
            &[
                (self.error, WriteFault::Error),
                (self.reset, WriteFault::Reset),
                (self.drop, WriteFault::Drop),
                (self.hang, WriteFault::Hang),
            ],
        )
    }

    /// Draws the fault for one progress/results poll: `None`, `Error` or `Reset`.
    pub fn draw_poll(&self, rng: &mut StdRng) -> WriteFault {
        pick(
            rng,
            &[
                (self.poll_error, WriteFault::Error),
                (self.poll_reset, WriteFault::Reset),
            ],
        )
    }
}

/// One draw over consecutive intervals of the rates; no draw at all when every rate is zero.
fn pick(rng: &mut StdRng, rates: &[(f64, WriteFault)]) -> WriteFault {
    if rates.iter().all(|(p, _)| *p == 0.0) {
        return WriteFault::None;
    }
    let r: f64 = rng.random();
    let mut edge = 0.0;
    for (p, fault) in rates {
        edge += p;
        if r < edge {
            return *fault;
        }
    }
    WriteFault::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_is_parsed_and_checked() {
        let f = Faults::parse("seed=7,error=0.1,drop=0.05,latency-ms=100,limit=20,retry-after=1")
            .unwrap();
        assert_eq!(f.seed, 7);
        assert_eq!(f.error, 0.1);
        assert_eq!(f.latency, Duration::from_millis(100));
        assert_eq!(f.limit, Some(20));
        assert!(Faults::parse("error=2").is_err());
        assert!(Faults::parse("error=0.6,reset=0.6").is_err());
        assert!(Faults::parse("bogus=1").is_err());
    }

    #[test]
    fn draws_are_deterministic_for_a_seed_and_near_their_rates() {
        let f = Faults::parse("seed=3,error=0.25,hang=0.25").unwrap();
        let draw = |f: &Faults| {
            let mut r = f.rng();
            (0..4000).map(|_| f.draw(&mut r)).collect::<Vec<_>>()
        };
        let a = draw(&f);
        assert_eq!(a, draw(&f));
        let errors = a.iter().filter(|d| **d == WriteFault::Error).count();
        assert!((800..1200).contains(&errors), "{errors}");
    }

    #[test]
    fn batch_poll_clock_and_preload_knobs_are_parsed() {
        let f = Faults::parse(
            "batch-delay-ms=250,batch-max=3,poll-error=0.2,poll-reset=0.3,clock-offset-s=-400,preload-sources=100000,preload-stages=7",
        )
        .unwrap();
        assert_eq!(f.batch_delay, Duration::from_millis(250));
        assert_eq!(f.batch_max, 3);
        assert_eq!((f.poll_error, f.poll_reset), (0.2, 0.3));
        assert_eq!(f.clock_offset_secs, -400);
        assert_eq!((f.preload_sources, f.preload_stages), (100_000, 7));
        assert_eq!(Faults::default().batch_max, 200);
        assert!(Faults::parse("batch-max=0").is_err());
        assert_eq!(
            Faults::parse("batch-results=reverse")
                .unwrap()
                .batch_results,
            Misreport::Reverse
        );
        assert!(Faults::parse("batch-results=shuffle").is_err());
        assert!(Faults::parse("clock-offset-s=1.5").is_err());
        assert!(Faults::parse("poll-error=0.6,poll-reset=0.6").is_err());
    }

    #[test]
    fn poll_faults_do_not_move_the_write_fault_sequence() {
        let writes_only = Faults::parse("seed=5,error=0.3").unwrap();
        let with_polls = Faults::parse("seed=5,error=0.3,poll-error=0.5").unwrap();
        let (mut a, mut b, mut polls) =
            (writes_only.rng(), with_polls.rng(), with_polls.poll_rng());
        let mut poll_errors = 0;
        for _ in 0..200 {
            assert_eq!(writes_only.draw(&mut a), with_polls.draw(&mut b));
            match with_polls.draw_poll(&mut polls) {
                WriteFault::Error => poll_errors += 1,
                WriteFault::None => {}
                other => panic!("a poll draws no {other:?}"),
            }
        }
        assert!((60..140).contains(&poll_errors), "{poll_errors}");
    }
}
