//! The search, accounted for: critical values of the significance rule at
//! the split the detector chooses.
//!
//! A change point's split is the best of up to n − 2·min_segment + 1
//! positions, so its raw p is the smallest of many, and far from uniform
//! on a segment with no change. A Bonferroni factor of the positions
//! counted ~55 where, on 60 points, ~5 are effectively searched (the
//! positions' statistics are strongly correlated), and ran a nominal 1% at
//! 0.2%, at a cost in power. Instead, the null distribution of the raw p at
//! the detector's own split — outliers set aside, least-squares split, the three
//! t-tests, the autocorrelation widening — is simulated on independent
//! Gaussian noise (which the procedure does not depend on the level or
//! scale of), and its quantiles at [`LEVELS`] tabulated once for every
//! minimum segment of 2 to 5 and segment lengths of 4 to 1 024
//! ([`LENGTHS`]; `critical.rs`, written by this module's test). A raw p at
//! quantile `q_α` becomes α; between levels and lengths, log p is
//! interpolated in log p and log length; beyond 1 024 points the effective
//! number of positions is taken to grow as log(n / min_segment), as the
//! extremes of a standardised two-sample statistic do; a minimum segment
//! above 5 uses 5's values (fewer positions: conservative).
//!
//! What the table does not hold: the split step's screening, which takes
//! the noise as independent (no widening) and tests E-divisive's range,
//! goes through the same table, so its weak level is looser than it says
//! (it only proposes; the merge's tests decide); and the outlier rule is
//! simulated on the segment alone, where the detector flags outliers
//! against the whole series.

#[path = "critical.rs"]
#[rustfmt::skip]
// Simulated quantiles: one near a named constant is a coincidence.
#[allow(clippy::approx_constant)]
mod critical;

use critical::QUANTILES;

/// The calibrated levels, largest first: the quantiles tabulated.
pub(super) const LEVELS: [f64; 6] = [0.5, 0.2, 0.1, 0.05, 0.01, 0.001];

/// The smallest minimum segment tabulated; `QUANTILES[m − 2]` holds m's.
const FIRST_MIN_SEGMENT: usize = 2;
/// The largest minimum segment tabulated.
const LAST_MIN_SEGMENT: usize = 5;

/// The segment lengths tabulated.
/// Every length from 4 to 20 (the widening for autocorrelation starts at
/// 20 points, so 19 and 20 differ), then about a quarter apart.
pub(super) const LENGTHS: [usize; 34] = [
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 24, 28, 32, 40, 48, 56, 64, 80,
    96, 128, 160, 192, 256, 384, 512, 768, 1024,
];

