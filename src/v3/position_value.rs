//! What a liquidity position is worth: the periphery's `LiquidityAmounts` (liquidity for
//! amounts and amounts for liquidity, both rounding down), fees owed including fee growth
//! not yet credited to the position (`Tick.getFeeGrowthInside` read from the pool's tick
//! state), value in the quote token (token1), the value of holding instead (HODL),
//! impermanent loss and time in range.
//!
//! Amounts are integers; f64 is used only for the reported values.

use super::error::V3Error;
use super::full_math::mul_div;
use super::num::U256;
use super::pool::Pool;

const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);
const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

/// Errors of the position-value math.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionValueError {
    /// A result does not fit in uint128 (the periphery's `toUint128` reverts).
    #[error("liquidity {0} does not fit in uint128")]
    LiquidityOverflow(U256),
    /// The range is empty or inverted.
    #[error("sqrt price range [{lower}, {upper}] is empty")]
    EmptyRange { lower: U256, upper: U256 },
    /// The underlying integer math failed (zero denominator, overflow).
    #[error(transparent)]
    Math(#[from] V3Error),
}

fn to_u128(v: U256) -> Result<u128, PositionValueError> {
    if v.bit_len() > 128 {
        return Err(PositionValueError::LiquidityOverflow(v));
    }
    let l = v.as_limbs();
    Ok((l[0] as u128) | ((l[1] as u128) << 64))
}

fn ordered(a: U256, b: U256) -> Result<(U256, U256), PositionValueError> {
    let (lo, hi) = if a > b { (b, a) } else { (a, b) };
    if lo == hi || lo.is_zero() {
        return Err(PositionValueError::EmptyRange {
            lower: lo,
            upper: hi,
        });
    }
    Ok((lo, hi))
}

/// `LiquidityAmounts.getLiquidityForAmount0`.
pub fn liquidity_for_amount0(
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    amount0: U256,
) -> Result<u128, PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    let intermediate = mul_div(a, b, Q96)?;
    to_u128(mul_div(amount0, intermediate, b - a)?)
}

/// `LiquidityAmounts.getLiquidityForAmount1`.
pub fn liquidity_for_amount1(
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    amount1: U256,
) -> Result<u128, PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    to_u128(mul_div(amount1, Q96, b - a)?)
}

/// `LiquidityAmounts.getLiquidityForAmounts`: the most liquidity that `amount0` and
/// `amount1` buy in `[sqrt_a, sqrt_b]` at `sqrt_price_x96`.
pub fn liquidity_for_amounts(
    sqrt_price_x96: U256,
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    amount0: U256,
    amount1: U256,
) -> Result<u128, PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    if sqrt_price_x96 <= a {
        liquidity_for_amount0(a, b, amount0)
    } else if sqrt_price_x96 < b {
        let l0 = liquidity_for_amount0(sqrt_price_x96, b, amount0)?;
        let l1 = liquidity_for_amount1(a, sqrt_price_x96, amount1)?;
        Ok(l0.min(l1))
    } else {
        liquidity_for_amount1(a, b, amount1)
    }
}

/// `LiquidityAmounts.getAmount0ForLiquidity` (rounds down).
pub fn amount0_for_liquidity(
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    liquidity: u128,
) -> Result<U256, PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    Ok(mul_div(U256::from(liquidity) << 96, b - a, b)? / a)
}

/// `LiquidityAmounts.getAmount1ForLiquidity` (rounds down).
pub fn amount1_for_liquidity(
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    liquidity: u128,
) -> Result<U256, PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    Ok(mul_div(U256::from(liquidity), b - a, Q96)?)
}

/// `LiquidityAmounts.getAmountsForLiquidity`: token amounts of `liquidity` in
/// `[sqrt_a, sqrt_b]` at `sqrt_price_x96` (what a burn would return, rounded down).
pub fn amounts_for_liquidity(
    sqrt_price_x96: U256,
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    liquidity: u128,
) -> Result<(U256, U256), PositionValueError> {
    let (a, b) = ordered(sqrt_a_x96, sqrt_b_x96)?;
    if sqrt_price_x96 <= a {
        Ok((amount0_for_liquidity(a, b, liquidity)?, U256::ZERO))
    } else if sqrt_price_x96 < b {
        Ok((
            amount0_for_liquidity(sqrt_price_x96, b, liquidity)?,
            amount1_for_liquidity(a, sqrt_price_x96, liquidity)?,
        ))
    } else {
        Ok((U256::ZERO, amount1_for_liquidity(a, b, liquidity)?))
    }
}

