//! A service that starts and ends threads for days (a blocking pool's
//! threads come and go) keeps a bounded recording: past the first 1,024
//! ended threads, each one's call tree is merged into one, and their spans
//! are counted only. Counts stay exact. Heap bytes are counted by an
//! allocator of this test's own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments and
// only adds to a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[perf_core::profile(name = "churn::outer")]
#[inline(never)]
fn outer(n: u64) -> u64 {
    (0..5).map(|i| inner(n + i)).sum()
}

#[perf_core::profile(name = "churn::inner")]
#[inline(never)]
fn inner(n: u64) -> u64 {
    std::hint::black_box(n).wrapping_mul(3)
}

/// Heap bytes kept after `threads` threads of 20 calls each have ended.
fn kept_after(threads: u64) -> isize {
    let before = LIVE.load(Ordering::Relaxed);
    for t in 0..threads {
        std::thread::spawn(move || {
            for c in 0..20 {
                outer(t + c);
            }
        })
        .join()
        .expect("thread");
    }
    LIVE.load(Ordering::Relaxed) - before
}

#[test]
fn threads_past_the_first_thousand_are_merged_and_counts_stay_exact() {
    let out = tempfile::tempdir().expect("tempdir");
    let session = perf_core::Session::builder("churn")
        .dir(out.path())
        .start()
        .expect("session");
    let first = kept_after(1024);
    let later = kept_after(2000);
    let run = session.finish().expect("finish");

    let threads = 3024;
    assert_eq!(
        run.function("churn::outer").map(|f| f.calls),
        Some(threads * 20)
    );
    assert_eq!(
        run.function("churn::inner").map(|f| f.calls),
        Some(threads * 100)
    );
    let rows = &run.data().threads;
    assert_eq!(rows.len(), 1025, "1,024 threads apart, the rest as one");
    let merged = rows
        .iter()
        .find(|t| t.calls == 2000 * 120)
        .expect("the merged row");
    assert!(
        merged.name.as_deref().unwrap_or("").contains("ended after"),
        "{merged:?}"
    );
    // Their spans are counted, not kept.
    let trace = &run.data().trace;
    assert_eq!(trace.events + trace.dropped_events, threads * 120);
    assert_eq!(trace.events, 1024 * 120);

    assert!(
        later < first / 20,
        "2,000 more threads kept {later} bytes, the first 1,024 kept {first}"
    );
}
