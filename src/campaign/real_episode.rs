//! Real-mode episodes: the same loop as mock mode (intel → proposal → execution →
//! learning gate → files), with the market read from Gateway instead of a generated tape
//! and the position opened on chain by [`crate::exec::real::RealExecutor`].
//!
//! Before anything leaves the machine, [`RealSession::open`] checks at campaign start:
//! `I_UNDERSTAND_LIVE_RISK=yes` exactly, a positive `--max-capital` at least `--capital`,
//! an RPC URL for the pool validator, the network and its known pools of the pair (from
//! the networks file). Nothing is written or sent when one fails (exit 2). Per episode:
//! Gateway health and pool-info of each candidate pool (reads) → the context (intel
//! features; no market history: there is no tape) and the proposal → the pool validator
//! on the proposal's pool over JSON-RPC (a failed check fails the episode, nothing is
//! sent) → quote, open, hold polling position-info, collect, close (or only the quote
//! with `--dry-run`). Every Gateway call is a `gateway.call` event appended the moment
//! its answer arrives, and a transaction's events are flushed before the next call, so
//! an interrupted episode still shows what was sent. A rebalance rule in the proposal is
//! recorded but not executed: the position is held for the hold time, then closed.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::config::ExecMode;
use super::records::*;
use super::runner::{self, learn, to_value, CampaignOptions, Console, RunWriter};
use super::CampaignError;
use crate::agent::action::{PoolAtOpen, PoolsAtOpen};
use crate::agent::context::{from_history, History, IntelFeatures, PoolActivity};
use crate::agent::gate::GateInput;
use crate::agent::policy::Policy;
use crate::agent::proposal::Proposal;
use crate::agent::rng;
use crate::agent::state::LearningState;
use crate::exec::gate::RealModeGate;
use crate::exec::gateway::{GatewayConfig, PoolInfo};
use crate::exec::gateway_price::gateway_price_to_tick;
use crate::exec::networks::{standard_tick_spacing, Network, Networks, Token};
use crate::exec::pool_validator::{validate_pool, PoolExpectation, ValidationReport};
use crate::exec::real::{
    same_address, CapitalToken, RealConfig, RealExecutor, RealOutcome, RealProposal, RealRecord,
    RealStatus, RISK_ACK_ENV, RISK_ACK_VALUE,
};
use crate::exec::real_reward::{real_pnl, Side, Valuation};
use crate::exec::rpc::RpcClient;
use crate::ledger::{EventKind, StoredEvent};

/// Real-mode settings of a campaign (flags and environment).
#[derive(Clone, Default)]
pub struct RealOptions {
    /// The value of `I_UNDERSTAND_LIVE_RISK` (must be exactly `yes`).
    pub risk_acknowledgement: Option<String>,
    /// Network name in the networks file (sent to Gateway as `network`).
    pub network: Option<String>,
    /// A networks file replacing the built-in one.
    pub networks_file: Option<std::path::PathBuf>,
    /// JSON-RPC URL for the pool validator (never recorded or printed: it may hold a key).
    pub rpc_url: Option<String>,
    /// Gateway's base URL (never recorded).
    pub gateway_url: String,
    /// Wallet Gateway acts for (Gateway's first wallet when absent).
    pub wallet: Option<String>,
    /// Largest capital of one position, in quote units. Required.
    pub max_capital: Option<f64>,
    /// Only quote, never open.
    pub dry_run: bool,
    /// Seconds to hold an opened position.
    pub hold_seconds: u64,
    /// Seconds between position-info polls while holding.
    pub poll_seconds: u64,
    /// Restrict the candidate pools to these addresses (all known pools of the pair
    /// when empty).
    pub pools: Vec<String>,
    /// Timeout of each Gateway and JSON-RPC request, in seconds.
    pub timeout_secs: u64,
}

impl fmt::Debug for RealOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may carry API keys: never printed
        f.debug_struct("RealOptions")
            .field("network", &self.network)
            .field("wallet", &self.wallet)
            .field("max_capital", &self.max_capital)
            .field("dry_run", &self.dry_run)
            .field("hold_seconds", &self.hold_seconds)
            .field("poll_seconds", &self.poll_seconds)
            .field("pools", &self.pools)
            .finish_non_exhaustive()
    }
}

