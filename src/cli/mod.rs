//! Command-line interface: clap definitions (with environment fallbacks) and one file
//! per subcommand, each exposing `run()`.

use clap::{Parser, Subcommand};

pub mod sim;

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
    /// Print the version and build information.
    Version,
    /// Replay a pool tape through the exact Uniswap V3 engine and print every result.
    Sim(sim::SimArgs),
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Version => {
            println!("tracka {}", env!("CARGO_PKG_VERSION"));
            Ok(exit::OK)
        }
        Command::Sim(args) => sim::run(&args),
    }
}
