//! The proposal: a concrete position (pool, spacing-aligned ticks, capital, rebalance
//! rule) together with the action, context, per-candidate scores and random draws that
//! explain it. Written as proposal.json by the campaign.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::action::{range_ticks, ActionChoice, PoolsAtOpen, RebalanceRule, Width};
use super::context::Context;
use super::error::AgentError;

/// A concrete liquidity position and why it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Name of the policy that proposed (as accepted by `policy_by_name`).
    pub policy: String,
    /// Fee of the chosen pool (hundredths of a bip).
    pub fee: u32,
    pub tick_spacing: i32,
    /// Index of the chosen pool in the tape.
    pub pool_index: usize,
    /// Aligned to `tick_spacing`, inside the usable range, `tick_lower < tick_upper`.
    pub tick_lower: i32,
    pub tick_upper: i32,
    /// Capital deployed, in quote units (`budget × action.size_fraction`).
    pub capital_quote: f64,
    pub rebalance: RebalanceRule,
    /// The action these numbers come from.
    pub action: ActionChoice,
    /// What the policy knew.
    pub context: Context,
    /// Score per candidate action key (the learner's; empty for fixed baselines).
    pub scores: BTreeMap<String, f64>,
    /// The random draws used, in order.
    pub draws: Vec<f64>,
}

impl Proposal {
    /// Turns an action into a proposal on the pools at open.
    pub fn build(
        policy: &str,
        action: ActionChoice,
        ctx: &Context,
        pools: &PoolsAtOpen,
        scores: BTreeMap<String, f64>,
        draws: Vec<f64>,
    ) -> Result<Proposal, AgentError> {
        pools.validate(ctx.open_ts)?;
        let pool = pools
            .slot(action.pool_slot)
            .ok_or(AgentError::NoFeasibleAction {
                pools: pools.pools.len(),
            })?;
        let (tick_lower, tick_upper) =
            range_ticks(pool.tick, pool.tick_spacing, action.width, action.skew);
        let mut action = action;
        action.size_fraction = pools.clamp_size(action.size_fraction);
        // the full range never leaves range: a re-center rule would never fire
        if action.width == Width::Full {
            action.rebalance = RebalanceRule::None;
        }
        Ok(Proposal {
            policy: policy.to_string(),
            fee: pool.fee,
            tick_spacing: pool.tick_spacing,
            pool_index: pool.index,
            tick_lower,
            tick_upper,
            capital_quote: pools.budget_quote * action.size_fraction,
            rebalance: action.rebalance,
            action,
            context: ctx.clone(),
            scores,
            draws,
        })
    }
}
