//! `tracka backtest`: synthetic, event-log, demeter and saved-tape sources; human and
//! JSON output; bad sources and plans exit 2 with a message naming the problem.

use crate::util::TestDir;

const SYNTH: &str = "synthetic:seed=7,minutes=720,regime=mixed";
// WETH/USDC at 3000 USDC per WETH sits near tick -196257.
const TL: &str = "-197000";
const TU: &str = "-195500";

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn synthetic_backtest_prints_a_human_report() {
    let t = TestDir::new();
    let out = t.run(&[
        "backtest",
        "--market",
        SYNTH,
        "--tick-lower",
        TL,
        "--tick-upper",
        TU,
        "--capital",
        "10000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    for word in [
        "fees",
        "final value",
        "hodl value",
        "imp. loss",
        "in range",
        "replayed",
    ] {
        assert!(s.contains(word), "missing {word:?} in\n{s}");
    }
}

#[test]
fn json_report_is_deterministic_and_complete() {
    let t = TestDir::new();
    let args = [
        "backtest",
        "--market",
        SYNTH,
        "--tick-lower",
        TL,
        "--tick-upper",
        TU,
        "--capital",
        "10000",
        "--recenter-after",
        "30",
        "--recenter-width",
        "800",
        "--gas-cost-quote",
        "2",
        "--swap-cost-bps",
        "5",
        "--json",
    ];
    let a = json(&t.run(&args));
    let b = json(&t.run(&args));
    assert_eq!(a["report"], b["report"]);
    let r = &a["report"];
    for key in [
        "fees0",
        "fees1",
        "fees_quote",
        "final_value_quote",
        "hodl_value_quote",
        "impermanent_loss",
        "gas_cost_quote",
        "swap_cost_quote",
        "time_in_range",
        "minutes_in_range",
        "rebalances",
        "swaps_replayed",
        "final_position",
    ] {
        assert!(!r[key].is_null(), "missing {key} in {r}");
    }
    assert!(a["elapsed_ms"].as_f64().is_some());
    assert!(r["fees1"].is_string(), "raw amounts are decimal strings");
    assert_eq!(r["minutes_open"], 720);
}

#[test]
fn a_saved_tape_gives_the_same_report() {
    let t = TestDir::new();
    let tape = t.path().join("tape.json");
    let tape_s = tape.to_str().unwrap();
    let first = json(&t.run(&[
        "backtest",
        "--market",
        SYNTH,
        "--tick-lower",
        TL,
        "--tick-upper",
        TU,
        "--capital",
        "500",
        "--save-tape",
        tape_s,
        "--json",
    ]));
    let again = json(&t.run(&[
        "backtest",
        "--market",
        &format!("tape:{tape_s}"),
        "--tick-lower",
        TL,
        "--tick-upper",
        TU,
        "--capital",
        "500",
        "--json",
    ]));
    assert_eq!(first["report"], again["report"]);
}

#[test]
fn event_log_source() {
    let t = TestDir::new();
    // sqrt price at tick 0; one LP, one swap each way (recorded by the engine itself)
    let log = t.path().join("pool.jsonl");
    let mut pool = tracka::v3::Pool::new(3000).unwrap();
    let start = tracka::v3::tick_math::get_sqrt_ratio_at_tick(0).unwrap();
    pool.initialize(start).unwrap();
    pool.mint("lp", -6000, 6000, 10u128.pow(21)).unwrap();
    let mut lines = vec![
        format!(r#"{{"ts":100,"event":"initialize","sqrt_price_x96":"{start}"}}"#),
        r#"{"ts":100,"event":"mint","owner":"lp","tick_lower":-6000,"tick_upper":6000,"amount":"1000000000000000000000"}"#.to_string(),
    ];
    let limit_lo = tracka::v3::tick_math::MIN_SQRT_RATIO + tracka::v3::U256::from(1u8);
    let limit_hi = tracka::v3::tick_math::MAX_SQRT_RATIO - tracka::v3::U256::from(1u8);
    for (k, (zfo, amt, lim)) in [
        (true, 10i128.pow(18), limit_lo),
        (false, -(10i128.pow(17)), limit_hi),
        (false, 10i128.pow(18), limit_hi),
    ]
    .into_iter()
    .enumerate()
    {
        let (a0, a1) = pool
            .swap(zfo, tracka::v3::I256::try_from(amt).unwrap(), lim)
            .unwrap();
        lines.push(format!(
            r#"{{"ts":{},"event":"swap","amount0":"{a0}","amount1":"{a1}","sqrt_price_x96":"{}"}}"#,
            200 + 120 * k,
            pool.sqrt_price_x96()
        ));
    }
    std::fs::write(&log, lines.join("\n")).unwrap();
    let src = format!(
        "events:{},fee=3000,token0=A,token1=B,decimals0=18,decimals1=18",
        log.display()
    );
    let out = json(&t.run(&[
        "backtest",
        "--market",
        &src,
        "--tick-lower",
        "-600",
        "--tick-upper",
        "600",
        "--capital",
        "100",
        "--json",
    ]));
    let r = &out["report"];
    assert_eq!(r["swaps_replayed"], 3);
    assert!(r["fees_quote"].as_f64().unwrap() > 0.0, "{r}");
}

#[test]
fn demeter_source() {
    let t = TestDir::new();
    let pool = "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640";
    let csv = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n\
2023-11-25 00:00:00,2209910513,-1061323785703495633,199912,199912,199912,199912,2209910513,0,1144008204379143069\n\
2023-11-25 00:01:00,-1027857283,497671063411011560,199913,199912,199912,199916,7381535182,4043221863457427122,1144008204379143069\n\
2023-11-25 00:02:00,11058200894,-5309568189831430546,199909,199913,199909,199913,11254295546,94229946427606595,1142539391948969197\n";
    std::fs::write(
        t.path()
            .join(format!("ethereum-{pool}-2023-11-25.minute.csv")),
        csv,
    )
    .unwrap();
    let src = format!(
        "demeter:{},pool={pool},from=2023-11-25,to=2023-11-25",
        t.path().display()
    );
    let out = json(&t.run(&[
        "backtest",
        "--market",
        &src,
        "--tick-lower",
        "199000",
        "--tick-upper",
        "201000",
        "--capital",
        "1",
        "--json",
    ]));
    assert_eq!(out["report"]["minutes_open"], 3);
    assert_eq!(out["report"]["minutes_in_range"], 3);
}

#[test]
fn bad_sources_and_plans_exit_2_with_a_message() {
    let t = TestDir::new();
    let cases: [(&str, &str, &str); 6] = [
        ("nonsense", TL, "bad market source"),
        ("synthetic:regime=wild", TL, "unknown regime"),
        ("events:/no/such/file.jsonl", TL, "/no/such/file.jsonl"),
        (
            "demeter:/no/such/dir,pool=0x1,from=2023-01-01,to=2023-01-01",
            TL,
            "/no/such/dir",
        ),
        (SYNTH, "-197005", "tick_lower"),
        ("synthetic:minutes=abc", TL, "minutes"),
    ];
    for (market, tl, needle) in cases {
        let out = t.run(&[
            "backtest",
            "--market",
            market,
            "--tick-lower",
            tl,
            "--tick-upper",
            TU,
            "--capital",
            "1",
        ]);
        assert_eq!(out.status.code(), Some(2), "{market}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{market}: {err}");
    }
    let bad_log = t.path().join("bad.jsonl");
    std::fs::write(
        &bad_log,
        "{\"ts\":1,\"event\":\"initialize\",\"sqrt_price_x96\":\"12x\"}\n",
    )
    .unwrap();
    let out = t.run(&[
        "backtest",
        "--market",
        &format!("events:{}", bad_log.display()),
        "--tick-lower",
        "-60",
        "--tick-upper",
        "60",
        "--capital",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:1") && err.contains("sqrt_price_x96"),
        "{err}"
    );
}

#[test]
fn help_explains_the_flags() {
    let t = TestDir::new();
    let out = t.run(&["backtest", "--help"]);
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--market",
        "--tick-lower",
        "--capital",
        "--recenter-after",
        "--json",
        "synthetic:",
    ] {
        assert!(s.contains(flag), "{flag} not in help");
    }
}
