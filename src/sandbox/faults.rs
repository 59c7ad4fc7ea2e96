//! Seeded, deterministic fault injection and latency for the emulator.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the emulator does wrong, and how often. All rates are per write request, in 0..=1.
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
    /// Requests per second the server accepts before answering 429 (None: no limit).
    pub limit: Option<u32>,
    /// The Retry-After header a 429 carries (None: no header).
    pub retry_after: Option<Duration>,
    /// After this many accepted writes, answer every request 463 (key revoked).
    pub revoke_after: Option<u64>,
}

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
        }
    }
}

/// What to do with one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    None,
    Error,
    Reset,
    Drop,
    Hang,
}

impl Faults {
    /// `seed=7,error=0.1,reset=0.1,drop=0.1,hang=0.1,hang-ms=2000,latency-ms=100,limit=20,retry-after=1`
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("fault spec {part:?}: expected key=value"))?;
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
            match k {
                "seed" => f.seed = num(v)? as u64,
                "error" => f.error = rate(v)?,
                "reset" => f.reset = rate(v)?,
                "drop" => f.drop = rate(v)?,
                "hang" => f.hang = rate(v)?,
                "hang-ms" => f.hang_for = Duration::from_millis(num(v)? as u64),
                "latency-ms" => f.latency = Duration::from_millis(num(v)? as u64),
                "limit" => f.limit = Some(num(v)? as u32).filter(|l| *l > 0),
                "retry-after" => f.retry_after = Some(Duration::from_secs_f64(num(v)?)),
                "revoke-after" => f.revoke_after = Some(num(v)? as u64),
                _ => return Err(format!("fault spec: unknown key {k:?}")),
            }
        }
        if f.error + f.reset + f.drop + f.hang > 1.0 {
            return Err("fault spec: the fault rates add up to more than 1".into());
        }
        Ok(f)
    }

    pub fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed)
    }

    /// Draws the fault for one write.
    pub fn draw(&self, rng: &mut StdRng) -> WriteFault {
        if self.error + self.reset + self.drop + self.hang == 0.0 {
            return WriteFault::None;
        }
        let r: f64 = rng.random();
        let mut edge = self.error;
        if r < edge {
            return WriteFault::Error;
        }
        edge += self.reset;
        if r < edge {
            return WriteFault::Reset;
        }
        edge += self.drop;
        if r < edge {
            return WriteFault::Drop;
        }
        edge += self.hang;
        if r < edge {
            return WriteFault::Hang;
        }
        WriteFault::None
    }
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
}
