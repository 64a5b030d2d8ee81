//! Payload types the ledger itself gives meaning to. Other kinds' payloads (proposal,
//! intel snapshot, execution result, ...) are typed by the modules that produce them;
//! the ledger stores their canonical JSON as is.

use serde::{Deserialize, Serialize};

use super::hash::Hash;

/// Payload of `run.finished`. `merkle_root` is the RFC 6962 root over the run's events
/// *before* this one (`event_count` of them); [`super::Ledger::verify`] checks it.
/// Producers may add fields (readers ignore unknown ones), but not remove these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFinished {
    pub event_count: u64,
    pub merkle_root: Hash,
}

/// Payload of `artifact.written`: a projection file and its plain blake3 (as `b3sum`
/// prints it), so an audit can re-hash the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactWritten {
    /// Path relative to the data directory, `/`-separated.
    pub path: String,
    pub blake3: Hash,
    pub size: u64,
}
