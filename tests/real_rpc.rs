//! The JSON-RPC client and the validator against a local misbehaving node (axum on
//! 127.0.0.1): JSON-RPC error objects, HTTP errors, garbage, timeouts. The validator
//! still reports every named check when the node cannot answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use tracka::exec::gate::{ExecMode, RealModeGate};
use tracka::exec::networks::Networks;
use tracka::exec::pool_validator::{check_names, validate_pool, PoolExpectation};
use tracka::exec::rpc::{RpcClient, RpcError};

#[derive(Clone, Copy, Debug)]
enum Mode {
    RpcError,
    Http500,
    Garbage,
    Slow,
}

async fn node(State(mode): State<Arc<Mutex<Mode>>>, Json(req): Json<Value>) -> Response {
    let mode = *mode.lock().unwrap();
    match mode {
        Mode::RpcError => Json(json!({
            "jsonrpc": "2.0", "id": req["id"],
            "error": {"code": -32000, "message": "execution reverted"}
        }))
        .into_response(),
        Mode::Http500 => (StatusCode::INTERNAL_SERVER_ERROR, "upstream down").into_response(),
        Mode::Garbage => "not json".into_response(),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Json(json!({"jsonrpc": "2.0", "id": req["id"], "result": "0x1"})).into_response()
        }
    }
}

async fn start(mode: Mode) -> (String, Arc<Mutex<Mode>>) {
    let state = Arc::new(Mutex::new(mode));
    // any path: hosted node URLs carry a key in their path
    let app = Router::new().fallback(node).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v2/SECRETKEY"), state)
}

fn client(url: &str) -> RpcClient {
    let gate = RealModeGate::open(ExecMode::Real).unwrap();
    RpcClient::new(&gate, url, Duration::from_millis(300)).unwrap()
}

#[tokio::test]
async fn real_rpc_errors_are_typed_and_never_show_the_url_path() {
    let (url, mode) = start(Mode::RpcError).await;
    let c = client(&url);
    match c.chain_id().await {
        Err(RpcError::Rpc {
            code: -32000,
            message,
            ..
        }) => assert_eq!(message, "execution reverted"),
        other => panic!("{other:?}"),
    }
    *mode.lock().unwrap() = Mode::Http500;
    let err = c.chain_id().await.unwrap_err();
    assert!(matches!(err, RpcError::Http { status: 500, .. }), "{err}");
    assert!(!err.to_string().contains("SECRETKEY"), "{err}");
    *mode.lock().unwrap() = Mode::Garbage;
    assert!(matches!(c.chain_id().await, Err(RpcError::Decode { .. })));
    *mode.lock().unwrap() = Mode::Slow;
    let err = c.chain_id().await.unwrap_err();
    assert!(
        matches!(err, RpcError::Timeout { after_ms: 300, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("SECRETKEY"), "{err}");
}

#[tokio::test]
async fn real_validator_reports_every_check_when_the_node_fails() {
    let (url, _mode) = start(Mode::Http500).await;
    let net = Networks::builtin().unwrap().get("mainnet").unwrap().clone();
    let expect = PoolExpectation {
        address: "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640".into(),
        fee: Some(500),
        ..Default::default()
    };
    let r = validate_pool(&client(&url), &net, &expect).await;
    assert!(!r.passed);
    let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, check_names::ALL);
    // the address checks are local and pass; every remote one fails with its reason
    assert_eq!(r.failed(), &check_names::ALL[2..]);
    assert!(r
        .check(check_names::CHAIN_ID)
        .unwrap()
        .detail
        .contains("HTTP 500"));
    assert_eq!(r.rpc_endpoint, url.trim_end_matches("/v2/SECRETKEY"));
    assert!(!serde_json::to_string(&r).unwrap().contains("SECRETKEY"));
}
