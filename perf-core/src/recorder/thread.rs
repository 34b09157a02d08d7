//! Per-thread call trees and the registry that keeps them past their thread.
//!
//! A thread's tree is a list of boxed nodes (their addresses never change)
//! behind a mutex that only the owner's slow path (a new node, a new event
//! chunk) and a session's reader take. Counters are atomics that the owner
//! updates with plain relaxed load+store: one writer, no lock prefix.
//! [`Local`] is the hot path's view: a const-initialised thread-local without
//! `Drop`, holding raw pointers into the tree.
//!
//! A live tree is built for cheap writes, not for size: each node carries a
//! full histogram index, each event chunk its full length. When a thread
//! ends, its recording is copied at the size of what it holds and the tree
//! is freed, so the threads that ended before a session finishes cost what
//! they recorded, not a chunk and a histogram index each.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::ptr;
#[cfg(unix)]
use std::sync::MutexGuard;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::events::{CHUNK, Chunk, Event, Slot};
use crate::alloc;
use crate::callsite::Callsite;
use crate::clock;
use crate::histogram::AtomicHistogram;
use crate::sync::lock;

/// The callsite of every tree's root, which stands for "not inside any span".
static ROOT: Callsite = Callsite::new("(root)", "", 0, false);

/// One place in a thread's call tree: a callsite reached through a path.
pub(crate) struct Node {
    pub(crate) callsite: &'static Callsite,
    pub(crate) parent: *const Node,
    index: u32,
    parent_index: u32,
    /// Children by callsite address. Only the owner thread touches this.
    children: UnsafeCell<Vec<(*const Callsite, *const Node)>>,
    /// The child found last, looked at first. Only the owner thread
    /// touches this.
    last_child: Cell<(*const Callsite, *const Node)>,
    pub(crate) stats: NodeStats,
    /// The slot its calls run through (see [`super::slot`]).
    #[cfg(perf_instructions)]
    pub(crate) slot: u32,
}

// SAFETY: a node is written only by its owner thread: its counters are atomics
// and `children` and `last_child`, the non-atomic mutable fields, are never
// touched by any other thread. The raw pointers point into the same thread's tree.
unsafe impl Send for Node {}
// SAFETY: see `Send`.
unsafe impl Sync for Node {}

/// What the calls of one node added up to.
pub(crate) struct NodeStats {
    calls: AtomicU64,
    ticks: AtomicU64,
    max_ticks: AtomicU64,
    /// What the node's own code did with the heap while it was the
    /// thread's innermost open node (see [`charge`]).
    allocs: AtomicU64,
    bytes: AtomicU64,
    freed: AtomicU64,
    cpu_ns: AtomicU64,
    /// Calls that returned `Err` or unwound (see [`NodeStats::failed`]).
    errors: AtomicU64,
    histogram: AtomicHistogram,
}

/// Allocations, bytes allocated and bytes freed by a node's own code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AllocCounts {
    pub(crate) allocs: u64,
    pub(crate) bytes: u64,
    pub(crate) freed: u64,
}

impl AllocCounts {
    /// Adds `other` to these counts.
    pub(crate) fn add(&mut self, other: AllocCounts) {
        self.allocs += other.allocs;
        self.bytes += other.bytes;
        self.freed += other.freed;
    }
}

/// Adds to a counter only this thread writes: no atomic read-modify-write.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl NodeStats {
    fn new() -> Self {
        NodeStats {
            calls: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
            max_ticks: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            cpu_ns: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            histogram: AtomicHistogram::new(),
        }
    }

    /// Counts one call as failed: it returned `Err` or unwound. Only the
    /// owner thread may call this.
    #[inline]
    pub(crate) fn failed(&self) {
        bump(&self.errors, 1);
    }

    /// Records one finished call; `cpu_ns` is `None` unless the callsite
    /// measures CPU time. Only the owner thread may call this.
    #[inline(always)]
    pub(crate) fn record(&self, ticks: u64, cpu_ns: Option<u64>) {
        bump(&self.calls, 1);
        bump(&self.ticks, ticks);
        if ticks > self.max_ticks.load(Ordering::Relaxed) {
            self.max_ticks.store(ticks, Ordering::Relaxed);
        }
        if let Some(cpu_ns) = cpu_ns {
            bump(&self.cpu_ns, cpu_ns);
        }
        self.histogram.record(ticks);
    }

    /// The histogram counter a call of `ticks` adds to, if it needs no
    /// allocation (see [`NodeStats::record_counted`]).
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) fn existing_counter(&self, ticks: u64) -> Option<&AtomicU64> {
        self.histogram.existing_counter(ticks)
    }

    /// Records one finished call without CPU time, whose histogram counter
    /// is `counter` (from [`NodeStats::existing_counter`]). Only the owner
    /// thread may call this.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) fn record_counted(&self, ticks: u64, counter: &AtomicU64) {
        bump(&self.calls, 1);
        bump(&self.ticks, ticks);
        if ticks > self.max_ticks.load(Ordering::Relaxed) {
            self.max_ticks.store(ticks, Ordering::Relaxed);
        }
        bump(counter, 1);
    }
}

