//! Budgets: absolute limits per function from `perf.toml`, held against a
//! record's median over its runs.

use std::path::Path;

use perf_format::schema::compare::BudgetCheck;
use perf_format::schema::record::{Metric, Record};

use crate::Error;
use crate::config::Budget;
use crate::stats::median;

/// Checks every budget against `record`. A budget naming a function the
/// record does not have, or allocations it did not count, is an error in
/// `config_path`: a renamed function must not silently lose its budget.
pub(crate) fn check(
    budgets: &[Budget],
    record: &Record,
    config_path: &Path,
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
            ));
        }
    }
    Ok(checks)
}
