//! Distributions perf's statistics need, through the regularized
//! incomplete beta function: Student's t (the history's change-point test,
//! Welch's test of the gate-quality anchors), the Clopper–Pearson
//! interval of a rate (every measured rate perf reports), Wilson's lower
//! bound of a rate (an `error_rate` budget), and the normal
//! quantile (intervals of the rank tests and Sen's slope).

/// I_x(a, b), the regularized incomplete beta function: the CDF at `x` of
/// Beta(a, b). A continued fraction (modified Lentz), evaluated on the side
/// of the mean where it converges fast.
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * continued_fraction(x, a, b) / a
    } else {
        1.0 - front * continued_fraction(1.0 - x, b, a) / b
    }
}

fn continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        let mut step = 1.0;
        for coefficient in [even, odd] {
            d = 1.0 / guard(1.0 + coefficient * d);
            c = guard(1.0 + coefficient / c);
            step = d * c;
            h *= step;
        }
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The two-sided p-value of Student's t statistic `t` with `df` degrees of
/// freedom: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2).
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return 1.0;
    }
    incomplete_beta(df / (df + t * t), df / 2.0, 0.5).clamp(0.0, 1.0)
}

/// The `q` quantile of Beta(a, b), by bisection of [`incomplete_beta`].
pub fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if incomplete_beta(mid, a, b) < q {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// The Clopper–Pearson ("exact") 95% interval of a rate seen `k` times in
/// `n` trials.
pub fn clopper_pearson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 {
        0.0
    } else {
        beta_quantile(0.025, kf, nf - kf + 1.0)
    };
    let high = if k >= n {
        1.0
    } else {
        beta_quantile(0.975, kf + 1.0, nf - kf)
    };
    (low, high)
}

/// The one-sided lower bound at `confidence` of a rate seen `k` times in
/// `n` trials: the lower end of Wilson's score interval, which stays
/// within [0, 1], is 0 for `k` = 0, and holds its level far better than
/// the normal approximation for rare events, at any `n` (the counts of
/// calls reach billions, where the exact Clopper–Pearson bound's Beta
/// quantile does not converge). 0 for no trials.
///
/// # Examples
/// ```
/// use perf_stats::probability::wilson_lower_bound;
/// // 30 errors in 1 000 calls: 3%, and above 1.9% at 99% confidence.
/// let low = wilson_lower_bound(30.0, 1_000.0, 0.99);
/// assert!(low > 0.019 && low < 0.03, "{low}");
/// assert_eq!(wilson_lower_bound(0.0, 1e9, 0.99), 0.0);
/// ```
pub fn wilson_lower_bound(k: f64, n: f64, confidence: f64) -> f64 {
    if n <= 0.0 || k <= 0.0 {
        return 0.0;
    }
    let rate = (k / n).min(1.0);
    let z = normal_quantile(confidence);
    let z2n = z * z / n;
    let centre = rate + z2n / 2.0;
    let margin = z * (rate * (1.0 - rate) / n + z2n / (4.0 * n)).sqrt();
    ((centre - margin) / (1.0 + z2n)).clamp(0.0, rate)
}

/// The standard normal quantile, by bisection on the distribution function.
///
/// # Examples
/// ```
/// let z = perf_stats::probability::normal_quantile(0.975);
/// assert!((z - 1.959_964).abs() < 1e-5);
/// ```
pub fn normal_quantile(probability: f64) -> f64 {
    let cdf = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
    let (mut low, mut high) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = (low + high) / 2.0;
        if cdf(mid) < probability {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_quantiles() {
        // 97.5% points of t: 12.706 (1 df), 2.228 (10), 1.960 (∞ ≈ 1e6).
        assert!((t_two_sided_p(12.706_204_7, 1.0) - 0.05).abs() < 1e-7);
        assert!((t_two_sided_p(2.228_138_9, 10.0) - 0.05).abs() < 1e-7);
        assert!((t_two_sided_p(1.959_966, 1e6) - 0.05).abs() < 1e-5);
        // 99.5% point with 30 df: 2.749996.
        assert!((t_two_sided_p(2.749_996, 30.0) - 0.01).abs() < 1e-6);
        assert_eq!(t_two_sided_p(0.0, 5.0), 1.0);
        assert_eq!(t_two_sided_p(f64::INFINITY, 5.0), 0.0);
        assert!((incomplete_beta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-12);
        assert!((incomplete_beta(0.5, 2.0, 2.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn normal_quantiles_are_accurate() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((normal_quantile(0.995) - 2.575_829).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-9);
    }

    #[test]
    fn wilsons_lower_bound_matches_published_values() {
        // 10 of 100: the two-sided 95% interval is [0.0552, 0.1744], so
        // its lower end is the one-sided bound at 97.5%.
        let low = wilson_lower_bound(10.0, 100.0, 0.975);
        assert!((low - 0.055_2).abs() < 5e-4, "{low}");
        // 1 of 10 at 97.5% (z = 1.96): the two-sided 95% interval's 0.0179.
        let low = wilson_lower_bound(1.0, 10.0, 0.975);
        assert!((low - 0.017_9).abs() < 5e-4, "{low}");
        // Every call failed: below 1, and near it with many calls.
        assert!(wilson_lower_bound(50.0, 50.0, 0.99) < 1.0);
        assert!(wilson_lower_bound(1e9, 1e9, 0.99) > 0.999_999);
        assert_eq!(wilson_lower_bound(3.0, 0.0, 0.99), 0.0);
    }

    #[test]
    fn clopper_pearson_matches_known_intervals() {
        // 0 of 200: [0, 1.83%]; 1 of 200: [0.0127%, 2.75%].
        let (low, high) = clopper_pearson(0, 200);
        assert!(low == 0.0 && (high - 0.018_274).abs() < 1e-5, "{high}");
        let (low, high) = clopper_pearson(1, 200);
        assert!((low - 0.000_126_6).abs() < 1e-6 && (high - 0.027_534).abs() < 1e-5);
        assert_eq!(clopper_pearson(0, 0), (0.0, 1.0));
    }
}
