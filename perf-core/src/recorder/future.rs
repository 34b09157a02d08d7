//! Spans of async fns: timed from the first poll to completion, counted once,
//! with each poll nesting its callees under the fn on whichever thread polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::RECORDING;
use super::events::{Event, EventKind};
use super::thread::{Node, local};
use crate::alloc::{self, AllocCounts};
use crate::callsite::Callsite;
use crate::{clock, cpu_time};

pin_project_lite::pin_project! {
    /// The future of an instrumented `async fn`. Used by generated code.
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        callsite: &'static Callsite,
        state: AsyncState,
    }
}

/// What a future has accumulated over its polls.
#[derive(Default)]
struct AsyncState {
    started: bool,
    /// The generation the first poll recorded into; 0: not recorded.
    generation: u32,
    start: u64,
    allocs: AllocCounts,
    cpu_ns: u64,
}

impl<F> Instrumented<F> {
    /// Wraps the body of an async fn.
    pub fn new(callsite: &'static Callsite, inner: F) -> Self {
        Instrumented {
            inner,
            callsite,
            state: AsyncState::default(),
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let state = this.state;
        if !state.started {
            state.started = true;
            state.generation = RECORDING.load(Ordering::Relaxed);
            if state.generation != 0 {
                state.start = clock::now();
            }
        }
        if state.generation == 0 {
            return this.inner.poll(cx);
        }
        match PollFrame::enter(this.callsite, state) {
            Some(mut frame) => {
                let result = this.inner.poll(cx);
                frame.close(result.is_ready());
                result
            }
            None => this.inner.poll(cx),
        }
    }
}

/// One poll, entered on the polling thread's tree.
struct PollFrame<'a> {
    node: *const Node,
    state: &'a mut AsyncState,
    allocs: AllocCounts,
    cpu_ns: u64,
    closed: bool,
}

impl<'a> PollFrame<'a> {
    fn enter(callsite: &'static Callsite, state: &'a mut AsyncState) -> Option<Self> {
        let generation = state.generation;
        // SAFETY: as in `SpanGuard::open`.
        let local = unsafe { &*local() };
        // Join the future's generation only if it is still the recording one.
        if local.generation() != generation && RECORDING.load(Ordering::Relaxed) != generation {
            return None;
        }
        if !local.ready(generation) {
            return None;
        }
        let node = local.child(callsite);
        local.current.set(node);
        let cpu_ns = if callsite.cpu() {
            cpu_time::thread_cpu_ns()
        } else {
            0
        };
        Some(PollFrame {
            node,
            state,
            allocs: alloc::counts(),
            cpu_ns,
            closed: false,
        })
    }

    /// Leaves the poll; on completion, records the call.
    fn close(&mut self, completed: bool) {
        self.closed = true;
        let end = clock::now();
        let state = &mut *self.state;
        // SAFETY: as in `SpanGuard::open`.
        let local = unsafe { &*local() };
        if local.generation() != state.generation {
            return;
        }
        // SAFETY: the generation still matches, so the node is alive.
        let node = unsafe { &*self.node };
        let callsite = node.callsite;
        let allocs = alloc::counts().since(self.allocs);
        state.allocs.allocs += allocs.allocs;
        state.allocs.bytes += allocs.bytes;
        if callsite.cpu() {
            state.cpu_ns += cpu_time::thread_cpu_ns().saturating_sub(self.cpu_ns);
        }
        if completed {
            let cpu_ns = callsite.cpu().then_some(state.cpu_ns);
            node.stats
                .record(end.saturating_sub(state.start), state.allocs, cpu_ns);
            local.push_event(Event {
                start: state.start,
                end,
                callsite,
                kind: EventKind::Async,
            });
        }
        local.current.set(node.parent);
    }
}

impl Drop for PollFrame<'_> {
    fn drop(&mut self) {
        // Unwinding out of the poll: the call ends here, as a sync one would.
        if !self.closed {
            self.close(true);
        }
    }
}
