//! `tracka trigger`: asks the scheduler to refresh a pool's P0/P1 queries at once, by
//! appending a request to `<data>/dune_triggers.jsonl` (the same line
//! `MarketIntelligence::trigger_refresh` writes).

use std::path::PathBuf;

use clap::Args;

use crate::cli::exit;
use crate::intel::snapshot::trigger_refresh;
use crate::intel::{PoolAddress, TriggerLog};

/// Queue an immediate refresh of a pool's P0/P1 intel queries.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// Why (e.g. out_of_range, regime_change); recorded in the request.
    #[arg(long)]
    pub reason: String,
    /// The pool address (0x + 40 hex digits, any case).
    #[arg(long, value_name = "ADDR")]
    pub pool: String,
    /// Data directory holding dune_triggers.jsonl.
    #[arg(long, env = "TRACKA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Print the request as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `tracka trigger`.
pub fn run(args: TriggerArgs) -> anyhow::Result<i32> {
    let pool = match PoolAddress::parse(&args.pool) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --pool: {e}");
            return Ok(exit::USAGE);
        }
    };
    let log = TriggerLog::open(&args.data_dir);
    let now = chrono::Utc::now();
    match trigger_refresh(&log, &args.reason, Some(&pool), now) {
        Ok(()) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"queued": true, "reason": args.reason, "pool": pool, "file": log.path()})
                );
            } else {
                println!(
                    "queued refresh of {pool} ({}) in {}",
                    args.reason,
                    log.path().display()
                );
            }
            Ok(exit::OK)
        }
        Err(e @ crate::intel::triggers::TriggerError::BadReason(_)) => {
            eprintln!("error: --reason: {e}");
            Ok(exit::USAGE)
        }
        Err(e) => Err(e.into()),
    }
}
