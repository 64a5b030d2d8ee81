//! `tracka evaluate`: writes the report, the learning curve and the updates; prints JSON
//! on request; rejects bad settings with exit 2.

use crate::util::TestDir;

const SMALL: &[&str] = &[
    "evaluate",
    "--train",
    "6",
    "--eval",
    "3",
    "--validation",
    "2",
    "--checkpoints",
    "2",
    "--warmup-minutes",
    "60",
    "--episode-minutes",
    "120",
    "--quiet",
];

#[test]
fn evaluate_writes_report_curve_and_updates() {
    let t = TestDir::new();
    let mut args = SMALL.to_vec();
    args.extend(["--out", "evalout", "--json"]);
    let out = t.run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(report["config"]["train"], 6);
    assert!(report["comparisons"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    let dir = t.path().join("evalout");
    let csv = std::fs::read_to_string(dir.join("learning_curve.csv")).unwrap();
    assert!(csv.starts_with("episodes,train_reward_bps,validation_reward_bps\n"));
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let svg = std::fs::read_to_string(dir.join("learning_curve.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
    let updates = std::fs::read_to_string(dir.join("learning_updates.jsonl")).unwrap();
    assert_eq!(updates.lines().count(), 6);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("eval.json")).unwrap()).unwrap();
    assert_eq!(file, report);
}

#[test]
fn evaluate_table_and_determinism() {
    let t = TestDir::new();
    let mut args = SMALL.to_vec();
    args.extend(["--seed", "77"]);
    let a = t.run(&args);
    assert_eq!(a.status.code(), Some(0));
    let table = String::from_utf8_lossy(&a.stdout);
    assert!(
        table.contains("learner-greedy") && table.contains("passive"),
        "{table}"
    );
    assert!(table.contains("win rate"));
    let b = t.run(&args);
    assert_eq!(a.stdout, b.stdout);
    assert!(t.path().join("data/eval/eval.json").exists());
}

#[test]
fn evaluate_runs_the_baselines_given() {
    let t = TestDir::new();
    let mut args = SMALL.to_vec();
    args.extend([
        "--json",
        "--baselines",
        "passive@3000,action:s1:w100:center:recenter60,tau-reset:300:10@3000",
    ]);
    let out = t.run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    let names: Vec<&str> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "learner-greedy",
            "learner-greedy-fullsize",
            "passive@3000",
            "action:s1:w100:center:recenter60",
            "tau-reset:300:10@3000"
        ]
    );
    assert_eq!(
        report["best_tau_reset_in_hindsight"],
        "tau-reset:300:10@3000"
    );
    assert!(report["best_fixed_in_hindsight"].is_null());
    // an unknown baseline is bad usage
    let mut bad = SMALL.to_vec();
    bad.extend(["--baselines", "passive,sideways:3"]);
    let out = t.run(&bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sideways:3"));
}

#[test]
fn evaluate_rejects_bad_settings() {
    let t = TestDir::new();
    for (bad, says) in [
        (vec!["evaluate", "--eval", "0"], "eval = 0"),
        (vec!["evaluate", "--budget=-5"], "budget_quote = -5"),
        (vec!["evaluate", "--train", "x"], "--train"),
        (
            vec!["evaluate", "--gas-gwei-min", "10", "--gas-gwei-max", "1"],
            "gas_gwei_max = 1",
        ),
    ] {
        let out = t.run(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{bad:?}: {stderr}");
        assert!(!t.path().join("data/eval").exists());
    }
}
