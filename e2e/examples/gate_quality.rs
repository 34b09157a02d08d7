//! How good is the gate? Records the order-pricing service (a few hundred
//! milliseconds per run) as a baseline, then re-records it many times:
//! unchanged, with one function 10% slower, and with one more allocation
//! per call, and counts how often `compare` fails the gate and whether it
//! names the right function.
//!
//! Run: `cargo run --release -p perf-e2e --example gate_quality [-- --trials 20 --runs 5]`
//!
//! Targets (issue 3): 0 false alarms in 20 unchanged re-records; the 10%
//! slowdown caught in at least 19 of 20, naming the function; the extra
//! allocation caught every time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use perf_cli::{Gate, RecordOptions, Target, compare, record};
use perf_format::layout::Layout;
use perf_format::schema::compare::{Cause, Comparison, Drift, Row, Verdict};
use perf_format::schema::record::{Metric, Record};
use perf_format::units;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// The function slowed down and the one given an extra allocation.
const SLOWED: &str = "price";
const ALLOCATING: &str = "validate";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--workload") {
        // The instrumented service, when this program is run by `record`.
        return perf_e2e::serve(args[1..].iter().cloned());
    }
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let trials = option("--trials", 20);
    let runs = option("--runs", 5);
    match measure(trials, runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

struct Scenario {
    label: String,
    knobs: Vec<String>,
    /// The function the gate must name; `None` for the unchanged runs.
    culprit: Option<(&'static str, Metric)>,
}

fn measure(trials: usize, runs: usize) -> Result<(), perf_cli::Error> {
    let scratch =
        tempfile::tempdir().map_err(|e| perf_format::Error::write(std::env::temp_dir(), e))?;
    let paths = Layout::new(scratch.path(), scratch.path());
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("gate_quality"));
    let record_with = |knobs: &[String]| -> Result<Record, perf_cli::Error> {
        let mut command = vec![exe.display().to_string(), "--workload".to_owned()];
        command.extend(knobs.iter().cloned());
        let options = RecordOptions {
            runs,
            warmup: 1,
            name: Some("service".to_owned()),
            target: Target::Command(command),
            quiet: true,
        };
        Ok(record(&paths, &options)?.record)
    };
    let gate = Gate::default();
    let settings = gate.settings;

    let started = Instant::now();
    let baseline = record_with(&[])?;
    let per_run = baseline.runs.iter().map(|r| r.duration_ns).sum::<u64>() as f64
        / baseline.runs.len() as f64;
    println!(
        "gate quality: {runs} runs a side, {trials} trials per scenario, service run ≈ {:.0} ms, threshold {}%, α = {}",
        per_run / 1e6,
        settings.threshold * 100.0,
        settings.significance
    );

    let scenarios = [
        Scenario {
            label: "unchanged re-record".to_owned(),
            knobs: Vec::new(),
            culprit: None,
        },
        Scenario {
            label: format!("service::{SLOWED} 10% slower"),
            knobs: vec!["--slow".to_owned(), SLOWED.to_owned()],
            culprit: Some(("service::price", Metric::TimePerCall)),
        },
        Scenario {
            label: format!("service::{ALLOCATING} +1 allocation/call"),
            knobs: vec!["--alloc".to_owned(), ALLOCATING.to_owned()],
            culprit: Some(("service::validate", Metric::AllocsPerCall)),
        },
    ];
    let mut summary = Vec::new();
    for scenario in &scenarios {
        let (mut failed, mut named) = (0, 0);
        let mut changes = Vec::new();
        for trial in 1..=trials {
            let current = record_with(&scenario.knobs)?;
            let comparison = compare(
                ("baseline", &baseline),
                (&current.id, &current),
                &gate,
                Vec::new(),
            );
            let regressions: Vec<String> = comparison
                .rows
                .iter()
                .filter_map(Row::judged)
                .filter(|r| r.verdict == Verdict::Regressed)
                .map(|r| {
                    format!(
                        "{} {} {}{}",
                        r.function,
                        r.metric.label(),
                        r.change.map_or("from 0".to_owned(), units::change),
                        if r.gated { "" } else { " (not gated)" }
                    )
                })
                .collect();
            if comparison.failed {
                failed += 1;
            }
            let hit = scenario
                .culprit
                .is_some_and(|culprit| names(&comparison, culprit));
            if hit {
                named += 1;
            }
            if let Some((function, metric)) = scenario.culprit {
                if let Some(row) = comparison
                    .rows
                    .iter()
                    .filter_map(Row::judged)
                    .find(|r| r.function == function && r.metric == metric)
                {
                    changes.push((
                        row.change.unwrap_or(f64::INFINITY),
                        row.baseline,
                        row.current,
                    ));
                }
            }
            let drift = match &comparison.drift {
                Drift::Estimated { change, .. } => format!("machine {}", units::change(*change)),
                _ => "machine ?".to_owned(),
            };
            println!(
                "  {:<36} trial {trial:>2} ({drift}): {}{}",
                scenario.label,
                if comparison.failed { "FAIL" } else { "pass" },
                if regressions.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", regressions.join("; "))
                }
            );
        }
        changes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let median_change = changes
            .get(changes.len() / 2)
            .map(|&(change, before, after)| match scenario.culprit {
                Some((_, metric)) if change.is_infinite() => {
                    format!("{} → {}", metric.format(before), metric.format(after))
                }
                _ => units::change(change),
            });
        summary.push(match scenario.culprit {
            None => format!(
                "{:<38} {failed} of {trials} failed the gate (false alarms)",
                scenario.label
            ),
            Some((function, metric)) => format!(
                "{:<38} {failed} of {trials} failed the gate, {named} named {function} ({}; median change {})",
                scenario.label,
                metric.label(),
                median_change.unwrap_or_else(|| "-".to_owned())
            ),
        });
    }
    println!("\nresults ({:.0} s):", started.elapsed().as_secs_f64());
    for line in summary {
        println!("  {line}");
    }
    Ok(())
}

/// Whether the comparison names `function` as regressed on `metric` by its
/// own doing.
fn names(comparison: &Comparison, (function, metric): (&str, Metric)) -> bool {
    comparison.rows.iter().filter_map(Row::judged).any(|r| {
        r.function == function
            && r.metric == metric
            && r.verdict == Verdict::Regressed
            && r.cause == Some(Cause::Own)
    })
}
