//! Budgets: absolute limits per function (and the whole program's peak
//! heap), as `perf.toml` sets them, held against a record's median over its runs
//! with a margin: a limit is exceeded when the median's lower confidence
//! bound is above it, so a function whose runs straddle its limit does not
//! flip between records. A percentile limit (p95, p99) is held against
//! the median of the runs' own percentiles per call.
//!
//! An error rate limit is held against the calls that failed (returned
//! `Err` or unwound) over all the record's calls, pooled over its runs:
//! exceeded when the lower bound of Wilson's score interval of that rate,
//! one-sided at the same confidence, is above the limit. A record of runs
//! that counted no errors (older perf-core) reads as none failed.

use perf_format::schema::compare::{BudgetCheck, WHOLE_PROGRAM};
use perf_format::schema::record::{FunctionSamples, Metric, Record};

use crate::probability::wilson_lower_bound;
use crate::summary::{median, median_lower_bound};

/// An absolute limit on one function, or on the whole program (an SLO).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budget {
    /// The function's full name, or [`WHOLE_PROGRAM`] for a budget that
    /// names none.
    pub function: String,
    /// Largest allowed p95 per call, in ns.
    pub p95_ns: Option<f64>,
    /// Largest allowed p99 per call, in ns.
    pub p99_ns: Option<f64>,
    /// Largest allowed mean time per call, in ns.
    pub mean_ns: Option<f64>,
    /// Largest allowed allocations per call.
    pub allocs_per_call: Option<f64>,
    /// Largest allowed net bytes per call: allocated in a call and not
    /// freed by its end.
    pub net_bytes_per_call: Option<f64>,
    /// Largest allowed peak heap per run, in bytes (the whole program's).
    pub peak_heap: Option<f64>,
    /// Largest allowed share of calls that fail (return `Err` or unwind),
    /// a fraction: 0.01 for `error_rate = "1%"`.
    pub error_rate: Option<f64>,
}

/// Why a budget cannot be checked against a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unchecked {
    /// The budget names a function the record does not have: a renamed
    /// function must not silently lose its budget.
    NoFunction {
        /// The budget's position among those checked.
        budget: usize,
    },
    /// The budget limits a metric the record does not measure.
    NotMeasured {
        /// The budget's position among those checked.
        budget: usize,
        /// The metric it limits.
        metric: Metric,
    },
}

