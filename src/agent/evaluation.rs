//! The evaluation experiment behind `tracka evaluate`: train the learner on generated
//! markets, then run the frozen learner and every baseline on the same held-out markets
//! and compare them (pure and deterministic; the CLI does the printing and files).
//!
//! Markets: each market draws its regime preset uniformly from calm, volatile, trending
//! and mixed, the 0.05% tier's share of the noise flow from U(0.3, 0.9) (the 0.3% tier
//! gets the rest), a noise-flow multiplier from U(0.5, 2) and a gas price log-uniform in
//! `[gas_gwei_min, gas_gwei_max]` (a transaction costs gwei × 1e-9 × gas units × the last
//! pre-open price, in quote); the tape covers a warm-up window then the episode. Train, validation and evaluation markets come from disjoint
//! streams (`market/train`, `market/validate`, `market/eval` of the seed), so held-out
//! markets are never trained on and nothing is chosen by looking at them.
//!
//! An episode: the context from the warm-up window plus the gas price as fresh intel,
//! the policy's proposal, a backtest from the open to the close with the configured gas
//! and swap costs. Its reward for comparisons is in basis points of the budget (undeployed
//! capital earns 0 over HODL); the learner learns from the reward in basis points of the
//! deployed capital (see SPEC.md).

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::market::{
    generate, BacktestReport, MarketError, MarketRegime, MarketSpec, MarketTape, PositionPlan,
};

use super::context::{IntelFeatures, IntelValue, Quality};
use super::error::AgentError;
use super::gate::{gate, GateInput, DEFAULT_MIN_FRESH_PCT};
use super::policy::{policy_by_name, Policy};
use super::proposal::Proposal;
use super::reward::reward_bps;
use super::rng::stream;
use super::state::{LearningState, LearningUpdate};
use super::stats::{mean_ci, paired, MeanCi, Paired};
use super::tape_view::{build, pools_at_open};

/// Errors of an evaluation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A configuration value is out of its domain.
    #[error("bad evaluation setting {field} = {value}: {reason}")]
    BadConfig {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    /// The market generator rejected a market.
    #[error("{split} market {index}: {source}")]
    Market {
        split: &'static str,
        index: usize,
        #[source]
        source: Box<MarketError>,
    },
    /// A policy could not be built or could not propose.
    #[error("{context}: {source}")]
    Agent {
        context: String,
        #[source]
        source: AgentError,
    },
}

/// Settings of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Training markets (one exploring episode each).
    pub train: usize,
    /// Held-out evaluation markets.
    pub eval: usize,
    /// Validation markets for the learning curve's checkpoints.
    pub validation: usize,
    /// Number of learning-curve checkpoints.
    pub checkpoints: usize,
    pub seed: u64,
    /// Minutes of market before the open (the context's history).
    pub warmup_minutes: u32,
    /// Minutes from open to close.
    pub episode_minutes: u32,
    /// Capital budget per episode, quote units.
    pub budget_quote: f64,
    /// Smallest share of the budget the learner may deploy.
    pub min_size_fraction: f64,
    /// Gas price range (gwei) markets draw from, log-uniformly; equal ends fix it.
    pub gas_gwei_min: f64,
    pub gas_gwei_max: f64,
    /// Gas units of one transaction (a transaction costs gwei × 1e-9 × units × the
    /// price at the open, in quote).
    pub gas_units_per_tx: f64,
    /// Cost of the wallet's swaps, basis points.
    pub swap_cost_bps: f64,
    /// The frozen learner variants evaluated.
    pub learners: Vec<String>,
    /// The baselines evaluated.
    pub baselines: Vec<String>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            train: 400,
            eval: 100,
            validation: 30,
            checkpoints: 10,
            seed: 12345,
            warmup_minutes: 360,
            episode_minutes: 1440,
            budget_quote: 10_000.0,
            min_size_fraction: 0.25,
            gas_gwei_min: 2.0,
            gas_gwei_max: 60.0,
            gas_units_per_tx: 150_000.0,
            swap_cost_bps: 5.0,
            learners: vec!["learner-greedy".into(), "learner-greedy-fullsize".into()],
            baselines: default_baselines(),
        }
    }
}

