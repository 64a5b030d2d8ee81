//! The learning agent: context features, policies, reward, gates, and learning state
//! as a pure fold over ledger events.
//!
//! The campaign's use, per episode:
//! 1. [`context::from_history`] (or `context::build` from a tape) → [`Context`];
//! 2. [`policy_by_name`] → [`Policy::propose`] with the [`LearningState`], the
//!    [`PoolsAtOpen`] and [`rng::stream`]`(seed, episode, "propose")` → [`Proposal`];
//! 3. after execution, [`reward`] → [`gate`]; if it passes,
//!    [`LearningUpdate::from_proposal`] is recorded and [`LearningState::apply`]ed,
//!    otherwise the [`SkipReason`] is recorded.
//!
//! Pure: no I/O, no clock; all randomness from the seeded streams.

pub mod action;
pub mod context;
pub mod error;
pub mod evaluation;
pub mod gate;
pub mod learner;
pub mod linalg;
pub mod policy;
pub mod proposal;
pub mod reward;
pub mod rng;
pub mod state;
pub mod stats;
pub mod tape_view;

pub use action::{ActionChoice, PoolAtOpen, PoolsAtOpen, RebalanceRule, Skew, Width};
pub use context::{Context, IntelFeatures, IntelValue, Quality};
pub use error::AgentError;
pub use gate::{gate, GateInput, SkipReason};
pub use policy::{policy_by_name, Policy};
pub use proposal::Proposal;
pub use state::{LearningState, LearningUpdate};
