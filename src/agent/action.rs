//! Actions: which pool, how wide, skewed which way, how much capital and which
//! rebalance rule — and how an action becomes concrete, spacing-aligned ticks.
//!
//! The learner chooses among the fixed [`catalog`]; baselines build their own
//! [`ActionChoice`] outside it (`index: None`).

use serde::{Deserialize, Serialize};

use super::context::MAX_POOL_SLOTS;
use super::error::AgentError;

/// The contract's tick bounds.
pub const MIN_TICK: i32 = -887_272;
/// The contract's tick bounds.
pub const MAX_TICK: i32 = 887_272;

/// Half-widths (ticks) of the ranges the learner may skew and re-center: ≈ ±1%, ±3%,
/// ±10.5% — the baselines' narrow widths, so the learner can do what they do.
pub const NARROW_HALF_TICKS: [u32; 3] = [100, 300, 1000];
/// Half-width of the wide range, in ticks (≈ ±35%).
pub const WIDE_HALF_TICKS: u32 = 3000;
/// Candidates per pool slot.
pub const CANDIDATES_PER_SLOT: usize = NARROW_HALF_TICKS.len() * 4 + 2;
/// Minutes out of range before the learner's re-center rule fires.
pub const RECENTER_MINUTES: u32 = 60;

/// Range width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Width {
    /// `[center − half, center + half]`, aligned outward to the tick spacing.
    Ticks { half: u32 },
    /// The whole aligned tick range.
    Full,
}

/// Where the range sits around the current price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skew {
    /// Centred on the price.
    Center,
    /// Centre moved up by half the half-width (more room above: expecting a rise).
    Up,
    /// Centre moved down by half the half-width.
    Down,
}

/// Rebalance rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RebalanceRule {
    /// Hold the range until close.
    None,
    /// After `after_minutes_out` consecutive minutes out of range, withdraw, swap to the
    /// range's ratio and re-mint a range of the same width centred on the price (paying
    /// gas and swap costs).
    Recenter { after_minutes_out: u32 },
}

/// One action: everything that decides the position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionChoice {
    /// Index in [`catalog`], or `None` for a baseline's own action.
    pub index: Option<usize>,
    /// Stable name, e.g. `s0:n300:center:hold`.
    pub key: String,
    /// Pool by fee rank (0 = lowest fee), see [`PoolsAtOpen::slot`].
    pub pool_slot: usize,
    pub width: Width,
    pub skew: Skew,
    pub rebalance: RebalanceRule,
    /// Share of the budget deployed, in `(0, 1]`.
    pub size_fraction: f64,
}

/// A candidate of the catalog (the size is chosen separately, see the learner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub pool_slot: usize,
    pub width: Width,
    pub skew: Skew,
    pub rebalance: RebalanceRule,
}

impl Candidate {
    /// Stable name of the candidate: `s<slot>:<width>:<skew>:<rebalance>`.
    pub fn key(&self) -> String {
        action_key(self.pool_slot, self.width, self.skew, self.rebalance)
    }

    /// The candidate as an action at `size_fraction`.
    pub fn choice(&self, index: Option<usize>, size_fraction: f64) -> ActionChoice {
        ActionChoice {
            index,
            key: self.key(),
            pool_slot: self.pool_slot,
            width: self.width,
            skew: self.skew,
            rebalance: self.rebalance,
            size_fraction,
        }
    }
}

/// Stable name of an action.
pub fn action_key(slot: usize, width: Width, skew: Skew, rebalance: RebalanceRule) -> String {
    let w = match width {
        Width::Ticks { half } => format!("w{half}"),
        Width::Full => "full".into(),
    };
    let s = match skew {
        Skew::Center => "center",
        Skew::Up => "up",
        Skew::Down => "down",
    };
    let r = match rebalance {
        RebalanceRule::None => "hold".to_string(),
        RebalanceRule::Recenter { after_minutes_out } => format!("recenter{after_minutes_out}"),
    };
    format!("s{slot}:{w}:{s}:{r}")
}

