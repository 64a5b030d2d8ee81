//! The seeded synthetic market: a per-minute reference price driven by a Markov chain of
//! volatility regimes (calm, volatile, trending) with jumps; background liquidity from
//! several owners spread over many ranges in every fee tier, periodically moved back to
//! the price; noise-trader swaps (exact input and exact output, both directions, sized
//! relative to the tier's liquidity); and arbitrage swaps that pull each pool to the
//! reference price with the price limit set to it. Every action is applied to an engine
//! pool while the tape is built, so a generated tape replays without a revert.
//!
//! Determinism: each purpose (price path, regimes, liquidity, noise flow) draws from its
//! own ChaCha8 stream seeded from (seed, purpose); the same spec and seed give the same
//! tape byte for byte.

use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::builder::{target_swap_amount, TapeBuilder};
use super::error::MarketError;
use super::price::{self, floor_to_spacing};
use super::tape::{MarketTape, Pair, TapePool};
use crate::v3::action::Action;
use crate::v3::num::{I256, U256};

/// One fee tier of the pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierSpec {
    /// Fee in hundredths of a bip (500 = 0.05%).
    pub fee: u32,
    /// Tick spacing of the tier (the factory's: 1/10/60/200 for 100/500/3000/10000).
    pub tick_spacing: i32,
    /// Background liquidity value at the start, in quote units.
    pub tvl_quote: f64,
    /// Share of the noise flow routed to this tier (shares are normalised).
    pub flow_share: f64,
    /// Number of background positions.
    pub lp_positions: u32,
}

/// Parameters of one volatility regime (per minute, log-price units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegimeSpec {
    /// Standard deviation of the per-minute log return.
    pub vol_per_minute: f64,
    /// Magnitude of the per-minute drift (its sign is drawn when the regime starts).
    pub drift_per_minute: f64,
    /// Probability of a jump in a minute.
    pub jump_prob_per_minute: f64,
    /// Standard deviation of a jump's log size.
    pub jump_sigma: f64,
    /// Mean stay in the regime, minutes (leave probability 1/mean per minute).
    pub mean_minutes: f64,
}

/// The three regimes the chain moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegimeKind {
    Calm,
    Volatile,
    Trending,
}

impl RegimeKind {
    const ALL: [RegimeKind; 3] = [RegimeKind::Calm, RegimeKind::Volatile, RegimeKind::Trending];
}

/// The regime chain: each regime's parameters, which regimes it visits (relative weights
/// when switching; 0 = never) and where it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeParams {
    pub calm: RegimeSpec,
    pub volatile: RegimeSpec,
    pub trending: RegimeSpec,
    /// Switching weights for [calm, volatile, trending].
    pub weights: [f64; 3],
    /// The first regime.
    pub start: RegimeKind,
}

impl RegimeParams {
    fn spec(&self, k: RegimeKind) -> &RegimeSpec {
        match k {
            RegimeKind::Calm => &self.calm,
            RegimeKind::Volatile => &self.volatile,
            RegimeKind::Trending => &self.trending,
        }
    }
}

impl Default for RegimeParams {
    /// ETH-like: calm ~30%/yr, volatile ~130%/yr with frequent jumps, trending ~50%/yr
    /// with a drift of 0.004%/minute (~6%/day).
    fn default() -> Self {
        RegimeParams {
            calm: RegimeSpec {
                vol_per_minute: 0.0004,
                drift_per_minute: 0.0,
                jump_prob_per_minute: 0.0002,
                jump_sigma: 0.008,
                mean_minutes: 1440.0,
            },
            volatile: RegimeSpec {
                vol_per_minute: 0.0018,
                drift_per_minute: 0.0,
                jump_prob_per_minute: 0.002,
                jump_sigma: 0.02,
                mean_minutes: 360.0,
            },
            trending: RegimeSpec {
                vol_per_minute: 0.0007,
                drift_per_minute: 0.00004,
                jump_prob_per_minute: 0.0005,
                jump_sigma: 0.01,
                mean_minutes: 720.0,
            },
            weights: [0.5, 0.25, 0.25],
            start: RegimeKind::Calm,
        }
    }
}

/// Regime presets for [`MarketSpec::regime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketRegime {
    /// Calm only.
    Calm,
    /// Volatile only.
    Volatile,
    /// Trending only.
    Trending,
    /// All three, switching by the Markov chain (the default).
    Mixed,
}

