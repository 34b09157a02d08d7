//! The verdict on each function and metric: which method applies, the rank
//! tests and their adjustment for many tests, the change and its interval.

use perf_format::schema::compare::{
    ALL_FUNCTIONS, Correction, Interval, Judged, Method, Settings, Verdict,
};
use perf_format::schema::record::{FunctionSamples, Kind, Metric};
use perf_format::units;

use super::metrics;
use crate::stats::{self, RankTester};

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
        baseline: Vec<f64>,
        current: Vec<f64>,
        settings: Settings,
    ) -> Self {
        let method = if metric == Metric::P95 && !enough_calls_for_p95(b, c) {
            Method::TooFewCalls
        } else if metric.kind() == Kind::Count && is_constant(&baseline) && is_constant(&current) {
            Method::Exact
        } else if stats::smallest_p_value(baseline.len(), current.len()) <= settings.significance {
            Method::RankTest
        } else {
            Method::ThresholdOnly
        };
        Pending {
            function,
            metric,
            baseline,
            current,
            method,
            split: None,
        }
    }
}

impl Pending<'static> {
    /// The `(all functions)` row: self time per run of the functions the
    /// drift factors rest on.
    pub(super) fn whole_program(baseline: Vec<f64>, current: Vec<f64>, settings: Settings) -> Self {
        let method =
            if stats::smallest_p_value(baseline.len(), current.len()) <= settings.significance {
                Method::RankTest
            } else {
                Method::ThresholdOnly
            };
        Pending {
            function: ALL_FUNCTIONS,
            metric: Metric::TimePerRun,
            baseline,
            current,
            method,
            split: None,
        }
    }
}

