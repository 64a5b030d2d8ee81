//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod cli_basics;
mod sim;