impl FromStr for MarketRegime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "calm" => Ok(MarketRegime::Calm),
            "volatile" => Ok(MarketRegime::Volatile),
            "trending" => Ok(MarketRegime::Trending),
            "mixed" => Ok(MarketRegime::Mixed),
            other => Err(format!(
                "unknown regime {other:?} (expected calm, volatile, trending or mixed)"
            )),
        }
    }
}

/// Everything the generator needs. [`Default`] is a WETH/USDC-like market (see SPEC.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketSpec {
    pub pair: Pair,
    /// Unix seconds of the first minute.
    pub start_ts: u64,
    /// Length of the tape in minutes.
    pub minutes: u32,
    /// Reference price at the start (token1 per token0, human units).
    pub start_price: f64,
    /// Fee tiers (one pool each, in this order).
    pub tiers: Vec<TierSpec>,
    /// The regime chain.
    pub regimes: RegimeParams,
    /// Mean number of noise swaps per minute over all tiers (Poisson).
    pub swaps_per_minute: f64,
    /// Mean noise swap notional as a fraction of the tier's TVL (exponential sizes,
    /// capped at 8× the mean).
    pub noise_size_frac: f64,
    /// Share of noise swaps that are exact-output.
    pub exact_out_share: f64,
    /// Largest price move a noise swap may cause, in basis points (its price limit).
    pub noise_max_impact_bps: f64,
    /// Number of distinct background owners (`bg_0` … `bg_{n-1}`).
    pub bg_owners: u32,
    /// Every this many minutes the background position furthest from the price in one
    /// tier (tiers in turn) is burned, collected and minted again around the price
    /// (0 = never).
    pub lp_refresh_minutes: u32,
}

impl Default for MarketSpec {
    fn default() -> Self {
        MarketSpec {
            pair: Pair::weth_usdc(),
            start_ts: 1_700_000_040, // 2023-11-14T22:14:00Z, a minute boundary
            minutes: 1440,
            start_price: 3000.0,
            tiers: vec![
                TierSpec {
                    fee: 500,
                    tick_spacing: 10,
                    tvl_quote: 40_000_000.0,
                    flow_share: 0.7,
                    lp_positions: 40,
                },
                TierSpec {
                    fee: 3000,
                    tick_spacing: 60,
                    tvl_quote: 20_000_000.0,
                    flow_share: 0.3,
                    lp_positions: 30,
                },
            ],
            regimes: RegimeParams::default(),
            swaps_per_minute: 1.5,
            noise_size_frac: 0.0005,
            exact_out_share: 0.3,
            noise_max_impact_bps: 50.0,
            bg_owners: 8,
            lp_refresh_minutes: 120,
        }
    }
}

impl MarketSpec {
    /// The default market with a regime preset.
    pub fn regime(kind: MarketRegime) -> Self {
        let mut spec = MarketSpec::default();
        let (weights, start) = match kind {
            MarketRegime::Calm => ([1.0, 0.0, 0.0], RegimeKind::Calm),
            MarketRegime::Volatile => ([0.0, 1.0, 0.0], RegimeKind::Volatile),
            MarketRegime::Trending => ([0.0, 0.0, 1.0], RegimeKind::Trending),
            MarketRegime::Mixed => ([0.5, 0.25, 0.25], RegimeKind::Calm),
        };
        spec.regimes.weights = weights;
        spec.regimes.start = start;
        spec
    }