/// The learner's discrete candidate set, the same on every run (its indices are what
/// learning updates refer to). Per pool slot (0..[`MAX_POOL_SLOTS`]), in this order:
///
/// | # | width | skew | rebalance |
/// |---|---|---|---|
/// | 0–2 | ±100 ticks | center, up, down | hold |
/// | 3 | ±100 | center | re-center after 60 min out |
/// | 4–7 | ±300 | (same four) | |
/// | 8–11 | ±1000 | (same four) | |
/// | 12 | ±3000 | center | hold |
/// | 13 | full range | — | hold |
///
/// so [`CANDIDATES_PER_SLOT`] = 14 candidates per slot, 42 in all; candidate `i` is slot
/// `i / 14`.
pub fn catalog() -> Vec<Candidate> {
    let recenter = RebalanceRule::Recenter {
        after_minutes_out: RECENTER_MINUTES,
    };
    let mut out = Vec::with_capacity(MAX_POOL_SLOTS * CANDIDATES_PER_SLOT);
    for pool_slot in 0..MAX_POOL_SLOTS {
        let c = |width, skew, rebalance| Candidate {
            pool_slot,
            width,
            skew,
            rebalance,
        };
        for half in NARROW_HALF_TICKS {
            let w = Width::Ticks { half };
            for skew in [Skew::Center, Skew::Up, Skew::Down] {
                out.push(c(w, skew, RebalanceRule::None));
            }
            out.push(c(w, Skew::Center, recenter));
        }
        out.push(c(
            Width::Ticks {
                half: WIDE_HALF_TICKS,
            },
            Skew::Center,
            RebalanceRule::None,
        ));
        out.push(c(Width::Full, Skew::Center, RebalanceRule::None));
    }
    out
}

/// One pool as seen at the open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolAtOpen {
    /// Index of the pool in the tape.
    pub index: usize,
    /// Fee in hundredths of a bip.
    pub fee: u32,
    pub tick_spacing: i32,
    /// The pool's tick at the open.
    pub tick: i32,
}

/// The pools of the pair at the open and the episode's capital limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolsAtOpen {
    /// The pair's pools (any order; slots are by fee rank).
    pub pools: Vec<PoolAtOpen>,
    /// Capital budget of the episode in quote units (the most a position may use).
    pub budget_quote: f64,
    /// Smallest share of the budget a position may use, in `(0, 1]`.
    pub min_size_fraction: f64,
}

impl PoolsAtOpen {
    /// The pool at fee rank `slot` (0 = lowest fee; ties by tape index).
    pub fn slot(&self, slot: usize) -> Option<&PoolAtOpen> {
        let mut sorted: Vec<&PoolAtOpen> = self.pools.iter().collect();
        sorted.sort_by_key(|p| (p.fee, p.index));
        sorted.get(slot).copied()
    }

    /// Slot (fee rank) of the pool with tape index `index`.
    pub fn slot_of_index(&self, index: usize) -> Option<usize> {
        (0..self.pools.len().min(MAX_POOL_SLOTS))
            .find(|s| self.slot(*s).is_some_and(|p| p.index == index))
    }

    /// Checks what proposals rely on: some pool, positive spacings, a sane budget.
    pub fn validate(&self, open_ts: u64) -> Result<(), AgentError> {
        if self.pools.is_empty() {
            return Err(AgentError::NoPools { open_ts });
        }
        if let Some(p) = self.pools.iter().find(|p| p.tick_spacing <= 0) {
            return Err(AgentError::BadTickSpacing {
                pool_index: p.index,
                tick_spacing: p.tick_spacing,
            });
        }
        if !(self.budget_quote.is_finite() && self.budget_quote > 0.0) {
            return Err(AgentError::BadBudget {
                budget: self.budget_quote,
            });
        }
        Ok(())
    }

    /// Clamps a size fraction into `[min_size_fraction, 1]`.
    pub fn clamp_size(&self, fraction: f64) -> f64 {
        let lo = if self.min_size_fraction.is_finite() {
            self.min_size_fraction.clamp(0.01, 1.0)
        } else {
            1.0
        };
        if fraction.is_finite() {
            fraction.clamp(lo, 1.0)
        } else {
            1.0
        }
    }
}

/// The tick whose price is the greatest at or below a raw price (token1 base units per
/// token0 base unit), clamped to the contract's range.
pub fn tick_at_raw_price(raw_price: f64) -> Result<i32, AgentError> {
    if !(raw_price.is_finite() && raw_price > 0.0) {
        return Err(AgentError::BadPrice {
            what: "raw price".into(),
            price: raw_price,
        });
    }
    let t = (raw_price.ln() / 1.0001f64.ln()).floor();
    Ok(t.clamp(f64::from(MIN_TICK), f64::from(MAX_TICK - 1)) as i32)
}

/// Lowest usable tick for a spacing (aligned, inside the contract's range).
pub fn min_usable_tick(spacing: i32) -> i32 {
    -(MAX_TICK / spacing) * spacing
}

