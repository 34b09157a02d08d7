//! Change points in one series — a function × metric over commits, oldest
//! first — and slow creep since the last of them.
//!
//! **Level shifts** are found as Apache Otava (formerly Hunter) finds them,
//! E-divisive means (Matteson & James 2014) with a t-test over sliding
//! windows, then a merge that re-tests every change point against its
//! neighbours (Fleming et al., ICPE 2023), with three departures that real
//! series asked for: a placement one outlier cannot capture, a test
//! calibrated for the search and for autocorrelated noise, and a minimum
//! magnitude.
//! 1. *Split.* Windows of [`DetectOptions::window`] points, each starting
//!    half a window after the last (or at the last change point found, if
//!    later). In each window, E-divisive bisects: the best split of every
//!    range is the (τ, κ) maximising the energy statistic Q̂ of
//!    X = x[a..τ) against Y = x[τ..κ) (see `energy`); the candidate with the
//!    largest Q̂ has its τ moved to the robust split of x[a..κ) (see
//!    `placement`: energy is drawn to an outlier) and is tested (X against
//!    Y), kept if significant at the *weak*
//!    level (10 × `significance`, as Otava), and its two sides become
//!    ranges; the first candidate that fails ends the window.
//!    The robust split of the whole series is a candidate too, at the same
//!    weak level (a window's bisection can miss a small step).
//! 2. *Place and merge.* Each change point moves to the *robust split*
//!    between its neighbours (see `placement`: outliers set aside, then
//!    the least-squares split of the points kept), and is dropped if that
//!    split, free of the minimum segment, would leave fewer than
//!    `min_segment` points on a side — a change too young to call. Then
//!    every change point is tested on the whole segments between its
//!    neighbours; while any is not significant at `significance`, the
//!    weakest (largest p) is dropped and its neighbours re-tested. Place
//!    and merge repeat until nothing moves (four rounds at most).
//! 3. *Drift, not shift.* A change point whose two segments one straight
//!    line fits at least as well as two levels (residual sum of squares) is
//!    a piece of a drift: the most line-like is dropped and step 2 re-run,
//!    until none is left.
//! 4. *Magnitude.* While a change point moves the level by less than
//!    [`DetectOptions::min_change`] (default: the threshold), the smallest
//!    is dropped and step 2 re-run on the merged segments, as Otava's
//!    minimum magnitude.
//!
//! **Significance rule.** A split at τ of the segment [a, b) is tested by
//! Student's pooled two-sample t-test of x[a..τ) against x[τ..b), each side
//! with at least [`DetectOptions::min_segment`] points (default 3):
//! - *Outliers.* The test is repeated without the most favourable point of
//!   each side (for a rise, the largest of the new segment and the smallest
//!   of the old; the reverse for a fall) and the largest of the three
//!   p-values is kept, so one outlier cannot make a change point.
//! - *Autocorrelation.* The lag-1 autocorrelation r of the segment's
//!   residuals about its mean — the null hypothesis, one level — is
//!   estimated (bias-corrected, clamped to [0, 0.9]; segments under 20
//!   points are not corrected) and, when positive beyond chance (a
//!   one-sided 5% test), widens the variance by (1 + r)/(1 − r), the
//!   long-run variance of AR(1) noise: noise that wanders (warm caches,
//!   runner generations) is not taken for shifts. A real step raises r
//!   too, so the widening costs power on steps near the noise; the split
//!   step's screening takes the noise as independent, so that a range
//!   holding two steps still yields both (see `autocorrelation`).
//! - *The search.* The split was chosen because the test looked best
//!   there, so the raw p is calibrated by the null distribution of the
//!   whole procedure — outlier rule, split, widening and the three tests
//!   — on independent Gaussian noise, tabulated once per segment length
//!   and minimum segment (see `calibration`): a calibrated p ≤ α happens
//!   with probability α on a segment with no change. A segment of L points
//!   in a series of n is then multiplied by 2n/L − 1: the segments that
//!   long the series holds, overlapping by half as the windows do.
//!
//! Equal means (to 1e-12 of the series' largest value) give p = 1;
//! different means with no noise at all (instruction counts) p = 0.
//!
//! **Creep rule.** The segment since the last change point (the whole
//! series if there is none), if it has at least [`DetectOptions::min_creep`]
//! points, is tested for a monotone trend by Mann–Kendall, its variance
//! widened for autocorrelation by Yue & Wang's factor (from the lag-1
//! autocorrelation of the segment less its Theil–Sen line, as AR(1)). It
//! is reported as [`Creep`] when p ≤ `significance`, the Theil–Sen slope is
//! not zero, and a straight line explains more of the segment than its
//! best split into two levels does (else it is a step too small to be a
//! change point, which Mann–Kendall also sees as a trend). The report
//! gives the start, the slope, and the change over the segment
//! (slope × (length − 1)), in percent of the Theil–Sen level at its start.
//!
//! **Verdict**, by [`DetectOptions::higher_is_better`] (false for times,
//! counts and bytes): regressed when the newest change point worsens the
//! level by more than [`DetectOptions::threshold`]; else creeping when the
//! creep worsens it by more than the threshold over its segment; else
//! steady. Across many series, [`control`] keeps the false alarms among
//! the verdicts at a rate (Benjamini–Hochberg over every series looked at).
//!
//! Cost: O(n·w) per series of n points with windows of w, plus
//! O(n log n) per change point re-tested or moved; [`detect_many`] spreads
//! series over the cores.

