//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod cli_basics;
mod intel_cli;
mod intel_dune;
mod intel_scheduler;
mod intel_standin;
