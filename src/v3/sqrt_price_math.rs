//! Port of `SqrtPriceMath.sol`: the next sqrt price after adding or removing an amount
//! of token0 / token1, and the token amounts between two prices (both roundings, and the
//! signed variants the pool uses for mint/burn). Prices are Q64.96 values below 2^160
//! held in `U256`; liquidity is the contract's `uint128`.

use super::error::V3Error;
use super::full_math::{checked_div, div_rounding_up, mul_div, mul_div_rounding_up};
use super::num::{I256, U256};
use super::safe_math::{add_u256, to_int256, to_uint160};

const RESOLUTION: usize = 96;
const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);
const U160_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, u32::MAX as u64, 0]);

#[inline]
fn uint160(x: U256) -> U256 {
    x & U160_MAX
}

/// `getNextSqrtPriceFromAmount0RoundingUp`.
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, V3Error> {
    // short circuit: the contract returns the input price unchanged
    if amount.is_zero() {
        return Ok(sqrt_px96);
    }
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let (product, overflowed) = amount.overflowing_mul(sqrt_px96);
    if add {
        if !overflowed {
            let (denominator, carry) = numerator1.overflowing_add(product);
            if !carry {
                // always fits in 160 bits
                return Ok(uint160(mul_div_rounding_up(
                    numerator1,
                    sqrt_px96,
                    denominator,
                )?));
            }
        }
        // Solidity's checked `/` reverts on a zero price (unreachable from the pool)
        let q = checked_div(numerator1, sqrt_px96)
            .ok_or(V3Error::SqrtPriceMath("sqrt price is zero"))?;
        Ok(uint160(div_rounding_up(numerator1, add_u256(q, amount)?)))
    } else {
        // if the product overflows, we know the denominator underflows; in addition, we
        // must check that the denominator does not underflow
        if overflowed || numerator1 <= product {
            return Err(V3Error::SqrtPriceMath(
                "amount0 out exceeds the virtual reserve",
            ));
        }
        let denominator = numerator1 - product;
        to_uint160(mul_div_rounding_up(numerator1, sqrt_px96, denominator)?)
    }
}

/// `getNextSqrtPriceFromAmount1RoundingDown`.
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, V3Error> {
    let liquidity = U256::from(liquidity);
    if add {
        let quotient = if amount <= U160_MAX {
            checked_div(amount << RESOLUTION, liquidity)
                .ok_or(V3Error::ArithmeticOverflow("division by zero liquidity"))?
        } else {
            mul_div(amount, Q96, liquidity)?
        };
        to_uint160(add_u256(sqrt_px96, quotient)?)
    } else {
        let quotient = if amount <= U160_MAX {
            div_rounding_up(amount << RESOLUTION, liquidity)
        } else {
            mul_div_rounding_up(amount, Q96, liquidity)?
        };
        if sqrt_px96 <= quotient {
            return Err(V3Error::SqrtPriceMath(
                "amount1 out exceeds the virtual reserve",
            ));
        }
        // always fits 160 bits
        Ok(uint160(sqrt_px96 - quotient))
    }
}

/// `getNextSqrtPriceFromInput`: price after adding `amount_in` of token0
/// (`zero_for_one`) or token1.
pub fn get_next_sqrt_price_from_input(
    sqrt_px96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> Result<U256, V3Error> {
    check_price_and_liquidity(sqrt_px96, liquidity)?;
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, true)
    }
}

/// `getNextSqrtPriceFromOutput`: price after removing `amount_out` of token1
/// (`zero_for_one`) or token0.
pub fn get_next_sqrt_price_from_output(
    sqrt_px96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> Result<U256, V3Error> {
    check_price_and_liquidity(sqrt_px96, liquidity)?;
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, false)
    }
}

#[inline]
fn check_price_and_liquidity(sqrt_px96: U256, liquidity: u128) -> Result<(), V3Error> {
    if sqrt_px96.is_zero() {
        return Err(V3Error::SqrtPriceMath("sqrt price is zero"));
    }
    if liquidity == 0 {
        return Err(V3Error::SqrtPriceMath("liquidity is zero"));
    }
    Ok(())
}

/// `getAmount0Delta(sqrtA, sqrtB, liquidity, roundUp)`: token0 between two prices.
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, V3Error> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    let numerator1 = U256::from(liquidity) << RESOLUTION;
    let numerator2 = b - a;
    if a.is_zero() {
        return Err(V3Error::SqrtPriceMath("sqrt price is zero"));
    }
    if round_up {
        Ok(div_rounding_up(
            mul_div_rounding_up(numerator1, numerator2, b)?,
            a,
        ))
    } else {
        checked_div(mul_div(numerator1, numerator2, b)?, a)
            .ok_or(V3Error::SqrtPriceMath("sqrt price is zero"))
    }
}