/// Highest usable tick for a spacing.
pub fn max_usable_tick(spacing: i32) -> i32 {
    (MAX_TICK / spacing) * spacing
}

/// `(tick_lower, tick_upper)` of an action around `tick`: aligned to `spacing` (lower
/// rounded down, upper up), inside the usable range, at least one spacing apart.
pub fn range_ticks(tick: i32, spacing: i32, width: Width, skew: Skew) -> (i32, i32) {
    let spacing = spacing.max(1);
    let lo_bound = min_usable_tick(spacing);
    let hi_bound = max_usable_tick(spacing);
    let half = match width {
        Width::Full => return (lo_bound, hi_bound),
        Width::Ticks { half } => i64::from(half.max(1)),
    };
    let shift = match skew {
        Skew::Center => 0,
        Skew::Up => half / 2,
        Skew::Down => -(half / 2),
    };
    let s = i64::from(spacing);
    let center = i64::from(tick) + shift;
    let lower = (center - half).div_euclid(s) * s;
    let upper = (center + half + s - 1).div_euclid(s) * s;
    let lower = lower.clamp(i64::from(lo_bound), i64::from(hi_bound) - s);
    let upper = upper.clamp(lower + s, i64::from(hi_bound));
    // both are within the i32 tick bounds after clamping
    (lower as i32, upper as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_fixed_and_keys_unique() {
        let c = catalog();
        assert_eq!(c.len(), CANDIDATES_PER_SLOT * MAX_POOL_SLOTS);
        assert_eq!(c.len(), 42);
        let keys: std::collections::BTreeSet<String> = c.iter().map(|x| x.key()).collect();
        assert_eq!(keys.len(), c.len());
        assert_eq!(c[0].key(), "s0:w100:center:hold");
        assert_eq!(c[7].key(), "s0:w300:center:recenter60");
        assert_eq!(c[27].key(), "s1:full:center:hold");
        assert!(c
            .iter()
            .enumerate()
            .all(|(i, x)| x.pool_slot == i / CANDIDATES_PER_SLOT));
    }

    #[test]
    fn ranges_are_aligned_and_bounded() {
        for spacing in [1, 10, 60, 200] {
            for tick in [-887_272, -195_001, -5, 0, 7, 195_000, 887_271] {
                for width in [
                    Width::Ticks { half: 1 },
                    Width::Ticks { half: 300 },
                    Width::Ticks { half: 1_000_000 },
                    Width::Full,
                ] {
                    for skew in [Skew::Center, Skew::Up, Skew::Down] {
                        let (l, u) = range_ticks(tick, spacing, width, skew);
                        assert_eq!(l % spacing, 0, "{tick} {spacing} {width:?}");
                        assert_eq!(u % spacing, 0);
                        assert!(l < u);
                        assert!(l >= MIN_TICK && u <= MAX_TICK);
                    }
                }
            }
        }
        let (l, u) = range_ticks(1000, 10, Width::Ticks { half: 300 }, Skew::Center);
        assert_eq!((l, u), (700, 1300));
        let (l, u) = range_ticks(1000, 10, Width::Ticks { half: 300 }, Skew::Up);
        assert_eq!((l, u), (850, 1450));
        let (l, u) = range_ticks(-1005, 10, Width::Ticks { half: 300 }, Skew::Center);
        assert_eq!((l, u), (-1310, -700));
    }

    #[test]
    fn tick_at_price_matches_definition() {
        assert_eq!(tick_at_raw_price(1.0).unwrap(), 0);
        assert_eq!(
            tick_at_raw_price(1.0001f64.powi(100) * 1.000001).unwrap(),
            100
        );
        assert_eq!(tick_at_raw_price(0.9999).unwrap(), -2);
        assert!(tick_at_raw_price(0.0).is_err());
        assert!(tick_at_raw_price(f64::NAN).is_err());
    }

    #[test]
    fn slots_follow_fee_rank() {
        let p = |index, fee| PoolAtOpen {
            index,
            fee,
            tick_spacing: 10,
            tick: 0,
        };
        let v = PoolsAtOpen {
            pools: vec![p(0, 3000), p(1, 500), p(2, 10000)],
            budget_quote: 1.0,
            min_size_fraction: 0.25,
        };
        assert_eq!(v.slot(0).unwrap().index, 1);
        assert_eq!(v.slot(2).unwrap().index, 2);
        assert!(v.slot(3).is_none());
        assert_eq!(v.slot_of_index(0), Some(1));
        assert_eq!(v.clamp_size(0.1), 0.25);
        assert_eq!(v.clamp_size(f64::NAN), 1.0);
    }
}