/// Checks every budget against `record`, with bounds at confidence
/// 1 − `significance`: a limit is exceeded when the lower bound of the
/// record's median is above it.
///
/// # Examples
///
/// ```
/// use perf_format::schema::env::Environment;
/// use perf_format::schema::record::{FunctionSamples, Metric, Record, Source};
/// use perf_stats::budget::{Budget, Unchecked, check};
///
/// let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
/// let mut handler = FunctionSamples::new("app::handler");
/// // p95 per call in each of 10 runs: 240–249 µs.
/// let p95: Vec<f64> = (0..10).map(|i| 240_000.0 + 1_000.0 * f64::from(i)).collect();
/// handler.samples.insert(Metric::P95, p95);
/// record.functions.push(handler);
/// let budget = |function: &str| Budget {
///     function: function.to_owned(),
///     p95_ns: Some(200_000.0),
///     ..Budget::default()
/// };
/// let checks = check(&[budget("app::handler")], &record, 0.01).unwrap();
/// assert!(checks[0].exceeded);
/// // A budget of a function the record does not have is an error, not a pass.
/// assert_eq!(
///     check(&[budget("app::renamed")], &record, 0.01),
///     Err(Unchecked::NoFunction { budget: 0 })
/// );
/// ```
pub fn check(
    budgets: &[Budget],
    record: &Record,
    significance: f64,
) -> Result<Vec<BudgetCheck>, Unchecked> {
    let mut checks = Vec::new();
    let check = |function: &str, metric: Metric, limit: f64, samples: &[f64]| {
        BudgetCheck::new(
            function,
            metric,
            limit,
            median(samples),
            median_lower_bound(samples, 1.0 - significance),
        )
    };
    for (at, budget) in budgets.iter().enumerate() {
        if budget.function == WHOLE_PROGRAM {
            let Some(limit) = budget.peak_heap else {
                continue;
            };
            let peaks: Option<Vec<f64>> = record
                .runs
                .iter()
                .map(|run| run.peak_heap_bytes.map(|bytes| bytes as f64))
                .collect();
            match peaks.filter(|peaks| !peaks.is_empty()) {
                Some(peaks) => {
                    checks.push(check(WHOLE_PROGRAM, Metric::PeakHeapBytes, limit, &peaks));
                }
                None => {
                    return Err(Unchecked::NotMeasured {
                        budget: at,
                        metric: Metric::PeakHeapBytes,
                    });
                }
            }
            continue;
        }
        let Some(function) = record.function(&budget.function) else {
            return Err(Unchecked::NoFunction { budget: at });
        };
        let limits = [
            (Metric::P95, budget.p95_ns),
            (Metric::P99, budget.p99_ns),
            (Metric::TimePerCall, budget.mean_ns),
            (Metric::AllocsPerCall, budget.allocs_per_call),
            (Metric::NetBytesPerCall, budget.net_bytes_per_call),
        ];
        for (metric, limit) in limits {
            let Some(limit) = limit else { continue };
            let Some(samples) = function.get(metric) else {
                return Err(Unchecked::NotMeasured { budget: at, metric });
            };
            checks.push(check(&budget.function, metric, limit, samples));
        }
        if let Some(limit) = budget.error_rate {
            let Some(calls) = function.get(Metric::Calls) else {
                return Err(Unchecked::NotMeasured {
                    budget: at,
                    metric: Metric::Calls,
                });
            };
            let calls: f64 = calls.iter().sum();
            // (A sum of nothing is -0.0, which would show as "-0%".)
            let errors = function
                .get(Metric::Errors)
                .unwrap_or(&[])
                .iter()
                .fold(0.0, |sum, n| sum + n);
            checks.push(BudgetCheck::new(
                &budget.function,
                Metric::ErrorRate,
                limit,
                errors / calls,
                wilson_lower_bound(errors, calls, 1.0 - significance),
            ));
        }
    }
    Ok(checks)
}

/// The headroom of a suggested time budget over the slowest run's figure.
pub const HEADROOM: f64 = 1.5;

/// A budget taken from a function's figures in a record, as `cargo perf
/// check` suggests one: what it limits and what it was derived from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Suggested {
    /// The suggested limit of p95 per call, in ns: the largest p95 of any
    /// run × [`HEADROOM`], rounded up to two significant digits; `None`
    /// when the record has no p95 of the function.
    pub p95_ns: Option<f64>,
    /// The largest p95 per call of any run, in ns.
    pub observed_p95_ns: Option<f64>,
    /// The suggested limit of allocations per call: the most of any run,
    /// rounded up to a whole number (allocation counts are deterministic
    /// for most code, so no headroom); `None` when allocations were not
    /// counted.
    pub allocs_per_call: Option<f64>,
    /// The most allocations per call of any run.
    pub observed_allocs_per_call: Option<f64>,
}

/// A budget for `function` that its own record passes: see [`Suggested`].
///
/// ```
/// use perf_format::schema::record::{FunctionSamples, Metric};
/// use perf_stats::budget::suggest;
///
/// let mut f = FunctionSamples::new("app::parse");
/// f.samples.insert(Metric::P95, vec![28.0, 30.0, 29.0]);
/// f.samples.insert(Metric::AllocsPerCall, vec![0.0, 0.0, 0.0]);
/// let s = suggest(&f);
/// assert_eq!((s.p95_ns, s.allocs_per_call), (Some(45.0), Some(0.0)));
/// ```
pub fn suggest(function: &FunctionSamples) -> Suggested {
    let largest = |metric: Metric| {
        function
            .get(metric)
            .map(|samples| samples.iter().copied().fold(0.0, f64::max))
            .filter(|v| v.is_finite())
    };
    let observed_p95_ns = largest(Metric::P95);
    let observed_allocs_per_call = largest(Metric::AllocsPerCall);
    Suggested {
        p95_ns: observed_p95_ns.map(|p95| round_up(p95 * HEADROOM).max(1.0)),
        observed_p95_ns,
        allocs_per_call: observed_allocs_per_call.map(|a| (a - 1e-9).ceil().max(0.0)),
        observed_allocs_per_call,
    }
}

