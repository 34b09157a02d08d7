//! `perf-record/1` and `perf-baseline/1`: what `cargo perf record` writes
//! and what `cargo perf baseline save` keeps. Both hold, per function and
//! metric, one sample per run (or per criterion sample), so that a
//! comparison can weigh change against noise.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::env::Environment;
use crate::Error;
use crate::files::Document;
use crate::layout;
use crate::stacks::{CallStack, CpuStack};
use crate::units;

/// The schema tag of a record.
pub const RECORD_SCHEMA: &str = "perf-record/1";
/// The schema tag of a baseline.
pub const BASELINE_SCHEMA: &str = "perf-baseline/1";

/// The most samples per function and metric a record may hold: more runs
/// or criterion samples than anyone records, and few enough that the
/// pairwise differences of a comparison fit in memory.
pub const MAX_SAMPLES: usize = 2_000;

/// Samples of many runs of one workload: a record, or a baseline saved from one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Record {
    /// [`RECORD_SCHEMA`] or [`BASELINE_SCHEMA`].
    pub schema: String,
    /// The record's id, also its directory name under `records/`.
    pub id: String,
    /// What was recorded: the session, example or benchmark suite name.
    pub name: String,
    /// Where the samples come from.
    pub source: Source,
    /// When the record was made, RFC 3339 in UTC.
    pub created_at: String,
    /// The command whose runs were recorded (empty for imports).
    #[serde(default)]
    pub command: Vec<String>,
    /// The machine and commit of the (first) run.
    pub env: Environment,
    /// The runs merged into the record, in order (empty for imports).
    #[serde(default)]
    pub runs: Vec<RunSummary>,
    /// Whether allocations were counted (`PerfAlloc` was the global allocator).
    pub alloc_tracking: bool,
    /// Whether this is an instruction record (`cargo perf record
    /// --instructions`): its runs ran under callgrind, its functions have
    /// instruction and estimated-cycle metrics, and its wall times, slowed
    /// by Valgrind, are shown but not gated. `false` in files written
    /// before the field.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instructions: bool,
    /// Per function, its samples; largest self time first.
    pub functions: Vec<FunctionSamples>,
    /// Call paths with their mean cost per run, heaviest total time first:
    /// for flamegraphs and for telling which callees made a caller slower.
    #[serde(default)]
    pub stacks: Vec<CallStack>,
    /// CPU samples by stack (perf-core's `cpu` feature), from each run's
    /// `cpu.folded`: mean samples per sampled run, heaviest first, bounded
    /// as [`crate::stacks::bound_cpu_stacks`] does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_stacks: Vec<CpuStack>,
    /// Set when this is a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
}

/// Where a record's samples come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Source {
    /// Runs of an instrumented program, merged by `cargo perf record`.
    #[default]
    Perf,
    /// A single `run.json`, read as a record of one run.
    Run,
    /// criterion's `target/criterion` samples.
    Criterion,
}

/// One run merged into a record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunSummary {
    /// The run's id (its `run.json` directory).
    pub id: String,
    /// Wall time of the session.
    pub duration_ns: u64,
    /// Instrumented calls in the run.
    pub calls: u64,
    /// The most heap bytes live at once during the run, when it counted
    /// frees (its `run.json` has `heap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_heap_bytes: Option<u64>,
}

/// What a baseline remembers of its making.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BaselineInfo {
    /// The baseline's name (`main`).
    pub name: String,
    /// When it was saved, RFC 3339 in UTC.
    pub saved_at: String,
    /// The id of the record it was saved from.
    pub from_record: String,
}

/// One function's samples, per metric.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionSamples {
    /// `module::path::fn_name`, or a benchmark id.
    pub name: String,
    /// Source file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Source line, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// One value per run in which the function was called (`calls` has one
    /// per run, zero where it was not).
    pub samples: BTreeMap<Metric, Vec<f64>>,
    /// criterion's own estimate of the time per iteration, as criterion
    /// prints it (records of criterion benchmarks; absent in others and in
    /// files written before the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    /// The share of its self time that is perf's own cost (the median over
    /// the runs, from each run's measured [`Overhead`](crate::schema::run::Overhead));
    /// absent where the runs measured none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_cost_share: Option<f64>,
}

/// criterion's headline figure of a benchmark: the estimate it prints as
/// `time: [lower point upper]`, with its confidence interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Estimate {
    /// Which statistic criterion printed.
    pub kind: EstimateKind,
    /// The point estimate, ns per iteration.
    pub point_ns: f64,
    /// The lower bound of its confidence interval, ns per iteration.
    pub lower_ns: f64,
    /// The upper bound of its confidence interval, ns per iteration.
    pub upper_ns: f64,
    /// The interval's confidence level (0.95 by default in criterion).
    pub confidence_level: f64,
}

