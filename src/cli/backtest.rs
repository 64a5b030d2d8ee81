//! `tracka backtest`: replays a market tape with one liquidity position inserted and
//! reports fees, value, HODL, impermanent loss, costs and time in range.

use std::path::PathBuf;

use clap::Args;

use super::exit;
use crate::market::{self, Capital, MarketError, MarketSource, PositionPlan, Rebalance};

/// Arguments of `tracka backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Where the market comes from:
    /// `synthetic:seed=7,minutes=43200,regime=mixed` (regime: calm, volatile, trending,
    /// mixed; optional start_price=…),
    /// `events:FILE[,fee=3000,token0=…,token1=…,decimals0=…,decimals1=…]` (pool event log,
    /// JSON lines), `demeter:DIR,pool=0x…,from=YYYY-MM-DD,to=YYYY-MM-DD[,fee=500,…]`
    /// (demeter-fetch minute CSVs) or `tape:FILE` (a tape JSON written by --save-tape).
    #[arg(long, value_name = "SOURCE")]
    pub market: String,
    /// Lower tick of the position (a multiple of the pool's tick spacing).
    #[arg(long, allow_hyphen_values = true)]
    pub tick_lower: i32,
    /// Upper tick of the position (a multiple of the pool's tick spacing).
    #[arg(long, allow_hyphen_values = true)]
    pub tick_upper: i32,
    /// Capital in quote (token1) units, split per the range's ratio at the pool price.
    #[arg(long)]
    pub capital: f64,
    /// Index of the tape's pool (fee tier) to provide liquidity in.
    #[arg(long, default_value_t = 0)]
    pub pool: usize,
    /// Open at the first minute at or after this unix time (default: tape start).
    #[arg(long, default_value_t = 0)]
    pub open_ts: u64,
    /// Close at the first minute at or after this unix time (default: tape end).
    #[arg(long)]
    pub close_ts: Option<u64>,
    /// Re-centre after this many consecutive minutes out of range (needs --recenter-width).
    #[arg(long, requires = "recenter_width")]
    pub recenter_after: Option<u32>,
    /// Width in ticks of a re-centred range.
    #[arg(long, requires = "recenter_after")]
    pub recenter_width: Option<i32>,
    /// Gas cost of one transaction, in quote units.
    #[arg(long, default_value_t = 0.0)]
    pub gas_cost_quote: f64,
    /// Cost of the wallet's own swaps, in basis points of the amount sold.
    #[arg(long, default_value_t = 0.0)]
    pub swap_cost_bps: f64,
    /// Write the tape (JSON) to this file, to reuse it with `--market tape:FILE`.
    #[arg(long, value_name = "FILE")]
    pub save_tape: Option<PathBuf>,
    /// Print the report as JSON (one object: the report and `elapsed_ms`).
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &BacktestArgs) -> anyhow::Result<i32> {
    match run_inner(args) {
        Ok(()) => Ok(exit::OK),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(exit::USAGE)
        }
    }
}

fn run_inner(args: &BacktestArgs) -> Result<(), MarketError> {
    let source = MarketSource::parse(&args.market)?;
    let tape = source.load()?;
    if let Some(path) = &args.save_tape {
        std::fs::write(path, tape.to_json()).map_err(|source| MarketError::Io {
            path: path.clone(),
            source,
        })?;
    }
    let rebalance = match (args.recenter_after, args.recenter_width) {
        (Some(after_minutes_out), Some(width_ticks)) => Rebalance::Recenter {
            after_minutes_out,
            width_ticks,
        },
        _ => Rebalance::None,
    };
    let plan = PositionPlan {
        pool: args.pool,
        tick_lower: args.tick_lower,
        tick_upper: args.tick_upper,
        capital: Capital::Quote {
            amount: args.capital,
        },
        open_ts: args.open_ts,
        close_ts: args.close_ts,
        rebalance,
        gas_cost_quote_per_tx: args.gas_cost_quote,
        swap_cost_bps: args.swap_cost_bps,
    };
    let r = market::run(&tape, &plan)?;
    let elapsed_ms = r.elapsed.as_secs_f64() * 1000.0;
    if args.json {
        let out = serde_json::json!({ "report": r, "elapsed_ms": elapsed_ms });
        println!("{out}");
        return Ok(());
    }
    let q = &tape.pair.token1;
    let pair = &tape.pair;
    println!(
        "market      {} ({}/{}), {} minutes, {} steps",
        args.market,
        pair.token0,
        pair.token1,
        tape.minutes(),
        tape.steps.len()
    );
    println!(
        "position    pool {} (fee {}), ticks [{}, {}), capital {:.2} {q}",
        r.pool, r.fee, args.tick_lower, args.tick_upper, r.capital_quote
    );
    println!("price       {:.6} -> {:.6}", r.start_price, r.end_price);
    println!(
        "fees        {:.6} {} + {:.6} {q} = {:.2} {q}",
        pair.base_units(r.fees0 as f64),
        pair.token0,
        pair.quote_units(r.fees1 as f64),
        r.fees_quote
    );
    println!(
        "final value {:.2} {q}   (pnl {:+.2})",
        r.final_value_quote, r.pnl_quote
    );
    println!("hodl value  {:.2} {q}", r.hodl_value_quote);
    println!(
        "imp. loss   {:.2} {q} ({:.3}%)",
        r.impermanent_loss.absolute, r.impermanent_loss.pct
    );
    println!(
        "costs       gas {:.2} {q} ({} tx), swaps {:.2} {q}",
        r.gas_cost_quote, r.transactions, r.swap_cost_quote
    );
    println!(
        "in range    {:.1}% ({} of {} minutes), {} rebalances",
        r.time_in_range * 100.0,
        r.minutes_in_range,
        r.minutes_open,
        r.rebalances
    );
    println!(
        "replayed    {} swaps ({} steps) in {:.1} ms",
        r.swaps_replayed, r.steps_replayed, elapsed_ms
    );
    Ok(())
}
