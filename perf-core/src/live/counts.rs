//! What `/metrics` publishes, counted straight from the threads' trees in
//! one pass: per function its calls, errors, self time, the allocations of
//! its calls (callees included, recursion once, as the budgets count them)
//! and its durations in the published buckets, read in place under each
//! tree's lock (see [`visit_live`](crate::recorder::visit_live)). No node is
//! copied, no call tree merged and no percentile computed.

use std::collections::HashMap;

use crate::callsite::Callsite;
use crate::clock;
use crate::histogram::{BUCKETS, bucket_bounds};
use crate::recorder::{AllocCounts, NodeView};

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

/// One function's figures as `/metrics` publishes them.
#[derive(Clone, Debug, Default)]
pub(crate) struct FunctionCounts {
    pub(crate) name: &'static str,
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    /// Wall time inside it minus its instrumented callees, in seconds.
    pub(crate) self_seconds: f64,
    /// The heap calls of its calls, callees included, recursion once.
    pub(crate) allocs: AllocCounts,
    /// Calls per bucket of [`BUCKET_BOUNDS`], then the `+Inf` one.
    pub(crate) buckets: Vec<u64>,
    /// All calls' wall time, callees and recursion included, in seconds.
    pub(crate) sum_seconds: f64,
}

impl FunctionCounts {
    /// Calls counted in the buckets.
    pub(crate) fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// Ticks and heap calls summed per callsite (a pointer's hash) as the
/// threads are visited; named, and merged by name, at the end.
pub(crate) struct Counter {
    /// Each internal histogram bucket's published one, by its middle.
    published: Vec<u16>,
    accs: Vec<Acc>,
    index: HashMap<*const Callsite, usize>,
    children_ticks: Vec<u64>,
    subtree: Vec<AllocCounts>,
}

/// One callsite's sums.
struct Acc {
    callsite: &'static Callsite,
    calls: u64,
    errors: u64,
    self_ticks: u64,
    all_ticks: u64,
    allocs: AllocCounts,
    buckets: Vec<u64>,
}

impl Counter {
    /// A counter with nothing counted.
    pub(crate) fn new() -> Self {
        let published = (0..BUCKETS)
            .map(|bucket| {
                let (low, width) = bucket_bounds(bucket);
                let middle = clock::ticks_to_ns(low + width / 2) as f64 / 1e9;
                bucket_index(middle) as u16
            })
            .collect();
        Counter {
            published,
            accs: Vec::new(),
            index: HashMap::new(),
            children_ticks: Vec::new(),
            subtree: Vec::new(),
        }
    }

