//! `perf-compare/1` and `perf-check/1`: what `cargo perf compare --format
//! json` and `cargo perf check --format json` print. The gate's verdicts,
//! per function and metric, with the figures behind them.

use serde::{Deserialize, Serialize};

use super::record::{Metric, Record};

/// The schema tag of `compare --format json`.
pub const COMPARE_SCHEMA: &str = "perf-compare/1";
/// The schema tag of `check --format json`.
pub const CHECK_SCHEMA: &str = "perf-check/1";
/// The function name of the row that judges the program's measured wall
/// time per run.
pub const WHOLE_PROGRAM: &str = "(whole program)";

/// A whole comparison of a record against a baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Comparison {
    /// Always [`COMPARE_SCHEMA`].
    pub schema: String,
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
    /// What makes the two records not comparable (another program or
    /// build), when they were compared anyway (`--allow-mismatch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<String>,
    /// Counts of verdicts.
    pub totals: Totals,
    /// Whether the gate fails: a regression or an exceeded budget (unless
    /// `--fail-on never`).
    pub failed: bool,
}

impl Comparison {
    /// A comparison of `current` against `baseline` by `settings`, with
    /// p-values adjusted by `correction` and times corrected for `drift`;
    /// no rows, budgets or notes yet.
    pub fn new(
        baseline: Side,
        current: Side,
        settings: Settings,
        correction: Correction,
        drift: Drift,
    ) -> Comparison {
        Comparison {
            schema: COMPARE_SCHEMA.to_owned(),
            baseline,
            current,
            settings,
            correction,
            drift,
            rows: Vec::new(),
            budgets: Vec::new(),
            notes: Vec::new(),
            mismatches: Vec::new(),
            totals: Totals::default(),
            failed: false,
        }
    }

    /// The gated regressions that are a function's own doing (or its
    /// callers' calling it more), worst first: where to look.
    pub fn culprits(&self) -> impl Iterator<Item = &Judged> {
        self.rows.iter().filter_map(Row::judged).filter(|r| {
            r.verdict == Verdict::Regressed
                && r.gated
                && matches!(r.cause, Some(Cause::Own | Cause::CalledBy { .. }))
        })
    }
}

/// One side of a comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Side {
    /// The baseline's name, or the record's id.
    pub name: String,
    /// The record's id (a baseline keeps the id of its record).
    pub record: String,
    /// Samples per metric: runs, or criterion samples.
    pub samples: usize,
    /// The git commit, when known.
    pub git_commit: Option<String>,
    /// Whether the working tree had uncommitted changes (the commit is
    /// shown as `<commit>-dirty`).
    #[serde(default)]
    pub git_dirty: bool,
    /// When the record was made.
    pub created_at: String,
    /// Host it ran on.
    pub host: String,
    /// CPU model, when known.
    pub cpu: Option<String>,
    /// Whether the side is an instruction record (`record --instructions`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instructions: bool,
    /// The step of the clock its times were taken with, in ns (the
    /// record's `env.clock_step_ns`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_step_ns: Option<f64>,
}

impl Side {
    /// `record`, named `name` in the comparison.
    pub fn of(name: &str, record: &Record) -> Side {
        Side {
            name: name.to_owned(),
            record: record.id.clone(),
            samples: record.sample_count(),
            git_commit: record.env.git_commit.clone(),
            git_dirty: record.env.git_dirty,
            created_at: record.created_at.clone(),
            host: record.env.host.clone(),
            cpu: record.env.cpu.clone(),
            instructions: record.instructions,
            clock_step_ns: record.env.clock_step_ns,
        }
    }
}

/// How strict a comparison is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Settings {
    /// Smallest relative change of a time metric that counts (0.05 = 5%).
    pub threshold: f64,
    /// Smallest relative change of a count metric that counts.
    pub alloc_threshold: f64,
    /// α of the rank test.
    pub significance: f64,
    /// Smallest relative change of instructions or estimated cycles per
    /// call (instruction records) that counts. 1% in files written before
    /// the field.
    #[serde(default = "default_instructions_threshold")]
    pub instructions_threshold: f64,
}

/// The instructions threshold of a file written before the field: 1%, the
/// default then.
fn default_instructions_threshold() -> f64 {
    0.01
}

