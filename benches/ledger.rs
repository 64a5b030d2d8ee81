//! Ledger throughput: durable appends (append + flush every 10 events, as at an episode
//! boundary) and replay with verification (iterate, re-hash, chain check, per-run
//! Merkle roots). Payloads are ~300 bytes of canonical JSON.
//!
//! cargo bench --bench ledger -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde::Serialize;
use tracka::ledger::verify::ChainVerifier;
use tracka::ledger::{canonical_json, EventKind, Ledger, LedgerOptions};

const T0: &str = "2026-01-01T00:00:00Z";
/// Events in the replay ledger: 100,000 under `cargo bench`; 1,000 when the bench
/// binary runs as a test (`cargo test --all-targets` / nextest run each benchmark
/// once, unoptimised, without `--bench`).
fn replay_events() -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    }
}

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

fn replay_wall(c: &mut Criterion) {
    replay_verify(c, "ledger_replay");
}

fn replay_cpu(c: &mut Criterion<ThreadCpu>) {
    replay_verify(c, "ledger_replay_cpu");
}

fn replay_verify<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let n_events = replay_events();
    let dir = temp_dir();
    let path = dir.path().join("ledger");
    {
        let l = open(&path);
        fill(&l, 0, n_events);
        if let Err(e) = l.flush() {
            panic!("flush: {e}");
        }
    }
    let l = open(&path);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(n_events));
    g.sample_size(10);
    g.bench_function("verify_100k_events", |b| {
        b.iter(|| {
            let report = match l.verify() {
                Ok(r) => r,
                Err(e) => panic!("verify: {e}"),
            };
            assert!(report.is_ok() && report.events == n_events);
            black_box(report)
        })
    });
    // The same checks without sled: the cost of decoding and hashing alone.
    drop(l);
    // The same ledger with a page cache that holds all of it (an audit's option).
    let big = LedgerOptions::default().with_cache_capacity(512 * 1024 * 1024);
    let l = match Ledger::open_read_only_with(&path, big) {
        Ok(l) => l,
        Err(e) => panic!("open: {e}"),
    };
    g.bench_function("verify_100k_events_cache_512MiB", |b| {
        b.iter(|| match l.verify() {
            Ok(r) => black_box(r),
            Err(e) => panic!("verify: {e}"),
        })
    });
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

/// The events tree through a plain sled handle with the ledger's cache size (retrying
/// while the dropped ledger's lock is released).
fn events_tree(path: &std::path::Path) -> sled::Tree {
    let mut tries = 0;
    let db = loop {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(tracka::ledger::store::CACHE_CAPACITY_BYTES);
        match config.open() {
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

/// Time the benchmark thread spent on a CPU (`/proc/thread-self/schedstat`, ns). On a
/// shared machine wall time also counts the time other processes held the cores; this
/// counts only the work done (sled reads and verification run on the calling thread).
struct ThreadCpu;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuNanos
    }
}

struct CpuNanos;

impl ValueFormatter for CpuNanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let mut per_sec = |n: u64| {
            values.iter_mut().for_each(|v| *v = n as f64 * 1e9 / *v);
        };
        match throughput {
            Throughput::Elements(n) => {
                per_sec(*n);
                let _ = typical; // always shown in plain elements per second
                "elem/s cpu"
            }
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                per_sec(*n);
                "B/s cpu"
            }
        }
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns cpu"
    }
}

criterion_group!(benches, durable_appends, replay_wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = replay_cpu
}
criterion_main!(benches, cpu_time);
