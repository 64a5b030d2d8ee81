//! Replay: the learning state and each run's summary rebuilt from the events alone,
//! with the same fold the live agent uses (`LearningState::apply`), checked against
//! what the campaign recorded (each `learning.applied`'s `state_hash_after`, each
//! `run.finished`'s counts and `learning_state_hash`). The first divergence is named.

use serde::Serialize;

use super::records::{EpisodeFinished, LearningApplied, RunFinishedRecord};
use super::CampaignError;
use crate::agent::state::{LearningState, LearningUpdate};
use crate::ledger::{EventKind, Ledger, StoredEvent};

/// Where replay and the recorded history disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    pub seq: u64,
    pub run_id: String,
    pub episode_id: Option<String>,
    pub kind: String,
    pub what: String,
    pub recorded: String,
    pub replayed: String,
}

/// A run's summary as replayed, beside what run.finished recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReplay {
    pub run_id: String,
    pub episodes: u64,
    pub ok: u64,
    pub failed: u64,
    pub aborted: u64,
    /// `complete`, `interrupted`, or `open` (no run.finished yet).
    pub status: String,
    pub learning_updates: u64,
    pub learning_state_hash: String,
}

/// The result of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayOutcome {
    #[serde(skip)]
    pub state: LearningState,
    pub learning_state_hash: String,
    pub events: u64,
    pub learning_updates: u64,
    pub runs: Vec<RunReplay>,
    pub divergence: Option<Divergence>,
}

/// Replays the whole ledger.
pub fn learning_state(ledger: &Ledger) -> Result<ReplayOutcome, CampaignError> {
    replay(ledger, None)
}

/// Verifies the ledger (every hash, the chain, run roots), then replays it up to the end
/// of run `until_run` (all of it when `None`). A ledger that does not verify is reported
/// as the divergence at its first bad event, and nothing is folded.
pub fn verified_replay(
    ledger: &Ledger,
    until_run: Option<&str>,
) -> Result<ReplayOutcome, CampaignError> {
    let report = ledger.verify()?;
    if let Some(bad) = report.first_bad {
        return Ok(ReplayOutcome {
            state: LearningState::default(),
            learning_state_hash: String::new(),
            events: report.events,
            learning_updates: 0,
            runs: Vec::new(),
            divergence: Some(Divergence {
                seq: bad.seq,
                run_id: String::new(),
                episode_id: None,
                kind: "ledger".into(),
                what: "event verification (hash, chain or run root)".into(),
                recorded: "a verified event".into(),
                replayed: bad.reason,
            }),
        });
    }
    replay(ledger, until_run)
}

/// Replays the ledger up to the end of run `until_run` (all of it when `None`).
pub fn replay(ledger: &Ledger, until_run: Option<&str>) -> Result<ReplayOutcome, CampaignError> {
    let mut r = Replayer::default();
    let mut seen_target = false;
    for ev in ledger.iter() {
        let ev = ev?;
        if let Some(target) = until_run {
            if ev.run_id == target {
                seen_target = true;
            } else if seen_target {
                break;
            }
        }
        r.push(&ev)?;
    }
    if let Some(target) = until_run {
        if !seen_target {
            return Err(CampaignError::Usage(format!(
                "--run {target}: no such run in the ledger"
            )));
        }
        r.runs.retain(|run| run.run_id == target);
    }
    Ok(r.finish())
}

#[derive(Default)]
struct Replayer {
    state: LearningState,
    events: u64,
    updates: u64,
    runs: Vec<RunReplay>,
    divergence: Option<Divergence>,
}

impl Replayer {
    fn diverge(&mut self, ev: &StoredEvent, what: &str, recorded: String, replayed: String) {
        if self.divergence.is_none() {
            self.divergence = Some(Divergence {
                seq: ev.seq,
                run_id: ev.run_id.clone(),
                episode_id: ev.episode_id.clone(),
                kind: ev.kind.as_str().into(),
                what: what.into(),
                recorded,
                replayed,
            });
        }
    }

    fn run_mut(&mut self, run_id: &str) -> &mut RunReplay {
        if self.runs.last().map(|r| r.run_id.as_str()) != Some(run_id) {
            self.runs.push(RunReplay {
                run_id: run_id.into(),
                episodes: 0,
                ok: 0,
                failed: 0,
                aborted: 0,
                status: "open".into(),
                learning_updates: 0,
                learning_state_hash: String::new(),
            });
        }
        let last = self.runs.len() - 1;
        &mut self.runs[last]
    }

    fn push(&mut self, ev: &StoredEvent) -> Result<(), CampaignError> {
        self.events += 1;
        match ev.kind {
            EventKind::LearningApplied => {
                let rec: LearningApplied = ev.decode()?;
                let update: LearningUpdate = match serde_json::from_value(rec.update) {
                    Ok(u) => u,
                    Err(e) => {
                        self.diverge(
                            ev,
                            "update does not decode",
                            rec.state_hash_after,
                            e.to_string(),
                        );
                        return Ok(());
                    }
                };
                if let Err(e) = self.state.apply(&update) {
                    self.diverge(
                        ev,
                        "update rejected by the fold",
                        rec.state_hash_after,
                        e.to_string(),
                    );
                    return Ok(());
                }
                self.updates += 1;
                self.run_mut(&ev.run_id).learning_updates += 1;
                let got = self.state.hash_hex();
                if got != rec.state_hash_after {
                    self.diverge(
                        ev,
                        "learning state hash after the update",
                        rec.state_hash_after,
                        got,
                    );
                }
            }
            EventKind::EpisodeFinished => {
                let f: EpisodeFinished = ev.decode()?;
                let run = self.run_mut(&ev.run_id);
                run.episodes += 1;
                match f.outcome.as_str() {
                    "ok" => run.ok += 1,
                    "aborted" => run.aborted += 1,
                    _ => run.failed += 1,
                }
            }
            EventKind::RunFinished => {
                let rec: RunFinishedRecord = ev.decode()?;
                let hash = self.state.hash_hex();
                let run = self.run_mut(&ev.run_id);
                run.status = rec.status.clone();
                run.learning_state_hash = hash.clone();
                let replayed = (run.episodes, run.ok, run.failed, run.aborted);
                let recorded = (rec.episodes, rec.ok, rec.failed, rec.aborted);
                if replayed != recorded {
                    self.diverge(
                        ev,
                        "run summary (episodes, ok, failed, aborted)",
                        format!("{recorded:?}"),
                        format!("{replayed:?}"),
                    );
                }
                if rec.learning_state_hash != hash {
                    self.diverge(
                        ev,
                        "learning state hash at run end",
                        rec.learning_state_hash,
                        hash,
                    );
                }
            }
            EventKind::RunStarted => {
                self.run_mut(&ev.run_id);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> ReplayOutcome {
        let hash = self.state.hash_hex();
        for run in &mut self.runs {
            if run.status == "open" {
                run.learning_state_hash = hash.clone();
            }
        }
        ReplayOutcome {
            learning_state_hash: hash,
            state: self.state,
            events: self.events,
            learning_updates: self.updates,
            runs: self.runs,
            divergence: self.divergence,
        }
    }
}
