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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::builder::replay;
    use crate::v3::action::ActionOutput;
    use crate::v3::pool::Pool;
    use crate::v3::tick_math::get_sqrt_ratio_at_tick;

    fn meta() -> PoolMeta {
        PoolMeta {
            pair: Pair::weth_usdc(),
            fee: 3000,
            tick_spacing: 60,
        }
    }

    fn i(x: i128) -> I256 {
        I256::try_from(x).unwrap()
    }

    /// Runs a pool and writes its events as a log; returns the log and the pool.
    fn recorded() -> (String, Pool) {
        let mut pool = Pool::new(3000).unwrap();
        let start = get_sqrt_ratio_at_tick(0).unwrap();
        pool.initialize(start).unwrap();
        let mut log = vec![format!(
            r#"{{"ts":1000,"event":"initialize","sqrt_price_x96":"{start}"}}"#
        )];
        let mut ts = 1000;
        let actions = vec![
            Action::Mint {
                owner: "bg".into(),
                tick_lower: -6000,
                tick_upper: 6000,
                amount: 10u128.pow(21),
            },
            Action::Mint {
                owner: "b".into(),
                tick_lower: -600,
                tick_upper: 600,
                amount: 10u128.pow(20),
            },
            // exact in, both directions; exact out, both directions
            Action::Swap {
                zero_for_one: true,
                amount_specified: i(10i128.pow(18)),
                sqrt_price_limit_x96: price::min_sqrt_ratio() + U256::from(1u8),
            },
            Action::Swap {
                zero_for_one: false,
                amount_specified: i(-3 * 10i128.pow(17)),
                sqrt_price_limit_x96: price::max_sqrt_ratio() - U256::from(1u8),
            },
            Action::Swap {
                zero_for_one: false,
                amount_specified: i(2 * 10i128.pow(18)),
                sqrt_price_limit_x96: price::max_sqrt_ratio() - U256::from(1u8),
            },
            Action::Swap {
                zero_for_one: true,
                amount_specified: i(-7 * 10i128.pow(17)),
                sqrt_price_limit_x96: price::min_sqrt_ratio() + U256::from(1u8),
            },
            // a swap stopped by its price limit
            Action::Swap {
                zero_for_one: true,
                amount_specified: i(10i128.pow(24)),
                sqrt_price_limit_x96: get_sqrt_ratio_at_tick(-700).unwrap(),
            },
            Action::Burn {
                owner: "b".into(),
                tick_lower: -600,
                tick_upper: 600,
                amount: 10u128.pow(20),
            },
            Action::Collect {
                owner: "b".into(),
                tick_lower: -600,
                tick_upper: 600,
                amount0_requested: u128::MAX,
                amount1_requested: u128::MAX,
            },
        ];
        for a in actions {
            ts += 70;
            let out = pool.apply(&a).unwrap();
            let line = match (&a, out) {
                (
                    Action::Mint {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    },
                    _,
                ) => format!(
                    r#"{{"ts":{ts},"event":"mint","owner":"{owner}","tick_lower":{tick_lower},"tick_upper":{tick_upper},"amount":"{amount}"}}"#
                ),
                (
                    Action::Burn {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    },
                    _,
                ) => format!(
                    r#"{{"ts":{ts},"event":"burn","owner":"{owner}","tick_lower":{tick_lower},"tick_upper":{tick_upper},"amount":"{amount}"}}"#
                ),
                (
                    Action::Collect {
                        owner,
                        tick_lower,
                        tick_upper,
                        ..
                    },
                    ActionOutput::Collected { amount0, amount1 },
                ) => format!(
                    r#"{{"ts":{ts},"event":"collect","owner":"{owner}","tick_lower":{tick_lower},"tick_upper":{tick_upper},"amount0":"{amount0}","amount1":"{amount1}"}}"#
                ),
                (Action::Swap { .. }, ActionOutput::Swapped { amount0, amount1 }) => format!(
                    r#"{{"ts":{ts},"event":"swap","amount0":"{amount0}","amount1":"{amount1}","sqrt_price_x96":"{}"}}"#,
                    pool.sqrt_price_x96()
                ),
                other => panic!("unexpected {other:?}"),
            };
            log.push(line);
        }
        (log.join("\n") + "\n", pool)
    }

    #[test]
    fn replay_hits_every_recorded_price() {
        let (log, original) = recorded();
        let tape = parse_event_log(&log, Path::new("log.jsonl"), &meta()).unwrap();
        assert_eq!(tape.steps.len(), 9);
        let swaps: Vec<_> = tape
            .steps
            .iter()
            .filter(|s| s.action.op() == "swap")
            .collect();
        assert_eq!(swaps.len(), 5);
        // every swap is replayed as exact input with the recorded price as its limit
        for s in &swaps {
            let Action::Swap {
                amount_specified, ..
            } = &s.action
            else {
                unreachable!()
            };
            assert!(amount_specified.is_positive());
        }
        let pools = replay(&tape).unwrap();
        assert_eq!(pools[0].sqrt_price_x96(), original.sqrt_price_x96());
        assert_eq!(pools[0].liquidity(), original.liquidity());
        assert_eq!(pools[0].tick(), original.tick());
        // minutes: 1000 .. 1630 -> minutes starting 960 .. 1620
        assert_eq!(tape.reference.first().map(|r| r.0), Some(960));
        assert_eq!(tape.reference.last().map(|r| r.0), Some(1620));
        assert!(tape.reference.windows(2).all(|w| w[1].0 == w[0].0 + 60));
        let last = tape.reference.last().unwrap().1;
        assert_eq!(last, tape.pair.human_price_at(original.sqrt_price_x96()));
    }

    fn err(text: &str) -> MarketError {
        parse_event_log(text, Path::new("bad.jsonl"), &meta()).unwrap_err()
    }

    const INIT: &str =
        r#"{"ts":10,"event":"initialize","sqrt_price_x96":"79228162514264337593543950336"}"#;

    #[test]
    fn malformed_logs_name_file_line_and_field() {
        assert!(matches!(err(""), MarketError::Empty { .. }));
        assert!(matches!(err("\n\n"), MarketError::Empty { .. }));
        assert!(matches!(
            err(&format!("{INIT}\nnot json")),
            MarketError::Malformed { line: 2, .. }
        ));
        assert!(matches!(err("[1]"), MarketError::Malformed { line: 1, .. }));
        let field = |e: MarketError| match e {
            MarketError::BadField { line, field, .. } => (line, field),
            other => panic!("{other}"),
        };
        assert_eq!(
            field(err(
                r#"{"ts":1,"event":"mint","owner":"a","tick_lower":0,"tick_upper":60,"amount":"1"}"#
            )),
            (1, "event".into())
        );
        assert_eq!(
            field(err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"mint","owner":"a","tick_lower":0,"tick_upper":60,"amount":"12x"}"#
            ))),
            (2, "amount".into())
        );
        assert_eq!(
            field(err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"mint","owner":"a","tick_lower":0,"tick_upper":60}"#
            ))),
            (2, "amount".into())
        );
        assert_eq!(
            field(err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"swap","amount0":"5","amount1":"7","sqrt_price_x96":"79228162514264337593543950336"}"#
            ))),
            (2, "amount0".into())
        );
        assert_eq!(
            field(err(&format!("{INIT}\n{}", r#"{"ts":11,"event":"flash"}"#))),
            (2, "event".into())
        );
        assert_eq!(
            field(err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"burn","extra":1}"#
            ))),
            (2, "extra".into())
        );
        assert_eq!(field(err(&format!("{INIT}\n{INIT}"))), (2, "event".into()));
        assert_eq!(
            field(err(r#"{"ts":-1,"event":"initialize"}"#)),
            (1, "ts".into())
        );
        assert!(matches!(
            err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"mint","owner":"a","tick_lower":-900000,"tick_upper":60,"amount":"1"}"#
            )),
            MarketError::TickOutOfRange {
                line: 2,
                tick: -900000,
                ..
            }
        ));
        assert!(matches!(
            err(&format!(
                "{INIT}\n{}",
                r#"{"ts":9,"event":"mint","owner":"a","tick_lower":0,"tick_upper":60,"amount":"1"}"#
            )),
            MarketError::TimeBackwards {
                line: 2,
                ts: 9,
                previous: 10,
                ..
            }
        ));
        // a tick that is not a multiple of the spacing: the engine rejects it
        assert!(matches!(
            err(&format!(
                "{INIT}\n{}",
                r#"{"ts":11,"event":"mint","owner":"a","tick_lower":7,"tick_upper":60,"amount":"1"}"#
            )),
            MarketError::Rejected { line: 2, .. }
        ));
        // a swap that cannot reach its recorded price (no liquidity was minted... the
        // input runs out) is reported, not silently accepted
        let e = err(&format!(
            "{INIT}\n{}\n{}",
            r#"{"ts":11,"event":"mint","owner":"a","tick_lower":-600,"tick_upper":600,"amount":"1000000000000"}"#,
            r#"{"ts":12,"event":"swap","amount0":"10","amount1":"-9","sqrt_price_x96":"4295128740"}"#
        ));
        assert!(matches!(e, MarketError::Rejected { line: 3, .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.starts_with("bad.jsonl:3:"), "{msg}");
    }

    #[test]
    fn loads_from_a_file_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, recorded().0).unwrap();
        assert!(load_event_log(&path, &meta()).is_ok());
        let missing = dir.path().join("nope.jsonl");
        assert!(
            matches!(load_event_log(&missing, &meta()), Err(MarketError::Io { path, .. }) if path == missing)
        );
    }
}
