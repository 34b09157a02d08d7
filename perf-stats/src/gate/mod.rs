//! Holding a record against a baseline: per function and metric, the
//! change, its confidence interval and a verdict, and which functions' own
//! cost changed rather than every caller above them.
//!
//! How a change is judged (details in `judge`, `drift` and `cause`):
//! - **Time** (time/call, p95, cpu/call, the program's wall time/run): a
//!   Mann–Whitney U test on the runs' samples (exact for small samples,
//!   ties included) and a Hodges–Lehmann estimate of the change with its
//!   distribution-free interval, on log values so that a change is a ratio.
//!   The machine's drift is taken out of the functions' times first, so
//!   each function is judged relative to the rest of the program; the
//!   program's own wall time is judged as measured (see `drift`).
//! - **Three verdicts**: a row is *regressed* when the adjusted test says
//!   it got slower and its interval reaches the threshold, *unchanged* when
//!   its interval lies within ±threshold (proven small), and
//!   *inconclusive* otherwise, with about how many runs a side would decide
//!   it. Significance alone would flag tiny steady shifts; the threshold
//!   alone, noise.
//! - **Many functions**: the p-values of the rows that gate are adjusted by
//!   Benjamini–Hochberg, always, so the false discovery rate is α however
//!   many functions and metrics there are (and, with no change at all, the
//!   chance of any false alarm); intervals are at the matching level. Rows
//!   whose runs are too few to reach it are inconclusive, never judged by
//!   another rule.
//! - **Counts** (allocations, bytes and net bytes per call, calls, and the
//!   program's peak heap per run in the row `(whole program)`): when every
//!   run of each side has the same value, as in deterministic code, the
//!   values are compared exactly against the allocation threshold (calls
//!   and the peak heap against the time threshold: a helper called once
//!   more, or a peak a few bytes higher, is not a regression). When they vary, they are judged with the rank test. A
//!   change is relative to the baseline's size, so net bytes per call
//!   (negative for a call that frees what others allocated) are worse when
//!   they grow, as every figure is.
//! - **Tails and CPU time**: p95 is judged like time, but only for
//!   functions with at least 400 calls in every run (fewer leave too few
//!   calls in the tail); its changes and those of cpu/call are shown
//!   without failing the gate: how often a shared machine interrupts calls
//!   moves p95 more than code does, and the machine's drift is not known for
//!   CPU time. Budgets in `perf.toml` limit p95 absolutely.
//! - **Instruction records** (`record --instructions`): instructions and
//!   estimated cycles per call are judged against the instructions
//!   threshold — exactly when every run of each side has the same value
//!   (always with one run a side), by the rank test when they vary. The
//!   times, measured under Valgrind, are shown but do not gate.
//! - **Whose doing**: a change of a figure that includes callees is the
//!   function's own when its own part (self time, self allocations, self
//!   instructions) moved by at least half as much; otherwise the callees
//!   that changed are named.

mod cause;
pub mod comparable;
mod drift;
#[cfg(any(test, feature = "testing"))]
pub mod evaluation;
mod judge;
mod metrics;

use std::collections::{HashMap, HashSet};

use perf_format::schema::compare::{
    BudgetCheck, Cause, Comparison, Drift, Judged, Method, OnlyIn, Presence, Row, Settings, Side,
    Totals, Verdict, WHOLE_PROGRAM,
};
use perf_format::schema::record::{FunctionSamples, Kind, Metric, Record, Source};
use perf_format::units;

use crate::filter::Filter;
use crate::rank::RankTester;
use crate::summary::median;
use judge::Pending;
use metrics::own_part;

/// How the gate judges: the thresholds and α, which the comparison
/// reports, and whether a regression fails it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gate {
    /// Thresholds and α.
    pub settings: Settings,
    /// When the gate fails.
    pub fail_on: FailOn,
    /// The two sides' runs were interleaved on one machine (`cargo perf
    /// ab`), so the program's wall time per run gates too; between
    /// sessions it moves with the machine, and is shown only.
    pub interleaved: bool,
}

/// When `compare` fails (exit 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    /// On a regression or an exceeded budget.
    #[default]
    Regression,
    /// Also on a row that gates but is inconclusive: strict, for a gate
    /// that must have enough runs to decide every row.
    Inconclusive,
    /// Never: report only.
    Never,
}

/// Compares `current` against `baseline`, each named as given, by `gate`;
/// `budgets` (checked against `current`) fail it too.
///
/// # Examples
///
/// ```
/// use perf_format::schema::compare::Verdict;
/// use perf_format::schema::env::Environment;
/// use perf_format::schema::record::{FunctionSamples, Metric, Record, RunSummary, Source};
/// use perf_stats::gate::{Gate, compare};
///
/// // Ten runs of `app::parse` and `app::render`; in the current record
/// // parse takes 20% longer per call, render the same.
/// let record = |id: &str, parse_ns: f64| {
///     let mut record = Record::new(id, "app", Source::Perf, "t", Environment::default());
///     record.runs = (0..10).map(|i| RunSummary::new(format!("run{i}"), 1_000_000, 2)).collect();
///     for (name, ns) in [("app::parse", parse_ns), ("app::render", 500.0)] {
///         let mut function = FunctionSamples::new(name);
///         let times: Vec<f64> = (0..10).map(|i| ns * (1.0 + 0.001 * f64::from(i))).collect();
///         function.samples.insert(Metric::TimePerCall, times.clone());
///         function.samples.insert(Metric::SelfTimePerCall, times);
///         function.samples.insert(Metric::Calls, vec![1.0; 10]);
///         record.functions.push(function);
///     }
///     record
/// };
/// let (base, cur) = (record("base", 1_000.0), record("cur", 1_200.0));
/// let comparison = compare(("main", &base), ("cur", &cur), &Gate::default(), Vec::new());
/// assert!(comparison.failed);
/// let culprits: Vec<&str> = comparison.culprits().map(|r| r.function.as_str()).collect();
/// assert_eq!(culprits, ["app::parse"]);
/// ```
pub fn compare(
    baseline: (&str, &Record),
    current: (&str, &Record),
    gate: &Gate,
    budgets: Vec<BudgetCheck>,
) -> Comparison {
    compare_filtered(baseline, current, gate, budgets, &Filter::default())
}

