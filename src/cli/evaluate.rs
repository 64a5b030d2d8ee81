//! `tracka evaluate`: trains the learner on generated markets, evaluates the frozen
//! learner and the baselines on held-out markets, prints the comparison table and writes
//! the report, the learning curve (CSV and SVG) and the applied learning updates.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::exit;
use crate::agent::evaluation::{evaluate, train, CurvePoint, EvalConfig, EvalError, EvalReport};

/// Arguments of `tracka evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Number of training markets (one exploring learner episode each).
    #[arg(long, default_value_t = 400)]
    pub train: usize,
    /// Number of held-out markets every policy is evaluated on.
    #[arg(long, default_value_t = 100)]
    pub eval: usize,
    /// Seed of every market and random draw (train, validation and evaluation markets
    /// come from disjoint streams of it).
    #[arg(long, env = "HB_SEED", default_value_t = 12345)]
    pub seed: u64,
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Directory for eval.json, learning_curve.csv, learning_curve.svg and
    /// learning_updates.jsonl (created if missing).
    #[arg(long, default_value = "data/eval")]
    pub out: PathBuf,
    /// Number of validation markets scored at each learning-curve checkpoint (0: no
    /// curve).
    #[arg(long, default_value_t = 30)]
    pub validation: usize,
    /// Number of learning-curve checkpoints during training.
    #[arg(long, default_value_t = 10)]
    pub checkpoints: usize,
    /// Minutes of market history before each episode's open (the context's window).
    #[arg(long, default_value_t = 360)]
    pub warmup_minutes: u32,
    /// Minutes from open to close of each episode.
    #[arg(long, default_value_t = 1440)]
    pub episode_minutes: u32,
    /// Capital budget per episode, in quote units.
    #[arg(long, default_value_t = 10_000.0)]
    pub budget: f64,
    /// Lowest gas price (gwei) a market draws (log-uniform between min and max; the
    /// agent sees it as fresh intel before the open).
    #[arg(long, default_value_t = 2.0)]
    pub gas_gwei_min: f64,
    /// Highest gas price (gwei) a market draws.
    #[arg(long, default_value_t = 60.0)]
    pub gas_gwei_max: f64,
    /// Gas units per transaction (cost = gwei × 1e-9 × units × price, in quote).
    #[arg(long, default_value_t = 150_000.0)]
    pub gas_units: f64,
    /// Cost of the position's swaps (opening split, rebalances), in basis points.
    #[arg(long, default_value_t = 5.0)]
    pub swap_bps: f64,
    /// Do not print progress on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Baselines to evaluate, comma-separated policy names (e.g.
    /// `passive,fixed:300@3000,tau-reset:100:60@3000`); default: the standard list (see
    /// SPEC.md).
    #[arg(long, value_delimiter = ',')]
    pub baselines: Option<Vec<String>>,
}

impl EvaluateArgs {
    fn config(&self) -> EvalConfig {
        EvalConfig {
            train: self.train,
            eval: self.eval,
            validation: self.validation,
            checkpoints: self.checkpoints,
            seed: self.seed,
            warmup_minutes: self.warmup_minutes,
            episode_minutes: self.episode_minutes,
            budget_quote: self.budget,
            gas_gwei_min: self.gas_gwei_min,
            gas_gwei_max: self.gas_gwei_max,
            gas_units_per_tx: self.gas_units,
            swap_cost_bps: self.swap_bps,
            baselines: self
                .baselines
                .clone()
                .unwrap_or_else(crate::agent::evaluation::default_baselines),
            ..EvalConfig::default()
        }
    }
}

/// Runs `tracka evaluate`.
pub fn run(args: &EvaluateArgs) -> anyhow::Result<i32> {
    let cfg = args.config();
    if let Err(e) = cfg.validate() {
        eprintln!("error: {e}");
        return Ok(exit::USAGE);
    }
    let quiet = args.quiet;
    let progress = |what: &str, done: usize, total: usize| {
        if !quiet && (done == total || done % 50 == 0) {
            eprintln!("{what}: {done}/{total}");
        }
    };
    let training = match train(&cfg, &mut |d, t| progress("train", d, t)) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let report = match evaluate(&cfg, &training, &mut |d, t| progress("eval", d, t)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    write_outputs(&args.out, &report, &training.updates)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
        println!("wrote {}", args.out.display());
    }
    Ok(exit::OK)
}

fn fail(e: &EvalError) -> anyhow::Result<i32> {
    eprintln!("error: {e}");
    Ok(match e {
        EvalError::BadConfig { .. } => exit::USAGE,
        _ => exit::FAILED,
    })
}

fn write_outputs(
    out: &Path,
    report: &EvalReport,
    updates: &[crate::agent::LearningUpdate],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let write = |name: &str, text: String| -> anyhow::Result<()> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write("eval.json", serde_json::to_string_pretty(report)? + "\n")?;
    write("learning_curve.csv", curve_csv(&report.curve))?;
    write("learning_curve.svg", curve_svg(&report.curve))?;
    let mut lines = String::new();
    for u in updates {
        lines.push_str(&serde_json::to_string(u)?);
        lines.push('\n');
    }
    write("learning_updates.jsonl", lines)?;
    Ok(())
}

