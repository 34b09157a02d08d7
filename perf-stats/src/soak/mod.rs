//! The growth of live heap over a soak, and the verdict on it.
//!
//! A program's live heap is what it keeps (a baseline, and anything it
//! leaks) plus what it holds for a while and gives back: buffers that fill
//! and are cleared, requests in flight. The second part makes a sawtooth
//! whose slope over any window that does not hold a whole number of teeth
//! is not zero, and whose samples, 100 ms apart, are anything but
//! independent: a line fitted through all of them, with an interval that
//! takes them as independent, calls a sawtooth "growing" most of the time.
//!
//! What a leak raises is the **floor**: the least the program holds. The
//! window after the warm-up is cut into [`BLOCKS`] equal blocks and each
//! block's lowest point (with its time) is kept. The runtime's timeline
//! holds, besides a sample every 100 ms at most, the low-water mark of the
//! live heap between two samples (`PerfAlloc` keeps it as it keeps the
//! peak), so that point is the least the heap held in the block, not the
//! least sampled: samples land at a different point of each tooth, and a
//! tooth whose length beats with them (0.997 s) has lowest samples that
//! climb through the soak. A block at least one tooth long holds a trough,
//! so a sawtooth's floor is flat and a leak's rises with it, as the heap
//! after a full collection does in a garbage collected runtime. Through
//! those points goes a **Theil–Sen** line (the median of the pairwise
//! slopes) with **Sen's interval** from the exact quantiles of Kendall's S
//! (see [`crate::trend::sen_slope`]): for 10 floors its bounds are the 12th
//! smallest and largest of 45 slopes, a coverage of 95.34% (2.33% a side)
//! where [`CONFIDENCE`] asks 95%. The blocks' floors are far enough apart
//! to be taken as independent, which the interval needs.
//!
//! The verdict: **stable** when the interval holds zero (no growth shown)
//! or lies below the threshold (growth shown to be smaller); **growing**
//! otherwise, that is when the whole interval is above zero and reaches
//! the threshold. With the default threshold of 0 a soak is growing
//! exactly when its floor rises with 95.34% confidence (10 floors; at
//! least 95% for any number). A sawtooth whose
//! teeth are longer than a block (a tenth of the window) is not flattened;
//! its floor then swings and the interval widens, so it is more often
//! stable than growing, but a soak should last many teeth
//! (`docs/soak.md` measures how often each growth is called).

use perf_format::schema::run::{FunctionStats, HeapPoint};
pub use perf_format::schema::soak::Growth;
use perf_format::schema::soak::{FloorPoint, Suspect};

pub use crate::trend::Slope;
use crate::trend::sen_slope;

#[cfg(any(test, feature = "testing"))]
pub mod evaluation;

/// Blocks the window after the warm-up is cut into, one floor point each.
pub const BLOCKS: usize = 10;
/// Floor points a fit needs at least (blocks that hold a point).
pub const MIN_FLOORS: usize = 6;
/// Points of the timeline after the warm-up a fit needs at least.
pub const MIN_SAMPLES: usize = 20;
/// How far apart the runtime's heap timeline points are at most.
pub const SAMPLE_EVERY_NS: u64 = 100_000_000;
/// The shortest stretch after the warm-up that holds [`MIN_SAMPLES`]
/// points: 2 s.
pub const MIN_SPAN_NS: u64 = MIN_SAMPLES as u64 * SAMPLE_EVERY_NS;
/// The confidence asked of the slope's interval: its coverage is at
/// least this, 95.34% for 10 floor points (the steps of Kendall's S).
pub const CONFIDENCE: f64 = 0.95;

/// Nanoseconds in a minute: slopes are shown per minute.
const MINUTE_NS: f64 = 60e9;

/// The lowest point of each of `blocks` equal blocks of the timeline from
/// `from_ns` to its last point, as (ns, bytes): with the runtime's
/// low-water marks on the timeline, the least the heap held in the block.
/// Blocks without a point are left out, and the earliest of equal lows is
/// kept.
pub fn floor(timeline: &[HeapPoint], from_ns: u64, blocks: usize) -> Vec<(f64, f64)> {
    let window: Vec<&HeapPoint> = timeline.iter().filter(|p| p.t_ns >= from_ns).collect();
    let Some(last) = window.iter().map(|p| p.t_ns).max() else {
        return Vec::new();
    };
    let span = (last - from_ns) as f64;
    let mut lows: Vec<Option<&HeapPoint>> = vec![None; blocks];
    for point in window {
        let at = if span > 0.0 {
            (((point.t_ns - from_ns) as f64 / span * blocks as f64) as usize).min(blocks - 1)
        } else {
            0
        };
        let low = &mut lows[at];
        let lower = match low {
            Some(held) => {
                point.live_bytes < held.live_bytes
                    || (point.live_bytes == held.live_bytes && point.t_ns < held.t_ns)
            }
            None => true,
        };
        if lower {
            *low = Some(point);
        }
    }
    lows.into_iter()
        .flatten()
        .map(|p| (p.t_ns as f64, p.live_bytes as f64))
        .collect()
}

