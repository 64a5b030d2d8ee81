//! Errors of the V3 engine: every revert the ported contracts can raise, with the
//! contract's reason string where it has one ([`V3Error::reason`]), plus the errors of
//! constructing a pool with a fee tier the factory does not enable.

use super::num::U256;

/// A revert of the ported contracts (or a bad pool configuration).
///
/// Variants carry the offending values. [`V3Error::reason`] gives the exact revert
/// string of `UniswapV3Pool` v1.0.0 (`@uniswap/v3-core@1.0.1`), or `None` where the
/// contract reverts without a reason (`require(cond)` with no message, SafeCast,
/// LowGasSafeMath, FullMath).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V3Error {
    /// `lock`: the pool is not initialized (`slot0.unlocked` is false). Reason `LOK`.
    #[error("pool is locked / not initialized (LOK)")]
    Locked,
    /// `initialize` on an initialized pool. Reason `AI`.
    #[error("pool already initialized (AI)")]
    AlreadyInitialized,
    /// `checkTicks`: `tick_lower >= tick_upper`. Reason `TLU`.
    #[error("tick_lower {tick_lower} is not below tick_upper {tick_upper} (TLU)")]
    TickLowerNotBelowUpper { tick_lower: i32, tick_upper: i32 },
    /// `checkTicks`: `tick_lower < MIN_TICK`. Reason `TLM`.
    #[error("tick_lower {0} is below MIN_TICK (TLM)")]
    TickLowerTooLow(i32),
    /// `checkTicks`: `tick_upper > MAX_TICK`. Reason `TUM`.
    #[error("tick_upper {0} is above MAX_TICK (TUM)")]
    TickUpperTooHigh(i32),
    /// `Tick.update`: gross liquidity at a tick would exceed `maxLiquidityPerTick`. Reason `LO`.
    #[error("liquidity {liquidity_gross} at tick {tick} exceeds max per tick {max} (LO)")]
    LiquidityOverflowAtTick {
        tick: i32,
        liquidity_gross: u128,
        max: u128,
    },
    /// `LiquidityMath.addDelta`: subtraction underflow. Reason `LS`.
    #[error("liquidity {liquidity} minus {delta} underflows (LS)")]
    LiquiditySub { liquidity: u128, delta: i128 },
    /// `LiquidityMath.addDelta`: addition overflow. Reason `LA`.
    #[error("liquidity {liquidity} plus {delta} overflows (LA)")]
    LiquidityAdd { liquidity: u128, delta: i128 },
    /// `Position.update`: poke (burn 0) of a position without liquidity. Reason `NP`.
    #[error("position has no liquidity to poke (NP)")]
    NoPositionLiquidity,
    /// `swap` with `amountSpecified == 0`. Reason `AS`.
    #[error("swap amount is zero (AS)")]
    AmountSpecifiedZero,
    /// `swap`: price limit on the wrong side of the price or out of range. Reason `SPL`.
    #[error("sqrt price limit {limit} is invalid for current sqrt price {current} (SPL)")]
    SqrtPriceLimit { limit: U256, current: U256 },
    /// `TickMath.getSqrtRatioAtTick`: |tick| > MAX_TICK. Reason `T`.
    #[error("tick {0} is out of range (T)")]
    TickOutOfRange(i32),
    /// `TickMath.getTickAtSqrtRatio`: price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO). Reason `R`.
    #[error("sqrt price {0} is out of range (R)")]
    SqrtPriceOutOfRange(U256),
    /// `mint` with amount 0 (`require(amount > 0)`, no reason).
    #[error("mint amount is zero")]
    MintAmountZero,
    /// `TickBitmap.flipTick`: tick not a multiple of the spacing (no reason).
    #[error("tick {tick} is not a multiple of tick spacing {tick_spacing}")]
    TickNotSpaced { tick: i32, tick_spacing: i32 },
    /// `FullMath.mulDiv`: result overflows 256 bits or denominator is zero (no reason).
    #[error("mulDiv({a}, {b}, {denominator}) overflows or divides by zero")]
    MulDivOverflow { a: U256, b: U256, denominator: U256 },
    /// `SafeCast` (`toInt128`, `toInt256`, `toUint160`) overflow (no reason).
    #[error("SafeCast: {value} does not fit in {target}")]
    SafeCastOverflow { value: U256, target: &'static str },
    /// `LowGasSafeMath` (or a checked `+`/`/` of the contract) overflow (no reason).
    #[error("checked arithmetic overflow in {0}")]
    ArithmeticOverflow(&'static str),
    /// A `require` without reason in `SqrtPriceMath` (zero price or liquidity, price
    /// underflow / overflow when computing the next price).
    #[error("SqrtPriceMath: {0}")]
    SqrtPriceMath(&'static str),
    /// `BitMath`: `require(x > 0)` (no reason).
    #[error("BitMath of zero")]
    BitMathZero,
    /// Not a revert: the fee is not one of the factory's tiers 100/500/3000/10000.
    #[error("fee {0} is not an enabled fee tier (100, 500, 3000, 10000)")]
    InvalidFee(u32),
    /// Not a revert: the tick spacing does not match the fee tier.
    #[error("tick spacing {tick_spacing} does not match fee {fee} (expected {expected})")]
    TickSpacingMismatch {
        fee: u32,
        tick_spacing: i32,
        expected: i32,
    },
}

impl V3Error {
    /// The contract's revert reason string, or `None` for a revert without reason (and
    /// for the two configuration errors, which are not reverts).
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            V3Error::Locked => "LOK",
            V3Error::AlreadyInitialized => "AI",
            V3Error::TickLowerNotBelowUpper { .. } => "TLU",
            V3Error::TickLowerTooLow(_) => "TLM",
            V3Error::TickUpperTooHigh(_) => "TUM",
            V3Error::LiquidityOverflowAtTick { .. } => "LO",
            V3Error::LiquiditySub { .. } => "LS",
            V3Error::LiquidityAdd { .. } => "LA",
            V3Error::NoPositionLiquidity => "NP",
            V3Error::AmountSpecifiedZero => "AS",
            V3Error::SqrtPriceLimit { .. } => "SPL",
            V3Error::TickOutOfRange(_) => "T",
            V3Error::SqrtPriceOutOfRange(_) => "R",
            V3Error::MintAmountZero
            | V3Error::TickNotSpaced { .. }
            | V3Error::MulDivOverflow { .. }
            | V3Error::SafeCastOverflow { .. }
            | V3Error::ArithmeticOverflow(_)
            | V3Error::SqrtPriceMath(_)
            | V3Error::BitMathZero
            | V3Error::InvalidFee(_)
            | V3Error::TickSpacingMismatch { .. } => return None,
        })
    }

    /// True when the contract would revert (everything except the configuration errors).
    pub fn is_revert(&self) -> bool {
        !matches!(
            self,
            V3Error::InvalidFee(_) | V3Error::TickSpacingMismatch { .. }
        )
    }
}
