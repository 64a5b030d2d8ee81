//! Price conversions between human prices (token1 per token0 in display units), raw
//! prices (token1 base units per token0 base unit), ticks and `sqrtPriceX96`. These are
//! f64 approximations used to *choose* actions and to *report* values; the engine's
//! integer math decides every amount.

use crate::v3::U256;

pub use crate::v3::tick_math::{MAX_TICK, MIN_TICK};

/// `TickMath.MIN_SQRT_RATIO` (the sqrt price at MIN_TICK).
pub fn min_sqrt_ratio() -> U256 {
    crate::v3::tick_math::MIN_SQRT_RATIO
}

/// `TickMath.MAX_SQRT_RATIO` (the sqrt price at MAX_TICK).
pub fn max_sqrt_ratio() -> U256 {
    crate::v3::tick_math::MAX_SQRT_RATIO
}

const Q96: f64 = 79_228_162_514_264_337_593_543_950_336.0; // 2^96

/// Raw price (token1 base units per token0 base unit) of a human price.
pub fn raw_from_human(price: f64, decimals0: u8, decimals1: u8) -> f64 {
    price * 10f64.powi(i32::from(decimals1) - i32::from(decimals0))
}

/// Human price of a raw price.
pub fn human_from_raw(raw: f64, decimals0: u8, decimals1: u8) -> f64 {
    raw * 10f64.powi(i32::from(decimals0) - i32::from(decimals1))
}

/// Nearest `U256` to a non-negative f64 (0 for NaN and negatives, saturating).
pub fn u256_from_f64(x: f64) -> U256 {
    if x.is_nan() || x < 1.0 {
        return U256::ZERO;
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    if exp >= 0 {
        if exp > 200 {
            U256::MAX
        } else {
            U256::from(mant) << (exp as usize)
        }
    } else {
        U256::from(mant >> ((-exp) as u32))
    }
}

/// f64 approximation of a `U256`.
pub fn f64_from_u256(x: U256) -> f64 {
    let bits = x.bit_len();
    if bits <= 64 {
        return x.as_limbs()[0] as f64;
    }
    let shift = bits - 64;
    let top = (x >> shift).as_limbs()[0];
    top as f64 * 2f64.powi(shift as i32)
}

/// `sqrtPriceX96` of a raw price, clamped into `[MIN_SQRT_RATIO, MAX_SQRT_RATIO)`.
pub fn sqrt_price_x96_from_raw(raw: f64) -> U256 {
    let v = u256_from_f64(raw.max(0.0).sqrt() * Q96);
    let lo = min_sqrt_ratio();
    let hi = max_sqrt_ratio() - U256::from(1u8);
    v.clamp(lo, hi)
}

/// Raw price of a `sqrtPriceX96`.
pub fn raw_from_sqrt_price_x96(sqrt_price_x96: U256) -> f64 {
    let s = f64_from_u256(sqrt_price_x96) / Q96;
    s * s
}

/// The tick whose price is just at or below `raw` (f64 approximation), clamped.
pub fn tick_from_raw(raw: f64) -> i32 {
    if raw.is_nan() || raw <= 0.0 {
        return MIN_TICK;
    }
    let t = (raw.ln() / 1.0001f64.ln()).floor();
    t.clamp(f64::from(MIN_TICK), f64::from(MAX_TICK)) as i32
}

/// Raw price at a tick (f64 approximation of 1.0001^tick).
pub fn raw_from_tick(tick: i32) -> f64 {
    1.0001f64.powi(tick)
}

/// The largest multiple of `spacing` at or below `tick`, kept inside the usable range.
pub fn floor_to_spacing(tick: i32, spacing: i32) -> i32 {
    let spacing = spacing.max(1);
    let t = tick.div_euclid(spacing) * spacing;
    let lo = min_usable_tick(spacing);
    let hi = max_usable_tick(spacing);
    t.clamp(lo, hi)
}

/// The smallest tick usable with `spacing` (a multiple of it, `>= MIN_TICK`).
pub fn min_usable_tick(spacing: i32) -> i32 {
    let spacing = spacing.max(1);
    -(MAX_TICK / spacing) * spacing
}

/// The largest tick usable with `spacing`.
pub fn max_usable_tick(spacing: i32) -> i32 {
    let spacing = spacing.max(1);
    (MAX_TICK / spacing) * spacing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_contract() {
        assert_eq!(
            max_sqrt_ratio().to_string(),
            "1461446703485210103287273052203988822378723970342"
        );
    }

    #[test]
    fn u256_f64_round_trip() {
        for x in [1.0, 3.5e9, 2f64.powi(96), 1.234e40, 7.9e28] {
            let u = u256_from_f64(x);
            let back = f64_from_u256(u);
            assert!(
                (back - x.floor()).abs() <= x * 1e-15,
                "{x} -> {u} -> {back}"
            );
        }
        assert_eq!(u256_from_f64(f64::NAN), U256::ZERO);
        assert_eq!(u256_from_f64(-5.0), U256::ZERO);
    }

    #[test]
    fn prices_ticks_and_sqrt_prices_agree() {
        // WETH/USDC-like: 3000 USDC per WETH, decimals 18 / 6.
        let raw = raw_from_human(3000.0, 18, 6);
        assert!((raw - 3e-9).abs() < 1e-20);
        let tick = tick_from_raw(raw);
        assert!(raw_from_tick(tick) <= raw && raw < raw_from_tick(tick + 1));
        let sp = sqrt_price_x96_from_raw(raw);
        let back = raw_from_sqrt_price_x96(sp);
        assert!((back / raw - 1.0).abs() < 1e-12);
        assert!((human_from_raw(back, 18, 6) - 3000.0).abs() < 1e-6);
        assert_eq!(sqrt_price_x96_from_raw(0.0), min_sqrt_ratio());
        assert_eq!(
            sqrt_price_x96_from_raw(1e300),
            max_sqrt_ratio() - U256::from(1u8)
        );
    }

    #[test]
    fn spacing_helpers_stay_in_bounds() {
        assert_eq!(floor_to_spacing(-1, 60), -60);
        assert_eq!(floor_to_spacing(59, 60), 0);
        assert_eq!(floor_to_spacing(MAX_TICK, 60), 887_220);
        assert_eq!(floor_to_spacing(MIN_TICK, 60), -887_220);
        assert_eq!(min_usable_tick(10), -887_270);
    }
}
