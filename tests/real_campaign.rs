//! Real-mode campaigns end to end: `tracka campaign` with HB_ENV=real against the
//! Gateway stand-in (tests/real_standin.rs) and a real Hardhat node running the published
//! UniswapV3Factory (tests/chain_node.rs), so the pool validator checks a genuine pool.
//! The pool's token0 is the quote asset (USDC), so Gateway prices (token1 per token0) are
//! WETH per USDC: a range written the other way round is refused by the stand-in.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use alloy_primitives::Address;
use serde_json::{json, Value};

use crate::chain_node::{deploy_standard, Deployed, HardhatNode};
use crate::real_standin::{self, Fault, PoolSpec, StandIn, CLOSE_TX, OPEN_TX, POSITION_ID};
use crate::util::TestDir;

const CLMM: &str = "/connectors/uniswap/clmm";
/// WETH per USDC: 2000 USDC per WETH.
const PRICE: f64 = 0.0005;

struct Real {
    t: TestDir,
    node: Option<HardhatNode>,
    gateway: String,
    standin: StandIn,
    networks: PathBuf,
    pool: String,
}

/// A networks file with the devchain network: factory, USDC = token0, WETH = token1 (gas
/// token), and `pool` as the pair's one known pool.
fn write_networks(dir: &Path, d: Option<&Deployed>, pool: Address) -> PathBuf {
    let (factory, t0, t1) = match d {
        Some(d) => {
            let (t0, t1) = d.sorted();
            (d.factory, t0, t1)
        }
        None => (
            Address::repeat_byte(0x11),
            Address::repeat_byte(0x22),
            Address::repeat_byte(0x33),
        ),
    };
    let body = json!({
        "schema_version": 1,
        "networks": {"devchain": {
            "chain_id": 31337,
            "factory": factory.to_checksum(None),
            "gas_token": "WETH",
            "tokens": {
                "USDC": {"address": t0.to_checksum(None), "decimals": 18},
                "WETH": {"address": t1.to_checksum(None), "decimals": 18}
            },
            "pools": [{"name": "USDC/WETH 0.05%", "address": pool.to_checksum(None),
                       "token0": "USDC", "token1": "WETH", "fee": 500}]
        }}
    });
    let path = dir.join("networks.json");
    std::fs::write(&path, body.to_string()).unwrap();
    path
}

/// A node with the factory and pools, and the stand-in serving `pick(d)` with token0 as
/// base and token1 as quote.
async fn with_chain(pick: fn(&Deployed) -> Address) -> Real {
    let node = HardhatNode::start().await;
    let d = deploy_standard(&node.rpc()).await;
    let pool = pick(&d);
    let t = TestDir::new();
    let networks = write_networks(&t.path(), Some(&d), pool);
    let (gateway, standin) = real_standin::start().await;
    let (t0, t1) = d.sorted();
    standin.set_pool(PoolSpec {
        address: pool.to_checksum(None),
        base: t0.to_checksum(None),
        quote: t1.to_checksum(None),
        price: PRICE,
    });
    Real {
        t,
        node: Some(node),
        gateway,
        standin,
        networks,
        pool: pool.to_checksum(None),
    }
}

/// The stand-in only (for refusals that happen before the validator runs).
async fn without_chain() -> Real {
    let t = TestDir::new();
    let pool = Address::repeat_byte(0x44);
    let networks = write_networks(&t.path(), None, pool);
    let (gateway, standin) = real_standin::start().await;
    standin.set_pool(PoolSpec {
        address: pool.to_checksum(None),
        base: Address::repeat_byte(0x22).to_checksum(None),
        quote: Address::repeat_byte(0x33).to_checksum(None),
        price: PRICE,
    });
    Real {
        t,
        node: None,
        gateway,
        standin,
        networks,
        pool: pool.to_checksum(None),
    }
}

impl Real {
    fn rpc_url(&self) -> String {
        match &self.node {
            Some(n) => n.url.clone(),
            // never contacted: the tests using it stop before the validator
            None => "http://127.0.0.1:9".into(),
        }
    }

    /// `tracka campaign` in real mode with the risk acknowledged. `env` values are added
    /// (an empty value removes the variable); a flag in `args` replaces the default one;
    /// flags in `drop` are left out.
    fn command_with(&self, env: &[(&str, &str)], args: &[&str], drop: &[&str]) -> Command {
        let defaults = [
            ("--network", "devchain".to_string()),
            ("--networks", self.networks.to_str().unwrap().to_string()),
            ("--capital", "1000".into()),
            ("--max-capital", "1000".into()),
            ("--hold-seconds", "2".into()),
            ("--poll-seconds", "1".into()),
            ("--timeout-secs", "10".into()),
        ];
        let mut cmd = self.t.cmd();
        cmd.env("HB_ENV", "real")
            .env("I_UNDERSTAND_LIVE_RISK", "yes")
            .env("EPISODES", "1")
            .env("HB_SEED", "7")
            .env("ETH_RPC_URL", self.rpc_url())
            .env("GATEWAY_URL", &self.gateway)
            .arg("campaign");
        for (flag, value) in defaults {
            if !args.contains(&flag) && !drop.contains(&flag) {
                cmd.args([flag, value.as_str()]);
            }
        }
        cmd.args(args);
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        cmd
    }