mod autocorrelation;
mod calibration;
mod energy;
mod placement;
#[cfg(test)]
mod tests;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use energy::{Energy, Split};
use placement::Placement;

use crate::summary::median_mut;
use crate::trend;

/// How [`detect`] works and judges. Every field has a default
/// ([`DetectOptions::default`]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct DetectOptions {
    /// The largest p-value of a change point (and of a creep): 0.01.
    pub significance: f64,
    /// The regression threshold of the verdict, as a fraction: 0.05 (a
    /// change point or creep worsening the level by more than 5% is a
    /// regression).
    pub threshold: f64,
    /// The smallest change point reported, as a fraction of the level
    /// before it; `None` (the default) is the threshold, `Some(0.0)` lists
    /// every significant one.
    pub min_change: Option<f64>,
    /// Whether a rise is an improvement (throughput): false, as for times,
    /// counts and bytes.
    pub higher_is_better: bool,
    /// Points per window of the split step: 50. Windows overlap by half.
    pub window: usize,
    /// Fewest points on each side of a change point: 3 (at least 2).
    pub min_segment: usize,
    /// Fewest points in the last segment for a creep finding: 10.
    pub min_creep: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            significance: 0.01,
            threshold: 0.05,
            min_change: None,
            higher_is_better: false,
            window: 50,
            min_segment: 3,
            min_creep: 10,
        }
    }
}

impl DetectOptions {
    /// Checks the options, saying what is wrong. [`detect`] itself never
    /// fails: it clamps `min_segment` to at least 2 and `window` to at least
    /// twice `min_segment`.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.significance > 0.0 && self.significance < 1.0) {
            return Err(format!(
                "significance {} is not between 0 and 1",
                self.significance
            ));
        }
        if !(self.threshold >= 0.0 && self.threshold.is_finite()) {
            return Err(format!(
                "threshold {} is not a fraction ≥ 0",
                self.threshold
            ));
        }
        if let Some(min_change) = self.min_change
            && !(min_change >= 0.0 && min_change.is_finite())
        {
            return Err(format!("min_change {min_change} is not a fraction ≥ 0"));
        }
        if self.min_segment < 2 {
            return Err(format!(
                "min_segment {} is below 2: one point could be a segment",
                self.min_segment
            ));
        }
        if self.window < 2 * self.min_segment {
            return Err(format!(
                "window {} is shorter than two segments of {}",
                self.window, self.min_segment
            ));
        }
        Ok(())
    }

    /// The smallest change point reported, as a fraction: `min_change`,
    /// or the threshold.
    pub fn smallest_change(&self) -> f64 {
        self.min_change.unwrap_or(self.threshold)
    }

    /// The fewest points in which a change point is searched for:
    /// `min_segment` (at least 2) on each side. [`detect`] finds none in a
    /// shorter series, whatever it holds: 6 by default.
    pub fn shortest_searched(&self) -> usize {
        2 * self.min_segment.max(2)
    }

    /// Whether a change of `change_pct` percent worsens the level by more
    /// than the threshold.
    fn worse_beyond_threshold(&self, change_pct: f64) -> bool {
        let worsening = if self.higher_is_better {
            -change_pct
        } else {
            change_pct
        };
        worsening > self.threshold * 100.0
    }

    /// The p-value threshold of the split step: 10 × significance below
    /// 0.05, 2 × below 0.5, as Otava's.
    fn weak_significance(&self) -> f64 {
        let s = self.significance;
        if s < 0.05 {
            s * 10.0
        } else if s < 0.5 {
            s * 2.0
        } else {
            s
        }
    }
}

