//! Backtest benchmarks (filled in with the backtest).
fn main() {}
