//! Client for Hummingbot Gateway 2.x: health, chain status and the Uniswap V3 CLMM routes
//! (pool-info, quote-position, open-position, position-info, collect-fees,
//! close-position, positions-owned).
//!
//! Contract kept (see SPEC.md "Real mode"): `network` is sent explicitly on every call
//! (several routes default to `base`); every request has a timeout; only reads (GET) are
//! retried, with exponential backoff on timeouts, connection errors, 429, 502, 503 and
//! 504 (honouring `Retry-After`); POSTs that move money are sent exactly once. Error
//! bodies `{"statusCode","error","message","code"?}` become [`GatewayError::Api`], keyed on
//! status and message. A transaction answer with `status` -1 (reverted) becomes
//! [`GatewayError::TxReverted`] carrying the transaction hash; 0 (still pending) becomes
//! [`GatewayError::TxPending`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::gate::RealModeGate;
use super::rpc::{error_chain, redact_url};

/// Environment variable with Gateway's base URL.
pub const GATEWAY_URL_ENV: &str = "GATEWAY_URL";
/// Gateway's address in dev mode.
pub const DEFAULT_GATEWAY_URL: &str = "http://localhost:15888";
/// Prefix of the Uniswap V3 CLMM routes.
pub const CLMM_PREFIX: &str = "/connectors/uniswap/clmm";

/// Errors talking to Gateway.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum GatewayError {
    /// The base URL is not an http(s) URL.
    #[error("invalid Gateway URL {value:?}: {problem}")]
    InvalidUrl {
        /// The URL (before any path or credentials).
        value: String,
        /// What is wrong.
        problem: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// No answer within the timeout.
    #[error("{route} timed out after {after_ms} ms")]
    Timeout {
        /// Route called.
        route: String,
        /// The timeout.
        after_ms: u128,
    },
    /// Connection or protocol failure.
    #[error("{route} failed: {detail}")]
    Transport {
        /// Route called.
        route: String,
        /// What failed.
        detail: String,
    },
    /// Gateway answered with its error body.
    #[error("{route} returned {status}: {message}{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        /// Route called.
        route: String,
        /// `statusCode` (the HTTP status when the body lacks it).
        status: u16,
        /// `message`.
        message: String,
        /// `code`, e.g. `TRANSACTION_TIMEOUT`.
        code: Option<String>,
        /// `error`, e.g. `Bad Request` (informative only; do not key on it).
        error: Option<String>,
    },
    /// A non-2xx answer without Gateway's error body.
    #[error("{route} returned HTTP {status}: {body}")]
    Http {
        /// Route called.
        route: String,
        /// HTTP status.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// A 2xx answer that does not match the documented shape.
    #[error("{route}: cannot decode the answer: {detail}")]
    Decode {
        /// Route called.
        route: String,
        /// What was wrong.
        detail: String,
    },
    /// The transaction was mined and reverted (`status` -1).
    #[error("{route}: transaction {signature} reverted (status -1)")]
    TxReverted {
        /// Route called.
        route: String,
        /// Transaction hash.
        signature: String,
    },
    /// The transaction was submitted but not confirmed (`status` 0).
    #[error("{route}: transaction {signature} is still pending (status 0)")]
    TxPending {
        /// Route called.
        route: String,
        /// Transaction hash.
        signature: String,
    },
    /// The health route answered but not with `{"status":"ok"}`.
    #[error("Gateway not healthy: {0}")]
    Unhealthy(String),
}

impl GatewayError {
    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Api { status, .. } | GatewayError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a transaction route that ended with this error may still have put a
    /// transaction on chain: pending, no answer (timeout, connection), an undecodable
    /// answer, or a server-side failure (5xx). Only a reverted transaction and a 4xx
    /// refusal are known to have changed nothing.
    pub fn may_have_sent(&self) -> bool {
        match self {
            GatewayError::TxReverted { .. }
            | GatewayError::InvalidUrl { .. }
            | GatewayError::Client(_)
            | GatewayError::Unhealthy(_) => false,
            GatewayError::Api { status, .. } | GatewayError::Http { status, .. } => *status >= 500,
            _ => true,
        }
    }

    /// Whether a read may be retried after this error.
    fn retryable(&self) -> bool {
        match self {
            GatewayError::Timeout { .. } | GatewayError::Transport { .. } => true,
            _ => matches!(self.status(), Some(429 | 502 | 503 | 504)),
        }
    }
}

