//! Noise that wanders: how much the lag-1 autocorrelation of a series'
//! residuals widens the variance of a difference of means and of
//! Mann–Kendall's S, taking the noise as AR(1).
//!
//! A CI history's noise is rarely independent from commit to commit (warm
//! caches, runner generations, slow drifts of the machine): with AR(1)
//! noise of φ = 0.5 and an iid test, 60-point series got false change
//! points at several times the nominal rate. The estimate r of φ comes from
//! the residuals about the levels a first pass found (or about the creep's
//! line), so a real step is not taken for autocorrelation; it is corrected for the bias fitting brings
//! (E r ≈ φ − k(1 + 3φ)/n for k fitted parameters, Kendall's), and clamped
//! to [0, [`MAX_AUTOCORRELATION`]]: a test is only ever widened.

/// φ is taken when above this many standard errors (1/√n) of zero.
const PRETEST: f64 = 0.0;

/// The largest autocorrelation taken.
const MAX_AUTOCORRELATION: f64 = 0.9;

/// Residuals fewer than this give no estimate (no widening): with fewer,
/// the estimate's spread (about 1/√n) is as large as what it measures.
const MIN_POINTS: usize = 20;

/// The estimate of φ from `residuals` of a fit with `fitted` parameters
/// (lag products into the first residual of each level in `starts` left
/// out).
fn phi(residuals: &[f64], starts: &[usize], fitted: f64) -> Option<f64> {
    let n = residuals.len();
    if n < MIN_POINTS {
        return None;
    }
    let squares: f64 = residuals.iter().map(|e| e * e).sum();
    let products: f64 = (1..n)
        .filter(|i| !starts.contains(i))
        .map(|i| residuals[i - 1] * residuals[i])
        .sum();
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

/// The factor by which the series' AR(1) noise widens the variance of a
/// difference of means, (1 + φ)/(1 − φ), from the residuals of `values`
/// about the levels between change points `points` (lag products across a
/// change point left out). 1 unless the estimate of φ is positive beyond
/// chance (above 1.645/√n, a one-sided 5% test): independent noise keeps
/// the test it was calibrated for, and loses no power.
pub(super) fn levels_inflation(values: &[f64], points: &[usize]) -> f64 {
    let mut residuals = Vec::with_capacity(values.len());
    let mut starts = Vec::with_capacity(points.len() + 1);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(points.iter().copied())
        .chain(std::iter::once(values.len()))
        .collect();
    for pair in bounds.windows(2) {
        let level = &values[pair[0]..pair[1]];
        if level.is_empty() {
            continue;
        }
        let mean = level.iter().sum::<f64>() / level.len() as f64;
        starts.push(residuals.len());
        residuals.extend(level.iter().map(|v| v - mean));
    }
    let fitted = starts.len() as f64;
    match phi(&residuals, &starts, fitted) {
        Some(phi) if phi > PRETEST / (residuals.len() as f64).sqrt() => (1.0 + phi) / (1.0 - phi),
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
    let phi = match phi(&residuals, &[], 2.0) {
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
    fn the_estimate_finds_phi_and_not_a_step() {
        let mut rng = Rng::new(9);
        // Averaged over many series of 60, the corrected estimate is near φ.
        for phi in [0.0, 0.5] {
            let mut sum = 0.0;
            for _ in 0..400 {
                let series = ar1(&mut rng, phi, 60);
                let mean = series.iter().sum::<f64>() / 60.0;
                let residuals: Vec<f64> = series.iter().map(|v| v - mean).collect();
                sum += self::phi(&residuals, &[], 1.0).unwrap();
            }
            let average = sum / 400.0;
            // Clamping at 0 lifts the average for φ = 0.
            assert!((average - phi).abs() < 0.1, "φ {phi}: {average}");
        }
        // A step between two flat levels is no autocorrelation once the
        // levels are fitted.
        let step: Vec<f64> = (0..40)
            .map(|i| if i < 20 { 0.0 } else { 10.0 } + [0.3, -0.3][i % 2])
            .collect();
        assert_eq!(levels_inflation(&step, &[20]), 1.0);
        assert!(levels_inflation(&step, &[]) > 10.0);
        // Wandering noise is widened for.
        let wander = ar1(&mut rng, 0.6, 200);
        let widened = levels_inflation(&wander, &[]);
        assert!(widened > 2.0 && widened < 8.0, "{widened}");
        assert_eq!(trend_inflation(&[1.0; 30], 0.0), 1.0);
    }
}