/// The baselines `tracka evaluate` runs: passive full range in the busiest pool; and
/// pinned to each fee tier (0.05% and 0.3%): passive, fixed widths of ±100, ±300, ±1000,
/// ±3000 and ±10000 ticks, and τ-reset on the grid ±{100, 300, 1000, 3000} ticks ×
/// re-centred after {10, 60, 240} minutes out of range, so the strongest fixed width and
/// τ-reset in hindsight are among them.
pub fn default_baselines() -> Vec<String> {
    let mut out = vec!["passive".to_string()];
    for fee in TIERS {
        out.push(format!("passive@{fee}"));
        for half in [100, 300, 1000, 3000, 10000] {
            out.push(format!("fixed:{half}@{fee}"));
        }
        for half in [100, 300, 1000, 3000] {
            for minutes in [10, 60, 240] {
                out.push(format!("tau-reset:{half}:{minutes}@{fee}"));
            }
        }
    }
    out
}

/// Fee tiers of the generated markets the baselines are pinned to.
const TIERS: [u32; 2] = [500, 3000];

impl EvalConfig {
    /// Checks every setting and that every policy name parses.
    pub fn validate(&self) -> Result<(), EvalError> {
        let bad = |field, value: String, reason| {
            Err(EvalError::BadConfig {
                field,
                value,
                reason,
            })
        };
        if self.eval == 0 {
            return bad("eval", "0".into(), "need at least one held-out market");
        }
        if self.warmup_minutes < 2 {
            return bad(
                "warmup_minutes",
                self.warmup_minutes.to_string(),
                "need at least 2",
            );
        }
        if self.episode_minutes == 0 {
            return bad("episode_minutes", "0".into(), "must be positive");
        }
        if !(self.budget_quote.is_finite() && self.budget_quote > 0.0) {
            return bad(
                "budget_quote",
                self.budget_quote.to_string(),
                "must be positive",
            );
        }
        if !(self.min_size_fraction > 0.0 && self.min_size_fraction <= 1.0) {
            return bad(
                "min_size_fraction",
                self.min_size_fraction.to_string(),
                "must be in (0, 1]",
            );
        }
        if !(self.gas_gwei_min.is_finite() && self.gas_gwei_min > 0.0) {
            return bad(
                "gas_gwei_min",
                self.gas_gwei_min.to_string(),
                "must be positive",
            );
        }
        if !(self.gas_gwei_max.is_finite() && self.gas_gwei_max >= self.gas_gwei_min) {
            return bad(
                "gas_gwei_max",
                self.gas_gwei_max.to_string(),
                "must be >= gas_gwei_min",
            );
        }
        if !(self.gas_units_per_tx.is_finite() && self.gas_units_per_tx >= 0.0) {
            return bad(
                "gas_units_per_tx",
                self.gas_units_per_tx.to_string(),
                "must be >= 0",
            );
        }
        if !(self.swap_cost_bps.is_finite() && (0.0..10_000.0).contains(&self.swap_cost_bps)) {
            return bad(
                "swap_cost_bps",
                self.swap_cost_bps.to_string(),
                "must be in [0, 10000)",
            );
        }
        for name in self.learners.iter().chain(&self.baselines) {
            policy_by_name(name).map_err(|source| EvalError::Agent {
                context: "policy list".into(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Which set a market belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Validate,
    Eval,
}

impl Split {
    fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validate => "validate",
            Split::Eval => "eval",
        }
    }
}

/// One generated market with its episode window.
#[derive(Debug, Clone)]
pub struct Market {
    pub split: Split,
    pub index: usize,
    pub regime: MarketRegime,
    pub tape: MarketTape,
    pub open_ts: u64,
    pub close_ts: u64,
    /// Gas price of the market's episode (gwei), known before the open (as fresh intel).
    pub gas_gwei: f64,
    /// Gas cost of one transaction in quote at the last pre-open price.
    pub gas_cost_quote_per_tx: f64,
}

const REGIMES: [MarketRegime; 4] = [
    MarketRegime::Calm,
    MarketRegime::Volatile,
    MarketRegime::Trending,
    MarketRegime::Mixed,
];

/// Name of a regime preset.
pub fn regime_name(r: MarketRegime) -> &'static str {
    match r {
        MarketRegime::Calm => "calm",
        MarketRegime::Volatile => "volatile",
        MarketRegime::Trending => "trending",
        MarketRegime::Mixed => "mixed",
    }
}

/// Market `index` of `split` (see the module docs for what is drawn).
pub fn market(cfg: &EvalConfig, split: Split, index: usize) -> Result<Market, EvalError> {
    let mut rng = stream(cfg.seed, index as u64, &format!("market/{}", split.name()));
    let regime = REGIMES[rng.gen_range(0..REGIMES.len())];
    let mut spec = MarketSpec::regime(regime);
    spec.minutes = cfg.warmup_minutes + cfg.episode_minutes;
    let share: f64 = rng.gen_range(0.3..0.9);
    if let [low, high, ..] = spec.tiers.as_mut_slice() {
        low.flow_share = share;
        high.flow_share = 1.0 - share;
    }
    spec.swaps_per_minute *= rng.gen_range(0.5..2.0);
    let tape_seed: u64 = rng.gen();
    let u: f64 = rng.gen();
    let gas_gwei = (cfg.gas_gwei_min.ln() + u * (cfg.gas_gwei_max / cfg.gas_gwei_min).ln()).exp();
    let tape = generate(&spec, tape_seed).map_err(|source| EvalError::Market {
        split: split.name(),
        index,
        source: Box::new(source),
    })?;
    let open_ts = spec.start_ts + u64::from(cfg.warmup_minutes) * 60;
    let price = tape
        .reference
        .iter()
        .take_while(|r| r.0 < open_ts)
        .last()
        .map_or(spec.start_price, |r| r.1);
    Ok(Market {
        gas_gwei,
        gas_cost_quote_per_tx: gas_gwei * 1e-9 * cfg.gas_units_per_tx * price,
        split,
        index,
        regime,
        tape,
        open_ts,
        close_ts: open_ts + u64::from(cfg.episode_minutes) * 60,
    })
}

/// The backtest plan of a proposal (the same mapping mock execution uses).
pub fn plan_for(p: &Proposal, m: &Market, cfg: &EvalConfig) -> PositionPlan {
    let costs = crate::exec::mock::MockCosts {
        gas_cost_quote_per_tx: m.gas_cost_quote_per_tx,
        swap_cost_bps: cfg.swap_cost_bps,
    };
    crate::exec::mock::plan_for(p, m.open_ts, Some(m.close_ts), &costs)
}

/// One policy on one market.
#[derive(Debug, Clone)]
pub struct Episode {
    pub proposal: Proposal,
    /// The backtest, or why it failed.
    pub report: Result<BacktestReport, String>,
    /// Reward in basis points of the deployed capital (NaN when the backtest failed).
    pub reward_deployed_bps: f64,
    /// Reward in basis points of the budget (0 when the backtest failed).
    pub reward_budget_bps: f64,
}

/// Runs `policy` on `m` with the state and the draw stream `(seed, episode, purpose)`.
pub fn run_episode(
    policy: &dyn Policy,
    state: &LearningState,
    m: &Market,
    cfg: &EvalConfig,
    purpose: &str,
) -> Result<Episode, EvalError> {
    let agent_err = |source| EvalError::Agent {
        context: format!("{} market {}: {}", m.split.name(), m.index, policy.name()),
        source,
    };
    let intel = IntelFeatures {
        gas_price_gwei: IntelValue {
            value: Some(m.gas_gwei),
            quality: Quality::Fresh,
        },
        ..IntelFeatures::default()
    };
    let ctx = build(&m.tape, m.open_ts, Some(&intel));
    let pools = pools_at_open(&m.tape, m.open_ts, cfg.budget_quote, cfg.min_size_fraction)
        .map_err(agent_err)?;
    let mut rng = stream(cfg.seed, m.index as u64, purpose);
    let proposal = policy
        .propose(&ctx, state, &pools, &mut rng)
        .map_err(agent_err)?;
    let plan = plan_for(&proposal, m, cfg);
    let report = crate::market::run(&m.tape, &plan).map_err(|e| e.to_string());
    let (deployed, budget) = match &report {
        Ok(r) => {
            let d = reward_bps(r, proposal.capital_quote);
            (d, d * proposal.capital_quote / cfg.budget_quote)
        }
        Err(_) => (f64::NAN, 0.0),
    };
    Ok(Episode {
        proposal,
        report,
        reward_deployed_bps: deployed,
        reward_budget_bps: budget,
    })
}

/// One point of the learning curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Training episodes done.
    pub episodes: usize,
    /// Mean budget reward of the training episodes since the previous point.
    pub train_reward_bps: f64,
    /// Mean budget reward of the frozen learner on the validation markets.
    pub validation_reward_bps: f64,
}

/// The result of training.
#[derive(Debug, Clone)]
pub struct Training {
    pub state: LearningState,
    /// The applied updates, in order (replaying them gives `state`).
    pub updates: Vec<LearningUpdate>,
    /// Training episodes whose update the gates skipped, with the reason code.
    pub skipped: Vec<(usize, String)>,
    pub curve: Vec<CurvePoint>,
}

fn validation_reward(
    cfg: &EvalConfig,
    state: &LearningState,
    markets: &[Market],
) -> Result<f64, EvalError> {
    let greedy = policy_by_name("learner-greedy").map_err(|source| EvalError::Agent {
        context: "validation".into(),
        source,
    })?;
    let mut rewards = Vec::with_capacity(markets.len());
    for m in markets {
        rewards.push(
            run_episode(greedy.as_ref(), state, m, cfg, "propose/validate")?.reward_budget_bps,
        );
    }
    Ok(mean_ci(&rewards).mean)
}

/// Trains the exploring learner on `cfg.train` markets. `progress(done, total)` is
/// called after each episode.
pub fn train(
    cfg: &EvalConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Training, EvalError> {
    cfg.validate()?;
    let learner = policy_by_name("learner").map_err(|source| EvalError::Agent {
        context: "training".into(),
        source,
    })?;
    let validation: Vec<Market> = (0..cfg.validation)
        .map(|i| market(cfg, Split::Validate, i))
        .collect::<Result<_, _>>()?;
    let checkpoints: Vec<usize> = (0..=cfg.checkpoints)
        .map(|k| k * cfg.train / cfg.checkpoints.max(1))
        .collect();
    let mut state = LearningState::default();
    let mut updates = Vec::new();
    let mut skipped = Vec::new();
    let mut curve = Vec::new();
    let mut window: Vec<f64> = Vec::new();
    if !validation.is_empty() {
        curve.push(CurvePoint {
            episodes: 0,
            train_reward_bps: 0.0,
            validation_reward_bps: validation_reward(cfg, &state, &validation)?,
        });
    }
    for i in 0..cfg.train {
        let m = market(cfg, Split::Train, i)?;
        let ep = run_episode(learner.as_ref(), &state, &m, cfg, "propose")?;
        window.push(ep.reward_budget_bps);
        let input = GateInput {
            exec_mode_is_mock: true,
            learn_from_mock: true,
            fresh_pct: 100.0,
            min_fresh_pct: DEFAULT_MIN_FRESH_PCT,
            episode_failed: ep.report.is_err(),
            reward: ep.reward_deployed_bps,
        };
        match gate(&input) {
            Ok(()) => {
                let u = LearningUpdate::from_proposal(&ep.proposal, ep.reward_deployed_bps)
                    .map_err(|source| EvalError::Agent {
                        context: format!("train market {i}"),
                        source,
                    })?;
                state.apply(&u).map_err(|source| EvalError::Agent {
                    context: format!("train market {i}"),
                    source,
                })?;
                updates.push(u);
            }
            Err(reason) => skipped.push((i, reason.code().to_string())),
        }
        progress(i + 1, cfg.train);
        if !validation.is_empty() && checkpoints.contains(&(i + 1)) {
            curve.push(CurvePoint {
                episodes: i + 1,
                train_reward_bps: mean_ci(&window).mean,
                validation_reward_bps: validation_reward(cfg, &state, &validation)?,
            });
            window.clear();
        }
    }
    Ok(Training {
        state,
        updates,
        skipped,
        curve,
    })
}

/// One policy's results on the held-out markets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    /// Budget reward per held-out market, in market order.
    pub rewards_bps: Vec<f64>,
    pub summary: MeanCi,
    /// Backtests that failed (counted as reward 0).
    pub failures: usize,
    /// Held-out market index and error of each failed backtest.
    pub errors: Vec<(usize, String)>,
    /// Mean budget reward per regime preset.
    pub by_regime: BTreeMap<String, f64>,
    /// How often each action key was chosen.
    pub actions: BTreeMap<String, usize>,
}

/// A learner against a baseline on the same markets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub learner: String,
    pub baseline: String,
    pub paired: Paired,
}

