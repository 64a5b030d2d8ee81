//! Recovery at campaign start. One writer at a time means only the ledger's last run can
//! be unfinished: its interrupted episode (started, never finished) is closed with an
//! `episode.aborted` event and its files (failure.json among them), files of its
//! finished episodes that are missing or torn are re-projected from the ledger, and the
//! run is closed with `run.finished` (status `interrupted`). The last run's
//! campaign.log and manifest.json are (re)written when missing or different.
//!
//! This covers a killed process (`kill -9`): files written before the kill are in the
//! OS page cache. After a power loss, earlier runs' files may be lost too;
//! `tracka audit` finds them and `tracka export` regenerates them.

use std::path::Path;

use serde::Serialize;

use super::clock::Clock;
use super::records::{EpisodeAborted, EpisodeFinished};
use super::replay;
use super::runner::RunWriter;
use super::CampaignError;
use crate::exec::real::{self, RealRecord};
use crate::ledger::projection::{self, CampaignLogBuilder, ManifestBuilder};
use crate::ledger::{artifact_fs, ArtifactWritten, EventKind, Ledger, StoredEvent};

/// What recovery did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub closed_runs: Vec<String>,
    pub aborted_episodes: Vec<String>,
    /// Files (relative to the data dir) written again from the ledger.
    pub repaired_files: Vec<String>,
    /// Console lines describing the above.
    #[serde(skip)]
    pub messages: Vec<String>,
}

/// The message an aborted episode carries.
pub const ABORT_REASON: &str =
    "interrupted: the campaign stopped before this episode finished (closed at the next start)";

/// Closes what an interrupted campaign left open. Cheap when the last run finished.
pub fn recover(
    ledger: &Ledger,
    data_dir: &Path,
    clock: &dyn Clock,
) -> Result<RecoveryReport, CampaignError> {
    let mut report = RecoveryReport::default();
    let Some(last) = ledger.last()? else {
        return Ok(report);
    };
    let run_id = last.run_id.clone();
    for tmp in artifact_fs::sweep_temp_files(&data_dir.join("runs").join(&run_id))? {
        report.messages.push(format!(
            "Removed {} left by an interrupted write",
            tmp.display()
        ));
    }
    if last.kind != EventKind::RunFinished {
        close_run(ledger, data_dir, clock, &run_id, &mut report)?;
    }
    for path in write_run_files(ledger, data_dir, &run_id)? {
        report
            .messages
            .push(format!("Recovered {path} of {run_id} from the ledger"));
        report.repaired_files.push(path);
    }
    Ok(report)
}