/// A pool the agent may place the position in.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    address: String,
    token0: Token,
    token1: Token,
    fee: u32,
    tick_spacing: i32,
    valuation: Valuation,
}

impl Candidate {
    fn capital_token(&self) -> CapitalToken {
        match self.valuation.quote {
            Side::Token0 => CapitalToken::Token0,
            Side::Token1 => CapitalToken::Token1,
        }
    }
}

/// Everything real episodes need, opened once per campaign.
pub struct RealSession {
    rt: tokio::runtime::Runtime,
    executor: RealExecutor,
    rpc: RpcClient,
    network: Network,
    candidates: Vec<Candidate>,
    opts: RealOptions,
    max_capital: f64,
}

fn usage(msg: impl Into<String>) -> CampaignError {
    CampaignError::Usage(msg.into())
}

impl RealSession {
    /// Checks every precondition of real mode and builds the clients. Sends nothing
    /// and writes nothing; every refusal is a usage error naming the setting.
    pub fn open(opts: &CampaignOptions) -> Result<RealSession, CampaignError> {
        let r = &opts.real;
        let ack = r.risk_acknowledgement.as_deref();
        if ack != Some(RISK_ACK_VALUE) {
            return Err(usage(format!(
                "EXEC_MODE=real needs {RISK_ACK_ENV}={RISK_ACK_VALUE} exactly (found {}): \
                 real mode opens positions with real funds; nothing was sent or written",
                ack.map(|a| format!("{:?}", a.chars().take(40).collect::<String>()))
                    .unwrap_or_else(|| "it unset".into())
            )));
        }
        let max_capital = match r.max_capital {
            Some(m) if m.is_finite() && m > 0.0 => m,
            Some(m) => {
                return Err(usage(format!(
                    "--max-capital {m}: must be a positive amount of the quote token"
                )))
            }
            None => {
                return Err(usage(
                    "EXEC_MODE=real needs --max-capital (the most one position may use, \
                     in quote units); nothing was sent or written",
                ))
            }
        };
        if opts.budget_quote > max_capital {
            return Err(usage(format!(
                "--capital {} exceeds --max-capital {max_capital}: lower --capital or raise \
                 --max-capital; nothing was sent or written",
                opts.budget_quote
            )));
        }
        let Some(network_name) = r.network.as_deref() else {
            return Err(usage(
                "EXEC_MODE=real needs --network (or TRACKA_NETWORK): mainnet, arbitrum, \
                 optimism, polygon, base or local",
            ));
        };
        let networks = Networks::load(r.networks_file.as_deref())
            .map_err(|e| usage(format!("networks file: {e}")))?;
        let network = networks
            .get(network_name)
            .map_err(|e| usage(format!("--network: {e}")))?
            .clone();
        let Some(rpc_url) = r.rpc_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Err(usage(
                "EXEC_MODE=real needs --rpc-url (or ETH_RPC_URL): the pool validator checks \
                 every pool on chain before a position is opened",
            ));
        };
        if r.poll_seconds == 0 {
            return Err(usage("--poll-seconds 0: must be at least 1"));
        }
        let pair = opts.market.spec().pair;
        let candidates = candidates(&network, &pair.token0, &pair.token1, &r.pools)?;

