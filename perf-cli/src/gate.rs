//! The gate as the commands use it: a record held against a baseline by
//! `perf_stats::gate`, with `perf.toml`'s budgets, after records of another
//! program or build are refused and `--filter` is checked. The judging is
//! `perf_stats`'; here are the files' settings and the words of its errors.

use std::fmt::Write as _;
use std::path::Path;

use perf_format::schema::compare::{BudgetCheck, Comparison, WHOLE_PROGRAM};
use perf_format::schema::record::{Metric, Record};
use perf_format::units;
use perf_stats::budget::{self, Budget, Unchecked};
use perf_stats::filter::{self, Filter};
use perf_stats::gate::{self as stats_gate, Gate, comparable};

use crate::Error;
use crate::store::config::{BudgetEntry, Config};
use crate::suggest;

/// What a limit needs that a record may lack.
const NEEDS_PERF_ALLOC: &str = " (install perf_core::PerfAlloc as the #[global_allocator])";

/// `current` judged against `baseline` by `gate`, with the budgets of
/// `config` (read from `config_path`): every command that compares records
/// comes here. Records of another program or build are refused first,
/// unless `allow_mismatch`: then what differs is shown above the
/// comparison. Only the functions `filter` keeps are judged, and only
/// their budgets.
pub(crate) fn judge(
    config: &Config,
    config_path: &Path,
    gate: &Gate,
    baseline: (&str, &Record),
    current: &Record,
    allow_mismatch: bool,
    filter: &Filter,
) -> Result<Comparison, Error> {
    let mismatches = refuse_mismatch(baseline, (&current.id, current), allow_mismatch)?;
    let budgets = filtered_budgets(config, filter);
    let budgets = check_budgets(&budgets, current, config_path, gate.settings.significance)?;
    let mut comparison =
        stats_gate::compare_filtered(baseline, (&current.id, current), gate, budgets, filter);
    comparison.mismatches = mismatches;
    Ok(comparison)
}

/// The budgets of `config` that `filter` keeps: those of the functions it
/// keeps, and none of the whole program's unless it keeps everything.
pub(crate) fn filtered_budgets(config: &Config, filter: &Filter) -> Vec<BudgetEntry> {
    config
        .budgets
        .iter()
        .filter(|entry| {
            let function = &entry.budget.function;
            filter.is_empty() || (function != WHOLE_PROGRAM && filter.matches(function))
        })
        .cloned()
        .collect()
}

/// Refuses to compare `current` with `baseline` (each as named in the
/// error: `baseline main`, `record <id>`) when they differ
/// ([`comparable::differences`]), unless `allow_mismatch`: then the
/// differences are returned, to be shown above the comparison.
pub(crate) fn refuse_mismatch(
    baseline: (&str, &Record),
    current: (&str, &Record),
    allow_mismatch: bool,
) -> Result<Vec<String>, Error> {
    let found: Vec<String> = comparable::differences(baseline.1, current.1)
        .iter()
        .map(ToString::to_string)
        .collect();
    if found.is_empty() || allow_mismatch {
        return Ok(found);
    }
    Err(Error::Mismatch {
        baseline: side_label(baseline.0, baseline.1),
        current: side_label(current.0, current.1),
        differences: found.join("; "),
    })
}

/// How the error names a side: `baseline main`, else `record <id>`.
fn side_label(name: &str, record: &Record) -> String {
    match &record.baseline {
        Some(info) => format!("baseline {}", info.name),
        None if name != record.id && !name.is_empty() => format!("record {name}"),
        None => format!("record {}", record.id),
    }
}

