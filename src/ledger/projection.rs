//! Projections: the artifact files as pure functions of ledger events. The same code
//! writes the files during a campaign, re-projects missing or torn files on recovery,
//! regenerates them for `tracka export`, and recomputes them for `tracka audit`.
//!
//! Episode files are projected from the episode's events up to (not including) its
//! `artifact.written` and `episode.finished` events; `campaign.log` and `manifest.json`
//! from the run's events.

use serde_json::{json, Map, Value};

use super::envelope::StoredEvent;
use super::kind::EventKind;
use crate::campaign::records::{
    EpisodeAborted, EpisodeFinished, EpisodeStarted, ExecutionFailure, ExecutionResult,
    IntelRecord, ProposalRecord, RunFinishedRecord, RunStarted, Timings,
};

/// Episode artifact file names, in the order they are written.
pub const PROPOSAL: &str = "proposal.json";
pub const METADATA: &str = "metadata.json";
pub const RESULT: &str = "result.json";
pub const FAILURE: &str = "failure.json";
pub const TIMINGS: &str = "timings.json";
pub const LOGS: &str = "logs.jsonl";
/// Run-level files.
pub const CAMPAIGN_LOG: &str = "campaign.log";
pub const MANIFEST: &str = "manifest.json";

/// A projection that cannot be made from the events given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    #[error("event {kind} at seq {seq} has an unexpected payload: {reason}")]
    BadPayload {
        seq: u64,
        kind: &'static str,
        reason: String,
    },
    #[error("episode {episode_id}: no episode.started event")]
    NoStart { episode_id: String },
}

fn decode<T: serde::de::DeserializeOwned>(ev: &StoredEvent) -> Result<T, ProjectionError> {
    serde_json::from_slice(&ev.payload).map_err(|e| ProjectionError::BadPayload {
        seq: ev.seq,
        kind: ev.kind.as_str(),
        reason: e.to_string(),
    })
}

