//! The refresh scheduler under paused tokio time with a scripted source: priorities,
//! the worker limit, the pool cap, triggers handled exactly once (also across a
//! restart), the tick interval, failed refreshes keeping good entries, and shutdown.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracka::intel::scheduler::{Clock, Scheduler, SchedulerConfig, Shutdown};
use tracka::intel::source::{Fetched, RefreshSource, SourceError};
use tracka::intel::{
    CacheStore, ExecutionMeta, IntelInputs, MarketIntelligence, PoolAddress, Priority, Quality,
    QueryInstance, Registry, TriggerLog,
};

use crate::util::TestDir;

const POOLS: [&str; 4] = [
    "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
    "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8",
    "0x11b815efB8f581194ae79006d24E0d814B7697F6",
    "0xCBCdF9626bC03E24f779434178A73a0B4bad62eD",
];

fn pool(i: usize) -> PoolAddress {
    PoolAddress::parse(POOLS[i]).unwrap()
}

/// Wall time that follows tokio's (paused) clock.
struct PausedClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl Clock for PausedClock {
    fn now(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.start.elapsed()).unwrap()
    }
}

#[derive(Default)]
struct Probe {
    started: Mutex<Vec<(String, Priority)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    failing: Mutex<BTreeSet<String>>,
}

#[derive(Clone)]
struct ScriptedSource {
    delay: Duration,
    probe: Arc<Probe>,
}

impl RefreshSource for ScriptedSource {
    fn name(&self) -> &'static str {
        "scripted"
    }

    async fn fetch(&self, q: &QueryInstance) -> Result<Fetched, SourceError> {
        let p = &self.probe;
        p.started
            .lock()
            .unwrap()
            .push((q.key.clone(), q.spec.priority));
        let now = p.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        p.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        p.in_flight.fetch_sub(1, Ordering::SeqCst);
        if p.failing.lock().unwrap().contains(&q.key) {
            return Err(SourceError::Failed {
                key: q.key.clone(),
                message: "scripted failure".into(),
            });
        }
        Ok(Fetched {
            rows: vec![serde_json::json!({"key": q.key, "n": p.started.lock().unwrap().len()})],
            execution: ExecutionMeta {
                execution_id: Some("01HKSCRIPTED00000000000000".into()),
                state: "QUERY_STATE_COMPLETED".into(),
                query_id: q.spec.query_id,
                submitted_at: None,
                execution_ended_at: None,
                row_count: 1,
                total_row_count: Some(1),
                pages: 1,
            },
        })
    }
}

struct Rig {
    dir: TestDir,
    probe: Arc<Probe>,
    clock: Arc<PausedClock>,
    registry: Arc<Registry>,
}

impl Rig {
    fn new() -> Self {
        Self {
            dir: TestDir::new(),
            probe: Arc::new(Probe::default()),
            clock: Arc::new(PausedClock {
                base: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
                start: tokio::time::Instant::now(),
            }),
            registry: Arc::new(Registry::builtin().unwrap()),
        }
    }

    fn scheduler(
        &self,
        workers: usize,
        pool_cap: usize,
        pools: Vec<PoolAddress>,
        delay: Duration,
    ) -> Scheduler<ScriptedSource> {
        Scheduler::new(
            &self.dir.path(),
            Arc::clone(&self.registry),
            ScriptedSource {
                delay,
                probe: Arc::clone(&self.probe),
            },
            SchedulerConfig {
                interval: Duration::from_secs(60),
                workers,
                pool_cap,
                pools,
            },
            Arc::clone(&self.clock) as Arc<dyn Clock>,
        )
        .unwrap()
    }

    fn started(&self) -> Vec<(String, Priority)> {
        std::mem::take(&mut *self.probe.started.lock().unwrap())
    }

    fn snapshot_quality(&self, p: &PoolAddress) -> (u32, u32) {
        let mi = MarketIntelligence::new(&self.dir.path(), Arc::clone(&self.registry));
        let s = mi.snapshot(
            &IntelInputs {
                pool_address: p.clone(),
                pair: "X-Y".into(),
                lookback_hours: 1,
            },
            self.clock.now(),
        );
        (s.intel_hygiene.fresh, s.intel_hygiene.total_queries)
    }
}

#[tokio::test(start_paused = true)]
async fn cold_tick_refreshes_everything_p0_first() {
    let rig = Rig::new();
    let sched = rig.scheduler(1, 1, vec![pool(0)], Duration::from_secs(2));
    assert_eq!(rig.snapshot_quality(&pool(0)), (0, 25));
    let report = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(report.refreshed.len(), 25);
    assert!(report.failed.is_empty());
    let started = rig.started();
    let prios: Vec<Priority> = started.iter().map(|s| s.1).collect();
    let mut sorted = prios.clone();
    sorted.sort();
    assert_eq!(prios, sorted, "start order follows priority");
    assert_eq!(prios[0], Priority::P0);
    // completion order equals start order with one worker
    let keys: Vec<String> = started.into_iter().map(|s| s.0).collect();
    assert_eq!(report.refreshed, keys);
    assert_eq!(rig.snapshot_quality(&pool(0)), (25, 25));
    // nothing is due right after
    let again = sched.tick(&Shutdown::new()).await.unwrap();
    assert!(again.refreshed.is_empty());
}

