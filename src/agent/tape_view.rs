//! Reading a market tape up to the open time: the history the context is built from and
//! the pools a position can be placed in. Nothing at or after the open is read: the
//! reference minutes and steps used all have `ts < open_ts`.

use crate::market::price::{f64_from_u256, raw_from_sqrt_price_x96};
use crate::market::MarketTape;
use crate::v3::action::Action;

use super::action::{tick_at_raw_price, PoolAtOpen, PoolsAtOpen};
use super::context::{from_history, Context, History, IntelFeatures, PoolActivity};
use super::error::AgentError;

/// Swap volume (quote units) and net liquidity of each pool over the steps with
/// `ts < open_ts`. Swap amounts are valued at the reference price of their minute.
pub fn pool_activity(tape: &MarketTape, open_ts: u64) -> Vec<PoolActivity> {
    let mut out: Vec<PoolActivity> = tape
        .pools
        .iter()
        .enumerate()
        .map(|(index, p)| PoolActivity {
            index,
            fee: p.fee,
            volume_quote: 0.0,
            liquidity: 0.0,
        })
        .collect();
    for step in tape.steps.iter().take_while(|s| s.ts < open_ts) {
        let Some(acc) = out.get_mut(step.pool) else {
            continue;
        };
        match &step.action {
            Action::Swap {
                zero_for_one,
                amount_specified,
                ..
            } => {
                let exact_in = amount_specified.is_positive();
                let raw = f64_from_u256(amount_specified.unsigned_abs());
                let in_token0 = *zero_for_one == exact_in;
                let quote = if in_token0 {
                    let price = tape.reference_at(step.ts).unwrap_or(0.0);
                    tape.pair.base_units(raw) * price
                } else {
                    tape.pair.quote_units(raw)
                };
                if quote.is_finite() {
                    acc.volume_quote += quote;
                }
            }
            Action::Mint { amount, .. } => acc.liquidity += *amount as f64,
            Action::Burn { amount, .. } => acc.liquidity -= *amount as f64,
            Action::Collect { .. } => {}
        }
    }
    out
}

/// The context of an episode opening at `open_ts` on `tape`: reference prices up to the
/// open and pool activity before it, plus the intel features (masked when unusable).
pub fn build(tape: &MarketTape, open_ts: u64, intel: Option<&IntelFeatures>) -> Context {
    let history = History {
        reference: &tape.reference,
        pools: pool_activity(tape, open_ts),
    };
    from_history(&history, open_ts, intel)
}

/// The pair's pools at `open_ts`, each at the tick of the last reference price before the
/// open (the generator arbitrages every pool to the reference each minute; without one
/// the pool's initial price is used), with the episode's capital limits.
pub fn pools_at_open(
    tape: &MarketTape,
    open_ts: u64,
    budget_quote: f64,
    min_size_fraction: f64,
) -> Result<PoolsAtOpen, AgentError> {
    let reference_raw = tape
        .reference
        .iter()
        .take_while(|r| r.0 < open_ts)
        .last()
        .map(|r| tape.pair.raw_price(r.1));
    let mut pools = Vec::with_capacity(tape.pools.len());
    for (index, p) in tape.pools.iter().enumerate() {
        let raw = reference_raw.unwrap_or_else(|| raw_from_sqrt_price_x96(p.sqrt_price_x96));
        let tick = tick_at_raw_price(raw).map_err(|_| AgentError::BadPrice {
            what: format!("pool {index} at ts {open_ts}"),
            price: raw,
        })?;
        pools.push(PoolAtOpen {
            index,
            fee: p.fee,
            tick_spacing: p.tick_spacing,
            tick,
        });
    }
    let view = PoolsAtOpen {
        pools,
        budget_quote,
        min_size_fraction,
    };
    view.validate(open_ts)?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Pair, Step, TapePool};
    use crate::v3::{I256, U256};

    fn tape() -> MarketTape {
        let pair = Pair::weth_usdc();
        let swap = |zfo: bool, amount: i64| Action::Swap {
            zero_for_one: zfo,
            amount_specified: I256::try_from(amount).unwrap(),
            sqrt_price_limit_x96: U256::from(1u64),
        };
        MarketTape {
            pools: vec![
                TapePool {
                    fee: 3000,
                    tick_spacing: 60,
                    sqrt_price_x96: pair.sqrt_price_x96(3000.0),
                },
                TapePool {
                    fee: 500,
                    tick_spacing: 10,
                    sqrt_price_x96: pair.sqrt_price_x96(3000.0),
                },
            ],
            steps: vec![
                Step {
                    ts: 0,
                    pool: 1,
                    action: Action::Mint {
                        owner: "bg".into(),
                        tick_lower: -200_000,
                        tick_upper: -190_000,
                        amount: 3000,
                    },
                },
                Step {
                    ts: 0,
                    pool: 0,
                    action: Action::Mint {
                        owner: "bg".into(),
                        tick_lower: -200_040,
                        tick_upper: -190_020,
                        amount: 1000,
                    },
                },
                // exact input of 1000 USDC into pool 1
                Step {
                    ts: 30,
                    pool: 1,
                    action: swap(false, 1_000_000_000),
                },
                // exact input of 0.1 WETH into pool 0 (at 3000 → 300 USDC)
                Step {
                    ts: 60,
                    pool: 0,
                    action: swap(true, 100_000_000_000_000_000),
                },
                // after the open: ignored
                Step {
                    ts: 120,
                    pool: 0,
                    action: swap(false, 9_000_000_000_000),
                },
            ],
            reference: vec![(0, 3000.0), (60, 3000.0), (120, 3100.0)],
            pair,
        }
    }

    #[test]
    fn activity_before_the_open_only() {
        let a = pool_activity(&tape(), 120);
        assert!((a[0].volume_quote - 300.0).abs() < 1e-6, "{a:?}");
        assert!((a[1].volume_quote - 1000.0).abs() < 1e-6);
        assert_eq!(a[0].liquidity, 1000.0);
        assert_eq!(a[1].liquidity, 3000.0);
        let c = build(&tape(), 120, None);
        // slot 0 = the 0.05% pool
        assert_eq!(c.pools[0].fee, 500);
        assert!((c.pools[0].volume_share - 1000.0 / 1300.0).abs() < 1e-12);
        assert_eq!(c.pools[0].liquidity_share, 0.75);
    }

    #[test]
    fn pools_at_open_use_the_reference_tick() {
        let t = tape();
        let v = pools_at_open(&t, 120, 1000.0, 0.25).unwrap();
        let expect = tick_at_raw_price(t.pair.raw_price(3000.0)).unwrap();
        assert!(v.pools.iter().all(|p| p.tick == expect));
        assert!((-197_000..-196_000).contains(&expect), "{expect}");
        // the open minute's own reference (3100 at ts 120) is not used
        let v = pools_at_open(&t, 121, 1000.0, 0.25).unwrap();
        assert!(v.pools[0].tick > expect);
        assert!(pools_at_open(&t, 60, 0.0, 0.25).is_err());
    }
}
