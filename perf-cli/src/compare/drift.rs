//! Machine drift: a shared machine runs faster or slower from one minute to
//! the next, and every function of a run moves with it (run-to-run noise of
//! 3% shrinks to 1% once this common factor is taken out). Records made at
//! different times differ by it, so comparing raw times cries wolf.
//!
//! Each run gets a speed factor: the median, over the functions, of how far
//! its own time per call lies from that function's usual value (the
//! median-of-ratios normalisation of RNA-seq's DESeq, which assumes, as we
//! do, that most functions did not change). Times are divided by it before
//! they are compared, so a function is judged by its cost relative to the
//! rest of the program. The factors themselves say how much faster or
//! slower everything ran; that cannot tell a slower machine from a change
//! that slows everything alike, so it is reported, not gated (budgets limit
//! absolute time).

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{FunctionSamples, Kind, Metric, Record, Source};
use crate::stats::{self, RankTester};

/// Functions a record needs, each with at least [`MIN_SHARE`] of the self
/// time, for a factor that one changed function cannot move.
pub(super) const MIN_FUNCTIONS: usize = 4;
/// Share of the run's self time below which a function is too small (and
/// too noisy) to help estimate the factor.
const MIN_SHARE: f64 = 0.01;

/// The speed factor of every run of both records.
#[derive(Clone, Debug)]
pub(super) struct Factors {
    /// ln(factor) per baseline run.
    baseline: Vec<f64>,
    /// ln(factor) per current run.
    current: Vec<f64>,
    /// How many functions the factors rest on.
    functions: usize,
}

/// How much faster or slower everything ran, as `compare` reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Drift {
    /// Times were corrected for it.
    Corrected {
        /// Functions the factors rest on.
        functions: usize,
        /// Estimated change of the speed factor (0.03 = everything 3% slower).
        change: f64,
        /// Two-sided p-value of the rank test on the factors, when the
        /// samples allow one.
        p_value: Option<f64>,
    },
    /// Times were compared as measured.
    Uncorrected {
        /// Why.
        reason: String,
    },
}

impl Factors {
    /// The factors of `base` and `cur`, or why there are none.
    pub(super) fn estimate(base: &Record, cur: &Record) -> Result<Factors, String> {
        if base.source == Source::Criterion || cur.source == Source::Criterion {
            return Err("criterion samples are not runs of one program".to_owned());
        }
        let total_self: f64 = base.functions.iter().map(self_time_per_run).sum();
        let current: HashMap<&str, &FunctionSamples> =
            cur.functions.iter().map(|f| (f.name.as_str(), f)).collect();
        let mut logs: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        for b in &base.functions {
            let Some(c) = current.get(b.name.as_str()) else {
                continue;
            };
            let (Some(x), Some(y)) = (
                aligned(b, Metric::SelfTimePerCall, base.runs.len()),
                aligned(c, Metric::SelfTimePerCall, cur.runs.len()),
            ) else {
                continue;
            };
            if self_time_per_run(b) < MIN_SHARE * total_self {
                continue;
            }
            let ln = |s: &[f64]| -> Vec<f64> { s.iter().map(|v| v.max(1.0).ln()).collect() };
            logs.push((ln(x), ln(y)));
        }
        if logs.len() < MIN_FUNCTIONS {
            return Err(format!(
                "{} function{} with 1% or more of the self time in every run; {MIN_FUNCTIONS} are needed to tell the machine's drift from a change",
                logs.len(),
                if logs.len() == 1 { "" } else { "s" }
            ));
        }
        // Each function's usual value: its median over all runs of both.
        let centres: Vec<f64> = logs
            .iter()
            .map(|(x, y)| stats::median(&[x.as_slice(), y.as_slice()].concat()))
            .collect();
        let (base_logs, cur_logs): (Vec<&[f64]>, Vec<&[f64]>) = logs
            .iter()
            .map(|(x, y)| (x.as_slice(), y.as_slice()))
            .unzip();
        Ok(Factors {
            baseline: run_factors(&base_logs, &centres, base.runs.len()),
            current: run_factors(&cur_logs, &centres, cur.runs.len()),
            functions: logs.len(),
        })
    }

    /// `samples` of `metric` with each run's factor taken out; samples not
    /// aligned with the runs, and counts, are returned as they are.
    pub(super) fn correct(&self, metric: Metric, samples: &[f64], baseline_side: bool) -> Vec<f64> {
        let factors = if baseline_side {
            &self.baseline
        } else {
            &self.current
        };
        if metric.kind() != Kind::Time
            || metric == Metric::CpuPerCall
            || samples.len() != factors.len()
        {
            return samples.to_vec();
        }
        samples
            .iter()
            .zip(factors)
            .map(|(v, f)| v / f.exp())
            .collect()
    }

    /// How much the factor moved from the baseline to the current record.
    pub(super) fn drift(&self, tester: &mut RankTester, significance: f64) -> Drift {
        let (n, m) = (self.baseline.len(), self.current.len());
        let shift = tester.shift(&self.baseline, &self.current, 1.0 - significance);
        let p_value = (stats::smallest_p_value(n, m) <= significance)
            .then(|| tester.test(&self.baseline, &self.current).p_value);
        Drift::Corrected {
            functions: self.functions,
            change: shift.estimate.exp() - 1.0,
            p_value,
        }
    }
}

/// Per run, the median over functions of ln(self time) minus the
/// function's centre.
fn run_factors(logs: &[&[f64]], centres: &[f64], runs: usize) -> Vec<f64> {
    (0..runs)
        .map(|r| {
            let offsets: Vec<f64> = logs
                .iter()
                .zip(centres)
                .map(|(samples, centre)| samples[r] - centre)
                .collect();
            stats::median(&offsets)
        })
        .collect()
}

/// The samples of `metric` if there is one per run.
fn aligned(function: &FunctionSamples, metric: Metric, runs: usize) -> Option<&[f64]> {
    function.get(metric).filter(|s| s.len() == runs && runs > 0)
}

/// Median self time per call × median calls: the function's self time per run.
fn self_time_per_run(function: &FunctionSamples) -> f64 {
    let median = |m| function.get(m).map_or(0.0, stats::median);
    median(Metric::SelfTimePerCall) * median(Metric::Calls)
}
