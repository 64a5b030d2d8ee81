//! The real executor: runs one live episode through Gateway behind the safety gates.
//!
//! Before anything leaves the machine: the risk acknowledgement must be exactly
//! `I_UNDERSTAND_LIVE_RISK=yes`, the pool must carry a passed [`ValidationReport`] for
//! the proposal's pool and network, the tick range must be usable, and the capital must
//! not exceed `max_capital`. Then Gateway must be healthy (never a fallback to mock), and
//! Gateway's view of the pool must have token0 as base (so prices are token1 per token0).
//! `dry_run` stops after quote-position. Otherwise: open-position, hold for
//! `hold_seconds` polling position-info, collect-fees, close-position. Any failure after
//! opening still tries to close; a position that could not be closed is reported in
//! [`RealOutcome::position_left_open`] with an alert an operator cannot miss.
//!
//! Every Gateway call becomes a [`RealRecord`] (request, response or error, tx hash)
//! for the ledger; records never carry secrets (no URLs, no keys). [`RealExecutor::run_with`]
//! hands each record to a sink the moment the answer arrives, so a caller can make it
//! durable before the next call (a crash mid-hold still leaves the open-position
//! transaction on record).

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Value};

use super::gate::RealModeGate;
use super::gateway::{
    GatewayClient, GatewayConfig, GatewayError, PoolInfo, PositionParams, CLMM_PREFIX,
};
use super::gateway_price::{tick_to_gateway_price, MAX_TICK};
use super::pool_validator::ValidationReport;

/// Environment variable of the live-risk acknowledgement.
pub const RISK_ACK_ENV: &str = "I_UNDERSTAND_LIVE_RISK";
/// The only accepted acknowledgement value.
pub const RISK_ACK_VALUE: &str = "yes";

/// Errors of a real episode.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum RealError {
    /// `I_UNDERSTAND_LIVE_RISK` is not exactly `yes`; nothing was sent.
    #[error("live risk not acknowledged: set I_UNDERSTAND_LIVE_RISK=yes (found {found:?}); nothing was sent")]
    RiskNotAcknowledged {
        /// The value found, if any.
        found: Option<String>,
    },
    /// The validation report did not pass; nothing was sent.
    #[error("pool {pool} on {network} failed validation ({failed}); nothing was sent")]
    PoolNotValidated {
        /// Pool address.
        pool: String,
        /// Network.
        network: String,
        /// Failed check names, comma-separated.
        failed: String,
    },
    /// The validation report is for another pool or network; nothing was sent.
    #[error("validation report is for pool {report_pool} on {report_network}, proposal is pool {pool} on {network}; nothing was sent")]
    ReportMismatch {
        /// Report's pool.
        report_pool: String,
        /// Report's network.
        report_network: String,
        /// Proposal's pool.
        pool: String,
        /// Proposal's network.
        network: String,
    },
    /// The proposal is unusable; nothing was sent.
    #[error("invalid proposal field {field}: {problem}; nothing was sent")]
    InvalidProposal {
        /// Field name.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// Capital above the configured limit; nothing was sent.
    #[error("capital {capital} exceeds max_capital {max_capital}; refused, nothing was sent")]
    CapitalAboveLimit {
        /// Proposed capital.
        capital: f64,
        /// The limit.
        max_capital: f64,
    },
    /// Gateway is down or unhealthy; the episode fails (no fallback to mock).
    #[error("Gateway not healthy: {0}")]
    GatewayUnhealthy(Box<GatewayError>),
    /// Gateway's base/quote tokens are not the pool's token0/token1.
    #[error("Gateway reports base {base} / quote {quote}, the pool has token0 {token0} / token1 {token1}: prices would be inverted; refused")]
    OrientationMismatch {
        /// Gateway's base token.
        base: String,
        /// Gateway's quote token.
        quote: String,
        /// Pool token0.
        token0: String,
        /// Pool token1.
        token1: String,
    },
    /// A Gateway call failed at `step`.
    #[error("{step} failed: {source}")]
    Gateway {
        /// Episode step.
        step: String,
        /// The Gateway error.
        source: Box<GatewayError>,
    },
    /// open-position was confirmed without a position id.
    #[error("open-position confirmed (tx {signature}) but returned no position id")]
    MissingPositionId {
        /// Transaction hash.
        signature: String,
    },
}

