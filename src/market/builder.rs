//! Building and checking tapes against the engine: [`TapeBuilder`] applies every action
//! to an engine pool as it is recorded (so generators and loaders only ever record
//! actions that succeed and can read the pool's exact state to choose the next one), and
//! [`replay`] runs a whole tape through fresh pools, failing on the first revert.

use super::error::MarketError;
use super::tape::{MarketTape, Pair, Step, TapePool};
use crate::v3::action::{Action, ActionOutput};
use crate::v3::error::V3Error;
use crate::v3::num::{I256, U256};
use crate::v3::pool::Pool;

/// `amount_specified` of a price-target swap: exact input so large that only the price
/// limit stops it (2^127 - 1), used by arbitrage and close-to-price swaps.
pub fn target_swap_amount() -> I256 {
    I256::from_raw(U256::from(u128::MAX >> 1))
}

/// Whether a swap is a price-target swap (|amount| >= 2^120): its intent is "move the
/// price to the limit", not "trade this amount".
pub fn is_target_swap(amount_specified: I256) -> bool {
    amount_specified >= I256::from_raw(U256::from(1u8) << 120)
}

/// A fresh engine pool for a tape pool, initialised at its price.
pub fn new_pool(index: usize, p: &TapePool) -> Result<Pool, MarketError> {
    let bad = |e: V3Error| MarketError::BadTape {
        reason: format!("pool {index} (fee {}): {e}", p.fee),
    };
    let mut pool = Pool::new(p.fee).map_err(bad)?;
    if pool.tick_spacing() != p.tick_spacing {
        return Err(MarketError::BadTape {
            reason: format!(
                "pool {index}: tick_spacing {} does not match fee {} (expected {})",
                p.tick_spacing,
                p.fee,
                pool.tick_spacing()
            ),
        });
    }
    pool.initialize(p.sqrt_price_x96).map_err(bad)?;
    Ok(pool)
}

/// Records steps while applying them to one engine pool per tape pool.
#[derive(Debug)]
pub struct TapeBuilder {
    pair: Pair,
    pools: Vec<TapePool>,
    engines: Vec<Pool>,
    steps: Vec<Step>,
}

impl TapeBuilder {
    /// Initialised pools, no steps yet.
    pub fn new(pair: Pair, pools: Vec<TapePool>) -> Result<Self, MarketError> {
        let engines = pools
            .iter()
            .enumerate()
            .map(|(i, p)| new_pool(i, p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TapeBuilder {
            pair,
            pools,
            engines,
            steps: Vec::new(),
        })
    }

    /// The engine state of pool `i`.
    pub fn pool(&self, i: usize) -> Option<&Pool> {
        self.engines.get(i)
    }

    /// Number of pools.
    pub fn pool_count(&self) -> usize {
        self.engines.len()
    }

    /// Applies `action` to pool `pool`; records it only if the engine accepts it.
    pub fn try_push(
        &mut self,
        ts: u64,
        pool: usize,
        action: Action,
    ) -> Result<ActionOutput, V3Error> {
        let Some(engine) = self.engines.get_mut(pool) else {
            return Err(V3Error::Locked);
        };
        let out = engine.apply(&action)?;
        self.steps.push(Step { ts, pool, action });
        Ok(out)
    }

    /// Applies `action`; a revert is an error naming the step (for generators, whose
    /// actions must never revert).
    pub fn push(
        &mut self,
        ts: u64,
        pool: usize,
        action: Action,
    ) -> Result<ActionOutput, MarketError> {
        let op = action.op();
        let step = self.steps.len();
        self.try_push(ts, pool, action)
            .map_err(|e| MarketError::Revert {
                step,
                ts,
                pool,
                op: op.to_string(),
                reason: e.to_string(),
            })
    }

    /// Number of recorded steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no step has been recorded.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The finished tape.
    pub fn finish(self, reference: Vec<(u64, f64)>) -> MarketTape {
        MarketTape {
            pair: self.pair,
            pools: self.pools,
            steps: self.steps,
            reference,
        }
    }
}

/// Replays a whole tape through fresh pools; the first revert is an error naming the
/// step. Returns the final pools.
pub fn replay(tape: &MarketTape) -> Result<Vec<Pool>, MarketError> {
    tape.validate()?;
    let mut pools = tape
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| new_pool(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, s) in tape.steps.iter().enumerate() {
        let Some(pool) = pools.get_mut(s.pool) else {
            return Err(MarketError::BadTape {
                reason: format!("step {i}: no pool {}", s.pool),
            });
        };
        pool.apply(&s.action).map_err(|e| MarketError::Revert {
            step: i,
            ts: s.ts,
            pool: s.pool,
            op: s.action.op().to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(pools)
}
