//! Differential test: the engine [`tracka::v3::Pool`] against the published
//! `@uniswap/v3-core@1.0.1` contracts run under revm (tests/support/revm_pool.rs).
//!
//! Seeded random sequences over all four fee tiers apply the same step to both sides:
//! overlapping mints from several owners, swaps both ways (exact input and exact output,
//! price limits near the current price, far away and at the MIN/MAX sqrt ratio edges),
//! swaps crossing many initialized ticks, burns (full, partial, 0 = poke, too much),
//! collects (partial and over-large requests) and steps that must revert (bad ticks,
//! TLU/TLM/TUM, LO, LS, NP, AS, SPL, amount 0, LOK before initialize, AI, R, extreme
//! amounts). Every result (amounts or revert reason) must be bit-equal, and the full pool
//! state (slot0, liquidity, fee growth, every tick, bitmap word and position either side
//! knows) equal every [`STATE_EVERY`] steps and at the end of each sequence.
//!
//! Size: `TRACKA_DIFF_ACTIONS` steps in total (default 10,000), split over the four fee
//! tiers (one test each, so they run in parallel). `TRACKA_DIFF_SEED` changes the seed;
//! `TRACKA_DIFF_SEQUENCE=N` replays only sequence N. A mismatch panics with the seed, fee,
//! sequence, step index, the step, both results and the command that replays it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use alloy_primitives::{I256, U256};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracka::v3::action::{Action, ActionOutput};
use tracka::v3::Pool;

use crate::support::revm_pool::{PositionState, RevmPool, TickState, SWAPPER};

const MIN_TICK: i32 = -887_272;
const MAX_TICK: i32 = 887_272;
const MIN_SQRT_RATIO: u64 = 4_295_128_739;
const MAX_SQRT_RATIO: &str = "1461446703485210103287273052203988822378723970342";
const DEFAULT_SEED: u64 = 0x7ac4_d1ff_2026;
const DEFAULT_ACTIONS: u64 = 10_000;
/// Steps per sequence (a new pool pair each sequence).
const SEQUENCE_LEN: u64 = 250;
/// Full state comparison every this many steps (and at each sequence's end).
const STATE_EVERY: u64 = 25;
const OWNERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

fn max_sqrt_ratio() -> U256 {
    MAX_SQRT_RATIO.parse().expect("MAX_SQRT_RATIO literal")
}

// ---- steps and outcomes ---------------------------------------------------------------

/// One call applied to both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Initialize(U256),
    Act(Action),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Initialize(p) => write!(f, "initialize(sqrt_price_x96={p})"),
            Step::Act(a) => match serde_json::to_string(a) {
                Ok(json) => f.write_str(&json),
                Err(_) => write!(f, "{a:?}"),
            },
        }
    }
}

/// What a step returned: the contract's return values, or its revert reason.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Initialized,
    Output(ActionOutput),
    Revert(Option<String>),
}

impl Outcome {
    /// A short label for the coverage table: `mint ok`, `swap SPL`, `burn <none>`.
    fn label(&self, step: &Step) -> String {
        let op = match step {
            Step::Initialize(_) => "initialize",
            Step::Act(a) => a.op(),
        };
        match self {
            Outcome::Revert(Some(r)) => format!("{op} {r}"),
            Outcome::Revert(None) => format!("{op} <no reason>"),
            _ => format!("{op} ok"),
        }
    }
}

/// The pool state both sides must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolState {
    sqrt_price_x96: U256,
    tick: i32,
    liquidity: u128,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
    ticks: BTreeMap<i32, TickState>,
    bitmap: BTreeMap<i16, U256>,
    positions: BTreeMap<(String, i32, i32), PositionState>,
}

/// Which ticks, bitmap words and positions a state read covers.
#[derive(Debug, Default, Clone)]
struct Keys {
    ticks: BTreeSet<i32>,
    words: BTreeSet<i16>,
    positions: BTreeSet<(String, i32, i32)>,
}

/// A side of the comparison.
trait Subject {
    fn apply(&mut self, step: &Step) -> Outcome;
    /// The ticks, words and positions this side knows to exist.
    fn known_keys(&mut self) -> Keys;
    fn state(&mut self, keys: &Keys) -> PoolState;
    /// `slot0`'s (sqrtPriceX96, tick), compared after every step.
    fn price(&mut self) -> (U256, i32);
}

impl Subject for Pool {
    fn apply(&mut self, step: &Step) -> Outcome {
        let revert = |e: tracka::v3::V3Error| Outcome::Revert(e.reason().map(str::to_string));
        match step {
            Step::Initialize(p) => match self.initialize(*p) {
                Ok(()) => Outcome::Initialized,
                Err(e) => revert(e),
            },
            Step::Act(a) => match Pool::apply(self, a) {
                Ok(out) => Outcome::Output(out),
                Err(e) => revert(e),
            },
        }
    }

