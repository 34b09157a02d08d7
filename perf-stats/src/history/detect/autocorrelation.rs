//! Noise that wanders: how much the lag-1 autocorrelation of a segment's
//! residuals widens the variance of a difference of means and of
//! Mann–Kendall's S, taking the noise as AR(1).
//!
//! A CI history's noise is rarely independent from commit to commit (warm
//! caches, runner generations, slow drifts of the machine): with AR(1)
//! noise of φ = 0.5 and an iid test, 60-point series got false change
//! points at several times the nominal rate. The estimate r of φ comes from
//! the residuals about the segment's mean, the null hypothesis of the test
//! (residuals about the two levels of the split would let the split absorb
//! the wander, and measured 12% false change points at φ = 0.5), or about
//! the creep's line; it is corrected for the bias fitting brings
//! (E r ≈ φ − (1 + 3φ)/n about a fitted mean, Kendall's; taken as
//! φ − k(1 + 3φ)/n for the k = 2 parameters of a line, a heuristic), and clamped
//! to [0, [`MAX_AUTOCORRELATION`]]: a test is only ever widened.

/// φ is taken when above this many standard errors (1/√n) of zero.
const PRETEST: f64 = 1.645;

/// The largest autocorrelation taken.
const MAX_AUTOCORRELATION: f64 = 0.9;

/// Residuals fewer than this give no estimate (no widening): with fewer,
/// the estimate's spread (about 1/√n) is as large as what it measures.
const MIN_POINTS: usize = 20;

/// The estimate of φ from `residuals` of a fit with `fitted` parameters.
fn phi(residuals: &[f64], fitted: f64) -> Option<f64> {
    let n = residuals.len();
    if n < MIN_POINTS {
        return None;
    }
    let squares: f64 = residuals.iter().map(|e| e * e).sum();
    let products: f64 = residuals.windows(2).map(|w| w[0] * w[1]).sum();
    if squares <= 0.0 {
        return None;
    }
    let r = products / squares;
    let n = n as f64;
    let shrink = 1.0 - 3.0 * fitted / n;
    if shrink < 0.5 {
        // Too many levels fitted for what is left to tell.
        return None;
    }
    let corrected = (r + fitted / n) / shrink;
    Some(corrected.clamp(0.0, MAX_AUTOCORRELATION))
}

/// The factor by which AR(1) noise widens the variance of a difference of
/// means within `segment`, taken as one level (the null hypothesis of a
/// test of a step in it): (1 + φ)/(1 − φ) from the residuals about its
/// mean. 1 unless the estimate of φ is positive beyond chance (above
/// 1.645/√n, a one-sided 5% test), and for segments under 20 points.
pub(super) fn level_inflation(segment: &[f64]) -> f64 {
    let n = segment.len();
    if n < MIN_POINTS {
        return 1.0;
    }
    let mean = segment.iter().sum::<f64>() / n as f64;
    let residuals: Vec<f64> = segment.iter().map(|v| v - mean).collect();
    match phi(&residuals, 1.0) {
        Some(phi) if phi > PRETEST / (n as f64).sqrt() => (1.0 + phi) / (1.0 - phi),
        _ => 1.0,
    }
}

/// Yue & Wang's factor n/n* for the variance of Mann–Kendall's S over
/// `segment` with AR(1) noise, from the residuals about the line of
/// `slope` (per position): 1 + 2·Σ_{k=1}^{n−1} (1 − k/n)·φ^k.
pub(super) fn trend_inflation(segment: &[f64], slope: f64) -> f64 {
    let n = segment.len();
    if n == 0 {
        return 1.0;
    }
    let mean_offset = segment
        .iter()
        .enumerate()
        .map(|(i, v)| v - slope * i as f64)
        .sum::<f64>()
        / n as f64;
    let residuals: Vec<f64> = segment
        .iter()
        .enumerate()
        .map(|(i, v)| v - slope * i as f64 - mean_offset)
        .collect();
    let phi = match phi(&residuals, 2.0) {
        Some(phi) if phi > PRETEST / (n as f64).sqrt() => phi,
        _ => return 1.0,
    };
    let (mut sum, mut power) = (0.0, 1.0);
    for k in 1..n {
        power *= phi;
        if power < 1e-12 {
            break;
        }
        sum += (1.0 - k as f64 / n as f64) * power;
    }
    1.0 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Rng;

    /// AR(1) noise of `phi`, unit innovations.
    fn ar1(rng: &mut Rng, phi: f64, len: usize) -> Vec<f64> {
        let mut x = rng.normal() / (1.0 - phi * phi).sqrt();
        (0..len)
            .map(|_| {
                let now = x;
                x = phi * x + rng.normal();
                now
            })
            .collect()
    }

    #[test]
    fn the_estimate_finds_phi() {
        let mut rng = Rng::new(9);
        // Averaged over many series of 60, the corrected estimate is near φ.
        for phi in [0.0, 0.5] {
            let mut sum = 0.0;
            for _ in 0..400 {
                let series = ar1(&mut rng, phi, 60);
                let mean = series.iter().sum::<f64>() / 60.0;
                let residuals: Vec<f64> = series.iter().map(|v| v - mean).collect();
                sum += self::phi(&residuals, 1.0).unwrap();
            }
            let average = sum / 400.0;
            // Clamping at 0 lifts the average for φ = 0.
            assert!((average - phi).abs() < 0.1, "φ {phi}: {average}");
        }
        // A step is autocorrelation to the null hypothesis of one level.
        let step: Vec<f64> = (0..40)
            .map(|i| if i < 20 { 0.0 } else { 10.0 } + [0.3, -0.3][i % 2])
            .collect();
        assert_eq!(level_inflation(&step[..20]), 1.0);
        assert_eq!(level_inflation(&step[..19]), 1.0);
        assert!(level_inflation(&step) > 10.0);
        // Wandering noise is widened for.
        let wander = ar1(&mut rng, 0.6, 200);
        let widened = level_inflation(&wander);
        assert!(widened > 2.0 && widened < 8.0, "{widened}");
        assert_eq!(trend_inflation(&[1.0; 30], 0.0), 1.0);
    }
}
