//! Retry policy for Dune requests: exponential backoff with jitter on 429 / 502 / 503 /
//! 504 (as the official clients do: factor 0.5 s, 5 tries), honouring `Retry-After`
//! (seconds or an HTTP date) up to a cap.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// When and how long to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (≥ 1).
    pub max_tries: u32,
    /// Backoff before retry n (1-based) is `base · 2^(n-1)`, jittered to 50–100 %.
    pub base: Duration,
    /// Upper bound of a computed backoff.
    pub max_backoff: Duration,
    /// Upper bound honoured for a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_tries: 5,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Whether an HTTP status is worth retrying.
    pub fn is_retryable(status: u16) -> bool {
        matches!(status, 429 | 502 | 503 | 504)
    }

    /// The wait before retry number `retry` (1-based): the server's `Retry-After`
    /// when given (capped), else jittered exponential backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = 2u32.saturating_pow(retry.saturating_sub(1));
        let full = self.base.saturating_mul(exp).min(self.max_backoff);
        // operational jitter (spreads clients apart); not part of any hashed output
        let frac: f64 = rand::thread_rng().gen_range(0.5..=1.0);
        full.mul_f64(frac)
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let p = RetryPolicy::default();
        for retry in 1..=4u32 {
            let full = Duration::from_millis(500) * 2u32.pow(retry - 1);
            for _ in 0..50 {
                let d = p.delay(retry, None);
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
            }
        }
        assert!(p.delay(30, None) <= p.max_backoff);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(9999))),
            p.max_retry_after
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable(s));
        }
        for s in [200, 400, 401, 402, 403, 404, 409, 500] {
            assert!(!RetryPolicy::is_retryable(s));
        }
    }
}