/// A level shift.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangePoint {
    /// 0-based position of the first point of the new level.
    pub index: usize,
    /// Mean of the segment before (from the previous change point).
    pub before: f64,
    /// Mean of the segment after (to the next change point).
    pub after: f64,
    /// (after − before) / |before| in percent; ±∞ if `before` is 0 and
    /// `after` is not, 0 if both are.
    pub change_pct: f64,
    /// Calibrated p-value of the significance rule (module docs).
    pub p: f64,
}

/// Slow drift over the last segment, never a single level shift.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Creep {
    /// 0-based position of the first point of the segment (the last change
    /// point, or 0).
    pub start: usize,
    /// Points in the segment (it runs to the end of the series).
    pub len: usize,
    /// Theil–Sen slope per commit, in percent of the level at `start`.
    pub slope_pct: f64,
    /// Change over the segment, slope × (len − 1), in percent of the level
    /// at `start`.
    pub change_pct: f64,
    /// Two-sided p-value of the Mann–Kendall test, its variance widened
    /// for autocorrelation.
    pub p: f64,
}

/// What the series says, by the threshold and the direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Neither of the below.
    Steady,
    /// The newest change point worsens the level by more than the
    /// threshold.
    Regressed,
    /// No regression, but the creep worsens it by more than the threshold.
    Creeping,
}

/// The change points and creep of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Level shifts, by index.
    pub change_points: Vec<ChangePoint>,
    /// Drift since the last change point, if significant.
    pub creep: Option<Creep>,
    /// The verdict by [`DetectOptions::threshold`] (and, after
    /// [`control`], across series).
    pub verdict: Verdict,
    /// After [`control`]: the Benjamini–Hochberg q-value of the finding
    /// the verdict rested on, across every series — kept when it turned the
    /// verdict steady (`None` for a series steady by itself, and before
    /// `control`).
    pub q: Option<f64>,
}

impl Detection {
    /// The p-value the verdict rests on: the newest change point's when
    /// regressed, the creep's when creeping.
    pub fn verdict_p(&self) -> Option<f64> {
        match self.verdict {
            Verdict::Steady => None,
            Verdict::Regressed => self.change_points.last().map(|c| c.p),
            Verdict::Creeping => self.creep.map(|c| c.p),
        }
    }
}

/// Holds the verdicts of many series to one false-alarm rate: each
/// regressed or creeping series gets the Benjamini–Hochberg q-value of its
/// finding among every series looked at (a steady one counts with p = 1),
/// and one whose q exceeds `rate` is steady (its change points and creep
/// stay listed). The expected share of false alarms among the verdicts
/// left is at most `rate`, and when nothing changed anywhere the chance of
/// any verdict at all is at most `rate`, for 10 series or 10 000.
pub fn control(detections: &mut [Detection], rate: f64) {
    let p: Vec<f64> = detections
        .iter()
        .map(|d| d.verdict_p().unwrap_or(1.0))
        .collect();
    let q = crate::fdr::benjamini_hochberg(&p);
    for (detection, q) in detections.iter_mut().zip(q) {
        if detection.verdict == Verdict::Steady {
            continue;
        }
        detection.q = Some(q);
        if q > rate {
            detection.verdict = Verdict::Steady;
        }
    }
}

