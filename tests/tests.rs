//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod support;

mod cli_basics;
mod differential;
mod revm_harness;
mod sim;
