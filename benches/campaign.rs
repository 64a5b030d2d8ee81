//! Mock campaign throughput end to end: per episode a one-day minute market (plus a
//! 4-hour warm-up) generated, an intel snapshot, a learner proposal, the exact-engine
//! execution, learning, ~16 ledger events, one ledger flush and five files.
//!
//! cargo bench --bench campaign -- --warm-up-time 1 --measurement-time 20

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tracka::campaign::clock::FixedClock;
use tracka::campaign::config::{CampaignFlags, CampaignSettings};
use tracka::campaign::runner::{self, CampaignOptions, Console};

struct Quiet;
impl Console for Quiet {
    fn line(&mut self, _: &str) {}
}

/// Episodes per measured campaign: 20 under `cargo bench`, 2 when run as a test.
fn episodes() -> u32 {
    if std::env::args().any(|a| a == "--bench") {
        20
    } else {
        2
    }
}

fn bench(c: &mut Criterion) {
    let n = episodes();
    let mut group = c.benchmark_group("campaign");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(u64::from(n)));
    let clock = FixedClock(chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default());
    for (name, learn) in [
        ("mock_episodes_learning", "true"),
        ("mock_episodes_no_learning", "false"),
    ] {
        group.bench_function(name, |b| {
            b.iter_with_setup(
                || tempfile::tempdir().expect("temp dir"),
                |dir| {
                    let flags = CampaignFlags {
                        episodes: Some(n.to_string()),
                        seed: Some("7".into()),
                        learn_from_mock: Some(learn.into()),
                        data_dir: Some(dir.path().join("data")),
                        ..Default::default()
                    };
                    let env = std::collections::BTreeMap::<String, String>::new();
                    let settings = CampaignSettings::resolve(&flags, &env).expect("settings");
                    let opts = CampaignOptions::new(settings);
                    let report = runner::run(&opts, &clock, &mut Quiet).expect("campaign");
                    assert_eq!(report.ok, u64::from(n));
                    dir
                },
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
