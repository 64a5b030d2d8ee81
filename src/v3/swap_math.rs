//! Port of `SwapMath.sol`: `computeSwapStep`, one step of a swap within a single tick
//! range (the price moves toward a target; input, output and fee of the step).

use super::error::V3Error;
use super::full_math::{mul_div, mul_div_rounding_up};
use super::num::{I256, U256};
use super::sqrt_price_math::{
    amount0_delta_surely_exceeds, get_amount0_delta, get_amount1_delta,
    get_next_sqrt_price_from_input, get_next_sqrt_price_from_output,
};

const ONE_E6: u32 = 1_000_000;
const UINT24_MASK: u32 = 0xff_ffff;

/// Result of [`compute_swap_step`], named as in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapStep {
    pub sqrt_ratio_next_x96: U256,
    pub amount_in: U256,
    pub amount_out: U256,
    pub fee_amount: U256,
}

/// `SwapMath.computeSwapStep(sqrtRatioCurrentX96, sqrtRatioTargetX96, liquidity,
/// amountRemaining, feePips)`. `amount_remaining >= 0` is exact input; `fee_pips` is
/// the contract's uint24 (only its low 24 bits are used).
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> Result<SwapStep, V3Error> {
    let zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96;
    let exact_in = !amount_remaining.is_negative();
    // feePips is a uint24 and `1e6 - feePips` is uint24 arithmetic (wraps above 1e6)
    let fee_pips = fee_pips & UINT24_MASK;
    let fee = U256::from(fee_pips);
    let one_minus_fee = U256::from(ONE_E6.wrapping_sub(fee_pips) & UINT24_MASK);
    let one_e6 = U256::from(ONE_E6);

    let sqrt_ratio_next_x96;
    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    // uint256(amountRemaining) / uint256(-amountRemaining), unchecked
    let remaining_in = amount_remaining.into_raw();
    let remaining_out = amount_remaining.wrapping_neg().into_raw();

    // a step that surely stops short of its target skips the amount to the target
    // (which cannot revert) and computes the amount to the new price below instead;
    // when that price is the target after all, the two amounts are the same call
    let deferred;
    if exact_in {
        let amount_remaining_less_fee = mul_div(remaining_in, one_minus_fee, one_e6)?;
        deferred = zero_for_one
            && amount0_delta_surely_exceeds(
                sqrt_ratio_target_x96,
                sqrt_ratio_current_x96,
                liquidity,
                amount_remaining_less_fee,
            );
        amount_in = if deferred {
            U256::ZERO
        } else if zero_for_one {
            get_amount0_delta(
                sqrt_ratio_target_x96,
                sqrt_ratio_current_x96,
                liquidity,
                true,
            )?
        } else {
            get_amount1_delta(
                sqrt_ratio_current_x96,
                sqrt_ratio_target_x96,
                liquidity,
                true,
            )?
        };
        sqrt_ratio_next_x96 = if !deferred && amount_remaining_less_fee >= amount_in {
            sqrt_ratio_target_x96
        } else {
            get_next_sqrt_price_from_input(
                sqrt_ratio_current_x96,
                liquidity,
                amount_remaining_less_fee,
                zero_for_one,
            )?
        };
    } else {
        deferred = !zero_for_one
            && amount0_delta_surely_exceeds(
                sqrt_ratio_current_x96,
                sqrt_ratio_target_x96,
                liquidity,
                remaining_out,
            );
        amount_out = if deferred {
            U256::ZERO
        } else if zero_for_one {
            get_amount1_delta(
                sqrt_ratio_target_x96,
                sqrt_ratio_current_x96,
                liquidity,
                false,
            )?
        } else {
            get_amount0_delta(
                sqrt_ratio_current_x96,
                sqrt_ratio_target_x96,
                liquidity,
                false,
            )?
        };
        sqrt_ratio_next_x96 = if !deferred && remaining_out >= amount_out {
            sqrt_ratio_target_x96
        } else {
            get_next_sqrt_price_from_output(
                sqrt_ratio_current_x96,
                liquidity,
                remaining_out,
                zero_for_one,
            )?
        };
    }

    let max = sqrt_ratio_target_x96 == sqrt_ratio_next_x96;

    if zero_for_one {
        if !max || !exact_in || deferred {
            amount_in =
                get_amount0_delta(sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, true)?;
        }
        if !max || exact_in {
            amount_out = get_amount1_delta(
                sqrt_ratio_next_x96,
                sqrt_ratio_current_x96,
                liquidity,
                false,
            )?;
        }
    } else {
        if !max || !exact_in {
            amount_in =
                get_amount1_delta(sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, true)?;
        }
        if !max || exact_in || deferred {
            amount_out = get_amount0_delta(
                sqrt_ratio_current_x96,
                sqrt_ratio_next_x96,
                liquidity,
                false,
            )?;
        }
    }

    // cap the output amount to not exceed the remaining output amount
    if !exact_in && amount_out > remaining_out {
        amount_out = remaining_out;
    }

    let fee_amount = if exact_in && sqrt_ratio_next_x96 != sqrt_ratio_target_x96 {
        // we didn't reach the target, so take the remainder of the maximum input as fee
        remaining_in.wrapping_sub(amount_in)
    } else {
        mul_div_rounding_up(amount_in, fee, one_minus_fee)?
    };

    Ok(SwapStep {
        sqrt_ratio_next_x96,
        amount_in,
        amount_out,
        fee_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::super::sqrt_price_math::get_next_sqrt_price_from_input;
    use super::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }
    fn i(s: &str) -> I256 {
        crate::v3::num::dec_i256::parse_i256(s).unwrap()
    }
    const E18: u128 = 1_000_000_000_000_000_000;

    /// encodePriceSqrt(1, 1), encodePriceSqrt(101, 100), encodePriceSqrt(1000, 100)
    fn p(s: &str) -> U256 {
        u(s)
    }
    const P1: &str = "79228162514264337593543950336";
    const P101_100: &str = "79623317895830914510639640423";
    const P1000_100: &str = "250541448375047931186413801569";
    const P10000_100: &str = "792281625142643375935439503360";

    #[test]
    fn v3_core_exact_in_capped_at_price_target_one_for_zero() {
        let s =
            compute_swap_step(p(P1), p(P101_100), 2 * E18, i("1000000000000000000"), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, p(P101_100));
        // less than the full remaining was used
        assert!(s.amount_in + s.fee_amount < u("1000000000000000000"));
    }

    #[test]
    fn v3_core_exact_out_capped_at_price_target_one_for_zero() {
        let s =
            compute_swap_step(p(P1), p(P101_100), 2 * E18, i("-1000000000000000000"), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, p(P101_100));
    }

    #[test]
    fn v3_core_exact_in_fully_spent_one_for_zero() {
        let s =
            compute_swap_step(p(P1), p(P1000_100), 2 * E18, i("1000000000000000000"), 600).unwrap();
        assert_eq!(s.amount_in, u("999400000000000000"));
        assert_eq!(s.fee_amount, u("600000000000000"));
        assert_eq!(s.amount_out, u("666399946655997866"));
        assert_eq!(s.amount_in + s.fee_amount, u("1000000000000000000"));
        let expected =
            get_next_sqrt_price_from_input(p(P1), 2 * E18, u("999400000000000000"), false).unwrap();
        assert_eq!(s.sqrt_ratio_next_x96, expected);
    }

    #[test]
    fn v3_core_exact_out_fully_received_one_for_zero() {
        let s = compute_swap_step(
            p(P1),
            p(P10000_100),
            2 * E18,
            i("-1000000000000000000"),
            600,
        )
        .unwrap();
        assert_eq!(s.amount_in, u("2000000000000000000"));
        assert_eq!(s.fee_amount, u("1200720432259356"));
        assert_eq!(s.amount_out, u("1000000000000000000"));
    }

    #[test]
    fn v3_core_amount_out_capped_at_desired() {
        let s = compute_swap_step(
            u("417332158212080721273783715441582"),
            u("1452870262520218020823638996"),
            159344665391607089467575320103,
            i("-1"),
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, u("1"));
        assert_eq!(s.fee_amount, u("1"));
        assert_eq!(s.amount_out, u("1"));
        assert_eq!(
            s.sqrt_ratio_next_x96,
            u("417332158212080721273783715441581")
        );
    }

    #[test]
    fn v3_core_target_price_of_1_uses_partial_input() {
        let s = compute_swap_step(
            u("2"),
            u("1"),
            1,
            i("3915081100057732413702495386755767"),
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, u("39614081257132168796771975168"));
        assert_eq!(s.fee_amount, u("39614120871253040049813"));
        assert!(s.amount_in + s.fee_amount <= u("3915081100057732413702495386755767"));
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, u("1"));
    }

    #[test]
    fn v3_core_entire_input_as_fee_on_exact_in() {
        let s = compute_swap_step(
            u("2413"),
            u("79887613182836312"),
            1985041575832132834610021537970,
            i("10"),
            1872,
        )
        .unwrap();
        assert_eq!(s.amount_in, U256::ZERO);
        assert_eq!(s.fee_amount, u("10"));
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, u("2413"));
    }

    #[test]
    fn v3_core_intermediate_insufficient_liquidity_zero_for_one_exact_out() {
        let price = u("20282409603651670423947251286016");
        let target = price * U256::from(11u8) / U256::from(10u8);
        let s = compute_swap_step(price, target, 1024, i("-4"), 3000).unwrap();
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, target);
        assert_eq!(s.amount_in, u("26215"));
        assert_eq!(s.fee_amount, u("79"));
    }

    #[test]
    fn v3_core_intermediate_insufficient_liquidity_one_for_zero_exact_out() {
        let price = u("20282409603651670423947251286016");
        let target = price * U256::from(9u8) / U256::from(10u8);
        let s = compute_swap_step(price, target, 1024, i("-263000"), 3000).unwrap();
        assert_eq!(s.amount_out, u("26214"));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        assert_eq!(s.amount_in, u("1"));
        assert_eq!(s.fee_amount, u("1"));
    }
}
