//! The episode loop. Per episode: intel snapshot (cache only) → the episode's market →
//! proposal → execution → learning gate → timings; every step an event. At the episode
//! boundary the projections' hashes are recorded and the ledger is flushed (the one
//! durable point), then the artifact files are written.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::clock::Clock;
use super::config::{CampaignSettings, ExecMode};
use super::digest::DigestAccumulator;
use super::episode_market::EpisodeMarket;
use super::ids;
use super::intel_features;
use super::real_episode::{self, RealOptions, RealSession};
use super::records::*;
use super::recovery::{self, RecoveryReport};
use super::replay;
use super::CampaignError;
use crate::agent::gate::{gate, GateInput, DEFAULT_MIN_FRESH_PCT};
use crate::agent::policy::{policy_by_name, Policy};
use crate::agent::state::{LearningState, LearningUpdate};
use crate::agent::{rng, tape_view};
use crate::exec::mock::{self, MockCosts};
use crate::intel::pool::PoolAddress;
use crate::intel::pools::load_registry;
use crate::intel::snapshot::{IntelInputs, MarketIntelligence};
use crate::intel::store::CacheStore;
use crate::ledger::projection::{self, LogLines, ManifestBuilder};
use crate::ledger::{
    artifact_fs, ArtifactWritten, EventKind, Hash, Ledger, MerkleAccumulator, StoredEvent,
};

/// Everything a campaign needs besides the clock.
#[derive(Debug, Clone)]
pub struct CampaignOptions {
    pub settings: CampaignSettings,
    /// A name `agent::policy::policy_by_name` accepts.
    pub policy: String,
    pub market: EpisodeMarket,
    /// The most capital one position may use, in quote units.
    pub budget_quote: f64,
    /// The smallest share of the budget a position may use.
    pub min_size_fraction: f64,
    pub costs: MockCosts,
    /// Real mode's learning gate on intel freshness.
    pub min_fresh_pct: f64,
    /// Real mode's settings (ignored in mock mode).
    pub real: RealOptions,
}

impl CampaignOptions {
    /// Defaults around validated settings.
    pub fn new(settings: CampaignSettings) -> Self {
        CampaignOptions {
            settings,
            policy: "learner".into(),
            market: EpisodeMarket::default(),
            budget_quote: 10_000.0,
            min_size_fraction: 0.25,
            costs: MockCosts::default(),
            min_fresh_pct: DEFAULT_MIN_FRESH_PCT,
            real: RealOptions::default(),
        }
    }
}

/// What a campaign reports to its caller.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignReport {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub seed: u64,
    pub episodes: u64,
    pub ok: u64,
    pub failed: u64,
    pub merkle_root: String,
    pub digest: String,
    pub learning_state_hash: String,
    pub recovered: RecoveryReport,
}

/// Console output of a campaign (lines as the runbook shows them).
pub trait Console {
    fn line(&mut self, text: &str);
    /// Called after each episode with (done, total).
    fn progress(&mut self, _done: u64, _total: u64) {}
}

/// The seed of a run when none is given: from the start time.
fn default_seed(clock: &dyn Clock) -> u64 {
    let t = clock.now();
    (t.timestamp() as u64).wrapping_mul(1_000_000_007) ^ u64::from(t.timestamp_subsec_nanos())
}

/// Validates what can be validated without touching the disk.
pub fn preflight(opts: &CampaignOptions) -> Result<Box<dyn Policy>, CampaignError> {
    let policy = policy_by_name(&opts.policy)
        .map_err(|e| CampaignError::Usage(format!("--policy {:?}: {e}", opts.policy)))?;
    opts.market
        .validate()
        .map_err(|e| CampaignError::Usage(e.to_string()))?;
    if !(opts.budget_quote.is_finite() && opts.budget_quote > 0.0) {
        return Err(CampaignError::Usage(format!(
            "--capital {}: must be a positive amount of the quote token",
            opts.budget_quote
        )));
    }
    Ok(policy)
}

