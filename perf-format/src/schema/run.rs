//! `perf-run/1`: the `run.json` a session writes.
//!
//! Durations are in nanoseconds; "self" excludes time or allocations of
//! instrumented callees, "total" includes them. Recursion counts once in
//! totals: a frame whose function is already on the stack adds its calls but
//! not its time.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::env::Environment;
use crate::Error;
use crate::files::Document;

/// The schema tag of `run.json`.
pub const RUN_SCHEMA: &str = "perf-run/1";

/// A whole run: one session of one process.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunData {
    /// Always [`RUN_SCHEMA`].
    pub schema: String,
    /// The run's id, also its directory name under `runs/`.
    pub id: String,
    /// The session name given to `Session::start`.
    pub name: String,
    /// Where and when the run was made.
    pub env: Environment,
    /// Wall time from session start to finish.
    pub duration_ns: u64,
    /// Whether `PerfAlloc` was the global allocator (allocation fields are 0 if not).
    pub alloc_tracking: bool,
    /// Threads that recorded calls.
    pub threads: Vec<ThreadInfo>,
    /// Per function, by self time, largest first.
    pub functions: Vec<FunctionStats>,
    /// The call tree merged over threads, parents before children; a node is
    /// one edge caller → callee reached through one path.
    pub call_tree: Vec<CallNode>,
    /// How much of the run `trace.json` shows.
    pub trace: TraceInfo,
    /// The CPU sampling of the whole process (feature `cpu`), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_profile: Option<CpuProfileInfo>,
    /// The heap over the session: live and peak bytes, and a timeline.
    /// Present when `alloc_tracking` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<HeapInfo>,
    /// perf's own cost per recorded call on this machine, measured when the
    /// session started; absent when nothing could be measured (recording
    /// off, an instruction build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Overhead>,
}

/// What recording one call costs, measured as a session starts: calls of an
/// empty function, timed from outside (the whole cost) and as recorded
/// (the part inside the call's own window).
///
/// Of the whole cost of a call, `inside_ns` lands in the callee's own time
/// and the rest (`call_ns − inside_ns`) in its caller's self time: a
/// function's self time per call holds about `inside_ns + (its callees'
/// calls per call) × (call_ns − inside_ns)` of perf's own cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Overhead {
    /// The whole cost of one recorded call of an empty function.
    pub call_ns: f64,
    /// The part of it that the call's own time holds.
    pub inside_ns: f64,
}

impl Overhead {
    /// A measured overhead.
    pub fn new(call_ns: f64, inside_ns: f64) -> Overhead {
        Overhead { call_ns, inside_ns }
    }

    /// perf's own cost in the self time of a function called `calls` times
    /// whose callees were called `callee_calls` times in all.
    pub fn in_self_time(&self, calls: u64, callee_calls: u64) -> f64 {
        calls as f64 * self.inside_ns
            + callee_calls as f64 * (self.call_ns - self.inside_ns).max(0.0)
    }
}

/// The heap over a session, as `PerfAlloc` saw it: every block allocated
/// through it and not yet freed, on any thread, perf's own bookkeeping (its
/// call trees, trace buffers and this timeline) left out. Byte counts are
/// of the sizes asked for, not what the allocator rounds them up to.
///
/// Live bytes count from the start of the program, not of the session:
/// what was live when the session began is `start_live_bytes`, so the
/// session's own growth is `live_bytes − start_live_bytes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeapInfo {
    /// Live bytes when the session finished.
    pub live_bytes: u64,
    /// The most bytes live at once while the session ran.
    pub peak_bytes: u64,
    /// When the peak was reached, since the session started.
    pub peak_at_ns: u64,
    /// Blocks freed while the session ran, on every thread.
    pub frees: u64,
    /// Reallocations while the session ran, on every thread: each counted
    /// once, by its size change (not as an allocation and a free).
    pub reallocs: u64,
    /// Live bytes over the session: a point at least every 100 ms (every
    /// 50 ms as the sampler is timed), one at each new peak since the
    /// previous point, one at the lowest between two of those points when
    /// it dipped below them (the low-water mark), one at the start and one
    /// at the finish; by time.
    pub timeline: Vec<HeapPoint>,
    /// Live bytes when the session started.
    #[serde(default)]
    pub start_live_bytes: u64,
}

/// One point of the heap timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeapPoint {
    /// Time since the session started.
    pub t_ns: u64,
    /// Live bytes then.
    pub live_bytes: u64,
}

