//! Port of `Tick.sol` without the oracle fields: per-tick state (`TickInfo`),
//! `tickSpacingToMaxLiquidityPerTick`, and the pure parts of `update`, `cross` and
//! `getFeeGrowthInside`. The pool applies the results; nothing here mutates the pool, so
//! a failed action leaves it unchanged.
//!
//! Left out on purpose: `secondsPerLiquidityOutsideX128`, `tickCumulativeOutside` and
//! `secondsOutside` (oracle values that never affect amounts).

use serde::Serialize;

use super::error::V3Error;
use super::liquidity_math::add_delta;
use super::num::{dec_u256, U256};
use super::safe_math::add_to_int128;
use super::tick_math::{MAX_TICK, MIN_TICK};

/// `Tick.Info` (fee fields only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TickInfo {
    /// Total position liquidity referencing this tick.
    pub liquidity_gross: u128,
    /// Liquidity added (subtracted) when the tick is crossed left to right (right to left).
    pub liquidity_net: i128,
    /// Fee growth of token0 on the other side of this tick (relative to the current tick).
    #[serde(with = "dec_u256")]
    pub fee_growth_outside0_x128: U256,
    /// Fee growth of token1 on the other side of this tick.
    #[serde(with = "dec_u256")]
    pub fee_growth_outside1_x128: U256,
    /// Whether the tick is initialized (liquidity_gross != 0).
    pub initialized: bool,
}

/// `Tick.tickSpacingToMaxLiquidityPerTick`: `type(uint128).max / numTicks`. The spacing
/// must be positive (the factory only enables positive spacings).
pub fn tick_spacing_to_max_liquidity_per_tick(tick_spacing: i32) -> u128 {
    let spacing = tick_spacing.max(1);
    let min_tick = (MIN_TICK / spacing) * spacing;
    let max_tick = (MAX_TICK / spacing) * spacing;
    let num_ticks = ((max_tick - min_tick) / spacing) as u128 + 1;
    u128::MAX / num_ticks
}

/// `Tick.update` computed on a copy: returns the new tick state and whether the tick
/// flipped between initialized and uninitialized. `LS`/`LA` from `addDelta`, `LO` when
/// gross liquidity exceeds `max_liquidity`, reasonless on int128 overflow of the net.
#[allow(clippy::too_many_arguments)]
pub fn update(
    info: &TickInfo,
    tick: i32,
    tick_current: i32,
    liquidity_delta: i128,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
    upper: bool,
    max_liquidity: u128,
) -> Result<(TickInfo, bool), V3Error> {
    let mut next = *info;
    let liquidity_gross_before = info.liquidity_gross;
    let liquidity_gross_after = add_delta(liquidity_gross_before, liquidity_delta)?;
    if liquidity_gross_after > max_liquidity {
        return Err(V3Error::LiquidityOverflowAtTick {
            tick,
            liquidity_gross: liquidity_gross_after,
            max: max_liquidity,
        });
    }
    let flipped = (liquidity_gross_after == 0) != (liquidity_gross_before == 0);
    if liquidity_gross_before == 0 {
        // by convention, we assume that all growth before a tick was initialized happened
        // _below_ the tick
        if tick <= tick_current {
            next.fee_growth_outside0_x128 = fee_growth_global0_x128;
            next.fee_growth_outside1_x128 = fee_growth_global1_x128;
        }
        next.initialized = true;
    }
    next.liquidity_gross = liquidity_gross_after;
    // when the lower (upper) tick is crossed left to right (right to left), liquidity
    // must be added (removed)
    next.liquidity_net = add_to_int128(info.liquidity_net, liquidity_delta, upper)?;
    Ok((next, flipped))
}

/// `Tick.cross`: flips the fee growth outside to the other side of the tick.
#[inline]
pub fn cross(info: &mut TickInfo, fee_growth_global0_x128: U256, fee_growth_global1_x128: U256) {
    info.fee_growth_outside0_x128 =
        fee_growth_global0_x128.wrapping_sub(info.fee_growth_outside0_x128);
    info.fee_growth_outside1_x128 =
        fee_growth_global1_x128.wrapping_sub(info.fee_growth_outside1_x128);
}