/// Everything `tracka evaluate` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub config: EvalConfig,
    /// Hash of the frozen learning state evaluated.
    pub state_hash: String,
    pub updates_applied: usize,
    pub updates_skipped: usize,
    /// Regime of each held-out market.
    pub regimes: Vec<String>,
    pub policies: Vec<PolicyResult>,
    pub comparisons: Vec<Comparison>,
    /// The fixed-width baseline with the best mean on the held-out markets.
    pub best_fixed_in_hindsight: Option<String>,
    /// The τ-reset baseline with the best mean on the held-out markets.
    pub best_tau_reset_in_hindsight: Option<String>,
    pub curve: Vec<CurvePoint>,
}

/// Runs every learner variant (frozen at `training.state`) and baseline on the
/// `cfg.eval` held-out markets and compares them.
pub fn evaluate(
    cfg: &EvalConfig,
    training: &Training,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EvalReport, EvalError> {
    cfg.validate()?;
    let names: Vec<&String> = cfg.learners.iter().chain(&cfg.baselines).collect();
    let policies: Vec<Box<dyn Policy>> = names
        .iter()
        .map(|n| {
            policy_by_name(n).map_err(|source| EvalError::Agent {
                context: "policy list".into(),
                source,
            })
        })
        .collect::<Result<_, _>>()?;
    let mut rewards: Vec<Vec<f64>> = vec![Vec::new(); policies.len()];
    let mut errors: Vec<Vec<(usize, String)>> = vec![Vec::new(); policies.len()];
    let mut actions: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); policies.len()];
    let mut regimes = Vec::with_capacity(cfg.eval);
    for i in 0..cfg.eval {
        let m = market(cfg, Split::Eval, i)?;
        regimes.push(regime_name(m.regime).to_string());
        for (k, p) in policies.iter().enumerate() {
            let ep = run_episode(p.as_ref(), &training.state, &m, cfg, "propose/eval")?;
            if let Err(e) = &ep.report {
                errors[k].push((i, e.clone()));
            }
            rewards[k].push(ep.reward_budget_bps);
            *actions[k]
                .entry(format!(
                    "{}@{}",
                    ep.proposal.action.key,
                    if ep.proposal.action.size_fraction < 1.0 {
                        "part"
                    } else {
                        "full"
                    }
                ))
                .or_default() += 1;
        }
        progress(i + 1, cfg.eval);
    }
    let mut results = Vec::with_capacity(policies.len());
    for (k, name) in names.iter().enumerate() {
        let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (r, reg) in rewards[k].iter().zip(&regimes) {
            by.entry(reg.clone()).or_default().push(*r);
        }
        results.push(PolicyResult {
            policy: (*name).clone(),
            summary: mean_ci(&rewards[k]),
            rewards_bps: rewards[k].clone(),
            failures: errors[k].len(),
            errors: errors[k].clone(),
            by_regime: by.into_iter().map(|(k, v)| (k, mean_ci(&v).mean)).collect(),
            actions: actions[k].clone(),
        });
    }
    let mut comparisons = Vec::new();
    for l in results.iter().take(cfg.learners.len()) {
        for b in results.iter().skip(cfg.learners.len()) {
            comparisons.push(Comparison {
                learner: l.policy.clone(),
                baseline: b.policy.clone(),
                paired: paired(&l.rewards_bps, &b.rewards_bps),
            });
        }
    }
    let best_in_hindsight = |prefix: &str| {
        results
            .iter()
            .filter(|r| r.policy.starts_with(prefix))
            .max_by(|a, b| a.summary.mean.total_cmp(&b.summary.mean))
            .map(|r| r.policy.clone())
    };
    let best_fixed_in_hindsight = best_in_hindsight("fixed:");
    let best_tau_reset_in_hindsight = best_in_hindsight("tau-reset:");
    Ok(EvalReport {
        config: cfg.clone(),
        state_hash: training.state.hash_hex(),
        updates_applied: training.updates.len(),
        updates_skipped: training.skipped.len(),
        regimes,
        policies: results,
        comparisons,
        best_fixed_in_hindsight,
        best_tau_reset_in_hindsight,
        curve: training.curve.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> EvalConfig {
        EvalConfig {
            train: 12,
            eval: 4,
            validation: 2,
            checkpoints: 2,
            warmup_minutes: 120,
            episode_minutes: 240,
            seed: 5,
            learners: vec!["learner-greedy".into()],
            baselines: vec![
                "passive".into(),
                "fixed:300@3000".into(),
                "tau-reset:100:60".into(),
            ],
            ..EvalConfig::default()
        }
    }

    #[test]
    fn same_seed_same_training_same_state_and_replay_agrees() {
        let cfg = small();
        let a = train(&cfg, &mut |_, _| {}).unwrap();
        let b = train(&cfg, &mut |_, _| {}).unwrap();
        assert_eq!(a.state.hash(), b.state.hash());
        assert_eq!(a.updates.len() + a.skipped.len(), cfg.train);
        let replayed = LearningState::replay(&a.updates).unwrap();
        assert_eq!(replayed.hash(), a.state.hash());
        // the curve has the start and every checkpoint
        let eps: Vec<usize> = a.curve.iter().map(|p| p.episodes).collect();
        assert_eq!(eps, vec![0, 6, 12]);
        let other = train(&EvalConfig { seed: 6, ..cfg }, &mut |_, _| {}).unwrap();
        assert_ne!(other.state.hash(), a.state.hash());
    }

    #[test]
    fn held_out_markets_differ_from_training_markets() {
        let cfg = small();
        let t = market(&cfg, Split::Train, 0).unwrap();
        let e = market(&cfg, Split::Eval, 0).unwrap();
        let v = market(&cfg, Split::Validate, 0).unwrap();
        assert_ne!(t.tape.reference, e.tape.reference);
        assert_ne!(v.tape.reference, e.tape.reference);
        assert_eq!(
            market(&cfg, Split::Eval, 0).unwrap().tape.reference,
            e.tape.reference
        );
        assert_eq!(e.close_ts - e.open_ts, 240 * 60);
        assert!(e.gas_gwei >= cfg.gas_gwei_min && e.gas_gwei <= cfg.gas_gwei_max);
    }

    #[test]
    fn evaluation_is_paired_and_deterministic() {
        let cfg = small();
        let t = train(&cfg, &mut |_, _| {}).unwrap();
        let r = evaluate(&cfg, &t, &mut |_, _| {}).unwrap();
        assert_eq!(r.policies.len(), 4);
        assert_eq!(r.comparisons.len(), 3);
        assert!(r.policies.iter().all(|p| p.rewards_bps.len() == 4));
        assert!(r
            .policies
            .iter()
            .flat_map(|p| &p.rewards_bps)
            .all(|x| x.is_finite()));
        let cmp = &r.comparisons[0];
        let l = &r.policies[0].rewards_bps;
        let b = &r.policies[1].rewards_bps;
        let mean: f64 = l.iter().zip(b).map(|(x, y)| x - y).sum::<f64>() / 4.0;
        assert!((cmp.paired.diff.mean - mean).abs() < 1e-9);
        assert_eq!(r.best_fixed_in_hindsight.as_deref(), Some("fixed:300@3000"));
        assert_eq!(
            r.best_tau_reset_in_hindsight.as_deref(),
            Some("tau-reset:100:60")
        );
        let again = evaluate(&cfg, &t, &mut |_, _| {}).unwrap();
        assert_eq!(again, r);
    }

    #[test]
    fn default_baselines_cover_the_tau_reset_grid_in_each_tier() {
        let b = default_baselines();
        let cfg = EvalConfig::default();
        assert!(cfg.validate().is_ok());
        assert_eq!(b.len(), 37);
        for fee in TIERS {
            assert!(b.contains(&format!("passive@{fee}")));
            for half in [100, 300, 1000, 3000] {
                for minutes in [10, 60, 240] {
                    assert!(b.contains(&format!("tau-reset:{half}:{minutes}@{fee}")));
                }
            }
        }
        let unique: std::collections::BTreeSet<&String> = b.iter().collect();
        assert_eq!(unique.len(), b.len());
    }

    #[test]
    fn bad_settings_are_rejected() {
        let bad = [
            EvalConfig { eval: 0, ..small() },
            EvalConfig {
                budget_quote: -1.0,
                ..small()
            },
            EvalConfig {
                gas_gwei_max: 1.0,
                ..small()
            },
            EvalConfig {
                swap_cost_bps: f64::NAN,
                ..small()
            },
            EvalConfig {
                baselines: vec!["nope".into()],
                ..small()
            },
        ];
        for cfg in bad {
            assert!(cfg.validate().is_err(), "{cfg:?}");
        }
    }

    #[test]
    fn reward_matches_the_report() {
        let cfg = small();
        let m = market(&cfg, Split::Eval, 1).unwrap();
        let p = policy_by_name("passive").unwrap();
        let ep = run_episode(p.as_ref(), &LearningState::default(), &m, &cfg, "t").unwrap();
        let r = ep.report.as_ref().unwrap();
        let expect = (r.final_value_quote - r.hodl_value_quote) / ep.proposal.capital_quote * 1e4;
        assert_eq!(ep.reward_deployed_bps, expect);
        assert_eq!(ep.reward_budget_bps, expect);
        assert!(r.gas_cost_quote > 0.0);
    }
}