/// What CPU sampling (feature `cpu`) saw of the whole run. Its stacks are
/// in `cpu.folded` beside `run.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CpuProfileInfo {
    /// Samples asked for per second of CPU time, per thread.
    pub frequency_hz: u32,
    /// Samples taken.
    pub samples: u64,
    /// Distinct stacks among them.
    pub stacks: u64,
    /// CPU time the whole process used while sampling ran: at the asked
    /// rate it would have given `cpu_time_ns × frequency_hz / 1e9` samples;
    /// fewer arrive when the kernel's tick caps the rate, and samples taken
    /// inside the C library or the vDSO are skipped.
    #[serde(default)]
    pub cpu_time_ns: u64,
}

/// One thread that recorded calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ThreadInfo {
    /// The thread's number in the trace (`tid`).
    pub index: u32,
    /// The thread's name, if it has one.
    pub name: Option<String>,
    /// Calls recorded on the thread.
    pub calls: u64,
}

/// Everything measured about one function (or scope), over all threads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionStats {
    /// `module::path::fn_name`, or the name given.
    pub name: String,
    /// Source file.
    pub file: String,
    /// Source line.
    pub line: u32,
    /// Number of calls (every frame, recursive ones too).
    pub calls: u64,
    /// Calls that failed: returned `Err` (a `#[profile]` function whose
    /// return type is a `Result`) or unwound from a panic. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors: u64,
    /// Wall time inside the function, callees included, recursion once.
    pub total_ns: u64,
    /// Wall time inside the function minus its instrumented callees.
    pub self_ns: u64,
    /// Mean wall time per call.
    pub mean_ns: u64,
    /// The mean wall time per call without the slowest calls (1% of them,
    /// at least the slowest one from 20 calls up, 5% below; the last one in
    /// part), over the mean: at most 1. One interrupted call (a lost
    /// timeslice) does not move the trimmed mean; records scale time/call
    /// and self time/call by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimmed_ratio: Option<f64>,
    /// Median wall time per call (within 1.6%).
    pub p50_ns: u64,
    /// 95th percentile of wall time per call (within 1.6%).
    pub p95_ns: u64,
    /// 99th percentile of wall time per call (within 1.6%).
    pub p99_ns: u64,
    /// Longest call.
    pub max_ns: u64,
    /// Thread CPU time, for `#[profile(cpu)]` functions; wall − CPU is time
    /// spent off the CPU (I/O, locks, sleep).
    pub cpu_ns: Option<u64>,
    /// Allocations made by the function's own code.
    pub self_allocs: u64,
    /// Allocations made during its calls, callees included.
    pub total_allocs: u64,
    /// Bytes allocated by the function's own code.
    pub self_alloc_bytes: u64,
    /// Bytes allocated during its calls, callees included.
    pub total_alloc_bytes: u64,
    /// Bytes freed by the function's own code (a shrinking reallocation
    /// frees its size change), on the thread of the call. With
    /// `self_alloc_bytes`, what its own code kept: the difference may be
    /// negative, when it frees what its caller allocated.
    #[serde(default)]
    pub self_freed_bytes: u64,
    /// Bytes freed during its calls, callees included, on the thread of the
    /// call: `total_alloc_bytes − total_freed_bytes` is what its calls kept
    /// (see [`FunctionStats::net_bytes_per_call`]).
    #[serde(default)]
    pub total_freed_bytes: u64,
    /// CPU samples taken while the function ran (feature `cpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_samples: Option<CpuSamples>,
    /// Instruction records (`cargo perf record --instructions`): the
    /// instructions of all the function's calls, callees included, counted
    /// once under recursion as `total_ns` is: the sum of
    /// [`CallNode::total_instructions`] over its call-tree nodes that have
    /// no ancestor node of the same function. Absent in other runs, and when
    /// some of its calls ran outside a slot (`scope!`, tracing spans, nodes
    /// made after every slot was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_instructions: Option<u64>,
    /// The instructions of its own code: [`CallNode::self_instructions`]
    /// summed over all its nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_instructions: Option<u64>,
    /// Estimated CPU cycles of its calls, callees included, summed as
    /// `total_instructions` is (see [`CallNode::total_est_cycles`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_est_cycles: Option<u64>,
    /// Estimated CPU cycles of its own code, summed over all its nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_est_cycles: Option<u64>,
}

