//! The process's live heap and its peak, kept exact without a shared write
//! on each allocation.
//!
//! A shared counter that every allocation and free updates with an atomic
//! add is exact, but its two locked instructions per block cost as much as
//! the allocation itself (2.3× `System` on alloc/free churn, measured here).
//! So each thread keeps a *headroom* in its counters: bytes it has added to
//! the process's total, [`PUBLISHED`], beyond what it holds. Every
//! allocation takes from the headroom and every free gives to it, in the
//! thread's own counters; only when an allocation takes more than is there
//! does the thread add the rest to the total (exactly: no headroom is kept
//! then), and only when its frees have given it more than [`SLACK`] does it
//! take back what is over half of that. So the total is never below the
//! live heap, and
//!
//! ```text
//! live = PUBLISHED − Σ headroom of every thread
//! ```
//!
//! which a reader computes from the registry of threads' counters.
//!
//! A new peak can only be reached by an allocation that adds to the total:
//! one that reuses the thread's headroom brings the thread back to at most
//! what it held when it last added. Each addition that takes the total past
//! the peak computes the live heap as above and raises the peak if it is
//! higher, with the time. When a session starts watching, the peak starts
//! at the live heap, below the total by every thread's headroom: each
//! thread gives its headroom back on its first allocation after that
//! (it sees the watch's [`EPOCH`] change), and so adds from then on. For allocations one thread at a time — every
//! deterministic pattern — the peak is exact. When other threads allocate
//! at the same moment it is exact to within what they do meanwhile: a
//! thread reusing its own headroom while another raises the peak may take
//! the live heap above it unseen, by at most its headroom ([`SLACK`]).
//!
//! The low-water mark between two looks of the sampler ([`take_low`]) is
//! kept the same way, from the other side: a free that takes the live heap
//! down by more than [`SLACK`] gives headroom back to the total, and each
//! give-back that takes the total below the low lowers the low to the
//! total, with the time (an atomic minimum: no lock, as a shrinking heap
//! gives headroom back every few KiB). The total is the live heap plus the
//! headroom the threads keep, and frees within a thread's headroom are not
//! looked at, so the low is the true one to within that headroom (at most
//! [`SLACK`] a thread): exact enough for the floor of a heap whose dips are
//! larger, at no cost to a call that stays within its headroom.
//!
//! Threads are registered on their first allocation, and leave the registry
//! when they end (a pthread key's destructor), giving their headroom back.
//! A thread that cannot register (the registry of [`SLOTS`] is full, a
//! platform without pthread keys, or a thread already ending) keeps no
//! headroom: each of its calls adds to or takes from the total at once,
//! exactly, at the cost of a shared atomic.

use std::alloc::{GlobalAlloc, Layout, System};
#[cfg(unix)]
use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

use super::{COUNTERS, Counters, Shared};
use crate::clock;

/// The most headroom a registered thread keeps before it gives back what it
/// freed (it keeps half of this).
const SLACK: i64 = 16 * 1024;

/// Threads that can be registered at once.
const SLOTS: usize = 512;

/// Bytes added to the process's total by every thread: the live heap plus
/// the registered threads' headroom.
static PUBLISHED: AtomicI64 = AtomicI64::new(0);
/// The highest live heap seen since [`watch`]; `i64::MAX` while nothing
/// watches, so that no addition looks for a new peak.
static PEAK: AtomicI64 = AtomicI64::new(i64::MAX);
/// When the peak was reached, in clock ticks.
static PEAK_AT: AtomicU64 = AtomicU64::new(0);
/// The lowest live heap seen since the sampler last took it ([`take_low`]);
/// `i64::MIN` while nothing watches, so that no give-back looks for a new low.
static LOW: AtomicI64 = AtomicI64::new(i64::MIN);
/// When the low was last lowered, in clock ticks; 0 if not since [`watch`].
static LOW_AT: AtomicU64 = AtomicU64::new(0);
/// Moves on at each [`watch`]: headroom kept under an older one is given back.
static EPOCH: AtomicU32 = AtomicU32::new(0);
/// Frees and reallocations of threads that are not registered.
static RETIRED_FREES: AtomicU64 = AtomicU64::new(0);
static RETIRED_REALLOCS: AtomicU64 = AtomicU64::new(0);

