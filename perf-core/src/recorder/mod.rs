//! The recorder: what `#[profile]` and `scope!` call.
//!
//! Each thread aggregates its calls into its own call tree ([`thread`]);
//! nothing on the hot path takes a lock or writes memory another thread
//! writes. A session turns recording on by publishing a new generation in
//! [`RECORDING`]; each thread starts a fresh tree the first time it sees it,
//! and the session reads all trees when it finishes.

mod events;
mod future;
mod outcome;
mod resume;
#[cfg(perf_instructions)]
mod slot;
mod span;
mod thread;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(all(test, feature = "svg"))]
pub(crate) use events::Event;
pub(crate) use events::EventKind;
pub use future::Instrumented;
pub use outcome::{Fallible, settle_async};
#[cfg(feature = "tracing")]
pub(crate) use resume::{Entered, Resumable};
#[cfg(perf_instructions)]
pub use slot::in_slot;
pub use span::{CpuSpanGuard, SpanGuard, enter, enter_cpu};
#[cfg(all(test, feature = "serve"))]
pub(crate) use thread::NodeSnapshot;
pub(crate) use thread::{AllocCounts, ThreadSnapshot, begin_generation, charge, snapshot_threads};
#[cfg(feature = "serve")]
pub(crate) use thread::{NodeView, snapshot_live, visit_live};
#[cfg(unix)]
pub(crate) use thread::{hold_for_fork, release_after_fork};

/// 0 when nothing records; otherwise the generation of the running session.
/// The only shared state the hot path reads.
pub(crate) static RECORDING: AtomicU32 = AtomicU32::new(0);

struct Control {
    enabled: bool,
    session: u32,
}

static CONTROL: Mutex<Control> = Mutex::new(Control {
    enabled: true,
    session: 0,
});

fn control() -> std::sync::MutexGuard<'static, Control> {
    crate::sync::lock(&CONTROL)
}

fn publish(control: &Control) {
    let generation = if control.enabled { control.session } else { 0 };
    RECORDING.store(generation, Ordering::Release);
}

/// Turns recording on or off at run time, for every thread. While off, an
/// instrumented call costs one load and a branch. A session records only while
/// this is on (the default).
pub fn set_enabled(enabled: bool) {
    let mut control = control();
    control.enabled = enabled;
    publish(&control);
}

/// Whether recording is switched on (see [`set_enabled`]).
pub fn is_enabled() -> bool {
    control().enabled
}

/// Whether a session is recording right now (and recording is switched on).
#[cfg(feature = "tracing")]
#[inline(always)]
pub(crate) fn is_recording() -> bool {
    RECORDING.load(Ordering::Relaxed) != 0
}

/// Makes `generation` the recording one (0: none).
pub(crate) fn set_session(generation: u32) {
    let mut control = control();
    control.session = generation;
    publish(&control);
}
