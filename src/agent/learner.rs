//! The learning policy: a disjoint LinUCB contextual bandit with a ridge prior over the
//! action [`catalog`].
//!
//! Per action `a`, with `A_a = Λ + Σ x xᵀ` and `b_a = Σ r x` from the
//! [`LearningState`] (`Λ` diagonal: [`RIDGE_LAMBDA_BIAS`] on the bias feature,
//! [`RIDGE_LAMBDA`] on the others, so context effects must earn their place against a
//! per-action mean), the estimate is `θ_a = A_a⁻¹ b_a`, the predicted reward
//! `μ_a = θ_aᵀ x` and its uncertainty `w_a = √(xᵀ A_a⁻¹ x)`. Exploring, the learner
//! scores `μ_a + α · s · w_a` (`s` = RMS reward seen so far, 100 bps before two
//! updates), after a warm-up that tries every feasible action [`MIN_PULLS`] times;
//! frozen (greedy), it scores the pessimistic `μ_a − β · s · w_a`, which
//! prefers well-measured actions over lucky rarely-tried ones. One uniform draw per
//! feasible candidate breaks exact ties (all arms tie before any learning). With sizing
//! on, the position deploys the minimum share of the budget only when even the optimistic
//! `μ + α · s · w` of the chosen action is negative (confidently losing), else all of it.

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::action::{catalog, PoolsAtOpen};
use super::context::{Context, FEATURE_DIM, FEATURE_NAMES, MAX_POOL_SLOTS};
use super::error::AgentError;
use super::linalg::{cholesky, dot, solve};
use super::policy::Policy;
use super::proposal::Proposal;
use super::state::LearningState;

/// Ridge prior strength on the context features (chosen on development markets of
/// another seed: 1 and 100 did worse than 10).
pub const RIDGE_LAMBDA: f64 = 10.0;
/// Ridge prior strength on the bias feature (index 0).
pub const RIDGE_LAMBDA_BIAS: f64 = 1.0;
/// The ridge prior on feature `i`: [`RIDGE_LAMBDA_BIAS`] on the bias and on the
/// volatility levels (which sum to the bias: they are per-volatility-level intercepts,
/// so an action's reward in calm markets is learned from calm markets rather than shrunk
/// toward its average over all markets), [`RIDGE_LAMBDA`] on the others.
pub fn ridge_lambda(i: usize) -> f64 {
    if i == 0
        || FEATURE_NAMES
            .get(i)
            .is_some_and(|n| n.starts_with("vol_level"))
    {
        RIDGE_LAMBDA_BIAS
    } else {
        RIDGE_LAMBDA
    }
}

/// Exploration multiplier α.
pub const UCB_ALPHA: f64 = 2.0;
/// While exploring, every feasible action is first tried this many times (least tried
/// first): with heavy-tailed rewards, UCB alone could lock onto an action that was lucky
/// early and never measure the others (seen on development markets).
pub const MIN_PULLS: u64 = 10;
/// Pessimism multiplier β of the frozen learner.
pub const FROZEN_BETA: f64 = 1.0;
/// Reward scale before the state has two updates (basis points).
pub const DEFAULT_REWARD_SCALE_BPS: f64 = 100.0;

/// Predicted reward of one action in one context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// `θᵀx`, basis points of deployed capital.
    pub mean: f64,
    /// `√(xᵀ A⁻¹ x)` (unitless; multiply by the reward scale).
    pub width: f64,
}

/// The ridge estimate of action `index` at features `x`.
pub fn estimate(state: &LearningState, index: usize, x: &[f64]) -> Result<Estimate, AgentError> {
    if x.len() != FEATURE_DIM {
        return Err(AgentError::FeatureLength {
            got: x.len(),
            expected: FEATURE_DIM,
        });
    }
    let d = FEATURE_DIM;
    let mut a = vec![0.0; d * d];
    let mut b = vec![0.0; d];
    if let Some(arm) = state.arms.get(&index) {
        if arm.xtx.len() != d * d || arm.xty.len() != d {
            return Err(AgentError::BadArm {
                arm: index,
                xtx_len: arm.xtx.len(),
                xty_len: arm.xty.len(),
            });
        }
        a.copy_from_slice(&arm.xtx);
        b.copy_from_slice(&arm.xty);
    }
    for i in 0..d {
        a[i * d + i] += ridge_lambda(i);
    }
    let l = cholesky(&a, d).ok_or(AgentError::NotPositiveDefinite { arm: index })?;
    let theta = solve(&l, d, &b);
    let z = solve(&l, d, x);
    Ok(Estimate {
        mean: dot(&theta, x),
        width: dot(x, &z).max(0.0).sqrt(),
    })
}