/// Runs a campaign to the end. The ledger is opened (and recovered) here.
pub fn run(
    opts: &CampaignOptions,
    clock: &dyn Clock,
    console: &mut dyn Console,
) -> Result<CampaignReport, CampaignError> {
    let policy = preflight(opts)?;
    let s = &opts.settings;
    // real mode: every precondition before anything is written or sent
    let real = match s.exec_mode {
        ExecMode::Real => Some(RealSession::open(opts)?),
        ExecMode::Mock => None,
    };
    let data_dir = s.data_dir.clone();
    let registry = load_registry(None, &data_dir)
        .map_err(|e| CampaignError::Usage(format!("intel query registry: {e}")))?;
    fs::create_dir_all(&data_dir).map_err(|e| CampaignError::io(&data_dir, e))?;
    let ledger = Ledger::open(&data_dir.join("ledger"))?;
    let recovered = recovery::recover(&ledger, &data_dir, clock)?;
    for line in &recovered.messages {
        console.line(line);
    }
    let mut state = replay::learning_state(&ledger)?.state;

    let start = clock.now();
    let runs_dir = data_dir.join("runs");
    let known = ledger.runs()?;
    let run_id = ids::run_id(start, |id| {
        known.iter().any(|r| r == id) || runs_dir.join(id).exists()
    });
    let run_dir = runs_dir.join(&run_id);
    fs::create_dir_all(run_dir.join("episodes")).map_err(|e| CampaignError::io(&run_dir, e))?;
    let seed = s.seed.unwrap_or_else(|| default_seed(clock));

    let intel = MarketIntelligence::new(&data_dir, Arc::new(registry));
    let store = CacheStore::open(&data_dir);
    let mut w = RunWriter::new(&ledger, clock, &run_id, &run_dir)?;
    w.append(
        EventKind::RunStarted,
        None,
        &RunStarted {
            tracka_version: env!("CARGO_PKG_VERSION").into(),
            hb_env: match s.hb_env {
                super::config::HbEnv::Mock => "mock".into(),
                super::config::HbEnv::Real => "real".into(),
            },
            mock_clmm: s.mock_clmm,
            exec_mode: s.exec_mode.as_str().into(),
            learn_from_mock: s.learn_from_mock,
            intel_data_source: s.intel_data_source.as_str().into(),
            seed,
            episodes: s.episodes,
            policy: opts.policy.clone(),
            market: match &real {
                Some(_) => "live:gateway".into(),
                None => opts.market.describe(),
            },
            fixed_clock: s.fixed_clock.is_some(),
            real: real.as_ref().map(RealSession::describe),
        },
    )?;
    w.flush_log(console)?;

    let (mut ok, mut failed) = (0u64, 0u64);
    for index in 1..=u64::from(s.episodes) {
        let outcome = run_episode(
            &mut w,
            console,
            real.as_ref(),
            opts,
            policy.as_ref(),
            &intel,
            &store,
            &mut state,
            seed,
            index,
        )?;
        if outcome == "ok" {
            ok += 1;
        } else {
            failed += 1;
        }
        w.flush_log(console)?;
        console.progress(index, u64::from(s.episodes));
    }

    let learning_state_hash = state.hash_hex();
    let fin = w.finish(ok, failed, 0, "complete", &learning_state_hash)?;
    w.flush_log(console)?;
    w.write_run_files()?;
    Ok(CampaignReport {
        run_id,
        run_dir,
        seed,
        episodes: u64::from(s.episodes),
        ok,
        failed,
        merkle_root: fin.merkle_root,
        digest: fin.digest,
        learning_state_hash,
        recovered,
    })
}

/// Appends a run's events, keeping the Merkle and digest accumulators and the
/// campaign.log lines not yet written.
pub(crate) struct RunWriter<'a> {
    pub ledger: &'a Ledger,
    clock: &'a dyn Clock,
    pub run_id: String,
    run_dir: PathBuf,
    data_dir: PathBuf,
    merkle: MerkleAccumulator,
    digest: DigestAccumulator,
    log_lines: LogLines,
    manifest: ManifestBuilder,
    pending_log: Vec<String>,
    pub events: u64,
}

impl<'a> RunWriter<'a> {
    pub fn new(
        ledger: &'a Ledger,
        clock: &'a dyn Clock,
        run_id: &str,
        run_dir: &Path,
    ) -> Result<Self, CampaignError> {
        Ok(RunWriter {
            ledger,
            clock,
            run_id: run_id.to_string(),
            run_dir: run_dir.to_path_buf(),
            data_dir: run_dir
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            merkle: MerkleAccumulator::new(),
            digest: DigestAccumulator::new(),
            log_lines: LogLines::default(),
            manifest: ManifestBuilder::default(),
            pending_log: Vec::new(),
            events: 0,
        })
    }