/// The registered threads' counters, in the threads' own thread-locals.
static REGISTRY: [AtomicPtr<Shared>; SLOTS] = [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS];
/// One past the highest slot ever taken.
static REGISTRY_LEN: AtomicUsize = AtomicUsize::new(0);
/// Held while a slot is taken or left and while the registered counters
/// are read, so that no reader reads the thread-local of a thread that has
/// ended. Held briefly, never across an allocation.
static REGISTRY_LOCK: SpinLock = SpinLock(AtomicBool::new(false));

/// Takes [`REGISTRY_LOCK`], unless this thread holds it across a fork
/// (see [`hold_for_fork`]): an allocation made then, by a fork handler of
/// another library, reads the registry under the hold.
fn lock_registry() -> Option<SpinGuard<'static>> {
    #[cfg(unix)]
    if HOLDING_FOR_FORK.with(Cell::get) {
        return None;
    }
    Some(REGISTRY_LOCK.lock())
}

#[cfg(unix)]
thread_local! {
    /// Whether this thread holds [`REGISTRY_LOCK`] across a fork.
    static HOLDING_FOR_FORK: Cell<bool> = const { Cell::new(false) };
}

/// Takes the registry's lock for a fork (see `crate::fork`): the child
/// then starts with no thread halfway through it.
#[cfg(unix)]
pub(crate) fn hold_for_fork() {
    if HOLDING_FOR_FORK.with(Cell::get) {
        return;
    }
    std::mem::forget(REGISTRY_LOCK.lock());
    HOLDING_FOR_FORK.with(|holding| holding.set(true));
}

/// Lets the registry's lock go after a fork, in the parent and in the child.
#[cfg(unix)]
pub(crate) fn release_after_fork() {
    if HOLDING_FOR_FORK.with(|holding| holding.replace(false)) {
        REGISTRY_LOCK.0.store(false, Ordering::Release);
    }
}

/// Where a thread stands with the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Registration {
    /// Not yet tried.
    None,
    /// Registering now: calls made meanwhile keep no headroom.
    Registering,
    /// Registered in this slot.
    Registered(u32),
    /// Cannot register, or has ended: keeps no headroom.
    Solo,
}

/// Whether the thread's headroom was kept under an older watch than the
/// running one: it must give it back before it allocates.
#[inline(always)]
pub(super) fn stale(c: &Counters) -> bool {
    c.epoch.get() != EPOCH.load(Ordering::Relaxed)
}

/// Settles what a call of the allocator has done to this thread's
/// headroom: adds an allocation beyond it to the total (and looks for a new
/// peak), gives back what is over the thread's limit, or all of it under a
/// new watch (and looks for a new low), and registers the thread on its
/// first call.
#[cold]
#[inline(never)]
pub(super) fn publish(c: &Counters) {
    if c.registration.get() == Registration::None {
        register(c);
    }
    let mut headroom = c.shared.headroom.load(Ordering::Relaxed);
    if stale(c) {
        c.epoch.set(EPOCH.load(Ordering::Relaxed));
        if headroom > 0 {
            let total = PUBLISHED
                .fetch_sub(headroom, Ordering::Relaxed)
                .wrapping_sub(headroom);
            c.shared.headroom.store(0, Ordering::Relaxed);
            headroom = 0;
            if total > PEAK.load(Ordering::Relaxed) {
                raise_peak(total);
            }
            lower_low(total);
        }
    }
    if headroom < 0 {
        // Headroom first, total second: a reader in between sees the live
        // heap short of this allocation, never a peak that was not.
        c.shared.headroom.store(0, Ordering::Relaxed);
        let total = PUBLISHED
            .fetch_add(headroom.wrapping_neg(), Ordering::Relaxed)
            .wrapping_sub(headroom);
        if total > PEAK.load(Ordering::Relaxed) {
            raise_peak(total);
        }
    } else if headroom > c.limit.get() {
        let keep = c.limit.get() / 2;
        let total = PUBLISHED
            .fetch_sub(headroom - keep, Ordering::Relaxed)
            .wrapping_sub(headroom - keep);
        c.shared.headroom.store(keep, Ordering::Relaxed);
        lower_low(total);
    }
    if !matches!(c.registration.get(), Registration::Registered(_)) {
        fold(c);
    }
}

