//! A local stand-in for Hummingbot Gateway 2.x (axum on 127.0.0.1, port 0) that follows
//! the documented contract: routes, `network` on every call, error bodies
//! `{"statusCode","error","message"}`, transaction answers `{signature, status, data}`,
//! prices as token1 per token0. Knobs switch each failure mode on; every request is
//! logged so tests can count what reached the server.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The mainnet USDC/WETH 0.05% pool: token0 USDC (6), token1 WETH (18).
pub const POOL: &str = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640";
pub const USDC: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
pub const WETH: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
/// Gateway's price for it: WETH per USDC.
pub const POOL_PRICE: f64 = 0.0003;
pub const POSITION_ID: &str = "424242";
pub const OPEN_TX: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
pub const CLOSE_TX: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";
pub const COLLECT_TX: &str = "0x3333333333333333333333333333333333333333333333333333333333333333";

/// How a route misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and Gateway's error body.
    Api {
        status: u16,
        message: String,
        code: Option<String>,
    },
    /// Answer with this status and a plain-text body.
    Plain { status: u16, body: String },
    /// A transaction answer with this status (-1 reverted, 0 pending).
    TxStatus(i32),
    /// Sleep this long before answering normally.
    Delay(Duration),
    /// Answer 429 (with Retry-After: 0) this many times, then normally.
    RateLimited(u32),
    /// `{"status": "<text>"}` on the health route.
    HealthStatus(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    pub route: String,
    pub params: BTreeMap<String, Value>,
}

/// The pool the stand-in serves: its address, base (token0), quote (token1) and
/// Gateway price (token1 per token0).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    pub address: String,
    pub base: String,
    pub quote: String,
    pub price: f64,
}

impl Default for PoolSpec {
    fn default() -> Self {
        PoolSpec {
            address: POOL.into(),
            base: USDC.into(),
            quote: WETH.into(),
            price: POOL_PRICE,
        }
    }
}

#[derive(Default)]
struct Inner {
    faults: BTreeMap<String, Fault>,
    requests: Vec<Request>,
    pool: PoolSpec,
}

#[derive(Clone, Default)]
pub struct StandIn {
    inner: Arc<Mutex<Inner>>,
}

impl StandIn {
    /// Sets the fault of `route` (e.g. "/connectors/uniswap/clmm/close-position", "/").
    pub fn fault(&self, route: &str, fault: Fault) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .insert(route.to_string(), fault);
    }
    /// Serves `pool` instead of the mainnet USDC/WETH 0.05% pool.
    pub fn set_pool(&self, pool: PoolSpec) {
        self.inner.lock().unwrap().pool = pool;
    }
    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }
    pub fn count(&self, route: &str) -> usize {
        self.requests().iter().filter(|r| r.route == route).count()
    }
    pub fn total(&self) -> usize {
        self.requests().len()
    }
}

/// Starts the stand-in; returns its base URL and handle. The server task lives as long
/// as the test's runtime.
pub async fn start() -> (String, StandIn) {
    let standin = StandIn::default();
    let clmm = "/connectors/uniswap/clmm";
    let app = Router::new()
        .route("/", get(handle_get))
        .route("/chains/ethereum/status", get(handle_get))
        .route(&format!("{clmm}/pool-info"), get(handle_get))
        .route(&format!("{clmm}/quote-position"), get(handle_get))
        .route(&format!("{clmm}/position-info"), get(handle_get))
        .route(&format!("{clmm}/positions-owned"), get(handle_get))
        .route(&format!("{clmm}/open-position"), post(handle_post))
        .route(&format!("{clmm}/collect-fees"), post(handle_post))
        .route(&format!("{clmm}/close-position"), post(handle_post))
        .with_state(standin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), standin)
}

