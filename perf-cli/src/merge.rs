//! Runs into a record: per function, one sample per run of each metric, and
//! the call stacks with their mean cost per run.

use std::collections::{BTreeMap, HashMap};

use perf_core::model::{FunctionStats, RunData};

use crate::model::{FunctionSamples, Metric, RECORD_SCHEMA, Record, RunSummary, Source, Stack};

/// What the record is called and how it was made.
#[derive(Clone, Debug)]
pub struct RecordMeta {
    /// The record's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where the runs come from.
    pub source: Source,
    /// The command that made the runs.
    pub command: Vec<String>,
    /// When the record was made (RFC 3339).
    pub created_at: String,
}

/// Merges `runs` (at least one) into a record.
pub fn merge(meta: RecordMeta, runs: &[RunData]) -> Record {
    assert!(!runs.is_empty(), "a record merges at least one run");
    let alloc_tracking = runs.iter().all(|r| r.alloc_tracking);
    let mut functions: Vec<FunctionSamples> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut self_time: Vec<u64> = Vec::new();
    for (run_number, run) in runs.iter().enumerate() {
        for stats in &run.functions {
            if stats.calls == 0 {
                continue;
            }
            let i = *index.entry(stats.name.as_str()).or_insert_with(|| {
                functions.push(FunctionSamples {
                    name: stats.name.clone(),
                    file: Some(stats.file.clone()),
                    line: Some(stats.line),
                    samples: BTreeMap::new(),
                });
                self_time.push(0);
                functions.len() - 1
            });
            self_time[i] += stats.self_ns;
            let samples = &mut functions[i].samples;
            // Runs without the function count zero calls.
            let calls = samples.entry(Metric::Calls).or_default();
            calls.resize(run_number, 0.0);
            calls.push(stats.calls as f64);
            for (metric, value) in metric_values(stats, alloc_tracking) {
                samples.entry(metric).or_default().push(value);
            }
        }
    }
    for function in &mut functions {
        if let Some(calls) = function.samples.get_mut(&Metric::Calls) {
            calls.resize(runs.len(), 0.0);
        }
    }
    let mut ranked: Vec<(u64, FunctionSamples)> = self_time.into_iter().zip(functions).collect();
    ranked.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    let functions = ranked.into_iter().map(|(_, f)| f).collect();

    let first = &runs[0];
    Record {
        schema: RECORD_SCHEMA.to_owned(),
        id: meta.id,
        name: meta.name,
        source: meta.source,
        created_at: meta.created_at,
        command: meta.command,
        env: first.env.clone(),
        runs: runs
            .iter()
            .map(|r| RunSummary {
                id: r.id.clone(),
                duration_ns: r.duration_ns,
                calls: r.functions.iter().map(|f| f.calls).sum(),
            })
            .collect(),
        alloc_tracking,
        functions,
        stacks: merge_stacks(runs),
        baseline: None,
    }
}

/// One run's value of each metric of a function that was called.
fn metric_values(stats: &FunctionStats, alloc_tracking: bool) -> Vec<(Metric, f64)> {
    let calls = stats.calls as f64;
    let mut values = vec![
        (Metric::TimePerCall, stats.total_ns as f64 / calls),
        (Metric::SelfTimePerCall, stats.self_ns as f64 / calls),
        (Metric::P50, stats.p50_ns as f64),
        (Metric::P95, stats.p95_ns as f64),
        (Metric::P99, stats.p99_ns as f64),
    ];
    if let Some(cpu) = stats.cpu_ns {
        values.push((Metric::CpuPerCall, cpu as f64 / calls));
    }
    if alloc_tracking {
        values.extend([
            (Metric::AllocsPerCall, stats.total_allocs as f64 / calls),
            (Metric::SelfAllocsPerCall, stats.self_allocs as f64 / calls),
            (Metric::BytesPerCall, stats.total_alloc_bytes as f64 / calls),
            (
                Metric::SelfBytesPerCall,
                stats.self_alloc_bytes as f64 / calls,
            ),
        ]);
    }
    values
}

/// Every call path of every run, with its cost summed and divided by the
/// number of runs; heaviest total time first.
fn merge_stacks(runs: &[RunData]) -> Vec<Stack> {
    let mut stacks: HashMap<Vec<String>, Stack> = HashMap::new();
    for run in runs {
        let mut paths: Vec<Vec<String>> = Vec::with_capacity(run.call_tree.len());
        for node in &run.call_tree {
            let mut frames = node
                .parent
                .and_then(|p| paths.get(p as usize))
                .cloned()
                .unwrap_or_default();
            frames.push(node.function.clone());
            let stack = stacks.entry(frames.clone()).or_insert_with(|| Stack {
                frames: frames.clone(),
                calls: 0.0,
                total_ns: 0.0,
                self_ns: 0.0,
                self_allocs: 0.0,
                self_alloc_bytes: 0.0,
            });
            stack.calls += node.calls as f64;
            stack.total_ns += node.total_ns as f64;
            stack.self_ns += node.self_ns as f64;
            stack.self_allocs += node.self_allocs as f64;
            stack.self_alloc_bytes += node.self_alloc_bytes as f64;
            paths.push(frames);
        }
    }
    let runs = runs.len() as f64;
    let mut merged: Vec<Stack> = stacks
        .into_values()
        .map(|mut s| {
            s.calls /= runs;
            s.total_ns /= runs;
            s.self_ns /= runs;
            s.self_allocs /= runs;
            s.self_alloc_bytes /= runs;
            s
        })
        .collect();
    merged.sort_by(|a, b| {
        b.total_ns
            .total_cmp(&a.total_ns)
            .then_with(|| a.frames.cmp(&b.frames))
    });
    merged
}