    fn command(&self, env: &[(&str, &str)], args: &[&str]) -> Command {
        self.command_with(env, args, &[])
    }

    async fn campaign(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut cmd = self.command(env, args);
        tokio::task::spawn_blocking(move || cmd.output().expect("run tracka"))
            .await
            .unwrap()
    }

    fn episode_dir(&self) -> PathBuf {
        let runs = self.t.path().join("data/runs");
        let mut runs: Vec<_> = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        runs.sort();
        let eps = runs.last().unwrap().join("episodes");
        let mut eps: Vec<_> = std::fs::read_dir(eps)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        eps.sort();
        eps.pop().unwrap()
    }

    fn routes(&self) -> Vec<String> {
        self.standin
            .requests()
            .into_iter()
            .map(|r| r.route.trim_start_matches(CLMM).to_string())
            .collect()
    }
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn log_lines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("logs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn gateway_steps(dir: &Path) -> Vec<String> {
    log_lines(dir)
        .iter()
        .filter(|l| l["kind"] == "gateway.call")
        .map(|l| {
            let g = &l["gateway"];
            let pending = if g["pending"] == true { "(sent)" } else { "" };
            format!("{}{pending}", g["step"].as_str().unwrap())
        })
        .collect()
}

/// Every file under `dir` (the ledger's files included) as lossy text.
fn all_text_under(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_opens_holds_collects_and_closes_then_dry_run_only_quotes() {
    let r = with_chain(|d| d.pool).await;
    // a key in the Gateway URL must never be written anywhere
    let gw_with_key = r.gateway.replace("http://", "http://operator:SECRETKEY42@");
    let out = r.campaign(&[("GATEWAY_URL", &gw_with_key)], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let console = text(&out);
    assert!(
        console.contains("REAL MODE: live positions on devchain"),
        "{console}"
    );
    assert!(
        console.contains(&format!("open_position: tx {OPEN_TX} confirmed")),
        "{console}"
    );

    // Gateway saw: health + pool-info (to propose), then the executor's health,
    // pool-info, quote, open, polls while holding, collect, close; `network` on each
    let routes = r.routes();
    assert_eq!(
        &routes[..6],
        [
            "/",
            "/pool-info",
            "/",
            "/pool-info",
            "/quote-position",
            "/open-position"
        ],
        "{routes:?}"
    );
    let tail: Vec<&str> = routes[6..].iter().map(String::as_str).collect();
    assert_eq!(
        &tail[tail.len() - 2..],
        ["/collect-fees", "/close-position"]
    );
    assert!(tail[..tail.len() - 2]
        .iter()
        .all(|r| *r == "/position-info"));
    assert!(
        tail.len() - 2 >= 1,
        "at least one poll while holding: {routes:?}"
    );
    for req in r.standin.requests().iter().filter(|q| q.route != "/") {
        assert_eq!(req.params["network"], "devchain", "{req:?}");
    }
    // prices in Gateway's orientation: WETH per USDC around 0.0005, capital in USDC
    // (token0 = base)
    let open = r
        .standin
        .requests()
        .into_iter()
        .find(|q| q.route.ends_with("/open-position"))
        .unwrap();
    let lo = open.params["lowerPrice"].as_f64().unwrap();
    let hi = open.params["upperPrice"].as_f64().unwrap();
    assert!(lo < PRICE && PRICE < hi && hi < 0.01, "{lo} {hi}");
    assert!(open.params.contains_key("baseTokenAmount"), "{open:?}");
    assert!(!open.params.contains_key("quoteTokenAmount"), "{open:?}");

    let ep = r.episode_dir();
    let result = json_file(&ep.join("result.json"));
    assert_eq!(result["exec_mode"], "real");
    let report = &result["report"];
    assert_eq!(report["status"], "completed");
    assert_eq!(report["position_id"], POSITION_ID);
    assert_eq!(report["open_tx"], OPEN_TX);
    assert_eq!(report["close_tx"], CLOSE_TX);
    assert!(result["reward_bps"].is_number(), "{result}");
    assert!(!ep.join("failure.json").exists());
    // the proposal carries its on-chain target where validate-pool reads it
    let proposal = json_file(&ep.join("proposal.json"));
    assert_eq!(proposal["pool_address"], r.pool.as_str());
    assert_eq!(proposal["network"], "devchain");
    assert_eq!(proposal["capital_token"], "token0");
    let metadata = json_file(&ep.join("metadata.json"));
    assert_eq!(metadata["exec_mode"], "real");
    assert_eq!(metadata["extra"]["pool_validation"]["passed"], true);
    // a cold intel cache: real mode's freshness gate keeps the outcome out of learning
    assert_eq!(metadata["extra"]["learning"]["reason"], "low_fresh_pct");
    // every call is an event; polls are in logs.jsonl; transactions announced first
    let steps = gateway_steps(&ep);
    assert!(
        steps.iter().filter(|s| *s == "position_info").count() >= 1,
        "{steps:?}"
    );
    for tx in ["open_position", "collect_fees", "close_position"] {
        let sent = steps.iter().position(|s| *s == format!("{tx}(sent)"));
        let done = steps.iter().position(|s| s == tx);
        assert!(sent.is_some() && sent < done, "{tx}: {steps:?}");
    }
    // the runbook's validator form works on the episode's proposal.json
    let check =
        r.t.cmd()
            .env("ETH_RPC_URL", r.rpc_url())
            .args([
                "validate-pool",
                "--proposal-path",
                ep.join("proposal.json").to_str().unwrap(),
                "--run-id",
                "r",
                "--episode-id",
                "e",
                "--exec-mode",
                "real",
                "--networks",
                r.networks.to_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    // audit and replay hold; nothing secret was written
    for sub in [["audit"], ["replay"]] {
        let out = r.t.run(&sub);
        assert_eq!(out.status.code(), Some(0), "{sub:?}: {}", text(&out));
    }
    assert!(!all_text_under(&r.t.path().join("data")).contains("SECRETKEY42"));

    // --dry-run: health, pool-info, quote — never open
    let before = r.standin.total();
    let out = r.campaign(&[], &["--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let routes: Vec<String> = r.routes()[before..].to_vec();
    assert_eq!(
        routes,
        ["/", "/pool-info", "/", "/pool-info", "/quote-position"]
    );
    let ep = r.episode_dir();
    let result = json_file(&ep.join("result.json"));
    assert_eq!(result["report"]["status"], "dry_run");
    assert_eq!(result["reward_bps"], Value::Null);
    let metadata = json_file(&ep.join("metadata.json"));
    assert_eq!(metadata["extra"]["learning"]["reason"], "dry_run");

    // with the freshness gate open, a real outcome is learned from, and replay rebuilds
    // the same state from the ledger
    let out = r.campaign(&[], &["--min-fresh-pct", "0", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    let metadata = json_file(&r.episode_dir().join("metadata.json"));
    assert_eq!(
        metadata["extra"]["learning"]["kind"], "learning.applied",
        "{metadata}"
    );
    let out = r.t.run(&["replay", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        replayed
            .to_string()
            .contains(live["learning_state_hash"].as_str().unwrap()),
        "{replayed} vs {live}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_refuses_without_risk_acknowledgement_or_within_limits() {
    let r = without_chain().await;
    let data = r.t.path().join("data");
    for (env, args, needle) in [
        (
            vec![("I_UNDERSTAND_LIVE_RISK", "")],
            vec![],
            "I_UNDERSTAND_LIVE_RISK=yes",
        ),
        (
            vec![("I_UNDERSTAND_LIVE_RISK", "YES")],
            vec![],
            "I_UNDERSTAND_LIVE_RISK=yes",
        ),
        (
            vec![("I_UNDERSTAND_LIVE_RISK", "yes ")],
            vec![],
            "I_UNDERSTAND_LIVE_RISK=yes",
        ),
        (vec![], vec!["--capital", "5000"], "exceeds --max-capital"),
        (
            vec![],
            vec!["--max-capital", "0"],
            "must be a positive amount",
        ),
        (vec![("ETH_RPC_URL", "")], vec![], "needs --rpc-url"),
        (vec![], vec!["--network", "nowhere"], "unknown network"),
        (
            vec![],
            vec!["--pool", "0x0000000000000000000000000000000000000001"],
            "not a known WETH/USDC pool",
        ),
    ] {
        let out = r.campaign(&env, &args).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{env:?} {args:?}: {}",
            text(&out)
        );
        assert!(text(&out).contains(needle), "{needle}: {}", text(&out));
        assert_eq!(r.standin.total(), 0, "nothing may reach Gateway");
        assert!(!data.exists(), "nothing may be written");
    }
    // a missing --max-capital is refused too
    let mut cmd = r.command_with(&[], &[], &["--max-capital"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("needs --max-capital"), "{}", text(&out));
    assert_eq!(r.standin.total(), 0);
    assert!(!data.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_unhealthy_gateway_fails_the_episode_and_never_falls_back() {
    let r = without_chain().await;
    r.standin.fault("/", Fault::HealthStatus("degraded".into()));
    let out = r.campaign(&[], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(r.routes(), ["/"], "only the health check was sent");
    let ep = r.episode_dir();
    assert!(!ep.join("result.json").exists(), "no mock fallback result");
    let failure = json_file(&ep.join("failure.json"));
    assert_eq!(failure["stage"], "gateway_health");
    assert!(
        failure["error"].as_str().unwrap().contains("not healthy"),
        "{failure}"
    );
    assert_eq!(json_file(&ep.join("metadata.json"))["exec_mode"], "real");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_failed_validation_sends_no_transaction() {
    // a real pool contract, but of another factory
    let r = with_chain(|d| d.foreign_pool).await;
    let out = r.campaign(&[], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(r.routes(), ["/", "/pool-info"], "observation only");
    let ep = r.episode_dir();
    let failure = json_file(&ep.join("failure.json"));
    assert_eq!(failure["stage"], "validate");
    let chain: Vec<&str> = failure["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(chain.iter().any(|c| c.starts_with("factory:")), "{chain:?}");
    assert!(
        chain.iter().any(|c| c.starts_with("get_pool:")),
        "{chain:?}"
    );
    assert_eq!(
        json_file(&ep.join("metadata.json"))["extra"]["pool_validation"]["passed"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_close_failure_reports_the_open_position_then_a_reverted_open_leaves_none() {
    let r = with_chain(|d| d.pool).await;
    r.standin.fault(
        &format!("{CLMM}/close-position"),
        Fault::Api {
            status: 500,
            message: "nonce too low".into(),
            code: None,
        },
    );
    let out = r.campaign(&[], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let console = text(&out);
    assert!(
        console.contains(&format!("POSITION STILL OPEN: id {POSITION_ID}")),
        "{console}"
    );
    let ep = r.episode_dir();
    let failure = json_file(&ep.join("failure.json"));
    assert_eq!(failure["position_left_open"], POSITION_ID);
    let alert = failure["operator_alert"].as_str().unwrap();
    assert!(
        alert.starts_with("POSITION STILL OPEN") && alert.contains("close it manually"),
        "{alert}"
    );
    assert!(
        failure["chain"].to_string().contains("nonce too low"),
        "{failure}"
    );
    let log = std::fs::read_to_string(ep.parent().unwrap().parent().unwrap().join("campaign.log"))
        .unwrap();
    assert!(log.contains("!!! POSITION STILL OPEN"), "{log}");

    // a reverted open: the transaction hash is on record, nothing is open, no close sent
    r.standin.fault(
        &format!("{CLMM}/close-position"),
        Fault::Delay(Duration::ZERO),
    );
    r.standin
        .fault(&format!("{CLMM}/open-position"), Fault::TxStatus(-1));
    let before = r.standin.total();
    let out = r.campaign(&[], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let routes = r.routes()[before..].to_vec();
    assert_eq!(
        routes.last().map(String::as_str),
        Some("/open-position"),
        "{routes:?}"
    );
    let ep = r.episode_dir();
    let failure = json_file(&ep.join("failure.json"));
    assert_eq!(failure["position_left_open"], Value::Null);
    assert!(failure.get("operator_alert").is_none(), "{failure}");
    assert!(
        failure["error"].as_str().unwrap().contains("reverted"),
        "{failure}"
    );
    assert!(failure["chain"].to_string().contains(OPEN_TX), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_campaign_killed_while_holding_reports_the_position_at_the_next_start() {
    let r = with_chain(|d| d.pool).await;
    let mut cmd = r.command(&[], &["--hold-seconds", "600"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // wait for the first poll: the position is open and its events are durable
    let mut polled = false;
    for _ in 0..600 {
        if r.standin.count(&format!("{CLMM}/position-info")) >= 1 {
            polled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        polled,
        "the campaign never held a position: {:?}",
        r.routes()
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(r.standin.count(&format!("{CLMM}/close-position")), 0);

    // the next start (a mock campaign) closes the interrupted episode and says so
    let out =
        r.t.cmd()
            .env("EPISODES", "1")
            .args(["campaign", "--policy", "passive"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("POSITION STILL OPEN: id {POSITION_ID}")),
        "{}",
        text(&out)
    );
    let runs = r.t.path().join("data/runs");
    let mut run_dirs: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    run_dirs.sort();
    let ep_dir = std::fs::read_dir(run_dirs[0].join("episodes"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let failure = json_file(&ep_dir.join("failure.json"));
    assert_eq!(failure["status"], "aborted");
    assert_eq!(failure["position_left_open"], POSITION_ID);
    assert!(failure["operator_alert"]
        .as_str()
        .unwrap()
        .contains("POSITION STILL OPEN"));
    let out = r.t.run(&["audit"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