/// The heap calls charged to the node of the thread that makes them.
impl NodeStats {
    /// An allocation of `bytes`.
    #[inline(always)]
    pub(crate) fn allocated(&self, bytes: u64) {
        bump(&self.allocs, 1);
        bump(&self.bytes, bytes);
    }

    /// A reallocation that grew a block by `bytes`.
    #[inline(always)]
    pub(crate) fn grown(&self, bytes: u64) {
        bump(&self.bytes, bytes);
    }

    /// A free, or a reallocation that shrank a block, of `bytes`.
    #[inline(always)]
    pub(crate) fn freed(&self, bytes: u64) {
        bump(&self.freed, bytes);
    }
}

impl Node {
    fn new(
        callsite: &'static Callsite,
        parent: *const Node,
        index: u32,
        parent_index: u32,
    ) -> Self {
        Node {
            callsite,
            parent,
            index,
            parent_index,
            children: UnsafeCell::new(Vec::new()),
            last_child: Cell::new((ptr::null(), ptr::null())),
            stats: NodeStats::new(),
            #[cfg(perf_instructions)]
            slot: if parent.is_null() {
                super::slot::NO_SLOT
            } else {
                super::slot::assign()
            },
        }
    }
}

struct Tree {
    generation: u32,
    /// Node 0 is the root; a node's parent comes before it.
    #[allow(
        clippy::vec_box,
        reason = "the hot path holds node addresses: they must not move"
    )]
    nodes: Vec<Box<Node>>,
    chunks: Vec<Box<Chunk>>,
    /// Once the thread has ended: what it recorded, copied at its exact size;
    /// `nodes` and `chunks` are then empty (see [`ThreadData::end`]).
    ended: Option<Recording>,
}

/// A copy of a tree's nodes and published events.
#[derive(Clone, Default)]
struct Recording {
    /// Node 0 is the root; parents come before their children.
    nodes: Vec<NodeSnapshot>,
    events: Vec<Event>,
}

impl Tree {
    /// Copies what the tree holds; its events only if `events`.
    fn copy(&self, events: bool) -> Recording {
        if let Some(ended) = &self.ended {
            return Recording {
                nodes: ended.nodes.clone(),
                events: if events {
                    ended.events.clone()
                } else {
                    Vec::new()
                },
            };
        }
        let nodes = self
            .nodes
            .iter()
            .map(|node| {
                let s = &node.stats;
                NodeSnapshot {
                    callsite: node.callsite,
                    parent: node.parent_index,
                    calls: s.calls.load(Ordering::Relaxed),
                    ticks: s.ticks.load(Ordering::Relaxed),
                    max_ticks: s.max_ticks.load(Ordering::Relaxed),
                    allocs: AllocCounts {
                        allocs: s.allocs.load(Ordering::Relaxed),
                        bytes: s.bytes.load(Ordering::Relaxed),
                        freed: s.freed.load(Ordering::Relaxed),
                    },
                    cpu_ns: s.cpu_ns.load(Ordering::Relaxed),
                    errors: s.errors.load(Ordering::Relaxed),
                    histogram: s.histogram.snapshot(),
                    #[cfg(perf_instructions)]
                    slot: Some(node.slot).filter(|&slot| slot != super::slot::NO_SLOT),
                    #[cfg(not(perf_instructions))]
                    slot: None,
                }
            })
            .collect();
        let mut copied = Vec::new();
        for chunk in self.chunks.iter().filter(|_| events) {
            if !chunk.read_into(&mut copied) {
                break;
            }
        }
        Recording {
            nodes,
            events: copied,
        }
    }
}

