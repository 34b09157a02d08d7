//! A bounded per-thread log of finished spans, for the Chrome trace. The owner
//! thread appends through a cursor into fixed-size chunks that never move and
//! publishes the count; a reader copies the published prefix.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

use crate::callsite::Callsite;

/// Events per chunk.
pub(crate) const CHUNK: usize = 1024;

/// How a span ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A plain call, on one thread.
    Sync,
    /// An async fn: from first poll to completion, possibly across threads.
    Async,
}

/// One finished span, in raw clock ticks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) callsite: &'static Callsite,
    pub(crate) kind: EventKind,
}

/// A chunk of event slots, written by the owner thread at indices it has not
/// yet published.
pub(crate) struct Chunk {
    slots: [UnsafeCell<MaybeUninit<Event>>; CHUNK],
}

impl Chunk {
    pub(crate) fn new() -> Box<Self> {
        Box::new(Chunk {
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        })
    }

    /// The first slot; slots are contiguous.
    pub(crate) fn first_slot(&self) -> *mut Event {
        self.slots[0].get().cast()
    }

    /// Copies slot `i`.
    ///
    /// # Safety
    /// Slot `i` was written and published (its index is below a count loaded
    /// with Acquire after the owner stored it with Release).
    pub(crate) unsafe fn read(&self, i: usize) -> Event {
        // SAFETY: per the contract, the slot is initialised and no longer written.
        unsafe { (*self.slots[i].get()).assume_init() }
    }
}
