//! `PerfLayer`: spans of `tracing` land in perf's call tree (feature `tracing`).
//!
//! Each span callsite is recorded as one perf function named
//! `{module_path}::{span name}` (the span name alone when there is no module
//! path). For `#[tracing::instrument]` the span name is the fn's name, so the
//! function is named as `#[profile]` would name it, and its CPU samples are
//! credited to it. Spans nest with `#[profile]` fns and `scope!`s in both
//! directions, and show in `run.json`, the flamegraphs, `trace.json` and
//! `cargo perf compare` like them.
//!
//! # What counts as a call
//! A span is one call, from its first enter to its last exit, recorded when
//! the span closes. Each enter nests the callees under the span on the
//! entering thread. A span entered once (a sync `#[instrument]` fn,
//! `Span::in_scope`) is timed like a `#[profile]` fn; a span entered once per
//! poll (`#[instrument] async fn`, `.instrument(span)`) is counted once and
//! timed from the first poll to the last, suspended time included — the same
//! as a `#[profile] async fn`, and in `trace.json` as an async slice. A span
//! closed on another thread than the one it last exited on counts under what
//! that thread is in when it closes.
//!
//! # Out-of-order exits
//! `tracing` lets a span exit while spans entered after it on the same thread
//! are still entered. The layer then leaves those spans, leaves the exiting
//! one, and enters those spans again, in order, under the span the exiting
//! one was entered in. What they call next nests under them there, and there
//! they are recorded (a span is recorded where it last exited). As a span is
//! one call however often it is entered, no call is lost or counted twice,
//! and the thread's place in the tree stays right. Entering a span that is
//! already entered on the thread changes nothing, as in tracing's registry.
//!
//! # Cost
//! With no session recording (or [`set_enabled`](crate::set_enabled)`(false)`),
//! the layer adds a load and a branch to each callback, and a span entered
//! then is not recorded (it starts recording at its first enter while a
//! session records); nor is a span that closes then, though its callees are.
//! Without perf-core's `enabled` feature the layer does nothing.
//! Recording through the layer costs more than `#[profile]`, as tracing's own
//! dispatch dominates (`benches/`: `call/tracing-perflayer`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::alloc;
use crate::callsite::Callsite;
use crate::recorder::{self, Entered, EventKind, Resumable};

/// A [`tracing_subscriber::Layer`] that records spans, such as those of
/// `#[tracing::instrument]` fns, in the running [`Session`](crate::Session),
/// in the same call tree as `#[profile]` fns.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// #[tracing::instrument]
/// fn parse(input: &str) -> usize {
///     input.split(',').count()
/// }
///
/// # fn main() -> Result<(), perf_core::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// let subscriber = tracing_subscriber::registry().with(perf_core::tracing::PerfLayer::new());
/// tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
///
/// let session = perf_core::Session::builder("parse")
/// #   .dir(dir.path())
///     .start()?;
/// parse("1,2,3");
/// let run = session.finish()?;
/// assert_eq!(run.function(&format!("{}::parse", module_path!())).unwrap().calls, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct PerfLayer {
    _private: (),
}

impl PerfLayer {
    /// A layer recording into whichever session is running.
    pub fn new() -> Self {
        PerfLayer { _private: () }
    }
}

/// A recorded span's state, in its extensions.
struct PerfSpan {
    callsite: &'static Callsite,
    call: Resumable,
}

/// One enter of a span on this thread.
struct Frame {
    id: span::Id,
    callsite: &'static Callsite,
    /// `None`: the span was already entered on this thread below this frame,
    /// so this enter changed nothing.
    entered: Option<Entered>,
}

/// The spans a thread is in that the layer entered, innermost last.
struct Stack(RefCell<Vec<Frame>>);

impl Drop for Stack {
    fn drop(&mut self) {
        // Grown inside `untracked` (see `push`), freed there too.
        let frames = std::mem::take(self.0.get_mut());
        alloc::untracked(|| drop(frames));
    }
}

thread_local! {
    static STACK: Stack = const { Stack(RefCell::new(Vec::new())) };
}

/// Spans that carry a [`PerfSpan`] extension now: while there are any, a
/// closing span is looked at even when no session records, so that the
/// extension is freed as perf's own memory.
static PERF_SPANS: AtomicUsize = AtomicUsize::new(0);

