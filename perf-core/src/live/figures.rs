//! What one look at a running session sees: every thread's call tree as it
//! is now, merged per function and per call path as `run.json` merges them.

use std::time::{Duration, Instant};

use super::counts::{Counter, FunctionCounts};
use crate::aggregate::{Aggregate, aggregate};
use crate::model::{CallNode, FunctionStats, RunData};
use crate::{alloc, recorder};

/// The session's figures at one moment.
pub(crate) struct Figures {
    /// Per function, heaviest self time first (as `run.json`).
    pub(crate) functions: Vec<FunctionStats>,
    /// The merged call tree (as `run.json`).
    pub(crate) call_tree: Vec<CallNode>,
    pub(crate) threads: Vec<crate::model::ThreadInfo>,
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
    pub(crate) alloc_tracking: bool,
    /// The session's environment, captured once (it runs `git`).
    pub(crate) env: crate::model::Environment,
}

impl SessionSource {
    /// Reads every thread's tree now. Takes each tree's lock only while its
    /// nodes are copied; no instrumented call waits unless it is making a
    /// node at that moment.
    pub(crate) fn figures(&self) -> Figures {
        let threads = recorder::snapshot_live(self.generation);
        let Aggregate {
            threads: thread_infos,
            functions,
            call_tree,
        } = aggregate(&threads);
        Figures {
            functions,
            call_tree,
            threads: thread_infos,
            heap: self.heap(),
            taken: Instant::now(),
        }
    }

    /// What `/metrics` publishes, read as [`figures`](Self::figures) reads
    /// but counted in one pass (see [`counts`](super::counts)).
    pub(crate) fn counts(&self) -> (Vec<FunctionCounts>, Option<(u64, u64)>) {
        let mut counter = Counter::new();
        recorder::visit_live(self.generation, |nodes| counter.thread(nodes));
        (counter.finish(), self.heap())
    }

    /// The live heap and its peak, when `PerfAlloc` tracks allocations.
    fn heap(&self) -> Option<(u64, u64)> {
        self.alloc_tracking
            .then(|| (alloc::heap_now().live, alloc::peak().0))
    }

    /// How long the session has run.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The run so far, as `run.json` will hold it when the session ends
    /// (no trace, CPU profile or heap timeline yet).
    pub(crate) fn run_so_far(&self, figures: Figures) -> RunData {
        let id = format!("{}-live", self.name);
        let mut data = RunData::new(id, self.name.clone(), self.env.clone());
        data.duration_ns = u64::try_from(self.elapsed().as_nanos()).unwrap_or(u64::MAX);
        data.alloc_tracking = self.alloc_tracking;
        data.threads = figures.threads;
        data.functions = figures.functions;
        data.call_tree = figures.call_tree;
        data
    }
}