    /// Takes an existing event of the run into the accumulators (recovery resumes a
    /// run this way, streaming its events).
    pub fn absorb(&mut self, ev: &StoredEvent) -> Result<(), CampaignError> {
        self.merkle.push(&ev.hash);
        self.digest.push(ev);
        self.manifest.push(ev)?;
        self.events += 1;
        Ok(())
    }

    /// Writes manifest.json from what was absorbed and seals campaign.log (its live lines
    /// are the projection's lines: the same `LogLines` made them). Call after `finish`
    /// and `flush_log`.
    pub fn write_run_files(&mut self) -> Result<(), CampaignError> {
        let manifest = std::mem::take(&mut self.manifest);
        if let Some(bytes) = manifest.finish() {
            let path = self.run_dir.join(projection::MANIFEST);
            artifact_fs::write_artifact(&path, &bytes, true)?;
        }
        let log = self.run_dir.join(projection::CAMPAIGN_LOG);
        let mut perms = fs::metadata(&log)
            .map_err(|e| CampaignError::io(&log, e))?
            .permissions();
        perms.set_readonly(true);
        fs::set_permissions(&log, perms).map_err(|e| CampaignError::io(&log, e))
    }

    /// The clock events are stamped with.
    pub fn clock(&self) -> &'a dyn Clock {
        self.clock
    }

    pub fn append<T: Serialize>(
        &mut self,
        kind: EventKind,
        episode_id: Option<&str>,
        payload: &T,
    ) -> Result<StoredEvent, CampaignError> {
        let at = self.clock.now_rfc3339();
        let ev = self
            .ledger
            .append_stored(kind, &self.run_id, episode_id, &at, payload)?;
        self.absorb(&ev)?;
        let lines = self.log_lines.lines(&ev);
        self.pending_log.extend(lines);
        Ok(ev)
    }

    /// Records the episode's projections, closes it and flushes; then writes the files.
    pub fn close_episode(
        &mut self,
        episode_id: &str,
        events: &[StoredEvent],
        outcome: &str,
        repair: bool,
    ) -> Result<(), CampaignError> {
        let files = projection::episode_files(&self.run_id, episode_id, events)?;
        let rel_dir = format!("runs/{}/episodes/{episode_id}", self.run_id);
        for (name, bytes) in &files {
            self.append(
                EventKind::ArtifactWritten,
                Some(episode_id),
                &ArtifactWritten {
                    path: format!("{rel_dir}/{name}"),
                    blake3: Hash(*blake3::hash(bytes).as_bytes()),
                    size: bytes.len() as u64,
                },
            )?;
        }
        self.append(
            EventKind::EpisodeFinished,
            Some(episode_id),
            &EpisodeFinished {
                outcome: outcome.into(),
            },
        )?;
        self.ledger.flush()?;
        let dir = self.run_dir.join("episodes").join(episode_id);
        for (name, bytes) in &files {
            artifact_fs::write_artifact(&dir.join(name), bytes, repair)?;
        }
        Ok(())
    }

    /// Appends run.finished with the Merkle root of the run's events so far and flushes.
    pub fn finish(
        &mut self,
        ok: u64,
        failed: u64,
        aborted: u64,
        status: &str,
        learning_state_hash: &str,
    ) -> Result<RunFinishedRecord, CampaignError> {
        let rec = RunFinishedRecord {
            event_count: self.events,
            merkle_root: self.merkle.root().to_hex(),
            digest: self.digest.root().to_hex(),
            episodes: ok + failed + aborted,
            ok,
            failed,
            aborted,
            learning_state_hash: learning_state_hash.into(),
            status: status.into(),
        };
        self.append(EventKind::RunFinished, None, &rec)?;
        self.ledger.flush()?;
        Ok(rec)
    }

    /// Appends pending campaign.log lines to the file and echoes them to the console.
    pub fn flush_log(&mut self, console: &mut dyn Console) -> Result<(), CampaignError> {
        if self.pending_log.is_empty() {
            return Ok(());
        }
        let path = self.run_dir.join(projection::CAMPAIGN_LOG);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| CampaignError::io(&path, e))?;
        for line in self.pending_log.drain(..) {
            writeln!(f, "{line}").map_err(|e| CampaignError::io(&path, e))?;
            if let Some(rel) = line.strip_prefix("Run directory: ") {
                console.line(&format!(
                    "Run directory: {}",
                    self.data_dir.join(rel).display()
                ));
            } else {
                console.line(&line);
            }
        }
        Ok(())
    }
}