/// Raises the peak to the live heap, if higher, now that the total is `total`.
#[cold]
#[inline(never)]
fn raise_peak(total: i64) {
    let headroom = {
        let _lock = lock_registry();
        registered()
            .map(|s| s.headroom.load(Ordering::Relaxed))
            .sum::<i64>()
    };
    let live = total.wrapping_sub(headroom);
    if live > PEAK.fetch_max(live, Ordering::Relaxed) {
        PEAK_AT.store(clock::now(), Ordering::Relaxed);
    }
}

/// Lowers the low to `total`, the total just after a thread gave headroom
/// back, if lower: the live heap plus the headroom the threads keep, so
/// the low is the true one to within that headroom, lock-free (a heap that
/// shrinks gives headroom back every few KiB freed).
fn lower_low(total: i64) {
    if total < LOW.load(Ordering::Relaxed) && total < LOW.fetch_min(total, Ordering::Relaxed) {
        LOW_AT.store(clock::now(), Ordering::Relaxed);
    }
}

/// Adds the thread's frees and reallocations not yet added to the totals
/// of unregistered threads.
fn fold(c: &Counters) {
    let s = &c.shared;
    for (count, folded, total) in [
        (&s.frees, &s.folded_frees, &RETIRED_FREES),
        (&s.reallocs, &s.folded_reallocs, &RETIRED_REALLOCS),
    ] {
        let count = count.load(Ordering::Relaxed);
        let done = folded.load(Ordering::Relaxed);
        if count != done {
            total.fetch_add(count.wrapping_sub(done), Ordering::Relaxed);
            folded.store(count, Ordering::Relaxed);
        }
    }
}

/// The registered threads' counters. Call with [`REGISTRY_LOCK`] held.
fn registered() -> impl Iterator<Item = &'static Shared> {
    let len = REGISTRY_LEN.load(Ordering::Relaxed);
    REGISTRY[..len].iter().filter_map(|slot| {
        // SAFETY: a non-null slot points to the counters of a thread that
        // has not yet left the registry (it leaves under the lock the
        // caller holds, before its thread-locals go); `Shared` is atomics.
        unsafe { slot.load(Ordering::Acquire).as_ref() }
    })
}

/// The heap now, for a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeapNow {
    /// Live bytes of the whole process.
    pub(crate) live: u64,
    /// Frees and reallocations of every thread since the program started.
    pub(crate) frees: u64,
    pub(crate) reallocs: u64,
}

/// Reads the heap now.
pub(crate) fn now() -> HeapNow {
    let _lock = lock_registry();
    let total = PUBLISHED.load(Ordering::Relaxed);
    let mut now = HeapNow {
        live: 0,
        frees: RETIRED_FREES.load(Ordering::Relaxed),
        reallocs: RETIRED_REALLOCS.load(Ordering::Relaxed),
    };
    let mut headroom = 0i64;
    for s in registered() {
        headroom = headroom.wrapping_add(s.headroom.load(Ordering::Relaxed));
        let frees = s.frees.load(Ordering::Relaxed);
        let reallocs = s.reallocs.load(Ordering::Relaxed);
        now.frees += frees.wrapping_sub(s.folded_frees.load(Ordering::Relaxed));
        now.reallocs += reallocs.wrapping_sub(s.folded_reallocs.load(Ordering::Relaxed));
    }
    now.live = u64::try_from(total.wrapping_sub(headroom)).unwrap_or(0);
    now
}

/// Starts watching for the peak and the low, from the heap now, which it
/// returns.
pub(crate) fn watch() -> HeapNow {
    EPOCH.fetch_add(1, Ordering::Relaxed);
    let now = now();
    let ticks = clock::now();
    let live = i64::try_from(now.live).unwrap_or(i64::MAX);
    PEAK_AT.store(ticks, Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    LOW_AT.store(0, Ordering::Relaxed);
    LOW.store(live, Ordering::Relaxed);
    now
}

/// The peak since [`watch`] and when it was reached, in clock ticks.
pub(crate) fn peak() -> (u64, u64) {
    let peak = u64::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0);
    (peak, PEAK_AT.load(Ordering::Relaxed))
}

