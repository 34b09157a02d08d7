//! The verdict on each function and metric: which method applies, the rank
//! tests and their adjustment for many tests, the change and its interval,
//! and how many runs would decide a row that is neither changed nor
//! proven within the threshold.

use perf_format::schema::compare::{
    Correction, Interval, Judged, Method, Settings, Verdict, WHOLE_PROGRAM,
};
use perf_format::schema::record::{FunctionSamples, Kind, Metric};

use super::metrics;
use crate::fdr::benjamini_hochberg;
use crate::probability::normal_quantile;
use crate::rank::{
    RankTester, paired_shift, signed_rank_test, smallest_p_value, smallest_paired_p_value,
};
use crate::summary::{log_times, median, spread};

/// Calls above the 95th percentile a run needs for its p95 to be judged:
/// below that, the tail is a handful of calls and swings from run to run.
pub(super) const TAIL_CALLS: f64 = 20.0;

/// How a figure that includes callees split its change: the shift of the
/// function's own part and of the whole (in the metric's unit).
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    pub(super) own_shift: f64,
    pub(super) whole_shift: f64,
}

impl Split {
    /// Whether the function's own part moved by at least half the whole's
    /// move, in the same direction.
    pub(super) fn is_own(&self) -> bool {
        self.whole_shift != 0.0 && self.own_shift / self.whole_shift >= 0.5
    }
}

/// A row waiting for its verdict, with its (drift-corrected) samples.
pub(super) struct Pending<'a> {
    pub(super) function: &'a str,
    pub(super) metric: Metric,
    pub(super) baseline: Vec<f64>,
    pub(super) current: Vec<f64>,
    pub(super) method: Method,
    /// Whether a regression here fails the gate.
    pub(super) gated: bool,
    /// For changed figures that include callees: how own part and whole
    /// moved (filled in after the verdict).
    pub(super) split: Option<Split>,
}

impl<'a> Pending<'a> {
    pub(super) fn new(
        function: &'a str,
        metric: Metric,
        b: &FunctionSamples,
        c: &FunctionSamples,
        samples: (Vec<f64>, Vec<f64>),
        instructions: bool,
    ) -> Self {
        let (baseline, current) = samples;
        let method = if metric == Metric::P95 && !enough_calls_for_p95(b, c) {
            Method::TooFewCalls
        } else {
            method(metric, &baseline, &current)
        };
        Pending {
            function,
            metric,
            baseline,
            current,
            method,
            gated: metrics::gates(metric, instructions),
            split: None,
        }
    }
}

/// How a row is judged: counts the same in every run (one run a side,
/// always) exactly; counts that vary, and times, by the rank test, their
/// spread shown.
fn method(metric: Metric, baseline: &[f64], current: &[f64]) -> Method {
    let counted = matches!(metric.kind(), Kind::Count | Kind::Instructions);
    if counted && is_constant(baseline) && is_constant(current) {
        Method::Exact
    } else {
        Method::RankTest
    }
}

impl Pending<'static> {
    /// A `(whole program)` row: a figure of each run. The wall time per
    /// run (`metric` time/run), as measured, is `gated` when the two sides
    /// ran interleaved, as otherwise it moves with the machine between the
    /// sessions, and `paired` then: run *i* of each side ran in pair *i*,
    /// so the signed-rank test of the pairs' differences sees through a
    /// machine that drifts from pair to pair. The peak heap per run is a
    /// count, exact when every run has the same.
    pub(super) fn whole_program(
        metric: Metric,
        baseline: Vec<f64>,
        current: Vec<f64>,
        gated: bool,
        paired: bool,
    ) -> Self {
        let method = match method(metric, &baseline, &current) {
            Method::RankTest if paired && baseline.len() == current.len() => Method::SignedRank,
            other => other,
        };
        Pending {
            function: WHOLE_PROGRAM,
            metric,
            method,
            baseline,
            current,
            gated,
            split: None,
        }
    }
}

/// Whether every run on both sides had enough calls for a stable p95.
fn enough_calls_for_p95(base: &FunctionSamples, cur: &FunctionSamples) -> bool {
    let least = |f: &FunctionSamples| {
        f.get(Metric::Calls).map_or(0.0, |calls| {
            calls.iter().copied().fold(f64::INFINITY, f64::min)
        })
    };
    least(base).min(least(cur)) * 0.05 >= TAIL_CALLS
}

fn is_constant(samples: &[f64]) -> bool {
    samples.iter().all(|&v| v == samples[0])
}

