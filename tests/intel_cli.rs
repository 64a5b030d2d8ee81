//! The binary end to end: cold cache (the runbook's CI expectation), `tracka scheduler
//! --once` against the Dune stand-in (then 100 % fresh, and stale / too_old as time
//! passes), the mock source, `tracka trigger`, bad input, and two processes: a scheduler
//! daemon rewriting the cache while this process takes snapshots in parallel.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tracka::intel::{
    CacheStore, IntelInputs, MarketIntelligence, PoolAddress, Quality, Registry, TriggerLog,
};

use crate::intel_standin::{Behavior, StandIn, KEY};
use crate::util::TestDir;

pub const POOL: &str = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640";
pub const POOL_LC: &str = "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640";

/// `tracka` in the test dir with the intel environment cleared, data in `<dir>/data`
/// holding a one-pool pools list, and (optionally) the stand-in as Dune.
pub fn tracka(t: &TestDir, standin: Option<&StandIn>) -> Command {
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let pools =
        json!({"version": 1, "pools": [{"address": POOL, "pair": "USDC-WETH", "fee_tier": 500}]});
    std::fs::write(data.join("pools.json"), pools.to_string()).unwrap();
    let mut c = t.cmd();
    for v in [
        "DUNE_API_BASE_URL",
        "DUNE_REQUEST_TIMEOUT_S",
        "DUNE_POLL_INTERVAL_MS",
        "DUNE_MAX_WAIT_S",
        "TRACKA_INTEL_REGISTRY",
        "TRACKA_INTEL_POOLS",
    ] {
        c.env_remove(v);
    }
    c.env("TRACKA_DATA_DIR", &data);
    if let Some(s) = standin {
        c.env("DUNE_API_BASE_URL", &s.base_url)
            .env("DUNE_API_KEY", KEY)
            .env("DUNE_POLL_INTERVAL_MS", "5");
    }
    c
}

