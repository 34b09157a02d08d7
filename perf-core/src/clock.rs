//! The clock spans are timed with: the CPU's time-stamp counter where quanta
//! finds it usable (else the OS monotonic clock), read raw on the hot path and
//! turned into nanoseconds only when a run is built.
//!
//! quanta's `Clock::raw` is not inlined across crates; where quanta's clock
//! is the TSC itself (checked once, by bracketing a quanta reading between
//! two `rdtsc`), the hot path reads the TSC inline instead.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
/// quanta's raw clock is this CPU's TSC, so reading it inline is the same clock.
static INLINE_TSC: AtomicBool = AtomicBool::new(false);

/// The calibrated clock; the first call calibrates it (a few milliseconds).
pub(crate) fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(|| {
        let clock = quanta::Clock::new();
        INLINE_TSC.store(raw_is_tsc(&clock), Ordering::Relaxed);
        clock
    })
}

#[cfg(target_arch = "x86_64")]
fn raw_is_tsc(clock: &quanta::Clock) -> bool {
    (0..3).all(|_| {
        let before = rdtsc();
        let raw = clock.raw();
        let after = rdtsc();
        before <= raw && raw <= after
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn raw_is_tsc(_: &quanta::Clock) -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Raw ticks. Zero until [`clock`] has been called once, which every session
/// does before it turns recording on.
#[inline(always)]
pub(crate) fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    if INLINE_TSC.load(Ordering::Relaxed) {
        return rdtsc();
    }
    now_via_quanta()
}

/// The TSC: raw ticks when [`inline_tsc`] says the clock is the TSC.
#[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
#[inline(always)]
pub(crate) fn tsc() -> u64 {
    rdtsc()
}

/// Whether [`now`] reads the TSC inline.
pub(crate) fn inline_tsc() -> bool {
    INLINE_TSC.load(Ordering::Relaxed)
}

#[inline(never)]
fn now_via_quanta() -> u64 {
    match CLOCK.get() {
        Some(clock) => clock.raw(),
        None => 0,
    }
}

/// A span of raw ticks in nanoseconds.
pub(crate) fn ticks_to_ns(ticks: u64) -> u64 {
    clock().delta_as_nanos(0, ticks)
}

/// The smallest step between two readings of the clock, in ns: the finest
/// duration a span can tell from another (a few ns with the TSC, more with
/// a coarse OS clock or under Valgrind). Measured over 1 000 pairs of
/// readings; 0 when the clock never moved.
pub(crate) fn step_ns() -> f64 {
    let clock = clock();
    let mut smallest = u64::MAX;
    for _ in 0..1_000 {
        let start = now();
        let mut end = start;
        // A clock that never moves must not hang the session's end.
        for _ in 0..100_000 {
            end = now();
            if end != start {
                break;
            }
        }
        if end > start {
            smallest = smallest.min(end - start);
        }
    }
    if smallest == u64::MAX {
        return 0.0;
    }
    // In 1/1024 ns: one TSC tick is a fraction of a nanosecond.
    clock.delta_as_nanos(0, smallest.saturating_mul(1024)) as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clock_steps_by_less_than_a_millisecond() {
        let step = super::step_ns();
        assert!(step > 0.0 && step < 1e6, "{step}");
    }
}
