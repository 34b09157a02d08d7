//! What one look at a running session sees: every thread's call tree as it
//! is now, merged per function, with each function's durations counted into
//! the fixed buckets the metrics publish.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use crate::aggregate::{Aggregate, aggregate};
use crate::histogram::bucket_bounds;
use crate::model::{CallNode, FunctionStats, RunData};
use crate::{alloc, clock, recorder};

/// The upper bounds of the duration histogram's buckets, in seconds: the
/// E24 series (24 a decade, each at most 15.4% above the last) from 100 ns
/// to 100 s. Fixed, so that series keep their `le` across restarts and
/// hosts; a p95 interpolated within one is off by less than its width.
pub(crate) const BUCKET_BOUNDS: [f64; 217] = bucket_grid();

const E24: [u16; 24] = [
    10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91,
];

const fn bucket_grid() -> [f64; 217] {
    // Divided by an exact power of ten, each bound is the double nearest its
    // decimal: 10 / 1e8 s is 100 ns.
    const DIVISORS: [f64; 9] = [1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1e0];
    let mut grid = [0.0; 217];
    let mut decade = 0;
    while decade < 9 {
        let mut i = 0;
        while i < 24 {
            grid[decade * 24 + i] = E24[i] as f64 / DIVISORS[decade];
            i += 1;
        }
        decade += 1;
    }
    grid[216] = 100.0;
    grid
}

/// The index of the first bucket whose bound is at least `seconds`, or
/// `BUCKET_BOUNDS.len()` (the `+Inf` bucket) past the last.
pub(crate) fn bucket_index(seconds: f64) -> usize {
    // The bounds are rounded decimals: compare with a hair of slack, so that
    // a duration of exactly 1 ms lands in `le="0.001"`.
    BUCKET_BOUNDS.partition_point(|&bound| bound * (1.0 + 1e-9) < seconds)
}

/// One function's durations in the published buckets.
#[derive(Clone, Debug, Default)]
pub(crate) struct Durations {
    /// Calls per bucket of [`BUCKET_BOUNDS`], then the `+Inf` one.
    pub(crate) buckets: Vec<u64>,
    /// All calls' wall time, callees and recursion included, in seconds.
    pub(crate) sum_seconds: f64,
}

impl Durations {
    /// Calls counted.
    pub(crate) fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// The session's figures at one moment.
pub(crate) struct Figures {
    /// Per function, heaviest self time first (as `run.json`).
    pub(crate) functions: Vec<FunctionStats>,
    /// The merged call tree (as `run.json`).
    pub(crate) call_tree: Vec<CallNode>,
    pub(crate) threads: Vec<crate::model::ThreadInfo>,
    /// Per function name, its durations.
    pub(crate) durations: HashMap<&'static str, Durations>,
    /// The live heap and its peak since the session started, when
    /// `PerfAlloc` tracks allocations.
    pub(crate) heap: Option<(u64, u64)>,
    /// When they were read.
    pub(crate) taken: Instant,
}

/// What the server knows of its session.
#[derive(Clone, Debug)]
pub(crate) struct SessionSource {
    pub(crate) name: String,
    pub(crate) generation: u32,
    pub(crate) started: Instant,
    pub(crate) started_at: SystemTime,
    pub(crate) alloc_tracking: bool,
}

impl SessionSource {
    /// Reads every thread's tree now. Takes each tree's lock only while its
    /// nodes are copied; no instrumented call waits unless it is making a
    /// node at that moment.
    pub(crate) fn figures(&self) -> Figures {
        let threads = recorder::snapshot_live(self.generation);
        let mut durations: HashMap<&'static str, Durations> = HashMap::new();
        for node in threads.iter().flat_map(|t| t.nodes.iter().skip(1)) {
            let d = durations.entry(node.callsite.name()).or_default();
            if d.buckets.is_empty() {
                d.buckets = vec![0; BUCKET_BOUNDS.len() + 1];
            }
            d.sum_seconds += clock::ticks_to_ns(node.ticks) as f64 / 1e9;
            for &(bucket, n) in &node.histogram {
                let (low, width) = bucket_bounds(usize::from(bucket));
                let middle = clock::ticks_to_ns(low + width / 2) as f64 / 1e9;
                d.buckets[bucket_index(middle)] += n;
            }
        }
        let Aggregate {
            threads: thread_infos,
            functions,
            call_tree,
        } = aggregate(&threads);
        let heap = self
            .alloc_tracking
            .then(|| (alloc::heap_now().live, alloc::peak().0));
        Figures {
            functions,
            call_tree,
            threads: thread_infos,
            durations,
            heap,
            taken: Instant::now(),
        }
    }

    /// How long the session has run.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The run so far, as `run.json` will hold it when the session ends
    /// (no trace, CPU profile or heap timeline yet).
    pub(crate) fn run_so_far(&self, figures: Figures) -> RunData {
        let mut env = crate::model::Environment::capture(self.started_at);
        crate::session::describe_build(&mut env);
        let id = format!("{}-live", self.name);
        let mut data = RunData::new(id, self.name.clone(), env);
        data.duration_ns = u64::try_from(self.elapsed().as_nanos()).unwrap_or(u64::MAX);
        data.alloc_tracking = self.alloc_tracking;
        data.threads = figures.threads;
        data.functions = figures.functions;
        data.call_tree = figures.call_tree;
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_round_and_rising() {
        assert_eq!(BUCKET_BOUNDS[0], 1e-7);
        assert_eq!(BUCKET_BOUNDS[24], 1e-6);
        assert_eq!(BUCKET_BOUNDS[216], 100.0);
        for pair in BUCKET_BOUNDS.windows(2) {
            assert!(pair[1] > pair[0] && pair[1] / pair[0] < 1.155, "{pair:?}");
        }
        // Printed as Prometheus sees them: short decimals.
        assert_eq!(format!("{}", BUCKET_BOUNDS[24 * 4 + 9]), "0.0024");
    }

    #[test]
    fn a_duration_falls_in_the_first_bucket_that_holds_it() {
        assert_eq!(bucket_index(0.0), 0);
        assert_eq!(bucket_index(1e-7), 0);
        assert_eq!(bucket_index(1.05e-7), 1);
        assert_eq!(bucket_index(0.001), 24 * 4);
        assert_eq!(bucket_index(1e3), BUCKET_BOUNDS.len());
    }
}
