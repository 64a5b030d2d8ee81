//! The market module's error type: every variant names the input (file, line, field)
//! and carries the bad value.

use std::path::PathBuf;

/// Errors from market tapes: loading recorded data, generating synthetic markets and
/// running backtests.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MarketError {
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file (or a whole input) held no data.
    #[error("{path}: empty input: {what}")]
    Empty { path: PathBuf, what: String },
    /// A CSV header lacks a required column.
    #[error("{path}: missing column {column:?} in header")]
    MissingColumn { path: PathBuf, column: String },
    /// A line is not valid JSON / has the wrong shape.
    #[error("{path}:{line}: malformed record: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A field holds a value that cannot be used.
    #[error("{path}:{line}: field {field:?}: bad value {value:?}: {reason}")]
    BadField {
        path: PathBuf,
        line: usize,
        field: String,
        value: String,
        reason: String,
    },
    /// A tick outside [MIN_TICK, MAX_TICK].
    #[error("{path}:{line}: field {field:?}: tick {tick} is outside [-887272, 887272]")]
    TickOutOfRange {
        path: PathBuf,
        line: usize,
        field: String,
        tick: i64,
    },
    /// Timestamps must not decrease.
    #[error("{path}:{line}: time goes backwards: {ts} after {previous}")]
    TimeBackwards {
        path: PathBuf,
        line: usize,
        ts: u64,
        previous: u64,
    },
    /// The engine rejected a recorded action: the input is inconsistent with a full
    /// replay of the pool (e.g. events are missing).
    #[error("{path}:{line}: {op} cannot be replayed: {reason}")]
    Rejected {
        path: PathBuf,
        line: usize,
        op: String,
        reason: String,
    },
    /// An expected input file is not there.
    #[error("{dir}: no file matching {pattern:?}")]
    MissingFile { dir: PathBuf, pattern: String },
    /// A market source string (CLI `--market`) could not be parsed.
    #[error("bad market source {source_text:?}: {reason}")]
    BadSource { source_text: String, reason: String },
    /// A generator spec parameter is out of its domain.
    #[error("bad market spec: {field} = {value}: {reason}")]
    BadSpec {
        field: String,
        value: String,
        reason: String,
    },
    /// A backtest plan parameter is out of its domain.
    #[error("bad position plan: {field} = {value}: {reason}")]
    BadPlan {
        field: String,
        value: String,
        reason: String,
    },
    /// The engine reverted an action of the tape.
    #[error("step {step} (ts {ts}, pool {pool}, {op}) reverted: {reason}")]
    Revert {
        step: usize,
        ts: u64,
        pool: usize,
        op: String,
        reason: String,
    },
    /// A tape is internally inconsistent (e.g. a step names a pool that does not exist).
    #[error("inconsistent tape: {reason}")]
    BadTape { reason: String },
}
