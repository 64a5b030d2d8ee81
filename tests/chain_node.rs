//! A real local Ethereum node for the chain tests: Hardhat Network (`hardhat node`, the
//! npm version pinned in tools/node/package.json) on 127.0.0.1 with a free port, killed
//! when the handle drops (also when a test panics). Contracts are deployed with
//! `eth_sendTransaction` from hardhat's unlocked account #0: the published
//! UniswapV3Factory of @uniswap/v3-core@1.0.1 and our TestERC20 (solc-js 0.7.6).
//!
//! Missing node/npm packages make the test FAIL with a message to run
//! tools/setup-test-deps.sh; they never skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy_primitives::aliases::U24;
use alloy_primitives::{Address, Bytes};
use alloy_sol_types::{sol, SolCall, SolValue};
use serde_json::{json, Value};
use tracka::exec::gate::{ExecMode, RealModeGate};
use tracka::exec::rpc::RpcClient;

sol! {
    function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
    function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address pool);
}

const SETUP_HINT: &str = "run tools/setup-test-deps.sh (needs Node.js and npm)";

fn tools_node() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tools")
        .join("node")
}

fn require_file(path: &Path, what: &str) {
    assert!(
        path.is_file(),
        "chain test dependency missing: {what} ({}); {SETUP_HINT}",
        path.display()
    );
}

fn artifact_bytecode(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {SETUP_HINT}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("artifact is JSON");
    let hex = v["bytecode"].as_str().expect("artifact has bytecode");
    alloy_primitives::hex::decode(hex).expect("bytecode is hex")
}

/// A running `hardhat node`; killed on drop.
pub struct HardhatNode {
    child: Child,
    pub url: String,
    /// stdout and stderr of the node (removed with the handle)
    log: tempfile::NamedTempFile,
}

impl Drop for HardhatNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

impl HardhatNode {
    /// Starts a node and waits until it answers `eth_chainId`.
    pub async fn start() -> HardhatNode {
        let dir = tools_node();
        let bin = dir.join("node_modules").join(".bin").join("hardhat");
        let node_ok = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            node_ok,
            "chain test dependency missing: `node` is not on PATH; {SETUP_HINT}"
        );
        require_file(&bin, "hardhat");
        require_file(&dir.join("hardhat.config.js"), "hardhat.config.js");
        let gate = RealModeGate::open(ExecMode::Real).unwrap();
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("log file");
            let out = log.reopen().expect("log file");
            let err = log.reopen().expect("log file");
            let child = Command::new(&bin)
                .args([
                    "node",
                    "--hostname",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                ])
                .current_dir(&dir)
                .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}; {SETUP_HINT}", bin.display()));
            let url = format!("http://127.0.0.1:{port}");
            let mut node = HardhatNode {
                child,
                url: url.clone(),
                log,
            };
            let rpc = RpcClient::new(&gate, &url, Duration::from_secs(2)).unwrap();
            for _ in 0..300 {
                if let Ok(Some(_)) = node.child.try_wait() {
                    break;
                }
                if rpc.chain_id().await.is_ok() {
                    return node;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            last_log = std::fs::read_to_string(node.log.path()).unwrap_or_default();
            drop(node);
        }
        panic!("hardhat node did not start on 127.0.0.1; its log:\n{last_log}");
    }

    pub fn rpc(&self) -> RpcClient {
        let gate = RealModeGate::open(ExecMode::Real).unwrap();
        RpcClient::new(&gate, &self.url, Duration::from_secs(10)).unwrap()
    }
}

/// Sends a transaction from `from` and returns its receipt (asserting success).
pub async fn send(rpc: &RpcClient, from: Address, to: Option<Address>, data: Vec<u8>) -> Value {
    let mut tx = json!({"from": from, "data": Bytes::from(data), "gas": "0xe4e1c0"});
    if let Some(to) = to {
        tx["to"] = json!(to);
    }
    let hash: String = rpc
        .request("eth_sendTransaction", json!([tx]))
        .await
        .expect("send tx");
    let receipt: Value = rpc
        .request("eth_getTransactionReceipt", json!([hash]))
        .await
        .expect("receipt");
    assert_eq!(receipt["status"], "0x1", "transaction failed: {receipt}");
    receipt
}

