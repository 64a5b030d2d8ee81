//! Backtest of one liquidity position on a market tape: the tape's actions on the
//! position's pool are replayed through the exact engine with the user's position
//! inserted, so its fees are the integers the contract would credit. This is the core of
//! mock execution; the replay loop allocates nothing per step and is deterministic.
//!
//! Conventions (SPEC.md, "Backtests"):
//! - Only the plan's pool is replayed: other tiers of the tape cannot touch the position
//!   (their effect on this pool is already in the tape's arbitrage swaps).
//! - The position opens at the first reference minute at or after `open_ts` and closes at
//!   the first minute at or after `close_ts` (or after the tape's last step). Steps of a
//!   minute are applied in order; time in range is sampled once per open minute, after
//!   its steps (in range: `tick_lower <= tick < tick_upper`).
//! - Capital given in quote is split per the range's token ratio at the pool price by a
//!   swap outside the pool that costs `swap_cost_bps` (it does not move the tape's pool).
//!   The liquidity is the periphery's `getLiquidityForAmounts` of the wallet.
//! - Transactions: opening swap 1 (if any), mint 1, burn + collect 1 (one multicall);
//!   each costs `gas_cost_quote_per_tx`.
//! - With the position inserted the pool holds more liquidity, so the tape's swaps move
//!   the price slightly less than when the tape was made. A swap whose price limit then
//!   lies on the wrong side of the price (the contract would revert it) is adapted: a
//!   price-target swap (arbitrage, |amount| >= 2^120) trades the other way to the same
//!   target, an amount swap drops its limit. The report counts them (`adjusted_swaps`).
//! - Values are in quote (token1) human units at the pool's final price: final value =
//!   wallet after close − gas; HODL = the wallet right after the opening swap, held;
//!   impermanent loss = (final value + gas − fees) − HODL.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::builder::{is_target_swap, new_pool};
use super::error::MarketError;
use super::price::{self, f64_from_u256, u256_from_f64};
use super::tape::MarketTape;
use crate::v3::action::Action;
use crate::v3::error::V3Error;
use crate::v3::num::{dec_u128, dec_u256, U256};
use crate::v3::pool::Pool;
use crate::v3::position_value::{self, ImpermanentLoss, TimeInRange};
use crate::v3::tick_math::get_sqrt_ratio_at_tick;

/// The owner name of the backtested position in the engine.
pub const USER_OWNER: &str = "tracka_user";

/// What the position starts with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Capital {
    /// An amount of token1 (human units), split per the range's ratio by a swap.
    Quote { amount: f64 },
    /// Raw token amounts, deposited as they are (no swap).
    Amounts {
        #[serde(with = "dec_u128")]
        amount0: u128,
        #[serde(with = "dec_u128")]
        amount1: u128,
    },
}

/// What to do when the price leaves the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rebalance {
    /// Keep the range.
    None,
    /// After `after_minutes_out` consecutive minutes out of range (0 counts as 1), burn
    /// and collect, swap to the new range's ratio and mint `width_ticks` wide (rounded
    /// up to the tick spacing) around the current tick.
    Recenter {
        after_minutes_out: u32,
        width_ticks: i32,
    },
}

/// The position to backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionPlan {
    /// Index into the tape's pools.
    pub pool: usize,
    pub tick_lower: i32,
    pub tick_upper: i32,
    pub capital: Capital,
    /// Open at the first minute at or after this time (0: the tape's start).
    pub open_ts: u64,
    /// Close at the first minute at or after this time (None: the tape's end).
    pub close_ts: Option<u64>,
    pub rebalance: Rebalance,
    /// Cost of one transaction, in quote units.
    pub gas_cost_quote_per_tx: f64,
    /// Cost of the wallet's swaps, in basis points of the amount sold.
    pub swap_cost_bps: f64,
}

impl PositionPlan {
    /// A plan with `capital_quote` of token1 on `pool`, open for the whole tape, no
    /// rebalancing and no costs.
    pub fn new(pool: usize, tick_lower: i32, tick_upper: i32, capital_quote: f64) -> Self {
        PositionPlan {
            pool,
            tick_lower,
            tick_upper,
            capital: Capital::Quote {
                amount: capital_quote,
            },
            open_ts: 0,
            close_ts: None,
            rebalance: Rebalance::None,
            gas_cost_quote_per_tx: 0.0,
            swap_cost_bps: 0.0,
        }
    }