/// Every budget of `entries` checked against `record` at confidence
/// 1 − `significance` ([`budget::check`]). A budget naming a function the
/// record does not have, or allocations it did not count, is an error in
/// `config_path` at the budget's line, naming the closest recorded names: a
/// renamed function must not silently lose its budget.
pub(crate) fn check_budgets(
    entries: &[BudgetEntry],
    record: &Record,
    config_path: &Path,
    significance: f64,
) -> Result<Vec<BudgetCheck>, Error> {
    let budgets: Vec<Budget> = entries.iter().map(|e| e.budget.clone()).collect();
    budget::check(&budgets, record, significance).map_err(|unchecked| {
        let at = match unchecked {
            Unchecked::NoFunction { budget } | Unchecked::NotMeasured { budget, .. } => budget,
        };
        let entry = &entries[at];
        let problem = match unchecked {
            Unchecked::NoFunction { .. } => no_function(&entry.budget.function, record),
            Unchecked::NotMeasured {
                metric: Metric::PeakHeapBytes,
                ..
            } => format!(
                "budget for the whole program limits peak_heap, which record {} does not measure: its runs did not count frees{NEEDS_PERF_ALLOC}",
                record.id
            ),
            Unchecked::NotMeasured {
                metric: Metric::Calls,
                ..
            } => format!(
                "budget for {:?} limits error_rate, which record {} does not measure: it counts no calls (a criterion record counts iterations)",
                entry.budget.function, record.id
            ),
            Unchecked::NotMeasured { metric, .. } => format!(
                "budget for {:?} limits {}, which record {} does not measure{}",
                entry.budget.function,
                metric.key(),
                record.id,
                if matches!(metric, Metric::AllocsPerCall | Metric::NetBytesPerCall) {
                    NEEDS_PERF_ALLOC
                } else {
                    ""
                }
            ),
        };
        Error::Config {
            path: config_path.to_owned(),
            problem: match entry.line {
                Some(line) => format!("line {line}: {problem}"),
                None => problem,
            },
        }
    })
}

/// Why a budget's function is not in `record`, with the closest names.
fn no_function(function: &str, record: &Record) -> String {
    let closest = suggest::closest(function, record.functions.iter().map(|f| f.name.as_str()));
    let fix = match &closest[..] {
        [] => " (a budget names a function in full, module::path::fn, as `cargo perf baseline show NAME` lists a baseline's functions and `cargo perf report` a record's)".to_owned(),
        [one] => format!(
            "; did you mean {}? Write the full name there",
            suggest::list(&[one])
        ),
        many => format!(
            "; the closest recorded names: {}. Write one of them in full there",
            suggest::list(many)
        ),
    };
    format!(
        "budget for function {function:?} matches no function in record {}{fix}",
        record.id
    )
}

/// A `[[budget]]` entry ready to paste into perf.toml: for the first
/// function of `record`, its limits taken from that record's figures
/// (`budget::suggest`) and saying how; without a record, or for what it
/// does not measure, an example marked as one.
pub(crate) fn budget_example(record: Option<&Record>) -> String {
    let function = record.and_then(|r| r.functions.first());
    let name = function.map_or("my_crate::module::function", |f| f.name.as_str());
    let mut out = format!("[[budget]]\nfunction = {name:?}\n");
    let (Some(record), Some(function)) = (record, function) else {
        out.push_str("p95 = \"200us\"           # 95th percentile of the time per call (an example: no record to take it from)\nallocs_per_call = 4     # allocations per call, callees included (an example)\n");
        return out;
    };
    let suggested = budget::suggest(function);
    let id = &record.id;
    match (suggested.p95_ns, suggested.observed_p95_ns) {
        (Some(limit), Some(observed)) => {
            let _ = writeln!(
                out,
                "{:<24}# 95th percentile of the time per call: the slowest run's in record {id} ({}) × {}, rounded up",
                format!("p95 = \"{}\"", duration_literal(limit)),
                units::duration(observed),
                budget::HEADROOM
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{:<24}# 95th percentile of the time per call (an example: record {id} has no p95 of it)",
                "p95 = \"200us\""
            );
        }
    }
    if let (Some(limit), Some(observed)) = (
        suggested.allocs_per_call,
        suggested.observed_allocs_per_call,
    ) {
        let _ = writeln!(
            out,
            "{:<24}# allocations per call, callees included: the most of any run in record {id} ({})",
            format!("allocs_per_call = {limit}"),
            match observed.fract() == 0.0 {
                true => format!("{observed:.0}"),
                false => units::significant(observed),
            }
        );
    }
    out
}

/// A time in ns as perf.toml takes it, in the largest unit it is at
/// least 1 of: "45ns", "1.2us", "270us", "3.4ms", "1.5s".
fn duration_literal(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "us")
    } else {
        (ns, "ns")
    };
    format!("{value}{unit}")
}