fn api_error(status: u16, message: &str, code: Option<&str>) -> Response {
    let name = match status {
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let mut body = json!({"statusCode": status, "error": name, "message": message});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

async fn handle_get(
    State(s): State<StandIn>,
    uri: axum::http::Uri,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let params = q.into_iter().map(|(k, v)| (k, json!(v))).collect();
    respond(s, "GET", uri.path().to_string(), params).await
}

async fn handle_post(
    State(s): State<StandIn>,
    uri: axum::http::Uri,
    Json(body): Json<Value>,
) -> Response {
    let params = match body {
        Value::Object(m) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    respond(s, "POST", uri.path().to_string(), params).await
}

fn num(params: &BTreeMap<String, Value>, key: &str) -> Option<f64> {
    match params.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

async fn respond(
    s: StandIn,
    method: &str,
    route: String,
    params: BTreeMap<String, Value>,
) -> Response {
    let (fault, pool) = {
        let mut inner = s.inner.lock().unwrap();
        inner.requests.push(Request {
            method: method.to_string(),
            route: route.clone(),
            params: params.clone(),
        });
        let fault = inner.faults.get(&route).cloned();
        if let Some(Fault::RateLimited(n)) = &fault {
            if *n > 0 {
                inner
                    .faults
                    .insert(route.clone(), Fault::RateLimited(n - 1));
            }
        }
        (fault, inner.pool.clone())
    };
    let (pool_addr, base_addr, quote_addr, price) = (
        pool.address.as_str(),
        pool.base.as_str(),
        pool.quote.as_str(),
        pool.price,
    );
    match fault {
        Some(Fault::Api {
            status,
            message,
            code,
        }) => return api_error(status, &message, code.as_deref()),
        Some(Fault::Plain { status, body }) => {
            return (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::RateLimited(n)) if n > 0 => {
            let mut h = HeaderMap::new();
            h.insert("retry-after", HeaderValue::from_static("0"));
            let mut r = api_error(429, "Rate limit exceeded, retry in 1 minute", None);
            r.headers_mut().extend(h);
            return r;
        }
        _ => {}
    }
    if route == "/" {
        let status = match fault {
            Some(Fault::HealthStatus(st)) => st,
            _ => "ok".to_string(),
        };
        return Json(json!({"status": status})).into_response();
    }
    // Gateway's schema: every route here takes `network`; the stand-in insists on it
    // being sent explicitly (the real one would silently default to "base").
    let Some(network) = params
        .get("network")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return api_error(400, "body/network must be sent explicitly", None);
    };
    let tx_status = match fault {
        Some(Fault::TxStatus(st)) => st,
        _ => 1,
    };
    let clmm = route
        .strip_prefix("/connectors/uniswap/clmm")
        .unwrap_or(&route);
    match clmm {
        "/chains/ethereum/status" => Json(json!({
            "chain": "ethereum", "network": network,
            "rpcUrl": "https://eth.example.invalid/v2/SECRETKEY",
            "currentBlockNumber": 21000000, "nativeCurrency": "ETH"
        }))
        .into_response(),
        "/pool-info" => {
            if params.get("poolAddress").and_then(Value::as_str).map(str::to_lowercase)
                != Some(pool_addr.to_lowercase())
            {
                return api_error(404, "Pool not found", None);
            }
            Json(json!({
                "address": pool_addr, "baseTokenAddress": base_addr, "quoteTokenAddress": quote_addr,
                "binStep": 10, "feePct": 0.05, "price": price,
                "baseTokenAmount": 80000000.0, "quoteTokenAmount": 30000.0, "activeBinId": 195197
            }))
            .into_response()
        }
        "/quote-position" | "/open-position" => {
            let (Some(lo), Some(hi)) = (num(&params, "lowerPrice"), num(&params, "upperPrice")) else {
                return api_error(400, "lowerPrice and upperPrice are required", None);
            };
            // prices are token1 per token0 (WETH per USDC): a range in USD per ETH
            // (~3000) is far above the pool price and is refused like Gateway would
            if !(lo < price && price < hi) {
                return api_error(
                    400,
                    &format!("range [{lo}, {hi}] does not contain the pool price {price}"),
                    None,
                );
            }
            // one side given: the other at the pool price (a centred range needs both)
            let (base, quote) = match (num(&params, "baseTokenAmount"), num(&params, "quoteTokenAmount")) {
                (Some(b), Some(q)) => (b, q),
                (Some(b), None) => (b, b * price),
                (None, Some(q)) => (q / price, q),
                (None, None) => (0.0, 0.0),
            };
            if clmm == "/quote-position" {
                Json(json!({
                    "baseLimited": true, "baseTokenAmount": base, "quoteTokenAmount": quote,
                    "baseTokenAmountMax": base * 1.01, "quoteTokenAmountMax": quote * 1.01,
                    "liquidity": "123456789"
                }))
                .into_response()
            } else {
                tx(OPEN_TX, tx_status, json!({
                    "fee": 0.004, "positionAddress": POSITION_ID, "positionRent": 0,
                    "baseTokenAmountAdded": base, "quoteTokenAmountAdded": quote
                }))
            }
        }
        "/position-info" => {
            if params.get("positionAddress").and_then(Value::as_str) != Some(POSITION_ID) {
                return api_error(404, "Position not found", None);
            }
            Json(json!({
                "address": POSITION_ID, "poolAddress": pool_addr, "baseTokenAddress": base_addr,
                "quoteTokenAddress": quote_addr, "baseTokenAmount": 100.0, "quoteTokenAmount": 0.03,
                "baseFeeAmount": 0.01, "quoteFeeAmount": 0.000003, "lowerBinId": 194000,
                "upperBinId": 196500, "lowerPrice": 0.000266, "upperPrice": 0.000342,
                "price": price
            }))
            .into_response()
        }
        "/positions-owned" => Json(json!([{
            "address": POSITION_ID, "poolAddress": POOL, "baseTokenAddress": USDC,
            "quoteTokenAddress": WETH, "baseTokenAmount": 100.0, "quoteTokenAmount": 0.03,
            "baseFeeAmount": 0.0, "quoteFeeAmount": 0.0, "lowerBinId": 194000,
            "upperBinId": 196500, "lowerPrice": 0.000266, "upperPrice": 0.000342, "price": POOL_PRICE
        }]))
        .into_response(),
        "/collect-fees" => tx(COLLECT_TX, tx_status, json!({
            "fee": 0.002, "baseFeeAmountCollected": 0.01, "quoteFeeAmountCollected": 0.000003
        })),
        "/close-position" => tx(CLOSE_TX, tx_status, json!({
            "fee": 0.003, "positionRentRefunded": 0, "baseTokenAmountRemoved": 100.0,
            "quoteTokenAmountRemoved": 0.03, "baseFeeAmountCollected": 0.0,
            "quoteFeeAmountCollected": 0.0
        })),
        _ => api_error(404, &format!("Route {method}:{route} not found"), None),
    }
}

fn tx(signature: &str, status: i32, data: Value) -> Response {
    if status == 1 {
        Json(json!({"signature": signature, "status": 1, "data": data})).into_response()
    } else {
        Json(json!({"signature": signature, "status": status})).into_response()
    }
}