/// How to reach Gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayConfig {
    /// Base URL, e.g. `http://localhost:15888`.
    pub base_url: String,
    /// Network name sent on every call (`mainnet`, `arbitrum`, …).
    pub network: String,
    /// Wallet to act for; Gateway uses its first wallet when absent.
    pub wallet_address: Option<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Extra attempts for reads (GET); POSTs are never retried.
    pub read_retries: u32,
    /// First backoff delay; doubles per attempt.
    pub backoff: Duration,
    /// Upper bound for any single backoff (also caps `Retry-After`).
    pub max_backoff: Duration,
}

impl GatewayConfig {
    /// Defaults: 30 s timeout, 3 read retries, backoff 500 ms doubling up to 10 s.
    pub fn new(base_url: impl Into<String>, network: impl Into<String>) -> GatewayConfig {
        GatewayConfig {
            base_url: base_url.into(),
            network: network.into(),
            wallet_address: None,
            timeout: Duration::from_secs(30),
            read_retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }

    /// Base URL from `GATEWAY_URL`, else the dev default.
    pub fn url_from_env() -> String {
        std::env::var(GATEWAY_URL_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_GATEWAY_URL.to_string())
    }
}

/// `GET /`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when healthy.
    pub status: String,
}

/// `GET /chains/ethereum/status` (the node URL Gateway reports is deliberately not kept:
/// it may carry an API key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainStatus {
    /// Chain name.
    #[serde(default)]
    pub chain: Option<String>,
    /// Network name.
    #[serde(default)]
    pub network: Option<String>,
    /// Latest block.
    #[serde(default)]
    pub current_block_number: Option<u64>,
    /// Native currency symbol.
    #[serde(default)]
    pub native_currency: Option<String>,
}

/// `GET …/pool-info`. Base = token0, quote = token1; `price` is token1 per token0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolInfo {
    /// Pool address.
    pub address: String,
    /// token0.
    pub base_token_address: String,
    /// token1.
    pub quote_token_address: String,
    /// Tick spacing.
    #[serde(default)]
    pub bin_step: Option<f64>,
    /// Fee in percent.
    #[serde(default)]
    pub fee_pct: Option<f64>,
    /// token1 per token0, human units.
    pub price: f64,
    /// token0 held by the pool.
    #[serde(default)]
    pub base_token_amount: Option<f64>,
    /// token1 held by the pool.
    #[serde(default)]
    pub quote_token_amount: Option<f64>,
    /// Current tick.
    #[serde(default)]
    pub active_bin_id: Option<i64>,
}

/// Parameters of quote-position and open-position. Prices are token1 per token0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionParams {
    /// Pool address.
    pub pool_address: String,
    /// Lower price (token1 per token0).
    pub lower_price: f64,
    /// Upper price (token1 per token0).
    pub upper_price: f64,
    /// token0 amount, human units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_token_amount: Option<f64>,
    /// token1 amount, human units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_token_amount: Option<f64>,
    /// Slippage in percent (0–100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slippage_pct: Option<f64>,
}

/// `GET …/quote-position`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionQuote {
    /// Whether the base amount limits the position.
    #[serde(default)]
    pub base_limited: Option<bool>,
    /// token0 needed.
    pub base_token_amount: f64,
    /// token1 needed.
    pub quote_token_amount: f64,
    /// token0 needed at worst slippage.
    #[serde(default)]
    pub base_token_amount_max: Option<f64>,
    /// token1 needed at worst slippage.
    #[serde(default)]
    pub quote_token_amount_max: Option<f64>,
    /// Liquidity (number or decimal string, kept as sent).
    #[serde(default)]
    pub liquidity: Option<Value>,
}

/// `{signature, status, data?}` of the transaction routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxAnswer<D> {
    /// Transaction hash.
    pub signature: String,
    /// 1 confirmed, 0 pending, -1 reverted.
    pub status: i32,
    /// Route-specific data when confirmed.
    #[serde(default = "Option::default")]
    pub data: Option<D>,
}

/// `data` of open-position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenedPosition {
    /// Gas paid, in ETH.
    #[serde(default)]
    pub fee: Option<f64>,
    /// The position NFT id as a decimal string.
    pub position_address: String,
    /// Always 0 on Ethereum.
    #[serde(default)]
    pub position_rent: Option<f64>,
    /// token0 added.
    #[serde(default)]
    pub base_token_amount_added: Option<f64>,
    /// token1 added.
    #[serde(default)]
    pub quote_token_amount_added: Option<f64>,
}

