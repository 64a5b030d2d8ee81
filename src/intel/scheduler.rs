//! The refresh scheduler: each tick reads new refresh requests from the triggers file,
//! picks at most `pool_cap` pools (triggered ones first), refreshes every entry that is
//! not fresh plus the P0/P1 queries of pools a trigger named, P0 first, with at most
//! `workers` fetches in flight, and writes each result atomically to the cache. A failed
//! fetch leaves the cached entry as it was. The byte offset of the triggers handled is
//! kept in `<data>/intel/scheduler_state.json`, so each request runs once.
//!
//! The daemon loop follows tokio-rs/mini-redis: `select!` over `sleep_until` and a
//! shutdown notification; shutdown aborts in-flight fetches at their next await point
//! (a cache write is synchronous and atomic, so none is left torn) and leaves the
//! trigger offset where the last complete tick put it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::pool::PoolAddress;
use super::quality::Quality;
use super::registry::{Priority, QueryInstance, Registry};
use super::source::RefreshSource;
use super::store::{write_atomic, CacheEntry, CacheStore, StoreError};
use super::triggers::{TriggerError, TriggerLog};

/// The scheduler's state file under `<data>/intel/`.
pub const STATE_FILE: &str = "scheduler_state.json";

/// Errors from the scheduler.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulerError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state file exists but cannot be read.
    #[error("scheduler state {path}: {message}")]
    State { path: PathBuf, message: String },
    /// A setting is out of range.
    #[error("scheduler setting {name} = {value}: {problem}")]
    Config {
        name: &'static str,
        value: String,
        problem: &'static str,
    },
}

/// The time source (injectable for tests).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A shutdown signal that can be waited on by any number of tasks.
#[derive(Debug, Default)]
pub struct Shutdown {
    flag: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests shutdown; wakes every waiter.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether shutdown was requested.
    pub fn is_triggered(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Resolves once shutdown is requested.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_triggered() {
                return;
            }
            notified.await;
        }
    }
}

/// Scheduler settings.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Time between tick starts (daemon mode).
    pub interval: Duration,
    /// Fetches in flight at most.
    pub workers: usize,
    /// Pools whose per-pool queries are refreshed in one tick, at most.
    pub pool_cap: usize,
    /// Pools to keep warm, in order.
    pub pools: Vec<PoolAddress>,
}

impl SchedulerConfig {
    fn check(&self) -> Result<(), SchedulerError> {
        if self.workers == 0 {
            return Err(SchedulerError::Config {
                name: "workers",
                value: "0".into(),
                problem: "must be at least 1",
            });
        }
        if self.pool_cap == 0 {
            return Err(SchedulerError::Config {
                name: "pool_cap",
                value: "0".into(),
                problem: "must be at least 1",
            });
        }
        if self.interval.is_zero() {
            return Err(SchedulerError::Config {
                name: "interval",
                value: "0".into(),
                problem: "must be positive",
            });
        }
        Ok(())
    }
}

/// What the scheduler remembers between ticks and restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchedulerState {
    /// Bytes of the triggers file already handled.
    pub triggers_offset: u64,
    /// Requests handled in total.
    pub triggers_handled: u64,
    /// Pools named by triggers, in first-seen order (kept warm like configured pools).
    pub seen_pools: Vec<PoolAddress>,
}

/// One refresh to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub instance: QueryInstance,
    pub quality: Quality,
    /// A trigger asked for it.
    pub triggered: bool,
}

impl Job {
    pub fn key(&self) -> &str {
        &self.instance.key
    }
    pub fn priority(&self) -> Priority {
        self.instance.spec.priority
    }
}

/// What one tick will do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// In start order (P0 first).
    pub jobs: Vec<Job>,
    /// Pools whose per-pool queries are considered this tick.
    pub pools: Vec<PoolAddress>,
    /// Trigger lines consumed.
    pub triggers_consumed: u64,
    /// The state to save once the tick completes.
    pub next_state: SchedulerState,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TickReport {
    /// Keys written, in completion order.
    pub refreshed: Vec<String>,
    /// Keys whose fetch or write failed, with the error.
    pub failed: BTreeMap<String, String>,
    pub pools: Vec<PoolAddress>,
    pub triggers_consumed: u64,
    /// Shutdown arrived mid-tick (state not advanced).
    pub interrupted: bool,
}

/// What a daemon run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub ticks: u64,
    pub refreshed: u64,
    pub failed: u64,
}

/// The scheduler over one data directory.
pub struct Scheduler<S> {
    registry: Arc<Registry>,
    store: CacheStore,
    triggers: TriggerLog,
    state_path: PathBuf,
    source: Arc<S>,
    config: SchedulerConfig,
    clock: Arc<dyn Clock>,
}