/// The learner as a [`Policy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Learner {
    name: String,
    /// Add the exploration bonus (training) or not (frozen, greedy).
    pub explore: bool,
    /// Shrink the position to the minimum share when the predicted reward is negative.
    pub sizing: bool,
}

impl Learner {
    /// A learner; `name` is what proposals record as their policy.
    pub fn new(name: &str, explore: bool, sizing: bool) -> Self {
        Learner {
            name: name.to_string(),
            explore,
            sizing,
        }
    }
}

impl Policy for Learner {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose(
        &self,
        ctx: &Context,
        state: &LearningState,
        pools: &PoolsAtOpen,
        rng: &mut ChaCha8Rng,
    ) -> Result<Proposal, AgentError> {
        pools.validate(ctx.open_ts)?;
        let slots = pools.pools.len().min(MAX_POOL_SLOTS);
        let scale = state.reward_rms().unwrap_or(DEFAULT_REWARD_SCALE_BPS);
        let mut scores = BTreeMap::new();
        let mut draws = Vec::new();
        // (priority key, draw, index, estimate) of the best so far
        let mut best: Option<((u8, f64), f64, usize, Estimate)> = None;
        for (index, cand) in catalog().iter().enumerate() {
            if cand.pool_slot >= slots {
                continue;
            }
            let est = estimate(state, index, &ctx.features)?;
            let pulls = state.arms.get(&index).map_or(0, |a| a.n);
            let score = if self.explore {
                est.mean + UCB_ALPHA * scale * est.width
            } else {
                est.mean - FROZEN_BETA * scale * est.width
            };
            let draw: f64 = rng.gen();
            draws.push(draw);
            scores.insert(cand.key(), score);
            // warm-up: while exploring, an action tried fewer than MIN_PULLS times goes
            // first (the least tried first); otherwise the highest score
            let key = if self.explore && pulls < MIN_PULLS {
                (1, -(pulls as f64))
            } else {
                (0, score)
            };
            let better = match best {
                None => true,
                Some((k, u, _, _)) => key > k || (key == k && draw > u),
            };
            if better {
                best = Some((key, draw, index, est));
            }
        }
        let (_, _, index, est) = best.ok_or(AgentError::NoFeasibleAction {
            pools: pools.pools.len(),
        })?;
        // exploring: shrink only when even the optimistic estimate loses; frozen: when
        // the expected reward of the chosen action is negative
        let sizing_score = if self.explore {
            est.mean + UCB_ALPHA * scale * est.width
        } else {
            est.mean
        };
        let size = if !self.sizing || sizing_score >= 0.0 {
            1.0
        } else {
            pools.min_size_fraction
        };
        let cand = catalog()[index];
        Proposal::build(
            &self.name,
            cand.choice(Some(index), size),
            ctx,
            pools,
            scores,
            draws,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::action::PoolAtOpen;
    use crate::agent::context::{from_history, History, PoolActivity};
    use crate::agent::rng::stream;
    use crate::agent::state::LearningUpdate;

    fn pools() -> PoolsAtOpen {
        PoolsAtOpen {
            pools: vec![
                PoolAtOpen {
                    index: 0,
                    fee: 500,
                    tick_spacing: 10,
                    tick: 0,
                },
                PoolAtOpen {
                    index: 1,
                    fee: 3000,
                    tick_spacing: 60,
                    tick: 0,
                },
            ],
            budget_quote: 1000.0,
            min_size_fraction: 0.25,
        }
    }

    /// A context whose trend feature is `up` or down.
    fn ctx(up: bool) -> Context {
        let prices: Vec<(u64, f64)> = (0..120)
            .map(|i| {
                let drift = if up { 1.0005f64 } else { 0.9995 };
                let wiggle = if i % 2 == 0 { 1.0002 } else { 0.9998 };
                (60 * i as u64, 100.0 * drift.powi(i) * wiggle)
            })
            .collect();
        let h = History {
            reference: &prices,
            pools: vec![PoolActivity {
                index: 0,
                fee: 500,
                volume_quote: 1.0,
                liquidity: 1.0,
            }],
        };
        from_history(&h, 60 * 120, None)
    }

    /// Trains the exploring learner on a toy market where `reward(ctx, action)` is the
    /// truth, and returns the final state.
    fn train(seed: u64, episodes: u64, reward: impl Fn(bool, usize) -> f64) -> LearningState {
        let learner = Learner::new("learner", true, true);
        let mut state = LearningState::default();
        let p = pools();
        let (c_up, c_down) = (ctx(true), ctx(false));
        for ep in 0..episodes {
            let mut rng = stream(seed, ep, "propose");
            let up = ep % 2 == 0;
            let c = if up { &c_up } else { &c_down };
            let prop = learner.propose(c, &state, &p, &mut rng).unwrap();
            let mut noise = stream(seed, ep, "noise");
            let r = reward(up, prop.action.index.unwrap()) + noise.gen_range(-10.0..10.0);
            let u = LearningUpdate::from_proposal(&prop, r).unwrap();
            state.apply(&u).unwrap();
        }
        state
    }

    fn greedy_choice(state: &LearningState, up: bool) -> Proposal {
        let greedy = Learner::new("learner-greedy", false, true);
        let mut rng = stream(0, 0, "propose");
        greedy.propose(&ctx(up), state, &pools(), &mut rng).unwrap()
    }

    #[test]
    fn converges_to_the_clearly_best_action() {
        // action 7 earns +40 bps, everything else loses 20
        let state = train(11, 600, |_, a| if a == 7 { 40.0 } else { -20.0 });
        for up in [true, false] {
            let p = greedy_choice(&state, up);
            assert_eq!(p.action.index, Some(7), "{:?}", p.scores);
            assert_eq!(p.action.size_fraction, 1.0);
        }
        // the bandit spent most of its post-warm-up episodes on the best action
        assert!(state.arms[&7].n > 250, "{}", state.arms[&7].n);
    }

    #[test]
    fn learns_the_context_dependent_best_action() {
        // skewed up (index 1) pays in up-trends, skewed down (index 2) in down-trends
        let state = train(12, 900, |up, a| match (up, a) {
            (true, 1) | (false, 2) => 30.0,
            _ => -15.0,
        });
        assert_eq!(greedy_choice(&state, true).action.index, Some(1));
        assert_eq!(greedy_choice(&state, false).action.index, Some(2));
    }

    #[test]
    fn shrinks_the_position_when_everything_loses() {
        let state = train(13, 1000, |_, a| if a == 3 { -5.0 } else { -60.0 });
        let p = greedy_choice(&state, true);
        assert_eq!(p.action.index, Some(3));
        assert_eq!(p.action.size_fraction, 0.25);
        assert_eq!(p.capital_quote, 250.0);
        let full = Learner::new("learner-greedy-fullsize", false, false);
        let mut rng = stream(0, 0, "propose");
        let p = full
            .propose(&ctx(true), &state, &pools(), &mut rng)
            .unwrap();
        assert_eq!(p.capital_quote, 1000.0);
    }

    #[test]
    fn same_seed_same_training_same_hash() {
        let f = |_: bool, a: usize| (a as f64 - 10.0) * 3.0;
        let a = train(21, 150, f);
        let b = train(21, 150, f);
        assert_eq!(a.hash(), b.hash());
        let c = train(22, 150, f);
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn warm_up_tries_every_feasible_action_first() {
        // one action pays far more, but the warm-up still measures every other one
        let k = 2 * crate::agent::action::CANDIDATES_PER_SLOT; // two pools
        let state = train(
            14,
            k as u64 * MIN_PULLS,
            |_, a| if a == 0 { 500.0 } else { 0.0 },
        );
        assert_eq!(state.arms.len(), k);
        assert!(state.arms.values().all(|a| a.n == MIN_PULLS));
    }

    #[test]
    fn untrained_estimates_are_the_prior() {
        let x = ctx(true).features;
        let e = estimate(&LearningState::default(), 0, &x).unwrap();
        assert_eq!(e.mean, 0.0);
        // A = diag(ridge_lambda(i)): λ_bias on the bias and the volatility levels
        let expect = x
            .iter()
            .enumerate()
            .map(|(i, v)| v * v / ridge_lambda(i))
            .sum::<f64>()
            .sqrt();
        let levels: f64 = x[16..].iter().map(|v| v * v).sum();
        assert!(levels > 0.0);
        let rest = dot(&x, &x) - 1.0 - levels;
        let by_hand = (1.0 / RIDGE_LAMBDA_BIAS * (1.0 + levels) + rest / RIDGE_LAMBDA).sqrt();
        assert!((expect - by_hand).abs() < 1e-12);
        assert!((e.width - expect).abs() < 1e-12, "{} {expect}", e.width);
        assert!(estimate(&LearningState::default(), 0, &x[..3]).is_err());
    }
}