/// One episode, start to flush. Returns its outcome (`ok` or `failed`). Errors are
/// ledger or file errors only: anything that goes wrong in the episode itself becomes
/// its failure.json.
#[allow(clippy::too_many_arguments)]
fn run_episode(
    w: &mut RunWriter<'_>,
    console: &mut dyn Console,
    real: Option<&RealSession>,
    opts: &CampaignOptions,
    policy: &dyn Policy,
    intel: &MarketIntelligence,
    store: &CacheStore,
    state: &mut LearningState,
    seed: u64,
    index: u64,
) -> Result<&'static str, CampaignError> {
    let s = &opts.settings;
    let t_start = Instant::now();
    let episode_id = ids::episode_id(&w.run_id, index);
    let ep = Some(episode_id.as_str());
    let episode_seed = opts.market.episode_seed(seed, index);
    let mut events = Vec::with_capacity(12);
    events.push(w.append(
        EventKind::EpisodeStarted,
        ep,
        &EpisodeStarted {
            index,
            episode_seed,
            exec_mode: s.exec_mode.as_str().into(),
            policy: opts.policy.clone(),
        },
    )?);

    // Intel: the cache only.
    let t = Instant::now();
    let primary_pool = match real {
        Some(session) => session.primary_pool(),
        None => opts.market.primary_pool_address(),
    };
    let inputs = IntelInputs {
        pool_address: PoolAddress::parse(primary_pool)
            .map_err(|e| CampaignError::Internal(e.to_string()))?,
        pair: opts.market.pair_name(),
        lookback_hours: 1,
    };
    let snapshot = intel.snapshot(&inputs, w.clock.now());
    let features = intel_features::from_snapshot(store, &snapshot);
    let extra = snapshot.to_extra();
    events.push(w.append(
        EventKind::IntelSnapshot,
        ep,
        &IntelRecord {
            intel_snapshot: extra["intel_snapshot"].clone(),
            intel_inputs: extra["intel_inputs"].clone(),
            intel_hygiene: extra["intel_hygiene"].clone(),
            content_hash: snapshot.content_hash(),
        },
    )?);
    let intel_us = t.elapsed().as_micros() as u64;

    if let Some(session) = real {
        let t = Instant::now();
        let (outcome, propose_us, execute_us) = real_episode::run_after_intel(
            w,
            console,
            session,
            opts,
            policy,
            &features,
            snapshot.intel_hygiene.fresh_pct,
            state,
            seed,
            index,
            &episode_id,
            &mut events,
        )?;
        let learn_us = (t.elapsed().as_micros() as u64).saturating_sub(propose_us + execute_us);
        let timings = Timings {
            intel_us,
            market_us: 0,
            propose_us,
            execute_us,
            learn_us,
            total_us: t_start.elapsed().as_micros() as u64,
        };
        return close_with_timings(w, &episode_id, events, outcome, &timings);
    }

    // Market and proposal.
    let t = Instant::now();
    let prepared = opts
        .market
        .tape(episode_seed)
        .map_err(|e| ("market", e.to_string()));
    let market_us = t.elapsed().as_micros() as u64;
    let t = Instant::now();
    let proposed = prepared.and_then(|(tape, open_ts)| {
        let ctx = tape_view::build(&tape, open_ts, Some(&features));
        let pools =
            tape_view::pools_at_open(&tape, open_ts, opts.budget_quote, opts.min_size_fraction)
                .map_err(|e| ("propose", e.to_string()))?;
        let mut draws = rng::stream(seed, index, "propose");
        let proposal = policy
            .propose(&ctx, state, &pools, &mut draws)
            .map_err(|e| ("propose", e.to_string()))?;
        Ok((tape, open_ts, proposal))
    });
    let propose_us = t.elapsed().as_micros() as u64;

    let t = Instant::now();
    let executed = match proposed {
        Ok((tape, open_ts, proposal)) => {
            events.push(w.append(
                EventKind::Proposal,
                ep,
                &ProposalRecord {
                    proposal: to_value(&proposal)?,
                    target: None,
                },
            )?);
            mock::execute(&tape, &proposal, open_ts, &opts.costs)
                .map(|out| (proposal, out))
                .map_err(|e| ("execute", e.to_string()))
        }
        Err(e) => Err(e),
    };
    let execute_us = t.elapsed().as_micros() as u64;

    let t = Instant::now();
    let fresh_pct = snapshot.intel_hygiene.fresh_pct;
    let outcome = match executed {
        Ok((proposal, out)) => {
            events.push(w.append(
                EventKind::ExecutionResult,
                ep,
                &ExecutionResult {
                    exec_mode: s.exec_mode.as_str().into(),
                    report: to_value(&out.report)?,
                    reward_bps: out.reward_bps.is_finite().then_some(out.reward_bps),
                },
            )?);
            let gate_input = GateInput {
                exec_mode_is_mock: s.exec_mode == ExecMode::Mock,
                learn_from_mock: s.learn_from_mock,
                fresh_pct,
                min_fresh_pct: opts.min_fresh_pct,
                episode_failed: false,
                reward: out.reward_bps,
            };
            events.push(learn(w, ep, state, &proposal, out.reward_bps, &gate_input)?);
            "ok"
        }
        Err((stage, error)) => {
            let failure = ExecutionFailure {
                stage: stage.into(),
                error: error.clone(),
                chain: vec![error],
                position_left_open: None,
                operator_alert: None,
            };
            record_failure(w, ep, &mut events, &failure)?
        }
    };
    let learn_us = t.elapsed().as_micros() as u64;
    let timings = Timings {
        intel_us,
        market_us,
        propose_us,
        execute_us,
        learn_us,
        total_us: t_start.elapsed().as_micros() as u64,
    };
    close_with_timings(w, &episode_id, events, outcome, &timings)
}

