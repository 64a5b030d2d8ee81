//! Quality of one cache entry (fresh / stale / too_old / missing) from its age and the
//! query's `ttl_s` and `max_age_s`, and the hygiene summary over a snapshot, in the
//! runbook's `intel_hygiene` shape.

use serde::{Deserialize, Serialize};

/// How usable a cached result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// age < ttl_s.
    Fresh,
    /// ttl_s ≤ age < max_age_s.
    Stale,
    /// age ≥ max_age_s.
    TooOld,
    /// No (readable) cache entry.
    Missing,
}

impl Quality {
    /// Quality of an entry `age_s` seconds old (None: no entry). A negative age (an
    /// entry stamped in the future, clock skew) counts as age 0.
    pub fn classify(age_s: Option<i64>, ttl_s: u64, max_age_s: u64) -> Self {
        let Some(age) = age_s else {
            return Quality::Missing;
        };
        let age = u64::try_from(age).unwrap_or(0);
        if age < ttl_s {
            Quality::Fresh
        } else if age < max_age_s {
            Quality::Stale
        } else {
            Quality::TooOld
        }
    }

    /// The runbook's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Fresh => "fresh",
            Quality::Stale => "stale",
            Quality::TooOld => "too_old",
            Quality::Missing => "missing",
        }
    }

    /// Whether the scheduler should refresh it (anything but fresh).
    pub fn needs_refresh(self) -> bool {
        self != Quality::Fresh
    }
}

/// The runbook's `intel_hygiene` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hygiene {
    pub total_queries: u32,
    pub fresh: u32,
    pub stale: u32,
    pub missing_or_too_old: u32,
    /// fresh / total × 100, rounded to one decimal (0.0 when there are no queries).
    pub fresh_pct: f64,
}

impl Hygiene {
    /// Summarises a set of qualities.
    pub fn from_qualities<I: IntoIterator<Item = Quality>>(qualities: I) -> Self {
        let (mut total, mut fresh, mut stale, mut bad) = (0u32, 0u32, 0u32, 0u32);
        for q in qualities {
            total += 1;
            match q {
                Quality::Fresh => fresh += 1,
                Quality::Stale => stale += 1,
                Quality::TooOld | Quality::Missing => bad += 1,
            }
        }
        let fresh_pct = if total == 0 {
            0.0
        } else {
            // integer rounding half-up on tenths of a percent: exact, no float drift
            let tenths = (u64::from(fresh) * 2000 + u64::from(total)) / (2 * u64::from(total));
            tenths as f64 / 10.0
        };
        Hygiene {
            total_queries: total,
            fresh,
            stale,
            missing_or_too_old: bad,
            fresh_pct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_boundaries() {
        assert_eq!(Quality::classify(None, 10, 20), Quality::Missing);
        assert_eq!(Quality::classify(Some(-5), 10, 20), Quality::Fresh);
        assert_eq!(Quality::classify(Some(0), 10, 20), Quality::Fresh);
        assert_eq!(Quality::classify(Some(9), 10, 20), Quality::Fresh);
        assert_eq!(Quality::classify(Some(10), 10, 20), Quality::Stale);
        assert_eq!(Quality::classify(Some(19), 10, 20), Quality::Stale);
        assert_eq!(Quality::classify(Some(20), 10, 20), Quality::TooOld);
    }

    #[test]
    fn hygiene_matches_runbook_examples() {
        use Quality::*;
        let h = Hygiene::from_qualities([Fresh, Fresh, Stale, Missing, Missing, TooOld, Missing]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"total_queries":7,"fresh":2,"stale":1,"missing_or_too_old":4,"fresh_pct":28.6}"#
        );
        let h = Hygiene::from_qualities([Fresh, Fresh, Fresh, Fresh, Fresh, Stale, Missing]);
        assert_eq!(h.fresh_pct, 71.4);
        assert_eq!(h.missing_or_too_old, 1);
        assert_eq!(Hygiene::from_qualities([Fresh; 3]).fresh_pct, 100.0);
        assert_eq!(
            Hygiene::from_qualities([Fresh, Missing, Missing]).fresh_pct,
            33.3
        );
        assert_eq!(
            Hygiene::from_qualities([Fresh, Fresh, Missing]).fresh_pct,
            66.7
        );
        assert_eq!(Hygiene::from_qualities([]).fresh_pct, 0.0);
    }

    #[test]
    fn quality_wire_names() {
        let v = serde_json::to_value([
            Quality::Fresh,
            Quality::Stale,
            Quality::TooOld,
            Quality::Missing,
        ])
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!(["fresh", "stale", "too_old", "missing"])
        );
        for q in [
            Quality::Fresh,
            Quality::Stale,
            Quality::TooOld,
            Quality::Missing,
        ] {
            assert_eq!(serde_json::to_value(q).unwrap(), q.as_str());
        }
    }
}
