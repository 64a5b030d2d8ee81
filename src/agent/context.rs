//! The decision context: what is observable before an episode opens (no look-ahead).
//!
//! Built from the market history strictly before the open time (the warm-up window of
//! the tape: reference prices and pool actions), plus optional intel features with their
//! quality. [`Context::features`] is the fixed-length vector the learner sees; its layout
//! is [`FEATURE_NAMES`].

use serde::{Deserialize, Serialize};

/// Pools are addressed by fee rank ("slot" 0 = lowest fee); at most this many are seen.
pub const MAX_POOL_SLOTS: usize = 3;

/// Length of the learner's feature vector.
pub const FEATURE_DIM: usize = 20;

/// Names of the feature vector's entries, in order.
pub const FEATURE_NAMES: [&str; FEATURE_DIM] = [
    "bias",
    "vol",
    "vol_sq",
    "trend_z",
    "abs_trend_z",
    "vol_ratio",
    "volume_share_s0",
    "volume_share_s1",
    "volume_share_s2",
    "liquidity_share_s0",
    "liquidity_share_s1",
    "liquidity_share_s2",
    "intel_gas",
    "intel_gas_mask",
    "intel_vol",
    "intel_vol_mask",
    "vol_level_1.25pct",
    "vol_level_2.5pct",
    "vol_level_5pct",
    "vol_level_10pct",
];

/// Daily volatilities (as multiples of [`VOL_UNIT`]) of the volatility-level features: one
/// octave apart, 1.25%, 2.5%, 5% and 10% a day — calm to stressed for ETH-like pairs.
pub const VOL_LEVELS: [f64; 4] = [0.25, 0.5, 1.0, 2.0];

/// The volatility-level features of a daily volatility `vol_n` (in [`VOL_UNIT`]s): "hat"
/// functions of log₂ vol, one per level of [`VOL_LEVELS`], 1 at their level, falling
/// linearly to 0 one octave away (the first and the last stay 1 beyond their level). They
/// sum to 1, so a linear model over them is any piecewise-linear function of log vol —
/// the reward of a narrow range falls steeply between calm and trending volatility and
/// then levels off, which `vol` and `vol_sq` alone fit badly (seen on development
/// markets).
pub fn vol_levels(vol_n: f64) -> [f64; 4] {
    let x = if vol_n.is_finite() && vol_n > 0.0 {
        vol_n.log2()
    } else {
        f64::NEG_INFINITY
    };
    let mut out = [0.0; 4];
    let last = VOL_LEVELS.len() - 1;
    for (k, level) in VOL_LEVELS.iter().enumerate() {
        let d = x - level.log2();
        out[k] = if (k == 0 && d <= 0.0) || (k == last && d >= 0.0) {
            1.0
        } else {
            (1.0 - d.abs()).max(0.0)
        };
    }
    out
}

/// Daily volatility that maps to feature value 1.0 (5%).
pub const VOL_UNIT: f64 = 0.05;
/// Minutes of history used at most (one day).
pub const MAX_WARMUP_MINUTES: usize = 1440;
/// Minutes of the short window used for the volatility ratio.
pub const SHORT_WINDOW_MINUTES: usize = 60;

/// Quality of one intel value, as in the intel snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Younger than its TTL: used.
    Fresh,
    /// Older than its TTL but within max age: used.
    Stale,
    /// Older than max age: masked.
    TooOld,
    /// No cache entry: masked.
    Missing,
}

/// One intel value with its quality.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntelValue {
    /// The value, when the cache had one.
    pub value: Option<f64>,
    pub quality: Quality,
}

impl IntelValue {
    /// A missing value.
    pub const MISSING: IntelValue = IntelValue {
        value: None,
        quality: Quality::Missing,
    };

