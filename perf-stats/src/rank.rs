//! Statistics for two sets of samples: the Mann–Whitney U test (exact for
//! small samples, ties included), the Hodges–Lehmann estimate of the shift
//! between them with its distribution-free confidence interval ([`crate::fdr`]
//! adjusts many such tests at once).
//!
//! Samples here are one per run (or one per criterion sample), so the tests
//! must be valid for 5 against 5. They make no assumption about the shape of
//! the noise: timing noise is skewed and has outliers, which rank methods
//! shrug off.

use std::collections::HashMap;
use std::rc::Rc;

use crate::probability::normal_quantile;

/// Pooled sample sizes up to this use the exact null distribution; above
/// it the normal approximation (with tie and continuity corrections) is
/// accurate unless one side is very small.
const EXACT_UP_TO: usize = 60;
/// A side this small keeps the exact distribution cheap for any pooled
/// size up to [`EXACT_SMALL_SIDE_UP_TO`], where the approximation is poor.
const EXACT_SMALL_SIDE: usize = 5;
/// The largest pooled size for which a small side stays exact.
const EXACT_SMALL_SIDE_UP_TO: usize = 400;

/// Whether `n` against `m` samples use the exact distribution.
fn exact(n: usize, m: usize) -> bool {
    n + m <= EXACT_UP_TO || (n.min(m) <= EXACT_SMALL_SIDE && n + m <= EXACT_SMALL_SIDE_UP_TO)
}

/// The outcome of a Mann–Whitney U test of `current` against `baseline`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankTest {
    /// U of the current samples: the number of (baseline, current) pairs in
    /// which the current one is larger, ties counting one half.
    pub u: f64,
    /// Two-sided p-value: how often samples from one distribution would look
    /// at least this different.
    pub p_value: f64,
    /// Whether `p_value` comes from the exact distribution (else the normal
    /// approximation).
    pub exact: bool,
}

/// Runs Mann–Whitney U tests, keeping the exact null distributions it has
/// computed: they depend only on the sample sizes and the pattern of ties.
#[derive(Debug, Default)]
pub struct RankTester {
    exact: HashMap<(usize, Vec<u32>), Rc<Vec<f64>>>,
    critical: HashMap<(usize, usize, u64), Option<usize>>,
}

impl RankTester {
    /// A tester with no distributions computed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tests whether `baseline` and `current` come from the same
    /// distribution. Both must be non-empty and free of NaN.
    pub fn test(&mut self, baseline: &[f64], current: &[f64]) -> RankTest {
        let n = baseline.len();
        let m = current.len();
        assert!(n > 0 && m > 0, "a rank test needs samples on both sides");
        let ranked = DoubledRanks::of(baseline, current);
        let big_n = n + m;
        // Rank sums are kept doubled so that midranks stay integers.
        let w_current = ranked.current_sum;
        let u = w_current as f64 / 2.0 - (m * (m + 1)) as f64 / 2.0;
        if exact(n, m) {
            // The rank sum of the smaller side: its distribution is the
            // cheaper one, and |W − E[W]| is the same for either side.
            let total: u64 = ranked.sorted.iter().map(|&r| u64::from(r)).sum();
            let (k, w) = if m <= n {
                (m, w_current)
            } else {
                (n, total - w_current)
            };
            let distribution = self.exact_distribution(k, &ranked.sorted);
            // E[W] doubled is k(N+1); compare distances in integers.
            let mean = (k * (big_n + 1)) as i64;
            let observed = (w as i64 - mean).abs();
            let p_value: f64 = distribution
                .iter()
                .enumerate()
                .filter(|&(sum, _)| (sum as i64 - mean).abs() >= observed)
                .map(|(_, p)| p)
                .sum();
            RankTest {
                u,
                p_value: p_value.min(1.0),
                exact: true,
            }
        } else {
            let mean = (n * m) as f64 / 2.0;
            let nf = big_n as f64;
            let variance =
                (n * m) as f64 / 12.0 * ((nf + 1.0) - ranked.tie_term / (nf * (nf - 1.0)));
            normal_approximation(u, mean, variance)
        }
    }

