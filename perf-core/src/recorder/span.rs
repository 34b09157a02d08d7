//! Spans of plain (synchronous) code: `#[profile]` on a fn, and `scope!`.
//!
//! Only the check of [`RECORDING`] is inlined into the instrumented function;
//! opening and closing a recorded span are calls. That keeps the switched-off
//! path to a load and a branch (no register spills in the caller) and, as
//! measured in `benches/`, costs the recording path nothing.
//!
//! The guard is what an instrumented function adds to its stack frame, so it
//! holds no more than closing the span needs: 24 bytes, 32 with CPU time.
//! Allocations are charged to the span's node by `PerfAlloc` as they happen
//! (the node is the thread's current one while the span is open), so a span
//! reads no allocation counter when it opens or closes.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use super::RECORDING;
use super::events::{Event, EventKind};
use super::thread::{Node, local};
use crate::callsite::Callsite;
use crate::{clock, cpu_time};

/// What an open span remembers until it closes, on the instrumented
/// function's stack: 24 bytes. The thread CPU time at the start, which
/// only `#[profile(cpu)]` needs, is kept by [`CpuSpanGuard`] beside it. A
/// guard that records nothing is `None`, whose only word is the null node:
/// the switched-off path writes one word.
struct Span {
    node: NonNull<Node>,
    generation: u32,
    start: u64,
    /// The slot whose edges this span marks by callgrind dumps (a span that
    /// does not run through its slot), else `NO_SLOT`; kept here because the
    /// node may be gone when the span closes (see [`super::slot::dump_at`]).
    #[cfg(perf_instructions)]
    dumped: u32,
}

impl Span {
    /// Opens a span of `callsite` on this thread, unless the thread cannot
    /// record; `mark` runs once its node is found, before the clock starts
    /// (a CPU clock read, or nothing).
    #[inline(always)]
    fn open<T>(
        callsite: &'static Callsite,
        generation: u32,
        mark: impl FnOnce() -> T,
    ) -> Option<(Span, T)> {
        // SAFETY: `Local` is a const thread-local without `Drop`: it lives as
        // long as this thread, and is used here only on this thread.
        let local = unsafe { &*local() };
        if !local.ready(generation) {
            return None;
        }
        let node = local.child(callsite);
        local.current.set(node);
        // SAFETY: `child` gives the address of a boxed node, never null.
        let node = unsafe { NonNull::new_unchecked(node.cast_mut()) };
        let marked = mark();
        #[cfg(perf_instructions)]
        let dumped = {
            // SAFETY: the node was just made current on this thread: alive.
            let node = unsafe { node.as_ref() };
            let dumped = if callsite.runs_in_slot() {
                super::slot::NO_SLOT
            } else {
                node.slot
            };
            super::slot::dump_at(super::slot::Edge::Open, dumped);
            dumped
        };
        let span = Span {
            node,
            generation,
            start: clock::now(),
            #[cfg(perf_instructions)]
            dumped,
        };
        Some((span, marked))
    }

    /// Records the call that ends now; `cpu_ns` gives its CPU time where
    /// measured, read once the clock has stopped.
    #[inline(always)]
    fn close(&self, cpu_ns: impl FnOnce() -> Option<u64>) {
        let end = clock::now();
        #[cfg(perf_instructions)]
        super::slot::dump_at(super::slot::Edge::Close, self.dumped);
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        // A new session has replaced this thread's tree since the span opened.
        if local.generation() != self.generation {
            return;
        }
        // SAFETY: the generation still matches, so the tree the node belongs
        // to has not been reset and the node is alive.
        let node = unsafe { self.node.as_ref() };
        let callsite = node.callsite;
        let cpu_ns = cpu_ns();
        node.stats.record(end.saturating_sub(self.start), cpu_ns);
        local.push_event(Event {
            start: self.start,
            end,
            callsite,
            kind: EventKind::Sync,
        });
        local.current.set(node.parent);
    }

    /// The slot of the span's node (see [`super::slot`]).
    #[cfg(perf_instructions)]
    #[inline(always)]
    fn slot(&self) -> u32 {
        // SAFETY: called while the guard holding the span is alive, within
        // the call it guards: the thread's tree has not been reset since the
        // span opened unless a new session started inside the call; a node
        // is freed only by this thread, in `reset` or `end`, neither of which
        // runs between the span's opening and the body's start.
        unsafe { self.node.as_ref() }.slot
    }
}

