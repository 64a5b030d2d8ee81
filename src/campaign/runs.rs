//! `tracka runs`: the runs in a ledger with their outcome, and one run's episodes.

use serde::Serialize;

use super::records::{
    EpisodeFinished, ExecutionFailure, ExecutionResult, RunFinishedRecord, RunStarted,
};
use super::CampaignError;
use crate::ledger::{EventKind, Ledger};

/// One run, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct RunListing {
    pub run_id: String,
    pub started_at: String,
    pub exec_mode: String,
    pub policy: String,
    pub seed: u64,
    /// `complete`, `interrupted` or `running` (no run.finished).
    pub status: String,
    pub episodes: u64,
    pub ok: u64,
    pub failed: u64,
    pub aborted: u64,
    pub merkle_root: Option<String>,
}

/// One episode of a run.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeListing {
    pub episode_id: String,
    pub outcome: String,
    pub reward_bps: Option<f64>,
    pub error: Option<String>,
}

/// Every run in ledger order.
pub fn list_runs(ledger: &Ledger) -> Result<Vec<RunListing>, CampaignError> {
    let mut out: Vec<RunListing> = Vec::new();
    for ev in ledger.iter() {
        let ev = ev?;
        match ev.kind {
            EventKind::RunStarted => {
                let s: RunStarted = ev.decode()?;
                out.push(RunListing {
                    run_id: ev.run_id.clone(),
                    started_at: ev.recorded_at.clone(),
                    exec_mode: s.exec_mode,
                    policy: s.policy,
                    seed: s.seed,
                    status: "running".into(),
                    episodes: 0,
                    ok: 0,
                    failed: 0,
                    aborted: 0,
                    merkle_root: None,
                });
            }
            EventKind::EpisodeFinished => {
                let f: EpisodeFinished = ev.decode()?;
                if let Some(r) = out.iter_mut().rev().find(|r| r.run_id == ev.run_id) {
                    r.episodes += 1;
                    match f.outcome.as_str() {
                        "ok" => r.ok += 1,
                        "aborted" => r.aborted += 1,
                        _ => r.failed += 1,
                    }
                }
            }
            EventKind::RunFinished => {
                let f: RunFinishedRecord = ev.decode()?;
                if let Some(r) = out.iter_mut().rev().find(|r| r.run_id == ev.run_id) {
                    r.status = f.status;
                    r.merkle_root = Some(f.merkle_root);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The episodes of one run.
pub fn list_episodes(ledger: &Ledger, run_id: &str) -> Result<Vec<EpisodeListing>, CampaignError> {
    let mut out: Vec<EpisodeListing> = Vec::new();
    let mut reward = None;
    let mut error = None;
    for ev in ledger.iter_run(run_id) {
        let ev = ev?;
        match ev.kind {
            EventKind::EpisodeStarted => {
                reward = None;
                error = None;
            }
            EventKind::ExecutionResult => reward = ev.decode::<ExecutionResult>()?.reward_bps,
            EventKind::ExecutionFailure => error = Some(ev.decode::<ExecutionFailure>()?.error),
            EventKind::EpisodeFinished => {
                let f: EpisodeFinished = ev.decode()?;
                out.push(EpisodeListing {
                    episode_id: ev.episode_id.clone().unwrap_or_default(),
                    outcome: f.outcome,
                    reward_bps: reward.take(),
                    error: error.take(),
                });
            }
            _ => {}
        }
    }
    if out.is_empty() && !ledger.runs()?.iter().any(|r| r == run_id) {
        return Err(CampaignError::Usage(format!(
            "--run {run_id}: no such run in the ledger"
        )));
    }
    Ok(out)
}