    fn price(&mut self) -> (U256, i32) {
        (self.sqrt_price_x96(), self.tick())
    }

    fn known_keys(&mut self) -> Keys {
        Keys {
            ticks: self.ticks().map(|(t, _)| t).collect(),
            words: self.tick_bitmap().words().map(|(w, _)| w).collect(),
            positions: self
                .positions()
                .map(|(k, _)| (k.owner.clone(), k.tick_lower, k.tick_upper))
                .collect(),
        }
    }

    fn state(&mut self, keys: &Keys) -> PoolState {
        let ticks = keys
            .ticks
            .iter()
            .map(|&t| {
                let s = self
                    .tick_info(t)
                    .map_or_else(TickState::default, |i| TickState {
                        liquidity_gross: i.liquidity_gross,
                        liquidity_net: i.liquidity_net,
                        fee_growth_outside0_x128: i.fee_growth_outside0_x128,
                        fee_growth_outside1_x128: i.fee_growth_outside1_x128,
                        initialized: i.initialized,
                    });
                (t, s)
            })
            .collect();
        let bitmap = keys
            .words
            .iter()
            .map(|&w| (w, self.tick_bitmap().word(w)))
            .collect();
        let positions = keys
            .positions
            .iter()
            .map(|(o, l, u)| {
                let s = self
                    .position(o, *l, *u)
                    .map_or_else(PositionState::default, |p| PositionState {
                        liquidity: p.liquidity,
                        fee_growth_inside0_last_x128: p.fee_growth_inside0_last_x128,
                        fee_growth_inside1_last_x128: p.fee_growth_inside1_last_x128,
                        tokens_owed0: p.tokens_owed0,
                        tokens_owed1: p.tokens_owed1,
                    });
                ((o.clone(), *l, *u), s)
            })
            .collect();
        PoolState {
            sqrt_price_x96: self.sqrt_price_x96(),
            tick: self.tick(),
            liquidity: self.liquidity(),
            fee_growth_global0_x128: self.fee_growth_global0_x128(),
            fee_growth_global1_x128: self.fee_growth_global1_x128(),
            ticks,
            bitmap,
            positions,
        }
    }
}

impl Subject for RevmPool {
    fn apply(&mut self, step: &Step) -> Outcome {
        let result = match step {
            Step::Initialize(p) => self.initialize(*p).map(|()| Outcome::Initialized),
            Step::Act(Action::Mint {
                owner,
                tick_lower,
                tick_upper,
                amount,
            }) => self
                .mint(owner, *tick_lower, *tick_upper, *amount)
                .map(|(amount0, amount1)| {
                    Outcome::Output(ActionOutput::Amounts { amount0, amount1 })
                }),
            Step::Act(Action::Burn {
                owner,
                tick_lower,
                tick_upper,
                amount,
            }) => self
                .burn(owner, *tick_lower, *tick_upper, *amount)
                .map(|(amount0, amount1)| {
                    Outcome::Output(ActionOutput::Amounts { amount0, amount1 })
                }),
            Step::Act(Action::Collect {
                owner,
                tick_lower,
                tick_upper,
                amount0_requested,
                amount1_requested,
            }) => self
                .collect(
                    owner,
                    *tick_lower,
                    *tick_upper,
                    *amount0_requested,
                    *amount1_requested,
                )
                .map(|(amount0, amount1)| {
                    Outcome::Output(ActionOutput::Collected { amount0, amount1 })
                }),
            Step::Act(Action::Swap {
                zero_for_one,
                amount_specified,
                sqrt_price_limit_x96,
            }) => self
                .swap(*zero_for_one, *amount_specified, *sqrt_price_limit_x96)
                .map(|(amount0, amount1)| {
                    Outcome::Output(ActionOutput::Swapped { amount0, amount1 })
                }),
        };
        result.unwrap_or_else(|r| Outcome::Revert(r.reason))
    }

    /// The contract cannot enumerate its mappings; the generator's record of every tick
    /// and position ever named (see [`Generator::touched`]) stands in for it.
    fn known_keys(&mut self) -> Keys {
        Keys::default()
    }

    fn price(&mut self) -> (U256, i32) {
        let s = self.slot0();
        (s.sqrt_price_x96, s.tick)
    }