        let gate = RealModeGate::open(ExecMode::Real.into())
            .map_err(|e| CampaignError::Internal(e.to_string()))?;
        let timeout = Duration::from_secs(r.timeout_secs.max(1));
        let mut gw = GatewayConfig::new(r.gateway_url.clone(), network.name.clone());
        gw.wallet_address = r.wallet.clone();
        gw.timeout = timeout;
        let config = RealConfig {
            risk_acknowledgement: r.risk_acknowledgement.clone(),
            max_capital,
            dry_run: r.dry_run,
            poll_interval: Duration::from_secs(r.poll_seconds),
        };
        let executor = RealExecutor::new(&gate, gw, config)
            .map_err(|e| usage(format!("--gateway-url/GATEWAY_URL: {e}")))?;
        let rpc = RpcClient::new(&gate, rpc_url, timeout)
            .map_err(|e| usage(format!("--rpc-url/ETH_RPC_URL: {e}")))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CampaignError::Internal(format!("tokio runtime: {e}")))?;
        Ok(RealSession {
            rt,
            executor,
            rpc,
            network,
            candidates,
            opts: r.clone(),
            max_capital,
        })
    }

    /// What run.started records of real mode (no URLs).
    pub fn describe(&self) -> Value {
        json!({
            "network": self.network.name,
            "chain_id": self.network.chain_id,
            "wallet": self.opts.wallet,
            "max_capital": self.max_capital,
            "dry_run": self.opts.dry_run,
            "hold_seconds": self.opts.hold_seconds,
            "poll_seconds": self.opts.poll_seconds,
            "pools": self.candidates.iter().map(|c| json!({
                "name": c.name, "address": c.address, "fee": c.fee,
            })).collect::<Vec<_>>(),
        })
    }

    /// The address intel is keyed by: the first candidate pool.
    pub fn primary_pool(&self) -> &str {
        self.candidates
            .first()
            .map(|c| c.address.as_str())
            .unwrap_or_default()
    }
}

/// The network's known pools of the pair (either token order), optionally restricted
/// to `only`.
fn candidates(
    network: &Network,
    base: &str,
    quote: &str,
    only: &[String],
) -> Result<Vec<Candidate>, CampaignError> {
    let mut out = Vec::new();
    for p in &network.pools {
        let is_pair =
            (p.token0 == base && p.token1 == quote) || (p.token0 == quote && p.token1 == base);
        let address = p.address.to_checksum(None);
        let wanted = only.is_empty() || only.iter().any(|a| same_address(a, &address));
        if !is_pair || !wanted {
            continue;
        }
        let (Some(t0), Some(t1)) = (network.tokens.get(&p.token0), network.tokens.get(&p.token1))
        else {
            continue;
        };
        let side_of = |symbol: &str| {
            if p.token0 == symbol {
                Some(Side::Token0)
            } else if p.token1 == symbol {
                Some(Side::Token1)
            } else {
                None
            }
        };
        let quote_side = side_of(quote).unwrap_or(Side::Token1);
        let gas = network.gas_token.as_deref().and_then(side_of);
        out.push(Candidate {
            name: p.name.clone(),
            address,
            token0: t0.clone(),
            token1: t1.clone(),
            fee: p.fee,
            tick_spacing: standard_tick_spacing(p.fee).unwrap_or(1),
            valuation: Valuation {
                quote: quote_side,
                gas,
            },
        });
    }
    for a in only {
        if !out.iter().any(|c| same_address(&c.address, a)) {
            return Err(usage(format!(
                "--pool {a}: not a known {base}/{quote} pool of network {} (add it to the \
                 networks file)",
                network.name
            )));
        }
    }
    if out.is_empty() {
        return Err(usage(format!(
            "network {} has no known {base}/{quote} pool in its networks file: add one \
             under \"pools\" (see SPEC.md, \"Real mode\")",
            network.name
        )));
    }
    Ok(out)
}

/// Appends Gateway records as events the moment they arrive (flushing transactions) and
/// echoes new campaign.log lines to the console.
struct CallSink<'w, 'a, 'c> {
    w: &'w mut RunWriter<'a>,
    console: &'c mut dyn Console,
    episode_id: String,
    events: Vec<StoredEvent>,
    error: Option<CampaignError>,
}

impl<'w, 'a, 'c> CallSink<'w, 'a, 'c> {
    fn new(w: &'w mut RunWriter<'a>, console: &'c mut dyn Console, episode_id: &str) -> Self {
        CallSink {
            w,
            console,
            episode_id: episode_id.to_string(),
            events: Vec::new(),
            error: None,
        }
    }