/// One thread's recording, kept alive by the thread and by the registry, so
/// that it outlives the thread until its session has read it.
pub(crate) struct ThreadData {
    index: u32,
    name: Option<String>,
    tree: Mutex<Tree>,
}

impl ThreadData {
    fn new() -> Self {
        ThreadData::new_named(std::thread::current().name().map(str::to_owned))
    }

    fn new_named(name: Option<String>) -> Self {
        static NEXT_INDEX: AtomicU32 = AtomicU32::new(0);
        ThreadData {
            index: NEXT_INDEX.fetch_add(1, Ordering::Relaxed),
            name,
            tree: Mutex::new(Tree {
                generation: 0,
                nodes: Vec::new(),
                chunks: Vec::new(),
                ended: None,
            }),
        }
    }

    /// Starts a fresh tree and an empty event log for `generation`; returns the root.
    fn reset(&self, generation: u32) -> *const Node {
        let mut tree = lock(&self.tree);
        tree.generation = generation;
        tree.ended = None;
        tree.nodes.clear();
        let root = Box::new(Node::new(&ROOT, ptr::null(), 0, 0));
        let root_ptr: *const Node = &*root;
        tree.nodes.push(root);
        for chunk in &tree.chunks {
            chunk.clear();
        }
        root_ptr
    }

    /// Replaces the tree of a thread that has ended by a copy of what it
    /// recorded, sized to fit; or, past the first [`ENDED_APART`] ended
    /// threads, merges it into the registry's one recording of the others.
    /// Its spans stay for the trace while the ended threads' budget lasts.
    /// Only once the thread has detached: nothing points into the tree any more.
    fn end(self: &Arc<ThreadData>) {
        let mut tree = lock(&self.tree);
        let mut recording = tree.copy(true);
        tree.nodes = Vec::new();
        tree.chunks = Vec::new();
        let mut registry = lock(&REGISTRY);
        // A session that is finishing reads it as it is.
        let current = registry.generation == tree.generation;
        if current && registry.ended_apart >= ENDED_APART {
            registry.threads.retain(|t| !Arc::ptr_eq(t, self));
            let generation = tree.generation;
            let merged = match &registry.merged {
                Some(merged) => Arc::clone(merged),
                None => {
                    let merged = Arc::new(ThreadData::merged(generation));
                    registry.threads.push(Arc::clone(&merged));
                    registry.merged = Some(Arc::clone(&merged));
                    merged
                }
            };
            drop(registry);
            tree.ended = Some(Recording::default());
            drop(tree);
            if let Some(into) = &mut lock(&merged.tree).ended {
                into.merge(&recording.nodes);
            }
            return;
        }
        let budget = registry
            .trace_capacity
            .saturating_mul(ENDED_TRACE_CAPACITIES);
        if current {
            registry.ended_apart += 1;
            if registry.ended_events + recording.events.len() > budget {
                recording.events = Vec::new();
            } else {
                registry.ended_events += recording.events.len();
            }
        }
        drop(registry);
        recording.events.shrink_to_fit();
        tree.ended = Some(recording);
    }

    /// The recording that threads ending past the first [`ENDED_APART`]
    /// are merged into.
    fn merged(generation: u32) -> Self {
        let data = ThreadData::new_named(Some(format!(
            "(threads that ended after the first {ENDED_APART})"
        )));
        {
            let mut tree = lock(&data.tree);
            tree.generation = generation;
            tree.ended = Some(Recording {
                nodes: vec![NodeSnapshot::root()],
                events: Vec::new(),
            });
        }
        data
    }

    /// Copies the thread's recording of `generation`, its event log only
    /// if `events`.
    fn snapshot(&self, generation: u32, events: bool) -> Option<ThreadSnapshot> {
        let tree = lock(&self.tree);
        if tree.generation != generation {
            return None;
        }
        let with_events = events;
        let Recording { nodes, events } = tree.copy(with_events);
        drop(tree);
        // Every recorded call logs one event unless the log was full.
        let calls: u64 = nodes.iter().map(|n| n.calls).sum();
        let dropped_events = if with_events {
            calls.saturating_sub(events.len() as u64)
        } else {
            0
        };
        Some(ThreadSnapshot {
            index: self.index,
            name: self.name.clone(),
            nodes,
            events,
            dropped_events,
        })
    }
}