impl Estimate {
    /// An estimate of `kind`: `point_ns` within `lower_ns ..= upper_ns` at
    /// `confidence_level`.
    pub fn new(
        kind: EstimateKind,
        point_ns: f64,
        lower_ns: f64,
        upper_ns: f64,
        confidence_level: f64,
    ) -> Estimate {
        Estimate {
            kind,
            point_ns,
            lower_ns,
            upper_ns,
            confidence_level,
        }
    }
}

/// Which of its statistics criterion shows as a benchmark's time: the
/// slope when it has one, else the mean (its `Estimates::typical`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EstimateKind {
    /// The slope of a linear regression of sample times on iteration
    /// counts (linear sampling, criterion's default).
    #[default]
    Slope,
    /// The mean time per iteration (flat sampling, where criterion has no
    /// slope).
    Mean,
}

impl EstimateKind {
    /// The statistic's name: "slope" or "mean".
    pub fn word(self) -> &'static str {
        match self {
            EstimateKind::Slope => "slope",
            EstimateKind::Mean => "mean",
        }
    }
}

/// What is measured about a function. Every metric is "lower is better".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Metric {
    /// Mean wall time per call, callees included.
    #[serde(rename = "time_per_call_ns")]
    TimePerCall,
    /// Mean wall time per call without instrumented callees.
    #[serde(rename = "self_time_per_call_ns")]
    SelfTimePerCall,
    /// Median wall time per call.
    #[serde(rename = "p50_ns")]
    P50,
    /// 95th percentile of wall time per call.
    #[serde(rename = "p95_ns")]
    P95,
    /// 99th percentile of wall time per call.
    #[serde(rename = "p99_ns")]
    P99,
    /// Mean thread CPU time per call, for `#[profile(cpu)]` functions.
    #[serde(rename = "cpu_per_call_ns")]
    CpuPerCall,
    /// Calls per run.
    #[serde(rename = "calls")]
    Calls,
    /// Calls per run that failed: returned `Err` or unwound. Only in
    /// records where some run had one; absent means none. Shown, never
    /// compared: an `error_rate` budget limits it.
    #[serde(rename = "errors")]
    Errors,
    /// The share (0 to 1) of calls that failed over all runs: what an
    /// `error_rate` budget limits, never in a record.
    #[serde(rename = "error_rate")]
    ErrorRate,
    /// Allocations per call, callees included.
    #[serde(rename = "allocs_per_call")]
    AllocsPerCall,
    /// Allocations per call made by the function's own code.
    #[serde(rename = "self_allocs_per_call")]
    SelfAllocsPerCall,
    /// Bytes allocated per call, callees included.
    #[serde(rename = "bytes_per_call")]
    BytesPerCall,
    /// Bytes allocated per call by the function's own code.
    #[serde(rename = "self_bytes_per_call")]
    SelfBytesPerCall,
    /// Bytes per call allocated during the call (callees included) and not
    /// freed by its end; negative when a call frees what others allocated.
    /// Only in records of runs that count frees (their `run.json` has
    /// `heap`).
    #[serde(rename = "net_bytes_per_call")]
    NetBytesPerCall,
    /// Instructions per call, callees included (instruction records).
    #[serde(rename = "instructions_per_call")]
    InstructionsPerCall,
    /// Instructions per call of the function's own code (instruction records).
    #[serde(rename = "self_instructions_per_call")]
    SelfInstructionsPerCall,
    /// Estimated CPU cycles per call, callees included, from callgrind's
    /// cache simulation (instruction records).
    #[serde(rename = "est_cycles_per_call")]
    EstCyclesPerCall,
    /// Estimated CPU cycles per call of the function's own code
    /// (instruction records).
    #[serde(rename = "self_est_cycles_per_call")]
    SelfEstCyclesPerCall,
    /// The share (0 to 1) of the run's CPU samples taken while the function
    /// ran (perf-core's `cpu` feature): one value per sampled run. Shown,
    /// never compared.
    #[serde(rename = "cpu_share")]
    CpuShare,
    /// Self time per run of all the functions together: the `(all
    /// functions)` row of a comparison, never in a record.
    #[serde(rename = "time_per_run_ns")]
    TimePerRun,
    /// The most heap bytes live at once in a run: the `(whole program)`
    /// row of a comparison, from each run's summary, never a function's.
    #[serde(rename = "peak_heap_bytes")]
    PeakHeapBytes,
}

