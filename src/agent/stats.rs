//! Summary statistics for evaluations: mean with a 95% Student-t confidence interval,
//! and paired comparisons (mean difference, its interval, win rate).

use serde::{Deserialize, Serialize};

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 97.5% quantile of Student's t with `df` degrees of freedom (table up to 30, then
/// the Cornish–Fisher expansion around 1.95996, accurate to 1e-3 there).
pub fn t975(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    if let Some(t) = T975.get(df - 1) {
        return *t;
    }
    let z = 1.959_963_984_540_054_f64;
    let n = df as f64;
    z + (z.powi(3) + z) / (4.0 * n)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
}

/// Mean and 95% confidence interval of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanCi {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub std_dev: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Mean and 95% t-interval; an empty sample gives zeros, a single value a zero-width
/// interval.
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi {
            n,
            mean: 0.0,
            std_dev: 0.0,
            ci_low: 0.0,
            ci_high: 0.0,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return MeanCi {
            n,
            mean,
            std_dev: 0.0,
            ci_low: mean,
            ci_high: mean,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.max(0.0).sqrt();
    let half = t975(n - 1) * sd / (n as f64).sqrt();
    MeanCi {
        n,
        mean,
        std_dev: sd,
        ci_low: mean - half,
        ci_high: mean + half,
    }
}

/// A paired comparison of `a` against `b` on the same markets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// `a − b`, mean and interval.
    pub diff: MeanCi,
    /// Share of markets where `a > b` (ties count half).
    pub win_rate: f64,
}

/// Paired differences `a[i] − b[i]` (the shorter length is used).
pub fn paired(a: &[f64], b: &[f64]) -> Paired {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let wins: f64 = diffs
        .iter()
        .map(|d| {
            if *d > 0.0 {
                1.0
            } else if *d == 0.0 {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    let win_rate = if diffs.is_empty() {
        0.0
    } else {
        wins / diffs.len() as f64
    };
    Paired {
        diff: mean_ci(&diffs),
        win_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_a_known_sample() {
        // mean 3, sd √2.5, t(4) = 2.776 → half-width 2.776·1.5811/√5 = 1.963
        let m = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m.mean, 3.0);
        assert!((m.ci_high - 3.0 - 1.9630).abs() < 1e-3, "{m:?}");
        assert!((m.ci_low + m.ci_high - 6.0).abs() < 1e-12);
        assert_eq!(mean_ci(&[]).n, 0);
        assert_eq!(mean_ci(&[7.0]).ci_low, 7.0);
    }

    #[test]
    fn t_quantiles_join_smoothly() {
        assert!((t975(31) - 2.0395).abs() < 2e-3, "{}", t975(31));
        assert!((t975(60) - 2.0003).abs() < 2e-3);
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        assert!(t975(0).is_infinite());
    }

    #[test]
    fn paired_win_rate_counts_ties_half() {
        let p = paired(&[1.0, 2.0, 3.0, 4.0], &[0.0, 2.0, 5.0, 1.0]);
        assert_eq!(p.win_rate, 0.625);
        assert_eq!(p.diff.mean, 0.5);
    }
}