/// Ended threads whose recordings are kept apart, each a thread of its own
/// in `run.json` and the trace; those that end after them are merged into
/// one recording, so that a service that starts and ends threads for weeks
/// keeps a bounded call tree, not one per thread it ever ran.
const ENDED_APART: usize = 1024;

/// The spans the ended threads keep for the trace, in trace capacities
/// (`SessionBuilder::trace_capacity`) all told; later ones are counted only.
const ENDED_TRACE_CAPACITIES: usize = 64;

impl Recording {
    /// Adds `nodes` (another thread's, root first, parents before their
    /// children) into this recording, path by path.
    fn merge(&mut self, nodes: &[NodeSnapshot]) {
        let mut index: std::collections::HashMap<(u32, *const Callsite), u32> = self
            .nodes
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, n)| ((n.parent, ptr::from_ref(n.callsite)), i as u32))
            .collect();
        let mut map = vec![0u32; nodes.len()];
        for (i, node) in nodes.iter().enumerate().skip(1) {
            let parent = map[node.parent as usize];
            let key = (parent, ptr::from_ref(node.callsite));
            let at = *index.entry(key).or_insert_with(|| {
                let mut fresh = node.clone();
                fresh.parent = parent;
                fresh.calls = 0;
                fresh.ticks = 0;
                fresh.max_ticks = 0;
                fresh.allocs = AllocCounts::default();
                fresh.cpu_ns = 0;
                fresh.errors = 0;
                fresh.histogram = Vec::new();
                self.nodes.push(fresh);
                (self.nodes.len() - 1) as u32
            });
            map[i] = at;
            let into = &mut self.nodes[at as usize];
            into.calls += node.calls;
            into.ticks += node.ticks;
            into.max_ticks = into.max_ticks.max(node.max_ticks);
            into.allocs.add(node.allocs);
            into.cpu_ns += node.cpu_ns;
            into.errors += node.errors;
            for &(bucket, n) in &node.histogram {
                match into.histogram.binary_search_by_key(&bucket, |&(b, _)| b) {
                    Ok(found) => into.histogram[found].1 += n,
                    Err(at) => into.histogram.insert(at, (bucket, n)),
                }
            }
        }
    }
}

impl NodeSnapshot {
    /// The root of a recording: no calls.
    fn root() -> Self {
        NodeSnapshot {
            callsite: &ROOT,
            parent: 0,
            calls: 0,
            ticks: 0,
            max_ticks: 0,
            allocs: AllocCounts::default(),
            cpu_ns: 0,
            errors: 0,
            histogram: Vec::new(),
            slot: None,
        }
    }
}

/// A copy of one node's counters, taken by a session's reader.
#[derive(Clone)]
pub(crate) struct NodeSnapshot {
    pub(crate) callsite: &'static Callsite,
    /// Index of the parent in the same snapshot; the root (index 0) is its own parent.
    pub(crate) parent: u32,
    pub(crate) calls: u64,
    pub(crate) ticks: u64,
    pub(crate) max_ticks: u64,
    /// What the node's own code did with the heap (callees' nodes not included).
    pub(crate) allocs: AllocCounts,
    pub(crate) cpu_ns: u64,
    /// Calls that returned `Err` or unwound.
    pub(crate) errors: u64,
    pub(crate) histogram: Vec<(u16, u64)>,
    /// The node's slot, in an instruction build (see [`super::slot`]).
    pub(crate) slot: Option<u32>,
}

/// A copy of one thread's tree and event log.
pub(crate) struct ThreadSnapshot {
    pub(crate) index: u32,
    pub(crate) name: Option<String>,
    /// Node 0 is the root; parents come before their children.
    pub(crate) nodes: Vec<NodeSnapshot>,
    pub(crate) events: Vec<Event>,
    pub(crate) dropped_events: u64,
}

struct Registry {
    generation: u32,
    trace_capacity: usize,
    threads: Vec<Arc<ThreadData>>,
    /// Threads of the generation that ended and are kept apart.
    ended_apart: usize,
    /// Spans those threads keep for the trace.
    ended_events: usize,
    /// The recording of the threads that ended after them, once there is one.
    merged: Option<Arc<ThreadData>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    generation: 0,
    trace_capacity: 0,
    threads: Vec::new(),
    ended_apart: 0,
    ended_events: 0,
    merged: None,
});

