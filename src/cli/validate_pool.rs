//! `tracka validate-pool`: runs the real-mode pool validator against a JSON-RPC node,
//! either for a pool given on the command line or for the pool of an episode's
//! proposal (the runbook form). In mock mode validation is skipped, as the runbook says.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Deserialize;
use serde_json::json;

use crate::cli::exit;
use crate::exec::gate::{ExecMode, RealModeGate};
use crate::exec::networks::Networks;
use crate::exec::pool_validator::{validate_pool, PoolExpectation, ValidationReport};
use crate::exec::rpc::RpcClient;

/// Arguments of `validate-pool`.
#[derive(Debug, Args)]
pub struct ValidatePoolArgs {
    /// Pool address to validate (0x + 40 hex digits; mixed case must be EIP-55).
    #[arg(long, conflicts_with = "proposal_path")]
    pub pool: Option<String>,
    /// Network name from the networks file (mainnet, arbitrum, optimism, polygon, base,
    /// local). Required with --pool; overrides the proposal's `network`.
    #[arg(long)]
    pub network: Option<String>,
    /// Read pool_address, network, fee, token0, token1 (and tick_spacing) from this
    /// proposal.json instead of --pool.
    #[arg(long)]
    pub proposal_path: Option<PathBuf>,
    /// Run id (echoed in the output; the runbook form).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Episode id (echoed in the output; the runbook form).
    #[arg(long)]
    pub episode_id: Option<String>,
    /// Execution mode: validation runs only in `real`; `mock` prints that it is skipped.
    /// When neither the flag nor EXEC_MODE is set, HB_ENV/MOCK_CLMM decide as in the
    /// runbook if either is set; otherwise `real`.
    #[arg(long, env = "EXEC_MODE")]
    pub exec_mode: Option<String>,
    /// JSON-RPC URL of an Ethereum node for the network (never printed: it may hold a key).
    #[arg(long, env = "ETH_RPC_URL", hide_env_values = true)]
    pub rpc_url: Option<String>,
    /// Networks file replacing the built-in data/networks.json.
    #[arg(long, env = "TRACKA_NETWORKS")]
    pub networks: Option<PathBuf>,
    /// Expected token0 (with --pool).
    #[arg(long, requires = "pool")]
    pub token0: Option<String>,
    /// Expected token1 (with --pool).
    #[arg(long, requires = "pool")]
    pub token1: Option<String>,
    /// Expected fee in hundredths of a basis point, e.g. 500 for 0.05% (with --pool).
    #[arg(long, requires = "pool")]
    pub fee: Option<u32>,
    /// Expected tick spacing (with --pool).
    #[arg(long, requires = "pool")]
    pub tick_spacing: Option<i32>,
    /// Timeout of each JSON-RPC request, in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// Print the report as JSON (stable check names) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The fields of proposal.json that the validator reads; all others are ignored.
#[derive(Debug, Deserialize)]
pub struct ProposalPoolFields {
    /// Pool address.
    pub pool_address: String,
    /// Network name.
    #[serde(default)]
    pub network: Option<String>,
    /// Fee tier.
    #[serde(default)]
    pub fee: Option<u32>,
    /// token0 address.
    #[serde(default)]
    pub token0: Option<String>,
    /// token1 address.
    #[serde(default)]
    pub token1: Option<String>,
    /// Tick spacing.
    #[serde(default)]
    pub tick_spacing: Option<i32>,
}

/// Reads the pool fields of a proposal.json.
pub fn read_proposal(path: &Path) -> Result<ProposalPoolFields, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read proposal {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "proposal {} is not usable at line {}, column {}: {e} (needs at least \"pool_address\")",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn usage(msg: impl std::fmt::Display) -> anyhow::Result<i32> {
    eprintln!("error: {msg}");
    Ok(exit::USAGE)
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: ValidatePoolArgs) -> anyhow::Result<i32> {
    let mode = match args.exec_mode.as_deref() {
        Some(value) => match ExecMode::parse_from(value, "--exec-mode/EXEC_MODE") {
            Ok(m) => m,
            Err(e) => return usage(e),
        },
        None => {
            let hb_env = std::env::var("HB_ENV").ok();
            let mock_clmm = std::env::var("MOCK_CLMM").ok();
            if hb_env.is_some() || mock_clmm.is_some() {
                ExecMode::derive(hb_env.as_deref(), mock_clmm.as_deref())
            } else {
                ExecMode::Real
            }
        }
    };
    let (expectation, network_name) = match (&args.pool, &args.proposal_path) {
        (Some(pool), None) => (
            PoolExpectation {
                address: pool.clone(),
                token0: args.token0.clone(),
                token1: args.token1.clone(),
                fee: args.fee,
                tick_spacing: args.tick_spacing,
            },
            args.network.clone(),
        ),
        (None, Some(path)) => match read_proposal(path) {
            Ok(p) => (
                PoolExpectation {
                    address: p.pool_address,
                    token0: p.token0,
                    token1: p.token1,
                    fee: p.fee,
                    tick_spacing: p.tick_spacing,
                },
                args.network.clone().or(p.network),
            ),
            Err(e) => return usage(e),
        },
        _ => return usage("give either --pool ADDR or --proposal-path FILE"),
    };

    if mode == ExecMode::Mock {
        let reason = "exec mode is mock: pool validation runs only in real mode";
        if args.json {
            let out = json!({
                "skipped": true, "reason": reason, "exec_mode": "mock",
                "pool": expectation.address, "run_id": args.run_id, "episode_id": args.episode_id,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            println!("pool validation skipped ({reason})");
        }
        return Ok(exit::OK);
    }

    let Some(network_name) = network_name else {
        return usage("no network: give --network or put \"network\" in the proposal");
    };
    let networks = match Networks::load(args.networks.as_deref()) {
        Ok(n) => n,
        Err(e) => return usage(e),
    };
    let network = match networks.get(&network_name) {
        Ok(n) => n.clone(),
        Err(e) => return usage(e),
    };
    let Some(rpc_url) = args.rpc_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return usage("no JSON-RPC URL: give --rpc-url or set ETH_RPC_URL");
    };
    let gate = match RealModeGate::open(mode) {
        Ok(g) => g,
        Err(e) => return usage(e),
    };
    let rpc = match RpcClient::new(
        &gate,
        rpc_url,
        Duration::from_secs(args.timeout_secs.max(1)),
    ) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(validate_pool(&rpc, &network, &expectation));

    if args.json {
        let mut out = serde_json::to_value(&report)?;
        if let Some(map) = out.as_object_mut() {
            map.insert("run_id".into(), json!(args.run_id));
            map.insert("episode_id".into(), json!(args.episode_id));
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&report);
    }
    Ok(if report.passed {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn print_text(report: &ValidationReport) {
    println!(
        "pool {} on {} (chain {}) via {}",
        report.pool, report.network, report.chain_id, report.rpc_endpoint
    );
    for c in &report.checks {
        println!(
            "  [{}] {:<16} {}",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    if report.passed {
        println!("validation PASSED");
    } else {
        println!("validation FAILED: {}", report.failed().join(", "));
    }
}
