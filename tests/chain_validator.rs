//! The pool validator against a real local Ethereum node (Hardhat Network) with the
//! published UniswapV3Factory: a genuine pool passes every check; wrong chain, an address
//! without code, wrong fee or tokens, a pool of another factory and bad address forms
//! each fail exactly their named checks. Also the `validate-pool` CLI end to end.

use std::collections::BTreeSet;

use alloy_primitives::Address;
use tracka::exec::networks::{Network, Networks};
use tracka::exec::pool_validator::{
    check_names as n, validate_pool, PoolExpectation, ValidationReport,
};

use crate::chain_node::{deploy_standard, Deployed, HardhatNode};
use crate::util::TestDir;

fn local_network(d: &Deployed) -> Network {
    let mut net = Networks::builtin().unwrap().get("local").unwrap().clone();
    net.factory = Some(d.factory);
    net
}

fn expect_all(d: &Deployed, pool: Address) -> PoolExpectation {
    let (t0, t1) = d.sorted();
    PoolExpectation {
        address: pool.to_checksum(None),
        token0: Some(t0.to_checksum(None)),
        token1: Some(t1.to_checksum(None)),
        fee: Some(500),
        tick_spacing: Some(10),
    }
}

fn failed(r: &ValidationReport) -> BTreeSet<&str> {
    r.failed().into_iter().collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

#[tokio::test]
async fn chain_valid_pool_passes_every_named_check() {
    let node = HardhatNode::start().await;
    let rpc = node.rpc();
    let d = deploy_standard(&rpc).await;
    // the built-in "local" network's factory is account #0's first deployment
    let builtin_local = Networks::builtin().unwrap().get("local").unwrap().clone();
    assert_eq!(builtin_local.factory, Some(d.factory));

    let report = validate_pool(&rpc, &builtin_local, &expect_all(&d, d.pool)).await;
    assert!(report.passed, "{report:#?}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, n::ALL);
    assert_eq!(report.observed.fee, Some(500));
    assert_eq!(report.observed.tick_spacing, Some(10));
    assert_eq!(
        report.observed.token0_decimals,
        Some(18),
        "read with decimals() on chain"
    );
    // without expectations the pool still passes (its own claims are checked by getPool)
    let bare = PoolExpectation {
        address: d.pool.to_string().to_lowercase(),
        ..Default::default()
    };
    let report = validate_pool(&rpc, &builtin_local, &bare).await;
    assert!(report.passed, "{report:#?}");
    assert!(report
        .check(n::ADDRESS_CHECKSUM)
        .unwrap()
        .detail
        .contains("single-case"));
}

#[tokio::test]
async fn chain_each_bad_case_fails_its_named_check() {
    let node = HardhatNode::start().await;
    let rpc = node.rpc();
    let d = deploy_standard(&rpc).await;
    let net = local_network(&d);

    // wrong chain: the networks file says chain 1
    let mut mainnet_id = net.clone();
    mainnet_id.chain_id = 1;
    let r = validate_pool(&rpc, &mainnet_id, &expect_all(&d, d.pool)).await;
    assert_eq!(failed(&r), set(&[n::CHAIN_ID]), "{r:#?}");
    assert!(r.check(n::CHAIN_ID).unwrap().detail.contains("31337"));

    // an address without code (an externally owned account)
    let r = validate_pool(&rpc, &net, &expect_all(&d, d.other_account)).await;
    assert!(!r.passed);
    assert!(failed(&r).contains(n::CODE_PRESENT), "{r:#?}");
    assert!(failed(&r).contains(n::FACTORY) && failed(&r).contains(n::GET_POOL));
    assert!(!failed(&r).contains(n::CHAIN_ID));

    // wrong fee
    let mut e = expect_all(&d, d.pool);
    e.fee = Some(3000);
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::FEE]), "{r:#?}");
    assert!(r
        .check(n::FEE)
        .unwrap()
        .detail
        .contains("expected 3000, pool reports 500"));

    // wrong tick spacing
    let mut e = expect_all(&d, d.pool);
    e.tick_spacing = Some(60);
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::TICK_SPACING]), "{r:#?}");

    // a token that is not in the pool
    let mut e = expect_all(&d, d.pool);
    e.token1 = Some(d.token_c.to_checksum(None));
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::TOKEN1]), "{r:#?}");

    // tokens swapped (token0 must be the lower address)
    let mut e = expect_all(&d, d.pool);
    std::mem::swap(&mut e.token0, &mut e.token1);
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::TOKEN0, n::TOKEN1]), "{r:#?}");

    // a genuine pool contract, but of another factory
    let r = validate_pool(&rpc, &net, &expect_all(&d, d.foreign_pool)).await;
    assert_eq!(failed(&r), set(&[n::FACTORY, n::GET_POOL]), "{r:#?}");
    assert!(r
        .check(n::GET_POOL)
        .unwrap()
        .detail
        .contains(&d.pool.to_checksum(None)));

    // a network without a factory configured
    let mut no_factory = net.clone();
    no_factory.factory = None;
    let r = validate_pool(&rpc, &no_factory, &expect_all(&d, d.pool)).await;
    assert_eq!(failed(&r), set(&[n::FACTORY, n::GET_POOL]), "{r:#?}");

    // bad EIP-55 checksum: flip the case of one letter of the checksummed address
    let good = d.pool.to_checksum(None);
    let pos = good[2..]
        .find(|c: char| c.is_ascii_alphabetic())
        .expect("a letter")
        + 2;
    let mut bad: Vec<char> = good.chars().collect();
    bad[pos] = if bad[pos].is_ascii_uppercase() {
        bad[pos].to_ascii_lowercase()
    } else {
        bad[pos].to_ascii_uppercase()
    };
    let bad: String = bad.into_iter().collect();
    let mut e = expect_all(&d, d.pool);
    e.address = bad;
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::ADDRESS_CHECKSUM]), "{r:#?}");
    assert!(r.check(n::ADDRESS_CHECKSUM).unwrap().detail.contains(&good));

    // a bad checksum on an expected token is reported on that token's check
    let mut e = expect_all(&d, d.pool);
    e.token0 = e.token0.map(|t| t.to_lowercase().replacen("0x", "0X", 1));
    let r = validate_pool(&rpc, &net, &e).await;
    assert_eq!(failed(&r), set(&[n::TOKEN0]), "{r:#?}");

    // malformed address: only chain_id can run; the rest is reported "not run"
    let mut e = expect_all(&d, d.pool);
    e.address = "0x1234".into();
    let r = validate_pool(&rpc, &net, &e).await;
    let expected: BTreeSet<&str> = n::ALL
        .iter()
        .copied()
        .filter(|c| *c != n::CHAIN_ID)
        .collect();
    assert_eq!(failed(&r), expected, "{r:#?}");
    assert_eq!(r.checks.len(), n::ALL.len());
    assert!(r.check(n::GET_POOL).unwrap().detail.starts_with("not run"));
}

