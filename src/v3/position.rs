//! Port of `Position.sol`: per-position state (`PositionInfo`) keyed by
//! (owner, tick_lower, tick_upper), and `Position.update` computed on a copy (`NP` on a
//! poke of an empty position; fees owed credited with uint128 wrap-around, as the
//! contract's "overflow is acceptable").

use serde::Serialize;

use super::error::V3Error;
use super::full_math::mul_div;
use super::liquidity_math::add_delta;
use super::num::{dec_u128, dec_u256, U256};

const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

/// The key of a position: the contract hashes (owner, tickLower, tickUpper); here the
/// owner is the caller's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PositionKey {
    pub owner: String,
    pub tick_lower: i32,
    pub tick_upper: i32,
}

/// `Position.Info`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PositionInfo {
    /// The position's liquidity.
    #[serde(with = "dec_u128")]
    pub liquidity: u128,
    /// Fee growth of token0 inside the range as of the last update.
    #[serde(with = "dec_u256")]
    pub fee_growth_inside0_last_x128: U256,
    /// Fee growth of token1 inside the range as of the last update.
    #[serde(with = "dec_u256")]
    pub fee_growth_inside1_last_x128: U256,
    /// token0 owed to the owner (fees and burned principal), collectable.
    #[serde(with = "dec_u128")]
    pub tokens_owed0: u128,
    /// token1 owed to the owner.
    #[serde(with = "dec_u128")]
    pub tokens_owed1: u128,
}

/// `uint128(mulDiv(feeGrowthDelta, liquidity, Q128))`: never overflows 256 bits since
/// liquidity < 2^128; the uint128 cast truncates as in the contract.
#[inline]
fn fees_owed(fee_growth_delta: U256, liquidity: u128) -> Result<u128, V3Error> {
    let v = mul_div(fee_growth_delta, U256::from(liquidity), Q128)?;
    let l = v.as_limbs();
    Ok((l[0] as u128) | ((l[1] as u128) << 64))
}

/// `Position.update(self, liquidityDelta, feeGrowthInside0X128, feeGrowthInside1X128)`
/// on a copy: returns the updated position.
pub fn update(
    info: &PositionInfo,
    liquidity_delta: i128,
    fee_growth_inside0_x128: U256,
    fee_growth_inside1_x128: U256,
) -> Result<PositionInfo, V3Error> {
    let liquidity_next = if liquidity_delta == 0 {
        if info.liquidity == 0 {
            // disallow pokes for 0 liquidity positions
            return Err(V3Error::NoPositionLiquidity);
        }
        info.liquidity
    } else {
        add_delta(info.liquidity, liquidity_delta)?
    };
    // calculate accumulated fees
    let tokens_owed0 = fees_owed(
        fee_growth_inside0_x128.wrapping_sub(info.fee_growth_inside0_last_x128),
        info.liquidity,
    )?;
    let tokens_owed1 = fees_owed(
        fee_growth_inside1_x128.wrapping_sub(info.fee_growth_inside1_last_x128),
        info.liquidity,
    )?;
    let mut next = *info;
    if liquidity_delta != 0 {
        next.liquidity = liquidity_next;
    }
    next.fee_growth_inside0_last_x128 = fee_growth_inside0_x128;
    next.fee_growth_inside1_last_x128 = fee_growth_inside1_x128;
    if tokens_owed0 > 0 || tokens_owed1 > 0 {
        // overflow is acceptable, have to withdraw before you hit type(uint128).max fees
        next.tokens_owed0 = next.tokens_owed0.wrapping_add(tokens_owed0);
        next.tokens_owed1 = next.tokens_owed1.wrapping_add(tokens_owed1);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poke_of_empty_position_is_np() {
        let e = update(&PositionInfo::default(), 0, U256::ZERO, U256::ZERO).unwrap_err();
        assert_eq!(e.reason(), Some("NP"));
    }

    #[test]
    fn burn_more_than_liquidity_is_ls() {
        let p = PositionInfo {
            liquidity: 5,
            ..PositionInfo::default()
        };
        assert_eq!(
            update(&p, -6, U256::ZERO, U256::ZERO).unwrap_err().reason(),
            Some("LS")
        );
    }

    #[test]
    fn fees_accrue_on_old_liquidity_and_wrap() {
        let p = PositionInfo {
            liquidity: 2,
            tokens_owed0: u128::MAX,
            ..PositionInfo::default()
        };
        // growth of 3 * 2^128 per unit: 6 tokens of token0 and of token1
        let g = U256::from(3u8) * Q128;
        let n = update(&p, 10, g, g).unwrap();
        assert_eq!(n.liquidity, 12);
        assert_eq!(n.tokens_owed0, 5); // u128::MAX + 6 wraps
        assert_eq!(n.tokens_owed1, 6);
        assert_eq!(n.fee_growth_inside0_last_x128, g);
        // fee growth going "backwards" wraps as a huge delta: mulDiv(2^256 - g, 12, 2^128)
        // = 12 * 2^128 - 36, truncated to uint128 = 2^128 - 36
        let back = update(&n, 0, U256::ZERO, g).unwrap();
        assert_eq!(back.tokens_owed0, 5u128.wrapping_add(u128::MAX - 35));
    }
}