/// [`compare`], showing only the functions `filter` keeps: the other
/// functions and the whole-program rows get no row and do not fail the
/// gate. Every row is still tested, so the Benjamini–Hochberg family is
/// the whole program's and a filter chosen after looking at a comparison
/// cannot make a row significant that was not; the machine's drift and
/// whose doing a change is are worked out from every function too. A note
/// says how many functions were left out.
pub fn compare_filtered(
    baseline: (&str, &Record),
    current: (&str, &Record),
    gate: &Gate,
    budgets: Vec<BudgetCheck>,
    filter: &Filter,
) -> Comparison {
    let (base_name, base) = baseline;
    let (current_name, cur) = current;
    let settings = gate.settings;
    // Times measured under Valgrind do not gate: neither when both sides
    // are instruction records nor when one is (a mismatch compared anyway,
    // `--allow-mismatch`), as its times are not the other's.
    let instructions = base.instructions || cur.instructions;
    let mut tester = RankTester::new();
    let factors =
        drift::Factors::estimate(base, cur, settings.threshold, gate.interleaved, &mut tester);
    let drift = match &factors {
        Ok(factors) => factors.drift().clone(),
        Err(reason) => Drift::NotEstimated {
            reason: reason.clone(),
        },
    };
    let correct = |metric: Metric, function: &FunctionSamples, baseline_side: bool| match &factors {
        Ok(factors) => factors.correct(metric, function, baseline_side),
        Err(_) => function.get(metric).map(<[f64]>::to_vec),
    };

    let base_index = index(base);
    let cur_index = index(cur);
    let mut rows = Vec::new();
    let mut pending = Vec::new();
    let mut seen = HashSet::new();
    for function in base.functions.iter().chain(&cur.functions) {
        let name = function.name.as_str();
        if !seen.insert(name) {
            continue;
        }
        match (base_index.get(name), cur_index.get(name)) {
            (Some(&b), Some(&c)) => {
                for metric in metrics::COMPARED {
                    let (Some(x), Some(y)) = (correct(metric, b, true), correct(metric, c, false))
                    else {
                        continue;
                    };
                    pending.push(Pending::new(name, metric, b, c, (x, y), instructions));
                }
            }
            (Some(&b), None) => rows.push(presence_row(b, OnlyIn::Baseline)),
            (None, Some(&c)) => rows.push(presence_row(c, OnlyIn::Current)),
            (None, None) => {}
        }
    }

    if let (Some(x), Some(y)) = (wall_times(base), wall_times(cur)) {
        let interleaved = gate.interleaved && !instructions;
        pending.push(Pending::whole_program(
            Metric::TimePerRun,
            x,
            y,
            interleaved,
            interleaved,
        ));
    }
    if let (Some(x), Some(y)) = (peak_heaps(base), peak_heaps(cur)) {
        pending.push(Pending::whole_program(
            Metric::PeakHeapBytes,
            x,
            y,
            true,
            false,
        ));
    }

    let (correction, mut judged) = judge::judge_all(&pending, settings, &mut tester);
    // A group that moved against the rest: its time rows cannot be judged
    // between sessions (see `drift`), whatever the rank test says.
    if let Drift::Estimated {
        split: Some(split), ..
    } = &drift
    {
        if !instructions && !split.judged {
            for row in &mut judged {
                if row.metric.kind() == Kind::Time
                    && row.method == Method::RankTest
                    && split.functions.binary_search(&row.function).is_ok()
                {
                    row.verdict = Verdict::Inconclusive;
                    row.runs_needed = None;
                }
            }
        }
    }
    // How own part and whole moved, for the rows whose cause is asked.
    for (row, pending) in judged.iter().zip(pending.iter_mut()) {
        if row.verdict != Verdict::Regressed && row.verdict != Verdict::Improved {
            continue;
        }
        let Some((own, whole)) = own_part(pending.metric) else {
            continue;
        };
        let (Some(&b), Some(&c)) = (
            base_index.get(pending.function),
            cur_index.get(pending.function),
        ) else {
            continue;
        };
        let mut shift = |metric: Metric| {
            let (x, y) = (correct(metric, b, true)?, correct(metric, c, false)?);
            Some(tester.shift(&x, &y, 0.5).estimate)
        };
        if let (Some(own_shift), Some(whole_shift)) = (shift(own), shift(whole)) {
            pending.split = Some(judge::Split {
                own_shift,
                whole_shift,
            });
        }
    }
    cause::assign(&mut judged, &pending, base, cur);
    rows.extend(judged.into_iter().map(Row::Judged));
    // What the filter keeps is shown; the whole program's rows are no
    // function's, and it leaves them out.
    if !filter.is_empty() {
        rows.retain(|row| row.function() != WHOLE_PROGRAM && filter.matches(row.function()));
    }
    rows.sort_by(|a, b| {
        a.verdict()
            .cmp(&b.verdict())
            .then_with(|| b.gated().cmp(&a.gated()))
            .then_with(|| cause_rank(a).cmp(&cause_rank(b)))
            .then_with(|| magnitude(b).total_cmp(&magnitude(a)))
            .then_with(|| a.function().cmp(b.function()))
            .then_with(|| a.metric().cmp(&b.metric()))
    });

    let mut notes = notes(
        base,
        cur,
        &judged_rows(&rows),
        &drift,
        settings,
        gate.interleaved,
    );
    if !filter.is_empty() {
        let total = seen.len();
        let kept = seen.iter().filter(|name| filter.matches(name)).count();
        notes.insert(0, filter.note(kept, total));
    }
    let mut comparison = Comparison::new(
        Side::of(base_name, base),
        Side::of(current_name, cur),
        settings,
        correction,
        drift,
    );
    comparison.notes = notes;
    comparison.totals = Totals::of(&rows, &budgets);
    let totals = &comparison.totals;
    comparison.failed = match gate.fail_on {
        FailOn::Regression => totals.regressed > 0 || totals.budgets_exceeded > 0,
        FailOn::Inconclusive => {
            totals.regressed > 0 || totals.budgets_exceeded > 0 || totals.inconclusive > 0
        }
        FailOn::Never => false,
    };
    comparison.rows = rows;
    comparison.budgets = budgets;
    comparison
}