    fn state(&mut self, keys: &Keys) -> PoolState {
        let slot0 = self.slot0();
        PoolState {
            sqrt_price_x96: slot0.sqrt_price_x96,
            tick: slot0.tick,
            liquidity: self.liquidity(),
            fee_growth_global0_x128: self.fee_growth_global0_x128(),
            fee_growth_global1_x128: self.fee_growth_global1_x128(),
            ticks: keys.ticks.iter().map(|&t| (t, self.tick_info(t))).collect(),
            bitmap: keys
                .words
                .iter()
                .map(|&w| (w, self.tick_bitmap(w)))
                .collect(),
            positions: keys
                .positions
                .iter()
                .map(|(o, l, u)| ((o.clone(), *l, *u), self.position(o, *l, *u)))
                .collect(),
        }
    }
}

// ---- the generator --------------------------------------------------------------------

/// Draws steps for one sequence on one fee tier; deterministic from its rng.
struct Generator {
    rng: ChaCha8Rng,
    spacing: i32,
    /// `maxLiquidityPerTick` of the tier, computed here independently of both sides.
    max_liquidity_per_tick: u128,
    /// Every tick and position a mint/burn/collect ever named (valid ticks only).
    touched: Keys,
    /// Liquidity per position as the reference side reported it.
    liquidity: BTreeMap<(String, i32, i32), u128>,
    initialized: bool,
    pre_init_steps: u32,
    pre_init_target: u32,
    /// Out-of-range prices to try before the real initialize (every other sequence).
    invalid_inits_left: u32,
    first_locked_op: u8,
    /// The price after the last step.
    sqrt_price: U256,
    tick: i32,
}

fn tick_spacing(fee: u32) -> i32 {
    match fee {
        100 => 1,
        500 => 10,
        3000 => 60,
        10000 => 200,
        other => panic!("no tick spacing for fee {other}"),
    }
}

impl Generator {
    fn new(mut rng: ChaCha8Rng, fee: u32, sequence: u64) -> Generator {
        let spacing = tick_spacing(fee);
        let pre_init_target = rng.gen_range(1..=3);
        let min = MIN_TICK.div_euclid(spacing) * spacing
            + if MIN_TICK % spacing == 0 { 0 } else { spacing };
        let max = MAX_TICK.div_euclid(spacing) * spacing;
        let num_ticks = ((max - min) / spacing) as u128 + 1;
        Generator {
            rng,
            spacing,
            max_liquidity_per_tick: u128::MAX / num_ticks,
            touched: Keys::default(),
            liquidity: BTreeMap::new(),
            initialized: false,
            pre_init_steps: 0,
            pre_init_target,
            invalid_inits_left: u32::from(sequence % 2 == 0),
            first_locked_op: (sequence % 4) as u8,
            sqrt_price: U256::ZERO,
            tick: 0,
        }
    }

    fn min_usable(&self) -> i32 {
        -(MAX_TICK / self.spacing) * self.spacing
    }