pub async fn accounts(rpc: &RpcClient) -> Vec<Address> {
    rpc.request("eth_accounts", json!([]))
        .await
        .expect("eth_accounts")
}

async fn deploy(rpc: &RpcClient, from: Address, code: Vec<u8>) -> Address {
    let r = send(rpc, from, None, code).await;
    r["contractAddress"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("contract address")
}

/// What the standard deployment put on chain.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub deployer: Address,
    pub other_account: Address,
    pub factory: Address,
    pub factory2: Address,
    pub token_a: Address,
    pub token_b: Address,
    pub token_c: Address,
    /// factory.createPool(a, b, 500)
    pub pool: Address,
    /// factory2.createPool(a, b, 500): a real pool contract, not of the network's factory
    pub foreign_pool: Address,
}

impl Deployed {
    /// (token0, token1) of `pool`: the numerically lower address first.
    pub fn sorted(&self) -> (Address, Address) {
        if self.token_a < self.token_b {
            (self.token_a, self.token_b)
        } else {
            (self.token_b, self.token_a)
        }
    }
}

pub async fn create_pool(
    rpc: &RpcClient,
    from: Address,
    factory: Address,
    a: Address,
    b: Address,
    fee: u32,
) -> Address {
    let call = createPoolCall {
        tokenA: a,
        tokenB: b,
        fee: U24::from(fee),
    };
    send(rpc, from, Some(factory), call.abi_encode()).await;
    let out = rpc
        .call(
            factory,
            &getPoolCall {
                tokenA: a,
                tokenB: b,
                fee: U24::from(fee),
            }
            .abi_encode(),
        )
        .await
        .expect("getPool");
    getPoolCall::abi_decode_returns(&out).expect("decode getPool")
}

/// Deploys the factory first (so it lands at account #0's nonce-0 address), three
/// TestERC20s, a second factory and one pool on each factory.
pub async fn deploy_standard(rpc: &RpcClient) -> Deployed {
    let dir = tools_node();
    let factory_json = dir.join("node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json");
    let token_json = dir.join("artifacts/TestERC20.json");
    require_file(
        &factory_json,
        "@uniswap/v3-core@1.0.1 UniswapV3Factory artifact",
    );
    require_file(&token_json, "compiled TestERC20 (tools/contracts)");
    let factory_code = artifact_bytecode(&factory_json);
    let token_code = artifact_bytecode(&token_json);
    let accts = accounts(rpc).await;
    let deployer = accts[0];
    let factory = deploy(rpc, deployer, factory_code.clone()).await;
    let mut tokens = Vec::new();
    for (name, symbol) in [("Token A", "TKA"), ("Token B", "TKB"), ("Token C", "TKC")] {
        let mut code = token_code.clone();
        code.extend((name.to_string(), symbol.to_string()).abi_encode_params());
        tokens.push(deploy(rpc, deployer, code).await);
    }
    let factory2 = deploy(rpc, deployer, factory_code).await;
    let (token_a, token_b, token_c) = (tokens[0], tokens[1], tokens[2]);
    let pool = create_pool(rpc, deployer, factory, token_a, token_b, 500).await;
    let foreign_pool = create_pool(rpc, deployer, factory2, token_a, token_b, 500).await;
    assert_ne!(pool, Address::ZERO);
    assert_ne!(foreign_pool, Address::ZERO);
    Deployed {
        deployer,
        other_account: accts[1],
        factory,
        factory2,
        token_a,
        token_b,
        token_c,
        pool,
        foreign_pool,
    }
}