/// The comparison table printed by `tracka evaluate`.
pub fn table(r: &EvalReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "tracka evaluate: {} training markets ({} updates, {} skipped), {} held-out markets, seed {}",
        c.train, r.updates_applied, r.updates_skipped, c.eval, c.seed
    );
    let _ = writeln!(s, "learning state {}", r.state_hash);
    let _ = writeln!(
        s,
        "reward = LP value + fees - gas - swap costs - HODL, bps of the {} budget, {} min episodes\n",
        c.budget_quote, c.episode_minutes
    );
    let _ = writeln!(
        s,
        "{:<26} {:>9} {:>21} {:>8}",
        "policy", "mean bps", "95% CI", "failures"
    );
    for p in &r.policies {
        let _ = writeln!(
            s,
            "{:<26} {:>9.2} [{:>8.2}, {:>8.2}] {:>8}",
            p.policy, p.summary.mean, p.summary.ci_low, p.summary.ci_high, p.failures
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<26} {:<20} {:>9} {:>21} {:>8}",
        "learner", "vs baseline", "diff bps", "95% CI", "win rate"
    );
    for cmp in &r.comparisons {
        let d = &cmp.paired.diff;
        let _ = writeln!(
            s,
            "{:<26} {:<20} {:>9.2} [{:>8.2}, {:>8.2}] {:>7.1}%",
            cmp.learner,
            cmp.baseline,
            d.mean,
            d.ci_low,
            d.ci_high,
            cmp.paired.win_rate * 100.0
        );
    }
    if let Some(best) = &r.best_fixed_in_hindsight {
        let _ = writeln!(s, "\nbest fixed width in hindsight: {best}");
    }
    if let Some(best) = &r.best_tau_reset_in_hindsight {
        let _ = writeln!(s, "best tau-reset in hindsight: {best}");
    }
    let regimes: std::collections::BTreeSet<&String> = r.regimes.iter().collect();
    let _ = write!(s, "\nmean bps by regime          ");
    for reg in &regimes {
        let n = r.regimes.iter().filter(|x| x == reg).count();
        let _ = write!(s, " {:>14}", format!("{reg} ({n})"));
    }
    let _ = writeln!(s);
    for p in &r.policies {
        let _ = write!(s, "{:<27}", p.policy);
        for reg in &regimes {
            let _ = write!(
                s,
                " {:>14.2}",
                p.by_regime.get(*reg).copied().unwrap_or(0.0)
            );
        }
        let _ = writeln!(s);
    }
    s
}

/// The learning curve as CSV: `episodes,train_reward_bps,validation_reward_bps`.
pub fn curve_csv(curve: &[CurvePoint]) -> String {
    let mut s = String::from("episodes,train_reward_bps,validation_reward_bps\n");
    for p in curve {
        let _ = writeln!(
            s,
            "{},{},{}",
            p.episodes, p.train_reward_bps, p.validation_reward_bps
        );
    }
    s
}

/// The learning curve as a small hand-written SVG line chart (validation reward of the
/// frozen learner, and the training episodes' mean reward, against episodes).
pub fn curve_svg(curve: &[CurvePoint]) -> String {
    let (w, h, m) = (640.0, 360.0, 50.0);
    let xmax = curve.iter().map(|p| p.episodes).max().unwrap_or(1).max(1) as f64;
    let ys = curve
        .iter()
        .flat_map(|p| [p.validation_reward_bps, p.train_reward_bps])
        .filter(|y| y.is_finite());
    let (mut ymin, mut ymax) = ys.fold((0.0f64, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    if ymax - ymin < 1e-9 {
        ymin -= 1.0;
        ymax += 1.0;
    }
    let px = |x: f64| m + x / xmax * (w - 2.0 * m);
    let py = |y: f64| h - m - (y - ymin) / (ymax - ymin) * (h - 2.0 * m);
    let line = |f: &dyn Fn(&CurvePoint) -> f64| {
        curve
            .iter()
            .filter(|p| f(p).is_finite())
            .map(|p| format!("{:.1},{:.1}", px(p.episodes as f64), py(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14">Learning curve: reward (bps of budget) vs training episodes</text>"#,
        w / 2.0
    );
    // axes
    let _ = writeln!(
        s,
        r#"<line x1="{m}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{m}" y1="{m}" x2="{m}" y2="{}" stroke="black"/>"#,
        h - m,
        w - m,
        h - m,
        h - m
    );
    if ymin < 0.0 && ymax > 0.0 {
        let _ = writeln!(
            s,
            r##"<line x1="{m}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#999" stroke-dasharray="4 3"/>"##,
            py(0.0),
            w - m
        );
    }
    for k in 0..=4 {
        let y = ymin + (ymax - ymin) * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{y:.1}</text>"#,
            m - 4.0,
            py(y) + 4.0
        );
        let x = xmax * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{x:.0}</text>"#,
            px(x),
            h - m + 16.0
        );
    }
    let _ = writeln!(
        s,
        r##"<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{}"/>"##,
        line(&|p| p.validation_reward_bps)
    );
    let _ = writeln!(
        s,
        r##"<polyline fill="none" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="5 3" points="{}"/>"##,
        line(&|p| p.train_reward_bps)
    );
    let _ = writeln!(
        s,
        r##"<text x="{0}" y="{1}" fill="#1f77b4">frozen learner on validation markets</text><text x="{0}" y="{2}" fill="#ff7f0e">exploring learner, training episodes</text>"##,
        m + 10.0,
        m + 12.0,
        m + 28.0
    );
    s.push_str("</svg>\n");
    s
}