/// An open span: records its call when dropped, also when unwinding from a
/// panic. Returned by [`scope!`](crate::scope).
#[must_use = "the span closes when this guard is dropped: bind it with `let _span = ...`"]
pub struct SpanGuard(Option<Span>);

impl std::fmt::Debug for SpanGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanGuard")
            .field("recording", &self.0.is_some())
            .finish()
    }
}

impl SpanGuard {
    /// A guard that records nothing. Not `inline(always)`: a debug build
    /// calls it to write the guard in place, where building it inline
    /// would add a temporary to every instrumented frame.
    #[inline]
    fn off() -> SpanGuard {
        SpanGuard(None)
    }

    #[inline(never)]
    fn open(callsite: &'static Callsite, generation: u32) -> SpanGuard {
        // Not counted, also when unwinding (the guard switches counting back on).
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        SpanGuard(Span::open(callsite, generation, || ()).map(|(span, ())| span))
    }

    #[inline(never)]
    fn close(span: &Span) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        span.close(|| None);
    }

    /// The slot the guarded call runs through, in an instruction build
    /// (see [`super::slot`]). Used by generated code.
    #[cfg(perf_instructions)]
    #[inline(always)]
    pub fn slot(&self) -> u32 {
        self.0.as_ref().map_or(super::slot::NO_SLOT, Span::slot)
    }
}

/// Opens a span for `callsite` on this thread. Used by generated code.
#[inline(always)]
pub fn enter(callsite: &'static Callsite) -> SpanGuard {
    let generation = RECORDING.load(Ordering::Relaxed);
    if generation == 0 {
        return SpanGuard::off();
    }
    SpanGuard::open(callsite, generation)
}

impl Drop for SpanGuard {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(span) = &self.0 {
            SpanGuard::close(span);
        }
    }
}

/// An open span of a `#[profile(cpu)]` function, which also keeps the
/// thread's CPU time when it opened. Used by generated code; not public API.
#[must_use = "the span closes when this guard is dropped"]
pub struct CpuSpanGuard(Option<(Span, u64)>);

impl std::fmt::Debug for CpuSpanGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuSpanGuard")
            .field("recording", &self.0.is_some())
            .finish()
    }
}

impl CpuSpanGuard {
    /// A guard that records nothing (see [`SpanGuard::off`]).
    #[inline]
    fn off() -> CpuSpanGuard {
        CpuSpanGuard(None)
    }

    #[inline(never)]
    fn open(callsite: &'static Callsite, generation: u32) -> CpuSpanGuard {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        CpuSpanGuard(Span::open(callsite, generation, cpu_time::thread_cpu_ns))
    }

    #[inline(never)]
    fn close(span: &Span, cpu_start: u64) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        span.close(|| Some(cpu_time::thread_cpu_ns().saturating_sub(cpu_start)));
    }

    /// The slot the guarded call runs through (see [`SpanGuard::slot`]).
    #[cfg(perf_instructions)]
    #[inline(always)]
    pub fn slot(&self) -> u32 {
        self.0
            .as_ref()
            .map_or(super::slot::NO_SLOT, |(span, _)| span.slot())
    }
}

/// Opens a span for `callsite` that also measures the thread's CPU time.
/// Used by generated code.
#[inline(always)]
pub fn enter_cpu(callsite: &'static Callsite) -> CpuSpanGuard {
    let generation = RECORDING.load(Ordering::Relaxed);
    if generation == 0 {
        return CpuSpanGuard::off();
    }
    CpuSpanGuard::open(callsite, generation)
}

impl Drop for CpuSpanGuard {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some((span, cpu_start)) = &self.0 {
            CpuSpanGuard::close(span, *cpu_start);
        }
    }
}

#[cfg(all(test, not(perf_instructions)))]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn guards_keep_only_what_closing_needs() {
        // Each level of a recursion through `#[profile]` carries one.
        assert_eq!(size_of::<SpanGuard>(), 24);
        assert_eq!(size_of::<CpuSpanGuard>(), 32);
    }
}