    /// The Hodges–Lehmann shift of `current` from `baseline` and its
    /// distribution-free confidence interval (Moses): order statistics of the
    /// pairwise differences, chosen from the null distribution of U, so that
    /// (without ties) the interval excludes 0 exactly when the rank test
    /// rejects at 1 − confidence. It sorts all n·m pairwise differences:
    /// records hold at most 2 000 samples a side (`MAX_SAMPLES`), so at
    /// most 4 million differences (32 MB, well under a second); runs a side
    /// are usually 10.
    pub fn shift(&mut self, baseline: &[f64], current: &[f64], confidence: f64) -> Shift {
        let (n, m) = (baseline.len(), current.len());
        assert!(n > 0 && m > 0, "a shift needs samples on both sides");
        let mut differences: Vec<f64> = current
            .iter()
            .flat_map(|&y| baseline.iter().map(move |&x| y - x))
            .collect();
        differences.sort_by(f64::total_cmp);
        let pairs = differences.len();
        let estimate = if pairs % 2 == 1 {
            differences[pairs / 2]
        } else {
            (differences[pairs / 2 - 1] + differences[pairs / 2]) / 2.0
        };
        let tail = (1.0 - confidence) / 2.0;
        let critical = *self
            .critical
            .entry((n, m, tail.to_bits()))
            .or_insert_with(|| lower_critical_u(n, m, tail));
        match critical {
            Some(c) => Shift {
                estimate,
                lower: differences[c],
                upper: differences[pairs - 1 - c],
            },
            None => Shift {
                estimate,
                lower: f64::NEG_INFINITY,
                upper: f64::INFINITY,
            },
        }
    }

    /// The null distribution of the doubled rank sum of `k` samples drawn
    /// from `ranks` without replacement, indexed by that sum.
    fn exact_distribution(&mut self, k: usize, ranks: &[u32]) -> Rc<Vec<f64>> {
        let key = (k, ranks.to_vec());
        if let Some(found) = self.exact.get(&key) {
            return Rc::clone(found);
        }
        // No k ranks sum to more than k times the largest.
        let cap = k * ranks.iter().copied().max().unwrap_or(0) as usize;
        // ways[j][s]: subsets of size j with doubled rank sum s. Counts up to
        // C(60, 30) ≈ 1.2e17 lose a little precision in f64, far below what
        // a p-value needs.
        let mut ways = vec![vec![0.0f64; cap + 1]; k + 1];
        ways[0][0] = 1.0;
        let mut reach = 0;
        for (i, &rank) in ranks.iter().enumerate() {
            let rank = rank as usize;
            reach = (reach + rank).min(cap);
            for j in (1..=k.min(i + 1)).rev() {
                let (lower, upper) = ways.split_at_mut(j);
                let (from, to) = (&lower[j - 1], &mut upper[0]);
                for s in (rank..=reach).rev() {
                    to[s] += from[s - rank];
                }
            }
        }
        let subsets: f64 = ways[k].iter().sum();
        let distribution: Vec<f64> = ways[k].iter().map(|w| w / subsets).collect();
        let distribution = Rc::new(distribution);
        self.exact.insert(key, Rc::clone(&distribution));
        distribution
    }
}

/// Midranks of the pooled samples, doubled to stay integers.
struct DoubledRanks {
    /// Every doubled rank, in increasing order.
    sorted: Vec<u32>,
    /// Doubled rank sum of the current samples.
    current_sum: u64,
    /// Σ (t³ − t) over groups of t tied values.
    tie_term: f64,
}

