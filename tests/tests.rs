//! Integration tests: one binary, each test in its own temporary directory.

mod util;

mod support;

mod agent_evaluate;
mod backtest;
mod campaign;
mod chain_node;
mod chain_validator;
mod cli_basics;
mod crash;
mod differential;
mod intel_campaign;
mod intel_cli;
mod intel_dune;
mod intel_scheduler;
mod intel_standin;
mod ledger;
mod mock_offline;
mod real_campaign;
mod real_executor;
mod real_gateway;
mod real_rpc;
mod real_standin;
mod revm_harness;
mod sim;