    fn max_usable(&self) -> i32 {
        (MAX_TICK / self.spacing) * self.spacing
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A u128 whose bit length is uniform in `lo_bits..=hi_bits` (log-uniform size).
    fn log_u128(&mut self, lo_bits: u32, hi_bits: u32) -> u128 {
        let bits = self.rng.gen_range(lo_bits..=hi_bits);
        if bits == 0 {
            return 0;
        }
        let top = 1u128 << (bits - 1);
        top | (self.rng.gen::<u128>() & (top - 1))
    }

    /// A U256 with bit length uniform in `lo_bits..=hi_bits`.
    fn log_u256(&mut self, lo_bits: usize, hi_bits: usize) -> U256 {
        let bits = self.rng.gen_range(lo_bits..=hi_bits);
        if bits == 0 {
            return U256::ZERO;
        }
        let limbs: [u64; 4] = self.rng.gen();
        let v = U256::from_limbs(limbs);
        let top = U256::from(1u8) << (bits - 1);
        top | (v & (top - U256::from(1u8)))
    }

    /// A valid (spaced, in range) tick: near the price, reused, anywhere, or an edge.
    fn tick(&mut self) -> i32 {
        let s = self.spacing;
        let (lo, hi) = (self.min_usable(), self.max_usable());
        let t = match self.rng.gen_range(0..100) {
            0..=49 => {
                let k = self.rng.gen_range(-40..=40);
                self.tick.div_euclid(s) * s + k * s
            }
            50..=69 if !self.touched.ticks.is_empty() => {
                let i = self.rng.gen_range(0..self.touched.ticks.len());
                *self.touched.ticks.iter().nth(i).expect("index below len")
            }
            70..=89 => {
                let k = self.rng.gen_range(-2000..=2000);
                self.tick.div_euclid(s) * s + k * s
            }
            90..=94 => self.rng.gen_range(lo / s..=hi / s) * s,
            _ => {
                if self.chance(0.5) {
                    lo
                } else {
                    hi
                }
            }
        };
        t.clamp(lo, hi)
    }

    fn range(&mut self) -> (i32, i32) {
        let (a, b) = (self.tick(), self.tick());
        match a.cmp(&b) {
            std::cmp::Ordering::Less => (a, b),
            std::cmp::Ordering::Greater => (b, a),
            std::cmp::Ordering::Equal if a < self.max_usable() => (a, a + self.spacing),
            std::cmp::Ordering::Equal => (a - self.spacing, a),
        }
    }

    /// A range that the contract rejects (or, for collect, ignores).
    fn bad_range(&mut self) -> (i32, i32) {
        let s = self.spacing;
        let (l, u) = self.range();
        match self.rng.gen_range(0..8) {
            0 => (u, l),                                        // TLU (lower > upper)
            1 => (l, l),                                        // TLU (equal)
            2 => (MIN_TICK - self.rng.gen_range(1..=3 * s), u), // TLM
            3 => (l, MAX_TICK + self.rng.gen_range(1..=3 * s)), // TUM
            4 => (-(1 << 23), (1 << 23) - 1),                   // int24 extremes: TLM
            5 => (MIN_TICK, MAX_TICK),                          // in bounds, spaced only if s == 1
            6 if s > 1 => (l + self.rng.gen_range(1..s), u),    // lower not spaced
            _ if s > 1 => (l, u - self.rng.gen_range(1..s)),    // upper not spaced
            _ => (l, l - 1),                                    // TLU
        }
    }

    fn owner(&mut self) -> String {
        OWNERS[self.rng.gen_range(0..OWNERS.len())].to_string()
    }

    /// A position that exists (if any), else a fresh range.
    fn known_position(&mut self) -> (String, i32, i32) {
        if !self.liquidity.is_empty() && self.chance(0.85) {
            let i = self.rng.gen_range(0..self.liquidity.len());
            return self
                .liquidity
                .keys()
                .nth(i)
                .expect("index below len")
                .clone();
        }
        let (l, u) = self.range();
        (self.owner(), l, u)
    }

    fn mint_amount(&mut self) -> u128 {
        let max = self.max_liquidity_per_tick;
        match self.rng.gen_range(0..100) {
            0..=79 => self.log_u128(1, 90),
            80..=89 => self.log_u128(90, 110),
            90..=92 => max - self.log_u128(0, 20).min(max - 1), // near the per-tick cap
            93..=94 => max + self.rng.gen_range(1..=1000),      // LO
            95 => u128::MAX - self.rng.gen_range(0..3),         // SafeCast toInt128 / LO
            96 => 1u128 << 127,                                 // SafeCast toInt128
            97 => (1u128 << 127) - 1,
            _ => 0, // require(amount > 0)
        }
    }

    fn swap_amount(&mut self) -> I256 {
        let exact_in = self.chance(0.5);
        let mag = match self.rng.gen_range(0..100) {
            0..=84 => self.log_u256(1, 100),
            85..=93 => self.log_u256(100, 200),
            94..=96 => I256::MAX.into_raw(),
            97 => U256::from(1u8),
            98 => {
                return if exact_in {
                    I256::MIN + I256::ONE
                } else {
                    I256::MIN
                }
            }
            _ => return I256::ZERO, // AS
        };
        let v = I256::from_raw(mag);
        if exact_in {
            v
        } else {
            -v
        }
    }

    fn price_limit(&mut self, zero_for_one: bool) -> U256 {
        let min = U256::from(MIN_SQRT_RATIO);
        let max = max_sqrt_ratio();
        let one = U256::from(1u8);
        let p = self.sqrt_price;
        // Limits far from the price let a swap walk the whole tick range, one bitmap word
        // (256 spaced ticks) per step: ~3,500 steps at spacing 1 (over a second under
        // revm in the debug profile), ~350 at 10. Weights are per mille, lower on the fine
        // tiers so the default run stays within its time budget.
        let (far, edge, anywhere) = match self.spacing {
            1 => (5, 5, 5),
            10 => (20, 15, 20),
            60 => (100, 50, 60),
            _ => (300, 100, 100),
        };
        let near = 350;
        let roll = self.rng.gen_range(0..far + edge + anywhere + near + 150);
        let spl = (roll - (far + edge + anywhere + near).min(roll)) / 10;
        if roll < far {
            // no effective limit
            return if zero_for_one { min + one } else { max - one };
        }
        if roll < far + edge {
            // a few units above MIN / below MAX
            let k = U256::from(self.rng.gen_range(1u64..1_000_000));
            return if zero_for_one { min + k } else { max - k };
        }
        if roll < far + edge + anywhere {
            return self.log_u256(33, 160).clamp(min, max - one);
        }
        if roll < far + edge + anywhere + near {
            // a limit a little way off the price, on the right side
            let shift: usize = self.rng.gen_range(2..60);
            let d = (p >> shift).max(one);
            return if zero_for_one {
                p.saturating_sub(d).max(min + one)
            } else {
                (p + d).min(max - one)
            };
        }
        match spl {
            // SPL: the price itself, the wrong side, the ratio bounds themselves
            0..=3 => p,
            4..=7 => {
                let d = (p >> self.rng.gen_range(2usize..60)).max(one);
                if zero_for_one {
                    (p + d).min((one << 160) - one)
                } else {
                    p.saturating_sub(d)
                }
            }
            8..=11 => {
                if zero_for_one {
                    min
                } else {
                    max
                }
            }
            _ => {
                if zero_for_one {
                    min - one
                } else {
                    (one << 160) - one
                }
            }
        }
    }

    fn initial_price(&mut self) -> U256 {
        let min = U256::from(MIN_SQRT_RATIO);
        let max = max_sqrt_ratio();
        let one = U256::from(1u8);
        match self.rng.gen_range(0..100) {
            // around price 1 (2^96), within about ±2^24 in sqrt price
            0..=69 => self.log_u256(72, 120),
            70..=89 => self.log_u256(33, 160).clamp(min, max - one),
            90..=93 => min,
            94..=97 => max - one,
            _ => self.invalid_price(),
        }
    }

    /// A price `initialize` rejects with `R` (uint160 values only: the argument type).
    fn invalid_price(&mut self) -> U256 {
        let one = U256::from(1u8);
        match self.rng.gen_range(0..5) {
            0 => U256::from(MIN_SQRT_RATIO) - one,
            1 => max_sqrt_ratio(),
            2 => (one << 160) - one,
            3 => self.log_u256(0, 32),
            _ => U256::ZERO,
        }
    }

    /// An ordinary action of the given op (0 mint, 1 burn, 2 collect, 3 swap).
    fn plain_action(&mut self, op: u8) -> Action {
        let (l, u) = self.range();
        let owner = self.owner();
        match op {
            0 => Action::Mint {
                owner,
                tick_lower: l,
                tick_upper: u,
                amount: self.log_u128(1, 90),
            },
            1 => Action::Burn {
                owner,
                tick_lower: l,
                tick_upper: u,
                amount: self.log_u128(0, 90),
            },
            2 => Action::Collect {
                owner,
                tick_lower: l,
                tick_upper: u,
                amount0_requested: u128::MAX,
                amount1_requested: u128::MAX,
            },
            _ => Action::Swap {
                zero_for_one: true,
                amount_specified: I256::from_raw(self.log_u256(1, 100)),
                sqrt_price_limit_x96: U256::from(MIN_SQRT_RATIO) + U256::from(1u8),
            },
        }
    }

    /// The next step given the reference side's current price.
    fn step(&mut self) -> Step {
        if !self.initialized {
            // Before initialize: actions that must revert LOK (the first one of the op
            // `first_locked_op` names, so a run of 4+ sequences sees every op locked),
            // then initialize, with out-of-range prices (R) tried first now and then.
            if self.pre_init_steps < self.pre_init_target {
                self.pre_init_steps += 1;
                if self.pre_init_steps == 1 {
                    return Step::Act(self.plain_action(self.first_locked_op));
                }
                return Step::Act(self.action());
            }
            if self.invalid_inits_left > 0 || self.chance(0.05) {
                self.invalid_inits_left = self.invalid_inits_left.saturating_sub(1);
                return Step::Initialize(self.invalid_price());
            }
            return Step::Initialize(self.initial_price());
        }
        if self.chance(0.005) {
            return Step::Initialize(self.initial_price()); // AI
        }
        Step::Act(self.action())
    }

    fn action(&mut self) -> Action {
        match self.rng.gen_range(0..100) {
            0..=26 => {
                let (owner, l, u) = if self.chance(0.3) {
                    self.known_position()
                } else {
                    let (l, u) = self.range();
                    (self.owner(), l, u)
                };
                Action::Mint {
                    owner,
                    tick_lower: l,
                    tick_upper: u,
                    amount: self.mint_amount(),
                }
            }
            27..=30 => {
                let (l, u) = self.bad_range();
                let owner = self.owner();
                let amount = self.mint_amount().max(1);
                if self.chance(0.6) {
                    Action::Mint {
                        owner,
                        tick_lower: l,
                        tick_upper: u,
                        amount,
                    }
                } else if self.chance(0.5) {
                    Action::Burn {
                        owner,
                        tick_lower: l,
                        tick_upper: u,
                        amount: if self.chance(0.5) { 0 } else { amount },
                    }
                } else {
                    Action::Collect {
                        owner,
                        tick_lower: l,
                        tick_upper: u,
                        amount0_requested: u128::MAX,
                        amount1_requested: u128::MAX,
                    }
                }
            }
            31..=44 => {
                let (owner, l, u) = self.known_position();
                let held = self
                    .liquidity
                    .get(&(owner.clone(), l, u))
                    .copied()
                    .unwrap_or(0);
                let amount = match self.rng.gen_range(0..10) {
                    0..=2 => held,
                    3..=5 if held > 0 => self.rng.gen_range(1..=held),
                    6 => 0,                      // poke (NP without liquidity)
                    7 => held.saturating_add(1), // LS
                    8 => u128::MAX,              // SafeCast toInt128
                    _ => self.log_u128(0, 100),
                };
                Action::Burn {
                    owner,
                    tick_lower: l,
                    tick_upper: u,
                    amount,
                }
            }
            45..=54 => {
                let (owner, l, u) = self.known_position();
                let (a0, a1) = match self.rng.gen_range(0..6) {
                    0 | 1 => (u128::MAX, u128::MAX),
                    2 => (0, 0),
                    3 => (self.log_u128(0, 64), u128::MAX),
                    4 => (u128::MAX, self.log_u128(0, 64)),
                    _ => (self.log_u128(0, 100), self.log_u128(0, 100)),
                };
                Action::Collect {
                    owner,
                    tick_lower: l,
                    tick_upper: u,
                    amount0_requested: a0,
                    amount1_requested: a1,
                }
            }
            _ => {
                let zero_for_one = self.chance(0.5);
                Action::Swap {
                    zero_for_one,
                    amount_specified: self.swap_amount(),
                    sqrt_price_limit_x96: self.price_limit(zero_for_one),
                }
            }
        }
    }

    /// Records what the reference side did, to aim later steps.
    fn observe(&mut self, step: &Step, outcome: &Outcome, price: (U256, i32)) {
        (self.sqrt_price, self.tick) = price;
        match (step, outcome) {
            (Step::Initialize(_), Outcome::Initialized) => self.initialized = true,
            (Step::Act(a), _) => {
                // (owner, range, liquidity added, liquidity removed)
                let (owner, l, u, added, removed) = match a {
                    Action::Mint {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    } => (owner, *tick_lower, *tick_upper, *amount, 0),
                    Action::Burn {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    } => (owner, *tick_lower, *tick_upper, 0, *amount),
                    Action::Collect {
                        owner,
                        tick_lower,
                        tick_upper,
                        ..
                    } => (owner, *tick_lower, *tick_upper, 0, 0),
                    Action::Swap { .. } => return,
                };
                let (lo, hi) = (MIN_TICK, MAX_TICK);
                if (lo..=hi).contains(&l) && (lo..=hi).contains(&u) && l < u {
                    let s = self.spacing;
                    for t in [l, u] {
                        self.touched.ticks.insert(t);
                        if t % s == 0 {
                            self.touched.words.insert(((t / s) >> 8) as i16);
                        }
                    }
                    self.touched.positions.insert((owner.clone(), l, u));
                }
                if matches!(outcome, Outcome::Output(_)) && (added, removed) != (0, 0) {
                    let held = self.liquidity.entry((owner.clone(), l, u)).or_insert(0);
                    *held = held
                        .checked_add(added)
                        .and_then(|h| h.checked_sub(removed))
                        .expect("a successful mint/burn keeps position liquidity in u128");
                }
            }
            _ => {}
        }
    }
}

// ---- the run --------------------------------------------------------------------------

struct Config {
    seed: u64,
    actions: u64,
    only_sequence: Option<u64>,
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not an unsigned integer")))
}

fn config() -> Config {
    Config {
        seed: env_u64("TRACKA_DIFF_SEED").unwrap_or(DEFAULT_SEED),
        actions: env_u64("TRACKA_DIFF_ACTIONS").unwrap_or(DEFAULT_ACTIONS),
        only_sequence: env_u64("TRACKA_DIFF_SEQUENCE"),
    }
}

/// rng for (seed, fee tier, sequence index, purpose).
fn rng_for(seed: u64, fee: u32, sequence: u64, purpose: &[u8; 8]) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&fee.to_le_bytes());
    key[12..20].copy_from_slice(&sequence.to_le_bytes());
    key[20..28].copy_from_slice(purpose);
    ChaCha8Rng::from_seed(key)
}

