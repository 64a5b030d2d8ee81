//! `tracka sim`: replays a tape through the engine; JSON output shape and values,
//! revert reasons as results, bad tapes rejected with exit 2 naming file and place.

use serde_json::Value;

use crate::util::TestDir;

const TAPE: &str = r#"{"pool":{"fee":3000,"tick_spacing":60,"sqrt_price_x96":"25054144837504793118641380156"},
 "actions":[
  {"op":"mint","owner":"wallet","tick_lower":-887220,"tick_upper":887220,"amount":"3161"},
  {"op":"mint","owner":"a","tick_lower":60,"tick_upper":60,"amount":"1"},
  {"op":"swap","zero_for_one":false,"amount_specified":"1000","sqrt_price_limit_x96":"1461446703485210103287273052203988822378723970341"},
  {"op":"burn","owner":"wallet","tick_lower":-887220,"tick_upper":887220,"amount":"0"},
  {"op":"collect","owner":"wallet","tick_lower":-887220,"tick_upper":887220,"amount0_requested":"100","amount1_requested":"100"},
  {"op":"mint","owner":"a","tick_lower":-61,"tick_upper":60,"amount":"1"},
  {"op":"swap","zero_for_one":true,"amount_specified":"0","sqrt_price_limit_x96":"4295128740"}
 ]}"#;

fn write(t: &TestDir, name: &str, text: &str) -> String {
    let p = t.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn sim_json_reports_results_pool_and_positions() {
    let t = TestDir::new();
    let tape = write(&t, "tape.json", TAPE);
    let out = t.run(&["sim", "--tape", &tape, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    // v3-core's initial mint of 3161 at price 1:10
    assert_eq!(
        results[0],
        serde_json::json!({"op":"mint","amount0":"9996","amount1":"1000"})
    );
    assert_eq!(results[1], serde_json::json!({"op":"mint","error":"TLU"}));
    assert_eq!(results[2]["op"], "swap");
    assert_eq!(results[2]["amount1"], "1000");
    assert!(results[2]["amount0"].as_str().unwrap().starts_with('-'));
    assert_eq!(
        results[3],
        serde_json::json!({"op":"burn","amount0":"0","amount1":"0"})
    );
    assert_eq!(results[4]["op"], "collect");
    // reasonless revert (tick not on the spacing) is reported as "revert"
    assert_eq!(
        results[5],
        serde_json::json!({"op":"mint","error":"revert"})
    );
    assert_eq!(results[6], serde_json::json!({"op":"swap","error":"AS"}));
    let pool = &v["pool"];
    for k in [
        "sqrt_price_x96",
        "liquidity",
        "fee_growth_global0_x128",
        "fee_growth_global1_x128",
    ] {
        assert!(pool[k].is_string(), "{k} must be a decimal string");
    }
    assert_eq!(pool["liquidity"], "3161");
    assert!(pool["tick"].is_i64());
    let positions = v["positions"].as_array().unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0]["owner"], "wallet");
    assert_eq!(positions[0]["tick_lower"], -887220);
    assert_eq!(positions[0]["liquidity"], "3161");
    assert_eq!(
        positions[0]["fee_growth_inside1_last_x128"],
        pool["fee_growth_global1_x128"]
    );
}

#[test]
fn sim_human_output_lists_every_action_and_the_state() {
    let t = TestDir::new();
    let tape = write(&t, "tape.json", TAPE);
    let out = t.run(&["sim", "--tape", &tape]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("amount0 9996, amount1 1000"), "{s}");
    assert!(s.contains("REVERT TLU"), "{s}");
    assert!(s.contains("REVERT (no reason)"), "{s}");
    assert!(s.contains("position wallet [-887220, 887220]"), "{s}");
}

#[test]
fn sim_is_deterministic() {
    let t = TestDir::new();
    let tape = write(&t, "tape.json", TAPE);
    let a = t.run(&["sim", "--tape", &tape, "--json"]);
    let b = t.run(&["sim", "--tape", &tape, "--json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn sim_bad_tapes_exit_2_naming_file_and_place() {
    let t = TestDir::new();
    let cases = [
        ("syntax.json", "{\"pool\":\n{\"fee\":3000,,}}", "line 2"),
        (
            "action.json",
            r#"{"pool":{"fee":500,"sqrt_price_x96":"79228162514264337593543950336"},"actions":[{"op":"swap","zero_for_one":true,"amount_specified":"1","sqrt_price_limit_x96":"1"},{"op":"mint","owner":"a"}]}"#,
            "actions[1]",
        ),
        (
            "number.json",
            r#"{"pool":{"fee":500,"sqrt_price_x96":"79228162514264337593543950336"},"actions":[{"op":"mint","owner":"a","tick_lower":0,"tick_upper":10,"amount":"-5"}]}"#,
            "actions[0]",
        ),
        (
            "fee.json",
            r#"{"pool":{"fee":250,"sqrt_price_x96":"79228162514264337593543950336"},"actions":[]}"#,
            "fee 250",
        ),
        (
            "spacing.json",
            r#"{"pool":{"fee":500,"tick_spacing":60,"sqrt_price_x96":"79228162514264337593543950336"},"actions":[]}"#,
            "tick spacing 60",
        ),
        (
            "price.json",
            r#"{"pool":{"fee":500,"sqrt_price_x96":"1"},"actions":[]}"#,
            "(R)",
        ),
        (
            "noactions.json",
            r#"{"pool":{"fee":500,"sqrt_price_x96":"1"}}"#,
            "actions",
        ),
    ];
    for (name, text, needle) in cases {
        let tape = write(&t, name, text);
        let out = t.run(&["sim", "--tape", &tape]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(needle), "{name}: expected {needle:?} in {err}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
    }
    let out = t.run(&["sim", "--tape", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}
