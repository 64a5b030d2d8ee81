//! The reward: what the position earned over simply holding the tokens it started with.
//!
//! `reward = (LP value at close + fees collected − gas − swap costs − HODL value)
//!           / capital × 10 000`, in basis points of `capital`. The LP value is the
//! position's liquidity valued at the closing reference price, fees are everything
//! collected (including at rebalances), gas and swap costs are those paid by the
//! rebalance rule (and the open/close), and HODL is the value at the closing price of
//! the tokens first deposited.

use serde::{Deserialize, Serialize};

use crate::market::BacktestReport;

/// Reward of a backtest in basis points of `capital`: `(final value − HODL value) /
/// capital × 10 000`. The backtest's final value is the wallet after closing (position
/// value + every fee collected, net of rebalance swap costs) minus all gas, and its HODL
/// value is the wallet right after the opening split held to the close — so this is LP
/// value + fees − gas − swap costs − HODL (the opening split's cost is in both legs and
/// cancels). NaN when `capital` is not positive or a value is not finite (the gate turns
/// that into a skipped update).
pub fn reward_bps(report: &BacktestReport, capital: f64) -> f64 {
    if capital.is_nan() || capital <= 0.0 {
        return f64::NAN;
    }
    (report.final_value_quote - report.hodl_value_quote) / capital * 10_000.0
}

/// The amounts (quote units) the reward is made of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RewardParts {
    /// Value of the position's liquidity at close (without fees).
    pub lp_value_quote: f64,
    /// Fees collected.
    pub fees_quote: f64,
    /// Gas paid.
    pub gas_quote: f64,
    /// Swap costs paid (rebalancing swaps).
    pub swap_cost_quote: f64,
    /// Value at close of the tokens first deposited.
    pub hodl_value_quote: f64,
}

/// Reward in basis points of `capital`; NaN when `capital` is not positive (the gate
/// turns non-finite rewards into a skipped update).
pub fn reward_bps_from_parts(parts: &RewardParts, capital: f64) -> f64 {
    if capital.is_nan() || capital <= 0.0 {
        return f64::NAN;
    }
    let pnl = parts.lp_value_quote + parts.fees_quote
        - parts.gas_quote
        - parts.swap_cost_quote
        - parts.hodl_value_quote;
    pnl / capital * 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_is_excess_over_hodl_in_bps() {
        let p = RewardParts {
            lp_value_quote: 990.0,
            fees_quote: 25.0,
            gas_quote: 2.0,
            swap_cost_quote: 1.0,
            hodl_value_quote: 1000.0,
        };
        assert!((reward_bps_from_parts(&p, 1000.0) - 120.0).abs() < 1e-9);
        assert!(reward_bps_from_parts(&p, 0.0).is_nan());
        assert!(reward_bps_from_parts(&p, f64::NAN).is_nan());
    }
}