/// The calibrated p of a raw `p` at the detector's split of a segment of
/// `len` points with `min_segment` a side: the chance that a segment with
/// no change gives a raw p as small.
pub(super) fn calibrated(p: f64, len: usize, min_segment: usize) -> f64 {
    if p >= 1.0 || p.is_nan() {
        return 1.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    let min_segment = min_segment.clamp(FIRST_MIN_SEGMENT, LAST_MIN_SEGMENT);
    let Some(quantiles) = log_quantiles(len, min_segment) else {
        return p;
    };
    let log_p = p.ln();
    let log_level = |k: usize| LEVELS[k].ln();
    let last = LEVELS.len() - 1;
    let level = if log_p >= quantiles[0] {
        // Between the median's quantile and (1, 1).
        log_level(0) * log_p / quantiles[0]
    } else if log_p <= quantiles[last] {
        log_p + log_level(last) - quantiles[last]
    } else {
        let k = (1..=last)
            .find(|&k| log_p >= quantiles[k])
            .expect("log p lies between two quantiles");
        let t = (log_p - quantiles[k]) / (quantiles[k - 1] - quantiles[k]);
        log_level(k) + t * (log_level(k - 1) - log_level(k))
    };
    level.exp().min(1.0)
}

/// The log quantiles of the raw p for `len` points, interpolated in log
/// length (`None` if `len` is below two segments).
fn log_quantiles(len: usize, min_segment: usize) -> Option<[f64; 6]> {
    if len < 2 * min_segment {
        return None;
    }
    let table = &QUANTILES[min_segment - FIRST_MIN_SEGMENT];
    let logs = |k: usize| table[k].map(f64::ln);
    let last = LENGTHS.len() - 1;
    if len >= LENGTHS[last] {
        // Effective positions growing as log(len / min_segment).
        let growth = ((len as f64 / min_segment as f64).ln()
            / (LENGTHS[last] as f64 / min_segment as f64).ln())
        .ln();
        return Some(logs(last).map(|q| q - growth));
    }
    let k = LENGTHS
        .iter()
        .position(|&l| l > len)
        .expect("len is below the last");
    let (low, high) = (logs(k - 1), logs(k));
    let t = ((len as f64).ln() - (LENGTHS[k - 1] as f64).ln())
        / ((LENGTHS[k] as f64).ln() - (LENGTHS[k - 1] as f64).ln());
    Some(std::array::from_fn(|i| low[i] + t * (high[i] - low[i])))
}

#[cfg(test)]
mod tests {
    use super::super::placement::Placement;
    use super::super::{Model, Prepared};
    use super::*;
    use crate::random::Rng;

    /// Segments simulated per length and minimum segment.
    const COUNT: usize = 20_000;
    /// The seed of the first cell; cell k uses `SEED + k`.
    const SEED: u64 = 0x5EED_0025;

    /// The quantiles at [`LEVELS`] of the raw p at the detector's split of
    /// `count` segments of `len` Gaussian points.
    fn null_quantiles(len: usize, min_segment: usize, count: usize, seed: u64) -> [f64; 6] {
        let mut rng = Rng::new(seed);
        let mut raw: Vec<f64> = (0..count)
            .map(|_| {
                let series: Vec<f64> = (0..len).map(|_| rng.normal()).collect();
                let prepared = Prepared::new(&series, min_segment);
                match prepared.split_at_best(0, len) {
                    Some(Placement { at: Some(tau), .. }) => {
                        prepared.test_raw(0, tau, len, Model::Null).p
                    }
                    _ => 1.0,
                }
            })
            .collect();
        raw.sort_by(f64::total_cmp);
        LEVELS.map(|level| raw[((level * count as f64).ceil() as usize).max(1) - 1])
    }

    /// The table as `critical.rs` holds it.
    fn source(quantiles: &[Vec<[f64; 6]>]) -> String {
        let mut out = String::from(
            "//! Written by `calibration`'s test (`PERF_BLESS=1`): per minimum segment\n\
             //! (2 to 5) and length (`LENGTHS`), the quantiles of the raw p at `LEVELS`.\n\n\
             /// The null quantiles of the raw p.\n",
        );
        out.push_str(&format!(
            "pub(super) const QUANTILES: [[[f64; 6]; {}]; {}] = [\n",
            LENGTHS.len(),
            quantiles.len()
        ));
        for rows in quantiles {
            out.push_str("    [\n");
            for row in rows {
                let cells: Vec<String> = row.iter().map(|q| format!("{q:.4e}")).collect();
                out.push_str(&format!("        [{}],\n", cells.join(", ")));
            }
            out.push_str("    ],\n");
        }
        out.push_str("];\n");
        out
    }

    #[test]
    #[ignore = "simulates 2.6 million segments: run in release"]
    fn the_critical_values_are_the_simulation() {
        let mut all = Vec::new();
        let mut cell = 0;
        for min_segment in FIRST_MIN_SEGMENT..=LAST_MIN_SEGMENT {
            let mut rows = Vec::new();
            for &len in &LENGTHS {
                cell += 1;
                rows.push(if len < 2 * min_segment {
                    [1.0; 6]
                } else {
                    null_quantiles(len, min_segment, COUNT, SEED + cell)
                });
            }
            all.push(rows);
        }
        let written = source(&all);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/history/detect/critical.rs"
        );
        if std::env::var_os("PERF_BLESS").is_some() {
            std::fs::write(path, &written).expect("write critical.rs");
        }
        let held = std::fs::read_to_string(path).expect("read critical.rs");
        assert!(
            held == written,
            "critical.rs is not the simulation: PERF_BLESS=1 cargo test --release -p perf-stats calibration -- --ignored"
        );
    }

    #[test]
    fn calibrated_p_is_uniform_on_fresh_noise() {
        // 4 000 fresh segments of 60 points: the share with a calibrated p
        // at or below each level lies within its 99.9% binomial interval.
        let mut rng = Rng::new(SEED ^ 0xFFFF);
        let count = 4_000;
        let calibrated_p: Vec<f64> = (0..count)
            .map(|_| {
                let series: Vec<f64> = (0..60).map(|_| rng.normal()).collect();
                let prepared = Prepared::new(&series, 3);
                let tau = prepared.split_at_best(0, 60).unwrap().at.unwrap();
                prepared.test(0, tau, 60, Model::Null).p
            })
            .collect();
        for level in [0.5, 0.1, 0.05, 0.01] {
            let hits = calibrated_p.iter().filter(|&&p| p <= level).count();
            let (low, high) = crate::probability::clopper_pearson(hits, count);
            let slack = 0.0015;
            assert!(
                low - slack <= level && level <= high + slack,
                "level {level}: {hits} of {count}"
            );
        }
    }

    #[test]
    fn calibration_is_monotone_and_bounded() {
        for len in [6, 7, 30, 60, 100, 1024, 5000] {
            let mut last = 0.0;
            for k in 0..200 {
                let p = 10f64.powf(-8.0 + 8.0 * k as f64 / 199.0);
                let c = calibrated(p, len, 3);
                assert!(c >= last && c <= 1.0, "len {len}, p {p}: {c}");
                last = c;
            }
        }
        assert_eq!(calibrated(1.0, 60, 3), 1.0);
        assert_eq!(calibrated(0.0, 60, 3), 0.0);
    }
}
