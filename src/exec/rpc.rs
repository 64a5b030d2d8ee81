//! A small Ethereum JSON-RPC client over reqwest: `eth_chainId`, `eth_getCode`,
//! `eth_call`, each with a per-request timeout. Only constructed from a
//! [`RealModeGate`], so mock mode cannot reach a node.
//!
//! The node URL may carry an API key (in its path or query), so errors and reports name
//! only the redacted endpoint (`scheme://host:port`), never the full URL.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::gate::RealModeGate;

/// The environment variable holding the node's JSON-RPC URL.
pub const RPC_URL_ENV: &str = "ETH_RPC_URL";

/// Default per-request timeout.
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors talking to a JSON-RPC node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The URL is not an http(s) URL.
    #[error("invalid JSON-RPC URL {value:?}: {problem}")]
    InvalidUrl {
        /// The URL with any path/query removed.
        value: String,
        /// What is wrong.
        problem: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// No answer within the timeout.
    #[error("{method} to {endpoint} timed out after {after_ms} ms")]
    Timeout {
        /// Redacted endpoint.
        endpoint: String,
        /// JSON-RPC method.
        method: String,
        /// The timeout.
        after_ms: u128,
    },
    /// Connection or protocol failure.
    #[error("{method} to {endpoint} failed: {detail}")]
    Transport {
        /// Redacted endpoint.
        endpoint: String,
        /// JSON-RPC method.
        method: String,
        /// What failed.
        detail: String,
    },
    /// A non-2xx HTTP status.
    #[error("{method} to {endpoint} returned HTTP {status}: {body}")]
    Http {
        /// Redacted endpoint.
        endpoint: String,
        /// JSON-RPC method.
        method: String,
        /// HTTP status.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// The node answered with a JSON-RPC error object (e.g. an `eth_call` revert).
    #[error("{method} returned JSON-RPC error {code}: {message}")]
    Rpc {
        /// JSON-RPC method.
        method: String,
        /// Error code.
        code: i64,
        /// Error message.
        message: String,
    },
    /// The answer could not be decoded.
    #[error("{method}: cannot decode the answer: {detail}")]
    Decode {
        /// JSON-RPC method.
        method: String,
        /// What was wrong.
        detail: String,
    },
}

#[derive(Debug, Deserialize)]
struct RpcResponse {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcErrorObject>,
}

#[derive(Debug, Deserialize)]
struct RpcErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
}

/// A JSON-RPC client for one node.
#[derive(Debug)]
pub struct RpcClient {
    http: reqwest::Client,
    url: reqwest::Url,
    endpoint: String,
    timeout: Duration,
    next_id: AtomicU64,
}

/// `scheme://host:port` of a URL (no credentials, path or query).
pub fn redact_url(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{}://{}:{}", url.scheme(), host, port),
        (Some(host), None) => format!("{}://{}", url.scheme(), host),
        _ => format!("{}://", url.scheme()),
    }
}

impl RpcClient {
    /// A client for the node at `url`, each request bounded by `timeout`.
    pub fn new(_gate: &RealModeGate, url: &str, timeout: Duration) -> Result<RpcClient, RpcError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| RpcError::InvalidUrl {
            // only the text before any path, query or credentials: those may hold a key
            value: url
                .split(['/', '?', '@'])
                .next()
                .unwrap_or_default()
                .to_string(),
            problem: e.to_string(),
        })?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(RpcError::InvalidUrl {
                value: redact_url(&parsed),
                problem: "only http and https are supported".to_string(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| RpcError::Client(e.to_string()))?;
        Ok(RpcClient {
            http,
            endpoint: redact_url(&parsed),
            url: parsed,
            timeout,
            next_id: AtomicU64::new(1),
        })
    }

    /// The redacted endpoint (`scheme://host:port`), safe to log.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends one JSON-RPC request and decodes its `result`.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                RpcError::Timeout {
                    endpoint: self.endpoint.clone(),
                    method: method.to_string(),
                    after_ms: self.timeout.as_millis(),
                }
            } else {
                RpcError::Transport {
                    endpoint: self.endpoint.clone(),
                    method: method.to_string(),
                    // without_url: the URL may hold an API key
                    detail: error_chain(&e.without_url()),
                }
            }
        };
        let resp = self
            .http
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let text = resp.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(RpcError::Http {
                endpoint: self.endpoint.clone(),
                method: method.to_string(),
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        let decode = |detail: String| RpcError::Decode {
            method: method.to_string(),
            detail,
        };
        let parsed: RpcResponse = serde_json::from_str(&text).map_err(|e| decode(e.to_string()))?;
        if let Some(err) = parsed.error {
            return Err(RpcError::Rpc {
                method: method.to_string(),
                code: err.code,
                message: err.message,
            });
        }
        let result = parsed
            .result
            .ok_or_else(|| decode("neither result nor error in the answer".to_string()))?;
        serde_json::from_value(result).map_err(|e| decode(e.to_string()))
    }

    /// `eth_chainId` as a number.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let hex: String = self.request("eth_chainId", json!([])).await?;
        parse_quantity(&hex).ok_or_else(|| RpcError::Decode {
            method: "eth_chainId".to_string(),
            detail: format!("{hex:?} is not a hex quantity"),
        })
    }

    /// `eth_getCode(address, "latest")`; empty for an account without code.
    pub async fn get_code(&self, address: Address) -> Result<Bytes, RpcError> {
        self.request("eth_getCode", json!([address, "latest"]))
            .await
    }

    /// `eth_call({to, data}, "latest")`.
    pub async fn call(&self, to: Address, data: &[u8]) -> Result<Bytes, RpcError> {
        let data = Bytes::copy_from_slice(data);
        self.request("eth_call", json!([{"to": to, "data": data}, "latest"]))
            .await
    }
}

/// An error and its sources, `: `-separated (reqwest's own message is terse).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Parses a JSON-RPC hex quantity (`0x1`, `0x7a69`).
pub fn parse_quantity(hex: &str) -> Option<u64> {
    let digits = hex.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::gate::ExecMode;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("0x1"), Some(1));
        assert_eq!(parse_quantity("0x7a69"), Some(31337));
        assert_eq!(parse_quantity("0x"), None);
        assert_eq!(parse_quantity("7a69"), None);
        assert_eq!(parse_quantity("0xzz"), None);
    }

    #[test]
    fn endpoint_hides_keys() {
        let gate = RealModeGate::open(ExecMode::Real).unwrap();
        let c = RpcClient::new(
            &gate,
            "https://user:pw@eth.example.org/v2/SECRETKEY?k=1",
            DEFAULT_RPC_TIMEOUT,
        )
        .unwrap();
        assert_eq!(c.endpoint(), "https://eth.example.org:443");
        let err = RpcClient::new(&gate, "ftp://h/x", DEFAULT_RPC_TIMEOUT).unwrap_err();
        assert!(matches!(err, RpcError::InvalidUrl { .. }), "{err}");
        let err = RpcClient::new(&gate, "not a url/SECRET", DEFAULT_RPC_TIMEOUT).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
