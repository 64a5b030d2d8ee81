//! Uniswap V3 core-contract integer math and the pool engine: one file per ported
//! Solidity library, and a pool that gives the same integers the contract gives.

pub mod action;
pub mod num;

pub use num::{I256, U256};
