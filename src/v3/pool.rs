//! The pool engine: `UniswapV3Pool` (v1.0.0, `@uniswap/v3-core@1.0.1`) state and its
//! `initialize`, `mint`, `burn`, `collect` and `swap`, bit-equal to the contract in every
//! amount, revert and state field it keeps.
//!
//! Scope and deliberate omissions:
//! - The oracle (observations, `tickCumulative`, `secondsPerLiquidity`, `secondsOutside`)
//!   is left out: it never affects amounts or the fields kept here.
//! - The protocol fee is off (`feeProtocol = 0`), so `protocolFees` stays zero and is not kept.
//! - Token transfers and callbacks are not modelled: the caller pays exactly what the
//!   pool asks, so the mint/swap balance checks (`M0`/`M1`/`IIA`) never fail. `flash` is
//!   not provided. Gas is not modelled (a swap the EVM would run out of gas on completes).
//! - Owners are names (`&str`), standing for `msg.sender` / `recipient`.
//!
//! Atomicity: every action is computed first on copies (ticks, position, swap state with
//! the crossed ticks recorded in a reusable buffer) and only applied when it cannot fail
//! any more, so an error leaves the pool exactly as it was, like a reverted transaction.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::action::{Action, ActionOutput};
use super::error::V3Error;
use super::full_math::mul_div;
use super::liquidity_math::add_delta;
use super::num::{I256, U256};
use super::position::{self, PositionInfo, PositionKey};
use super::safe_math::{add_i256, sub_i256, to_int256, u128_to_int128};
use super::sqrt_price_math::{get_amount0_delta_signed, get_amount1_delta_signed};
use super::swap_math::compute_swap_step;
use super::tick::{self, tick_spacing_to_max_liquidity_per_tick, TickInfo};
use super::tick_bitmap::TickBitmap;
use super::tick_math::{
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO,
    MIN_TICK,
};

const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

/// The fee tiers the factory enables and their tick spacings.
pub const FEE_TIERS: [(u32, i32); 4] = [(100, 1), (500, 10), (3000, 60), (10000, 200)];

/// The tick spacing the factory assigns to `fee`, if it is an enabled tier.
pub fn tick_spacing_for_fee(fee: u32) -> Option<i32> {
    FEE_TIERS.iter().find(|(f, _)| *f == fee).map(|(_, s)| *s)
}

/// A Uniswap V3 pool's state (fee-relevant part) and its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    fee: u32,
    tick_spacing: i32,
    max_liquidity_per_tick: u128,
    sqrt_price_x96: U256,
    tick: i32,
    /// `slot0.unlocked`: true once initialized (the pool is never left locked).
    unlocked: bool,
    liquidity: u128,
    fee_growth_global0_x128: U256,
    fee_growth_global1_x128: U256,
    ticks: BTreeMap<i32, TickInfo>,
    bitmap: TickBitmap,
    positions: BTreeMap<PositionKey, PositionInfo>,
    /// Scratch buffer of a swap: (crossed tick, input-token fee growth at the crossing).
    /// Always empty between actions.
    crossings: Vec<(i32, U256)>,
}

/// Borrowed view of a position key, so lookups by `&str` need no allocation.
trait KeyView {
    fn view(&self) -> (&str, i32, i32);
}

impl KeyView for PositionKey {
    fn view(&self) -> (&str, i32, i32) {
        (&self.owner, self.tick_lower, self.tick_upper)
    }
}

impl KeyView for (&str, i32, i32) {
    fn view(&self) -> (&str, i32, i32) {
        *self
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for PositionKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}
impl Eq for dyn KeyView + '_ {}
impl PartialOrd for dyn KeyView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for dyn KeyView + '_ {
    // must agree with the derived Ord of PositionKey (owner, tick_lower, tick_upper)
    fn cmp(&self, other: &Self) -> Ordering {
        self.view().cmp(&other.view())
    }
}

/// What `_modifyPosition` decided, before anything is written.
struct ModifyPlan {
    /// New states of the lower / upper tick and whether each flipped (None when the
    /// liquidity delta is zero: ticks are untouched).
    ticks: Option<[(TickInfo, bool); 2]>,
    position: PositionInfo,
    amount0: I256,
    amount1: I256,
    /// New in-range liquidity when the current tick is inside the range.
    liquidity: Option<u128>,
}

/// The end state of a swap computed on locals.
struct SwapOutcome {
    sqrt_price_x96: U256,
    tick: i32,
    liquidity: u128,
    fee_growth_global_x128: U256,
    amount0: I256,
    amount1: I256,
}

impl Pool {
    /// A new uninitialized pool for an enabled fee tier (100, 500, 3000, 10000 →
    /// tick spacing 1, 10, 60, 200).
    pub fn new(fee: u32) -> Result<Pool, V3Error> {
        let spacing = tick_spacing_for_fee(fee).ok_or(V3Error::InvalidFee(fee))?;
        Ok(Self::build(fee, spacing))
    }