/// Tests every row that takes a rank test, adjusts the p-values for their
/// number, and judges every row.
///
/// The gate fails only on a slowdown, and its false alarms are held to α
/// in two halves. The rows that gate form one family and the others (p95,
/// cpu/call) another; within each, Benjamini–Hochberg runs on each
/// direction apart — a row's two-sided p-value counts for the direction
/// it moved in, 1 for the other — so that calling rows slower keeps the
/// false discovery rate at α/2 on their one-sided p-values, and calling
/// them faster too, however many rows there are. `ab`'s paired `(whole
/// program)` row, the one row that sees a change slowing every function
/// alike, is tested on its own, two-sided at α: it calls an unchanged
/// program slower at most α/2 of the time (with 10 pairs and α = 0.01,
/// when the pairs that went the other way hold at most 3 of the 55 rank
/// points, p = 10/1024). Every interval is at 1 − α·max(R, 1)/m for R rows
/// selected among m (Benjamini–Yekutieli's false coverage rate), so that
/// the intervals shown agree with the selection.
/// A row whose sample counts cannot give a p-value of α even alone (a
/// function in one or two runs a side) can never be selected, so it is
/// left out of m — which rows those are depends on the counts alone, not
/// on the figures, so the adjustment stays valid — and its q is 1.
pub(super) fn judge_all(
    pending: &[Pending<'_>],
    settings: Settings,
    tester: &mut RankTester,
) -> (Correction, Vec<Judged>) {
    let mut tests: Vec<Option<Tested>> = vec![None; pending.len()];
    let alpha = settings.significance;
    for (i, row) in pending.iter().enumerate() {
        if row.method != Method::SignedRank {
            continue;
        }
        let (x, y) = row.tested_scale();
        let differences: Vec<f64> = y.iter().zip(&x).map(|(b, a)| b - a).collect();
        let p_value = signed_rank_test(&differences).p_value;
        let reachable = smallest_paired_p_value(differences.len()) <= alpha;
        tests[i] = Some(Tested {
            p_value,
            adjusted: if reachable { p_value } else { 1.0 },
            confidence: 1.0 - alpha,
            alpha,
        });
    }
    let mut correction = Correction::None {
        reason: "no row that gates has runs enough to reach α".to_owned(),
    };
    for gated in [true, false] {
        let family: Vec<usize> = (0..pending.len())
            .filter(|&i| pending[i].method == Method::RankTest && pending[i].gated == gated)
            .collect();
        let ranked: Vec<(f64, bool)> = family
            .iter()
            .map(|&i| {
                let (x, y) = pending[i].tested_scale();
                let test = tester.test(&x, &y);
                (test.p_value, test.u >= (x.len() * y.len()) as f64 / 2.0)
            })
            .collect();
        let p_values: Vec<f64> = ranked.iter().map(|r| r.0).collect();
        let can_reach: Vec<bool> = family
            .iter()
            .map(|&i| {
                let (n, m) = (pending[i].baseline.len(), pending[i].current.len());
                smallest_p_value(n, m) <= alpha
            })
            .collect();
        let reachable: Vec<(f64, bool)> = (0..family.len())
            .filter(|&k| can_reach[k])
            .map(|k| ranked[k])
            .collect();
        let mut adjusted_reachable = adjusted_by_direction(&reachable).into_iter();
        let adjusted: Vec<f64> = can_reach
            .iter()
            .map(|&reaches| match reaches {
                true => adjusted_reachable.next().unwrap_or(1.0),
                false => 1.0,
            })
            .collect();
        let tests_made = reachable.len();
        let selected = adjusted.iter().filter(|&&q| q <= alpha).count();
        let confidence = 1.0 - alpha * selected.max(1) as f64 / tests_made.max(1) as f64;
        for (k, &i) in family.iter().enumerate() {
            tests[i] = Some(Tested {
                p_value: p_values[k],
                adjusted: adjusted[k],
                confidence,
                alpha,
            });
        }
        if gated && tests_made > 0 {
            correction = Correction::BenjaminiHochberg {
                tests: tests_made,
                selected,
                confidence,
            };
        }
    }
    let rows = pending
        .iter()
        .zip(tests)
        .map(|(row, tested)| judge(row, tested, settings, tester))
        .collect();
    (correction, rows)
}

/// Benjamini–Hochberg on each direction apart, for two-sided `p_values`
/// each with whether its row moved slower: a row's p-value counts for its
/// own direction and 1 for the other, and it takes the adjusted p-value
/// of its own direction. Held to α, each direction keeps the false
/// discovery rate of its one-sided p-values (half the two-sided) at α/2.
fn adjusted_by_direction(p_values: &[(f64, bool)]) -> Vec<f64> {
    let mut adjusted = vec![1.0; p_values.len()];
    for slower in [true, false] {
        let one_way: Vec<f64> = p_values
            .iter()
            .map(|&(p, moved_slower)| if moved_slower == slower { p } else { 1.0 })
            .collect();
        let of_direction = benjamini_hochberg(&one_way);
        for ((q, out), &(_, moved_slower)) in
            of_direction.into_iter().zip(&mut adjusted).zip(p_values)
        {
            if moved_slower == slower {
                *out = q;
            }
        }
    }
    adjusted
}

/// A row's rank test: raw and adjusted p-values, the confidence of its
/// interval, and the level its adjusted p-value is held against.
#[derive(Clone, Copy, Debug)]
struct Tested {
    p_value: f64,
    adjusted: f64,
    confidence: f64,
    alpha: f64,
}

impl Pending<'_> {
    /// The samples as tested: logarithms for times, so that a change is a
    /// ratio; counts as they are.
    fn tested_scale(&self) -> (Vec<f64>, Vec<f64>) {
        if self.metric.kind() == Kind::Time {
            (log_times(&self.baseline), log_times(&self.current))
        } else {
            (self.baseline.clone(), self.current.clone())
        }
    }

    /// A change on the tested scale as a relative change: e^d − 1 for
    /// times, d over the baseline's median's size for counts (`None` from
    /// zero; a negative median is net bytes that a call freed).
    fn relative(&self, shift: f64, base_median: f64) -> Option<f64> {
        if !shift.is_finite() {
            return None;
        }
        if self.metric.kind() == Kind::Time {
            Some(shift.exp_m1())
        } else if base_median != 0.0 {
            Some(shift / base_median.abs())
        } else {
            (shift == 0.0).then_some(0.0)
        }
    }

    /// The threshold of this row's metric. More calls are more work: a
    /// change in calls counts from the time threshold, so that a helper
    /// called once more does not fail the gate. So does the program's peak
    /// heap: a few bytes more at the peak (a longer argument or host name)
    /// are not a regression, a peak 5% higher is. Instructions and
    /// estimated cycles count from the instructions threshold.
    fn threshold(&self, settings: Settings) -> f64 {
        match self.metric.kind() {
            _ if matches!(self.metric, Metric::Calls | Metric::PeakHeapBytes) => settings.threshold,
            Kind::Time => settings.threshold,
            Kind::Instructions => settings.instructions_threshold,
            Kind::Count => settings.alloc_threshold,
        }
    }
}

