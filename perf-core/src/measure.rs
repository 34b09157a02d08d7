//! `measure`: a closure's own allocations and wall time, without a session,
//! for assertions in unit tests.

use std::time::{Duration, Instant};

use crate::alloc;

/// What [`measure`] saw of one closure call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Measurement<T = ()> {
    /// The closure's return value.
    pub output: T,
    /// Allocations made on this thread during the call.
    pub allocs: u64,
    /// Bytes asked for by those allocations, and by reallocations that grew
    /// a block (by how much they grew it).
    pub bytes: u64,
    /// Frees made on this thread during the call.
    pub frees: u64,
    /// Bytes freed, also by reallocations that shrank a block (by how
    /// much): `bytes − freed_bytes` is what the call kept.
    pub freed_bytes: u64,
    /// Reallocations made on this thread during the call, each counted once.
    pub reallocs: u64,
    /// Wall time of the call.
    pub wall: Duration,
    /// Whether [`PerfAlloc`](crate::PerfAlloc) is the global allocator; without
    /// it the counts above are always 0.
    pub alloc_tracking: bool,
}

/// Runs `f` once and reports its allocations, frees and reallocations (on
/// this thread) and wall time.
///
/// ```
/// #[global_allocator]
/// static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();
///
/// let m = perf_core::measure(|| vec![1u8, 2, 3]);
/// assert_eq!(m.allocs, 1);
/// assert_eq!(m.bytes, 3);
/// assert_eq!(m.output, [1, 2, 3]);
///
/// assert_eq!(perf_core::measure(|| 2 + 2).allocs, 0);
///
/// let kept = perf_core::measure(|| drop(vec![0u8; 64]));
/// assert_eq!((kept.bytes, kept.freed_bytes), (64, 64));
/// ```
pub fn measure<T>(f: impl FnOnce() -> T) -> Measurement<T> {
    let alloc_tracking = alloc::is_tracking();
    let before = alloc::stats();
    let start = Instant::now();
    let output = f();
    let wall = start.elapsed();
    let used = alloc::stats().since(before);
    Measurement {
        output,
        allocs: used.allocs,
        bytes: used.bytes,
        frees: used.frees,
        freed_bytes: used.freed,
        reallocs: used.reallocs,
        wall,
        alloc_tracking,
    }
}