impl<S: RefreshSource> Scheduler<S> {
    /// A scheduler over `data_dir` (cache in `<data>/intel/`, triggers in
    /// `<data>/dune_triggers.jsonl`).
    pub fn new(
        data_dir: &Path,
        registry: Arc<Registry>,
        source: S,
        config: SchedulerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SchedulerError> {
        config.check()?;
        let store = CacheStore::open(data_dir);
        let state_path = store.dir().join(STATE_FILE);
        Ok(Self {
            registry,
            store,
            triggers: TriggerLog::open(data_dir),
            state_path,
            source: Arc::new(source),
            config,
            clock,
        })
    }

    /// The saved state (default when none).
    pub fn load_state(&self) -> Result<SchedulerState, SchedulerError> {
        match std::fs::read(&self.state_path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| SchedulerError::State {
                path: self.state_path.clone(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SchedulerState::default()),
            Err(e) => Err(SchedulerError::State {
                path: self.state_path.clone(),
                message: e.to_string(),
            }),
        }
    }

    fn save_state(&self, state: &SchedulerState) -> Result<(), SchedulerError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| SchedulerError::State {
            path: self.state_path.clone(),
            message: e.to_string(),
        })?;
        Ok(write_atomic(&self.state_path, &bytes)?)
    }

    fn quality(&self, inst: &QueryInstance, now: DateTime<Utc>) -> Quality {
        let age = self.store.read(&inst.key).map(|e| e.age_s(now));
        Quality::classify(age, inst.spec.ttl_s, inst.spec.max_age_s)
    }

