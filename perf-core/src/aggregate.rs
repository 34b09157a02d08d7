//! Turns the threads' trees into a run: one call tree merged by path, and per
//! function calls, self and total time, percentiles and allocations.

use std::collections::HashMap;

use crate::callsite::Callsite;
use crate::clock::ticks_to_ns;
use crate::cpu_time;
use crate::histogram::Histogram;
use crate::model::{CallNode, FunctionStats, ThreadInfo};
use crate::recorder::{AllocCounts, ThreadSnapshot};

/// The share of slowest calls left out of a function's trimmed mean: one
/// call in a hundred, so that an interrupted call does not move a run's
/// figure while a slow path taken more often still does.
const TRIMMED: f64 = 0.01;
/// Calls from which at least the slowest whole call is left out.
const WHOLE_CALL_FROM: f64 = 20.0;

/// How many of a function's calls in a run its trimmed mean leaves out: the
/// slowest 1%, and at least the slowest one from 20 calls up (below that,
/// 5% of them). A lost timeslice lands on one call: a function called 60
/// times a run sheds it whole, where 1% (0.6 of a call) kept 40% of it.
fn trimmed_calls(calls: f64) -> f64 {
    (TRIMMED * calls).max((calls / WHOLE_CALL_FROM).min(1.0))
}

/// The aggregated parts of a run.
pub(crate) struct Aggregate {
    pub(crate) threads: Vec<ThreadInfo>,
    pub(crate) functions: Vec<FunctionStats>,
    pub(crate) call_tree: Vec<CallNode>,
}

/// A node of the merged tree, still in ticks.
struct Merged {
    function: usize,
    calls: u64,
    ticks: u64,
    /// What the node's own code did with the heap.
    own_allocs: AllocCounts,
    cpu_ns: u64,
    children: Vec<usize>,
    /// The slots of the threads' nodes merged here (instruction builds only).
    slots: Vec<u32>,
}

/// Per-function accumulator.
struct FunctionAcc {
    callsite: &'static Callsite,
    histogram: Histogram,
    max_ticks: u64,
    /// Calls that returned `Err` or unwound.
    errors: u64,
}

/// Merges the snapshots of every thread.
pub(crate) fn aggregate(threads: &[ThreadSnapshot]) -> Aggregate {
    let mut functions: Vec<FunctionAcc> = Vec::new();
    let mut function_index: HashMap<&'static str, usize> = HashMap::new();
    // Node 0 is the common root; `usize::MAX` is its function.
    let mut merged = vec![Merged {
        function: usize::MAX,
        calls: 0,
        ticks: 0,
        own_allocs: AllocCounts::default(),
        cpu_ns: 0,
        children: Vec::new(),
        slots: Vec::new(),
    }];
    let mut edge_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut thread_infos = Vec::new();

    for thread in threads {
        let mut map = vec![0usize; thread.nodes.len()];
        let mut thread_calls = 0;
        for (i, node) in thread.nodes.iter().enumerate().skip(1) {
            let function = *function_index
                .entry(node.callsite.name())
                .or_insert_with(|| {
                    functions.push(FunctionAcc {
                        callsite: node.callsite,
                        histogram: Histogram::new(),
                        max_ticks: 0,
                        errors: 0,
                    });
                    functions.len() - 1
                });
            let acc = &mut functions[function];
            acc.histogram.add(&node.histogram);
            acc.max_ticks = acc.max_ticks.max(node.max_ticks);
            acc.errors += node.errors;

            let parent = map[node.parent as usize];
            let next = merged.len();
            let m = *edge_index.entry((parent, function)).or_insert(next);
            if m == next {
                merged.push(Merged {
                    function,
                    calls: 0,
                    ticks: 0,
                    own_allocs: AllocCounts::default(),
                    cpu_ns: 0,
                    children: Vec::new(),
                    slots: Vec::new(),
                });
                merged[parent].children.push(m);
            }
            let target = &mut merged[m];
            target.calls += node.calls;
            target.ticks += node.ticks;
            target.own_allocs.add(node.allocs);
            target.cpu_ns += node.cpu_ns;
            target.slots.extend(node.slot);
            map[i] = m;
            thread_calls += node.calls;
        }
        if thread_calls > 0 {
            thread_infos.push(ThreadInfo::new(
                thread.index,
                thread.name.clone(),
                thread_calls,
            ));
        }
    }

    let stats = per_node_stats(&merged);
    let function_stats = per_function(&functions, &merged, &stats);
    let call_tree = call_tree(&functions, &merged, &stats);
    Aggregate {
        threads: thread_infos,
        functions: function_stats,
        call_tree,
    }
}

/// Derived figures of a merged node.
#[derive(Clone, Copy, Default)]
struct NodeFigures {
    self_ticks: u64,
    /// What its calls did with the heap, callees included: its own counts
    /// and its descendants'.
    total_allocs: AllocCounts,
    /// No frame of the same function is above this one.
    outermost: bool,
}

fn per_node_stats(merged: &[Merged]) -> Vec<NodeFigures> {
    let mut figures = vec![NodeFigures::default(); merged.len()];
    for (i, node) in merged.iter().enumerate() {
        let child_ticks: u64 = node.children.iter().map(|&c| merged[c].ticks).sum();
        figures[i].self_ticks = node.ticks.saturating_sub(child_ticks);
    }
    // Children come after their parents: from the last node back, each
    // node's total is complete when it is added to its parent's.
    for i in (0..merged.len()).rev() {
        let mut total = merged[i].own_allocs;
        for &c in &merged[i].children {
            total.add(figures[c].total_allocs);
        }
        figures[i].total_allocs = total;
    }
    // Depth-first walk with a count of each function on the current path.
    let mut on_path: HashMap<usize, u32> = HashMap::new();
    let mut stack: Vec<(usize, bool)> = merged[0]
        .children
        .iter()
        .rev()
        .map(|&c| (c, true))
        .collect();
    while let Some((i, entering)) = stack.pop() {
        let function = merged[i].function;
        if entering {
            let depth = on_path.entry(function).or_insert(0);
            figures[i].outermost = *depth == 0;
            *depth += 1;
            stack.push((i, false));
            stack.extend(merged[i].children.iter().rev().map(|&c| (c, true)));
        } else if let Some(depth) = on_path.get_mut(&function) {
            *depth -= 1;
        }
    }
    figures
}

