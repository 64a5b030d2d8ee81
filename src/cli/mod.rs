//! Command-line interface: clap definitions (with environment fallbacks) and one file
//! per subcommand, each exposing `run()`.

use clap::{Parser, Subcommand};

pub mod audit;
pub mod backtest;
pub mod campaign;
pub mod common;
pub mod evaluate;
pub mod export;
pub mod intel;
pub mod replay;
pub mod runs;
pub mod scheduler;
pub mod sim;
pub mod trigger;
pub mod validate_pool;

/// Exit codes used by the binary.
pub mod exit {
    /// Everything verified / all episodes succeeded.
    pub const OK: i32 = 0;
    /// Verification failed or episodes failed.
    pub const FAILED: i32 = 1;
    /// Bad usage or bad input.
    pub const USAGE: i32 = 2;
}

/// Train and audit Uniswap V3 liquidity strategies.
#[derive(Debug, Parser)]
#[command(name = "tracka", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a training campaign (the runbook's start_training_campaign.sh).
    Campaign(Box<campaign::CampaignArgs>),
    /// List runs with their outcome, or one run's episodes (--run).
    Runs(runs::RunsArgs),
    /// Rebuild the learning state from the ledger and check it against the recorded one.
    Replay(replay::ReplayArgs),
    /// Verify every event hash, the chain, run roots and every file; list what differs.
    Audit(audit::AuditArgs),
    /// Regenerate a run's files from the ledger, byte for byte.
    Export(export::ExportArgs),
    /// Print the version and build information.
    Version,
    /// Refresh the market-intelligence cache from Dune (or the mock source).
    Scheduler(scheduler::SchedulerArgs),
    /// Inspect the market-intelligence cache.
    Intel(intel::IntelArgs),
    /// Queue an immediate refresh of a pool's P0/P1 intel queries.
    Trigger(trigger::TriggerArgs),
    /// Validate a pool over JSON-RPC (real mode's pool gate); exit 0 pass, 1 failed checks.
    ValidatePool(Box<validate_pool::ValidatePoolArgs>),
    /// Backtest one liquidity position on a market tape (synthetic or recorded).
    Backtest(backtest::BacktestArgs),
    /// Replay a pool tape through the exact Uniswap V3 engine and print every result.
    Sim(sim::SimArgs),
    /// Train the learner on generated markets and compare it with the baselines on
    /// held-out markets (mean reward, 95% intervals, paired differences, learning curve).
    Evaluate(evaluate::EvaluateArgs),
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Version => {
            println!("tracka {}", env!("CARGO_PKG_VERSION"));
            Ok(exit::OK)
        }
        Command::Scheduler(args) => scheduler::run(args),
        Command::Intel(args) => intel::run(args),
        Command::Trigger(args) => trigger::run(args),
        Command::ValidatePool(args) => validate_pool::run(*args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Campaign(args) => campaign::run(*args),
        Command::Runs(args) => runs::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Export(args) => export::run(args),
        Command::Sim(args) => sim::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
    }
}