/// Which token `capital` is denominated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CapitalToken {
    /// token0 (Gateway's base).
    #[default]
    Token0,
    /// token1 (Gateway's quote).
    Token1,
}

/// One live episode's proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealProposal {
    /// Network name (as in the networks file and Gateway).
    pub network: String,
    /// Pool address.
    pub pool_address: String,
    /// Lower tick (multiple of the pool's tick spacing).
    pub lower_tick: i32,
    /// Upper tick.
    pub upper_tick: i32,
    /// Amount of `capital_token` to provide, human units.
    pub capital: f64,
    /// Token of `capital`.
    #[serde(default)]
    pub capital_token: CapitalToken,
    /// Seconds to hold the position between open and collect/close.
    pub hold_seconds: u64,
    /// Slippage in percent, if not Gateway's default.
    #[serde(default)]
    pub slippage_pct: Option<f64>,
}

/// Limits and switches of the real executor.
#[derive(Debug, Clone, PartialEq)]
pub struct RealConfig {
    /// The value of `I_UNDERSTAND_LIVE_RISK` (must be exactly `yes`).
    pub risk_acknowledgement: Option<String>,
    /// Largest `capital` accepted (same unit as the proposal's capital).
    pub max_capital: f64,
    /// Only quote, never open.
    pub dry_run: bool,
    /// Interval between position-info polls while holding.
    pub poll_interval: Duration,
}

impl RealConfig {
    /// Config with the acknowledgement read from `I_UNDERSTAND_LIVE_RISK` and a
    /// 60-second poll interval.
    pub fn from_env(max_capital: f64, dry_run: bool) -> RealConfig {
        RealConfig {
            risk_acknowledgement: std::env::var(RISK_ACK_ENV).ok(),
            max_capital,
            dry_run,
            poll_interval: Duration::from_secs(60),
        }
    }
}

/// Clock and sleeper of the executor (injectable so tests do not wait).
pub trait Sleeper: Send + Sync {
    /// Waits `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// Wall clock and tokio sleep.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// One Gateway call of an episode, for the ledger / logs.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealRecord {
    /// Order within the episode, from 0.
    pub seq: u32,
    /// When the answer (or error) arrived, ms since the Unix epoch.
    pub at_ms: u64,
    /// Episode step: health, pool_info, quote_position, open_position, position_info,
    /// collect_fees, close_position.
    pub step: String,
    /// HTTP method.
    pub method: String,
    /// Gateway route.
    pub route: String,
    /// Parameters sent.
    pub request: Value,
    /// Answer, when successful.
    pub response: Option<Value>,
    /// Error text, when failed.
    pub error: Option<String>,
    /// Transaction hash, for transaction routes.
    pub tx_signature: Option<String>,
    /// True for the record made just before a transaction route is sent (neither
    /// response nor error yet): if the process dies during the call, this is what shows
    /// that a transaction may have gone out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// What an interrupted episode's records say about a position it may have left open:
/// `Some((position id if known, alert))` when an open-position was sent or confirmed
/// and no close-position was confirmed after it.
pub fn position_left_open(records: &[RealRecord]) -> Option<(Option<String>, String)> {
    let open = records.iter().rposition(|r| r.step == "open_position")?;
    let closed = records[open..]
        .iter()
        .any(|r| r.step == "close_position" && r.response.is_some());
    if closed {
        return None;
    }
    let r = &records[open];
    let status = r
        .response
        .as_ref()
        .and_then(|v| v.get("status"))
        .and_then(Value::as_i64);
    if status == Some(-1) {
        // mined and reverted: nothing was opened
        return None;
    }
    let id = r
        .response
        .as_ref()
        .and_then(|v| v.pointer("/data/positionAddress"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let alert = match &id {
        Some(id) => format!(
            "POSITION STILL OPEN: id {id}; the episode stopped before closing it: close it manually"
        ),
        None => format!(
            "POSITION MAY BE OPEN: open-position was sent{} and no close followed: check the wallet with positions-owned and close it manually",
            r.tx_signature
                .as_deref()
                .map(|t| format!(" (tx {t})"))
                .unwrap_or_default()
        ),
    };
    Some((id, alert))
}

/// How the episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealStatus {
    /// Opened, held, collected and closed.
    Completed,
    /// Quoted only.
    DryRun,
    /// Refused by a gate before anything was sent.
    Refused,
    /// Failed after contacting Gateway.
    Failed,
}

fn ser_error<S: Serializer>(e: &Option<RealError>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(&e.to_string()),
        None => s.serialize_none(),
    }
}

/// The result of one real episode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealOutcome {
    /// How it ended.
    pub status: RealStatus,
    /// The first error, if any.
    #[serde(serialize_with = "ser_error")]
    pub error: Option<RealError>,
    /// Position NFT id, once opened.
    pub position_id: Option<String>,
    /// The id of a position that is still open (close failed or never ran).
    pub position_left_open: Option<String>,
    /// A message for the operator when something needs manual action.
    pub operator_alert: Option<String>,
    /// Every Gateway call in order.
    pub records: Vec<RealRecord>,
}

