//! A bounded per-thread log of finished spans, for the Chrome trace. The owner
//! thread appends through a cursor into fixed-size chunks that never move; a
//! slot is published by storing its non-zero `end` last, with Release, so a
//! reader copies slots up to the first one whose `end` is still 0.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// One slot: the fields are written by the owner, then `end` publishes them.
pub(crate) struct Slot {
    body: UnsafeCell<(u64, *const Callsite, EventKind)>,
    end: AtomicU64,
}

impl Slot {
    /// Writes an event and publishes it.
    ///
    /// # Safety
    /// Only the owner thread writes, each slot once per generation, in order.
    #[inline(always)]
    pub(crate) unsafe fn write(&self, event: Event) {
        // SAFETY: per the contract no one else writes this slot, and readers
        // look at `body` only after seeing `end` non-zero, which comes after.
        unsafe { *self.body.get() = (event.start, event.callsite, event.kind) };
        self.end.store(event.end.max(1), Ordering::Release);
    }

    /// The event, if it was published.
    fn read(&self) -> Option<Event> {
        let end = self.end.load(Ordering::Acquire);
        if end == 0 {
            return None;
        }
        // SAFETY: `end` is non-zero, so the owner finished writing `body`
        // (Release/Acquire on `end`) and does not write it again this generation.
        let (start, callsite, kind) = unsafe { *self.body.get() };
        // SAFETY: `callsite` was a `&'static Callsite` when written.
        let callsite = unsafe { &*callsite };
        Some(Event {
            start,
            end,
            callsite,
            kind,
        })
    }
}

/// A chunk of event slots.
pub(crate) struct Chunk {
    slots: [Slot; CHUNK],
}

// SAFETY: slots are written by the owner thread only and read by others only
// after their Release publication (see `Slot`); the raw callsite pointer is a
// `&'static`.
unsafe impl Send for Chunk {}
// SAFETY: see `Send`.
unsafe impl Sync for Chunk {}

impl Chunk {
    pub(crate) fn new() -> Box<Self> {
        Box::new(Chunk {
            slots: std::array::from_fn(|_| Slot {
                body: UnsafeCell::new((0, std::ptr::null(), EventKind::Sync)),
                end: AtomicU64::new(0),
            }),
        })
    }

    /// The first slot; slots are contiguous.
    pub(crate) fn first_slot(&self) -> *const Slot {
        &self.slots[0]
    }

    /// Marks every slot unwritten, for a new generation. Owner only, under the lock.
    pub(crate) fn clear(&self) {
        for slot in &self.slots {
            slot.end.store(0, Ordering::Relaxed);
        }
    }

    /// Copies the published events in order; false if the chunk is not full.
    pub(crate) fn read_into(&self, out: &mut Vec<Event>) -> bool {
        for slot in &self.slots {
            match slot.read() {
                Some(event) => out.push(event),
                None => return false,
            }
        }
        true
    }
}
