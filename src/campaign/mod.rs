//! The episode loop and what surrounds it: settings from the runbook's environment,
//! ids, the injectable clock, the episode market, the event payloads, the run digest,
//! recovery of interrupted runs, replay of the learning state, and real-mode episodes.

pub mod audit;
pub mod clock;
pub mod config;
pub mod digest;
pub mod episode_market;
pub mod export;
pub mod ids;
pub mod intel_features;
pub mod real_episode;
pub mod records;
pub mod recovery;
pub mod replay;
pub mod runner;
pub mod runs;

use std::path::{Path, PathBuf};

use crate::ledger::artifact_fs::ArtifactFsError;
use crate::ledger::projection::ProjectionError;
use crate::ledger::LedgerError;

/// What can stop a campaign (an episode's own failure is not an error: it becomes the
/// episode's failure.json and the campaign goes on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// Bad usage or input: nothing was written.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Artifact(#[from] ArtifactFsError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl CampaignError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CampaignError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
