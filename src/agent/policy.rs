//! Policies: the [`Policy`] trait, the baselines (passive full range, fixed width,
//! τ-reset) and [`policy_by_name`], the parser behind `--policy`.
//!
//! Names:
//!
//! | name | policy |
//! |---|---|
//! | `learner` | LinUCB learner, exploring, with sizing (training / campaigns) |
//! | `learner-greedy` | the same learner frozen: no exploration bonus |
//! | `learner-greedy-fullsize` | frozen, always deploying the whole budget |
//! | `passive` | full range, no rebalance |
//! | `fixed:<half_width_ticks>` | centred range of ±half ticks, no rebalance |
//! | `tau-reset:<half_width_ticks>:<minutes>` | centred ±half, re-centred after `minutes` out of range |
//! | `action:<key>` | one action of the learner's catalog, always, full budget (e.g. `action:s1:w100:up:hold`; for oracle tables) |
//!
//! Baselines deploy the whole budget in the pool with the largest pre-open volume share
//! (ties and no volume: the lowest fee); a suffix `@<fee>` (e.g. `fixed:300@3000`) pins
//! the fee tier instead.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use super::action::{
    action_key, catalog, ActionChoice, Candidate, PoolsAtOpen, RebalanceRule, Skew, Width,
};
use super::context::{Context, MAX_POOL_SLOTS};
use super::error::AgentError;
use super::learner::Learner;
use super::proposal::Proposal;
use super::state::LearningState;

/// A way of choosing a position.
pub trait Policy {
    /// The name `policy_by_name` accepts for this policy.
    fn name(&self) -> &str;

    /// Proposes a position for an episode. Uses only `ctx` (observable before the open),
    /// the learning state, the pools at the open and draws from `rng`.
    fn propose(
        &self,
        ctx: &Context,
        state: &LearningState,
        pools: &PoolsAtOpen,
        rng: &mut ChaCha8Rng,
    ) -> Result<Proposal, AgentError>;
}

/// A fixed rule: the same width and rebalance every time, full budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    name: String,
    pub width: Width,
    pub rebalance: RebalanceRule,
    /// Fee tier to use; `None`: the busiest pool.
    pub fee: Option<u32>,
}

impl Baseline {
    /// Passive full range.
    pub fn passive() -> Self {
        Baseline {
            name: "passive".into(),
            width: Width::Full,
            rebalance: RebalanceRule::None,
            fee: None,
        }
    }

    /// Fixed centred ±`half` ticks, never rebalanced.
    pub fn fixed(half: u32) -> Self {
        Baseline {
            name: format!("fixed:{half}"),
            width: Width::Ticks { half },
            rebalance: RebalanceRule::None,
            fee: None,
        }
    }

    /// Centred ±`half` ticks, re-centred after `minutes` out of range.
    pub fn tau_reset(half: u32, minutes: u32) -> Self {
        Baseline {
            name: format!("tau-reset:{half}:{minutes}"),
            width: Width::Ticks { half },
            rebalance: RebalanceRule::Recenter {
                after_minutes_out: minutes,
            },
            fee: None,
        }
    }

    /// The same rule pinned to the pool with fee `fee` (name gets `@<fee>`).
    pub fn at_fee(mut self, fee: u32) -> Self {
        self.name = format!("{}@{fee}", self.name);
        self.fee = Some(fee);
        self
    }
}

/// Slot with the largest pre-open volume share (lowest fee on ties or without volume).
fn busiest_slot(ctx: &Context, pools: &PoolsAtOpen) -> usize {
    let slots = pools.pools.len().min(MAX_POOL_SLOTS);
    let mut best = 0;
    let mut best_share = f64::NEG_INFINITY;
    for slot in 0..slots {
        let index = pools.slot(slot).map(|p| p.index);
        let share = ctx
            .pools
            .iter()
            .find(|s| Some(s.index) == index)
            .map_or(0.0, |s| s.volume_share);
        if share > best_share {
            best = slot;
            best_share = share;
        }
    }
    best
}

impl Policy for Baseline {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose(
        &self,
        ctx: &Context,
        _state: &LearningState,
        pools: &PoolsAtOpen,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Proposal, AgentError> {
        pools.validate(ctx.open_ts)?;
        let pool_slot = match self.fee {
            None => busiest_slot(ctx, pools),
            Some(fee) => (0..pools.pools.len().min(MAX_POOL_SLOTS))
                .find(|s| pools.slot(*s).is_some_and(|p| p.fee == fee))
                .ok_or(AgentError::NoPoolWithFee { fee })?,
        };
        let action = ActionChoice {
            index: None,
            key: action_key(pool_slot, self.width, Skew::Center, self.rebalance),
            pool_slot,
            width: self.width,
            skew: Skew::Center,
            rebalance: self.rebalance,
            size_fraction: 1.0,
        };
        Proposal::build(&self.name, action, ctx, pools, BTreeMap::new(), Vec::new())
    }
}

/// One catalog action played on every market with the whole budget: the per-action
/// rows of an oracle table (which action is best in hindsight, per regime).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogAction {
    name: String,
    index: usize,
    candidate: Candidate,
}

