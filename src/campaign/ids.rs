//! Run and episode ids in the runbook's look: `run_YYYYMMDD_HHMMSS` and
//! `ep_YYYYMMDD_HHMMSS_N`. A second run started in the same second gets a suffix
//! (`run_YYYYMMDD_HHMMSS_2`, and its episodes `ep_YYYYMMDD_HHMMSS_2_N`).

use chrono::{DateTime, Utc};

/// The run id for a start time, made unique against `taken`.
pub fn run_id(start: DateTime<Utc>, taken: impl Fn(&str) -> bool) -> String {
    let base = format!("run_{}", start.format("%Y%m%d_%H%M%S"));
    if !taken(&base) {
        return base;
    }
    (2u64..)
        .map(|n| format!("{base}_{n}"))
        .find(|id| !taken(id))
        .unwrap_or(base)
}

/// The id of episode `n` (1-based) of a run.
pub fn episode_id(run_id: &str, n: u64) -> String {
    let stem = run_id.strip_prefix("run_").unwrap_or(run_id);
    format!("ep_{stem}_{n}")
}

/// Checks that a user-given run id has the shape tracka writes (guards paths built
/// from it: no separators, no `..`).
pub fn is_valid_run_id(id: &str) -> bool {
    id.starts_with("run_")
        && id.len() <= 64
        && id[4..].bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-12-12T13:17:14Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn ids_have_the_runbook_look() {
        let run = run_id(t(), |_| false);
        assert_eq!(run, "run_20251212_131714");
        assert_eq!(episode_id(&run, 1), "ep_20251212_131714_1");
    }

    #[test]
    fn same_second_runs_stay_unique() {
        let taken = ["run_20251212_131714", "run_20251212_131714_2"];
        let run = run_id(t(), |id| taken.contains(&id));
        assert_eq!(run, "run_20251212_131714_3");
        assert_eq!(episode_id(&run, 4), "ep_20251212_131714_3_4");
    }

    #[test]
    fn run_id_validation_rejects_paths() {
        assert!(is_valid_run_id("run_20251212_131714_2"));
        assert!(!is_valid_run_id("run_../../etc"));
        assert!(!is_valid_run_id("20251212"));
    }
}
