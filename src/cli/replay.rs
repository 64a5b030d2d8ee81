//! `tracka replay`: verifies the ledger, rebuilds the learning state and run summaries
//! from the events and checks them against what the campaign recorded.

use std::path::PathBuf;

use clap::Args;

use super::common::{exit_for, open_for};
use super::exit;
use crate::campaign::replay::verified_replay;

/// Arguments of `tracka replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Replay up to the end of this run and report on it (default: the whole ledger).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Data directory [env: TRACKA_DATA_DIR, default ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when replay matches the recorded history, 1 at the first divergence.
pub fn run(args: ReplayArgs) -> anyhow::Result<i32> {
    let (_, ledger) = match open_for(args.data_dir, args.run.as_deref()) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let out = match verified_replay(&ledger, args.run.as_deref()) {
        Ok(o) => o,
        Err(e) => return exit_for(e),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("events replayed: {}", out.events);
        println!("learning updates: {}", out.learning_updates);
        for r in &out.runs {
            println!(
                "{}: {} episodes (ok {}, failed {}, aborted {}), {} updates, {}",
                r.run_id, r.episodes, r.ok, r.failed, r.aborted, r.learning_updates, r.status
            );
        }
        println!("learning state hash: {}", out.learning_state_hash);
        if let Some(d) = &out.divergence {
            println!(
                "DIVERGENCE at seq {} ({} in {}{}): {}: recorded {} but replay gives {}",
                d.seq,
                d.kind,
                d.run_id,
                d.episode_id
                    .as_deref()
                    .map(|e| format!(" / {e}"))
                    .unwrap_or_default(),
                d.what,
                d.recorded,
                d.replayed
            );
        } else {
            println!("replay matches the recorded history");
        }
    }
    Ok(if out.divergence.is_none() {
        exit::OK
    } else {
        exit::FAILED
    })
}
