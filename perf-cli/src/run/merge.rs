//! Runs into a record: per function, one sample per run of each metric, and
//! the call stacks (instrumented, and CPU samples from `cpu.folded`) with
//! their mean cost per run.

use std::collections::HashMap;
use std::path::Path;

use perf_format::layout::run_files;
use perf_format::schema::record::{FunctionSamples, Metric, Record, RunSummary, Source};
use perf_format::schema::run::{FunctionStats, RunData};
use perf_format::stacks::{
    CallCost, CallStack, CpuStack, SampleCount, Stack, bound_cpu_stacks, call_paths, read_folded,
    sort_heaviest,
};

use crate::Error;

/// One run to merge: its `run.json` and, when it was sampled (perf-core's
/// `cpu` feature), the stacks of its `cpu.folded`.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// What `run.json` holds.
    pub(crate) data: RunData,
    /// The CPU samples by stack, `None` when the run has no `cpu.folded`.
    pub(crate) cpu: Option<Vec<CpuStack>>,
}

impl Run {
    /// The run of `run_json` (already read as `data`), with the
    /// `cpu.folded` beside it when there is one.
    pub(crate) fn with_cpu_beside(data: RunData, run_json: &Path) -> Result<Run, Error> {
        let folded = run_json.with_file_name(run_files::CPU_FOLDED);
        let cpu = if folded.exists() {
            Some(read_folded(&folded)?)
        } else {
            None
        };
        Ok(Run { data, cpu })
    }
}

/// What the record is called and how it was made.
#[derive(Clone, Debug)]
pub(crate) struct RecordMeta {
    /// The record's id.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Where the runs come from.
    pub(crate) source: Source,
    /// The command that made the runs.
    pub(crate) command: Vec<String>,
    /// When the record was made (RFC 3339).
    pub(crate) created_at: String,
    /// Whether the runs ran under callgrind (`record --instructions`).
    pub(crate) instructions: bool,
}

/// Merges `runs` (at least one) into a record.
pub(crate) fn merge(meta: RecordMeta, runs: &[Run]) -> Record {
    assert!(!runs.is_empty(), "a record merges at least one run");
    let cpu_stacks = merge_cpu_stacks(runs.iter().filter_map(|r| r.cpu.as_deref()));
    let runs: Vec<&RunData> = runs.iter().map(|r| &r.data).collect();
    let alloc_tracking = runs.iter().all(|r| r.alloc_tracking);
    // Frees are counted where the run has a heap (a perf-core that counts
    // them); net bytes need every run's.
    let frees_counted = alloc_tracking && runs.iter().all(|r| r.heap.is_some());
    let mut functions: Vec<FunctionSamples> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut self_time: Vec<u64> = Vec::new();
    let mut own_cost: Vec<Vec<f64>> = Vec::new();
    for (run_number, run) in runs.iter().enumerate() {
        let own_cost_shares = run.own_cost_shares();
        for stats in &run.functions {
            if stats.calls == 0 {
                continue;
            }
            let i = *index.entry(stats.name.as_str()).or_insert_with(|| {
                let mut function = FunctionSamples::new(stats.name.clone());
                function.file = Some(stats.file.clone());
                function.line = Some(stats.line);
                functions.push(function);
                self_time.push(0);
                own_cost.push(Vec::new());
                functions.len() - 1
            });
            self_time[i] += stats.self_ns;
            if let Some(&share) = own_cost_shares.get(stats.name.as_str()) {
                own_cost[i].push(share);
            }
            let samples = &mut functions[i].samples;
            // Runs without the function count zero calls.
            let calls = samples.entry(Metric::Calls).or_default();
            calls.resize(run_number, 0.0);
            calls.push(stats.calls as f64);
            // Errors only where some run had one: absent means none.
            if stats.errors > 0 {
                let errors = samples.entry(Metric::Errors).or_default();
                errors.resize(run_number, 0.0);
                errors.push(stats.errors as f64);
            }
            for (metric, value) in metric_values(stats, alloc_tracking, frees_counted) {
                samples.entry(metric).or_default().push(value);
            }
        }
    }
    for (function, shares) in functions.iter_mut().zip(&own_cost) {
        if !shares.is_empty() {
            function.own_cost_share = Some(perf_stats::summary::median(shares));
        }
        for counts in [Metric::Calls, Metric::Errors] {
            if let Some(counts) = function.samples.get_mut(&counts) {
                counts.resize(runs.len(), 0.0);
            }
        }
    }
    let mut ranked: Vec<(u64, FunctionSamples)> = self_time.into_iter().zip(functions).collect();
    ranked.sort_by_key(|(time, _)| std::cmp::Reverse(*time));

    // The runs of one record share their build; the tree counts as dirty
    // if it was during any of them.
    let first = runs[0];
    let mut env = first.env.clone();
    env.git_dirty = runs.iter().any(|r| r.env.git_dirty);
    // The coarsest clock of the runs: what no run could tell apart.
    env.clock_step_ns = runs
        .iter()
        .filter_map(|r| r.env.clock_step_ns)
        .reduce(f64::max);
    let mut record = Record::new(meta.id, meta.name, meta.source, meta.created_at, env);
    record.command = meta.command;
    record.runs = runs
        .iter()
        .map(|r| {
            let mut summary = RunSummary::new(
                r.id.clone(),
                r.duration_ns,
                r.functions.iter().map(|f| f.calls).sum(),
            );
            summary.peak_heap_bytes = r.heap.as_ref().map(|heap| heap.peak_bytes);
            summary
        })
        .collect();
    record.alloc_tracking = alloc_tracking;
    record.instructions = meta.instructions;
    record.functions = ranked.into_iter().map(|(_, f)| f).collect();
    record.stacks = merge_stacks(&runs);
    record.cpu_stacks = cpu_stacks;
    record
}