/// How many runs a side the rank test needs for the first finding among
/// `rows` rows tested at `alpha` to be reachable at all: Benjamini–Hochberg
/// rejects nothing unless some p-value is at most α/m, and `n` runs a side
/// give no p-value below 2 / C(2n, n). With 5 runs a side, 0.0079: one row
/// at α = 0.01, not two.
///
/// # Examples
/// ```
/// use perf_stats::gate::runs_to_decide;
/// assert_eq!(runs_to_decide(1, 0.01), 5);
/// assert_eq!(runs_to_decide(4, 0.01), 6);
/// assert_eq!(runs_to_decide(300, 0.01), 10);
/// ```
pub fn runs_to_decide(rows: usize, alpha: f64) -> usize {
    let level = alpha / rows.max(1) as f64;
    (1..=1_000)
        .find(|&n| crate::rank::smallest_p_value(n, n) <= level)
        .unwrap_or(1_000)
}

/// The fewest pairs that let the paired `(whole program)` row of `ab`,
/// tested two-sided at `alpha`, reach it at all: Wilcoxon's signed-rank
/// test on `n` pairs gives no p-value below 2 / 2ⁿ.
///
/// # Examples
/// ```
/// use perf_stats::gate::pairs_to_decide;
/// assert_eq!(pairs_to_decide(0.01), 8);
/// ```
pub fn pairs_to_decide(alpha: f64) -> usize {
    (1..=1_000)
        .find(|&n| crate::rank::smallest_paired_p_value(n) <= alpha)
        .unwrap_or(1_000)
}

/// The wall time of each run of a program's record; none for criterion's
/// samples, which are not runs.
fn wall_times(record: &Record) -> Option<Vec<f64>> {
    (record.source != Source::Criterion && !record.runs.is_empty()).then(|| {
        record
            .runs
            .iter()
            .map(|run| run.duration_ns as f64)
            .collect()
    })
}

/// The peak heap of each run of a program's record, when every run has one
/// (runs that counted frees).
fn peak_heaps(record: &Record) -> Option<Vec<f64>> {
    (!record.runs.is_empty())
        .then(|| {
            record
                .runs
                .iter()
                .map(|run| run.peak_heap_bytes.map(|bytes| bytes as f64))
                .collect()
        })
        .flatten()
}

fn judged_rows(rows: &[Row]) -> Vec<&Judged> {
    rows.iter().filter_map(Row::judged).collect()
}

/// The record's functions by name.
fn index(record: &Record) -> HashMap<&str, &FunctionSamples> {
    record
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f))
        .collect()
}

/// The row of a function found in one record only, with its time per call there.
fn presence_row(function: &FunctionSamples, only_in: OnlyIn) -> Row {
    let time = function.get(Metric::TimePerCall).map(median);
    Row::Presence(Presence::new(function.name.clone(), only_in, time))
}

fn cause_rank(row: &Row) -> u8 {
    match row.judged().and_then(|r| r.cause.as_ref()) {
        Some(Cause::Own | Cause::CalledBy { .. }) => 0,
        Some(_) => 1,
        None => 2,
    }
}

fn magnitude(row: &Row) -> f64 {
    match row {
        Row::Judged(Judged {
            change: Some(c), ..
        }) => c.abs(),
        Row::Judged(_) => f64::INFINITY,
        Row::Presence(_) => 0.0,
    }
}

