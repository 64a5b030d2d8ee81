//! The campaign's injectable clock. Wall time for ids and `recorded_at`; a fixed clock
//! (`--fixed-clock`) makes a run reproducible byte for byte. Durations in timings.json
//! use the monotonic clock and are excluded from reproducibility by design.

use chrono::{DateTime, SecondsFormat, Utc};

/// A source of "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// `now()` as the RFC 3339 string written into events (UTC, microseconds, `Z`).
    fn now_rfc3339(&self) -> String {
        rfc3339(self.now())
    }
}

/// Formats a time the way tracka writes it everywhere.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_formats_with_z_and_micros() {
        let t = DateTime::parse_from_rfc3339("2025-12-12T13:17:14Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(FixedClock(t).now_rfc3339(), "2025-12-12T13:17:14.000000Z");
    }
}