impl CatalogAction {
    /// The catalog action with key `key` (`s<slot>:<width>:<skew>:<rebalance>`).
    pub fn by_key(key: &str) -> Option<Self> {
        let (index, candidate) = catalog()
            .into_iter()
            .enumerate()
            .find(|(_, c)| c.key() == key)?;
        Some(CatalogAction {
            name: format!("action:{key}"),
            index,
            candidate,
        })
    }
}

impl Policy for CatalogAction {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose(
        &self,
        ctx: &Context,
        _state: &LearningState,
        pools: &PoolsAtOpen,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Proposal, AgentError> {
        let action = self.candidate.choice(Some(self.index), 1.0);
        Proposal::build(&self.name, action, ctx, pools, BTreeMap::new(), Vec::new())
    }
}

fn unknown(name: &str, reason: &str) -> AgentError {
    AgentError::UnknownPolicy {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

fn parse_positive(name: &str, what: &str, text: &str) -> Result<u32, AgentError> {
    match text.parse::<u32>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(unknown(
            name,
            &format!("{what} {text:?} is not a positive integer"),
        )),
    }
}

/// The policy named `name` (see the module docs for the grammar).
pub fn policy_by_name(name: &str) -> Result<Box<dyn Policy>, AgentError> {
    if let Some(key) = name.strip_prefix("action:") {
        return CatalogAction::by_key(key)
            .map(|a| Box::new(a) as Box<dyn Policy>)
            .ok_or_else(|| unknown(name, "no catalog action has this key"));
    }
    if let Some((base, fee)) = name.split_once('@') {
        let fee = match fee.parse::<u32>() {
            Ok(f) if f > 0 => f,
            _ => {
                return Err(unknown(
                    name,
                    &format!("fee {fee:?} is not a positive integer"),
                ))
            }
        };
        return baseline_by_name(base).map(|b| Box::new(b.at_fee(fee)) as Box<dyn Policy>);
    }
    if name.starts_with("learner") {
        return match name {
            "learner" => Ok(Box::new(Learner::new(name, true, true))),
            "learner-greedy" => Ok(Box::new(Learner::new(name, false, true))),
            "learner-greedy-fullsize" => Ok(Box::new(Learner::new(name, false, false))),
            _ => Err(unknown(name, "no such policy")),
        };
    }
    baseline_by_name(name).map(|b| Box::new(b) as Box<dyn Policy>)
}

/// A baseline by name (without a fee suffix).
fn baseline_by_name(name: &str) -> Result<Baseline, AgentError> {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["passive"] => Ok(Baseline::passive()),
        ["fixed", half] => Ok(Baseline::fixed(parse_positive(name, "half width", half)?)),
        ["tau-reset", half, minutes] => Ok(Baseline::tau_reset(
            parse_positive(name, "half width", half)?,
            parse_positive(name, "minutes", minutes)?,
        )),
        _ => Err(unknown(name, "no such policy")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::action::PoolAtOpen;
    use crate::agent::context::{from_history, History, PoolActivity};
    use crate::agent::rng::stream;

    fn setup() -> (Context, PoolsAtOpen) {
        let h = History {
            reference: &[],
            pools: vec![
                PoolActivity {
                    index: 0,
                    fee: 3000,
                    volume_quote: 10.0,
                    liquidity: 1.0,
                },
                PoolActivity {
                    index: 1,
                    fee: 500,
                    volume_quote: 30.0,
                    liquidity: 1.0,
                },
            ],
        };
        let ctx = from_history(&h, 0, None);
        let pools = PoolsAtOpen {
            pools: vec![
                PoolAtOpen {
                    index: 0,
                    fee: 3000,
                    tick_spacing: 60,
                    tick: -195_013,
                },
                PoolAtOpen {
                    index: 1,
                    fee: 500,
                    tick_spacing: 10,
                    tick: -195_013,
                },
            ],
            budget_quote: 10_000.0,
            min_size_fraction: 0.25,
        };
        (ctx, pools)
    }

    #[test]
    fn names_round_trip_and_bad_names_are_rejected() {
        for n in [
            "learner",
            "learner-greedy",
            "learner-greedy-fullsize",
            "passive",
            "fixed:600",
            "tau-reset:300:60",
            "passive@3000",
            "fixed:300@500",
            "tau-reset:300:60@3000",
            "action:s1:w100:up:hold",
            "action:s0:full:center:hold",
        ] {
            assert_eq!(policy_by_name(n).unwrap().name(), n);
        }
        for n in [
            "",
            "fixed",
            "fixed:0",
            "fixed:-5",
            "fixed:x",
            "tau-reset:300",
            "tau-reset:300:0",
            "greedy",
            "passive:1",
            "learner@500",
            "fixed:300@",
            "fixed:300@x",
            "fixed:300@0",
            "action:",
            "action:s1:w100:sideways:hold",
            "action:s9:w100:up:hold",
        ] {
            assert!(
                matches!(policy_by_name(n), Err(AgentError::UnknownPolicy { .. })),
                "{n}"
            );
        }
    }

    #[test]
    fn baselines_make_the_documented_positions() {
        let (ctx, pools) = setup();
        let state = LearningState::default();
        let mut rng = stream(1, 0, "propose");
        let p = policy_by_name("passive")
            .unwrap()
            .propose(&ctx, &state, &pools, &mut rng)
            .unwrap();
        // the busiest pool is the 0.05% one (tape index 1)
        assert_eq!((p.pool_index, p.fee, p.tick_spacing), (1, 500, 10));
        assert_eq!((p.tick_lower, p.tick_upper), (-887_270, 887_270));
        assert_eq!(p.capital_quote, 10_000.0);
        let p = policy_by_name("tau-reset:300:45")
            .unwrap()
            .propose(&ctx, &state, &pools, &mut rng)
            .unwrap();
        assert_eq!((p.tick_lower, p.tick_upper), (-195_320, -194_710));
        assert_eq!(
            p.rebalance,
            RebalanceRule::Recenter {
                after_minutes_out: 45
            }
        );
        assert!(p.draws.is_empty() && p.scores.is_empty());
        let p = policy_by_name("fixed:300@3000")
            .unwrap()
            .propose(&ctx, &state, &pools, &mut rng)
            .unwrap();
        assert_eq!((p.pool_index, p.fee, p.tick_spacing), (0, 3000, 60));
        assert_eq!((p.tick_lower, p.tick_upper), (-195_360, -194_700));
        assert!(matches!(
            policy_by_name("passive@100")
                .unwrap()
                .propose(&ctx, &state, &pools, &mut rng),
            Err(AgentError::NoPoolWithFee { fee: 100 })
        ));
        let json = serde_json::to_string(&p).unwrap();
        let back: Proposal = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn a_catalog_action_policy_plays_that_action_with_the_whole_budget() {
        let (ctx, pools) = setup();
        let state = LearningState::default();
        let mut rng = stream(1, 0, "propose");
        let p = policy_by_name("action:s1:w300:down:hold")
            .unwrap()
            .propose(&ctx, &state, &pools, &mut rng)
            .unwrap();
        assert_eq!(p.action.key, "s1:w300:down:hold");
        assert_eq!(
            p.action.index,
            Some(6 + crate::agent::action::CANDIDATES_PER_SLOT)
        );
        // slot 1 is the 0.3% pool (tape index 0)
        assert_eq!((p.pool_index, p.fee), (0, 3000));
        assert_eq!(p.capital_quote, 10_000.0);
        assert_eq!(p.rebalance, RebalanceRule::None);
    }

    #[test]
    fn learner_proposes_only_feasible_catalog_actions() {
        let (ctx, pools) = setup();
        let state = LearningState::default();
        let learner = policy_by_name("learner").unwrap();
        for ep in 0..20 {
            let mut rng = stream(3, ep, "propose");
            let p = learner.propose(&ctx, &state, &pools, &mut rng).unwrap();
            assert!(p.action.pool_slot < 2);
            assert_eq!(p.scores.len(), 28);
            assert_eq!(p.draws.len(), 28);
            assert_eq!(p.tick_lower % p.tick_spacing, 0);
            assert_eq!(p.tick_upper % p.tick_spacing, 0);
            assert!(p.scores.values().all(|s| s.is_finite()));
        }
        let mut empty = pools.clone();
        empty.pools.clear();
        let mut rng = stream(3, 0, "propose");
        assert!(matches!(
            learner.propose(&ctx, &state, &empty, &mut rng),
            Err(AgentError::NoPools { .. })
        ));
    }
}