    fn validate(&self, tape: &MarketTape) -> Result<i32, MarketError> {
        let bad = |field: &str, value: String, reason: String| {
            Err(MarketError::BadPlan {
                field: field.into(),
                value,
                reason,
            })
        };
        let Some(p) = tape.pools.get(self.pool) else {
            return bad(
                "pool",
                self.pool.to_string(),
                format!("the tape has {} pools", tape.pools.len()),
            );
        };
        let s = p.tick_spacing;
        for (name, t) in [
            ("tick_lower", self.tick_lower),
            ("tick_upper", self.tick_upper),
        ] {
            if t % s != 0 {
                return bad(
                    name,
                    t.to_string(),
                    format!("not a multiple of the tick spacing {s}"),
                );
            }
            if !(price::MIN_TICK..=price::MAX_TICK).contains(&t) {
                return bad(name, t.to_string(), "outside [-887272, 887272]".into());
            }
        }
        if self.tick_lower >= self.tick_upper {
            return bad(
                "tick_lower",
                self.tick_lower.to_string(),
                format!("must be below tick_upper {}", self.tick_upper),
            );
        }
        match self.capital {
            Capital::Quote { amount } if !(amount.is_finite() && amount > 0.0) => {
                return bad("capital", amount.to_string(), "must be positive".into())
            }
            Capital::Amounts {
                amount0: 0,
                amount1: 0,
            } => return bad("capital", "0/0".into(), "amounts must not both be 0".into()),
            _ => {}
        }
        if !(self.gas_cost_quote_per_tx.is_finite() && self.gas_cost_quote_per_tx >= 0.0) {
            return bad(
                "gas_cost_quote_per_tx",
                self.gas_cost_quote_per_tx.to_string(),
                "must be >= 0".into(),
            );
        }
        if !(self.swap_cost_bps.is_finite() && (0.0..10_000.0).contains(&self.swap_cost_bps)) {
            return bad(
                "swap_cost_bps",
                self.swap_cost_bps.to_string(),
                "must be in [0, 10000)".into(),
            );
        }
        if let Rebalance::Recenter { width_ticks, .. } = self.rebalance {
            if width_ticks <= 0 || width_ticks > 2 * price::MAX_TICK - 2 * s {
                return bad(
                    "rebalance.width_ticks",
                    width_ticks.to_string(),
                    "must be positive and fit between the usable ticks".into(),
                );
            }
        }
        if let Some(c) = self.close_ts {
            if c < self.open_ts {
                return bad(
                    "close_ts",
                    c.to_string(),
                    format!("before open_ts {}", self.open_ts),
                );
            }
        }
        Ok(s)
    }
}

/// The position at close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalPosition {
    pub tick_lower: i32,
    pub tick_upper: i32,
    #[serde(with = "dec_u128")]
    pub liquidity: u128,
    /// Principal returned by the closing burn.
    #[serde(with = "dec_u256")]
    pub amount0: U256,
    #[serde(with = "dec_u256")]
    pub amount1: U256,
}

/// The outcome of a backtest. Values in quote (token1) human units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    pub pool: usize,
    pub fee: u32,
    pub open_ts: u64,
    pub close_ts: u64,
    /// Capital at open, in quote.
    pub capital_quote: f64,
    /// Fees collected, raw token0 / token1.
    #[serde(with = "dec_u128")]
    pub fees0: u128,
    #[serde(with = "dec_u128")]
    pub fees1: u128,
    /// Fees valued at the final price.
    pub fees_quote: f64,
    /// Wallet after close at the final price, minus gas.
    pub final_value_quote: f64,
    /// The opening wallet held to the end.
    pub hodl_value_quote: f64,
    /// Position value without fees (and before gas) against HODL.
    pub impermanent_loss: ImpermanentLoss,
    /// `final_value_quote - capital_quote`.
    pub pnl_quote: f64,
    pub gas_cost_quote: f64,
    pub swap_cost_quote: f64,
    pub transactions: u32,
    pub rebalances: u32,
    pub minutes_open: u64,
    pub minutes_in_range: u64,
    pub time_in_range: f64,
    /// Swaps of the tape replayed on the pool (all steps: `steps_replayed`).
    pub swaps_replayed: u64,
    pub steps_replayed: u64,
    /// Swaps whose price limit fell on the wrong side of the price once the position
    /// was inserted, adapted as described in the module doc.
    pub adjusted_swaps: u64,
    pub start_price: f64,
    pub end_price: f64,
    pub final_position: FinalPosition,
    /// Wall time of the run (not serialised: reports are deterministic).
    #[serde(skip)]
    pub elapsed: Duration,
}