/// Finds the change points and creep of one series (oldest first). Values
/// that are not finite are replaced by the previous finite value (leading
/// ones by the first).
///
/// # Examples
///
/// ```
/// use perf_stats::history::detect::{DetectOptions, Verdict, detect};
///
/// let series = [100.0, 101.0, 99.0, 100.0, 100.5, 110.0, 111.0, 109.5, 110.2];
/// let found = detect(&series, &DetectOptions::default());
/// let point = found.change_points[0];
/// assert_eq!(point.index, 5);
/// assert!((point.before - 100.1).abs() < 1e-9 && (point.after - 110.175).abs() < 1e-9);
/// assert!(point.change_pct > 10.0 && point.p < 0.01);
/// assert_eq!(found.verdict, Verdict::Regressed);
/// ```
pub fn detect(series: &[f64], options: &DetectOptions) -> Detection {
    Detector::default().detect(series, options)
}

/// [`detect`] over many independent series, on every core, series `i` by
/// `options(i)` (series differ in direction).
pub fn detect_many<S: AsRef<[f64]> + Sync>(
    series: &[S],
    options: impl Fn(usize) -> DetectOptions + Sync,
) -> Vec<Detection> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(series.len())
        .max(1);
    const CHUNK: usize = 16;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; series.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut detector = Detector::default();
                let mut done = Vec::new();
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= series.len() {
                        break;
                    }
                    let end = (start + CHUNK).min(series.len());
                    for (i, one) in series[start..end].iter().enumerate() {
                        let at = start + i;
                        done.push((at, detector.detect(one.as_ref(), &options(at))));
                    }
                }
                let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
                for (i, detection) in done {
                    results[i] = Some(detection);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|d| d.expect("every series is detected"))
        .collect()
}

/// Scratch space reused from one series to the next.
#[derive(Debug, Default)]
struct Detector {
    energy: Energy,
}

/// A series prepared for testing: values less the first one (so that a
/// constant series is exactly zero), and what is needed to report.
struct Prepared {
    values: Vec<f64>,
    /// The outliers placement sets aside (`placement`).
    outlier: Vec<bool>,
    /// The values with each outlier replaced by the point before it (after
    /// it, at the start): what E-divisive's energy sees.
    smoothed: Vec<f64>,
    origin: f64,
    /// Differences of means below this are rounding: 1e-12 of the largest
    /// |value|.
    tolerance: f64,
    min_segment: usize,
}

/// Mean, sum of squared deviations and extremes of a segment.
#[derive(Clone, Copy, Debug)]
struct Moments {
    n: f64,
    mean: f64,
    ss: f64,
    min: f64,
    max: f64,
}

impl Moments {
    /// The moments of the points of `values` not flagged in `outlier` (of
    /// every point if all are flagged).
    fn of_kept(values: &[f64], outlier: &[bool]) -> Self {
        if !outlier.contains(&true) || !outlier.contains(&false) {
            return Self::of(values);
        }
        let kept: Vec<f64> = values
            .iter()
            .zip(outlier)
            .filter(|(_, flag)| !**flag)
            .map(|(v, _)| *v)
            .collect();
        Self::of(&kept)
    }

    fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let (mut ss, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            ss += (v - mean) * (v - mean);
            min = min.min(v);
            max = max.max(v);
        }
        Self {
            n,
            mean,
            ss,
            min,
            max,
        }
    }

    /// The moments without one of the values (n ≥ 2); extremes are kept,
    /// as they are no longer needed.
    fn without(self, value: f64) -> Self {
        let n = self.n - 1.0;
        let mean = (self.n * self.mean - value) / n;
        let ss = (self.ss - (value - self.mean) * (value - mean)).max(0.0);
        Self {
            n,
            mean,
            ss,
            ..self
        }
    }
}