    /// Counts one thread's tree (root first, parents before their children).
    pub(crate) fn thread(&mut self, nodes: &[NodeView<'_>]) {
        self.children_ticks.clear();
        self.children_ticks.resize(nodes.len(), 0);
        self.subtree.clear();
        self.subtree.extend(nodes.iter().map(|n| n.allocs));
        // One pass backwards sums each subtree's heap calls and each
        // node's callees' time.
        for i in (1..nodes.len()).rev() {
            let parent = nodes[i].parent as usize;
            self.children_ticks[parent] += nodes[i].ticks;
            let own = self.subtree[i];
            self.subtree[parent].add(own);
        }
        for (i, node) in nodes.iter().enumerate().skip(1) {
            let accs = &mut self.accs;
            let at = *self
                .index
                .entry(std::ptr::from_ref(node.callsite))
                .or_insert_with(|| {
                    accs.push(Acc {
                        callsite: node.callsite,
                        calls: 0,
                        errors: 0,
                        self_ticks: 0,
                        all_ticks: 0,
                        allocs: AllocCounts::default(),
                        buckets: vec![0; BUCKET_BOUNDS.len() + 1],
                    });
                    accs.len() - 1
                });
            let acc = &mut self.accs[at];
            acc.calls += node.calls;
            acc.errors += node.errors;
            acc.all_ticks += node.ticks;
            acc.self_ticks += node.ticks.saturating_sub(self.children_ticks[i]);
            if outermost(nodes, i) {
                acc.allocs.add(self.subtree[i]);
            }
            let published = &self.published;
            node.buckets(|bucket, n| {
                acc.buckets[usize::from(published[usize::from(bucket)])] += n;
            });
        }
    }

    /// The functions counted, by name (callsites of one name are one
    /// function, as in `run.json`).
    pub(crate) fn finish(self) -> Vec<FunctionCounts> {
        let mut by_name: HashMap<&'static str, FunctionCounts> = HashMap::new();
        for acc in self.accs {
            let f = by_name
                .entry(acc.callsite.name())
                .or_insert_with(|| FunctionCounts {
                    name: acc.callsite.name(),
                    buckets: vec![0; BUCKET_BOUNDS.len() + 1],
                    ..FunctionCounts::default()
                });
            f.calls += acc.calls;
            f.errors += acc.errors;
            f.self_seconds += clock::ticks_to_ns(acc.self_ticks) as f64 / 1e9;
            f.sum_seconds += clock::ticks_to_ns(acc.all_ticks) as f64 / 1e9;
            f.allocs.add(acc.allocs);
            for (into, n) in f.buckets.iter_mut().zip(acc.buckets) {
                *into += n;
            }
        }
        let mut functions: Vec<FunctionCounts> = by_name.into_values().collect();
        functions.sort_unstable_by_key(|f| f.name);
        functions
    }
}

/// Whether node `i` has no ancestor of the same function: its subtree's
/// heap calls are the function's, not counted already by an outer call.
fn outermost(nodes: &[NodeView<'_>], i: usize) -> bool {
    let name = nodes[i].callsite.name();
    let mut at = nodes[i].parent as usize;
    while at != 0 {
        if nodes[at].callsite.name() == name {
            return false;
        }
        at = nodes[at].parent as usize;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::recorder::NodeSnapshot;

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

    static ROOT: Callsite = Callsite::new("(root)", "", 0, false);
    static A: Callsite = Callsite::new("a", "a.rs", 1, false);
    static B: Callsite = Callsite::new("b", "b.rs", 1, false);

    fn node(callsite: &'static Callsite, parent: u32, ticks: u64, allocs: u64) -> NodeSnapshot {
        NodeSnapshot {
            callsite,
            parent,
            calls: 1,
            ticks,
            max_ticks: ticks,
            allocs: AllocCounts {
                allocs,
                bytes: allocs * 10,
                freed: 0,
            },
            cpu_ns: 0,
            errors: u64::from(ptr::eq(callsite, &B)),
            histogram: vec![(40, 1)],
            slot: None,
        }
    }

    #[test]
    fn callees_count_in_allocations_once_under_recursion_and_not_in_self_time() {
        // a (100 ticks, 1 alloc) → b (60, 2) → a (20, 4)
        let nodes = [
            node(&ROOT, 0, 0, 0),
            node(&A, 0, 100, 1),
            node(&B, 1, 60, 2),
            node(&A, 2, 20, 4),
        ];
        let views: Vec<NodeView<'_>> = nodes.iter().map(NodeView::of).collect();
        let mut counter = Counter::new();
        counter.thread(&views);
        let counts = counter.finish();
        let [a, b] = &counts[..] else {
            panic!("{counts:?}")
        };
        assert_eq!((a.name, a.calls, a.errors, a.allocs.allocs), ("a", 2, 0, 7));
        assert_eq!((b.name, b.calls, b.errors, b.allocs.allocs), ("b", 1, 1, 6));
        let seconds = |ticks| clock::ticks_to_ns(ticks) as f64 / 1e9;
        assert_eq!(a.self_seconds, seconds(40 + 20));
        assert_eq!(b.self_seconds, seconds(40));
        assert_eq!((a.count(), b.count()), (2, 1));
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