    /// The value if it may be used for a decision: fresh or stale, present and finite.
    pub fn usable(&self) -> Option<f64> {
        match self.quality {
            Quality::Fresh | Quality::Stale => self.value.filter(|v| v.is_finite()),
            Quality::TooOld | Quality::Missing => None,
        }
    }
}

/// The intel features the agent reads; the campaign fills them from the intel snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntelFeatures {
    /// Gas price in gwei (the "gas regime").
    pub gas_price_gwei: IntelValue,
    /// Realized daily volatility of the pair as a fraction (0.04 = 4%/day).
    pub realized_vol_daily: IntelValue,
}

impl Default for IntelFeatures {
    fn default() -> Self {
        IntelFeatures {
            gas_price_gwei: IntelValue::MISSING,
            realized_vol_daily: IntelValue::MISSING,
        }
    }
}

/// Activity of one pool before the open time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolActivity {
    /// Index of the pool in the tape.
    pub index: usize,
    /// Fee in hundredths of a bip.
    pub fee: u32,
    /// Swap volume in quote units before the open.
    pub volume_quote: f64,
    /// Net liquidity (minted − burned) before the open.
    pub liquidity: f64,
}

/// The market history strictly before the open, as the context builder reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct History<'a> {
    /// Reference prices per minute (unix seconds, price), increasing in time.
    pub reference: &'a [(u64, f64)],
    /// Per-pool activity before the open.
    pub pools: Vec<PoolActivity>,
}

/// Share of one fee tier in volume and liquidity before the open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolShare {
    pub index: usize,
    pub fee: u32,
    pub volume_share: f64,
    pub liquidity_share: f64,
}

/// Everything the agent knows when it proposes. All floats finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Open time of the episode (unix seconds).
    pub open_ts: u64,
    /// Reference minutes of history used (at most [`MAX_WARMUP_MINUTES`]).
    pub warmup_minutes: usize,
    /// Last reference price before the open, if any.
    pub price_at_open: Option<f64>,
    /// Realized daily volatility of the warm-up window (std of minute log returns × √1440).
    pub vol_daily: f64,
    /// Log return over the warm-up window.
    pub trend_log_return: f64,
    /// Trend over its noise: log return / (minute σ × √minutes), 0 without history.
    pub trend_z: f64,
    /// Volatility of the last [`SHORT_WINDOW_MINUTES`] over the whole window's (1 = steady).
    pub vol_ratio: f64,
    /// Fee tiers by fee rank.
    pub pools: Vec<PoolShare>,
    /// Intel as given (quality kept, unusable values masked in `features`).
    pub intel: IntelFeatures,
    /// The learner's fixed-length feature vector, laid out as [`FEATURE_NAMES`].
    pub features: Vec<f64>,
}

/// Standard deviation of a slice (population), 0 for fewer than two values.
fn std_dev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    var.max(0.0).sqrt()
}

/// A finite value or the fallback.
fn finite_or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        fallback
    }
}

