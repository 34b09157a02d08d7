//! Records and baselines: what `cargo perf record` writes (`perf-record/1`)
//! and what `cargo perf baseline save` keeps (`perf-baseline/1`), as serde
//! types. Both hold, per function and metric, one sample per run (or per
//! criterion sample), so that a comparison can weigh change against noise.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use perf_core::model::Environment;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The schema tag of a record.
pub const RECORD_SCHEMA: &str = "perf-record/1";
/// The schema tag of a baseline.
pub const BASELINE_SCHEMA: &str = "perf-baseline/1";

/// The most samples per function and metric a record may hold: more runs
/// or criterion samples than anyone records, and few enough that the
/// pairwise differences of a comparison fit in memory.
pub const MAX_SAMPLES: usize = 2_000;

/// Samples of many runs of one workload: a record, or a baseline saved from one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Per function, its samples; largest self time first.
    pub functions: Vec<FunctionSamples>,
    /// Call stacks with their mean cost per run, for flamegraphs and for
    /// telling which callees made a caller slower.
    #[serde(default)]
    pub stacks: Vec<Stack>,
    /// CPU samples by stack (perf-core's `cpu` feature), from each run's
    /// `cpu.folded`: mean samples per sampled run, heaviest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_stacks: Vec<CpuStack>,
    /// Set when this is a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
}

/// Where a record's samples come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Runs of an instrumented program, merged by `cargo perf record`.
    Perf,
    /// A single `run.json`, read as a record of one run.
    Run,
    /// criterion's `target/criterion` samples.
    Criterion,
}

/// One run merged into a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id (its `run.json` directory).
    pub id: String,
    /// Wall time of the session.
    pub duration_ns: u64,
    /// Instrumented calls in the run.
    pub calls: u64,
}

/// What a baseline remembers of its making.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The baseline's name (`main`).
    pub name: String,
    /// When it was saved, RFC 3339 in UTC.
    pub saved_at: String,
    /// The id of the record it was saved from.
    pub from_record: String,
}

/// One function's samples, per metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

impl FunctionSamples {
    /// The samples of `metric`, if the record has them.
    pub fn get(&self, metric: Metric) -> Option<&[f64]> {
        self.samples
            .get(&metric)
            .map(Vec::as_slice)
            .filter(|s| !s.is_empty())
    }
}

/// One call stack, root first, with its mean cost per run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// Function names from the outermost call to this one.
    pub frames: Vec<String>,
    /// Calls along this stack per run.
    pub calls: f64,
    /// Wall time per run, callees included.
    pub total_ns: f64,
    /// Wall time per run without instrumented callees.
    pub self_ns: f64,
    /// Allocations per run made by the function's own code.
    pub self_allocs: f64,
    /// Bytes per run allocated by the function's own code.
    pub self_alloc_bytes: f64,
}

/// One stack of CPU samples, root first: the first frame is the thread's
/// name, the others are code (symbols), instrumented or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuStack {
    /// Frames from the thread to the innermost code.
    pub frames: Vec<String>,
    /// Samples per run on this stack, the mean over the runs that were sampled.
    pub samples: f64,
}

/// What is measured about a function. Every metric is "lower is better".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// The share (0 to 1) of the run's CPU samples taken while the function
    /// ran (perf-core's `cpu` feature): one value per sampled run. Shown,
    /// never compared.
    #[serde(rename = "cpu_share")]
    CpuShare,
    /// Self time per run of all the functions together: the `(all
    /// functions)` row of a comparison, never in a record.
    #[serde(rename = "time_per_run_ns")]
    TimePerRun,
}

/// How a metric's changes are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A duration: noisy, judged by a rank test and the time threshold.
    Time,
    /// A count: usually the same in every run, judged exactly against the
    /// allocation threshold (by the rank test when it varies between runs).
    Count,
}