/// What a reader should know: rows more runs would decide, the machine's
/// drift, runs made on different machines or builds.
fn notes(
    base: &Record,
    cur: &Record,
    rows: &[&Judged],
    drift: &Drift,
    settings: Settings,
    interleaved: bool,
) -> Vec<String> {
    let mut notes = Vec::new();
    let undecided: Vec<&&Judged> = rows
        .iter()
        .filter(|r| r.gated && r.verdict == Verdict::Inconclusive)
        .collect();
    if !undecided.is_empty() {
        let most = undecided.iter().filter_map(|r| r.runs_needed).max();
        let threshold = if undecided
            .iter()
            .all(|r| r.metric.kind() == Kind::Instructions)
        {
            settings.instructions_threshold
        } else {
            settings.threshold
        };
        notes.push(format!(
            "{} inconclusive: neither changed for sure nor shown within ±{}{}",
            if undecided.len() == 1 {
                "1 row that gates is".to_owned()
            } else {
                format!(
                    "{} that gate are",
                    units::plural(undecided.len() as u64, "row")
                )
            },
            units::percent(threshold),
            most.map_or_else(String::new, |n| format!(
                "; about {} a side would decide {}",
                units::plural(n, "run"),
                if undecided.len() == 1 {
                    "it"
                } else {
                    "them all"
                }
            ))
        ));
    }
    let instructions = base.instructions || cur.instructions;
    if instructions {
        notes.push(format!(
            "instruction records: instructions and estimated cycles per call gate at ±{}; the times, measured under Valgrind, are shown only",
            units::percent(settings.instructions_threshold)
        ));
    }
    if let (
        false,
        Drift::Estimated {
            split: Some(split), ..
        },
    ) = (instructions, drift)
    {
        let named: Vec<String> = split.functions.iter().take(3).cloned().collect();
        let more = split.functions.len().saturating_sub(named.len());
        let group = format!(
            "{} ({} of the self time: {}{})",
            units::plural(split.functions.len() as u64, "function"),
            units::percent(split.share),
            named.join(", "),
            match more {
                0 => String::new(),
                n => format!(" and {n} more"),
            },
        );
        let moved = units::change(split.change.abs());
        let moved = moved.trim_start_matches('+');
        notes.push(match (split.judged, interleaved) {
            (true, _) => format!(
                "{group} ran {moved} {} than the rest, which stood still: with both sides interleaved on one machine, that is a change of theirs (a shared helper, the allocator, a dependency), and their time rows are judged against the rest",
                if split.change > 0.0 { "slower" } else { "faster" }
            ),
            (false, true) => format!(
                "{group} ran {moved} slower than the rest, and neither group stood still: which of them moved cannot be told, so their time rows are inconclusive and the machine's drift is the rest's; `--instructions` decides, and `--fail-on inconclusive` fails on them"
            ),
            (false, false) => format!(
                "{group} ran {moved} slower than the rest against the baseline: a change that slowed them alike (a shared helper, the allocator, a dependency), or a machine that ran the rest faster? Between two sessions it cannot be told, so their time rows are inconclusive and the machine's drift is the rest's; `cargo perf ab` (both sides interleaved on one machine) or `--instructions` decides, and `--fail-on inconclusive` fails on them"
            ),
        });
    }
    match drift {
        _ if instructions => {}
        Drift::Estimated {
            functions, change, ..
        } if change.abs() > settings.threshold / 2.0 => notes.push(format!(
            "the functions ran {} {} than in the baseline (the median over {}): a slower machine, or a change that slows every function alike; the functions' time rows are relative to it, and the row {WHOLE_PROGRAM} is the program's wall time as measured",
            units::change(change.abs()).trim_start_matches('+'),
            if *change > 0.0 { "slower" } else { "faster" },
            units::plural(*functions as u64, "function"),
        )),
        Drift::NotEstimated { reason } => notes.push(format!(
            "the machine's drift was not taken out of the times: {reason}"
        )),
        _ => {}
    }
    if base.env.debug_build != cur.env.debug_build {
        let kind = |debug| {
            if debug {
                "a debug build"
            } else {
                "a release build"
            }
        };
        notes.push(format!(
            "the baseline ran {} and the current record {}: timings are not comparable",
            kind(base.env.debug_build),
            kind(cur.env.debug_build)
        ));
    }
    if base.env.cpu != cur.env.cpu || base.env.cores != cur.env.cores {
        let machine = |r: &Record| {
            format!(
                "{} with {} cores",
                r.env.cpu.as_deref().unwrap_or("an unknown CPU"),
                r.env.cores
            )
        };
        notes.push(format!(
            "the baseline ran on {}, the current record on {}: time changes may be the machine's",
            machine(base),
            machine(cur)
        ));
    }
    if base.alloc_tracking != cur.alloc_tracking {
        notes.push(
            "allocations were tracked on one side only: allocation metrics are not compared"
                .to_owned(),
        );
    }
    if !instructions {
        notes.extend(own_cost_note(cur, rows));
    }
    notes
}

/// The share of a function's self time that is perf's own cost from which
/// its time rows are said to be mostly perf's.
pub const MOSTLY_PERF: f64 = 0.5;