    /// Checks every parameter's domain.
    pub fn validate(&self) -> Result<(), MarketError> {
        let bad = |field: &str, value: String, reason: &str| {
            Err(MarketError::BadSpec {
                field: field.into(),
                value,
                reason: reason.into(),
            })
        };
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        if self.minutes == 0 {
            return bad("minutes", "0".into(), "must be at least 1");
        }
        if !pos(self.start_price) {
            return bad(
                "start_price",
                self.start_price.to_string(),
                "must be positive",
            );
        }
        if self.tiers.is_empty() {
            return bad("tiers", "[]".into(), "need at least one fee tier");
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if !pos(t.tvl_quote) {
                return bad(
                    &format!("tiers[{i}].tvl_quote"),
                    t.tvl_quote.to_string(),
                    "must be positive",
                );
            }
            if !nonneg(t.flow_share) {
                return bad(
                    &format!("tiers[{i}].flow_share"),
                    t.flow_share.to_string(),
                    "must be >= 0",
                );
            }
            if t.lp_positions == 0 {
                return bad(
                    &format!("tiers[{i}].lp_positions"),
                    "0".into(),
                    "need at least one background position",
                );
            }
        }
        let share_total: f64 = self.tiers.iter().map(|t| t.flow_share).sum();
        if share_total.is_nan() || share_total <= 0.0 {
            return bad("tiers[].flow_share", "0".into(), "shares must not all be 0");
        }
        for (name, r) in [
            ("calm", &self.regimes.calm),
            ("volatile", &self.regimes.volatile),
            ("trending", &self.regimes.trending),
        ] {
            let ok = nonneg(r.vol_per_minute)
                && nonneg(r.drift_per_minute)
                && (0.0..=1.0).contains(&r.jump_prob_per_minute)
                && nonneg(r.jump_sigma)
                && r.mean_minutes.is_finite()
                && r.mean_minutes >= 1.0;
            if !ok {
                return bad(
                    &format!("regimes.{name}"),
                    format!("{r:?}"),
                    "vol, drift, jump sigma >= 0, jump prob in [0,1], mean_minutes >= 1",
                );
            }
        }
        let w = self.regimes.weights;
        if !w.iter().all(|x| nonneg(*x)) || w.iter().sum::<f64>() <= 0.0 {
            return bad(
                "regimes.weights",
                format!("{w:?}"),
                "weights must be >= 0 and not all 0",
            );
        }
        if !nonneg(self.swaps_per_minute) || self.swaps_per_minute > 1000.0 {
            return bad(
                "swaps_per_minute",
                self.swaps_per_minute.to_string(),
                "must be in [0, 1000]",
            );
        }
        if !nonneg(self.noise_size_frac) || self.noise_size_frac > 0.1 {
            return bad(
                "noise_size_frac",
                self.noise_size_frac.to_string(),
                "must be in [0, 0.1]",
            );
        }
        if !(0.0..=1.0).contains(&self.exact_out_share) {
            return bad(
                "exact_out_share",
                self.exact_out_share.to_string(),
                "must be in [0, 1]",
            );
        }
        if !(self.noise_max_impact_bps > 0.0 && self.noise_max_impact_bps < 5000.0) {
            return bad(
                "noise_max_impact_bps",
                self.noise_max_impact_bps.to_string(),
                "must be in (0, 5000)",
            );
        }
        if self.bg_owners == 0 {
            return bad("bg_owners", "0".into(), "need at least one owner");
        }
        Ok(())
    }
}

/// A ChaCha8 stream for (seed, purpose).
fn stream(seed: u64, purpose: &str) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    for (i, b) in purpose.bytes().take(24).enumerate() {
        key[8 + i] = b;
    }
    ChaCha8Rng::from_seed(key)
}

/// Standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Poisson draw (Knuth; the means used here are small).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let l = (-mean).exp();
    let mut k = 0u32;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= l || k >= 10_000 {
            return k;
        }
        k += 1;
    }
}

/// The per-minute reference price path (human units), one entry per minute.
pub fn reference_path(spec: &MarketSpec, seed: u64) -> Vec<(u64, f64)> {
    let mut prng = stream(seed, "price");
    let mut rrng = stream(seed, "regime");
    let params = &spec.regimes;
    let mut regime = params.start;
    let mut drift_sign = 1.0;
    let mut log_p = spec.start_price.ln();
    let mut out = Vec::with_capacity(spec.minutes as usize);
    for m in 0..u64::from(spec.minutes) {
        out.push((spec.start_ts + 60 * m, log_p.exp()));
        // regime switch
        let r = params.spec(regime);
        if rrng.gen::<f64>() < 1.0 / r.mean_minutes {
            let total: f64 = params.weights.iter().sum();
            let mut x = rrng.gen::<f64>() * total;
            for (k, w) in RegimeKind::ALL.iter().zip(params.weights) {
                if x < w {
                    regime = *k;
                    break;
                }
                x -= w;
            }
            drift_sign = if rrng.gen::<bool>() { 1.0 } else { -1.0 };
        }
        let r = params.spec(regime);
        let mut ret = drift_sign * r.drift_per_minute + r.vol_per_minute * normal(&mut prng);
        if prng.gen::<f64>() < r.jump_prob_per_minute {
            ret += r.jump_sigma * normal(&mut prng);
        }
        // keep prices far from the contract's limits
        log_p = (log_p + ret).clamp(-80.0, 80.0);
    }
    out
}