/// True only when `x < getAmount0Delta(sqrtA, sqrtB, liquidity, roundUp)` for either
/// rounding, decided from a floating-point estimate so a swap step that stops short
/// of its target can skip that exact (two long divisions) amount; false means "not
/// known" and the caller computes the amount exactly.
///
/// Why it never errs: with a <= b both nonzero, the exact result R is
/// round(round(L * 2^96 * (b - a) / b) / a), two roundings of at most 1 each, so
/// |R - V| < 2 for the real V = L * 2^96 * (b - a) / (a * b). The estimate F is V
/// computed in IEEE binary64 (correctly rounded, deterministic): five conversions of
/// at most 4 roundings each and three operations, so |F - V| < 2^-47 * V, and x's
/// conversion is within 2^-50 * x. The test below demands F exceed x by a factor
/// 1 + 2^-40 plus 4, so x < V - 2 < R.
#[inline]
pub fn amount0_delta_surely_exceeds(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    x: U256,
) -> bool {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    if a.is_zero() {
        return false;
    }
    const TWO_POW_96: f64 = 79228162514264337593543950336.0;
    const MARGIN: f64 = 1.0 + 1.0 / 1_099_511_627_776.0; // 1 + 2^-40
    let v = (liquidity as f64 * f64_of(b - a)) / (f64_of(a) * f64_of(b)) * TWO_POW_96;
    f64_of(x) * MARGIN + 4.0 < v / MARGIN
}

/// `x` as the nearest-ish binary64: each limb's conversion and each sum rounds once.
#[inline]
fn f64_of(x: U256) -> f64 {
    const TWO_POW_64: f64 = 18446744073709551616.0;
    let l = x.as_limbs();
    ((l[3] as f64 * TWO_POW_64 + l[2] as f64) * TWO_POW_64 + l[1] as f64) * TWO_POW_64 + l[0] as f64
}

/// `getAmount1Delta(sqrtA, sqrtB, liquidity, roundUp)`: token1 between two prices.
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, V3Error> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    let l = U256::from(liquidity);
    if round_up {
        mul_div_rounding_up(l, b - a, Q96)
    } else {
        mul_div(l, b - a, Q96)
    }
}

