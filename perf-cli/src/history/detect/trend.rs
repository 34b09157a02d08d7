//! Trends: the Mann–Kendall test, the Theil–Sen slope, and how much of a
//! segment a least-squares line explains (to tell a drift from a level
//! shift).

/// The two-sided p-value of the Mann–Kendall test for a monotone trend in
/// `values` (taken in order): S = Σ_{i<j} sign(x_j − x_i), normal with the
/// tie-corrected variance and a continuity correction. S is counted from
/// the inversions of a merge sort, in O(n log n). 1 for fewer than 3 values.
pub(super) fn mann_kendall_p(values: &[f64]) -> f64 {
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
    let variance = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0;
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

/// Points of a segment the Theil–Sen slope uses at most: longer segments are
/// thinned to this many evenly spaced points (about 20 000 pairs).
const THEIL_SEN_POINTS: usize = 200;

/// The Theil–Sen line through `values` (at positions 0, 1, …): the median
/// of the pairwise slopes, and the median of value − slope·position as the
/// intercept. Segments longer than [`THEIL_SEN_POINTS`] use that many
/// evenly spaced points.
pub(super) fn theil_sen(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    let stride = n.div_ceil(THEIL_SEN_POINTS).max(1);
    let points: Vec<(f64, f64)> = (0..n)
        .step_by(stride)
        .map(|i| (i as f64, values[i]))
        .collect();
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, &(xi, yi)) in points.iter().enumerate() {
        for &(xj, yj) in &points[i + 1..] {
            slopes.push((yj - yi) / (xj - xi));
        }
    }
    let slope = median(&mut slopes);
    let mut offsets: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(i, v)| v - slope * i as f64)
        .collect();
    (slope, median(&mut offsets))
}

/// The median (the mean of the middle two for an even count); 0 when empty.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let (_, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..n / 2]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// The sum of squares (about the mean) that the least-squares line through
/// `values` (at positions 0, 1, …) explains.
pub(super) fn line_explained(values: &[f64]) -> f64 {
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
    fn theil_sen_ignores_an_outlier_and_thins_long_segments() {
        let mut values: Vec<f64> = (0..30).map(|i| 10.0 + 0.5 * f64::from(i)).collect();
        values[7] = 1000.0;
        let (slope, intercept) = theil_sen(&values);
        assert!((slope - 0.5).abs() < 1e-12 && (intercept - 10.0).abs() < 1e-12);
        let long: Vec<f64> = (0..1000).map(|i| 3.0 - 0.25 * f64::from(i)).collect();
        let (slope, intercept) = theil_sen(&long);
        assert!((slope + 0.25).abs() < 1e-12 && (intercept - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_line_explains_a_step_partly() {
        // A step of 1 over 20 points: of its 5 about the mean, the line
        // explains 50²/665 = 3.759.
        let step: Vec<f64> = (0..20).map(|i| f64::from(u8::from(i >= 10))).collect();
        assert!((line_explained(&step) - 3.759_398_5).abs() < 1e-6);
    }
}
