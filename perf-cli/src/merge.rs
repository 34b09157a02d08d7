//! Runs into a record: per function, one sample per run of each metric, and
//! the call stacks (instrumented, and CPU samples from `cpu.folded`) with
//! their mean cost per run.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use perf_core::model::{FunctionStats, RunData};

use crate::Error;
use crate::model::{
    CpuStack, FunctionSamples, Metric, RECORD_SCHEMA, Record, RunSummary, Source, Stack,
};

/// The name of the CPU samples file beside a sampled run's `run.json`.
pub const CPU_FOLDED: &str = "cpu.folded";

/// One run to merge: its `run.json` and, when it was sampled (perf-core's
/// `cpu` feature), the stacks of its `cpu.folded`.
#[derive(Clone, Debug)]
pub struct RunFiles {
    /// What `run.json` holds.
    pub data: RunData,
    /// The CPU samples by stack, `None` when the run has no `cpu.folded`.
    pub cpu: Option<Vec<CpuStack>>,
}

impl RunFiles {
    /// The run of `run_json` (already read as `data`), with the
    /// `cpu.folded` beside it when there is one.
    pub fn with_cpu_beside(data: RunData, run_json: &Path) -> Result<RunFiles, Error> {
        let folded = run_json.with_file_name(CPU_FOLDED);
        let cpu = if folded.exists() {
            Some(read_cpu_folded(&folded)?)
        } else {
            None
        };
        Ok(RunFiles { data, cpu })
    }
}

/// Reads a `cpu.folded` file: lines `frame;frame;…;frame COUNT`, root
/// first, COUNT a sample count. A line that is not so is refused, naming
/// the file and the line.
pub fn read_cpu_folded(path: &Path) -> Result<Vec<CpuStack>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    parse_cpu_folded(&text).map_err(|(line, problem)| {
        Error::invalid(
            path,
            format!("line {line}: {problem} (expected `frame;frame;…;frame COUNT`)"),
        )
    })
}

/// Parses folded lines; an error carries the 1-based line number.
fn parse_cpu_folded(text: &str) -> Result<Vec<CpuStack>, (usize, String)> {
    let mut stacks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((stack, count)) = line.rsplit_once(' ') else {
            return Err((i + 1, "no sample count".to_owned()));
        };
        let samples: u64 = count
            .parse()
            .map_err(|_| (i + 1, format!("{count:?} is not a sample count")))?;
        let frames: Vec<String> = stack.split(';').map(str::to_owned).collect();
        if frames.iter().any(|f| f.trim().is_empty()) {
            return Err((i + 1, "an empty frame".to_owned()));
        }
        stacks.push(CpuStack {
            frames,
            samples: samples as f64,
        });
    }
    Ok(stacks)
}

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
pub fn merge(meta: RecordMeta, runs: &[RunFiles]) -> Record {
    assert!(!runs.is_empty(), "a record merges at least one run");
    let cpu_stacks = merge_cpu_stacks(runs.iter().filter_map(|r| r.cpu.as_deref()));
    let runs: Vec<&RunData> = runs.iter().map(|r| &r.data).collect();
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

    let first = runs[0];
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
        stacks: merge_stacks(&runs),
        cpu_stacks,
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
    if let Some(sampled) = &stats.cpu_samples {
        values.push((Metric::CpuShare, sampled.share));
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
fn merge_stacks(runs: &[&RunData]) -> Vec<Stack> {
    let mut stacks: HashMap<Vec<String>, Stack> = HashMap::new();
    for &run in runs {
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

/// The CPU stacks of the sampled runs, summed and divided by their number;
/// the heaviest [`MAX_STACKS`](perf_core::flamegraph::MAX_STACKS) kept,
/// the rest merged into one `[other stacks]` stack so the total stays.
fn merge_cpu_stacks<'a>(sampled: impl Iterator<Item = &'a [CpuStack]>) -> Vec<CpuStack> {
    let mut sums: HashMap<&[String], f64> = HashMap::new();
    let mut runs = 0usize;
    for stacks in sampled {
        runs += 1;
        for stack in stacks {
            *sums.entry(stack.frames.as_slice()).or_default() += stack.samples;
        }
    }
    let mut merged: Vec<CpuStack> = sums
        .into_iter()
        .filter(|(_, samples)| *samples > 0.0)
        .map(|(frames, samples)| CpuStack {
            frames: frames.to_vec(),
            samples: samples / runs as f64,
        })
        .collect();
    merged.sort_by(|a, b| {
        b.samples
            .total_cmp(&a.samples)
            .then_with(|| a.frames.cmp(&b.frames))
    });
    let keep = perf_core::flamegraph::MAX_STACKS;
    if merged.len() > keep {
        let rest: f64 = merged[keep - 1..].iter().map(|s| s.samples).sum();
        merged.truncate(keep - 1);
        merged.push(CpuStack {
            frames: vec!["[other stacks]".to_owned()],
            samples: rest,
        });
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(frames: &[&str], samples: f64) -> CpuStack {
        CpuStack {
            frames: frames.iter().map(|f| (*f).to_owned()).collect(),
            samples,
        }
    }

    #[test]
    fn folded_lines_are_read_and_bad_ones_named_by_line() {
        let stacks =
            parse_cpu_folded("main;app::run;<Vec<u8> as Clone>::clone 7\n\nworker 1\n").unwrap();
        assert_eq!(
            stacks,
            [
                stack(&["main", "app::run", "<Vec<u8> as Clone>::clone"], 7.0),
                stack(&["worker"], 1.0)
            ]
        );
        assert_eq!(parse_cpu_folded("main;a 1\nmain;b\n").unwrap_err().0, 2);
        assert_eq!(parse_cpu_folded("main;a -1\n").unwrap_err().0, 1);
        assert_eq!(parse_cpu_folded("main;;a 1\n").unwrap_err().0, 1);
    }

    #[test]
    fn cpu_stacks_are_means_over_the_sampled_runs() {
        let one = vec![stack(&["main", "a"], 4.0), stack(&["main", "b"], 1.0)];
        let two = vec![stack(&["main", "a"], 2.0)];
        let merged = merge_cpu_stacks([one.as_slice(), two.as_slice()].into_iter());
        assert_eq!(
            merged,
            [stack(&["main", "a"], 3.0), stack(&["main", "b"], 0.5)]
        );
    }

    #[test]
    fn at_most_max_stacks_are_kept_with_the_total() {
        let many: Vec<CpuStack> = (0..perf_core::flamegraph::MAX_STACKS + 3)
            .map(|i| stack(&["main", &format!("f{i}")], 1.0 + i as f64))
            .collect();
        let total: f64 = many.iter().map(|s| s.samples).sum();
        let merged = merge_cpu_stacks(std::iter::once(many.as_slice()));
        assert_eq!(merged.len(), perf_core::flamegraph::MAX_STACKS);
        assert_eq!(merged.iter().map(|s| s.samples).sum::<f64>(), total);
        assert!(merged.iter().any(|s| s.frames == ["[other stacks]"]));
    }
}