/// What kind of figure a metric is, which says how its changes are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A duration: noisy from run to run.
    Time,
    /// A count: usually the same in every run.
    Count,
    /// Instructions or estimated cycles counted under callgrind: the same
    /// in every run of deterministic code, judged against the instructions
    /// threshold.
    Instructions,
}

impl Metric {
    /// A short label for tables. Every figure that exists both with and
    /// without the function's instrumented callees says which it is:
    /// `total …` (callees included) or `self …` (the function's own code).
    pub fn label(self) -> &'static str {
        match self {
            Metric::TimePerCall => "total time/call",
            Metric::SelfTimePerCall => "self time/call",
            Metric::P50 => "p50",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::CpuPerCall => "cpu/call",
            Metric::CpuShare => "total cpu%",
            Metric::Calls => "calls",
            Metric::Errors => "errors",
            Metric::ErrorRate => "error rate",
            Metric::AllocsPerCall => "total allocs/call",
            Metric::SelfAllocsPerCall => "self allocs/call",
            Metric::BytesPerCall => "total bytes/call",
            Metric::SelfBytesPerCall => "self bytes/call",
            Metric::NetBytesPerCall => "net bytes/call",
            Metric::InstructionsPerCall => "total instr/call",
            Metric::SelfInstructionsPerCall => "self instr/call",
            Metric::EstCyclesPerCall => "total est. cycles/call",
            Metric::SelfEstCyclesPerCall => "self est. cycles/call",
            Metric::TimePerRun => "time/run",
            Metric::PeakHeapBytes => "peak heap",
        }
    }

    /// Whether `name` names this metric: its key (`time_per_call_ns`), its
    /// label (`total time/call`), or its label without `total ` as it was
    /// before labels said it (`time/call`), so typed names keep working.
    pub fn is_named(self, name: &str) -> bool {
        let name = name.trim();
        self.key() == name
            || self.label() == name
            || self.label().strip_prefix("total ") == Some(name)
    }

    /// The key of the metric in JSON files.
    pub fn key(self) -> &'static str {
        match self {
            Metric::TimePerCall => "time_per_call_ns",
            Metric::SelfTimePerCall => "self_time_per_call_ns",
            Metric::P50 => "p50_ns",
            Metric::P95 => "p95_ns",
            Metric::P99 => "p99_ns",
            Metric::CpuPerCall => "cpu_per_call_ns",
            Metric::CpuShare => "cpu_share",
            Metric::Calls => "calls",
            Metric::Errors => "errors",
            Metric::ErrorRate => "error_rate",
            Metric::AllocsPerCall => "allocs_per_call",
            Metric::SelfAllocsPerCall => "self_allocs_per_call",
            Metric::BytesPerCall => "bytes_per_call",
            Metric::SelfBytesPerCall => "self_bytes_per_call",
            Metric::NetBytesPerCall => "net_bytes_per_call",
            Metric::InstructionsPerCall => "instructions_per_call",
            Metric::SelfInstructionsPerCall => "self_instructions_per_call",
            Metric::EstCyclesPerCall => "est_cycles_per_call",
            Metric::SelfEstCyclesPerCall => "self_est_cycles_per_call",
            Metric::TimePerRun => "time_per_run_ns",
            Metric::PeakHeapBytes => "peak_heap_bytes",
        }
    }

    /// Whether the metric is a duration or a count.
    pub fn kind(self) -> Kind {
        match self {
            Metric::TimePerCall
            | Metric::SelfTimePerCall
            | Metric::P50
            | Metric::P95
            | Metric::P99
            | Metric::CpuPerCall
            | Metric::TimePerRun => Kind::Time,
            Metric::Calls
            | Metric::Errors
            | Metric::ErrorRate
            | Metric::CpuShare
            | Metric::AllocsPerCall
            | Metric::SelfAllocsPerCall
            | Metric::BytesPerCall
            | Metric::SelfBytesPerCall
            | Metric::NetBytesPerCall
            | Metric::PeakHeapBytes => Kind::Count,
            Metric::InstructionsPerCall
            | Metric::SelfInstructionsPerCall
            | Metric::EstCyclesPerCall
            | Metric::SelfEstCyclesPerCall => Kind::Instructions,
        }
    }

    /// Whether the metric's values may be negative: net bytes per call
    /// (a call that frees what others allocated). Every other figure is 0
    /// or more, and files holding a negative one are refused.
    pub fn signed(self) -> bool {
        self == Metric::NetBytesPerCall
    }

    /// A value of the metric in its unit.
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::BytesPerCall
            | Metric::SelfBytesPerCall
            | Metric::NetBytesPerCall
            | Metric::PeakHeapBytes => units::bytes(value),
            Metric::CpuShare => units::share(value),
            Metric::ErrorRate => units::percent(value),
            // Means per call of large counts: the fraction says nothing.
            _ if self.kind() == Kind::Instructions && value >= 100.0 => units::count(value.round()),
            _ if self.kind() == Kind::Time => units::duration(value),
            _ => units::count(value),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Record {
    /// An empty record `id` of `name`, made at `created_at` (RFC 3339) from
    /// `source` in `env`.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        source: Source,
        created_at: impl Into<String>,
        env: Environment,
    ) -> Record {
        Record {
            schema: RECORD_SCHEMA.to_owned(),
            id: id.into(),
            name: name.into(),
            source,
            created_at: created_at.into(),
            env,
            ..Record::default()
        }
    }

    /// This record as baseline `name`, saved at `saved_at` (RFC 3339).
    pub fn into_baseline(mut self, name: impl Into<String>, saved_at: impl Into<String>) -> Record {
        self.schema = BASELINE_SCHEMA.to_owned();
        self.baseline = Some(BaselineInfo {
            name: name.into(),
            saved_at: saved_at.into(),
            from_record: self.id.clone(),
        });
        self
    }

    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionSamples> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// How many samples per metric the record holds at most: its runs, or
    /// criterion's samples.
    pub fn sample_count(&self) -> usize {
        self.functions
            .iter()
            .flat_map(|f| f.samples.values().map(Vec::len))
            .max()
            .unwrap_or(0)
    }
}