pub fn run(mut c: Command, args: &[&str]) -> Output {
    c.args(args).output().expect("run tracka")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn snapshot_json(t: &TestDir) -> Value {
    let o = run(
        tracka(t, None),
        &["intel", "snapshot", "--pool", POOL, "--pair", "USDC-WETH"],
    );
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn cold_cache_matches_the_runbook_ci_expectation() {
    let t = TestDir::new();
    let v = snapshot_json(&t);
    assert_eq!(
        v["intel_hygiene"],
        json!({"total_queries": 25, "fresh": 0, "stale": 0, "missing_or_too_old": 25, "fresh_pct": 0.0})
    );
    assert_eq!(
        v["intel_inputs"],
        json!({"pool_address": POOL_LC, "pair": "USDC-WETH", "lookback_hours": 1})
    );
    let snap = v["intel_snapshot"].as_object().unwrap();
    assert_eq!(snap.len(), 25);
    assert!(snap.contains_key(&format!("pool_metrics:{POOL_LC}:1h")));
    for (k, e) in snap {
        assert_eq!(
            e,
            &json!({"quality": "missing", "age_s": null, "asof": null, "content_hash": null}),
            "{k}"
        );
    }
    let lines = std::fs::read_to_string(t.path().join("data/dune_triggers.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 25);
    let o = run(tracka(&t, None), &["intel", "status", "--json"]);
    let st: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["intel_hygiene"]["missing_or_too_old"], 25);
}

#[test]
fn scheduler_once_against_dune_standin_makes_every_query_fresh() {
    let t = TestDir::new();
    let s = StandIn::start();
    snapshot_json(&t); // cold: files 25 refresh requests
    let o = run(
        tracka(&t, Some(&s)),
        &["scheduler", "--once", "--log-level", "DEBUG"],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("refreshed 25, failed 0, pools 1, triggers handled 25"),
        "{out}"
    );
    assert!(!out.contains(KEY), "key in logs");
    let v = snapshot_json(&t);
    assert_eq!(
        v["intel_hygiene"],
        json!({"total_queries": 25, "fresh": 25, "stale": 0, "missing_or_too_old": 0, "fresh_pct": 100.0})
    );
    // every request carried the key; every entry holds the stand-in's rows for its params
    let hits = s.hits();
    assert_eq!(
        hits.iter().filter(|h| h.path.ends_with("/execute")).count(),
        25
    );
    assert!(hits.iter().all(|h| h.key.as_deref() == Some(KEY)));
    let store = CacheStore::open(&t.path().join("data"));
    let key = format!("pool_metrics:{POOL_LC}:1h");
    let e = store.try_read(&key).unwrap().unwrap();
    assert!(e
        .execution
        .execution_id
        .as_deref()
        .unwrap()
        .starts_with("01HK"));
    assert_eq!(e.execution.state, "QUERY_STATE_COMPLETED");
    assert_eq!(e.rows.len(), 7);
    assert_eq!(e.rows[0]["params"]["pool_address"], POOL_LC);
    assert_eq!(e.source, "dune");
    assert_eq!(
        v["intel_snapshot"][&key]["content_hash"],
        e.rows_hash.as_str()
    );
    // the key is in no file we wrote
    for f in all_files(&t.path()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "{}",
            f.display()
        );
    }
    // a second tick: nothing due, no trigger left
    let o = run(tracka(&t, Some(&s)), &["scheduler", "--once"]);
    assert!(
        text(&o).contains("refreshed 0, failed 0, pools 0, triggers handled 0"),
        "{}",
        text(&o)
    );
    // ages past ttl and max_age (injected clock)
    let reg = Arc::new(Registry::builtin().unwrap());
    let mi = MarketIntelligence::new(&t.path().join("data"), Arc::clone(&reg));
    let inputs = IntelInputs {
        pool_address: PoolAddress::parse(POOL).unwrap(),
        pair: "USDC-WETH".into(),
        lookback_hours: 1,
    };
    let spec = reg
        .specs()
        .iter()
        .find(|s| s.name == "pool_metrics_1h")
        .unwrap()
        .clone();
    let at = |secs: u64| e.fetched_at + chrono::Duration::seconds(secs as i64);
    let q = |secs| mi.snapshot(&inputs, at(secs)).intel_snapshot[&key].quality;
    assert_eq!(q(spec.ttl_s - 1), Quality::Fresh);
    assert_eq!(q(spec.ttl_s), Quality::Stale);
    assert_eq!(q(spec.max_age_s - 1), Quality::Stale);
    assert_eq!(q(spec.max_age_s), Quality::TooOld);
    let h = mi.snapshot(&inputs, at(100_000)).intel_hygiene;
    assert_eq!((h.fresh, h.missing_or_too_old, h.fresh_pct), (0, 25, 0.0));
}

#[test]
fn failed_dune_refresh_keeps_entries_and_exits_1() {
    let t = TestDir::new();
    let s = StandIn::start();
    assert_eq!(
        run(tracka(&t, Some(&s)), &["scheduler", "--once"])
            .status
            .code(),
        Some(0)
    );
    let store = CacheStore::open(&t.path().join("data"));
    let before: BTreeMap<String, String> = store
        .keys()
        .unwrap()
        .into_iter()
        .map(|k| {
            let h = store.try_read(&k).unwrap().unwrap().rows_hash;
            (k, h)
        })
        .collect();
    assert_eq!(before.len(), 25);
    s.set_default(Behavior {
        execute_status: Some(500),
        ..Behavior::default()
    });
    // force P0/P1 refreshes with a trigger: they all fail
    let o = run(
        tracka(&t, None),
        &["trigger", "--reason", "out_of_range", "--pool", POOL],
    );
    assert!(o.status.success());
    let o = run(tracka(&t, Some(&s)), &["scheduler", "--once"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("Dune server error 500"), "{}", text(&o));
    let after: BTreeMap<String, String> = store
        .keys()
        .unwrap()
        .into_iter()
        .map(|k| {
            let h = store.try_read(&k).unwrap().unwrap().rows_hash;
            (k, h)
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn mock_source_is_deterministic_and_offline() {
    let hashes = |t: &TestDir| -> BTreeMap<String, String> {
        let o = run(
            tracka(t, None),
            &["scheduler", "--once", "--source", "mock", "--seed", "7"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v = snapshot_json(t);
        assert_eq!(v["intel_hygiene"]["fresh_pct"], 100.0);
        v["intel_snapshot"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, e)| (k.clone(), e["content_hash"].as_str().unwrap().to_string()))
            .collect()
    };
    let (a, b) = (TestDir::new(), TestDir::new());
    assert_eq!(hashes(&a), hashes(&b));
    // INTEL_DATA_SOURCE=mock selects it too, and no key is needed
    let c = TestDir::new();
    let mut cmd = tracka(&c, None);
    cmd.env("INTEL_DATA_SOURCE", "mock");
    assert_eq!(run(cmd, &["scheduler", "--once"]).status.code(), Some(0));
}

#[test]
fn trigger_cli_and_bad_input() {
    let t = TestDir::new();
    let o = run(
        tracka(&t, None),
        &["trigger", "--reason", "out_of_range", "--pool", POOL],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (_, lines) = TriggerLog::open(&t.path().join("data"))
        .read_from(0)
        .unwrap();
    assert_eq!(lines.len(), 1);
    let r = lines[0].request.as_ref().unwrap();
    assert_eq!(
        (
            r.reason.as_str(),
            r.pool.as_ref().unwrap().as_str(),
            r.key.as_ref()
        ),
        ("out_of_range", POOL_LC, None)
    );
    assert_eq!(
        run(
            tracka(&t, None),
            &["trigger", "--reason", "x", "--pool", "0x12"]
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        run(
            tracka(&t, None),
            &["trigger", "--reason", "", "--pool", POOL]
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        run(tracka(&t, None), &["trigger", "--pool", POOL])
            .status
            .code(),
        Some(2)
    );
    // no key: exit 2 with the runbook's message
    let o = run(tracka(&t, None), &["scheduler", "--once"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("Dune API key missing"), "{}", text(&o));
    // a bad registry entry names the entry and the field
    let mut reg: Value =
        serde_json::from_str(tracka::intel::registry::BUILTIN_REGISTRY_JSON).unwrap();
    reg["queries"][3]["ttl_s"] = json!(0);
    let path = t.path().join("bad_registry.json");
    std::fs::write(&path, reg.to_string()).unwrap();
    let o = run(
        tracka(&t, None),
        &[
            "scheduler",
            "--once",
            "--source",
            "mock",
            "--registry",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let msg = text(&o);
    assert!(
        msg.contains("entry #3 (builder_mev_landscape_24h): field `ttl_s`"),
        "{msg}"
    );
    for args in [
        &["scheduler", "--workers", "0"][..],
        &["scheduler", "--interval", "0"],
        &["scheduler", "--log-level", "LOUD"],
    ] {
        assert_eq!(
            run(tracka(&t, None), args).status.code(),
            Some(2),
            "{args:?}"
        );
    }
}

/// A registry where everything goes stale after 1 s, so a daemon ticking every second
/// rewrites every entry on every tick.
pub fn write_hot_registry(data: &Path) {
    let mut reg: Value =
        serde_json::from_str(tracka::intel::registry::BUILTIN_REGISTRY_JSON).unwrap();
    for q in reg["queries"].as_array_mut().unwrap() {
        q["ttl_s"] = json!(1);
        q["max_age_s"] = json!(3600);
    }
    std::fs::write(data.join("intel_queries.json"), reg.to_string()).unwrap();
}

pub fn spawn_daemon(t: &TestDir, s: &StandIn, extra: &[&str]) -> Child {
    let mut c = tracka(t, Some(s));
    write_hot_registry(&t.path().join("data"));
    c.args([
        "scheduler",
        "--interval",
        "1",
        "--workers",
        "3",
        "--pool-cap",
        "1",
        "--log-level",
        "WARN",
    ])
    .args(extra)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn scheduler daemon")
}

pub fn terminate(mut child: Child) -> Output {
    let pid = child.id().to_string();
    let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(ok.success());
    // liveness bound, not a speed claim: a clean stop must not hang
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("scheduler daemon did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

pub fn assert_clean_cache(data: &Path) {
    let store = CacheStore::open(data);
    if !store.dir().exists() {
        return;
    }
    for k in store.keys().unwrap() {
        assert!(store.try_read(&k).unwrap().is_some(), "{k}");
    }
    let tmp: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "temp files left: {tmp:?}");
}

#[test]
fn daemon_and_parallel_snapshots_share_the_cache_safely() {
    let t = TestDir::new();
    let s = StandIn::with_default(Behavior {
        delay: Duration::from_millis(5),
        polls_before_done: 1,
        ..Behavior::default()
    });
    let data = t.path().join("data");
    let daemon = spawn_daemon(&t, &s, &[]);
    let reg = Arc::new(Registry::load(&data.join("intel_queries.json")).unwrap());
    let keys: Vec<String> = reg
        .instances_for(&PoolAddress::parse(POOL).unwrap())
        .into_iter()
        .map(|i| i.key)
        .collect();
    let start = Instant::now();
    // readers stop once every reader has seen all 25 entries and some entry rewritten
    // by the daemon (bounded at 60 s on a loaded machine)
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (data, reg, keys) = (data.clone(), Arc::clone(&reg), keys.clone());
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let store = CacheStore::open(&data);
                let mi = MarketIntelligence::new(&data, reg);
                let inputs = IntelInputs {
                    pool_address: PoolAddress::parse(POOL).unwrap(),
                    pair: "USDC-WETH".into(),
                    lookback_hours: 1,
                };
                let mut present: BTreeSet<String> = BTreeSet::new();
                let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                let mut snapshots = 0;
                let mut finished = false;
                while start.elapsed() < Duration::from_secs(60)
                    && done.load(std::sync::atomic::Ordering::SeqCst) < 4
                {
                    if !finished
                        && snapshots >= 50
                        && present.len() == keys.len()
                        && versions.values().any(|v| v.len() >= 2)
                    {
                        finished = true;
                        done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    let present_before = present.clone();
                    let snap = mi.snapshot(&inputs, chrono::Utc::now());
                    snapshots += 1;
                    for k in &present_before {
                        assert_ne!(
                            snap.intel_snapshot[k].quality,
                            Quality::Missing,
                            "snapshot lost {k}"
                        );
                    }
                    for k in &keys {
                        // never torn: parse + hash check must succeed whenever a file exists
                        match store.try_read(k) {
                            Ok(Some(e)) => {
                                present.insert(k.clone());
                                versions
                                    .entry(k.clone())
                                    .or_default()
                                    .insert(e.fetched_at.to_rfc3339());
                            }
                            Ok(None) => assert!(!present.contains(k), "entry {k} was lost"),
                            Err(e) => panic!("torn or corrupt read of {k}: {e}"),
                        }
                    }
                }
                (
                    snapshots,
                    present.len(),
                    versions.values().map(BTreeSet::len).max().unwrap_or(0),
                )
            })
        })
        .collect();
    let results: Vec<_> = readers
        .into_iter()
        .map(|h| h.join().expect("reader thread"))
        .collect();
    let out = terminate(daemon);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (snapshots, present, max_versions) in &results {
        assert!(*snapshots > 10, "{results:?}");
        assert_eq!(*present, 25, "{results:?}");
        assert!(
            *max_versions >= 2,
            "entries were rewritten while read: {results:?}"
        );
    }
    assert_clean_cache(&data);
    // concurrent appends from 4 threads: every line is whole
    let (_, lines) = TriggerLog::open(&data).read_from(0).unwrap();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.request.is_ok()));
    let v = snapshot_json(&t);
    assert_eq!(v["intel_snapshot"].as_object().unwrap().len(), 25);
}

#[test]
fn snapshots_do_not_wait_on_a_hanging_dune() {
    let t = TestDir::new();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let reg = Arc::new(Registry::builtin().unwrap());
    let mi = MarketIntelligence::new(&data, Arc::clone(&reg));
    let inputs = IntelInputs {
        pool_address: PoolAddress::parse(POOL).unwrap(),
        pair: "USDC-WETH".into(),
        lookback_hours: 1,
    };
    let time = |n: usize| {
        let t0 = Instant::now();
        for _ in 0..n {
            mi.snapshot(&inputs, chrono::Utc::now());
        }
        t0.elapsed()
    };
    let baseline = time(200);
    let s = StandIn::with_default(Behavior {
        hang: true,
        ..Behavior::default()
    });
    let daemon = spawn_daemon(&t, &s, &["--request-timeout", "600"]);
    // wait until the daemon has three requests hanging (bounded)
    let deadline = Instant::now() + Duration::from_secs(20);
    while s
        .hits()
        .iter()
        .filter(|h| h.path.ends_with("/execute"))
        .count()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "daemon never reached the stand-in"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let hits_before = s.hits().len();
    let hanging = time(200);
    assert_eq!(
        s.hits().len(),
        hits_before,
        "a snapshot made a network request"
    );
    eprintln!("200 snapshots: {baseline:?} with no daemon, {hanging:?} with Dune hanging");
    let out = terminate(daemon);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean_cache(&data);
}
