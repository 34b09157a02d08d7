//! The E-divisive statistic Q̂ of Matteson & James (2014), with α = 1, over
//! one window of a series.
//!
//! For a range split into X = z[a..τ) and Y = z[τ..κ) (n and m points),
//!
//! Q̂ = 2/(n+m)·Σ_{X×Y} |x−y| − 2m/((n+m)(n−1))·Σ_{X pairs} |x−x'|
//!      − 2n/((n+m)(m−1))·Σ_{Y pairs} |y−y'|,
//!
//! the energy distance between X and Y scaled by nm/(n+m). Every term is
//! a sum of pairwise distances within a range, so one table of those sums,
//! built in O(w²) for a window of w points, gives any Q̂ in O(1), and the
//! best split of a range of L points in O(L²).

/// A candidate: X = z[a..τ) and Y = z[τ..κ), with their Q̂.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Split {
    pub(super) tau: usize,
    pub(super) kappa: usize,
    pub(super) q: f64,
}

/// Sums of pairwise distances within every range of one window.
#[derive(Debug, Default)]
pub(super) struct Energy {
    /// The window's length.
    width: usize,
    /// `sums[i·(width+1) + j]`: Σ |z_p − z_q| over i ≤ p < q < j.
    sums: Vec<f64>,
    /// `reciprocals[k]` = 1/k (0 for k = 0): the scan multiplies.
    reciprocals: Vec<f64>,
}

impl Energy {
    /// Fills the table for `window`, reusing the allocation.
    pub(super) fn fill(&mut self, window: &[f64]) {
        let w = window.len();
        let stride = w + 1;
        self.width = w;
        self.sums.clear();
        self.sums.resize(stride * stride, 0.0);
        if self.reciprocals.len() < stride {
            self.reciprocals = (0..stride)
                .map(|k| if k == 0 { 0.0 } else { 1.0 / k as f64 })
                .collect();
        }
        // Adding point i in front of the range (i+1..j) adds its distances
        // to the points i+1..j-1: a running sum over j.
        for i in (0..w).rev() {
            let mut running = 0.0;
            for j in i + 2..=w {
                running += (window[i] - window[j - 1]).abs();
                self.sums[i * stride + j] = self.sums[(i + 1) * stride + j] + running;
            }
        }
    }

    /// Σ |z_p − z_q| over i ≤ p < q < j.
    fn within(&self, i: usize, j: usize) -> f64 {
        self.sums[i * (self.width + 1) + j]
    }

    /// Q̂ for X = z[a..τ) and Y = z[τ..κ). With one point, X (or Y) has no
    /// pairs, and its term is 0.
    fn q(&self, a: usize, tau: usize, kappa: usize) -> f64 {
        let (n, m) = (tau - a, kappa - tau);
        let r = &self.reciprocals;
        let xx = self.within(a, tau);
        let yy = self.within(tau, kappa);
        let xy = self.within(a, kappa) - xx - yy;
        2.0 * (xy - m as f64 * xx * r[n - 1] - n as f64 * yy * r[m - 1]) * r[n + m]
    }

    /// The best split of the range [a, b) of the window: the (τ, κ) that
    /// maximise Q̂, with at least `min_segment` points in X (from a to τ)
    /// and in Y (τ to κ ≤ b). `None` when the range is too short.
    pub(super) fn best_split(&self, a: usize, b: usize, min_segment: usize) -> Option<Split> {
        let mut best: Option<Split> = None;
        for tau in a + min_segment..=b.checked_sub(min_segment)? {
            for kappa in tau + min_segment..=b {
                let q = self.q(a, tau, kappa);
                if best.is_none_or(|top| q > top.q) {
                    best = Some(Split { tau, kappa, q });
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q̂ straight from the definition, for checking the table.
    fn q_naive(z: &[f64], a: usize, tau: usize, kappa: usize) -> f64 {
        let (x, y) = (&z[a..tau], &z[tau..kappa]);
        let (n, m) = (x.len() as f64, y.len() as f64);
        let between: f64 = x
            .iter()
            .flat_map(|p| y.iter().map(move |q| (p - q).abs()))
            .sum();
        let pairs = |s: &[f64]| -> f64 {
            let mut sum = 0.0;
            for i in 0..s.len() {
                for j in i + 1..s.len() {
                    sum += (s[i] - s[j]).abs();
                }
            }
            sum
        };
        let e = 2.0 * between / (n * m)
            - if n > 1.0 {
                pairs(x) / (n * (n - 1.0) / 2.0)
            } else {
                0.0
            }
            - if m > 1.0 {
                pairs(y) / (m * (m - 1.0) / 2.0)
            } else {
                0.0
            };
        n * m / (n + m) * e
    }

    #[test]
    fn the_table_gives_the_statistic_of_the_definition() {
        let z = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
        let mut energy = Energy::default();
        energy.fill(&z);
        for a in 0..z.len() {
            for tau in a + 1..z.len() {
                for kappa in tau + 1..=z.len() {
                    let (fast, slow) = (energy.q(a, tau, kappa), q_naive(&z, a, tau, kappa));
                    assert!(
                        (fast - slow).abs() < 1e-9,
                        "{a} {tau} {kappa}: {fast} vs {slow}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_clean_step_is_the_best_split() {
        let z: Vec<f64> = (0..20).map(|i| if i < 12 { 1.0 } else { 2.0 }).collect();
        let mut energy = Energy::default();
        energy.fill(&z);
        let best = energy.best_split(0, 20, 3).expect("a split");
        assert_eq!((best.tau, best.kappa), (12, 20));
        // A bump: Y ends where it does.
        let bump: Vec<f64> = (0..24)
            .map(|i| if (8..16).contains(&i) { 2.0 } else { 1.0 })
            .collect();
        energy.fill(&bump);
        let best = energy.best_split(0, 24, 3).expect("a split");
        assert_eq!((best.tau, best.kappa), (8, 16));
        assert_eq!(energy.best_split(0, 5, 3), None);
    }
}
