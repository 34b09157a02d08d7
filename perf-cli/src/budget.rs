//! Budgets: absolute limits per function from `perf.toml`, held against a
//! record's median over its runs with a margin: a limit is exceeded when
//! the median's lower confidence bound is above it, so a function whose
//! runs straddle its limit does not flip between records.

use std::path::Path;

use perf_format::schema::compare::BudgetCheck;
use perf_format::schema::record::{Metric, Record};

use crate::Error;
use crate::config::Budget;
use crate::stats::median;

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
    for budget in budgets {
        let Some(function) = record.function(&budget.function) else {
            return Err(Error::Config {
                path: config_path.to_owned(),
                problem: format!(
                    "budget for function {:?} matches no function in record {} (names are module::path::fn; `cargo perf baseline show` lists them)",
                    budget.function, record.id
                ),
            });
        };
        let limits = [
            (Metric::P95, budget.p95_ns),
            (Metric::TimePerCall, budget.mean_ns),
            (Metric::AllocsPerCall, budget.allocs_per_call),
        ];
        for (metric, limit) in limits {
            let Some(limit) = limit else { continue };
            let Some(samples) = function.get(metric) else {
                return Err(Error::Config {
                    path: config_path.to_owned(),
                    problem: format!(
                        "budget for {:?} limits {}, which record {} does not measure{}",
                        budget.function,
                        metric.key(),
                        record.id,
                        if metric == Metric::AllocsPerCall {
                            " (install perf_core::PerfAlloc as the #[global_allocator])"
                        } else {
                            ""
                        }
                    ),
                });
            };
            checks.push(BudgetCheck::new(
                budget.function.clone(),
                metric,
                limit,
                median(samples),
                median_lower_bound(samples, 1.0 - significance),
            ));
        }
    }
    Ok(checks)
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
    use super::*;

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
