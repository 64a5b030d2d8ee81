//! Uniswap V3 core-contract integer math and the pool engine: one file per ported
//! Solidity library, and a pool that gives the same integers the contract gives
//! (`UniswapV3Pool` from `@uniswap/v3-core@1.0.1`, Solidity 0.7.6).
//!
//! Pure code, no I/O. The oracle (observations, tick cumulatives, seconds per liquidity)
//! is not ported: it never affects amounts. See [`pool`] for the engine's scope.

pub mod action;
pub mod bit_math;
pub mod error;
pub mod full_math;
pub mod limb_div;
pub mod liquidity_math;
pub mod num;
pub mod pool;
#[cfg(test)]
mod pool_props;
pub mod position;
pub mod position_value;
pub mod safe_math;
#[cfg(test)]
mod sdk_parity;
pub mod sqrt_price_math;
pub mod swap_math;
pub mod tick;
pub mod tick_bitmap;
pub mod tick_math;

pub use action::{Action, ActionOutput};
pub use error::V3Error;
pub use num::{I256, U256};
pub use pool::Pool;
pub use position::{PositionInfo, PositionKey};
pub use tick::TickInfo;
