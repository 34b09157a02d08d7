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
pub mod render;

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

pub use drift::{ALL_FUNCTIONS, Drift};

use crate::budget::BudgetCheck;
use crate::model::{FunctionSamples, Metric, Record};
use crate::stats::{self, RankTester};
use crate::units;
use judge::Pending;

/// The schema tag of `compare --format json`.
pub const COMPARE_SCHEMA: &str = "perf-compare/1";

/// How strict the comparison is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Smallest relative change of a time metric that counts (0.05 = 5%).
    pub threshold: f64,
    /// Smallest relative change of a count metric that counts.
    pub alloc_threshold: f64,
    /// α of the rank test.
    pub significance: f64,
}

/// A whole comparison, as `--format json` writes it.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Always [`COMPARE_SCHEMA`].
    pub schema: &'static str,
    /// The baseline side.
    pub baseline: Side,
    /// The current side.
    pub current: Side,
    /// The settings used.
    pub settings: Settings,
    /// How p-values were adjusted for testing many functions.
    pub correction: Correction,
    /// How much faster or slower everything ran than in the baseline.
    pub drift: Drift,
    /// Per function and metric, worst first.
    pub rows: Vec<Row>,
    /// Budgets from `perf.toml`, held against the current side.
    pub budgets: Vec<BudgetCheck>,
    /// Things to know when reading the result.
    pub notes: Vec<String>,
    /// Counts of verdicts.
    pub totals: Totals,
    /// Whether the gate fails: a regression or an exceeded budget (unless
    /// `--fail-on never`).
    pub failed: bool,
}

/// One side of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The baseline's name, or the record's id.
    pub name: String,
    /// The record's id (a baseline keeps the id of its record).
    pub record: String,
    /// Samples per metric: runs, or criterion samples.
    pub samples: usize,
    /// The git commit, when known.
    pub git_commit: Option<String>,
    /// When the record was made.
    pub created_at: String,
    /// Host and CPU it ran on.
    pub host: String,
    /// CPU model, when known.
    pub cpu: Option<String>,
}

/// How many rows have each verdict, and how many budgets were exceeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Rows that got worse, on metrics that fail the gate.
    pub regressed: usize,
    /// Rows that got worse on metrics shown but not gated (p95).
    pub regressed_not_gated: usize,
    /// Rows that got better.
    pub improved: usize,
    /// Rows without a change that counts.
    pub unchanged: usize,
    /// Functions only in the current record.
    pub new: usize,
    /// Functions only in the baseline.
    pub gone: usize,
    /// Budgets over their limit.
    pub budgets_exceeded: usize,
}

/// How p-values were adjusted across the tests of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Correction {
    /// Benjamini–Hochberg over `tests` rank tests.
    BenjaminiHochberg {
        /// The number of tests adjusted together.
        tests: usize,
    },
    /// No adjustment.
    None {
        /// Why not.
        reason: String,
    },
}

/// One function and metric, judged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The function.
    pub function: String,
    /// The metric; `None` for a function that is new or gone.
    pub metric: Option<Metric>,
    /// The baseline's median.
    pub baseline: Option<f64>,
    /// The current median.
    pub current: Option<f64>,
    /// Estimated relative change (0.1 = 10% more); `None` where the
    /// baseline is zero and the current is not.
    pub change: Option<f64>,
    /// Confidence interval of the change, when a rank test was made.
    pub interval: Option<Interval>,
    /// Two-sided p-value of the rank test.
    pub p_value: Option<f64>,
    /// The p-value after adjustment for many tests (equal to `p_value`
    /// when there was none).
    pub p_adjusted: Option<f64>,
    /// How the verdict was reached.
    pub method: Method,
    /// The verdict.
    pub verdict: Verdict,
    /// For a regression or improvement: whose doing it is.
    pub cause: Option<Cause>,
    /// Whether a regression here fails the gate (not for p95).
    pub gated: bool,
}

/// A confidence interval of a relative change; a bound is `None` when the
/// samples are too few to bound it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// The confidence level (1 − α).
    pub confidence: f64,
    /// Lower bound of the relative change.
    pub lower: Option<f64>,
    /// Upper bound of the relative change.
    pub upper: Option<f64>,
}

/// How a verdict was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Rank test and threshold.
    RankTest,
    /// Too few samples for the rank test at α: the threshold alone.
    ThresholdOnly,
    /// Deterministic counts, compared exactly against the threshold.
    Exact,
    /// The function is on one side only.
    Presence,
    /// A p95 resting on too few calls per run to be judged (fewer than
    /// 400): shown, never a regression.
    TooFewCalls,
}

/// The verdict on one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Worse, beyond noise and threshold.
    Regressed,
    /// Better, beyond noise and threshold.
    Improved,
    /// Only in the current record.
    New,
    /// Only in the baseline.
    Gone,
    /// No change that counts.
    Unchanged,
}

