//! The Gateway client against the local stand-in: success path with Gateway's price
//! orientation, each error body, timeouts, 429, reverted and pending transactions, and
//! the rule that only reads are retried.

use std::time::Duration;

use tracka::exec::gate::{ExecMode, RealModeGate};
use tracka::exec::gateway::{GatewayClient, GatewayConfig, GatewayError, PositionParams};
use tracka::exec::gateway_price::{gateway_price_to_tick, tick_to_gateway_price};

use crate::real_standin::{self as standin, Fault};

const CLMM: &str = "/connectors/uniswap/clmm";

fn config(url: &str) -> GatewayConfig {
    let mut c = GatewayConfig::new(url, "mainnet");
    c.wallet_address = Some("0x70997970C51812dc3A010C7d01b50e0d17dc79C8".to_string());
    c.timeout = Duration::from_millis(400);
    c.read_retries = 2;
    c.backoff = Duration::from_millis(5);
    c
}

fn client(url: &str) -> GatewayClient {
    let gate = RealModeGate::open(ExecMode::Real).unwrap();
    GatewayClient::new(&gate, config(url)).unwrap()
}

fn range_params() -> PositionParams {
    PositionParams {
        pool_address: standin::POOL.to_string(),
        lower_price: tick_to_gateway_price(194_000, 6, 18),
        upper_price: tick_to_gateway_price(196_500, 6, 18),
        base_token_amount: Some(100.0),
        quote_token_amount: None,
        slippage_pct: Some(1.0),
    }
}

#[tokio::test]
async fn real_gateway_success_path_sends_network_and_token1_per_token0_prices() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    assert_eq!(c.health().await.unwrap().status, "ok");
    let status = c.chain_status().await.unwrap();
    assert_eq!(status.network.as_deref(), Some("mainnet"));
    // the node URL Gateway reports may hold a key: the client does not keep it
    assert!(!serde_json::to_string(&status)
        .unwrap()
        .contains("SECRETKEY"));

    let info = c.pool_info(standin::POOL).await.unwrap();
    assert_eq!(info.base_token_address, standin::USDC);
    // token1 per token0: WETH per USDC, ~0.0003, and it maps to the pool's tick region
    assert!((0.0001..0.001).contains(&info.price), "{}", info.price);
    let tick = gateway_price_to_tick(info.price, 6, 18, 10).unwrap();
    assert!((194_000..196_500).contains(&tick), "{tick}");

    let quote = c.quote_position(&range_params()).await.unwrap();
    assert_eq!(quote.base_token_amount, 100.0);
    let opened = c.open_position(&range_params()).await.unwrap();
    assert_eq!(opened.signature, standin::OPEN_TX);
    let id = opened.data.unwrap().position_address;
    assert_eq!(id, standin::POSITION_ID);
    assert_eq!(
        c.position_info(&id).await.unwrap().lower_bin_id,
        Some(194_000)
    );
    assert_eq!(
        c.positions_owned("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.collect_fees(&id).await.unwrap().signature,
        standin::COLLECT_TX
    );
    assert_eq!(
        c.close_position(&id).await.unwrap().signature,
        standin::CLOSE_TX
    );

    let reqs = s.requests();
    assert_eq!(reqs.len(), 9);
    for r in reqs.iter().filter(|r| r.route != "/") {
        assert_eq!(
            r.params.get("network").and_then(|v| v.as_str()),
            Some("mainnet"),
            "{r:?}"
        );
    }
    let open = reqs
        .iter()
        .find(|r| r.route.ends_with("/open-position"))
        .unwrap();
    assert_eq!(open.method, "POST");
    assert!(open.params.contains_key("walletAddress"));
    // the inverted orientation (USD per ETH) is refused by a Gateway-like server
    let mut inverted = range_params();
    inverted.lower_price = 1.0 / range_params().upper_price;
    inverted.upper_price = 1.0 / range_params().lower_price;
    let err = c.quote_position(&inverted).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn real_gateway_error_bodies_become_typed_errors() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    // 404 from the route itself
    match c
        .pool_info("0x0000000000000000000000000000000000000001")
        .await
    {
        Err(GatewayError::Api {
            status: 404,
            message,
            ..
        }) => assert_eq!(message, "Pool not found"),
        other => panic!("{other:?}"),
    }
    // 400 with Gateway's body
    s.fault(
        &format!("{CLMM}/open-position"),
        Fault::Api {
            status: 400,
            message: "Insufficient USDC allowance".to_string(),
            code: None,
        },
    );
    match c.open_position(&range_params()).await {
        Err(GatewayError::Api {
            status: 400,
            message,
            code: None,
            error,
            ..
        }) => {
            assert!(message.contains("allowance"));
            assert_eq!(error.as_deref(), Some("Bad Request"));
        }
        other => panic!("{other:?}"),
    }
    // 504 with a code
    s.fault(
        &format!("{CLMM}/close-position"),
        Fault::Api {
            status: 504,
            message: "Transaction timed out".to_string(),
            code: Some("TRANSACTION_TIMEOUT".to_string()),
        },
    );
    match c.close_position("1").await {
        Err(GatewayError::Api {
            status: 504,
            code: Some(code),
            ..
        }) => assert_eq!(code, "TRANSACTION_TIMEOUT"),
        other => panic!("{other:?}"),
    }
    // 500 that is not Gateway's JSON body
    s.fault(
        &format!("{CLMM}/collect-fees"),
        Fault::Plain {
            status: 500,
            body: "<html>oops</html>".into(),
        },
    );
    match c.collect_fees("1").await {
        Err(GatewayError::Http {
            status: 500, body, ..
        }) => assert!(body.contains("oops")),
        other => panic!("{other:?}"),
    }
    // POSTs were each sent exactly once
    assert_eq!(s.count(&format!("{CLMM}/open-position")), 1);
    assert_eq!(s.count(&format!("{CLMM}/close-position")), 1);
    assert_eq!(s.count(&format!("{CLMM}/collect-fees")), 1);
}