/// `Tick.getFeeGrowthInside` from the two ticks' states (an absent tick is all zero, as
/// in contract storage). Subtractions wrap as in Solidity 0.7.
pub fn get_fee_growth_inside(
    lower: &TickInfo,
    upper: &TickInfo,
    tick_lower: i32,
    tick_upper: i32,
    tick_current: i32,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
) -> (U256, U256) {
    // calculate fee growth below
    let (below0, below1) = if tick_current >= tick_lower {
        (
            lower.fee_growth_outside0_x128,
            lower.fee_growth_outside1_x128,
        )
    } else {
        (
            fee_growth_global0_x128.wrapping_sub(lower.fee_growth_outside0_x128),
            fee_growth_global1_x128.wrapping_sub(lower.fee_growth_outside1_x128),
        )
    };
    // calculate fee growth above
    let (above0, above1) = if tick_current < tick_upper {
        (
            upper.fee_growth_outside0_x128,
            upper.fee_growth_outside1_x128,
        )
    } else {
        (
            fee_growth_global0_x128.wrapping_sub(upper.fee_growth_outside0_x128),
            fee_growth_global1_x128.wrapping_sub(upper.fee_growth_outside1_x128),
        )
    };
    (
        fee_growth_global0_x128
            .wrapping_sub(below0)
            .wrapping_sub(above0),
        fee_growth_global1_x128
            .wrapping_sub(below1)
            .wrapping_sub(above1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_core_max_liquidity_per_tick_vectors() {
        // Tick.spec.ts
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(10),
            1917569901783203986719870431555990
        );
        // ticks -887220..=887220 step 60
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(60),
            11505743598341114571880798222544994
        );
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(200),
            38350317471085141830651933667504588
        );
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(887272),
            u128::MAX / 3
        );
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(2302),
            441351967472034323558203122479595605
        );
        assert_eq!(
            tick_spacing_to_max_liquidity_per_tick(1),
            191757530477355301479181766273477
        );
    }

    #[test]
    fn v3_core_fee_growth_inside_vectors() {
        let zero = TickInfo::default();
        let g = U256::from(15u8);
        // uninitialized ticks, tick inside
        assert_eq!(get_fee_growth_inside(&zero, &zero, -2, 2, 0, g, g), (g, g));
        // tick above / below
        assert_eq!(
            get_fee_growth_inside(&zero, &zero, -2, 2, 4, g, g),
            (U256::ZERO, U256::ZERO)
        );
        assert_eq!(
            get_fee_growth_inside(&zero, &zero, -2, 2, -4, g, g),
            (U256::ZERO, U256::ZERO)
        );
        // subtracts upper tick if below
        let upper = TickInfo {
            fee_growth_outside0_x128: U256::from(2u8),
            fee_growth_outside1_x128: U256::from(3u8),
            ..zero
        };
        assert_eq!(
            get_fee_growth_inside(&zero, &upper, -2, 2, 0, g, g),
            (U256::from(13u8), U256::from(12u8))
        );
        // subtracts lower tick if above
        assert_eq!(
            get_fee_growth_inside(&upper, &zero, -2, 2, 0, g, g),
            (U256::from(13u8), U256::from(12u8))
        );
        // works correctly with overflow on inside tick
        let lower = TickInfo {
            fee_growth_outside0_x128: U256::MAX - U256::from(3u8),
            fee_growth_outside1_x128: U256::MAX - U256::from(2u8),
            ..zero
        };
        let upper = TickInfo {
            fee_growth_outside0_x128: U256::from(3u8),
            fee_growth_outside1_x128: U256::from(5u8),
            ..zero
        };
        assert_eq!(
            get_fee_growth_inside(&lower, &upper, -2, 2, 0, g, g),
            (U256::from(16u8), U256::from(13u8))
        );
    }

    #[test]
    fn v3_core_update_vectors() {
        let t = TickInfo::default();
        let (t, flipped) = update(&t, 0, 0, 1, U256::ZERO, U256::ZERO, false, 3).unwrap();
        assert!(flipped);
        let (t2, flipped) = update(&t, 0, 0, 1, U256::ZERO, U256::ZERO, false, 3).unwrap();
        assert!(!flipped);
        let (t3, flipped) = update(&t2, 0, 0, -2, U256::ZERO, U256::ZERO, false, 3).unwrap();
        assert!(flipped);
        assert_eq!(t3.liquidity_gross, 0);
        let e = update(&t2, 0, 0, 2, U256::ZERO, U256::ZERO, false, 3).unwrap_err();
        assert_eq!(e.reason(), Some("LO"));
        let e = update(&t2, 0, 0, -3, U256::ZERO, U256::ZERO, false, 3).unwrap_err();
        assert_eq!(e.reason(), Some("LS"));
        // nets: lower adds, upper subtracts
        let (l, _) = update(
            &TickInfo::default(),
            0,
            0,
            2,
            U256::ZERO,
            U256::ZERO,
            false,
            10,
        )
        .unwrap();
        let (l, _) = update(&l, 0, 0, 1, U256::ZERO, U256::ZERO, true, 10).unwrap();
        assert_eq!((l.liquidity_gross, l.liquidity_net), (3, 1));
        // fee growth outside initialized only when tick <= current
        let g0 = U256::from(1u8);
        let g1 = U256::from(2u8);
        let (a, _) = update(&TickInfo::default(), 1, 1, 1, g0, g1, false, 10).unwrap();
        assert_eq!(
            (a.fee_growth_outside0_x128, a.fee_growth_outside1_x128),
            (g0, g1)
        );
        let (b, _) = update(&TickInfo::default(), 2, 1, 1, g0, g1, false, 10).unwrap();
        assert_eq!(b.fee_growth_outside0_x128, U256::ZERO);
    }

    #[test]
    fn cross_flips_outside_growth() {
        let mut t = TickInfo {
            fee_growth_outside0_x128: U256::from(1u8),
            fee_growth_outside1_x128: U256::from(2u8),
            ..TickInfo::default()
        };
        cross(&mut t, U256::from(7u8), U256::from(9u8));
        assert_eq!(
            (t.fee_growth_outside0_x128, t.fee_growth_outside1_x128),
            (U256::from(6u8), U256::from(7u8))
        );
        cross(&mut t, U256::from(0u8), U256::from(0u8));
        assert_eq!(t.fee_growth_outside0_x128, U256::MAX - U256::from(5u8));
    }
}
