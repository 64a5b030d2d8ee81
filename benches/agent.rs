//! Agent benchmarks: one learner proposal (28 feasible actions, a Cholesky solve each)
//! on a trained state, and one learning-state fold step.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::Rng;
use tracka::agent::action::{catalog, PoolAtOpen, PoolsAtOpen};
use tracka::agent::context::{from_history, History, PoolActivity, FEATURE_DIM};
use tracka::agent::rng::stream;
use tracka::agent::state::UPDATE_SCHEMA;
use tracka::agent::{policy_by_name, LearningState, LearningUpdate};

fn updates(n: usize) -> Vec<LearningUpdate> {
    let mut rng = stream(1, 0, "bench");
    let k = 2 * catalog().len() / 3;
    (0..n)
        .map(|_| LearningUpdate {
            schema: UPDATE_SCHEMA,
            action_index: rng.gen_range(0..k),
            action_key: String::new(),
            features: (0..FEATURE_DIM).map(|_| rng.gen_range(-1.0..1.0)).collect(),
            reward_bps: rng.gen_range(-300.0..300.0),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let us = updates(3000);
    let state = LearningState::replay(&us).unwrap_or_default();
    let reference: Vec<(u64, f64)> = (0..360)
        .map(|i| {
            (
                60 * i as u64,
                3000.0 * (1.0 + 0.001 * ((i % 13) as f64 - 6.0)),
            )
        })
        .collect();
    let ctx = from_history(
        &History {
            reference: &reference,
            pools: vec![
                PoolActivity {
                    index: 0,
                    fee: 500,
                    volume_quote: 7.0,
                    liquidity: 2.0,
                },
                PoolActivity {
                    index: 1,
                    fee: 3000,
                    volume_quote: 3.0,
                    liquidity: 1.0,
                },
            ],
        },
        60 * 360,
        None,
    );
    let pools = PoolsAtOpen {
        pools: vec![
            PoolAtOpen {
                index: 0,
                fee: 500,
                tick_spacing: 10,
                tick: -196_257,
            },
            PoolAtOpen {
                index: 1,
                fee: 3000,
                tick_spacing: 60,
                tick: -196_257,
            },
        ],
        budget_quote: 10_000.0,
        min_size_fraction: 0.25,
    };
    let learner = match policy_by_name("learner") {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    c.bench_function("agent/propose_learner_28_actions", |b| {
        let mut rng = stream(2, 0, "propose");
        b.iter(|| learner.propose(black_box(&ctx), &state, &pools, &mut rng))
    });
    c.bench_function("agent/apply_update", |b| {
        let mut s = state.clone();
        let u = &us[0];
        b.iter(|| s.apply(black_box(u)))
    });
    c.bench_function("agent/state_hash", |b| b.iter(|| black_box(&state).hash()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