/// Records an episode's failure and the learning it therefore skips; returns `failed`.
pub(crate) fn record_failure(
    w: &mut RunWriter<'_>,
    ep: Option<&str>,
    events: &mut Vec<StoredEvent>,
    failure: &ExecutionFailure,
) -> Result<&'static str, CampaignError> {
    events.push(w.append(EventKind::ExecutionFailure, ep, failure)?);
    events.push(w.append(
        EventKind::LearningSkipped,
        ep,
        &LearningSkipped {
            reason: "episode_failed".into(),
            detail: "episode failed".into(),
        },
    )?);
    Ok("failed")
}

/// Appends the timings and closes the episode (projections recorded, flush, files).
fn close_with_timings(
    w: &mut RunWriter<'_>,
    episode_id: &str,
    mut events: Vec<StoredEvent>,
    outcome: &'static str,
    timings: &Timings,
) -> Result<&'static str, CampaignError> {
    events.push(w.append(EventKind::Timings, Some(episode_id), timings)?);
    w.close_episode(episode_id, &events, outcome, false)?;
    Ok(outcome)
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, CampaignError> {
    serde_json::to_value(v).map_err(|e| CampaignError::Internal(format!("serialize: {e}")))
}

/// The gate, then either the update folded into `state` (the same function replay
/// uses) or the reason it was skipped.
pub(crate) fn learn(
    w: &mut RunWriter<'_>,
    ep: Option<&str>,
    state: &mut LearningState,
    proposal: &crate::agent::proposal::Proposal,
    reward_bps: f64,
    input: &GateInput,
) -> Result<StoredEvent, CampaignError> {
    let skip = |w: &mut RunWriter<'_>, reason: &str, detail: String| {
        w.append(
            EventKind::LearningSkipped,
            ep,
            &LearningSkipped {
                reason: reason.into(),
                detail,
            },
        )
    };
    if let Err(reason) = gate(input) {
        return skip(w, reason.code(), reason.to_string());
    }
    let update = match LearningUpdate::from_proposal(proposal, reward_bps) {
        Ok(u) => u,
        Err(e) => return skip(w, "not_learnable", e.to_string()),
    };
    let mut next = state.clone();
    if let Err(e) = next.apply(&update) {
        return skip(w, "rejected_update", e.to_string());
    }
    let ev = w.append(
        EventKind::LearningApplied,
        ep,
        &LearningApplied {
            update: to_value(&update)?,
            state_hash_after: next.hash_hex(),
        },
    )?;
    *state = next;
    Ok(ev)
}
