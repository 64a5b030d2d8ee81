//! Port of `BitMath.sol`: most and least significant set bit of a `uint256`
//! (`require(x > 0)` without reason on zero).

use super::error::V3Error;
use super::num::U256;

/// `BitMath.mostSignificantBit`: index of the highest set bit.
#[inline]
pub fn most_significant_bit(x: U256) -> Result<u8, V3Error> {
    if x.is_zero() {
        return Err(V3Error::BitMathZero);
    }
    // bit_len is in 1..=256 for x > 0
    Ok((x.bit_len() - 1) as u8)
}

/// `BitMath.leastSignificantBit`: index of the lowest set bit.
#[inline]
pub fn least_significant_bit(x: U256) -> Result<u8, V3Error> {
    if x.is_zero() {
        return Err(V3Error::BitMathZero);
    }
    Ok(x.trailing_zeros() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_core_bit_math_vectors() {
        assert!(most_significant_bit(U256::ZERO).is_err());
        assert!(least_significant_bit(U256::ZERO).is_err());
        assert_eq!(most_significant_bit(U256::from(1u8)).unwrap(), 0);
        assert_eq!(most_significant_bit(U256::from(2u8)).unwrap(), 1);
        assert_eq!(least_significant_bit(U256::from(2u8)).unwrap(), 1);
        for i in 0..256usize {
            let p = U256::from(1u8) << i;
            assert_eq!(most_significant_bit(p).unwrap() as usize, i);
            assert_eq!(least_significant_bit(p).unwrap() as usize, i);
        }
        assert_eq!(most_significant_bit(U256::MAX).unwrap(), 255);
        assert_eq!(least_significant_bit(U256::MAX).unwrap(), 0);
    }
}