/// One run's value of each metric of a function that was called; net
/// bytes per call only when the run counted frees (`frees_counted`).
fn metric_values(
    stats: &FunctionStats,
    alloc_tracking: bool,
    frees_counted: bool,
) -> Vec<(Metric, f64)> {
    let calls = stats.calls as f64;
    let mut values = vec![
        (Metric::TimePerCall, time_per_call(stats)),
        (Metric::SelfTimePerCall, self_time_per_call(stats)),
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
    let per_call = |count: Option<u64>| count.map(|n| n as f64 / calls);
    for (metric, count) in [
        (Metric::InstructionsPerCall, stats.total_instructions),
        (Metric::SelfInstructionsPerCall, stats.self_instructions),
        (Metric::EstCyclesPerCall, stats.total_est_cycles),
        (Metric::SelfEstCyclesPerCall, stats.self_est_cycles),
    ] {
        if let Some(value) = per_call(count) {
            values.push((metric, value));
        }
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
    if frees_counted {
        values.push((Metric::NetBytesPerCall, stats.net_bytes_per_call()));
    }
    values
}

/// A run's time per call of a function: its total time over its calls,
/// scaled by how much leaving out its slowest calls moved its mean
/// (`trimmed_ratio`), so that one interrupted call does not move the run's
/// figure. Recursive calls count once in the total, as before.
fn time_per_call(stats: &FunctionStats) -> f64 {
    let mean = stats.total_ns as f64 / stats.calls as f64;
    mean * stats.trimmed_ratio.unwrap_or(1.0)
}

/// A run's self time per call of a function, trimmed as its time per call
/// is (scaled by the same `trimmed_ratio`): the drift correction estimates
/// each run's speed from self times and divides times per call by it, so
/// both must leave out the same interrupted calls — an untrimmed factor
/// would put back the very lost timeslices the trimmed figure left out.
fn self_time_per_call(stats: &FunctionStats) -> f64 {
    stats.self_ns as f64 / stats.calls as f64 * stats.trimmed_ratio.unwrap_or(1.0)
}

/// Every call path of every run, with its cost summed and divided by the
/// number of runs; heaviest total time first.
fn merge_stacks(runs: &[&RunData]) -> Vec<CallStack> {
    let mut sums: HashMap<Vec<String>, CallCost> = HashMap::new();
    for run in runs {
        for path in call_paths(&run.call_tree) {
            let sum = sums.entry(path.frames).or_default();
            *sum = *sum + path.weight;
        }
    }
    let runs = runs.len() as f64;
    let mut merged: Vec<CallStack> = sums
        .into_iter()
        .map(|(frames, cost)| Stack {
            frames,
            weight: cost.per(runs),
        })
        .collect();
    sort_heaviest(&mut merged, |cost| cost.total_ns);
    merged
}

/// The CPU stacks of the sampled runs, summed and divided by their number,
/// heaviest first and bounded (the lightest merged into one `[other
/// stacks]` stack so the total stays).
fn merge_cpu_stacks<'a>(sampled: impl Iterator<Item = &'a [CpuStack]>) -> Vec<CpuStack> {
    let mut sums: HashMap<&[String], f64> = HashMap::new();
    let mut runs = 0usize;
    for stacks in sampled {
        runs += 1;
        for stack in stacks {
            *sums.entry(stack.frames.as_slice()).or_default() += stack.weight.samples;
        }
    }
    let mut merged: Vec<CpuStack> = sums
        .into_iter()
        .filter(|(_, samples)| *samples > 0.0)
        .map(|(frames, samples)| Stack {
            frames: frames.to_vec(),
            weight: SampleCount {
                samples: samples / runs as f64,
            },
        })
        .collect();
    sort_heaviest(&mut merged, |count| count.samples);
    bound_cpu_stacks(merged)
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::run::{CallNode, HeapInfo};
    use perf_format::stacks::{DEEPER_FRAMES, MAX_DEPTH, MAX_STACKS, OTHER_STACKS};

    use super::*;

    fn stack(frames: &[&str], samples: f64) -> CpuStack {
        Stack::new(frames.iter().copied(), SampleCount { samples })
    }

    #[test]
    fn a_runs_times_per_call_leave_out_its_slowest_calls() {
        let mut stats = FunctionStats::new("f", "f.rs", 1);
        stats.calls = 1_000;
        stats.total_ns = 24_000_000;
        stats.self_ns = 24_000_000;
        stats.mean_ns = 24_000;
        assert_eq!(time_per_call(&stats), 24_000.0);
        assert_eq!(self_time_per_call(&stats), 24_000.0);
        // The slowest calls held one 4 ms stall: 20 µs a call without it, in
        // the time per call and in the self time the drift correction reads.
        stats.trimmed_ratio = Some(20_000.0 / 24_000.0);
        assert!((time_per_call(&stats) - 20_000.0).abs() < 1e-6);
        assert!((self_time_per_call(&stats) - 20_000.0).abs() < 1e-6);
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
        let many: Vec<CpuStack> = (0..MAX_STACKS + 3)
            .map(|i| stack(&["main", &format!("f{i}")], 1.0 + i as f64))
            .collect();
        let total: f64 = many.iter().map(|s| s.weight.samples).sum();
        let merged = merge_cpu_stacks(std::iter::once(many.as_slice()));
        assert_eq!(merged.len(), MAX_STACKS);
        assert_eq!(merged.iter().map(|s| s.weight.samples).sum::<f64>(), total);
        assert!(merged.iter().any(|s| s.frames == [OTHER_STACKS]));
    }

    /// A run of one function recursing `depth` calls deep, each call
    /// taking `self_ns` of its own.
    fn deep_run(id: &str, depth: u32, self_ns: u64) -> Run {
        let mut data = RunData::new(id, "deep", Environment::default());
        data.call_tree = (0..depth)
            .map(|i| {
                let mut node = CallNode::new(i, i.checked_sub(1), "deep::descend");
                node.calls = 1;
                node.self_ns = self_ns;
                node.total_ns = self_ns * u64::from(depth - i);
                node
            })
            .collect();
        let mut stats = FunctionStats::new("deep::descend", "deep.rs", 1);
        stats.calls = u64::from(depth);
        stats.self_ns = self_ns * u64::from(depth);
        stats.total_ns = stats.self_ns;
        data.functions = vec![stats];
        Run { data, cpu: None }
    }

    #[test]
    fn errors_are_kept_per_run_where_a_run_had_one() {
        let run = |id: &str, failing: &[(&str, u64)]| {
            let mut data = RunData::new(id, "svc", Environment::default());
            for name in ["ok", "flaky"] {
                let mut stats = FunctionStats::new(name, "svc.rs", 1);
                stats.calls = 100;
                stats.total_ns = 1_000;
                stats.self_ns = 1_000;
                stats.errors = failing
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(0, |(_, e)| *e);
                data.functions.push(stats);
            }
            Run { data, cpu: None }
        };
        let meta = RecordMeta {
            id: "r".to_owned(),
            name: "svc".to_owned(),
            source: Source::Perf,
            command: Vec::new(),
            created_at: "2026-12-07T00:00:00Z".to_owned(),
            instructions: false,
        };
        let runs = [
            run("one", &[]),
            run("two", &[("flaky", 3)]),
            run("three", &[]),
        ];
        let record = merge(meta, &runs);
        let errors = |name: &str| record.function(name).unwrap().get(Metric::Errors);
        assert_eq!(errors("flaky"), Some(&[0.0, 3.0, 0.0][..]));
        assert_eq!(errors("ok"), None, "no errors, no list");
    }

    #[test]
    fn perfs_own_share_of_self_time_is_the_median_over_the_runs_that_measured_it() {
        use perf_format::schema::run::{CallNode, Overhead};
        // `tiny` (10 ns of self time a call) is called 100 times by
        // `outer` (1 µs of self time a call); recording a call costs 20 ns,
        // 8 of them inside the call.
        let run = |id: &str, overhead: Option<Overhead>| {
            let mut data = RunData::new(id, "app", Environment::default());
            for (name, calls, self_ns) in [("outer", 1, 1_000), ("tiny", 100, 1_000)] {
                let mut stats = FunctionStats::new(name, "app.rs", 1);
                stats.calls = calls;
                stats.self_ns = self_ns;
                stats.total_ns = self_ns;
                data.functions.push(stats);
                let mut node = CallNode::default();
                node.id = data.call_tree.len() as u32;
                node.parent = node.id.checked_sub(1);
                node.function = name.to_owned();
                node.calls = calls;
                data.call_tree.push(node);
            }
            data.overhead = overhead;
            Run { data, cpu: None }
        };
        let meta = RecordMeta {
            id: "r".to_owned(),
            name: "app".to_owned(),
            source: Source::Perf,
            command: Vec::new(),
            created_at: "2026-12-07T00:00:00Z".to_owned(),
            instructions: false,
        };
        let measured = Some(Overhead::new(20.0, 8.0));
        let runs = [
            run("one", measured),
            run("two", None),
            run("three", measured),
        ];
        let record = merge(meta.clone(), &runs);
        let share = |name: &str| record.function(name).unwrap().own_cost_share;
        // tiny: 100 × 8 ns of its 1 000 ns; outer: 8 ns + 100 × 12 ns of
        // its 1 000 ns, at most all of it.
        assert_eq!(share("tiny"), Some(0.8));
        assert_eq!(share("outer"), Some(1.0));
        let unmeasured = merge(meta, &[run("four", None)]);
        assert_eq!(unmeasured.function("tiny").unwrap().own_cost_share, None);
    }

    #[test]
    fn a_deep_recursion_keeps_the_frame_cap_and_its_time() {
        let depth = 5_000;
        let meta = RecordMeta {
            id: "deep".to_owned(),
            name: "deep".to_owned(),
            source: Source::Perf,
            command: Vec::new(),
            created_at: "2026-11-30T00:00:00Z".to_owned(),
            instructions: false,
        };
        let runs = [deep_run("one", depth, 10), deep_run("two", depth, 30)];
        let record = merge(meta, &runs);
        // One stack per call down to the cut, one for all below it.
        assert_eq!(record.stacks.len(), MAX_DEPTH + 1);
        assert!(
            record
                .stacks
                .iter()
                .all(|s| s.frames.len() <= MAX_DEPTH + 1)
        );
        let cut = record
            .stacks
            .iter()
            .find(|s| s.frames.last().map(String::as_str) == Some(DEEPER_FRAMES))
            .expect("the calls below the cut");
        assert_eq!(cut.frames.len(), MAX_DEPTH + 1);
        assert_eq!(cut.weight.calls, 1.0);
        let below = f64::from(depth) - MAX_DEPTH as f64;
        assert_eq!(cut.weight.self_ns, 20.0 * below);
        assert_eq!(cut.weight.total_ns, 20.0 * below);
        // The mean self time per run of every call is kept.
        let self_ns: f64 = record.stacks.iter().map(|s| s.weight.self_ns).sum();
        assert_eq!(self_ns, 20.0 * f64::from(depth));
    }

    #[test]
    fn instruction_counts_become_metrics_per_call() {
        let mut run = deep_run("one", 1, 10);
        let stats = &mut run.data.functions[0];
        stats.calls = 4;
        stats.total_instructions = Some(4_000);
        stats.self_instructions = Some(1_000);
        stats.total_est_cycles = Some(6_000);
        stats.self_est_cycles = Some(2_000);
        let meta = RecordMeta {
            id: "r".to_owned(),
            name: "deep".to_owned(),
            source: Source::Perf,
            command: Vec::new(),
            created_at: "2026-11-30T00:00:00Z".to_owned(),
            instructions: true,
        };
        let record = merge(meta, &[run.clone(), run]);
        assert!(record.instructions);
        let function = record.function("deep::descend").unwrap();
        for (metric, value) in [
            (Metric::InstructionsPerCall, 1_000.0),
            (Metric::SelfInstructionsPerCall, 250.0),
            (Metric::EstCyclesPerCall, 1_500.0),
            (Metric::SelfEstCyclesPerCall, 500.0),
        ] {
            assert_eq!(function.get(metric), Some(&[value, value][..]), "{metric}");
        }
        // A normal run has none.
        let normal = merge(
            RecordMeta {
                instructions: false,
                ..record_meta()
            },
            &[deep_run("two", 1, 10)],
        );
        assert!(!normal.instructions);
        let function = normal.function("deep::descend").unwrap();
        assert_eq!(function.get(Metric::InstructionsPerCall), None);
    }

    fn record_meta() -> RecordMeta {
        RecordMeta {
            id: "r".to_owned(),
            name: "deep".to_owned(),
            source: Source::Perf,
            command: Vec::new(),
            created_at: "2026-11-30T00:00:00Z".to_owned(),
            instructions: false,
        }
    }

    #[test]
    fn runs_that_count_frees_give_net_bytes_per_call_and_their_peak_heap() {
        let run = |id: &str, peak: Option<u64>| {
            let mut run = deep_run(id, 1, 10);
            let stats = &mut run.data.functions[0];
            stats.calls = 4;
            // 3 × 64 bytes kept per call, 64 freed again.
            stats.total_alloc_bytes = 4 * 256;
            stats.total_freed_bytes = 4 * 64;
            run.data.alloc_tracking = true;
            run.data.heap = peak.map(|peak| {
                let mut heap = HeapInfo::default();
                heap.peak_bytes = peak;
                heap
            });
            run
        };
        let record = merge(
            record_meta(),
            &[run("one", Some(4096)), run("two", Some(8192))],
        );
        let function = record.function("deep::descend").unwrap();
        assert_eq!(
            function.get(Metric::NetBytesPerCall),
            Some(&[192.0, 192.0][..])
        );
        let peaks: Vec<Option<u64>> = record.runs.iter().map(|r| r.peak_heap_bytes).collect();
        assert_eq!(peaks, [Some(4096), Some(8192)]);
        // A run of a perf-core that does not count frees: no net bytes
        // (its freed bytes would read 0), no peak.
        let record = merge(record_meta(), &[run("one", Some(4096)), run("two", None)]);
        let function = record.function("deep::descend").unwrap();
        assert_eq!(function.get(Metric::NetBytesPerCall), None);
        assert_eq!(
            function.get(Metric::BytesPerCall),
            Some(&[256.0, 256.0][..])
        );
        assert_eq!(record.runs[1].peak_heap_bytes, None);
    }

    #[test]
    fn a_tree_dirty_during_any_run_makes_the_record_dirty() {
        let meta = record_meta;
        let mut runs = [deep_run("one", 3, 10), deep_run("two", 3, 10)];
        assert!(!merge(meta(), &runs).env.git_dirty);
        runs[1].data.env.git_dirty = true;
        assert!(merge(meta(), &runs).env.git_dirty);
        // The clock's step: the coarsest of the runs'.
        assert_eq!(merge(meta(), &runs).env.clock_step_ns, None);
        runs[0].data.env.clock_step_ns = Some(10.0);
        runs[1].data.env.clock_step_ns = Some(12.0);
        assert_eq!(merge(meta(), &runs).env.clock_step_ns, Some(12.0));
    }
}