/// Where a failure happened, printed with every mismatch.
struct Place<'a> {
    cfg: &'a Config,
    fee: u32,
    sequence: u64,
    index: u64,
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {:#x}, fee {}, sequence {}, step {}\nreplay: TRACKA_DIFF_SEED={:#x} TRACKA_DIFF_ACTIONS={} \
             TRACKA_DIFF_SEQUENCE={} cargo test --test integration differential_fee_{} -- --nocapture",
            self.cfg.seed,
            self.fee,
            self.sequence,
            self.index,
            self.cfg.seed,
            self.cfg.actions,
            self.sequence,
            self.fee
        )
    }
}

/// Statistics of one tier's run: outcome labels and the most ticks a swap crossed.
#[derive(Default)]
struct Coverage {
    outcomes: BTreeMap<String, u64>,
    max_crossed: usize,
    steps: u64,
    state_checks: u64,
}

fn compare_state<A: Subject, B: Subject>(
    engine: &mut A,
    reference: &mut B,
    gen: &Generator,
    place: &Place<'_>,
    history: &[Step],
) {
    let mut keys = engine.known_keys();
    let theirs = reference.known_keys();
    keys.ticks
        .extend(theirs.ticks.iter().chain(&gen.touched.ticks));
    keys.words
        .extend(theirs.words.iter().chain(&gen.touched.words));
    keys.positions.extend(
        theirs
            .positions
            .iter()
            .chain(&gen.touched.positions)
            .cloned(),
    );
    let s = gen.spacing;
    let from_ticks: Vec<i16> = keys
        .ticks
        .iter()
        .filter(|t| *t % s == 0)
        .map(|t| ((t / s) >> 8) as i16)
        .collect();
    keys.words.extend(from_ticks);
    let a = engine.state(&keys);
    let b = reference.state(&keys);
    if a != b {
        let mut diff = String::new();
        if (a.sqrt_price_x96, a.tick) != (b.sqrt_price_x96, b.tick) {
            diff += &format!(
                "  slot0: engine ({}, {}) revm ({}, {})\n",
                a.sqrt_price_x96, a.tick, b.sqrt_price_x96, b.tick
            );
        }
        if a.liquidity != b.liquidity {
            diff += &format!("  liquidity: engine {} revm {}\n", a.liquidity, b.liquidity);
        }
        if a.fee_growth_global0_x128 != b.fee_growth_global0_x128
            || a.fee_growth_global1_x128 != b.fee_growth_global1_x128
        {
            diff += &format!(
                "  fee growth: engine ({}, {}) revm ({}, {})\n",
                a.fee_growth_global0_x128,
                a.fee_growth_global1_x128,
                b.fee_growth_global0_x128,
                b.fee_growth_global1_x128
            );
        }
        for (t, ea) in &a.ticks {
            if b.ticks.get(t) != Some(ea) {
                diff += &format!("  tick {t}: engine {ea:?} revm {:?}\n", b.ticks.get(t));
            }
        }
        for (w, ea) in &a.bitmap {
            if b.bitmap.get(w) != Some(ea) {
                diff += &format!(
                    "  bitmap word {w}: engine {ea:#x} revm {:?}\n",
                    b.bitmap.get(w)
                );
            }
        }
        for (k, ea) in &a.positions {
            if b.positions.get(k) != Some(ea) {
                diff += &format!(
                    "  position {k:?}: engine {ea:?} revm {:?}\n",
                    b.positions.get(k)
                );
            }
        }
        panic!(
            "STATE MISMATCH after {place}\nlast step: {}\n{diff}",
            history.last().map_or("-".to_string(), Step::to_string)
        );
    }
}