/// Whose residuals measure the noise's autocorrelation in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Model {
    /// The segment as one level, the null hypothesis: its wander, not the
    /// step tested, widens the test. The change points' own tests.
    Null,
    /// None: the noise taken as independent, for the split step's
    /// screening, which must not miss one step because another shares its
    /// range (the merge's tests decide).
    Independent,
}

/// The outcome of testing a split.
#[derive(Clone, Copy, Debug)]
struct Tested {
    p: f64,
    left: Moments,
    right: Moments,
}

impl Prepared {
    fn new(series: &[f64], min_segment: usize) -> Self {
        let mut values = Vec::with_capacity(series.len());
        let mut last = series
            .iter()
            .copied()
            .find(|v| v.is_finite())
            .unwrap_or(0.0);
        for &v in series {
            if v.is_finite() {
                last = v;
            }
            values.push(last);
        }
        let origin = values.first().copied().unwrap_or(0.0);
        let scale = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for v in &mut values {
            *v -= origin;
        }
        let outlier = placement::outliers(&values);
        let smoothed = placement::without_outliers(&values, &outlier);
        Self {
            outlier,
            smoothed,
            values,
            origin,
            tolerance: scale * 1e-12,
            min_segment,
        }
    }

    /// Student's pooled t-test of `right` against `left`, the variance
    /// scaled by `inflation` for autocorrelated noise.
    fn student_p(&self, left: &Moments, right: &Moments, inflation: f64) -> f64 {
        let diff = right.mean - left.mean;
        let df = left.n + right.n - 2.0;
        if diff.abs() <= self.tolerance || df < 1.0 {
            return 1.0;
        }
        let se = ((left.ss + right.ss) / df * (1.0 / left.n + 1.0 / right.n) * inflation).sqrt();
        if se == 0.0 {
            return 0.0;
        }
        crate::probability::t_two_sided_p(diff / se, df)
    }

    /// Tests the split of [a, b) at τ by the significance rule (outliers
    /// set aside), p not yet calibrated for the search. The variance is
    /// widened by the autocorrelation about `model`'s levels.
    fn test_raw(&self, a: usize, tau: usize, b: usize, model: Model) -> Tested {
        let left = Moments::of_kept(&self.values[a..tau], &self.outlier[a..tau]);
        let right = Moments::of_kept(&self.values[tau..b], &self.outlier[tau..b]);
        if tau - a < self.min_segment || b - tau < self.min_segment {
            return Tested {
                p: 1.0,
                left,
                right,
            };
        }
        let rise = right.mean > left.mean;
        let (right_best, left_best) = if rise {
            (right.max, left.min)
        } else {
            (right.min, left.max)
        };
        let segment = &self.smoothed[a..b];
        let inflation = match model {
            Model::Null => autocorrelation::level_inflation(segment),
            Model::Independent => 1.0,
        };
        let p = self
            .student_p(&left, &right, inflation)
            .max(self.student_p(&left, &right.without(right_best), inflation))
            .max(self.student_p(&left.without(left_best), &right, inflation));
        Tested { p, left, right }
    }

    /// Tests the split of [a, b) at τ by the significance rule.
    fn test(&self, a: usize, tau: usize, b: usize, model: Model) -> Tested {
        let tested = self.test_raw(a, tau, b, model);
        // A series holds n / (b − a) disjoint segments as long as this one,
        // and the windows overlap by half: about 2n/(b − a) − 1 searched.
        let scan = (2.0 * self.values.len() as f64 / (b - a) as f64 - 1.0).max(1.0);
        Tested {
            p: (calibration::calibrated(tested.p, b - a, self.min_segment) * scan).min(1.0),
            ..tested
        }
    }

    /// The split of [a, b) (`placement`), in the segment's positions.
    fn split_at_best(&self, a: usize, b: usize) -> Option<Placement> {
        placement::split(&self.values[a..b], &self.outlier[a..b], self.min_segment)
    }