/// The Theil–Sen slope of `floor` (ns, bytes) with Sen's interval at
/// [`CONFIDENCE`], in bytes per minute; `None` with no two points at
/// different times.
pub fn growth(floor: &[(f64, f64)]) -> Option<Slope> {
    sen_slope(floor, CONFIDENCE).map(|slope| slope.scaled(MINUTE_NS))
}

/// The verdict on `slope` against `threshold` (bytes per minute, 0 or
/// more): growing when the interval lies above zero and reaches the
/// threshold; stable otherwise.
pub fn verdict(slope: &Slope, threshold: f64) -> Growth {
    if slope.lower > 0.0 && slope.upper >= threshold {
        Growth::Growing
    } else {
        Growth::Stable
    }
}

/// What a fit of a timeline found.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Points of the timeline after the warm-up: samples, and the peaks
    /// and low-water marks between them.
    pub samples: usize,
    /// The floor points the line went through, (ns, bytes).
    pub floor: Vec<(f64, f64)>,
    /// The slope of the floor.
    pub slope: Slope,
}

/// Why a timeline cannot be fitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// Too few points of the timeline after the warm-up.
    TooFewSamples {
        /// How many there are.
        samples: usize,
    },
    /// The points after the warm-up fall in too few blocks.
    TooFewFloors {
        /// How many blocks hold a point.
        floors: usize,
    },
}

/// Fits the floor of `timeline` after `warmup_ns`.
///
/// # Examples
///
/// ```
/// use perf_format::schema::run::HeapPoint;
/// use perf_stats::soak::{Growth, fit, verdict};
///
/// // 30 s sampled every 100 ms: 8 MiB kept, a 4 MiB buffer filled and
/// // cleared every 1.7 s, and 2 MiB a minute leaked.
/// const MIB: f64 = 1024.0 * 1024.0;
/// let timeline: Vec<HeapPoint> = (0..300u64)
///     .map(|i| {
///         let t = i as f64 / 10.0;
///         let bytes = 8.0 * MIB + 4.0 * MIB * (t / 1.7).fract() + 2.0 * MIB * t / 60.0;
///         HeapPoint::new(i * 100_000_000, bytes as u64)
///     })
///     .collect();
/// let fitted = fit(&timeline, 0).unwrap();
/// assert_eq!(verdict(&fitted.slope, 0.0), Growth::Growing);
/// assert!((fitted.slope.estimate / MIB - 2.0).abs() < 0.5);
/// ```
pub fn fit(timeline: &[HeapPoint], warmup_ns: u64) -> Result<Fit, Unfit> {
    let samples = timeline.iter().filter(|p| p.t_ns >= warmup_ns).count();
    if samples < MIN_SAMPLES {
        return Err(Unfit::TooFewSamples { samples });
    }
    let floor = floor(timeline, warmup_ns, BLOCKS);
    if floor.len() < MIN_FLOORS {
        return Err(Unfit::TooFewFloors {
            floors: floor.len(),
        });
    }
    let slope = growth(&floor).ok_or(Unfit::TooFewFloors {
        floors: floor.len(),
    })?;
    Ok(Fit {
        samples,
        floor,
        slope,
    })
}

impl Fit {
    /// The fit as `soak.json` (`perf-soak/1`) keeps it.
    pub fn figures(&self) -> perf_format::schema::soak::Fit {
        let bound = |b: f64| b.is_finite().then_some(b);
        let mut fit = perf_format::schema::soak::Fit::default();
        fit.samples = self.samples;
        fit.blocks = BLOCKS;
        fit.floor = self
            .floor
            .iter()
            .map(|&(t, bytes)| FloorPoint::new(t as u64, bytes as u64))
            .collect();
        fit.slope_bytes_per_min = self.slope.estimate;
        fit.lower_bytes_per_min = bound(self.slope.lower);
        fit.upper_bytes_per_min = bound(self.slope.upper);
        fit.confidence = CONFIDENCE;
        fit
    }
}