/// The lowest live heap since [`watch`] or the last call, and when it was
/// last lowered, in clock ticks (0 if not since [`watch`]); starts the next
/// low from `live` (the heap the caller has just read). `None` while
/// nothing watches.
///
/// The low is looked for when a thread gives headroom back to the total,
/// which a free that takes the live heap down by more than the thread keeps
/// ([`SLACK`]) always does: it is the live heap's true low to within the
/// headroom the threads keep. Lows looked for after the caller's reading
/// and before this call count in the low returned.
pub(crate) fn take_low(live: u64) -> Option<(u64, u64)> {
    let at = LOW_AT.load(Ordering::Relaxed);
    let live = i64::try_from(live).unwrap_or(i64::MAX);
    let low = LOW
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |low| {
            (low != i64::MIN).then_some(live)
        })
        .ok()?;
    Some((u64::try_from(low).unwrap_or(0), at))
}

/// Stops watching for the peak and the low.
pub(crate) fn unwatch() {
    PEAK.store(i64::MAX, Ordering::Relaxed);
    LOW.store(i64::MIN, Ordering::Relaxed);
}

/// Registers the calling thread's counters, so that it may keep headroom.
#[cfg(unix)]
fn register(c: &Counters) {
    c.registration.set(Registration::Registering);
    crate::fork::install();
    let shared = ptr::from_ref(&c.shared);
    let registered = exit_hook::key().and_then(|key| {
        let slot = claim(shared)?;
        // SAFETY: `key` is a key made by `pthread_key_create`; the value
        // is only handed back to `on_thread_exit`, on this thread.
        if unsafe { libc::pthread_setspecific(key, shared.cast()) } != 0 {
            leave(slot);
            return None;
        }
        Some(slot)
    });
    match registered {
        Some(slot) => {
            c.limit.set(SLACK);
            c.registration.set(Registration::Registered(slot));
        }
        None => c.registration.set(Registration::Solo),
    }
}

/// Without pthread keys a thread cannot say when it ends: it keeps no headroom.
#[cfg(not(unix))]
fn register(c: &Counters) {
    c.registration.set(Registration::Solo);
}

/// Takes a free slot for `shared`.
#[cfg(unix)]
fn claim(shared: *const Shared) -> Option<u32> {
    let _lock = lock_registry();
    let free = REGISTRY
        .iter()
        .position(|slot| slot.load(Ordering::Relaxed).is_null())?;
    REGISTRY[free].store(shared.cast_mut(), Ordering::Release);
    REGISTRY_LEN.fetch_max(free + 1, Ordering::Relaxed);
    Some(free as u32)
}

/// Leaves `slot`. Call with [`REGISTRY_LOCK`] held, or on a slot whose
/// thread has not ended.
#[cfg(unix)]
fn leave(slot: u32) {
    REGISTRY[slot as usize].store(ptr::null_mut(), Ordering::Release);
}

/// Leaves the registry as the thread ends: gives its headroom back, adds its
/// frees and reallocations to the totals, and keeps no headroom from now on
/// (later destructors may still allocate).
#[cfg(unix)]
fn retire(c: &Counters) {
    let Registration::Registered(slot) = c.registration.get() else {
        return;
    };
    let _lock = lock_registry();
    let headroom = c.shared.headroom.load(Ordering::Relaxed);
    PUBLISHED.fetch_sub(headroom, Ordering::Relaxed);
    c.shared.headroom.store(0, Ordering::Relaxed);
    leave(slot);
    fold(c);
    c.limit.set(0);
    c.registration.set(Registration::Solo);
}

/// The pthread key whose destructor tells the registry that a thread ends.
#[cfg(unix)]
mod exit_hook {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// 0: not made; 1: being made; 2: could not be made; else the key + 3.
    static KEY: AtomicUsize = AtomicUsize::new(0);

