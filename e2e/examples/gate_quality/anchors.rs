//! The rules of the tools perf is held against, each applied to one row's
//! per-run samples (a function's time per call, or the program's wall time
//! per run): does the rule call HEAD slower than BASE?
//!
//! - **benchstat** (golang.org/x/perf): a two-sided Mann–Whitney U test at
//!   α = 0.05, one row at a time, no correction for how many rows there
//!   are; a change is reported when p < 0.05. The p-value here is exact:
//!   the permutation distribution of the rank sum, ties given midranks (as
//!   benchstat's own `UDist` counts ties exactly).
//! - **criterion**: the 95% bootstrap interval (1 000 resamples of each
//!   side, percentile interval) of the relative change of the means lies
//!   entirely above its noise band of +2%. (Criterion also wants its
//!   bootstrapped t-test's p < 0.05, which an interval clear of +2% all but
//!   implies.)
//! - **Welch** (Bencher's t-test threshold): Welch's two-sample t-test,
//!   two-sided, at α = 0.05, one row at a time.

use perf_stats::random::Rng;
use perf_stats::rank::RankTester;
use perf_stats::summary::median;

/// Whether benchstat reports HEAD slower: p < 0.05 and HEAD's median above
/// BASE's.
pub(crate) fn benchstat_slower(base: &[f64], head: &[f64]) -> bool {
    mann_whitney_p(base, head) < 0.05 && median(head) > median(base)
}

/// Whether criterion reports a regression: the 95% bootstrap interval of
/// mean(HEAD)/mean(BASE) − 1 lies above +2%. `seed` makes the resampling
/// repeatable.
pub(crate) fn criterion_slower(base: &[f64], head: &[f64], seed: u64) -> bool {
    const RESAMPLES: usize = 1_000;
    let mut random = Rng::new(seed);
    let mut resample_mean = |values: &[f64]| {
        let n = values.len() as u64;
        (0..n)
            .map(|_| values[random.below(n) as usize])
            .sum::<f64>()
            / n as f64
    };
    let mut changes: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let b = resample_mean(base);
            let h = resample_mean(head);
            h / b - 1.0
        })
        .collect();
    changes.sort_by(f64::total_cmp);
    // The 2.5th percentile, as criterion takes it (linear between ranks).
    let position = 0.025 * (RESAMPLES - 1) as f64;
    let (i, fraction) = (position.floor() as usize, position.fract());
    let lower = changes[i] + fraction * (changes[i + 1] - changes[i]);
    lower > 0.02
}

/// Whether Welch's t-test calls HEAD slower: two-sided p < 0.05 and HEAD's
/// mean above BASE's.
pub(crate) fn welch_slower(base: &[f64], head: &[f64]) -> bool {
    let (mb, vb) = mean_variance(base);
    let (mh, vh) = mean_variance(head);
    let (nb, nh) = (base.len() as f64, head.len() as f64);
    let (sb, sh) = (vb / nb, vh / nh);
    if sb + sh == 0.0 {
        return mh > mb;
    }
    let t = (mh - mb) / (sb + sh).sqrt();
    let df = (sb + sh).powi(2) / (sb * sb / (nb - 1.0) + sh * sh / (nh - 1.0));
    perf_stats::probability::t_two_sided_p(t, df) < 0.05 && mh > mb
}

/// The exact two-sided p-value of the Mann–Whitney U test, ties given
/// their mean rank: perf's own rank test, which is exact for these sizes
/// (10 a side) as benchstat's is.
pub(crate) fn mann_whitney_p(x: &[f64], y: &[f64]) -> f64 {
    RankTester::new().test(x, y).p_value
}

fn mean_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_matches_the_tables() {
        // Fully separated samples of 10 and 10: p = 2 / C(20, 10).
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = (10..20).map(f64::from).collect();
        assert!((mann_whitney_p(&x, &y) - 2.0 / 184_756.0).abs() < 1e-15);
        // Identical samples: nothing is far from the mean.
        assert_eq!(mann_whitney_p(&[1.0; 5], &[1.0; 5]), 1.0);
        // 3 and 3 with U = 1: two-sided p = 2 · 2/20 = 0.2.
        assert!((mann_whitney_p(&[1.0, 2.0, 4.0], &[3.0, 5.0, 6.0]) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn the_rules_see_a_large_shift_and_not_a_null_one() {
        let base: Vec<f64> = (0..10).map(|i| 100.0 + f64::from(i % 5)).collect();
        let head: Vec<f64> = base.iter().map(|v| v * 1.1).collect();
        assert!(benchstat_slower(&base, &head));
        assert!(criterion_slower(&base, &head, 1));
        assert!(welch_slower(&base, &head));
        assert!(!benchstat_slower(&base, &base));
        assert!(!criterion_slower(&base, &base, 1));
        assert!(!welch_slower(&base, &base));
    }
}