/// Builds the context from the history strictly before `open_ts`: reference minutes with
/// `ts < open_ts` (a minute's reference is the price its arbitrage swaps move the pools
/// to, so the open minute's own reference is not yet known) and pool activity the caller
/// summed over steps with `ts < open_ts`.
pub fn from_history(history: &History<'_>, open_ts: u64, intel: Option<&IntelFeatures>) -> Context {
    let upto = history.reference.partition_point(|r| r.0 < open_ts);
    let window_start = upto.saturating_sub(MAX_WARMUP_MINUTES);
    let window = history.reference.get(window_start..upto).unwrap_or(&[]);
    let prices: Vec<f64> = window
        .iter()
        .map(|r| r.1)
        .filter(|p| p.is_finite() && *p > 0.0)
        .collect();
    let returns: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let sigma_min = finite_or(std_dev(&returns), 0.0);
    let vol_daily = sigma_min * (1440f64).sqrt();
    let trend_log_return = match (prices.first(), prices.last()) {
        (Some(a), Some(b)) => finite_or((b / a).ln(), 0.0),
        _ => 0.0,
    };
    let trend_z = if sigma_min > 0.0 && !returns.is_empty() {
        finite_or(
            trend_log_return / (sigma_min * (returns.len() as f64).sqrt()),
            0.0,
        )
    } else {
        0.0
    };
    let short = &returns[returns.len().saturating_sub(SHORT_WINDOW_MINUTES)..];
    let vol_ratio = if sigma_min > 0.0 {
        finite_or(std_dev(short) / sigma_min, 1.0)
    } else {
        1.0
    };

    let mut pools: Vec<&PoolActivity> = history.pools.iter().collect();
    pools.sort_by_key(|p| (p.fee, p.index));
    let clean = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let vol_total: f64 = pools.iter().map(|p| clean(p.volume_quote)).sum();
    let liq_total: f64 = pools.iter().map(|p| clean(p.liquidity)).sum();
    let share = |x: f64, total: f64| if total > 0.0 { clean(x) / total } else { 0.0 };
    let shares: Vec<PoolShare> = pools
        .iter()
        .map(|p| PoolShare {
            index: p.index,
            fee: p.fee,
            volume_share: share(p.volume_quote, vol_total),
            liquidity_share: share(p.liquidity, liq_total),
        })
        .collect();

    let intel = intel.copied().unwrap_or_default();
    let vol_n = (vol_daily / VOL_UNIT).clamp(0.0, 6.0);
    let tz = trend_z.clamp(-4.0, 4.0) / 2.0;
    let mut features = vec![
        1.0,
        vol_n,
        vol_n * vol_n / 6.0,
        tz,
        tz.abs(),
        vol_ratio.clamp(0.0, 4.0),
    ];
    for slot in 0..MAX_POOL_SLOTS {
        features.push(shares.get(slot).map_or(0.0, |s| s.volume_share));
    }
    for slot in 0..MAX_POOL_SLOTS {
        features.push(shares.get(slot).map_or(0.0, |s| s.liquidity_share));
    }
    match intel.gas_price_gwei.usable() {
        Some(g) => features.extend([(1.0 + g.max(0.0)).ln() / 3.0, 1.0]),
        None => features.extend([0.0, 0.0]),
    }
    match intel.realized_vol_daily.usable() {
        Some(v) => features.extend([(v.max(0.0) / VOL_UNIT).min(6.0), 1.0]),
        None => features.extend([0.0, 0.0]),
    }
    features.extend(vol_levels(vol_n));
    debug_assert_eq!(features.len(), FEATURE_DIM);

    Context {
        open_ts,
        warmup_minutes: window.len(),
        price_at_open: window
            .last()
            .map(|r| r.1)
            .filter(|p| p.is_finite() && *p > 0.0),
        vol_daily,
        trend_log_return,
        trend_z,
        vol_ratio,
        pools: shares,
        intel,
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(prices: &[f64]) -> Vec<(u64, f64)> {
        prices
            .iter()
            .enumerate()
            .map(|(i, p)| (60 * i as u64, *p))
            .collect()
    }

    #[test]
    fn no_look_ahead() {
        let mut prices: Vec<f64> = (0..200).map(|i| 100.0 + (i % 7) as f64 * 0.1).collect();
        let reference = history(&prices);
        let h = History {
            reference: &reference,
            pools: vec![],
        };
        let open = 60 * 120;
        let a = from_history(&h, open, None);
        // change everything after the open: the context must not move
        for p in prices.iter_mut().skip(120) {
            *p *= 3.0;
        }
        let reference2 = history(&prices);
        let h2 = History {
            reference: &reference2,
            pools: vec![],
        };
        let b = from_history(&h2, open, None);
        assert_eq!(a, b);
        assert_eq!(a.warmup_minutes, 120);
    }

    #[test]
    fn features_have_fixed_length_and_are_finite() {
        let empty = History {
            reference: &[],
            pools: vec![],
        };
        let c = from_history(&empty, 0, None);
        assert_eq!(c.features.len(), FEATURE_DIM);
        assert!(c.features.iter().all(|x| x.is_finite()));
        let reference = history(&[100.0, 101.0, f64::NAN, 0.0, 102.0]);
        let h = History {
            reference: &reference,
            pools: vec![PoolActivity {
                index: 0,
                fee: 500,
                volume_quote: f64::INFINITY,
                liquidity: -3.0,
            }],
        };
        let c = from_history(&h, 1000, None);
        assert_eq!(c.features.len(), FEATURE_DIM);
        assert!(c.features.iter().all(|x| x.is_finite()), "{:?}", c.features);
    }

    #[test]
    fn trend_and_shares() {
        let prices: Vec<f64> = (0..300)
            .map(|i| 100.0 * (1.0 + 0.001 * i as f64) * (1.0 + 0.0005 * ((i % 2) as f64)))
            .collect();
        let reference = history(&prices);
        let h = History {
            reference: &reference,
            pools: vec![
                PoolActivity {
                    index: 0,
                    fee: 3000,
                    volume_quote: 300.0,
                    liquidity: 1.0,
                },
                PoolActivity {
                    index: 1,
                    fee: 500,
                    volume_quote: 100.0,
                    liquidity: 3.0,
                },
            ],
        };
        let c = from_history(&h, 60 * 300, None);
        assert!(c.trend_z > 1.0, "{}", c.trend_z);
        assert!(c.trend_log_return > 0.2);
        // slot 0 is the lowest fee (pool index 1)
        assert_eq!(c.pools[0].index, 1);
        assert_eq!(c.features[6], 0.25);
        assert_eq!(c.features[7], 0.75);
        assert_eq!(c.features[9], 0.75);
        assert_eq!(c.features[8], 0.0);
    }

    #[test]
    fn intel_used_when_fresh_or_stale_masked_otherwise() {
        let empty = History {
            reference: &[],
            pools: vec![],
        };
        let mut intel = IntelFeatures {
            gas_price_gwei: IntelValue {
                value: Some(20.0),
                quality: Quality::Fresh,
            },
            realized_vol_daily: IntelValue {
                value: Some(0.05),
                quality: Quality::Stale,
            },
        };
        let c = from_history(&empty, 0, Some(&intel));
        assert_eq!(c.features[13], 1.0);
        assert!(c.features[12] > 0.0);
        assert_eq!(c.features[14], 1.0);
        assert_eq!(c.features[15], 1.0);
        intel.gas_price_gwei.quality = Quality::TooOld;
        intel.realized_vol_daily = IntelValue::MISSING;
        let c = from_history(&empty, 0, Some(&intel));
        assert_eq!(&c.features[12..16], &[0.0, 0.0, 0.0, 0.0]);
        intel.gas_price_gwei = IntelValue {
            value: Some(f64::NAN),
            quality: Quality::Fresh,
        };
        let c = from_history(&empty, 0, Some(&intel));
        assert_eq!(&c.features[12..14], &[0.0, 0.0]);
    }

    #[test]
    fn vol_levels_interpolate_in_log_vol_and_sum_to_one() {
        assert_eq!(vol_levels(0.0), [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(vol_levels(0.1), [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(vol_levels(0.5), [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(vol_levels(9.0), [0.0, 0.0, 0.0, 1.0]);
        let mid = vol_levels(0.5 * 2f64.sqrt());
        assert!((mid[1] - 0.5).abs() < 1e-12 && (mid[2] - 0.5).abs() < 1e-12);
        for v in [0.01, 0.3, 0.7, 1.3, 1.9, 3.0, f64::NAN] {
            let l = vol_levels(v);
            assert!((l.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{v} {l:?}");
            assert!(l.iter().all(|x| (0.0..=1.0).contains(x)));
        }
    }
}