    fn record(&mut self, r: &RealRecord) {
        if self.error.is_some() {
            return;
        }
        let res = self
            .w
            .append(EventKind::GatewayCall, Some(&self.episode_id), r)
            .and_then(|ev| {
                self.events.push(ev);
                if r.pending || r.tx_signature.is_some() {
                    self.w.ledger.flush()?;
                }
                self.w.flush_log(self.console)
            });
        if let Err(e) = res {
            self.error = Some(e);
        }
    }

    fn finish(self) -> Result<Vec<StoredEvent>, CampaignError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.events),
        }
    }
}

/// The parts of one real episode the caller records.
struct Failure {
    stage: &'static str,
    error: String,
    chain: Vec<String>,
    position_left_open: Option<String>,
    operator_alert: Option<String>,
}

impl Failure {
    fn new(stage: &'static str, error: impl Into<String>) -> Failure {
        let error = error.into();
        Failure {
            stage,
            chain: vec![error.clone()],
            error,
            position_left_open: None,
            operator_alert: None,
        }
    }
}

/// Context and pools at the open from Gateway's pool-info answers.
fn pools_at_open(
    candidates: &[Candidate],
    infos: Vec<Result<PoolInfo, crate::exec::real::RealError>>,
    budget_quote: f64,
    min_size_fraction: f64,
) -> Result<(PoolsAtOpen, Vec<PoolActivity>), Failure> {
    let mut pools = Vec::new();
    let mut activity = Vec::new();
    let mut problems = Vec::new();
    for (index, (c, info)) in candidates.iter().zip(infos).enumerate() {
        let info = match info {
            Ok(i) => i,
            Err(e) => {
                problems.push(format!("{} ({}): {e}", c.name, c.address));
                continue;
            }
        };
        let base_ok = same_address(&info.base_token_address, &c.token0.address.to_string());
        let quote_ok = same_address(&info.quote_token_address, &c.token1.address.to_string());
        if !(base_ok && quote_ok) {
            problems.push(format!(
                "{} ({}): Gateway reports base {} / quote {}, the pool's token0/token1 are {} / {}",
                c.name,
                c.address,
                info.base_token_address,
                info.quote_token_address,
                c.token0.address,
                c.token1.address
            ));
            continue;
        }
        match gateway_price_to_tick(info.price, c.token0.decimals, c.token1.decimals, 1) {
            Ok(tick) => {
                pools.push(PoolAtOpen {
                    index,
                    fee: c.fee,
                    tick_spacing: c.tick_spacing,
                    tick,
                });
                activity.push(PoolActivity {
                    index,
                    fee: c.fee,
                    volume_quote: 0.0,
                    liquidity: 0.0,
                });
            }
            Err(e) => problems.push(format!("{} ({}): {e}", c.name, c.address)),
        }
    }
    if pools.is_empty() {
        let mut f = Failure::new("observe", "no candidate pool could be read from Gateway");
        f.chain.extend(problems);
        return Err(f);
    }
    Ok((
        PoolsAtOpen {
            pools,
            budget_quote,
            min_size_fraction,
        },
        activity,
    ))
}

/// The proposal's on-chain target, recorded with the proposal and written at the top of
/// proposal.json (where `tracka validate-pool --proposal-path` reads it).
fn target_of(session: &RealSession, c: &Candidate, p: &Proposal) -> Value {
    json!({
        "network": session.network.name,
        "pool_address": c.address,
        "pool_name": c.name,
        "token0": c.token0.address.to_checksum(None),
        "token1": c.token1.address.to_checksum(None),
        "fee": c.fee,
        "tick_spacing": c.tick_spacing,
        "capital_token": match c.capital_token() {
            CapitalToken::Token0 => "token0",
            CapitalToken::Token1 => "token1",
        },
        "capital": p.capital_quote,
        "hold_seconds": session.opts.hold_seconds,
        "dry_run": session.opts.dry_run,
        "rebalance_executed": false,
    })
}

