//! Loader for a pool event log: JSON lines, one pool, raw integer amounts as decimal
//! strings (format in SPEC.md, "Pool event logs"). Every event is replayed through the
//! engine while loading, so the tape it returns replays without a revert:
//!
//! - `initialize` sets the pool's price (first event, exactly once);
//! - `mint` / `burn` / `collect` become the same pool call;
//! - `swap` records the pool's deltas (`amount0`, `amount1`, positive = paid in) and the
//!   resulting `sqrt_price_x96`. It is replayed as an exact-input swap of the positive
//!   amount with the recorded price as the limit; the engine stops exactly at that price
//!   (when the input runs out first, the log does not match a full replay and loading
//!   fails naming the line). A swap that left the price unchanged is replayed without a
//!   price limit (the contract's extreme limit), since a limit equal to the price reverts.
//!
//! The reference price of each minute is the pool's price at the end of that minute.

use std::path::Path;

use serde_json::{Map, Value};

use super::builder::TapeBuilder;
use super::error::MarketError;
use super::fields::At;
use super::price;
use super::tape::{MarketTape, Pair, TapePool};
use crate::v3::action::Action;
use crate::v3::num::{I256, U256};

/// What the log itself does not say: the pair and the pool's fee tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolMeta {
    pub pair: Pair,
    pub fee: u32,
    pub tick_spacing: i32,
}

/// Reads and replays an event log file.
pub fn load_event_log(path: &Path, meta: &PoolMeta) -> Result<MarketTape, MarketError> {
    let text = std::fs::read_to_string(path).map_err(|source| MarketError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_event_log(&text, path, meta)
}

fn str_field<'a>(
    at: At<'_>,
    obj: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a str, MarketError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(at.bad(field, &other.to_string(), "expected a decimal string")),
        None => Err(at.bad(field, "", "missing")),
    }
}

fn tick_field(at: At<'_>, obj: &Map<String, Value>, field: &str) -> Result<i32, MarketError> {
    match obj.get(field) {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(t) => at.tick_value(field, t),
            None => Err(at.bad(field, &n.to_string(), "expected an integer tick")),
        },
        Some(other) => Err(at.bad(field, &other.to_string(), "expected an integer tick")),
        None => Err(at.bad(field, "", "missing")),
    }
}

fn check_fields(at: At<'_>, obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), MarketError> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(at.bad(k, "", format!("unknown field (expected {allowed:?})")));
        }
    }
    Ok(())
}