impl Default for Settings {
    /// `[compare]` when neither `perf.toml` nor a flag sets it: 5% for
    /// time, any increase of a count, 0.5% for instructions (so that 1%
    /// more turns of a loop is caught where the loop is not the whole
    /// function), α = 0.01.
    fn default() -> Self {
        Settings {
            threshold: 0.05,
            alloc_threshold: 0.0,
            significance: 0.01,
            instructions_threshold: 0.005,
        }
    }
}

impl Settings {
    /// Settings of these thresholds and α.
    pub fn new(
        threshold: f64,
        alloc_threshold: f64,
        significance: f64,
        instructions_threshold: f64,
    ) -> Settings {
        Settings {
            threshold,
            alloc_threshold,
            significance,
            instructions_threshold,
        }
    }
}

/// How p-values were adjusted across the tests of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Correction {
    /// Benjamini–Hochberg over the rank tests of the rows that gate
    /// (false discovery rate at the family's α, whatever their number: all
    /// of α, or in `ab` what the paired whole program leaves), every interval
    /// at `confidence` = 1 − α·max(R, 1)/tests for R rows selected: the
    /// level that keeps the selected rows' intervals covering
    /// (Benjamini–Yekutieli), and at which an interval lies off zero
    /// exactly when its row is selected.
    BenjaminiHochberg {
        /// The number of tests adjusted together.
        tests: usize,
        /// How many were significant after the adjustment.
        selected: usize,
        /// The confidence of every interval of these rows.
        confidence: f64,
    },
    /// No adjustment.
    None {
        /// Why not.
        reason: String,
    },
}

/// How much faster or slower everything ran than in the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Drift {
    /// Estimated from the functions' own times and taken out of each
    /// function's time rows; the program's wall time is judged as measured
    /// in the [`WHOLE_PROGRAM`] row.
    Estimated {
        /// Functions the factors rest on.
        functions: usize,
        /// Estimated change of the speed factor (0.03 = everything 3% slower).
        change: f64,
        /// A large group of functions that moved together against the
        /// rest: between sessions, a change that slowed them alike cannot
        /// be told from a machine that ran the rest faster, so the factor
        /// comes from the rest and the group's time rows are inconclusive;
        /// in `ab`, when the rest stood still, the group is judged against
        /// it ([`DriftSplit::judged`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        split: Option<DriftSplit>,
    },
    /// Not estimated: times were compared as measured.
    NotEstimated {
        /// Why.
        reason: String,
    },
}

/// A group of functions that moved together against the rest of the
/// program (see [`Drift::Estimated`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DriftSplit {
    /// The functions of the group, by name.
    pub functions: Vec<String>,
    /// Their share of the baseline's self time, from 0 to 1.
    pub share: f64,
    /// How much slower they ran than the rest, against the baseline
    /// (0.10 = 10% slower; negative when they ran faster).
    pub change: f64,
    /// Judged against the rest, which stood still (`ab`: both sides ran
    /// interleaved on one machine): the group's rows are regressed or
    /// improved as they moved. Otherwise they are inconclusive.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub judged: bool,
}

impl DriftSplit {
    /// The group `functions`, holding `share` of the self time, `change`
    /// slower than the rest; `judged` against it, or inconclusive.
    pub fn new(functions: Vec<String>, share: f64, change: f64, judged: bool) -> DriftSplit {
        DriftSplit {
            functions,
            share,
            change,
            judged,
        }
    }
}

/// One row of a comparison: a metric of a function on both sides, judged,
/// or a function found on one side only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "wire::Row", try_from = "wire::Row")]
pub enum Row {
    /// A metric of a function on both sides.
    Judged(Judged),
    /// A function on one side only.
    Presence(Presence),
}

/// A metric of a function on both sides, judged.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Judged {
    /// The function.
    pub function: String,
    /// The metric.
    pub metric: Metric,
    /// The baseline's median.
    pub baseline: f64,
    /// The current median.
    pub current: f64,
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
    /// The verdict: regressed, improved, unchanged or inconclusive.
    pub verdict: Verdict,
    /// For an inconclusive row: about how many runs a side would decide
    /// it, at this noise and this many tests.
    pub runs_needed: Option<u64>,
    /// For a regression or improvement: whose doing it is.
    pub cause: Option<Cause>,
    /// Whether a regression here fails the gate (not for p95).
    pub gated: bool,
}

