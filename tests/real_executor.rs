//! The real executor against the local stand-in Gateway: the gates that must hold before
//! anything is sent (counted at the server), the full episode with an injected clock,
//! dry runs, and failures after opening (the position is closed, or reported open).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracka::exec::gate::{ExecMode, RealModeGate};
use tracka::exec::gateway::{GatewayConfig, GatewayError};
use tracka::exec::pool_validator::{check_names, Check, ObservedPool, ValidationReport};
use tracka::exec::real::{
    CapitalToken, RealConfig, RealError, RealExecutor, RealOutcome, RealProposal, RealStatus,
    Sleeper,
};

use crate::real_standin::{self as standin, Fault, StandIn};

const CLMM: &str = "/connectors/uniswap/clmm";
const WALLET: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A clock that jumps forward instead of sleeping.
#[derive(Debug, Default)]
struct JumpClock {
    now_ms: AtomicU64,
    sleeps: AtomicU64,
}

impl Sleeper for JumpClock {
    fn sleep(&self, d: Duration) -> impl std::future::Future<Output = ()> + Send {
        self.now_ms
            .fetch_add(d.as_millis() as u64, Ordering::SeqCst);
        self.sleeps.fetch_add(1, Ordering::SeqCst);
        std::future::ready(())
    }
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

fn passed_report() -> ValidationReport {
    ValidationReport {
        network: "mainnet".into(),
        chain_id: 1,
        pool: standin::POOL.into(),
        rpc_endpoint: "http://127.0.0.1:8545".into(),
        passed: true,
        checks: check_names::ALL
            .iter()
            .map(|n| Check {
                name: n.to_string(),
                passed: true,
                detail: "ok".into(),
            })
            .collect(),
        observed: ObservedPool {
            token0: Some(standin::USDC.into()),
            token1: Some(standin::WETH.into()),
            fee: Some(500),
            tick_spacing: Some(10),
            token0_decimals: Some(6),
            token1_decimals: Some(18),
        },
    }
}

fn proposal() -> RealProposal {
    RealProposal {
        network: "mainnet".into(),
        pool_address: standin::POOL.into(),
        lower_tick: 194_000,
        upper_tick: 196_500,
        capital: 100.0,
        capital_token: CapitalToken::Token0,
        hold_seconds: 180,
        slippage_pct: Some(1.0),
    }
}

fn real_config(ack: Option<&str>) -> RealConfig {
    RealConfig {
        risk_acknowledgement: ack.map(str::to_string),
        max_capital: 1000.0,
        dry_run: false,
        poll_interval: Duration::from_secs(60),
    }
}

fn executor(url: &str, config: RealConfig) -> RealExecutor<JumpClock> {
    let gate = RealModeGate::open(ExecMode::Real).unwrap();
    let mut g = GatewayConfig::new(url, "mainnet");
    g.wallet_address = Some(WALLET.to_string());
    g.timeout = Duration::from_millis(400);
    g.read_retries = 1;
    g.backoff = Duration::from_millis(5);
    RealExecutor::with_sleeper(&gate, g, config, JumpClock::default()).unwrap()
}

fn steps(out: &RealOutcome) -> Vec<&str> {
    out.records.iter().map(|r| r.step.as_str()).collect()
}

async fn run(
    s_url: &str,
    config: RealConfig,
    p: &RealProposal,
    r: &ValidationReport,
) -> RealOutcome {
    executor(s_url, config).run(p, r).await
}

#[tokio::test]
async fn real_episode_opens_holds_collects_and_closes() {
    let (url, s) = standin::start().await;
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert_eq!(out.status, RealStatus::Completed, "{:?}", out.error);
    assert_eq!(
        steps(&out),
        [
            "health",
            "pool_info",
            "quote_position",
            "open_position",
            "position_info",
            "position_info",
            "position_info",
            "collect_fees",
            "close_position"
        ]
    );
    assert_eq!(out.position_id.as_deref(), Some(standin::POSITION_ID));
    assert_eq!(out.position_left_open, None);
    assert_eq!(out.operator_alert, None);
    // three polls a minute apart on the injected clock
    let polls: Vec<u64> = out
        .records
        .iter()
        .filter(|r| r.step == "position_info")
        .map(|r| r.at_ms)
        .collect();
    assert_eq!(polls, [60_000, 120_000, 180_000]);
    // tx hashes are on the records
    let sig = |step: &str| {
        out.records
            .iter()
            .find(|r| r.step == step)
            .unwrap()
            .tx_signature
            .clone()
    };
    assert_eq!(sig("open_position").as_deref(), Some(standin::OPEN_TX));
    assert_eq!(sig("collect_fees").as_deref(), Some(standin::COLLECT_TX));
    assert_eq!(sig("close_position").as_deref(), Some(standin::CLOSE_TX));
    // prices sent are WETH per USDC around the pool price 0.0003
    let open = s
        .requests()
        .into_iter()
        .find(|r| r.route.ends_with("/open-position"))
        .unwrap();
    let lo = open.params["lowerPrice"].as_f64().unwrap();
    let hi = open.params["upperPrice"].as_f64().unwrap();
    assert!(
        lo < standin::POOL_PRICE && standin::POOL_PRICE < hi,
        "[{lo}, {hi}]"
    );
    assert!(
        (0.00025..0.00028).contains(&lo) && (0.00033..0.00036).contains(&hi),
        "[{lo}, {hi}]"
    );
    assert_eq!(open.params["baseTokenAmount"].as_f64(), Some(100.0));
    assert_eq!(open.params["network"].as_str(), Some("mainnet"));
    // the records hold exactly what was sent (POST bodies compared as JSON)
    for step in ["open_position", "collect_fees", "close_position"] {
        let record = out.records.iter().find(|r| r.step == step).unwrap();
        let sent = s
            .requests()
            .into_iter()
            .find(|r| r.route == record.route)
            .unwrap();
        let sent = serde_json::to_value(&sent.params).unwrap();
        assert_eq!(record.request, sent, "{step}");
        assert_eq!(record.request["walletAddress"], WALLET, "{step}");
    }
    // records serialize and carry no secrets
    let json = serde_json::to_string(&out).unwrap();
    assert!(
        !json.contains("SECRETKEY") && !json.contains("8545"),
        "{json}"
    );
}

#[tokio::test]
async fn real_risk_not_acknowledged_sends_nothing() {
    let (url, s) = standin::start().await;
    for ack in [
        None,
        Some(""),
        Some("YES"),
        Some("yes "),
        Some("true"),
        Some("1"),
    ] {
        let out = run(&url, real_config(ack), &proposal(), &passed_report()).await;
        assert_eq!(out.status, RealStatus::Refused);
        assert!(
            matches!(out.error, Some(RealError::RiskNotAcknowledged { .. })),
            "{ack:?}: {:?}",
            out.error
        );
        assert!(out.records.is_empty());
    }
    assert_eq!(
        s.total(),
        0,
        "no request may reach Gateway without the acknowledgement"
    );
}

#[tokio::test]
async fn real_local_gates_refuse_before_sending() {
    let (url, s) = standin::start().await;
    // capital above the limit
    let mut p = proposal();
    p.capital = 1000.01;
    let out = run(&url, real_config(Some("yes")), &p, &passed_report()).await;
    assert!(
        matches!(out.error, Some(RealError::CapitalAboveLimit { .. })),
        "{:?}",
        out.error
    );
    // a failed validation report
    let mut r = passed_report();
    r.passed = false;
    r.checks[4].passed = false;
    let out = run(&url, real_config(Some("yes")), &proposal(), &r).await;
    match &out.error {
        Some(RealError::PoolNotValidated { failed, .. }) => assert_eq!(failed, "factory"),
        other => panic!("{other:?}"),
    }
    // a report for another pool
    let mut r = passed_report();
    r.pool = "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8".into();
    let out = run(&url, real_config(Some("yes")), &proposal(), &r).await;
    assert!(
        matches!(out.error, Some(RealError::ReportMismatch { .. })),
        "{:?}",
        out.error
    );
    // ticks off the spacing
    let mut p = proposal();
    p.lower_tick = 194_005;
    let out = run(&url, real_config(Some("yes")), &p, &passed_report()).await;
    assert!(
        matches!(out.error, Some(RealError::InvalidProposal { .. })),
        "{:?}",
        out.error
    );
    assert_eq!(s.total(), 0);
}

#[tokio::test]
async fn real_unhealthy_gateway_fails_the_episode_without_fallback() {
    let (url, s) = standin::start().await;
    s.fault(
        "/",
        Fault::Api {
            status: 503,
            message: "starting".into(),
            code: None,
        },
    );
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert_eq!(out.status, RealStatus::Failed);
    assert!(
        matches!(out.error, Some(RealError::GatewayUnhealthy(_))),
        "{:?}",
        out.error
    );
    assert_eq!(steps(&out), ["health"]);
    assert_eq!(
        s.total(),
        2,
        "only the health read (and its retry) was sent"
    );
    // nothing listening at all
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = run(
        &dead,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert!(
        matches!(out.error, Some(RealError::GatewayUnhealthy(_))),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn real_dry_run_only_quotes() {
    let (url, s) = standin::start().await;
    let mut c = real_config(Some("yes"));
    c.dry_run = true;
    let out = run(&url, c, &proposal(), &passed_report()).await;
    assert_eq!(out.status, RealStatus::DryRun);
    assert_eq!(steps(&out), ["health", "pool_info", "quote_position"]);
    assert!(s.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn real_close_failure_after_open_reports_the_position_open() {
    let (url, s) = standin::start().await;
    s.fault(
        &format!("{CLMM}/close-position"),
        Fault::Api {
            status: 500,
            message: "Failed to close position".into(),
            code: None,
        },
    );
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert_eq!(out.status, RealStatus::Failed);
    assert_eq!(
        out.position_left_open.as_deref(),
        Some(standin::POSITION_ID)
    );
    let alert = out.operator_alert.clone().unwrap();
    assert!(
        alert.starts_with("POSITION STILL OPEN: id 424242 on pool"),
        "{alert}"
    );
    assert!(
        alert.contains(standin::POOL) && alert.contains("close it manually"),
        "{alert}"
    );
    match &out.error {
        Some(RealError::Gateway { step, source }) => {
            assert_eq!(step, "close_position");
            assert_eq!(source.status(), Some(500));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.count(&format!("{CLMM}/close-position")), 1);
}

#[tokio::test]
async fn real_collect_failure_still_closes() {
    let (url, s) = standin::start().await;
    s.fault(&format!("{CLMM}/collect-fees"), Fault::TxStatus(-1));
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert_eq!(out.status, RealStatus::Failed);
    assert_eq!(out.position_left_open, None, "the close went through");
    match &out.error {
        Some(RealError::Gateway { step, source }) => {
            assert_eq!(step, "collect_fees");
            assert!(matches!(**source, GatewayError::TxReverted { .. }));
        }
        other => panic!("{other:?}"),
    }
    let collect = out
        .records
        .iter()
        .find(|r| r.step == "collect_fees")
        .unwrap();
    assert_eq!(collect.tx_signature.as_deref(), Some(standin::COLLECT_TX));
    assert_eq!(s.count(&format!("{CLMM}/close-position")), 1);
}

#[tokio::test]
async fn real_reverted_open_leaves_nothing_open() {
    let (url, s) = standin::start().await;
    s.fault(&format!("{CLMM}/open-position"), Fault::TxStatus(-1));
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert_eq!(out.status, RealStatus::Failed);
    assert_eq!(out.position_left_open, None);
    let open = out
        .records
        .iter()
        .find(|r| r.step == "open_position")
        .unwrap();
    assert_eq!(open.tx_signature.as_deref(), Some(standin::OPEN_TX));
    assert!(open.error.as_deref().unwrap().contains("reverted"));
    assert_eq!(s.count(&format!("{CLMM}/close-position")), 0);
    // a pending open cannot be known closed: the operator is told
    s.fault(&format!("{CLMM}/open-position"), Fault::TxStatus(0));
    let out = run(
        &url,
        real_config(Some("yes")),
        &proposal(),
        &passed_report(),
    )
    .await;
    assert!(out.operator_alert.unwrap().contains(standin::OPEN_TX));
}

#[tokio::test]
async fn real_orientation_mismatch_is_refused() {
    // a report claiming token0 = WETH would make every price inverted
    let (url, s) = standin::start().await;
    let mut r = passed_report();
    r.observed.token0 = Some(standin::WETH.into());
    r.observed.token1 = Some(standin::USDC.into());
    let _: StandIn = s.clone();
    let out = run(&url, real_config(Some("yes")), &proposal(), &r).await;
    assert!(
        matches!(out.error, Some(RealError::OrientationMismatch { .. })),
        "{:?}",
        out.error
    );
    assert!(s.requests().iter().all(|r| r.method == "GET"));
}
