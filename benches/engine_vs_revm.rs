//! The same 10,000-swap sequence through the engine (`tracka::v3::Pool`) and through the
//! published V3 contracts under revm (tests/support/revm_pool.rs), on identically
//! prepared 0.3% pools. Prints swaps/s for each and the ratio against the floor: the
//! engine must be at least 100× faster than the EVM.
//!
//! Run: `cargo bench --bench engine_vs_revm -- --warm-up-time 1 --measurement-time 3`
//! (needs `tools/setup-test-deps.sh` first, for the contract artifacts).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracka::v3::{Pool, I256, U256};

#[path = "../tests/support/revm_pool.rs"]
mod revm_pool;

use revm_pool::{Artifacts, RevmPool};

const FEE: u32 = 3000;
const SWAPS: usize = 10_000;
const FLOOR: f64 = 100.0;
const MIN_SQRT_RATIO_PLUS_1: u64 = 4_295_128_740;
const MAX_SQRT_RATIO_MINUS_1: &str = "1461446703485210103287273052203988822378723970341";

/// (owner, tick_lower, tick_upper, liquidity): a full-range position and a ladder of
/// overlapping ranges around price 1, so swaps cross initialized ticks.
fn positions() -> Vec<(String, i32, i32, u128)> {
    let mut v = vec![("lp0".to_string(), -887_220, 887_220, 10u128.pow(21))];
    for k in 1..=40 {
        v.push((format!("lp{}", k % 4), -60 * k, 60 * k, 10u128.pow(19)));
        v.push((format!("lp{}", k % 3), -1200 * k, 120 * k, 10u128.pow(18)));
    }
    v
}

/// Alternating-direction swaps of log-uniform size, half exact input, half exact
/// output, unbounded or limited near the price; seeded, so both sides get the same list.
fn swaps() -> Vec<(bool, I256, U256)> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x05ee_d001_0000);
    let max_minus_1: U256 = MAX_SQRT_RATIO_MINUS_1.parse().expect("literal");
    (0..SWAPS)
        .map(|i| {
            let zero_for_one = i % 2 == 0;
            let bits = rng.gen_range(10..62);
            let mag = rng.gen_range(1u64 << (bits - 1)..1u64 << bits);
            let amount = I256::try_from(mag).expect("u64 fits");
            let amount = if rng.gen_bool(0.5) { amount } else { -amount };
            let limit = if zero_for_one {
                U256::from(MIN_SQRT_RATIO_PLUS_1)
            } else {
                max_minus_1
            };
            (zero_for_one, amount, limit)
        })
        .collect()
}

fn engine_pool() -> Pool {
    let mut pool = Pool::new(FEE).expect("fee tier");
    pool.initialize(U256::from(1u8) << 96).expect("initialize");
    for (owner, l, u, amount) in positions() {
        pool.mint(&owner, l, u, amount).expect("mint");
    }
    pool
}

fn revm_pool(artifacts: &Artifacts) -> RevmPool {
    let mut pool = RevmPool::with_artifacts(artifacts.clone(), FEE).expect("createPool");
    pool.initialize(U256::from(1u8) << 96).expect("initialize");
    for (owner, l, u, amount) in positions() {
        pool.mint(&owner, l, u, amount).expect("mint");
    }
    pool
}

fn run_engine(pool: &mut Pool, swaps: &[(bool, I256, U256)]) -> usize {
    swaps
        .iter()
        .filter(|(z, a, l)| pool.swap(*z, *a, *l).is_ok())
        .count()
}

fn run_revm(pool: &mut RevmPool, swaps: &[(bool, I256, U256)]) -> usize {
    swaps
        .iter()
        .filter(|(z, a, l)| pool.swap(*z, *a, *l).is_ok())
        .count()
}

/// Both sides must do the same work: same results for every swap, same end price.
fn check_same_work(artifacts: &Artifacts, swaps: &[(bool, I256, U256)]) {
    let n = swaps.len();
    let mut e = engine_pool();
    let mut r = revm_pool(artifacts);
    let mut ok = 0;
    for (i, (z, a, l)) in swaps.iter().enumerate() {
        let ours = e.swap(*z, *a, *l).map_err(|err| err.reason());
        let theirs = r.swap(*z, *a, *l).map_err(|rev| rev.reason);
        assert_eq!(
            ours.map_err(|o| o.map(str::to_string)),
            theirs,
            "swap {i} differs between engine and revm"
        );
        ok += usize::from(ours.is_ok());
    }
    assert_eq!(e.sqrt_price_x96(), r.slot0().sqrt_price_x96);
    assert!(ok > n * 9 / 10, "only {ok} of {n} swaps succeeded");
}

/// Swaps per second of the fastest of several whole passes (at least `passes`, and at
/// least `min_time` in total): the best pass is the least disturbed by other processes on
/// a shared machine, for both sides alike.
fn swaps_per_sec(passes: u32, min_time: Duration, mut pass: impl FnMut() -> Duration) -> f64 {
    let (mut total, mut best, mut done) = (Duration::ZERO, Duration::MAX, 0u32);
    while done < passes || total < min_time {
        let t = pass();
        total += t;
        best = best.min(t);
        done += 1;
    }
    SWAPS as f64 / best.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // test listers (nextest): no tests here, only a benchmark
    }
    let artifacts = Artifacts::load();
    let swaps = swaps();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` smoke run: the sequence is valid on both sides
        check_same_work(&artifacts, &swaps[..500]);
        println!("engine_vs_revm: smoke check of 500 swaps passed (run with cargo bench)");
        return;
    }
    check_same_work(&artifacts, &swaps);

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut group = c.benchmark_group("engine_vs_revm");
    group.throughput(Throughput::Elements(SWAPS as u64));
    group.bench_function("engine_10k_swaps", |b| {
        b.iter_batched(
            engine_pool,
            |mut pool| black_box(run_engine(&mut pool, &swaps)),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("revm_10k_swaps", |b| {
        b.iter_batched(
            || revm_pool(&artifacts),
            |mut pool| black_box(run_revm(&mut pool, &swaps)),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    c.final_summary();

    // The ratio, from direct timing of full passes (setup excluded), best pass each.
    let engine = swaps_per_sec(20, Duration::from_secs(1), || {
        let mut pool = engine_pool();
        let t = Instant::now();
        black_box(run_engine(&mut pool, &swaps));
        t.elapsed()
    });
    let revm = swaps_per_sec(3, Duration::from_secs(1), || {
        let mut pool = revm_pool(&artifacts);
        let t = Instant::now();
        black_box(run_revm(&mut pool, &swaps));
        t.elapsed()
    });
    let ratio = engine / revm;
    println!("engine: {engine:.0} swaps/s");
    println!("revm:   {revm:.0} swaps/s");
    println!(
        "ratio:  {ratio:.1}x (floor {FLOOR:.0}x): {}",
        if ratio >= FLOOR { "OK" } else { "BELOW FLOOR" }
    );
}