/// Whose doing a change is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cause {
    /// The function's own code.
    Own,
    /// Its callees: its own part changed by less than half the change.
    Callees {
        /// The callees (at any depth) whose change is their own doing, or
        /// who are called more; empty if none crossed the threshold.
        functions: Vec<String>,
    },
    /// It is called more (or less) often by these callers.
    CalledBy {
        /// The callers whose calls to it changed.
        functions: Vec<String>,
    },
}

impl Verdict {
    /// The verdict as a word.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::New => "new",
            Verdict::Gone => "gone",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// Compares `current` against `baseline`, named as given.
pub fn compare(
    baseline: (&str, &Record),
    current: (&str, &Record),
    settings: Settings,
) -> Comparison {
    let (base_name, base) = baseline;
    let (current_name, cur) = current;
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
                for metric in Metric::COMPARED {
                    let (Some(x), Some(y)) = (correct(metric, b, true), correct(metric, c, false))
                    else {
                        continue;
                    };
                    pending.push(Pending::new(name, metric, b, c, x, y, settings));
                }
            }
            (b, c) => rows.push(presence_row(
                name,
                b.is_some(),
                c.is_some(),
                b.or(c).copied(),
            )),
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
        let Some((own, whole)) = pending.metric.own_part() else {
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
    rows.extend(judged);
    cause::assign(&mut rows, &pending, base, cur);
    rows.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then_with(|| b.gated.cmp(&a.gated))
            .then_with(|| cause_rank(a).cmp(&cause_rank(b)))
            .then_with(|| magnitude(b).total_cmp(&magnitude(a)))
            .then_with(|| a.function.cmp(&b.function))
            .then_with(|| a.metric.cmp(&b.metric))
    });

    let mut totals = Totals::default();
    for row in &rows {
        match row.verdict {
            Verdict::Regressed if row.gated => totals.regressed += 1,
            Verdict::Regressed => totals.regressed_not_gated += 1,
            Verdict::Improved => totals.improved += 1,
            Verdict::Unchanged => totals.unchanged += 1,
            Verdict::New => totals.new += 1,
            Verdict::Gone => totals.gone += 1,
        }
    }
    let notes = notes(base, cur, &pending, &correction, &drift, settings);
    Comparison {
        schema: COMPARE_SCHEMA,
        baseline: side(base_name, base),
        current: side(current_name, cur),
        settings,
        correction,
        drift,
        rows,
        budgets: Vec::new(),
        notes,
        failed: totals.regressed > 0,
        totals,
    }
}

impl Comparison {
    /// Adds the budget checks; an exceeded budget fails the gate.
    pub fn with_budgets(mut self, budgets: Vec<BudgetCheck>) -> Self {
        self.totals.budgets_exceeded = budgets.iter().filter(|b| b.exceeded).count();
        self.failed |= self.totals.budgets_exceeded > 0;
        self.budgets = budgets;
        self
    }

    /// The gated regressions that are a function's own doing (or its
    /// callers' calling it more), worst first: where to look.
    pub fn culprits(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| {
            r.verdict == Verdict::Regressed
                && r.gated
                && matches!(r.cause, Some(Cause::Own | Cause::CalledBy { .. }))
        })
    }
}

/// The record's functions by name.
fn index(record: &Record) -> HashMap<&str, &FunctionSamples> {
    record
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f))
        .collect()
}

fn side(name: &str, record: &Record) -> Side {
    Side {
        name: name.to_owned(),
        record: record.id.clone(),
        samples: record.sample_count(),
        git_commit: record.env.git_commit.clone(),
        created_at: record.created_at.clone(),
        host: record.env.host.clone(),
        cpu: record.env.cpu.clone(),
    }
}

fn presence_row(
    name: &str,
    in_baseline: bool,
    in_current: bool,
    function: Option<&FunctionSamples>,
) -> Row {
    let time = function
        .and_then(|f| f.get(Metric::TimePerCall))
        .map(stats::median);
    Row {
        function: name.to_owned(),
        metric: None,
        baseline: time.filter(|_| in_baseline),
        current: time.filter(|_| in_current),
        change: None,
        interval: None,
        p_value: None,
        p_adjusted: None,
        method: Method::Presence,
        verdict: if in_current {
            Verdict::New
        } else {
            Verdict::Gone
        },
        cause: None,
        gated: false,
    }
}

fn cause_rank(row: &Row) -> u8 {
    match row.cause {
        Some(Cause::Own | Cause::CalledBy { .. }) => 0,
        Some(Cause::Callees { .. }) => 1,
        None => 2,
    }
}

fn magnitude(row: &Row) -> f64 {
    match row.change {
        Some(c) => c.abs(),
        None if row.method == Method::Presence => 0.0,
        None => f64::INFINITY,
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
        Drift::Estimated { .. } => {}
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