/// Parses and replays an event log held in memory (`path` names it in errors).
pub fn parse_event_log(
    text: &str,
    path: &Path,
    meta: &PoolMeta,
) -> Result<MarketTape, MarketError> {
    let mut builder: Option<TapeBuilder> = None;
    let mut reference: Vec<(u64, f64)> = Vec::new();
    let mut last_ts: Option<u64> = None;
    let mut any = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let at = At { path, line };
        if raw.trim().is_empty() {
            continue;
        }
        any = true;
        let value: Value = serde_json::from_str(raw).map_err(|e| MarketError::Malformed {
            path: path.to_path_buf(),
            line,
            reason: e.to_string(),
        })?;
        let Value::Object(obj) = value else {
            return Err(MarketError::Malformed {
                path: path.to_path_buf(),
                line,
                reason: "expected a JSON object".into(),
            });
        };
        let ts = match obj.get("ts") {
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| at.bad("ts", &n.to_string(), "expected unix seconds"))?,
            Some(other) => return Err(at.bad("ts", &other.to_string(), "expected unix seconds")),
            None => return Err(at.bad("ts", "", "missing")),
        };
        if let Some(prev) = last_ts {
            if ts < prev {
                return Err(MarketError::TimeBackwards {
                    path: path.to_path_buf(),
                    line,
                    ts,
                    previous: prev,
                });
            }
        }
        let event = match obj.get("event") {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => return Err(at.bad("event", &other.to_string(), "expected a string")),
            None => return Err(at.bad("event", "", "missing")),
        };
        // close the minutes before this event with the pool's price
        if let Some(b) = &builder {
            close_minutes(&mut reference, b, meta, ts);
        }
        if event == "initialize" {
            check_fields(at, &obj, &["ts", "event", "sqrt_price_x96"])?;
            let s = str_field(at, &obj, "sqrt_price_x96")?;
            let sqrt = at.u256("sqrt_price_x96", s)?;
            if builder.is_some() {
                return Err(at.bad("event", event, "the pool is already initialized"));
            }
            if sqrt < price::min_sqrt_ratio() || sqrt >= price::max_sqrt_ratio() {
                return Err(at.bad(
                    "sqrt_price_x96",
                    s,
                    "outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)",
                ));
            }
            let pool = TapePool {
                fee: meta.fee,
                tick_spacing: meta.tick_spacing,
                sqrt_price_x96: sqrt,
            };
            builder = Some(TapeBuilder::new(meta.pair.clone(), vec![pool])?);
            reference.push((ts - ts % 60, meta.pair.human_price_at(sqrt)));
            last_ts = Some(ts);
            continue;
        }
        let Some(b) = builder.as_mut() else {
            return Err(at.bad("event", event, "the first event must be initialize"));
        };
        let action = match event {
            "mint" | "burn" => {
                check_fields(
                    at,
                    &obj,
                    &["ts", "event", "owner", "tick_lower", "tick_upper", "amount"],
                )?;
                let owner = match obj.get("owner") {
                    Some(Value::String(s)) => s.clone(),
                    _ => return Err(at.bad("owner", "", "expected a string")),
                };
                let tick_lower = tick_field(at, &obj, "tick_lower")?;
                let tick_upper = tick_field(at, &obj, "tick_upper")?;
                let amount = at.u128("amount", str_field(at, &obj, "amount")?)?;
                if event == "mint" {
                    Action::Mint {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    }
                } else {
                    Action::Burn {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    }
                }
            }
            "collect" => {
                check_fields(
                    at,
                    &obj,
                    &[
                        "ts",
                        "event",
                        "owner",
                        "tick_lower",
                        "tick_upper",
                        "amount0",
                        "amount1",
                    ],
                )?;
                let owner = match obj.get("owner") {
                    Some(Value::String(s)) => s.clone(),
                    _ => return Err(at.bad("owner", "", "expected a string")),
                };
                Action::Collect {
                    owner,
                    tick_lower: tick_field(at, &obj, "tick_lower")?,
                    tick_upper: tick_field(at, &obj, "tick_upper")?,
                    amount0_requested: at.u128("amount0", str_field(at, &obj, "amount0")?)?,
                    amount1_requested: at.u128("amount1", str_field(at, &obj, "amount1")?)?,
                }
            }
            "swap" => {
                check_fields(
                    at,
                    &obj,
                    &["ts", "event", "amount0", "amount1", "sqrt_price_x96"],
                )?;
                let a0s = str_field(at, &obj, "amount0")?;
                let a1s = str_field(at, &obj, "amount1")?;
                let ps = str_field(at, &obj, "sqrt_price_x96")?;
                let a0 = at.i256("amount0", a0s)?;
                let a1 = at.i256("amount1", a1s)?;
                let target = at.u256("sqrt_price_x96", ps)?;
                if target < price::min_sqrt_ratio() || target >= price::max_sqrt_ratio() {
                    return Err(at.bad(
                        "sqrt_price_x96",
                        ps,
                        "outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)",
                    ));
                }
                let zero_for_one = match (a0.is_positive(), a1.is_positive()) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => {
                        return Err(at.bad(
                            "amount0",
                            a0s,
                            format!("a swap pays exactly one token into the pool (amount1 {a1s})"),
                        ))
                    }
                };
                let amount_in: I256 = if zero_for_one { a0 } else { a1 };
                let current = b.pool(0).map(|p| p.sqrt_price_x96()).unwrap_or(U256::ZERO);
                let limit = if target == current {
                    if zero_for_one {
                        price::min_sqrt_ratio() + U256::from(1u8)
                    } else {
                        price::max_sqrt_ratio() - U256::from(1u8)
                    }
                } else {
                    if (target < current) != zero_for_one {
                        return Err(at.bad(
                            "sqrt_price_x96",
                            ps,
                            format!(
                                "moves the price the wrong way from {current} for this direction"
                            ),
                        ));
                    }
                    target
                };
                Action::Swap {
                    zero_for_one,
                    amount_specified: amount_in,
                    sqrt_price_limit_x96: limit,
                }
            }
            other => {
                return Err(at.bad(
                    "event",
                    other,
                    "expected initialize, mint, burn, collect or swap",
                ))
            }
        };
        let op = action.op().to_string();
        b.try_push(ts, 0, action)
            .map_err(|e| MarketError::Rejected {
                path: path.to_path_buf(),
                line,
                op: op.clone(),
                reason: e.to_string(),
            })?;
        if op == "swap" {
            let target = at.u256("sqrt_price_x96", str_field(at, &obj, "sqrt_price_x96")?)?;
            let now = b.pool(0).map(|p| p.sqrt_price_x96()).unwrap_or(U256::ZERO);
            if now != target {
                return Err(MarketError::Rejected {
                    path: path.to_path_buf(),
                    line,
                    op,
                    reason: format!(
                        "replay ended at sqrt price {now}, the log records {target} (events missing?)"
                    ),
                });
            }
        }
        last_ts = Some(ts);
    }
    let Some(b) = builder else {
        return Err(MarketError::Empty {
            path: path.to_path_buf(),
            what: if any {
                "no initialize event".into()
            } else {
                "no events".into()
            },
        });
    };
    // the last minute closes at the final price
    if let (Some(pool), Some(r)) = (b.pool(0), reference.last_mut()) {
        r.1 = meta.pair.human_price_at(pool.sqrt_price_x96());
    }
    let tape = b.finish(reference);
    Ok(tape)
}

/// Appends reference minutes up to (not including) the minute of `ts`, each with the
/// pool's current price.
fn close_minutes(reference: &mut Vec<(u64, f64)>, b: &TapeBuilder, meta: &PoolMeta, ts: u64) {
    let Some(pool) = b.pool(0) else { return };
    let p = meta.pair.human_price_at(pool.sqrt_price_x96());
    let minute = ts - ts % 60;
    let Some(&(last, _)) = reference.last() else {
        return;
    };
    // the current (last) minute's price is its closing price so far
    if let Some(r) = reference.last_mut() {
        r.1 = p;
    }
    let mut m = last + 60;
    while m <= minute {
        reference.push((m, p));
        m += 60;
    }
}