/// Pretty JSON with a trailing newline: the byte form of every JSON artifact.
pub fn to_file_bytes(value: &Value) -> Vec<u8> {
    // Serializing a Value cannot fail.
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn with_ids(run_id: &str, episode_id: &str, rest: Value) -> Value {
    let mut map = Map::new();
    map.insert("episode_id".into(), Value::from(episode_id));
    map.insert("run_id".into(), Value::from(run_id));
    match rest {
        Value::Object(obj) => {
            for (k, v) in obj {
                map.entry(k).or_insert(v);
            }
        }
        other => {
            map.insert("value".into(), other);
        }
    }
    Value::Object(map)
}

/// Adds `operator_alert` (real mode, when something needs manual action) to a failure.
fn with_alert(mut failure: Value, alert: Option<String>) -> Value {
    if let (Value::Object(m), Some(a)) = (&mut failure, alert) {
        m.insert("operator_alert".into(), Value::from(a));
    }
    failure
}

/// True for the events an episode's files are projected from.
pub fn is_projected_input(kind: EventKind) -> bool {
    !matches!(
        kind,
        EventKind::ArtifactWritten | EventKind::EpisodeFinished
    )
}

/// The episode's files (name, bytes) projected from its events (all of them, in order;
/// `artifact.written` and `episode.finished` are ignored).
pub fn episode_files(
    run_id: &str,
    episode_id: &str,
    events: &[StoredEvent],
) -> Result<Vec<(&'static str, Vec<u8>)>, ProjectionError> {
    let mut started: Option<(&StoredEvent, EpisodeStarted)> = None;
    let mut proposal: Option<Value> = None;
    let mut target: Option<Value> = None;
    let mut intel: Option<IntelRecord> = None;
    let mut result: Option<ExecutionResult> = None;
    let mut failure: Option<ExecutionFailure> = None;
    let mut aborted: Option<(&StoredEvent, EpisodeAborted)> = None;
    let mut timings: Option<Timings> = None;
    let mut validation: Option<Value> = None;
    let mut learning: Option<Value> = None;
    let mut logs = Vec::new();
    for ev in events.iter().filter(|e| is_projected_input(e.kind)) {
        match ev.kind {
            EventKind::EpisodeStarted => started = Some((ev, decode(ev)?)),
            EventKind::Proposal => {
                let r = decode::<ProposalRecord>(ev)?;
                proposal = Some(r.proposal);
                target = r.target;
            }
            EventKind::IntelSnapshot => intel = Some(decode(ev)?),
            EventKind::PoolValidation => validation = Some(decode(ev)?),
            EventKind::ExecutionResult => result = Some(decode(ev)?),
            EventKind::ExecutionFailure => failure = Some(decode(ev)?),
            EventKind::EpisodeAborted => aborted = Some((ev, decode(ev)?)),
            EventKind::Timings => timings = Some(decode(ev)?),
            EventKind::LearningApplied | EventKind::LearningSkipped => {
                let mut v: Value = decode(ev)?;
                if let Value::Object(m) = &mut v {
                    m.insert("kind".into(), Value::from(ev.kind.as_str()));
                }
                learning = Some(v);
            }
            _ => {}
        }
        if ev.kind != EventKind::Timings {
            let mut line = json!({
                "seq": ev.seq,
                "recorded_at": ev.recorded_at,
                "kind": ev.kind.as_str(),
                "payload_hash": ev.payload_hash.to_hex(),
            });
            if ev.kind == EventKind::GatewayCall {
                // the call itself (step, route, request, response or error, tx hash):
                // position-info polls while holding are read here
                line["gateway"] = decode::<Value>(ev)?;
            }
            logs.push(line);
        }
    }
    let (start_ev, start) = started.ok_or_else(|| ProjectionError::NoStart {
        episode_id: episode_id.into(),
    })?;
    let mut files = Vec::with_capacity(5);

    let proposal_value = match proposal {
        Some(p) => json!({ "status": "proposed", "proposal": p }),
        None => json!({
            "status": "not_proposed",
            "reason": "the episode ended before its policy made a proposal",
        }),
    };
    let mut proposal_file = with_ids(run_id, episode_id, proposal_value);
    if let Value::Object(m) = &mut proposal_file {
        m.insert("policy".into(), Value::from(start.policy.clone()));
        // real mode: the on-chain target at the top level, where `tracka validate-pool
        // --proposal-path` reads pool_address, network, token0, token1, fee, tick_spacing
        if let Some(Value::Object(t)) = target {
            for (k, v) in t {
                m.entry(k).or_insert(v);
            }
        }
    }
    files.push((PROPOSAL, to_file_bytes(&proposal_file)));

    let (snapshot, inputs, hygiene, content_hash) = match intel {
        Some(i) => (
            i.intel_snapshot,
            i.intel_inputs,
            i.intel_hygiene,
            Value::from(i.content_hash),
        ),
        None => (
            json!({}),
            json!({}),
            json!({"total_queries": 0, "fresh": 0, "stale": 0, "missing_or_too_old": 0, "fresh_pct": 0.0}),
            Value::Null,
        ),
    };
    let mut extra = Map::new();
    extra.insert("intel_snapshot".into(), snapshot);
    extra.insert("intel_inputs".into(), inputs);
    extra.insert("intel_hygiene".into(), hygiene);
    extra.insert("intel_content_hash".into(), content_hash);
    if let Some(v) = validation {
        extra.insert("pool_validation".into(), v);
    }
    if let Some(l) = learning {
        extra.insert("learning".into(), l);
    }
    let metadata = with_ids(
        run_id,
        episode_id,
        json!({
            "exec_mode": start.exec_mode,
            "episode_index": start.index,
            "episode_seed": start.episode_seed,
            "policy": start.policy,
            "started_at": start_ev.recorded_at,
            "extra": Value::Object(extra),
        }),
    );
    files.push((METADATA, to_file_bytes(&metadata)));

    if let Some(r) = result.filter(|_| failure.is_none() && aborted.is_none()) {
        let v = with_ids(
            run_id,
            episode_id,
            json!({"exec_mode": r.exec_mode, "reward_bps": r.reward_bps, "report": r.report}),
        );
        files.push((RESULT, to_file_bytes(&v)));
    } else {
        let v = match (failure, aborted) {
            (Some(f), _) => with_alert(
                json!({
                    "status": "failed",
                    "stage": f.stage,
                    "error": f.error,
                    "chain": f.chain,
                    "position_left_open": f.position_left_open,
                }),
                f.operator_alert,
            ),
            (None, Some((ev, a))) => with_alert(
                json!({
                    "status": "aborted",
                    "stage": "interrupted",
                    "error": a.reason,
                    "chain": [],
                    "position_left_open": a.position_left_open,
                    "aborted_at": ev.recorded_at,
                }),
                a.operator_alert,
            ),
            (None, None) => json!({
                "status": "failed",
                "stage": "unknown",
                "error": "the episode recorded neither a result nor a failure",
                "chain": [],
                "position_left_open": null,
            }),
        };
        files.push((FAILURE, to_file_bytes(&with_ids(run_id, episode_id, v))));
    }

    let timings_value = match timings {
        Some(t) => serde_json::to_value(t).unwrap_or(Value::Null),
        None => json!({"status": "not_recorded"}),
    };
    files.push((
        TIMINGS,
        to_file_bytes(&with_ids(run_id, episode_id, timings_value)),
    ));

    let mut log_bytes = Vec::new();
    for line in logs {
        log_bytes.extend_from_slice(line.to_string().as_bytes());
        log_bytes.push(b'\n');
    }
    files.push((LOGS, log_bytes));
    Ok(files)
}

/// Turns a run's events into campaign.log lines (the runbook's console lines). Keeps
/// the little state it needs (whether the current episode failed), so the live log and
/// the projection are made by the same code.
#[derive(Debug, Default)]
pub struct LogLines {
    episode_failed: bool,
}

impl LogLines {
    /// The lines an event contributes (possibly none).
    pub fn lines(&mut self, ev: &StoredEvent) -> Vec<String> {
        let mut out = Vec::new();
        match ev.kind {
            EventKind::RunStarted => {
                if let Ok(s) = decode::<RunStarted>(ev) {
                    out.push(format!("RUN_ID: {}", ev.run_id));
                    out.push(format!(
                        "HB_ENV={} MOCK_CLMM={} EXEC_MODE={} LEARN_FROM_MOCK={} \
                         INTEL_DATA_SOURCE={} HB_SEED={} EPISODES={} POLICY={}",
                        s.hb_env,
                        s.mock_clmm,
                        s.exec_mode,
                        s.learn_from_mock,
                        s.intel_data_source,
                        s.seed,
                        s.episodes,
                        s.policy
                    ));
                    if s.intel_data_source == "mock" {
                        out.push("[MarketIntel] ⚠️  Using MOCK data".into());
                    }
                    if let Some(real) = &s.real {
                        let field = |k: &str| real.get(k).map(Value::to_string).unwrap_or_default();
                        out.push(format!(
                            "⚠️  REAL MODE: live positions on {} through Gateway, max capital {} per position{}",
                            real.get("network").and_then(Value::as_str).unwrap_or("?"),
                            field("max_capital"),
                            if real.get("dry_run") == Some(&Value::Bool(true)) {
                                " (dry run: quotes only)"
                            } else {
                                ""
                            }
                        ));
                    }
                }
            }
            EventKind::EpisodeStarted => {
                self.episode_failed = false;
                out.push(format!(
                    "EPISODE_ID: {}",
                    ev.episode_id.as_deref().unwrap_or("?")
                ));
            }
            EventKind::ExecutionFailure => {
                self.episode_failed = true;
                if let Ok(f) = decode::<ExecutionFailure>(ev) {
                    out.push(format!("❌ Episode failed at {}: {}", f.stage, f.error));
                    out.extend(alert_line(f.position_left_open, f.operator_alert));
                }
            }
            EventKind::Timings => {
                if let Ok(t) = decode::<Timings>(ev) {
                    let secs = t.total_us as f64 / 1e6;
                    out.push(if self.episode_failed {
                        format!("Episode ended (failed) in {secs:.3}s")
                    } else {
                        format!("✅ Episode complete in {secs:.3}s")
                    });
                }
            }
            EventKind::EpisodeAborted => {
                if let Ok(a) = decode::<EpisodeAborted>(ev) {
                    out.push(format!(
                        "⚠️  Episode {} aborted: {}",
                        ev.episode_id.as_deref().unwrap_or("?"),
                        a.reason
                    ));
                    out.extend(alert_line(a.position_left_open, a.operator_alert));
                }
            }
            EventKind::GatewayCall => {
                if let Ok(c) = decode::<Value>(ev) {
                    out.extend(gateway_line(&c));
                }
            }
            EventKind::RunFinished => {
                if let Ok(r) = decode::<RunFinishedRecord>(ev) {
                    out.push(if r.status == "complete" {
                        "Campaign Complete!".to_string()
                    } else {
                        format!("Campaign closed ({})", r.status)
                    });
                    out.push(format!(
                        "Episodes: {} (ok {}, failed {}, aborted {})",
                        r.episodes, r.ok, r.failed, r.aborted
                    ));
                    out.push(format!("Merkle root: {}", r.merkle_root));
                    out.push(format!("Run directory: runs/{}", ev.run_id));
                }
            }
            _ => {}
        }
        out
    }
}

/// The console line of a position left open: the alert if recorded, else a generic one.
fn alert_line(position_left_open: Option<String>, alert: Option<String>) -> Option<String> {
    match (alert, position_left_open) {
        (Some(a), _) => Some(format!("!!! {a} !!!")),
        (None, Some(id)) => Some(format!(
            "!!! POSITION STILL OPEN: id {id}; close it manually !!!"
        )),
        (None, None) => None,
    }
}

/// The console line of a Gateway call: transactions (with their hash) and failed calls;
/// successful reads (health, pool-info, position-info polls) stay in logs.jsonl only.
fn gateway_line(call: &Value) -> Option<String> {
    let step = call.get("step").and_then(Value::as_str).unwrap_or("?");
    let tx = call.get("tx_signature").and_then(Value::as_str);
    if let Some(err) = call.get("error").and_then(Value::as_str) {
        return Some(match tx {
            Some(tx) => format!("[Gateway] {step} failed (tx {tx}): {err}"),
            None => format!("[Gateway] {step} failed: {err}"),
        });
    }
    tx.map(|tx| format!("[Gateway] {step}: tx {tx} confirmed"))
}

/// Builds a run's campaign.log from its events, one at a time.
#[derive(Debug, Default)]
pub struct CampaignLogBuilder {
    lines: LogLines,
    out: String,
}

impl CampaignLogBuilder {
    pub fn push(&mut self, ev: &StoredEvent) {
        for line in self.lines.lines(ev) {
            self.out.push_str(&line);
            self.out.push('\n');
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// One episode's entry in the manifest.
#[derive(Debug)]
struct ManifestEpisode {
    index: u64,
    episode_id: String,
    /// (file name, blake3, size), in the order recorded.
    artifacts: Vec<(String, super::hash::Hash, u64)>,
    outcome: String,
}

/// Builds a run's manifest.json from its events, one at a time; memory grows with the
/// number of episodes only (a few hundred bytes each).
#[derive(Debug, Default)]
pub struct ManifestBuilder {
    run_id: Option<String>,
    started: Option<RunStarted>,
    finished: Option<RunFinishedRecord>,
    episodes: Vec<ManifestEpisode>,
}

impl ManifestBuilder {
    pub fn push(&mut self, ev: &StoredEvent) -> Result<(), ProjectionError> {
        if self.run_id.is_none() {
            self.run_id = Some(ev.run_id.clone());
        }
        let current = |eps: &mut Vec<ManifestEpisode>| -> Option<usize> {
            let id = ev.episode_id.as_deref()?;
            eps.iter().rposition(|e| e.episode_id == id)
        };
        match ev.kind {
            EventKind::RunStarted => self.started = Some(decode(ev)?),
            EventKind::RunFinished => self.finished = Some(decode(ev)?),
            EventKind::EpisodeStarted => {
                let s: EpisodeStarted = decode(ev)?;
                self.episodes.push(ManifestEpisode {
                    index: s.index,
                    episode_id: ev.episode_id.clone().unwrap_or_default(),
                    artifacts: Vec::new(),
                    outcome: "running".into(),
                });
            }
            EventKind::ArtifactWritten => {
                let a: super::events::ArtifactWritten = decode(ev)?;
                if let Some(i) = current(&mut self.episodes) {
                    let name = a.path.rsplit('/').next().unwrap_or(&a.path).to_string();
                    let list = &mut self.episodes[i].artifacts;
                    list.retain(|(n, _, _)| *n != name);
                    list.push((name, a.blake3, a.size));
                }
            }
            EventKind::EpisodeAborted => {
                // records before the abort describe files that were never written
                if let Some(i) = current(&mut self.episodes) {
                    self.episodes[i].artifacts.clear();
                }
            }
            EventKind::EpisodeFinished => {
                let f: EpisodeFinished = decode(ev)?;
                if let Some(i) = current(&mut self.episodes) {
                    self.episodes[i].outcome = f.outcome;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The manifest bytes, or `None` while the run has not finished.
    pub fn finish(self) -> Option<Vec<u8>> {
        let fin = self.finished?;
        let eps: Vec<Value> = self
            .episodes
            .into_iter()
            .map(|e| {
                let artifacts: Map<String, Value> = e
                    .artifacts
                    .into_iter()
                    .map(|(name, hash, size)| {
                        (name, json!({"blake3": hash.to_hex(), "size": size}))
                    })
                    .collect();
                json!({"index": e.index, "episode_id": e.episode_id, "outcome": e.outcome,
                       "artifacts": artifacts})
            })
            .collect();
        let v = json!({
            "run_id": self.run_id,
            "status": fin.status,
            "settings": self.started.map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
            "event_count": fin.event_count,
            "merkle_root": fin.merkle_root,
            "digest": fin.digest,
            "learning_state_hash": fin.learning_state_hash,
            "summary": {"episodes": fin.episodes, "ok": fin.ok, "failed": fin.failed,
                        "aborted": fin.aborted},
            "episodes": eps,
        });
        Some(to_file_bytes(&v))
    }
}
