//! Holding a record against a baseline: per function and metric, the
//! change, its confidence interval and a verdict, and which functions' own
//! cost changed rather than every caller above them.
//!
//! How a change is judged (details in `judge`, `drift` and `cause`):
//! - **Time** (time/call, p95, cpu/call): an exact Mann–Whitney U test on
//!   the runs' samples, two-sided at α, and a Hodges–Lehmann estimate of the
//!   change (on log values, so it is a ratio) that must exceed the
//!   threshold. Both must hold: significance alone flags tiny steady
//!   shifts, the threshold alone flags noise. The machine's drift is taken
//!   out first, so each function is judged relative to the rest of the
//!   program, and what was taken out is judged as the row `(all functions)`
//!   (see `drift`).
//! - **Counts** (allocations and bytes per call, calls): when every run of
//!   each side has the same value, as in deterministic code, the values are
//!   compared exactly against the allocation threshold (calls against the
//!   time threshold: a helper called once more is not a regression). When
//!   they vary, they are judged with the rank test.
//! - **Tails**: p95 is judged like time, but only for functions with at
//!   least 400 calls in every run (fewer leave too few calls in the tail),
//!   and its regressions are shown without failing the gate: how often a
//!   shared machine interrupts calls moves p95 more than code does. Budgets
//!   in `perf.toml` limit p95 absolutely.
//! - **Too few runs**: when the rank test cannot reach α with the samples
//!   at hand (one run a side, or up to four), the threshold alone decides,
//!   and a note says so.
//! - **Many functions**: p-values are adjusted by Benjamini–Hochberg across
//!   every test of the comparison, so that noise in many functions does not
//!   add up to false alarms. When the runs are too few for any adjustment to
//!   leave a single regression detectable (5 runs a side give p ≥ 0.0079),
//!   each test stands alone at α and a note says so.
//! - **Whose doing**: a change of a figure that includes callees is the
//!   function's own when its own part (self time, self allocations) moved
//!   by at least half as much; otherwise the callees that changed are named.

mod cause;
mod drift;
mod judge;
mod metrics;

use std::collections::{BTreeSet, HashMap, HashSet};

use perf_format::schema::compare::{
    ALL_FUNCTIONS, BudgetCheck, Cause, Comparison, Correction, Drift, Judged, Method, OnlyIn,
    Presence, Row, Settings, Side, Totals, Verdict,
};
use perf_format::schema::record::{FunctionSamples, Metric, Record};
use perf_format::units;

use crate::stats::{self, RankTester};
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
}

/// When `compare` fails (exit 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// On a regression or an exceeded budget.
    #[default]
    Regression,
    /// Never: report only.
    Never,
}

/// Compares `current` against `baseline`, each named as given, by `gate`;
/// `budgets` (checked against `current`) fail it too.
pub fn compare(
    baseline: (&str, &Record),
    current: (&str, &Record),
    gate: &Gate,
    budgets: Vec<BudgetCheck>,
) -> Comparison {
    let (base_name, base) = baseline;
    let (current_name, cur) = current;
    let settings = gate.settings;
    let mut tester = RankTester::new();
    let factors = drift::Factors::estimate(base, cur, &mut tester);
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
                    pending.push(Pending::new(name, metric, b, c, x, y, settings));
                }
            }
            (Some(&b), None) => rows.push(presence_row(b, OnlyIn::Baseline)),
            (None, Some(&c)) => rows.push(presence_row(c, OnlyIn::Current)),
            (None, None) => {}
        }
    }

    if let Ok(factors) = &factors {
        // What the correction takes out is judged too.
        let (x, y) = factors.program();
        pending.push(Pending::whole_program(x, y, settings));
    }

    let (correction, mut judged) = judge::judge_all(&pending, settings, &mut tester);
    if let Drift::Estimated { change, .. } = drift {
        judge::keep_absolute_direction(&mut judged, &pending, change, settings.threshold);
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
    rows.sort_by(|a, b| {
        a.verdict()
            .cmp(&b.verdict())
            .then_with(|| b.gated().cmp(&a.gated()))
            .then_with(|| cause_rank(a).cmp(&cause_rank(b)))
            .then_with(|| magnitude(b).total_cmp(&magnitude(a)))
            .then_with(|| a.function().cmp(b.function()))
            .then_with(|| a.metric().cmp(&b.metric()))
    });

    let notes = notes(base, cur, &pending, &correction, &drift, settings);
    let mut comparison = Comparison::new(
        Side::of(base_name, base),
        Side::of(current_name, cur),
        settings,
        correction,
        drift,
    );
    comparison.notes = notes;
    comparison.totals = Totals::of(&rows, &budgets);
    comparison.failed = gate.fail_on == FailOn::Regression
        && (comparison.totals.regressed > 0 || comparison.totals.budgets_exceeded > 0);
    comparison.rows = rows;
    comparison.budgets = budgets;
    comparison
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
    let time = function.get(Metric::TimePerCall).map(stats::median);
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

/// What a reader should know: too few runs, an adjustment not made, the
/// machine's drift, runs made on different machines or builds.
fn notes(
    base: &Record,
    cur: &Record,
    pending: &[Pending<'_>],
    correction: &Correction,
    drift: &Drift,
    settings: Settings,
) -> Vec<String> {
    let mut notes = Vec::new();
    let threshold_only: BTreeSet<(usize, usize)> = pending
        .iter()
        .filter(|p| p.method == Method::ThresholdOnly)
        .map(|p| (p.baseline.len(), p.current.len()))
        .collect();
    for (n, m) in threshold_only {
        let why = if n == 1 && m == 1 {
            "one sample a side cannot be tested for significance".to_owned()
        } else {
            format!(
                "{n} against {m} samples cannot reach significance {} (the smallest possible p is {})",
                settings.significance,
                units::probability(stats::smallest_p_value(n, m))
            )
        };
        notes.push(format!(
            "{why}: those rows are judged by the threshold alone ({} for time, {} for counts); record at least 5 runs a side for a rank test",
            units::percent(settings.threshold),
            units::percent(settings.alloc_threshold)
        ));
    }
    let few_calls = pending
        .iter()
        .filter(|p| p.method == Method::TooFewCalls)
        .count();
    if few_calls > 0 {
        notes.push(format!(
            "p95 of {few_calls} function{} with fewer than {} calls in a run is shown but not judged: its tail is too few calls to be stable",
            if few_calls == 1 { "" } else { "s" },
            judge::TAIL_CALLS / 0.05
        ));
    }
    if let Correction::None { reason } = correction {
        if pending
            .iter()
            .filter(|p| p.method == Method::RankTest)
            .count()
            > 1
        {
            notes.push(format!("no adjustment for many tests: {reason}"));
        }
    }
    match drift {
        Drift::Estimated {
            functions, change, ..
        } if change.abs() > settings.threshold / 2.0 => notes.push(format!(
            "everything ran {} {} than in the baseline (the median over {functions} functions, row {ALL_FUNCTIONS}): a slower machine, or a change that slows every function alike; the other time rows are relative to it",
            units::change(change.abs()).trim_start_matches('+'),
            if *change > 0.0 { "slower" } else { "faster" },
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
    notes
}
