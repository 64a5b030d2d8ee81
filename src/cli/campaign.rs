//! `tracka campaign`: runs episodes (mock, or real through Gateway behind the safety
//! gates) with the runbook's environment interface and leaves the runbook's artifact
//! files under `<data-dir>/runs/<run_id>/`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::exit;
use crate::campaign::clock::{Clock, FixedClock, SystemClock};
use crate::campaign::config::{CampaignFlags, CampaignSettings, ProcessEnv};
use crate::campaign::episode_market::EpisodeMarket;
use crate::campaign::real_episode::RealOptions;
use crate::campaign::runner::{self, CampaignOptions, Console};
use crate::campaign::CampaignError;
use crate::exec::real::RISK_ACK_ENV;
use crate::market::MarketRegime;

/// Arguments of `tracka campaign`. Flags override the environment variables named in
/// brackets; see SPEC.md ("Campaign").
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// Top-level environment: mock or real [env: HB_ENV, default mock].
    #[arg(long, value_name = "MODE")]
    pub hb_env: Option<String>,
    /// Force mock execution regardless of HB_ENV: true or false [env: MOCK_CLMM].
    #[arg(long, value_name = "BOOL")]
    pub mock_clmm: Option<String>,
    /// Execution mode. Derived (MOCK_CLMM=true → mock, else HB_ENV); if given it must
    /// agree with the derivation [env: EXEC_MODE].
    #[arg(long, value_name = "MODE")]
    pub exec_mode: Option<String>,
    /// Let mock episodes update the learning state: true or false
    /// [env: LEARN_FROM_MOCK, default false].
    #[arg(long, value_name = "BOOL")]
    pub learn_from_mock: Option<String>,
    /// Where intel comes from: mock or dune (the cache the scheduler fills)
    /// [env: INTEL_DATA_SOURCE, default mock].
    #[arg(long, value_name = "SOURCE")]
    pub intel_data_source: Option<String>,
    /// Seed of the run's markets and random draws [env: HB_SEED; default: from the clock,
    /// printed and recorded].
    #[arg(long, value_name = "N")]
    pub seed: Option<String>,
    /// Number of episodes [env: EPISODES, default 1].
    #[arg(long, value_name = "N")]
    pub episodes: Option<String>,
    /// Data directory holding the ledger, intel cache and runs [env: TRACKA_DATA_DIR,
    /// default ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Read the clock as this fixed RFC 3339 time (reproducible ids and timestamps).
    #[arg(long, value_name = "RFC3339")]
    pub fixed_clock: Option<String>,
    /// Policy: learner, learner-greedy, passive, fixed:<half_ticks>,
    /// tau-reset:<half_ticks>:<minutes> (see SPEC.md, "Agent").
    #[arg(long, default_value = "learner")]
    pub policy: String,
    /// Market regime of the generated episode markets: calm, volatile, trending, mixed.
    #[arg(long, default_value = "mixed")]
    pub regime: String,
    /// Minutes of market history before the position opens.
    #[arg(long, default_value_t = 240)]
    pub warmup_minutes: u32,
    /// Minutes the position is held.
    #[arg(long, default_value_t = 1440)]
    pub hold_minutes: u32,
    /// Capital budget of a position, in quote units (USDC).
    #[arg(long, default_value_t = 10_000.0)]
    pub capital: f64,
    /// Gas of one transaction in mock mode, in quote units.
    #[arg(long, default_value_t = 2.0)]
    pub gas_cost_quote: f64,
    /// Cost of the wallet's own swaps in mock mode, basis points of the amount sold.
    #[arg(long, default_value_t = 5.0)]
    pub swap_cost_bps: f64,
    /// Real mode: skip learning when intel fresh_pct is below this.
    #[arg(long, default_value_t = 50.0)]
    pub min_fresh_pct: f64,
    /// Print the campaign summary as JSON on stdout (the runbook lines go to stderr).
    #[arg(long)]
    pub json: bool,

    /// Real mode: network of the networks file (mainnet, arbitrum, optimism, polygon,
    /// base, local), sent to Gateway as `network`.
    #[arg(long, env = "TRACKA_NETWORK", help_heading = "Real mode")]
    pub network: Option<String>,
    /// Real mode: networks file replacing the built-in data/networks.json.
    #[arg(long, env = "TRACKA_NETWORKS", help_heading = "Real mode")]
    pub networks: Option<PathBuf>,
    /// Real mode: JSON-RPC URL of a node of the network, for the pool validator (never
    /// printed or recorded).
    #[arg(
        long,
        env = "ETH_RPC_URL",
        hide_env_values = true,
        help_heading = "Real mode"
    )]
    pub rpc_url: Option<String>,
    /// Real mode: Hummingbot Gateway's base URL (never recorded).
    #[arg(
        long,
        env = "GATEWAY_URL",
        default_value = "http://localhost:15888",
        hide_env_values = true,
        help_heading = "Real mode"
    )]
    pub gateway_url: String,
    /// Real mode: wallet address Gateway acts for (Gateway's first wallet when absent).
    #[arg(long, env = "GATEWAY_WALLET", help_heading = "Real mode")]
    pub wallet: Option<String>,
    /// Real mode (required): the most capital one position may use, in quote units;
    /// --capital must not exceed it and every proposal is checked against it.
    #[arg(long, value_name = "AMOUNT", help_heading = "Real mode")]
    pub max_capital: Option<f64>,
    /// Real mode: only ask Gateway for a quote; never open a position.
    #[arg(long, help_heading = "Real mode")]
    pub dry_run: bool,
    /// Real mode: hold an opened position this many seconds (instead of --hold-minutes).
    #[arg(long, value_name = "N", help_heading = "Real mode")]
    pub hold_seconds: Option<u64>,
    /// Real mode: seconds between position-info polls while holding.
    #[arg(
        long,
        default_value_t = 60,
        value_name = "N",
        help_heading = "Real mode"
    )]
    pub poll_seconds: u64,
    /// Real mode: restrict the candidate pools to this address (repeatable; default: every
    /// known pool of the pair on the network).
    #[arg(long = "pool", value_name = "ADDR", help_heading = "Real mode")]
    pub pools: Vec<String>,
    /// Real mode: timeout of each Gateway and JSON-RPC request, in seconds.
    #[arg(
        long,
        default_value_t = 30,
        value_name = "N",
        help_heading = "Real mode"
    )]
    pub timeout_secs: u64,
}