#[tokio::test]
async fn real_gateway_timeouts_retry_reads_but_never_posts() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    s.fault(
        &format!("{CLMM}/position-info"),
        Fault::Delay(Duration::from_secs(3)),
    );
    s.fault(
        &format!("{CLMM}/open-position"),
        Fault::Delay(Duration::from_secs(3)),
    );
    assert!(matches!(
        c.position_info("1").await,
        Err(GatewayError::Timeout { .. })
    ));
    assert_eq!(
        s.count(&format!("{CLMM}/position-info")),
        3,
        "1 try + 2 retries"
    );
    assert!(matches!(
        c.open_position(&range_params()).await,
        Err(GatewayError::Timeout { .. })
    ));
    assert_eq!(
        s.count(&format!("{CLMM}/open-position")),
        1,
        "a POST is never retried"
    );
}

#[tokio::test]
async fn real_gateway_429_is_retried_for_reads_only() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    s.fault(&format!("{CLMM}/pool-info"), Fault::RateLimited(2));
    assert!(c.pool_info(standin::POOL).await.is_ok());
    assert_eq!(s.count(&format!("{CLMM}/pool-info")), 3);
    s.fault(&format!("{CLMM}/pool-info"), Fault::RateLimited(5));
    match c.pool_info(standin::POOL).await {
        Err(e @ GatewayError::Api { status: 429, .. }) => assert!(e.to_string().contains("429")),
        other => panic!("{other:?}"),
    }
    s.fault(&format!("{CLMM}/close-position"), Fault::RateLimited(1));
    assert_eq!(c.close_position("1").await.unwrap_err().status(), Some(429));
    assert_eq!(s.count(&format!("{CLMM}/close-position")), 1);
}

#[tokio::test]
async fn real_gateway_reverted_and_pending_transactions_carry_the_hash() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    s.fault(&format!("{CLMM}/open-position"), Fault::TxStatus(-1));
    match c.open_position(&range_params()).await {
        Err(GatewayError::TxReverted { signature, .. }) => assert_eq!(signature, standin::OPEN_TX),
        other => panic!("{other:?}"),
    }
    s.fault(&format!("{CLMM}/close-position"), Fault::TxStatus(0));
    match c.close_position(standin::POSITION_ID).await {
        Err(GatewayError::TxPending { signature, .. }) => assert_eq!(signature, standin::CLOSE_TX),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn real_gateway_unhealthy_and_unreachable() {
    let (url, s) = standin::start().await;
    let c = client(&url);
    s.fault("/", Fault::HealthStatus("degraded".into()));
    assert!(matches!(c.health().await, Err(GatewayError::Unhealthy(_))));
    // nothing listens on this port: a transport error, after the read retries
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&dead).health().await.unwrap_err();
    assert!(
        matches!(
            err,
            GatewayError::Transport { .. } | GatewayError::Timeout { .. }
        ),
        "{err}"
    );
}

#[test]
fn real_mock_mode_cannot_construct_network_clients() {
    // Every constructor of a network client takes a RealModeGate, and only real mode
    // yields one (the gate's field is private: see the compile_fail doctest in gate.rs).
    let err = RealModeGate::open(ExecMode::Mock).unwrap_err();
    assert!(err.to_string().contains("mock"), "{err}");
    let derived = ExecMode::derive(Some("real"), Some("true"));
    assert!(
        RealModeGate::open(derived).is_err(),
        "MOCK_CLMM=true must win over HB_ENV=real"
    );
    assert!(RealModeGate::open(ExecMode::derive(None, None)).is_err());
}
