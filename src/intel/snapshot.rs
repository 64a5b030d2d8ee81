//! `MarketIntelligence`: the episode path's read-only, cache-first view of market intel.
//! A snapshot reads only the cache store; entries that are not fresh append a refresh
//! request to the triggers file and are reported as they are, never waited for. This
//! module holds no network client and depends on nothing that does (a unit test checks
//! the source), so an episode cannot block on Dune by construction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

use super::pool::PoolAddress;
use super::quality::{Hygiene, Quality};
use super::registry::Registry;
use super::store::CacheStore;
use super::triggers::{TriggerError, TriggerLog, TriggerRequest};

/// Domain-separation prefix of [`IntelSnapshot::content_hash`].
const SNAPSHOT_DOMAIN: &[u8] = b"tracka.intel.snapshot.v1\0";

/// What an episode asks about: the runbook's `extra.intel_inputs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelInputs {
    pub pool_address: PoolAddress,
    pub pair: String,
    pub lookback_hours: u32,
}

/// One key of the runbook's `extra.intel_snapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    pub quality: Quality,
    /// Whole seconds since the entry was fetched; null when missing.
    pub age_s: Option<i64>,
    /// When the entry was fetched (RFC 3339, UTC, seconds precision); null when missing.
    #[serde(serialize_with = "ser_asof")]
    pub asof: Option<DateTime<Utc>>,
    /// blake3 of the entry's rows; null when missing.
    pub content_hash: Option<String>,
}

fn ser_asof<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}

/// Everything one snapshot saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntelSnapshot {
    /// The `now` the snapshot was taken at.
    #[serde(serialize_with = "ser_now")]
    pub taken_at: DateTime<Utc>,
    /// `extra.intel_inputs`.
    pub intel_inputs: IntelInputs,
    /// `extra.intel_snapshot`: cache key → quality, age, asof, content hash.
    pub intel_snapshot: BTreeMap<String, SnapshotEntry>,
    /// `extra.intel_hygiene`.
    pub intel_hygiene: Hygiene,
    /// Keys for which a refresh request was appended.
    pub refresh_requested: Vec<String>,
}

fn ser_now<S: Serializer>(v: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl IntelSnapshot {
    /// The three runbook objects, ready to merge into `metadata.json`'s `extra`:
    /// `{"intel_snapshot": …, "intel_inputs": …, "intel_hygiene": …}`.
    pub fn to_extra(&self) -> serde_json::Value {
        serde_json::json!({
            "intel_snapshot": &self.intel_snapshot,
            "intel_inputs": &self.intel_inputs,
            "intel_hygiene": &self.intel_hygiene,
        })
    }

    /// blake3 (hex) over the inputs and, per key in order, quality, age, asof and the
    /// rows hash: identifies the data a decision saw.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(SNAPSHOT_DOMAIN);
        let body = serde_json::to_vec(&self.to_extra()).unwrap_or_default();
        h.update(&(body.len() as u64).to_le_bytes());
        h.update(&body);
        h.finalize().to_hex().to_string()
    }
}

/// The cache-first intel reader. Holds the registry and two file handles, nothing else.
#[derive(Debug, Clone)]
pub struct MarketIntelligence {
    registry: Arc<Registry>,
    store: CacheStore,
    triggers: TriggerLog,
}

impl MarketIntelligence {
    /// Reader over `<data_dir>/intel/` that files requests in `<data_dir>/dune_triggers.jsonl`.
    pub fn new(data_dir: &Path, registry: Arc<Registry>) -> Self {
        Self {
            registry,
            store: CacheStore::open(data_dir),
            triggers: TriggerLog::open(data_dir),
        }
    }