/// Where an arbitrageur moves a pool priced at `pool_raw` when the reference is
/// `ref_raw`, as a multiple of the reference price: `None` inside the no-arbitrage band
/// `[ref·(1−f), ref/(1−f)]` (f = the fee), else the band's near edge. The input token pays
/// the fee, so selling token0 into a pool above the band earns `p·(1−f)` per unit at the
/// margin and is profitable only while that exceeds the reference; buying token0 below
/// the band costs `p/(1−f)`. Trading on to the reference itself would lose the fee on
/// the last stretch, which no arbitrageur does (Milionis et al., LVR with fees).
pub fn arbitrage_target(pool_raw: f64, ref_raw: f64, fee: u32) -> Option<f64> {
    let keep = 1.0 - f64::from(fee) / 1e6;
    if !(pool_raw.is_finite() && ref_raw.is_finite() && ref_raw > 0.0 && keep > 0.0) {
        return None;
    }
    if pool_raw > ref_raw / keep {
        Some(1.0 / keep)
    } else if pool_raw < ref_raw * keep {
        Some(keep)
    } else {
        None
    }
}

/// A background position the generator keeps track of (to move it later).
#[derive(Debug, Clone)]
struct BgPosition {
    owner: String,
    tick_lower: i32,
    tick_upper: i32,
    liquidity: u128,
}

/// Liquidity (f64) that `value_raw1` (token1 base units) buys in [lo, hi) at raw price p.
fn liquidity_for_value(value_raw1: f64, p: f64, tick_lower: i32, tick_upper: i32) -> f64 {
    let sa = price::raw_from_tick(tick_lower).sqrt();
    let sb = price::raw_from_tick(tick_upper).sqrt();
    let sp = p.sqrt().clamp(sa, sb);
    let a0 = 1.0 / sp - 1.0 / sb;
    let a1 = sp - sa;
    let per_l = a0 * p + a1;
    if per_l > 0.0 {
        value_raw1 / per_l
    } else {
        0.0
    }
}

struct Gen<'a> {
    spec: &'a MarketSpec,
    b: TapeBuilder,
    bg: Vec<Vec<BgPosition>>,
    lp_rng: ChaCha8Rng,
}

impl Gen<'_> {
    /// Draws and mints one background position around the pool's current tick.
    fn mint_bg(&mut self, tier: usize, ts: u64, owner: String) -> Result<(), MarketError> {
        let t = &self.spec.tiers[tier];
        let Some(pool) = self.b.pool(tier) else {
            return Ok(());
        };
        let tick = pool.tick();
        let p = price::raw_from_sqrt_price_x96(pool.sqrt_price_x96());
        let spacing = t.tick_spacing;
        let lo_w = (5 * spacing).max(20) as f64;
        let hi_w = (100 * spacing).max(3000) as f64;
        let half = (lo_w.ln() + self.lp_rng.gen::<f64>() * (hi_w.ln() - lo_w.ln())).exp();
        let centre = tick as f64 + normal(&mut self.lp_rng) * half / 4.0;
        let tl = floor_to_spacing((centre - half).floor() as i32, spacing);
        let mut tu = floor_to_spacing((centre + half).ceil() as i32, spacing);
        if tu <= tl {
            tu = tl + spacing;
        }
        let weight = 0.5 + self.lp_rng.gen::<f64>();
        let value = self.spec.pair.quote_raw(t.tvl_quote) * weight / f64::from(t.lp_positions);
        let l = liquidity_for_value(value, p, tl, tu).min(1e30);
        if l.is_nan() || l < 1.0 {
            return Ok(());
        }
        let liquidity = l as u128;
        let action = Action::Mint {
            owner: owner.clone(),
            tick_lower: tl,
            tick_upper: tu,
            amount: liquidity,
        };
        self.b.push(ts, tier, action)?;
        self.bg[tier].push(BgPosition {
            owner,
            tick_lower: tl,
            tick_upper: tu,
            liquidity,
        });
        Ok(())
    }

    /// Burns, collects and re-mints the background position furthest from the price.
    fn refresh_bg(&mut self, tier: usize, ts: u64) -> Result<(), MarketError> {
        let Some(pool) = self.b.pool(tier) else {
            return Ok(());
        };
        let tick = pool.tick();
        let far = self.bg[tier]
            .iter()
            .enumerate()
            .max_by_key(|(_, p)| {
                let mid = (i64::from(p.tick_lower) + i64::from(p.tick_upper)) / 2;
                (
                    (mid - i64::from(tick)).abs(),
                    std::cmp::Reverse(p.tick_lower),
                )
            })
            .map(|(i, _)| i);
        let Some(i) = far else { return Ok(()) };
        let p = self.bg[tier].remove(i);
        let burn = Action::Burn {
            owner: p.owner.clone(),
            tick_lower: p.tick_lower,
            tick_upper: p.tick_upper,
            amount: p.liquidity,
        };
        self.b.push(ts, tier, burn)?;
        let collect = Action::Collect {
            owner: p.owner.clone(),
            tick_lower: p.tick_lower,
            tick_upper: p.tick_upper,
            amount0_requested: u128::MAX,
            amount1_requested: u128::MAX,
        };
        self.b.push(ts, tier, collect)?;
        self.mint_bg(tier, ts, p.owner)
    }
}