/// The verdict on a row, its change and interval. Only the adjusted test
/// decides whether a row changed (so the error rate is the test's); the
/// interval then says whether the change is shown to stay within
/// ±threshold (unchanged), and the Hodges–Lehmann estimate whether it is
/// large: regressed (improved) when it goes at least half way to the
/// threshold and the interval reaches it. An interval's end rests on the
/// most extreme pairwise differences — with 10 runs a side and hundreds of
/// rows, on one run — where the estimate, a median of them all, does not
/// move for one outlying run. A row changed for sure but neither large nor
/// shown small, or neither changed for sure nor shown small, is
/// inconclusive.
fn judge(
    row: &Pending<'_>,
    tested: Option<Tested>,
    settings: Settings,
    tester: &mut RankTester,
) -> Judged {
    let threshold = row.threshold(settings);
    let base_median = median(&row.baseline);
    let current_median = median(&row.current);
    let mut judged = Judged::new(
        row.function,
        row.metric,
        row.method,
        base_median,
        current_median,
    );
    judged.gated = row.gated;
    match (row.method, tested) {
        (Method::RankTest | Method::SignedRank, Some(tested)) => {
            let (x, y) = row.tested_scale();
            let shift = match row.method {
                Method::SignedRank => {
                    let differences: Vec<f64> = y.iter().zip(&x).map(|(b, a)| b - a).collect();
                    paired_shift(&differences, tested.confidence)
                }
                _ => tester.shift(&x, &y, tested.confidence),
            };
            let change = row.relative(shift.estimate, base_median);
            let (lower, upper) = (
                row.relative(shift.lower, base_median),
                row.relative(shift.upper, base_median),
            );
            let significant = tested.adjusted <= tested.alpha;
            let direction = change.unwrap_or(if current_median > base_median {
                f64::INFINITY
            } else {
                0.0
            });
            // How far the estimate itself goes: one outlying run can carry
            // an interval's end past the threshold, not the estimate.
            let halfway = threshold / 2.0;
            judged.verdict = if significant && direction > 0.0 {
                // Slower for sure: a regression when the estimate goes half
                // way to the threshold and the interval reaches it; shown
                // small, unchanged; else not decided.
                if upper.is_some_and(|u| u < threshold) {
                    Verdict::Unchanged
                } else if direction >= halfway {
                    Verdict::Regressed
                } else {
                    Verdict::Inconclusive
                }
            } else if significant && direction < 0.0 {
                if lower.is_some_and(|l| l > -threshold) {
                    Verdict::Unchanged
                } else if direction <= -halfway {
                    Verdict::Improved
                } else {
                    Verdict::Inconclusive
                }
            } else if lower.is_some_and(|l| l > -threshold) && upper.is_some_and(|u| u < threshold)
            {
                Verdict::Unchanged
            } else {
                Verdict::Inconclusive
            };
            if judged.verdict == Verdict::Inconclusive {
                judged.runs_needed =
                    runs_needed(row, &x, &y, shift.estimate, tested.confidence, settings);
            }
            judged.change = change;
            judged.interval = Some(Interval::new(tested.confidence, lower, upper));
            judged.p_value = Some(tested.p_value);
            judged.p_adjusted = Some(tested.adjusted);
        }
        (Method::Exact, _) => {
            let change = relative_change(base_median, current_median);
            let direction = change.unwrap_or(if current_median > base_median {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            });
            judged.change = change;
            // Instruction counts: a change of the threshold itself counts
            // ("the smallest change that counts"), up to rounding of the
            // ratio; a count does not move by 1e-9 of itself by chance.
            let reaches = |size: f64| match row.metric.kind() {
                Kind::Instructions => size > 0.0 && size >= threshold - 1e-9,
                _ => size > threshold,
            };
            judged.verdict = if reaches(direction) {
                Verdict::Regressed
            } else if reaches(-direction) {
                Verdict::Improved
            } else {
                Verdict::Unchanged
            };
        }
        _ => {
            // A p95 on too few calls: shown, never judged.
            judged.change = relative_change(base_median, current_median);
            judged.verdict = Verdict::Inconclusive;
        }
    }
    judged
}