    /// The registry in use.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Reads every query an episode on `inputs.pool_address` uses (the global ones and
    /// the pool's) from the cache, as of `now`. Non-fresh entries get one refresh
    /// request each (one batch append); a failure to append is logged, not returned:
    /// the snapshot is still valid.
    pub fn snapshot(&self, inputs: &IntelInputs, now: DateTime<Utc>) -> IntelSnapshot {
        let mut entries = BTreeMap::new();
        let mut requests = Vec::new();
        let mut requested = BTreeSet::new();
        for inst in self.registry.instances_for(&inputs.pool_address) {
            let cached = self.store.read(&inst.key);
            let age_s = cached.as_ref().map(|e| e.age_s(now));
            let quality = Quality::classify(age_s, inst.spec.ttl_s, inst.spec.max_age_s);
            if quality.needs_refresh() && requested.insert(inst.key.clone()) {
                requests.push(TriggerRequest {
                    requested_at: now,
                    reason: quality.as_str().to_string(),
                    pool: inst.pool.clone(),
                    key: Some(inst.key.clone()),
                });
            }
            entries.insert(
                inst.key,
                SnapshotEntry {
                    quality,
                    age_s,
                    asof: cached.as_ref().map(|e| e.fetched_at),
                    content_hash: cached.map(|e| e.rows_hash),
                },
            );
        }
        if let Err(err) = self.triggers.append(&requests) {
            tracing::warn!(error = %err, "could not file intel refresh requests");
        }
        let intel_hygiene = Hygiene::from_qualities(entries.values().map(|e| e.quality));
        IntelSnapshot {
            taken_at: now,
            intel_inputs: inputs.clone(),
            intel_snapshot: entries,
            intel_hygiene,
            refresh_requested: requested.into_iter().collect(),
        }
    }

    /// Asks the scheduler to refresh `pool`'s P0/P1 queries at once (or the global ones
    /// when `pool` is None).
    pub fn trigger_refresh(
        &self,
        reason: &str,
        pool: Option<&PoolAddress>,
        now: DateTime<Utc>,
    ) -> Result<(), TriggerError> {
        trigger_refresh(&self.triggers, reason, pool, now)
    }
}

