//! Trends: the Mann–Kendall test, the Theil–Sen slope (with Sen's
//! interval), and how much of a segment a least-squares line explains (to
//! tell a drift from a level shift). One Theil–Sen serves the history's
//! creep and the soak's growth.

use std::sync::{Mutex, PoisonError};

use crate::probability::normal_quantile;
use crate::summary::median_mut;

/// The two-sided p-value of the Mann–Kendall test for a monotone trend in
/// `values` (taken in order): S = Σ_{i<j} sign(x_j − x_i), normal with the
/// tie-corrected variance and a continuity correction. S is counted from
/// the inversions of a merge sort, in O(n log n). 1 for fewer than 3 values.
pub fn mann_kendall_p(values: &[f64]) -> f64 {
    mann_kendall_p_inflated(values, 1.0)
}

/// [`mann_kendall_p`] with the variance of S multiplied by `inflation`
/// (n/n*, Yue & Wang's correction for autocorrelated values).
pub fn mann_kendall_p_inflated(values: &[f64], inflation: f64) -> f64 {
    let n = values.len();
    if n < 3 {
        return 1.0;
    }
    let mut sorted = values.to_vec();
    let mut buffer = vec![0.0; n];
    let discordant = inversions(&mut sorted, &mut buffer) as f64;
    // Tied pairs are neither concordant nor discordant.
    let (mut tied_pairs, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        tied_pairs += t * (t - 1.0) / 2.0;
        tie_term += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j;
    }
    let nf = n as f64;
    let pairs = nf * (nf - 1.0) / 2.0;
    let s = pairs - tied_pairs - 2.0 * discordant;
    let variance = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0 * inflation;
    if variance <= 0.0 || s == 0.0 {
        return 1.0;
    }
    let z = (s.abs() - 1.0) / variance.sqrt();
    libm::erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

/// Sorts `values` and returns the number of pairs i < j with
/// values[i] > values[j] (strictly).
fn inversions(values: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = {
        let (left, right) = values.split_at_mut(mid);
        let (left_buffer, right_buffer) = buffer.split_at_mut(mid);
        inversions(left, left_buffer) + inversions(right, right_buffer)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if values[i] <= values[j] {
            buffer[k] = values[i];
            i += 1;
        } else {
            buffer[k] = values[j];
            count += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    buffer[k..k + mid - i].copy_from_slice(&values[i..mid]);
    k += mid - i;
    buffer[k..k + n - j].copy_from_slice(&values[j..n]);
    values.copy_from_slice(&buffer[..n]);
    count
}

/// The pairwise slopes (y_j − y_i)/(x_j − x_i) of `points`, pairs at the
/// same x left out.
fn pairwise_slopes(points: &[(f64, f64)]) -> Vec<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, &(xi, yi)) in points.iter().enumerate() {
        for &(xj, yj) in &points[i + 1..] {
            if xj != xi {
                slopes.push((yj - yi) / (xj - xi));
            }
        }
    }
    slopes
}

/// The Theil–Sen slope through `points` (x, y): the median of the pairwise
/// slopes, pairs at the same x left out; `None` with no pair left. A
/// selection, not a sort: quadratic in the points only for the slopes.
///
/// # Examples
/// ```
/// // A line of slope ½ with one wild point: the outlier moves nothing.
/// let mut points: Vec<(f64, f64)> = (0..30).map(|i| (f64::from(i), 10.0 + 0.5 * f64::from(i))).collect();
/// points[7].1 = 1000.0;
/// assert_eq!(perf_stats::trend::theil_sen(&points), Some(0.5));
/// ```
pub fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = pairwise_slopes(points);
    (!slopes.is_empty()).then(|| median_mut(&mut slopes))
}

/// A slope with its interval; a bound the points are too few to give is
/// infinite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slope {
    /// The Theil–Sen estimate.
    pub estimate: f64,
    /// The interval's lower bound.
    pub lower: f64,
    /// The interval's upper bound.
    pub upper: f64,
}

impl Slope {
    /// The slope and its bounds multiplied by `factor` (a change of unit:
    /// per nanosecond to per minute).
    pub fn scaled(self, factor: f64) -> Slope {
        Slope {
            estimate: self.estimate * factor,
            lower: self.lower * factor,
            upper: self.upper * factor,
        }
    }
}