#[tokio::test(start_paused = true)]
async fn worker_limit_bounds_fetches_in_flight() {
    for workers in [1usize, 3, 5] {
        let rig = Rig::new();
        let sched = rig.scheduler(workers, 1, vec![pool(0)], Duration::from_secs(10));
        let t0 = tokio::time::Instant::now();
        let report = sched.tick(&Shutdown::new()).await.unwrap();
        assert_eq!(report.refreshed.len(), 25);
        assert_eq!(rig.probe.max_in_flight.load(Ordering::SeqCst), workers);
        // virtual time: ceil(25 / workers) rounds of 10 s
        let rounds = 25usize.div_ceil(workers) as u64;
        assert_eq!(t0.elapsed().as_secs(), rounds * 10);
    }
}

#[tokio::test(start_paused = true)]
async fn pool_cap_limits_pools_per_tick_and_rotates() {
    let rig = Rig::new();
    let pools: Vec<PoolAddress> = (0..4).map(pool).collect();
    let sched = rig.scheduler(3, 2, pools.clone(), Duration::from_millis(10));
    let r1 = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r1.pools, vec![pool(0), pool(1)]);
    assert_eq!(r1.refreshed.len(), 4 + 2 * 21);
    for k in &r1.refreshed {
        assert!(
            !k.contains(pool(2).as_str()) && !k.contains(pool(3).as_str()),
            "{k}"
        );
    }
    let r2 = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r2.pools, vec![pool(2), pool(3)]);
    assert_eq!(r2.refreshed.len(), 2 * 21);
    for p in &pools {
        assert_eq!(rig.snapshot_quality(p), (25, 25));
    }
}

#[tokio::test(start_paused = true)]
async fn triggers_run_once_even_across_restarts() {
    let rig = Rig::new();
    let sched = rig.scheduler(2, 1, vec![pool(0)], Duration::from_millis(10));
    sched.tick(&Shutdown::new()).await.unwrap();
    rig.started();
    let mi = MarketIntelligence::new(&rig.dir.path(), Arc::clone(&rig.registry));
    // everything is fresh; a trigger for a pool outside the list forces its P0/P1 now
    mi.trigger_refresh("out_of_range", Some(&pool(2)), rig.clock.now())
        .unwrap();
    mi.trigger_refresh("out_of_range", Some(&pool(2)), rig.clock.now())
        .unwrap();
    let r = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r.triggers_consumed, 2);
    assert_eq!(r.pools, vec![pool(2)]);
    let started = rig.started();
    let keys: BTreeSet<&str> = started.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(keys.len(), started.len(), "deduplicated");
    // the triggered pool is cold: all 21 of its queries, plus the fresh global P0/P1 (forced)
    let global_urgent = rig
        .registry
        .global_instances()
        .iter()
        .filter(|i| i.spec.priority.is_urgent())
        .count();
    assert_eq!(started.len(), 21 + global_urgent);
    // run again: nothing; restart the scheduler: still nothing (offset persisted)
    assert_eq!(
        sched
            .tick(&Shutdown::new())
            .await
            .unwrap()
            .triggers_consumed,
        0
    );
    let restarted = rig.scheduler(2, 1, vec![pool(0)], Duration::from_millis(10));
    let r = restarted.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r.triggers_consumed, 0);
    assert!(r.refreshed.is_empty(), "{:?}", r.refreshed);
    // a new trigger for a fresh pool refreshes exactly its P0/P1 queries (and global P0/P1)
    mi.trigger_refresh("regime_change", Some(&pool(0)), rig.clock.now())
        .unwrap();
    let r = restarted.tick(&Shutdown::new()).await.unwrap();
    let started = rig.started();
    assert!(started.iter().all(|s| s.1.is_urgent()), "{started:?}");
    let pool_urgent = rig
        .registry
        .pool_instances(&pool(0))
        .iter()
        .filter(|i| i.spec.priority.is_urgent())
        .count();
    assert_eq!(r.refreshed.len(), pool_urgent + global_urgent);
    let state = restarted.load_state().unwrap();
    assert_eq!(state.triggers_handled, 3);
    assert_eq!(
        state.triggers_offset,
        std::fs::metadata(TriggerLog::open(&rig.dir.path()).path())
            .unwrap()
            .len()
    );
    assert_eq!(state.seen_pools, vec![pool(2)]);
}