/// The locks [`hold_for_fork`] holds until [`release_after_fork`].
#[cfg(unix)]
struct HeldForFork {
    _names: MutexGuard<'static, std::collections::BTreeMap<&'static str, usize>>,
    _registry: MutexGuard<'static, Registry>,
    _tree: Option<MutexGuard<'static, Tree>>,
}

#[cfg(unix)]
thread_local! {
    static HELD_FOR_FORK: RefCell<Option<HeldForFork>> = const { RefCell::new(None) };
}

/// Takes the names (`callsite::names`), the calling thread's call tree,
/// then the registry, for a fork (see
/// `crate::fork`): the order in which a thread that ends takes them.
#[cfg(unix)]
pub(crate) fn hold_for_fork() {
    let names = crate::callsite::names::hold_for_fork();
    let thread = LOCAL
        .try_with(|local| local.thread.get())
        .unwrap_or(ptr::null());
    // SAFETY: a non-null `thread` is this thread's data, which its `OWNER`
    // keeps until the thread ends; the guard goes in `release_after_fork`,
    // on this thread, before `fork()` returns to it.
    let tree = unsafe { thread.as_ref::<'static>() }.map(|data| lock(&data.tree));
    let held = HeldForFork {
        _names: names,
        _registry: lock(&REGISTRY),
        _tree: tree,
    };
    // A thread whose thread-locals are going forks unguarded.
    let _ = HELD_FOR_FORK.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(held);
        }
    });
}

/// Lets the locks [`hold_for_fork`] took go, in the parent and in the child.
#[cfg(unix)]
pub(crate) fn release_after_fork() {
    let _ = HELD_FOR_FORK.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            drop(slot.take());
        }
    });
}

/// Opens `generation` for threads to join, forgetting the threads of the last
/// one (the data of threads that have ended is freed here).
pub(crate) fn begin_generation(generation: u32, trace_capacity: usize) {
    let old = {
        let mut registry = lock(&REGISTRY);
        registry.generation = generation;
        registry.trace_capacity = trace_capacity;
        registry.ended_apart = 0;
        registry.ended_events = 0;
        registry.merged = None;
        std::mem::take(&mut registry.threads)
    };
    alloc::untracked(|| drop(old));
}

/// Copies every thread's recording of `generation` and closes it to new threads.
pub(crate) fn snapshot_threads(generation: u32) -> Vec<ThreadSnapshot> {
    let threads = {
        let mut registry = lock(&REGISTRY);
        if registry.generation == generation {
            registry.generation = 0;
        }
        registry.threads.clone()
    };
    copy_threads(&threads, generation, true)
}

/// Copies every thread's call tree of `generation` as it is now, without
/// event logs, leaving the generation open: what a live look reads. Each
/// tree's lock is held only while its nodes are copied; an instrumented
/// thread waits on it only if it makes a node or an event chunk meanwhile.
#[cfg(feature = "serve")]
pub(crate) fn snapshot_live(generation: u32) -> Vec<ThreadSnapshot> {
    let threads = lock(&REGISTRY).threads.clone();
    copy_threads(&threads, generation, false)
}

/// One node of a thread's tree as [`visit_live`] shows it: read in place.
#[cfg(feature = "serve")]
pub(crate) struct NodeView<'a> {
    pub(crate) callsite: &'static Callsite,
    /// Index of the parent among the thread's views; the root (index 0) is
    /// its own parent.
    pub(crate) parent: u32,
    pub(crate) calls: u64,
    pub(crate) ticks: u64,
    pub(crate) allocs: AllocCounts,
    pub(crate) errors: u64,
    histogram: HistogramView<'a>,
}

