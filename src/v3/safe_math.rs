//! Ports of `SafeCast.sol` and `LowGasSafeMath.sol` (int256 add/sub): the checked
//! conversions and additions that revert without reason in the contracts.

use super::error::V3Error;
use super::num::{I256, U256};

const INT128_MIN_ABS: u128 = 1u128 << 127;

/// `SafeCast.toInt256(uint256)`: `require(y < 2**255)`.
#[inline]
pub fn to_int256(y: U256) -> Result<I256, V3Error> {
    if y.bit(255) {
        return Err(V3Error::SafeCastOverflow {
            value: y,
            target: "int256",
        });
    }
    Ok(I256::from_raw(y))
}

/// `SafeCast.toInt128(int256(uint256(x)))` for a `uint128` input (mint/burn amounts).
#[inline]
pub fn u128_to_int128(x: u128) -> Result<i128, V3Error> {
    if x >= INT128_MIN_ABS {
        return Err(V3Error::SafeCastOverflow {
            value: U256::from(x),
            target: "int128",
        });
    }
    Ok(x as i128)
}

/// `SafeCast.toInt128(int256)` for a value computed as `int256(a) ± b` with `a, b`
/// of type int128 (so the input always fits in i129 — held here as i128 + carry).
#[inline]
pub fn add_to_int128(a: i128, b: i128, subtract: bool) -> Result<i128, V3Error> {
    let r = if subtract {
        a.checked_sub(b)
    } else {
        a.checked_add(b)
    };
    r.ok_or_else(|| {
        let (a, b) = (i128_to_i256(a), i128_to_i256(b));
        let wide = if subtract {
            a.wrapping_sub(b)
        } else {
            a.wrapping_add(b)
        };
        V3Error::SafeCastOverflow {
            value: wide.into_raw(),
            target: "int128",
        }
    })
}

/// Sign-extends an i128 to I256.
#[inline]
pub fn i128_to_i256(x: i128) -> I256 {
    if x < 0 {
        I256::from_raw(U256::from(x.unsigned_abs()).wrapping_neg())
    } else {
        I256::from_raw(U256::from(x as u128))
    }
}

/// `SafeCast.toUint160(uint256)`.
#[inline]
pub fn to_uint160(y: U256) -> Result<U256, V3Error> {
    if y.bit_len() > 160 {
        return Err(V3Error::SafeCastOverflow {
            value: y,
            target: "uint160",
        });
    }
    Ok(y)
}

/// `LowGasSafeMath.add(int256, int256)`.
#[inline]
pub fn add_i256(x: I256, y: I256) -> Result<I256, V3Error> {
    x.checked_add(y)
        .ok_or(V3Error::ArithmeticOverflow("LowGasSafeMath.add(int256)"))
}

/// `LowGasSafeMath.sub(int256, int256)`.
#[inline]
pub fn sub_i256(x: I256, y: I256) -> Result<I256, V3Error> {
    x.checked_sub(y)
        .ok_or(V3Error::ArithmeticOverflow("LowGasSafeMath.sub(int256)"))
}

/// `LowGasSafeMath.add(uint256, uint256)`.
#[inline]
pub fn add_u256(x: U256, y: U256) -> Result<U256, V3Error> {
    x.checked_add(y)
        .ok_or(V3Error::ArithmeticOverflow("LowGasSafeMath.add(uint256)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_revert_at_the_contract_bounds() {
        assert!(to_int256(U256::from(1u8) << 255).is_err());
        assert_eq!(
            to_int256((U256::from(1u8) << 255) - U256::from(1u8)).unwrap(),
            I256::MAX
        );
        assert!(u128_to_int128(1u128 << 127).is_err());
        assert_eq!(u128_to_int128((1u128 << 127) - 1).unwrap(), i128::MAX);
        assert!(to_uint160(U256::from(1u8) << 160).is_err());
        assert!(add_i256(I256::MAX, I256::ONE).is_err());
        assert!(sub_i256(I256::MIN, I256::ONE).is_err());
        assert!(add_u256(U256::MAX, U256::from(1u8)).is_err());
        assert!(add_to_int128(i128::MAX, 1, false).is_err());
        assert!(add_to_int128(i128::MIN, 1, true).is_err());
    }
}
