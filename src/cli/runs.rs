//! `tracka runs`: lists runs with their outcome, or one run's episodes.

use std::path::PathBuf;

use clap::Args;

use super::common::{exit_for, open_for};
use super::exit;
use crate::campaign::runs::{list_episodes, list_runs};

/// Arguments of `tracka runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// List this run's episodes instead of the runs.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Data directory [env: TRACKA_DATA_DIR, default ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: RunsArgs) -> anyhow::Result<i32> {
    let (_, ledger) = match open_for(args.data_dir, args.run.as_deref()) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    match &args.run {
        Some(id) => {
            let eps = match list_episodes(&ledger, id) {
                Ok(e) => e,
                Err(e) => return exit_for(e),
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&eps)?);
            } else {
                for e in &eps {
                    let detail = match (&e.reward_bps, &e.error) {
                        (Some(r), _) => format!("reward {r:.2} bps"),
                        (None, Some(err)) => err.clone(),
                        (None, None) => String::new(),
                    };
                    println!("{}  {:<8} {detail}", e.episode_id, e.outcome);
                }
            }
        }
        None => {
            let runs = list_runs(&ledger)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else if runs.is_empty() {
                println!("no runs");
            } else {
                for r in &runs {
                    println!(
                        "{}  {}  {:<11} {} episodes (ok {}, failed {}, aborted {})  {} seed={} policy={}",
                        r.run_id,
                        r.started_at,
                        r.status,
                        r.episodes,
                        r.ok,
                        r.failed,
                        r.aborted,
                        r.exec_mode,
                        r.seed,
                        r.policy
                    );
                }
            }
        }
    }
    Ok(exit::OK)
}
