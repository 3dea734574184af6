//! Retry policies and backoff with seeded jitter.

use std::time::Duration;

use crate::rng::Rng;

/// How the delay between retries grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum RetryStrategy {
    /// The same delay every time.
    FixedDelay,
    /// `initial`, `initial²`, `initial³`… in milliseconds, as upstream (10 ms → 10, 100, 1000 ms).
    #[default]
    ExponentialBackoff,
    /// `initial`, `initial`, `2·initial`, `3·initial`, `5·initial`…
    FibonacciBackoff,
}

/// A retry policy, with upstream's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// First delay.
    pub initial_delay: Duration,
    /// Cap on any delay.
    pub max_delay: Duration,
    /// Overall time limit from the first attempt.
    pub timeout: Duration,
    /// Growth of the delay.
    pub strategy: RetryStrategy,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(200),
            timeout: Duration::from_secs(300),
            strategy: RetryStrategy::ExponentialBackoff,
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (1-based), without jitter.
    pub fn delay(&self, attempt: usize) -> Duration {
        let initial = self.initial_delay.as_millis().max(1);
        let ms: u128 = match self.strategy {
            RetryStrategy::FixedDelay => initial,
            RetryStrategy::ExponentialBackoff => {
                let exp = u32::try_from(attempt.max(1)).unwrap_or(u32::MAX);
                initial.checked_pow(exp).unwrap_or(u128::MAX)
            }
            RetryStrategy::FibonacciBackoff => {
                let (mut a, mut b) = (initial, initial);
                for _ in 1..attempt.max(1) {
                    let next = a.saturating_add(b);
                    a = b;
                    b = next;
                }
                a
            }
        };
        let capped = ms.min(self.max_delay.as_millis());
        Duration::from_millis(u64::try_from(capped).unwrap_or(u64::MAX))
    }
}

/// Reconnect backoff: grows by `factor` from `min` to `max`, with ±`jitter` spread.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    factor: f64,
    jitter: f64,
    current: Duration,
}

impl Backoff {
    /// A backoff from `min` to `max`, multiplying by `factor`, spreading by `jitter` (0..1).
    pub fn new(min: Duration, max: Duration, factor: f64, jitter: f64) -> Self {
        Self {
            min,
            max,
            factor: factor.max(1.0),
            jitter: jitter.clamp(0.0, 1.0),
            current: min,
        }
    }

    /// The next delay, randomised by `rng`.
    pub fn next_delay(&mut self, rng: &mut Rng) -> Duration {
        let base = self.current;
        self.current = base.mul_f64(self.factor).min(self.max);
        let spread = 1.0 + self.jitter * (2.0 * rng.unit() - 1.0);
        base.mul_f64(spread).clamp(Duration::ZERO, self.max)
    }

    /// Back to the minimum delay after a success.
    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_like_delays() {
        let p = RetryPolicy {
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let d: Vec<u64> = (1..=5).map(|i| p.delay(i).as_millis() as u64).collect();
        assert_eq!(d, vec![10, 100, 1000, 5000, 5000]);
        let f = RetryPolicy {
            strategy: RetryStrategy::FibonacciBackoff,
            ..p
        };
        let d: Vec<u64> = (1..=5).map(|i| f.delay(i).as_millis() as u64).collect();
        assert_eq!(d, vec![10, 10, 20, 30, 50]);
        let x = RetryPolicy {
            strategy: RetryStrategy::FixedDelay,
            ..p
        };
        assert_eq!(x.delay(9), Duration::from_millis(10));
    }

    #[test]
    fn backoff_grows_and_resets() {
        let mut rng = Rng::new(1);
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), 2.0, 0.0);
        let d: Vec<u128> = (0..6).map(|_| b.next_delay(&mut rng).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_delay(&mut rng), Duration::from_millis(100));
        let mut j = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), 1.0, 0.5);
        for _ in 0..100 {
            let d = j.next_delay(&mut rng).as_millis();
            assert!((50..=150).contains(&d), "{d}");
        }
    }
}
