//! The reward of a completed real episode, from Gateway's own answers: the same
//! definition as in mock mode (`agent::reward`), LP value + fees − gas − HODL, in basis
//! points of the capital.
//!
//! Amounts come from the transaction answers: open-position (tokens added, gas),
//! collect-fees (fees, gas), close-position (tokens removed, fees, gas). Everything is
//! valued in the quote token at the closing price, the last position-info `price` seen
//! while holding (token1 per token0, Gateway's orientation), else the pool-info price at
//! the open. Gas is paid in the network's native currency and is valued through the
//! pool when one of its tokens is the network's `gas_token`; otherwise the reward is
//! unknown (`None`) and the learning gate skips the update.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::real::RealRecord;
use crate::agent::reward::{reward_bps_from_parts, RewardParts};

/// One of the pool's two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// token0 (Gateway's base).
    Token0,
    /// token1 (Gateway's quote).
    Token1,
}

/// How to value the pool's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Valuation {
    /// The token values are expressed in (the campaign's quote asset, e.g. USDC).
    pub quote: Side,
    /// The pool token that wraps the native currency gas is paid in, if any.
    pub gas: Option<Side>,
}

/// What a completed real episode earned, in quote units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RealPnl {
    /// Price (token1 per token0) the position was valued at.
    pub close_price: f64,
    /// token0 / token1 deposited.
    pub added: (f64, f64),
    /// token0 / token1 withdrawn at close (without fees).
    pub removed: (f64, f64),
    /// token0 / token1 fees collected (collect-fees and close-position).
    pub fees: (f64, f64),
    /// Gas paid in the native currency, summed over the transactions.
    pub gas_native: f64,
    /// The parts in quote units (gas 0 when it cannot be valued).
    pub parts: RewardParts,
    /// Whether gas could be valued in the quote token.
    pub gas_valued: bool,
    /// Reward in basis points of the capital; `None` when gas cannot be valued or a
    /// value is not finite.
    pub reward_bps: Option<f64>,
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn data_of<'a>(records: &'a [RealRecord], step: &str) -> Option<&'a Value> {
    records
        .iter()
        .rev()
        .find(|r| r.step == step)
        .and_then(|r| r.response.as_ref())
        .and_then(|resp| resp.get("data"))
        .filter(|d| !d.is_null())
}

fn close_price(records: &[RealRecord]) -> Option<f64> {
    let positive = |p: f64| (p.is_finite() && p > 0.0).then_some(p);
    let last_poll = records
        .iter()
        .rev()
        .filter(|r| r.step == "position_info")
        .find_map(|r| {
            r.response
                .as_ref()?
                .get("price")?
                .as_f64()
                .and_then(positive)
        });
    last_poll.or_else(|| {
        records
            .iter()
            .rev()
            .filter(|r| r.step == "pool_info")
            .find_map(|r| {
                r.response
                    .as_ref()?
                    .get("price")?
                    .as_f64()
                    .and_then(positive)
            })
    })
}

/// The value of `(amount0, amount1)` in the `quote` token at `price` (token1 per token0).
pub fn value_in(quote: Side, price: f64, amounts: (f64, f64)) -> f64 {
    match quote {
        Side::Token1 => amounts.0 * price + amounts.1,
        Side::Token0 => amounts.0 + amounts.1 / price,
    }
}