impl DoubledRanks {
    fn of(baseline: &[f64], current: &[f64]) -> Self {
        let mut pooled: Vec<(f64, bool)> = baseline
            .iter()
            .map(|&v| (v, false))
            .chain(current.iter().map(|&v| (v, true)))
            .collect();
        pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut sorted = Vec::with_capacity(pooled.len());
        let mut current_sum = 0u64;
        let mut tie_term = 0.0;
        let mut start = 0;
        while start < pooled.len() {
            let mut end = start + 1;
            while end < pooled.len() && pooled[end].0 == pooled[start].0 {
                end += 1;
            }
            // Positions start+1 ..= end share the midrank (start+1+end)/2.
            let doubled = (start + 1 + end) as u32;
            for item in &pooled[start..end] {
                sorted.push(doubled);
                if item.1 {
                    current_sum += u64::from(doubled);
                }
            }
            let t = (end - start) as f64;
            tie_term += t * t * t - t;
            start = end;
        }
        DoubledRanks {
            sorted,
            current_sum,
            tie_term,
        }
    }
}

/// The smallest two-sided p-value a rank test of `n` against `m` samples
/// can give: 2 / C(n+m, n). With 5 runs a side it is 0.0079; with 4, 0.029.
pub fn smallest_p_value(n: usize, m: usize) -> f64 {
    if n == 0 || m == 0 {
        return 1.0;
    }
    let (small, big_n) = (n.min(m), n + m);
    let mut combinations = 1.0f64;
    for i in 0..small {
        combinations = combinations * (big_n - i) as f64 / (i + 1) as f64;
    }
    (2.0 / combinations).min(1.0)
}

/// The Hodges–Lehmann estimate of how far `current` is shifted from
/// `baseline`, with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    /// The median of all pairwise differences current − baseline.
    pub estimate: f64,
    /// Lower bound of the interval (−∞ when the samples are too few for the
    /// confidence asked).
    pub lower: f64,
    /// Upper bound of the interval (+∞ likewise).
    pub upper: f64,
}

/// The largest c with P(U ≤ c) ≤ `tail` under the null hypothesis (no
/// ties), or `None` if even P(U = 0) exceeds it.
fn lower_critical_u(n: usize, m: usize, tail: f64) -> Option<usize> {
    if exact(n, m) {
        // Distribution of U by the recurrence over the largest element:
        // f(i, j, u) = i/(i+j)·f(i−1, j, u − j) + j/(i+j)·f(i, j−1, u), in
        // probabilities, keeping two rows of i. The distribution is the same
        // with the sides swapped: loop over the smaller.
        let (n, m) = (n.min(m), n.max(m));
        let max_u = n * m;
        let mut previous = vec![vec![0.0f64; max_u + 1]; m + 1];
        for row in &mut previous {
            row[0] = 1.0; // f(0, j, 0)
        }
        for i in 1..=n {
            let mut row_i = vec![vec![0.0f64; max_u + 1]; m + 1];
            row_i[0][0] = 1.0; // f(i, 0, 0)
            for j in 1..=m {
                let weight_first = i as f64 / (i + j) as f64;
                for u in 0..=i * j {
                    let from_first = if u >= j { previous[j][u - j] } else { 0.0 };
                    let from_second = row_i[j - 1][u];
                    row_i[j][u] = weight_first * from_first + (1.0 - weight_first) * from_second;
                }
            }
            previous = row_i;
        }
        let distribution = &previous[m];
        let mut cumulative = 0.0;
        let mut critical = None;
        for (u, p) in distribution.iter().enumerate() {
            cumulative += p;
            if cumulative <= tail + 1e-12 {
                critical = Some(u);
            } else {
                break;
            }
        }
        critical
    } else {
        let (nf, mf) = (n as f64, m as f64);
        let z = -normal_quantile(tail);
        let c = nf * mf / 2.0 - z * (nf * mf * (nf + mf + 1.0) / 12.0).sqrt() - 0.5;
        (c >= 0.0).then(|| c.floor() as usize)
    }
}