    /// Like [`Pool::new`], checking that `tick_spacing` is the tier's spacing.
    pub fn with_tick_spacing(fee: u32, tick_spacing: i32) -> Result<Pool, V3Error> {
        let expected = tick_spacing_for_fee(fee).ok_or(V3Error::InvalidFee(fee))?;
        if expected != tick_spacing {
            return Err(V3Error::TickSpacingMismatch {
                fee,
                tick_spacing,
                expected,
            });
        }
        Ok(Self::build(fee, tick_spacing))
    }

    fn build(fee: u32, tick_spacing: i32) -> Pool {
        Pool {
            fee,
            tick_spacing,
            max_liquidity_per_tick: tick_spacing_to_max_liquidity_per_tick(tick_spacing),
            sqrt_price_x96: U256::ZERO,
            tick: 0,
            unlocked: false,
            liquidity: 0,
            fee_growth_global0_x128: U256::ZERO,
            fee_growth_global1_x128: U256::ZERO,
            ticks: BTreeMap::new(),
            bitmap: TickBitmap::new(),
            positions: BTreeMap::new(),
            crossings: Vec::new(),
        }
    }

    // ---- read access -------------------------------------------------------------

    /// The fee in hundredths of a bip (pips).
    pub fn fee(&self) -> u32 {
        self.fee
    }
    pub fn tick_spacing(&self) -> i32 {
        self.tick_spacing
    }
    pub fn max_liquidity_per_tick(&self) -> u128 {
        self.max_liquidity_per_tick
    }
    /// `slot0.sqrtPriceX96` (zero before `initialize`).
    pub fn sqrt_price_x96(&self) -> U256 {
        self.sqrt_price_x96
    }
    /// `slot0.tick`.
    pub fn tick(&self) -> i32 {
        self.tick
    }
    /// Whether `initialize` has succeeded.
    pub fn is_initialized(&self) -> bool {
        self.unlocked
    }
    /// In-range liquidity.
    pub fn liquidity(&self) -> u128 {
        self.liquidity
    }
    pub fn fee_growth_global0_x128(&self) -> U256 {
        self.fee_growth_global0_x128
    }
    pub fn fee_growth_global1_x128(&self) -> U256 {
        self.fee_growth_global1_x128
    }
    /// Initialized ticks in ascending order.
    pub fn ticks(&self) -> impl Iterator<Item = (i32, &TickInfo)> + '_ {
        self.ticks.iter().map(|(t, i)| (*t, i))
    }
    /// The state of an initialized tick (`None` = all zero in the contract).
    pub fn tick_info(&self, tick: i32) -> Option<&TickInfo> {
        self.ticks.get(&tick)
    }
    /// The tick bitmap.
    pub fn tick_bitmap(&self) -> &TickBitmap {
        &self.bitmap
    }
    /// Every position ever created (a position stays after being emptied, as its
    /// fee-growth snapshot stays in contract storage), in key order.
    pub fn positions(&self) -> impl Iterator<Item = (&PositionKey, &PositionInfo)> + '_ {
        self.positions.iter()
    }
    /// A position (`None` = all zero in the contract).
    pub fn position(&self, owner: &str, tick_lower: i32, tick_upper: i32) -> Option<&PositionInfo> {
        self.positions
            .get(&(owner, tick_lower, tick_upper) as &dyn KeyView)
    }

    // ---- actions -----------------------------------------------------------------

    /// `initialize(sqrtPriceX96)`: `AI` when already initialized, `R` when the price is
    /// outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO) (values of 2^160 and above included).
    pub fn initialize(&mut self, sqrt_price_x96: U256) -> Result<(), V3Error> {
        if !self.sqrt_price_x96.is_zero() {
            return Err(V3Error::AlreadyInitialized);
        }
        let tick = get_tick_at_sqrt_ratio(sqrt_price_x96)?;
        self.sqrt_price_x96 = sqrt_price_x96;
        self.tick = tick;
        self.unlocked = true;
        Ok(())
    }

    #[inline]
    fn lock(&self) -> Result<(), V3Error> {
        if self.unlocked {
            Ok(())
        } else {
            Err(V3Error::Locked)
        }
    }

    /// `mint(recipient = owner, tickLower, tickUpper, amount)`: returns the token
    /// amounts the minter pays.
    pub fn mint(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> Result<(U256, U256), V3Error> {
        self.lock()?;
        if amount == 0 {
            return Err(V3Error::MintAmountZero);
        }
        let delta = u128_to_int128(amount)?;
        let plan = self.plan_modify_position(owner, tick_lower, tick_upper, delta)?;
        let (a0, a1) = (plan.amount0.into_raw(), plan.amount1.into_raw());
        self.apply_modify_position(owner, tick_lower, tick_upper, delta, plan);
        Ok((a0, a1))
    }

    /// `burn(tickLower, tickUpper, amount)` called by `owner`: returns the amounts
    /// credited to the position's `tokens_owed` (collect them with [`Pool::collect`]).
    /// `amount = 0` pokes the position (updates its fees; `NP` when it is empty).
    pub fn burn(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> Result<(U256, U256), V3Error> {
        self.lock()?;
        // -int256(amount).toInt128(): the cast is checked before the negation
        let delta = u128_to_int128(amount)?.wrapping_neg();
        let mut plan = self.plan_modify_position(owner, tick_lower, tick_upper, delta)?;
        let amount0 = plan.amount0.wrapping_neg().into_raw();
        let amount1 = plan.amount1.wrapping_neg().into_raw();
        if !amount0.is_zero() || !amount1.is_zero() {
            // uint128(amount) truncates; the uint128 addition wraps in Solidity 0.7
            plan.position.tokens_owed0 = plan.position.tokens_owed0.wrapping_add(low_u128(amount0));
            plan.position.tokens_owed1 = plan.position.tokens_owed1.wrapping_add(low_u128(amount1));
        }
        self.apply_modify_position(owner, tick_lower, tick_upper, delta, plan);
        Ok((amount0, amount1))
    }

    /// `collect(recipient, tickLower, tickUpper, amount0Requested, amount1Requested)`
    /// called by `owner`: pays out up to the requested amounts of what is owed. An
    /// unknown position yields (0, 0).
    pub fn collect(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount0_requested: u128,
        amount1_requested: u128,
    ) -> Result<(u128, u128), V3Error> {
        self.lock()?;
        let Some(position) = self
            .positions
            .get_mut(&(owner, tick_lower, tick_upper) as &dyn KeyView)
        else {
            return Ok((0, 0));
        };
        let amount0 = amount0_requested.min(position.tokens_owed0);
        let amount1 = amount1_requested.min(position.tokens_owed1);
        position.tokens_owed0 -= amount0;
        position.tokens_owed1 -= amount1;
        Ok((amount0, amount1))
    }

    /// `swap(recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96)`: exact input
    /// when `amount_specified > 0`, exact output when `< 0`. Returns the pool's deltas
    /// (amount0, amount1): positive = paid into the pool, negative = paid out.
    pub fn swap(
        &mut self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
    ) -> Result<(I256, I256), V3Error> {
        if amount_specified.is_zero() {
            return Err(V3Error::AmountSpecifiedZero);
        }
        self.lock()?;
        let limit_ok = if zero_for_one {
            sqrt_price_limit_x96 < self.sqrt_price_x96 && sqrt_price_limit_x96 > MIN_SQRT_RATIO
        } else {
            sqrt_price_limit_x96 > self.sqrt_price_x96 && sqrt_price_limit_x96 < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(V3Error::SqrtPriceLimit {
                limit: sqrt_price_limit_x96,
                current: self.sqrt_price_x96,
            });
        }
        let mut crossings = std::mem::take(&mut self.crossings);
        crossings.clear();
        let outcome = self.compute_swap(
            zero_for_one,
            amount_specified,
            sqrt_price_limit_x96,
            &mut crossings,
        );
        if let Ok(o) = &outcome {
            self.apply_swap(zero_for_one, o, &crossings);
        }
        crossings.clear();
        self.crossings = crossings;
        outcome.map(|o| (o.amount0, o.amount1))
    }

    /// Runs an [`Action`] from a tape.
    pub fn apply(&mut self, action: &Action) -> Result<ActionOutput, V3Error> {
        match action {
            Action::Mint {
                owner,
                tick_lower,
                tick_upper,
                amount,
            } => self
                .mint(owner, *tick_lower, *tick_upper, *amount)
                .map(|(amount0, amount1)| ActionOutput::Amounts { amount0, amount1 }),
            Action::Burn {
                owner,
                tick_lower,
                tick_upper,
                amount,
            } => self
                .burn(owner, *tick_lower, *tick_upper, *amount)
                .map(|(amount0, amount1)| ActionOutput::Amounts { amount0, amount1 }),
            Action::Collect {
                owner,
                tick_lower,
                tick_upper,
                amount0_requested,
                amount1_requested,
            } => self
                .collect(
                    owner,
                    *tick_lower,
                    *tick_upper,
                    *amount0_requested,
                    *amount1_requested,
                )
                .map(|(amount0, amount1)| ActionOutput::Collected { amount0, amount1 }),
            Action::Swap {
                zero_for_one,
                amount_specified,
                sqrt_price_limit_x96,
            } => self
                .swap(*zero_for_one, *amount_specified, *sqrt_price_limit_x96)
                .map(|(amount0, amount1)| ActionOutput::Swapped { amount0, amount1 }),
        }
    }

    // ---- internals ---------------------------------------------------------------

    /// `checkTicks`.
    fn check_ticks(tick_lower: i32, tick_upper: i32) -> Result<(), V3Error> {
        if tick_lower >= tick_upper {
            return Err(V3Error::TickLowerNotBelowUpper {
                tick_lower,
                tick_upper,
            });
        }
        if tick_lower < MIN_TICK {
            return Err(V3Error::TickLowerTooLow(tick_lower));
        }
        if tick_upper > MAX_TICK {
            return Err(V3Error::TickUpperTooHigh(tick_upper));
        }
        Ok(())
    }

    /// `_modifyPosition` + `_updatePosition` computed without writing, raising the
    /// contract's first revert in its order of operations.
    fn plan_modify_position(
        &self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        delta: i128,
    ) -> Result<ModifyPlan, V3Error> {
        Self::check_ticks(tick_lower, tick_upper)?;
        let tick = self.tick;
        let (g0, g1) = (self.fee_growth_global0_x128, self.fee_growth_global1_x128);
        let zero = TickInfo::default();
        let lower_now = self.ticks.get(&tick_lower).unwrap_or(&zero);
        let upper_now = self.ticks.get(&tick_upper).unwrap_or(&zero);

        let ticks = if delta != 0 {
            let max = self.max_liquidity_per_tick;
            let lower = tick::update(lower_now, tick_lower, tick, delta, g0, g1, false, max)?;
            let upper = tick::update(upper_now, tick_upper, tick, delta, g0, g1, true, max)?;
            if lower.1 {
                TickBitmap::check_spaced(tick_lower, self.tick_spacing)?;
            }
            if upper.1 {
                TickBitmap::check_spaced(tick_upper, self.tick_spacing)?;
            }
            Some([lower, upper])
        } else {
            None
        };
        let (lower_info, upper_info) = match &ticks {
            Some([l, u]) => (&l.0, &u.0),
            None => (lower_now, upper_now),
        };
        let (inside0, inside1) = tick::get_fee_growth_inside(
            lower_info, upper_info, tick_lower, tick_upper, tick, g0, g1,
        );
        let current = self
            .position(owner, tick_lower, tick_upper)
            .copied()
            .unwrap_or_default();
        let position = position::update(&current, delta, inside0, inside1)?;

        let mut amount0 = I256::ZERO;
        let mut amount1 = I256::ZERO;
        let mut liquidity = None;
        if delta != 0 {
            let sqrt_lower = get_sqrt_ratio_at_tick(tick_lower)?;
            let sqrt_upper = get_sqrt_ratio_at_tick(tick_upper)?;
            if tick < tick_lower {
                // current tick is below the passed range; liquidity can only become in
                // range by crossing from left to right, when we'll need _more_ token0
                amount0 = get_amount0_delta_signed(sqrt_lower, sqrt_upper, delta)?;
            } else if tick < tick_upper {
                // current tick is inside the passed range
                amount0 = get_amount0_delta_signed(self.sqrt_price_x96, sqrt_upper, delta)?;
                amount1 = get_amount1_delta_signed(sqrt_lower, self.sqrt_price_x96, delta)?;
                liquidity = Some(add_delta(self.liquidity, delta)?);
            } else {
                // current tick is above the passed range; we'll need _more_ token1
                amount1 = get_amount1_delta_signed(sqrt_lower, sqrt_upper, delta)?;
            }
        }
        Ok(ModifyPlan {
            ticks,
            position,
            amount0,
            amount1,
            liquidity,
        })
    }

    /// Writes a plan from [`Pool::plan_modify_position`]; cannot fail.
    fn apply_modify_position(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        delta: i128,
        plan: ModifyPlan,
    ) {
        if let Some(ticks) = plan.ticks {
            for (t, (info, flipped)) in [tick_lower, tick_upper].into_iter().zip(ticks) {
                if flipped {
                    // spacing validated in the plan
                    self.bitmap.toggle(t / self.tick_spacing);
                }
                if flipped && delta < 0 {
                    // clear any tick data that is no longer needed
                    self.ticks.remove(&t);
                } else {
                    self.ticks.insert(t, info);
                }
            }
        }
        match self
            .positions
            .get_mut(&(owner, tick_lower, tick_upper) as &dyn KeyView)
        {
            Some(p) => *p = plan.position,
            None => {
                self.positions.insert(
                    PositionKey {
                        owner: owner.to_owned(),
                        tick_lower,
                        tick_upper,
                    },
                    plan.position,
                );
            }
        }
        if let Some(l) = plan.liquidity {
            self.liquidity = l;
        }
    }

    /// The swap loop of `UniswapV3Pool.swap` on local state. Records each crossed
    /// initialized tick with the input token's fee growth at the crossing.
    fn compute_swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
        crossings: &mut Vec<(i32, U256)>,
    ) -> Result<SwapOutcome, V3Error> {
        let exact_input = amount_specified.is_positive();
        let mut remaining = amount_specified;
        let mut calculated = I256::ZERO;
        let mut sqrt_price = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut fee_growth = if zero_for_one {
            self.fee_growth_global0_x128
        } else {
            self.fee_growth_global1_x128
        };
        let mut liquidity = self.liquidity;

        while !remaining.is_zero() && sqrt_price != sqrt_price_limit_x96 {
            let sqrt_price_start = sqrt_price;
            let (mut tick_next, initialized) = self.bitmap.next_initialized_tick_within_one_word(
                tick,
                self.tick_spacing,
                zero_for_one,
            );
            // do not overshoot the min/max tick, as the bitmap is not aware of these bounds
            tick_next = tick_next.clamp(MIN_TICK, MAX_TICK);
            let sqrt_price_next = get_sqrt_ratio_at_tick(tick_next)?;
            let target = if zero_for_one {
                if sqrt_price_next < sqrt_price_limit_x96 {
                    sqrt_price_limit_x96
                } else {
                    sqrt_price_next
                }
            } else if sqrt_price_next > sqrt_price_limit_x96 {
                sqrt_price_limit_x96
            } else {
                sqrt_price_next
            };
            let step = compute_swap_step(sqrt_price, target, liquidity, remaining, self.fee)?;
            sqrt_price = step.sqrt_ratio_next_x96;

            if exact_input {
                let spent = to_int256(step.amount_in.wrapping_add(step.fee_amount))?;
                remaining = remaining.wrapping_sub(spent);
                calculated = sub_i256(calculated, to_int256(step.amount_out)?)?;
            } else {
                remaining = remaining.wrapping_add(to_int256(step.amount_out)?);
                let paid = to_int256(step.amount_in.wrapping_add(step.fee_amount))?;
                calculated = add_i256(calculated, paid)?;
            }

            // update global fee tracker (protocol fee is off)
            if liquidity > 0 {
                fee_growth =
                    fee_growth.wrapping_add(mul_div(step.fee_amount, Q128, U256::from(liquidity))?);
            }

            // shift tick if we reached the next price
            if sqrt_price == sqrt_price_next {
                if initialized {
                    let net = self
                        .ticks
                        .get(&tick_next)
                        .map(|t| t.liquidity_net)
                        .unwrap_or(0);
                    crossings.push((tick_next, fee_growth));
                    // if we're moving leftward, we interpret liquidityNet as the opposite sign
                    let net = if zero_for_one {
                        net.wrapping_neg()
                    } else {
                        net
                    };
                    liquidity = add_delta(liquidity, net)?;
                }
                tick = if zero_for_one {
                    tick_next - 1
                } else {
                    tick_next
                };
            } else if sqrt_price != sqrt_price_start {
                // recompute unless we're on a lower tick boundary (i.e. already
                // transitioned ticks), and haven't moved
                tick = get_tick_at_sqrt_ratio(sqrt_price)?;
            }
        }

        let specified_used = amount_specified.wrapping_sub(remaining);
        let (amount0, amount1) = if zero_for_one == exact_input {
            (specified_used, calculated)
        } else {
            (calculated, specified_used)
        };
        Ok(SwapOutcome {
            sqrt_price_x96: sqrt_price,
            tick,
            liquidity,
            fee_growth_global_x128: fee_growth,
            amount0,
            amount1,
        })
    }

    /// Writes a computed swap: tick crossings, slot0, liquidity, fee growth.
    fn apply_swap(&mut self, zero_for_one: bool, o: &SwapOutcome, crossings: &[(i32, U256)]) {
        for &(t, growth) in crossings {
            if let Some(info) = self.ticks.get_mut(&t) {
                if zero_for_one {
                    tick::cross(info, growth, self.fee_growth_global1_x128);
                } else {
                    tick::cross(info, self.fee_growth_global0_x128, growth);
                }
            }
        }
        self.sqrt_price_x96 = o.sqrt_price_x96;
        self.tick = o.tick;
        self.liquidity = o.liquidity;
        if zero_for_one {
            self.fee_growth_global0_x128 = o.fee_growth_global_x128;
        } else {
            self.fee_growth_global1_x128 = o.fee_growth_global_x128;
        }
    }
}