/// Runs one sequence on fresh pools; returns the steps taken.
fn run_sequence<A: Subject, B: Subject>(
    engine: &mut A,
    reference: &mut B,
    cfg: &Config,
    fee: u32,
    sequence: u64,
    len: u64,
    cov: &mut Coverage,
) {
    let mut gen = Generator::new(rng_for(cfg.seed, fee, sequence, b"diffstep"), fee, sequence);
    let mut history = Vec::with_capacity(len as usize);
    for index in 0..len {
        let place = Place {
            cfg,
            fee,
            sequence,
            index,
        };
        let step = gen.step();
        let before = gen.tick;
        let ours = engine.apply(&step);
        let theirs = reference.apply(&step);
        history.push(step.clone());
        if ours != theirs {
            eprintln!("steps of this sequence so far:");
            for (i, s) in history.iter().enumerate() {
                eprintln!("  {i:>4}: {s}");
            }
            panic!(
                "RESULT MISMATCH at {place}\nstep:   {step}\nengine: {ours:?}\nrevm:   {theirs:?}"
            );
        }
        *cov.outcomes.entry(theirs.label(&step)).or_insert(0) += 1;
        cov.steps += 1;
        let price = engine.price();
        let reference_price = reference.price();
        if price != reference_price {
            panic!(
                "SLOT0 MISMATCH after {place}\nstep:   {step}\nresult: {theirs:?}\n\
                 engine (sqrtPriceX96, tick): {price:?}\nrevm   (sqrtPriceX96, tick): {reference_price:?}"
            );
        }
        if let (Step::Act(Action::Swap { .. }), Outcome::Output(_)) = (&step, &theirs) {
            let (lo, hi) = (before.min(price.1), before.max(price.1));
            let crossed = gen
                .liquidity
                .iter()
                .filter(|(_, l)| **l > 0)
                .flat_map(|((_, l, u), _)| [*l, *u])
                .filter(|t| (lo + 1..=hi).contains(t))
                .collect::<BTreeSet<_>>()
                .len();
            cov.max_crossed = cov.max_crossed.max(crossed);
        }
        gen.observe(&step, &theirs, price);
        if (index + 1) % STATE_EVERY == 0 || index + 1 == len {
            compare_state(engine, reference, &gen, &place, &history);
            cov.state_checks += 1;
        }
    }
}

