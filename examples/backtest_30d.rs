//! Times one backtest on the 30-day benchmark market outside criterion, for CPU-time
//! measurements on a shared machine:
//!
//! ```text
//! cargo build --release --example backtest_30d
//! perf stat -e task-clock target/release/examples/backtest_30d 0    # generation only
//! perf stat -e task-clock target/release/examples/backtest_30d 30   # + 30 backtests
//! ```
//! (task-clock difference / 30 = CPU time per backtest).

use tracka::market::{generate, run, MarketRegime, MarketSpec, PositionPlan};

fn main() {
    let runs: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 10,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: backtest_30d [RUNS]");
            std::process::exit(2);
        }
    };
    let mut spec = MarketSpec::regime(MarketRegime::Mixed);
    spec.minutes = 43_200;
    let started = std::time::Instant::now();
    let tape = match generate(&spec, 7) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "generated {} steps in {:.1} ms",
        tape.steps.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let plan = PositionPlan::new(0, -196_750, -195_750, 10_000.0);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        match run(&tape, &plan) {
            Ok(r) => times.push(r.elapsed.as_secs_f64() * 1e3),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    if let (Some(min), Some(med)) = (times.first(), times.get(times.len() / 2)) {
        println!("{runs} backtests: min {min:.1} ms, median {med:.1} ms (wall)");
    }
}