impl Judged {
    /// `metric` of `function`, with medians `baseline` and `current`,
    /// judged by `method`; unchanged until told otherwise.
    pub fn new(
        function: impl Into<String>,
        metric: Metric,
        method: Method,
        baseline: f64,
        current: f64,
    ) -> Judged {
        Judged {
            function: function.into(),
            metric,
            baseline,
            current,
            change: None,
            interval: None,
            p_value: None,
            p_adjusted: None,
            method,
            verdict: Verdict::Unchanged,
            runs_needed: None,
            cause: None,
            gated: false,
        }
    }
}

/// A function found in one record only.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Presence {
    /// The function.
    pub function: String,
    /// Which record has it.
    pub only_in: OnlyIn,
    /// Its median time per call there, when measured.
    pub time_per_call: Option<f64>,
}

impl Presence {
    /// `function`, found only in `only_in`, taking `time_per_call` there.
    pub fn new(function: impl Into<String>, only_in: OnlyIn, time_per_call: Option<f64>) -> Self {
        Presence {
            function: function.into(),
            only_in,
            time_per_call,
        }
    }
}

/// Which record holds a function the other lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnlyIn {
    /// The current record: the function is new.
    Current,
    /// The baseline: the function is gone.
    Baseline,
}

impl Row {
    /// The function the row is about.
    pub fn function(&self) -> &str {
        match self {
            Row::Judged(row) => &row.function,
            Row::Presence(row) => &row.function,
        }
    }

    /// The row's verdict.
    pub fn verdict(&self) -> Verdict {
        match self {
            Row::Judged(row) => row.verdict,
            Row::Presence(Presence {
                only_in: OnlyIn::Current,
                ..
            }) => Verdict::New,
            Row::Presence(_) => Verdict::Gone,
        }
    }

    /// The metric judged, `None` for a function on one side only.
    pub fn metric(&self) -> Option<Metric> {
        self.judged().map(|row| row.metric)
    }

    /// The judged row, if it is one.
    pub fn judged(&self) -> Option<&Judged> {
        match self {
            Row::Judged(row) => Some(row),
            Row::Presence(_) => None,
        }
    }

    /// Whether a regression here fails the gate.
    pub fn gated(&self) -> bool {
        self.judged().is_some_and(|row| row.gated)
    }
}

/// A confidence interval of a relative change; a bound is `None` when the
/// samples are too few to bound it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interval {
    /// The confidence level (1 − α).
    pub confidence: f64,
    /// Lower bound of the relative change.
    pub lower: Option<f64>,
    /// Upper bound of the relative change.
    pub upper: Option<f64>,
}

impl Interval {
    /// An interval from `lower` to `upper` at `confidence`.
    pub fn new(confidence: f64, lower: Option<f64>, upper: Option<f64>) -> Interval {
        Interval {
            confidence,
            lower,
            upper,
        }
    }
}

/// How a judged row's verdict was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Method {
    /// Mann–Whitney U test, Hodges–Lehmann change and its interval, held
    /// against the threshold.
    RankTest,
    /// Wilcoxon's signed-rank test on the runs paired by their order (one
    /// run of each side per pair, `cargo perf ab`), the pseudomedian of the
    /// pairs' differences and its interval, held against the threshold.
    SignedRank,
    /// Deterministic counts, compared exactly against the threshold.
    Exact,
    /// A p95 resting on too few calls per run to be judged (fewer than
    /// 400): shown, never a regression.
    TooFewCalls,
}

/// The verdict on one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// Worse with confidence (the interval lies above zero), by as much as
    /// the threshold or more (its upper end reaches the threshold).
    Regressed,
    /// Better likewise.
    Improved,
    /// Neither proven changed nor proven within the threshold: the
    /// interval holds zero and reaches past ±threshold. More runs decide.
    Inconclusive,
    /// Only in the current record.
    New,
    /// Only in the baseline.
    Gone,
    /// Within ±threshold with confidence (the interval lies inside), or
    /// equal where counts are exact.
    Unchanged,
}

impl Verdict {
    /// The verdict as a word.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Inconclusive => "inconclusive",
            Verdict::New => "new",
            Verdict::Gone => "gone",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// Whose doing a change is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
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

/// How many rows have each verdict, and how many budgets were exceeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Totals {
    /// Rows that got worse, on metrics that fail the gate.
    pub regressed: usize,
    /// Rows that got worse on metrics shown but not gated (p95, the
    /// whole program's time/run between sessions).
    pub regressed_not_gated: usize,
    /// Rows that got better.
    pub improved: usize,
    /// Rows that more runs would decide, on metrics that gate.
    pub inconclusive: usize,
    /// Rows without a change that counts.
    pub unchanged: usize,
    /// Functions only in the current record.
    pub new: usize,
    /// Functions only in the baseline.
    pub gone: usize,
    /// Budgets over their limit.
    pub budgets_exceeded: usize,
}

