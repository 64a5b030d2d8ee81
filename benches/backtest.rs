//! Backtest benchmarks: one position over a 30-day minute market (43,200 bars).
//!
//! The tape is generated once, outside the timed part; `generate_30d` times the
//! generation on its own.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use tracka::market::{generate, run, MarketRegime, MarketSpec, PositionPlan, Rebalance};

fn spec_30d() -> MarketSpec {
    let mut spec = MarketSpec::regime(MarketRegime::Mixed);
    spec.minutes = 43_200;
    spec
}

fn backtest(c: &mut Criterion) {
    let tape = generate(&spec_30d(), 7).expect("generate");
    // WETH/USDC at 3000: tick ~ -196257; a ±5% range on the 0.05% pool
    let plan = PositionPlan::new(0, -196_750, -195_750, 10_000.0);
    let recenter = PositionPlan {
        rebalance: Rebalance::Recenter {
            after_minutes_out: 60,
            width_ticks: 1000,
        },
        gas_cost_quote_per_tx: 5.0,
        swap_cost_bps: 5.0,
        ..plan.clone()
    };
    let mut g = c.benchmark_group("backtest_30d");
    g.sample_size(20);
    g.bench_function("fixed_range", |b| {
        b.iter(|| run(black_box(&tape), black_box(&plan)).expect("run"))
    });
    g.bench_function("recenter", |b| {
        b.iter(|| run(black_box(&tape), black_box(&recenter)).expect("run"))
    });
    g.finish();
}

fn generation(c: &mut Criterion) {
    let spec = spec_30d();
    let mut g = c.benchmark_group("generate_30d");
    g.sample_size(10);
    g.bench_function("mixed", |b| {
        b.iter(|| generate(black_box(&spec), black_box(7)).expect("generate"))
    });
    g.finish();
}

criterion_group!(benches, backtest, generation);
criterion_main!(benches);