/// Refuses a `--filter` text that matches no function or frame of
/// `records` (a record and the baseline it is held against), naming the
/// closest names there are.
pub(crate) fn check_filter(filter: &Filter, records: &[&Record]) -> Result<(), Error> {
    let Some(text) = filter.unmatched(records) else {
        return Ok(());
    };
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let closest = suggest::closest(text, records.iter().flat_map(|r| filter::names(r)));
    let hint = match closest.is_empty() {
        true => " (`cargo perf baseline show NAME` lists a baseline's functions, `cargo perf report` a record's; the text is matched as it is, case-sensitive)".to_owned(),
        false => format!("; the closest names: {}", suggest::list(&closest)),
    };
    Err(Error::NoMatch {
        filter: text.to_owned(),
        records: ids.join(" and "),
        hint,
    })
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::record::{FunctionSamples, RunSummary, Source};
    use perf_format::stacks::{CallCost, Stack};

    use super::*;

    /// A record of `functions`, with one call each. (Refusing another
    /// program or build is tested end to end, in tests/cli/guard.rs.)
    fn record(functions: &[&str]) -> Record {
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.functions = functions
            .iter()
            .map(|f| {
                let mut function = FunctionSamples::new(*f);
                function.samples.insert(Metric::Calls, vec![1.0]);
                function
            })
            .collect();
        record
    }

    /// A record of 10 runs of `cache::put`, each run counting no frees.
    fn runs_of_cache_put() -> Record {
        let mut record = record(&["cache::put"]);
        record.runs = (0..10)
            .map(|i| RunSummary::new(format!("run{i}"), 1_000, 1))
            .collect();
        record
    }

    fn entry(budget: Budget, line: Option<usize>) -> BudgetEntry {
        BudgetEntry { budget, line }
    }

    #[test]
    fn a_budget_that_cannot_be_checked_is_an_error_at_its_line() {
        let path = Path::new("perf.toml");
        let budgets = [
            entry(
                Budget {
                    function: "cache::put".to_owned(),
                    net_bytes_per_call: Some(0.0),
                    ..Budget::default()
                },
                None,
            ),
            entry(
                Budget {
                    function: WHOLE_PROGRAM.to_owned(),
                    peak_heap: Some(64.0 * 1024.0 * 1024.0),
                    ..Budget::default()
                },
                None,
            ),
        ];
        let err = check_budgets(&budgets, &runs_of_cache_put(), path, 0.01)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("perf.toml: budget for \"cache::put\" limits net_bytes_per_call, which record r does not measure (install perf_core::PerfAlloc"),
            "{err}"
        );
        let err = check_budgets(&budgets[1..], &runs_of_cache_put(), path, 0.01)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the whole program limits peak_heap"), "{err}");
    }

    #[test]
    fn an_unknown_function_names_the_closest_recorded_ones_and_the_line() {
        let mut record = runs_of_cache_put();
        record
            .functions
            .push(FunctionSamples::new("myapp::parse::parse_line"));
        let budget = |function: &str, line| {
            entry(
                Budget {
                    function: function.to_owned(),
                    mean_ns: Some(1_000.0),
                    ..Budget::default()
                },
                line,
            )
        };
        let err = check_budgets(
            &[budget("parse_line", Some(7))],
            &record,
            Path::new("/w/perf.toml"),
            0.01,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "/w/perf.toml: line 7: budget for function \"parse_line\" matches no function in record r; did you mean `myapp::parse::parse_line`? Write the full name there"
        );
        let err = check_budgets(
            &[budget("checkout::price", None)],
            &record,
            Path::new("perf.toml"),
            0.01,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a budget names a function in full"), "{err}");
    }

    #[test]
    fn a_filter_matching_nothing_names_the_closest_names() {
        let mut record = record(&["app::handler", "db::query"]);
        record.stacks = vec![Stack::new(
            ["app::handler", "db::query"],
            CallCost::default(),
        )];
        let err = check_filter(&Filter::new(&["db::qeury".to_owned()]), &[&record])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "--filter \"db::qeury\" matches no function of r; the closest names: `db::query`"
            ),
            "{err}"
        );
        assert!(check_filter(&Filter::new(&["query".to_owned()]), &[&record]).is_ok());
        let err = check_filter(&Filter::new(&["zzz".to_owned()]), &[&record])
            .unwrap_err()
            .to_string();
        assert!(err.contains("case-sensitive"), "{err}");
    }
}