    /// The key, made on first use (`pthread_key_create` does not allocate).
    pub(super) fn key() -> Option<libc::pthread_key_t> {
        loop {
            match KEY.load(Ordering::Acquire) {
                0 => {
                    if KEY
                        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Acquire)
                        .is_ok()
                    {
                        let mut key: libc::pthread_key_t = 0;
                        // SAFETY: `key` is a valid out-pointer; the
                        // destructor is an `extern "C"` fn of the right type.
                        let made =
                            unsafe { libc::pthread_key_create(&mut key, Some(on_thread_exit)) };
                        let state = if made == 0 { key as usize + 3 } else { 2 };
                        KEY.store(state, Ordering::Release);
                    }
                }
                1 => std::hint::spin_loop(),
                2 => return None,
                made => return Some((made - 3) as libc::pthread_key_t),
            }
        }
    }

    /// Runs as a registered thread ends, while its thread-locals still live.
    unsafe extern "C" fn on_thread_exit(_shared: *mut libc::c_void) {
        super::COUNTERS.with(super::retire);
    }
}

/// A lock that spins: it is taken inside the allocator, where a mutex that
/// might allocate or park cannot be.
struct SpinLock(AtomicBool);

/// Holds a [`SpinLock`] until dropped.
struct SpinGuard<'a>(&'a SpinLock);

impl SpinLock {
    fn lock(&self) -> SpinGuard<'_> {
        let mut spins = 0u32;
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.0.load(Ordering::Relaxed) {
                spins += 1;
                if spins % 64 == 0 {
                    // The holder may be off the CPU: let it run.
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
        SpinGuard(self)
    }
}

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.0.0.store(false, Ordering::Release);
    }
}

/// The heap timeline of a session: live bytes by clock ticks. It grows for
/// as long as the session runs, so it is kept in memory taken from
/// [`System`] directly, outside `PerfAlloc`: it is the sampler's record,
/// not the program's heap, and a timeline that showed its own growth would
/// read as a leak.
pub(crate) struct Timeline {
    points: NonNull<(u64, u64)>,
    len: usize,
    capacity: usize,
}

// SAFETY: the timeline owns its buffer, which no one else points to.
unsafe impl Send for Timeline {}

impl Timeline {
    /// An empty timeline.
    pub(crate) fn new() -> Timeline {
        Timeline {
            points: NonNull::dangling(),
            len: 0,
            capacity: 0,
        }
    }

    /// Adds a point; a point for which no memory can be had is left out.
    pub(crate) fn push(&mut self, ticks: u64, live: u64) {
        if self.len == self.capacity && !self.grow() {
            return;
        }
        // SAFETY: `len < capacity`: the slot lies inside the buffer.
        unsafe { self.points.as_ptr().add(self.len).write((ticks, live)) };
        self.len += 1;
    }

    /// The points, in the order added.
    pub(crate) fn points(&self) -> &[(u64, u64)] {
        // SAFETY: the first `len` slots are written; the pointer is
        // dangling only when `len` is 0, which a slice allows.
        unsafe { std::slice::from_raw_parts(self.points.as_ptr(), self.len) }
    }

    fn layout(capacity: usize) -> Option<Layout> {
        Layout::array::<(u64, u64)>(capacity).ok()
    }

    /// Doubles the buffer (at least 256 points); whether it could.
    fn grow(&mut self) -> bool {
        let capacity = (self.capacity * 2).max(256);
        let (Some(new), Some(old)) = (Self::layout(capacity), Self::layout(self.capacity)) else {
            return false;
        };
        // SAFETY: `new` has a non-zero size; an existing buffer was
        // allocated from `System` with `old`, and `new.size()` does not
        // overflow `isize` (`Layout::array` checked it).
        let points = unsafe {
            if self.capacity == 0 {
                System.alloc(new)
            } else {
                System.realloc(self.points.as_ptr().cast(), old, new.size())
            }
        };
        let Some(points) = NonNull::new(points.cast()) else {
            return false;
        };
        self.points = points;
        self.capacity = capacity;
        true
    }
}

impl Drop for Timeline {
    fn drop(&mut self) {
        if let Some(layout) = Self::layout(self.capacity).filter(|_| self.capacity > 0) {
            // SAFETY: the buffer was allocated from `System` with this layout.
            unsafe { System.dealloc(self.points.as_ptr().cast(), layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_keeps_its_points_in_order_across_growth() {
        let mut timeline = Timeline::new();
        assert!(timeline.points().is_empty());
        for i in 0..1000 {
            timeline.push(i, i * 2);
        }
        assert_eq!(timeline.points().len(), 1000);
        assert!(timeline.points().iter().all(|&(t, live)| live == t * 2));
    }
}