    /// Tests change point `k` of `points` against its neighbours.
    fn test_point(&self, points: &[usize], k: usize) -> Tested {
        let a = if k == 0 { 0 } else { points[k - 1] };
        let b = points.get(k + 1).copied().unwrap_or(self.values.len());
        self.test(a, points[k], b, Model::Null)
    }

    /// The change points at `points`, from their tests.
    fn change_points(&self, points: &[usize], tests: &[Tested]) -> Vec<ChangePoint> {
        points
            .iter()
            .zip(tests)
            .map(|(&index, tested)| {
                let before = tested.left.mean + self.origin;
                let after = tested.right.mean + self.origin;
                ChangePoint {
                    index,
                    before,
                    after,
                    change_pct: percent(after - before, before),
                    p: tested.p,
                }
            })
            .collect()
    }

    /// How much better a line fits the two segments of change point `k`
    /// than two levels do: the residual sum of squares of the line over
    /// that of the levels (at most 1: the line fits at least as well).
    fn line_over_levels(&self, points: &[usize], k: usize) -> f64 {
        let a = if k == 0 { 0 } else { points[k - 1] };
        let b = points.get(k + 1).copied().unwrap_or(self.values.len());
        // Outliers replaced: one far point fits neither a line nor levels.
        let segment = &self.smoothed[a..b];
        let levels =
            Moments::of(&segment[..points[k] - a]).ss + Moments::of(&segment[points[k] - a..]).ss;
        if levels <= self.tolerance * self.tolerance {
            // Two exact levels: nothing fits better.
            return f64::INFINITY;
        }
        let total = Moments::of(segment).ss;
        (total - trend::line_explained(segment)).max(0.0) / levels
    }
}

impl Detector {
    fn detect(&mut self, series: &[f64], options: &DetectOptions) -> Detection {
        let min_segment = options.min_segment.max(2);
        let prepared = Prepared::new(series, min_segment);
        let (mut points, mut tests) = self.segment(&prepared, options);
        let mut change_points = prepared.change_points(&points, &tests);
        // Drop the smallest change point while any is below the minimum
        // magnitude, re-settling the merged segments.
        let min_change = options.smallest_change() * 100.0;
        loop {
            let smallest = change_points
                .iter()
                .enumerate()
                .filter(|(_, c)| c.change_pct.abs() < min_change)
                .min_by(|x, y| x.1.change_pct.abs().total_cmp(&y.1.change_pct.abs()));
            let Some((k, _)) = smallest else { break };
            points.remove(k);
            tests = settle(&prepared, &mut points, options.significance);
            change_points = prepared.change_points(&points, &tests);
        }
        let start = points.last().copied().unwrap_or(0);
        let creep = creep(&prepared, start, options);
        let beyond = |change_pct: f64| options.worse_beyond_threshold(change_pct);
        let verdict = if change_points.last().is_some_and(|c| beyond(c.change_pct)) {
            Verdict::Regressed
        } else if creep.is_some_and(|c| beyond(c.change_pct)) {
            Verdict::Creeping
        } else {
            Verdict::Steady
        };
        Detection {
            change_points,
            creep,
            verdict,
            q: None,
        }
    }

    /// Steps 1 to 3 of the module docs: the change points, with their
    /// tests.
    fn segment(
        &mut self,
        prepared: &Prepared,
        options: &DetectOptions,
    ) -> (Vec<usize>, Vec<Tested>) {
        let window = options.window.max(2 * prepared.min_segment);
        let mut points = self.split(prepared, window, options.weak_significance());
        let mut tests = settle(prepared, &mut points, options.significance);
        // Drop the most line-like change point while any is, re-settling.
        loop {
            let line_like = (0..points.len())
                .map(|k| (k, prepared.line_over_levels(&points, k)))
                .filter(|&(_, ratio)| ratio <= 1.0)
                .min_by(|x, y| x.1.total_cmp(&y.1));
            let Some((k, _)) = line_like else { break };
            points.remove(k);
            tests = settle(prepared, &mut points, options.significance);
        }
        (points, tests)
    }