#[tokio::test(start_paused = true)]
async fn snapshot_requests_are_served_and_pools_beyond_cap_wait() {
    let rig = Rig::new();
    let sched = rig.scheduler(2, 1, vec![], Duration::from_millis(10));
    let mi = MarketIntelligence::new(&rig.dir.path(), Arc::clone(&rig.registry));
    for i in 0..2 {
        mi.snapshot(
            &IntelInputs {
                pool_address: pool(i),
                pair: "X-Y".into(),
                lookback_hours: 1,
            },
            rig.clock.now(),
        );
    }
    // pool cap 1: the first pool's requests (and the global ones) are consumed now,
    // the second pool's wait for the next tick
    let r1 = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r1.pools, vec![pool(0)]);
    assert_eq!(r1.triggers_consumed, 25 + 4);
    let r2 = sched.tick(&Shutdown::new()).await.unwrap();
    assert_eq!(r2.pools, vec![pool(1)]);
    assert_eq!(rig.snapshot_quality(&pool(1)), (25, 25));
    let r3 = sched.tick(&Shutdown::new()).await.unwrap();
    assert!(r3.refreshed.is_empty());
}

#[tokio::test(start_paused = true)]
async fn run_ticks_on_the_interval_until_shutdown() {
    let rig = Rig::new();
    let sched = Arc::new(rig.scheduler(3, 1, vec![pool(0)], Duration::from_millis(100)));
    let shutdown = Arc::new(Shutdown::new());
    let (s2, sd2) = (Arc::clone(&sched), Arc::clone(&shutdown));
    let handle = tokio::spawn(async move { s2.run(&sd2).await });
    tokio::time::sleep(Duration::from_secs(190)).await;
    shutdown.trigger();
    let report = handle.await.unwrap();
    assert_eq!(report.ticks, 4, "ticks at 0 s, 60 s, 120 s, 180 s");
    // 25 cold at t=0; gas_regime (ttl 120 s, written at 0.1 s) is 119 s old at
    // t=120 (fresh) and due at t=180
    assert_eq!(report.refreshed, 26);
}

#[tokio::test(start_paused = true)]
async fn failed_refresh_keeps_the_good_entry() {
    let rig = Rig::new();
    let sched = rig.scheduler(3, 1, vec![pool(0)], Duration::from_millis(10));
    sched.tick(&Shutdown::new()).await.unwrap();
    let store = CacheStore::open(&rig.dir.path());
    let before = store.read("gas_regime").unwrap();
    rig.probe
        .failing
        .lock()
        .unwrap()
        .insert("gas_regime".into());
    tokio::time::sleep(Duration::from_secs(130)).await; // past gas_regime's ttl
    let r = sched.tick(&Shutdown::new()).await.unwrap();
    assert!(r.failed.contains_key("gas_regime"), "{r:?}");
    assert_eq!(store.read("gas_regime").unwrap(), before);
    let mi = MarketIntelligence::new(&rig.dir.path(), Arc::clone(&rig.registry));
    let snap = mi.snapshot(
        &IntelInputs {
            pool_address: pool(0),
            pair: "X-Y".into(),
            lookback_hours: 1,
        },
        rig.clock.now(),
    );
    assert_eq!(snap.intel_snapshot["gas_regime"].quality, Quality::Stale);
    assert_eq!(snap.intel_snapshot["gas_regime"].age_s, Some(130));
}

#[tokio::test(start_paused = true)]
async fn shutdown_mid_tick_aborts_and_does_not_consume_triggers() {
    let rig = Rig::new();
    let sched = Arc::new(rig.scheduler(1, 1, vec![pool(0)], Duration::from_secs(100)));
    let mi = MarketIntelligence::new(&rig.dir.path(), Arc::clone(&rig.registry));
    mi.trigger_refresh("out_of_range", Some(&pool(0)), rig.clock.now())
        .unwrap();
    let shutdown = Arc::new(Shutdown::new());
    let (s2, sd2) = (Arc::clone(&sched), Arc::clone(&shutdown));
    let handle = tokio::spawn(async move { s2.tick(&sd2).await });
    tokio::time::sleep(Duration::from_secs(250)).await; // two fetches done, third in flight
    shutdown.trigger();
    let r = handle.await.unwrap().unwrap();
    assert!(r.interrupted);
    assert_eq!(r.refreshed.len(), 2);
    assert_eq!(sched.load_state().unwrap().triggers_offset, 0);
    let store = CacheStore::open(&rig.dir.path());
    assert_eq!(store.keys().unwrap().len(), 2);
    for k in store.keys().unwrap() {
        assert!(store.try_read(&k).unwrap().is_some());
    }
    let tmp = std::fs::read_dir(store.dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(tmp, 0);
}