/// The running state of the user's position and wallet.
struct Book<'a> {
    tape: &'a MarketTape,
    plan: &'a PositionPlan,
    spacing: i32,
    wallet0: U256,
    wallet1: U256,
    range: Option<(i32, i32, u128)>,
    fees0: u128,
    fees1: u128,
    swap_cost_quote: f64,
    transactions: u32,
    rebalances: u32,
    last_close: Option<FinalPosition>,
}

/// The adaptation of a tape swap that the contract would revert because the position's
/// liquidity left the price on the other side of (or at) the swap's limit: a price-target
/// swap trades the other way to the same target (or is dropped when the price is
/// already there); an amount swap keeps its amount and drops its limit (the contract's
/// extreme limit in its direction).
fn adjusted_swap(action: &Action, current: U256) -> Option<Action> {
    let Action::Swap {
        zero_for_one,
        amount_specified,
        sqrt_price_limit_x96,
    } = *action
    else {
        return None;
    };
    if is_target_swap(amount_specified) {
        if sqrt_price_limit_x96 == current {
            return None;
        }
        return Some(Action::Swap {
            zero_for_one: sqrt_price_limit_x96 < current,
            amount_specified,
            sqrt_price_limit_x96,
        });
    }
    let limit = if zero_for_one {
        price::min_sqrt_ratio() + U256::from(1u8)
    } else {
        price::max_sqrt_ratio() - U256::from(1u8)
    };
    Some(Action::Swap {
        zero_for_one,
        amount_specified,
        sqrt_price_limit_x96: limit,
    })
}

fn engine_err(op: &str, e: V3Error, ts: u64, pool: usize) -> MarketError {
    MarketError::Revert {
        step: usize::MAX,
        ts,
        pool,
        op: format!("user {op}"),
        reason: e.to_string(),
    }
}

/// Share of value held in token0 for a range at a sqrt price (f64).
fn token0_share(sqrt_price: U256, sa: U256, sb: U256) -> f64 {
    let q = 2f64.powi(96);
    let (s, a, b) = (
        f64_from_u256(sqrt_price) / q,
        f64_from_u256(sa) / q,
        f64_from_u256(sb) / q,
    );
    let sc = s.clamp(a, b);
    let a0 = (1.0 / sc - 1.0 / b) * s * s;
    let a1 = sc - a;
    if a0 + a1 > 0.0 {
        a0 / (a0 + a1)
    } else {
        0.0
    }
}

