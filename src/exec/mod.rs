//! Execution of proposals: the mock executor (exact engine on a market tape) and the
//! real executor (Hummingbot Gateway) behind the pool validator and safety gates.
