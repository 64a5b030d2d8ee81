//! Execution of proposals: the mock executor (exact engine on a market tape) and the
//! real executor (Hummingbot Gateway) behind the pool validator and safety gates.
//!
//! Real mode: [`gate`] (the type-level gate: only `EXEC_MODE=real` yields a
//! [`gate::RealModeGate`], from which every network client is built), [`networks`] (the
//! networks file), [`address`] (EIP-55), [`rpc`] (JSON-RPC), [`pool_validator`],
//! [`gateway`] (Gateway 2.x client), [`gateway_price`] (tick ↔ Gateway price) and
//! [`real`] (the real executor), [`real_reward`] (a completed real episode's reward).

pub mod address;
pub mod gate;
pub mod gateway;
pub mod gateway_price;
pub mod mock;
pub mod networks;
pub mod pool_validator;
pub mod real;
pub mod real_reward;
pub mod rpc;