/// `value` rounded up to two significant digits: 45 → 45, 451 → 460,
/// 0.123 → 0.13.
fn round_up(value: f64) -> f64 {
    if value <= 0.0 {
        return 0.0;
    }
    let step = 10f64.powf(value.log10().floor() - 1.0);
    // The nudge keeps a figure already at two digits (45.000…01) at itself.
    let steps = (value / step - 1e-9).ceil();
    // Multiplying by a power of ten below 1 would leave 0.13000000000000003.
    if step < 1.0 {
        steps / (1.0 / step).round()
    } else {
        steps * step
    }
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::record::{FunctionSamples, RunSummary, Source};

    use super::*;

    /// A record of 10 runs of `cache::put` keeping `net` bytes a call,
    /// each run peaking at `peak` (or not counting frees).
    fn record(net: Option<f64>, peak: Option<u64>) -> Record {
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.runs = (0..10)
            .map(|i| {
                let mut run = RunSummary::new(format!("run{i}"), 1_000, 1);
                run.peak_heap_bytes = peak;
                run
            })
            .collect();
        let mut function = FunctionSamples::new("cache::put");
        function.samples.insert(Metric::Calls, vec![10.0; 10]);
        if let Some(net) = net {
            function
                .samples
                .insert(Metric::NetBytesPerCall, vec![net; 10]);
        }
        record.functions = vec![function];
        record
    }

    #[test]
    fn net_bytes_per_call_and_the_peak_heap_have_limits() {
        let budgets = [
            Budget {
                function: "cache::put".to_owned(),
                net_bytes_per_call: Some(0.0),
                ..Budget::default()
            },
            Budget {
                function: WHOLE_PROGRAM.to_owned(),
                peak_heap: Some(64.0 * 1024.0 * 1024.0),
                ..Budget::default()
            },
        ];
        let checks = check(&budgets, &record(Some(192.0), Some(65 << 20)), 0.01).unwrap();
        let exceeded: Vec<(&str, Metric, bool)> = checks
            .iter()
            .map(|c| (c.function.as_str(), c.metric, c.exceeded))
            .collect();
        assert_eq!(
            exceeded,
            [
                ("cache::put", Metric::NetBytesPerCall, true),
                (WHOLE_PROGRAM, Metric::PeakHeapBytes, true)
            ]
        );
        let checks = check(&budgets, &record(Some(0.0), Some(64 << 20)), 0.01).unwrap();
        assert!(checks.iter().all(|c| !c.exceeded), "{checks:?}");
        // Runs that did not count frees: which budget and what it lacks.
        assert_eq!(
            check(&budgets, &record(None, None), 0.01),
            Err(Unchecked::NotMeasured {
                budget: 0,
                metric: Metric::NetBytesPerCall
            })
        );
        assert_eq!(
            check(&budgets[1..], &record(None, None), 0.01),
            Err(Unchecked::NotMeasured {
                budget: 0,
                metric: Metric::PeakHeapBytes
            })
        );
    }

    #[test]
    fn a_p99_limit_holds_the_median_of_the_runs_p99() {
        let mut record = record(None, None);
        let p99: Vec<f64> = (1..=10).map(|i| f64::from(i) * 1_000.0).collect();
        record.functions[0].samples.insert(Metric::P99, p99);
        let budget = |limit: f64| Budget {
            function: "cache::put".to_owned(),
            p99_ns: Some(limit),
            ..Budget::default()
        };
        let [checked] = &check(&[budget(500.0)], &record, 0.01).unwrap()[..] else {
            panic!("one check")
        };
        assert_eq!((checked.metric, checked.measured), (Metric::P99, 5_500.0));
        assert!(checked.exceeded, "every run is above 500 ns");
        // The median is above 5 µs, but the fastest runs are not: not for sure.
        let [checked] = &check(&[budget(5_000.0)], &record, 0.01).unwrap()[..] else {
            panic!("one check")
        };
        assert!(!checked.exceeded);
    }

    #[test]
    fn an_error_rate_is_exceeded_when_its_lower_bound_is_above_the_limit() {
        let budget = |limit: f64| Budget {
            function: "cache::put".to_owned(),
            error_rate: Some(limit),
            ..Budget::default()
        };
        // 10 runs of 10 calls; no errors recorded at all: none failed.
        let mut record = record(None, None);
        let [checked] = &check(&[budget(0.0)], &record, 0.01).unwrap()[..] else {
            panic!("one check")
        };
        assert_eq!(
            (checked.metric, checked.measured, checked.exceeded),
            (Metric::ErrorRate, 0.0, false)
        );
        assert!(checked.measured.is_sign_positive());
        // 3 of 100 calls failed: 3%, clearly above 0%, not clearly above 1%.
        record.functions[0].samples.insert(
            Metric::Errors,
            vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        );
        let checks = check(&[budget(0.0), budget(0.01)], &record, 0.01).unwrap();
        assert!((checks[0].measured - 0.03).abs() < 1e-12);
        assert!(checks[0].exceeded, "{checks:?}");
        assert!(
            !checks[1].exceeded && checks[1].lower_bound < 0.01,
            "{checks:?}"
        );
        // 30 of 100: above 10% for sure.
        record.functions[0]
            .samples
            .insert(Metric::Errors, vec![3.0; 10]);
        assert!(check(&[budget(0.1)], &record, 0.01).unwrap()[0].exceeded);
        // A criterion record counts iterations, not calls: not measured.
        record.functions[0].samples.remove(&Metric::Calls);
        assert_eq!(
            check(&[budget(0.1)], &record, 0.01),
            Err(Unchecked::NotMeasured {
                budget: 0,
                metric: Metric::Calls
            })
        );
    }

    #[test]
    fn an_unknown_function_is_named_by_its_budget() {
        let budgets = [
            Budget {
                function: "cache::put".to_owned(),
                mean_ns: Some(1_000.0),
                ..Budget::default()
            },
            Budget {
                function: "parse_line".to_owned(),
                mean_ns: Some(1_000.0),
                ..Budget::default()
            },
        ];
        let mut record = record(None, None);
        record.functions[0]
            .samples
            .insert(Metric::TimePerCall, vec![10.0; 10]);
        assert_eq!(
            check(&budgets, &record, 0.01),
            Err(Unchecked::NoFunction { budget: 1 })
        );
    }

    #[test]
    fn a_suggested_budget_is_taken_from_the_slowest_run_and_passes_it() {
        assert_eq!(round_up(45.0), 45.0);
        assert_eq!(round_up(451.0), 460.0);
        assert_eq!(round_up(0.123), 0.13);
        assert_eq!(round_up(299_999.0), 300_000.0);
        let mut f = FunctionSamples::new("app::handler");
        f.samples.insert(Metric::P95, vec![20.0, 30.0, 25.0]);
        f.samples.insert(Metric::AllocsPerCall, vec![3.5, 4.0, 3.0]);
        let s = suggest(&f);
        assert_eq!(s.observed_p95_ns, Some(30.0));
        assert_eq!(s.p95_ns, Some(45.0));
        assert_eq!(s.allocs_per_call, Some(4.0));
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.functions.push(f.clone());
        let budget = Budget {
            function: "app::handler".to_owned(),
            p95_ns: s.p95_ns,
            allocs_per_call: s.allocs_per_call,
            ..Budget::default()
        };
        let checks = check(&[budget], &record, 0.01).unwrap();
        assert!(checks.iter().all(|c| !c.exceeded), "{checks:?}");
        // Not measured: nothing suggested.
        let bare = suggest(&FunctionSamples::new("app::other"));
        assert_eq!(bare, Suggested::default());
    }
}