    /// The split step: weak change points from E-divisive over sliding
    /// windows and the robust split of the whole series, sorted and
    /// without repeats.
    fn split(&mut self, prepared: &Prepared, window: usize, weak: f64) -> Vec<usize> {
        let n = prepared.values.len();
        let min_segment = prepared.min_segment;
        let mut points = Vec::new();
        let mut start = 0;
        while start + 2 * min_segment <= n {
            let end = (start + window).min(n);
            let found = self.divide(prepared, start, end, weak);
            let last = found.last().copied();
            points.extend(found);
            if end == n {
                break;
            }
            start = (start + window / 2).max(last.unwrap_or(0));
        }
        // The series' own best split, which a window's bisection can miss
        // (a small step, energy drawn elsewhere).
        if let Some(Placement { at: Some(at), .. }) = prepared.split_at_best(0, n)
            && prepared.test(0, at, n, Model::Independent).p <= weak
        {
            points.push(at);
        }
        points.sort_unstable();
        points.dedup();
        points
    }

    /// E-divisive in the window [start, end): change points (positions in
    /// the series) significant at `weak` within the window, sorted.
    fn divide(&mut self, prepared: &Prepared, start: usize, end: usize, weak: f64) -> Vec<usize> {
        let window = &prepared.smoothed[start..end];
        let min_segment = prepared.min_segment;
        self.energy.fill(window);
        // Ranges of the window (local positions) with their best split.
        let mut ranges: Vec<(usize, usize, Option<Split>)> = vec![(
            0,
            window.len(),
            self.energy.best_split(0, window.len(), min_segment),
        )];
        let mut found = Vec::new();
        loop {
            let best = ranges
                .iter()
                .enumerate()
                .filter_map(|(i, &(_, _, split))| split.map(|split| (i, split)))
                .max_by(|x, y| x.1.q.total_cmp(&y.1.q));
            let Some((i, Split { tau, kappa, .. })) = best else {
                break;
            };
            let (a, b, _) = ranges[i];
            // Energy finds the region; within it, the split goes where one
            // outlier cannot draw it.
            let tau = match prepared.split_at_best(start + a, start + kappa) {
                Some(Placement { at: Some(at), .. }) => a + at,
                _ => tau,
            };
            if prepared
                .test(start + a, start + tau, start + kappa, Model::Independent)
                .p
                > weak
            {
                break;
            }
            found.push(start + tau);
            ranges[i] = (a, tau, self.energy.best_split(a, tau, min_segment));
            ranges.push((tau, b, self.energy.best_split(tau, b, min_segment)));
        }
        found.sort_unstable();
        found
    }
}

/// Rounds of merging and relocating at most; they settle in one or two.
const SETTLE_ROUNDS: usize = 4;

/// Relocates, then merges, until nothing moves (a point a window's edge
/// left one early would fail its test, and drag its neighbours with it).
/// Returns the tests of the change points left.
fn settle(prepared: &Prepared, points: &mut Vec<usize>, significance: f64) -> Vec<Tested> {
    relocate(prepared, points);
    let mut tests = merge(prepared, points, significance);
    for _ in 0..SETTLE_ROUNDS {
        if !relocate(prepared, points) {
            break;
        }
        tests = merge(prepared, points, significance);
    }
    tests
}

/// Moves each change point to the robust split between its neighbours
/// (`placement`), with `min_segment` kept points a side. A window's edge
/// can force a split a point or two early, and E-divisive's energy can be
/// drawn to an outlier; this puts it where the levels change. A change
/// point whose best split, with no minimum, would leave fewer than
/// `min_segment` points on one side (a change too young to call) is
/// dropped. Returns whether anything moved.
fn relocate(prepared: &Prepared, points: &mut Vec<usize>) -> bool {
    let mut changed = false;
    let mut k = 0;
    while k < points.len() {
        let a = if k == 0 { 0 } else { points[k - 1] };
        let b = points.get(k + 1).copied().unwrap_or(prepared.values.len());
        let Some(Placement {
            at: Some(at),
            too_young,
            ..
        }) = prepared.split_at_best(a, b)
        else {
            // Too short to split (the merge drops such points).
            k += 1;
            continue;
        };
        if too_young {
            points.remove(k);
            changed = true;
            continue;
        }
        if a + at != points[k] {
            points[k] = a + at;
            changed = true;
        }
        k += 1;
    }
    changed
}