/// Wilcoxon's signed-rank test of paired `differences` (one per pair,
/// current − baseline on the scale tested): whether they are centred on
/// zero. Zero differences are left out (Wilcoxon's rule); tied magnitudes
/// share their midrank. Exact (the distribution of the positive ranks' sum
/// over every sign pattern, ties included) up to 60 pairs,
/// normal with tie and continuity corrections beyond. `u` holds the sum of
/// the positive ranks.
///
/// # Examples
/// ```
/// use perf_stats::rank::signed_rank_test;
/// // Ten pairs, every one slower: the smallest two-sided p, 2/2¹⁰.
/// let slower: Vec<f64> = (1..=10).map(|i| 0.01 * f64::from(i)).collect();
/// let test = signed_rank_test(&slower);
/// assert!(test.exact && (test.p_value - 2.0 / 1024.0).abs() < 1e-12);
/// ```
pub fn signed_rank_test(differences: &[f64]) -> RankTest {
    let mut magnitudes: Vec<(f64, bool)> = differences
        .iter()
        .filter(|d| **d != 0.0 && !d.is_nan())
        .map(|&d| (d.abs(), d > 0.0))
        .collect();
    let n = magnitudes.len();
    if n == 0 {
        return RankTest {
            u: 0.0,
            p_value: 1.0,
            exact: true,
        };
    }
    magnitudes.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Doubled midranks, whole numbers; the tie term for the variance.
    let mut ranks = vec![0u64; n];
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && magnitudes[end].0 == magnitudes[start].0 {
            end += 1;
        }
        for rank in &mut ranks[start..end] {
            *rank = (start + 1 + end) as u64;
        }
        let t = (end - start) as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    let positive: u64 = ranks
        .iter()
        .zip(&magnitudes)
        .filter(|(_, (_, up))| *up)
        .map(|(r, _)| r)
        .sum();
    let total: u64 = ranks.iter().sum();
    let u = positive as f64 / 2.0;
    if n <= EXACT_UP_TO {
        // ways[s]: sign patterns whose positive doubled ranks sum to s.
        let mut ways = vec![0.0f64; total as usize + 1];
        ways[0] = 1.0;
        let mut reach = 0;
        for &rank in &ranks {
            let rank = rank as usize;
            reach += rank;
            for s in (rank..=reach).rev() {
                ways[s] += ways[s - rank];
            }
        }
        let patterns: f64 = ways.iter().sum();
        // E[2T+] = total / 2; compare doubled distances in integers.
        let observed = (2 * positive as i64 - total as i64).abs();
        let p_value: f64 = ways
            .iter()
            .enumerate()
            .filter(|&(s, _)| (2 * s as i64 - total as i64).abs() >= observed)
            .map(|(_, w)| w)
            .sum::<f64>()
            / patterns;
        return RankTest {
            u,
            p_value: p_value.min(1.0),
            exact: true,
        };
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let variance = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    normal_approximation(u, mean, variance)
}

/// The two-sided p-value of a rank statistic `u` by the normal
/// approximation, continuity-corrected, given its `mean` and (tie-corrected)
/// `variance` under no change; a statistic that cannot vary gives 1.
fn normal_approximation(u: f64, mean: f64, variance: f64) -> RankTest {
    let p_value = if variance <= 0.0 {
        1.0
    } else {
        let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
        libm::erfc(z / std::f64::consts::SQRT_2)
    };
    RankTest {
        u,
        p_value: p_value.min(1.0),
        exact: false,
    }
}

/// The paired shift: the pseudomedian of `differences` (the median of the
/// Walsh averages, (dᵢ + dⱼ)/2 for i ≤ j: the Hodges–Lehmann estimate for
/// pairs) and its distribution-free interval at `confidence`: order
/// statistics of the Walsh averages, chosen from the null distribution of
/// the signed-rank statistic (no ties), so that it excludes 0 when the test
/// rejects. Infinite bounds when the pairs are too few for the confidence.
///
/// # Examples
/// ```
/// use perf_stats::rank::paired_shift;
/// let shift = paired_shift(&[0.04, 0.05, 0.06, 0.05, 0.05], 0.5);
/// assert!((shift.estimate - 0.05).abs() < 1e-12);
/// ```
pub fn paired_shift(differences: &[f64], confidence: f64) -> Shift {
    let n = differences.len();
    let mut walsh = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            walsh.push((differences[i] + differences[j]) / 2.0);
        }
    }
    if walsh.is_empty() {
        return Shift {
            estimate: 0.0,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        };
    }
    walsh.sort_by(f64::total_cmp);
    let count = walsh.len();
    let estimate = if count % 2 == 1 {
        walsh[count / 2]
    } else {
        (walsh[count / 2 - 1] + walsh[count / 2]) / 2.0
    };
    // The largest c with P(T+ ≤ c) ≤ tail: the interval drops c averages
    // from each end.
    let tail = (1.0 - confidence) / 2.0;
    let critical = if n <= EXACT_UP_TO {
        let most = n * (n + 1) / 2;
        let mut ways = vec![0.0f64; most + 1];
        ways[0] = 1.0;
        for rank in 1..=n {
            for s in (rank..=most).rev() {
                ways[s] += ways[s - rank];
            }
        }
        let patterns: f64 = ways.iter().sum();
        let mut cumulative = 0.0;
        let mut critical = None;
        for (s, w) in ways.iter().enumerate() {
            cumulative += w / patterns;
            if cumulative <= tail + 1e-12 {
                critical = Some(s);
            } else {
                break;
            }
        }
        critical.map(|c| c + 1)
    } else {
        let nf = n as f64;
        let z = -normal_quantile(tail);
        let c = nf * (nf + 1.0) / 4.0 - z * (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
        (c >= 1.0).then(|| c.floor() as usize)
    };
    match critical {
        Some(c) if c <= count / 2 => Shift {
            estimate,
            lower: walsh[c - 1],
            upper: walsh[count - c],
        },
        _ => Shift {
            estimate,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        },
    }
}