impl Metric {
    /// The metrics `compare` judges, in the order its table shows them.
    /// The own-code metrics (self time, self allocations) are not judged on
    /// their own: they tell whose doing a change of these is.
    pub const COMPARED: [Metric; 6] = [
        Metric::TimePerCall,
        Metric::P95,
        Metric::CpuPerCall,
        Metric::Calls,
        Metric::AllocsPerCall,
        Metric::BytesPerCall,
    ];

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Metric::TimePerCall => "time/call",
            Metric::SelfTimePerCall => "self time/call",
            Metric::P50 => "p50",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::CpuPerCall => "cpu/call",
            Metric::CpuShare => "cpu share",
            Metric::Calls => "calls",
            Metric::AllocsPerCall => "allocs/call",
            Metric::SelfAllocsPerCall => "self allocs/call",
            Metric::BytesPerCall => "bytes/call",
            Metric::SelfBytesPerCall => "self bytes/call",
            Metric::TimePerRun => "time/run",
        }
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
            Metric::AllocsPerCall => "allocs_per_call",
            Metric::SelfAllocsPerCall => "self_allocs_per_call",
            Metric::BytesPerCall => "bytes_per_call",
            Metric::SelfBytesPerCall => "self_bytes_per_call",
            Metric::TimePerRun => "time_per_run_ns",
        }
    }

    /// How changes of the metric are judged.
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
            | Metric::CpuShare
            | Metric::AllocsPerCall
            | Metric::SelfAllocsPerCall
            | Metric::BytesPerCall
            | Metric::SelfBytesPerCall => Kind::Count,
        }
    }

    /// For a metric that includes callees, the metrics that split it: the
    /// function's own part and the whole it is part of. A change of the
    /// whole is the function's own doing when its own part changed by at
    /// least half as much.
    pub fn own_part(self) -> Option<(Metric, Metric)> {
        match self {
            Metric::TimePerCall | Metric::P95 | Metric::CpuPerCall => {
                Some((Metric::SelfTimePerCall, Metric::TimePerCall))
            }
            Metric::AllocsPerCall => Some((Metric::SelfAllocsPerCall, Metric::AllocsPerCall)),
            Metric::BytesPerCall => Some((Metric::SelfBytesPerCall, Metric::BytesPerCall)),
            _ => None,
        }
    }

    /// Whether a regression of the metric fails the gate. A p95 moves with
    /// how often the machine interrupts calls, more than with the code, so
    /// its changes are shown but not gated: budgets limit it absolutely.
    pub fn gates(self) -> bool {
        self != Metric::P95
    }

    /// A value of the metric in its unit.
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::BytesPerCall | Metric::SelfBytesPerCall => crate::units::bytes(value),
            Metric::CpuShare => format!("{:.1}%", value * 100.0),
            _ if self.kind() == Kind::Time => crate::units::duration(value),
            _ => crate::units::count(value),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Record {
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

    /// The first ten characters of the git commit, when known.
    pub fn short_commit(&self) -> Option<String> {
        self.env
            .git_commit
            .as_ref()
            .map(|c| c.chars().take(10).collect())
    }

    /// Checks what serde cannot: a record with no functions, no calls,
    /// or a sample that is negative, infinite or NaN is refused, naming
    /// `path`.
    pub fn validate(&self, path: &Path) -> Result<(), Error> {
        if self.functions.is_empty() {
            return Err(Error::invalid(
                path,
                "the record is empty: it holds no functions (did the runs reach any #[profile] function?)",
            ));
        }
        let mut any_calls = false;
        for function in &self.functions {
            if function.samples.is_empty() {
                return Err(Error::invalid(
                    path,
                    format!("function {:?} has no samples", function.name),
                ));
            }
            for (metric, samples) in &function.samples {
                if samples.is_empty() {
                    return Err(Error::invalid(
                        path,
                        format!(
                            "function {:?} has an empty {} list",
                            function.name,
                            metric.key()
                        ),
                    ));
                }
                if samples.len() > MAX_SAMPLES {
                    return Err(Error::invalid(
                        path,
                        format!(
                            "function {:?} has {} {} samples; at most {MAX_SAMPLES} are read",
                            function.name,
                            samples.len(),
                            metric.key()
                        ),
                    ));
                }
                if let Some((i, bad)) = samples
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !v.is_finite() || **v < 0.0)
                {
                    return Err(Error::invalid(
                        path,
                        format!(
                            "function {:?}, {} sample {}: {bad} is not a finite, non-negative value",
                            function.name,
                            metric.key(),
                            i + 1
                        ),
                    ));
                }
            }
            match function.get(Metric::Calls) {
                Some(calls) if calls.iter().all(|&c| c == 0.0) => {
                    return Err(Error::invalid(
                        path,
                        format!("function {:?} has zero calls in every run", function.name),
                    ));
                }
                Some(_) => any_calls = true,
                // Criterion samples count iterations, not calls.
                None => any_calls |= self.source == Source::Criterion,
            }
        }
        if !any_calls {
            return Err(Error::invalid(path, "the record holds zero calls"));
        }
        if let Some((i, bad)) = self
            .cpu_stacks
            .iter()
            .enumerate()
            .find(|(_, s)| !s.samples.is_finite() || s.samples < 0.0 || s.frames.is_empty())
        {
            return Err(Error::invalid(
                path,
                format!(
                    "CPU stack {}: {} samples on {} frames is not a finite, non-negative count on a stack",
                    i + 1,
                    bad.samples,
                    bad.frames.len()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_serialise_under_their_documented_keys() {
        for metric in Metric::COMPARED.into_iter().chain([
            Metric::P50,
            Metric::P99,
            Metric::SelfTimePerCall,
            Metric::SelfAllocsPerCall,
            Metric::SelfBytesPerCall,
            Metric::CpuShare,
        ]) {
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{}\"", metric.key()));
        }
    }

    #[test]
    fn inclusive_metrics_point_at_their_own_part() {
        let time = Some((Metric::SelfTimePerCall, Metric::TimePerCall));
        assert_eq!(Metric::TimePerCall.own_part(), time);
        assert_eq!(Metric::P95.own_part(), time);
        assert_eq!(
            Metric::BytesPerCall.own_part(),
            Some((Metric::SelfBytesPerCall, Metric::BytesPerCall))
        );
        assert_eq!(Metric::SelfTimePerCall.own_part(), None);
        assert_eq!(Metric::Calls.own_part(), None);
    }
}
