//! Market tapes: a seeded synthetic market generator and loaders for recorded data.

pub mod error;
pub mod price;
pub mod tape;

pub use error::MarketError;
pub use tape::{MarketTape, Pair, Step, TapePool};
