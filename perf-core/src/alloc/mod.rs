//! Allocation tracking: [`PerfAlloc`] counts every allocation, free and
//! reallocation in thread-local counters of the thread that makes it, and
//! charges it to that thread's innermost open span (its call-tree node), so
//! opening and closing a span read no allocation counter. It also keeps the
//! process's live heap, with its peak and its low-water mark while a
//! session watches ([`live`]).
//! perf's own bookkeeping (call trees, trace buffers) is made inside
//! [`untracked`] and counts nowhere, live heap included.
//!
//! # A block freed on another thread
//! Every count belongs to the thread that makes the call: a block allocated
//! on thread A and freed on thread B adds to A's allocated bytes and to B's
//! freed bytes, and to the freed bytes of the span open on B then, not to
//! the span that allocated it. The process's live heap stays exact, since it
//! sums every thread's allocated less freed bytes; a span's net bytes
//! (allocated less freed during its calls) see only its own thread, so a
//! function that hands its blocks to another thread to free shows them as
//! kept, and the function that frees them shows them as freed.

mod live;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

pub(crate) use live::{HeapNow, Timeline, now as heap_now, peak, take_low, unwatch, watch};
#[cfg(unix)]
pub(crate) use live::{hold_for_fork, release_after_fork};

use crate::recorder;

/// A global allocator that counts allocations, frees, reallocations and
/// bytes per thread, so that `#[profile]` functions, sessions and
/// [`measure`](crate::measure()) can report them, and keeps the live heap
/// and its peak for sessions. It wraps another allocator, [`System`] by
/// default.
///
/// ```
/// #[global_allocator]
/// static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();
/// # fn main() {}
/// ```
///
/// An allocation is a call of `alloc` or `alloc_zeroed`, its bytes the size
/// asked for; a free is a call of `dealloc`. A `realloc` counts as one
/// reallocation, by its size change: growing adds `new − old` to the bytes
/// allocated, shrinking adds `old − new` to the bytes freed. Each is
/// charged to the thread that makes the call (see the module docs of
/// `alloc` for a block freed on another thread).
///
/// With perf-core's `heap` feature, while a session takes a heap profile, a
/// `PerfAlloc` over [`System`] hands allocations to dhat's allocator, which
/// records them and allocates from `System` (heap profiles need
/// [`PerfAlloc::system`]).
#[derive(Debug, Default)]
pub struct PerfAlloc<A = System> {
    inner: A,
}

impl PerfAlloc<System> {
    /// Counts allocations made through the system allocator.
    pub const fn system() -> Self {
        PerfAlloc { inner: System }
    }
}

impl<A> PerfAlloc<A> {
    /// Counts allocations made through `inner`.
    pub const fn new(inner: A) -> Self {
        PerfAlloc { inner }
    }
}

/// The `GlobalAlloc` methods of `PerfAlloc`: each forwards to `$backend`
/// with the caller's arguments unchanged, and counts what it did.
macro_rules! counting_alloc {
    ($self:ident => $backend:expr) => {
        #[inline]
        unsafe fn alloc(&$self, layout: Layout) -> *mut u8 {
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
            counted(|| unsafe { $backend.alloc(layout) }, |_| allocated(layout.size()))
        }

        #[inline]
        unsafe fn alloc_zeroed(&$self, layout: Layout) -> *mut u8 {
            // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
            counted(|| unsafe { $backend.alloc_zeroed(layout) }, |_| allocated(layout.size()))
        }

        #[inline]
        unsafe fn dealloc(&$self, ptr: *mut u8, layout: Layout) {
            // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
            counted(|| unsafe { $backend.dealloc(ptr, layout) }, |_| freed(layout.size()))
        }

        #[inline]
        unsafe fn realloc(&$self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            counted(
                // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
                || unsafe { $backend.realloc(ptr, layout, new_size) },
                |_| reallocated(layout.size(), new_size),
            )
        }
    };
}

// SAFETY: every method forwards to the wrapped allocator with the caller's
// arguments unchanged and returns its result; counting touches only
// thread-locals that never allocate, atomics, and call-tree nodes that the
// calling thread owns.
#[cfg(not(feature = "heap"))]
unsafe impl<A: GlobalAlloc> GlobalAlloc for PerfAlloc<A> {
    counting_alloc!(self => self.inner);
}

// SAFETY: every method forwards to the wrapped allocator, or while a heap
// profile runs and the wrapped allocator is `System`, to dhat's (which
// records the call and hands it to `System`), with the caller's arguments
// unchanged, and returns its result. A block may be freed by the other of
// the two: both end in `System`, and dhat ignores blocks it did not see
// allocated. Counting touches only thread-locals that never allocate,
// atomics, and call-tree nodes that the calling thread owns.
#[cfg(feature = "heap")]
unsafe impl<A: GlobalAlloc + 'static> GlobalAlloc for PerfAlloc<A> {
    counting_alloc!(self => Routed(&self.inner));
}

