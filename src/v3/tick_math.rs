//! Port of `TickMath.sol`: sqrt(1.0001)^tick as a Q64.96 (`getSqrtRatioAtTick`, revert
//! `T`) and its inverse (`getTickAtSqrtRatio`, revert `R`), computed with the
//! contract's exact constants and bit-by-bit log2 so results are bit-equal.

use alloy_primitives::uint;

use super::bit_math::most_significant_bit;
use super::error::V3Error;
use super::num::{I256, U256};

/// The minimum tick that may be passed to [`get_sqrt_ratio_at_tick`].
pub const MIN_TICK: i32 = -887272;
/// The maximum tick that may be passed to [`get_sqrt_ratio_at_tick`].
pub const MAX_TICK: i32 = 887272;
/// `getSqrtRatioAtTick(MIN_TICK)`.
pub const MIN_SQRT_RATIO: U256 = uint!(4295128739_U256);
/// `getSqrtRatioAtTick(MAX_TICK)`.
pub const MAX_SQRT_RATIO: U256 = uint!(1461446703485210103287273052203988822378723970342_U256);

/// The 19 multipliers of `getSqrtRatioAtTick` for bits 1..=19 of |tick| (all < 2^128).
const FACTORS: [u128; 19] = [
    0xfff97272373d413259a46990580e213a,
    0xfff2e50f5f656932ef12357cf3c7fdcc,
    0xffe5caca7e10e4e61c3624eaa0941cd0,
    0xffcb9843d60f6159c9db58835c926644,
    0xff973b41fa98c081472e6896dfb254c0,
    0xff2ea16466c96a3843ec78b326b52861,
    0xfe5dee046a99a2a811c461f1969c3053,
    0xfcbe86c7900a88aedcffc83b479aa3a4,
    0xf987a7253ac413176f2b074cf7815e54,
    0xf3392b0822b70005940c7a398e4b70f3,
    0xe7159475a2c29b7443b29c7fa6e889d9,
    0xd097f3bdfd2022b8845ad8f792aa5825,
    0xa9f746462d870fdf8a65dc1f90e061e5,
    0x70d869a156d2a1b890bb3df62baf32f7,
    0x31be135f97d08fd981231505542fcfa6,
    0x9aa508b5b7a84e1c677de54f3e99bc9,
    0x5d6af8dedb81196699c329225ee604,
    0x2216e584f5fa1ea926041bedfe98,
    0x48a170391f7dc42444e8fa2,
];

/// `TickMath.getSqrtRatioAtTick`: sqrt(1.0001^tick) * 2^96, rounded up; `T` when
/// |tick| > MAX_TICK.
pub fn get_sqrt_ratio_at_tick(tick: i32) -> Result<U256, V3Error> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK as u32 {
        return Err(V3Error::TickOutOfRange(tick));
    }
    // ratio is a Q128.128 below 2^128 once any factor applied; `None` stands for the
    // initial 2^128 (where (2^128 * f) >> 128 = f exactly)
    let mut ratio: Option<u128> = if abs_tick & 0x1 != 0 {
        Some(0xfffcb933bd6fad37aa2d162d1a594001)
    } else {
        None
    };
    for (i, factor) in FACTORS.iter().enumerate() {
        if abs_tick & (2u32 << i) != 0 {
            ratio = Some(match ratio {
                Some(r) => mul_shr_128(r, *factor),
                None => *factor,
            });
        }
    }
    let mut ratio = match ratio {
        Some(r) => U256::from(r),
        None => U256::from(1u8) << 128usize,
    };
    if tick > 0 {
        // ratio > 0 for every |tick| <= MAX_TICK
        ratio = U256::MAX / ratio;
    }
    // this divides by 1<<32 rounding up to go from a Q128.128 to a Q128.96
    let round = if ratio.as_limbs()[0] & 0xffff_ffff == 0 {
        U256::ZERO
    } else {
        U256::from(1u8)
    };
    // uint160 truncation of the contract: the value always fits
    Ok(((ratio >> 32) + round) & (U256::MAX >> 96))
}