/// Points up to which Sen's interval comes from the exact null
/// distribution of Kendall's S (its cost grows as the cube of the points,
/// like the pairwise slopes' as the square).
const EXACT_MAX: usize = 300;

/// The [`theil_sen`] slope through `points` with Sen's interval at
/// `confidence`; `None` with no pair of distinct x.
///
/// The interval (Sen 1968; Gilbert 1987, §16.5): with the N pairwise slopes
/// sorted, the bounds are the m-th smallest and the m-th largest. A slope β
/// inside them leaves between m and N − m pairs discordant with the points
/// less β·x, so the interval holds the true slope exactly when D, the count
/// of discordant pairs (inversions) among the residuals, is in [m, N − m],
/// with probability 1 − 2·P(D < m). m is the largest with P(D < m) at most
/// (1 − `confidence`)/2: the interval's coverage is at least `confidence`,
/// and only as much more as the steps of D's distribution force.
///
/// With every x distinct, no tied values and at most 300 points, D's
/// distribution is exact (Kendall's: the inversions of a random
/// permutation, counted by dynamic programming). For 10 such points at 95%
/// m = 12 of 45 slopes, P(D < 12) = 84,592/10! = 2.33% a side: 95.34%.
/// Otherwise (tied values, pairs at one x left out, or more points) it is
/// the normal approximation of Kendall's S = N − 2D with the tie-corrected
/// variance Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18 over the groups of
/// t tied values: with C = z·√Var(S), m = ⌊(N − C)/2⌋ (rounded down, so
/// never narrower than its level as far as the approximation holds).
///
/// A bound the points are too few to give (m = 0) is infinite.
pub fn sen_slope(points: &[(f64, f64)], confidence: f64) -> Option<Slope> {
    let mut slopes = pairwise_slopes(points);
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let count = slopes.len();
    let estimate = if count % 2 == 1 {
        slopes[count / 2]
    } else {
        (slopes[count / 2 - 1] + slopes[count / 2]) / 2.0
    };
    let n = points.len();
    let mut values: Vec<f64> = points.iter().map(|p| p.1).collect();
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    let untied = values.windows(2).all(|w| w[0] != w[1]);
    let m = if untied && count == n * (n - 1) / 2 && n <= EXACT_MAX {
        exact_rank(n, tail)
    } else {
        normal_rank(&values, count, tail)
    };
    let (lower, upper) = if m >= 1 {
        (slopes[m - 1], slopes[count - m])
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    };
    Some(Slope {
        estimate,
        lower,
        upper,
    })
}

/// The largest m with P(D < m) ≤ `tail`, D the inversions of a random
/// permutation of `n` (Kendall's null distribution of the discordant
/// pairs; 0 if even P(D = 0) = 1/n! is more). Each (n, tail) is worked out
/// once a process: for 300 points it takes milliseconds.
fn exact_rank(n: usize, tail: f64) -> usize {
    /// The ranks worked out: (n, tail's bits, m).
    static KNOWN: Mutex<Vec<(usize, u64, usize)>> = Mutex::new(Vec::new());
    let known = |k: &[(usize, u64, usize)]| {
        k.iter()
            .find(|&&(kn, kt, _)| kn == n && kt == tail.to_bits())
            .map(|&(_, _, m)| m)
    };
    if let Some(m) = known(&KNOWN.lock().unwrap_or_else(PoisonError::into_inner)) {
        return m;
    }
    let m = worked_out_rank(n, tail);
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((n, tail.to_bits(), m));
    m
}

/// [`exact_rank`], worked out.
fn worked_out_rank(n: usize, tail: f64) -> usize {
    // P(D ≤ d) only matters up to the median, N/2, for a tail under ½.
    let half = n * n.saturating_sub(1) / 4;
    let lower = inversion_probabilities(n, half);
    let mut cumulative = 0.0;
    for (d, p) in lower.iter().enumerate() {
        cumulative += p;
        // A hair of slack for rounding: P is a ratio of integers.
        if cumulative > tail * (1.0 + 1e-12) {
            return d;
        }
    }
    lower.len()
}

