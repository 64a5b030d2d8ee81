//! Cache-first market intelligence: query registry, quality and hygiene, the cache
//! store, snapshots, the Dune client and the refresh scheduler.
//!
//! The episode side ([`snapshot::MarketIntelligence`]) reads only [`store`] files and
//! appends to [`triggers`]; only [`dune`] and [`scheduler`] talk to the network.

pub mod dune;
pub mod pool;
pub mod pools;
pub mod quality;
pub mod registry;
pub mod scheduler;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod triggers;

pub use pool::PoolAddress;
pub use quality::{Hygiene, Quality};
pub use registry::{Priority, QueryInstance, QuerySpec, Registry, Scope};
pub use snapshot::{IntelInputs, IntelSnapshot, MarketIntelligence, SnapshotEntry};
pub use store::{CacheEntry, CacheStore, ExecutionMeta};
pub use triggers::{TriggerLog, TriggerRequest};
