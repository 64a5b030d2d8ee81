//! `tracka export`: regenerates a run's files from the ledger alone (episode files,
//! campaign.log, manifest.json), byte for byte equal to the ones the campaign wrote.

use std::path::Path;

use super::recovery::run_file_bytes;
use super::CampaignError;
use crate::ledger::projection::{self, CAMPAIGN_LOG, MANIFEST};
use crate::ledger::{artifact_fs, EventKind, Ledger, StoredEvent};

/// Writes the run's files under `out` (`out/campaign.log`, `out/manifest.json`,
/// `out/episodes/<episode_id>/…`). Returns the number of files written.
pub fn export(ledger: &Ledger, run_id: &str, out: &Path) -> Result<u64, CampaignError> {
    if !ledger.runs()?.iter().any(|r| r == run_id) {
        return Err(CampaignError::Usage(format!(
            "--run {run_id}: no such run in the ledger"
        )));
    }
    let mut written = 0u64;
    let mut episode: Vec<StoredEvent> = Vec::new();
    for ev in ledger.iter_run(run_id) {
        let ev = ev?;
        if ev.kind == EventKind::EpisodeStarted {
            episode.clear();
        }
        if ev.kind == EventKind::EpisodeFinished {
            if let Some(id) = ev.episode_id.as_deref() {
                for (name, bytes) in projection::episode_files(run_id, id, &episode)? {
                    let path = out.join("episodes").join(id).join(name);
                    artifact_fs::write_artifact(&path, &bytes, false)?;
                    written += 1;
                }
            }
            episode.clear();
        } else if ev.episode_id.is_some() {
            episode.push(ev);
        }
    }
    let (log, manifest) = run_file_bytes(ledger, run_id)?;
    artifact_fs::write_artifact(&out.join(CAMPAIGN_LOG), &log, false)?;
    written += 1;
    if let Some(m) = manifest {
        artifact_fs::write_artifact(&out.join(MANIFEST), &m, false)?;
        written += 1;
    }
    Ok(written)
}
