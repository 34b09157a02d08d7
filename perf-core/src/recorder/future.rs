//! Spans of async fns: timed from the first poll to completion, counted once,
//! with each poll nesting its callees under the fn on whichever thread polls
//! (see [`super::resume`], which tracing spans entered more than once share).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::events::EventKind;
use super::outcome;
use super::resume::{Entered, Resumable};
use crate::callsite::Callsite;

pin_project_lite::pin_project! {
    /// The future of an instrumented `async fn`. Used by generated code.
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        callsite: &'static Callsite,
        call: Resumable,
    }
}

impl<F> Instrumented<F> {
    /// Wraps the body of an async fn.
    pub fn new(callsite: &'static Callsite, inner: F) -> Self {
        Instrumented {
            inner,
            callsite,
            call: Resumable::default(),
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(entered) = this.call.enter(this.callsite) else {
            let result = this.inner.poll(cx);
            if result.is_ready() {
                // A failure the body told of is this call's, recorded or not.
                outcome::take_async_failure();
            }
            return result;
        };
        #[cfg(perf_instructions)]
        let slot = entered.slot();
        let mut frame = PollFrame {
            call: this.call,
            callsite: this.callsite,
            entered: Some(entered),
        };
        // In an instruction build each poll runs through the node's slot, so
        // the call's count sums over its polls (see `super::slot`).
        #[cfg(perf_instructions)]
        let result = super::slot::in_slot(slot, || this.inner.poll(cx));
        #[cfg(not(perf_instructions))]
        let result = this.inner.poll(cx);
        let completed = result.is_ready();
        frame.leave(completed, completed && outcome::take_async_failure());
        result
    }
}

/// One poll, entered on the polling thread's tree.
struct PollFrame<'a> {
    call: &'a mut Resumable,
    callsite: &'static Callsite,
    entered: Option<Entered>,
}

impl PollFrame<'_> {
    /// Leaves the poll; on completion, records the call, `failed` or not.
    fn leave(&mut self, completed: bool, failed: bool) {
        if let Some(entered) = self.entered.take() {
            self.call.exit(entered);
            if completed {
                self.call.finish(self.callsite, EventKind::Async, failed);
            }
        }
    }
}

impl Drop for PollFrame<'_> {
    fn drop(&mut self) {
        // Unwinding out of the poll: the call ends here, failed, as a sync
        // one would.
        self.leave(true, true);
    }
}
