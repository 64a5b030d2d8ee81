//! `tracka intel status` (each cache entry with its quality and age, and the hygiene)
//! and `tracka intel snapshot` (what an episode would record in `metadata.json`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use std::io::Write;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::exit;
use crate::intel::pools::{load_pools, load_registry};
use crate::intel::{
    CacheStore, Hygiene, IntelInputs, MarketIntelligence, PoolAddress, Priority, Quality, Registry,
};

/// Inspect the market-intelligence cache.
#[derive(Debug, Args)]
pub struct IntelArgs {
    #[command(subcommand)]
    pub command: IntelCommand,
}

/// `tracka intel …` subcommands.
#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Show each cache entry (global queries and the pools') with quality and age.
    Status(StatusArgs),
    /// Take the episode-side snapshot for one pool (files refresh requests for entries
    /// that are not fresh) and print extra.intel_snapshot / intel_inputs / intel_hygiene.
    Snapshot(SnapshotArgs),
}

/// Where the registry and cache are.
#[derive(Debug, Args)]
pub struct Common {
    /// Data directory (cache in <DIR>/intel/).
    #[arg(long, env = "TRACKA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Query registry (default: <data-dir>/intel_queries.json, else the built-in one).
    #[arg(long, env = "TRACKA_INTEL_REGISTRY")]
    pub registry: Option<PathBuf>,
}

/// `tracka intel status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: Common,
    /// Pools list (default: <data-dir>/pools.json, else the built-in one).
    #[arg(long, env = "TRACKA_INTEL_POOLS")]
    pub pools_file: Option<PathBuf>,
    /// Show only these pools (repeatable) instead of the pools list.
    #[arg(long = "pool", value_name = "ADDR")]
    pub pools: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `tracka intel snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub common: Common,
    /// The pool the episode trades.
    #[arg(long, value_name = "ADDR")]
    pub pool: String,
    /// The pair, e.g. USDC-WETH.
    #[arg(long, default_value = "")]
    pub pair: String,
    /// Lookback the agent uses, hours.
    #[arg(long, default_value_t = 1)]
    pub lookback_hours: u32,
}

#[derive(Serialize)]
struct StatusRow {
    quality: Quality,
    age_s: Option<i64>,
    asof: Option<String>,
    content_hash: Option<String>,
    priority: Priority,
    query_id: u64,
    ttl_s: u64,
    max_age_s: u64,
    /// Why an entry present on disk reads as missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Prints a line to stdout; a closed pipe (e.g. `| head`) is not an error.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Runs `tracka intel …`.
pub fn run(args: IntelArgs) -> anyhow::Result<i32> {
    match args.command {
        IntelCommand::Status(a) => status(a),
        IntelCommand::Snapshot(a) => snapshot(a),
    }
}

fn registry(common: &Common) -> Result<Registry, i32> {
    load_registry(common.registry.as_deref(), &common.data_dir).map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

fn status(args: StatusArgs) -> anyhow::Result<i32> {
    let reg = match registry(&args.common) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let pools: Vec<PoolAddress> = if args.pools.is_empty() {
        match load_pools(args.pools_file.as_deref(), &args.common.data_dir) {
            Ok(p) => p.into_iter().map(|i| i.address).collect(),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::USAGE);
            }
        }
    } else {
        let mut v = Vec::new();
        for t in &args.pools {
            match PoolAddress::parse(t) {
                Ok(p) => v.push(p),
                Err(e) => {
                    eprintln!("error: --pool: {e}");
                    return Ok(exit::USAGE);
                }
            }
        }
        v
    };
    let store = CacheStore::open(&args.common.data_dir);
    let now = chrono::Utc::now();
    let mut instances = reg.global_instances();
    for p in &pools {
        instances.extend(reg.pool_instances(p));
    }
    let mut rows: BTreeMap<String, StatusRow> = BTreeMap::new();
    for inst in instances {
        let (entry, error) = match store.try_read(&inst.key) {
            Ok(e) => (e, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let age_s = entry.as_ref().map(|e| e.age_s(now));
        rows.insert(
            inst.key.clone(),
            StatusRow {
                quality: Quality::classify(age_s, inst.spec.ttl_s, inst.spec.max_age_s),
                age_s,
                asof: entry.as_ref().map(|e| {
                    e.fetched_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                }),
                content_hash: entry.map(|e| e.rows_hash),
                priority: inst.spec.priority,
                query_id: inst.spec.query_id,
                ttl_s: inst.spec.ttl_s,
                max_age_s: inst.spec.max_age_s,
                error,
            },
        );
    }
    let hygiene = Hygiene::from_qualities(rows.values().map(|r| r.quality));
    if args.json {
        let doc = serde_json::json!({
            "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "entries": rows,
            "intel_hygiene": hygiene,
        });
        out!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        out!(
            "{:<64} {:<3} {:<8} {:>8}  asof",
            "key",
            "pri",
            "quality",
            "age_s"
        );
        for (key, r) in &rows {
            out!(
                "{key:<64} {:<3} {:<8} {:>8}  {}{}",
                format!("{:?}", r.priority),
                r.quality.as_str(),
                r.age_s.map_or("-".to_string(), |a| a.to_string()),
                r.asof.as_deref().unwrap_or("-"),
                r.error
                    .as_deref()
                    .map(|e| format!("  ({e})"))
                    .unwrap_or_default()
            );
        }
        out!(
            "total {}  fresh {}  stale {}  missing_or_too_old {}  fresh_pct {:.1}",
            hygiene.total_queries,
            hygiene.fresh,
            hygiene.stale,
            hygiene.missing_or_too_old,
            hygiene.fresh_pct
        );
    }
    Ok(exit::OK)
}

fn snapshot(args: SnapshotArgs) -> anyhow::Result<i32> {
    let reg = match registry(&args.common) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let pool = match PoolAddress::parse(&args.pool) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --pool: {e}");
            return Ok(exit::USAGE);
        }
    };
    let mi = MarketIntelligence::new(&args.common.data_dir, Arc::new(reg));
    let snap = mi.snapshot(
        &IntelInputs {
            pool_address: pool,
            pair: args.pair,
            lookback_hours: args.lookback_hours,
        },
        chrono::Utc::now(),
    );
    let mut extra = snap.to_extra();
    if let Some(obj) = extra.as_object_mut() {
        obj.insert("content_hash".into(), snap.content_hash().into());
    }
    out!("{}", serde_json::to_string_pretty(&extra)?);
    Ok(exit::OK)
}
