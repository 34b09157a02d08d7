//! The clock spans are timed with: the CPU's time-stamp counter where quanta
//! finds it usable (else the OS monotonic clock), read raw on the hot path and
//! turned into nanoseconds only when a run is built.

use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();

/// The calibrated clock; the first call calibrates it (a few milliseconds).
pub(crate) fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Raw ticks. Zero until [`clock`] has been called once, which every session
/// does before it turns recording on.
#[inline(always)]
pub(crate) fn now() -> u64 {
    match CLOCK.get() {
        Some(clock) => clock.raw(),
        None => 0,
    }
}

/// A span of raw ticks in nanoseconds.
pub(crate) fn ticks_to_ns(ticks: u64) -> u64 {
    clock().delta_as_nanos(0, ticks)
}
