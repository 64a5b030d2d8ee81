//! Port of `FullMath.sol` (and `UnsafeMath.divRoundingUp`): 512-bit-exact
//! `mulDiv` / `mulDivRoundingUp`. Overflow of the result and a zero denominator revert
//! without reason, as in the contract.

use super::error::V3Error;
use super::limb_div::{div_rem_256, div_rem_512, high_half_below, shr_low_256, widening_mul};
use super::num::U256;

#[inline]
fn overflow(a: U256, b: U256, denominator: U256) -> V3Error {
    V3Error::MulDivOverflow { a, b, denominator }
}

/// Returns `(floor(a*b/d), (a*b) mod d)`; errors when `d == 0` or the quotient
/// does not fit in 256 bits.
#[inline]
fn mul_div_rem(a: U256, b: U256, denominator: U256) -> Result<(U256, U256), V3Error> {
    // set bits of the denominator, limb by limb (0: division by zero, 1: a power of two)
    let d = denominator.as_limbs();
    let ones = d[0].count_ones() + d[1].count_ones() + d[2].count_ones() + d[3].count_ones();
    if ones == 0 {
        return Err(overflow(a, b, denominator));
    }
    let limbs = widening_mul(a, b);
    if ones == 1 {
        // Q96 / Q128 denominators: a shift instead of a long division
        if !high_half_below(&limbs, denominator) {
            return Err(overflow(a, b, denominator));
        }
        let shift = denominator.trailing_zeros();
        let q = shr_low_256(&limbs, shift as u32);
        let r = U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]])
            & (denominator - U256::from(1u8));
        return Ok((q, r));
    }
    div_rem_512(&limbs, denominator).ok_or_else(|| overflow(a, b, denominator))
}

/// `FullMath.mulDiv`: floor(a×b÷denominator) with full precision.
#[inline]
pub fn mul_div(a: U256, b: U256, denominator: U256) -> Result<U256, V3Error> {
    mul_div_rem(a, b, denominator).map(|(q, _)| q)
}

/// `FullMath.mulDivRoundingUp`: ceil(a×b÷denominator) with full precision.
#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> Result<U256, V3Error> {
    let (q, r) = mul_div_rem(a, b, denominator)?;
    if r.is_zero() {
        return Ok(q);
    }
    if q == U256::MAX {
        return Err(overflow(a, b, denominator));
    }
    Ok(q + U256::from(1u8))
}

/// Solidity's checked `x / y`: `None` when `y == 0`.
#[inline]
pub fn checked_div(x: U256, y: U256) -> Option<U256> {
    div_rem_256(x, y).map(|(q, _)| q)
}

/// `UnsafeMath.divRoundingUp`: ceil(x÷y) with EVM semantics (x÷0 = 0).
#[inline]
pub fn div_rounding_up(x: U256, y: U256) -> U256 {
    let Some((q, r)) = div_rem_256(x, y) else {
        return U256::ZERO;
    };
    if r.is_zero() {
        q
    } else {
        q + U256::from(1u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U512;

    const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

    #[test]
    fn v3_core_full_math_vectors() {
        // FullMath.spec.ts
        assert!(mul_div(Q128, U256::from(5u8), U256::ZERO).is_err());
        assert!(mul_div(Q128, Q128, U256::from(1u8)).is_err());
        assert!(mul_div(U256::MAX, U256::MAX, U256::MAX - U256::from(1u8)).is_err());
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX).unwrap(), U256::MAX);
        let q = Q128;
        assert_eq!(
            mul_div(
                q,
                U256::from(50u8) * q / U256::from(100u8),
                U256::from(150u8) * q / U256::from(100u8)
            )
            .unwrap(),
            q / U256::from(3u8)
        );
        assert_eq!(
            mul_div(q, U256::from(35u8) * q, U256::from(8u8) * q).unwrap(),
            U256::from(4375u32) * q / U256::from(1000u32)
        );
        assert_eq!(
            mul_div(q, U256::from(1000u32) * q, U256::from(3000u32) * q).unwrap(),
            q / U256::from(3u8)
        );
        assert_eq!(
            mul_div_rounding_up(
                q,
                U256::from(50u8) * q / U256::from(100u8),
                U256::from(150u8) * q / U256::from(100u8)
            )
            .unwrap(),
            q / U256::from(3u8) + U256::from(1u8)
        );
        assert!(mul_div_rounding_up(
            U256::from_str_radix("535006138814359", 10).unwrap(),
            U256::from_str_radix(
                "432862656469423142931042426214547535783388063929571229938474969",
                10
            )
            .unwrap(),
            U256::from(2u8)
        )
        .is_err());
        assert!(mul_div_rounding_up(U256::MAX, U256::MAX, U256::MAX - U256::from(1u8)).is_err());
    }

    #[test]
    fn power_of_two_denominators_match_long_division() {
        let vals = [
            U256::from(1u8),
            U256::from(12345u32),
            U256::MAX,
            U256::MAX >> 3,
            (U256::from(1u8) << 200) + U256::from(77u8),
            U256::from_limbs([3, 0xdead, 0xbeef, 1]),
        ];
        for a in vals {
            for b in vals {
                for k in [0usize, 1, 64, 96, 128, 200, 255] {
                    let d = U256::from(1u8) << k;
                    let prod: U512 = a.widening_mul(b);
                    let (q, r) = prod.div_rem(U512::from(d));
                    let expect = if q.bit_len() > 256 {
                        None
                    } else {
                        Some((U256::from(q), U256::from(r)))
                    };
                    assert_eq!(mul_div_rem(a, b, d).ok(), expect, "{a} {b} {k}");
                }
            }
        }
    }

    #[test]
    fn div_rounding_up_matches_evm() {
        assert_eq!(div_rounding_up(U256::from(7u8), U256::ZERO), U256::ZERO);
        assert_eq!(
            div_rounding_up(U256::from(7u8), U256::from(2u8)),
            U256::from(4u8)
        );
        assert_eq!(
            div_rounding_up(U256::from(8u8), U256::from(2u8)),
            U256::from(4u8)
        );
    }
}
