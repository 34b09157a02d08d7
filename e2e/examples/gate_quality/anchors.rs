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
    let mut random = SplitMix64(seed);
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
    perf_cli::probability::t_two_sided_p(t, df) < 0.05 && mh > mb
}

/// The exact two-sided p-value of the Mann–Whitney U test: the chance,
/// over every way of splitting the pooled values into groups of these
/// sizes, of a rank sum at least as far from its mean as the one seen;
/// tied values share their mean rank.
pub(crate) fn mann_whitney_p(x: &[f64], y: &[f64]) -> f64 {
    let (n, total) = (x.len(), x.len() + y.len());
    if n == 0 || n == total {
        return 1.0;
    }
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Doubled midranks: whole numbers.
    let mut ranks = vec![0usize; total];
    let mut i = 0;
    while i < total {
        let mut j = i;
        while j + 1 < total && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        for rank in &mut ranks[i..=j] {
            *rank = i + j + 2;
        }
        i = j + 1;
    }
    let observed: usize = ranks
        .iter()
        .zip(&pooled)
        .filter(|(_, (_, in_x))| *in_x)
        .map(|(r, _)| r)
        .sum();
    // ways[k][s]: subsets of k ranks summing to s.
    let most: usize = ranks.iter().sum();
    let mut ways = vec![vec![0f64; most + 1]; n + 1];
    ways[0][0] = 1.0;
    for (seen, &rank) in ranks.iter().enumerate() {
        for k in (1..=n.min(seen + 1)).rev() {
            for s in (rank..=most).rev() {
                let add = ways[k - 1][s - rank];
                if add != 0.0 {
                    ways[k][s] += add;
                }
            }
        }
    }
    // The doubled rank sum's mean is n(N + 1).
    let distance = |s: usize| s.abs_diff(n * (total + 1));
    let far = distance(observed);
    let (mut extreme, mut all) = (0.0, 0.0);
    for (s, &count) in ways[n].iter().enumerate() {
        all += count;
        if distance(s) >= far {
            extreme += count;
        }
    }
    extreme / all
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn mean_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, variance)
}

/// SplitMix64: a tiny seeded generator for the resampling.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
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