/// The merge step: drops the weakest change point while any is not
/// significant, re-testing its neighbours. Returns the tests of those left.
fn merge(prepared: &Prepared, points: &mut Vec<usize>, significance: f64) -> Vec<Tested> {
    let mut tests: Vec<Tested> = (0..points.len())
        .map(|k| prepared.test_point(points, k))
        .collect();
    loop {
        // The largest p; among equal ones, the smallest shift.
        let weakest = tests.iter().enumerate().max_by(|(_, x), (_, y)| {
            x.p.total_cmp(&y.p).then_with(|| {
                let shift = |t: &Tested| (t.right.mean - t.left.mean).abs();
                shift(y).total_cmp(&shift(x))
            })
        });
        let Some((k, tested)) = weakest else { break };
        if tested.p <= significance {
            break;
        }
        points.remove(k);
        tests.remove(k);
        for neighbour in [k.checked_sub(1), Some(k)].into_iter().flatten() {
            if neighbour < points.len() {
                tests[neighbour] = prepared.test_point(points, neighbour);
            }
        }
    }
    tests
}

/// The creep rule (module docs) on the segment from `start` to the end.
fn creep(prepared: &Prepared, start: usize, options: &DetectOptions) -> Option<Creep> {
    let segment = &prepared.values[start..];
    if segment.len() < options.min_creep.max(3) {
        return None;
    }
    let (slope, intercept) = creep_line(segment);
    let inflation = autocorrelation::trend_inflation(segment, slope);
    let p = trend::mann_kendall_p_inflated(segment, inflation);
    if p > options.significance {
        return None;
    }
    // A step too small to be a change point is a trend to Mann–Kendall:
    // creep only if a line explains more than the best two levels do.
    let levels = placement::split(segment, &vec![false; segment.len()], prepared.min_segment)
        .map_or(-1.0, |placed| placed.explained);
    if trend::line_explained(segment) <= levels {
        return None;
    }
    if slope.abs() <= prepared.tolerance {
        return None;
    }
    let level = intercept + prepared.origin;
    Some(Creep {
        start,
        len: segment.len(),
        slope_pct: percent(slope, level),
        change_pct: percent(slope * (segment.len() - 1) as f64, level),
        p,
    })
}

/// Points of a segment the creep's Theil–Sen slope uses at most: longer
/// segments are thinned to this many evenly spaced points (about 20 000
/// pairs).
const THEIL_SEN_POINTS: usize = 200;

/// The Theil–Sen line through `values` (at positions 0, 1, …): the slope
/// through at most [`THEIL_SEN_POINTS`] evenly spaced values, and the
/// median of value − slope·position over all of them as the intercept.
fn creep_line(values: &[f64]) -> (f64, f64) {
    let stride = values.len().div_ceil(THEIL_SEN_POINTS).max(1);
    let points: Vec<(f64, f64)> = (0..values.len())
        .step_by(stride)
        .map(|i| (i as f64, values[i]))
        .collect();
    let slope = trend::theil_sen(&points).unwrap_or(0.0);
    let mut offsets: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(i, v)| v - slope * i as f64)
        .collect();
    (slope, median_mut(&mut offsets))
}

/// `change` in percent of |base|: ±∞ for a change from 0, 0 for none.
fn percent(change: f64, base: f64) -> f64 {
    if change == 0.0 {
        0.0
    } else if base == 0.0 {
        f64::INFINITY.copysign(change)
    } else {
        change / base.abs() * 100.0
    }
}
