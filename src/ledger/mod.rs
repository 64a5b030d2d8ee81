//! The event-sourced ledger: event types, envelope and hashing, the sled store,
//! replay, Merkle roots, projections and audit.

pub mod artifact_fs;