/// P(D = d) for d = 0..=`most`, D the inversions of a random permutation of
/// `n`: inserting the k-th element adds 0..k−1 inversions, each as likely,
/// so P_k(d) = Σ_{j<k} P_{k−1}(d − j)/k, a sliding sum.
fn inversion_probabilities(n: usize, most: usize) -> Vec<f64> {
    let mut p = vec![0.0; most + 1];
    p[0] = 1.0;
    let mut next = vec![0.0; most + 1];
    for k in 2..=n {
        let mut window = 0.0;
        for d in 0..=most {
            window += p[d];
            if d >= k {
                window -= p[d - k];
            }
            next[d] = window / k as f64;
        }
        std::mem::swap(&mut p, &mut next);
    }
    p
}

/// m of the normal approximation: ⌊(N − z·√Var(S))/2⌋ for `count` slopes
/// through points whose sorted `values` give the tie correction.
fn normal_rank(values: &[f64], count: usize, tail: f64) -> usize {
    let n = values.len() as f64;
    let mut ties = 0.0;
    for group in values.chunk_by(|a, b| a == b) {
        let t = group.len() as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
    }
    let variance = (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0;
    let c = normal_quantile(1.0 - tail) * variance.max(0.0).sqrt();
    ((count as f64 - c) / 2.0).floor().max(0.0) as usize
}

/// The sum of squares (about the mean) that the least-squares line through
/// `values` (at positions 0, 1, …) explains.
pub fn line_explained(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (i, v) in values.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxx += dx * dx;
        sxy += dx * (v - mean_y);
    }
    sxy * sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S straight from the definition.
    fn s_naive(values: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                s += (values[j] - values[i]).signum() * f64::from(values[j] != values[i]);
            }
        }
        s
    }

    #[test]
    fn inversion_counting_gives_the_kendall_s_of_the_definition() {
        let values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, 8.0];
        let mut sorted = values.to_vec();
        let discordant = inversions(&mut sorted, &mut vec![0.0; values.len()]) as f64;
        assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
        // 66 pairs, 5 of them tied (1,1; 5,5,5; 3,3).
        assert_eq!(66.0 - 5.0 - 2.0 * discordant, s_naive(&values));
    }

    #[test]
    fn mann_kendall_matches_a_worked_example() {
        // n = 10 strictly increasing: S = 45, Var = 10·9·25/18 = 125,
        // z = 44/√125 = 3.9355, p = 8.30e-5.
        let rising: Vec<f64> = (0..10).map(f64::from).collect();
        assert!(
            (mann_kendall_p(&rising) - 8.30e-5).abs() < 1e-6,
            "{}",
            mann_kendall_p(&rising)
        );
        assert_eq!(mann_kendall_p(&[2.0; 12]), 1.0);
        assert_eq!(mann_kendall_p(&[1.0, 2.0]), 1.0);
    }

    #[test]
    fn theil_sen_ignores_an_outlier_and_pairs_at_one_x() {
        let mut points: Vec<(f64, f64)> = (0..30)
            .map(|i| (f64::from(i), 10.0 + 0.5 * f64::from(i)))
            .collect();
        points[7].1 = 1000.0;
        assert_eq!(theil_sen(&points), Some(0.5));
        // Points at one x give no slope.
        assert_eq!(theil_sen(&[(1.0, 2.0), (1.0, 5.0)]), None);
        assert_eq!(theil_sen(&[(1.0, 2.0)]), None);
    }

    #[test]
    fn sens_interval_matches_a_worked_example() {
        // n = 10 distinct points: N = 45 slopes. Of the 10! = 3,628,800
        // orders, 1 + 9 + 44 + 155 + 440 + 1,068 + 2,298 + 4,489 + 8,095 +
        // 13,640 + 21,670 + 32,683 = 84,592 have at most 11 inversions:
        // P(D ≤ 11) = 2.331% ≤ 2.5% < P(D ≤ 12) = 131,635/10! = 3.628%, so
        // m = 12: the 12th smallest and largest (coverage 95.34%). The
        // normal approximation gave m = ⌊(45 − 1.96·√125)/2⌋ = 11 (97.14%).
        let points: Vec<(f64, f64)> = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0, 5.5, 3.5]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64, y))
            .collect();
        let mut slopes = Vec::new();
        for i in 0..10 {
            for j in i + 1..10 {
                slopes.push((points[j].1 - points[i].1) / (j - i) as f64);
            }
        }
        slopes.sort_by(f64::total_cmp);
        let slope = sen_slope(&points, 0.95).unwrap();
        assert_eq!(slope.estimate, slopes[22]);
        assert_eq!(theil_sen(&points), Some(slopes[22]));
        assert_eq!((slope.lower, slope.upper), (slopes[11], slopes[33]));
        // Two points give no interval.
        let two = sen_slope(&points[..2], 0.95).unwrap();
        assert_eq!((two.lower, two.upper), (f64::NEG_INFINITY, f64::INFINITY));
    }

    #[test]
    fn kendalls_distribution_is_the_inversions_of_every_order() {
        // Every order of 6 elements, by inversions, against the DP.
        fn orders(rest: &mut Vec<usize>, taken: &mut Vec<usize>, counts: &mut [u64]) {
            if rest.is_empty() {
                let d = (0..taken.len())
                    .flat_map(|i| (i + 1..taken.len()).map(move |j| (i, j)))
                    .filter(|&(i, j)| taken[i] > taken[j])
                    .count();
                counts[d] += 1;
                return;
            }
            for at in 0..rest.len() {
                let x = rest.remove(at);
                taken.push(x);
                orders(rest, taken, counts);
                taken.pop();
                rest.insert(at, x);
            }
        }
        let mut counts = [0u64; 16];
        orders(&mut (0..6).collect(), &mut Vec::new(), &mut counts);
        let p = inversion_probabilities(6, 15);
        for (d, &c) in counts.iter().enumerate() {
            assert!((p[d] - c as f64 / 720.0).abs() < 1e-15, "{d}: {p:?}");
        }
        // m a side for 95%: 0 below 5 points (P(D = 0) = 1/24 for 4), and
        // the 2.5% quantile of the tables after.
        assert_eq!(exact_rank(4, 0.025), 0);
        assert_eq!(exact_rank(5, 0.025), 1);
        assert_eq!(exact_rank(10, 0.025), 12);
        assert_eq!(exact_rank(10, 0.005), 9);
    }

    #[test]
    fn sens_interval_covers_at_least_its_level() {
        // 4,000 lines of slope 1 through 10 points of uniform noise: the
        // exact interval holds the slope 95.34% of the time.
        let mut rng = crate::random::Rng::new(7);
        let trials = 4_000;
        let covered = (0..trials)
            .filter(|_| {
                let points: Vec<(f64, f64)> = (0..10)
                    .map(|i| (f64::from(i), f64::from(i) + 5.0 * rng.uniform()))
                    .collect();
                let slope = sen_slope(&points, 0.95).unwrap();
                slope.lower <= 1.0 && 1.0 <= slope.upper
            })
            .count();
        // 95.34% ± 4 standard errors (0.33%).
        let share = covered as f64 / f64::from(trials);
        assert!((share - 0.9534).abs() < 0.014, "{share}");
    }

    #[test]
    fn sens_interval_with_ties_is_the_normal_approximation() {
        // Tied values: Var(S) = (10·9·25 − 2·(2·1·9))/18 = 123, C =
        // 1.96·√123 = 21.74, m = ⌊(45 − 21.74)/2⌋ = 11.
        let points: Vec<(f64, f64)> = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.5]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64, y))
            .collect();
        let mut slopes = pairwise_slopes(&points);
        slopes.sort_by(f64::total_cmp);
        let slope = sen_slope(&points, 0.95).unwrap();
        assert_eq!((slope.lower, slope.upper), (slopes[10], slopes[34]));
    }

    #[test]
    fn a_line_explains_a_step_partly() {
        // A step of 1 over 20 points: of its 5 about the mean, the line
        // explains 50²/665 = 3.759.
        let step: Vec<f64> = (0..20).map(|i| f64::from(u8::from(i >= 10))).collect();
        assert!((line_explained(&step) - 3.759_398_5).abs() < 1e-6);
    }
}
