//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod backtest;
mod cli_basics;
mod sim;
