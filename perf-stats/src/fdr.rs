//! Many tests at once: the Benjamini–Hochberg adjustment, which keeps the
//! expected share of false alarms among the alarms (the false discovery
//! rate) at α however many functions and metrics are tested, and, when
//! nothing changed at all, the chance of any false alarm.

/// Benjamini–Hochberg adjusted p-values (q-values): rejecting every test
/// with q ≤ α keeps the expected share of false alarms among the alarms at
/// or below α.
///
/// # Examples
/// ```
/// let q = perf_stats::fdr::benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
/// // Sorted: 0.01·4/1 = 0.04; 0.03·4/2 = 0.06 and 0.04·4/3 = 0.0533 step down to 0.0533.
/// assert!((q[0] - 0.04).abs() < 1e-12 && (q[2] - 0.053_333_333).abs() < 1e-6);
/// ```
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let count = p_values.len();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| p_values[b].total_cmp(&p_values[a]));
    let mut adjusted = vec![1.0; count];
    let mut running_min = 1.0f64;
    for (position, &index) in order.iter().enumerate() {
        let rank = count - position;
        running_min = running_min.min(p_values[index] * count as f64 / rank as f64);
        adjusted[index] = running_min.min(1.0);
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn benjamini_hochberg_adjusts_step_up() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(q[0], 0.04));
        assert!(close(q[2], 0.053_333_333));
        assert!(close(q[1], 0.053_333_333));
        assert!(close(q[3], 0.5));
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    proptest! {
        #[test]
        fn benjamini_hochberg_only_raises_and_keeps_the_order(
            p in prop::collection::vec(0.0f64..=1.0, 0..40),
        ) {
            let q = benjamini_hochberg(&p);
            for i in 0..p.len() {
                prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0);
                for j in 0..p.len() {
                    if p[i] < p[j] {
                        prop_assert!(q[i] <= q[j] + 1e-15);
                    }
                }
            }
        }
    }
}
