//! `tracka audit`: proves nothing was altered. Verifies every event hash, the chain and
//! each run's Merkle root (`Ledger::verify`); checks that each episode's recorded
//! artifact hashes are what its events project to; and re-hashes every file under each
//! run directory against the ledger: missing, modified and unexpected files are listed
//! by path.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::recovery::run_file_bytes;
use super::CampaignError;
use crate::ledger::projection::{self, CAMPAIGN_LOG, MANIFEST};
use crate::ledger::{artifact_fs, ArtifactWritten, EventKind, Ledger, StoredEvent};

/// Findings for one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunAudit {
    pub run_id: String,
    pub files_checked: u64,
    /// Paths relative to the data directory.
    pub missing: Vec<String>,
    pub modified: Vec<String>,
    pub unexpected: Vec<String>,
    /// Recorded artifact hashes that differ from the projection of the events.
    pub projection_mismatch: Vec<String>,
}

impl RunAudit {
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty()
            && self.modified.is_empty()
            && self.unexpected.is_empty()
            && self.projection_mismatch.is_empty()
    }
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub ok: bool,
    pub events_verified: u64,
    /// The first event that failed verification: `seq: reason`.
    pub ledger_error: Option<String>,
    pub index_problem: Option<String>,
    pub runs: Vec<RunAudit>,
}

/// Audits the ledger and the files of `run` (every run when `None`).
pub fn audit(
    ledger: &Ledger,
    data_dir: &Path,
    run: Option<&str>,
) -> Result<AuditReport, CampaignError> {
    let verify = ledger.verify()?;
    let mut runs = Vec::new();
    let ids: Vec<String> = match run {
        Some(id) => {
            if !ledger.runs()?.iter().any(|r| r == id) {
                return Err(CampaignError::Usage(format!(
                    "--run {id}: no such run in the ledger"
                )));
            }
            vec![id.to_string()]
        }
        None => ledger.runs()?,
    };
    for id in ids {
        runs.push(audit_run(ledger, data_dir, &id)?);
    }
    let ledger_error = verify
        .first_bad
        .as_ref()
        .map(|b| format!("seq {}: {}", b.seq, b.reason));
    Ok(AuditReport {
        ok: verify.is_ok() && runs.iter().all(RunAudit::is_ok),
        events_verified: verify.events,
        ledger_error,
        index_problem: verify.index_problem.clone(),
        runs,
    })
}

fn audit_run(ledger: &Ledger, data_dir: &Path, run_id: &str) -> Result<RunAudit, CampaignError> {
    let mut out = RunAudit {
        run_id: run_id.into(),
        ..Default::default()
    };
    // path (relative to data dir) → expected (blake3 hex, size)
    let mut expected: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut episode: Vec<StoredEvent> = Vec::new();
    let mut recorded: Vec<(String, ArtifactWritten)> = Vec::new();
    for ev in ledger.iter_run(run_id) {
        let ev = ev?;
        match ev.kind {
            EventKind::EpisodeStarted => {
                episode.clear();
                recorded.clear();
            }
            EventKind::ArtifactWritten => {
                let a: ArtifactWritten = ev.decode()?;
                expected.insert(a.path.clone(), (a.blake3.to_hex(), a.size));
                recorded.push((ev.episode_id.clone().unwrap_or_default(), a));
            }
            EventKind::EpisodeFinished => {
                if let Some(id) = ev.episode_id.as_deref() {
                    check_projection(run_id, id, &episode, &recorded, &mut out)?;
                }
                episode.clear();
                recorded.clear();
            }
            _ => {}
        }
        if ev.episode_id.is_some() && ev.kind != EventKind::ArtifactWritten {
            episode.push(ev);
        }
    }
    let (log, manifest) = run_file_bytes(ledger, run_id)?;
    let run_rel = format!("runs/{run_id}");
    expected.insert(
        format!("{run_rel}/{CAMPAIGN_LOG}"),
        (blake3::hash(&log).to_hex().to_string(), log.len() as u64),
    );
    if let Some(m) = manifest {
        expected.insert(
            format!("{run_rel}/{MANIFEST}"),
            (blake3::hash(&m).to_hex().to_string(), m.len() as u64),
        );
    }
    for (path, (hash, size)) in &expected {
        out.files_checked += 1;
        match artifact_fs::hash_file(&data_dir.join(path))? {
            None => out.missing.push(path.clone()),
            Some((h, n)) if h.to_hex().as_str() != hash || n != *size => {
                out.modified.push(path.clone())
            }
            Some(_) => {}
        }
    }
    let mut on_disk = Vec::new();
    list_files(&data_dir.join(&run_rel), &run_rel, &mut on_disk)?;
    out.unexpected = on_disk
        .into_iter()
        .filter(|p| !expected.contains_key(p))
        .collect();
    Ok(out)
}

fn check_projection(
    run_id: &str,
    episode_id: &str,
    events: &[StoredEvent],
    recorded: &[(String, ArtifactWritten)],
    out: &mut RunAudit,
) -> Result<(), CampaignError> {
    let files = projection::episode_files(run_id, episode_id, events)?;
    for (name, bytes) in files {
        let path = format!("runs/{run_id}/episodes/{episode_id}/{name}");
        let hash = blake3::hash(&bytes);
        let ok = recorded
            .iter()
            .rev()
            .find(|(ep, a)| ep == episode_id && a.path == path)
            .is_some_and(|(_, a)| a.blake3.0 == *hash.as_bytes() && a.size == bytes.len() as u64);
        if !ok {
            out.projection_mismatch.push(path);
        }
    }
    Ok(())
}

/// Every file below `dir`, as `prefix/...` paths with `/` separators, sorted.
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), CampaignError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CampaignError::io(dir, e)),
    };
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    names.sort();
    for (name, path) in names {
        let rel = format!("{prefix}/{name}");
        if path.is_dir() {
            list_files(&path, &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
