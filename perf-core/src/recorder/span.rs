//! Spans of plain (synchronous) code: `#[profile]` on a fn, and `scope!`.
//!
//! Only the check of [`RECORDING`] is inlined into the instrumented function;
//! opening and closing a recorded span are calls. That keeps the switched-off
//! path to a load and a branch (no register spills in the caller) and, as
//! measured in `benches/`, costs the recording path nothing.

use std::sync::atomic::Ordering;

use super::RECORDING;
use super::events::{Event, EventKind};
use super::thread::{Node, local};
use crate::alloc::{self, AllocCounts};
use crate::callsite::Callsite;
use crate::{clock, cpu_time};

/// An open span: records its call when dropped, also when unwinding from a
/// panic. Returned by [`scope!`](crate::scope).
#[must_use = "the span closes when this guard is dropped: bind it with `let _span = ...`"]
pub struct SpanGuard {
    /// Null when not recording.
    node: *const Node,
    generation: u32,
    start: u64,
    allocs: AllocCounts,
    cpu_ns: u64,
}

impl std::fmt::Debug for SpanGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanGuard")
            .field("recording", &!self.node.is_null())
            .finish()
    }
}

impl SpanGuard {
    #[inline(always)]
    fn inactive() -> Self {
        SpanGuard {
            node: std::ptr::null(),
            generation: 0,
            start: 0,
            allocs: AllocCounts::default(),
            cpu_ns: 0,
        }
    }

    #[inline(never)]
    fn open(callsite: &'static Callsite, generation: u32) -> SpanGuard {
        // SAFETY: `Local` is a const thread-local without `Drop`: it lives as
        // long as this thread, and is used here only on this thread.
        let local = unsafe { &*local() };
        if !local.ready(generation) {
            return SpanGuard::inactive();
        }
        let node = local.child(callsite);
        local.current.set(node);
        let cpu_ns = if callsite.cpu() {
            cpu_time::thread_cpu_ns()
        } else {
            0
        };
        let allocs = alloc::counts();
        SpanGuard {
            node,
            generation,
            start: clock::now(),
            allocs,
            cpu_ns,
        }
    }

    #[inline(never)]
    fn close(&mut self) {
        let end = clock::now();
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        // A new session has replaced this thread's tree since the span opened.
        if local.generation() != self.generation {
            return;
        }
        // SAFETY: the generation still matches, so the tree the node belongs
        // to has not been reset and the node is alive.
        let node = unsafe { &*self.node };
        let callsite = node.callsite;
        let cpu_ns = callsite
            .cpu()
            .then(|| cpu_time::thread_cpu_ns().saturating_sub(self.cpu_ns));
        let allocs = alloc::counts().since(self.allocs);
        node.stats
            .record(end.saturating_sub(self.start), allocs, cpu_ns);
        local.push_event(Event {
            start: self.start,
            end,
            callsite,
            kind: EventKind::Sync,
        });
        local.current.set(node.parent);
    }
}

/// Opens a span for `callsite` on this thread. Used by generated code.
#[inline(always)]
pub fn enter(callsite: &'static Callsite) -> SpanGuard {
    let generation = RECORDING.load(Ordering::Relaxed);
    if generation == 0 {
        return SpanGuard::inactive();
    }
    SpanGuard::open(callsite, generation)
}

impl Drop for SpanGuard {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.node.is_null() {
            self.close();
        }
    }
}