/// `data` of collect-fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectedFees {
    /// Gas paid, in ETH.
    #[serde(default)]
    pub fee: Option<f64>,
    /// token0 fees collected.
    #[serde(default)]
    pub base_fee_amount_collected: Option<f64>,
    /// token1 fees collected.
    #[serde(default)]
    pub quote_fee_amount_collected: Option<f64>,
}

/// `data` of close-position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosedPosition {
    /// Gas paid, in ETH.
    #[serde(default)]
    pub fee: Option<f64>,
    /// Always 0 on Ethereum.
    #[serde(default)]
    pub position_rent_refunded: Option<f64>,
    /// token0 withdrawn.
    #[serde(default)]
    pub base_token_amount_removed: Option<f64>,
    /// token1 withdrawn.
    #[serde(default)]
    pub quote_token_amount_removed: Option<f64>,
    /// token0 fees collected.
    #[serde(default)]
    pub base_fee_amount_collected: Option<f64>,
    /// token1 fees collected.
    #[serde(default)]
    pub quote_fee_amount_collected: Option<f64>,
}

/// `GET …/position-info` (bin ids are ticks; prices token1 per token0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionInfo {
    /// Position NFT id.
    pub address: String,
    /// Pool address.
    #[serde(default)]
    pub pool_address: Option<String>,
    /// token0.
    #[serde(default)]
    pub base_token_address: Option<String>,
    /// token1.
    #[serde(default)]
    pub quote_token_address: Option<String>,
    /// token0 in the position.
    #[serde(default)]
    pub base_token_amount: Option<f64>,
    /// token1 in the position.
    #[serde(default)]
    pub quote_token_amount: Option<f64>,
    /// Uncollected token0 fees.
    #[serde(default)]
    pub base_fee_amount: Option<f64>,
    /// Uncollected token1 fees.
    #[serde(default)]
    pub quote_fee_amount: Option<f64>,
    /// Lower tick.
    #[serde(default)]
    pub lower_bin_id: Option<i64>,
    /// Upper tick.
    #[serde(default)]
    pub upper_bin_id: Option<i64>,
    /// Lower price.
    #[serde(default)]
    pub lower_price: Option<f64>,
    /// Upper price.
    #[serde(default)]
    pub upper_price: Option<f64>,
    /// Current price.
    #[serde(default)]
    pub price: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    error: Option<String>,
    message: String,
    #[serde(default)]
    code: Option<String>,
}

/// A Gateway client bound to one network.
#[derive(Debug)]
pub struct GatewayClient {
    http: reqwest::Client,
    base: reqwest::Url,
    config: GatewayConfig,
}

enum Method {
    Get,
    Post,
}

