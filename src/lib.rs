//! tracka: train and audit Uniswap V3 liquidity strategies.
//!
//! The crate is a library with a thin binary (`src/main.rs`). Pure code lives in
//! [`v3`] (the exact pool engine), [`market`] (tapes), [`agent`] (policies and the
//! learning fold) and [`ledger`]'s replay; I/O sits at the edges in [`intel`],
//! [`exec`], [`ledger`]'s store and the [`cli`].

pub mod agent;
pub mod campaign;
pub mod cli;
pub mod exec;
pub mod intel;
pub mod ledger;
pub mod market;
pub mod v3;