impl Totals {
    /// The counts of `rows` and `budgets`.
    pub fn of(rows: &[Row], budgets: &[BudgetCheck]) -> Totals {
        let mut totals = Totals {
            budgets_exceeded: budgets.iter().filter(|b| b.exceeded).count(),
            ..Totals::default()
        };
        for row in rows {
            match row.verdict() {
                Verdict::Regressed if row.gated() => totals.regressed += 1,
                Verdict::Regressed => totals.regressed_not_gated += 1,
                Verdict::Improved => totals.improved += 1,
                Verdict::Inconclusive if row.gated() => totals.inconclusive += 1,
                Verdict::Inconclusive => {}
                Verdict::Unchanged => totals.unchanged += 1,
                Verdict::New => totals.new += 1,
                Verdict::Gone => totals.gone += 1,
            }
        }
        totals
    }
}

/// One budget limit from `perf.toml` held against a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BudgetCheck {
    /// The function, or [`WHOLE_PROGRAM`] for the peak heap.
    pub function: String,
    /// Which figure: `p95_ns`, `time_per_call_ns` (the budget's `mean`),
    /// `allocs_per_call`, `net_bytes_per_call`, `peak_heap_bytes` or
    /// `error_rate`.
    pub metric: Metric,
    /// The limit.
    pub limit: f64,
    /// The record's median over its samples; for `error_rate`, the failed
    /// calls over all calls of all runs.
    pub measured: f64,
    /// A lower confidence bound of that median (at 1 − α, from the order
    /// of the samples, assuming nothing of their shape; the smallest sample
    /// when the runs are too few for the confidence); for `error_rate`,
    /// the lower end of Wilson's score interval, one-sided at 1 − α.
    #[serde(default)]
    pub lower_bound: f64,
    /// Whether the limit is exceeded for sure: the lower bound is above
    /// it. A median above the limit with a bound below is not (yet).
    pub exceeded: bool,
}

impl BudgetCheck {
    /// `metric` of `function` with median `measured` and its lower
    /// confidence bound `lower_bound`, against `limit`.
    pub fn new(
        function: impl Into<String>,
        metric: Metric,
        limit: f64,
        measured: f64,
        lower_bound: f64,
    ) -> Self {
        BudgetCheck {
            function: function.into(),
            metric,
            limit,
            measured,
            lower_bound,
            exceeded: lower_bound > limit,
        }
    }
}

/// The budgets of `perf.toml` held against one record: what `cargo perf
/// check --format json` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BudgetReport {
    /// Always [`CHECK_SCHEMA`].
    pub schema: String,
    /// The record's id.
    pub record: String,
    /// Every limit, checked.
    pub budgets: Vec<BudgetCheck>,
    /// How many limits were exceeded.
    pub exceeded: usize,
    /// Whether `check` fails (exit 1).
    pub failed: bool,
}

impl BudgetReport {
    /// The `budgets` of record `record`.
    pub fn new(record: impl Into<String>, budgets: Vec<BudgetCheck>) -> BudgetReport {
        let exceeded = budgets.iter().filter(|b| b.exceeded).count();
        BudgetReport {
            schema: CHECK_SCHEMA.to_owned(),
            record: record.into(),
            budgets,
            exceeded,
            failed: exceeded > 0,
        }
    }
}

/// How a row is written in JSON: one object with every field, `metric`
/// null and `method` `presence` for a function on one side only.
mod wire {
    use serde::{Deserialize, Serialize};

    use super::{Cause, Interval, Judged, Method, Metric, OnlyIn, Presence, Verdict};

