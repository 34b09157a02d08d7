//! perf's own cost per recorded call on this machine, measured as a session
//! starts, so that the figures can say when a function's time is mostly
//! perf's (as tracy and puffin calibrate theirs).
//!
//! The calling thread records calls of an empty function into a generation
//! of their own, which the session's then replaces: rounds of calls timed
//! from outside give the whole cost of a call (the fastest round, less an
//! empty loop's: a round the scheduler interrupted is slower, never
//! faster), and the recorded time of those calls the part of it inside a
//! call's own window. About a millisecond.

use std::hint::black_box;

use perf_format::schema::run::Overhead;

use crate::callsite::Callsite;
use crate::{clock, recorder};

/// The empty function measured.
static PROBE: Callsite = Callsite::new("perf::calibration", file!(), line!(), false);

/// Calls in a round.
const CALLS: u64 = 2_000;
/// Rounds, of which the fastest counts.
const ROUNDS: usize = 9;

/// Measures the cost of a recorded call on this thread, recording into
/// `generation` (not the session's, which must not have begun). `None` when
/// nothing records (recording switched off, perf-core built without
/// `enabled`, an instruction build, where each call's cost is callgrind's).
pub(crate) fn calibrate(generation: u32) -> Option<Overhead> {
    if cfg!(any(not(feature = "enabled"), perf_instructions)) || !recorder::is_enabled() {
        return None;
    }
    recorder::begin_generation(generation, 0);
    recorder::set_session(generation);
    let empty = fastest(|| {
        for i in 0..CALLS {
            black_box(i);
        }
    });
    let recorded = fastest(|| {
        for i in 0..CALLS {
            let guard = recorder::enter(&PROBE);
            black_box(i);
            drop(guard);
        }
    });
    recorder::set_session(0);
    let probe = recorder::snapshot_threads(generation)
        .into_iter()
        .flat_map(|thread| thread.nodes)
        .find(|node| std::ptr::eq(node.callsite, &PROBE))?;
    if probe.calls == 0 {
        return None;
    }
    let per_call = |ticks: u64, calls: u64| clock::ticks_to_ns(ticks) as f64 / calls as f64;
    let call_ns = per_call(recorded.saturating_sub(empty), CALLS);
    let inside_ns = per_call(probe.ticks, probe.calls).min(call_ns);
    Some(Overhead::new(call_ns, inside_ns))
}

/// The fewest ticks `round` took in [`ROUNDS`] tries.
fn fastest(mut round: impl FnMut()) -> u64 {
    (0..ROUNDS)
        .map(|_| {
            let start = clock::now();
            round();
            clock::now().saturating_sub(start)
        })
        .min()
        .unwrap_or(0)
}
