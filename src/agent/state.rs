//! Learning state as a pure fold over learning events.
//!
//! [`LearningState::default`] is the state before any learning; [`LearningState::apply`]
//! folds one [`LearningUpdate`] (the payload the campaign records as `learning.applied`).
//! The live agent and replay call the same `apply`, and every floating-point operation
//! runs in a fixed order, so replaying the recorded updates reproduces the state bit for
//! bit; [`LearningState::hash`] attests it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::action::catalog;
use super::context::FEATURE_DIM;
use super::error::AgentError;
use super::proposal::Proposal;

/// Schema version of [`LearningUpdate`].
pub const UPDATE_SCHEMA: u32 = 1;

/// Domain-separation prefix of the state hash.
const HASH_DOMAIN: &[u8] = b"tracka/agent/learning-state/v1\0";

/// One learning event: the action taken, the context features it was taken in, and the
/// reward it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningUpdate {
    /// [`UPDATE_SCHEMA`] at the time of writing.
    pub schema: u32,
    /// Index of the action in [`catalog`].
    pub action_index: usize,
    /// The action's stable name (for readers; not used by the fold).
    pub action_key: String,
    /// The context's feature vector ([`FEATURE_DIM`] finite values).
    pub features: Vec<f64>,
    /// Reward in basis points of the capital the position deployed.
    pub reward_bps: f64,
}

impl LearningUpdate {
    /// The update for a learner's proposal and the reward it earned (basis points of the
    /// deployed capital, see [`super::reward::reward_bps`]).
    pub fn from_proposal(proposal: &Proposal, reward_bps: f64) -> Result<Self, AgentError> {
        let action_index = proposal
            .action
            .index
            .ok_or_else(|| AgentError::NotLearnable {
                policy: proposal.policy.clone(),
                action: proposal.action.key.clone(),
            })?;
        let u = LearningUpdate {
            schema: UPDATE_SCHEMA,
            action_index,
            action_key: proposal.action.key.clone(),
            features: proposal.context.features.clone(),
            reward_bps,
        };
        u.validate()?;
        Ok(u)
    }

    /// Checks what the fold relies on.
    pub fn validate(&self) -> Result<(), AgentError> {
        if self.schema != UPDATE_SCHEMA {
            return Err(AgentError::UpdateSchema {
                got: self.schema,
                expected: UPDATE_SCHEMA,
            });
        }
        let catalog_len = catalog().len();
        if self.action_index >= catalog_len {
            return Err(AgentError::UnknownAction {
                index: self.action_index,
                catalog_len,
            });
        }
        if self.features.len() != FEATURE_DIM {
            return Err(AgentError::FeatureLength {
                got: self.features.len(),
                expected: FEATURE_DIM,
            });
        }
        if let Some((index, value)) = self
            .features
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(AgentError::NonFiniteFeature {
                index,
                value: *value,
            });
        }
        if !self.reward_bps.is_finite() {
            return Err(AgentError::NonFiniteReward {
                reward: self.reward_bps,
            });
        }
        Ok(())
    }
}

/// Sufficient statistics of one action's ridge regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmStats {
    /// Updates applied to this arm.
    pub n: u64,
    /// Σ x xᵀ, row-major `FEATURE_DIM × FEATURE_DIM`.
    pub xtx: Vec<f64>,
    /// Σ r x.
    pub xty: Vec<f64>,
    /// Σ r.
    pub reward_sum: f64,
    /// Σ r².
    pub reward_sq_sum: f64,
}

impl Default for ArmStats {
    fn default() -> Self {
        ArmStats {
            n: 0,
            xtx: vec![0.0; FEATURE_DIM * FEATURE_DIM],
            xty: vec![0.0; FEATURE_DIM],
            reward_sum: 0.0,
            reward_sq_sum: 0.0,
        }
    }
}

/// The learner's whole state: per action, the sufficient statistics of its ridge
/// regression of reward on context features.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearningState {
    /// Updates applied in all.
    pub updates: u64,
    /// Per action index, only actions that were ever updated.
    pub arms: BTreeMap<usize, ArmStats>,
}

impl LearningState {
    /// Folds one update into the state. A rejected update (see
    /// [`LearningUpdate::validate`]) leaves the state unchanged.
    pub fn apply(&mut self, update: &LearningUpdate) -> Result<(), AgentError> {
        update.validate()?;
        let d = FEATURE_DIM;
        let x = &update.features;
        let r = update.reward_bps;
        if let Some(arm) = self.arms.get(&update.action_index) {
            // a state read from JSON may carry arms of the wrong size
            if arm.xtx.len() != d * d || arm.xty.len() != d {
                return Err(AgentError::BadArm {
                    arm: update.action_index,
                    xtx_len: arm.xtx.len(),
                    xty_len: arm.xty.len(),
                });
            }
        }
        let arm = self.arms.entry(update.action_index).or_default();
        for i in 0..d {
            for j in 0..d {
                arm.xtx[i * d + j] += x[i] * x[j];
            }
            arm.xty[i] += r * x[i];
        }
        arm.n += 1;
        arm.reward_sum += r;
        arm.reward_sq_sum += r * r;
        self.updates += 1;
        Ok(())
    }