/// Runs this tier's share of `TRACKA_DIFF_ACTIONS` and checks the coverage.
fn run_tier(fee: u32) {
    let cfg = config();
    let per_tier = cfg.actions.div_ceil(4);
    let sequences = per_tier.div_ceil(SEQUENCE_LEN);
    let mut cov = Coverage::default();
    let started = std::time::Instant::now();
    for sequence in 0..sequences {
        if cfg.only_sequence.is_some_and(|only| only != sequence) {
            continue;
        }
        let len = SEQUENCE_LEN.min(per_tier - sequence * SEQUENCE_LEN);
        let mut engine = Pool::new(fee).expect("engine pool for an enabled fee tier");
        let mut reference = RevmPool::new(fee).expect("createPool for an enabled fee tier");
        run_sequence(
            &mut engine,
            &mut reference,
            &cfg,
            fee,
            sequence,
            len,
            &mut cov,
        );
    }
    eprintln!(
        "differential fee {fee}: {} steps in {} sequences, {} state checks, {:.1?}; max initialized ticks crossed by one swap: {}",
        cov.steps,
        sequences,
        cov.state_checks,
        started.elapsed(),
        cov.max_crossed
    );
    for (label, n) in &cov.outcomes {
        eprintln!("  {label:<24} {n}");
    }
    if cfg.only_sequence.is_none() && sequences >= 4 {
        check_coverage(fee, &cov);
    }
}