fn failure_of(out: &RealOutcome) -> Failure {
    let error = out
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "the real episode failed".into());
    let mut chain = vec![error.clone()];
    chain.extend(
        out.records
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.step))),
    );
    chain.dedup();
    Failure {
        stage: if out.status == RealStatus::Refused {
            "gates"
        } else {
            "execute"
        },
        error,
        chain,
        position_left_open: out.position_left_open.clone(),
        operator_alert: out.operator_alert.clone(),
    }
}

/// The execution report of a completed or dry-run episode.
fn report_of(out: &RealOutcome, c: &Candidate, capital: f64) -> (Value, Option<f64>) {
    let tx = |step: &str| {
        out.records
            .iter()
            .rev()
            .find(|r| r.step == step)
            .and_then(|r| r.tx_signature.clone())
    };
    let polls = out
        .records
        .iter()
        .filter(|r| r.step == "position_info")
        .count();
    let quote = out
        .records
        .iter()
        .rev()
        .find(|r| r.step == "quote_position")
        .and_then(|r| r.response.clone());
    let pnl = (out.status == RealStatus::Completed)
        .then(|| real_pnl(&out.records, c.valuation, capital))
        .flatten();
    let reward = pnl.and_then(|p| p.reward_bps);
    let report = json!({
        "status": out.status,
        "pool_address": c.address,
        "position_id": out.position_id,
        "open_tx": tx("open_position"),
        "collect_tx": tx("collect_fees"),
        "close_tx": tx("close_position"),
        "position_info_polls": polls,
        "quote": quote,
        "pnl": pnl,
        "gateway_calls": out.records.len(),
    });
    (report, reward)
}

/// One real episode after its intel snapshot: observe, propose, validate, execute,
/// learn. Appends every event to `events`; returns the outcome (`ok` or `failed`) and
/// the execution time in µs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_after_intel(
    w: &mut RunWriter<'_>,
    console: &mut dyn Console,
    session: &RealSession,
    opts: &CampaignOptions,
    policy: &dyn Policy,
    features: &IntelFeatures,
    fresh_pct: f64,
    state: &mut LearningState,
    seed: u64,
    index: u64,
    episode_id: &str,
    events: &mut Vec<StoredEvent>,
) -> Result<(&'static str, u64, u64), CampaignError> {
    let ep = Some(episode_id);
    let t = Instant::now();
    let addresses: Vec<String> = session
        .candidates
        .iter()
        .map(|c| c.address.clone())
        .collect();
    let mut sink = CallSink::new(w, console, episode_id);
    let observed = session.rt.block_on(
        session
            .executor
            .observe_pools(&addresses, &mut |r| sink.record(r)),
    );
    let new_events = sink.finish()?;
    events.extend(new_events);

    let open_ts = u64::try_from(w.clock().now().timestamp()).unwrap_or(0);
    let proposed = match observed {
        Err(e) => Err(Failure::new("gateway_health", e.to_string())),
        Ok(infos) => pools_at_open(
            &session.candidates,
            infos,
            opts.budget_quote,
            opts.min_size_fraction,
        )
        .and_then(|(pools, activity)| {
            let history = History {
                reference: &[],
                pools: activity,
            };
            let ctx = from_history(&history, open_ts, Some(features));
            let mut draws = rng::stream(seed, index, "propose");
            policy
                .propose(&ctx, state, &pools, &mut draws)
                .map_err(|e| Failure::new("propose", e.to_string()))
        }),
    };
    let propose_us = t.elapsed().as_micros() as u64;

    let t = Instant::now();
    let executed: Result<(Proposal, &Candidate, RealOutcome), Failure> = match proposed {
        Err(f) => Err(f),
        Ok(proposal) => {
            let candidate = session.candidates.get(proposal.pool_index).ok_or_else(|| {
                CampaignError::Internal(format!(
                    "proposal names pool {} of {}",
                    proposal.pool_index,
                    session.candidates.len()
                ))
            })?;
            events.push(w.append(
                EventKind::Proposal,
                ep,
                &ProposalRecord {
                    proposal: to_value(&proposal)?,
                    target: Some(target_of(session, candidate, &proposal)),
                },
            )?);
            let report = session.rt.block_on(validate_pool(
                &session.rpc,
                &session.network,
                &PoolExpectation {
                    address: candidate.address.clone(),
                    token0: Some(candidate.token0.address.to_checksum(None)),
                    token1: Some(candidate.token1.address.to_checksum(None)),
                    fee: Some(candidate.fee),
                    tick_spacing: Some(candidate.tick_spacing),
                },
            ));
            events.push(w.append(EventKind::PoolValidation, ep, &report)?);
            w.flush_log(console)?;
            if report.passed {
                let outcome = execute(
                    w, console, session, candidate, &proposal, &report, episode_id,
                )?;
                events.extend(outcome.1);
                Ok((proposal, candidate, outcome.0))
            } else {
                Err(validation_failure(&report))
            }
        }
    };
    let execute_us = t.elapsed().as_micros() as u64;

    let outcome = match executed {
        Ok((proposal, candidate, out)) if out.is_success() => {
            let (report, reward) = report_of(&out, candidate, proposal.capital_quote);
            events.push(w.append(
                EventKind::ExecutionResult,
                ep,
                &ExecutionResult {
                    exec_mode: "real".into(),
                    report,
                    reward_bps: reward,
                },
            )?);
            if out.status == RealStatus::DryRun {
                events.push(w.append(
                    EventKind::LearningSkipped,
                    ep,
                    &LearningSkipped {
                        reason: "dry_run".into(),
                        detail: "--dry-run only quoted: there is no outcome to learn from".into(),
                    },
                )?);
            } else {
                let gate_input = GateInput {
                    exec_mode_is_mock: false,
                    learn_from_mock: opts.settings.learn_from_mock,
                    fresh_pct,
                    min_fresh_pct: opts.min_fresh_pct,
                    episode_failed: false,
                    reward: reward.unwrap_or(f64::NAN),
                };
                events.push(learn(
                    w,
                    ep,
                    state,
                    &proposal,
                    reward.unwrap_or(f64::NAN),
                    &gate_input,
                )?);
            }
            "ok"
        }
        Ok((_, _, out)) => record_failure(w, ep, events, failure_of(&out))?,
        Err(f) => record_failure(w, ep, events, f)?,
    };
    Ok((outcome, propose_us, execute_us))
}