impl Book<'_> {
    fn ts_pool(&self) -> usize {
        self.plan.pool
    }

    /// Swaps the wallet (outside the pool) to the token ratio of [tl, tu) at the price.
    fn swap_to_ratio(&mut self, pool: &Pool, tl: i32, tu: i32, ts: u64) -> Result<(), MarketError> {
        let sp = pool.sqrt_price_x96();
        let sa =
            get_sqrt_ratio_at_tick(tl).map_err(|e| engine_err("range", e, ts, self.ts_pool()))?;
        let sb =
            get_sqrt_ratio_at_tick(tu).map_err(|e| engine_err("range", e, ts, self.ts_pool()))?;
        let p = price::raw_from_sqrt_price_x96(sp);
        let target = token0_share(sp, sa, sb);
        let v0 = f64_from_u256(self.wallet0) * p;
        let v1 = f64_from_u256(self.wallet1);
        let want0 = (v0 + v1) * target;
        let keep = 1.0 - self.plan.swap_cost_bps / 10_000.0;
        if v0 > want0 {
            let sell0 = (v0 - want0) / p;
            let sell0_u = u256_from_f64(sell0).min(self.wallet0);
            if sell0_u.is_zero() {
                return Ok(());
            }
            let got1 = f64_from_u256(sell0_u) * p * keep;
            self.wallet0 -= sell0_u;
            self.wallet1 += u256_from_f64(got1);
            self.swap_cost_quote +=
                self.tape.pair.quote_units(f64_from_u256(sell0_u) * p) * (1.0 - keep);
        } else {
            let sell1 = want0 - v0;
            let sell1_u = u256_from_f64(sell1).min(self.wallet1);
            if sell1_u.is_zero() {
                return Ok(());
            }
            let got0 = f64_from_u256(sell1_u) * keep / p;
            self.wallet1 -= sell1_u;
            self.wallet0 += u256_from_f64(got0);
            self.swap_cost_quote +=
                self.tape.pair.quote_units(f64_from_u256(sell1_u)) * (1.0 - keep);
        }
        self.transactions += 1;
        Ok(())
    }

    /// Mints the wallet's liquidity in [tl, tu).
    fn mint(&mut self, pool: &mut Pool, tl: i32, tu: i32, ts: u64) -> Result<(), MarketError> {
        let sp = pool.sqrt_price_x96();
        let pidx = self.ts_pool();
        let sa = get_sqrt_ratio_at_tick(tl).map_err(|e| engine_err("mint", e, ts, pidx))?;
        let sb = get_sqrt_ratio_at_tick(tu).map_err(|e| engine_err("mint", e, ts, pidx))?;
        let l = position_value::liquidity_for_amounts(sp, sa, sb, self.wallet0, self.wallet1)
            .map_err(|e| MarketError::BadPlan {
                field: "capital".into(),
                value: format!("{}/{}", self.wallet0, self.wallet1),
                reason: e.to_string(),
            })?;
        if l == 0 {
            return Err(MarketError::BadPlan {
                field: "capital".into(),
                value: format!("{}/{}", self.wallet0, self.wallet1),
                reason: "buys no liquidity in the range at the pool's price".into(),
            });
        }
        let (a0, a1) = pool
            .mint(USER_OWNER, tl, tu, l)
            .map_err(|e| engine_err("mint", e, ts, pidx))?;
        // getLiquidityForAmounts rounds down and mint rounds up: at most 1 wei short.
        self.wallet0 = self.wallet0.saturating_sub(a0);
        self.wallet1 = self.wallet1.saturating_sub(a1);
        self.range = Some((tl, tu, l));
        self.transactions += 1;
        Ok(())
    }

    /// Burns the whole position and collects principal and fees.
    fn burn_all(&mut self, pool: &mut Pool, ts: u64) -> Result<(), MarketError> {
        let Some((tl, tu, l)) = self.range.take() else {
            return Ok(());
        };
        let pidx = self.ts_pool();
        let (p0, p1) = pool
            .burn(USER_OWNER, tl, tu, l)
            .map_err(|e| engine_err("burn", e, ts, pidx))?;
        let (c0, c1) = pool
            .collect(USER_OWNER, tl, tu, u128::MAX, u128::MAX)
            .map_err(|e| engine_err("collect", e, ts, pidx))?;
        let low = |x: U256| {
            let l = x.as_limbs();
            (l[0] as u128) | ((l[1] as u128) << 64)
        };
        self.fees0 = self.fees0.saturating_add(c0.saturating_sub(low(p0)));
        self.fees1 = self.fees1.saturating_add(c1.saturating_sub(low(p1)));
        self.wallet0 += U256::from(c0);
        self.wallet1 += U256::from(c1);
        self.transactions += 1;
        self.last_close = Some(FinalPosition {
            tick_lower: tl,
            tick_upper: tu,
            liquidity: l,
            amount0: p0,
            amount1: p1,
        });
        Ok(())
    }

    /// Burn, collect, swap to the new ratio and mint around the current tick.
    fn recenter(&mut self, pool: &mut Pool, width: i32, ts: u64) -> Result<(), MarketError> {
        self.burn_all(pool, ts)?;
        let s = self.spacing;
        let w = ((width + s - 1) / s).max(1) * s;
        let lo = price::min_usable_tick(s);
        let hi = price::max_usable_tick(s);
        let mut tl = price::floor_to_spacing(pool.tick() - w / 2, s);
        if tl + w > hi {
            tl = hi - w;
        }
        let tl = tl.max(lo);
        let tu = (tl + w).min(hi);
        self.swap_to_ratio(pool, tl, tu, ts)?;
        self.mint(pool, tl, tu, ts)?;
        self.rebalances += 1;
        Ok(())
    }
}