/// A node's durations: the live counters, or a copy (a thread that ended).
#[cfg(feature = "serve")]
enum HistogramView<'a> {
    Live(&'a AtomicHistogram),
    Copied(&'a [(u16, u64)]),
}

#[cfg(feature = "serve")]
impl<'a> NodeView<'a> {
    /// Calls `f` with each non-empty histogram bucket and its count.
    pub(crate) fn buckets(&self, mut f: impl FnMut(u16, u64)) {
        match self.histogram {
            HistogramView::Live(histogram) => histogram.for_each(f),
            HistogramView::Copied(buckets) => {
                for &(bucket, n) in buckets {
                    f(bucket, n);
                }
            }
        }
    }

    /// A view of a copied node.
    pub(crate) fn of(node: &'a NodeSnapshot) -> Self {
        NodeView {
            callsite: node.callsite,
            parent: node.parent,
            calls: node.calls,
            ticks: node.ticks,
            allocs: node.allocs,
            errors: node.errors,
            histogram: HistogramView::Copied(&node.histogram),
        }
    }
}

/// Shows `visit` every thread's tree of `generation` as it is now, node by
/// node in place (root first, parents before their children), under that
/// tree's lock: nothing is copied but the view. The cheapest live look,
/// for `/metrics`; an instrumented thread waits on the lock only if it
/// makes a node or an event chunk meanwhile.
#[cfg(feature = "serve")]
pub(crate) fn visit_live(generation: u32, mut visit: impl FnMut(&[NodeView<'_>])) {
    let threads = lock(&REGISTRY).threads.clone();
    for thread in &threads {
        let tree = lock(&thread.tree);
        if tree.generation != generation {
            continue;
        }
        let views: Vec<NodeView<'_>> = match &tree.ended {
            Some(ended) => ended.nodes.iter().map(NodeView::of).collect(),
            None => tree
                .nodes
                .iter()
                .map(|node| {
                    let s = &node.stats;
                    NodeView {
                        callsite: node.callsite,
                        parent: node.parent_index,
                        calls: s.calls.load(Ordering::Relaxed),
                        ticks: s.ticks.load(Ordering::Relaxed),
                        allocs: AllocCounts {
                            allocs: s.allocs.load(Ordering::Relaxed),
                            bytes: s.bytes.load(Ordering::Relaxed),
                            freed: s.freed.load(Ordering::Relaxed),
                        },
                        errors: s.errors.load(Ordering::Relaxed),
                        histogram: HistogramView::Live(&s.histogram),
                    }
                })
                .collect(),
        };
        visit(&views);
    }
}

fn copy_threads(threads: &[Arc<ThreadData>], generation: u32, events: bool) -> Vec<ThreadSnapshot> {
    let mut snapshots: Vec<ThreadSnapshot> = threads
        .iter()
        .filter_map(|t| t.snapshot(generation, events))
        .collect();
    snapshots.sort_by_key(|t| t.index);
    snapshots
}

/// The hot path's per-thread state.
pub(crate) struct Local {
    /// The generation this thread's tree belongs to; 0 before the first one.
    generation: Cell<u32>,
    /// The innermost open node.
    pub(crate) current: Cell<*const Node>,
    thread: Cell<*const ThreadData>,
    /// The next free slot of the trace log and the end of its chunk; both
    /// [`FULL`] once the log holds `event_capacity` events (further spans
    /// only count), both null before its first chunk.
    next_event: Cell<*const Slot>,
    events_end: Cell<*const Slot>,
    /// Slots handed out so far (all used once `next_event` reaches `events_end`).
    events_handed_out: Cell<usize>,
    event_capacity: Cell<usize>,
    /// [`Local::generation`] when the clock is the TSC, read inline (see
    /// [`clock::inline_tsc`]), else 0: one comparison tells a span that it
    /// may take its path without calls.
    fast_generation: Cell<u32>,
}

/// Where a full trace log's cursor points: never a slot (a dangling,
/// aligned address), told apart without a load.
const FULL: *const Slot = ptr::dangling();

thread_local! {
    static LOCAL: Local = const {
        Local {
            generation: Cell::new(0),
            current: Cell::new(ptr::null()),
            thread: Cell::new(ptr::null()),
            next_event: Cell::new(ptr::null()),
            events_end: Cell::new(ptr::null()),
            events_handed_out: Cell::new(0),
            event_capacity: Cell::new(0),
            fast_generation: Cell::new(0),
        }
    };
    /// Owns this thread's data; its destructor detaches [`LOCAL`] and
    /// trims the data to what the thread recorded ([`ThreadData::end`]).
    static OWNER: Owner = const { Owner(RefCell::new(None)) };
}

/// This thread's [`Local`]. A tiny closure, so `LocalKey::with` inlines and
/// the access is a plain thread-pointer offset.
#[inline(always)]
pub(crate) fn local() -> *const Local {
    LOCAL.with(|local| local as *const Local)
}

/// Charges a call of the allocator to this thread's innermost open node,
/// if it has one: the node's own code made it. Called by `PerfAlloc`.
#[inline(always)]
pub(crate) fn charge(to_node: impl FnOnce(&NodeStats)) {
    let node = LOCAL.with(|local| local.current.get());
    // SAFETY: a non-null `current` points into this thread's live tree:
    // nodes are freed only by this thread, in `reset` (after `attach` has
    // cleared `current`) or in `end` (after `detach` has), and their
    // counters are atomics that only this thread writes.
    if let Some(node) = unsafe { node.as_ref() } {
        to_node(&node.stats);
    }
}

struct Owner(RefCell<Option<Arc<ThreadData>>>);

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(Local::detach);
        if let Some(data) = self.0.get_mut().take() {
            alloc::untracked(|| {
                data.end();
                drop(data);
            });
        }
    }
}

