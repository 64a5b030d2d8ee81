//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod agent_evaluate;
mod cli_basics;
