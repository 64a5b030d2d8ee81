//! Price orientation between Uniswap ticks and Gateway prices.
//!
//! Gateway's CLMM routes treat base = token0 and quote = token1, and their `price`,
//! `lowerPrice`, `upperPrice` are **token1 per token0 in human units**. For the mainnet
//! USDC/WETH 0.05% pool (token0 = USDC, 6 decimals; token1 = WETH, 18) that is WETH per
//! USDC, about 0.0003 — not USD per ETH.
//!
//! tick → price: `1.0001^tick · 10^(dec0 − dec1)`.
//! price → tick: `floor(ln(p · 10^(dec1 − dec0)) / ln 1.0001)`, then snapped to the
//! nearest multiple of the tick spacing (as Gateway's `nearestUsableTick`), clamped to the
//! usable range. The floor allows [`TICK_FLOOR_TOLERANCE`] of a tick so that a price
//! computed from tick `t` maps back to `t` despite floating-point error.

/// Largest tick magnitude of Uniswap V3.
pub const MAX_TICK: i32 = 887_272;

/// Fraction of a tick forgiven by the floor (float error of `ln`, far below one tick).
pub const TICK_FLOOR_TOLERANCE: f64 = 1e-7;

/// Errors converting prices.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum PriceError {
    /// The price is not a positive finite number.
    #[error("price {0} is not a positive finite number")]
    NotPositive(f64),
    /// The tick spacing is not positive.
    #[error("tick spacing {0} is not positive")]
    BadSpacing(i32),
    /// The price lies outside the tick range of Uniswap V3.
    #[error("price {price} is outside the Uniswap V3 tick range (tick {tick})")]
    OutOfRange {
        /// The price.
        price: f64,
        /// The unclamped tick it maps to.
        tick: f64,
    },
}

/// Gateway's price at `tick`: token1 per token0 in human units.
pub fn tick_to_gateway_price(tick: i32, dec0: u8, dec1: u8) -> f64 {
    let raw = (f64::from(tick) * 1.0001f64.ln()).exp();
    raw * 10f64.powi(i32::from(dec0) - i32::from(dec1))
}

/// The tick Gateway uses for `price` (token1 per token0, human units) in a pool with
/// `tick_spacing`.
pub fn gateway_price_to_tick(
    price: f64,
    dec0: u8,
    dec1: u8,
    tick_spacing: i32,
) -> Result<i32, PriceError> {
    if !(price.is_finite() && price > 0.0) {
        return Err(PriceError::NotPositive(price));
    }
    if tick_spacing <= 0 {
        return Err(PriceError::BadSpacing(tick_spacing));
    }
    let ln_raw = price.ln() + f64::from(i32::from(dec1) - i32::from(dec0)) * 10f64.ln();
    let exact = ln_raw / 1.0001f64.ln();
    let tick = (exact + TICK_FLOOR_TOLERANCE).floor();
    if !(f64::from(-MAX_TICK)..=f64::from(MAX_TICK)).contains(&tick) {
        return Err(PriceError::OutOfRange { price, tick });
    }
    // in range, so the cast is exact
    let tick = tick as i32;
    Ok(nearest_usable_tick(tick, tick_spacing))
}

/// The multiple of `tick_spacing` nearest to `tick` (halves round up), clamped to the
/// usable range.
pub fn nearest_usable_tick(tick: i32, tick_spacing: i32) -> i32 {
    let s = tick_spacing.max(1);
    let rounded = (f64::from(tick) / f64::from(s)).round_ties_up() as i32 * s;
    let min = -(MAX_TICK / s) * s;
    let max = (MAX_TICK / s) * s;
    rounded.clamp(min, max)
}

trait RoundTiesUp {
    fn round_ties_up(self) -> f64;
}

impl RoundTiesUp for f64 {
    /// JavaScript's `Math.round`: halves go toward +∞.
    fn round_ties_up(self) -> f64 {
        (self + 0.5).floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usdc_weth_price_is_weth_per_usdc() {
        // token0 = USDC (6), token1 = WETH (18). At ETH ≈ 3333 USD the pool sits near
        // tick 195_000 and Gateway's price is ≈ 0.0003 WETH per USDC.
        let p = tick_to_gateway_price(195_000, 6, 18);
        assert!((0.00028..0.00032).contains(&p), "{p}");
        assert!((1.0 / p - 3400.0).abs() < 200.0, "{}", 1.0 / p);
        assert_eq!(gateway_price_to_tick(p, 6, 18, 10).unwrap(), 195_000);
        // a price of 0.0003 maps to the tick just below, snapped to spacing 10
        let t = gateway_price_to_tick(0.0003, 6, 18, 10).unwrap();
        assert_eq!(t % 10, 0);
        assert!((tick_to_gateway_price(t, 6, 18) - 0.0003).abs() / 0.0003 < 0.001);
        // the inverse orientation (USD per ETH) would be a different tick altogether
        assert!(gateway_price_to_tick(3333.0, 6, 18, 10).unwrap() > 300_000);
    }

    #[test]
    fn round_trip_every_spacing() {
        for spacing in [1, 10, 60, 200] {
            for k in -4000..4000 {
                let tick = k * 211 / spacing * spacing;
                let p = tick_to_gateway_price(tick, 6, 18);
                assert_eq!(gateway_price_to_tick(p, 6, 18, spacing).unwrap(), tick);
                let p = tick_to_gateway_price(tick, 18, 6);
                assert_eq!(gateway_price_to_tick(p, 18, 6, spacing).unwrap(), tick);
            }
        }
    }

    #[test]
    fn floor_then_snap() {
        // just below tick 15 (spacing 10): floor gives 14, nearest multiple is 10
        let p = tick_to_gateway_price(15, 18, 18) * 0.99999;
        assert_eq!(gateway_price_to_tick(p, 18, 18, 10).unwrap(), 10);
        let p = tick_to_gateway_price(15, 18, 18) * 1.000001;
        assert_eq!(gateway_price_to_tick(p, 18, 18, 10).unwrap(), 20);
        assert_eq!(nearest_usable_tick(-15, 10), -10);
        assert_eq!(nearest_usable_tick(887_272, 60), 887_220);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            gateway_price_to_tick(0.0, 6, 18, 10),
            Err(PriceError::NotPositive(_))
        ));
        assert!(gateway_price_to_tick(f64::NAN, 6, 18, 10).is_err());
        assert!(gateway_price_to_tick(-1.0, 6, 18, 10).is_err());
        assert!(matches!(
            gateway_price_to_tick(1.0, 6, 18, 0),
            Err(PriceError::BadSpacing(0))
        ));
        assert!(matches!(
            gateway_price_to_tick(1e300, 18, 18, 1),
            Err(PriceError::OutOfRange { .. })
        ));
    }
}
