//! The event-sourced ledger: event kinds, the envelope and its hashing, canonical JSON
//! payloads, the sled store with its verification, and per-run Merkle roots.
//!
//! The format is specified in SPEC.md, section "Ledger: events, encoding, hashing".
//! Projections ([`projection`]) turn events into the artifact files; [`artifact_fs`]
//! writes them. Campaign logic lives elsewhere.

pub mod artifact_fs;
pub mod canonical;
pub mod envelope;
pub mod error;
pub mod events;
pub mod hash;
pub mod kind;
pub mod merkle;
pub mod projection;
pub mod store;
pub mod verify;

pub use canonical::{canonical_json, check_canonical, CanonicalError};
pub use envelope::{upcast, EventRecord, EventView, StoredEvent, SCHEMA_VERSION};
pub use error::LedgerError;
pub use events::{ArtifactWritten, RunFinished};
pub use hash::{artifact_hash, payload_hash, EventHeader, Hash, HashParseError};
pub use kind::{EventKind, UnknownKind};
pub use merkle::{inclusion_proof, merkle_root, verify_inclusion, MerkleAccumulator, MerkleError};
pub use store::Ledger;
pub use verify::{BadEvent, RunSummary, VerifyReport};
