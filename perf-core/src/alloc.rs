//! Allocation tracking: [`PerfAlloc`] counts every allocation of the thread
//! that makes it in thread-local counters; spans read the counters when they
//! open and close, so attribution costs the allocator nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// A global allocator that counts allocations and bytes per thread, so that
/// `#[profile]` functions, sessions and [`measure`](crate::measure) can report
/// them. It wraps another allocator, [`System`] by default.
///
/// ```
/// #[global_allocator]
/// static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();
/// # fn main() {}
/// ```
///
/// An allocation is any call of `alloc`, `alloc_zeroed` or `realloc`; its bytes
/// are the size asked for (the new size, for `realloc`). Frees are not counted.
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
/// with the caller's arguments unchanged, and counts what it allocated.
macro_rules! counting_alloc {
    ($self:ident => $backend:expr) => {
        #[inline]
        unsafe fn alloc(&$self, layout: Layout) -> *mut u8 {
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
            counted(layout.size(), || unsafe { $backend.alloc(layout) })
        }

        #[inline]
        unsafe fn alloc_zeroed(&$self, layout: Layout) -> *mut u8 {
            // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
            counted(layout.size(), || unsafe { $backend.alloc_zeroed(layout) })
        }

        #[inline]
        unsafe fn dealloc(&$self, ptr: *mut u8, layout: Layout) {
            // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
            unsafe { $backend.dealloc(ptr, layout) }
        }

        #[inline]
        unsafe fn realloc(&$self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
            counted(new_size, || unsafe { $backend.realloc(ptr, layout, new_size) })
        }
    };
}

// SAFETY: every method forwards to the wrapped allocator with the caller's
// arguments unchanged and returns its result; counting touches only
// thread-locals that never allocate.
#[cfg(not(feature = "heap"))]
unsafe impl<A: GlobalAlloc> GlobalAlloc for PerfAlloc<A> {
    counting_alloc!(self => self.inner);
}

// SAFETY: every method forwards to the wrapped allocator, or while a heap
// profile runs and the wrapped allocator is `System`, to dhat's (which
// records the call and hands it to `System`), with the caller's arguments
// unchanged, and returns its result. A block may be freed by the other of
// the two: both end in `System`, and dhat ignores blocks it did not see
// allocated. Counting touches only thread-locals that never allocate.
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

/// Runs `allocate` and, if it gave memory, counts an allocation of `size`
/// bytes. With the `heap` feature, allocations that dhat makes while it
/// records one (its backtraces) are not counted: only the outermost is.
#[inline(always)]
fn counted(size: usize, allocate: impl FnOnce() -> *mut u8) -> *mut u8 {
    #[cfg(feature = "heap")]
    let outermost = COUNTERS.with(|c| !c.in_allocator.replace(true));
    let ptr = allocate();
    #[cfg(feature = "heap")]
    {
        if !outermost {
            return ptr;
        }
        COUNTERS.with(|c| c.in_allocator.set(false));
    }
    if !ptr.is_null() {
        count(size);
    }
    ptr
}

/// Allocations and bytes this thread has made since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AllocCounts {
    pub(crate) allocs: u64,
    pub(crate) bytes: u64,
}

impl AllocCounts {
    /// What was allocated between `earlier` and `self`.
    #[inline(always)]
    pub(crate) fn since(self, earlier: AllocCounts) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
        }
    }
}

struct Counters {
    allocs: Cell<u64>,
    bytes: Cell<u64>,
    /// Inside the allocator: allocations made now are the allocator's own.
    #[cfg(feature = "heap")]
    in_allocator: Cell<bool>,
}

thread_local! {
    // Const-initialised and without Drop: access is a plain TLS offset and is
    // valid at any point of the thread's life, also inside the allocator.
    static COUNTERS: Counters = const {
        Counters {
            allocs: Cell::new(0),
            bytes: Cell::new(0),
            #[cfg(feature = "heap")]
            in_allocator: Cell::new(false),
        }
    };
}

#[inline(always)]
fn count(size: usize) {
    COUNTERS.with(|c| {
        c.allocs.set(c.allocs.get().wrapping_add(1));
        c.bytes.set(c.bytes.get().wrapping_add(size as u64));
    });
}

/// The calling thread's counters now.
#[inline(always)]
pub(crate) fn counts() -> AllocCounts {
    COUNTERS.with(|c| AllocCounts {
        allocs: c.allocs.get(),
        bytes: c.bytes.get(),
    })
}

/// Runs `f` without its allocations showing in this thread's counters: the
/// runtime's own bookkeeping must not be charged to the user's functions.
pub(crate) fn untracked<R>(f: impl FnOnce() -> R) -> R {
    let saved = counts();
    let result = f();
    COUNTERS.with(|c| {
        c.allocs.set(saved.allocs);
        c.bytes.set(saved.bytes);
    });
    result
}

/// Whether [`PerfAlloc`] is this program's global allocator.
pub(crate) fn is_tracking() -> bool {
    untracked(|| {
        let before = counts();
        drop(std::hint::black_box(Box::new(0u64)));
        counts() != before
    })
}