/// A generator that silently stopped reaching a case would make the test pass for the
/// wrong reason: every tier must have hit each of these (checked when the tier ran at
/// least 4 sequences, which the default size does).
fn check_coverage(fee: u32, cov: &Coverage) {
    let want = [
        "initialize ok",
        "initialize AI",
        "initialize R",
        "mint ok",
        "mint LOK",
        "burn LOK",
        "collect LOK",
        "swap LOK",
        "mint TLU",
        "mint TLM",
        "mint TUM",
        "mint LO",
        "mint <no reason>",
        "burn <no reason>",
        "burn ok",
        "burn NP",
        "burn LS",
        "collect ok",
        "swap ok",
        "swap AS",
        "swap SPL",
    ];
    let missing: Vec<_> = want
        .iter()
        .filter(|l| !cov.outcomes.contains_key(**l))
        .collect();
    assert!(
        missing.is_empty(),
        "fee {fee}: the generator never produced {missing:?} (seen: {:?})",
        cov.outcomes.keys().collect::<Vec<_>>()
    );
    assert!(
        cov.max_crossed >= 10,
        "fee {fee}: no swap crossed 10 initialized ticks (max {})",
        cov.max_crossed
    );
}

#[test]
fn differential_fee_100() {
    run_tier(100);
}

#[test]
fn differential_fee_500() {
    run_tier(500);
}

#[test]
fn differential_fee_3000() {
    run_tier(3000);
}

#[test]
fn differential_fee_10000() {
    run_tier(10000);
}

#[test]
fn differential_swapper_is_not_a_position_owner() {
    assert!(!OWNERS.contains(&SWAPPER));
}