/// `TickMath.getTickAtSqrtRatio`: the greatest tick whose ratio is <= `sqrt_price_x96`;
/// `R` unless MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO.
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32, V3Error> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(V3Error::SqrtPriceOutOfRange(sqrt_price_x96));
    }
    let ratio = sqrt_price_x96 << 32;
    let msb = most_significant_bit(ratio)? as usize;
    let r = if msb >= 128 {
        ratio >> (msb - 127)
    } else {
        ratio << (127 - msb)
    };
    // 2^127 <= r < 2^128
    let mut r = low_u128(r);
    // log_2 = (msb - 128) << 64, a signed 64.64 number
    let mut log_2: i128 = (msb as i128 - 128) << 64;
    for bit in (50..=63).rev() {
        // contract: r := shr(127, mul(r, r)); f := shr(128, r); r := shr(f, r)
        let (hi, lo) = widening_mul_u128(r, r);
        let f = hi >> 127;
        r = if f == 1 { hi } else { (hi << 1) | (lo >> 127) };
        log_2 |= (f as i128) << bit;
    }
    // 128.128 number; |log_2| < 2^72 and the constant < 2^78, no overflow
    let log_sqrt10001 =
        signed(log_2).wrapping_mul(I256::from_raw(uint!(255738958999603826347141_U256)));
    let tick_low = low_i32(
        log_sqrt10001
            .wrapping_sub(I256::from_raw(uint!(
                3402992956809132418596140100660247210_U256
            )))
            .asr(128),
    );
    let tick_hi = low_i32(
        log_sqrt10001
            .wrapping_add(I256::from_raw(uint!(
                291339464771989622907027621153398088495_U256
            )))
            .asr(128),
    );
    Ok(if tick_low == tick_hi {
        tick_low
    } else if get_sqrt_ratio_at_tick(tick_hi)? <= sqrt_price_x96 {
        tick_hi
    } else {
        tick_low
    })
}

/// (a * b) >> 128 for 128-bit operands.
#[inline]
fn mul_shr_128(a: u128, b: u128) -> u128 {
    widening_mul_u128(a, b).0
}

/// The full 256-bit product of two u128 as (high, low) halves.
#[inline]
fn widening_mul_u128(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[inline]
fn low_u128(x: U256) -> u128 {
    let l = x.as_limbs();
    (l[0] as u128) | ((l[1] as u128) << 64)
}

#[inline]
fn signed(x: i128) -> I256 {
    super::safe_math::i128_to_i256(x)
}

/// `int24(x)` of a value known to be in range: the low bits reinterpreted.
#[inline]
fn low_i32(x: I256) -> i32 {
    x.into_raw().as_limbs()[0] as i64 as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }

    #[test]
    fn v3_core_get_sqrt_ratio_at_tick_vectors() {
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK - 1).unwrap_err().reason(),
            Some("T")
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK + 1).unwrap_err().reason(),
            Some("T")
        );
        assert!(get_sqrt_ratio_at_tick(i32::MIN).is_err());
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK).unwrap(), MIN_SQRT_RATIO);
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK + 1).unwrap(),
            u("4295343490")
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK - 1).unwrap(),
            u("1461373636630004318706518188784493106690254656249")
        );
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK).unwrap(), MAX_SQRT_RATIO);
        assert_eq!(get_sqrt_ratio_at_tick(0).unwrap(), U256::from(1u8) << 96);
        // TickMath.spec.ts snapshot values
        assert_eq!(
            get_sqrt_ratio_at_tick(50).unwrap(),
            u("79426470787362580746886972461")
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(-50).unwrap(),
            u("79030349367926598376800521322")
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(150000).unwrap(),
            u("143194173941309278083010301478497")
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(-150000).unwrap(),
            u("43836292794701720435367485")
        );
    }

    #[test]
    fn v3_core_get_tick_at_sqrt_ratio_vectors() {
        assert_eq!(
            get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - U256::from(1u8))
                .unwrap_err()
                .reason(),
            Some("R")
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(MAX_SQRT_RATIO).unwrap_err().reason(),
            Some("R")
        );
        assert!(get_tick_at_sqrt_ratio(U256::MAX).is_err());
        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO).unwrap(), MIN_TICK);
        assert_eq!(
            get_tick_at_sqrt_ratio(u("4295343490")).unwrap(),
            MIN_TICK + 1
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(u("1461373636630004318706518188784493106690254656249")).unwrap(),
            MAX_TICK - 1
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1u8)).unwrap(),
            MAX_TICK - 1
        );
        assert_eq!(get_tick_at_sqrt_ratio(U256::from(1u8) << 96).unwrap(), 0);
    }

    #[test]
    fn widening_mul_matches_u256() {
        for (a, b) in [
            (u128::MAX, u128::MAX),
            (1u128 << 127, 3),
            (0xdead_beef_u128 << 70, u128::MAX - 5),
        ] {
            let (hi, lo) = widening_mul_u128(a, b);
            let wide = U256::from(a) * U256::from(b);
            assert_eq!((U256::from(hi) << 128usize) | U256::from(lo), wide);
        }
    }

    #[test]
    fn tick_at_ratio_inverts_ratio_at_tick_everywhere_sampled() {
        let mut t = MIN_TICK;
        while t < MAX_TICK {
            let r = get_sqrt_ratio_at_tick(t).unwrap();
            assert_eq!(get_tick_at_sqrt_ratio(r).unwrap(), t);
            let next = get_sqrt_ratio_at_tick(t + 1).unwrap();
            assert_eq!(get_tick_at_sqrt_ratio(next - U256::from(1u8)).unwrap(), t);
            t += 997;
        }
    }
}
