//! Criterion benches of the V3 engine: mulDiv, TickMath both ways, and pool swaps with
//! and without initialized-tick crossings.
//!
//! Run: `cargo bench --bench v3_math -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tracka::v3::full_math::{mul_div, mul_div_rounding_up};
use tracka::v3::tick_math::{
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, MAX_SQRT_RATIO, MIN_SQRT_RATIO,
};
use tracka::v3::{Pool, I256, U256};

fn inputs() -> Vec<(U256, U256, U256)> {
    // deterministic mix of 256-bit products below and above 2^256
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..256)
        .map(|i| {
            let a = U256::from_limbs([next(), next(), next(), next() >> (i % 64)]);
            let b = U256::from_limbs([next(), next(), next() >> (i % 61), 0]);
            let d = U256::from_limbs([next(), next(), next(), next() >> 1]);
            (a, b, d)
        })
        .collect()
}

fn bench_full_math(c: &mut Criterion) {
    let v = inputs();
    let mut g = c.benchmark_group("full_math");
    g.throughput(Throughput::Elements(v.len() as u64));
    g.bench_function("mul_div", |b| {
        b.iter(|| {
            for (a, x, d) in &v {
                let _ = black_box(mul_div(black_box(*a), *x, *d));
            }
        })
    });
    g.bench_function("mul_div_rounding_up", |b| {
        b.iter(|| {
            for (a, x, d) in &v {
                let _ = black_box(mul_div_rounding_up(black_box(*a), *x, *d));
            }
        })
    });
    g.finish();
}

fn bench_tick_math(c: &mut Criterion) {
    let ticks: Vec<i32> = (0..256).map(|i| -887_000 + i * 6_929).collect();
    let prices: Vec<U256> = ticks
        .iter()
        .map(|t| get_sqrt_ratio_at_tick(*t).unwrap_or(MIN_SQRT_RATIO) + U256::from(12345u32))
        .collect();
    let mut g = c.benchmark_group("tick_math");
    g.throughput(Throughput::Elements(ticks.len() as u64));
    g.bench_function("get_sqrt_ratio_at_tick", |b| {
        b.iter(|| {
            for t in &ticks {
                let _ = black_box(get_sqrt_ratio_at_tick(black_box(*t)));
            }
        })
    });
    g.bench_function("get_tick_at_sqrt_ratio", |b| {
        b.iter(|| {
            for p in &prices {
                let _ = black_box(get_tick_at_sqrt_ratio(black_box(*p)));
            }
        })
    });
    g.finish();
}

const E18: u128 = 1_000_000_000_000_000_000;

fn bench_swaps(c: &mut Criterion) {
    let lo = MIN_SQRT_RATIO + U256::from(1u8);
    let hi = MAX_SQRT_RATIO - U256::from(1u8);
    let mut g = c.benchmark_group("pool_swap");
    g.throughput(Throughput::Elements(1));

    // one deep full-range position: small swaps stay within the current tick's word
    let mut pool = Pool::new(3000).expect("fee tier");
    pool.initialize(U256::from(1u8) << 96).expect("price");
    pool.mint("lp", -887_220, 887_220, 1_000 * E18)
        .expect("mint");
    let amount = I256::try_from(1_000_000_000i64).expect("amount");
    let mut flip = false;
    g.bench_function("no_crossing", |b| {
        b.iter(|| {
            flip = !flip;
            let r = if flip {
                pool.swap(true, amount, lo)
            } else {
                pool.swap(false, amount, hi)
            };
            black_box(r.ok())
        })
    });

    // 500 overlapping positions at spacing 10: each swap crosses about 20 ticks
    let mut pool = Pool::new(500).expect("fee tier");
    pool.initialize(U256::from(1u8) << 96).expect("price");
    for i in 0..500i32 {
        let l = -5_000 + i * 10;
        pool.mint("lp", l, l + 200 + (i % 7) * 10, E18)
            .expect("mint");
    }
    let ticks_before = pool.ticks().count();
    assert!(ticks_before > 400);
    let lo_t = get_sqrt_ratio_at_tick(-100).expect("tick");
    let hi_t = get_sqrt_ratio_at_tick(100).expect("tick");
    let big = I256::try_from(10i128.pow(24)).expect("amount");
    let mut flip = false;
    g.bench_function("crossing_20_ticks", |b| {
        b.iter(|| {
            flip = !flip;
            let r = if flip {
                pool.swap(true, big, lo_t)
            } else {
                pool.swap(false, big, hi_t)
            };
            black_box(r.ok())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_full_math, bench_tick_math, bench_swaps);
criterion_main!(benches);