impl RealOutcome {
    fn refused(error: RealError) -> RealOutcome {
        RealOutcome {
            status: RealStatus::Refused,
            error: Some(error),
            position_id: None,
            position_left_open: None,
            operator_alert: None,
            records: Vec::new(),
        }
    }

    /// True for completed and dry-run episodes.
    pub fn is_success(&self) -> bool {
        matches!(self.status, RealStatus::Completed | RealStatus::DryRun)
    }
}

/// Runs real episodes through Gateway.
#[derive(Debug)]
pub struct RealExecutor<S: Sleeper = TokioSleeper> {
    gateway: GatewayClient,
    config: RealConfig,
    sleeper: S,
}

impl RealExecutor<TokioSleeper> {
    /// An executor with the wall clock; only constructible in real mode.
    pub fn new(
        gate: &RealModeGate,
        gateway: GatewayConfig,
        config: RealConfig,
    ) -> Result<RealExecutor<TokioSleeper>, GatewayError> {
        RealExecutor::with_sleeper(gate, gateway, config, TokioSleeper)
    }
}

/// Receives each record as soon as it is made.
pub type RecordSink<'a> = dyn FnMut(&RealRecord) + 'a;

struct Recorder<'a, 'k, S: Sleeper> {
    sleeper: &'a S,
    records: Vec<RealRecord>,
    sink: &'a mut RecordSink<'k>,
}