/// f64 value of a `U256`.
fn f64_of(x: U256) -> f64 {
    let bits = x.bit_len();
    if bits <= 64 {
        return x.as_limbs()[0] as f64;
    }
    let shift = bits - 64;
    (x >> shift).as_limbs()[0] as f64 * 2f64.powi(shift as i32)
}

/// Raw price (token1 base units per token0 base unit) at a `sqrtPriceX96`.
pub fn raw_price(sqrt_price_x96: U256) -> f64 {
    let s = f64_of(sqrt_price_x96) / f64_of(Q96);
    s * s
}

/// Value of `amount0` + `amount1` in token1 base units at `sqrt_price_x96`.
pub fn value_in_token1(amount0: U256, amount1: U256, sqrt_price_x96: U256) -> f64 {
    f64_of(amount0) * raw_price(sqrt_price_x96) + f64_of(amount1)
}

/// Value in token1 base units of a position of `liquidity` in `[sqrt_a, sqrt_b]`
/// (principal only, no fees).
pub fn position_value_in_token1(
    sqrt_price_x96: U256,
    sqrt_a_x96: U256,
    sqrt_b_x96: U256,
    liquidity: u128,
) -> Result<f64, PositionValueError> {
    let (a0, a1) = amounts_for_liquidity(sqrt_price_x96, sqrt_a_x96, sqrt_b_x96, liquidity)?;
    Ok(value_in_token1(a0, a1, sqrt_price_x96))
}

/// The value of holding `amount0` and `amount1` instead of providing liquidity, in
/// token1 base units at `sqrt_price_x96`.
pub fn hodl_value_in_token1(amount0: U256, amount1: U256, sqrt_price_x96: U256) -> f64 {
    value_in_token1(amount0, amount1, sqrt_price_x96)
}

/// Fee growth snapshot of one tick (`feeGrowthOutside{0,1}X128`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeGrowthOutside {
    pub fee_growth_outside0_x128: U256,
    pub fee_growth_outside1_x128: U256,
}

/// `Tick.getFeeGrowthInside` from the two ticks' fee growth outside (delegates to
/// [`super::tick::get_fee_growth_inside`]; wrapping arithmetic, as the contract).
pub fn fee_growth_inside(
    tick_lower: i32,
    tick_upper: i32,
    tick_current: i32,
    lower: FeeGrowthOutside,
    upper: FeeGrowthOutside,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
) -> (U256, U256) {
    let info = |o: FeeGrowthOutside| super::tick::TickInfo {
        fee_growth_outside0_x128: o.fee_growth_outside0_x128,
        fee_growth_outside1_x128: o.fee_growth_outside1_x128,
        ..Default::default()
    };
    super::tick::get_fee_growth_inside(
        &info(lower),
        &info(upper),
        tick_lower,
        tick_upper,
        tick_current,
        fee_growth_global0_x128,
        fee_growth_global1_x128,
    )
}

/// `uint128(mulDiv(delta, liquidity, Q128))`, truncated like the contract.
fn owed(delta: U256, liquidity: u128) -> Result<u128, PositionValueError> {
    let v = mul_div(delta, U256::from(liquidity), Q128)?;
    let l = v.as_limbs();
    Ok((l[0] as u128) | ((l[1] as u128) << 64))
}

/// Fees (token0, token1) the position would hold after a `burn(0)` poke: its
/// `tokens_owed` plus the fee growth inside its range since its last update. Note that
/// `tokens_owed` also holds burned-but-uncollected principal. `None` if the pool has no
/// such position.
pub fn fees_owed(
    pool: &Pool,
    owner: &str,
    tick_lower: i32,
    tick_upper: i32,
) -> Result<Option<(u128, u128)>, PositionValueError> {
    let Some(pos) = pool.position(owner, tick_lower, tick_upper) else {
        return Ok(None);
    };
    let outside = |t: i32| {
        pool.tick_info(t)
            .map(|i| FeeGrowthOutside {
                fee_growth_outside0_x128: i.fee_growth_outside0_x128,
                fee_growth_outside1_x128: i.fee_growth_outside1_x128,
            })
            .unwrap_or_default()
    };
    let (in0, in1) = fee_growth_inside(
        tick_lower,
        tick_upper,
        pool.tick(),
        outside(tick_lower),
        outside(tick_upper),
        pool.fee_growth_global0_x128(),
        pool.fee_growth_global1_x128(),
    );
    let new0 = owed(
        in0.wrapping_sub(pos.fee_growth_inside0_last_x128),
        pos.liquidity,
    )?;
    let new1 = owed(
        in1.wrapping_sub(pos.fee_growth_inside1_last_x128),
        pos.liquidity,
    )?;
    Ok(Some((
        pos.tokens_owed0.wrapping_add(new0),
        pos.tokens_owed1.wrapping_add(new1),
    )))
}