/// The CPU samples (feature `cpu`) credited to one function: those whose
/// stack holds its code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CpuSamples {
    /// Samples with the function anywhere on the stack.
    pub total: u64,
    /// Samples with the function as the innermost instrumented one on the stack.
    #[serde(rename = "self")]
    pub self_: u64,
    /// `total` as a share of all the run's samples, 0 to 1.
    pub share: f64,
}

/// One node of the merged call tree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallNode {
    /// Index of this node in `call_tree`.
    pub id: u32,
    /// The caller's node, `None` for a top-level call.
    pub parent: Option<u32>,
    /// The function called.
    pub function: String,
    /// Calls along this path.
    pub calls: u64,
    /// Wall time of those calls, callees included.
    pub total_ns: u64,
    /// Wall time of those calls minus instrumented callees.
    pub self_ns: u64,
    /// Allocations of those calls, callees included.
    pub total_allocs: u64,
    /// Allocations of those calls' own code.
    pub self_allocs: u64,
    /// Bytes of those calls, callees included.
    pub total_alloc_bytes: u64,
    /// Bytes of those calls' own code.
    pub self_alloc_bytes: u64,
    /// Bytes freed during those calls, callees included.
    #[serde(default)]
    pub total_freed_bytes: u64,
    /// Bytes freed by those calls' own code.
    #[serde(default)]
    pub self_freed_bytes: u64,
    /// In an instruction build (`cargo perf record --instructions`): the
    /// slots this node's calls ran through, one per thread that made them.
    /// Each slot is a function `perf_slot_K` of its own, so callgrind's
    /// inclusive cost of `perf_slot_K` is what those calls cost; the node's
    /// cost is the sum over its slots. Empty in other builds, and for calls
    /// made once every slot was taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<u32>,
    /// Instructions of those calls, callees included (instruction records:
    /// callgrind's inclusive cost of `slots`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_instructions: Option<u64>,
    /// Instructions of those calls minus their instrumented callees'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_instructions: Option<u64>,
    /// Estimated CPU cycles of those calls, callees included, from
    /// callgrind's cache simulation: `Ir + Dr + Dw + 4·(I1mr + D1mr + D1mw)
    /// + 30·(ILmr + DLmr + DLmw)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_est_cycles: Option<u64>,
    /// Estimated CPU cycles minus their instrumented callees'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_est_cycles: Option<u64>,
}

/// How complete `trace.json` is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceInfo {
    /// Spans written to the trace.
    pub events: u64,
    /// Spans left out because a thread's trace log was full (the call
    /// statistics still count them).
    pub dropped_events: u64,
}

impl RunData {
    /// An empty run `id` of session `name`, made in `env`.
    pub fn new(id: impl Into<String>, name: impl Into<String>, env: Environment) -> RunData {
        RunData {
            schema: RUN_SCHEMA.to_owned(),
            id: id.into(),
            name: name.into(),
            env,
            ..RunData::default()
        }
    }

    /// Reads a `run.json`, refusing files of another schema.
    pub fn load(path: &Path) -> Result<RunData, Error> {
        crate::files::load(path)
    }

    /// The stats of the function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionStats> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Per function with self time, the share of it that is perf's own
    /// cost by the run's [`Overhead`] (at most 1): its own calls' part plus
    /// its callees' calls' part in it, of its self time trimmed of its
    /// slowest calls (`trimmed_ratio`) as records trim it. Empty without an
    /// overhead.
    pub fn own_cost_shares(&self) -> BTreeMap<&str, f64> {
        let Some(overhead) = self.overhead else {
            return BTreeMap::new();
        };
        let mut callee_calls: BTreeMap<&str, u64> = BTreeMap::new();
        for node in &self.call_tree {
            let caller = node
                .parent
                .and_then(|parent| self.call_tree.get(parent as usize));
            if let Some(caller) = caller {
                *callee_calls.entry(caller.function.as_str()).or_default() += node.calls;
            }
        }
        self.functions
            .iter()
            .filter(|f| f.self_ns > 0)
            .map(|f| {
                let callees = callee_calls.get(f.name.as_str()).copied().unwrap_or(0);
                let cost = overhead.in_self_time(f.calls, callees);
                // Trimmed as records trim it: a lost timeslice is not the code's.
                let own = f.self_ns as f64 * f.trimmed_ratio.unwrap_or(1.0);
                (f.name.as_str(), (cost / own).min(1.0))
            })
            .collect()
    }
}