fn validation_failure(report: &ValidationReport) -> Failure {
    let failed = report.failed();
    let mut f = Failure::new(
        "validate",
        format!(
            "pool {} on {} failed validation ({}): execution skipped, nothing was sent",
            report.pool,
            report.network,
            failed.join(", ")
        ),
    );
    f.chain.extend(
        report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.detail)),
    );
    f
}

fn record_failure(
    w: &mut RunWriter<'_>,
    ep: Option<&str>,
    events: &mut Vec<StoredEvent>,
    f: Failure,
) -> Result<&'static str, CampaignError> {
    let failure = ExecutionFailure {
        stage: f.stage.into(),
        error: f.error,
        chain: f.chain,
        position_left_open: f.position_left_open,
        operator_alert: f.operator_alert,
    };
    runner::record_failure(w, ep, events, &failure)
}

/// The executor on a validated pool; its records become events as they arrive.
fn execute(
    w: &mut RunWriter<'_>,
    console: &mut dyn Console,
    session: &RealSession,
    c: &Candidate,
    proposal: &Proposal,
    report: &ValidationReport,
    episode_id: &str,
) -> Result<(RealOutcome, Vec<StoredEvent>), CampaignError> {
    let real = RealProposal {
        network: session.network.name.clone(),
        pool_address: c.address.clone(),
        lower_tick: proposal.tick_lower,
        upper_tick: proposal.tick_upper,
        capital: proposal.capital_quote,
        capital_token: c.capital_token(),
        hold_seconds: session.opts.hold_seconds,
        slippage_pct: None,
    };
    let mut sink = CallSink::new(w, console, episode_id);
    let out = session.rt.block_on(
        session
            .executor
            .run_with(&real, report, &mut |r| sink.record(r)),
    );
    // the executor ran to its end (a position is closed even if the ledger failed);
    // a ledger error stops the campaign after it
    let events = sink.finish()?;
    Ok((out, events))
}
