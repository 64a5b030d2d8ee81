//! Intel through campaigns: after `tracka scheduler --once` against the Dune stand-in a
//! campaign's episodes record 100 % fresh intel whose hashes are the cache's, and as the
//! (fixed) clock passes ttl / max_age they record stale / too_old entries; a scheduler
//! daemon rewriting the cache while a 50-episode campaign runs loses and tears nothing;
//! and a campaign finishes while every Dune request of the daemon hangs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use tracka::intel::{CacheEntry, CacheStore, PoolAddress, Quality, Registry};

use crate::campaign::{campaign, campaign_cmd, episodes, json as read_json, text};
use crate::intel_cli::{assert_clean_cache, run, spawn_daemon, terminate, tracka, POOL, POOL_LC};
use crate::intel_standin::{Behavior, StandIn, KEY};
use crate::util::TestDir;

/// The pools list shipped with the crate: the campaign's primary pool comes first, so the
/// scheduler's default `--pool-cap` (3) covers it.
const SHIPPED_POOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pools.json");

/// A scheduler daemon that is killed if the test fails before stopping it.
struct Daemon(Option<std::process::Child>);

impl Daemon {
    fn spawn(t: &TestDir, s: &StandIn, extra: &[&str]) -> Self {
        Self(Some(spawn_daemon(t, s, extra)))
    }