/// The functions whose calls kept the most bytes each (allocated in the
/// call, not freed by its end), most first: at most `most`, each keeping
/// more than zero. What a growing verdict names.
pub fn suspects(functions: &[FunctionStats], most: usize) -> Vec<Suspect> {
    let mut kept: Vec<Suspect> = functions
        .iter()
        .filter_map(|f| {
            let net = f.net_bytes_per_call();
            (net > 0.0).then(|| Suspect::new(f.name.clone(), f.calls, net))
        })
        .collect();
    kept.sort_by(|a, b| {
        b.net_bytes_per_call
            .total_cmp(&a.net_bytes_per_call)
            .then_with(|| a.function.cmp(&b.function))
    });
    kept.truncate(most);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    /// Samples every 100 ms for `seconds`, of `bytes(t in s)`.
    fn timeline(seconds: u64, bytes: impl Fn(f64) -> f64) -> Vec<HeapPoint> {
        (0..seconds * 10)
            .map(|i| {
                let t_ns = i * 100_000_000;
                HeapPoint::new(t_ns, bytes(t_ns as f64 / 1e9) as u64)
            })
            .collect()
    }

    #[test]
    fn a_straight_line_has_its_slope_and_a_tight_interval() {
        // 1 MiB a minute on top of 8 MiB.
        let line = timeline(30, |t| 8.0 * MIB + MIB * t / 60.0);
        let fit = fit(&line, 0).unwrap();
        assert_eq!(fit.floor.len(), BLOCKS);
        assert!((fit.slope.estimate - MIB).abs() < 1e-6 * MIB, "{fit:?}");
        assert!((fit.slope.lower - MIB).abs() < 0.01 * MIB);
        assert_eq!(verdict(&fit.slope, 0.0), Growth::Growing);
        // Shown below 2 MiB a minute: stable under that threshold.
        assert!(fit.slope.upper < 2.0 * MIB);
        assert_eq!(verdict(&fit.slope, 2.0 * MIB), Growth::Stable);
    }

    #[test]
    fn a_flat_heap_is_stable_with_an_interval_of_zero() {
        let flat = timeline(30, |_| 8.0 * MIB);
        let fit = fit(&flat, 0).unwrap();
        assert_eq!(
            fit.slope,
            Slope {
                estimate: 0.0,
                lower: 0.0,
                upper: 0.0
            }
        );
        assert_eq!(verdict(&fit.slope, 0.0), Growth::Stable);
    }

    #[test]
    fn a_sawtooth_is_stable_and_a_leak_under_it_is_not() {
        // A 4 MiB buffer filled over 1.7 s and cleared: every window of
        // 30 s holds a partial tooth, which a line through every sample
        // would call growth.
        let tooth = |t: f64| 4.0 * MIB * ((t / 1.7).fract());
        let saw = timeline(30, |t| 8.0 * MIB + tooth(t));
        let fit = fit(&saw, 0).unwrap();
        assert_eq!(verdict(&fit.slope, 0.0), Growth::Stable, "{fit:?}");
        // The same with 2 MiB a minute kept.
        let leak = timeline(30, |t| 8.0 * MIB + tooth(t) + 2.0 * MIB * t / 60.0);
        let fit = super::fit(&leak, 0).unwrap();
        assert_eq!(verdict(&fit.slope, 0.0), Growth::Growing, "{fit:?}");
        assert!((fit.slope.estimate / MIB - 2.0).abs() < 0.5, "{fit:?}");
    }

    #[test]
    fn the_warm_up_is_left_out() {
        // Filling up for 12 s, flat after.
        let filling = timeline(20, |t| MIB * t.min(12.0));
        assert_eq!(
            verdict(&fit(&filling, 0).unwrap().slope, 0.0),
            Growth::Growing
        );
        let after = fit(&filling, 12_000_000_000).unwrap();
        assert_eq!(verdict(&after.slope, 0.0), Growth::Stable, "{after:?}");
        assert_eq!(after.samples, 80);
    }

    #[test]
    fn too_little_after_the_warm_up_is_refused() {
        let short = timeline(3, |_| MIB);
        assert_eq!(
            fit(&short, 2_000_000_000),
            Err(Unfit::TooFewSamples { samples: 10 })
        );
        // 30 samples, all in the first and last blocks.
        let mut gap: Vec<HeapPoint> = (0..15).map(|i| HeapPoint::new(i, 1)).collect();
        gap.extend((0..15).map(|i| HeapPoint::new(1_000_000_000 + i, 1)));
        assert_eq!(fit(&gap, 0), Err(Unfit::TooFewFloors { floors: 2 }));
    }
}