/// Writes the request `tracka trigger` and [`MarketIntelligence::trigger_refresh`] file.
pub fn trigger_refresh(
    log: &TriggerLog,
    reason: &str,
    pool: Option<&PoolAddress>,
    now: DateTime<Utc>,
) -> Result<(), TriggerError> {
    TriggerRequest::validate_reason(reason)?;
    log.append(&[TriggerRequest {
        requested_at: now,
        reason: reason.to_string(),
        pool: pool.cloned(),
        key: None,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::store::{CacheEntry, ExecutionMeta};

    const POOL: &str = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640";

    fn inputs() -> IntelInputs {
        IntelInputs {
            pool_address: PoolAddress::parse(POOL).unwrap(),
            pair: "USDC-WETH".into(),
            lookback_hours: 1,
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn put(store: &CacheStore, key: &str, fetched_at: DateTime<Utc>) {
        let e = CacheEntry::new(
            key.into(),
            "q".into(),
            1,
            BTreeMap::new(),
            "mock".into(),
            fetched_at,
            ExecutionMeta {
                execution_id: None,
                state: "QUERY_STATE_COMPLETED".into(),
                query_id: 1,
                submitted_at: None,
                execution_ended_at: None,
                row_count: 1,
                total_row_count: None,
                pages: 1,
            },
            vec![serde_json::json!({"v": 1})],
        );
        store.write(&e).unwrap();
    }

    #[test]
    fn cold_cache_is_all_missing_and_requests_every_key_once() {
        let d = tempfile::tempdir().unwrap();
        let mi = MarketIntelligence::new(d.path(), Arc::new(Registry::builtin().unwrap()));
        let snap = mi.snapshot(&inputs(), t(0));
        let h = &snap.intel_hygiene;
        assert_eq!(
            (h.total_queries, h.fresh, h.stale, h.missing_or_too_old),
            (25, 0, 0, 25)
        );
        assert_eq!(h.fresh_pct, 0.0);
        let v = snap.to_extra();
        assert_eq!(
            v["intel_snapshot"]["gas_regime"],
            serde_json::json!({"quality":"missing","age_s":null,"asof":null,"content_hash":null})
        );
        assert_eq!(
            v["intel_inputs"],
            serde_json::json!({"pool_address": POOL.to_lowercase(), "pair":"USDC-WETH","lookback_hours":1})
        );
        let (_, lines) = TriggerLog::open(d.path()).read_from(0).unwrap();
        assert_eq!(lines.len(), 25);
        let keys: BTreeSet<_> = lines
            .iter()
            .map(|l| l.request.as_ref().unwrap().key.clone().unwrap())
            .collect();
        assert_eq!(keys.len(), 25);
    }

    #[test]
    fn ages_map_to_quality() {
        let d = tempfile::tempdir().unwrap();
        let reg = Arc::new(Registry::builtin().unwrap());
        let mi = MarketIntelligence::new(d.path(), Arc::clone(&reg));
        let store = CacheStore::open(d.path());
        let pool = inputs().pool_address;
        // gas_regime: ttl 120, max 900
        put(&store, "gas_regime", t(0));
        let k1h = format!("pool_metrics:{pool}:1h"); // ttl 300, max 1800
        put(&store, &k1h, t(0));
        let snap = mi.snapshot(&inputs(), t(200));
        assert_eq!(snap.intel_snapshot["gas_regime"].quality, Quality::Stale);
        assert_eq!(snap.intel_snapshot[&k1h].quality, Quality::Fresh);
        assert_eq!(snap.intel_snapshot[&k1h].age_s, Some(200));
        let v = serde_json::to_value(&snap.intel_snapshot[&k1h]).unwrap();
        assert_eq!(v["asof"], "2027-01-15T08:00:00Z");
        let snap = mi.snapshot(&inputs(), t(1800));
        assert_eq!(snap.intel_snapshot["gas_regime"].quality, Quality::TooOld);
        assert_eq!(snap.intel_snapshot[&k1h].quality, Quality::TooOld);
        assert!(!snap.refresh_requested.is_empty());
        let snap = mi.snapshot(&inputs(), t(1799));
        assert_eq!(snap.intel_snapshot[&k1h].quality, Quality::Stale);
        assert_eq!(snap.intel_hygiene.stale, 1);
    }

    #[test]
    fn content_hash_tracks_what_was_seen() {
        let d = tempfile::tempdir().unwrap();
        let mi = MarketIntelligence::new(d.path(), Arc::new(Registry::builtin().unwrap()));
        let a = mi.snapshot(&inputs(), t(0));
        let b = mi.snapshot(&inputs(), t(0));
        assert_eq!(a.content_hash(), b.content_hash());
        put(&CacheStore::open(d.path()), "gas_regime", t(0));
        let c = mi.snapshot(&inputs(), t(0));
        assert_ne!(a.content_hash(), c.content_hash());
        let back: IntelSnapshot =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.content_hash(), c.content_hash());
    }

    #[test]
    fn trigger_refresh_writes_one_pool_request() {
        let d = tempfile::tempdir().unwrap();
        let mi = MarketIntelligence::new(d.path(), Arc::new(Registry::builtin().unwrap()));
        let pool = inputs().pool_address;
        mi.trigger_refresh("out_of_range", Some(&pool), t(5))
            .unwrap();
        assert!(mi.trigger_refresh("", Some(&pool), t(5)).is_err());
        let (_, lines) = TriggerLog::open(d.path()).read_from(0).unwrap();
        assert_eq!(lines.len(), 1);
        let r = lines[0].request.as_ref().unwrap();
        assert_eq!(
            (r.reason.as_str(), r.pool.as_ref(), r.key.as_ref()),
            ("out_of_range", Some(&pool), None)
        );
    }

    /// The cache-first guarantee by construction: the episode-side modules mention no
    /// HTTP client and no Dune or scheduler module.
    #[test]
    fn episode_side_modules_hold_no_network_client() {
        let sources = [
            ("snapshot.rs", include_str!("snapshot.rs")),
            ("store.rs", include_str!("store.rs")),
            ("quality.rs", include_str!("quality.rs")),
            ("registry.rs", include_str!("registry.rs")),
            ("triggers.rs", include_str!("triggers.rs")),
            ("pool.rs", include_str!("pool.rs")),
        ];
        let banned = [
            ["req", "west"].concat(),
            ["super::", "dune"].concat(),
            ["intel::", "dune"].concat(),
            ["super::", "scheduler"].concat(),
            ["intel::", "scheduler"].concat(),
            ["tokio", "::net"].concat(),
            ["std::", "net"].concat(),
        ];
        for (name, text) in sources {
            for b in &banned {
                assert!(!text.contains(b.as_str()), "{name} mentions {b}");
            }
        }
    }
}
