//! Market tapes: a seeded synthetic market generator, loaders for recorded data (pool
//! event logs, demeter-fetch minute CSVs) and the position backtest that replays a tape
//! through the exact engine.

pub mod backtest;
pub mod builder;
pub mod demeter;
pub mod error;
pub mod event_log;
pub mod fields;
pub mod generator;
pub mod price;
pub mod source;
pub mod tape;

pub use backtest::{run, BacktestReport, Capital, FinalPosition, PositionPlan, Rebalance};
pub use error::MarketError;
pub use generator::{
    generate, MarketRegime, MarketSpec, RegimeKind, RegimeParams, RegimeSpec, TierSpec,
};
pub use source::MarketSource;
pub use tape::{MarketTape, Pair, Step, TapePool};