impl Document for Record {
    const SCHEMAS: &'static [&'static str] = &[RECORD_SCHEMA, BASELINE_SCHEMA];

    /// Refuses a record with no functions, no calls, no runs (but
    /// criterion's), a function listed twice, more samples than runs, or a
    /// sample that is negative, infinite or NaN, or more than
    /// [`MAX_SAMPLES`] of them; and
    /// one whose id, run ids or baseline name could not be file names
    /// ([`layout::check_name`]): names in a file never choose where perf
    /// writes.
    fn validate(&self, path: &Path) -> Result<(), Error> {
        let invalid = |problem: String| Err(Error::invalid(path, problem));
        let names = std::iter::once(("id", &self.id))
            .chain(self.runs.iter().map(|run| ("run id", &run.id)))
            .chain(self.baseline.iter().map(|b| ("baseline name", &b.name)));
        for (what, name) in names {
            if let Some(reason) = layout::name_problem(name) {
                return invalid(format!("its {what} {name:?} cannot name a file: {reason}"));
            }
        }
        if self.functions.is_empty() {
            return invalid(
                "the record is empty: it holds no functions (did the runs reach any #[profile] function?)"
                    .to_owned(),
            );
        }
        if self.runs.is_empty() && self.source != Source::Criterion {
            return invalid(
                "it lists no runs: a record of a program holds the runs its samples come from"
                    .to_owned(),
            );
        }
        let mut names = std::collections::HashSet::with_capacity(self.functions.len());
        let mut any_calls = false;
        for function in &self.functions {
            let name = &function.name;
            if !names.insert(name.as_str()) {
                return invalid(format!("function {name:?} is listed twice"));
            }
            if function.samples.is_empty() {
                return invalid(format!("function {name:?} has no samples"));
            }
            for (metric, samples) in &function.samples {
                let key = metric.key();
                if samples.is_empty() {
                    return invalid(format!("function {name:?} has an empty {key} list"));
                }
                if samples.len() > MAX_SAMPLES {
                    return invalid(format!(
                        "function {name:?} has {} {key} samples; at most {MAX_SAMPLES} are read",
                        samples.len()
                    ));
                }
                // One sample per run (criterion's are its own, not runs').
                if self.source != Source::Criterion && samples.len() > self.runs.len() {
                    return invalid(format!(
                        "function {name:?} has {} {key} samples for {} runs",
                        samples.len(),
                        self.runs.len()
                    ));
                }
                if let Some((i, bad)) = samples
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !v.is_finite() || (**v < 0.0 && !metric.signed()))
                {
                    return invalid(format!(
                        "function {name:?}, {key} sample {}: {bad} is not a finite{} value",
                        i + 1,
                        if metric.signed() {
                            ""
                        } else {
                            ", non-negative"
                        }
                    ));
                }
            }
            match function.get(Metric::Calls) {
                Some(calls) if calls.iter().all(|&c| c == 0.0) => {
                    return invalid(format!("function {name:?} has zero calls in every run"));
                }
                Some(_) => any_calls = true,
                // Criterion samples count iterations, not calls.
                None => any_calls |= self.source == Source::Criterion,
            }
        }
        if !any_calls {
            return invalid("the record holds zero calls".to_owned());
        }
        if let Some((i, bad)) = self.cpu_stacks.iter().enumerate().find(|(_, s)| {
            !s.weight.samples.is_finite() || s.weight.samples < 0.0 || s.frames.is_empty()
        }) {
            return invalid(format!(
                "CPU stack {}: {} samples on {} frames is not a finite, non-negative count on a stack",
                i + 1,
                bad.weight.samples,
                bad.frames.len()
            ));
        }
        Ok(())
    }
}