    /// SIGTERM, and the daemon must exit 0.
    fn stop(mut self) {
        let out = terminate(self.0.take().expect("daemon running"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `intel_us` of every episode's timings.json, sorted.
fn intel_us(run: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = episodes(run)
        .iter()
        .map(|ep| {
            read_json(&ep.join("timings.json"))["intel_us"]
                .as_u64()
                .expect("timings.json intel_us")
        })
        .collect();
    v.sort_unstable();
    v
}

/// Every entry of the cache, by key (each read fully checked: parse, key, rows hash).
fn cache(data: &Path) -> BTreeMap<String, CacheEntry> {
    let store = CacheStore::open(data);
    store
        .keys()
        .unwrap()
        .into_iter()
        .map(|k| {
            let e = store
                .try_read(&k)
                .unwrap_or_else(|e| panic!("{k}: {e}"))
                .unwrap_or_else(|| panic!("{k} listed but absent"));
            (k, e)
        })
        .collect()
}

/// Runs a campaign (with `campaign`'s FAST market flags) with `--json` and returns its
/// run directory.
fn run_campaign(t: &TestDir, env: &[(&str, &str)], args: &[&str]) -> PathBuf {
    let mut all = vec!["--json", "--intel-data-source", "dune"];
    all.extend_from_slice(args);
    let out = campaign(t, env, &all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("campaign --json: {e}: {}", text(&out)));
    let run_id = report["run_id"].as_str().expect("run_id");
    t.path().join("data/runs").join(run_id)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The `extra` of every episode's metadata.json of `run`, in episode order.
fn episode_extras(run: &Path) -> Vec<Value> {
    episodes(run)
        .iter()
        .map(|ep| read_json(&ep.join("metadata.json"))["extra"].clone())
        .collect()
}

/// The registry's (ttl_s, max_age_s) of every cache key the primary pool's episodes read.
fn limits(reg: &Registry) -> BTreeMap<String, (u64, u64)> {
    reg.instances_for(&PoolAddress::parse(POOL).unwrap())
        .into_iter()
        .map(|i| (i.key, (i.spec.ttl_s, i.spec.max_age_s)))
        .collect()
}

/// Checks one episode's snapshot against the cache as of `now`: every key the registry
/// names is there, each with the quality its own age gives, the age, the asof and the
/// cache entry's rows hash; the hygiene counts agree. Returns the hygiene.
fn check_snapshot_against_cache(
    extra: &Value,
    entries: &BTreeMap<String, CacheEntry>,
    limits: &BTreeMap<String, (u64, u64)>,
    now: DateTime<Utc>,
) -> Value {
    let snap = extra["intel_snapshot"].as_object().expect("intel_snapshot");
    assert_eq!(
        snap.keys().collect::<BTreeSet<_>>(),
        limits.keys().collect::<BTreeSet<_>>()
    );
    let mut counts = BTreeMap::<&str, u64>::new();
    for (key, &(ttl, max_age)) in limits {
        let e = &entries[key];
        let age = e.age_s(now);
        let expected = Quality::classify(Some(age), ttl, max_age);
        let got = &snap[key];
        assert_eq!(
            got,
            &json!({
                "quality": expected.as_str(),
                "age_s": age,
                "asof": e.fetched_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "content_hash": e.rows_hash,
            }),
            "{key} at {now}"
        );
        *counts.entry(expected.as_str()).or_default() += 1;
    }
    let n = |q: &str| counts.get(q).copied().unwrap_or(0);
    let h = extra["intel_hygiene"].clone();
    assert_eq!(h["total_queries"], limits.len() as u64, "{h}");
    assert_eq!(h["fresh"], n("fresh"), "{h}");
    assert_eq!(h["stale"], n("stale"), "{h}");
    assert_eq!(h["missing_or_too_old"], n("too_old") + n("missing"), "{h}");
    // the runbook's pair name for the campaign's market (pools.json spells it USDC-WETH;
    // the pair is recorded, not part of any cache key)
    assert_eq!(
        extra["intel_inputs"],
        json!({"pool_address": POOL_LC, "pair": "WETH-USDC", "lookback_hours": 1})
    );
    h
}

#[test]
fn campaign_after_scheduler_once_is_fully_fresh_then_stale_then_too_old() {
    let t = TestDir::new();
    let data = t.path().join("data");
    let s = StandIn::start();
    let mut cmd = tracka(&t, Some(&s));
    cmd.env("TRACKA_INTEL_POOLS", SHIPPED_POOLS);
    let o = run(cmd, &["scheduler", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("failed 0, pools 3"), "{}", text(&o));
    let entries = cache(&data);
    let limits = limits(&Registry::builtin().unwrap());
    for key in limits.keys() {
        assert!(entries.contains_key(key), "the scheduler left {key} out");
    }
    let newest = entries.values().map(|e| e.fetched_at).max().unwrap();

    // just after the fetch: every query fresh, every hash the cache's
    let now = newest + chrono::Duration::seconds(1);
    let run_dir = run_campaign(
        &t,
        &[],
        &["--episodes", "2", "--fixed-clock", &rfc3339(now)],
    );
    let extras = episode_extras(&run_dir);
    assert_eq!(extras.len(), 2);
    for extra in &extras {
        let h = check_snapshot_against_cache(extra, &entries, &limits, now);
        assert_eq!(
            h,
            json!({"total_queries": 25, "fresh": 25, "stale": 0, "missing_or_too_old": 0, "fresh_pct": 100.0})
        );
    }

    // past ttl, then past max_age, of pool_metrics 1h (ttl 300 s, max_age 1800 s); the
    // other keys fall where their own ttl / max_age put them
    let key = format!("pool_metrics:{POOL_LC}:1h");
    let (ttl, max_age) = limits[&key];
    let fetched = entries[&key].fetched_at;
    let mut seen = BTreeSet::new();
    for (secs, want) in [
        (ttl, Quality::Stale),
        (max_age, Quality::TooOld),
        (86_400 * 2, Quality::TooOld),
    ] {
        let now = fetched + chrono::Duration::seconds(secs as i64);
        let run_dir = run_campaign(
            &t,
            &[],
            &["--episodes", "1", "--fixed-clock", &rfc3339(now)],
        );
        let extras = episode_extras(&run_dir);
        assert_eq!(extras.len(), 1);
        let h = check_snapshot_against_cache(&extras[0], &entries, &limits, now);
        assert_eq!(
            extras[0]["intel_snapshot"][&key]["quality"],
            want.as_str(),
            "{key} {secs} s after its fetch"
        );
        seen.insert((
            h["fresh"].as_u64().unwrap(),
            h["stale"].as_u64().unwrap(),
            h["missing_or_too_old"].as_u64().unwrap(),
        ));
        eprintln!("{secs} s after the fetch: intel_hygiene {h}");
    }
    // three distinct mixes, the last all too_old
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.contains(&(0, 0, 25)), "{seen:?}");
    let ok = t.run(&["audit"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
}

/// Every episode of `run`: the snapshot holds every key, none missing or too old, and
/// each hash is `rows_hash` of the (deterministic) rows the stand-in serves for the key.
/// Returns, per key, the distinct `asof` values the episodes saw.
fn check_no_lost_or_torn_entry(
    run: &Path,
    entries: &BTreeMap<String, CacheEntry>,
    limits: &BTreeMap<String, (u64, u64)>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut asofs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, extra) in episode_extras(run).iter().enumerate() {
        let snap = extra["intel_snapshot"].as_object().expect("intel_snapshot");
        assert_eq!(snap.len(), limits.len(), "episode {}", i + 1);
        for (key, e) in snap {
            assert!(
                e["quality"] == "fresh" || e["quality"] == "stale",
                "episode {}: {key}: {e}",
                i + 1
            );
            assert_eq!(
                e["content_hash"],
                entries[key].rows_hash.as_str(),
                "episode {}: {key}",
                i + 1
            );
            asofs
                .entry(key.clone())
                .or_default()
                .insert(e["asof"].as_str().unwrap().to_string());
        }
        assert_eq!(extra["intel_hygiene"]["missing_or_too_old"], 0, "{extra}");
    }
    asofs
}

#[test]
fn daemon_rewriting_the_cache_during_a_50_episode_campaign_loses_and_tears_nothing() {
    let t = TestDir::new();
    let data = t.path().join("data");
    let s = StandIn::with_default(Behavior {
        delay: Duration::from_millis(5),
        polls_before_done: 1,
        ..Behavior::default()
    });
    // warm the cache once, then a daemon rewrites every entry on every 1 s tick
    let o = run(tracka(&t, Some(&s)), &["scheduler", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let warm = cache(&data);
    let daemon = Daemon::spawn(&t, &s, &[]);
    let limits = limits(&Registry::load(&data.join("intel_queries.json")).unwrap());
    let executes = || {
        s.hits()
            .iter()
            .filter(|h| h.path.ends_with("/execute"))
            .count()
    };
    // a campaign can be quicker than the daemon's first tick: campaigns of 50 episodes
    // run until one of them has read an entry in two versions (at most 10)
    let mut rewritten = 0;
    let mut campaigns = 0;
    while rewritten == 0 && campaigns < 10 {
        campaigns += 1;
        let before = executes();
        let t0 = Instant::now();
        let run_dir = run_campaign(&t, &[], &["--episodes", "50"]);
        let elapsed = t0.elapsed();
        let during = executes() - before;
        let after = cache(&data);
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            warm.keys().collect::<Vec<_>>()
        );
        let asofs = check_no_lost_or_torn_entry(&run_dir, &after, &limits);
        assert_eq!(episodes(&run_dir).len(), 50);
        rewritten = asofs.values().filter(|v| v.len() >= 2).count();
        let most = asofs.values().map(BTreeSet::len).max().unwrap_or(0);
        let us = intel_us(&run_dir);
        eprintln!(
            "campaign {campaigns}: 50 episodes in {elapsed:?}: daemon sent {during} executes \
             meanwhile; {rewritten} of {} keys seen in >= 2 versions (at most {most}); \
             intel_us min {} median {} max {}",
            asofs.len(),
            us[0],
            us[25],
            us[49]
        );
    }
    daemon.stop();
    assert!(
        rewritten > 0,
        "the daemon rewrote no entry while {campaigns} campaigns read the cache"
    );
    let ok = t.run(&["audit"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert_clean_cache(&data);
}

/// Runs a campaign (`--json`) that must exit 0 within 60 s — a liveness bound, not a
/// speed claim: a campaign that waited on a hanging request would never finish (it is
/// killed at the bound). Returns the time it took and its run directory.
fn bounded_campaign(t: &TestDir, env: &[(&str, &str)], args: &[&str]) -> (Duration, PathBuf) {
    let mut all = vec!["--json", "--intel-data-source", "dune"];
    all.extend_from_slice(args);
    let (out_path, err_path) = (t.path().join("campaign.out"), t.path().join("campaign.err"));
    let t0 = Instant::now();
    let mut child = campaign_cmd(t, env, &all)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn tracka campaign");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the campaign did not finish within 60 s: {}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = t0.elapsed();
    let stdout = std::fs::read(&out_path).unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("campaign --json: {e}: {stderr}"));
    let run_id = report["run_id"].as_str().expect("run_id");
    (elapsed, t.path().join("data/runs").join(run_id))
}

#[test]
fn campaign_finishes_while_every_dune_request_of_the_daemon_hangs() {
    let t = TestDir::new();
    let data = t.path().join("data");
    let s = StandIn::start();
    let o = run(tracka(&t, Some(&s)), &["scheduler", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let warm = cache(&data);
    s.set_default(Behavior {
        hang: true,
        ..Behavior::default()
    });
    let daemon = Daemon::spawn(&t, &s, &["--request-timeout", "600"]);
    let executes = || {
        s.hits()
            .iter()
            .filter(|h| h.path.ends_with("/execute"))
            .count()
    };
    let warm_executes = executes();
    // wait until the daemon has three requests hanging (bounded)
    let deadline = Instant::now() + Duration::from_secs(20);
    while executes() < warm_executes + 3 {
        assert!(
            Instant::now() < deadline,
            "daemon never reached the stand-in"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let hits_before = s.hit_count();
    // the campaign is pointed at the stand-in too: any request it made would show
    let env = [
        ("DUNE_API_BASE_URL", s.base_url.as_str()),
        ("DUNE_API_KEY", KEY),
    ];
    let (elapsed, run_dir) = bounded_campaign(&t, &env, &["--episodes", "10"]);
    assert_eq!(s.hit_count(), hits_before, "a request was made meanwhile");
    let limits = limits(&Registry::load(&data.join("intel_queries.json")).unwrap());
    check_no_lost_or_torn_entry(&run_dir, &warm, &limits);
    // reported, not asserted: the intel step (snapshot + its ledger append) stays small
    let us = intel_us(&run_dir);
    assert_eq!(us.len(), 10);
    eprintln!(
        "10 episodes in {elapsed:?} with every Dune request hanging; intel_us min {} median {} max {}",
        us[0], us[5], us[9]
    );
    daemon.stop();
    assert_clean_cache(&data);
    assert_eq!(cache(&data).len(), warm.len());
}
