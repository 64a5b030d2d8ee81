//! `tracka sim`: replays a pool tape through the exact V3 engine and prints each
//! action's result and the final pool state (human-readable, or JSON with `--json`).
//!
//! Tape: `{"pool":{"fee":500,"tick_spacing":10,"sqrt_price_x96":"…"},"actions":[…]}`
//! (`tick_spacing` optional; actions as in [`crate::v3::action::Action`]). A reverted
//! action is a result, not a failure: the exit code is 0 unless the tape is bad (2).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::v3::num::{dec_u128, dec_u256, U256};
use crate::v3::{Action, ActionOutput, Pool, V3Error};

use super::exit;

/// Arguments of `tracka sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// The tape to replay: a JSON file with the pool parameters and the list of actions.
    #[arg(long, value_name = "FILE")]
    pub tape: PathBuf,
    /// Print machine-readable JSON (256-bit values as decimal strings) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The pool parameters of a tape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapePool {
    pub fee: u32,
    #[serde(default)]
    pub tick_spacing: Option<i32>,
    #[serde(with = "dec_u256")]
    pub sqrt_price_x96: U256,
}

/// A parsed tape.
#[derive(Debug, Clone)]
pub struct Tape {
    pub pool: TapePool,
    pub actions: Vec<Action>,
}

/// One action's result as printed by `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SimResult {
    Ok {
        op: &'static str,
        amount0: String,
        amount1: String,
    },
    Err {
        op: &'static str,
        error: String,
    },
}

/// The pool's final state as printed by `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct SimPool {
    #[serde(with = "dec_u256")]
    pub sqrt_price_x96: U256,
    pub tick: i32,
    #[serde(with = "dec_u128")]
    pub liquidity: u128,
    #[serde(with = "dec_u256")]
    pub fee_growth_global0_x128: U256,
    #[serde(with = "dec_u256")]
    pub fee_growth_global1_x128: U256,
}

/// A position's final state as printed by `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct SimPosition {
    pub owner: String,
    pub tick_lower: i32,
    pub tick_upper: i32,
    #[serde(with = "dec_u128")]
    pub liquidity: u128,
    #[serde(with = "dec_u256")]
    pub fee_growth_inside0_last_x128: U256,
    #[serde(with = "dec_u256")]
    pub fee_growth_inside1_last_x128: U256,
    #[serde(with = "dec_u128")]
    pub tokens_owed0: u128,
    #[serde(with = "dec_u128")]
    pub tokens_owed1: u128,
}

/// The whole `--json` document.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    pub results: Vec<SimResult>,
    pub pool: SimPool,
    pub positions: Vec<SimPosition>,
}

/// Reads and validates a tape; the error names what is wrong and where (JSON line and
/// column for syntax errors, the field path such as `actions[3]` otherwise).
pub fn load_tape(path: &Path) -> std::result::Result<Tape, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(mut top) = value else {
        return Err("expected a JSON object with \"pool\" and \"actions\"".into());
    };
    if let Some(k) = top.keys().find(|k| *k != "pool" && *k != "actions") {
        return Err(format!(
            "unknown top-level field {k:?} (expected \"pool\", \"actions\")"
        ));
    }
    let pool = top.remove("pool").ok_or("missing field \"pool\"")?;
    let pool: TapePool = serde_json::from_value(pool).map_err(|e| format!("pool: {e}"))?;
    let actions = match top.remove("actions").ok_or("missing field \"actions\"")? {
        Value::Array(items) => items,
        _ => return Err("actions: expected an array".into()),
    };
    let actions = actions
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_json::from_value(v).map_err(|e| format!("actions[{i}]: {e}")))
        .collect::<std::result::Result<Vec<Action>, String>>()?;
    Ok(Tape { pool, actions })
}

/// Builds and initializes the tape's pool.
pub fn build_pool(spec: &TapePool) -> std::result::Result<Pool, String> {
    let mut pool = match spec.tick_spacing {
        Some(s) => Pool::with_tick_spacing(spec.fee, s),
        None => Pool::new(spec.fee),
    }
    .map_err(|e| format!("pool: {e}"))?;
    pool.initialize(spec.sqrt_price_x96)
        .map_err(|e| format!("pool.sqrt_price_x96: initialize reverted: {e}"))?;
    Ok(pool)
}

/// The `error` string of a reverted action: the contract's reason, or `"revert"` when
/// the contract reverts without one.
pub fn error_name(e: &V3Error) -> &'static str {
    e.reason().unwrap_or("revert")
}

/// One replayed action: the engine's result and its printed form.
pub type Replayed = (Result<ActionOutput, V3Error>, SimResult);

