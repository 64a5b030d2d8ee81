//! Reference implementations the integration tests compare against.

pub mod revm_pool;