struct TermConsole {
    to_stderr: bool,
    bar: Option<ProgressBar>,
}

impl Console for TermConsole {
    fn line(&mut self, text: &str) {
        let per_episode = text.starts_with("EPISODE_ID")
            || text.starts_with("✅ Episode")
            || text.starts_with("Episode ended");
        if let Some(bar) = &self.bar {
            if !per_episode {
                bar.println(text);
            }
        } else if self.to_stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }

    fn progress(&mut self, done: u64, _total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: CampaignArgs) -> anyhow::Result<i32> {
    let flags = CampaignFlags {
        hb_env: args.hb_env.clone(),
        mock_clmm: args.mock_clmm.clone(),
        exec_mode: args.exec_mode.clone(),
        learn_from_mock: args.learn_from_mock.clone(),
        intel_data_source: args.intel_data_source.clone(),
        seed: args.seed.clone(),
        episodes: args.episodes.clone(),
        data_dir: args.data_dir.clone(),
        fixed_clock: args.fixed_clock.clone(),
    };
    let settings = match CampaignSettings::resolve(&flags, &ProcessEnv) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let regime = match args.regime.parse::<MarketRegime>() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: --regime: {e}");
            return Ok(exit::USAGE);
        }
    };
    let mut opts = CampaignOptions::new(settings);
    opts.policy = args.policy.clone();
    opts.market = EpisodeMarket {
        regime,
        warmup_minutes: args.warmup_minutes,
        hold_minutes: args.hold_minutes,
    };
    opts.budget_quote = args.capital;
    opts.costs.gas_cost_quote_per_tx = args.gas_cost_quote;
    opts.costs.swap_cost_bps = args.swap_cost_bps;
    opts.min_fresh_pct = args.min_fresh_pct;
    opts.real = RealOptions {
        risk_acknowledgement: std::env::var(RISK_ACK_ENV).ok(),
        network: args.network.clone(),
        networks_file: args.networks.clone(),
        rpc_url: args.rpc_url.clone(),
        gateway_url: args.gateway_url.clone(),
        wallet: args.wallet.clone(),
        max_capital: args.max_capital,
        dry_run: args.dry_run,
        hold_seconds: args
            .hold_seconds
            .unwrap_or(u64::from(args.hold_minutes) * 60),
        poll_seconds: args.poll_seconds,
        pools: args.pools.clone(),
        timeout_secs: args.timeout_secs,
    };
    for (flag, v) in [
        ("--gas-cost-quote", args.gas_cost_quote),
        ("--swap-cost-bps", args.swap_cost_bps),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            eprintln!("error: {flag} {v}: must be a finite number >= 0");
            return Ok(exit::USAGE);
        }
    }

    let clock: Box<dyn Clock> = match opts.settings.fixed_clock {
        Some(t) => Box::new(FixedClock(t)),
        None => Box::new(SystemClock),
    };
    let episodes = u64::from(opts.settings.episodes);
    let bar = (std::io::stderr().is_terminal() && episodes > 1 && !args.json).then(|| {
        let bar = ProgressBar::new(episodes);
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} episodes [{elapsed_precise} < {eta_precise}] {per_sec}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let mut console = TermConsole {
        to_stderr: args.json,
        bar,
    };
    let result = runner::run(&opts, clock.as_ref(), &mut console);
    if let Some(bar) = &console.bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("HB_SEED: {}", report.seed);
            }
            Ok(if report.failed == 0 {
                exit::OK
            } else {
                exit::FAILED
            })
        }
        Err(CampaignError::Usage(msg)) => {
            eprintln!("error: {msg}");
            Ok(exit::USAGE)
        }
        Err(CampaignError::Ledger(e @ crate::ledger::LedgerError::InUse { .. })) => {
            eprintln!("error: {e}");
            Ok(exit::USAGE)
        }
        Err(e) => Err(e.into()),
    }
}