/// The smallest two-sided p-value the signed-rank test of `pairs` pairs
/// can give: 2 / 2ⁿ.
pub fn smallest_paired_p_value(pairs: usize) -> f64 {
    (2.0 * 0.5f64.powi(pairs as i32)).min(1.0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::random::Rng;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn complete_separation_of_five_against_five_gives_the_smallest_p() {
        let mut tester = RankTester::new();
        let result = tester.test(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!(result.u, 25.0);
        assert!(result.exact);
        assert!(close(result.p_value, 2.0 / 252.0, 1e-12));
        assert!(close(smallest_p_value(5, 5), 2.0 / 252.0, 1e-12));
        assert!(close(smallest_p_value(4, 4), 2.0 / 70.0, 1e-12));
        assert_eq!(smallest_p_value(1, 1), 1.0);
    }

    #[test]
    fn exact_p_values_match_published_tables() {
        // n = m = 4 (no ties), U = 2: P(U ≤ 2) = 4/70, two-sided 8/70.
        let mut tester = RankTester::new();
        let result = tester.test(&[1.0, 2.0, 4.0, 5.0], &[3.0, 6.0, 7.0, 8.0]);
        assert_eq!(result.u, 14.0);
        assert!(close(result.p_value, 8.0 / 70.0, 1e-12), "{result:?}");
        // Identical samples: nothing to see.
        let same = tester.test(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]);
        assert!(close(same.p_value, 1.0, 1e-12));
    }

    #[test]
    fn ties_use_midranks_and_the_exact_distribution_of_that_pattern() {
        let mut tester = RankTester::new();
        // Pooled 1,1,2,2 with baseline {1,1} and current {2,2}: the only
        // split at least as extreme is itself and its mirror: 2/6.
        let result = tester.test(&[1.0, 1.0], &[2.0, 2.0]);
        assert!(close(result.p_value, 2.0 / 6.0, 1e-12), "{result:?}");
        assert_eq!(result.u, 4.0);
    }

    #[test]
    fn p_values_match_scipy_and_a_full_permutation_count() {
        // scipy.stats.mannwhitneyu(current, baseline): exact 0.0125197 for
        // 30 against 30, asymptotic with continuity 0.0176387 for 31
        // against 30 (no ties).
        let baseline: Vec<f64> = (0..31).map(|i| f64::from(i * 7 % 31) + 0.25).collect();
        let current: Vec<f64> = (0..30).map(|i| f64::from(i * 11 % 30) + 6.5).collect();
        let mut tester = RankTester::new();
        let exact = tester.test(&baseline[..30], &current);
        assert!(
            exact.exact && close(exact.p_value, 0.012_519_672_988, 1e-9),
            "{exact:?}"
        );
        let approx = tester.test(&baseline, &current);
        assert!(
            !approx.exact && close(approx.p_value, 0.017_638_661_026, 1e-9),
            "{approx:?}"
        );
        // With ties, every one of the C(16, 8) = 12870 splits counted (by
        // scipy.stats.permutation_test): 126 are at least as extreme.
        let tied = tester.test(
            &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0],
            &[3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0],
        );
        assert!(close(tied.p_value, 126.0 / 12870.0, 1e-12), "{tied:?}");
    }

    #[test]
    fn the_signed_rank_test_matches_tables_and_a_count_of_sign_patterns() {
        // n = 10, the smallest pair negative: T+ = 54 of 55, and 2 of the
        // 2¹⁰ sign patterns have T- ≤ 1: two-sided p = 2·2/1024.
        let mut d: Vec<f64> = (1..=10).map(f64::from).collect();
        d[0] = -1.0;
        let test = signed_rank_test(&d);
        assert!(test.exact);
        assert_eq!(test.u, 54.0);
        assert!(close(test.p_value, 4.0 / 1024.0, 1e-12), "{test:?}");
        // Symmetric: nothing to see.
        let even = signed_rank_test(&[1.0, -1.0, 2.0, -2.0]);
        assert!(close(even.p_value, 1.0, 1e-12));
        // Zeros are left out; none left is p = 1.
        assert_eq!(signed_rank_test(&[0.0, 0.0]).p_value, 1.0);
        assert!(close(smallest_paired_p_value(10), 2.0 / 1024.0, 1e-15));
        // Eight pairs, the two smallest negative: T- = 1 + 2 = 3. Of the
        // 2⁸ sign patterns, 5 have T- ≤ 3 ({}, {1}, {2}, {3}, {1, 2}):
        // two-sided p = 2·5/256.
        let eight = signed_rank_test(&[1.5, -0.5, 2.5, 3.0, 0.8, 1.1, -0.2, 2.2]);
        assert_eq!(eight.u, 33.0);
        assert!(close(eight.p_value, 10.0 / 256.0, 1e-12), "{eight:?}");
    }

    #[test]
    fn the_paired_interval_covers_and_excludes_zero_with_the_test() {
        let d = [0.05, 0.04, 0.06, 0.05, 0.07, 0.03, 0.05, 0.06, 0.04, 0.05];
        let shift = paired_shift(&d, 0.99);
        assert!(shift.lower > 0.0 && shift.lower <= 0.05 && shift.upper >= 0.05);
        // Two pairs cannot give 95%.
        assert!(paired_shift(&[0.1, 0.2], 0.95).lower.is_infinite());
    }

    #[test]
    fn a_very_small_side_stays_exact() {
        let mut tester = RankTester::new();
        let many: Vec<f64> = (0..70).map(f64::from).collect();
        let result = tester.test(&[100.0, 101.0], &many);
        assert!(result.exact);
        // 2 / C(72, 2)
        assert!(close(result.p_value, 2.0 / 2556.0, 1e-12), "{result:?}");
        let shift = tester.shift(&[100.0, 101.0], &many, 0.99);
        assert!(shift.lower.is_finite() && shift.upper < 0.0, "{shift:?}");
    }

    #[test]
    fn hodges_lehmann_finds_a_shift_and_its_interval_matches_the_test() {
        let baseline = [10.0, 11.0, 12.0, 13.0, 14.0];
        let current = [13.0, 14.0, 15.0, 16.0, 17.0];
        let shift = RankTester::new().shift(&baseline, &current, 0.95);
        assert_eq!(shift.estimate, 3.0);
        assert!(shift.lower <= 3.0 && shift.upper >= 3.0);
        // At 99% with 5 a side the interval is the range of the differences.
        let wide = RankTester::new().shift(&baseline, &current, 0.99);
        assert_eq!((wide.lower, wide.upper), (-1.0, 7.0));
        // Too few samples for 99%: the interval is unbounded.
        let few = RankTester::new().shift(&[1.0, 2.0], &[3.0, 4.0], 0.99);
        assert!(few.lower.is_infinite() && few.upper.is_infinite());
    }

    fn lognormal(noise: &mut Rng, n: usize, centre: f64, sd: f64) -> Vec<f64> {
        (0..n)
            .map(|_| centre * (sd * noise.normal()).exp())
            .collect()
    }

    proptest! {
        #[test]
        fn p_values_are_probabilities_symmetric_and_rank_based(
            x in prop::collection::vec(1.0f64..1e6, 1..12),
            y in prop::collection::vec(1.0f64..1e6, 1..12),
        ) {
            let mut tester = RankTester::new();
            let forward = tester.test(&x, &y);
            prop_assert!((0.0..=1.0).contains(&forward.p_value));
            let backward = tester.test(&y, &x);
            prop_assert!((forward.p_value - backward.p_value).abs() < 1e-9);
            // Only the order matters: a monotone transform changes nothing.
            let (lx, ly): (Vec<f64>, Vec<f64>) = (
                x.iter().map(|v| v.ln()).collect(),
                y.iter().map(|v| v.ln()).collect(),
            );
            prop_assert!((tester.test(&lx, &ly).p_value - forward.p_value).abs() < 1e-9);
        }

        #[test]
        fn hodges_lehmann_recovers_a_pure_shift(
            x in prop::collection::vec(-1e3f64..1e3, 2..15),
            shift in -500.0f64..500.0,
        ) {
            let y: Vec<f64> = x.iter().map(|v| v + shift).collect();
            let estimate = RankTester::new().shift(&x, &y, 0.95);
            prop_assert!((estimate.estimate - shift).abs() < 1e-6, "{estimate:?} vs {shift}");
            prop_assert!(estimate.lower <= shift && shift <= estimate.upper);
        }
    }

    #[test]
    fn the_rank_test_keeps_false_alarms_below_alpha_on_identical_distributions() {
        let mut noise = Rng::new(7);
        let mut tester = RankTester::new();
        // The exact test (up to 60 samples in all) is at most α by
        // construction; the normal approximation beyond is α within sampling
        // error of the check (3 standard errors).
        for (n, trials, slack) in [(5, 20_000, 0.0), (8, 10_000, 0.0), (40, 4_000, 3.0)] {
            let alarms = (0..trials)
                .filter(|_| {
                    let x = lognormal(&mut noise, n, 1000.0, 0.05);
                    let y = lognormal(&mut noise, n, 1000.0, 0.05);
                    tester.test(&x, &y).p_value <= 0.01
                })
                .count();
            let rate = alarms as f64 / trials as f64;
            let bound = 0.01 + slack * (0.01 * 0.99 / trials as f64).sqrt();
            assert!(
                rate <= bound,
                "{n} a side: false-alarm rate {rate} > {bound}"
            );
        }
    }

    #[test]
    fn confidence_intervals_cover_the_true_change_as_often_as_they_claim() {
        let mut noise = Rng::new(17);
        let mut tester = RankTester::new();
        let trials = 2_000;
        let mut covered = 0;
        for _ in 0..trials {
            let shift = 0.2 * noise.normal();
            let x = lognormal(&mut noise, 8, 1.0, 0.1);
            let y: Vec<f64> = lognormal(&mut noise, 8, 1.0, 0.1)
                .into_iter()
                .map(|v| v.ln() + shift)
                .collect();
            let x: Vec<f64> = x.into_iter().map(f64::ln).collect();
            let interval = tester.shift(&x, &y, 0.95);
            if interval.lower <= shift && shift <= interval.upper {
                covered += 1;
            }
        }
        let coverage = f64::from(covered) / f64::from(trials);
        assert!(coverage >= 0.94, "95% intervals covered {coverage}");
    }
}