/// Time rows are judged relative to the rest of the program. A regression
/// stands only if the change as measured (with the `drift` everything moved
/// by) is a slowdown too, and an improvement only if it is as measured an
/// improvement beyond the threshold: functions left alone while most others
/// slowed down are not called faster.
pub(super) fn keep_absolute_direction(
    rows: &mut [Judged],
    pending: &[Pending<'_>],
    drift: f64,
    threshold: f64,
) {
    for (row, pending) in rows.iter_mut().zip(pending) {
        if pending.metric.kind() != Kind::Time
            || matches!(pending.metric, Metric::TimePerRun | Metric::CpuPerCall)
        {
            continue;
        }
        let Some(relative) = row.change else { continue };
        let absolute = (1.0 + relative) * (1.0 + drift) - 1.0;
        let stands = match row.verdict {
            Verdict::Regressed => absolute > 0.0,
            Verdict::Improved => absolute < -threshold,
            _ => true,
        };
        if !stands {
            row.verdict = Verdict::Unchanged;
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
pub(super) fn judge_all(
    pending: &[Pending<'_>],
    settings: Settings,
    tester: &mut RankTester,
) -> (Correction, Vec<Judged>) {
    let tested: Vec<usize> = (0..pending.len())
        .filter(|&i| pending[i].method == Method::RankTest)
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .map(|&i| {
            tester
                .test(&pending[i].baseline, &pending[i].current)
                .p_value
        })
        .collect();
    let (correction, adjusted) = adjust(pending, &tested, &p_values, settings.significance);
    let mut p_of = vec![None; pending.len()];
    for (k, &i) in tested.iter().enumerate() {
        p_of[i] = Some((p_values[k], adjusted[k]));
    }
    let rows = pending
        .iter()
        .zip(p_of)
        .map(|(row, p)| judge(row, p, settings, tester))
        .collect();
    (correction, rows)
}

/// Benjamini–Hochberg over all rank tests, when the samples leave it able
/// to detect anything; otherwise each test alone.
fn adjust(
    pending: &[Pending<'_>],
    tested: &[usize],
    p_values: &[f64],
    significance: f64,
) -> (Correction, Vec<f64>) {
    let tests = tested.len();
    if tests <= 1 {
        return (
            Correction::None {
                reason: "at most one test: nothing to adjust".to_owned(),
            },
            p_values.to_vec(),
        );
    }
    // Judged by the typical test, so that a few rows with fewer samples do
    // not switch the adjustment off for all.
    let smallest: Vec<f64> = tested
        .iter()
        .map(|&i| stats::smallest_p_value(pending[i].baseline.len(), pending[i].current.len()))
        .collect();
    let typical = stats::median(&smallest);
    if typical <= significance / tests as f64 {
        (
            Correction::BenjaminiHochberg { tests },
            stats::benjamini_hochberg(p_values),
        )
    } else {
        (
            Correction::None {
                reason: format!(
                    "the smallest p-value these sample counts allow is {}, so after adjusting for {tests} tests nothing could be detected; each test stands alone at α, with the threshold against noise (more runs a side allow a Benjamini–Hochberg adjustment: 10 a side for up to 900 tests)",
                    units::probability(typical)
                ),
            },
            p_values.to_vec(),
        )
    }
}

/// The verdict on a row whose p-values (raw, adjusted) are known if tested.
fn judge(
    row: &Pending<'_>,
    p: Option<(f64, f64)>,
    settings: Settings,
    tester: &mut RankTester,
) -> Judged {
    // More calls are more work: a change in calls counts from the time
    // threshold, so that a helper called once more does not fail the gate.
    let threshold = match row.metric {
        Metric::Calls => settings.threshold,
        _ if row.metric.kind() == Kind::Time => settings.threshold,
        _ => settings.alloc_threshold,
    };
    let base_median = stats::median(&row.baseline);
    let current_median = stats::median(&row.current);
    let mut interval = None;
    let (change, significant) = match row.method {
        Method::RankTest => {
            let confidence = 1.0 - settings.significance;
            let (change, bounds) = if row.metric.kind() == Kind::Time {
                // A ratio: the shift of the logarithms.
                let (x, y) = (
                    stats::log_times(&row.baseline),
                    stats::log_times(&row.current),
                );
                let shift = tester.shift(&x, &y, confidence);
                let ratio = |v: f64| v.is_finite().then(|| v.exp() - 1.0);
                (
                    ratio(shift.estimate),
                    (ratio(shift.lower), ratio(shift.upper)),
                )
            } else {
                let shift = tester.shift(&row.baseline, &row.current, confidence);
                let relative =
                    |v: f64| (v.is_finite() && base_median > 0.0).then(|| v / base_median);
                (
                    relative(shift.estimate)
                        .or_else(|| (base_median == 0.0 && shift.estimate == 0.0).then_some(0.0)),
                    (relative(shift.lower), relative(shift.upper)),
                )
            };
            interval = Some(Interval::new(confidence, bounds.0, bounds.1));
            let significant = p.is_some_and(|(_, adjusted)| adjusted <= settings.significance);
            (change, significant)
        }
        Method::ThresholdOnly | Method::Exact => {
            (relative_change(base_median, current_median), true)
        }
        _ => (relative_change(base_median, current_median), false),
    };
    let direction = match change {
        Some(c) => c,
        // From zero to something.
        None if current_median > base_median => f64::INFINITY,
        None => 0.0,
    };
    let verdict = if significant && direction > threshold {
        Verdict::Regressed
    } else if significant && direction < -threshold {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    let mut judged = Judged::new(
        row.function,
        row.metric,
        row.method,
        base_median,
        current_median,
    );
    judged.change = change;
    judged.interval = interval;
    judged.p_value = p.map(|(raw, _)| raw);
    judged.p_adjusted = p.map(|(_, adjusted)| adjusted);
    judged.verdict = verdict;
    judged.gated = metrics::gates(row.metric);
    judged
}

fn relative_change(baseline: f64, current: f64) -> Option<f64> {
    if baseline > 0.0 {
        Some(current / baseline - 1.0)
    } else if current == 0.0 {
        Some(0.0)
    } else {
        None
    }
}
