//! The market tape: one pair, its pools (fee tiers) with their initial prices, the
//! time-ordered pool actions, and a per-minute reference price. Serialised as one JSON
//! document (see SPEC.md, "Market tapes").

use serde::{Deserialize, Serialize};

use super::error::MarketError;
use super::price;
use crate::v3::action::Action;
use crate::v3::num::{dec_u256, U256};

/// The traded pair. Prices are quoted as token1 per token0 (Uniswap's orientation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Symbol of token0 (the base).
    pub token0: String,
    /// Symbol of token1 (the quote).
    pub token1: String,
    /// Decimals of token0.
    pub decimals0: u8,
    /// Decimals of token1.
    pub decimals1: u8,
}

impl Pair {
    /// WETH/USDC-like: token0 WETH (18 decimals), token1 USDC (6 decimals).
    ///
    /// (On mainnet USDC sorts before WETH; here the base is token0 so prices read
    /// "USDC per WETH" directly.)
    pub fn weth_usdc() -> Self {
        Pair {
            token0: "WETH".into(),
            token1: "USDC".into(),
            decimals0: 18,
            decimals1: 6,
        }
    }

    /// Raw price (token1 base units per token0 base unit) of a human price.
    pub fn raw_price(&self, human: f64) -> f64 {
        price::raw_from_human(human, self.decimals0, self.decimals1)
    }

    /// Human price (token1 per token0) of a raw price.
    pub fn human_price(&self, raw: f64) -> f64 {
        price::human_from_raw(raw, self.decimals0, self.decimals1)
    }

    /// Human price at a `sqrtPriceX96`.
    pub fn human_price_at(&self, sqrt_price_x96: U256) -> f64 {
        self.human_price(price::raw_from_sqrt_price_x96(sqrt_price_x96))
    }

    /// `sqrtPriceX96` of a human price.
    pub fn sqrt_price_x96(&self, human: f64) -> U256 {
        price::sqrt_price_x96_from_raw(self.raw_price(human))
    }

    /// Human units of a raw token1 amount.
    pub fn quote_units(&self, raw1: f64) -> f64 {
        raw1 / 10f64.powi(i32::from(self.decimals1))
    }

    /// Raw token1 amount of human quote units.
    pub fn quote_raw(&self, human1: f64) -> f64 {
        human1 * 10f64.powi(i32::from(self.decimals1))
    }

    /// Human units of a raw token0 amount.
    pub fn base_units(&self, raw0: f64) -> f64 {
        raw0 / 10f64.powi(i32::from(self.decimals0))
    }
}

/// One pool of the pair: its fee tier, tick spacing and initial price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapePool {
    /// Fee in hundredths of a bip (500 = 0.05%).
    pub fee: u32,
    /// Tick spacing of the tier.
    pub tick_spacing: i32,
    /// Price the pool is initialised at.
    #[serde(with = "dec_u256")]
    pub sqrt_price_x96: U256,
}

/// One action on one pool at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unix seconds.
    pub ts: u64,
    /// Index into [`MarketTape::pools`].
    pub pool: usize,
    /// The pool call.
    pub action: Action,
}

/// A replayable market for one pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketTape {
    pub pair: Pair,
    pub pools: Vec<TapePool>,
    /// Time-ordered (non-decreasing `ts`) pool actions.
    pub steps: Vec<Step>,
    /// Reference price per minute: (unix seconds at the minute's start, token1 per
    /// token0 in human units).
    pub reference: Vec<(u64, f64)>,
}

impl MarketTape {
    /// Number of reference minutes.
    pub fn minutes(&self) -> usize {
        self.reference.len()
    }