/// Replays the actions; returns the per-action results and the final report.
pub fn replay(mut pool: Pool, actions: &[Action]) -> (Pool, Vec<Replayed>) {
    let results = actions
        .iter()
        .map(|a| {
            let r = pool.apply(a);
            let printed = match &r {
                Ok(out) => {
                    let (amount0, amount1) = match *out {
                        ActionOutput::Amounts { amount0, amount1 } => {
                            (amount0.to_string(), amount1.to_string())
                        }
                        ActionOutput::Collected { amount0, amount1 } => {
                            (amount0.to_string(), amount1.to_string())
                        }
                        ActionOutput::Swapped { amount0, amount1 } => {
                            (amount0.to_string(), amount1.to_string())
                        }
                    };
                    SimResult::Ok {
                        op: a.op(),
                        amount0,
                        amount1,
                    }
                }
                Err(e) => SimResult::Err {
                    op: a.op(),
                    error: error_name(e).to_string(),
                },
            };
            (r, printed)
        })
        .collect();
    (pool, results)
}

/// The `--json` document of a replay.
pub fn report(pool: &Pool, results: Vec<SimResult>) -> SimReport {
    SimReport {
        results,
        pool: SimPool {
            sqrt_price_x96: pool.sqrt_price_x96(),
            tick: pool.tick(),
            liquidity: pool.liquidity(),
            fee_growth_global0_x128: pool.fee_growth_global0_x128(),
            fee_growth_global1_x128: pool.fee_growth_global1_x128(),
        },
        positions: pool
            .positions()
            .map(|(k, p)| SimPosition {
                owner: k.owner.clone(),
                tick_lower: k.tick_lower,
                tick_upper: k.tick_upper,
                liquidity: p.liquidity,
                fee_growth_inside0_last_x128: p.fee_growth_inside0_last_x128,
                fee_growth_inside1_last_x128: p.fee_growth_inside1_last_x128,
                tokens_owed0: p.tokens_owed0,
                tokens_owed1: p.tokens_owed1,
            })
            .collect(),
    }
}

fn describe(a: &Action) -> String {
    match a {
        Action::Mint { owner, tick_lower, tick_upper, amount } => {
            format!("mint    {owner} [{tick_lower}, {tick_upper}] liquidity {amount}")
        }
        Action::Burn { owner, tick_lower, tick_upper, amount } => {
            format!("burn    {owner} [{tick_lower}, {tick_upper}] liquidity {amount}")
        }
        Action::Collect { owner, tick_lower, tick_upper, amount0_requested, amount1_requested } => format!(
            "collect {owner} [{tick_lower}, {tick_upper}] up to {amount0_requested} / {amount1_requested}"
        ),
        Action::Swap { zero_for_one, amount_specified, sqrt_price_limit_x96 } => format!(
            "swap    {} {} {amount_specified} limit {sqrt_price_limit_x96}",
            if *zero_for_one { "0->1" } else { "1->0" },
            if amount_specified.is_negative() { "exact out" } else { "exact in" },
        ),
    }
}

/// Runs `tracka sim`.
pub fn run(args: &SimArgs) -> Result<i32> {
    let tape = match load_tape(&args.tape).and_then(|t| build_pool(&t.pool).map(|p| (t, p))) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("error: tape {}: {msg}", args.tape.display());
            return Ok(exit::USAGE);
        }
    };
    let (tape, pool) = tape;
    let (pool, results) = replay(pool, &tape.actions);
    if args.json {
        let printed = results.into_iter().map(|(_, p)| p).collect();
        println!("{}", serde_json::to_string(&report(&pool, printed))?);
        return Ok(exit::OK);
    }
    for (i, (a, (r, _))) in tape.actions.iter().zip(&results).enumerate() {
        let outcome = match r {
            Ok(ActionOutput::Amounts { amount0, amount1 }) => {
                format!("amount0 {amount0}, amount1 {amount1}")
            }
            Ok(ActionOutput::Collected { amount0, amount1 }) => {
                format!("collected {amount0}, {amount1}")
            }
            Ok(ActionOutput::Swapped { amount0, amount1 }) => {
                format!("amount0 {amount0}, amount1 {amount1}")
            }
            Err(e) => match e.reason() {
                Some(reason) => format!("REVERT {reason}: {e}"),
                None => format!("REVERT (no reason): {e}"),
            },
        };
        println!("#{i:<4} {} -> {outcome}", describe(a));
    }
    println!(
        "pool: fee {} spacing {} sqrt_price_x96 {} tick {} liquidity {}",
        pool.fee(),
        pool.tick_spacing(),
        pool.sqrt_price_x96(),
        pool.tick(),
        pool.liquidity()
    );
    println!(
        "      fee_growth_global0_x128 {} fee_growth_global1_x128 {}",
        pool.fee_growth_global0_x128(),
        pool.fee_growth_global1_x128()
    );
    for (k, p) in pool.positions() {
        println!(
            "position {} [{}, {}]: liquidity {} owed {} / {} (fee growth inside last {} / {})",
            k.owner,
            k.tick_lower,
            k.tick_upper,
            p.liquidity,
            p.tokens_owed0,
            p.tokens_owed1,
            p.fee_growth_inside0_last_x128,
            p.fee_growth_inside1_last_x128
        );
    }
    Ok(exit::OK)
}