/// About how many runs a side would decide an inconclusive row, at the
/// noise of its samples and its interval's confidence: enough for the rank
/// test to reach that confidence at all, and for an interval of that noise
/// (normal approximation, 5% more runs for the rank test's efficiency) to
/// fall on one side of a decision with 80% power — the decision being the
/// estimate's distance to zero, or to the nearer end of ±threshold,
/// whichever is farther. The noise is a robust spread of ten-odd samples,
/// held at 0.1% or more. `None` when no number of runs decides (a
/// threshold of 0 and no change).
fn runs_needed(
    row: &Pending<'_>,
    x: &[f64],
    y: &[f64],
    estimate: f64,
    confidence: f64,
    settings: Settings,
) -> Option<u64> {
    const MOST: u64 = 100_000;
    let threshold = row.threshold(settings);
    // The threshold and the estimate on the tested scale, in units of the
    // baseline for counts.
    let (threshold, scale) = if row.metric.kind() == Kind::Time {
        (threshold.ln_1p(), 1.0)
    } else {
        (threshold, median(x).abs().max(f64::MIN_POSITIVE))
    };
    let estimate = estimate / scale;
    let distance = estimate.abs().max(threshold - estimate.abs());
    if distance.is_nan() || distance <= 0.0 {
        return None;
    }
    let mut discrete = 1u64;
    while smallest_p_value(discrete as usize, discrete as usize) > 1.0 - confidence {
        discrete += 1;
        if discrete >= MOST {
            return Some(MOST);
        }
    }
    const POWER_Z: f64 = 0.8416; // the 80th percentile of the normal
    let spread = ((spread(x).powi(2) + spread(y).powi(2)).sqrt() / scale).max(1e-3);
    let z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    // An estimate's error is √(σx² + σy²)/√k for k runs a side.
    let noisy = (1.05 * ((z + POWER_Z) * spread / distance).powi(2)).ceil();
    let noisy = if noisy.is_finite() {
        noisy as u64
    } else {
        MOST
    };
    let now = x.len().max(y.len()) as u64 + 1;
    Some(discrete.max(noisy).max(now).min(MOST))
}

/// `current` against `baseline`, relative to the baseline's size (a
/// negative baseline is net bytes a call freed: fewer is still better);
/// `None` from zero to anything else.
fn relative_change(baseline: f64, current: f64) -> Option<f64> {
    if baseline != 0.0 {
        Some((current - baseline) / baseline.abs())
    } else if current == 0.0 {
        Some(0.0)
    } else {
        None
    }
}