/// The functions with time rows whose self time in the current record is
/// mostly perf's own cost, named in one note, heaviest share first.
fn own_cost_note(cur: &Record, rows: &[&Judged]) -> Option<String> {
    let timed: HashSet<&str> = rows
        .iter()
        .filter(|r| r.metric.kind() == Kind::Time)
        .map(|r| r.function.as_str())
        .collect();
    let mut mostly: Vec<(&str, f64)> = cur
        .functions
        .iter()
        .filter(|f| timed.contains(f.name.as_str()))
        .filter_map(|f| Some((f.name.as_str(), f.own_cost_share?)))
        .filter(|&(_, share)| share >= MOSTLY_PERF)
        .collect();
    if mostly.is_empty() {
        return None;
    }
    mostly.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    const NAMED: usize = 5;
    let mut named: Vec<String> = mostly
        .iter()
        .take(NAMED)
        .map(|(name, share)| format!("{name} ({:.0}%)", share * 100.0))
        .collect();
    if mostly.len() > NAMED {
        named.push(format!("and {} more", mostly.len() - NAMED));
    }
    Some(format!(
        "perf's own cost is half or more of the self time of {}: {} (their own calls' recording and their callees'); their time rows are more perf's than the code's",
        units::plural(mostly.len() as u64, "function"),
        named.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use perf_format::schema::compare::Method;
    use perf_format::schema::env::Environment;
    use perf_format::stacks::{CallCost, Stack};

    use super::*;

    /// An instruction record of one run: `outer` calls `inner`; `inner`
    /// takes `inner_ir` instructions a call, `outer` 500 of its own, and
    /// every time is `slow` times 1 µs.
    fn record(inner_ir: f64, slow: f64) -> Record {
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.instructions = true;
        record.runs = vec![perf_format::schema::record::RunSummary::new(
            "run",
            (slow * 1e6) as u64,
            2,
        )];
        let function = |name: &str, own: f64, total: f64| {
            let mut f = FunctionSamples::new(name);
            for (metric, value) in [
                (Metric::Calls, 1.0),
                (Metric::TimePerCall, slow * total),
                (Metric::SelfTimePerCall, slow * own),
                (Metric::InstructionsPerCall, total),
                (Metric::SelfInstructionsPerCall, own),
                (Metric::EstCyclesPerCall, total * 1.5),
                (Metric::SelfEstCyclesPerCall, own * 1.5),
            ] {
                f.samples.insert(metric, vec![value]);
            }
            f
        };
        record.functions = vec![
            function("outer", 500.0, 500.0 + inner_ir),
            function("inner", inner_ir, inner_ir),
        ];
        let mut cost = CallCost::default();
        cost.calls = 1.0;
        record.stacks = vec![
            Stack::new(["outer"], cost),
            Stack::new(["outer", "inner"], cost),
        ];
        record
    }

    fn row<'a>(comparison: &'a Comparison, function: &str, metric: Metric) -> &'a Judged {
        comparison
            .rows
            .iter()
            .filter_map(Row::judged)
            .find(|r| r.function == function && r.metric == metric)
            .expect("the row")
    }

    #[test]
    fn instruction_records_gate_on_instructions_and_show_times() {
        // At a threshold of 1% (the default is 0.5%).
        let mut gate = Gate::default();
        gate.settings.instructions_threshold = 0.01;
        assert_eq!(Gate::default().settings.instructions_threshold, 0.005);
        // Unchanged counts, every time twice as slow: clean.
        let same = compare(
            ("base", &record(10_000.0, 1.0)),
            ("cur", &record(10_000.0, 2.0)),
            &gate,
            Vec::new(),
        );
        assert!(!same.failed, "{:?}", same.rows);
        let time = row(&same, "inner", Metric::TimePerCall);
        assert!(!time.gated);
        let instr = row(&same, "inner", Metric::InstructionsPerCall);
        assert!(instr.gated);
        assert_eq!(
            (instr.method, instr.verdict),
            (Method::Exact, Verdict::Unchanged)
        );
        assert!(
            same.notes
                .iter()
                .any(|n| n.starts_with("instruction records"))
        );

        // 1.1% more instructions in `inner`: caught, and named as its own.
        let slower = compare(
            ("base", &record(10_000.0, 1.0)),
            ("cur", &record(10_110.0, 1.0)),
            &gate,
            Vec::new(),
        );
        assert!(slower.failed);
        let culprits: Vec<(&str, Metric)> = slower
            .culprits()
            .map(|r| (r.function.as_str(), r.metric))
            .collect();
        assert!(
            culprits.contains(&("inner", Metric::InstructionsPerCall)),
            "{culprits:?}"
        );
        assert!(!culprits.iter().any(|(f, _)| *f == "outer"), "{culprits:?}");
        let outer = row(&slower, "outer", Metric::InstructionsPerCall);
        assert_eq!(
            outer.cause,
            Some(Cause::Callees {
                functions: vec!["inner".to_owned()]
            })
        );

        // Exactly the threshold counts: 1% more is a regression at 1%.
        let exactly = compare(
            ("base", &record(10_000.0, 1.0)),
            ("cur", &record(10_100.0, 1.0)),
            &gate,
            Vec::new(),
        );
        assert_eq!(
            row(&exactly, "inner", Metric::InstructionsPerCall).verdict,
            Verdict::Regressed
        );
        // 0.99% more is not; nor is 1% fewer a regression.
        for (inner, verdict) in [(10_099.0, Verdict::Unchanged), (9_900.0, Verdict::Improved)] {
            let judged = compare(
                ("base", &record(10_000.0, 1.0)),
                ("cur", &record(inner, 1.0)),
                &gate,
                Vec::new(),
            );
            assert_eq!(
                row(&judged, "inner", Metric::InstructionsPerCall).verdict,
                verdict
            );
        }

        // Under a threshold of 2%, the same change passes.
        let mut lenient = gate;
        lenient.settings.instructions_threshold = 0.02;
        let passed = compare(
            ("base", &record(10_000.0, 1.0)),
            ("cur", &record(10_110.0, 1.0)),
            &lenient,
            Vec::new(),
        );
        assert!(!passed.failed);
    }

    /// A record of ten runs whose function `cache::put` keeps `net` bytes
    /// per call (the same in every run) and whose runs peak at `peaks`.
    fn heap_record(net: f64, peaks: &[u64]) -> Record {
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.alloc_tracking = true;
        record.runs = peaks
            .iter()
            .enumerate()
            .map(|(i, &peak)| {
                let mut run =
                    perf_format::schema::record::RunSummary::new(format!("run{i}"), 1_000_000, 1);
                run.peak_heap_bytes = Some(peak);
                run
            })
            .collect();
        let runs = peaks.len();
        let mut f = FunctionSamples::new("cache::put");
        for (metric, value) in [
            (Metric::Calls, 100.0),
            (Metric::TimePerCall, 1_000.0),
            (Metric::SelfTimePerCall, 1_000.0),
            (Metric::AllocsPerCall, 3.0),
            (Metric::SelfAllocsPerCall, 3.0),
            (Metric::BytesPerCall, 192.0),
            (Metric::SelfBytesPerCall, 192.0),
            (Metric::NetBytesPerCall, net),
        ] {
            f.samples.insert(metric, vec![value; runs]);
        }
        record.functions = vec![f];
        record
    }

    #[test]
    fn net_bytes_per_call_are_exact_when_deterministic() {
        let gate = Gate::default();
        let peaks = [1 << 20; 10];
        let judged = |base: f64, cur: f64| {
            let comparison = compare(
                ("base", &heap_record(base, &peaks)),
                ("cur", &heap_record(cur, &peaks)),
                &gate,
                Vec::new(),
            );
            let net = row(&comparison, "cache::put", Metric::NetBytesPerCall).clone();
            (net, comparison.failed)
        };
        // A cache that starts keeping 3 × 64 bytes a call: regressed.
        let (net, failed) = judged(0.0, 192.0);
        assert_eq!(
            (net.method, net.verdict),
            (Method::Exact, Verdict::Regressed)
        );
        assert!(net.gated && failed);
        assert_eq!(net.cause, Some(Cause::Own));
        let (net, failed) = judged(192.0, 192.0);
        assert_eq!((net.verdict, failed), (Verdict::Unchanged, false));
        let (net, _) = judged(192.0, 0.0);
        assert_eq!((net.verdict, net.change), (Verdict::Improved, Some(-1.0)));
        // Negative: a call freeing what others allocated. Freeing less is
        // keeping more, worse; from 0 to freeing is better.
        let (net, _) = judged(-128.0, -64.0);
        assert_eq!((net.verdict, net.change), (Verdict::Regressed, Some(0.5)));
        let (net, _) = judged(-64.0, -128.0);
        assert_eq!(net.verdict, Verdict::Improved);
        let (net, _) = judged(0.0, -64.0);
        assert_eq!((net.verdict, net.change), (Verdict::Improved, None));
    }

    #[test]
    fn the_peak_heap_per_run_is_a_whole_program_row() {
        let gate = Gate::default();
        let mib = 1u64 << 20;
        let judged = |base: &[u64], cur: &[u64]| {
            let comparison = compare(
                ("base", &heap_record(0.0, base)),
                ("cur", &heap_record(0.0, cur)),
                &gate,
                Vec::new(),
            );
            row(&comparison, WHOLE_PROGRAM, Metric::PeakHeapBytes).clone()
        };
        let same = judged(&[8 * mib; 10], &[8 * mib; 10]);
        assert_eq!(
            (same.method, same.verdict),
            (Method::Exact, Verdict::Unchanged)
        );
        assert!(same.gated);
        let more = judged(&[8 * mib; 10], &[9 * mib; 10]);
        assert_eq!(
            (more.method, more.verdict),
            (Method::Exact, Verdict::Regressed)
        );
        assert_eq!(more.change, Some(0.125));
        // A few bytes more at the peak (a longer argument) are within the
        // time threshold: unchanged, exactly.
        let few = judged(&[973; 10], &[978; 10]);
        assert_eq!(
            (few.method, few.verdict),
            (Method::Exact, Verdict::Unchanged)
        );
        // Peaks that vary from run to run take the rank test.
        let varying = |base: u64| -> Vec<u64> { (0..10).map(|i| base + i * 4096).collect() };
        let grown = judged(&varying(8 * mib), &varying(12 * mib));
        assert_eq!(
            (grown.method, grown.verdict),
            (Method::RankTest, Verdict::Regressed),
            "{grown:?}"
        );
        let steady = judged(&varying(8 * mib), &varying(8 * mib));
        assert_eq!(steady.method, Method::RankTest);
        assert_ne!(steady.verdict, Verdict::Regressed);
        // Records of runs that did not count frees have no such row.
        let mut old = heap_record(0.0, &[mib; 10]);
        for run in &mut old.runs {
            run.peak_heap_bytes = None;
        }
        let comparison = compare(
            ("base", &old),
            ("cur", &heap_record(0.0, &[mib; 10])),
            &gate,
            Vec::new(),
        );
        assert!(
            !comparison
                .rows
                .iter()
                .any(|r| r.metric() == Some(Metric::PeakHeapBytes))
        );
    }

    #[test]
    fn instruction_counts_that_vary_between_runs_take_the_rank_test() {
        // Ten runs a side whose counts spread by ±0.2% (a hash seed per
        // process), the current side 3% higher: judged by the rank test.
        let runs = |base: f64| -> Vec<f64> {
            (0..10)
                .map(|i| base * (1.0 + (f64::from(i) - 4.5) * 0.0004))
                .collect()
        };
        let with = |inner: Vec<f64>| {
            let mut record = record(10_000.0, 1.0);
            let samples = &mut record.functions[1].samples;
            samples.insert(Metric::InstructionsPerCall, inner.clone());
            samples.insert(Metric::SelfInstructionsPerCall, inner);
            samples.insert(Metric::Calls, vec![1.0; 10]);
            record
        };
        let gate = Gate::default();
        let base = with(runs(10_000.0));
        let slower = with(runs(10_300.0));
        let judged = compare(("base", &base), ("cur", &slower), &gate, Vec::new());
        let inner = row(&judged, "inner", Metric::InstructionsPerCall);
        assert_eq!(inner.method, Method::RankTest);
        assert_eq!(inner.verdict, Verdict::Regressed, "{inner:?}");
        assert!(inner.interval.is_some() && inner.p_value.is_some());
        // The same spread and no shift: unchanged, shown within ±1%.
        let same = compare(
            ("base", &base),
            ("cur", &with(runs(10_000.0))),
            &gate,
            Vec::new(),
        );
        let inner = row(&same, "inner", Metric::InstructionsPerCall);
        assert_eq!(
            (inner.method, inner.verdict),
            (Method::RankTest, Verdict::Unchanged),
            "{inner:?}"
        );
    }

    use super::evaluation::{self as generated, Change, Noise, record_on};
    use crate::random::Rng;

    /// Leaf functions' time/call rows of `comparison`.
    fn time_rows(comparison: &Comparison) -> Vec<&Judged> {
        comparison
            .rows
            .iter()
            .filter_map(Row::judged)
            .filter(|r| r.metric == Metric::TimePerCall)
            .collect()
    }

    #[test]
    fn one_outlying_run_does_not_make_a_small_shift_a_regression() {
        // 30 functions, 10 runs a side; `app::f000` 1% slower, and one of
        // its current runs hit by a +40% outlier: significant, its interval
        // reaching 5%, but its estimate far from half of it.
        let noise = Noise {
            functions: 30,
            runs: 10,
            noise: 0.002,
            drift: 0.0,
            outliers: 0.0,
        };
        let mut rng = Rng::new(11);
        let base = generated::record(&mut rng, "base", &noise, None);
        let change = Change {
            slower: 0.01,
            share: 0.0,
            machine: 0.0,
        };
        let mut cur = generated::record(&mut rng, "cur", &noise, Some(&change));
        for metric in [Metric::TimePerCall, Metric::SelfTimePerCall] {
            cur.functions[0].samples.get_mut(&metric).expect("times")[3] *= 1.4;
        }
        let comparison = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        let judged = row(&comparison, "app::f000", Metric::TimePerCall);
        assert!(judged.p_adjusted.is_some_and(|q| q <= 0.01), "{judged:?}");
        assert!(judged.change.is_some_and(|c| c < 0.025), "{judged:?}");
        // The interval's end, set by the outlier, reaches the threshold:
        // what used to make it a regression.
        let upper = judged.interval.and_then(|i| i.upper);
        assert!(upper.is_some_and(|u| u >= 0.05), "{judged:?}");
        assert_ne!(judged.verdict, Verdict::Regressed, "{judged:?}");
        assert!(!comparison.failed);
        // 10% slower with the same outlier is a regression.
        let change = Change {
            slower: 0.10,
            ..change
        };
        let cur = generated::record(&mut rng, "cur", &noise, Some(&change));
        let comparison = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        assert_eq!(
            row(&comparison, "app::f000", Metric::TimePerCall).verdict,
            Verdict::Regressed
        );
    }

    #[test]
    fn functions_mostly_of_perfs_own_cost_are_named_in_a_note() {
        let noise = Noise {
            functions: 8,
            runs: 10,
            noise: 0.002,
            drift: 0.0,
            outliers: 0.0,
        };
        let mut rng = Rng::new(5);
        let base = generated::record(&mut rng, "base", &noise, None);
        let mut cur = generated::record(&mut rng, "cur", &noise, None);
        let quiet = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        assert!(!quiet.notes.iter().any(|n| n.contains("perf's own cost")));
        for (function, share) in cur.functions.iter_mut().zip([0.9, 0.5, 0.49]) {
            function.own_cost_share = Some(share);
        }
        let names: Vec<String> = cur.functions[..2].iter().map(|f| f.name.clone()).collect();
        let comparison = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        let note = comparison
            .notes
            .iter()
            .find(|n| n.contains("perf's own cost"))
            .expect("a note");
        assert!(
            note.starts_with(&format!(
                "perf's own cost is half or more of the self time of 2 functions: {} (90%), {} (50%) (their own calls' recording and their callees'); ",
                names[0], names[1]
            )),
            "{note}"
        );
    }

    #[test]
    fn a_majority_that_moved_together_is_named_and_none_of_the_rest_improved() {
        // 100 functions, 60 of them 10% slower (a shared helper), the
        // current session's machine 3% slower.
        let noise = Noise {
            functions: 100,
            runs: 10,
            noise: 0.01,
            drift: 0.005,
            outliers: 0.0,
        };
        let mut rng = Rng::new(5);
        let base = generated::record(&mut rng, "base", &noise, None);
        let change = Change {
            slower: 0.10,
            share: 0.6,
            machine: 0.03,
        };
        let cur = generated::record(&mut rng, "cur", &noise, Some(&change));
        let comparison = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        let Drift::Estimated {
            split: Some(split),
            change: machine,
            ..
        } = &comparison.drift
        else {
            panic!("no split: {:?}", comparison.drift)
        };
        assert_eq!(split.functions.len(), 60);
        assert!(split.functions.iter().all(|f| f.as_str() < "app::f060"));
        assert!((split.change - 0.10).abs() < 0.02, "{split:?}");
        // The machine's drift is the rest's: 3%.
        assert!((machine - 0.03).abs() < 0.01, "{machine}");
        for row in time_rows(&comparison) {
            let slowed = row.function.as_str() < "app::f060";
            assert_ne!(row.verdict, Verdict::Improved, "{row:?}");
            if slowed {
                assert_eq!(row.verdict, Verdict::Inconclusive, "{row:?}");
                assert!(row.gated);
            }
        }
        assert!(
            comparison
                .notes
                .iter()
                .any(|n| n.starts_with("60 functions"))
        );
        let strict = Gate {
            fail_on: FailOn::Inconclusive,
            ..Gate::default()
        };
        assert!(compare(("base", &base), ("cur", &cur), &strict, Vec::new()).failed);
        // A minority 10% slower is judged against the majority: regressed.
        let minority = Change {
            share: 0.3,
            ..change
        };
        let cur = generated::record(&mut rng, "cur", &noise, Some(&minority));
        let comparison = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        assert!(matches!(
            comparison.drift,
            Drift::Estimated { split: None, .. }
        ));
        assert!(comparison.failed);
        let regressed = time_rows(&comparison)
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .count();
        assert_eq!(regressed, 30);
    }

    #[test]
    fn interleaved_the_group_that_stood_still_is_the_machine() {
        // `ab`: both sides on one machine. 100 functions; the first ones
        // (a share of them) moved, or both groups did.
        let noise = Noise {
            functions: 100,
            runs: 10,
            noise: 0.01,
            drift: 0.005,
            outliers: 0.0,
        };
        let gate = Gate {
            interleaved: true,
            ..Gate::default()
        };
        let mut rng = Rng::new(6);
        let base = generated::record(&mut rng, "base", &noise, None);
        // The rows as expected: those that moved regressed (improved),
        // the rest unchanged; the group judged and named; the gate failed.
        let judged = |slower: f64, share: f64, rng: &mut Rng| {
            let change = Change {
                slower,
                share,
                machine: 0.0,
            };
            let cur = generated::record(rng, "cur", &noise, Some(&change));
            let comparison = compare(("base", &base), ("cur", &cur), &gate, Vec::new());
            let Drift::Estimated {
                split: Some(split), ..
            } = &comparison.drift
            else {
                panic!("no split: {:?}", comparison.drift)
            };
            let moved = (share * 100.0).round() as usize;
            assert!(split.judged, "{split:?}");
            assert_eq!(split.functions.len(), moved, "{split:?}");
            let first = format!("app::f{moved:03}");
            let expected = |function: &str| match (function < first.as_str(), slower > 0.0) {
                (false, _) => Verdict::Unchanged,
                (true, true) => Verdict::Regressed,
                (true, false) => Verdict::Improved,
            };
            let wrong: Vec<&Judged> = time_rows(&comparison)
                .into_iter()
                .filter(|r| r.verdict != expected(&r.function))
                .collect();
            assert!(wrong.is_empty(), "{wrong:?}");
            comparison.failed
        };
        // A shared helper under 60% of the functions, 10% slower: regressed.
        assert!(judged(0.10, 0.6, &mut rng));
        // 40% of them, or 60%, 10% faster: improved, and the rest stood
        // still — no untouched function reads slower.
        assert!(!judged(-0.10, 0.4, &mut rng));
        assert!(!judged(-0.10, 0.6, &mut rng));
        // Both groups moved (every function 8% slower, 60% of them 10% more
        // on top): neither stood still, so the group is named, undecided.
        let both = Change {
            slower: 0.10,
            share: 0.6,
            machine: 0.08,
        };
        let cur = generated::record(&mut rng, "cur", &noise, Some(&both));
        let comparison = compare(("base", &base), ("cur", &cur), &gate, Vec::new());
        let Drift::Estimated {
            split: Some(split), ..
        } = &comparison.drift
        else {
            panic!("no split: {:?}", comparison.drift)
        };
        assert!(!split.judged);
        assert!(
            time_rows(&comparison)
                .iter()
                .all(|r| r.verdict != Verdict::Improved)
        );
    }

    #[test]
    fn interleaved_runs_pair_the_whole_program_through_a_drifting_machine() {
        // 10 pairs on a machine whose speed wanders 3% a pair; every
        // function 5% slower. The pairs see it, two independent samples
        // would not.
        let noise = Noise {
            functions: 50,
            runs: 10,
            noise: 0.01,
            drift: 0.0,
            outliers: 0.0,
        };
        let mut rng = Rng::new(2);
        let mut level: f64 = 0.0;
        let factors: Vec<f64> = (0..10)
            .map(|_| {
                level += 0.03 * rng.normal();
                level.exp()
            })
            .collect();
        let base = record_on(&mut rng, "base", &noise, None, &factors);
        let change = Change {
            slower: 0.05,
            share: 1.0,
            machine: 0.0,
        };
        let cur = record_on(&mut rng, "cur", &noise, Some(&change), &factors);
        let gate = Gate {
            interleaved: true,
            ..Gate::default()
        };
        let comparison = compare(("base", &base), ("cur", &cur), &gate, Vec::new());
        let whole = row(&comparison, WHOLE_PROGRAM, Metric::TimePerRun);
        assert_eq!(
            (whole.method, whole.verdict),
            (Method::SignedRank, Verdict::Regressed),
            "{whole:?}"
        );
        assert!(whole.gated && comparison.failed);
        // Its two-sided test and interval are at α: only its slower side,
        // α/2, is spent on false alarms.
        assert_eq!(whole.interval.map(|i| i.confidence), Some(0.99));
        // Between sessions the whole program is two samples, shown only.
        let apart = compare(("base", &base), ("cur", &cur), &Gate::default(), Vec::new());
        let whole = row(&apart, WHOLE_PROGRAM, Metric::TimePerRun);
        assert_eq!(whole.method, Method::RankTest);
        assert!(!whole.gated);
    }

    #[test]
    fn the_paired_whole_program_rejects_with_at_most_3_rank_points_against() {
        // 10 pairs, the k-th smallest difference 2% + k% in log ratio;
        // those ranked in `against` went the other way.
        let verdict = |against: &[usize]| {
            let noise = Noise {
                functions: 5,
                runs: 10,
                noise: 0.0,
                drift: 0.0,
                outliers: 0.0,
            };
            let mut rng = Rng::new(3);
            let base = record_on(&mut rng, "base", &noise, None, &[1.0; 10]);
            let mut cur = base.clone();
            for (k, run) in (1..=10).zip(&mut cur.runs) {
                let sign = if against.contains(&k) { -1.0 } else { 1.0 };
                let ratio = (sign * (0.02 + 0.01 * k as f64)).exp();
                run.duration_ns = (run.duration_ns as f64 * ratio) as u64;
            }
            let gate = Gate {
                interleaved: true,
                ..Gate::default()
            };
            let comparison = compare(("base", &base), ("cur", &cur), &gate, Vec::new());
            row(&comparison, WHOLE_PROGRAM, Metric::TimePerRun).verdict
        };
        // p = 10/1024 ≤ α = 0.01, two-sided.
        assert_eq!(verdict(&[1, 2]), Verdict::Regressed);
        // p = 14/1024.
        assert_eq!(verdict(&[1, 3]), Verdict::Inconclusive);
    }
}