/// The wrapped allocator, or dhat's while a heap profile runs (feature `heap`).
#[cfg(feature = "heap")]
struct Routed<'a, A>(&'a A);

/// `GlobalAlloc`'s methods on [`Routed`], each calling dhat's allocator or
/// the wrapped one with the caller's arguments.
#[cfg(feature = "heap")]
macro_rules! routed {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(
            #[inline(always)]
            unsafe fn $method(&self, $($arg: $ty),*) -> $out {
                // SAFETY: the caller upholds the contract of the
                // `GlobalAlloc` method of this name; with `A = System` both
                // allocators take their blocks from `System`, so either may
                // free or grow a block the other allocated.
                unsafe {
                    if Self::to_dhat() {
                        dhat::Alloc.$method($($arg),*)
                    } else {
                        self.0.$method($($arg),*)
                    }
                }
            }
        )*
    };
}

#[cfg(feature = "heap")]
impl<A: GlobalAlloc + 'static> Routed<'_, A> {
    /// Whether this call goes to dhat: only a `System`-backed `PerfAlloc`
    /// can share its blocks with dhat's allocator.
    #[inline(always)]
    fn to_dhat() -> bool {
        std::any::TypeId::of::<A>() == std::any::TypeId::of::<System>() && crate::heap::routing()
    }

    routed! {
        alloc(layout: Layout) -> *mut u8;
        alloc_zeroed(layout: Layout) -> *mut u8;
        dealloc(ptr: *mut u8, layout: Layout) -> ();
        realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8;
    }
}

/// What a call of the allocator gave back: a block, or nothing (`dealloc`).
trait Outcome {
    /// Whether the call did what it was asked.
    fn done(&self) -> bool;
}

impl Outcome for *mut u8 {
    #[inline(always)]
    fn done(&self) -> bool {
        !self.is_null()
    }
}

impl Outcome for () {
    #[inline(always)]
    fn done(&self) -> bool {
        true
    }
}

/// Runs `call` and, if it did what it was asked, `count`. With the `heap`
/// feature, calls that dhat makes while it records one (its backtraces)
/// are not counted: only the outermost is.
#[inline(always)]
fn counted<T: Outcome>(call: impl FnOnce() -> T, count: impl FnOnce(&T)) -> T {
    #[cfg(feature = "heap")]
    let outermost = COUNTERS.with(|c| !c.in_allocator.replace(true));
    let out = call();
    #[cfg(feature = "heap")]
    {
        if !outermost {
            return out;
        }
        COUNTERS.with(|c| c.in_allocator.set(false));
    }
    if out.done() {
        count(&out);
    }
    out
}

/// What this thread's code has done with the heap since the thread started
/// (perf's own bookkeeping left out, see [`untracked`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) allocs: u64,
    pub(crate) bytes: u64,
    pub(crate) frees: u64,
    pub(crate) freed: u64,
    pub(crate) reallocs: u64,
}

impl Stats {
    /// What was done between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Stats) -> Stats {
        Stats {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
            frees: self.frees.wrapping_sub(earlier.frees),
            freed: self.freed.wrapping_sub(earlier.freed),
            reallocs: self.reallocs.wrapping_sub(earlier.reallocs),
        }
    }
}

/// The counters other threads read (see [`live`]): atomics that only their
/// thread writes, with plain relaxed load and store.
struct Shared {
    allocs: AtomicU64,
    bytes: AtomicU64,
    frees: AtomicU64,
    freed: AtomicU64,
    reallocs: AtomicU64,
    /// Bytes the thread has added to the process's heap total beyond what
    /// it holds (what it freed and has not yet said): see [`live`].
    headroom: AtomicI64,
    /// `frees` and `reallocs` already added to the process's totals.
    folded_frees: AtomicU64,
    folded_reallocs: AtomicU64,
}

/// A thread's counters.
struct Counters {
    shared: Shared,
    /// The headroom this thread may keep before it says what it freed.
    limit: Cell<i64>,
    /// The watch its headroom was kept under (see [`live::watch`]).
    epoch: Cell<u32>,
    /// Where the thread stands with [`live`]'s registry.
    registration: Cell<live::Registration>,
    /// Inside [`untracked`]: calls are perf's own, charged to nothing.
    untracked: Cell<bool>,
    /// Calls made inside [`untracked`] (see [`is_tracking`]).
    untracked_calls: Cell<u64>,
    /// Inside the allocator: allocations made now are the allocator's own.
    #[cfg(feature = "heap")]
    in_allocator: Cell<bool>,
}