    #[derive(Clone, Copy, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub(super) enum RowMethod {
        RankTest,
        SignedRank,
        Exact,
        Presence,
        TooFewCalls,
    }

    #[derive(Serialize, Deserialize)]
    pub(super) struct Row {
        function: String,
        metric: Option<Metric>,
        baseline: Option<f64>,
        current: Option<f64>,
        change: Option<f64>,
        interval: Option<Interval>,
        p_value: Option<f64>,
        p_adjusted: Option<f64>,
        method: RowMethod,
        verdict: Verdict,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runs_needed: Option<u64>,
        cause: Option<Cause>,
        gated: bool,
    }

    impl From<super::Row> for Row {
        fn from(row: super::Row) -> Row {
            match row {
                super::Row::Judged(j) => Row {
                    function: j.function,
                    metric: Some(j.metric),
                    baseline: Some(j.baseline),
                    current: Some(j.current),
                    change: j.change,
                    interval: j.interval,
                    p_value: j.p_value,
                    p_adjusted: j.p_adjusted,
                    method: match j.method {
                        Method::RankTest => RowMethod::RankTest,
                        Method::SignedRank => RowMethod::SignedRank,
                        Method::Exact => RowMethod::Exact,
                        Method::TooFewCalls => RowMethod::TooFewCalls,
                    },
                    verdict: j.verdict,
                    runs_needed: j.runs_needed,
                    cause: j.cause,
                    gated: j.gated,
                },
                super::Row::Presence(p) => {
                    let new = p.only_in == OnlyIn::Current;
                    Row {
                        function: p.function,
                        metric: None,
                        baseline: p.time_per_call.filter(|_| !new),
                        current: p.time_per_call.filter(|_| new),
                        change: None,
                        interval: None,
                        p_value: None,
                        p_adjusted: None,
                        method: RowMethod::Presence,
                        verdict: if new { Verdict::New } else { Verdict::Gone },
                        runs_needed: None,
                        cause: None,
                        gated: false,
                    }
                }
            }
        }
    }

    impl TryFrom<Row> for super::Row {
        type Error = String;

        fn try_from(row: Row) -> Result<super::Row, String> {
            let method = match row.method {
                RowMethod::Presence => {
                    let only_in = match row.verdict {
                        Verdict::New => OnlyIn::Current,
                        Verdict::Gone => OnlyIn::Baseline,
                        other => {
                            return Err(format!(
                                "a presence row is new or gone, not {}",
                                other.word()
                            ));
                        }
                    };
                    return Ok(super::Row::Presence(Presence {
                        function: row.function,
                        only_in,
                        time_per_call: row.baseline.or(row.current),
                    }));
                }
                RowMethod::RankTest => Method::RankTest,
                RowMethod::SignedRank => Method::SignedRank,
                RowMethod::Exact => Method::Exact,
                RowMethod::TooFewCalls => Method::TooFewCalls,
            };
            let (Some(metric), Some(baseline), Some(current)) =
                (row.metric, row.baseline, row.current)
            else {
                return Err(format!(
                    "row of {:?}: a judged row has a metric and both medians",
                    row.function
                ));
            };
            Ok(super::Row::Judged(Judged {
                function: row.function,
                metric,
                baseline,
                current,
                change: row.change,
                interval: row.interval,
                p_value: row.p_value,
                p_adjusted: row.p_adjusted,
                method,
                verdict: row.verdict,
                runs_needed: row.runs_needed,
                cause: row.cause,
                gated: row.gated,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_documented_json() {
        let mut judged = Judged::new(
            "svc::price",
            Metric::TimePerCall,
            Method::RankTest,
            1.0,
            2.0,
        );
        judged.verdict = Verdict::Regressed;
        judged.cause = Some(Cause::Own);
        judged.gated = true;
        let rows = [
            Row::Judged(judged),
            Row::Presence(Presence::new("svc::new", OnlyIn::Current, Some(5.0))),
        ];
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(json[0]["metric"], "time_per_call_ns");
        assert_eq!(json[0]["cause"]["kind"], "own");
        assert_eq!(json[1]["metric"], serde_json::Value::Null);
        assert_eq!(json[1]["method"], "presence");
        assert_eq!(json[1]["verdict"], "new");
        assert_eq!(json[1]["baseline"], serde_json::Value::Null);
        assert_eq!(json[1]["current"], 5.0);
        let read: Vec<Row> = serde_json::from_value(json).unwrap();
        assert_eq!(read, rows);
        assert_eq!(Totals::of(&rows, &[]).regressed, 1);
    }

    #[test]
    fn a_presence_row_that_is_neither_new_nor_gone_is_refused() {
        let json = serde_json::json!({
            "function": "f", "metric": null, "baseline": null, "current": 1.0,
            "change": null, "interval": null, "p_value": null, "p_adjusted": null,
            "method": "presence", "verdict": "regressed", "cause": null, "gated": false
        });
        let err = serde_json::from_value::<Row>(json).unwrap_err().to_string();
        assert!(err.contains("new or gone"), "{err}");
    }
}