/// The signed form of an amount delta: rounds up when adding liquidity, down (and
/// negated) when removing, as both `int128` overloads of the contract do.
fn signed_delta(
    delta: fn(U256, U256, u128, bool) -> Result<U256, V3Error>,
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> Result<I256, V3Error> {
    let removing = liquidity < 0;
    let v = delta(
        sqrt_ratio_a_x96,
        sqrt_ratio_b_x96,
        liquidity.unsigned_abs(),
        !removing,
    )?;
    let v = to_int256(v)?;
    Ok(if removing { v.wrapping_neg() } else { v })
}

/// Signed `getAmount0Delta(sqrtA, sqrtB, int128 liquidity)`: rounds up when adding
/// liquidity, down (and negated) when removing.
pub fn get_amount0_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> Result<I256, V3Error> {
    signed_delta(
        get_amount0_delta,
        sqrt_ratio_a_x96,
        sqrt_ratio_b_x96,
        liquidity,
    )
}

/// Signed `getAmount1Delta(sqrtA, sqrtB, int128 liquidity)`.
pub fn get_amount1_delta_signed(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: i128,
) -> Result<I256, V3Error> {
    signed_delta(
        get_amount1_delta,
        sqrt_ratio_a_x96,
        sqrt_ratio_b_x96,
        liquidity,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount0_delta_surely_exceeds_is_never_wrong() {
        use crate::v3::tick_math::{get_sqrt_ratio_at_tick, MAX_TICK, MIN_TICK};
        use rand::{Rng, SeedableRng};
        use rand_chacha::ChaCha8Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(0xa0d3);
        let mut said_yes = 0usize;
        for i in 0..200_000 {
            let (a, b) = if i % 2 == 0 {
                // prices at ticks, near each other or far apart
                let t = rng.gen_range(MIN_TICK..MAX_TICK);
                let w = if i % 4 == 0 {
                    rng.gen_range(1..200)
                } else {
                    rng.gen_range(1..50_000)
                };
                let u = (t + w).min(MAX_TICK);
                (
                    get_sqrt_ratio_at_tick(t).unwrap(),
                    get_sqrt_ratio_at_tick(u).unwrap(),
                )
            } else {
                let a = U256::from(rng.gen::<u128>() >> rng.gen_range(0..100)) + U256::from(1u8);
                (
                    a,
                    a + U256::from(rng.gen::<u128>() >> rng.gen_range(0..128)),
                )
            };
            let l: u128 = rng.gen::<u128>() >> rng.gen_range(0..128);
            for round_up in [false, true] {
                let Ok(exact) = get_amount0_delta(a, b, l, round_up) else {
                    continue;
                };
                // just below, at and above the exact amount, and random amounts
                let mut xs = vec![exact, exact + U256::from(1u8), U256::from(rng.gen::<u64>())];
                for k in [1u8, 2, 3, 5] {
                    if exact >= U256::from(k) {
                        xs.push(exact - U256::from(k));
                    }
                }
                xs.push(exact - exact / U256::from(1_000_000u32));
                for x in xs {
                    if amount0_delta_surely_exceeds(a, b, l, x) {
                        assert!(x < exact, "{x} >= {exact} for {a} {b} {l} {round_up}");
                        said_yes += 1;
                    }
                    // argument order does not matter, like getAmount0Delta
                    assert_eq!(
                        amount0_delta_surely_exceeds(a, b, l, x),
                        amount0_delta_surely_exceeds(b, a, l, x)
                    );
                }
            }
        }
        // it must also be useful: most clearly smaller amounts are recognised
        assert!(said_yes > 100_000, "only {said_yes} shortcuts");
        assert!(!amount0_delta_surely_exceeds(
            U256::ZERO,
            U256::from(5u8),
            7,
            U256::ZERO
        ));
    }

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64.pow(18))
    }

    /// encodePriceSqrt(1, 1)
    fn p1() -> U256 {
        U256::from(1u8) << 96
    }

    const L1E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn v3_core_next_price_from_input_vectors() {
        // fails if price is zero / liquidity is zero
        assert!(
            get_next_sqrt_price_from_input(U256::ZERO, 0, e18(1) / U256::from(10u8), false)
                .is_err()
        );
        assert!(get_next_sqrt_price_from_input(
            U256::from(1u8),
            0,
            e18(1) / U256::from(10u8),
            true
        )
        .is_err());
        // fails if input amount overflows the price
        let price = U160_MAX;
        assert!(get_next_sqrt_price_from_input(price, 1024, U256::from(1024u32), false).is_err());
        // any input amount cannot underflow the price
        assert_eq!(
            get_next_sqrt_price_from_input(U256::from(1u8), 1, U256::from(1u8) << 255, true)
                .unwrap(),
            U256::from(1u8)
        );
        // returns input price if amount in is zero
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), L1E18 / 10, U256::ZERO, true).unwrap(),
            p1()
        );
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), L1E18 / 10, U256::ZERO, false).unwrap(),
            p1()
        );
        // returns the minimum price for max inputs
        let sqrt_p = U160_MAX;
        let liq = u128::MAX;
        let max_amount_no_overflow = U256::MAX - ((U256::from(liq) << 96) / sqrt_p);
        assert_eq!(
            get_next_sqrt_price_from_input(sqrt_p, liq, max_amount_no_overflow, true).unwrap(),
            U256::from(1u8)
        );
        // input amount of 0.1 token1
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), L1E18, e18(1) / U256::from(10u8), false).unwrap(),
            u("87150978765690771352898345369")
        );
        // input amount of 0.1 token0
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), L1E18, e18(1) / U256::from(10u8), true).unwrap(),
            u("72025602285694852357767227579")
        );
        // amountIn > type(uint96).max and zeroForOne = true
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), 10 * L1E18, U256::from(1u8) << 100, true).unwrap(),
            u("624999999995069620")
        );
        // can return 1 with enough amountIn and zeroForOne = true
        assert_eq!(
            get_next_sqrt_price_from_input(p1(), 1, U256::MAX / U256::from(2u8), true).unwrap(),
            U256::from(1u8)
        );
    }

    #[test]
    fn v3_core_next_price_from_output_vectors() {
        assert!(
            get_next_sqrt_price_from_output(U256::ZERO, 0, e18(1) / U256::from(10u8), false)
                .is_err()
        );
        assert!(get_next_sqrt_price_from_output(
            U256::from(1u8),
            0,
            e18(1) / U256::from(10u8),
            true
        )
        .is_err());
        let price = u("20282409603651670423947251286016");
        let liquidity = 1024u128;
        // fails if output amount is exactly the virtual reserves of token0
        assert!(get_next_sqrt_price_from_output(price, liquidity, U256::from(4u8), false).is_err());
        // fails if output amount is greater than virtual reserves of token0
        assert!(get_next_sqrt_price_from_output(price, liquidity, U256::from(5u8), false).is_err());
        // fails if output amount is greater than virtual reserves of token1
        assert!(
            get_next_sqrt_price_from_output(price, liquidity, U256::from(262145u32), true).is_err()
        );
        // fails if output amount is exactly the virtual reserves of token1
        assert!(
            get_next_sqrt_price_from_output(price, liquidity, U256::from(262144u32), true).is_err()
        );
        // succeeds if output amount is just less than the virtual reserves of token1
        assert_eq!(
            get_next_sqrt_price_from_output(price, liquidity, U256::from(262143u32), true).unwrap(),
            u("77371252455336267181195264")
        );
        // puzzling echidna test
        assert!(get_next_sqrt_price_from_output(price, liquidity, U256::from(4u8), false).is_err());
        // returns input price if amount in is zero
        assert_eq!(
            get_next_sqrt_price_from_output(p1(), L1E18 / 10, U256::ZERO, true).unwrap(),
            p1()
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p1(), L1E18 / 10, U256::ZERO, false).unwrap(),
            p1()
        );
        // output amount of 0.1 token1
        assert_eq!(
            get_next_sqrt_price_from_output(p1(), L1E18, e18(1) / U256::from(10u8), false).unwrap(),
            u("88031291682515930659493278152")
        );
        // output amount of 0.1 token1 (zeroForOne)
        assert_eq!(
            get_next_sqrt_price_from_output(p1(), L1E18, e18(1) / U256::from(10u8), true).unwrap(),
            u("71305346262837903834189555302")
        );
        // reverts if amountOut is impossible in zero for one direction
        assert!(get_next_sqrt_price_from_output(p1(), 1, U256::MAX, true).is_err());
        assert!(get_next_sqrt_price_from_output(p1(), 1, U256::MAX, false).is_err());
    }

    #[test]
    fn v3_core_amount_delta_vectors() {
        // returns 0 if liquidity is 0
        assert_eq!(
            get_amount0_delta(p1(), U256::from(2u8) << 96, 0, true).unwrap(),
            U256::ZERO
        );
        // returns 0 if prices are equal
        assert_eq!(get_amount0_delta(p1(), p1(), 0, true).unwrap(), U256::ZERO);
        // price 1 -> 121/100
        let p121 = u("87150978765690771352898345369");
        let amount0 = get_amount0_delta(p1(), p121, L1E18, true).unwrap();
        assert_eq!(amount0, u("90909090909090910"));
        let amount0_down = get_amount0_delta(p1(), p121, L1E18, false).unwrap();
        assert_eq!(amount0_down, amount0 - U256::from(1u8));
        let amount1 = get_amount1_delta(p1(), p121, L1E18, true).unwrap();
        assert_eq!(amount1, u("100000000000000000"));
        let amount1_down = get_amount1_delta(p1(), p121, L1E18, false).unwrap();
        assert_eq!(amount1_down, amount1 - U256::from(1u8));
        // works for prices that overflow
        let big_a = u("2787593149816327892691964784081045188247552");
        let big_b = u("22300745198530623141535718272648361505980416");
        let up = get_amount0_delta(big_a, big_b, L1E18, true).unwrap();
        let down = get_amount0_delta(big_a, big_b, L1E18, false).unwrap();
        assert_eq!(up, down + U256::from(1u8));
        // zero sqrt price reverts
        assert!(get_amount0_delta(U256::ZERO, p1(), 1, true).is_err());
        // signed variants
        assert_eq!(
            get_amount0_delta_signed(p1(), p121, -(L1E18 as i128)).unwrap(),
            I256::from_raw(amount0_down).wrapping_neg()
        );
        assert_eq!(
            get_amount1_delta_signed(p1(), p121, L1E18 as i128).unwrap(),
            I256::from_raw(amount1)
        );
    }

    #[test]
    fn v3_core_swap_computation_regression() {
        // SqrtPriceMath.spec.ts "swap computation": sqrtP * sqrtQ overflows
        let sqrt_p = u("1025574284609383690408304870162715216695788925244");
        let liquidity = 50015962439936049619261659728067971248u128;
        let zero_for_one = true;
        let amount_in = U256::from(406u32);
        let sqrt_q =
            get_next_sqrt_price_from_input(sqrt_p, liquidity, amount_in, zero_for_one).unwrap();
        assert_eq!(
            sqrt_q,
            u("1025574284609383582644711336373707553698163132913")
        );
        let amount0_delta = get_amount0_delta(sqrt_q, sqrt_p, liquidity, true).unwrap();
        assert_eq!(amount0_delta, U256::from(406u32));
    }
}
