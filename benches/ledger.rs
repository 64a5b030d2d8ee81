//! Ledger throughput: durable appends (append + flush every 10 events, as at an episode
//! boundary) and replay with verification (iterate, re-hash, chain check, per-run
//! Merkle roots). Payloads are ~300 bytes of canonical JSON.
//!
//! cargo bench --bench ledger -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde::Serialize;
use tracka::ledger::verify::ChainVerifier;
use tracka::ledger::{canonical_json, EventKind, Ledger};

const T0: &str = "2026-01-01T00:00:00Z";
const REPLAY_EVENTS: u64 = 100_000;

#[derive(Serialize)]
struct Payload {
    n: u64,
    price: f64,
    text: String,
}

fn payload(n: u64) -> Payload {
    Payload {
        n,
        price: 1234.5678 + n as f64,
        text: "x".repeat(260),
    }
}

fn temp_dir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    }
}

fn open(path: &std::path::Path) -> Ledger {
    match Ledger::open(path) {
        Ok(l) => l,
        Err(e) => panic!("open: {e}"),
    }
}

fn fill(l: &Ledger, from: u64, to: u64) {
    for n in from..to {
        let run = format!("run-{}", n / 10_000);
        let ep = format!("ep-{}", n / 10);
        if let Err(e) = l.append(EventKind::Proposal, &run, Some(&ep), T0, &payload(n)) {
            panic!("append: {e}");
        }
    }
}

fn durable_appends(c: &mut Criterion) {
    let size = canonical_json(&payload(0)).map(|b| b.len()).unwrap_or(0);
    let dir = temp_dir();
    let l = open(&dir.path().join("ledger"));
    let mut n = 0u64;
    let mut g = c.benchmark_group("ledger_append");
    g.throughput(Throughput::Elements(10));
    g.bench_function(format!("append_10_then_flush/payload_{size}B"), |b| {
        b.iter(|| {
            fill(&l, n, n + 10);
            n += 10;
            if let Err(e) = l.flush() {
                panic!("flush: {e}");
            }
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("append_no_flush/payload_{size}B"), |b| {
        b.iter(|| {
            fill(&l, n, n + 1);
            n += 1;
        })
    });
    g.finish();
}

fn replay_verify(c: &mut Criterion) {
    let dir = temp_dir();
    let path = dir.path().join("ledger");
    {
        let l = open(&path);
        fill(&l, 0, REPLAY_EVENTS);
        if let Err(e) = l.flush() {
            panic!("flush: {e}");
        }
    }
    let l = open(&path);
    let mut g = c.benchmark_group("ledger_replay");
    g.throughput(Throughput::Elements(REPLAY_EVENTS));
    g.sample_size(10);
    g.bench_function("verify_100k_events", |b| {
        b.iter(|| {
            let report = match l.verify() {
                Ok(r) => r,
                Err(e) => panic!("verify: {e}"),
            };
            assert!(report.is_ok() && report.events == REPLAY_EVENTS);
            black_box(report)
        })
    });
    // The same checks without sled: the cost of decoding and hashing alone.
    drop(l);
    // sled's own cost: walk the events tree, touching each value.
    let events = events_tree(&path);
    g.bench_function("sled_iterate_100k_events", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for (_, v) in events.iter().flatten() {
                bytes += v.len();
            }
            black_box(bytes)
        })
    });
    let raw: Vec<(Vec<u8>, Vec<u8>)> = events
        .iter()
        .flatten()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    g.bench_function("check_100k_events_in_memory", |b| {
        b.iter_batched(
            ChainVerifier::from_genesis,
            |mut checker| {
                for (k, v) in &raw {
                    if let Err(bad) = checker.check(k, v) {
                        panic!("seq {}: {}", bad.seq, bad.reason);
                    }
                }
                black_box(checker.events())
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The events tree through a plain sled handle (retrying while the dropped ledger's
/// lock is released).
fn events_tree(path: &std::path::Path) -> sled::Tree {
    let mut tries = 0;
    let db = loop {
        match sled::open(path) {
            Ok(db) => break db,
            Err(e) if tries > 200 => panic!("sled open: {e}"),
            Err(_) => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    };
    match db.open_tree("events") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

criterion_group!(benches, durable_appends, replay_verify);
criterion_main!(benches);
