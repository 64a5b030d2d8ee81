//! [`LedgerError`]: everything that can go wrong opening, writing, reading or
//! verifying a ledger.

use std::path::PathBuf;

use super::canonical::CanonicalError;
use super::kind::UnknownKind;
use super::merkle::MerkleError;

/// Errors of the ledger store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// Another process (or another handle in this process) holds the ledger's lock.
    #[error("ledger in use: {} is opened by another tracka process", path.display())]
    InUse { path: PathBuf },
    /// A read-only open of a directory that holds no ledger.
    #[error("no ledger at {}: the directory does not exist or holds no sled database", path.display())]
    NotFound { path: PathBuf },
    /// An append through a handle opened with [`super::Ledger::open_read_only`].
    #[error("ledger at {} was opened read-only; appends and flushes are refused", path.display())]
    ReadOnly { path: PathBuf },
    /// sled failed (I/O, or its own corruption detection).
    #[error("ledger storage error at {}: {source}", path.display())]
    Storage {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    /// A stored event that fails verification (hash, chain, sequence or encoding).
    #[error("ledger corrupt at seq {seq}: {reason}")]
    Corrupt { seq: u64, reason: String },
    /// An index entry that disagrees with the events tree.
    #[error("ledger index corrupt for run {run_id:?}: {reason}")]
    IndexCorrupt { run_id: String, reason: String },
    /// The payload has no canonical JSON form, or raw bytes are not canonical.
    #[error("payload of {kind} event: {source}")]
    Payload {
        kind: &'static str,
        #[source]
        source: CanonicalError,
    },
    /// A stored payload does not decode as the requested type.
    #[error("payload of {kind} event at seq {seq} does not decode: {source}")]
    Decode {
        seq: u64,
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// An envelope field the caller passed is not acceptable.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidField {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    /// A stored envelope whose schema version this build cannot read.
    #[error("event at seq {seq} has schema version {version}, this build reads up to {supported}")]
    UnsupportedSchema {
        seq: u64,
        version: u16,
        supported: u16,
    },
    /// A stored kind name this build does not know.
    #[error("event at seq {seq}: {source}")]
    UnknownKind {
        seq: u64,
        #[source]
        source: UnknownKind,
    },
    /// A run id with no events.
    #[error("no events for run {run_id:?} in the ledger")]
    UnknownRun { run_id: String },
    /// Building a Merkle proof failed.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    /// The sequence number space is exhausted (2^64 events).
    #[error("ledger sequence exhausted after seq {last}")]
    SeqExhausted { last: u64 },
}
