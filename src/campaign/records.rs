//! Payloads of the campaign's ledger events. Each is stored as canonical JSON under a
//! stable kind name (see `ledger::EventKind`). Data produced by other modules (the
//! proposal, the intel snapshot, the execution report, the learning update) is embedded
//! as the JSON those modules serialize, so projections never depend on their Rust types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `run.started`: everything needed to understand and reproduce the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStarted {
    pub tracka_version: String,
    pub hb_env: String,
    pub mock_clmm: bool,
    pub exec_mode: String,
    pub learn_from_mock: bool,
    pub intel_data_source: String,
    pub seed: u64,
    pub episodes: u32,
    pub policy: String,
    pub market: String,
    pub fixed_clock: bool,
    /// Real mode: the network, Gateway wallet, limits and switches (no URLs: they may
    /// hold keys). Absent in mock mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real: Option<Value>,
}

/// `episode.started`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeStarted {
    /// 1-based index within the run.
    pub index: u64,
    /// The seed of this episode's market and draws, derived from the run seed.
    pub episode_seed: u64,
    pub exec_mode: String,
    pub policy: String,
}

/// `proposal`: the policy's proposal as it serializes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub proposal: Value,
    /// Real mode: the on-chain target (network, pool address, tokens, fee, tick spacing,
    /// capital token and amount, hold) the proposal maps to. Absent in mock mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
}

/// `intel.snapshot`: what the episode knew, with quality, and the hash of that data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntelRecord {
    pub intel_snapshot: Value,
    pub intel_inputs: Value,
    pub intel_hygiene: Value,
    pub content_hash: String,
}

/// `execution.result`: the execution report plus the reward (null when not finite: JSON
/// has no NaN; the learning gate then skips the update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionResult {
    pub exec_mode: String,
    pub report: Value,
    pub reward_bps: Option<f64>,
}

/// `execution.failure`: the error with its chain of causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionFailure {
    /// Which step failed: propose, intel, validate, execute.
    pub stage: String,
    pub error: String,
    pub chain: Vec<String>,
    /// Real mode: the id of a position that may still be open.
    pub position_left_open: Option<String>,
    /// Real mode: what the operator must do, in words that cannot be missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_alert: Option<String>,
}

/// `timings`: wall-clock durations in microseconds. Not reproducible by nature: excluded
/// from the run digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    pub intel_us: u64,
    pub market_us: u64,
    pub propose_us: u64,
    pub execute_us: u64,
    pub learn_us: u64,
    pub total_us: u64,
}

/// `learning.applied`: the update folded into the learning state, and the state hash
/// after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningApplied {
    pub update: Value,
    pub state_hash_after: String,
}

/// `learning.skipped`: why a gate refused the update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningSkipped {
    pub reason: String,
    pub detail: String,
}

/// `episode.aborted`: an episode found interrupted at the next start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeAborted {
    pub reason: String,
    /// Real mode: a position the interrupted episode opened and did not close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_left_open: Option<String>,
    /// Real mode: what the operator must do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_alert: Option<String>,
}

/// `episode.finished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeFinished {
    /// `ok`, `failed` or `aborted`.
    pub outcome: String,
}

/// Extra fields of `run.finished` beside the ledger's own (`event_count`, `merkle_root`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFinishedRecord {
    pub event_count: u64,
    pub merkle_root: String,
    /// Merkle root over the content of the run's reproducible events (timings and the
    /// artifact hashes of timings-derived files excluded).
    pub digest: String,
    pub episodes: u64,
    pub ok: u64,
    pub failed: u64,
    pub aborted: u64,
    pub learning_state_hash: String,
    /// `complete` or `interrupted` (closed by recovery).
    pub status: String,
}