/// The reward of a completed episode from its records; `None` when the records lack the
/// open or close answer or a price.
pub fn real_pnl(records: &[RealRecord], valuation: Valuation, capital: f64) -> Option<RealPnl> {
    let opened = data_of(records, "open_position")?;
    let closed = data_of(records, "close_position")?;
    let collected = data_of(records, "collect_fees");
    let price = close_price(records)?;
    let added = (
        num(opened, "baseTokenAmountAdded"),
        num(opened, "quoteTokenAmountAdded"),
    );
    let removed = (
        num(closed, "baseTokenAmountRemoved"),
        num(closed, "quoteTokenAmountRemoved"),
    );
    let mut fees = (
        num(closed, "baseFeeAmountCollected"),
        num(closed, "quoteFeeAmountCollected"),
    );
    let mut gas_native = num(opened, "fee") + num(closed, "fee");
    if let Some(c) = collected {
        fees.0 += num(c, "baseFeeAmountCollected");
        fees.1 += num(c, "quoteFeeAmountCollected");
        gas_native += num(c, "fee");
    }
    let quote = valuation.quote;
    let gas_quote = valuation.gas.map(|side| {
        let one_native = match side {
            Side::Token0 => (1.0, 0.0),
            Side::Token1 => (0.0, 1.0),
        };
        gas_native * value_in(quote, price, one_native)
    });
    let parts = RewardParts {
        lp_value_quote: value_in(quote, price, removed),
        fees_quote: value_in(quote, price, fees),
        gas_quote: gas_quote.unwrap_or(0.0),
        swap_cost_quote: 0.0,
        hodl_value_quote: value_in(quote, price, added),
    };
    let reward = gas_quote
        .map(|_| reward_bps_from_parts(&parts, capital))
        .filter(|r| r.is_finite());
    Some(RealPnl {
        close_price: price,
        added,
        removed,
        fees,
        gas_native,
        parts,
        gas_valued: gas_quote.is_some(),
        reward_bps: reward,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(step: &str, response: Value) -> RealRecord {
        RealRecord {
            seq: 0,
            at_ms: 0,
            step: step.into(),
            method: "GET".into(),
            route: "/".into(),
            request: json!({}),
            response: Some(response),
            error: None,
            tx_signature: None,
            pending: false,
        }
    }

    /// token0 USDC (quote), token1 WETH (gas token); price 0.0005 WETH per USDC = 2000
    /// USDC per WETH.
    fn records(poll_price: Option<f64>) -> Vec<RealRecord> {
        let mut v = vec![
            rec("pool_info", json!({"price": 0.0004})),
            rec(
                "open_position",
                json!({"signature": "0x1", "status": 1, "data": {
                    "fee": 0.001, "positionAddress": "7",
                    "baseTokenAmountAdded": 1000.0, "quoteTokenAmountAdded": 0.5}}),
            ),
        ];
        if let Some(p) = poll_price {
            v.push(rec("position_info", json!({"address": "7", "price": p})));
        }
        v.push(rec(
            "collect_fees",
            json!({"signature": "0x2", "status": 1, "data": {
                "fee": 0.0005, "baseFeeAmountCollected": 3.0, "quoteFeeAmountCollected": 0.001}}),
        ));
        v.push(rec(
            "close_position",
            json!({"signature": "0x3", "status": 1, "data": {
                "fee": 0.0005, "baseTokenAmountRemoved": 1500.0, "quoteTokenAmountRemoved": 0.25,
                "baseFeeAmountCollected": 0.0, "quoteFeeAmountCollected": 0.0}}),
        ));
        v
    }

    #[test]
    fn values_in_the_quote_token_at_the_last_polled_price() {
        let v = Valuation {
            quote: Side::Token0,
            gas: Some(Side::Token1),
        };
        let pnl = real_pnl(&records(Some(0.0005)), v, 2000.0).unwrap();
        assert_eq!(pnl.close_price, 0.0005);
        // 1 WETH = 2000 USDC
        assert!((pnl.parts.lp_value_quote - (1500.0 + 500.0)).abs() < 1e-9);
        assert!((pnl.parts.hodl_value_quote - (1000.0 + 1000.0)).abs() < 1e-9);
        assert!((pnl.parts.fees_quote - (3.0 + 2.0)).abs() < 1e-9);
        assert!((pnl.parts.gas_quote - 0.002 * 2000.0).abs() < 1e-9);
        // (2000 + 5 − 4 − 2000) / 2000 × 1e4 = 5 bps
        assert!((pnl.reward_bps.unwrap() - 5.0).abs() < 1e-9, "{pnl:?}");
    }

    #[test]
    fn orientation_matters() {
        // the same answers read with token1 as the quote give another value
        let v = Valuation {
            quote: Side::Token1,
            gas: Some(Side::Token1),
        };
        let pnl = real_pnl(&records(Some(0.0005)), v, 1.0).unwrap();
        assert!((pnl.parts.lp_value_quote - (1500.0 * 0.0005 + 0.25)).abs() < 1e-12);
        assert!((pnl.parts.gas_quote - 0.002).abs() < 1e-12);
    }

    #[test]
    fn falls_back_to_the_open_price_and_needs_a_gas_token() {
        let v = Valuation {
            quote: Side::Token0,
            gas: None,
        };
        let pnl = real_pnl(&records(None), v, 2000.0).unwrap();
        assert_eq!(pnl.close_price, 0.0004);
        assert!(!pnl.gas_valued);
        assert_eq!(pnl.reward_bps, None);
    }

    #[test]
    fn no_reward_without_a_close() {
        let mut r = records(Some(0.0005));
        r.pop();
        let v = Valuation {
            quote: Side::Token0,
            gas: Some(Side::Token1),
        };
        assert_eq!(real_pnl(&r, v, 2000.0), None);
    }
}
