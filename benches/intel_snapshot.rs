//! Cost of the episode-side intel snapshot: 25 cache reads (parse + rows-hash check) and,
//! on a cold cache, one batched append of refresh requests. No network is involved by
//! construction; the hanging-Dune comparison is printed by the
//! `intel_cli::snapshots_do_not_wait_on_a_hanging_dune` test.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use tracka::intel::source::{MockSource, RefreshSource};
use tracka::intel::{
    CacheEntry, CacheStore, IntelInputs, MarketIntelligence, PoolAddress, Registry,
};

const POOL: &str = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640";

fn bench(c: &mut Criterion) {
    let registry = Arc::new(Registry::builtin().expect("builtin registry"));
    let pool = PoolAddress::parse(POOL).expect("pool");
    let inputs = IntelInputs {
        pool_address: pool.clone(),
        pair: "USDC-WETH".into(),
        lookback_hours: 1,
    };
    let now = chrono::Utc::now();

    let cold = tempfile::tempdir().expect("tempdir");
    let mi_cold = MarketIntelligence::new(cold.path(), Arc::clone(&registry));
    c.bench_function("intel_snapshot_cold_25_missing", |b| {
        b.iter(|| mi_cold.snapshot(&inputs, now))
    });

    let warm = tempfile::tempdir().expect("tempdir");
    let store = CacheStore::open(warm.path());
    let mock = MockSource::new(12345);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for inst in registry.instances_for(&pool) {
        let f = rt.block_on(mock.fetch(&inst)).expect("mock fetch");
        let entry = CacheEntry::new(
            inst.key.clone(),
            inst.spec.name.clone(),
            inst.spec.query_id,
            inst.params.clone(),
            "mock".into(),
            now,
            f.execution,
            f.rows,
        );
        store.write(&entry).expect("write");
    }
    let mi_warm = MarketIntelligence::new(warm.path(), Arc::clone(&registry));
    c.bench_function("intel_snapshot_warm_25_fresh", |b| {
        b.iter(|| mi_warm.snapshot(&inputs, now))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
