//! Figures that summarise one set of samples: the median, a robust spread,
//! times as logarithms, and a distribution-free lower bound of the median.
//! Every median in perf is this one: the mean of the middle two for an
//! even count, NaN for no samples.

/// The median of `samples` (the mean of the middle two for an even
/// count); NaN when there are none.
///
/// # Examples
/// ```
/// use perf_stats::summary::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// assert!(median(&[]).is_nan());
/// ```
pub fn median(samples: &[f64]) -> f64 {
    median_mut(&mut samples.to_vec())
}

/// [`median`] of `samples`, reordering them in place instead of copying
/// them (a selection, linear in their number).
pub fn median_mut(samples: &mut [f64]) -> f64 {
    let n = samples.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lower_half, &mut upper, _) = samples.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = lower_half
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    }
}

/// The weighted median of `values` (each weighing its `weights`, which
/// must be as many, non-negative and not all zero): the smallest value
/// with at least half the weight at or below it, and the mean of it and
/// the next when exactly half is; NaN when there are none.
///
/// # Examples
/// ```
/// use perf_stats::summary::weighted_median;
/// // A function holding 60% of the time outweighs two holding 20% each.
/// assert_eq!(weighted_median(&[1.0, 2.0, 3.0], &[0.2, 0.2, 0.6]), 3.0);
/// assert_eq!(weighted_median(&[1.0, 2.0], &[1.0, 1.0]), 1.5);
/// ```
pub fn weighted_median(values: &[f64], weights: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .filter(|&(_, w)| w > 0.0)
        .collect();
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut below = 0.0;
    for (i, &(value, weight)) in pairs.iter().enumerate() {
        below += weight;
        // Exactly half (up to rounding): between this value and the next.
        if (below - total / 2.0).abs() <= 1e-12 * total {
            return pairs
                .get(i + 1)
                .map_or(value, |next| (value + next.0) / 2.0);
        }
        if below > total / 2.0 {
            return value;
        }
    }
    pairs[pairs.len() - 1].0
}

/// A robust standard deviation: the median absolute deviation from the
/// median, scaled (× 1.4826) to match the standard deviation of normal
/// noise; 0 for fewer than two samples.
pub fn spread(samples: &[f64]) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let centre = median(samples);
    let mut deviations: Vec<f64> = samples.iter().map(|v| (v - centre).abs()).collect();
    1.4826 * median_mut(&mut deviations)
}

/// Natural logarithms of times, with times below a picosecond held there:
/// a ratio of times is a shift of their logarithms.
pub fn log_times(samples: &[f64]) -> Vec<f64> {
    samples.iter().map(|v| v.max(1e-3).ln()).collect()
}

/// A one-sided lower confidence bound of the median at `confidence`: the
/// k-th smallest sample for the largest k with P(Binomial(n, ½) ≥ k) ≥
/// `confidence` (each sample lies below the median with probability ½,
/// whatever the distribution). With too few samples for the confidence
/// (fewer than 7 at 99%), the smallest sample; NaN for none.
///
/// # Examples
/// ```
/// use perf_stats::summary::median_lower_bound;
/// let ten: Vec<f64> = (1..=10).map(f64::from).collect();
/// // P(Bin(10, ½) ≥ 2) = 0.989 ≥ 95%, P(≥ 3) = 0.945 < 95%.
/// assert_eq!(median_lower_bound(&ten, 0.95), 2.0);
/// ```
pub fn median_lower_bound(samples: &[f64], confidence: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // P(Binomial(n, ½) ≥ k), from k = 1 up.
    let mut below = 0.0; // P(Binomial < k)
    let mut term = 0.5f64.powi(n as i32); // P(Binomial = 0)
    let mut k = 0;
    for j in 0..n {
        below += term;
        term *= (n - j) as f64 / (j + 1) as f64;
        if 1.0 - below >= confidence {
            k = j + 1;
        } else {
            break;
        }
    }
    sorted.get(k.saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[5.0]), 5.0);
        assert!(median(&[]).is_nan());
        let mut values = [9.0, -1.0, 4.0, 4.0];
        assert_eq!(median_mut(&mut values), 4.0);
    }

    #[test]
    fn spread_matches_the_standard_deviation_of_normal_noise_in_scale() {
        // MAD of 1..=5 about 3 is 1: 1.4826.
        assert!((spread(&[1.0, 2.0, 3.0, 4.0, 5.0]) - 1.4826).abs() < 1e-12);
        assert_eq!(spread(&[7.0]), 0.0);
    }

    #[test]
    fn the_medians_bound_is_an_order_statistic_that_holds_its_confidence() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_lower_bound(&ten, 0.95), 2.0);
        // At 99% only the smallest holds: P(≥ 1) = 0.999.
        assert_eq!(median_lower_bound(&ten, 0.99), 1.0);
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        // P(Bin(100, ½) ≥ 42) ≈ 0.9557, P(≥ 43) ≈ 0.9334.
        assert_eq!(median_lower_bound(&many, 0.95), 42.0);
        assert_eq!(median_lower_bound(&[7.0], 0.99), 7.0);
        assert!(median_lower_bound(&[], 0.99).is_nan());
    }

    #[test]
    fn equal_weights_give_the_median() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(weighted_median(&values, &[1.0; 5]), median(&values));
        assert_eq!(
            weighted_median(&values[..4], &[2.0; 4]),
            median(&values[..4])
        );
        assert!(weighted_median(&[], &[]).is_nan());
        // Weightless values do not count.
        assert_eq!(weighted_median(&[1.0, 9.0], &[1.0, 0.0]), 1.0);
    }

    proptest! {
        #[test]
        fn the_median_splits_the_samples_in_half(
            samples in prop::collection::vec(-1e6f64..1e6, 1..40),
        ) {
            let m = median(&samples);
            let below = samples.iter().filter(|&&v| v < m).count();
            let above = samples.iter().filter(|&&v| v > m).count();
            prop_assert!(below <= samples.len() / 2 && above <= samples.len() / 2);
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let expected = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
            prop_assert_eq!(m, expected);
        }
    }
}