/// Generates a market tape from `spec` and `seed`.
pub fn generate(spec: &MarketSpec, seed: u64) -> Result<MarketTape, MarketError> {
    spec.validate()?;
    let reference = reference_path(spec, seed);
    let pair = spec.pair.clone();
    let start_sqrt = pair.sqrt_price_x96(spec.start_price);
    let pools: Vec<TapePool> = spec
        .tiers
        .iter()
        .map(|t| TapePool {
            fee: t.fee,
            tick_spacing: t.tick_spacing,
            sqrt_price_x96: start_sqrt,
        })
        .collect();
    let b = TapeBuilder::new(pair.clone(), pools)?;
    let mut g = Gen {
        spec,
        b,
        bg: vec![Vec::new(); spec.tiers.len()],
        lp_rng: stream(seed, "liquidity"),
    };
    // background liquidity
    for tier in 0..spec.tiers.len() {
        for k in 0..spec.tiers[tier].lp_positions {
            let owner = format!("bg_{}", k % spec.bg_owners);
            g.mint_bg(tier, spec.start_ts, owner)?;
        }
    }

    let mut nrng = stream(seed, "noise");
    let share_total: f64 = spec.tiers.iter().map(|t| t.flow_share).sum();
    let big = target_swap_amount();
    let impact = spec.noise_max_impact_bps / 10_000.0;
    let mut offsets: Vec<(u64, usize)> = Vec::new();
    let mut refresh_tier = 0usize;
    for (m, &(ts, ref_price)) in reference.iter().enumerate() {
        // background refresh at the start of the minute
        if spec.lp_refresh_minutes > 0 && m > 0 && m % spec.lp_refresh_minutes as usize == 0 {
            g.refresh_bg(refresh_tier, ts)?;
            refresh_tier = (refresh_tier + 1) % spec.tiers.len();
        }
        // noise swaps at random seconds of the minute
        offsets.clear();
        for _ in 0..poisson(&mut nrng, spec.swaps_per_minute) {
            let sec = nrng.gen_range(0..59u64);
            let mut x = nrng.gen::<f64>() * share_total;
            let mut tier = spec.tiers.len() - 1;
            for (i, t) in spec.tiers.iter().enumerate() {
                if x < t.flow_share {
                    tier = i;
                    break;
                }
                x -= t.flow_share;
            }
            offsets.push((sec, tier));
        }
        offsets.sort_unstable();
        for &(sec, tier) in &offsets {
            let zero_for_one: bool = nrng.gen();
            let exact_out = nrng.gen::<f64>() < spec.exact_out_share;
            let size = (-(1.0 - nrng.gen::<f64>()).ln()).min(8.0);
            let Some(pool) = g.b.pool(tier) else { continue };
            let current = pool.sqrt_price_x96();
            let p = price::raw_from_sqrt_price_x96(current);
            let notional1 =
                pair.quote_raw(spec.tiers[tier].tvl_quote * spec.noise_size_frac) * size;
            // token0 amounts from token1 notionals at the pool price
            let amount = match (zero_for_one, exact_out) {
                (true, false) => notional1 / p,    // token0 in
                (true, true) => -notional1,        // token1 out
                (false, false) => notional1,       // token1 in
                (false, true) => -(notional1 / p), // token0 out
            };
            let mag = price::u256_from_f64(amount.abs()).min(U256::from(u128::MAX >> 1));
            if mag.is_zero() {
                continue;
            }
            let amount_specified = if amount < 0.0 {
                I256::from_raw(mag).wrapping_neg()
            } else {
                I256::from_raw(mag)
            };
            let limit = if zero_for_one {
                price::sqrt_price_x96_from_raw(p * (1.0 - impact))
            } else {
                price::sqrt_price_x96_from_raw(p * (1.0 + impact))
            };
            if (zero_for_one && limit >= current) || (!zero_for_one && limit <= current) {
                continue;
            }
            let action = Action::Swap {
                zero_for_one,
                amount_specified,
                sqrt_price_limit_x96: limit,
            };
            g.b.push(ts + sec, tier, action)?;
        }
        // arbitrage at the end of the minute, to the edge of the no-arbitrage band
        for (tier, t) in spec.tiers.iter().enumerate() {
            let Some(pool) = g.b.pool(tier) else { continue };
            let current = pool.sqrt_price_x96();
            let p = price::raw_from_sqrt_price_x96(current);
            let Some(edge) = arbitrage_target(p, pair.raw_price(ref_price), t.fee) else {
                continue;
            };
            let target = pair.sqrt_price_x96(edge * ref_price);
            if target == current {
                continue;
            }
            let action = Action::Swap {
                zero_for_one: target < current,
                amount_specified: big,
                sqrt_price_limit_x96: target,
            };
            g.b.push(ts + 59, tier, action)?;
        }
    }
    Ok(g.b.finish(reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::builder::replay;

    fn small(kind: MarketRegime, minutes: u32) -> MarketSpec {
        let mut s = MarketSpec::regime(kind);
        s.minutes = minutes;
        s
    }

    #[test]
    fn presets_generate_tapes_that_replay_without_a_revert() {
        for kind in [
            MarketRegime::Calm,
            MarketRegime::Volatile,
            MarketRegime::Trending,
            MarketRegime::Mixed,
        ] {
            let spec = small(kind, 600);
            let tape = generate(&spec, 11).unwrap();
            assert_eq!(tape.minutes(), 600);
            assert_eq!(tape.pools.len(), 2);
            let pools = replay(&tape).unwrap();
            // every pool ends near the reference: the last minute's arbitrage
            let last = tape.reference.last().unwrap().1;
            for (i, p) in pools.iter().enumerate() {
                let got = tape.pair.human_price_at(p.sqrt_price_x96());
                let fee = f64::from(tape.pools[i].fee) / 1e6;
                assert!(
                    (got / last - 1.0).abs() <= fee + 0.01,
                    "{kind:?} pool {i}: {got} vs {last}"
                );
            }
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_tape() {
        let spec = small(MarketRegime::Mixed, 300);
        let a = generate(&spec, 5).unwrap().to_json();
        let b = generate(&spec, 5).unwrap().to_json();
        let c = generate(&spec, 6).unwrap().to_json();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn tape_has_every_kind_of_flow() {
        let tape = generate(&small(MarketRegime::Mixed, 720), 3).unwrap();
        let mut owners = std::collections::BTreeSet::new();
        let (mut exact_in, mut exact_out, mut zfo, mut ofz, mut arbs, mut burns) =
            (0, 0, 0, 0, 0, 0);
        let mut per_pool = [0usize; 2];
        for s in &tape.steps {
            match &s.action {
                Action::Mint {
                    owner,
                    tick_lower,
                    tick_upper,
                    ..
                } => {
                    let spacing = tape.pools[s.pool].tick_spacing;
                    assert_eq!(tick_lower % spacing, 0);
                    assert_eq!(tick_upper % spacing, 0);
                    owners.insert(owner.clone());
                }
                Action::Burn { .. } => burns += 1,
                Action::Swap {
                    zero_for_one,
                    amount_specified,
                    ..
                } => {
                    per_pool[s.pool] += 1;
                    if amount_specified.is_negative() {
                        exact_out += 1;
                    } else if *amount_specified > I256::try_from(1u128 << 120).unwrap() {
                        arbs += 1;
                    } else {
                        exact_in += 1;
                    }
                    if *zero_for_one {
                        zfo += 1
                    } else {
                        ofz += 1
                    }
                }
                Action::Collect { .. } => {}
            }
        }
        assert!(owners.len() >= 4, "{owners:?}");
        assert!(owners.iter().all(|o| o.starts_with("bg_")));
        for (name, n) in [
            ("exact_in", exact_in),
            ("exact_out", exact_out),
            ("zfo", zfo),
            ("ofz", ofz),
            ("arbs", arbs),
            ("burns", burns),
        ] {
            assert!(n > 0, "no {name}");
        }
        assert!(per_pool[0] > per_pool[1] && per_pool[1] > 0, "{per_pool:?}");
        let mut prev = 0;
        for s in &tape.steps {
            assert!(s.ts >= prev);
            prev = s.ts;
        }
    }

    #[test]
    fn active_liquidity_is_shared_by_several_owners() {
        let tape = generate(&small(MarketRegime::Trending, 1440), 17).unwrap();
        let pools = replay(&tape).unwrap();
        for pool in &pools {
            let tick = pool.tick();
            let mut owners = std::collections::BTreeMap::new();
            for (k, info) in pool.positions() {
                if info.liquidity > 0 && k.tick_lower <= tick && tick < k.tick_upper {
                    *owners.entry(k.owner.clone()).or_insert(0u128) += info.liquidity;
                }
            }
            assert!(owners.len() >= 3, "{owners:?}");
            // no single owner holds most of the active liquidity
            let top = owners.values().max().copied().unwrap_or(0);
            assert!(top < pool.liquidity() / 10 * 7, "{owners:?}");
        }
    }

    #[test]
    fn arbitrage_target_is_the_band_edge() {
        let keep = 1.0 - 0.003;
        assert_eq!(arbitrage_target(100.0, 100.0, 3000), None);
        assert_eq!(arbitrage_target(100.0 / keep * 0.9999, 100.0, 3000), None);
        assert_eq!(arbitrage_target(100.0 * keep * 1.0001, 100.0, 3000), None);
        assert_eq!(arbitrage_target(101.0, 100.0, 3000), Some(1.0 / keep));
        assert_eq!(arbitrage_target(99.0, 100.0, 3000), Some(keep));
        assert_eq!(arbitrage_target(f64::NAN, 100.0, 3000), None);
        assert_eq!(arbitrage_target(1.0, 0.0, 3000), None);
    }

    #[test]
    fn arbitrage_stops_at_the_edge_of_the_no_arbitrage_band() {
        let tape = generate(&small(MarketRegime::Volatile, 600), 21).unwrap();
        let mut arbs = 0;
        for s in &tape.steps {
            let Action::Swap {
                amount_specified,
                sqrt_price_limit_x96,
                zero_for_one,
            } = &s.action
            else {
                continue;
            };
            if !crate::market::builder::is_target_swap(*amount_specified) {
                continue;
            }
            arbs += 1;
            let minute = ((s.ts - tape.reference[0].0) / 60) as usize;
            let reference = tape.reference[minute].1;
            let ratio = tape.pair.human_price_at(*sqrt_price_limit_x96) / reference;
            let keep = 1.0 - f64::from(tape.pools[s.pool].fee) / 1e6;
            // selling token0 stops above the reference, buying it below
            let edge = if *zero_for_one { 1.0 / keep } else { keep };
            assert!((ratio / edge - 1.0).abs() < 1e-9, "{ratio} vs {edge}");
        }
        assert!(arbs > 100, "{arbs}");
    }

    #[test]
    fn regimes_differ_in_volatility() {
        let vol = |kind| {
            let r = reference_path(&small(kind, 5000), 9);
            let rets: Vec<f64> = r.windows(2).map(|w| (w[1].1 / w[0].1).ln()).collect();
            let m = rets.iter().sum::<f64>() / rets.len() as f64;
            (rets.iter().map(|x| (x - m).powi(2)).sum::<f64>() / rets.len() as f64).sqrt()
        };
        assert!(vol(MarketRegime::Volatile) > 2.0 * vol(MarketRegime::Calm));
    }

    #[test]
    fn bad_specs_are_named() {
        let s = MarketSpec {
            minutes: 0,
            ..MarketSpec::default()
        };
        assert!(
            matches!(generate(&s, 1), Err(MarketError::BadSpec { field, .. }) if field == "minutes")
        );
        let mut s = MarketSpec::default();
        s.tiers[0].tvl_quote = f64::NAN;
        assert!(
            matches!(generate(&s, 1), Err(MarketError::BadSpec { field, .. }) if field == "tiers[0].tvl_quote")
        );
        let mut s = MarketSpec::default();
        s.tiers[1].tick_spacing = 7;
        assert!(matches!(generate(&s, 1), Err(MarketError::BadTape { .. })));
    }
}
