//! Port of `LiquidityMath.sol`: `addDelta` of a signed liquidity delta to a `uint128`,
//! reverting `LS` on underflow and `LA` on overflow.

use super::error::V3Error;

/// `LiquidityMath.addDelta(x, y)`.
#[inline]
pub fn add_delta(x: u128, y: i128) -> Result<u128, V3Error> {
    if y < 0 {
        // uint128(-y) with int128 wrapping (y = int128.min gives 2**127)
        let z = x.wrapping_sub(y.unsigned_abs());
        if z < x {
            Ok(z)
        } else {
            Err(V3Error::LiquiditySub {
                liquidity: x,
                delta: y,
            })
        }
    } else {
        let z = x.wrapping_add(y as u128);
        if z >= x {
            Ok(z)
        } else {
            Err(V3Error::LiquidityAdd {
                liquidity: x,
                delta: y,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_core_liquidity_math_vectors() {
        assert_eq!(add_delta(1, 0).unwrap(), 1);
        assert_eq!(add_delta(1, -1).unwrap(), 0);
        assert_eq!(add_delta(1, 1).unwrap(), 2);
        let e = add_delta(u128::MAX - 14, 15).unwrap_err();
        assert_eq!(e.reason(), Some("LA"));
        let e = add_delta(0, -1).unwrap_err();
        assert_eq!(e.reason(), Some("LS"));
        let e = add_delta(3, -4).unwrap_err();
        assert_eq!(e.reason(), Some("LS"));
        assert_eq!(add_delta(1u128 << 127, i128::MIN).unwrap(), 0);
        assert_eq!(add_delta(0, 0).unwrap(), 0);
    }
}
