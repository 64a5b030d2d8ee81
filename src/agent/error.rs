//! The agent's error type: every way a context, proposal or learning update can be
//! rejected, each variant carrying the offending value.

use thiserror::Error;

/// Errors of the [`crate::agent`] module.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AgentError {
    /// `--policy` (or a campaign setting) named a policy that does not exist or whose
    /// parameters do not parse.
    #[error("unknown policy {name:?}: {reason} (known: learner, learner-greedy, learner-greedy-fullsize, passive, fixed:<half_width_ticks>, tau-reset:<half_width_ticks>:<minutes>, baselines optionally @<fee>)")]
    UnknownPolicy { name: String, reason: String },
    /// The market view offered no pool to provide liquidity in.
    #[error("no pools at open (ts {open_ts})")]
    NoPools { open_ts: u64 },
    /// A pool's tick spacing is not positive.
    #[error("pool {pool_index}: tick spacing {tick_spacing} is not positive")]
    BadTickSpacing {
        pool_index: usize,
        tick_spacing: i32,
    },
    /// A price needed to place a range is not finite and positive.
    #[error("{what}: price {price} is not finite and positive")]
    BadPrice { what: String, price: f64 },
    /// The capital budget is not finite and positive.
    #[error("capital budget {budget} is not finite and positive")]
    BadBudget { budget: f64 },
    /// A policy pinned to a fee tier the market does not have.
    #[error("no pool with fee {fee}")]
    NoPoolWithFee { fee: u32 },
    /// A feature vector has the wrong length.
    #[error("feature vector has {got} values, expected {expected}")]
    FeatureLength { got: usize, expected: usize },
    /// A feature value is NaN or infinite.
    #[error("feature {index} is not finite: {value}")]
    NonFiniteFeature { index: usize, value: f64 },
    /// A learning update's reward is NaN or infinite.
    #[error("reward {reward} is not finite")]
    NonFiniteReward { reward: f64 },
    /// A learning update names an action outside the candidate catalog.
    #[error("action index {index} is outside the catalog of {catalog_len} actions")]
    UnknownAction { index: usize, catalog_len: usize },
    /// A learning update was written by another schema version.
    #[error("learning update schema {got}, this build reads {expected}")]
    UpdateSchema { got: u32, expected: u32 },
    /// No feasible candidate action for the pools at open.
    #[error("no feasible candidate action for {pools} pool(s)")]
    NoFeasibleAction { pools: usize },
    /// A proposal whose action is not in the learner's catalog cannot train the learner.
    #[error("policy {policy:?} chose {action:?}, which is not a catalog action")]
    NotLearnable { policy: String, action: String },
    /// A learning state (e.g. read from JSON) whose arm statistics have the wrong sizes.
    #[error(
        "arm {arm}: statistics of sizes {xtx_len}/{xty_len} do not match the feature dimension"
    )]
    BadArm {
        arm: usize,
        xtx_len: usize,
        xty_len: usize,
    },
    /// The ridge system of one arm is not positive definite (should not happen with a
    /// positive ridge prior; reported rather than panicking).
    #[error("arm {arm}: ridge matrix is not positive definite")]
    NotPositiveDefinite { arm: usize },
}