    /// Folds a sequence of updates, stopping at the first rejected one.
    pub fn replay<'a>(
        updates: impl IntoIterator<Item = &'a LearningUpdate>,
    ) -> Result<Self, AgentError> {
        let mut s = LearningState::default();
        for u in updates {
            s.apply(u)?;
        }
        Ok(s)
    }

    /// blake3 over the canonical encoding: domain ‖ FEATURE_DIM u64 ‖ updates u64 ‖ arm
    /// count u64 ‖ per arm in index order (index u64, n u64, xtx, xty, reward_sum,
    /// reward_sq_sum), integers and `f64::to_bits` little-endian, −0.0 written as 0.0.
    pub fn hash(&self) -> [u8; 32] {
        blake3::hash(&self.canonical_bytes()).into()
    }

    /// The canonical encoding [`LearningState::hash`] hashes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let per_arm = 8 * (5 + FEATURE_DIM * FEATURE_DIM + FEATURE_DIM + 2);
        let mut out = Vec::with_capacity(HASH_DOMAIN.len() + 24 + self.arms.len() * per_arm);
        out.extend_from_slice(HASH_DOMAIN);
        let u = |out: &mut Vec<u8>, x: u64| out.extend_from_slice(&x.to_le_bytes());
        let f = |out: &mut Vec<u8>, x: f64| {
            let x = if x == 0.0 { 0.0 } else { x };
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        };
        u(&mut out, FEATURE_DIM as u64);
        u(&mut out, self.updates);
        u(&mut out, self.arms.len() as u64);
        for (index, arm) in &self.arms {
            u(&mut out, *index as u64);
            u(&mut out, arm.n);
            u(&mut out, arm.xtx.len() as u64);
            for x in &arm.xtx {
                f(&mut out, *x);
            }
            u(&mut out, arm.xty.len() as u64);
            for x in &arm.xty {
                f(&mut out, *x);
            }
            f(&mut out, arm.reward_sum);
            f(&mut out, arm.reward_sq_sum);
        }
        out
    }

    /// [`LearningState::hash`] as lowercase hex.
    pub fn hash_hex(&self) -> String {
        self.hash().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Root-mean-square of all rewards seen, the learner's reward scale (`None` before
    /// two updates).
    pub fn reward_rms(&self) -> Option<f64> {
        if self.updates < 2 {
            return None;
        }
        let mut sq = 0.0;
        for arm in self.arms.values() {
            sq += arm.reward_sq_sum;
        }
        Some((sq / self.updates as f64).sqrt()).filter(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn random_updates(n: usize, seed: u64) -> Vec<LearningUpdate> {
        let mut rng = crate::agent::rng::stream(seed, 0, "test");
        let k = catalog().len();
        (0..n)
            .map(|_| LearningUpdate {
                schema: UPDATE_SCHEMA,
                action_index: rng.gen_range(0..k),
                action_key: String::new(),
                features: (0..FEATURE_DIM).map(|_| rng.gen_range(-3.0..3.0)).collect(),
                reward_bps: rng.gen_range(-500.0..500.0) / 3.0,
            })
            .collect()
    }

    #[test]
    fn replay_through_json_is_bit_identical() {
        let updates = random_updates(500, 7);
        let mut live = LearningState::default();
        for u in &updates {
            live.apply(u).unwrap();
        }
        let json = serde_json::to_string(&updates).unwrap();
        let back: Vec<LearningUpdate> = serde_json::from_str(&json).unwrap();
        let replayed = LearningState::replay(&back).unwrap();
        assert_eq!(live.hash(), replayed.hash());
        assert_eq!(live, replayed);
        // and the state itself round-trips through JSON
        let s: LearningState =
            serde_json::from_str(&serde_json::to_string(&live).unwrap()).unwrap();
        assert_eq!(s.hash(), live.hash());
    }

    #[test]
    fn hash_sees_every_update_and_its_order_of_arms() {
        let updates = random_updates(20, 8);
        let a = LearningState::replay(&updates).unwrap();
        let b = LearningState::replay(&updates[..19]).unwrap();
        assert_ne!(a.hash(), b.hash());
        let mut tweaked = updates.clone();
        tweaked[3].reward_bps = f64::from_bits(tweaked[3].reward_bps.to_bits() ^ 1);
        assert_ne!(a.hash(), LearningState::replay(&tweaked).unwrap().hash());
        assert_ne!(LearningState::default().hash(), a.hash());
        // −0.0 and 0.0 encode alike
        let mut z = a.clone();
        if let Some(arm) = z.arms.values_mut().next() {
            arm.reward_sum = 0.0;
        }
        let mut nz = z.clone();
        if let Some(arm) = nz.arms.values_mut().next() {
            arm.reward_sum = -0.0;
        }
        assert_eq!(z.hash(), nz.hash());
    }

    #[test]
    fn rejected_updates_change_nothing() {
        let mut s = LearningState::replay(&random_updates(10, 9)).unwrap();
        let before = s.hash();
        let good = random_updates(1, 10).remove(0);
        let mut bad = vec![];
        let mut u = good.clone();
        u.reward_bps = f64::NAN;
        bad.push(u);
        let mut u = good.clone();
        u.features[2] = f64::INFINITY;
        bad.push(u);
        let mut u = good.clone();
        u.features.pop();
        bad.push(u);
        let mut u = good.clone();
        u.action_index = catalog().len();
        bad.push(u);
        let mut u = good.clone();
        u.schema = 99;
        bad.push(u);
        for u in &bad {
            assert!(s.apply(u).is_err(), "{u:?}");
            assert_eq!(s.hash(), before);
        }
        s.apply(&good).unwrap();
        assert_ne!(s.hash(), before);
        // a malformed state (e.g. edited JSON) is an error, not a panic
        let mut broken = s.clone();
        if let Some(arm) = broken.arms.get_mut(&good.action_index) {
            arm.xtx.pop();
        }
        let h = broken.hash();
        assert!(matches!(
            broken.apply(&good),
            Err(AgentError::BadArm { .. })
        ));
        assert_eq!(broken.hash(), h);
    }
}
