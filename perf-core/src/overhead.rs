//! perf's own cost per recorded call on this machine, measured as a session
//! starts, so that the figures can say when a function's time is mostly
//! perf's (as tracy and puffin calibrate theirs).
//!
//! The calling thread records rounds of calls of an empty function, each
//! into a generation of its own, which the session's then replaces: the
//! fastest round timed from outside gives the whole cost of a call (less an
//! empty loop's: a round the scheduler interrupted is slower, never
//! faster), and the time that round's calls recorded the part of it inside
//! a call's own window. About a millisecond.

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

/// Measures the cost of a recorded call on this thread, each round
/// recording into a generation of its own from `generation` (not the
/// session's, which must not have begun). `None` when nothing records
/// (recording switched off, perf-core built without `enabled`, an
/// instruction build, where each call's cost is callgrind's).
pub(crate) fn calibrate(mut generation: impl FnMut() -> u32) -> Option<Overhead> {
    if cfg!(any(not(feature = "enabled"), perf_instructions)) || !recorder::is_enabled() {
        return None;
    }
    let empty = (0..ROUNDS)
        .map(|_| {
            timed(|| {
                for i in 0..CALLS {
                    black_box(i);
                }
            })
        })
        .min()
        .unwrap_or(0);
    // The fastest round, and the time its calls recorded.
    let (outside, inside) = (0..ROUNDS)
        .filter_map(|_| round(generation()))
        .min_by_key(|&(outside, _)| outside)?;
    let per_call = |ticks: u64| clock::ticks_to_ns(ticks) as f64 / CALLS as f64;
    let call_ns = per_call(outside.saturating_sub(empty));
    let inside_ns = per_call(inside).min(call_ns);
    Some(Overhead::new(call_ns, inside_ns))
}

/// One round of [`CALLS`] recorded calls into `generation`: its ticks from
/// outside, and the ticks its calls recorded; `None` if none was recorded.
fn round(generation: u32) -> Option<(u64, u64)> {
    recorder::begin_generation(generation, 0);
    recorder::set_session(generation);
    let outside = timed(|| {
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
    (probe.calls == CALLS).then_some((outside, probe.ticks))
}

/// The ticks `work` took.
fn timed(work: impl FnOnce()) -> u64 {
    let start = clock::now();
    work();
    clock::now().saturating_sub(start)
}