impl FunctionSamples {
    /// A function called `name` with no samples yet.
    pub fn new(name: impl Into<String>) -> FunctionSamples {
        FunctionSamples {
            name: name.into(),
            ..FunctionSamples::default()
        }
    }

    /// The samples of `metric`, if the record has them.
    pub fn get(&self, metric: Metric) -> Option<&[f64]> {
        self.samples
            .get(&metric)
            .map(Vec::as_slice)
            .filter(|s| !s.is_empty())
    }
}

impl RunSummary {
    /// Run `id`, `duration_ns` long, that made `calls`.
    pub fn new(id: impl Into<String>, duration_ns: u64, calls: u64) -> RunSummary {
        RunSummary {
            id: id.into(),
            duration_ns,
            calls,
            peak_heap_bytes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_self_or_total_and_old_names_still_match() {
        assert_eq!(Metric::AllocsPerCall.label(), "total allocs/call");
        assert_eq!(Metric::SelfAllocsPerCall.label(), "self allocs/call");
        assert!(Metric::TimePerCall.is_named("time/call"));
        assert!(Metric::TimePerCall.is_named("total time/call"));
        assert!(Metric::TimePerCall.is_named("time_per_call_ns"));
        assert!(!Metric::SelfTimePerCall.is_named("time/call"));
    }

    #[test]
    fn metrics_serialise_under_their_documented_keys() {
        for metric in [
            Metric::TimePerCall,
            Metric::SelfTimePerCall,
            Metric::P50,
            Metric::P95,
            Metric::P99,
            Metric::CpuPerCall,
            Metric::Calls,
            Metric::AllocsPerCall,
            Metric::SelfAllocsPerCall,
            Metric::BytesPerCall,
            Metric::SelfBytesPerCall,
            Metric::InstructionsPerCall,
            Metric::SelfInstructionsPerCall,
            Metric::EstCyclesPerCall,
            Metric::SelfEstCyclesPerCall,
            Metric::CpuShare,
            Metric::TimePerRun,
            Metric::NetBytesPerCall,
            Metric::PeakHeapBytes,
            Metric::Errors,
            Metric::ErrorRate,
        ] {
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{}\"", metric.key()));
        }
    }

    #[test]
    fn a_record_without_calls_or_with_bad_samples_is_refused() {
        let path = Path::new("record.json");
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        assert!(
            record
                .validate(path)
                .unwrap_err()
                .to_string()
                .contains("is empty")
        );
        record.runs = (1..=2)
            .map(|i| RunSummary {
                id: format!("run-{i}"),
                ..RunSummary::default()
            })
            .collect();
        let mut function = FunctionSamples::new("f");
        function.samples.insert(Metric::Calls, vec![0.0, 0.0]);
        record.functions.push(function);
        let err = record.validate(path).unwrap_err().to_string();
        assert_eq!(
            err,
            "record.json: function \"f\" has zero calls in every run"
        );
        record.functions[0]
            .samples
            .insert(Metric::Calls, vec![1.0, -1.0]);
        let err = record.validate(path).unwrap_err().to_string();
        assert!(err.contains("calls sample 2: -1"), "{err}");
        // Net bytes per call may be negative: a call that frees what
        // another allocated.
        record.functions[0]
            .samples
            .insert(Metric::Calls, vec![1.0, 1.0]);
        record.functions[0]
            .samples
            .insert(Metric::NetBytesPerCall, vec![-64.0, 192.0]);
        record.validate(path).unwrap();
        record.functions[0]
            .samples
            .insert(Metric::NetBytesPerCall, vec![f64::NAN, 192.0]);
        let err = record.validate(path).unwrap_err().to_string();
        assert!(err.ends_with("NaN is not a finite value"), "{err}");
    }
}