thread_local! {
    // Const-initialised and without Drop: access is a plain TLS offset and is
    // valid at any point of the thread's life, also inside the allocator and
    // in thread-exit destructors.
    static COUNTERS: Counters = const {
        Counters {
            shared: Shared {
                allocs: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                frees: AtomicU64::new(0),
                freed: AtomicU64::new(0),
                reallocs: AtomicU64::new(0),
                headroom: AtomicI64::new(0),
                folded_frees: AtomicU64::new(0),
                folded_reallocs: AtomicU64::new(0),
            },
            limit: Cell::new(0),
            epoch: Cell::new(0),
            registration: Cell::new(live::Registration::None),
            untracked: Cell::new(false),
            untracked_calls: Cell::new(0),
            #[cfg(feature = "heap")]
            in_allocator: Cell::new(false),
        }
    };
}

/// Adds to a counter only this thread writes: no atomic read-modify-write.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// Moves this thread's headroom by `by` (negative: bytes it now holds).
#[inline(always)]
fn move_headroom(c: &Counters, by: i64) -> i64 {
    let headroom = c.shared.headroom.load(Ordering::Relaxed).wrapping_add(by);
    c.shared.headroom.store(headroom, Ordering::Relaxed);
    headroom
}

/// Whether a call is perf's own (made inside [`untracked`]), which counts
/// nowhere; notes it if so.
#[inline(always)]
fn perfs_own(c: &Counters) -> bool {
    if c.untracked.get() {
        c.untracked_calls
            .set(c.untracked_calls.get().wrapping_add(1));
        return true;
    }
    false
}

#[inline(always)]
fn allocated(size: usize) {
    let size = size as u64;
    COUNTERS.with(|c| {
        if perfs_own(c) {
            return;
        }
        bump(&c.shared.allocs, 1);
        bump(&c.shared.bytes, size);
        recorder::charge(|node| node.allocated(size));
        if move_headroom(c, (size as i64).wrapping_neg()) < 0 || live::stale(c) {
            live::publish(c);
        }
    });
}

#[inline(always)]
fn freed(size: usize) {
    let size = size as u64;
    COUNTERS.with(|c| {
        if perfs_own(c) {
            return;
        }
        bump(&c.shared.frees, 1);
        bump(&c.shared.freed, size);
        recorder::charge(|node| node.freed(size));
        if move_headroom(c, size as i64) > c.limit.get() {
            live::publish(c);
        }
    });
}

#[inline(always)]
fn reallocated(old: usize, new: usize) {
    let (old, new) = (old as u64, new as u64);
    COUNTERS.with(|c| {
        if perfs_own(c) {
            return;
        }
        bump(&c.shared.reallocs, 1);
        if new >= old {
            bump(&c.shared.bytes, new - old);
            recorder::charge(|node| node.grown(new - old));
        } else {
            bump(&c.shared.freed, old - new);
            recorder::charge(|node| node.freed(old - new));
        }
        let headroom = move_headroom(c, old.wrapping_sub(new) as i64);
        if headroom < 0 || headroom > c.limit.get() || (new > old && live::stale(c)) {
            live::publish(c);
        }
    });
}

/// The calling thread's counters now.
pub(crate) fn stats() -> Stats {
    COUNTERS.with(|c| {
        let s = &c.shared;
        Stats {
            allocs: s.allocs.load(Ordering::Relaxed),
            bytes: s.bytes.load(Ordering::Relaxed),
            frees: s.frees.load(Ordering::Relaxed),
            freed: s.freed.load(Ordering::Relaxed),
            reallocs: s.reallocs.load(Ordering::Relaxed),
        }
    })
}

/// Runs `f` without its allocations, frees and reallocations counting
/// anywhere — this thread's counters, its spans, the live heap: the
/// runtime's own bookkeeping is not the program's. What is allocated in
/// here must be freed in here too, or the live heap drifts.
pub(crate) fn untracked<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the flag back as it was, also when `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            COUNTERS.with(|c| c.untracked.set(self.0));
        }
    }
    let _restore = Restore(COUNTERS.with(|c| c.untracked.replace(true)));
    f()
}

/// Whether [`PerfAlloc`] is this program's global allocator.
pub(crate) fn is_tracking() -> bool {
    untracked(|| {
        let before = COUNTERS.with(|c| c.untracked_calls.get());
        drop(std::hint::black_box(Box::new(0u64)));
        COUNTERS.with(|c| c.untracked_calls.get()) != before
    })
}