/// Impermanent loss: the liquidity position's value against holding.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImpermanentLoss {
    /// `lp_value - hodl_value` (negative = loss), in the unit of the inputs.
    pub absolute: f64,
    /// `absolute / hodl_value * 100` (0 when the HODL value is 0).
    pub pct: f64,
}

/// Impermanent loss of a position worth `lp_value` against `hodl_value`.
pub fn impermanent_loss(lp_value: f64, hodl_value: f64) -> ImpermanentLoss {
    let absolute = lp_value - hodl_value;
    let pct = if hodl_value != 0.0 {
        absolute / hodl_value * 100.0
    } else {
        0.0
    };
    ImpermanentLoss { absolute, pct }
}

/// Whether a position over `[tick_lower, tick_upper)` earns fees at `tick`
/// (the pool's convention: active when `tick_lower <= tick < tick_upper`).
pub fn in_range(tick: i32, tick_lower: i32, tick_upper: i32) -> bool {
    tick_lower <= tick && tick < tick_upper
}

/// Time in range, counted in samples (e.g. minutes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeInRange {
    /// Samples where the position was in range.
    pub in_range: u64,
    /// All samples.
    pub total: u64,
}

impl TimeInRange {
    /// Records one sample.
    pub fn record(&mut self, tick: i32, tick_lower: i32, tick_upper: i32) {
        self.total += 1;
        if in_range(tick, tick_lower, tick_upper) {
            self.in_range += 1;
        }
    }

    /// Fraction of samples in range (0 with no samples).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.in_range as f64 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::action::Action;
    use crate::v3::num::I256;
    use crate::v3::tick_math::{get_sqrt_ratio_at_tick, MAX_SQRT_RATIO, MIN_SQRT_RATIO};

    fn sq(t: i32) -> U256 {
        get_sqrt_ratio_at_tick(t).unwrap()
    }

    fn pool_at(tick: i32) -> Pool {
        let mut p = Pool::new(3000).unwrap();
        p.initialize(sq(tick)).unwrap();
        p
    }

    #[test]
    fn liquidity_for_amounts_is_the_most_the_amounts_buy() {
        let (sp, sa, sb) = (sq(-120), sq(-1200), sq(1200));
        let (a0, a1) = (U256::from(10u64.pow(18)), U256::from(3u64 * 10u64.pow(18)));
        let l = liquidity_for_amounts(sp, sa, sb, a0, a1).unwrap();
        let (n0, n1) = amounts_for_liquidity(sp, sa, sb, l).unwrap();
        assert!(n0 <= a0 && n1 <= a1);
        // one more unit of liquidity needs more of the binding token
        let (m0, m1) = amounts_for_liquidity(sp, sa, sb, l + 1_000).unwrap();
        assert!(m0 > a0 || m1 > a1);
        // below / above the range only one token counts
        assert_eq!(
            liquidity_for_amounts(sq(-2000), sa, sb, a0, U256::ZERO).unwrap(),
            liquidity_for_amount0(sa, sb, a0).unwrap()
        );
        assert_eq!(
            liquidity_for_amounts(sq(2000), sa, sb, U256::ZERO, a1).unwrap(),
            liquidity_for_amount1(sa, sb, a1).unwrap()
        );
        assert!(matches!(
            liquidity_for_amounts(sp, sa, sa, a0, a1),
            Err(PositionValueError::EmptyRange { .. })
        ));
        assert!(matches!(
            liquidity_for_amount1(MIN_SQRT_RATIO, MAX_SQRT_RATIO - U256::from(1u8), U256::MAX),
            Err(PositionValueError::LiquidityOverflow(_)) | Err(PositionValueError::Math(_))
        ));
    }

    #[test]
    fn amounts_for_liquidity_equal_what_a_burn_returns() {
        let mut pool = pool_at(-60);
        let l = 123_456_789_012_345u128;
        let (m0, m1) = pool.mint("a", -600, 600, l).unwrap();
        let expect = amounts_for_liquidity(pool.sqrt_price_x96(), sq(-600), sq(600), l).unwrap();
        // mint rounds up, the periphery rounds down
        assert!(m0 - expect.0 <= U256::from(1u8) && m1 - expect.1 <= U256::from(1u8));
        let burned = pool.burn("a", -600, 600, l).unwrap();
        assert_eq!(burned, expect);
    }

