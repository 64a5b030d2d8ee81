//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod support;

mod chain_node;
mod chain_validator;
mod cli_basics;
mod real_executor;
mod real_gateway;
mod real_rpc;
mod real_standin;
mod revm_harness;
