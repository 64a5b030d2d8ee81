//! Mock execution: a proposal run by the exact V3 engine on the episode's market tape
//! (`market::backtest`), with gas and swap costs, and the reward the agent learns from.
//! No I/O and no network: mock mode cannot reach Gateway or an RPC endpoint because
//! nothing here can build a client (those need an `exec::gate::RealModeGate`).

use serde::{Deserialize, Serialize};

use crate::agent::action::RebalanceRule;
use crate::agent::proposal::Proposal;
use crate::agent::reward::{reward_bps, RewardParts};
use crate::market::{
    self, BacktestReport, Capital, MarketError, MarketTape, PositionPlan, Rebalance,
};

/// What a mock episode pays for transactions and its own swaps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MockCosts {
    /// Gas of one transaction (mint, burn+collect, swap), in quote units.
    pub gas_cost_quote_per_tx: f64,
    /// The wallet's swap cost (pool fee and slippage), in basis points of the amount sold.
    pub swap_cost_bps: f64,
}

impl Default for MockCosts {
    /// An L1-like 2 USDC per transaction and 5 bps per swap.
    fn default() -> Self {
        MockCosts {
            gas_cost_quote_per_tx: 2.0,
            swap_cost_bps: 5.0,
        }
    }
}

/// The outcome of a mock execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MockExecution {
    pub report: BacktestReport,
    pub reward: RewardParts,
    /// Reward in basis points of the deployed capital (see `agent::reward`).
    pub reward_bps: f64,
}

/// The backtest plan that executes `proposal` from `open_ts` to `close_ts` (the tape's
/// end when `None`).
pub fn plan_for(
    proposal: &Proposal,
    open_ts: u64,
    close_ts: Option<u64>,
    costs: &MockCosts,
) -> PositionPlan {
    let rebalance = match proposal.rebalance {
        RebalanceRule::None => Rebalance::None,
        RebalanceRule::Recenter { after_minutes_out } => Rebalance::Recenter {
            after_minutes_out,
            width_ticks: proposal.tick_upper - proposal.tick_lower,
        },
    };
    PositionPlan {
        pool: proposal.pool_index,
        tick_lower: proposal.tick_lower,
        tick_upper: proposal.tick_upper,
        capital: Capital::Quote {
            amount: proposal.capital_quote,
        },
        open_ts,
        close_ts,
        rebalance,
        gas_cost_quote_per_tx: costs.gas_cost_quote_per_tx,
        swap_cost_bps: costs.swap_cost_bps,
    }
}

/// The reward's parts from a backtest report. The wallet value already reflects the
/// swap costs, so the position's own value is the wallet less fees plus those costs.
pub fn reward_parts(report: &BacktestReport) -> RewardParts {
    let wallet_value = report.final_value_quote + report.gas_cost_quote;
    RewardParts {
        lp_value_quote: wallet_value - report.fees_quote + report.swap_cost_quote,
        fees_quote: report.fees_quote,
        gas_quote: report.gas_cost_quote,
        swap_cost_quote: report.swap_cost_quote,
        hodl_value_quote: report.hodl_value_quote,
    }
}

/// Runs `proposal` on `tape` from `open_ts` to the end of the tape.
pub fn execute(
    tape: &MarketTape,
    proposal: &Proposal,
    open_ts: u64,
    costs: &MockCosts,
) -> Result<MockExecution, MarketError> {
    let plan = plan_for(proposal, open_ts, None, costs);
    let report = market::backtest::run(tape, &plan)?;
    let reward = reward_parts(&report);
    let reward_bps = reward_bps(&report, proposal.capital_quote);
    Ok(MockExecution {
        report,
        reward,
        reward_bps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::policy::policy_by_name;
    use crate::agent::state::LearningState;
    use crate::agent::{rng, tape_view};
    use crate::market::{generate, MarketSpec};

    #[test]
    fn reward_is_final_value_over_hodl_in_bps_of_capital() {
        let spec = MarketSpec {
            minutes: 240,
            ..Default::default()
        };
        let tape = generate(&spec, 7).unwrap();
        let open_ts = tape.start_ts() + 60 * 60;
        let ctx = tape_view::build(&tape, open_ts, None);
        let pools = tape_view::pools_at_open(&tape, open_ts, 10_000.0, 0.25).unwrap();
        let policy = policy_by_name("fixed:300").unwrap();
        let proposal = policy
            .propose(
                &ctx,
                &LearningState::default(),
                &pools,
                &mut rng::stream(1, 1, "propose"),
            )
            .unwrap();
        let costs = MockCosts::default();
        let out = execute(&tape, &proposal, open_ts, &costs).unwrap();
        let r = &out.report;
        let expected =
            (r.final_value_quote - r.hodl_value_quote) / proposal.capital_quote * 10_000.0;
        assert!(
            (out.reward_bps - expected).abs() < 1e-6,
            "{} vs {expected}",
            out.reward_bps
        );
        assert!(r.gas_cost_quote >= 2.0 * costs.gas_cost_quote_per_tx);
        assert_eq!(r.open_ts, open_ts);
        // deterministic
        let again = execute(&tape, &proposal, open_ts, &costs).unwrap();
        assert_eq!(out.reward_bps.to_bits(), again.reward_bps.to_bits());
    }
}