    #[test]
    fn fees_owed_matches_a_poke_and_collect() {
        let mut pool = pool_at(0);
        pool.mint("bg", -1200, 1200, 10u128.pow(20)).unwrap();
        pool.mint("me", -600, 600, 10u128.pow(19)).unwrap();
        pool.mint("far", 6000, 6600, 10u128.pow(19)).unwrap();
        let big = I256::try_from(10i128.pow(17)).unwrap();
        for (zfo, limit) in [
            (true, sq(-900)),
            (false, sq(300)),
            (true, sq(-100)),
            (false, sq(700)),
        ] {
            pool.apply(&Action::Swap {
                zero_for_one: zfo,
                amount_specified: big,
                sqrt_price_limit_x96: limit,
            })
            .unwrap();
        }
        let owed = fees_owed(&pool, "me", -600, 600).unwrap().unwrap();
        assert!(owed.0 > 0 && owed.1 > 0, "{owed:?}");
        assert_eq!(fees_owed(&pool, "far", 6000, 6600).unwrap(), Some((0, 0)));
        assert_eq!(fees_owed(&pool, "nobody", -600, 600).unwrap(), None);
        pool.burn("me", -600, 600, 0).unwrap();
        let got = pool.collect("me", -600, 600, u128::MAX, u128::MAX).unwrap();
        assert_eq!(got, owed);
    }

    #[test]
    fn fee_growth_inside_covers_the_three_cases() {
        let g = |a: u64, b: u64| FeeGrowthOutside {
            fee_growth_outside0_x128: U256::from(a),
            fee_growth_outside1_x128: U256::from(b),
        };
        let (lo, hi) = (g(10, 1), g(20, 2));
        let (glob0, glob1) = (U256::from(100u8), U256::from(50u8));
        // inside: global - below(lo) - above(hi)
        assert_eq!(
            fee_growth_inside(-10, 10, 0, lo, hi, glob0, glob1),
            (U256::from(70u8), U256::from(47u8))
        );
        // below the range: inside = lower.outside - upper.outside
        assert_eq!(
            fee_growth_inside(-10, 10, -20, g(30, 5), hi, glob0, glob1),
            (U256::from(10u8), U256::from(3u8))
        );
        // above the range: inside = upper.outside - lower.outside
        assert_eq!(
            fee_growth_inside(-10, 10, 10, lo, hi, glob0, glob1),
            (U256::from(10u8), U256::from(1u8))
        );
        // boundaries: tick == lower is inside, tick == upper is above
        assert_eq!(
            fee_growth_inside(-10, 10, -10, lo, hi, glob0, glob1),
            (U256::from(70u8), U256::from(47u8))
        );
        assert_eq!(
            fee_growth_inside(-10, 10, 10, lo, hi, glob0, glob1),
            fee_growth_inside(-10, 10, 11, lo, hi, glob0, glob1)
        );
        // wrapping: outside values larger than global wrap like the contract
        let w = fee_growth_inside(-10, 10, 0, g(200, 0), g(0, 0), glob0, glob1);
        assert_eq!(w.0, U256::from(100u8).wrapping_sub(U256::from(200u8)));
    }

    #[test]
    fn full_range_impermanent_loss_is_the_textbook_value() {
        // price x4: IL = 2*sqrt(4)/(1+4) - 1 = -20%
        let (sa, sb) = (sq(-887_220), sq(887_220));
        let p0 = sq(0);
        let l = 10u128.pow(24);
        let (a0, a1) = amounts_for_liquidity(p0, sa, sb, l).unwrap();
        let p1 = sq(13_863); // 1.0001^13863 ~ 4.0
        let lp = position_value_in_token1(p1, sa, sb, l).unwrap();
        let hodl = hodl_value_in_token1(a0, a1, p1);
        let il = impermanent_loss(lp, hodl);
        assert!((il.pct + 20.0).abs() < 0.01, "{il:?}");
        assert_eq!(impermanent_loss(5.0, 0.0).pct, 0.0);
    }

    #[test]
    fn time_in_range_counts_the_pool_convention() {
        let mut t = TimeInRange::default();
        for tick in [-10, -11, 9, 10, 0] {
            t.record(tick, -10, 10);
        }
        assert_eq!((t.in_range, t.total), (3, 5));
        assert!((t.fraction() - 0.6).abs() < 1e-12);
        assert_eq!(TimeInRange::default().fraction(), 0.0);
    }
}