    /// Decides what the next tick does, as of `now`, from the triggers file, the cache
    /// and the saved state. Reads only.
    pub fn plan(&self, now: DateTime<Utc>) -> Result<Plan, SchedulerError> {
        let state = self.load_state()?;
        let (start, lines) = self.triggers.read_from(state.triggers_offset)?;
        let mut offset = start;
        let mut consumed = 0u64;
        let mut triggered_pools: Vec<PoolAddress> = Vec::new();
        let mut pool_wide: BTreeSet<PoolAddress> = BTreeSet::new();
        let mut global_wide = false;
        let mut triggered_keys: BTreeSet<String> = BTreeSet::new();
        for line in lines {
            match &line.request {
                Err(msg) => tracing::warn!(error = %msg, "skipping unreadable trigger line"),
                Ok(req) => {
                    if let Some(p) = &req.pool {
                        if !triggered_pools.contains(p) {
                            if triggered_pools.len() >= self.config.pool_cap {
                                break; // the rest waits for the next tick
                            }
                            triggered_pools.push(p.clone());
                        }
                    }
                    match (&req.key, &req.pool) {
                        (Some(k), _) => {
                            triggered_keys.insert(k.clone());
                        }
                        (None, Some(p)) => {
                            pool_wide.insert(p.clone());
                        }
                        (None, None) => global_wide = true,
                    }
                }
            }
            offset = line.end_offset;
            consumed += 1;
        }

        // Pools: triggered first, then configured, then seen before; up to the cap,
        // skipping pools with nothing to do.
        let mut candidates: Vec<PoolAddress> = Vec::new();
        for p in triggered_pools
            .iter()
            .chain(&self.config.pools)
            .chain(&state.seen_pools)
        {
            if !candidates.contains(p) {
                candidates.push(p.clone());
            }
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut pools = Vec::new();
        let any_pool_wide = !pool_wide.is_empty() || global_wide;
        for inst in self.registry.global_instances() {
            let q = self.quality(&inst, now);
            let forced = any_pool_wide && inst.spec.priority.is_urgent();
            if q.needs_refresh() || forced {
                let triggered = forced || triggered_keys.contains(&inst.key);
                jobs.push(Job {
                    instance: inst,
                    quality: q,
                    triggered,
                });
            }
        }
        for p in candidates {
            if pools.len() >= self.config.pool_cap {
                break;
            }
            let wide = pool_wide.contains(&p);
            let mut pool_jobs = Vec::new();
            for inst in self.registry.pool_instances(&p) {
                let q = self.quality(&inst, now);
                let forced = wide && inst.spec.priority.is_urgent();
                if q.needs_refresh() || forced {
                    let triggered = forced || triggered_keys.contains(&inst.key);
                    pool_jobs.push(Job {
                        instance: inst,
                        quality: q,
                        triggered,
                    });
                }
            }
            if !pool_jobs.is_empty() || triggered_pools.contains(&p) {
                pools.push(p);
                jobs.extend(pool_jobs);
            }
        }
        let pool_rank = |j: &Job| {
            j.instance
                .pool
                .as_ref()
                .and_then(|p| pools.iter().position(|x| x == p))
                .map_or(0, |i| i + 1)
        };
        jobs.sort_by(|a, b| {
            (a.priority(), !a.triggered, pool_rank(a), a.key()).cmp(&(
                b.priority(),
                !b.triggered,
                pool_rank(b),
                b.key(),
            ))
        });

        let mut seen = state.seen_pools.clone();
        for p in &triggered_pools {
            if !seen.contains(p) && !self.config.pools.contains(p) {
                seen.push(p.clone());
            }
        }
        Ok(Plan {
            jobs,
            pools,
            triggers_consumed: consumed,
            next_state: SchedulerState {
                triggers_offset: offset,
                triggers_handled: state.triggers_handled + consumed,
                seen_pools: seen,
            },
        })
    }

    /// Runs one tick: plan, fetch with at most `workers` in flight (starting in plan
    /// order), write results, then record the triggers as handled. On shutdown the
    /// in-flight fetches are aborted and the state is not advanced.
    pub async fn tick(&self, shutdown: &Shutdown) -> Result<TickReport, SchedulerError> {
        let plan = self.plan(self.clock.now())?;
        let mut report = TickReport {
            pools: plan.pools.clone(),
            triggers_consumed: plan.triggers_consumed,
            ..TickReport::default()
        };
        let sem = Arc::new(Semaphore::new(self.config.workers));
        let mut set: JoinSet<(String, Result<(), String>)> = JoinSet::new();
        for job in plan.jobs {
            let permit = tokio::select! {
                biased;
                _ = shutdown.wait() => { report.interrupted = true; break; }
                p = Arc::clone(&sem).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break, // the semaphore is never closed
                },
            };
            let source = Arc::clone(&self.source);
            let store = self.store.clone();
            let clock = Arc::clone(&self.clock);
            set.spawn(async move {
                let _permit = permit;
                let inst = job.instance;
                let outcome = match source.fetch(&inst).await {
                    Ok(f) => {
                        let entry = CacheEntry::new(
                            inst.key.clone(),
                            inst.spec.name.clone(),
                            inst.spec.query_id,
                            inst.params.clone(),
                            source.name().to_string(),
                            clock.now(),
                            f.execution,
                            f.rows,
                        );
                        store.write(&entry).map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                };
                (inst.key, outcome)
            });
        }
        if report.interrupted {
            set.abort_all();
        }
        loop {
            tokio::select! {
                biased;
                _ = shutdown.wait(), if !report.interrupted => {
                    report.interrupted = true;
                    set.abort_all();
                }
                next = set.join_next() => match next {
                    None => break,
                    Some(Ok((key, Ok(())))) => {
                        tracing::debug!(key, "refreshed");
                        report.refreshed.push(key);
                    }
                    Some(Ok((key, Err(e)))) => {
                        tracing::warn!(key, error = %e, "refresh failed; cached entry kept");
                        report.failed.insert(key, e);
                    }
                    Some(Err(join_err)) => {
                        if !join_err.is_cancelled() {
                            tracing::error!(error = %join_err, "refresh task panicked");
                        }
                    }
                },
            }
        }
        if !report.interrupted {
            self.save_state(&plan.next_state)?;
        }
        tracing::info!(
            refreshed = report.refreshed.len(),
            failed = report.failed.len(),
            pools = report.pools.len(),
            triggers = report.triggers_consumed,
            interrupted = report.interrupted,
            "intel scheduler tick"
        );
        Ok(report)
    }

    /// Ticks every `interval` until `shutdown`. A tick that fails (e.g. an unreadable
    /// triggers file) is logged and retried at the next interval.
    pub async fn run(&self, shutdown: &Shutdown) -> RunReport {
        let swept = self.store.sweep_temp_files(Duration::from_secs(300));
        if swept > 0 {
            tracing::info!(swept, "removed stale temp files from the intel cache");
        }
        let mut report = RunReport::default();
        let mut next = tokio::time::Instant::now();
        while !shutdown.is_triggered() {
            match self.tick(shutdown).await {
                Ok(t) => {
                    if !t.interrupted {
                        report.ticks += 1;
                    }
                    report.refreshed += t.refreshed.len() as u64;
                    report.failed += t.failed.len() as u64;
                }
                Err(e) => tracing::error!(error = %e, "intel scheduler tick failed"),
            }
            let now = tokio::time::Instant::now();
            while next <= now {
                next += self.config.interval;
            }
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tokio::time::sleep_until(next) => {}
            }
        }
        tracing::info!(ticks = report.ticks, "intel scheduler stopped");
        report
    }
}