/// Backtests `plan` on `tape`.
pub fn run(tape: &MarketTape, plan: &PositionPlan) -> Result<BacktestReport, MarketError> {
    let started = Instant::now();
    tape.validate()?;
    let spacing = plan.validate(tape)?;
    let pidx = plan.pool;
    let Some(tp) = tape.pools.get(pidx) else {
        return Err(MarketError::BadPlan {
            field: "pool".into(),
            value: pidx.to_string(),
            reason: "no such pool".into(),
        });
    };
    let mut pool = new_pool(pidx, tp)?;
    let mut book = Book {
        tape,
        plan,
        spacing,
        wallet0: U256::ZERO,
        wallet1: U256::ZERO,
        range: None,
        fees0: 0,
        fees1: 0,
        swap_cost_quote: 0.0,
        transactions: 0,
        rebalances: 0,
        last_close: None,
    };
    let mut hodl = (U256::ZERO, U256::ZERO);
    let mut capital_quote = 0.0;
    let mut opened_at: Option<u64> = None;
    let mut closed_at: Option<u64> = None;
    let mut start_price = 0.0;
    let mut tir = TimeInRange::default();
    let mut out_streak = 0u32;
    let mut swaps = 0u64;
    let mut steps_replayed = 0u64;
    let mut adjusted = 0u64;
    let steps = &tape.steps;
    let mut si = 0usize;

    let mut apply_until =
        |pool: &mut Pool, end: Option<u64>, si: &mut usize| -> Result<(), MarketError> {
            while let Some(s) = steps.get(*si) {
                if end.is_some_and(|e| s.ts >= e) {
                    break;
                }
                if s.pool == pidx {
                    let step = *si;
                    let revert = |e: V3Error| MarketError::Revert {
                        step,
                        ts: s.ts,
                        pool: pidx,
                        op: s.action.op().to_string(),
                        reason: e.to_string(),
                    };
                    match pool.apply(&s.action) {
                        Ok(_) => {}
                        Err(V3Error::SqrtPriceLimit { .. }) => {
                            if let Some(a) = adjusted_swap(&s.action, pool.sqrt_price_x96()) {
                                pool.apply(&a).map_err(revert)?;
                            }
                            adjusted += 1;
                        }
                        Err(e) => return Err(revert(e)),
                    }
                    steps_replayed += 1;
                    if matches!(s.action, Action::Swap { .. }) {
                        swaps += 1;
                    }
                }
                *si += 1;
            }
            Ok(())
        };

    for &(mts, _) in &tape.reference {
        if opened_at.is_some() && closed_at.is_none() && plan.close_ts.is_some_and(|c| mts >= c) {
            book.burn_all(&mut pool, mts)?;
            closed_at = Some(mts);
        }
        if opened_at.is_none() && mts >= plan.open_ts {
            let sp = pool.sqrt_price_x96();
            start_price = tape.pair.human_price_at(sp);
            match plan.capital {
                Capital::Quote { amount } => {
                    book.wallet1 = u256_from_f64(tape.pair.quote_raw(amount));
                    capital_quote = amount;
                    book.swap_to_ratio(&pool, plan.tick_lower, plan.tick_upper, mts)?;
                }
                Capital::Amounts { amount0, amount1 } => {
                    book.wallet0 = U256::from(amount0);
                    book.wallet1 = U256::from(amount1);
                    capital_quote = tape.pair.quote_units(position_value::value_in_token1(
                        book.wallet0,
                        book.wallet1,
                        sp,
                    ));
                }
            }
            hodl = (book.wallet0, book.wallet1);
            book.mint(&mut pool, plan.tick_lower, plan.tick_upper, mts)?;
            opened_at = Some(mts);
        }
        apply_until(&mut pool, Some(mts + 60), &mut si)?;
        if let Some((tl, tu, _)) = book.range {
            let tick = pool.tick();
            tir.record(tick, tl, tu);
            if position_value::in_range(tick, tl, tu) {
                out_streak = 0;
            } else {
                out_streak += 1;
                if let Rebalance::Recenter {
                    after_minutes_out,
                    width_ticks,
                } = plan.rebalance
                {
                    if out_streak >= after_minutes_out.max(1) {
                        book.recenter(&mut pool, width_ticks, mts + 59)?;
                        out_streak = 0;
                    }
                }
            }
        }
    }
    apply_until(&mut pool, None, &mut si)?;
    let Some(open_ts) = opened_at else {
        return Err(MarketError::BadPlan {
            field: "open_ts".into(),
            value: plan.open_ts.to_string(),
            reason: format!("after the tape's last minute (tape ends {})", tape.end_ts()),
        });
    };
    if closed_at.is_none() {
        book.burn_all(&mut pool, tape.end_ts())?;
        closed_at = Some(tape.end_ts());
    }
    let sp_end = pool.sqrt_price_x96();
    let pair = &tape.pair;
    let q = |raw1: f64| pair.quote_units(raw1);
    let wallet_value = q(position_value::value_in_token1(
        book.wallet0,
        book.wallet1,
        sp_end,
    ));
    let gas = plan.gas_cost_quote_per_tx * f64::from(book.transactions);
    let fees_quote = q(position_value::value_in_token1(
        U256::from(book.fees0),
        U256::from(book.fees1),
        sp_end,
    ));
    let hodl_value = q(position_value::hodl_value_in_token1(hodl.0, hodl.1, sp_end));
    let final_value = wallet_value - gas;
    let il = position_value::impermanent_loss(wallet_value - fees_quote, hodl_value);
    let final_position = book.last_close.unwrap_or(FinalPosition {
        tick_lower: plan.tick_lower,
        tick_upper: plan.tick_upper,
        liquidity: 0,
        amount0: U256::ZERO,
        amount1: U256::ZERO,
    });
    Ok(BacktestReport {
        pool: pidx,
        fee: tp.fee,
        open_ts,
        close_ts: closed_at.unwrap_or(open_ts),
        capital_quote,
        fees0: book.fees0,
        fees1: book.fees1,
        fees_quote,
        final_value_quote: final_value,
        hodl_value_quote: hodl_value,
        impermanent_loss: il,
        pnl_quote: final_value - capital_quote,
        gas_cost_quote: gas,
        swap_cost_quote: book.swap_cost_quote,
        transactions: book.transactions,
        rebalances: book.rebalances,
        minutes_open: tir.total,
        minutes_in_range: tir.in_range,
        time_in_range: tir.fraction(),
        swaps_replayed: swaps,
        adjusted_swaps: adjusted,
        steps_replayed,
        start_price,
        end_price: pair.human_price_at(sp_end),
        final_position,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::generator::{generate, MarketRegime, MarketSpec};
    use crate::market::price;

    fn tape(kind: MarketRegime, minutes: u32, seed: u64) -> MarketTape {
        let mut s = MarketSpec::regime(kind);
        s.minutes = minutes;
        generate(&s, seed).unwrap()
    }

    /// A range of ±`half` ticks around the tape's start price, on pool `pool`.
    fn around(t: &MarketTape, pool: usize, half: i32) -> (i32, i32) {
        let s = t.pools[pool].tick_spacing;
        let tick =
            price::tick_from_raw(price::raw_from_sqrt_price_x96(t.pools[pool].sqrt_price_x96));
        (
            price::floor_to_spacing(tick - half, s),
            price::floor_to_spacing(tick + half, s),
        )
    }

    #[test]
    fn fees_match_the_engine_fee_growth_exactly() {
        let t = tape(MarketRegime::Calm, 600, 2);
        let (tl, tu) = around(&t, 0, 600);
        let plan = PositionPlan {
            capital: Capital::Amounts {
                amount0: 10u128.pow(18),
                amount1: 3_000 * 10u128.pow(6),
            },
            ..PositionPlan::new(0, tl, tu, 0.0)
        };
        let r = run(&t, &plan).unwrap();
        assert!(r.fees0 > 0 && r.fees1 > 0, "{r:?}");
        // independently: mint first, replay every step of pool 0, read fees owed
        let mut pool = new_pool(0, &t.pools[0]).unwrap();
        let sp = pool.sqrt_price_x96();
        let l = position_value::liquidity_for_amounts(
            sp,
            get_sqrt_ratio_at_tick(tl).unwrap(),
            get_sqrt_ratio_at_tick(tu).unwrap(),
            U256::from(10u128.pow(18)),
            U256::from(3_000 * 10u128.pow(6)),
        )
        .unwrap();
        pool.mint(USER_OWNER, tl, tu, l).unwrap();
        for s in t.steps.iter().filter(|s| s.pool == 0) {
            pool.apply(&s.action).unwrap();
        }
        let owed = position_value::fees_owed(&pool, USER_OWNER, tl, tu)
            .unwrap()
            .unwrap();
        assert_eq!((r.fees0, r.fees1), owed);
        assert_eq!(r.final_position.liquidity, l);
        assert_eq!(r.transactions, 2);
    }

    #[test]
    fn a_range_never_reached_earns_nothing_and_equals_hodl() {
        let t = tape(MarketRegime::Calm, 300, 4);
        let (tl, _) = around(&t, 0, 30_000); // far below the price: all token1
        let r = run(&t, &PositionPlan::new(0, tl, tl + 1000, 5_000.0)).unwrap();
        assert_eq!((r.fees0, r.fees1), (0, 0));
        assert_eq!(r.minutes_in_range, 0);
        assert_eq!(r.minutes_open, 300);
        assert!(
            (r.final_value_quote - r.hodl_value_quote).abs() < 1e-5,
            "{r:?}"
        );
        assert!(r.impermanent_loss.absolute.abs() < 1e-5);
        assert!((r.final_value_quote - 5_000.0).abs() < 1e-5);
    }

    #[test]
    fn fees_scale_with_capital_and_costs_are_counted() {
        let t = tape(MarketRegime::Mixed, 1440, 8);
        let (tl, tu) = around(&t, 0, 2000);
        let small = run(&t, &PositionPlan::new(0, tl, tu, 10_000.0)).unwrap();
        let big = run(&t, &PositionPlan::new(0, tl, tu, 20_000.0)).unwrap();
        let ratio = big.fees_quote / small.fees_quote;
        assert!((ratio - 2.0).abs() < 0.05, "fee ratio {ratio}");
        assert!(small.fees_quote > 0.0);
        // share is realistic: well below the pool's whole fee income
        assert!(small.fees_quote < 0.05 * small.capital_quote * 30.0);
        let costly = PositionPlan {
            gas_cost_quote_per_tx: 4.0,
            swap_cost_bps: 10.0,
            ..PositionPlan::new(0, tl, tu, 10_000.0)
        };
        let c = run(&t, &costly).unwrap();
        assert_eq!(c.transactions, 3);
        assert!((c.gas_cost_quote - 12.0).abs() < 1e-9);
        assert!(c.swap_cost_quote > 0.0 && c.swap_cost_quote < 10.0);
        assert!(c.final_value_quote < small.final_value_quote - 12.0);
        let identity = c.final_value_quote + c.gas_cost_quote - c.fees_quote - c.hodl_value_quote;
        assert!((identity - c.impermanent_loss.absolute).abs() < 1e-6);
    }

    #[test]
    fn recentering_keeps_a_narrow_range_in_range_longer() {
        let t = tape(MarketRegime::Trending, 2880, 21);
        let (tl, tu) = around(&t, 0, 200);
        let fixed = run(&t, &PositionPlan::new(0, tl, tu, 10_000.0)).unwrap();
        let moving = PositionPlan {
            rebalance: Rebalance::Recenter {
                after_minutes_out: 30,
                width_ticks: 400,
            },
            gas_cost_quote_per_tx: 1.0,
            swap_cost_bps: 5.0,
            ..PositionPlan::new(0, tl, tu, 10_000.0)
        };
        let m = run(&t, &moving).unwrap();
        assert!(m.rebalances > 0);
        assert!(
            m.time_in_range > fixed.time_in_range,
            "{} vs {}",
            m.time_in_range,
            fixed.time_in_range
        );
        assert_eq!(m.transactions, 3 + 3 * m.rebalances);
        assert!(m.final_position.tick_lower != tl);
    }

    #[test]
    fn open_and_close_times_bound_the_position() {
        let t = tape(MarketRegime::Calm, 600, 5);
        let (tl, tu) = around(&t, 1, 3000);
        let start = t.start_ts();
        let plan = PositionPlan {
            open_ts: start + 100 * 60,
            close_ts: Some(start + 400 * 60),
            ..PositionPlan::new(1, tl, tu, 1_000.0)
        };
        let r = run(&t, &plan).unwrap();
        assert_eq!(r.open_ts, start + 100 * 60);
        assert_eq!(r.close_ts, start + 400 * 60);
        assert_eq!(r.minutes_open, 300);
        assert_eq!(r.fee, 3000);
    }

    #[test]
    fn same_seed_same_tape_and_report_bytes() {
        let t1 = tape(MarketRegime::Mixed, 720, 99);
        let t2 = tape(MarketRegime::Mixed, 720, 99);
        assert_eq!(
            serde_json::to_string(&t1).unwrap(),
            serde_json::to_string(&t2).unwrap()
        );
        let (tl, tu) = around(&t1, 0, 500);
        let plan = PositionPlan {
            rebalance: Rebalance::Recenter {
                after_minutes_out: 10,
                width_ticks: 600,
            },
            ..PositionPlan::new(0, tl, tu, 2_500.0)
        };
        let a = serde_json::to_string(&run(&t1, &plan).unwrap()).unwrap();
        let b = serde_json::to_string(&run(&t2, &plan).unwrap()).unwrap();
        assert_eq!(a, b);
        assert!(!a.contains("elapsed"));
        // the report reads back (serde_json's default float parsing may differ in the
        // last digit, so floats are compared to 1e-12)
        let back: BacktestReport = serde_json::from_str(&a).unwrap();
        let orig = run(&t1, &plan).unwrap();
        assert_eq!((back.fees0, back.fees1), (orig.fees0, orig.fees1));
        assert_eq!(back.final_position, orig.final_position);
        assert!((back.hodl_value_quote / orig.hodl_value_quote - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_plans_are_named() {
        let t = tape(MarketRegime::Calm, 60, 1);
        let field = |p: PositionPlan| match run(&t, &p) {
            Err(MarketError::BadPlan { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(PositionPlan::new(5, -60, 60, 1.0)), "pool");
        assert_eq!(field(PositionPlan::new(0, -65, 60, 1.0)), "tick_lower");
        assert_eq!(field(PositionPlan::new(0, 60, 60, 1.0)), "tick_lower");
        assert_eq!(field(PositionPlan::new(0, -60, 60, -1.0)), "capital");
        assert_eq!(field(PositionPlan::new(0, -60, 60, f64::NAN)), "capital");
        assert_eq!(
            field(PositionPlan {
                open_ts: u64::MAX,
                ..PositionPlan::new(0, -60, 60, 1.0)
            }),
            "open_ts"
        );
        assert_eq!(
            field(PositionPlan {
                swap_cost_bps: -1.0,
                ..PositionPlan::new(0, -60, 60, 1.0)
            }),
            "swap_cost_bps"
        );
        assert_eq!(
            field(PositionPlan {
                rebalance: Rebalance::Recenter {
                    after_minutes_out: 1,
                    width_ticks: 0
                },
                ..PositionPlan::new(0, -60, 60, 1.0)
            }),
            "rebalance.width_ticks"
        );
    }

    #[test]
    fn a_large_position_adapts_swaps_instead_of_reverting() {
        use crate::market::builder::{target_swap_amount, TapeBuilder};
        use crate::market::tape::{Pair, TapePool};
        // bg liquidity, a sell that moves the price down, an arbitrage back up to a
        // target between the two prices
        let start = get_sqrt_ratio_at_tick(0).unwrap();
        let pools = vec![TapePool {
            fee: 3000,
            tick_spacing: 60,
            sqrt_price_x96: start,
        }];
        let mut b = TapeBuilder::new(Pair::weth_usdc(), pools).unwrap();
        b.push(
            0,
            0,
            Action::Mint {
                owner: "bg_0".into(),
                tick_lower: -6000,
                tick_upper: 6000,
                amount: 10u128.pow(20),
            },
        )
        .unwrap();
        b.push(
            1,
            0,
            Action::Swap {
                zero_for_one: true,
                amount_specified: crate::v3::num::I256::try_from(10i128.pow(18)).unwrap(),
                sqrt_price_limit_x96: price::min_sqrt_ratio() + U256::from(1u8),
            },
        )
        .unwrap();
        let low = b.pool(0).unwrap().sqrt_price_x96();
        let target = low + (start - low) / U256::from(4u8);
        b.push(
            59,
            0,
            Action::Swap {
                zero_for_one: false,
                amount_specified: target_swap_amount(),
                sqrt_price_limit_x96: target,
            },
        )
        .unwrap();
        let t = b.finish(vec![(0, 1.0)]);
        let plan = PositionPlan {
            capital: Capital::Amounts {
                amount0: 10u128.pow(22),
                amount1: 10u128.pow(22),
            },
            ..PositionPlan::new(0, -600, 600, 0.0)
        };
        let r = run(&t, &plan).unwrap();
        assert_eq!(r.adjusted_swaps, 1, "{r:?}");
        assert_eq!(r.swaps_replayed, 2);
        // the adapted arbitrage still ends at its target
        assert!((r.end_price / t.pair.human_price_at(target) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn adjusted_swaps_keep_their_intent() {
        let target = U256::from(1u128 << 96);
        let arb = Action::Swap {
            zero_for_one: true,
            amount_specified: crate::market::builder::target_swap_amount(),
            sqrt_price_limit_x96: target,
        };
        // the price is already below the target: trade up to it instead
        let Some(Action::Swap {
            zero_for_one,
            sqrt_price_limit_x96,
            ..
        }) = adjusted_swap(&arb, target - U256::from(5u8))
        else {
            panic!()
        };
        assert!(!zero_for_one);
        assert_eq!(sqrt_price_limit_x96, target);
        assert_eq!(adjusted_swap(&arb, target), None);
        let noise = Action::Swap {
            zero_for_one: false,
            amount_specified: crate::v3::num::I256::try_from(-1000i64).unwrap(),
            sqrt_price_limit_x96: target,
        };
        let Some(Action::Swap {
            amount_specified,
            sqrt_price_limit_x96,
            ..
        }) = adjusted_swap(&noise, target + U256::from(1u8))
        else {
            panic!()
        };
        assert_eq!(
            amount_specified,
            crate::v3::num::I256::try_from(-1000i64).unwrap()
        );
        assert_eq!(
            sqrt_price_limit_x96,
            price::max_sqrt_ratio() - U256::from(1u8)
        );
    }
}