/// `uint128(x)`: the low 128 bits.
#[inline]
fn low_u128(x: U256) -> u128 {
    let l = x.as_limbs();
    (l[0] as u128) | ((l[1] as u128) << 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }
    fn i(v: i128) -> I256 {
        crate::v3::safe_math::i128_to_i256(v)
    }

    /// encodePriceSqrt(1, 10)
    const P1_10: &str = "25054144837504793118641380156";
    const MIN60: i32 = -887220;
    const MAX60: i32 = 887220;

    /// v3-core UniswapV3Pool.spec.ts fixture: fee 3000 (spacing 60), price 1:10, a full
    /// range position of 3161 minted.
    fn spec_pool() -> Pool {
        let mut p = Pool::new(3000).unwrap();
        p.initialize(u(P1_10)).unwrap();
        assert_eq!(p.tick(), -23028);
        assert_eq!(
            p.mint("wallet", MIN60, MAX60, 3161).unwrap(),
            (U256::from(9996u32), U256::from(1000u32))
        );
        p
    }

    /// Asserts the action fails with `reason` and leaves the pool unchanged.
    fn assert_reverts(p: &mut Pool, action: Action, reason: Option<&str>) {
        let before = p.clone();
        let err = p.apply(&action).unwrap_err();
        assert_eq!(err.reason(), reason, "{action:?} gave {err}");
        assert!(err.is_revert());
        assert_eq!(*p, before, "state changed by failed {action:?}");
    }

    fn mint(owner: &str, l: i32, u_: i32, amount: u128) -> Action {
        Action::Mint {
            owner: owner.into(),
            tick_lower: l,
            tick_upper: u_,
            amount,
        }
    }
    fn burn(owner: &str, l: i32, u_: i32, amount: u128) -> Action {
        Action::Burn {
            owner: owner.into(),
            tick_lower: l,
            tick_upper: u_,
            amount,
        }
    }
    fn swap(zero_for_one: bool, amount: i128, limit: U256) -> Action {
        Action::Swap {
            zero_for_one,
            amount_specified: i(amount),
            sqrt_price_limit_x96: limit,
        }
    }

    #[test]
    fn fee_tiers_and_spacings() {
        for (fee, spacing) in FEE_TIERS {
            let p = Pool::new(fee).unwrap();
            assert_eq!(p.tick_spacing(), spacing);
            assert_eq!(
                p.max_liquidity_per_tick(),
                tick_spacing_to_max_liquidity_per_tick(spacing)
            );
            assert!(Pool::with_tick_spacing(fee, spacing).is_ok());
        }
        assert_eq!(Pool::new(250).unwrap_err(), V3Error::InvalidFee(250));
        let e = Pool::with_tick_spacing(500, 60).unwrap_err();
        assert!(matches!(
            e,
            V3Error::TickSpacingMismatch { expected: 10, .. }
        ));
        assert_eq!(e.reason(), None);
        assert!(!e.is_revert());
    }

    #[test]
    fn uninitialized_pool_reverts_lok_and_initialize_checks() {
        let mut p = Pool::new(500).unwrap();
        assert_reverts(&mut p, mint("a", -10, 10, 1), Some("LOK"));
        assert_reverts(&mut p, burn("a", -10, 10, 0), Some("LOK"));
        assert_reverts(
            &mut p,
            Action::Collect {
                owner: "a".into(),
                tick_lower: -10,
                tick_upper: 10,
                amount0_requested: 1,
                amount1_requested: 1,
            },
            Some("LOK"),
        );
        assert_reverts(
            &mut p,
            swap(true, 1, MIN_SQRT_RATIO + U256::from(1u8)),
            Some("LOK"),
        );
        // AS is checked before the lock
        assert_reverts(
            &mut p,
            swap(true, 0, MIN_SQRT_RATIO + U256::from(1u8)),
            Some("AS"),
        );
        assert_eq!(
            p.initialize(MIN_SQRT_RATIO - U256::from(1u8))
                .unwrap_err()
                .reason(),
            Some("R")
        );
        assert_eq!(
            p.initialize(MAX_SQRT_RATIO).unwrap_err().reason(),
            Some("R")
        );
        assert_eq!(p.initialize(U256::MAX).unwrap_err().reason(), Some("R"));
        assert!(!p.is_initialized());
        p.initialize(MIN_SQRT_RATIO).unwrap();
        assert_eq!(p.tick(), MIN_TICK);
        assert_eq!(
            p.initialize(U256::from(1u8) << 96).unwrap_err().reason(),
            Some("AI")
        );
        assert_eq!(p.sqrt_price_x96(), MIN_SQRT_RATIO);
    }

    #[test]
    fn v3_core_mint_vectors() {
        // UniswapV3Pool.spec.ts #mint "success cases" after the initial 3161 mint
        let mut p = spec_pool();
        // above current price: token0 only
        assert_eq!(
            p.mint("w", -22980, 0, 10000).unwrap(),
            (U256::from(21549u32), U256::ZERO)
        );
        assert_eq!(
            p.mint("w", MAX60 - 60, MAX60, 1u128 << 102).unwrap(),
            (u("828011525"), U256::ZERO)
        );
        assert_eq!(
            p.mint("w", -22980, MAX60, 10000).unwrap(),
            (U256::from(31549u32), U256::ZERO)
        );
        // including current price
        assert_eq!(
            p.mint("w", MIN60 + 60, MAX60 - 60, 100).unwrap(),
            (U256::from(317u32), U256::from(32u32))
        );
        assert_eq!(p.liquidity(), 3161 + 100);
        // below current price: token1 only
        assert_eq!(
            p.mint("w", -46080, -23040, 10000).unwrap(),
            (U256::ZERO, U256::from(2162u32))
        );
        assert_eq!(
            p.mint("w", MIN60, MIN60 + 60, 1u128 << 102).unwrap(),
            (U256::ZERO, u("828011520"))
        );
        assert_eq!(
            p.mint("w", MIN60, -23040, 10000).unwrap(),
            (U256::ZERO, U256::from(3161u32))
        );
    }

    #[test]
    fn v3_core_burn_and_collect_returns_principal() {
        // "removing works": mint(-240, 0, 10000), burn, collect -> (120, 0)
        let mut p = spec_pool();
        p.mint("w", -240, 0, 10000).unwrap();
        let (b0, b1) = p.burn("w", -240, 0, 10000).unwrap();
        assert_eq!((b0, b1), (U256::from(120u32), U256::ZERO));
        let pos = *p.position("w", -240, 0).unwrap();
        assert_eq!(
            (pos.liquidity, pos.tokens_owed0, pos.tokens_owed1),
            (0, 120, 0)
        );
        assert!(p.tick_info(-240).is_none() && p.tick_info(0).is_none());
        assert!(!p.tick_bitmap().is_initialized(-240, 60));
        assert_eq!(
            p.collect("w", -240, 0, u128::MAX, u128::MAX).unwrap(),
            (120, 0)
        );
        assert_eq!(
            p.collect("w", -240, 0, u128::MAX, u128::MAX).unwrap(),
            (0, 0)
        );
        // capped at the request
        p.mint("w", -240, 0, 10000).unwrap();
        p.burn("w", -240, 0, 10000).unwrap();
        assert_eq!(p.collect("w", -240, 0, 50, 0).unwrap(), (50, 0));
        assert_eq!(p.position("w", -240, 0).unwrap().tokens_owed0, 70);
        // unknown position: nothing, no state change
        let before = p.clone();
        assert_eq!(p.collect("nobody", -240, 0, 1, 1).unwrap(), (0, 0));
        assert_eq!(p, before);
    }

    #[test]
    fn every_modify_position_revert_reason() {
        let mut p = spec_pool();
        assert_reverts(&mut p, mint("w", 60, 60, 1), Some("TLU"));
        assert_reverts(&mut p, mint("w", 120, 60, 1), Some("TLU"));
        assert_reverts(&mut p, mint("w", MIN_TICK - 1, 0, 1), Some("TLM"));
        assert_reverts(&mut p, mint("w", 0, MAX_TICK + 1, 1), Some("TUM"));
        assert_reverts(&mut p, mint("w", i32::MIN, i32::MAX, 1), Some("TLM"));
        assert_reverts(&mut p, mint("w", -60, 60, 0), None);
        // not a multiple of the spacing: reasonless revert from flipTick
        assert_reverts(&mut p, mint("w", -61, 60, 1), None);
        assert_reverts(&mut p, mint("w", -60, 61, 1), None);
        // above max liquidity per tick: LO from the lower tick, before the spacing check
        let max = p.max_liquidity_per_tick();
        assert_reverts(&mut p, mint("w", -61, 60, max + 1), Some("LO"));
        assert_reverts(&mut p, mint("w", MIN60, MAX60, max - 3161 + 1), Some("LO"));
        p.mint("w", MIN60, MAX60, max - 3161).unwrap();
        assert_reverts(&mut p, mint("w", MIN60, MAX60, 1), Some("LO"));
        // amount >= 2^127: SafeCast.toInt128 reverts without reason
        assert_reverts(&mut p, mint("w", -60, 60, 1u128 << 127), None);
        assert_reverts(&mut p, burn("w", -60, 60, u128::MAX), None);
        // burn more than the position has
        assert_reverts(&mut p, burn("wallet", MIN60, MAX60, 3162), Some("LS"));
        assert_reverts(&mut p, burn("nobody", MIN60, MAX60, 1), Some("LS"));
        // poke of an empty position
        assert_reverts(&mut p, burn("nobody", MIN60, MAX60, 0), Some("NP"));
        assert_reverts(&mut p, burn("nobody", -61, 7, 0), Some("NP"));
        assert_reverts(&mut p, burn("w", 7, -61, 0), Some("TLU"));
        // poke works on a live position and changes nothing without fees
        let before = p.clone();
        assert_eq!(
            p.burn("wallet", MIN60, MAX60, 0).unwrap(),
            (U256::ZERO, U256::ZERO)
        );
        assert_eq!(p, before);
    }

    #[test]
    fn swap_reverts() {
        let mut p = spec_pool();
        let price = p.sqrt_price_x96();
        assert_reverts(
            &mut p,
            swap(true, 0, MIN_SQRT_RATIO + U256::from(1u8)),
            Some("AS"),
        );
        assert_reverts(&mut p, swap(true, 1000, price), Some("SPL"));
        assert_reverts(
            &mut p,
            swap(true, 1000, price + U256::from(1u8)),
            Some("SPL"),
        );
        assert_reverts(&mut p, swap(true, 1000, MIN_SQRT_RATIO), Some("SPL"));
        assert_reverts(&mut p, swap(false, 1000, price), Some("SPL"));
        assert_reverts(&mut p, swap(false, 1000, MAX_SQRT_RATIO), Some("SPL"));
        assert_reverts(&mut p, swap(false, -1000, U256::MAX), Some("SPL"));
        // huge exact input of token1 with liquidity 1 across the range: mulDiv of the fee
        // growth overflows and the swap reverts without reason
        let mut q = Pool::new(3000).unwrap();
        q.initialize(U256::from(1u8) << 96).unwrap();
        q.mint("a", MIN60, MAX60, 1).unwrap();
        let r = q.apply(&swap(false, i128::MAX, MAX_SQRT_RATIO - U256::from(1u8)));
        // either it succeeds or it reverts atomically; both are fine here, it must not panic
        let _ = r;
    }

    #[test]
    fn swap_moves_price_and_accrues_fees_to_in_range_positions() {
        let mut p = spec_pool();
        let g1_before = p.fee_growth_global1_x128();
        // exact input of 1000 token1
        let (a0, a1) = p
            .swap(false, i(1000), MAX_SQRT_RATIO - U256::from(1u8))
            .unwrap();
        assert_eq!(a1, i(1000));
        assert!(a0.is_negative());
        assert!(p.fee_growth_global1_x128() > g1_before);
        assert_eq!(p.fee_growth_global0_x128(), U256::ZERO);
        // the fees (0.3%, rounded up per step, two steps across a bitmap word) accrue to
        // the only position, rounded down
        p.burn("wallet", MIN60, MAX60, 0).unwrap();
        let pos = p.position("wallet", MIN60, MAX60).unwrap();
        assert_eq!(pos.tokens_owed0, 0);
        let owed = mul_div(p.fee_growth_global1_x128(), U256::from(3161u32), Q128).unwrap();
        assert_eq!(U256::from(pos.tokens_owed1), owed);
        assert!((3..=4).contains(&pos.tokens_owed1));
        // exact output of 100 token0 via zero for one is impossible (price goes up); do it
        // one for zero instead
        let (b0, b1) = p
            .swap(false, i(-100), MAX_SQRT_RATIO - U256::from(1u8))
            .unwrap();
        assert_eq!(b0, i(-100));
        assert!(b1.is_positive());
        // the pool price agrees with the tick
        assert_eq!(
            get_tick_at_sqrt_ratio(p.sqrt_price_x96()).unwrap(),
            p.tick()
        );
    }

    #[test]
    fn swap_crosses_ticks_and_updates_liquidity_and_outside_growth() {
        let mut p = Pool::new(500).unwrap();
        p.initialize(U256::from(1u8) << 96).unwrap();
        p.mint("a", -100, 100, 1_000_000_000).unwrap();
        p.mint("b", -1000, 1000, 1_000_000_000).unwrap();
        assert_eq!(p.liquidity(), 2_000_000_000);
        // push the price below -100: crosses tick -100
        let limit = get_sqrt_ratio_at_tick(-500).unwrap();
        p.swap(true, i(1_000_000_000_000), limit).unwrap();
        assert_eq!(p.sqrt_price_x96(), limit);
        assert_eq!(p.tick(), -500);
        assert_eq!(p.liquidity(), 1_000_000_000);
        let t = p.tick_info(-100).unwrap();
        assert_eq!(t.fee_growth_outside1_x128, U256::ZERO);
        assert!(t.fee_growth_outside0_x128 > U256::ZERO);
        // swap back above 100: crosses -100 and 100
        let limit = get_sqrt_ratio_at_tick(200).unwrap();
        p.swap(false, i(1_000_000_000_000), limit).unwrap();
        assert_eq!(p.tick(), 200);
        assert_eq!(p.liquidity(), 1_000_000_000);
        // a's range is now below the price: all token0 fees inside, token1 fees inside
        let (o0, o1) = p.burn("a", -100, 100, 1_000_000_000).unwrap();
        assert!(o0.is_zero() && !o1.is_zero());
        let pa = *p.position("a", -100, 100).unwrap();
        assert!(pa.tokens_owed0 > 0 && pa.tokens_owed1 > 0);
        // ticks of a are gone, b's stay
        assert!(p.tick_info(-100).is_none());
        assert_eq!(
            p.ticks().map(|(t, _)| t).collect::<Vec<_>>(),
            vec![-1000, 1000]
        );
    }

    #[test]
    fn exact_output_swap_stops_at_requested_amount() {
        let mut p = Pool::new(3000).unwrap();
        p.initialize(U256::from(1u8) << 96).unwrap();
        p.mint("a", MIN60, MAX60, 10u128.pow(18)).unwrap();
        let (a0, a1) = p
            .swap(true, i(-(10i128.pow(15))), MIN_SQRT_RATIO + U256::from(1u8))
            .unwrap();
        assert_eq!(a1, i(-(10i128.pow(15))));
        assert!(a0 > i(10i128.pow(15)));
    }

    #[test]
    fn swap_to_the_price_limit_with_no_liquidity() {
        let mut p = Pool::new(10000).unwrap();
        p.initialize(U256::from(1u8) << 96).unwrap();
        let limit = get_sqrt_ratio_at_tick(-50_000).unwrap();
        assert_eq!(p.swap(true, i(1), limit).unwrap(), (I256::ZERO, I256::ZERO));
        assert_eq!(p.sqrt_price_x96(), limit);
        assert_eq!(p.tick(), -50_000);
        // all the way to the bottom
        let (a0, a1) = p
            .swap(true, i(1000), MIN_SQRT_RATIO + U256::from(1u8))
            .unwrap();
        assert_eq!((a0, a1), (I256::ZERO, I256::ZERO));
        assert_eq!(p.tick(), MIN_TICK);
        let (a0, a1) = p
            .swap(false, i(-1000), MAX_SQRT_RATIO - U256::from(1u8))
            .unwrap();
        assert_eq!((a0, a1), (I256::ZERO, I256::ZERO));
        assert_eq!(p.tick(), MAX_TICK - 1);
    }

    #[test]
    fn burned_amounts_above_u128_wrap_into_tokens_owed() {
        // amount0 of a max-liquidity position from near MIN_TICK exceeds 2^128
        let mut p = Pool::new(100).unwrap();
        p.initialize(MAX_SQRT_RATIO - U256::from(1u8)).unwrap();
        let max = p.max_liquidity_per_tick();
        let (m0, m1) = p.mint("a", MIN_TICK, MIN_TICK + 1, max).unwrap();
        assert!(m0.is_zero());
        // current tick is above the range: token1 only, small
        assert!(m1 < U256::from(u128::MAX));
        let mut q = Pool::new(100).unwrap();
        q.initialize(MIN_SQRT_RATIO).unwrap();
        let (m0, _) = q.mint("a", MIN_TICK + 1, MAX_TICK, max).unwrap();
        assert!(m0 > U256::from(u128::MAX));
        let (b0, _) = q.burn("a", MIN_TICK + 1, MAX_TICK, max).unwrap();
        assert_eq!(
            q.position("a", MIN_TICK + 1, MAX_TICK)
                .unwrap()
                .tokens_owed0,
            low_u128(b0)
        );
    }
}