    /// First timestamp of the tape (reference or step, whichever is earlier).
    pub fn start_ts(&self) -> u64 {
        let r = self.reference.first().map(|r| r.0);
        let s = self.steps.first().map(|s| s.ts);
        match (r, s) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(0),
        }
    }

    /// End of the tape: one minute after the last reference minute, or the last step.
    pub fn end_ts(&self) -> u64 {
        let r = self.reference.last().map(|r| r.0 + 60);
        let s = self.steps.last().map(|s| s.ts);
        match (r, s) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(0),
        }
    }

    /// Reference price at `ts` (the minute containing it, clamped to the tape).
    pub fn reference_at(&self, ts: u64) -> Option<f64> {
        let i = self.reference.partition_point(|r| r.0 <= ts);
        self.reference.get(i.saturating_sub(1)).map(|r| r.1)
    }

    /// Number of steps on one pool.
    pub fn steps_on(&self, pool: usize) -> usize {
        self.steps.iter().filter(|s| s.pool == pool).count()
    }

    /// Checks the invariants every consumer relies on: pools exist, step pools are in
    /// range, timestamps do not decrease, reference minutes increase, prices are finite
    /// and positive.
    pub fn validate(&self) -> Result<(), MarketError> {
        let bad = |reason: String| Err(MarketError::BadTape { reason });
        if self.pools.is_empty() {
            return bad("the tape has no pools".into());
        }
        for (i, p) in self.pools.iter().enumerate() {
            if p.tick_spacing <= 0 {
                return bad(format!("pool {i}: tick_spacing {} <= 0", p.tick_spacing));
            }
            if p.sqrt_price_x96 < price::min_sqrt_ratio()
                || p.sqrt_price_x96 >= price::max_sqrt_ratio()
            {
                return bad(format!(
                    "pool {i}: sqrt_price_x96 {} outside the contract's range",
                    p.sqrt_price_x96
                ));
            }
        }
        let mut prev = 0u64;
        for (i, s) in self.steps.iter().enumerate() {
            if s.pool >= self.pools.len() {
                return bad(format!(
                    "step {i}: pool {} but the tape has {} pools",
                    s.pool,
                    self.pools.len()
                ));
            }
            if s.ts < prev {
                return bad(format!("step {i}: ts {} before {prev}", s.ts));
            }
            prev = s.ts;
        }
        let mut prev: Option<u64> = None;
        for (i, (ts, p)) in self.reference.iter().enumerate() {
            if prev.is_some_and(|q| *ts <= q) {
                return bad(format!("reference minute {i}: ts {ts} not increasing"));
            }
            if !(p.is_finite() && *p > 0.0) {
                return bad(format!("reference minute {i}: price {p} not positive"));
            }
            prev = Some(*ts);
        }
        Ok(())
    }

    /// The tape as one JSON document.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a tape written by [`MarketTape::to_json`] and validates it.
    pub fn from_json(text: &str) -> Result<Self, MarketError> {
        let tape: MarketTape = serde_json::from_str(text).map_err(|e| MarketError::Malformed {
            path: "<tape>".into(),
            line: e.line(),
            reason: e.to_string(),
        })?;
        tape.validate()?;
        Ok(tape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> MarketTape {
        let pair = Pair::weth_usdc();
        MarketTape {
            pools: vec![TapePool {
                fee: 500,
                tick_spacing: 10,
                sqrt_price_x96: pair.sqrt_price_x96(3000.0),
            }],
            pair,
            steps: vec![Step {
                ts: 60,
                pool: 0,
                action: Action::Mint {
                    owner: "bg_0".into(),
                    tick_lower: -10,
                    tick_upper: 10,
                    amount: 5,
                },
            }],
            reference: vec![(60, 3000.0), (120, 3001.0)],
        }
    }

    #[test]
    fn helpers_and_round_trip() {
        let t = tiny();
        assert_eq!(t.minutes(), 2);
        assert_eq!(t.start_ts(), 60);
        assert_eq!(t.end_ts(), 180);
        assert_eq!(t.reference_at(150), Some(3001.0));
        assert_eq!(t.reference_at(0), Some(3000.0));
        let back = MarketTape::from_json(&t.to_json()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn validate_rejects_bad_tapes() {
        let mut t = tiny();
        t.steps[0].pool = 3;
        assert!(matches!(t.validate(), Err(MarketError::BadTape { .. })));
        let mut t = tiny();
        t.reference[1].0 = 60;
        assert!(t.validate().is_err());
        let mut t = tiny();
        t.reference[1].1 = f64::NAN;
        assert!(t.validate().is_err());
        let mut t = tiny();
        t.pools.clear();
        assert!(t.validate().is_err());
    }
}