impl<S> Layer<S> for PerfLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if crate::ENABLED && metadata.is_span() {
            callsite_for(metadata);
        }
        Interest::always()
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        if !crate::ENABLED || !recorder::is_recording() {
            return;
        }
        let _ = STACK.try_with(|stack| {
            let Ok(mut stack) = stack.0.try_borrow_mut() else {
                return;
            };
            let already = stack.iter().find(|frame| frame.id == *id);
            if let Some(callsite) = already.map(|frame| frame.callsite) {
                let frame = Frame {
                    id: id.clone(),
                    callsite,
                    entered: None,
                };
                push(&mut stack, frame);
            } else if let Some(frame) = enter(id, &ctx) {
                push(&mut stack, frame);
            }
        });
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        if !crate::ENABLED {
            return;
        }
        let _ = STACK.try_with(|stack| {
            let Ok(mut stack) = stack.0.try_borrow_mut() else {
                return;
            };
            let Some(at) = stack.iter().rposition(|frame| frame.id == *id) else {
                return;
            };
            if at + 1 == stack.len() {
                if let Some(frame) = stack.pop() {
                    leave(frame, &ctx);
                }
            } else {
                exit_out_of_order(&mut stack, at, &ctx);
            }
        });
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let recording = recorder::is_recording();
        if !crate::ENABLED || (!recording && PERF_SPANS.load(Ordering::Relaxed) == 0) {
            return;
        }
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(perf) = extensions.get_mut::<PerfSpan>() {
            if recording {
                let kind = if perf.call.enters() > 1 {
                    EventKind::Async
                } else {
                    EventKind::Sync
                };
                perf.call
                    .finish(perf.callsite, kind, std::thread::panicking());
            }
            // The extension's box is perf's, made inside `untracked`: freed
            // there too, not by the registry later as if the program had.
            alloc::untracked(|| extensions.remove::<PerfSpan>());
            PERF_SPANS.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Enters span `id` on this thread, giving it its perf state on its first
/// enter; `None` if it does not record here.
fn enter<S>(id: &span::Id, ctx: &Context<'_, S>) -> Option<Frame>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let span = ctx.span(id)?;
    let mut extensions = span.extensions_mut();
    if extensions.get_mut::<PerfSpan>().is_none() {
        let perf = PerfSpan {
            callsite: callsite_for(span.metadata()),
            call: Resumable::default(),
        };
        // The extension's box is perf's, not the caller's allocation.
        alloc::untracked(|| extensions.insert(perf));
        PERF_SPANS.fetch_add(1, Ordering::Relaxed);
    }
    let perf = extensions.get_mut::<PerfSpan>()?;
    let entered = perf.call.enter(perf.callsite)?;
    Some(Frame {
        id: id.clone(),
        callsite: perf.callsite,
        entered: Some(entered),
    })
}

/// Leaves one frame, adding what its enter used to its span's call.
fn leave<S>(frame: Frame, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if let Some(entered) = frame.entered {
        leave_entered(&frame.id, frame.callsite, entered, ctx);
    }
}

fn leave_entered<S>(
    id: &span::Id,
    callsite: &'static Callsite,
    entered: Entered,
    ctx: &Context<'_, S>,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if let Some(span) = ctx.span(id) {
        let mut extensions = span.extensions_mut();
        // The callsite check guards against a span id reused after a close
        // that came, against tracing's rules, while the span was entered.
        if let Some(perf) = extensions
            .get_mut::<PerfSpan>()
            .filter(|perf| ptr::eq(perf.callsite, callsite))
        {
            perf.call.exit(entered);
            return;
        }
    }
    entered.abandon();
}

/// Exits the frame at `at`, below the top of the stack: leaves the frames
/// above it and it, then enters the spans above it again, in order.
#[cold]
fn exit_out_of_order<S>(stack: &mut Vec<Frame>, at: usize, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    // The vectors here are perf's, made and freed within: none of it is
    // the caller's.
    alloc::untracked(|| reorder(stack, at, ctx));
}

/// [`exit_out_of_order`]'s work.
fn reorder<S>(stack: &mut Vec<Frame>, at: usize, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut above = stack.split_off(at + 1);
    // Which of them to enter again: those that were not repeated enters.
    let mut reenter = Vec::with_capacity(above.len());
    for frame in above.iter_mut().rev() {
        let entered = frame.entered.take();
        reenter.push(entered.is_some());
        if let Some(entered) = entered {
            leave_entered(&frame.id, frame.callsite, entered, ctx);
        }
    }
    if let Some(frame) = stack.pop() {
        leave(frame, ctx);
    }
    for (frame, reenter) in above.into_iter().zip(reenter.into_iter().rev()) {
        if !reenter {
            push(stack, frame);
        } else if let Some(frame) = enter(&frame.id, ctx) {
            push(stack, frame);
        }
    }
}

/// Pushes a frame; the stack's growth is perf's, not the caller's allocation.
fn push(stack: &mut Vec<Frame>, frame: Frame) {
    if stack.len() == stack.capacity() {
        alloc::untracked(|| stack.reserve(16));
    }
    stack.push(frame);
}

/// Slots in each thread's cache of callsites.
const CACHE_SLOTS: usize = 64;

thread_local! {
    /// Recently used callsites by metadata address, so that a new span
    /// rarely takes the lock of [`CALLSITES`].
    static CACHE: [Cell<(usize, Option<&'static Callsite>)>; CACHE_SLOTS] =
        const { [const { Cell::new((0, None)) }; CACHE_SLOTS] };
}

/// Every span callsite seen, by metadata address; each made once and leaked.
static CALLSITES: LazyLock<Mutex<HashMap<usize, &'static Callsite>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The perf callsite of a tracing callsite.
fn callsite_for(metadata: &'static Metadata<'static>) -> &'static Callsite {
    let key = ptr::from_ref(metadata) as usize;
    // Fibonacci hashing: the top bits of the product spread nearby addresses.
    let slot =
        (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CACHE_SLOTS.trailing_zeros());
    let cached = CACHE.try_with(|cache| {
        let entry = &cache[slot as usize];
        match entry.get() {
            (cached_key, Some(callsite)) if cached_key == key => callsite,
            _ => {
                let callsite = shared_callsite(key, metadata);
                entry.set((key, Some(callsite)));
                callsite
            }
        }
    });
    cached.unwrap_or_else(|_| shared_callsite(key, metadata))
}

fn shared_callsite(key: usize, metadata: &'static Metadata<'static>) -> &'static Callsite {
    alloc::untracked(|| {
        let mut callsites = crate::sync::lock(&CALLSITES);
        *callsites
            .entry(key)
            .or_insert_with(|| make_callsite(metadata))
    })
}

fn make_callsite(metadata: &'static Metadata<'static>) -> &'static Callsite {
    let name = metadata.name();
    let file = metadata.file().unwrap_or("");
    let line = metadata.line().unwrap_or(0);
    let callsite = match metadata.module_path() {
        Some(module) => {
            let path: &'static str = Box::leak(format!("{module}::{name}").into_boxed_str());
            Callsite::with_code_path(path, file, line, path)
        }
        None => Callsite::new(name, file, line, false),
    };
    Box::leak(Box::new(callsite))
}