fn close_run(
    ledger: &Ledger,
    data_dir: &Path,
    clock: &dyn Clock,
    run_id: &str,
    report: &mut RecoveryReport,
) -> Result<(), CampaignError> {
    let run_dir = data_dir.join("runs").join(run_id);
    // Pass 1: counts, the open episode, and finished episodes whose files need repair.
    let mut w = RunWriter::new(ledger, clock, run_id, &run_dir)?;
    let (mut ok, mut failed, mut aborted) = (0u64, 0u64, 0u64);
    let mut open: Vec<StoredEvent> = Vec::new();
    let mut needs_repair: Vec<String> = Vec::new();
    // files of the current episode that are not as recorded (acted on once it finished)
    let mut bad_files = false;
    for ev in ledger.iter_run(run_id) {
        let ev = ev?;
        match ev.kind {
            EventKind::EpisodeStarted => {
                open.clear();
                bad_files = false;
            }
            EventKind::ArtifactWritten => {
                let a: ArtifactWritten = ev.decode()?;
                let on_disk = artifact_fs::hash_file(&data_dir.join(&a.path))?;
                bad_files |=
                    !on_disk.is_some_and(|(h, n)| h.as_bytes() == &a.blake3.0 && n == a.size);
            }
            EventKind::EpisodeFinished => {
                let f: EpisodeFinished = ev.decode()?;
                match f.outcome.as_str() {
                    "ok" => ok += 1,
                    "aborted" => aborted += 1,
                    _ => failed += 1,
                }
                if bad_files {
                    needs_repair.extend(ev.episode_id.clone());
                }
                open.clear();
                bad_files = false;
            }
            _ => {}
        }
        w.absorb(&ev)?;
        if ev.episode_id.is_some() && ev.kind != EventKind::EpisodeFinished {
            open.push(ev);
        }
    }

    for episode_id in &needs_repair {
        let events: Vec<StoredEvent> = ledger
            .iter_run(run_id)
            .filter_map(Result::ok)
            .filter(|e| e.episode_id.as_deref() == Some(episode_id))
            .collect();
        for (name, bytes) in projection::episode_files(run_id, episode_id, &events)? {
            let rel = format!("runs/{run_id}/episodes/{episode_id}/{name}");
            let outcome = artifact_fs::write_artifact(&data_dir.join(&rel), &bytes, true)?;
            if outcome != artifact_fs::WriteOutcome::Unchanged {
                report
                    .messages
                    .push(format!("Recovered {rel} from the ledger"));
                report.repaired_files.push(rel);
            }
        }
    }

    if let Some(episode_id) = open.first().and_then(|e| e.episode_id.clone()) {
        let mut events: Vec<StoredEvent> = open
            .into_iter()
            .filter(|e| e.kind != EventKind::ArtifactWritten)
            .collect();
        // real mode: a position the episode opened (or may have) and did not close
        let calls: Vec<RealRecord> = events
            .iter()
            .filter(|e| e.kind == EventKind::GatewayCall)
            .filter_map(|e| e.decode().ok())
            .collect();
        let left_open = real::position_left_open(&calls);
        if let Some((_, alert)) = &left_open {
            report.messages.push(format!(
                "!!! {alert} (episode {episode_id} of {run_id}) !!!"
            ));
        }
        let (position_left_open, operator_alert) = match left_open {
            Some((id, alert)) => (id, Some(alert)),
            None => (None, None),
        };
        events.push(w.append(
            EventKind::EpisodeAborted,
            Some(&episode_id),
            &EpisodeAborted {
                reason: ABORT_REASON.into(),
                position_left_open,
                operator_alert,
            },
        )?);
        w.close_episode(&episode_id, &events, "aborted", true)?;
        aborted += 1;
        report.messages.push(format!(
            "⚠️  Closed interrupted episode {episode_id} of {run_id} (aborted)"
        ));
        report.aborted_episodes.push(episode_id);
    }
    let state = replay::learning_state(ledger)?;
    w.finish(
        ok,
        failed,
        aborted,
        "interrupted",
        &state.learning_state_hash,
    )?;
    report
        .messages
        .push(format!("⚠️  Closed interrupted run {run_id}"));
    report.closed_runs.push(run_id.to_string());
    Ok(())
}

/// (Re)writes a finished run's campaign.log and manifest.json from the ledger when they
/// are missing or differ. Returns the paths written (relative to the data dir).
pub fn write_run_files(
    ledger: &Ledger,
    data_dir: &Path,
    run_id: &str,
) -> Result<Vec<String>, CampaignError> {
    let (log, manifest) = run_file_bytes(ledger, run_id)?;
    let mut written = Vec::new();
    let run_rel = format!("runs/{run_id}");
    let log_rel = format!("{run_rel}/{}", projection::CAMPAIGN_LOG);
    let log_path = data_dir.join(&log_rel);
    // campaign.log is appended live; the final projection replaces it.
    let existing = std::fs::read(&log_path).ok();
    if existing.as_deref() != Some(&log[..]) {
        artifact_fs::write_artifact(&log_path, &log, true)?;
        if existing.is_none() {
            written.push(log_rel);
        }
    } else {
        artifact_fs::write_artifact(&log_path, &log, false)?;
    }
    if let Some(manifest) = manifest {
        let rel = format!("{run_rel}/{}", projection::MANIFEST);
        let outcome = artifact_fs::write_artifact(&data_dir.join(&rel), &manifest, true)?;
        if outcome != artifact_fs::WriteOutcome::Unchanged {
            written.push(rel);
        }
    }
    Ok(written)
}

/// The projected campaign.log and manifest.json (None while unfinished) of a run.
pub fn run_file_bytes(
    ledger: &Ledger,
    run_id: &str,
) -> Result<(Vec<u8>, Option<Vec<u8>>), CampaignError> {
    let mut log = CampaignLogBuilder::default();
    let mut manifest = ManifestBuilder::default();
    for ev in ledger.iter_run(run_id) {
        let ev = ev?;
        log.push(&ev);
        manifest.push(&ev)?;
    }
    Ok((log.finish(), manifest.finish()))
}