impl<S: Sleeper> Recorder<'_, '_, S> {
    fn push<T: Serialize>(
        &mut self,
        step: &str,
        method: &str,
        route: &str,
        request: Value,
        result: &Result<T, GatewayError>,
        tx_signature: Option<String>,
    ) {
        let (response, error) = match result {
            Ok(v) => (serde_json::to_value(v).ok(), None),
            // a transaction answer did arrive: keep its status
            Err(e @ GatewayError::TxReverted { signature, .. }) => (
                Some(json!({"signature": signature, "status": -1})),
                Some(e.to_string()),
            ),
            Err(e @ GatewayError::TxPending { signature, .. }) => (
                Some(json!({"signature": signature, "status": 0})),
                Some(e.to_string()),
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        let tx_signature = tx_signature.or_else(|| match result {
            Err(GatewayError::TxReverted { signature, .. })
            | Err(GatewayError::TxPending { signature, .. }) => Some(signature.clone()),
            _ => None,
        });
        let record = RealRecord {
            seq: u32::try_from(self.records.len()).unwrap_or(u32::MAX),
            at_ms: self.sleeper.now_ms(),
            step: step.to_string(),
            method: method.to_string(),
            route: route.to_string(),
            request,
            response,
            error,
            tx_signature,
            pending: false,
        };
        (self.sink)(&record);
        self.records.push(record);
    }

    /// Tells the sink (only) that a transaction route is about to be sent.
    fn sending(&mut self, step: &str, route: &str, request: Value) {
        (self.sink)(&RealRecord {
            seq: u32::try_from(self.records.len()).unwrap_or(u32::MAX),
            at_ms: self.sleeper.now_ms(),
            step: step.to_string(),
            method: "POST".to_string(),
            route: route.to_string(),
            request,
            response: None,
            error: None,
            tx_signature: None,
            pending: true,
        });
    }
}

fn gateway_error(step: &str, source: GatewayError) -> RealError {
    RealError::Gateway {
        step: step.to_string(),
        source: Box::new(source),
    }
}

/// Two addresses are the same whatever their case (EIP-55 or not) and surrounding blanks.
pub fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl<S: Sleeper> RealExecutor<S> {
    /// An executor with an injected clock/sleeper; only constructible in real mode.
    pub fn with_sleeper(
        gate: &RealModeGate,
        gateway: GatewayConfig,
        config: RealConfig,
        sleeper: S,
    ) -> Result<RealExecutor<S>, GatewayError> {
        Ok(RealExecutor {
            gateway: GatewayClient::new(gate, gateway)?,
            config,
            sleeper,
        })
    }

    /// The local gates, in order; nothing is sent when one fails.
    fn check_gates(
        &self,
        proposal: &RealProposal,
        report: &ValidationReport,
    ) -> Result<(u8, u8), RealError> {
        let ack = self.config.risk_acknowledgement.as_deref();
        if ack != Some(RISK_ACK_VALUE) {
            return Err(RealError::RiskNotAcknowledged {
                found: ack.map(|s| s.chars().take(40).collect()),
            });
        }
        if !same_address(&report.pool, &proposal.pool_address)
            || report.network != proposal.network
            || proposal.network != self.gateway.network()
        {
            return Err(RealError::ReportMismatch {
                report_pool: report.pool.clone(),
                report_network: report.network.clone(),
                pool: proposal.pool_address.clone(),
                network: format!(
                    "{} (Gateway client: {})",
                    proposal.network,
                    self.gateway.network()
                ),
            });
        }
        if !report.passed {
            return Err(RealError::PoolNotValidated {
                pool: report.pool.clone(),
                network: report.network.clone(),
                failed: report.failed().join(", "),
            });
        }
        let invalid = |field: &str, problem: String| RealError::InvalidProposal {
            field: field.to_string(),
            problem,
        };
        if !(proposal.capital.is_finite() && proposal.capital > 0.0) {
            return Err(invalid(
                "capital",
                format!("{} is not a positive amount", proposal.capital),
            ));
        }
        if self.config.max_capital.is_nan() || proposal.capital > self.config.max_capital {
            return Err(RealError::CapitalAboveLimit {
                capital: proposal.capital,
                max_capital: self.config.max_capital,
            });
        }
        if let Some(s) = proposal.slippage_pct {
            if !(0.0..=100.0).contains(&s) {
                return Err(invalid("slippage_pct", format!("{s} is not within 0–100")));
            }
        }
        let (lo, hi) = (proposal.lower_tick, proposal.upper_tick);
        if lo >= hi || lo < -MAX_TICK || hi > MAX_TICK {
            return Err(invalid(
                "lower_tick/upper_tick",
                format!("[{lo}, {hi}] is not an increasing range within ±{MAX_TICK}"),
            ));
        }
        let spacing = report.observed.tick_spacing.unwrap_or(1).max(1);
        if lo % spacing != 0 || hi % spacing != 0 {
            return Err(invalid(
                "lower_tick/upper_tick",
                format!("[{lo}, {hi}] are not multiples of the pool's tick spacing {spacing}"),
            ));
        }
        match (
            report.observed.token0_decimals,
            report.observed.token1_decimals,
        ) {
            (Some(d0), Some(d1)) => Ok((d0, d1)),
            _ => Err(invalid(
                "pool_address",
                "token decimals unknown (not in the networks file and not readable on chain)"
                    .to_string(),
            )),
        }
    }

    /// Runs one episode. Never panics and always returns the records made so far.
    pub async fn run(&self, proposal: &RealProposal, report: &ValidationReport) -> RealOutcome {
        self.run_with(proposal, report, &mut |_| {}).await
    }

    /// The network of the Gateway client.
    pub fn network(&self) -> &str {
        self.gateway.network()
    }

    /// What the campaign reads before proposing: Gateway's health, then pool-info of
    /// each pool (reads only). Each call goes to `sink`. An unhealthy Gateway fails the
    /// whole observation; a pool whose pool-info fails is reported by its error.
    pub async fn observe_pools(
        &self,
        pools: &[String],
        sink: &mut RecordSink<'_>,
    ) -> Result<Vec<Result<PoolInfo, RealError>>, RealError> {
        let mut rec = Recorder {
            sleeper: &self.sleeper,
            records: Vec::new(),
            sink,
        };
        let health = self.gateway.health().await;
        rec.push("health", "GET", "/", json!({}), &health, None);
        if let Err(e) = health {
            return Err(RealError::GatewayUnhealthy(Box::new(e)));
        }
        let mut out = Vec::with_capacity(pools.len());
        for pool in pools {
            let info = self.pool_info(&mut rec, pool).await;
            out.push(info.map_err(|source| gateway_error("pool_info", source)));
        }
        Ok(out)
    }

    /// pool-info of `pool`, recorded.
    async fn pool_info(
        &self,
        rec: &mut Recorder<'_, '_, S>,
        pool: &str,
    ) -> Result<PoolInfo, GatewayError> {
        let info = self.gateway.pool_info(pool).await;
        rec.push(
            "pool_info",
            "GET",
            &format!("{CLMM_PREFIX}/pool-info"),
            self.gateway.params(json!({"poolAddress": pool})),
            &info,
            None,
        );
        info
    }

    /// [`RealExecutor::run`], handing every record to `sink` as soon as it is made.
    pub async fn run_with(
        &self,
        proposal: &RealProposal,
        report: &ValidationReport,
        sink: &mut RecordSink<'_>,
    ) -> RealOutcome {
        let (dec0, dec1) = match self.check_gates(proposal, report) {
            Ok(d) => d,
            Err(e) => return RealOutcome::refused(e),
        };
        let mut rec = Recorder {
            sleeper: &self.sleeper,
            records: Vec::new(),
            sink,
        };
        let fail = |rec: Recorder<'_, '_, S>, error: RealError| RealOutcome {
            status: RealStatus::Failed,
            error: Some(error),
            position_id: None,
            position_left_open: None,
            operator_alert: None,
            records: rec.records,
        };

        // health: unhealthy fails the episode; there is no fallback to mock
        let health = self.gateway.health().await;
        rec.push("health", "GET", "/", json!({}), &health, None);
        if let Err(e) = health {
            return fail(rec, RealError::GatewayUnhealthy(Box::new(e)));
        }

        // pool-info: Gateway's base/quote must be token0/token1
        let pool = proposal.pool_address.as_str();
        let info = match self.pool_info(&mut rec, pool).await {
            Ok(i) => i,
            Err(source) => return fail(rec, gateway_error("pool_info", source)),
        };
        let (t0, t1) = (
            report.observed.token0.clone().unwrap_or_default(),
            report.observed.token1.clone().unwrap_or_default(),
        );
        if !same_address(&info.base_token_address, &t0)
            || !same_address(&info.quote_token_address, &t1)
        {
            return fail(
                rec,
                RealError::OrientationMismatch {
                    base: info.base_token_address,
                    quote: info.quote_token_address,
                    token0: t0,
                    token1: t1,
                },
            );
        }

        let (base_amount, quote_amount) = match proposal.capital_token {
            CapitalToken::Token0 => (Some(proposal.capital), None),
            CapitalToken::Token1 => (None, Some(proposal.capital)),
        };
        let params = PositionParams {
            pool_address: proposal.pool_address.clone(),
            lower_price: tick_to_gateway_price(proposal.lower_tick, dec0, dec1),
            upper_price: tick_to_gateway_price(proposal.upper_tick, dec0, dec1),
            base_token_amount: base_amount,
            quote_token_amount: quote_amount,
            slippage_pct: proposal.slippage_pct,
        };

        let route = format!("{CLMM_PREFIX}/quote-position");
        let quote = self.gateway.quote_position(&params).await;
        rec.push(
            "quote_position",
            "GET",
            &route,
            self.gateway.position_params(&params, false),
            &quote,
            None,
        );
        if let Err(source) = quote {
            return fail(rec, gateway_error("quote_position", source));
        }
        if self.config.dry_run {
            return RealOutcome {
                status: RealStatus::DryRun,
                error: None,
                position_id: None,
                position_left_open: None,
                operator_alert: None,
                records: rec.records,
            };
        }

        // open-position: sent once
        let route = format!("{CLMM_PREFIX}/open-position");
        rec.sending(
            "open_position",
            &route,
            self.gateway.position_params(&params, true),
        );
        let opened = self.gateway.open_position(&params).await;
        let sig = opened.as_ref().ok().map(|a| a.signature.clone());
        rec.push(
            "open_position",
            "POST",
            &route,
            self.gateway.position_params(&params, true),
            &opened,
            sig,
        );
        let opened = match opened {
            Ok(a) => a,
            Err(GatewayError::TxPending { route, signature }) => {
                let alert = format!(
                    "OPEN TRANSACTION PENDING: tx {signature} on pool {pool} ({}); a position may be open: check the wallet and close it manually",
                    proposal.network
                );
                let mut out = fail(
                    rec,
                    gateway_error(
                        "open_position",
                        GatewayError::TxPending { route, signature },
                    ),
                );
                out.operator_alert = Some(alert);
                return out;
            }
            Err(source) => {
                let alert = source.may_have_sent().then(|| {
                    format!(
                        "POSITION MAY BE OPEN: open-position on pool {pool} ({}) ended with \"{source}\": a transaction may have been sent: check the wallet with positions-owned and close any position manually",
                        proposal.network
                    )
                });
                let mut out = fail(rec, gateway_error("open_position", source));
                out.operator_alert = alert;
                return out;
            }
        };
        let position_id = match opened
            .data
            .as_ref()
            .map(|d| d.position_address.trim().to_string())
        {
            Some(id) if !id.is_empty() => id,
            _ => {
                let alert = format!(
                    "POSITION MAY BE OPEN: open-position tx {} on pool {pool} ({}) confirmed without a position id; find it with positions-owned and close it manually",
                    opened.signature, proposal.network
                );
                let mut out = fail(
                    rec,
                    RealError::MissingPositionId {
                        signature: opened.signature,
                    },
                );
                out.operator_alert = Some(alert);
                return out;
            }
        };

        // hold, then collect; any failure here still closes
        let first_error = self
            .hold_and_collect(&mut rec, &position_id, proposal.hold_seconds)
            .await
            .err();

        let route = format!("{CLMM_PREFIX}/close-position");
        rec.sending(
            "close_position",
            &route,
            self.gateway.position_id_params(&position_id, true),
        );
        let closed = self.gateway.close_position(&position_id).await;
        let sig = closed.as_ref().ok().map(|a| a.signature.clone());
        rec.push(
            "close_position",
            "POST",
            &route,
            self.gateway.position_id_params(&position_id, true),
            &closed,
            sig,
        );
        match closed {
            Ok(_) => RealOutcome {
                status: if first_error.is_some() {
                    RealStatus::Failed
                } else {
                    RealStatus::Completed
                },
                error: first_error,
                position_id: Some(position_id),
                position_left_open: None,
                operator_alert: None,
                records: rec.records,
            },
            Err(source) => {
                let alert = format!(
                    "POSITION STILL OPEN: id {position_id} on pool {pool} ({}); close it manually (close-position failed: {source})",
                    proposal.network
                );
                RealOutcome {
                    status: RealStatus::Failed,
                    error: Some(first_error.unwrap_or(gateway_error("close_position", source))),
                    position_id: Some(position_id.clone()),
                    position_left_open: Some(position_id),
                    operator_alert: Some(alert),
                    records: rec.records,
                }
            }
        }
    }

    async fn hold_and_collect(
        &self,
        rec: &mut Recorder<'_, '_, S>,
        position_id: &str,
        hold_seconds: u64,
    ) -> Result<(), RealError> {
        let hold_ms = hold_seconds.saturating_mul(1000);
        let start = self.sleeper.now_ms();
        let deadline = start.saturating_add(hold_ms);
        let poll_ms = u64::try_from(self.config.poll_interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let route = format!("{CLMM_PREFIX}/position-info");
        loop {
            let now = self.sleeper.now_ms();
            if now >= deadline {
                break;
            }
            self.sleeper
                .sleep(Duration::from_millis(poll_ms.min(deadline - now)))
                .await;
            let info = self.gateway.position_info(position_id).await;
            // a failed poll is recorded; the position stays managed and is closed at the end
            rec.push(
                "position_info",
                "GET",
                &route,
                self.gateway.position_id_params(position_id, false),
                &info,
                None,
            );
        }
        let route = format!("{CLMM_PREFIX}/collect-fees");
        rec.sending(
            "collect_fees",
            &route,
            self.gateway.position_id_params(position_id, true),
        );
        let collected = self.gateway.collect_fees(position_id).await;
        let sig = collected.as_ref().ok().map(|a| a.signature.clone());
        rec.push(
            "collect_fees",
            "POST",
            &route,
            self.gateway.position_id_params(position_id, true),
            &collected,
            sig,
        );
        collected
            .map(|_| ())
            .map_err(|source| gateway_error("collect_fees", source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(step: &str, response: Option<Value>, error: Option<&str>, pending: bool) -> RealRecord {
        RealRecord {
            seq: 0,
            at_ms: 0,
            step: step.into(),
            method: "POST".into(),
            route: "/".into(),
            request: json!({}),
            response,
            error: error.map(str::to_string),
            tx_signature: None,
            pending,
        }
    }

    fn opened() -> RealRecord {
        rec(
            "open_position",
            Some(json!({"signature": "0xa", "status": 1, "data": {"positionAddress": "9"}})),
            None,
            false,
        )
    }

    #[test]
    fn an_open_without_a_confirmed_close_is_left_open() {
        let sent = rec("open_position", None, None, true);
        // sent, no answer: may be open, id unknown
        let (id, alert) = position_left_open(std::slice::from_ref(&sent)).unwrap();
        assert_eq!(id, None);
        assert!(alert.starts_with("POSITION MAY BE OPEN"), "{alert}");
        // confirmed: open with its id, also after a failed close
        let failed_close = rec("close_position", None, Some("500"), false);
        for records in [
            vec![sent.clone(), opened()],
            vec![sent.clone(), opened(), failed_close],
        ] {
            let (id, alert) = position_left_open(&records).unwrap();
            assert_eq!(id.as_deref(), Some("9"));
            assert!(alert.starts_with("POSITION STILL OPEN: id 9"), "{alert}");
        }
        // a confirmed close after it: nothing open
        let closed = rec("close_position", Some(json!({"status": 1})), None, false);
        assert_eq!(position_left_open(&[sent.clone(), opened(), closed]), None);
        // reverted: nothing open; never sent: nothing open
        let reverted = rec(
            "open_position",
            Some(json!({"signature": "0xa", "status": -1})),
            Some("reverted"),
            false,
        );
        assert_eq!(position_left_open(&[sent, reverted]), None);
        assert_eq!(
            position_left_open(&[rec("health", None, None, false)]),
            None
        );
    }
}
