//! Calls that are entered more than once and counted once: the polls of an
//! instrumented `async fn` ([`super::Instrumented`]) and the enters of a
//! tracing span (`perf_core::tracing::PerfLayer`).
//!
//! A call starts at its first enter, in the generation recording then; if
//! nothing records then, it never records. Each enter opens the callsite's
//! node under whatever is current on the entering thread, so that callees
//! nest under it there, and each exit adds the CPU time used while entered
//! (allocations are charged as they happen to the node entered, see
//! `PerfAlloc`). The owner says when the call is over
//! ([`Resumable::finish`]); it is then recorded once, at the node of its last
//! exit, timed from the first enter to the last exit, suspended time included.

use std::sync::atomic::Ordering;

use super::RECORDING;
use super::events::{Event, EventKind};
use super::thread::{Node, local};
use crate::callsite::Callsite;
use crate::{clock, cpu_time};

/// What a call has accumulated over its enters.
#[derive(Default)]
pub(crate) struct Resumable {
    started: bool,
    /// The generation the first enter recorded into; 0: not recorded.
    generation: u32,
    start: u64,
    cpu_ns: u64,
    enters: u32,
    last: Option<LastExit>,
}

/// Where and when the last enter of a call ended.
struct LastExit {
    node: NodePtr,
    /// The thread whose tree `node` is in (see `Local::thread_id`).
    thread: usize,
    end: u64,
}

/// A node of the thread that exited last.
struct NodePtr(*const Node);

// SAFETY: the pointer is dereferenced only by `Resumable::finish`, and only on
// the thread whose tree holds the node while that tree's generation is still
// this thread's, so the node is alive and no other thread writes it.
unsafe impl Send for NodePtr {}
// SAFETY: see `Send`; a shared `NodePtr` gives no access to the node.
unsafe impl Sync for NodePtr {}

/// One enter of a [`Resumable`] call on the current thread, whose node is
/// current until [`Resumable::exit`] or [`Entered::abandon`] takes it back.
#[must_use = "an enter must be left with `Resumable::exit` or `Entered::abandon`"]
pub(crate) struct Entered {
    node: *const Node,
    generation: u32,
    cpu_ns: u64,
    /// The slot whose edges this enter marks by callgrind dumps (a tracing
    /// span's), else `NO_SLOT` (see [`super::slot::dump_at`]).
    #[cfg(perf_instructions)]
    dumped: u32,
}

impl Resumable {
    /// Enters the call on this thread, starting it on the first enter; `None`
    /// when the call does not record here.
    #[inline]
    pub(crate) fn enter(&mut self, callsite: &'static Callsite) -> Option<Entered> {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        if !self.started {
            self.started = true;
            self.generation = RECORDING.load(Ordering::Relaxed);
            if self.generation != 0 {
                self.start = clock::now();
            }
        }
        if self.generation == 0 {
            return None;
        }
        self.enter_recording(callsite)
    }

    fn enter_recording(&mut self, callsite: &'static Callsite) -> Option<Entered> {
        let generation = self.generation;
        // SAFETY: `Local` is a const thread-local without `Drop`: it lives as
        // long as this thread, and is used here only on this thread.
        let local = unsafe { &*local() };
        // Join the call's generation only if it is still the recording one.
        if local.generation() != generation && RECORDING.load(Ordering::Relaxed) != generation {
            return None;
        }
        if !local.ready(generation) {
            return None;
        }
        self.enters += 1;
        let node = local.child(callsite);
        local.current.set(node);
        let cpu_ns = if callsite.cpu() {
            cpu_time::thread_cpu_ns()
        } else {
            0
        };
        #[cfg(perf_instructions)]
        let dumped = {
            // SAFETY: the node was just made current on this thread: alive.
            let slot = unsafe { &*node }.slot;
            let dumped = if callsite.runs_in_slot() {
                super::slot::NO_SLOT
            } else {
                slot
            };
            super::slot::dump_at(super::slot::Edge::Open, dumped);
            dumped
        };
        Some(Entered {
            node,
            generation,
            cpu_ns,
            #[cfg(perf_instructions)]
            dumped,
        })
    }

    /// Leaves an enter made on this thread: adds the CPU time it used to the
    /// call and makes its parent current again.
    pub(crate) fn exit(&mut self, entered: Entered) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        let end = clock::now();
        #[cfg(perf_instructions)]
        super::slot::dump_at(super::slot::Edge::Close, entered.dumped);
        // SAFETY: as in `enter_recording`.
        let local = unsafe { &*local() };
        // A new session has replaced this thread's tree since the enter.
        if local.generation() != entered.generation {
            return;
        }
        // SAFETY: the generation still matches, so the tree the node belongs
        // to has not been reset and the node is alive.
        let node = unsafe { &*entered.node };
        if node.callsite.cpu() {
            self.cpu_ns += cpu_time::thread_cpu_ns().saturating_sub(entered.cpu_ns);
        }
        self.last = Some(LastExit {
            node: NodePtr(entered.node),
            thread: local.thread_id(),
            end,
        });
        local.current.set(node.parent);
    }

    /// How many enters recorded so far.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn enters(&self) -> u32 {
        self.enters
    }

    /// Records the call, once: at the node of its last exit when called on
    /// that thread, else under this thread's current node; `failed` counts
    /// it failed.
    pub(crate) fn finish(&mut self, callsite: &'static Callsite, kind: EventKind, failed: bool) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        let Some(last) = self.last.take() else {
            return;
        };
        let generation = self.generation;
        // SAFETY: as in `enter_recording`.
        let local = unsafe { &*local() };
        let node = if local.generation() == generation && local.thread_id() == last.thread {
            last.node.0
        } else {
            // Finished on another thread than the last exit's (a tracing span
            // closed elsewhere): the call counts where this thread is.
            let joined = local.generation() == generation
                || (RECORDING.load(Ordering::Relaxed) == generation && local.ready(generation));
            if !joined {
                return;
            }
            local.child(callsite)
        };
        // SAFETY: `node` is in this thread's tree of `generation`, which is
        // still this thread's: a `ThreadData` lives as long as its generation
        // is any thread's, so the same generation and thread id mean the same
        // thread, and the node is alive.
        let node = unsafe { &*node };
        let cpu_ns = callsite.cpu().then_some(self.cpu_ns);
        if failed {
            node.stats.failed();
        }
        node.stats
            .record(last.end.saturating_sub(self.start), cpu_ns);
        local.push_event(Event {
            start: self.start,
            end: last.end,
            callsite,
            kind,
        });
    }
}

impl Entered {
    /// The slot of the entered node (see [`super::slot`]); call it right
    /// after the enter.
    #[cfg(perf_instructions)]
    pub(crate) fn slot(&self) -> u32 {
        // SAFETY: called on the entering thread right after the enter, before
        // anything that could start a new session and reset the tree: the
        // node is alive.
        unsafe { &*self.node }.slot
    }

    /// Leaves the enter without adding anything to its call: makes its
    /// parent current again.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn abandon(self) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        #[cfg(perf_instructions)]
        super::slot::dump_at(super::slot::Edge::Close, self.dumped);
        // SAFETY: as in `Resumable::enter_recording`.
        let local = unsafe { &*local() };
        if local.generation() == self.generation {
            // SAFETY: as in `Resumable::exit`.
            let node = unsafe { &*self.node };
            local.current.set(node.parent);
        }
    }
}
