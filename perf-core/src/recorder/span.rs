//! Spans of plain (synchronous) code: `#[profile]` on a fn, and `scope!`.
//!
//! Only the check of [`RECORDING`] is inlined into the instrumented function;
//! opening and closing a recorded span are calls. That keeps the switched-off
//! path to a load and a branch (no register spills in the caller) and, as
//! measured in `benches/`, costs the recording path nothing.
//!
//! Each of those calls first tries a path that calls nothing — the node
//! exists, the clock is the TSC read inline, the histogram row and the
//! trace slot are there — so that it saves no registers; anything else
//! (a new node, a new row or chunk of events, another clock) goes to the
//! general path, before anything is written.
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
use super::outcome::Fallible;
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

    /// Opens a span of `callsite` on this thread if that needs no call:
    /// the thread records `generation`, the clock is the TSC, and the node
    /// is the one found last under the current one; `None` otherwise,
    /// having done nothing.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    fn open_at_once(callsite: &'static Callsite, generation: u32) -> Option<Span> {
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        if local.fast_generation() != generation {
            return None;
        }
        let node = local.last_child(callsite)?;
        local.current.set(node);
        Some(Span {
            // SAFETY: a child is the address of a boxed node, never null.
            node: unsafe { NonNull::new_unchecked(node.cast_mut()) },
            generation,
            start: clock::tsc(),
        })
    }

    /// Records the call that ends now if that needs no call: the thread
    /// still records the span's generation, the clock is the TSC, and the
    /// histogram row and the trace slot exist. Otherwise returns, having
    /// written nothing, when the clock was read, if it was.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    fn close_at_once(&self) -> Result<(), Option<u64>> {
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        let end = clock::tsc();
        if local.fast_generation() != self.generation {
            return Err(None);
        }
        // SAFETY: the generation still matches, so the tree the node belongs
        // to has not been reset and the node is alive.
        let node = unsafe { self.node.as_ref() };
        // A clock that went back (another core's TSC) takes the general path.
        let ticks = end.wrapping_sub(self.start);
        if (ticks as i64) < 0 {
            return Err(Some(end));
        }
        let counter = node.stats.existing_counter(ticks).ok_or(Some(end))?;
        let slot = local.event_slot().ok_or(Some(end))?;
        node.stats.record_counted(ticks, counter);
        if let Some(slot) = slot {
            let event = Event {
                start: self.start,
                end,
                callsite: node.callsite,
                kind: EventKind::Sync,
            };
            // SAFETY: the slot `event_slot` just gave.
            unsafe { local.fill(slot, event) };
        }
        local.current.set(node.parent);
        Ok(())
    }

    /// Records the call that ends at `end` (now, if `None`); `cpu_ns` gives
    /// its CPU time where measured, read once the clock has stopped.
    #[inline(always)]
    fn close(&self, end: Option<u64>, cpu_ns: impl FnOnce() -> Option<u64>) {
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        let end = end.unwrap_or_else(clock::now);
        #[cfg(perf_instructions)]
        super::slot::dump_at(super::slot::Edge::Close, self.dumped);
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

    /// Counts the span's call as failed, if its tree is still this thread's.
    #[cold]
    #[inline(never)]
    fn fail(&self) {
        // SAFETY: as in `open`.
        let local = unsafe { &*local() };
        if local.generation() == self.generation {
            // SAFETY: as in `close`: the generation still matches, so the
            // node is alive, and only this thread writes its counters.
            unsafe { self.node.as_ref() }.stats.failed();
        }
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
        #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
        if let Some(span) = Span::open_at_once(callsite, generation) {
            return SpanGuard(Some(span));
        }
        SpanGuard::open_generally(callsite, generation)
    }

    #[cold]
    #[inline(never)]
    fn open_generally(callsite: &'static Callsite, generation: u32) -> SpanGuard {
        // Not counted, also when unwinding (the guard switches counting back on).
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        SpanGuard(Span::open(callsite, generation, || ()).map(|(span, ())| span))
    }

    #[inline(never)]
    fn close(span: &Span) {
        // Unwinding out of the call: it failed. One load of the panic count.
        if std::thread::panicking() {
            span.fail();
        }
        #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
        let end = match span.close_at_once() {
            Ok(()) => return,
            Err(end) => end,
        };
        #[cfg(not(all(target_arch = "x86_64", not(perf_instructions))))]
        let end = None;
        SpanGuard::close_generally(span, end);
    }

    #[cold]
    #[inline(never)]
    fn close_generally(span: &Span, end: Option<u64>) {
        #[cfg(perf_instructions)]
        let _uncounted = super::slot::Uncounted::new();
        span.close(end, || None);
    }

    /// The slot the guarded call runs through, in an instruction build
    /// (see [`super::slot`]). Used by generated code.
    #[cfg(perf_instructions)]
    #[inline(always)]
    pub fn slot(&self) -> u32 {
        self.0.as_ref().map_or(super::slot::NO_SLOT, Span::slot)
    }

    /// Counts the guarded call as failed (`perf_function_errors_total`,
    /// `errors` in `run.json`), as `#[profile]` does for a returned `Err`.
    /// A call that unwinds from a panic is counted failed by itself.
    #[inline]
    pub fn fail(&self) {
        if let Some(span) = &self.0 {
            span.fail();
        }
    }

    /// Returns `result`, counting the call failed if it is an `Err`. Used by
    /// generated code.
    #[doc(hidden)]
    #[inline(always)]
    pub fn settle<R: Fallible>(&self, result: R) -> R {
        if result.failed() {
            self.fail();
        }
        result
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
        if std::thread::panicking() {
            span.fail();
        }
        span.close(None, || {
            Some(cpu_time::thread_cpu_ns().saturating_sub(cpu_start))
        });
    }

    /// The slot the guarded call runs through (see [`SpanGuard::slot`]).
    #[cfg(perf_instructions)]
    #[inline(always)]
    pub fn slot(&self) -> u32 {
        self.0
            .as_ref()
            .map_or(super::slot::NO_SLOT, |(span, _)| span.slot())
    }

    /// Returns `result`, counting the call failed if it is an `Err` (see
    /// [`SpanGuard::settle`]).
    #[inline(always)]
    pub fn settle<R: Fallible>(&self, result: R) -> R {
        if result.failed() {
            if let Some((span, _)) = &self.0 {
                span.fail();
            }
        }
        result
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
