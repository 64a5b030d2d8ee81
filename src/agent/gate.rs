//! Learning gates: whether an episode's outcome may update the learning state. Each
//! refusal has a [`SkipReason`], which the campaign records as a `learning.skipped`
//! event instead of a `learning.applied` one.
//!
//! Checked in this order: the episode failed; it ran in mock mode without
//! `LEARN_FROM_MOCK=true`; in real mode, the intel `fresh_pct` is below `min_fresh_pct`
//! (default 50; NaN counts as below); the reward is NaN or infinite.

use serde::{Deserialize, Serialize};

/// Default minimum share of fresh intel queries (percent) for learning in real mode.
pub const DEFAULT_MIN_FRESH_PCT: f64 = 50.0;

/// What the gates look at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateInput {
    /// The episode ran with `EXEC_MODE=mock`.
    pub exec_mode_is_mock: bool,
    /// `LEARN_FROM_MOCK=true`.
    pub learn_from_mock: bool,
    /// Intel hygiene's `fresh_pct` of the episode's snapshot (0–100).
    pub fresh_pct: f64,
    /// Threshold for `fresh_pct` in real mode.
    pub min_fresh_pct: f64,
    /// The episode failed (failure.json).
    pub episode_failed: bool,
    /// The reward the update would carry (ignored when the episode failed).
    pub reward: f64,
}

/// Why an update was skipped. Serialised tagged by `reason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The episode failed: there is no outcome to learn from.
    #[error("episode failed")]
    EpisodeFailed,
    /// Mock episode and `LEARN_FROM_MOCK` is not true.
    #[error("mock episode and LEARN_FROM_MOCK is not true")]
    MockEpisode,
    /// Real mode with too little fresh intel.
    #[error("intel fresh_pct {fresh_pct} below the minimum {min_fresh_pct}")]
    LowFreshPct { fresh_pct: f64, min_fresh_pct: f64 },
    /// The reward is NaN or infinite (written as text: JSON has no NaN).
    #[error("reward {reward} is not finite")]
    NonFiniteReward { reward: String },
}

impl SkipReason {
    /// Stable short name of the reason (`episode_failed`, `mock_episode`,
    /// `low_fresh_pct`, `non_finite_reward`).
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::EpisodeFailed => "episode_failed",
            SkipReason::MockEpisode => "mock_episode",
            SkipReason::LowFreshPct { .. } => "low_fresh_pct",
            SkipReason::NonFiniteReward { .. } => "non_finite_reward",
        }
    }
}

/// `Ok(())` when the outcome may be learned from, else the first reason it may not.
pub fn gate(input: &GateInput) -> Result<(), SkipReason> {
    if input.episode_failed {
        return Err(SkipReason::EpisodeFailed);
    }
    if input.exec_mode_is_mock && !input.learn_from_mock {
        return Err(SkipReason::MockEpisode);
    }
    let fresh_enough = input.fresh_pct.is_finite() && input.fresh_pct >= input.min_fresh_pct;
    if !input.exec_mode_is_mock && !fresh_enough {
        // JSON cannot carry NaN: report it as -1
        let clean = |x: f64| if x.is_finite() { x } else { -1.0 };
        return Err(SkipReason::LowFreshPct {
            fresh_pct: clean(input.fresh_pct),
            min_fresh_pct: clean(input.min_fresh_pct),
        });
    }
    if !input.reward.is_finite() {
        return Err(SkipReason::NonFiniteReward {
            reward: input.reward.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_real() -> GateInput {
        GateInput {
            exec_mode_is_mock: false,
            learn_from_mock: false,
            fresh_pct: 80.0,
            min_fresh_pct: DEFAULT_MIN_FRESH_PCT,
            episode_failed: false,
            reward: 12.5,
        }
    }

    #[test]
    fn a_good_real_episode_passes() {
        assert_eq!(gate(&ok_real()), Ok(()));
        let mut i = ok_real();
        i.fresh_pct = 50.0;
        assert_eq!(gate(&i), Ok(()));
    }

    #[test]
    fn mock_needs_learn_from_mock() {
        let mut i = ok_real();
        i.exec_mode_is_mock = true;
        i.fresh_pct = 0.0; // mock: freshness is not gated
        assert_eq!(gate(&i), Err(SkipReason::MockEpisode));
        i.learn_from_mock = true;
        assert_eq!(gate(&i), Ok(()));
    }

    #[test]
    fn low_freshness_in_real_mode() {
        let mut i = ok_real();
        i.fresh_pct = 28.6;
        assert_eq!(
            gate(&i),
            Err(SkipReason::LowFreshPct {
                fresh_pct: 28.6,
                min_fresh_pct: 50.0
            })
        );
        i.fresh_pct = f64::NAN;
        assert_eq!(gate(&i).unwrap_err().code(), "low_fresh_pct");
    }

    #[test]
    fn failed_episodes_and_bad_rewards() {
        let mut i = ok_real();
        i.episode_failed = true;
        i.reward = f64::NAN;
        assert_eq!(gate(&i), Err(SkipReason::EpisodeFailed));
        let mut i = ok_real();
        for r in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            i.reward = r;
            assert_eq!(gate(&i).unwrap_err().code(), "non_finite_reward");
        }
    }

    #[test]
    fn reasons_serialise_tagged() {
        let j = serde_json::to_string(&SkipReason::LowFreshPct {
            fresh_pct: 10.0,
            min_fresh_pct: 50.0,
        })
        .unwrap();
        assert_eq!(
            j,
            r#"{"reason":"low_fresh_pct","fresh_pct":10.0,"min_fresh_pct":50.0}"#
        );
        let back: SkipReason = serde_json::from_str(&j).unwrap();
        assert_eq!(back.code(), "low_fresh_pct");
        assert_eq!(
            serde_json::to_string(&SkipReason::MockEpisode).unwrap(),
            r#"{"reason":"mock_episode"}"#
        );
    }
}