fn per_function(
    functions: &[FunctionAcc],
    merged: &[Merged],
    figures: &[NodeFigures],
) -> Vec<FunctionStats> {
    #[derive(Default, Clone, Copy)]
    struct Sums {
        calls: u64,
        all_ticks: u64,
        total_ticks: u64,
        self_ticks: u64,
        cpu_ns: u64,
        total_allocs: AllocCounts,
        self_allocs: AllocCounts,
    }
    let mut sums = vec![Sums::default(); functions.len()];
    for (node, fig) in merged.iter().zip(figures).skip(1) {
        let s = &mut sums[node.function];
        s.calls += node.calls;
        s.all_ticks += node.ticks;
        s.self_ticks += fig.self_ticks;
        s.self_allocs.add(node.own_allocs);
        if fig.outermost {
            s.total_ticks += node.ticks;
            s.cpu_ns += node.cpu_ns;
            s.total_allocs.add(fig.total_allocs);
        }
    }
    let mut out: Vec<FunctionStats> = functions
        .iter()
        .zip(&sums)
        .filter(|(_, s)| s.calls > 0)
        .map(|(f, s)| {
            let max = f.max_ticks;
            let q = |q: f64| ticks_to_ns(f.histogram.quantile(q, max));
            let mut stats =
                FunctionStats::new(f.callsite.name(), f.callsite.file(), f.callsite.line());
            stats.calls = s.calls;
            stats.errors = f.errors;
            stats.total_ns = ticks_to_ns(s.total_ticks);
            stats.self_ns = ticks_to_ns(s.self_ticks);
            stats.mean_ns = ticks_to_ns(s.all_ticks / s.calls);
            // In ticks and floating point: no rounding, even for a 5 ns function.
            let (all, calls) = (s.all_ticks as f64, s.calls as f64);
            let (slowest, slowest_ticks) = f.histogram.slowest(trimmed_calls(calls), max);
            stats.trimmed_ratio = (all > 0.0 && calls > slowest).then(|| {
                let trimmed = (all - slowest_ticks).max(0.0) / (calls - slowest);
                (trimmed / (all / calls)).min(1.0)
            });
            stats.p50_ns = q(0.50);
            stats.p95_ns = q(0.95);
            stats.p99_ns = q(0.99);
            stats.max_ns = ticks_to_ns(max);
            stats.cpu_ns = (f.callsite.cpu() && cpu_time::SUPPORTED).then_some(s.cpu_ns);
            stats.self_allocs = s.self_allocs.allocs;
            stats.total_allocs = s.total_allocs.allocs;
            stats.self_alloc_bytes = s.self_allocs.bytes;
            stats.total_alloc_bytes = s.total_allocs.bytes;
            stats.self_freed_bytes = s.self_allocs.freed;
            stats.total_freed_bytes = s.total_allocs.freed;
            stats
        })
        .collect();
    out.sort_by(|a, b| b.self_ns.cmp(&a.self_ns).then_with(|| a.name.cmp(&b.name)));
    out
}

/// The merged tree in depth-first order, heaviest child first.
fn call_tree(
    functions: &[FunctionAcc],
    merged: &[Merged],
    figures: &[NodeFigures],
) -> Vec<CallNode> {
    let mut out = Vec::with_capacity(merged.len().saturating_sub(1));
    let sorted_children = |i: usize| {
        let mut children = merged[i].children.clone();
        children.sort_by(|&a, &b| merged[b].ticks.cmp(&merged[a].ticks));
        children
    };
    let mut stack: Vec<(usize, Option<u32>)> = sorted_children(0)
        .into_iter()
        .rev()
        .map(|c| (c, None))
        .collect();
    while let Some((i, parent)) = stack.pop() {
        let node = &merged[i];
        let fig = &figures[i];
        let id = out.len() as u32;
        let mut call = CallNode::new(id, parent, functions[node.function].callsite.name());
        call.calls = node.calls;
        call.total_ns = ticks_to_ns(node.ticks);
        call.self_ns = ticks_to_ns(fig.self_ticks);
        call.total_allocs = fig.total_allocs.allocs;
        call.self_allocs = node.own_allocs.allocs;
        call.total_alloc_bytes = fig.total_allocs.bytes;
        call.self_alloc_bytes = node.own_allocs.bytes;
        call.total_freed_bytes = fig.total_allocs.freed;
        call.self_freed_bytes = node.own_allocs.freed;
        call.slots.clone_from(&node.slots);
        out.push(call);
        stack.extend(sorted_children(i).into_iter().rev().map(|c| (c, Some(id))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_call_in_a_hundred_is_trimmed_and_at_least_one_from_twenty() {
        assert_eq!(trimmed_calls(1_000.0), 10.0);
        assert_eq!(trimmed_calls(100.0), 1.0);
        // 60 calls: the slowest whole, not 0.6 of it.
        assert_eq!(trimmed_calls(60.0), 1.0);
        assert_eq!(trimmed_calls(20.0), 1.0);
        // Below 20 calls, 5% of them: never a whole call of two.
        assert_eq!(trimmed_calls(10.0), 0.5);
        assert_eq!(trimmed_calls(2.0), 0.1);
    }
}