impl Document for RunData {
    const SCHEMAS: &'static [&'static str] = &[RUN_SCHEMA];

    /// Every node's id is its place in the tree, and its parent comes
    /// before it, as the tree is written.
    fn validate(&self, path: &Path) -> Result<(), Error> {
        if let Some(reason) = crate::layout::name_problem(&self.id) {
            return Err(Error::invalid(
                path,
                format!("its id {:?} cannot name a file: {reason}", self.id),
            ));
        }
        for (i, node) in self.call_tree.iter().enumerate() {
            if node.id as usize != i {
                return Err(Error::invalid(
                    path,
                    format!(
                        "call_tree node {i} ({:?}) has id {}: each node's id is its place in the tree",
                        node.function, node.id
                    ),
                ));
            }
            if node.parent.is_some_and(|p| p as usize >= i) {
                return Err(Error::invalid(
                    path,
                    format!(
                        "call_tree node {i} ({:?}) names parent {} which does not come before it",
                        node.function,
                        node.parent.unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl FunctionStats {
    /// A function with nothing measured yet.
    pub fn new(name: impl Into<String>, file: impl Into<String>, line: u32) -> FunctionStats {
        FunctionStats {
            name: name.into(),
            file: file.into(),
            line,
            ..FunctionStats::default()
        }
    }

    /// Bytes its calls allocated and had not freed by their end, per call:
    /// `(total_alloc_bytes − total_freed_bytes) / calls`, negative when its
    /// calls free more than they allocate; 0 without calls.
    pub fn net_bytes_per_call(&self) -> f64 {
        if self.calls == 0 {
            return 0.0;
        }
        (self.total_alloc_bytes as f64 - self.total_freed_bytes as f64) / self.calls as f64
    }
}

impl CallNode {
    /// Node `id` calling `function` under `parent`, with nothing measured yet.
    pub fn new(id: u32, parent: Option<u32>, function: impl Into<String>) -> CallNode {
        CallNode {
            id,
            parent,
            function: function.into(),
            ..CallNode::default()
        }
    }
}

impl ThreadInfo {
    /// Thread `index`, named `name`, that recorded `calls`.
    pub fn new(index: u32, name: Option<String>, calls: u64) -> ThreadInfo {
        ThreadInfo { index, name, calls }
    }
}

impl TraceInfo {
    /// A trace of `events` spans that left out `dropped_events`.
    pub fn new(events: u64, dropped_events: u64) -> TraceInfo {
        TraceInfo {
            events,
            dropped_events,
        }
    }
}

impl HeapPoint {
    /// `live_bytes` live at `t_ns` since the session started.
    pub fn new(t_ns: u64, live_bytes: u64) -> HeapPoint {
        HeapPoint { t_ns, live_bytes }
    }
}

impl CpuSamples {
    /// `total` samples with the function on the stack, `self_` with it
    /// innermost, of `all` samples in the run.
    pub fn new(total: u64, self_: u64, all: u64) -> CpuSamples {
        CpuSamples {
            total,
            self_,
            share: if all == 0 {
                0.0
            } else {
                total as f64 / all as f64
            },
        }
    }
}

impl CpuProfileInfo {
    /// `samples` on `stacks` distinct stacks at `frequency_hz`, over
    /// `cpu_time_ns` of the process's CPU time.
    pub fn new(frequency_hz: u32, samples: u64, stacks: u64, cpu_time_ns: u64) -> CpuProfileInfo {
        CpuProfileInfo {
            frequency_hz,
            samples,
            stacks,
            cpu_time_ns,
        }
    }
}

/// Whether a count is zero: left out of the file.
fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_whose_parent_comes_later_is_refused() {
        let mut run = RunData::new("r", "app", Environment::default());
        run.call_tree = vec![CallNode::new(0, Some(1), "a"), CallNode::new(1, None, "b")];
        let err = run.validate(Path::new("run.json")).unwrap_err();
        assert!(err.to_string().contains("node 0 (\"a\") names parent 1"));
    }

    #[test]
    fn a_tree_with_repeated_or_missing_ids_is_refused() {
        let mut run = RunData::new("r", "app", Environment::default());
        for ids in [[0, 0], [0, 2]] {
            run.call_tree = vec![
                CallNode::new(ids[0], None, "a"),
                CallNode::new(ids[1], Some(0), "b"),
            ];
            let err = run.validate(Path::new("run.json")).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("call_tree node 1 (\"b\") has id {}", ids[1])),
                "{err}"
            );
        }
    }
}
