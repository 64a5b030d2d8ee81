//! `tracka scheduler`: refreshes the intel cache from Dune (or the mock source) once or
//! as a daemon; stops cleanly on SIGINT / SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::cli::exit;
use crate::intel::dune::{ApiKey, DuneClient, DuneConfig};
use crate::intel::pools::{load_pools, load_registry};
use crate::intel::scheduler::{Scheduler, SchedulerConfig, Shutdown, SystemClock};
use crate::intel::source::{DuneSource, MockSource, RefreshSource};
use crate::intel::PoolAddress;

/// Where fresh rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// The Dune API (needs DUNE_API_KEY).
    Dune,
    /// Deterministic synthetic rows, no network.
    Mock,
}

/// Refresh the market-intelligence cache.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Run a single tick and exit (exit 1 if any refresh failed).
    #[arg(long)]
    pub once: bool,
    /// Seconds between the starts of two ticks (daemon mode).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
    /// Refreshes in flight at most.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,
    /// Pools whose per-pool queries are refreshed in one tick, at most.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub pool_cap: u64,
    /// Log level: TRACE, DEBUG, INFO, WARN(ING) or ERROR (logs go to stderr).
    #[arg(long, default_value = "INFO", value_parser = parse_level)]
    pub log_level: tracing::Level,
    /// Data directory (cache in <DIR>/intel/, triggers in <DIR>/dune_triggers.jsonl).
    #[arg(long, env = "TRACKA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Data source.
    #[arg(long, env = "INTEL_DATA_SOURCE", value_enum, default_value_t = SourceKind::Dune)]
    pub source: SourceKind,
    /// Seed of the mock source.
    #[arg(long, env = "HB_SEED", default_value_t = 12345)]
    pub seed: u64,
    /// Query registry (default: <data-dir>/intel_queries.json, else the built-in one).
    #[arg(long, env = "TRACKA_INTEL_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// Pools list (default: <data-dir>/pools.json, else the built-in one).
    #[arg(long, env = "TRACKA_INTEL_POOLS")]
    pub pools_file: Option<PathBuf>,
    /// Extra pool to keep warm (repeatable); added after the pools list.
    #[arg(long = "pool", value_name = "ADDR")]
    pub pools: Vec<String>,
    /// Timeout of each Dune HTTP request, seconds.
    #[arg(long, env = "DUNE_REQUEST_TIMEOUT_S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Status polling period of a Dune execution, milliseconds.
    #[arg(long, env = "DUNE_POLL_INTERVAL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_interval_ms: u64,
    /// Longest wait for one Dune execution before it is cancelled, seconds.
    #[arg(long, env = "DUNE_MAX_WAIT_S", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_wait: u64,
}

/// Parses a log level name, case-insensitively.
pub fn parse_level(s: &str) -> Result<tracing::Level, String> {
    match s.to_ascii_uppercase().as_str() {
        "TRACE" => Ok(tracing::Level::TRACE),
        "DEBUG" => Ok(tracing::Level::DEBUG),
        "INFO" => Ok(tracing::Level::INFO),
        "WARN" | "WARNING" => Ok(tracing::Level::WARN),
        "ERROR" | "CRITICAL" => Ok(tracing::Level::ERROR),
        _ => Err(format!(
            "unknown log level {s:?} (TRACE, DEBUG, INFO, WARN, ERROR)"
        )),
    }
}

/// Installs a stderr logger at `level` (no-op when one is installed already).
pub fn init_logging(level: tracing::Level) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Runs `tracka scheduler`.
pub fn run(args: SchedulerArgs) -> anyhow::Result<i32> {
    init_logging(args.log_level);
    let registry = match load_registry(args.registry.as_deref(), &args.data_dir) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let mut pools: Vec<PoolAddress> = match load_pools(args.pools_file.as_deref(), &args.data_dir) {
        Ok(p) => p.into_iter().map(|i| i.address).collect(),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    for text in &args.pools {
        match PoolAddress::parse(text) {
            Ok(p) if !pools.contains(&p) => pools.push(p),
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: --pool: {e}");
                return Ok(exit::USAGE);
            }
        }
    }
    let config = SchedulerConfig {
        interval: Duration::from_secs(args.interval),
        workers: usize::try_from(args.workers).unwrap_or(1),
        pool_cap: usize::try_from(args.pool_cap).unwrap_or(1),
        pools,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match args.source {
        SourceKind::Mock => {
            tracing::warn!("[MarketIntel] using MOCK data (INTEL_DATA_SOURCE=mock)");
            let source = MockSource::new(args.seed);
            rt.block_on(drive(&args, registry, source, config))
        }
        SourceKind::Dune => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let Some(key) = ApiKey::from_env_or_dotenv(&cwd) else {
                eprintln!("error: Dune API key missing: set DUNE_API_KEY (environment or .env), or use --source mock");
                return Ok(exit::USAGE);
            };
            let mut dcfg = DuneConfig::from_env();
            dcfg.request_timeout = Duration::from_secs(args.request_timeout);
            dcfg.poll_interval = Duration::from_millis(args.poll_interval_ms);
            dcfg.max_wait = Duration::from_secs(args.max_wait);
            let client = match DuneClient::new(dcfg, key) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(exit::USAGE);
                }
            };
            rt.block_on(drive(&args, registry, DuneSource::new(client), config))
        }
    }
}

async fn drive<S: RefreshSource>(
    args: &SchedulerArgs,
    registry: Arc<crate::intel::Registry>,
    source: S,
    config: SchedulerConfig,
) -> anyhow::Result<i32> {
    let scheduler = match Scheduler::new(
        &args.data_dir,
        registry,
        source,
        config,
        Arc::new(SystemClock),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let shutdown = Arc::new(Shutdown::new());
    let on_signal = Arc::clone(&shutdown);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        on_signal.trigger();
    });
    if args.once {
        let report = scheduler.tick(&shutdown).await?;
        println!(
            "refreshed {}, failed {}, pools {}, triggers handled {}{}",
            report.refreshed.len(),
            report.failed.len(),
            report.pools.len(),
            report.triggers_consumed,
            if report.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        for (key, err) in &report.failed {
            eprintln!("refresh failed: {key}: {err}");
        }
        Ok(if report.failed.is_empty() && !report.interrupted {
            exit::OK
        } else {
            exit::FAILED
        })
    } else {
        let report = scheduler.run(&shutdown).await;
        println!(
            "stopped after {} ticks: refreshed {}, failed {}",
            report.ticks, report.refreshed, report.failed
        );
        Ok(exit::OK)
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