impl GatewayClient {
    /// A client for `config`; only constructible in real mode.
    pub fn new(_gate: &RealModeGate, config: GatewayConfig) -> Result<GatewayClient, GatewayError> {
        let base = reqwest::Url::parse(&config.base_url).map_err(|e| GatewayError::InvalidUrl {
            value: config
                .base_url
                .split(['/', '?', '@'])
                .next()
                .unwrap_or_default()
                .to_string(),
            problem: e.to_string(),
        })?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(GatewayError::InvalidUrl {
                value: redact_url(&base),
                problem: "only http and https are supported".to_string(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| GatewayError::Client(e.to_string()))?;
        Ok(GatewayClient { http, base, config })
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The network sent on every call.
    pub fn network(&self) -> &str {
        &self.config.network
    }

    fn url(&self, route: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        let path = format!("{}{}", self.base.path().trim_end_matches('/'), route);
        url.set_path(&path);
        url
    }

    /// Query or body for a call: `network` first, then `fields`.
    pub fn params(&self, fields: Value) -> Value {
        let mut map = Map::new();
        map.insert("network".to_string(), json!(self.config.network));
        if let Value::Object(extra) = fields {
            map.extend(extra);
        }
        Value::Object(map)
    }

    async fn send_once(
        &self,
        method: &Method,
        route: &str,
        params: &Value,
    ) -> Result<Value, (GatewayError, Option<Duration>)> {
        let url = self.url(route);
        let request = match method {
            Method::Get => {
                let pairs: Vec<(String, String)> = match params {
                    Value::Object(m) => m
                        .iter()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                self.http.get(url).query(&pairs)
            }
            Method::Post => self.http.post(url).json(params),
        };
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                GatewayError::Timeout {
                    route: route.to_string(),
                    after_ms: self.config.timeout.as_millis(),
                }
            } else {
                GatewayError::Transport {
                    route: route.to_string(),
                    detail: error_chain(&e.without_url()),
                }
            }
        };
        let resp = request.send().await.map_err(|e| (transport(e), None))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.map_err(|e| (transport(e), None))?;
        if !status.is_success() {
            let err = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(body) => GatewayError::Api {
                    route: route.to_string(),
                    status: body.status_code.unwrap_or(status.as_u16()),
                    message: body.message,
                    code: body.code,
                    error: body.error,
                },
                Err(_) => GatewayError::Http {
                    route: route.to_string(),
                    status: status.as_u16(),
                    body: text.chars().take(300).collect(),
                },
            };
            return Err((err, retry_after));
        }
        serde_json::from_str(&text).map_err(|e| {
            (
                GatewayError::Decode {
                    route: route.to_string(),
                    detail: format!("not JSON: {e}"),
                },
                None,
            )
        })
    }

    /// Sends a call: GETs are retried with backoff, POSTs are sent once.
    async fn call_raw(
        &self,
        method: Method,
        route: &str,
        params: &Value,
    ) -> Result<Value, GatewayError> {
        let attempts = match method {
            Method::Get => 1 + self.config.read_retries,
            Method::Post => 1,
        };
        let mut delay = self.config.backoff;
        let mut attempt = 1;
        loop {
            match self.send_once(&method, route, params).await {
                Ok(v) => return Ok(v),
                Err((err, retry_after)) => {
                    if attempt >= attempts || !err.retryable() {
                        return Err(err);
                    }
                    let wait = retry_after.unwrap_or(delay).min(self.config.max_backoff);
                    tokio::time::sleep(wait).await;
                    delay = (delay * 2).min(self.config.max_backoff);
                    attempt += 1;
                }
            }
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        params: &Value,
    ) -> Result<T, GatewayError> {
        let value = self.call_raw(method, route, params).await?;
        serde_json::from_value(value).map_err(|e| GatewayError::Decode {
            route: route.to_string(),
            detail: e.to_string(),
        })
    }

    async fn transaction<D: DeserializeOwned>(
        &self,
        route: &str,
        params: &Value,
    ) -> Result<TxAnswer<D>, GatewayError> {
        let answer: TxAnswer<D> = self.call(Method::Post, route, params).await?;
        match answer.status {
            1 => Ok(answer),
            -1 => Err(GatewayError::TxReverted {
                route: route.to_string(),
                signature: answer.signature,
            }),
            0 => Err(GatewayError::TxPending {
                route: route.to_string(),
                signature: answer.signature,
            }),
            other => Err(GatewayError::Decode {
                route: route.to_string(),
                detail: format!(
                    "unknown transaction status {other} (tx {})",
                    answer.signature
                ),
            }),
        }
    }

    /// The exact parameters sent for a call on one position: position-info
    /// (`with_wallet` false), collect-fees and close-position (`with_wallet` true).
    pub fn position_id_params(&self, position_id: &str, with_wallet: bool) -> Value {
        let mut fields = if with_wallet {
            self.wallet_fields()
        } else {
            Map::new()
        };
        fields.insert("positionAddress".to_string(), json!(position_id));
        self.params(Value::Object(fields))
    }

    fn wallet_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(w) = &self.config.wallet_address {
            m.insert("walletAddress".to_string(), json!(w));
        }
        m
    }

    /// The exact parameters sent for quote-position (`with_wallet` false) or
    /// open-position (`with_wallet` true): `network`, the position fields, and
    /// `walletAddress` when configured.
    pub fn position_params(&self, p: &PositionParams, with_wallet: bool) -> Value {
        let mut fields = match serde_json::to_value(p) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if with_wallet {
            fields.extend(self.wallet_fields());
        }
        self.params(Value::Object(fields))
    }

    /// `GET /` — healthy iff `{"status":"ok"}`.
    pub async fn health(&self) -> Result<Health, GatewayError> {
        let h: Health = self.call(Method::Get, "/", &json!({})).await?;
        if h.status == "ok" {
            Ok(h)
        } else {
            Err(GatewayError::Unhealthy(format!("status {:?}", h.status)))
        }
    }

    /// `GET /chains/ethereum/status?network=…`.
    pub async fn chain_status(&self) -> Result<ChainStatus, GatewayError> {
        self.call(
            Method::Get,
            "/chains/ethereum/status",
            &self.params(json!({})),
        )
        .await
    }

    /// `GET …/pool-info`.
    pub async fn pool_info(&self, pool_address: &str) -> Result<PoolInfo, GatewayError> {
        let params = self.params(json!({"poolAddress": pool_address}));
        self.call(Method::Get, &format!("{CLMM_PREFIX}/pool-info"), &params)
            .await
    }

    /// `GET …/quote-position`.
    pub async fn quote_position(&self, p: &PositionParams) -> Result<PositionQuote, GatewayError> {
        let params = self.position_params(p, false);
        self.call(
            Method::Get,
            &format!("{CLMM_PREFIX}/quote-position"),
            &params,
        )
        .await
    }

    /// `POST …/open-position` (sent once).
    pub async fn open_position(
        &self,
        p: &PositionParams,
    ) -> Result<TxAnswer<OpenedPosition>, GatewayError> {
        let params = self.position_params(p, true);
        self.transaction(&format!("{CLMM_PREFIX}/open-position"), &params)
            .await
    }

    /// `GET …/position-info`.
    pub async fn position_info(&self, position_id: &str) -> Result<PositionInfo, GatewayError> {
        let params = self.position_id_params(position_id, false);
        self.call(
            Method::Get,
            &format!("{CLMM_PREFIX}/position-info"),
            &params,
        )
        .await
    }

    /// `GET …/positions-owned` for `wallet`.
    pub async fn positions_owned(&self, wallet: &str) -> Result<Vec<PositionInfo>, GatewayError> {
        let params = self.params(json!({"walletAddress": wallet}));
        self.call(
            Method::Get,
            &format!("{CLMM_PREFIX}/positions-owned"),
            &params,
        )
        .await
    }

    /// `POST …/collect-fees` (sent once).
    pub async fn collect_fees(
        &self,
        position_id: &str,
    ) -> Result<TxAnswer<CollectedFees>, GatewayError> {
        let params = self.position_id_params(position_id, true);
        self.transaction(&format!("{CLMM_PREFIX}/collect-fees"), &params)
            .await
    }

    /// `POST …/close-position` (sent once).
    pub async fn close_position(
        &self,
        position_id: &str,
    ) -> Result<TxAnswer<ClosedPosition>, GatewayError> {
        let params = self.position_id_params(position_id, true);
        self.transaction(&format!("{CLMM_PREFIX}/close-position"), &params)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::gate::ExecMode;

    fn client(base: &str) -> GatewayClient {
        let gate = RealModeGate::open(ExecMode::Real).unwrap();
        let mut c = GatewayConfig::new(base, "arbitrum");
        c.wallet_address = Some("0xabc".into());
        GatewayClient::new(&gate, c).unwrap()
    }

    #[test]
    fn routes_join_the_base_path() {
        let c = client("http://localhost:15888");
        assert_eq!(c.url("/").as_str(), "http://localhost:15888/");
        assert_eq!(
            c.url("/connectors/uniswap/clmm/pool-info").as_str(),
            "http://localhost:15888/connectors/uniswap/clmm/pool-info"
        );
        let c = client("https://gw.example.org/prefix/");
        assert_eq!(
            c.url("/chains/ethereum/status").as_str(),
            "https://gw.example.org/prefix/chains/ethereum/status"
        );
    }

    #[test]
    fn every_call_carries_the_network_and_wallet_where_it_moves_money() {
        let c = client("http://localhost:15888");
        let p = c.position_id_params("7", true);
        assert_eq!(p["network"], "arbitrum");
        assert_eq!(p["walletAddress"], "0xabc");
        assert_eq!(p["positionAddress"], "7");
        let q = c.position_id_params("7", false);
        assert!(q.get("walletAddress").is_none());
        // the caller cannot drop the network by passing its own fields
        assert_eq!(
            c.params(json!({"poolAddress": "0x1"}))["network"],
            "arbitrum"
        );
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        let api = |status| GatewayError::Api {
            route: "/".into(),
            status,
            message: String::new(),
            code: None,
            error: None,
        };
        for s in [429, 502, 503, 504] {
            assert!(api(s).retryable(), "{s}");
        }
        for s in [400, 401, 404, 500] {
            assert!(!api(s).retryable(), "{s}");
        }
        let reverted = GatewayError::TxReverted {
            route: "/".into(),
            signature: "0x1".into(),
        };
        assert!(!reverted.retryable());
    }

    #[test]
    fn bad_urls_are_refused() {
        let gate = RealModeGate::open(ExecMode::Real).unwrap();
        let err = GatewayClient::new(&gate, GatewayConfig::new("localhost:15888", "mainnet"));
        assert!(
            matches!(err, Err(GatewayError::InvalidUrl { .. })),
            "{err:?}"
        );
        let err = GatewayClient::new(&gate, GatewayConfig::new("nonsense", "mainnet"));
        assert!(
            matches!(err, Err(GatewayError::InvalidUrl { .. })),
            "{err:?}"
        );
    }
}
