//! Pool actions as they appear on tapes (`tracka sim`, market tapes, event logs) and
//! their results. The JSON form is tagged by `op`; big integers are decimal strings.

use serde::{Deserialize, Serialize};

use super::num::{dec_i256, dec_u128, dec_u256, I256, U256};

/// One call into a pool, with the contract's argument types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// `mint(recipient=owner, tickLower, tickUpper, amount)`.
    Mint {
        owner: String,
        tick_lower: i32,
        tick_upper: i32,
        #[serde(with = "dec_u128")]
        amount: u128,
    },
    /// `burn(tickLower, tickUpper, amount)` called by `owner`; amount 0 pokes fees.
    Burn {
        owner: String,
        tick_lower: i32,
        tick_upper: i32,
        #[serde(with = "dec_u128")]
        amount: u128,
    },
    /// `collect(recipient, tickLower, tickUpper, amount0Requested, amount1Requested)`
    /// called by `owner`.
    Collect {
        owner: String,
        tick_lower: i32,
        tick_upper: i32,
        #[serde(with = "dec_u128")]
        amount0_requested: u128,
        #[serde(with = "dec_u128")]
        amount1_requested: u128,
    },
    /// `swap(recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96)`: exact input
    /// when `amount_specified > 0`, exact output when `< 0`.
    Swap {
        zero_for_one: bool,
        #[serde(with = "dec_i256")]
        amount_specified: I256,
        #[serde(with = "dec_u256")]
        sqrt_price_limit_x96: U256,
    },
}

impl Action {
    /// The `op` name of the action.
    pub fn op(&self) -> &'static str {
        match self {
            Action::Mint { .. } => "mint",
            Action::Burn { .. } => "burn",
            Action::Collect { .. } => "collect",
            Action::Swap { .. } => "swap",
        }
    }
}

/// What a successful action returned, with the contract's return types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutput {
    /// mint and burn: amounts of token0 and token1 (owed by / to the caller).
    Amounts { amount0: U256, amount1: U256 },
    /// collect: amounts actually transferred.
    Collected { amount0: u128, amount1: u128 },
    /// swap: the pool's deltas, positive = paid into the pool.
    Swapped { amount0: I256, amount1: I256 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_tape_actions() {
        let a: Action = serde_json::from_str(
            r#"{"op":"swap","zero_for_one":true,"amount_specified":"-1000","sqrt_price_limit_x96":"4295128740"}"#,
        )
        .unwrap();
        assert_eq!(
            a,
            Action::Swap {
                zero_for_one: true,
                amount_specified: I256::try_from(-1000i64).unwrap(),
                sqrt_price_limit_x96: U256::from(4295128740u64),
            }
        );
        let m: Action = serde_json::from_str(
            r#"{"op":"mint","owner":"a","tick_lower":-600,"tick_upper":600,"amount":"1000"}"#,
        )
        .unwrap();
        assert_eq!(m.op(), "mint");
        let back = serde_json::to_string(&m).unwrap();
        assert_eq!(
            back,
            r#"{"op":"mint","owner":"a","tick_lower":-600,"tick_upper":600,"amount":"1000"}"#
        );
    }

    #[test]
    fn rejects_unknown_fields_and_bad_numbers() {
        assert!(serde_json::from_str::<Action>(
            r#"{"op":"mint","owner":"a","tick_lower":0,"tick_upper":60,"amount":"1","x":1}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Action>(
            r#"{"op":"mint","owner":"a","tick_lower":0,"tick_upper":60,"amount":"-1"}"#
        )
        .is_err());
    }
}
