//! Budgets: absolute limits per function (and the whole program's peak
//! heap) from `perf.toml`, held against a record's median over its runs
//! with a margin: a limit is exceeded when the median's lower confidence
//! bound is above it, so a function whose runs straddle its limit does not
//! flip between records. A percentile limit (p95, p99) is held against
//! the median of the runs' own percentiles per call.

use std::path::Path;

use perf_format::schema::compare::{BudgetCheck, WHOLE_PROGRAM};
use perf_format::schema::record::{Metric, Record};

use crate::Error;
use crate::config::Budget;
use crate::stats::median;
use crate::suggest;

/// What a limit needs that a record may lack.
const NEEDS_PERF_ALLOC: &str = " (install perf_core::PerfAlloc as the #[global_allocator])";

/// Checks every budget against `record`, with bounds at confidence
/// 1 − `significance`. A budget naming a function the record does not
/// have, or allocations it did not count, is an error in `config_path`: a
/// renamed function must not silently lose its budget.
pub(crate) fn check(
    budgets: &[Budget],
    record: &Record,
    config_path: &Path,
    significance: f64,
) -> Result<Vec<BudgetCheck>, Error> {
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
    for budget in budgets {
        let fail = |problem: String| Error::Config {
            path: config_path.to_owned(),
            problem: match budget.line {
                Some(line) => format!("line {line}: {problem}"),
                None => problem,
            },
        };
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
                    return Err(fail(format!(
                        "budget for the whole program limits peak_heap, which record {} does not measure: its runs did not count frees{NEEDS_PERF_ALLOC}",
                        record.id
                    )));
                }
            }
            continue;
        }
        let Some(function) = record.function(&budget.function) else {
            let closest = suggest::closest(
                &budget.function,
                record.functions.iter().map(|f| f.name.as_str()),
            );
            let fix = match &closest[..] {
                [] => " (a budget names a function in full, module::path::fn, as `cargo perf baseline show NAME` lists a baseline's functions and `cargo perf report` a record's)".to_owned(),
                [one] => format!("; did you mean {}? Write the full name there", suggest::list(&[one])),
                many => format!(
                    "; the closest recorded names: {}. Write one of them in full there",
                    suggest::list(many)
                ),
            };
            return Err(fail(format!(
                "budget for function {:?} matches no function in record {}{fix}",
                budget.function, record.id
            )));
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
                return Err(fail(format!(
                    "budget for {:?} limits {}, which record {} does not measure{}",
                    budget.function,
                    metric.key(),
                    record.id,
                    if matches!(metric, Metric::AllocsPerCall | Metric::NetBytesPerCall) {
                        NEEDS_PERF_ALLOC
                    } else {
                        ""
                    }
                )));
            };
            checks.push(check(&budget.function, metric, limit, samples));
        }
    }
    Ok(checks)
}

/// A `[[budget]]` entry for `function`, ready to paste into perf.toml.
pub(crate) fn example(function: &str) -> String {
    format!(
        "[[budget]]\nfunction = {function:?}\np95 = \"200us\"           # 95th percentile of the time per call\nallocs_per_call = 4     # allocations per call, callees included\n"
    )
}

/// A one-sided lower confidence bound of the median at `confidence`: the
/// k-th smallest sample for the largest k with P(Binomial(n, ½) ≥ k) ≥
/// `confidence` (each sample lies below the median with probability ½,
/// whatever the distribution). With too few samples for the confidence
/// (fewer than 7 at 99%), the smallest sample.
fn median_lower_bound(samples: &[f64], confidence: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // P(Binomial(n, ½) ≥ k), from k = 1 up.
    let mut below = 0.0; // P(Binomial < k)
    let mut term = 0.5f64.powi(n as i32); // P(Binomial = 0)
    let mut k = 0;
    for j in 0..n {
        below += term;
        term *= (n - j) as f64 / (j + 1) as f64;
        if 1.0 - below >= confidence {
            k = j + 1;
        } else {
            break;
        }
    }
    sorted.get(k.saturating_sub(1)).copied().unwrap_or(f64::NAN)
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
        let path = Path::new("perf.toml");
        let checks = check(&budgets, &record(Some(192.0), Some(65 << 20)), path, 0.01).unwrap();
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
        let checks = check(&budgets, &record(Some(0.0), Some(64 << 20)), path, 0.01).unwrap();
        assert!(checks.iter().all(|c| !c.exceeded), "{checks:?}");
        // Runs that did not count frees: the file names what is missing.
        let err = check(&budgets, &record(None, None), path, 0.01)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("perf.toml: budget for \"cache::put\" limits net_bytes_per_call, which record r does not measure (install perf_core::PerfAlloc"),
            "{err}"
        );
        let err = check(&budgets[1..], &record(None, None), path, 0.01)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the whole program limits peak_heap"), "{err}");
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
        let path = Path::new("perf.toml");
        let [checked] = &check(&[budget(500.0)], &record, path, 0.01).unwrap()[..] else {
            panic!("one check")
        };
        assert_eq!((checked.metric, checked.measured), (Metric::P99, 5_500.0));
        assert!(checked.exceeded, "every run is above 500 ns");
        // The median is above 5 µs, but the fastest runs are not: not for sure.
        let [checked] = &check(&[budget(5_000.0)], &record, path, 0.01).unwrap()[..] else {
            panic!("one check")
        };
        assert!(!checked.exceeded);
    }

    #[test]
    fn an_unknown_function_names_the_closest_recorded_ones_and_the_line() {
        let mut record = record(None, None);
        record
            .functions
            .push(FunctionSamples::new("myapp::parse::parse_line"));
        let budget = Budget {
            function: "parse_line".to_owned(),
            mean_ns: Some(1_000.0),
            line: Some(7),
            ..Budget::default()
        };
        let err = check(&[budget], &record, Path::new("/w/perf.toml"), 0.01)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/w/perf.toml: line 7: budget for function \"parse_line\" matches no function in record r; did you mean `myapp::parse::parse_line`? Write the full name there"
        );
        let budget = Budget {
            function: "checkout::price".to_owned(),
            mean_ns: Some(1_000.0),
            ..Budget::default()
        };
        let err = check(&[budget], &record, Path::new("perf.toml"), 0.01)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a budget names a function in full"), "{err}");
    }

    #[test]
    fn the_medians_bound_is_an_order_statistic_that_holds_its_confidence() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        // P(Bin(10, ½) ≥ 2) = 0.989 ≥ 95%, P(≥ 3) = 0.945 < 95%.
        assert_eq!(median_lower_bound(&ten, 0.95), 2.0);
        // At 99% only the smallest holds: P(≥ 1) = 0.999.
        assert_eq!(median_lower_bound(&ten, 0.99), 1.0);
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        // P(Bin(100, ½) ≥ 42) ≈ 0.9557, P(≥ 43) ≈ 0.9334.
        assert_eq!(median_lower_bound(&many, 0.95), 42.0);
        assert_eq!(median_lower_bound(&[7.0], 0.99), 7.0);
    }
}