impl Local {
    /// The generation this thread records into.
    #[inline(always)]
    pub(crate) fn generation(&self) -> u32 {
        self.generation.get()
    }

    /// The generation this thread records into if the clock is the TSC,
    /// read inline; 0 otherwise.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) fn fast_generation(&self) -> u32 {
        self.fast_generation.get()
    }

    /// This thread's identity among the threads recording into
    /// [`Local::generation`]: two threads never share it while they both
    /// record into the same generation.
    #[inline(always)]
    pub(crate) fn thread_id(&self) -> usize {
        self.thread.get() as usize
    }

    /// Whether this thread records into `generation`, joining it if need be.
    /// `generation` must be the one [`super::RECORDING`] holds.
    #[inline(always)]
    pub(crate) fn ready(&self, generation: u32) -> bool {
        self.generation.get() == generation || self.attach(generation)
    }

    #[cold]
    #[inline(never)]
    fn attach(&self, generation: u32) -> bool {
        alloc::untracked(|| {
            OWNER
                .try_with(|owner| {
                    let Ok(mut slot) = owner.0.try_borrow_mut() else {
                        return false;
                    };
                    let data = slot.get_or_insert_with(|| Arc::new(ThreadData::new()));
                    let capacity = {
                        let mut registry = lock(&REGISTRY);
                        if registry.generation != generation {
                            return false;
                        }
                        registry.threads.push(Arc::clone(data));
                        registry.trace_capacity
                    };
                    // Nothing may charge the old tree's nodes once they go.
                    self.current.set(ptr::null());
                    let root = data.reset(generation);
                    self.thread.set(Arc::as_ptr(data));
                    self.current.set(root);
                    self.event_capacity.set(capacity);
                    let fast = if clock::inline_tsc() { generation } else { 0 };
                    self.fast_generation.set(fast);
                    // The first event's slow path takes the first chunk.
                    self.events_handed_out.set(0);
                    let cursor = if capacity == 0 { FULL } else { ptr::null() };
                    self.next_event.set(cursor);
                    self.events_end.set(cursor);
                    self.generation.set(generation);
                    true
                })
                .unwrap_or(false)
        })
    }

    fn detach(&self) {
        self.generation.set(0);
        self.fast_generation.set(0);
        self.current.set(ptr::null());
        self.thread.set(ptr::null());
        self.next_event.set(ptr::null());
        self.events_end.set(ptr::null());
    }

    /// The child of the current node for `callsite`, created on first use.
    /// Call only after [`Local::ready`] returned true.
    #[inline(always)]
    pub(crate) fn child(&self, callsite: &'static Callsite) -> *const Node {
        if let Some(node) = self.last_child(callsite) {
            return node;
        }
        let parent = self.current.get();
        // SAFETY: after `ready`, `current` points into this thread's live tree
        // (nodes are freed only by this thread: in `reset`, or in `end` once
        // it has detached), and `children` is touched only by this thread.
        let parent_ref = unsafe { &*parent };
        // SAFETY: as above.
        let children = unsafe { &*parent_ref.children.get() };
        let node = match children.iter().find(|&&(key, _)| ptr::eq(key, callsite)) {
            Some(&(_, node)) => node,
            None => self.add_child(parent, callsite),
        };
        parent_ref.last_child.set((callsite, node));
        node
    }

    /// The child of the current node for `callsite` if it is the one found
    /// last there (most often it is). Call only after [`Local::ready`]
    /// returned true.
    #[inline(always)]
    pub(crate) fn last_child(&self, callsite: &'static Callsite) -> Option<*const Node> {
        // SAFETY: as in `child`.
        let parent = unsafe { &*self.current.get() };
        let (key, node) = parent.last_child.get();
        ptr::eq(key, callsite).then_some(node)
    }

    #[cold]
    #[inline(never)]
    fn add_child(&self, parent: *const Node, callsite: &'static Callsite) -> *const Node {
        alloc::untracked(|| {
            // The place's name is fixed when it first runs (see `callsite::names`).
            callsite.register();
            // SAFETY: `thread` is set with `current` in `attach` and lives as
            // long as this thread's `OWNER`.
            let data = unsafe { &*self.thread.get() };
            // SAFETY: as in `child`.
            let parent_ref = unsafe { &*parent };
            let mut tree = lock(&data.tree);
            let index = tree.nodes.len() as u32;
            let node = Box::new(Node::new(callsite, parent, index, parent_ref.index));
            let node_ptr: *const Node = &*node;
            tree.nodes.push(node);
            drop(tree);
            // SAFETY: only this thread touches `children` (see `child`).
            unsafe { (*parent_ref.children.get()).push((callsite, node_ptr)) };
            node_ptr
        })
    }

    /// Where the next event goes, if it needs no slow path: `Some(Some)`,
    /// a slot to [`fill`](Self::fill); `Some(None)`, nowhere (the log is
    /// full); `None`, ask [`push_event`](Self::push_event).
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) fn event_slot(&self) -> Option<Option<*const Slot>> {
        let slot = self.next_event.get();
        if slot != self.events_end.get() {
            Some(Some(slot))
        } else if slot == FULL {
            Some(None)
        } else {
            None
        }
    }

    /// Writes `event` into `slot`, from [`event_slot`](Self::event_slot).
    ///
    /// # Safety
    /// `slot` is what `event_slot` returned last, with nothing pushed since.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) unsafe fn fill(&self, slot: *const Slot, event: Event) {
        // SAFETY: per the contract `slot` lies before `events_end` in a
        // chunk of this thread's tree and has not been written this
        // generation.
        unsafe {
            (*slot).write(event);
            self.next_event.set(slot.add(1));
        }
    }

    /// Appends a finished span to the trace log, unless the log is full.
    #[inline(always)]
    pub(crate) fn push_event(&self, event: Event) {
        let slot = self.next_event.get();
        if slot == self.events_end.get() {
            if slot != FULL {
                // Field by field: in registers, not built on the stack
                // before the branch.
                self.push_event_slow(event.start, event.end, event.callsite, event.kind);
            }
            return;
        }
        // SAFETY: `slot` lies before `events_end` in a chunk of this thread's
        // tree and has not been written this generation.
        unsafe {
            (*slot).write(event);
            self.next_event.set(slot.add(1));
        }
    }

    #[cold]
    #[inline(never)]
    fn push_event_slow(
        &self,
        start: u64,
        end: u64,
        callsite: &'static Callsite,
        kind: super::events::EventKind,
    ) {
        let event = Event {
            start,
            end,
            callsite,
            kind,
        };
        let count = self.events_handed_out.get();
        let capacity = self.event_capacity.get();
        if count >= capacity {
            self.next_event.set(FULL);
            self.events_end.set(FULL);
            return;
        }
        // SAFETY: as in `add_child`.
        let data = unsafe { &*self.thread.get() };
        let first = alloc::untracked(|| {
            let mut tree = lock(&data.tree);
            let chunk = count / CHUNK;
            if chunk == tree.chunks.len() {
                tree.chunks.push(Chunk::new());
            }
            tree.chunks[chunk].first_slot()
        });
        let room = CHUNK.min(capacity - count);
        self.events_handed_out.set(count + room);
        // SAFETY: `first` is the first slot of a chunk of `CHUNK` slots, none
        // written this generation; `room` does not pass the chunk's end.
        unsafe {
            (*first).write(event);
            self.next_event.set(first.add(1));
            self.events_end.set(first.add(room));
        }
    }
}