fn networks_file(t: &TestDir, d: &Deployed) -> std::path::PathBuf {
    let path = t.path().join("networks.json");
    let text = serde_json::json!({
        "schema_version": 1,
        "networks": {"devchain": {"chain_id": 31337, "factory": d.factory.to_checksum(None)}}
    });
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

#[tokio::test]
async fn chain_cli_validate_pool_exit_codes_and_runbook_form() {
    let node = HardhatNode::start().await;
    let rpc = node.rpc();
    let d = deploy_standard(&rpc).await;
    let t = TestDir::new();
    let nets = networks_file(&t, &d);
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = t.cmd();
        cmd.env_remove("ETH_RPC_URL")
            .env_remove("TRACKA_NETWORKS")
            .args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().expect("run tracka")
    };
    let pool = d.pool.to_checksum(None);
    let foreign = d.foreign_pool.to_checksum(None);

    // pass: exit 0, JSON report with every check
    let out = run(
        &[
            "validate-pool",
            "--pool",
            &pool,
            "--network",
            "devchain",
            "--rpc-url",
            &node.url,
            "--networks",
            nets.to_str().unwrap(),
            "--fee",
            "500",
            "--json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], true);
    assert_eq!(v["checks"].as_array().unwrap().len(), n::ALL.len());

    // failed checks: exit 1; URL and networks file from the environment
    let out = run(
        &["validate-pool", "--pool", &foreign, "--network", "devchain"],
        &[
            ("ETH_RPC_URL", &node.url),
            ("TRACKA_NETWORKS", nets.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[FAIL] factory") && text.contains("validation FAILED"),
        "{text}"
    );

    // bad input: exit 2
    let out = run(
        &[
            "validate-pool",
            "--pool",
            &pool,
            "--network",
            "nonesuch",
            "--rpc-url",
            &node.url,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        &["validate-pool", "--pool", &pool, "--network", "local"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "no RPC URL");

    // runbook form: the proposal carries pool, network, fee and tokens
    let (t0, t1) = d.sorted();
    let proposal = t.path().join("proposal.json");
    let body = serde_json::json!({
        "pool_address": pool, "network": "devchain", "fee": 500,
        "token0": t0.to_checksum(None), "token1": t1.to_checksum(None),
        "lower_tick": -600, "upper_tick": 600, "capital": 100.0
    });
    std::fs::write(&proposal, body.to_string()).unwrap();
    let p = proposal.to_str().unwrap();
    let base = [
        "validate-pool",
        "--proposal-path",
        p,
        "--run-id",
        "run_1",
        "--episode-id",
        "ep_1",
    ];
    let env = [
        ("ETH_RPC_URL", node.url.as_str()),
        ("TRACKA_NETWORKS", nets.to_str().unwrap()),
    ];
    let out = run(
        &[&base[..], &["--exec-mode", "real", "--json"]].concat(),
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["passed"].as_bool(), v["episode_id"].as_str()),
        (Some(true), Some("ep_1"))
    );
    // mock mode: skipped, exit 0, nothing contacted (no URL needed)
    let out = run(&[&base[..], &["--exec-mode", "mock"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped"));
    // ... also when the runbook's variables select mock (MOCK_CLMM=true wins)
    let out = run(&base, &[("HB_ENV", "real"), ("MOCK_CLMM", "true")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped"));
    // HB_ENV=real alone validates
    let out = run(&base, &[("HB_ENV", "real"), env[0], env[1]]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("validation PASSED"));
    // a bad mode is bad usage
    let out = run(&[&base[..], &["--exec-mode", "live"]].concat(), &env);
    assert_eq!(out.status.code(), Some(2));
    // a proposal without pool_address is bad input
    std::fs::write(&proposal, r#"{"network": "devchain"}"#).unwrap();
    let out = run(&[&base[..], &["--exec-mode", "real"]].concat(), &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pool_address"));
}
